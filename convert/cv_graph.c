/*
 * cv_graph.c - ONNX graph -> NPU op list, with the graph passes of the
 * first milestone: BatchNormalization and constant Mul/Div/Add/Sub folded
 * into the Conv before them, one activation fused into the Conv/Add before
 * it (Relu, Clip; LeakyRelu, Sigmoid, SiLU, HardSigmoid, HardSwish, Tanh
 * where the target has a DPU form: cv_act.c) with scalar affine ops after
 * a LUT activation folded into its table.  Shapes are derived here
 * (input shape from the model, conv/pool output sizes by the ONNX formulas)
 * so models without value_info convert; CPU nodes take their output shapes
 * from one float run (cv_cpu.c).  Every op outside the NPU lowering becomes
 * a CPU node (cpu_fallback); with --no-cpu-fallback, or when the fallback
 * is impossible, they are collected and one error lists them all with node
 * names and hints.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_internal.h"

void cv_note(rk_convert_report *rep, const char *fmt, ...)
{
    if (!rep)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char **p = realloc(rep->notes, (rep->n_notes + 1) * sizeof(*p));
    if (!p)
        return;
    rep->notes = p;
    if ((p[rep->n_notes] = strdup(buf)))
        rep->n_notes++;
}

void rk_convert_report_free(rk_convert_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_notes; i++)
        free(r->notes[i]);
    free(r->notes);
    free(r->unsupported);
    memset(r, 0, sizeof(*r));
}

void cv_graph_free(cv_graph *g)
{
    for (int i = 0; i < g->n_tensors; i++) {
        free(g->tensors[i].name);
        free(g->tensors[i].hist);
        free(g->tensors[i].ch_min);
        free(g->tensors[i].ch_max);
        free(g->tensors[i].eq);
        cv_mm_view_free(g->tensors[i].mm);
    }
    for (int i = 0; i < g->n_ops; i++) {
        free(g->ops[i].name);
        free(g->ops[i].label);
        free(g->ops[i].w);
        free(g->ops[i].b);
        free(g->ops[i].cpu_nodes);
        free(g->ops[i].cpu_out);
        free(g->ops[i].blob);
        free(g->ops[i].mm_pack);
        free(g->ops[i].act.pre_name);
    }
    for (int i = 0; i < g->n_shapes; i++)
        free(g->shapes[i].name);
    free(g->shapes);
    for (int i = 0; i < g->n_consts; i++)
        rk_tensor_free(&g->consts[i]);
    free(g->consts);
    free(g->tensors);
    free(g->ops);
    free(g->inputs);
    free(g->outputs);
    for (int i = 0; i < g->n_act_refused; i++)
        free(g->act_refused[i]);
    free(g->act_refused);
    for (int i = 0; i < g->n_act_fp16; i++)
        free(g->act_fp16[i]);
    free(g->act_fp16);
    memset(g, 0, sizeof(*g));
}

int cv_tensor_dims(const cv_tensor *t, int64_t *dims)
{
    if (t->nd) {
        memcpy(dims, t->dims, sizeof(t->dims[0]) * (size_t)t->ndim);
        return t->ndim;
    }
    dims[0] = 1;
    dims[1] = t->c;
    dims[2] = t->h;
    dims[3] = t->w;
    return 4;
}

int cv_find_tensor(const cv_graph *g, const char *name)
{
    for (int i = 0; i < g->n_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0)
            return i;
    return -1;
}

static rk_status add_tensor(cv_graph *g, const char *name, int c, int h, int w, int *idx, rk_err *e)
{
    if (g->n_tensors == g->cap_tensors) {
        int cap = g->cap_tensors ? g->cap_tensors * 2 : 16;
        cv_tensor *p = realloc(g->tensors, (size_t)cap * sizeof(*p));
        if (!p)
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        g->tensors = p;
        g->cap_tensors = cap;
    }
    cv_tensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof(*t));
    if (!(t->name = strdup(name)))
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    t->c = c;
    t->h = h;
    t->w = w;
    t->rknn_index = -1;
    *idx = g->n_tensors++;
    return RK_OK;
}

static rk_status add_op(cv_graph *g, const ox_node *n, cv_kind kind, cv_op **out, rk_err *e)
{
    if (g->n_ops == g->cap_ops) {
        int cap = g->cap_ops ? g->cap_ops * 2 : 16;
        cv_op *p = realloc(g->ops, (size_t)cap * sizeof(*p));
        if (!p)
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        g->ops = p;
        g->cap_ops = cap;
    }
    cv_op *op = &g->ops[g->n_ops++];
    memset(op, 0, sizeof(*op));
    op->kind = kind;
    op->clip_lo = -INFINITY;
    op->clip_hi = INFINITY;
    op->in[0] = op->in[1] = op->out = -1;
    char nm[160];
    snprintf(nm, sizeof(nm), "%s", ox_node_name(n)[0] ? ox_node_name(n) : ox_node_output_name(n, 0));
    op->name = strdup(nm);
    op->label = strdup(ox_node_label(n));
    if (!op->name || !op->label)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    *out = op;
    return RK_OK;
}

rk_status cv_add_tensor(cv_graph *g, const char *name, int c, int h, int w, int *idx, rk_err *e)
{
    return add_tensor(g, name, c, h, w, idx, e);
}

rk_status cv_add_op(cv_graph *g, const ox_node *n, cv_kind kind, cv_op **out, rk_err *e)
{
    return add_op(g, n, kind, out, e);
}

/* ---------------------------------------------------- unsupported ledger */

/* Accumulates "  Type 'name': hint" lines; the error lists all of them.
 * Outputs of an unsupported node are "poisoned": nodes reading them are
 * counted (downstream) and, when their own type is lowerable, not listed:
 * the list names every op type to fix without repeating consequences. */
typedef struct cv_unsup {
    char *text;
    size_t len;
    int count;
    char **poisoned;
    int n_poisoned, cap_poisoned;
    int downstream;
} cv_unsup;

static bool is_poisoned(const cv_unsup *u, const char *name)
{
    for (int i = 0; i < u->n_poisoned; i++)
        if (strcmp(u->poisoned[i], name) == 0)
            return true;
    return false;
}

static void poison_outputs(cv_unsup *u, const ox_node *n)
{
    for (int k = 0; k < ox_node_num_outputs(n); k++) {
        if (u->n_poisoned == u->cap_poisoned) {
            int cap = u->cap_poisoned ? u->cap_poisoned * 2 : 16;
            char **p = realloc(u->poisoned, (size_t)cap * sizeof(*p));
            if (!p)
                return; /* only the listing's brevity suffers */
            u->poisoned = p;
            u->cap_poisoned = cap;
        }
        if ((u->poisoned[u->n_poisoned] = strdup(ox_node_output_name(n, k))))
            u->n_poisoned++;
    }
}

