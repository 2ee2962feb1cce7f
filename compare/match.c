/* match.c - .rknn layer <-> ONNX tensor matching and layout alignment (rules
 * in match.h). */
#include "match.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rknn_partner.h"

enum { MAX_FUSED = 32 };

/* Set of ONNX tensor names already accounted for (matched or fused). */
typedef struct name_set {
    const char **v;
    int n, cap;
} name_set;

static bool set_has(const name_set *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->v[i], name) == 0)
            return true;
    return false;
}

static bool set_add(name_set *s, const char *name)
{
    if (set_has(s, name))
        return true;
    if (s->n == s->cap) {
        int ncap = s->cap ? s->cap * 2 : 64;
        const char **p = realloc(s->v, (size_t)ncap * sizeof *p);
        if (!p)
            return false;
        s->v = p;
        s->cap = ncap;
    }
    s->v[s->n++] = name;
    return true;
}

static bool is_graph_input(const ox_model *ox, const char *name)
{
    for (int i = 0; i < ox_model_num_inputs(ox); i++)
        if (strcmp(ox_model_input(ox, i)->name, name) == 0)
            return true;
    return false;
}

/* An ONNX tensor computed by the graph or fed to it. */
static bool onnx_has(const ox_model *ox, const char *name)
{
    return ox_model_producer(ox, name) != NULL || is_graph_input(ox, name);
}

static bool activation_kind(uint8_t k)
{
    return k == RKNN_KIND_INPUT || k == RKNN_KIND_OUTPUT || k == RKNN_KIND_INTERNAL;
}

/* Whether `name` is an activation tensor of the .rknn graph, by name or as
 * the ONNX partner of a derived one (so fused-node search stops there). */
static bool rknn_activation(const rknn_model *rk, const rknn_partner_table *pt, const char *name)
{
    int32_t ti = rknn_find_tensor(rk, name);
    if (ti >= 0)
        return activation_kind(rk->graphs[0].tensors[ti].kind);
    for (uint32_t i = 0; pt && i < pt->n; i++) {
        if (strcmp(pt->v[i].onnx, name) != 0)
            continue;
        int32_t di = rknn_find_tensor(rk, pt->v[i].tensor);
        if (di >= 0 && activation_kind(rk->graphs[0].tensors[di].kind))
            return true;
    }
    return false;
}

/* The ONNX tensor for an .rknn tensor name: exact, or without a vendor
 * dtype suffix. */
static const char *onnx_name_for(const ox_model *ox, const char *name, char *buf, size_t n)
{
    if (onnx_has(ox, name))
        return name;
    static const char *suffixes[] = {"_int8", "_i8", "_fp16", "_uint8"};
    size_t len = strlen(name);
    for (size_t i = 0; i < RK_ARRAY_LEN(suffixes); i++) {
        size_t sl = strlen(suffixes[i]);
        if (len > sl && strcmp(name + len - sl, suffixes[i]) == 0 && len - sl < n) {
            memcpy(buf, name, len - sl);
            buf[len - sl] = '\0';
            if (onnx_has(ox, buf))
                return buf;
        }
    }
    return NULL;
}

static int cmp_index(const void *a, const void *b)
{
    int ia = ox_node_index(*(const ox_node *const *)a);
    int ib = ox_node_index(*(const ox_node *const *)b);
    return (ia > ib) - (ia < ib);
}

/* Collect the ONNX nodes folded into one .rknn node: backwards from the
 * producer of `out` until tensors that exist in the .rknn graph, graph
 * inputs or initializers.  Returns the count (<= MAX_FUSED). */
