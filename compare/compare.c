/* compare.c - the compare driver: inputs, the two runs, matching, entire and
 * single mode rows, attention breakdown (see compare.h). */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attention.h"
#include "match.h"
#include "onnxref.h"
#include "rk_tensorio.h"
#include "rknn.h"
#include "rknn_partner.h"
#include "sim.h"
#include "tensor_set.h"

void cmp_options_default(cmp_options *o)
{
    memset(o, 0, sizeof *o);
    o->single = true;
    o->single_max_layers = 64;
    o->attention = true;
    o->threads = 1;
}

/* Everything one comparison holds; freed by ctx_free. */
typedef struct ctx {
    const cmp_options *opt;
    ox_model *ox;
    rknn_model *rk;
    rk_tensor_list given;   /* tensors read from the input files */
    rk_tensor *onnx_in;     /* per ONNX input: the float tensor fed to onnxref */
    const rk_tensor **raw_in; /* per ONNX input: the tensor as given (fed to sim) */
    int n_in;
    cmp_tensor_set ref;     /* every ONNX tensor of the reference run */
    cmp_tensor_set test;    /* every simulated layer output (entire mode) */
    cmp_match *match;
    int n_match;
    rknn_partner_table partners; /* derived tensors' ONNX partners (rksim-converted files) */
} ctx;

static void ctx_free(ctx *c)
{
    if (c->onnx_in)
        for (int i = 0; i < c->n_in; i++)
            rk_tensor_free(&c->onnx_in[i]);
    free(c->onnx_in);
    free(c->raw_in);
    rk_tensor_list_free(&c->given);
    cmp_set_free(&c->ref);
    cmp_set_free(&c->test);
    free(c->match);
    rknn_partner_table_free(&c->partners);
    if (c->ox)
        ox_model_free(c->ox);
    if (c->rk)
        rknn_free(c->rk);
}

static const rknn_graph *graph(const ctx *c)
{
    return &c->rk->graphs[0];
}

/* ---- inputs ------------------------------------------------------------ */

/* NHWC -> NCHW for a rank-4 tensor, in place (new storage). */
static rk_status to_nchw(rk_tensor *t, rk_err *e)
{
    if (t->ndim != 4)
        return rk_errf(e, RK_EUSAGE, "--nhwc: input '%s' has rank %d, not 4",
                       t->name ? t->name : "unnamed", t->ndim);
    int64_t N = t->dims[0], H = t->dims[1], W = t->dims[2], C = t->dims[3];
    int64_t dims[4] = {N, C, H, W};
    rk_tensor o = {0};
    rk_status st = rk_tensor_alloc(&o, t->name, t->dtype, 4, dims, e);
    if (st)
        return st;
    size_t es = rk_dtype_size(t->dtype);
    const uint8_t *src = t->data;
    uint8_t *dst = o.data;
    for (int64_t n = 0; n < N; n++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t w = 0; w < W; w++)
                for (int64_t ch = 0; ch < C; ch++)
                    memcpy(dst + (size_t)(((n * C + ch) * H + h) * W + w) * es,
                           src + (size_t)(((n * H + h) * W + w) * C + ch) * es, es);
    rk_tensor_free(t);
    *t = o;
    return RK_OK;
}

static rk_status read_inputs(ctx *c, const char *const *paths, int n, rk_err *e)
{
    for (int i = 0; i < n; i++) {
        rk_status st = rk_tensorfile_read(paths[i], &c->given, e);
        if (st)
            return st;
    }
    for (int i = 0; c->opt->nhwc_inputs && i < c->given.count; i++) {
        rk_status st = to_nchw(&c->given.items[i], e);
        if (st)
            return st;
    }
    return RK_OK;
}

/* The given tensor for ONNX input i: by name, else the next unnamed one. */
static const rk_tensor *pick_input(ctx *c, int i, bool *used)
{
    const char *name = ox_model_input(c->ox, i)->name;
    for (int k = 0; k < c->given.count; k++)
        if (!used[k] && c->given.items[k].name && strcmp(c->given.items[k].name, name) == 0) {
            used[k] = true;
            return &c->given.items[k];
        }
    for (int k = 0; k < c->given.count; k++)
        if (!used[k] && (!c->given.items[k].name || !ox_model_value_info(c->ox, c->given.items[k].name))) {
            used[k] = true;
            return &c->given.items[k];
        }
    return NULL;
}

