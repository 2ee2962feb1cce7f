/*
 * cv_hybrid.c - hybrid quantisation: an int8 program in which the layers
 * named by an rknn-toolkit2 quantization config run in float16.
 *
 * The config (rknn-toolkit2 User Guide §6.3.2, summarised in
 * ../shared/reference/rknn-format.md §6; `hybrid_quantization_step1` writes
 * it as <model>.quantization.cfg, `rksim compare --hybrid-cfg` writes the
 * same shape):
 *
 *     custom_quantize_layers:
 *         Conv__350:0: float16
 *     quantize_parameters:
 *         ...            (ignored here: rksim calibrates itself)
 *
 * Keys are the output tensor names of the layers; the values the toolkit
 * accepts are 'int8', 'int16', 'float16' (step1 tip text).  We read a YAML
 * subset: block mappings, `{}` / one-line flow mappings, plain, 'single'
 * and "double" quoted keys, comments.  float16 moves the layer to fp16,
 * int8 keeps it (the default), int16 is refused (no int16 lowering).
 *
 * Boundaries (see convert/README.md "Hybrid quantisation" for why): where
 * an int8 op reads an fp16 tensor or the other way round, a conversion CPU
 * node (ONNX Identity, run by the simulator's CPU fallback: dequantise the
 * input with its own dtype, quantise the output to its own dtype) is
 * inserted before the reader; one conversion per tensor and direction,
 * shared by all readers.  CPU groups read either dtype directly.  The
 * mechanism only looks at "NPU op or CPU group", never at op types, so ops
 * that move from the CPU to the NPU (MatMul lowering) take part unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_internal.h"
#include "onnx.pb-c.h"

/* ------------------------------------------------------------ YAML subset */

void rk_hybrid_cfg_free(rk_hybrid_cfg *cfg)
{
    if (!cfg)
        return;
    for (int i = 0; i < cfg->n_layers; i++)
        free(cfg->layers[i]);
    free(cfg->layers);
    memset(cfg, 0, sizeof(*cfg));
}

typedef struct yaml_line {
    const char *what;
    int lineno;
} yaml_line;

/* One scalar (key or value) starting at *p, up to `stop` (':' for keys:
 * a colon followed by space or end; ',' / '}' too inside flow mappings).
 * Writes the unquoted text into out (cap bytes). */
static rk_status yaml_scalar(const char **p, const char *end, bool key, bool flow, char *out, size_t cap,
                             const yaml_line *L, rk_err *e)
{
    const char *s = *p;
    size_t n = 0;
    while (s < end && (*s == ' '))
        s++;
    if (s < end && (*s == '\'' || *s == '"')) {
        char q = *s++;
        for (;;) {
            if (s >= end)
                return rk_errf(e, RK_EINPUT, "%s:%d: unterminated %s-quoted string", L->what, L->lineno,
                               q == '\'' ? "single" : "double");
            char c = *s++;
            if (c == q) {
                if (q == '\'' && s < end && *s == '\'') {
                    s++; /* '' inside single quotes is one quote */
                } else {
                    break;
                }
            } else if (q == '"' && c == '\\') {
                if (s >= end)
                    return rk_errf(e, RK_EINPUT, "%s:%d: unterminated escape", L->what, L->lineno);
                c = *s++;
                if (c != '"' && c != '\\' && c != '/')
                    return rk_errf(e, RK_EINPUT, "%s:%d: escape '\\%c' is not supported in a tensor name",
                                   L->what, L->lineno, c);
            }
            if (n + 1 >= cap)
                return rk_errf(e, RK_EINPUT, "%s:%d: name longer than %zu bytes", L->what, L->lineno, cap - 1);
            out[n++] = c;
        }
        while (s < end && *s == ' ')
            s++;
    } else {
        const char *b = s;
        while (s < end) {
            if (key && *s == ':' && (s + 1 == end || s[1] == ' ' || (flow && (s[1] == ',' || s[1] == '}'))))
                break;
            if (flow && (*s == ',' || *s == '}'))
                break;
            s++;
        }
        const char *t = s;
        while (t > b && t[-1] == ' ')
            t--;
        if ((size_t)(t - b) + 1 > cap)
            return rk_errf(e, RK_EINPUT, "%s:%d: name longer than %zu bytes", L->what, L->lineno, cap - 1);
        if (t > b && strchr("[{&*!|>%@`", *b))
            return rk_errf(e, RK_EINPUT, "%s:%d: '%c' starts a YAML construct this reader does not accept here",
                           L->what, L->lineno, *b);
        memcpy(out, b, (size_t)(t - b));
        n = (size_t)(t - b);
    }
    out[n] = '\0';
    *p = s;
    return RK_OK;
}