static int fused_nodes(const rknn_model *rk, const rknn_partner_table *pt, const ox_model *ox,
                       const char *out, const ox_node **nodes)
{
    int n = 0, head = 0;
    const ox_node *p = ox_model_producer(ox, out);
    if (!p)
        return 0;
    nodes[n++] = p;
    while (head < n) {
        const ox_node *cur = nodes[head++];
        for (int i = 0; i < ox_node_num_inputs(cur); i++) {
            const char *in = ox_node_input_name(cur, i);
            if (!in[0] || rknn_activation(rk, pt, in) || ox_model_initializer(ox, in))
                continue;
            const ox_node *q = ox_model_producer(ox, in);
            if (!q || n >= MAX_FUSED)
                continue;
            bool seen = false;
            for (int k = 0; k < n && !seen; k++)
                seen = nodes[k] == q;
            if (!seen)
                nodes[n++] = q;
        }
    }
    qsort(nodes, (size_t)n, sizeof *nodes, cmp_index);
    return n;
}

static void join_ops(const ox_node *const *nodes, int n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? "+" : "", ox_node_op_type(nodes[i]));
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
    }
}

/* Fill one match for tensor ti of node ni. */
static rk_status match_one(const rknn_model *rk, const rknn_partner_table *pt, const ox_model *ox,
                           uint32_t ni, int32_t ti, cmp_match *m, name_set *done, cmp_report *r,
                           rk_err *e)
{
    const rknn_graph *g = &rk->graphs[0];
    const rknn_node *node = &g->nodes[ni];
    const rknn_tensor *t = &g->tensors[ti];
    char buf[512];
    memset(m, 0, sizeof *m);
    m->partner = -1;
    m->node = ni;
    m->tensor = ti;
    m->is_input = strcmp(node->type, "InputOperator") == 0;
    m->is_output = t->kind == RKNN_KIND_OUTPUT;
    m->npu = node->task_count > 0 && strcmp(node->type, "OutputOperator") != 0;
    const char *on = onnx_name_for(ox, t->name, buf, sizeof buf);
    const rknn_partner *p = on ? NULL : rknn_partner_find(pt, t->name);
    if (p && onnx_has(ox, p->onnx)) {
        on = p->onnx;
        m->partner = (int)(p - pt->v);
    }
    if (!on) {
        if (p)
            snprintf(m->reason, sizeof m->reason, "its partner '%.80s' is no ONNX tensor", p->onnx);
        else
            snprintf(m->reason, sizeof m->reason, "no ONNX tensor named '%s'", t->name);
        return RK_OK;
    }
    /* point at the model's own string, which outlives buf */
    const ox_node *prod = ox_model_producer(ox, on);
    if (prod) {
        for (int i = 0; i < ox_node_num_outputs(prod); i++)
            if (strcmp(ox_node_output_name(prod, i), on) == 0)
                m->onnx_tensor = ox_node_output_name(prod, i);
    } else {
        for (int i = 0; i < ox_model_num_inputs(ox); i++)
            if (strcmp(ox_model_input(ox, i)->name, on) == 0)
                m->onnx_tensor = ox_model_input(ox, i)->name;
    }
    if (!m->onnx_tensor || !set_add(done, m->onnx_tensor))
        return rk_errf(e, RK_ENOMEM, "out of memory matching '%s'", t->name);
    if (!prod || m->is_input)
        return RK_OK;
    const ox_node *fused[MAX_FUSED];
    int nf = fused_nodes(rk, pt, ox, m->onnx_tensor, fused);
    join_ops(fused, nf, m->onnx_ops, sizeof m->onnx_ops);
    for (int k = 0; k < nf; k++) {
        for (int o = 0; o < ox_node_num_outputs(fused[k]); o++) {
            const char *name = ox_node_output_name(fused[k], o);
            if (!name[0] || set_has(done, name))
                continue;
            if (!set_add(done, name))
                return rk_errf(e, RK_ENOMEM, "out of memory");
            char why[300];
            snprintf(why, sizeof why, "fused into %s '%s' (%s)", node->type, node->name,
                     m->onnx_ops);
            rk_status st = cmp_report_add_unmatched(r, 'o', name, ox_node_op_type(fused[k]), why, e);
            if (st)
                return st;
        }
    }
    return RK_OK;
}