/* The InputOperator's channel order and (x - mean[c]) / std[c] along axis
 * 1 of 4-D inputs, a uniform mean/std on other ranks (input_prep.c), so that
 * the ONNX side sees what the model's first layer sees.  Inputs that are not
 * float are left alone. */
static rk_status preprocess(ctx *c, const char *name, rk_tensor *t, rk_err *e)
{
    const rknn_graph *g = graph(c);
    for (uint32_t j = 0; j < g->n_inputs; j++) {
        if (strcmp(g->tensors[g->inputs[j]].name, name) != 0)
            continue;
        if (t->dtype != RK_DT_F32 || t->ndim < 1)
            return RK_OK;
        rknn_input_prep p;
        rknn_input_prep_of(c->rk, g, j, &p);
        return rknn_input_prep_apply_shape(&p, name, t->data, t->ndim, t->dims, e);
    }
    return RK_OK;
}

static rk_status prepare_inputs(ctx *c, rk_err *e)
{
    c->n_in = ox_model_num_inputs(c->ox);
    c->onnx_in = rk_calloc_array((size_t)(c->n_in ? c->n_in : 1), sizeof *c->onnx_in);
    c->raw_in = rk_calloc_array((size_t)(c->n_in ? c->n_in : 1), sizeof *c->raw_in);
    bool *used = rk_calloc_array((size_t)(c->given.count ? c->given.count : 1), sizeof *used);
    rk_status st = RK_OK;
    if (!c->onnx_in || !c->raw_in || !used) {
        free(used);
        return rk_errf(e, RK_ENOMEM, "out of memory");
    }
    for (int i = 0; i < c->n_in && st == RK_OK; i++) {
        const ox_value_info *vi = ox_model_input(c->ox, i);
        const rk_tensor *t = pick_input(c, i, used);
        if (!t) {
            st = rk_errf(e, RK_EUSAGE,
                         "no input tensor for ONNX input '%s' (%d given for %d inputs; name HDF5 "
                         "datasets after the inputs or give one .npy per input in order)",
                         vi->name, c->given.count, c->n_in);
            break;
        }
        c->raw_in[i] = t;
        if (vi->dtype == RK_DT_F32 || vi->dtype == RK_DT_UNDEF)
            st = rk_tensor_to_f32(&c->onnx_in[i], t, e);
        else
            st = rk_tensor_copy(&c->onnx_in[i], t, e);
        if (st == RK_OK && rk_tensor_set_name(&c->onnx_in[i], vi->name) != RK_OK)
            st = rk_errf(e, RK_ENOMEM, "out of memory");
        if (st == RK_OK)
            st = preprocess(c, vi->name, &c->onnx_in[i], e);
    }
    for (int k = 0; st == RK_OK && k < c->given.count; k++)
        if (!used[k])
            st = rk_errf(e, RK_EUSAGE, "input tensor %d ('%s') matches no ONNX input", k,
                         c->given.items[k].name ? c->given.items[k].name : "unnamed");
    free(used);
    return st;
}

/* ---- the simulator ----------------------------------------------------- */

static rk_status sim_new_with_inputs(ctx *c, sim **out, sim_options *so, rk_err *e)
{
    rk_status st = sim_create(c->rk, so, out, e);
    if (st)
        return st;
    for (int j = 0; j < sim_n_inputs(*out) && st == RK_OK; j++) {
        const rknn_tensor *t = sim_input_tensor(*out, j);
        int found = -1;
        for (int i = 0; i < c->n_in && found < 0; i++)
            if (t && strcmp(ox_model_input(c->ox, i)->name, t->name) == 0)
                found = i;
        if (found < 0)
            found = j < c->n_in ? j : -1;
        if (found < 0) {
            st = rk_errf(e, RK_EINPUT, ".rknn input '%s' has no ONNX counterpart",
                         t ? t->name : "?");
            break;
        }
        st = sim_set_input(*out, j, c->raw_in[found], false, e);
    }
    if (st) {
        sim_destroy(*out);
        *out = NULL;
    }
    return st;
}