static rk_status cfg_add(rk_hybrid_cfg *cfg, const char *key, const char *val, const yaml_line *L, rk_err *e)
{
    if (!key[0])
        return rk_errf(e, RK_EINPUT, "%s:%d: empty tensor name", L->what, L->lineno);
    if (strcmp(val, "int8") == 0)
        return RK_OK; /* the default of an int8 program */
    if (strcmp(val, "int16") == 0)
        return rk_errf(e, RK_EUNSUPPORTED, "%s:%d: '%s: int16': rksim has no int16 lowering (float16 or int8)",
                       L->what, L->lineno, key);
    if (strcmp(val, "float16") != 0)
        return rk_errf(e, RK_EINPUT, "%s:%d: '%s' maps to '%s'; custom_quantize_layers values are float16, int8 "
                       "or int16", L->what, L->lineno, key, val);
    for (int i = 0; i < cfg->n_layers; i++)
        if (strcmp(cfg->layers[i], key) == 0)
            return rk_errf(e, RK_EINPUT, "%s:%d: tensor '%s' is listed twice", L->what, L->lineno, key);
    char **p = realloc(cfg->layers, (size_t)(cfg->n_layers + 1) * sizeof(*p));
    if (!p)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    cfg->layers = p;
    if (!(p[cfg->n_layers] = strdup(key)))
        return rk_errf(e, RK_ENOMEM, "out of memory");
    cfg->n_layers++;
    return RK_OK;
}

/* "key: value" of a block mapping line (s..end, indentation removed). */
static rk_status block_entry(rk_hybrid_cfg *cfg, const char *s, const char *end, const yaml_line *L, rk_err *e)
{
    char key[512], val[64];
    rk_status st = yaml_scalar(&s, end, true, false, key, sizeof(key), L, e);
    if (st)
        return st;
    if (s >= end || *s != ':')
        return rk_errf(e, RK_EINPUT, "%s:%d: expected 'tensor_name: float16'", L->what, L->lineno);
    s++;
    if ((st = yaml_scalar(&s, end, false, false, val, sizeof(val), L, e)))
        return st;
    if (s != end)
        return rk_errf(e, RK_EINPUT, "%s:%d: unexpected text after the value", L->what, L->lineno);
    if (!val[0])
        return rk_errf(e, RK_EINPUT, "%s:%d: '%s' has no value (nested mappings are not layer entries)", L->what,
                       L->lineno, key);
    return cfg_add(cfg, key, val, L, e);
}

/* "{}" or "{a: float16, 'b': float16}" on one line. */
static rk_status flow_mapping(rk_hybrid_cfg *cfg, const char *s, const char *end, const yaml_line *L, rk_err *e)
{
    s++; /* '{' */
    for (;;) {
        while (s < end && *s == ' ')
            s++;
        if (s < end && *s == '}') {
            s++;
            break;
        }
        char key[512], val[64];
        rk_status st = yaml_scalar(&s, end, true, true, key, sizeof(key), L, e);
        if (st)
            return st;
        if (s >= end || *s != ':')
            return rk_errf(e, RK_EINPUT, "%s:%d: expected 'name: float16' in the flow mapping", L->what, L->lineno);
        s++;
        if ((st = yaml_scalar(&s, end, false, true, val, sizeof(val), L, e)) || (st = cfg_add(cfg, key, val, L, e)))
            return st;
        if (s < end && *s == ',')
            s++;
        else if (s >= end || *s != '}')
            return rk_errf(e, RK_EINPUT, "%s:%d: unterminated flow mapping (missing '}')", L->what, L->lineno);
    }
    while (s < end && *s == ' ')
        s++;
    if (s != end)
        return rk_errf(e, RK_EINPUT, "%s:%d: unexpected text after '}'", L->what, L->lineno);
    return RK_OK;
}

/* End of the line's content: before a comment ('#' at the start or after a
 * space, outside quotes) and trailing spaces / CR. */