static rk_status list_leftover_onnx(const ox_model *ox, const name_set *done, cmp_report *r,
                                    rk_err *e)
{
    for (int i = 0; i < ox_model_num_nodes(ox); i++) {
        const ox_node *n = ox_model_node(ox, i);
        if (strcmp(ox_node_op_type(n), "Constant") == 0)
            continue;
        for (int o = 0; o < ox_node_num_outputs(n); o++) {
            const char *name = ox_node_output_name(n, o);
            if (!name[0] || set_has(done, name))
                continue;
            rk_status st = cmp_report_add_unmatched(
                r, 'o', name, ox_node_op_type(n),
                "no .rknn tensor of this name (folded away by the compiler or internal to a "
                "CPU op)",
                e);
            if (st)
                return st;
        }
    }
    return RK_OK;
}

rk_status cmp_match_layers(const rknn_model *rk, const ox_model *ox, cmp_match **out, int *n,
                           cmp_report *r, rk_err *e)
{
    *out = NULL;
    *n = 0;
    if (rk->n_graphs < 1)
        return rk_errf(e, RK_EINPUT, "the .rknn model has no graph");
    const rknn_graph *g = &rk->graphs[0];
    int cap = 0;
    name_set done = {0};
    rknn_partner_table pt;
    rk_status st = rknn_partners_read(rk, &pt, e);
    for (uint32_t ni = 0; ni < g->n_nodes && st == RK_OK; ni++) {
        const rknn_node *node = &g->nodes[ni];
        if (strcmp(node->type, "OutputOperator") == 0)
            continue;
        for (uint32_t k = 0; k < node->n_outputs && st == RK_OK; k++) {
            int32_t ti = node->outputs[k];
            if (ti < 0 || (uint32_t)ti >= g->n_tensors ||
                !activation_kind(g->tensors[ti].kind))
                continue;
            if (*n == cap) {
                cap = cap ? cap * 2 : 16;
                cmp_match *p = realloc(*out, (size_t)cap * sizeof *p);
                if (!p) {
                    st = rk_errf(e, RK_ENOMEM, "out of memory");
                    break;
                }
                *out = p;
            }
            st = match_one(rk, &pt, ox, ni, ti, &(*out)[*n], &done, r, e);
            if (st == RK_OK)
                (*n)++;
        }
    }
    if (st == RK_OK)
        st = list_leftover_onnx(ox, &done, r, e);
    free(done.v);
    rknn_partner_table_free(&pt);
    if (st) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return st;
}

/* ---- layout ------------------------------------------------------------ */

/* Dims without size-1 axes. */
static int squeeze(const rk_tensor *t, int64_t *d)
{
    int n = 0;
    for (int i = 0; i < t->ndim; i++)
        if (t->dims[i] != 1)
            d[n++] = t->dims[i];
    return n;
}

static bool same_squeezed(const rk_tensor *a, const rk_tensor *b)
{
    int64_t da[RK_MAX_DIMS], db[RK_MAX_DIMS];
    int na = squeeze(a, da), nb = squeeze(b, db);
    if (na != nb)
        return false;
    for (int i = 0; i < na; i++)
        if (da[i] != db[i])
            return false;
    return true;
}

static bool is_nhwc_of(const rk_tensor *ref, const rk_tensor *t)
{
    return ref->ndim == 4 && t->ndim == 4 && t->dims[0] == ref->dims[0] &&
           t->dims[1] == ref->dims[2] && t->dims[2] == ref->dims[3] && t->dims[3] == ref->dims[1];
}

/* test in NCHW for a ref laid out NHWC (TF-origin ONNX graphs). */
static bool is_nchw_of(const rk_tensor *ref, const rk_tensor *t)
{
    return ref->ndim == 4 && t->ndim == 4 && t->dims[0] == ref->dims[0] &&
           t->dims[1] == ref->dims[3] && t->dims[2] == ref->dims[1] && t->dims[3] == ref->dims[2];
}