static rk_status keep_layers(sim *s, cmp_tensor_set *set, rk_err *e)
{
    rk_tensor_list l = {0};
    rk_status st = sim_layers(s, &l, e);
    for (int i = 0; st == RK_OK && i < l.count; i++)
        st = cmp_set_take(set, l.items[i].name, &l.items[i], e);
    rk_tensor_list_free(&l);
    return st;
}

static rk_status run_entire(ctx *c, rk_err *e)
{
    sim_options so = {.keep_layers = true, .lenient = c->opt->lenient};
    sim *s = NULL;
    rk_status st = sim_new_with_inputs(c, &s, &so, e);
    if (st == RK_OK)
        st = sim_run(s, e);
    if (st == RK_OK)
        st = keep_layers(s, &c->test, e);
    sim_destroy(s);
    return st;
}

/* ---- single mode ---------------------------------------------------------- */

/* One input tensor of the layer under test, in the tensor's native bytes. */
typedef struct packed {
    int32_t tensor;
    uint8_t *bytes;
    size_t len;
} packed;

typedef struct single_hook {
    sim *s;
    const char *layer;
    bool started;
    packed *in;
    int nin;
    rk_status st;
    rk_err err;
} single_hook;

/* Before-task hook: just before the first task of the layer under test,
 * put its reference inputs into DRAM.  Not earlier: before their producers
 * ran, the inputs' pool bytes may belong to other live tensors (the pool is
 * reused), and a CPU node or task producing them would overwrite them; at
 * this moment they are live and nothing else writes them until the layer
 * has read them. */
static void single_before_task(void *user, size_t task, const char *layer)
{
    (void)task;
    single_hook *h = user;
    if (h->started || h->st || !layer || strcmp(layer, h->layer) != 0)
        return;
    h->started = true;
    for (int i = 0; i < h->nin && !h->st; i++)
        h->st = sim_tensor_write(h->s, h->in[i].tensor, h->in[i].bytes, h->in[i].len, &h->err);
}

static const cmp_match *match_for_tensor(const ctx *c, int32_t ti)
{
    for (int i = 0; i < c->n_match; i++)
        if (c->match[i].tensor == ti)
            return &c->match[i];
    return NULL;
}

static const char *match_onnx_for_tensor(const ctx *c, int32_t ti)
{
    const cmp_match *m = match_for_tensor(c, ti);
    return m ? m->onnx_tensor : NULL;
}

/* The reference `ref` (float32, the ONNX tensor) in the derived form that
 * .rknn tensor t stores (partner record p): in place, shaped as t. */
static rk_status to_derived(const rknn_partner *p, const rknn_tensor *t, rk_tensor *ref, rk_err *e)
{
    int64_t *src = NULL, n = 0;
    float *fac = NULL;
    int64_t dims[RK_MAX_DIMS];
    if (t->n_shape < 1 || t->n_shape > RK_MAX_DIMS)
        return rk_errf(e, RK_EINPUT, "tensor '%s': rank %u", t->name, t->n_shape);
    rk_status st = rknn_partner_map(p, t, ref->nelem, &src, &fac, &n, e);
    rk_tensor d = {0};
    for (uint32_t k = 0; k < t->n_shape; k++)
        dims[k] = t->shape[k];
    if (st == RK_OK)
        st = rk_tensor_alloc(&d, t->name, RK_DT_F32, (int)t->n_shape, dims, e);
    if (st == RK_OK) {
        const float *x = ref->data;
        float *y = d.data;
        for (int64_t j = 0; j < n; j++)
            y[j] = src[j] < 0 ? 0.0f : x[src[j]] / fac[j];
        rk_tensor_free(ref);
        *ref = d;
    }
    free(src);
    free(fac);
    return st;
}