static const char *content_end(const char *s, const char *eol)
{
    char q = 0;
    for (const char *p = s; p < eol; p++) {
        if (q) {
            if (*p == q)
                q = 0;
        } else if (*p == '\'' || *p == '"') {
            q = *p;
        } else if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
            eol = p;
            break;
        }
    }
    while (eol > s && (eol[-1] == ' ' || eol[-1] == '\r' || eol[-1] == '\t'))
        eol--;
    return eol;
}

rk_status rk_hybrid_cfg_parse(const char *text, size_t len, const char *what, rk_hybrid_cfg *cfg, rk_err *e)
{
    memset(cfg, 0, sizeof(*cfg));
    yaml_line L = {.what = what ? what : "hybrid config", .lineno = 0};
    enum { TOP, IN_LAYERS, SKIP } state = TOP;
    bool seen = false;
    int entry_indent = -1;
    rk_status st = RK_OK;
    if (memchr(text, '\0', len))
        return rk_errf(e, RK_EINPUT, "%s: contains a NUL byte (not a YAML text file)", L.what);
    for (const char *p = text, *tend = text + len; p < tend && !st;) {
        const char *eol = memchr(p, '\n', (size_t)(tend - p));
        if (!eol)
            eol = tend;
        L.lineno++;
        const char *s = p;
        p = eol + 1;
        int indent = 0;
        while (s < eol && *s == ' ')
            s++, indent++;
        const char *end = content_end(s, eol);
        if (s == end)
            continue; /* blank or comment */
        if (*s == '\t')
            st = rk_errf(e, RK_EINPUT, "%s:%d: tab in indentation (YAML allows spaces only)", L.what, L.lineno);
        else if (indent == 0 && end - s == 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
            continue; /* document markers */
        else if (indent == 0) {
            char key[512];
            const char *k = s;
            if ((st = yaml_scalar(&k, end, true, false, key, sizeof(key), &L, e)))
                break;
            if (k >= end || *k != ':') {
                st = rk_errf(e, RK_EINPUT, "%s:%d: expected a top-level 'key:' (custom_quantize_layers:)", L.what,
                             L.lineno);
                break;
            }
            k++;
            while (k < end && *k == ' ')
                k++;
            state = SKIP;
            if (strcmp(key, "custom_quantize_layers") == 0) {
                if (seen) {
                    st = rk_errf(e, RK_EINPUT, "%s:%d: custom_quantize_layers appears twice", L.what, L.lineno);
                    break;
                }
                seen = true;
                entry_indent = -1;
                if (k < end && *k == '{')
                    st = flow_mapping(cfg, k, end, &L, e);
                else if (k < end)
                    st = rk_errf(e, RK_EINPUT, "%s:%d: custom_quantize_layers must be a mapping, not '%.*s'",
                                 L.what, L.lineno, (int)(end - k), k);
                else
                    state = IN_LAYERS;
            }
        } else if (state == IN_LAYERS) {
            if (entry_indent < 0)
                entry_indent = indent;
            if (indent != entry_indent)
                st = rk_errf(e, RK_EINPUT, "%s:%d: indentation %d inside custom_quantize_layers (entries use %d; "
                             "nested values are not layer entries)", L.what, L.lineno, indent, entry_indent);
            else
                st = block_entry(cfg, s, end, &L, e);
        } else if (state == TOP) {
            st = rk_errf(e, RK_EINPUT, "%s:%d: indented line before any top-level key", L.what, L.lineno);
        }
    }
    if (!st && !seen)
        st = rk_errf(e, RK_EINPUT, "%s: no 'custom_quantize_layers:' mapping (rknn-toolkit2 quantization cfg "
                     "format)", L.what);
    if (st)
        rk_hybrid_cfg_free(cfg);
    return st;
}

rk_status rk_hybrid_cfg_read(const char *path, rk_hybrid_cfg *cfg, rk_err *e)
{
    memset(cfg, 0, sizeof(*cfg));
    uint8_t *buf = NULL;
    size_t len = 0;
    rk_status st = rk_read_file(path, &buf, &len, (size_t)16 << 20, e);
    if (st)
        return st;
    st = rk_hybrid_cfg_parse((const char *)buf, len, path, cfg, e);
    free(buf);
    return st;
}

/* ------------------------------------------------------- per-op dtypes */

/* The op writing tensor ti (an NPU op's out or a CPU group's cpu_out). */
static int producer_of(const cv_graph *g, int ti)
{
    for (int k = 0; k < g->n_ops; k++) {
        if (g->ops[k].out == ti)
            return k;
        for (int j = 0; j < g->ops[k].n_cpu_out; j++)
            if (g->ops[k].cpu_out[j] == ti)
                return k;
    }
    return -1;
}

/*
 * NPU op kinds whose builder honours op->fp16 (cv_build.c op_dtype) and
 * whose fp16 form is lowered.  Any other kind (e.g. one added by a later
 * lowering) stays int8 with a note until its builder reads op_dtype() and
 * it is listed here - the rest of the mechanism (tensor dtypes, conversion
 * nodes) does not depend on the op kind.  Conv: cv_graph.c lower_conv
 * refuses multi-surface inputs of < 4 rows; a conv that passed with int8's
 * 16-channel surfaces may have several fp16 ones.
 */
static bool fp16_lowerable(const cv_graph *g, const cv_op *op, const char **why)
{
    if (cv_act_uses_lut(op)) {
        *why = "its fused activation runs in the int8 DPU LUT; the float LUT is not simulated";
        return false;
    }
    switch (op->kind) {
    case CV_CONV:
        *why = "its input is several fp16 surfaces of < 4 rows, not lowered";
        return !(g->tensors[op->in[0]].h < 4 && g->tensors[op->in[0]].c > 8);
    case CV_ADD:
        *why = "fp16 Add is lowered for RK3588 only so far";
        return !g->soc->lite;
    case CV_MAXPOOL:
    case CV_AVGPOOL:
        return true;
    case CV_MATMUL:
        /* constant B: a 1x1 conv built by build_conv, which honours op->fp16;
         * activation x activation: the producing CPU node writes B in the
         * CNA weight layout of the dtype cv_matmul.c planned (from the same
         * config, so a named one is planned fp16) */
        *why = "both operands are activations and its runtime weights were laid out for int8 (name the MatMul's "
               "output or node in the config)";
        return op->n_in == 1 || (g->tensors[op->in[1]].mm && g->tensors[op->in[1]].mm->esz == 2);
    default:
        *why = "no fp16 form of this op kind inside an int8 program";
        return false;
    }
}

/* A copy of tensor src stored in the other dtype: "<src>#fp16" / "#int8",
 * same shape and calibration (the conversion keeps the values). */
static rk_status add_cvt_tensor(cv_graph *g, int src, bool to_fp16, int *dst, rk_err *e)
{
    if (g->n_tensors == g->cap_tensors) {
        int cap = g->cap_tensors ? g->cap_tensors * 2 : 16;
        cv_tensor *p = realloc(g->tensors, (size_t)cap * sizeof(*p));
        if (!p)
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        g->tensors = p;
        g->cap_tensors = cap;
    }
    const cv_tensor *s = &g->tensors[src];
    cv_tensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof(*t));
    size_t nl = strlen(s->name) + 6;
    if (!(t->name = malloc(nl)))
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    snprintf(t->name, nl, "%s#%s", s->name, to_fp16 ? "fp16" : "int8");
    t->c = s->c;
    t->h = s->h;
    t->w = s->w;
    t->nd = s->nd; /* NPU ops that read non-[1,C,H,W] tensors (MatMul lowering) */
    t->ndim = s->ndim;
    memcpy(t->dims, s->dims, sizeof(t->dims));
    t->min = s->min;
    t->max = s->max;
    t->calibrated = s->calibrated;
    t->scale = s->scale;
    t->zp = s->zp;
    t->fp16 = to_fp16;
    t->rknn_index = -1;
    *dst = g->n_tensors++;
    return RK_OK;
}