static void unsupported(cv_unsup *u, const ox_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void unsupported(cv_unsup *u, const ox_node *n, const char *fmt, ...)
{
    char hint[384], line[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(hint, sizeof(hint), fmt, ap);
    va_end(ap);
    int k = snprintf(line, sizeof(line), "\n  %s: %s", ox_node_label(n), hint);
    if (k < 0)
        return;
    u->count++;
    char *p = realloc(u->text, u->len + (size_t)k + 1);
    if (!p)
        return;
    memcpy(p + u->len, line, (size_t)k + 1);
    u->text = p;
    u->len += (size_t)k;
}

/* The one error listing every unsupported node.  The lines that fit the
 * error message (RK_ERR_MAX) go into it; when some do not, the whole list
 * is handed to the caller in rep->unsupported so that none is lost. */
static rk_status unsupported_error(const cv_unsup *u, rk_convert_report *rep, rk_err *e)
{
    const size_t room = RK_ERR_MAX - 240; /* header and tail */
    size_t fit = 0;
    int shown = 0;
    for (size_t i = 1; u->text && i <= u->len; i++)
        if (i == u->len || u->text[i] == '\n') {
            if (i > room)
                break;
            fit = i;
            shown++;
        }
    int rest = u->count - shown;
    if (rest > 0)
        rep->unsupported = strdup(u->text);
    return rk_errf(e, RK_EUNSUPPORTED, "%d node%s cannot be converted%s:%.*s%s", u->count, u->count > 1 ? "s" : "",
                   u->downstream ? " (nodes fed only through these are not listed)" : "",
                   (int)fit, u->text ? u->text : "",
                   rest > 0 ? "\n  ... the rest follow (the whole list is in the report)" : "");
}

static const char *hint_for(const char *type)
{
    static const struct {
        const char *type, *hint;
    } hints[] = {
        {"Relu", "a Relu that does not directly follow a Conv or Add cannot be fused; NPU Relu on its own is not in this milestone"},
        {"Clip", "a Clip that does not directly follow a Conv or Add (or has non-constant bounds) cannot be fused"},
        {"BatchNormalization", "BatchNormalization is folded only into a Conv whose output feeds nothing else"},
        {"Mul", "elementwise Mul of two activations on the DPU is the next milestone (only same-shape Add is lowered; "
                "a constant Mul after a Conv folds into it when an activation fuses after it; x*Sigmoid(x) / "
                "x*HardSigmoid(x) after a Conv or Add fuse as SiLU / HardSwish in int8 RK3588 programs)"},
        {"Concat", "Concat needs layout planning (channel offsets in one NC1HWC2 buffer): next milestone"},
        {"Resize", "Resize is a CPU op in the vendor runtime (rksim: a CPU node unless --no-cpu-fallback)"},
        {"Softmax", "CPU op in the vendor runtime (rksim: a CPU node unless --no-cpu-fallback)"},
        {"Reshape", "shape ops between NPU ops need non-4-D tensors in the container: next milestone"},
        {"Flatten", "shape ops between NPU ops need non-4-D tensors in the container: next milestone"},
        {"Sigmoid", "fuses (DPU LUT) only into the Conv/Add it directly follows, in int8 RK3588 programs: the float "
                    "LUT is not simulated (fp16), the lite LUT fields are unconfirmed (rk3566), and calibration may "
                    "keep it on the CPU (report note)"},
        {"Tanh", "fuses (DPU LUT) only into the Conv/Add it directly follows, in int8 RK3588 programs, unless "
                    "calibration finds its output channels too uneven for one int8 scale (report note)"},
        {"HardSigmoid", "fuses (DPU LUT) only into the Conv/Add it directly follows, in int8 RK3588 programs, unless "
                    "calibration finds its output channels too uneven for one int8 scale (report note)"},
        {"HardSwish", "fuses (DPU LUT) only into the Conv/Add it directly follows, in int8 RK3588 programs, unless "
                    "calibration finds its output channels too uneven for one int8 scale (report note)"},
        {"LeakyRelu", "fuses only into the Conv it directly follows (DPU PReLU multiply, int8/fp16) or an int8 Add "
                      "(DPU LUT), on RK3588 (the lite PReLU/LUT fields are unconfirmed)"},
        {"ConvTranspose", "deconvolution is not simulated (sim/SEMANTICS.md Open)"},
    };
    for (size_t i = 0; i < RK_ARRAY_LEN(hints); i++)
        if (strcmp(hints[i].type, type) == 0)
            return hints[i].hint;
    return "no NPU lowering in this milestone (without --no-cpu-fallback it runs as a CPU node)";
}

/* --------------------------------------------------------------- helpers */

static int n_consumers(const ox_model *m, const char *name, int *only)
{
    int cnt = 0;
    for (int i = 0; i < ox_model_num_nodes(m); i++) {
        const ox_node *n = ox_model_node(m, i);
        for (int k = 0; k < ox_node_num_inputs(n); k++)
            if (strcmp(ox_node_input_name(n, k), name) == 0) {
                cnt++;
                *only = i;
                break;
            }
    }
    for (int i = 0; i < ox_model_num_outputs(m); i++)
        if (strcmp(ox_model_output(m, i)->name, name) == 0)
            cnt += 2; /* a graph output must stay visible */
    return cnt;
}

/* A constant by name: an initializer or a value folded by fold_constants. */
static const rk_tensor *find_const(const ox_model *m, const cv_graph *g, const char *name)
{
    return cv_find_const(m, g, name);
}

const rk_tensor *cv_find_const(const ox_model *m, const cv_graph *g, const char *name)
{
    const rk_tensor *t = ox_model_initializer(m, name);
    for (int i = 0; !t && i < g->n_consts; i++)
        if (strcmp(g->consts[i].name, name) == 0)
            t = &g->consts[i];
    return t;
}

static const rk_tensor *f32_init(const ox_model *m, const cv_graph *g, const ox_node *n, int k)
{
    if (k >= ox_node_num_inputs(n) || !ox_node_input_name(n, k)[0])
        return NULL;
    const rk_tensor *t = find_const(m, g, ox_node_input_name(n, k));
    return t && t->dtype == RK_DT_F32 ? t : NULL;
}

/*
 * Constant folding: a node whose inputs are all constants (initializers or
 * earlier folded values; Constant nodes have none) is evaluated once with
 * onnxref at compile time and its outputs become constants.  Shape / Size
 * of an activation fold too: input shapes are fixed, so the shape pass
 * (cv_cpu.c) knows every shape.  This turns
 * weight subgraphs (ConstantOfShape, Reshape/Transpose of initializers,
 * Constant) into plain weights.  Random* ops are never folded.
 */
enum { FOLD_MAX_IO = 64 }; /* most inputs / outputs of a node fold_constants evaluates */

static rk_status fold_constants(ox_model *m, cv_graph *g, bool *used, rk_convert_report *rep, rk_err *e)
{
    int folded = 0;
    for (int i = 0; i < ox_model_num_nodes(m); i++) {
        const ox_node *n = ox_model_node(m, i);
        const char *t = ox_node_op_type(n);
        int nin = ox_node_num_inputs(n), nout = ox_node_num_outputs(n);
        /* bounded so the operand arrays stay on the stack; a Split of a
         * torch repeat_interleave export has one output per channel */
        if (ox_node_domain(n)[0] || strncmp(t, "Random", 6) == 0 || nout < 1 || nout > FOLD_MAX_IO ||
            nin > FOLD_MAX_IO || (nin == 0 && strcmp(t, "Constant") != 0))
            continue;
        const rk_tensor *in[FOLD_MAX_IO] = {NULL};
        bool all_const = true;
        rk_tensor probe = {0};
        if ((strcmp(t, "Shape") == 0 || strcmp(t, "Size") == 0) && nin == 1) {
            /* with fixed input shapes the shape of every activation is
             * static: Shape/Size fold on a zero tensor of that shape (the
             * shape pass, cv_cpu.c, supplies it) */
            rk_status sst = cv_shapes_compute(m, g, e);
            if (sst)
                return sst;
            const char *xn = ox_node_input_name(n, 0);
            const cv_shape *sh = cv_shape_of(g, xn);
            int ii = cv_find_tensor(g, xn);
            bool probed = true;
            if (sh) {
                sst = rk_tensor_alloc(&probe, sh->name, sh->dtype, sh->ndim, sh->dims, e);
            } else if (ii >= 0 && g->tensors[ii].is_input) {
                const cv_tensor *x = &g->tensors[ii];
                int64_t d[RK_MAX_DIMS];
                int xnd = cv_tensor_dims(x, d);
                sst = rk_tensor_alloc(&probe, x->name, RK_DT_F32, xnd, d, e);
            } else if (!find_const(m, g, xn)) {
                continue;
            } else {
                probed = false; /* a constant: folded like any node */
            }
            if (sst)
                return sst;
            if (probed)
                in[0] = &probe;
        }
        for (int k = 0; k < nin && all_const; k++)
            if (ox_node_input_name(n, k)[0] && !in[k] && !(in[k] = find_const(m, g, ox_node_input_name(n, k))))
                all_const = false;
        if (!all_const)
            continue;
        rk_tensor outs[FOLD_MAX_IO];
        memset(outs, 0, sizeof(outs));
        rk_status st = ox_run_node(m, n, in, nin, 1, outs, e);
        rk_tensor_free(&probe);
        if (st)
            return rk_err_wrap(e, "constant folding of %s", ox_node_label(n));
        for (int k = 0; k < nout; k++) {
            if (!st && g->n_consts == g->cap_consts) {
                int cap = g->cap_consts ? g->cap_consts * 2 : 16;
                rk_tensor *p = realloc(g->consts, (size_t)cap * sizeof(*p));
                if (!p)
                    st = rk_errf(e, RK_ENOMEM, "convert: out of memory");
                else {
                    g->consts = p;
                    g->cap_consts = cap;
                }
            }
            if (!st && ox_node_output_name(n, k)[0] && !rk_tensor_set_name(&outs[k], ox_node_output_name(n, k))) {
                g->consts[g->n_consts++] = outs[k];
                memset(&outs[k], 0, sizeof(outs[k]));
            }
            rk_tensor_free(&outs[k]);
        }
        if (st)
            return st;
        used[i] = true;
        folded++;
    }
    if (folded) {
        cv_note(rep, "constant folding: %d node%s evaluated at compile time", folded, folded > 1 ? "s" : "");
    }
    return RK_OK;
}

static int attr2(const ox_node *n, const char *name, int i, int dflt)
{
    const int64_t *v;
    int cnt = ox_attr_ints(n, name, &v);
    return cnt > i ? (int)v[i] : dflt;
}

/* ONNX pads / auto_pad for one spatial axis (i = 0 H, 1 W). */
static void pads_for(const ox_node *n, int i, int in, int k, int s, int *pa, int *pb)
{
    const char *ap = ox_attr_string_or(n, "auto_pad", "NOTSET");
    if (strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0) {
        int out = (in + s - 1) / s;
        int total = RK_MAX((out - 1) * s + k - in, 0);
        *pa = strcmp(ap, "SAME_UPPER") == 0 ? total / 2 : total - total / 2;
        *pb = total - *pa;
        return;
    }
    if (strcmp(ap, "VALID") == 0) {
        *pa = *pb = 0;
        return;
    }
    *pa = attr2(n, "pads", i, 0);
    *pb = attr2(n, "pads", i + 2, 0);
}

/* --------------------------------------------------------------- Conv */

static rk_status lower_conv(const ox_model *m, const ox_node *n, cv_graph *g, cv_unsup *u, bool *done,
                            rk_err *e)
{
    *done = false;
    int xi = cv_find_tensor(g, ox_node_input_name(n, 0));
    const rk_tensor *w = f32_init(m, g, n, 1), *b = f32_init(m, g, n, 2);
    if (xi >= 0 && (g->tensors[xi].nd || g->tensors[xi].mm)) {
        unsupported(u, n, "input '%s' is not a [1,C,H,W] tensor", ox_node_input_name(n, 0));
        return RK_OK;
    }
    if (xi < 0) {
        unsupported(u, n, "input '%s' is not produced by an NPU op of this milestone", ox_node_input_name(n, 0));
        return RK_OK;
    }
    if (!w || w->ndim != 4) {
        unsupported(u, n, "weights must be a float32 OIHW initializer (constant folding of weight subgraphs is not in this milestone)");
        return RK_OK;
    }
    if (ox_node_num_inputs(n) > 2 && ox_node_input_name(n, 2)[0] && !b) {
        unsupported(u, n, "bias must be a float32 initializer");
        return RK_OK;
    }
    const cv_tensor *x = &g->tensors[xi];
    int group = (int)ox_attr_int_or(n, "group", 1);
    int k = (int)w->dims[0], ci = (int)w->dims[1], kh = (int)w->dims[2], kw = (int)w->dims[3];
    if (k <= 0 || ci <= 0 || kh <= 0 || kw <= 0)
        return rk_errf(e, RK_EINPUT, "%s: weights have an empty dimension", ox_node_label(n));
    bool dw = group > 1 && group == x->c && k == x->c && ci == 1;
    if (group != 1 && !dw) {
        unsupported(u, n, "group=%d: only group 1 and depthwise (group = channels = outputs) are lowered; split grouped convs before export", group);
        return RK_OK;
    }
    if (!dw && ci != x->c) {
        unsupported(u, n, "weights have %d input channels, input has %d", ci, x->c);
        return RK_OK;
    }
    if (!(g->soc && g->soc->lite) && x->h < 4 && x->c > (g->dtype == RK_CONVERT_INT8 ? 16 : 8)) {
        /* cv_emit.c: CNA_DMA_CON2 SURF_STRIDE = W*H - W*4 (SEMANTICS
         * C-FEAT-NORMAL) is negative for < 4 rows with more than one
         * surface (C2 = 8 fp16 / 16 int8 channels); e.g. squeeze-excite
         * convs after a GlobalAveragePool.  The lite encoding (plain W*H
         * surface stride) has no such limit: RK3566 lowers these convs,
         * RK3588 cannot (test_convert_rk3566_lowers_two_row_multi_surface_input). */
        unsupported(u, n, "input has %d rows and %d channels: multi-surface inputs of < 4 rows are not lowered "
                    "(vendor layout not decoded)", x->h, x->c);
        return RK_OK;
    }
    if (attr2(n, "dilations", 0, 1) != 1 || attr2(n, "dilations", 1, 1) != 1) {
        unsupported(u, n, "dilated conv: ATROUS registers are only assumed (sim/SEMANTICS.md C-DIL), not lowered yet");
        return RK_OK;
    }
    cv_op *op;
    rk_status st = add_op(g, n, CV_CONV, &op, e);
    if (st)
        return st;
    op->depthwise = dw;
    op->k = k;
    op->kh = kh;
    op->kw = kw;
    op->sy = attr2(n, "strides", 0, 1);
    op->sx = attr2(n, "strides", 1, 1);
    pads_for(n, 0, x->h, kh, op->sy, &op->pt, &op->pb);
    pads_for(n, 1, x->w, kw, op->sx, &op->pl, &op->pr);
    if ((op->pt | op->pb | op->pl | op->pr) < 0 || op->sy <= 0 || op->sx <= 0)
        return rk_errf(e, RK_EINPUT, "%s: negative pads or non-positive strides", ox_node_label(n));
    op->in[0] = xi;
    op->n_in = 1;
    size_t nw = (size_t)w->nelem;
    op->w = malloc(nw * sizeof(float));
    op->b = calloc((size_t)k, sizeof(float));
    if (!op->w || !op->b)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    memcpy(op->w, w->data, nw * sizeof(float));
    op->wpk = (int)(nw / (size_t)k);
    if (b) {
        if (b->nelem != k)
            return rk_errf(e, RK_EINPUT, "%s: bias has %lld values for %d outputs", ox_node_label(n),
                           (long long)b->nelem, k);
        memcpy(op->b, b->data, (size_t)k * sizeof(float));
        op->has_bias = true;
    }
    *done = true;
    return RK_OK;
}

/* Fold BatchNormalization y = (x - mean) / sqrt(var + eps) * gamma + beta
 * into the conv's weights and bias (per output channel). */
static bool fold_bn(const ox_model *m, const cv_graph *g, const ox_node *bn, cv_op *op)
{
    const rk_tensor *ga = f32_init(m, g, bn, 1), *be = f32_init(m, g, bn, 2), *mu = f32_init(m, g, bn, 3),
                    *va = f32_init(m, g, bn, 4);
    if (!ga || !be || !mu || !va || ga->nelem != op->k || be->nelem != op->k || mu->nelem != op->k ||
        va->nelem != op->k)
        return false;
    float eps = ox_attr_float_or(bn, "epsilon", 1e-5f);
    const float *gam = ga->data, *bb = be->data, *mm = mu->data, *vv = va->data;
    for (int c = 0; c < op->k; c++) {
        if (vv[c] + eps <= 0.0f)
            return false;
        float f = gam[c] / sqrtf(vv[c] + eps);
        for (int i = 0; i < op->wpk; i++)
            op->w[(size_t)c * (size_t)op->wpk + (size_t)i] *= f;
        op->b[c] = (op->b[c] - mm[c]) * f + bb[c];
    }
    op->has_bias = true;
    return true;
}

/* Clip bounds: inputs 1/2 (opset >= 11, initializers) or attributes. */
static bool clip_bounds(const ox_model *m, const cv_graph *g, const ox_node *n, float *lo, float *hi)
{
    *lo = ox_attr_float_or(n, "min", -INFINITY);
    *hi = ox_attr_float_or(n, "max", INFINITY);
    for (int k = 1; k <= 2 && k < ox_node_num_inputs(n); k++) {
        if (!ox_node_input_name(n, k)[0])
            continue;
        const rk_tensor *t = f32_init(m, g, n, k);
        if (!t || t->nelem != 1)
            return false;
        *(k == 1 ? lo : hi) = ((const float *)t->data)[0];
    }
    return *lo <= 0.0f && *lo < *hi;
}

/* Consumers of tensor `name`: node indices into idx[0..max) (graph
 * outputs are not nodes); returns the count as n_consumers does (a graph
 * output counts 2, so it never looks like a private intermediate). */
static int list_consumers(const ox_model *m, const char *name, int *idx, int max)
{
    int cnt = 0;
    for (int i = 0; i < ox_model_num_nodes(m); i++) {
        const ox_node *n = ox_model_node(m, i);
        for (int k = 0; k < ox_node_num_inputs(n); k++)
            if (strcmp(ox_node_input_name(n, k), name) == 0) {
                if (cnt < max)
                    idx[cnt] = i;
                cnt++;
                break;
            }
    }
    for (int i = 0; i < ox_model_num_outputs(m); i++)
        if (strcmp(ox_model_output(m, i)->name, name) == 0)
            cnt += 2;
    return cnt;
}

/* Binary elementwise node n with `cur` as one operand and a float constant
 * as the other: *c the constant, *c_first whether it is input 0. */
static bool const_operand(const ox_model *m, const cv_graph *g, const ox_node *n, const char *cur,
                          const rk_tensor **c, bool *c_first)
{
    if (ox_node_num_inputs(n) != 2 || ox_node_num_outputs(n) < 1)
        return false;
    int ki = strcmp(ox_node_input_name(n, 0), cur) == 0 ? 0 : strcmp(ox_node_input_name(n, 1), cur) == 0 ? 1 : -1;
    if (ki < 0 || strcmp(ox_node_input_name(n, 0), ox_node_input_name(n, 1)) == 0)
        return false;
    *c = f32_init(m, g, n, 1 - ki);
    *c_first = ki == 1;
    return *c && (*c)->nelem >= 1;
}

/* Value of a constant broadcast over [1,k,H,W] for channel ch: a scalar
 * (one element) or a per-channel [k,1,1] / [1,k,1,1] tensor; false for
 * any other shape (ONNX aligns a [k] vector with W, not C). */
static bool channel_value(const rk_tensor *c, int k, int ch, float *v)
{
    if (c->nelem == 1) {
        *v = ((const float *)c->data)[0];
        return true;
    }
    if (c->nelem != k || c->ndim < 3 || c->ndim > 4 || c->dims[c->ndim - 3] != k)
        return false;
    *v = ((const float *)c->data)[ch];
    return true;
}

/* Mul / Div / Add / Sub of the conv output by a scalar or per-channel
 * constant (*kind '*', '/', '+', '-'; *c the constant): can it fold into
 * the weights and bias? */
static bool affine_foldable(const ox_model *m, const cv_graph *g, const ox_node *n, const char *cur, const cv_op *op,
                            char *kind, const rk_tensor **c, bool *c_first)
{
    const char *t = ox_node_op_type(n);
    float v;
    *kind = strcmp(t, "Mul") == 0 ? '*' : strcmp(t, "Div") == 0 ? '/' : strcmp(t, "Add") == 0 ? '+'
          : strcmp(t, "Sub") == 0 ? '-' : 0;
    if (op->kind != CV_CONV || !*kind || !const_operand(m, g, n, cur, c, c_first) || (*kind == '/' && *c_first))
        return false;
    for (int ch = 0; ch < op->k; ch++)
        if (!channel_value(*c, op->k, ch, &v) || !isfinite(v) || (*kind == '/' && v == 0.0f))
            return false;
    return true;
}

/* The fold itself (exact in float). */
static bool fold_affine(const ox_model *m, const cv_graph *g, const ox_node *n, const char *cur, cv_op *op)
{
    char kind;
    const rk_tensor *c;
    bool c_first;
    float v = 0;
    if (!affine_foldable(m, g, n, cur, op, &kind, &c, &c_first))
        return false;
    for (int ch = 0; ch < op->k; ch++) {
        channel_value(c, op->k, ch, &v);
        float *w = op->w + (size_t)ch * (size_t)op->wpk;
        float mul = kind == '*' ? v : kind == '/' ? 1.0f / v : kind == '-' && c_first ? -1.0f : 1.0f;
        if (mul != 1.0f) {
            for (int i = 0; i < op->wpk; i++)
                w[i] *= mul;
            op->b[ch] *= mul;
        }
        if (kind == '+')
            op->b[ch] += v;
        else if (kind == '-')
            op->b[ch] += c_first ? v : -v;
    }
    op->has_bias = true;
    return true;
}

/* A scalar Mul / Div / Add / Sub after a LUT activation: folded into the
 * table (post_mul / post_add). */
static bool fold_post_affine(const ox_model *m, const cv_graph *g, const ox_node *n, const char *cur, cv_op *op)
{
    const char *t = ox_node_op_type(n);
    const rk_tensor *c;
    bool c_first;
    if (!const_operand(m, g, n, cur, &c, &c_first) || c->nelem != 1)
        return false;
    float v = ((const float *)c->data)[0];
    cv_act *a = &op->act;
    if (!isfinite(v))
        return false;
    if (strcmp(t, "Mul") == 0) {
        a->post_mul *= v;
        a->post_add *= v;
    } else if (strcmp(t, "Div") == 0 && !c_first && v != 0.0f) {
        a->post_mul /= v;
        a->post_add /= v;
    } else if (strcmp(t, "Add") == 0) {
        a->post_add += v;
    } else if (strcmp(t, "Sub") == 0) {
        if (c_first) {
            a->post_mul = -a->post_mul;
            a->post_add = v - a->post_add;
        } else {
            a->post_add -= v;
        }
    } else {
        return false;
    }
    return true;
}

/* Can op (a Conv or Add) take activation `kind` in this program?  false
 * with the reason (a report note; the activation stays a CPU node). */
static bool act_fusable(const cv_graph *g, const cv_op *op, cv_act_kind kind, const char **why)
{
    if (op->kind != CV_CONV && op->kind != CV_ADD) {
        *why = "only a Conv or Add takes it";
        return false;
    }
    if (g->soc && g->soc->lite) {
        /* lite streams write the 12 LUT registers at RK3588's offsets, but
         * always 0, and BS_CFG / EW_CFG differ (ALU_ALGO moved to [3:2] /
         * [4:3], SEMANTICS "lite differences"): the PReLU bit and the LUT
         * fields are unconfirmed there */
        *why = "RK3566/RK3568: no lite vendor stream enables the DPU LUT or PReLU and the lite BS/EW_CFG layouts "
               "differ, so their fields are unconfirmed";
        return false;
    }
    if (kind == CV_ACT_LEAKY && op->kind == CV_CONV)
        return true; /* BN PReLU multiply, int8 and fp16 */
    for (int i = 0; i < g->n_act_fp16; i++)
        if (strcmp(g->act_fp16[i], op->name) == 0) {
            *why = "the hybrid config names this layer float16 and no float LUT is simulated";
            return false;
        }
    for (int i = 0; i < g->n_act_refused; i++)
        if (strcmp(g->act_refused[i], op->name) == 0) {
            *why = "after calibration its int8 output's channel ranges differ too much for the one per-tensor scale "
                   "a LUT output has (cv_act.c cv_act_judge); the CPU path keeps per-channel equalisation";
            return false;
        }
    if (g->dtype == RK_CONVERT_FP16) {
        *why = kind == CV_ACT_LEAKY ? "fp16 Add: the sum exists only after BN (PReLU), and the float LUT / EW "
                                      "PReLU are not simulated (SEMANTICS D-FPEW)"
                                    : "fp16 program: the DPU's float LUT is not simulated (SEMANTICS D-LUT: fp LUT "
                                      "refused)";
        return false;
    }
    return true;
}

/* Sets op->act (kind, parameters, pre-activation name) for a fusion. */
static void set_act(cv_op *op, cv_act_kind kind, float alpha, float beta, float post_mul, const char *pre)
{
    op->act.kind = kind;
    op->act.alpha = alpha;
    op->act.beta = beta;
    op->act.post_mul = post_mul;
    op->act.post_add = 0.0f;
    free(op->act.pre_name);
    op->act.pre_name = strdup(pre); /* NULL on OOM: calibration then only skips the report range */
}

/* The activation patterns with two readers of `cur`: x * f(x) with f =
 * Sigmoid (SiLU), HardSigmoid (HardSwish), or Clip(x + b, 0, c) (HardSwish
 * times c, as Paddle2ONNX writes it before its Div by 6).  Returns the
 * product's name and marks the nodes used; NULL if no pattern matches. */
static const char *match_x_times_f(const ox_model *m, const cv_graph *g, cv_op *op, const char *cur,
                                   const int *cons, bool *used, int *n_nodes, cv_act_kind *kind, float *alpha,
                                   float *beta, float *post)
{
    for (int f = 0; f < 2; f++) {
        const ox_node *fn = ox_model_node(m, cons[f]), *mu = ox_model_node(m, cons[1 - f]);
        if (strcmp(ox_node_op_type(mu), "Mul") != 0 || ox_node_num_inputs(mu) != 2 || ox_node_num_outputs(fn) < 1)
            continue;
        const char *ft = ox_node_op_type(fn);
        int chain[3] = {cons[f], -1, -1}, nc = 1;
        const char *fout = ox_node_output_name(fn, 0);
        *post = 1.0f;
        if (strcmp(ft, "Sigmoid") == 0 && ox_node_num_inputs(fn) == 1) {
            *kind = CV_ACT_SILU;
            *alpha = *beta = 0;
        } else if (strcmp(ft, "HardSigmoid") == 0 && ox_node_num_inputs(fn) == 1) {
            *kind = CV_ACT_HARDSWISH;
            *alpha = ox_attr_float_or(fn, "alpha", 0.2f);
            *beta = ox_attr_float_or(fn, "beta", 0.5f);
        } else if (strcmp(ft, "Add") == 0) {
            const rk_tensor *c;
            bool c_first;
            int cl = -1;
            float lo, hi;
            if (!const_operand(m, g, fn, cur, &c, &c_first) || c->nelem != 1 ||
                list_consumers(m, fout, &cl, 1) != 1 || strcmp(ox_node_op_type(ox_model_node(m, cl)), "Clip") != 0 ||
                !clip_bounds(m, g, ox_model_node(m, cl), &lo, &hi) || lo != 0.0f || !(hi > 0.0f) || !isfinite(hi))
                continue;
            *kind = CV_ACT_HARDSWISH;
            *alpha = 1.0f / hi;
            *beta = ((const float *)c->data)[0] / hi;
            *post = hi;
            chain[nc++] = cl;
            fout = ox_node_output_name(ox_model_node(m, cl), 0);
        } else {
            continue;
        }
        int only = -1;
        const char *mi0 = ox_node_input_name(mu, 0), *mi1 = ox_node_input_name(mu, 1);
        bool operands = (strcmp(mi0, cur) == 0 && strcmp(mi1, fout) == 0) ||
                        (strcmp(mi1, cur) == 0 && strcmp(mi0, fout) == 0);
        if (!operands || list_consumers(m, fout, &only, 1) != 1)
            continue;
        if (*kind == CV_ACT_HARDSWISH && !(*alpha > 0 && *beta > 0 && *beta < 1))
            continue;
        chain[nc++] = cons[1 - f];
        const char *why = NULL;
        if (!act_fusable(g, op, *kind, &why))
            return why; /* caller tells a reason from a name by *n_nodes == 0 */
        for (int i = 0; i < nc; i++)
            used[chain[i]] = true;
        *n_nodes = nc;
        return ox_node_output_name(mu, 0);
    }
    return NULL;
}

/* One activation after the op's (folded) output `cur`; returns the name of
 * its result (NULL: none fused). */
static const char *fuse_activation(const ox_model *m, const cv_graph *g, cv_op *op, const char *cur, bool *used,
                                   rk_convert_report *rep)
{
    if (op->relu || isfinite(op->clip_lo) || isfinite(op->clip_hi) || op->act.kind != CV_ACT_NONE)
        return NULL; /* one activation per op */
    int cons[3] = {-1, -1, -1};
    int cnt = list_consumers(m, cur, cons, 3);
    if (cnt == 2 && cons[1] >= 0) {
        cv_act_kind kind = CV_ACT_NONE;
        float alpha = 0, beta = 0, post = 1;
        int nn = 0;
        const char *r = match_x_times_f(m, g, op, cur, cons, used, &nn, &kind, &alpha, &beta, &post);
        if (r && !nn) {
            cv_note(rep, "%s after %s not fused: %s (runs on the CPU)", cv_act_name(kind), op->label, r);
            return NULL;
        }
        if (!r)
            return NULL;
        set_act(op, kind, alpha, beta, post, cur);
        cv_note(rep, "%s (%d nodes: x * f(x)) fused into %s (DPU LUT)", cv_act_name(kind), nn, op->label);
        rep->n_fused += (size_t)nn;
        return r;
    }
    if (cnt != 1)
        return NULL;
    const ox_node *n = ox_model_node(m, cons[0]);
    const char *t = ox_node_op_type(n);
    const char *out = ox_node_output_name(n, 0);
    if (strcmp(t, "Relu") == 0 || (strcmp(t, "LeakyRelu") == 0 && ox_attr_float_or(n, "alpha", 0.01f) == 0.0f)) {
        op->relu = true;
        op->clip_lo = 0.0f;
        cv_note(rep, "%s fused into %s (DPU ReLU)", ox_node_label(n), op->label);
    } else if (strcmp(t, "Clip") == 0) {
        if (!clip_bounds(m, g, n, &op->clip_lo, &op->clip_hi)) {
            op->clip_lo = -INFINITY;
            op->clip_hi = INFINITY;
            return NULL;
        }
        op->relu = op->clip_lo >= 0.0f;
        cv_note(rep, "%s [%g, %g] fused into %s (ReLU + saturation of the int8 output range)", ox_node_label(n),
                op->clip_lo, op->clip_hi, op->label);
    } else {
        cv_act_kind kind = CV_ACT_NONE;
        float alpha = 0, beta = 0;
        if (strcmp(t, "LeakyRelu") == 0) {
            kind = CV_ACT_LEAKY;
            alpha = ox_attr_float_or(n, "alpha", 0.01f);
        } else if (strcmp(t, "Sigmoid") == 0) {
            kind = CV_ACT_SIGMOID;
        } else if (strcmp(t, "Tanh") == 0) {
            kind = CV_ACT_TANH;
        } else if (strcmp(t, "HardSigmoid") == 0 || strcmp(t, "HardSwish") == 0) {
            bool hs = strcmp(t, "HardSigmoid") == 0;
            kind = hs ? CV_ACT_HARDSIGMOID : CV_ACT_HARDSWISH;
            alpha = hs ? ox_attr_float_or(n, "alpha", 0.2f) : 1.0f / 6.0f;
            beta = hs ? ox_attr_float_or(n, "beta", 0.5f) : 0.5f;
            if (!(alpha > 0 && beta > 0 && beta < 1))
                return NULL; /* breakpoints not around 0: keep it on the CPU */
        } else {
            return NULL;
        }
        if (ox_node_num_inputs(n) != 1 || !isfinite(alpha))
            return NULL;
        const char *why = NULL;
        if (!act_fusable(g, op, kind, &why)) {
            if (op->kind == CV_CONV || op->kind == CV_ADD)
                cv_note(rep, "%s after %s not fused: %s (runs on the CPU)", ox_node_label(n), op->label, why);
            return NULL;
        }
        set_act(op, kind, alpha, beta, 1.0f, cur);
        cv_note(rep, "%s fused into %s (%s)", ox_node_label(n), op->label,
                cv_act_uses_lut(op) ? "DPU LUT" : "DPU BN PReLU multiply");
    }
    used[cons[0]] = true;
    rep->n_fused++;
    return out;
}

/* Constant Mul/Div/Add/Sub after a Conv (PP-OCRv4's learnable affine
 * blocks): folded into the conv only when an activation then fuses (the
 * table or ReLU needs the affine's output).  Otherwise they stay on the CPU
 * as before: an offset folded into the bias widens the int8 range of a
 * tensor that only CPU nodes or the next conv read (PP-OCRv4 det: final
 * cosine 0.9924 -> 0.9895 when every affine was folded). */
static void fold_affine_chain(const ox_model *m, const cv_graph *g, cv_op *op, const char **cur, bool *used,
                              rk_convert_report *rep)
{
    int nodes[16], na = 0, j = -1;
    const char *end = *cur;
    char kind;
    const rk_tensor *c;
    bool c_first;
    while (na < 16 && n_consumers(m, end, &j) == 1 &&
           affine_foldable(m, g, ox_model_node(m, j), end, op, &kind, &c, &c_first)) {
        nodes[na++] = j;
        end = ox_node_output_name(ox_model_node(m, j), 0);
    }
    if (!na)
        return;
    /* dry run of the activation match on a scratch copy */
    int nn = ox_model_num_nodes(m);
    cv_op probe = *op;
    probe.act.pre_name = NULL;
    bool *scratch = malloc((size_t)nn + 1);
    rk_convert_report r2;
    memset(&r2, 0, sizeof(r2));
    if (!scratch)
        return; /* out of memory: the affine ops stay CPU nodes (only an optimisation is lost) */
    memcpy(scratch, used, (size_t)nn);
    bool fuses = fuse_activation(m, g, &probe, end, scratch, &r2) != NULL;
    free(probe.act.pre_name);
    free(scratch);
    for (size_t i = 0; !fuses && i < r2.n_notes; i++)
        cv_note(rep, "%s", r2.notes[i]); /* why the activation stays on the CPU */
    rk_convert_report_free(&r2);
    if (!fuses)
        return;
    for (int i = 0; i < na; i++) {
        const ox_node *n = ox_model_node(m, nodes[i]);
        fold_affine(m, g, n, *cur, op);
        cv_note(rep, "%s (constant operand) folded into %s's weights and bias", ox_node_label(n), op->label);
        rep->n_fused++;
        used[nodes[i]] = true;
        *cur = ox_node_output_name(n, 0);
    }
}

/* Follow the op's output through BatchNormalization and constant affine
 * ops (Conv only), one activation, and scalar affine ops after a LUT
 * activation; returns the name of the final tensor.  used[] marks fused
 * nodes. */
static const char *fuse_followers(const ox_model *m, const cv_graph *g, cv_op *op, const char *cur, bool *used,
                                  rk_convert_report *rep)
{
    for (;;) {
        int j = -1;
        if (n_consumers(m, cur, &j) != 1)
            break;
        const ox_node *n = ox_model_node(m, j);
        const char *t = ox_node_op_type(n);
        if (op->kind == CV_CONV && strcmp(t, "BatchNormalization") == 0 && ox_node_num_outputs(n) >= 1 &&
            fold_bn(m, g, n, op)) {
            cv_note(rep, "%s folded into %s", ox_node_label(n), op->label);
        } else {
            break;
        }
        rep->n_fused++;
        used[j] = true;
        cur = ox_node_output_name(n, 0);
    }
    fold_affine_chain(m, g, op, &cur, used, rep);
    const char *act = fuse_activation(m, g, op, cur, used, rep);
    if (!act)
        return cur;
    cur = act;
    for (int j = -1; cv_act_uses_lut(op) && n_consumers(m, cur, &j) == 1;) {
        const ox_node *n = ox_model_node(m, j);
        if (!fold_post_affine(m, g, n, cur, op))
            break;
        cv_note(rep, "%s (scalar) folded into %s's %s table", ox_node_label(n), op->label, cv_act_name(op->act.kind));
        rep->n_fused++;
        used[j] = true;
        cur = ox_node_output_name(n, 0);
    }
    return cur;
}

static rk_status lower_add(const ox_model *m, const ox_node *n, cv_graph *g, cv_unsup *u, bool *done,
                           rk_err *e)
{
    *done = false;
    int a = cv_find_tensor(g, ox_node_input_name(n, 0)), b = cv_find_tensor(g, ox_node_input_name(n, 1));
    if ((a >= 0 && (g->tensors[a].nd || g->tensors[a].mm)) || (b >= 0 && (g->tensors[b].nd || g->tensors[b].mm))) {
        unsupported(u, n, "an operand is not a [1,C,H,W] tensor");
        return RK_OK;
    }
    if (a < 0 || b < 0) {
        unsupported(u, n, "only Add of two activations produced by NPU ops is lowered (constant operands: next milestone)");
        return RK_OK;
    }
    if (g->dtype == RK_CONVERT_FP16 && g->soc && g->soc->lite) {
        /* the fp16 EW recipe (cv_emit_add) follows RK3588's field layout;
         * no lite fp16 Add stream has been decoded */
        unsupported(u, n, "fp16 Add is lowered for RK3588 only so far");
        return RK_OK;
    }
    const cv_tensor *ta = &g->tensors[a], *tb = &g->tensors[b];
    if (ta->c != tb->c || ta->h != tb->h || ta->w != tb->w) {
        unsupported(u, n, "broadcasting Add (%dx%dx%d + %dx%dx%d) is not lowered; only same-shape Add", ta->c, ta->h,
                    ta->w, tb->c, tb->h, tb->w);
        return RK_OK;
    }
    cv_op *op;
    rk_status st = add_op(g, n, CV_ADD, &op, e);
    if (st)
        return st;
    op->in[0] = a;
    op->in[1] = b;
    op->n_in = 2;
    *done = true;
    (void)m;
    return RK_OK;
}

static rk_status lower_pool(const ox_model *m, const ox_node *n, cv_graph *g, cv_unsup *u, bool *done,
                            rk_err *e)
{
    *done = false;
    const char *t = ox_node_op_type(n);
    bool global = strcmp(t, "GlobalAveragePool") == 0 || strcmp(t, "GlobalMaxPool") == 0;
    bool maxp = strcmp(t, "MaxPool") == 0 || strcmp(t, "GlobalMaxPool") == 0;
    int xi = cv_find_tensor(g, ox_node_input_name(n, 0));
    if (xi < 0 || g->tensors[xi].nd || g->tensors[xi].mm) {
        unsupported(u, n, "input is not a [1,C,H,W] tensor produced by an NPU or CPU node");
        return RK_OK;
    }
    const cv_tensor *x = &g->tensors[xi];
    if (ox_node_num_outputs(n) > 1 && ox_node_output_used(n, 1)) {
        unsupported(u, n, "MaxPool Indices output is not supported");
        return RK_OK;
    }
    if (!global && (attr2(n, "dilations", 0, 1) != 1 || attr2(n, "dilations", 1, 1) != 1 ||
                    ox_attr_int_or(n, "ceil_mode", 0) != 0)) {
        unsupported(u, n, "dilated or ceil_mode pooling is not lowered");
        return RK_OK;
    }
    int kh = global ? x->h : attr2(n, "kernel_shape", 0, 1), kw = global ? x->w : attr2(n, "kernel_shape", 1, 1);
    int sy = global ? 1 : attr2(n, "strides", 0, 1), sx = global ? 1 : attr2(n, "strides", 1, 1);
    if (kh > 16 || kw > 16 || sy > 16 || sx > 16) {
        /* PPU_POOLING_KERNEL_CFG KERNEL_* / STRIDE_* are 4-bit size-1
         * fields (ISA DB); a large (global) pool would need a split into
         * partial pools: not done yet */
        unsupported(u, n, "pooling kernel %dx%d / stride %dx%d exceeds the PPU's 16 (4-bit size-1 fields)", kh, kw,
                    sy, sx);
        return RK_OK;
    }
    cv_op *op;
    rk_status st = add_op(g, n, maxp ? CV_MAXPOOL : CV_AVGPOOL, &op, e);
    if (st)
        return st;
    op->in[0] = xi;
    op->n_in = 1;
    op->kh = global ? x->h : attr2(n, "kernel_shape", 0, 1);
    op->kw = global ? x->w : attr2(n, "kernel_shape", 1, 1);
    op->sy = global ? 1 : attr2(n, "strides", 0, 1);
    op->sx = global ? 1 : attr2(n, "strides", 1, 1);
    if (!global) {
        pads_for(n, 0, x->h, op->kh, op->sy, &op->pt, &op->pb);
        pads_for(n, 1, x->w, op->kw, op->sx, &op->pl, &op->pr);
    }
    op->count_include_pad = ox_attr_int_or(n, "count_include_pad", 0) != 0;
    if ((op->pt | op->pb | op->pl | op->pr) < 0 || op->sy <= 0 || op->sx <= 0 || op->kh <= 0 || op->kw <= 0)
        return rk_errf(e, RK_EINPUT, "%s: negative pads, or non-positive kernel or strides", ox_node_label(n));
    if (!maxp && !op->count_include_pad && (op->pt | op->pb | op->pl | op->pr)) {
        /* The PPU divides by the full kernel (RECIP_KERNEL_*, TRM), i.e. it
         * counts pad cells; ONNX's default excludes them. */
        g->n_ops--;
        free(op->name);
        free(op->label);
        unsupported(u, n, "padded AveragePool with count_include_pad=0: the PPU divides by the whole kernel (TRM RECIP_KERNEL_*); export with count_include_pad=1");
        return RK_OK;
    }
    *done = true;
    (void)m;
    return RK_OK;
}

/* Shape of the op's output; fails for empty outputs. */
static rk_status out_shape(const cv_graph *g, const cv_op *op, int *c, int *h, int *w, rk_err *e)
{
    const cv_tensor *x = &g->tensors[op->in[0]];
    *c = op->kind == CV_CONV || op->kind == CV_MATMUL ? op->k : x->c;
    if (op->kind == CV_ADD) {
        *h = x->h;
        *w = x->w;
    } else {
        *h = sim_asm_conv_out(x->h, op->kh, op->sy, 1, op->pt, op->pb);
        *w = sim_asm_conv_out(x->w, op->kw, op->sx, 1, op->pl, op->pr);
    }
    if (*h <= 0 || *w <= 0 || op->sy <= 0 || op->sx <= 0)
        if (op->kind != CV_ADD)
            return rk_errf(e, RK_EINPUT, "%s: output would be empty (input %dx%d, kernel %dx%d, stride %d,%d)",
                           op->label, x->h, x->w, op->kh, op->kw, op->sy, op->sx);
    return RK_OK;
}

/* The --input-shape entry for input `name` ("a=1,3,480,480;b=..."):
 * true and dims filled when present; RK_EUSAGE for a malformed entry. */
static rk_status shape_override(const char *spec, const char *name, int64_t *dims, int *nd, bool *found,
                                rk_err *e)
{
    *found = false;
    size_t nl = strlen(name);
    for (const char *p = spec; p && *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq)
            return rk_errf(e, RK_EUSAGE, "--input-shape entry '%.*s' is not NAME=D0,D1,...", (int)len, p);
        if ((size_t)(eq - p) == nl && strncmp(p, name, nl) == 0) {
            *nd = 0;
            for (const char *q = eq + 1; q < p + len;) {
                char *stop;
                long v = strtol(q, &stop, 10);
                if (stop == q || v <= 0 || v > (1 << 24) || *nd == RK_MAX_DIMS)
                    return rk_errf(e, RK_EUSAGE, "--input-shape entry '%.*s': dimensions must be positive integers",
                                   (int)len, p);
                dims[(*nd)++] = v;
                q = stop;
                if (q < p + len && *q == ',')
                    q++;
                else if (q < p + len)
                    return rk_errf(e, RK_EUSAGE, "--input-shape entry '%.*s': expected ',' after %ld", (int)len, p,
                                   v);
            }
            *found = true;
            return RK_OK;
        }
        p = end ? end + 1 : NULL;
    }
    return RK_OK;
}

static rk_status add_inputs(const ox_model *m, const rk_convert_opts *o, cv_graph *g, rk_err *e)
{
    g->inputs = calloc((size_t)ox_model_num_inputs(m) + 1, sizeof(int));
    if (!g->inputs)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    for (int i = 0; i < ox_model_num_inputs(m); i++) {
        const ox_value_info *vi = ox_model_input(m, i);
        if (ox_model_initializer(m, vi->name))
            continue; /* old-style models list initializers as inputs */
        int64_t dims[RK_MAX_DIMS];
        int nd = vi->ndim;
        bool over = false;
        memcpy(dims, vi->dims, sizeof(dims));
        rk_status st = shape_override(o->input_shapes, vi->name, dims, &nd, &over, e);
        if (st)
            return st;
        if (over && nd != vi->ndim)
            return rk_errf(e, RK_EUSAGE, "--input-shape for '%s' gives %d dims, the model declares %d", vi->name, nd,
                           vi->ndim);
        for (int k = 0; over && k < nd; k++)
            if (vi->dims[k] > 0 && vi->dims[k] != dims[k])
                return rk_errf(e, RK_EUSAGE, "--input-shape for '%s': dim %d is fixed to %lld by the model, not %lld",
                               vi->name, k, (long long)vi->dims[k], (long long)dims[k]);
        bool fixed = nd >= 1;
        int64_t ne = 1; /* <= 2^28 before each product, dims <= 2^24: no overflow */
        for (int k = 0; k < nd && fixed; k++) {
            fixed = dims[k] > 0 && dims[k] <= (1 << 24) && ne <= INT32_MAX / 8;
            ne *= fixed ? dims[k] : 1;
        }
        if (vi->dtype != RK_DT_F32 || !fixed || ne > INT32_MAX / 8)
            return rk_errf(e, RK_EUNSUPPORTED,
                           "input '%s': only float32 inputs with fixed dims (at most 2^28 elements) are converted (fix symbolic dims "
                           "with --input-shape %s=D0,D1,..., or give several shape sets with --dynamic-input)",
                           vi->name, vi->name);
        int idx;
        bool nchw = nd == 4 && dims[0] == 1 && dims[2] <= 65536 && dims[3] <= 65536;
        st = nchw ? add_tensor(g, vi->name, (int)dims[1], (int)dims[2], (int)dims[3], &idx, e)
                  : add_tensor(g, vi->name, (int)ne, 1, 1, &idx, e);
        if (st)
            return st;
        if (!nchw) {
            /* [1,T,D], [T,D], ...: stored in plain row-major layout, read by
             * CPU nodes and MatMul packing nodes only (cv_tensor.nd) */
            cv_tensor *t = &g->tensors[idx];
            t->nd = true;
            t->ndim = nd;
            memcpy(t->dims, dims, sizeof(t->dims));
        }
        g->tensors[idx].is_input = true;
        g->inputs[g->n_inputs++] = idx;
    }
    if (!g->n_inputs)
        return rk_errf(e, RK_EINPUT, "the model has no non-constant input");
    return RK_OK;
}

/* Op types this milestone can lower or fuse (when their operands allow). */
static bool lowerable_type(const char *t)
{
    static const char *const ok[] = {"Conv", "Add", "Sum", "MaxPool", "AveragePool", "GlobalAveragePool",
                                      "GlobalMaxPool", "Relu", "Clip", "BatchNormalization"};
    for (size_t i = 0; i < RK_ARRAY_LEN(ok); i++)
        if (strcmp(ok[i], t) == 0)
            return true;
    return false;
}

static bool onnxref_runs(const ox_model *m, const ox_node *n)
{
    for (int i = 0; i < ox_model_num_unsupported(m); i++)
        if (ox_model_unsupported_node(m, i) == n)
            return false;
    return true;
}

rk_status cv_push_int(int **arr, int *n, int v, rk_err *e)
{
    int *p = realloc(*arr, (size_t)(*n + 1) * sizeof(int));
    if (!p)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    p[(*n)++] = v;
    *arr = p;
    return RK_OK;
}

/*
 * CPU fallback for node n (see cv_cpu.c): joins the CPU group that is the
 * last op so far (no NPU op between them: every input it reads is then
 * available when the group runs), or starts a new group.  Its outputs must
 * be float; [1,C,H,W] ones are ordinary activations, any other shape an
 * `nd` tensor (float32, plain layout, CPU readers only).
 */
static rk_status cpu_fallback(ox_model *m, const ox_node *n, cv_graph *g, cv_unsup *u, bool *done,
                              rk_convert_report *rep, rk_err *e)
{
    *done = false;
    if (ox_node_domain(n)[0] || !onnxref_runs(m, n)) {
        unsupported(u, n, "no NPU lowering, and onnxref has no kernel for it to run it on the CPU");
        return RK_OK;
    }
    rk_status st = cv_shapes_compute(m, g, e);
    if (st)
        return st;
    int nin = ox_node_num_inputs(n), nout = ox_node_num_outputs(n);
    for (int i = 0; i < nin; i++) {
        const char *nm = ox_node_input_name(n, i);
        if (nm[0] && cv_find_tensor(g, nm) < 0 && !find_const(m, g, nm)) {
            unsupported(u, n, "input '%s' is neither an activation of the converted graph nor a constant", nm);
            return RK_OK;
        }
    }
    for (int i = 0; i < nout; i++) {
        const char *nm = ox_node_output_name(n, i);
        if (!nm[0])
            continue;
        const cv_shape *sh = cv_shape_of(g, nm);
        int64_t ne = 1;
        for (int d = 0; sh && d < sh->ndim; d++)
            ne *= sh->dims[d];
        if (!sh || sh->dtype != RK_DT_F32 || sh->ndim < 1 || ne <= 0 || ne > INT32_MAX / 8) {
            bool integral = sh && sh->dtype != RK_DT_F32;
            unsupported(u, n,
                        "CPU fallback needs non-empty float outputs (the container's CPU tensors are float32 "
                        "or quantised float); output '%s' is %s%s",
                        nm, !sh ? "never computed" : integral ? rk_dtype_name(sh->dtype) : "empty",
                        integral ? ": integer/bool tensors exist only at compile time (constant folding), this one "
                                   "depends on the input data (e.g. torch repeat_interleave with a repeats tensor "
                                   "computed from the input, or a data-dependent index); make it a constant "
                                   "before export" : "");
            return RK_OK;
        }
    }
    cv_op *op = g->n_ops ? &g->ops[g->n_ops - 1] : NULL;
    if (!op || op->kind != CV_CPU) {
        if ((st = add_op(g, n, CV_CPU, &op, e)))
            return st;
        rep->n_cpu_ops++;
    }
    const ox_node **p = realloc(op->cpu_nodes, (size_t)(op->n_cpu_nodes + 1) * sizeof(*p));
    if (!p)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    op->cpu_nodes = p;
    op->cpu_nodes[op->n_cpu_nodes++] = n;
    for (int i = 0; i < nin; i++) {
        int ti = ox_node_input_name(n, i)[0] ? cv_find_tensor(g, ox_node_input_name(n, i)) : -1;
        bool known = ti < 0;
        for (int k = 0; !known && k < op->n_in; k++)
            known = op->in[k] == ti;
        for (int k = 0; !known && k < op->n_cpu_out; k++)
            known = op->cpu_out[k] == ti;
        if (known)
            continue;
        if (op->n_in == CV_MAX_IN) {
            unsupported(u, n, "a CPU group reading more than %d activations", CV_MAX_IN);
            return RK_OK;
        }
        op->in[op->n_in++] = ti;
    }
    for (int i = 0; i < nout; i++) {
        const char *nm = ox_node_output_name(n, i);
        if (!nm[0])
            continue;
        const cv_shape *sh = cv_shape_of(g, nm);
        bool nchw = sh->ndim == 4 && sh->dims[0] == 1 && sh->dims[1] > 0 && sh->dims[2] > 0 && sh->dims[3] > 0 &&
                    sh->dims[2] <= 65536 && sh->dims[3] <= 65536;
        int64_t ne = 1;
        for (int d = 0; d < sh->ndim; d++)
            ne *= sh->dims[d];
        int idx;
        if ((st = nchw ? add_tensor(g, nm, (int)sh->dims[1], (int)sh->dims[2], (int)sh->dims[3], &idx, e)
                       : add_tensor(g, nm, (int)ne, 1, 1, &idx, e)) ||
            (st = cv_push_int(&op->cpu_out, &op->n_cpu_out, idx, e)))
            return st;
        if (!nchw) {
            cv_tensor *t = &g->tensors[idx];
            t->nd = true;
            t->ndim = sh->ndim;
            memcpy(t->dims, sh->dims, sizeof(t->dims));
        }
    }
    if (op->n_cpu_out)
        op->out = op->cpu_out[0];
    *done = true;
    return RK_OK;
}

static rk_status lower_node(ox_model *m, const rk_convert_opts *o, int i, cv_graph *g, cv_unsup *u, bool *used,
                            rk_convert_report *rep, rk_err *e)
{
    const ox_node *n = ox_model_node(m, i);
    const char *t = ox_node_op_type(n);
    bool done = false;
    rk_status st = RK_OK;
    const char *mm_out = NULL; /* MatMul/Gemm: the result after a folded bias Add */
    for (int k = 0; k < ox_node_num_inputs(n); k++)
        if (is_poisoned(u, ox_node_input_name(n, k))) {
            /* fed by an unsupported node: listed only if its own type has
             * no lowering either (so the list has every op type to fix) */
            if (lowerable_type(t) || !o->no_cpu_fallback)
                u->downstream++; /* with CPU fallback any type would run */
            else
                unsupported(u, n, "%s", hint_for(t));
            poison_outputs(u, n);
            return RK_OK;
        }
    int count0 = u->count;
    size_t len0 = u->len;
    if (ox_node_domain(n)[0])
        unsupported(u, n, "custom-domain op '%s' (domain %s): no lowering", t, ox_node_domain(n));
    else if (strcmp(t, "Conv") == 0)
        st = lower_conv(m, n, g, u, &done, e);
    else if (strcmp(t, "Add") == 0 || strcmp(t, "Sum") == 0)
        if (ox_node_num_inputs(n) == 2)
            st = lower_add(m, n, g, u, &done, e);
        else
            unsupported(u, n, "Sum of %d inputs: only two-operand Add is lowered", ox_node_num_inputs(n));
    else if (strcmp(t, "MaxPool") == 0 || strcmp(t, "AveragePool") == 0 || strcmp(t, "GlobalAveragePool") == 0 ||
             strcmp(t, "GlobalMaxPool") == 0)
        st = lower_pool(m, n, g, u, &done, e);
    else if (strcmp(t, "MatMul") == 0 || strcmp(t, "Gemm") == 0) {
        char why[384] = "";
        st = cv_matmul_lower(m, n, g, used, &done, why, sizeof(why), &mm_out, rep, e);
        if (!st && !done)
            unsupported(u, n, "%s", why);
    } else
        unsupported(u, n, "%s", hint_for(t));
    if (!st && !done && !o->no_cpu_fallback && u->count > count0) {
        /* no NPU lowering: withdraw the ledger line, run it on the CPU */
        u->count = count0;
        u->len = len0;
        if (u->text)
            u->text[len0] = '\0';
        if ((st = cpu_fallback(m, n, g, u, &done, rep, e)) || !done) {
            if (!st)
                poison_outputs(u, n);
            return st;
        }
        cv_note(rep, "%s runs on the CPU (float, onnxref kernel)", ox_node_label(n));
        return RK_OK;
    }
    if (!st && !done)
        poison_outputs(u, n);
    if (st || !done)
        return st;
    cv_op *op = &g->ops[g->n_ops - 1];
    const char *final = op->kind == CV_CONV || op->kind == CV_ADD || op->kind == CV_MATMUL
                            ? fuse_followers(m, g, op, mm_out ? mm_out : ox_node_output_name(n, 0), used, rep)
                            : ox_node_output_name(n, 0);
    int c, h, w, idx;
    if ((st = out_shape(g, op, &c, &h, &w, e)) || (st = add_tensor(g, final, c, h, w, &idx, e)))
        return st;
    g->ops[g->n_ops - 1].out = idx;
    return op->kind == CV_MATMUL ? cv_matmul_output(m, g, &g->ops[g->n_ops - 1], e) : RK_OK;
}

rk_status cv_graph_build(ox_model *m, const rk_convert_opts *o, cv_graph *g, rk_convert_report *rep, rk_err *e)
{
    const rk_hybrid_cfg *hybrid = g->hybrid;
    char **refused = g->act_refused, **as_fp16 = g->act_fp16; /* kept: the caller's rebuild request */
    int n_refused = g->n_act_refused, n_fp16 = g->n_act_fp16;
    memset(g, 0, sizeof(*g));
    g->hybrid = hybrid;
    g->act_refused = refused;
    g->n_act_refused = n_refused;
    g->act_fp16 = as_fp16;
    g->n_act_fp16 = n_fp16;
    g->soc = cv_soc_get(o->soc); /* the passes need it too (cv_matmul.c) */
    g->dtype = o->dtype;
    cv_unsup u = {0};
    int nn = ox_model_num_nodes(m);
    bool *used = calloc((size_t)nn + 1, sizeof(bool));
    rk_status st = used ? add_inputs(m, o, g, e) : rk_errf(e, RK_ENOMEM, "convert: out of memory");
    if (!st)
        st = fold_constants(m, g, used, rep, e);
    for (int i = 0; !st && i < nn; i++)
        if (!used[i])
            st = lower_node(m, o, i, g, &u, used, rep, e);

    if (!st && u.count)
        st = unsupported_error(&u, rep, e);
    if (!st)
        st = cv_matmul_graph_outputs(m, g, rep, e);
    if (!st) {
        g->outputs = calloc((size_t)ox_model_num_outputs(m) + 1, sizeof(int));
        if (!g->outputs)
            st = rk_errf(e, RK_ENOMEM, "convert: out of memory");
        for (int i = 0; !st && i < ox_model_num_outputs(m); i++) {
            int ti = cv_find_tensor(g, ox_model_output(m, i)->name);
            if (ti < 0 || g->tensors[ti].is_input)
                st = rk_errf(e, RK_EUNSUPPORTED, "output '%s' is not produced by a converted op",
                             ox_model_output(m, i)->name);
            else {
                g->tensors[ti].is_output = true;
                g->outputs[g->n_outputs++] = ti;
            }
        }
    }
    free(used);
    free(u.text);
    for (int i = 0; i < u.n_poisoned; i++)
        free(u.poisoned[i]);
    free(u.poisoned);
    if (!st && g->n_ops == 0)
        st = rk_errf(e, RK_EUNSUPPORTED, "the model has no op the NPU lowering handles");
    return st;
}