static bool unique_layer_name(const ctx *c, uint32_t ni)
{
    const rknn_graph *g = graph(c);
    const char *name = g->nodes[ni].name;
    if (!name || !name[0])
        return false;
    for (uint32_t k = 0; k < g->n_nodes; k++)
        if (k != ni && g->nodes[k].name && strcmp(g->nodes[k].name, name) == 0)
            return false;
    return true;
}

/* Pack every internal activation input of node ni from the reference. */
static rk_status pack_inputs(ctx *c, uint32_t ni, packed **out, int *n, rk_err *e)
{
    const rknn_graph *g = graph(c);
    const rknn_node *node = &g->nodes[ni];
    *out = rk_calloc_array(node->n_inputs ? node->n_inputs : 1, sizeof **out);
    *n = 0;
    if (!*out)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    for (uint32_t k = 0; k < node->n_inputs; k++) {
        int32_t ti = node->inputs[k];
        if (ti < 0 || (uint32_t)ti >= g->n_tensors)
            continue;
        const rknn_tensor *t = &g->tensors[ti];
        /* Graph inputs already hold the reference's own input (both runs
         * are fed the same data), in the encoding the InputOperator chose
         * (RK3566 reads image inputs in its own format): left alone. */
        if (t->kind != RKNN_KIND_INTERNAL && t->kind != RKNN_KIND_OUTPUT)
            continue;
        const char *on = match_onnx_for_tensor(c, ti);
        const rk_tensor *ref = on ? cmp_set_get(&c->ref, on) : NULL;
        if (!ref)
            return rk_errf(e, RK_EUNSUPPORTED, "input '%s' has no reference tensor", t->name);
        const cmp_match *m = match_for_tensor(c, ti);
        rk_tensor f = {0};
        rk_status st = rk_tensor_to_f32(&f, ref, e);
        if (st == RK_OK && m && m->partner >= 0)
            st = to_derived(&c->partners.v[m->partner], t, &f, e);
        if (st == RK_OK)
            st = cmp_pack_native(t, &f, &(*out)[*n].bytes, &(*out)[*n].len, e);
        rk_tensor_free(&f);
        (*out)[*n].tensor = ti;
        (*n)++;
        if (st)
            return st;
    }
    return RK_OK;
}

/* Simulate node ni alone on reference inputs; its outputs go into *outs. */
static rk_status run_single(ctx *c, uint32_t ni, cmp_tensor_set *outs, rk_err *e)
{
    packed *in = NULL;
    int nin = 0;
    single_hook h = {.layer = graph(c)->nodes[ni].name};
    sim_options so = {.keep_layers = true, .lenient = c->opt->lenient,
                      .before_task = single_before_task, .progress_user = &h};
    sim *s = NULL;
    rk_status st = pack_inputs(c, ni, &in, &nin, e);
    if (st == RK_OK)
        st = sim_new_with_inputs(c, &s, &so, e);
    if (st == RK_OK) {
        h.s = s;
        h.in = in;
        h.nin = nin;
        st = sim_run(s, e);
        if (st == RK_OK && h.st) {
            st = h.st;
            *e = h.err;
        }
        if (st == RK_OK && !h.started)
            st = rk_errf(e, RK_EINTERNAL, "layer '%s' never ran", h.layer);
    }
    if (st == RK_OK)
        st = keep_layers(s, outs, e);
    sim_destroy(s);
    for (int i = 0; i < nin; i++)
        free(in[i].bytes);
    free(in);
    return st;
}

/* ---- rows ---------------------------------------------------------------- */

static bool class_scores(const rk_tensor *t)
{
    int big = 0;
    for (int i = 0; i < t->ndim; i++)
        big += t->dims[i] > 1;
    return big == 1 && t->nelem >= 2 && t->nelem <= 100000;
}