/* Insert a conversion CPU op at index `at` (before the reader). */
static rk_status insert_cvt_op(cv_graph *g, int at, int src, int dst, rk_err *e)
{
    if (g->n_ops == g->cap_ops) {
        int cap = g->cap_ops ? g->cap_ops * 2 : 16;
        cv_op *p = realloc(g->ops, (size_t)cap * sizeof(*p));
        if (!p)
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        g->ops = p;
        g->cap_ops = cap;
    }
    memmove(&g->ops[at + 1], &g->ops[at], (size_t)(g->n_ops - at) * sizeof(cv_op));
    g->n_ops++;
    cv_op *op = &g->ops[at];
    memset(op, 0, sizeof(*op));
    op->kind = CV_CPU;
    op->cvt = true;
    op->in[0] = src;
    op->n_in = 1;
    op->out = dst;
    op->cpu_out = malloc(sizeof(int));
    op->name = strdup(g->tensors[dst].name);
    size_t ll = strlen(g->tensors[dst].name) + 40;
    op->label = malloc(ll);
    if (!op->cpu_out || !op->name || !op->label)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    snprintf(op->label, ll, "hybrid conversion '%s'", g->tensors[dst].name);
    op->cpu_out[0] = dst;
    op->n_cpu_out = 1;
    return RK_OK;
}