/* out (ref's shape, NHWC) from f (NCHW). */
static void nchw_to_nhwc(const rk_tensor *ref, const float *src, float *dst)
{
    int64_t N = ref->dims[0], H = ref->dims[1], W = ref->dims[2], C = ref->dims[3];
    for (int64_t n = 0; n < N; n++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t w = 0; w < W; w++)
                for (int64_t c = 0; c < C; c++)
                    dst[((n * H + h) * W + w) * C + c] = src[((n * C + c) * H + h) * W + w];
}

rk_status cmp_align(const rk_tensor *ref, const rk_tensor *test, rk_tensor *out, char *note,
                    size_t note_len, rk_err *e)
{
    char sa[96], sb[96];
    if (note_len)
        note[0] = '\0';
    if (ref->nelem != test->nelem)
        return rk_errf(e, RK_EINPUT, "shape mismatch: ONNX '%s' is %s, .rknn '%s' is %s",
                       ref->name ? ref->name : "?", rk_shape_str(ref, sa, sizeof sa),
                       test->name ? test->name : "?", rk_shape_str(test, sb, sizeof sb));
    rk_tensor f = {0};
    rk_status st = rk_tensor_to_f32(&f, test, e);
    if (st)
        return st;
    bool to_nchw = is_nhwc_of(ref, test), to_nhwc = !to_nchw && is_nchw_of(ref, test);
    if (same_squeezed(ref, test) || (!to_nchw && !to_nhwc)) {
        if (!same_squeezed(ref, test))
            snprintf(note, note_len, "shapes differ (ONNX %s, .rknn %s): compared in row-major order",
                     rk_shape_str(ref, sa, sizeof sa), rk_shape_str(test, sb, sizeof sb));
        *out = f;
        return RK_OK;
    }
    st = rk_tensor_alloc(out, test->name, RK_DT_F32, ref->ndim, ref->dims, e);
    if (st) {
        rk_tensor_free(&f);
        return st;
    }
    const float *src = f.data;
    float *dst = out->data;
    if (to_nhwc) {
        nchw_to_nhwc(ref, src, dst);
        snprintf(note, note_len, "ONNX tensor is NHWC: .rknn NCHW tensor transposed to it");
        rk_tensor_free(&f);
        return RK_OK;
    }
    int64_t N = ref->dims[0], C = ref->dims[1], H = ref->dims[2], W = ref->dims[3];
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t w = 0; w < W; w++)
                    dst[((n * C + c) * H + h) * W + w] = src[((n * H + h) * W + w) * C + c];
    snprintf(note, note_len, ".rknn tensor is NHWC: transposed to NCHW");
    rk_tensor_free(&f);
    return RK_OK;
}

/* ---- quantise + pack a reference tensor into native bytes ---------------- */

static int64_t shape_elems(const int32_t *d, uint32_t n)
{
    int64_t p = 1;
    for (uint32_t i = 0; i < n; i++)
        p *= d[i];
    return p;
}

/* False for a NaN headed for an integer tensor (no code represents it). */
static bool put_value(uint8_t *dst, size_t off, rk_dtype dt, float x, float scale, int32_t zp)
{
    if (dt == RK_DT_I8 || dt == RK_DT_U8) {
        if (isnan(x))
            return false;
        double q = (scale > 0 ? round((double)x / scale) : 0.0) + zp;
        double lo = dt == RK_DT_I8 ? -128 : 0, hi = dt == RK_DT_I8 ? 127 : 255;
        q = q < lo ? lo : (q > hi ? hi : q);
        if (dt == RK_DT_I8)
            ((int8_t *)dst)[off] = (int8_t)q;
        else
            dst[off] = (uint8_t)q;
    } else if (dt == RK_DT_F16) {
        ((uint16_t *)dst)[off] = rk_f32_to_f16(x);
    } else {
        ((float *)dst)[off] = x;
    }
    return true;
}