/* What a partner row compares, for its note. */
static void partner_note(const rknn_partner *p, bool whole, char *note, size_t note_len)
{
    switch (p->kind) {
    case RKNN_PARTNER_EQ:
        snprintf(note, note_len, "stored channel-equalised (x / f[c]): compared after undoing the factors");
        break;
    case RKNN_PARTNER_MM:
        if (whole)
            snprintf(note, note_len, "MatMul %s as a [1,%lld,H,W] pixel grid: unpacked to the ONNX tensor",
                     p->trans ? "operand (transposed)" : "matrix", (long long)p->cols);
        else
            snprintf(note, note_len, "MatMul pixel grid: matrix %lld of %lld of the ONNX tensor",
                     (long long)p->batch, (long long)p->nbatch);
        break;
    case RKNN_PARTNER_MMW:
        snprintf(note, note_len, "runtime MatMul weights in the CNA layout: matrix %lld of %lld, transposed",
                 (long long)p->batch, (long long)p->nbatch);
        break;
    default:
        snprintf(note, note_len, "a dtype conversion of the ONNX tensor (hybrid)");
        break;
    }
}

/* Metrics of a derived tensor (partner record p): the simulated values are
 * brought back to the ONNX elements they stand for (undo the equalisation
 * factors, drop padding pixels, unpack), the reference is read at the same
 * elements; saturation is judged on the stored values. */
static rk_status measure_partner(const ctx *c, const cmp_match *m, const rk_tensor *ref,
                                 const rk_tensor *test, cmp_row *row, bool single, char *note,
                                 size_t note_len, rk_err *e)
{
    const rknn_partner *p = &c->partners.v[m->partner];
    const rknn_tensor *t = &graph(c)->tensors[m->tensor];
    int64_t *src = NULL, n = 0, k = 0;
    float *fac = NULL, *buf = NULL;
    rk_tensor fr = {0}, ft = {0};
    rk_status st = rk_tensor_to_f32(&fr, ref, e);
    if (st == RK_OK)
        st = rk_tensor_to_f32(&ft, test, e);
    if (st == RK_OK)
        st = rknn_partner_map(p, t, fr.nelem, &src, &fac, &n, e);
    if (st == RK_OK && ft.nelem != n)
        st = rk_errf(e, RK_EINPUT, "simulated '%s' has %lld values, its shape %lld", t->name,
                     (long long)ft.nelem, (long long)n);
    if (st == RK_EINPUT) { /* a record that does not fit: reported, not fatal */
        snprintf(note, note_len, "%s", e->msg);
        st = RK_OK;
        goto out;
    }
    if (st == RK_OK && !(buf = rk_malloc_array((size_t)(n ? n : 1), 4 * sizeof(float))))
        st = rk_errf(e, RK_ENOMEM, "out of memory");
    if (st)
        goto out;
    float *r = buf, *x = buf + n, *rs = buf + 2 * n, *xs = buf + 3 * n;
    const float *rv = fr.data, *tv = ft.data;
    for (int64_t j = 0; j < n; j++) {
        if (src[j] < 0)
            continue;
        r[k] = rv[src[j]];
        x[k] = tv[j] * fac[j];
        rs[k] = rv[src[j]] / fac[j];
        xs[k] = tv[j];
        k++;
    }
    cmp_metrics_compute(r, x, k, single ? &row->single : &row->entire);
    if (single) {
        row->has_single = true;
        goto out;
    }
    row->has_entire = true;
    partner_note(p, k == fr.nelem, note, note_len);
    if (k == fr.nelem) {
        row->ndim = fr.ndim;
        memcpy(row->dims, fr.dims, sizeof row->dims);
    } else {
        row->ndim = 1;
        row->dims[0] = k;
    }
    if (t->dtype == RK_DT_I8 && t->quant.n_scale == 1 && t->quant.n_zero_point == 1) {
        cmp_saturation_int8(rs, xs, k, t->quant.scale[0], t->quant.zero_point[0], &row->sat);
        row->has_sat = row->sat.valid;
    }
out:
    free(src);
    free(fac);
    free(buf);
    rk_tensor_free(&fr);
    rk_tensor_free(&ft);
    return st;
}