/* Resolve the config's names to tensors; every unknown one in one error. */
static rk_status resolve_names(const cv_graph *g, const rk_hybrid_cfg *cfg, int *ti, rk_err *e)
{
    char list[RK_ERR_MAX / 2];
    size_t len = 0;
    int bad = 0;
    list[0] = '\0';
    for (int i = 0; i < cfg->n_layers; i++) {
        /* stored forms renamed after calibration: channel-equalised
         * ("#eq", cv_quant.c) and, where MatMul lowering exists, matrix
         * views ("#mm"; "#mm0" = the first matrix of a stacked
         * activation x activation MatMul, whose siblings follow it) */
        static const char *const suffix[] = {"", "#eq", "#mm", "#mm0"};
        ti[i] = -1;
        for (size_t k = 0; ti[i] < 0 && k < RK_ARRAY_LEN(suffix); k++) {
            char nm[600];
            snprintf(nm, sizeof(nm), "%s%s", cfg->layers[i], suffix[k]);
            ti[i] = cv_find_tensor(g, nm);
        }
        /* a MatMul result by its final name as `rksim info` shows it
         * ("<Y>#mm", "<Y>#mm<b>"): the view still has its ONNX name here
         * (matrix b < last: "<Y>#mm<b>" already, found above) */
        const char *mm = strstr(cfg->layers[i], "#mm");
        if (ti[i] < 0 && mm && mm[3 + strspn(mm + 3, "0123456789")] == '\0') {
            char nm[600];
            snprintf(nm, sizeof(nm), "%.*s", (int)(mm - cfg->layers[i]), cfg->layers[i]);
            int t = cv_find_tensor(g, nm);
            ti[i] = t >= 0 && g->tensors[t].mm && g->tensors[t].mm->role == CV_MM_RESULT ? t : -1;
        }
        /* rksim extension: a MatMul's ONNX node name ("#b0": the first
         * matrix of a stack; an unnamed node is named by its output, the
         * MatMul's own result even when a bias Add fused into it) names
         * its output, as cv_matmul.c plan_esz reads it */
        for (int k = 0; ti[i] < 0 && k < g->n_ops; k++) {
            const char *on = g->ops[k].name;
            size_t l = strlen(cfg->layers[i]);
            if (g->ops[k].kind == CV_MATMUL && on && strncmp(on, cfg->layers[i], l) == 0 &&
                (!on[l] || strcmp(on + l, "#b0") == 0))
                ti[i] = g->ops[k].out;
        }
        if (ti[i] >= 0 && !g->tensors[ti[i]].is_input)
            continue;
        bad++;
        int k = snprintf(list + len, sizeof(list) - len, "%s'%s'%s", bad > 1 ? ", " : "", cfg->layers[i],
                         ti[i] >= 0 ? " (a graph input)" : "");
        if (k > 0 && (size_t)k < sizeof(list) - len)
            len += (size_t)k;
    }
    if (bad)
        return rk_errf(e, RK_EINPUT,
                       "hybrid config: %d tensor name%s not the output of a layer of this model: %s (names are "
                       "the ONNX output tensors after fusion: a Conv followed by BatchNormalization/Relu is named "
                       "by the last fused node's output; `rksim compare --hybrid-cfg` writes valid names)",
                       bad, bad > 1 ? "s are" : " is", list);
    return RK_OK;
}

/*
 * Activation x activation MatMuls whose runtime weights cv_matmul.c laid
 * out for fp16 (their name is in the config) run in fp16 whichever name
 * resolved: every matrix of a stack (the stack's ONNX output name resolves
 * to one matrix: the last, which carries that name until calibration ends),
 * and an op whose node name is also some other tensor's name.  An int8 conv reading fp16-laid-out weights would
 * compute garbage, so the plan decides.
 */