/* Quantise `ref` (float, the tensor's original NCHW shape) as tensor t says
 * and lay it out in t's native shape.  NC1HWC2 (layout 64): element
 * (n,c,h,w) at [n][c / C2][h][w][c % C2] (rknn-format.md §1.6, npu-isa.md);
 * padding channels are 0.  NCHW / none: row-major. */
rk_status cmp_pack_native(const rknn_tensor *t, const rk_tensor *ref, uint8_t **bytes, size_t *len,
                          rk_err *e)
{
    rk_dtype dt = t->dtype;
    if (dt != RK_DT_I8 && dt != RK_DT_U8 && dt != RK_DT_F16 && dt != RK_DT_F32)
        return rk_errf(e, RK_EUNSUPPORTED, "tensor '%s': dtype %s not handled in single mode",
                       t->name, rk_dtype_name(dt));
    float scale = t->quant.n_scale ? t->quant.scale[0] : 1.0f;
    int32_t zp = t->quant.n_zero_point ? t->quant.zero_point[0] : 0;
    if ((dt == RK_DT_I8 || dt == RK_DT_U8) && (t->quant.n_scale > 1 || !(scale > 0)))
        return rk_errf(e, RK_EUNSUPPORTED, "tensor '%s': %u scales (per-layer expected)", t->name,
                       t->quant.n_scale);
    if (shape_elems(t->shape, t->n_shape) != ref->nelem)
        return rk_errf(e, RK_EINPUT, "tensor '%s': %lld reference values for a %lld-element tensor",
                       t->name, (long long)ref->nelem, (long long)shape_elems(t->shape, t->n_shape));
    if (ref->dtype != RK_DT_F32)
        return rk_errf(e, RK_EUSAGE, "tensor '%s': reference must be float32", t->name);
    if (t->size <= 0)
        return rk_errf(e, RK_EINPUT, "tensor '%s': size %lld", t->name, (long long)t->size);
    size_t es = rk_dtype_size(dt);
    *len = (size_t)t->size;
    *bytes = calloc(*len, 1);
    if (!*bytes)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    const float *v = ref->data;
    if (t->layout == RKNN_LAYOUT_NC1HWC2 && t->n_native_shape == 5 && t->n_shape == 4) {
        int64_t C = t->shape[1], H = t->shape[2], W = t->shape[3];
        int64_t C1 = t->native_shape[1], C2 = t->native_shape[4];
        int64_t NH = t->native_shape[2], NW = t->native_shape[3];
        if (C2 <= 0 || C1 * C2 < C || NH < H || NW < W ||
            (size_t)(t->shape[0] * C1 * NH * NW * C2) * es > *len)
            goto bad_native;
        for (int64_t n = 0; n < t->shape[0]; n++)
            for (int64_t ch = 0; ch < C; ch++)
                for (int64_t h = 0; h < H; h++)
                    for (int64_t w = 0; w < W; w++) {
                        size_t off = (size_t)((((n * C1 + ch / C2) * NH + h) * NW + w) * C2 + ch % C2);
                        if (!put_value(*bytes, off, dt, v[((n * C + ch) * H + h) * W + w], scale, zp))
                            goto bad_nan;
                    }
        return RK_OK;
    }
    if ((size_t)ref->nelem * es > *len)
        goto bad_native;
    for (int64_t i = 0; i < ref->nelem; i++)
        if (!put_value(*bytes, (size_t)i, dt, v[i], scale, zp))
            goto bad_nan;
    return RK_OK;
bad_nan:
    free(*bytes);
    *bytes = NULL;
    return rk_errf(e, RK_EINPUT, "tensor '%s': the reference holds NaN, which %s cannot represent",
                   t->name, rk_dtype_name(dt));
bad_native:
    free(*bytes);
    *bytes = NULL;
    return rk_errf(e, RK_EUNSUPPORTED,
                   "tensor '%s': native shape/layout %u does not hold its shape (single mode)",
                   t->name, t->layout);
}