/* Metrics of `test` against the reference of match m (mode entire/single). */
static rk_status measure(const ctx *c, const cmp_match *m, const rk_tensor *test, cmp_row *row,
                         bool single, char *note, size_t note_len, rk_err *e)
{
    const rk_tensor *ref = cmp_set_get(&c->ref, m->onnx_tensor);
    if (!ref) {
        snprintf(note, note_len, "onnxref produced no tensor '%s'", m->onnx_tensor);
        return RK_OK;
    }
    if (m->partner >= 0)
        return measure_partner(c, m, ref, test, row, single, note, note_len, e);
    rk_tensor fr = {0}, ft = {0};
    rk_status st = rk_tensor_to_f32(&fr, ref, e);
    if (st == RK_OK)
        st = cmp_align(&fr, test, &ft, note, note_len, e);
    if (st == RK_EINPUT) {
        snprintf(note, note_len, "%s", e->msg);
        st = RK_OK;
        goto out;
    }
    if (st)
        goto out;
    cmp_metrics_compute(fr.data, ft.data, fr.nelem, single ? &row->single : &row->entire);
    if (single) {
        row->has_single = true;
        goto out;
    }
    row->has_entire = true;
    row->ndim = fr.ndim;
    memcpy(row->dims, fr.dims, sizeof row->dims);
    const rknn_tensor *t = &graph(c)->tensors[m->tensor];
    if (t->dtype == RK_DT_I8 && t->quant.n_scale == 1 && t->quant.n_zero_point == 1) {
        cmp_saturation_int8(fr.data, ft.data, fr.nelem, t->quant.scale[0], t->quant.zero_point[0],
                            &row->sat);
        row->has_sat = row->sat.valid;
    }
    if (m->is_output && class_scores(&fr)) {
        cmp_topk_compute(fr.data, ft.data, fr.nelem, &row->topk);
        row->has_topk = row->topk.valid;
    }
out:
    rk_tensor_free(&fr);
    rk_tensor_free(&ft);
    return st;
}

static rk_status add_rows(ctx *c, cmp_report *r, rk_err *e)
{
    const rknn_graph *g = graph(c);
    int depth = 0;
    for (int i = 0; i < c->n_match; i++) {
        const cmp_match *m = &c->match[i];
        const rknn_node *node = &g->nodes[m->node];
        const rknn_tensor *t = &g->tensors[m->tensor];
        if (!m->onnx_tensor) {
            rk_status st = cmp_report_add_unmatched(r, 'r', node->name, node->type, m->reason, e);
            if (st)
                return st;
            continue;
        }
        cmp_row row = {0};
        char note[RK_ERR_MAX + 128] = "";
        row.layer = node->name && node->name[0] ? node->name : t->name;
        row.op_type = node->type;
        row.tensor = t->name;
        row.onnx_tensor = (char *)m->onnx_tensor;
        row.onnx_ops = m->onnx_ops[0] ? (char *)m->onnx_ops : NULL;
        row.is_input = m->is_input;
        row.is_output = m->is_output;
        row.is_cpu = !m->is_input && !m->npu;
        row.depth = depth++;
        const rk_tensor *test = cmp_set_get(&c->test, t->name);
        rk_status st = RK_OK;
        if (!test)
            snprintf(note, sizeof note, "the simulator produced no tensor '%s'", t->name);
        else
            st = measure(c, m, test, &row, false, note, sizeof note, e);
        if (st)
            return st;
        if (row.is_input && row.has_entire) {
            row.single = row.entire; /* an input layer alone is the same run */
            row.has_single = true;
        }
        row.note = note[0] ? note : NULL;
        if ((st = cmp_report_add_row(r, &row, e)))
            return st;
    }
    return RK_OK;
}

/* An NPU layer worth a single-mode run.  OutputOperator nodes may own NPU
 * tasks (RK3566 converts the output layout on the NPU) but compute nothing
 * new, so they are not layers. */
static bool npu_layer(const rknn_node *n)
{
    return n->task_count > 0 && strcmp(n->type, "OutputOperator") != 0;
}

static int count_npu_nodes(const ctx *c)
{
    int n = 0;
    for (uint32_t i = 0; i < graph(c)->n_nodes; i++)
        n += npu_layer(&graph(c)->nodes[i]);
    return n;
}