static int planned_fp16_follow(cv_graph *g, rk_convert_report *rep)
{
    int n = 0;
    for (int k = 0; k < g->n_ops; k++) {
        cv_op *op = &g->ops[k];
        const cv_mm_view *w = op->kind == CV_MATMUL && op->n_in == 2 ? g->tensors[op->in[1]].mm : NULL;
        if (!w || w->esz != 2 || op->fp16)
            continue;
        op->fp16 = true;
        g->tensors[op->out].fp16 = true;
        n++;
    }
    if (n)
        cv_note(rep, "hybrid: %d more activation x activation MatMul matri%s in fp16 (the other matrices of the "
                "stacks the config names)", n, n == 1 ? "x" : "ces");
    return n;
}

/* CPU-produced tensors: fp16 when named or when an fp16 NPU op reads them
 * (the CPU quantises straight to the reader's dtype, no int8 detour). */
static int cpu_outputs_follow_readers(cv_graph *g)
{
    int n = 0;
    for (int k = 0; k < g->n_ops; k++) {
        const cv_op *op = &g->ops[k];
        if (op->kind == CV_CPU || !op->fp16)
            continue;
        for (int j = 0; j < op->n_in; j++) {
            int p = producer_of(g, op->in[j]);
            if (p >= 0 && g->ops[p].kind == CV_CPU && !g->tensors[op->in[j]].fp16) {
                g->tensors[op->in[j]].fp16 = true;
                n++;
            }
        }
    }
    return n;
}

rk_status cv_hybrid_apply(cv_graph *g, const rk_hybrid_cfg *cfg, rk_convert_report *rep, rk_err *e)
{
    int *ti = calloc((size_t)cfg->n_layers + 1, sizeof(int));
    if (!ti)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    rk_status st = resolve_names(g, cfg, ti, e);
    int n_npu = 0, n_cpu = 0, n_cvt = 0;
    const char *why = "";
    for (int i = 0; !st && i < cfg->n_layers; i++) {
        int p = producer_of(g, ti[i]);
        if (p < 0) {
            st = rk_errf(e, RK_EINTERNAL, "hybrid: tensor '%s' has no producer", cfg->layers[i]);
            break;
        }
        cv_op *op = &g->ops[p];
        if (op->kind == CV_CPU) {
            g->tensors[ti[i]].fp16 = true; /* computed in float anyway: stored as fp16 instead of int8 */
            n_cpu++;
            /* a LUT-fused layer the config names, built unfused (convert.c,
             * cv_act_hybrid_refuse): its conv/add runs in fp16 too */
            for (int j = 0; j < op->n_in; j++) {
                int q = producer_of(g, op->in[j]);
                cv_op *prod = q >= 0 ? &g->ops[q] : NULL;
                bool named = false;
                for (int k = 0; prod && k < g->n_act_fp16; k++)
                    named |= strcmp(g->act_fp16[k], prod->name) == 0;
                if (named && prod->kind != CV_CPU && !prod->fp16 && fp16_lowerable(g, prod, &why)) {
                    prod->fp16 = true;
                    g->tensors[prod->out].fp16 = true;
                    n_npu++;
                }
            }
        } else if (!fp16_lowerable(g, op, &why)) {
            cv_note(rep, "hybrid: %s stays int8 (%s)", op->label, why);
        } else {
            op->fp16 = true;
            g->tensors[op->out].fp16 = true;
            n_npu++;
        }
    }
    if (!st)
        n_npu += planned_fp16_follow(g, rep);
    if (!st)
        n_cpu += cpu_outputs_follow_readers(g);
    /* boundaries: every NPU input in its reader's dtype */
    for (int k = 0; !st && k < g->n_ops; k++) {
        if (g->ops[k].kind == CV_CPU)
            continue;
        for (int j = 0; !st && j < g->ops[k].n_in; j++) {
            int src = g->ops[k].in[j];
            bool need = g->ops[k].fp16;
            if (g->tensors[src].fp16 == need)
                continue;
            int dst = -1;
            for (int q = 0; q < k && dst < 0; q++)
                if (g->ops[q].cvt && g->ops[q].in[0] == src && g->tensors[g->ops[q].out].fp16 == need)
                    dst = g->ops[q].out;
            if (dst < 0) {
                if ((st = add_cvt_tensor(g, src, need, &dst, e)) || (st = insert_cvt_op(g, k, src, dst, e)))
                    break;
                k++; /* the reader moved one slot on */
                n_cvt++;
            }
            g->ops[k].in[j] = dst;
        }
    }
    free(ti);
    if (!st && rep)
        rep->n_cpu_ops += (size_t)n_cvt;
    if (!st)
        cv_note(rep, "hybrid: %d NPU op%s in fp16, %d CPU output%s stored fp16, %d int8<->fp16 conversion node%s%s",
                n_npu, n_npu == 1 ? "" : "s", n_cpu, n_cpu == 1 ? "" : "s", n_cvt, n_cvt == 1 ? "" : "s",
                n_cpu ? " (CPU nodes compute in float32; a CPU output no NPU op reads stays float32)" : "");
    return st;
}

/* --------------------------------------------------- conversion blobs */

/* The ONNX definition of a conversion node: Identity(src) -> dst on float
 * [1,C,H,W] (or the nd shape); the simulator's CPU fallback dequantises src and quantises
 * dst with their own dtypes, which is the whole conversion. */
static rk_status cvt_blob(const ox_model *m, const cv_graph *g, cv_op *op, rk_err *e)
{
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto opset, *opsets[1] = {&opset};
    Onnx__NodeProto node, *nodes[1] = {&node};
    Onnx__ValueInfoProto vi[2], *vin[1] = {&vi[0]}, *vout[1] = {&vi[1]};
    Onnx__TypeProto type[2];
    Onnx__TypeProto__Tensor tt[2];
    Onnx__TensorShapeProto shape[2];
    Onnx__TensorShapeProto__Dimension dim[2][RK_MAX_DIMS], *dimp[2][RK_MAX_DIMS];
    const cv_tensor *ts[2] = {&g->tensors[op->in[0]], &g->tensors[op->out]};
    char *in_name = ts[0]->name, *out_name = ts[1]->name;
    for (int v = 0; v < 2; v++) {
        int nd = ts[v]->nd ? ts[v]->ndim : 4;
        int64_t d[RK_MAX_DIMS] = {1, ts[v]->c, ts[v]->h, ts[v]->w};
        if (ts[v]->nd)
            memcpy(d, ts[v]->dims, sizeof(d));
        onnx__value_info_proto__init(&vi[v]);
        onnx__type_proto__init(&type[v]);
        onnx__type_proto__tensor__init(&tt[v]);
        onnx__tensor_shape_proto__init(&shape[v]);
        for (int i = 0; i < nd; i++) {
            onnx__tensor_shape_proto__dimension__init(&dim[v][i]);
            dim[v][i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim[v][i].dim_value = d[i];
            dimp[v][i] = &dim[v][i];
        }
        shape[v].n_dim = (size_t)nd;
        shape[v].dim = dimp[v];
        tt[v].has_elem_type = 1;
        tt[v].elem_type = RK_DT_F32;
        tt[v].shape = &shape[v];
        type[v].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
        type[v].tensor_type = &tt[v];
        vi[v].name = ts[v]->name;
        vi[v].type = &type[v];
    }
    onnx__node_proto__init(&node);
    node.op_type = "Identity";
    node.name = "rksim_hybrid_conversion";
    node.n_input = 1;
    node.input = &in_name;
    node.n_output = 1;
    node.output = &out_name;
    onnx__graph_proto__init(&graph);
    graph.name = "rksim_hybrid_conversion";
    graph.n_node = 1;
    graph.node = nodes;
    graph.n_input = 1;
    graph.input = vin;
    graph.n_output = 1;
    graph.output = vout;
    onnx__operator_set_id_proto__init(&opset);
    opset.domain = "";
    opset.has_version = 1;
    opset.version = ox_model_opset(m, "");
    onnx__model_proto__init(&model);
    model.has_ir_version = 1;
    model.ir_version = 7;
    model.producer_name = "rksim convert (hybrid conversion node)";
    model.n_opset_import = 1;
    model.opset_import = opsets;
    model.graph = &graph;
    free(op->blob);
    size_t sz = onnx__model_proto__get_packed_size(&model);
    if (!(op->blob = malloc(sz ? sz : 1)))
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    op->blob_len = onnx__model_proto__pack(&model, op->blob);
    return RK_OK;
}

rk_status cv_hybrid_finish(const ox_model *m, cv_graph *g, rk_err *e)
{
    for (int k = 0; k < g->n_ops; k++)
        if (g->ops[k].cvt) {
            rk_status st = cvt_blob(m, g, &g->ops[k], e);
            if (st)
                return st;
        }
    return RK_OK;
}