/* The report row of .rknn tensor ti (rows are in match order). */
static cmp_row *row_for(cmp_report *r, const char *tensor)
{
    for (int i = 0; i < r->nrows; i++)
        if (strcmp(r->rows[i].tensor, tensor) == 0)
            return &r->rows[i];
    return NULL;
}

static rk_status append_note(cmp_row *row, const char *text)
{
    size_t a = row->note ? strlen(row->note) : 0, b = strlen(text);
    char *p = realloc(row->note, a + b + 3);
    if (!p)
        return RK_ENOMEM;
    if (a)
        memcpy(p + a, "; ", 3);
    else
        p[0] = '\0';
    strcat(p, text);
    row->note = p;
    return RK_OK;
}

static rk_status single_mode(ctx *c, cmp_report *r, rk_err *e)
{
    const rknn_graph *g = graph(c);
    int npu = count_npu_nodes(c), failed = 0;
    char msg[600];
    if (!c->opt->single)
        return cmp_report_set_single_note(r, "single mode not requested (--no-single)", e);
    if (npu > c->opt->single_max_layers) {
        snprintf(msg, sizeof msg, "single mode skipped: %d NPU layers > limit %d (one simulator run "
                 "per layer; raise --single-max)", npu, c->opt->single_max_layers);
        return cmp_report_set_single_note(r, msg, e);
    }
    for (uint32_t ni = 0; ni < g->n_nodes; ni++) {
        const rknn_node *node = &g->nodes[ni];
        if (strcmp(node->type, "OutputOperator") == 0)
            continue;
        if (!npu_layer(node)) {
            /* CPU layers (Reshape, custom ops...) are not NPU layers: say so */
            for (uint32_t k = 0; k < node->n_outputs; k++) {
                int32_t ti = node->outputs[k];
                cmp_row *row = ti >= 0 && (uint32_t)ti < g->n_tensors ? row_for(r, g->tensors[ti].name)
                                                                       : NULL;
                if (row && !row->is_input &&
                    append_note(row, "CPU layer: single mode covers NPU layers only") != RK_OK)
                    return rk_errf(e, RK_ENOMEM, "out of memory");
            }
            continue;
        }
        cmp_tensor_set outs = {0};
        rk_err se = {0};
        rk_status st = unique_layer_name(c, ni)
                           ? run_single(c, ni, &outs, &se)
                           : rk_errf(&se, RK_EUNSUPPORTED, "layer name is empty or not unique");
        for (uint32_t k = 0; k < node->n_outputs; k++) {
            int32_t ti = node->outputs[k];
            const char *tn = ti >= 0 && (uint32_t)ti < g->n_tensors ? g->tensors[ti].name : NULL;
            cmp_row *row = tn ? row_for(r, tn) : NULL;
            if (!row)
                continue;
            const cmp_match *m = NULL;
            for (int i = 0; i < c->n_match && !m; i++)
                if (c->match[i].tensor == ti)
                    m = &c->match[i];
            char note[RK_ERR_MAX + 128] = "";
            const rk_tensor *test = st == RK_OK ? cmp_set_get(&outs, tn) : NULL;
            if (st) {
                snprintf(note, sizeof note, "single mode unavailable: %s", se.msg);
                failed++;
            } else if (!test) {
                snprintf(note, sizeof note, "single mode: no output '%s' captured", tn);
            } else if (m && (st = measure(c, m, test, row, true, note, sizeof note, e))) {
                cmp_set_free(&outs);
                return st;
            }
            if (note[0] && append_note(row, note) != RK_OK) {
                cmp_set_free(&outs);
                return rk_errf(e, RK_ENOMEM, "out of memory");
            }
        }
        cmp_set_free(&outs);
    }
    if (failed) {
        snprintf(msg, sizeof msg, "single mode missing for %d layer output%s (see notes)", failed,
                 failed == 1 ? "" : "s");
        return cmp_report_set_single_note(r, msg, e);
    }
    return RK_OK;
}

/* ---- attention ----------------------------------------------------------- */

static bool rknn_qparams(void *user, const char *name, float *scale, int32_t *zp)
{
    const rknn_model *rk = user;
    int32_t ti = rknn_find_tensor(rk, name);
    if (ti < 0)
        return false;
    const rknn_tensor *t = &rk->graphs[0].tensors[ti];
    if (t->dtype != RK_DT_I8 || t->quant.n_scale != 1 || t->quant.n_zero_point != 1)
        return false;
    *scale = t->quant.scale[0];
    *zp = t->quant.zero_point[0];
    return true;
}

static rk_status attention(ctx *c, cmp_report *r, rk_err *e)
{
    cmp_attn_block *blocks = NULL;
    int n = 0;
    rk_status st = cmp_attn_detect(c->ox, &blocks, &n, e);
    cmp_attn_sources src = {.ref = cmp_set_lookup, .ref_user = &c->ref,
                            .test = cmp_set_lookup, .test_user = &c->test,
                            .qparams = rknn_qparams, .q_user = c->rk};
    for (int i = 0; st == RK_OK && i < n; i++) {
        cmp_attn_report a;
        st = cmp_attn_analyse(&blocks[i], &src, &a, e);
        if (st == RK_OK)
            st = cmp_report_add_attn(r, &a, e);
        if (st)
            cmp_attn_report_free(&a);
    }
    free(blocks);
    return st;
}

/* ---- driver -------------------------------------------------------------- */

/* The report names every input file, comma-separated. */
static rk_status set_paths(cmp_report *r, const char *onnx, const char *rknn,
                           const char *const *inputs, int n, const char *soc, rk_err *e)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(inputs[i]) + 2;
    char *joined = malloc(len);
    if (!joined)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    joined[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(joined, ", ");
        strcat(joined, inputs[i]);
    }
    rk_status st = cmp_report_set_paths(r, onnx, rknn, joined, soc, e);
    free(joined);
    return st;
}

rk_status cmp_run(const char *onnx_path, const char *rknn_path, const char *const *input_paths,
                  int n_inputs, const cmp_options *o, cmp_report *r, rk_err *e)
{
    cmp_options dflt;
    if (!o) {
        cmp_options_default(&dflt);
        o = &dflt;
    }
    ctx c = {.opt = o};
    char what[600] = "";
    rk_status st;
    if ((st = ox_model_load_file(onnx_path, &c.ox, e)))
        goto out;
    if ((st = ox_model_check_supported(c.ox, e)))
        goto out;
    if ((st = rknn_load_file(rknn_path, &c.rk, e)))
        goto out;
    if (c.rk->n_graphs < 1) {
        st = rk_errf(e, RK_EINPUT, "%s: no graph", rknn_path);
        goto out;
    }
    if ((st = set_paths(r, onnx_path, rknn_path, input_paths, n_inputs, c.rk->soc, e)))
        goto out;
    /* dynamic models: the inputs' shapes pick the set (already NCHW here) */
    if ((st = read_inputs(&c, input_paths, n_inputs, e)) ||
        (st = rknn_select_shape_set(c.rk, c.given.items, c.given.count, false, NULL, e)) ||
        (st = prepare_inputs(&c, e)))
        goto out;
    snprintf(what, sizeof what, "running %s in onnxref", onnx_path);
    if ((st = cmp_onnx_run_capture(c.ox, c.onnx_in, c.n_in, &c.ref, e)))
        goto out;
    snprintf(what, sizeof what, "simulating %s", rknn_path);
    if ((st = run_entire(&c, e)))
        goto out;
    what[0] = '\0';
    if ((st = rknn_partners_read(c.rk, &c.partners, e)) ||
        (st = cmp_match_layers(c.rk, c.ox, &c.match, &c.n_match, r, e)))
        goto out;
    if ((st = add_rows(&c, r, e)))
        goto out;
    snprintf(what, sizeof what, "single mode on %s", rknn_path);
    if ((st = single_mode(&c, r, e)))
        goto out;
    what[0] = '\0';
    if (o->attention && (st = attention(&c, r, e)))
        goto out;
    cmp_report_check(r);
out:
    if (st && what[0])
        rk_err_wrap(e, "%s", what);
    ctx_free(&c);
    return st;
}
