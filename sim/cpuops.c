/*
 * cpuops.c - the nodes the vendor runtime runs on the host CPU, with the
 * runtime's names: InputOperator (normalise, reorder channels, quantise,
 * pack to the native layout), OutputOperator, Reshape, custom ops via
 * custom.h, and the ONNX CPU nodes of rksim-converted models
 * (cpu_fallback.c).  Also the native-layout <-> float NCHW conversions the rest of
 * rksim uses (outputs, --dump-layers).
 *
 * Native layouts (SEMANTICS.md L-* rules):
 *  - layout 64 (NC1HWC2), native [N, C1, H, W, C2]: element (n,c,h,w) at
 *    ((n*C1 + c/C2) * H + h) * Wrow * C2 + w * C2 + c%C2, elements of the
 *    tensor's dtype.  Wrow = W, except for the packed-channel input layouts
 *    (C2 = 1..4 < 16 bytes / element size) whose rows are 16-pixel aligned
 *    when the tensor size says so (vendor dual_residual fp16: 10 px rows
 *    stored in 96 bytes).
 *  - any other layout: native shape == shape, dense row-major.
 */
#include "cpu_fallback.h"
#include "custom.h"
#include "sim_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct native_map {
    bool nc1hwc2;
    int64_t n, c, h, w, c1, c2;
    int64_t row_bytes; /* bytes per native row (W*C2*es, or padded) */
    size_t es;
} native_map;

static rk_status native_of(const sim *s, const rknn_tensor *t, native_map *m, rk_err *e)
{
    memset(m, 0, sizeof(*m));
    m->es = rk_dtype_size(t->dtype);
    if (!m->es)
        return rk_errf(e, RK_EUNSUPPORTED, "tensor '%s': dtype %s (code %u) cannot be converted", t->name,
                       rk_dtype_name(t->dtype), t->dtype_raw);
    if (t->layout == RKNN_LAYOUT_NC1HWC2 && t->n_native_shape == 5 && t->n_shape >= 1 && t->n_shape <= 4) {
        m->nc1hwc2 = true;
        m->n = t->native_shape[0];
        m->c1 = t->native_shape[1];
        m->h = t->native_shape[2];
        m->w = t->native_shape[3];
        m->c2 = t->native_shape[4];
        m->c = t->n_shape >= 2 ? t->shape[1] : 1;
        if (m->n <= 0 || m->c1 <= 0 || m->h <= 0 || m->w <= 0 || m->c2 <= 0)
            return rk_errf(e, RK_EINPUT, "tensor '%s': bad native shape", t->name);
        if ((int64_t)m->c > m->c1 * m->c2)
            return rk_errf(e, RK_EINPUT, "tensor '%s': %lld channels do not fit native C1*C2 = %lld", t->name,
                           (long long)m->c, (long long)(m->c1 * m->c2));
        m->row_bytes = m->w * m->c2 * (int64_t)m->es;
        int64_t dense = m->n * m->c1 * m->h * m->row_bytes;
        bool packed = (size_t)m->c2 * m->es < (s->soc == RK_SOC_RK3566 ? 8u : 16u);
        if (packed && s->soc == RK_SOC_RK3566) {
            /* lite packed-channel inputs: rows padded to 8 bytes (the conv
             * reads LINE_STRIDE*8 = 64 B rows for 10 px x 3 ch fp16; inferred) */
            int64_t row = RK_ALIGN_UP(m->row_bytes, 8);
            if (m->n * m->c1 * m->h * row <= t->size)
                m->row_bytes = row;
        } else if (packed) {
            /* RK3588: rows 16-pixel aligned when the size says so (dual_residual
             * fp16 W=10: 960 B = 10 rows x 96) */
            int64_t row = RK_ALIGN_UP(m->w, 16) * m->c2 * (int64_t)m->es;
            if (t->size == m->n * m->c1 * m->h * row && row * m->h * m->c1 * m->n != dense)
                m->row_bytes = row;
        }
        int64_t need = m->n * m->c1 * m->h * m->row_bytes;
        if (t->size < need)
            return rk_errf(e, RK_EINPUT, "tensor '%s': size %lld smaller than its native shape needs (%lld)",
                           t->name, (long long)t->size, (long long)need);
        /* H/W of the native shape must match the original NCHW shape. */
        if (t->n_shape == 4 && (t->shape[2] != m->h || t->shape[3] != m->w))
            return rk_errf(e, RK_EUNSUPPORTED, "tensor '%s': native H/W %lldx%lld differ from shape %dx%d",
                           t->name, (long long)m->h, (long long)m->w, t->shape[2], t->shape[3]);
    } else {
        int64_t ne = 1;
        for (uint32_t k = 0; k < t->n_shape; k++)
            ne *= t->shape[k];
        if (ne * (int64_t)m->es > t->size)
            return rk_errf(e, RK_EINPUT, "tensor '%s': size %lld smaller than its shape needs", t->name,
                           (long long)t->size);
    }
    (void)s;
    return RK_OK;
}

/* Byte offset of logical element (n, c, h, w) in an NC1HWC2 tensor. */
static inline size_t native_offset(const native_map *m, int64_t n, int64_t c, int64_t h, int64_t w)
{
    return (size_t)(((n * m->c1 + c / m->c2) * m->h + h) * m->row_bytes +
                    (w * m->c2 + c % m->c2) * (int64_t)m->es);
}

static float load_as_float(const uint8_t *p, rk_dtype dt)
{
    switch (dt) {
    case RK_DT_I8: return (float)(int8_t)p[0];
    case RK_DT_U8: return (float)p[0];
    case RK_DT_I16: { int16_t v; memcpy(&v, p, 2); return (float)v; }
    case RK_DT_U16: { uint16_t v; memcpy(&v, p, 2); return (float)v; }
    case RK_DT_F16: { uint16_t v; memcpy(&v, p, 2); return rk_f16_to_f32(v); }
    case RK_DT_BF16: { uint16_t v; memcpy(&v, p, 2); return rk_bf16_to_f32(v); }
    case RK_DT_I32: { int32_t v; memcpy(&v, p, 4); return (float)v; }
    case RK_DT_F32: { float v; memcpy(&v, p, 4); return v; }
    case RK_DT_I64: { int64_t v; memcpy(&v, p, 8); return (float)v; }
    case RK_DT_F64: { double v; memcpy(&v, p, 8); return (float)v; }
    default: return 0.0f;
    }
}

static void store_from_float(uint8_t *p, rk_dtype dt, float f)
{
    switch (dt) {
    case RK_DT_I8: { long v = lroundf(f); p[0] = (uint8_t)(int8_t)(v < -128 ? -128 : v > 127 ? 127 : v); break; }
    case RK_DT_U8: { long v = lroundf(f); p[0] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); break; }
    case RK_DT_I16: { long v = lroundf(f); int16_t q = (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v); memcpy(p, &q, 2); break; }
    case RK_DT_F16: { uint16_t h = rk_f32_to_f16(f); memcpy(p, &h, 2); break; }
    case RK_DT_I32: { double v = nearbyint((double)f); int32_t q = (int32_t)(v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : v); memcpy(p, &q, 4); break; }
    case RK_DT_F32: memcpy(p, &f, 4); break;
    case RK_DT_I64: { int64_t q = (int64_t)llroundf(f); memcpy(p, &q, 8); break; }
    default: break;
    }
}

/* Quantisation parameters of channel c (per-layer or per-channel). */
static bool quant_of(const rknn_tensor *t, int64_t c, float *scale, int32_t *zp)
{
    const rknn_quant *q = &t->quant;
    if (!q->n_scale || (t->dtype != RK_DT_I8 && t->dtype != RK_DT_U8 && t->dtype != RK_DT_I16))
        return false;
    uint32_t is = q->n_scale > 1 && (uint32_t)c < q->n_scale ? (uint32_t)c : 0;
    uint32_t iz = q->n_zero_point > 1 && (uint32_t)c < q->n_zero_point ? (uint32_t)c : 0;
    *scale = q->scale[is];
    *zp = q->n_zero_point ? q->zero_point[iz] : 0;
    return true;
}

static rk_status shape_dims(const rknn_tensor *t, int *nd, int64_t *dims, rk_err *e)
{
    if (t->n_shape > RK_MAX_DIMS)
        return rk_errf(e, RK_EUNSUPPORTED, "tensor '%s': %u dims", t->name, t->n_shape);
    *nd = (int)t->n_shape;
    for (uint32_t k = 0; k < t->n_shape; k++) {
        if (t->shape[k] < 0)
            return rk_errf(e, RK_EUNSUPPORTED, "tensor '%s': dynamic dimension", t->name);
        dims[k] = t->shape[k];
    }
    return RK_OK;
}

/* Split a rank<=4 shape into N, C, H, W (leading dims first). */
static void nchw_of(const rk_tensor *t, int64_t *n, int64_t *c, int64_t *h, int64_t *w)
{
    int64_t d[4] = {1, 1, 1, 1};
    int k = t->ndim;
    for (int i = 0; i < k && i < 4; i++)
        d[4 - k + i] = t->dims[i];
    if (k == 1) { d[0] = 1; d[1] = t->dims[0]; d[2] = 1; d[3] = 1; }
    *n = d[0]; *c = d[1]; *h = d[2]; *w = d[3];
}

rk_status sim_tensor_to_float(sim *s, int32_t ti, rk_tensor *out, rk_err *e)
{
    const rknn_tensor *t = &s->g->tensors[ti];
    native_map m;
    rk_status st = native_of(s, t, &m, e);
    if (st)
        return st;
    int nd = 0;
    int64_t dims[RK_MAX_DIMS];
    if ((st = shape_dims(t, &nd, dims, e)))
        return st;
    uint8_t *base;
    if (!s->tensor_addr[ti] || !(base = sim_mem_span(&s->mem, s->tensor_addr[ti], (uint64_t)t->size)))
        return rk_errf(e, RK_EINPUT, "tensor '%s' has no memory in the DRAM image", t->name);
    if ((st = rk_tensor_alloc(out, t->name, RK_DT_F32, nd, dims, e)))
        return st;
    float *o = out->data;
    if (m.nc1hwc2) {
        int64_t n, c, h, w;
        nchw_of(out, &n, &c, &h, &w);
        for (int64_t in = 0; in < n; in++)
            for (int64_t ic = 0; ic < c; ic++) {
                float sc = 1.0f;
                int32_t zp = 0;
                bool q = quant_of(t, ic, &sc, &zp);
                for (int64_t ih = 0; ih < h; ih++)
                    for (int64_t iw = 0; iw < w; iw++) {
                        float v = load_as_float(base + native_offset(&m, in, ic, ih, iw), t->dtype);
                        *o++ = q ? (v - (float)zp) * sc : v;
                    }
            }
    } else {
        float sc = 1.0f;
        int32_t zp = 0;
        bool q = quant_of(t, 0, &sc, &zp);
        if (q && t->quant.n_scale > 1)
            return rk_errf(e, RK_EUNSUPPORTED, "tensor '%s': per-channel quantisation in a plain layout", t->name);
        for (int64_t i = 0; i < out->nelem; i++) {
            float v = load_as_float(base + (size_t)i * m.es, t->dtype);
            o[i] = q ? (v - (float)zp) * sc : v;
        }
    }
    return RK_OK;
}

rk_status sim_tensor_from_float(sim *s, int32_t ti, const rk_tensor *in, rk_err *e)
{
    const rknn_tensor *t = &s->g->tensors[ti];
    native_map m;
    rk_status st = native_of(s, t, &m, e);
    if (st)
        return st;
    int64_t ne = 1;
    for (uint32_t k = 0; k < t->n_shape; k++)
        ne *= t->shape[k];
    if (in->dtype != RK_DT_F32 || in->nelem != ne)
        return rk_errf(e, RK_EINPUT, "tensor '%s': %lld float values given, it holds %lld", t->name,
                       (long long)in->nelem, (long long)ne);
    uint8_t *base;
    bool oom = false;
    if (!s->tensor_addr[ti] || !(base = sim_mem_span_w(&s->mem, s->tensor_addr[ti], (uint64_t)t->size, &oom)))
        return oom ? rk_errf(e, RK_ENOMEM, "tensor '%s': out of memory", t->name)
                   : rk_errf(e, RK_EINPUT, "tensor '%s' has no memory in the DRAM image", t->name);
    const float *x = in->data;
    if (m.nc1hwc2) {
        rk_tensor shp = *in;
        int nd = 0;
        if ((st = shape_dims(t, &nd, shp.dims, e)))
            return st;
        shp.ndim = nd;
        int64_t n, c, h, w;
        nchw_of(&shp, &n, &c, &h, &w);
        memset(base, 0, (size_t)t->size); /* padding channels / columns are zero */
        for (int64_t a = 0; a < n; a++)
            for (int64_t ic = 0; ic < c; ic++) {
                float sc = 1.0f;
                int32_t zp = 0;
                bool q = quant_of(t, ic, &sc, &zp);
                for (int64_t ih = 0; ih < h; ih++)
                    for (int64_t iw = 0; iw < w; iw++) {
                        float v = *x++;
                        if (q)
                            v = v / sc + (float)zp;
                        store_from_float(base + native_offset(&m, a, ic, ih, iw), t->dtype, v);
                    }
            }
    } else {
        float sc = 1.0f;
        int32_t zp = 0;
        bool q = quant_of(t, 0, &sc, &zp);
        for (int64_t i = 0; i < ne; i++) {
            float v = x[i];
            if (q)
                v = v / sc + (float)zp;
            store_from_float(base + (size_t)i * m.es, t->dtype, v);
        }
    }
    return RK_OK;
}

/* ------------------------------------------------------------ nodes */

static int graph_input_index(const sim *s, int32_t ti)
{
    for (uint32_t i = 0; i < s->g->n_inputs; i++)
        if (s->g->inputs[i] == ti)
            return (int)i;
    return -1;
}

/* --dump-layers: record the quantised input as the model's int8 tensor now,
 * before lite_unsigned_input re-encodes the bytes in DRAM for an unsigned
 * first layer (dequantising those bytes as int8 would give (q+128) mod 256;
 * found by the compare tool's RK3566 input rows). */
static rk_status capture_input_before_reencoding(sim *s, int32_t ti, rk_err *e)
{
    const char *name = s->g->tensors[ti].name;
    if (!s->opt.keep_layers || !name || rk_tensor_list_find(&s->layers, name))
        return RK_OK;
    rk_tensor t = {0};
    rk_status st = sim_tensor_to_float(s, ti, &t, e);
    if (!st && (st = rk_tensor_list_push(&s->layers, &t, e)))
        rk_tensor_free(&t);
    return st;
}

/* RK3566: a first layer whose CNA converter reads UNSIGNED bytes
 * ((u + offset) * scale >> truncate, DATA_SIGN 0) expects the runtime to
 * store u = q - offset (scale == 2^truncate) instead of the int8 q: the
 * vendor lite streams program offset -128, scale 2^14, truncate 14 for
 * uint8 images whose int8 quantisation has zp -128 (inferred).  Found by
 * looking at the task that reads the tensor (its CNA_FEATURE_DATA_ADDR
 * relocation). */
static rk_status lite_unsigned_input(sim *s, int32_t ti, rk_err *e)
{
    if (s->soc != RK_SOC_RK3566)
        return RK_OK;
    const rknn_tensor *t = &s->g->tensors[ti];
    const rknn_reloc *rl = rknn_find_reloc(s->model, t->name);
    if (!rl || t->dtype != RK_DT_I8)
        return RK_OK;
    for (uint32_t k = 0; k < rl->n_pairs; k++) {
        size_t idx = rl->pairs[k].regcmd_index;
        if (idx >= s->n_regcmd || (uint16_t)s->regcmd[idx] != R_CNA_FEATURE_DATA_ADDR)
            continue;
        /* the task body around this entry: scan back to its start */
        size_t task = 0;
        for (size_t i = 0; i < s->n_tasks; i++)
            if (s->tasks[i].regcmd_addr / 8 <= idx)
                task = i;
        size_t b0 = (size_t)(s->tasks[task].regcmd_addr / 8), b1 = b0 + s->tasks[task].regcfg_amount;
        uint32_t cvt = 0, con1 = 0x10000;
        for (size_t i = b0; i < b1 && i < s->n_regcmd; i++) {
            uint16_t reg = (uint16_t)s->regcmd[i];
            uint32_t val = (uint32_t)(s->regcmd[i] >> 16);
            if (reg == R_CNA_CVT_CON0)
                cvt = val;
            else if (reg == R_CNA_CVT_CON1)
                con1 = val;
        }
        if (!(cvt & 1) || (cvt & 8))
            return RK_OK;
        int16_t scale = (int16_t)(con1 >> 16), offset = (int16_t)(con1 & 0xFFFF);
        int trunc = (int)((cvt >> 4) & 0x3F);
        if (trunc > 14 || scale != (1 << trunc))
            return rk_errf(e, RK_EUNSUPPORTED,
                           "input '%s': the first layer's CNA converter (scale %d, truncate %d) is not invertible",
                           t->name, scale, trunc);
        bool oom = false;
        uint8_t *p = sim_mem_span_w(&s->mem, s->tensor_addr[ti], (uint64_t)t->size, &oom);
        if (!p)
            return oom ? rk_errf(e, RK_ENOMEM, "input '%s': out of memory", t->name)
                       : rk_errf(e, RK_EINPUT, "input '%s' has no memory", t->name);
        for (int64_t i = 0; i < t->size; i++) {
            int v = (int)(int8_t)p[i] - offset;
            p[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
        return RK_OK;
    }
    return RK_OK;
}

/* InputOperator: user tensor -> normalised, reordered, quantised, native. */
static rk_status input_operator(sim *s, const rknn_node *n, rk_err *e)
{
    if (n->n_outputs < 1)
        return rk_errf(e, RK_EINPUT, "InputOperator '%s' has no output", n->name);
    int32_t ti = n->outputs[0];
    const rknn_tensor *t = &s->g->tensors[ti];
    int gi = graph_input_index(s, ti);
    if (gi < 0)
        return rk_errf(e, RK_EINPUT, "InputOperator '%s': tensor '%s' is not a graph input", n->name, t->name);
    const rk_tensor *u = &s->user_inputs[gi];
    if (!u->data)
        return rk_errf(e, RK_EUSAGE, "input %d ('%s') was not given", gi, t->name);
    int nd = 0;
    int64_t dims[RK_MAX_DIMS];
    rk_status st = shape_dims(t, &nd, dims, e);
    if (st)
        return st;
    rk_tensor f = {0};
    if ((st = rk_tensor_to_f32(&f, u, e)))
        return st;
    /* Layout: NCHW as the ONNX model says; NHWC only when asked. */
    if (s->user_nhwc[gi]) {
        if (nd != 4 || f.ndim != 4 || f.dims[0] != dims[0] || f.dims[1] != dims[2] || f.dims[2] != dims[3] ||
            f.dims[3] != dims[1]) {
            char a[64], b[64];
            rk_tensor shp = {0};
            shp.ndim = nd;
            memcpy(shp.dims, dims, sizeof(dims));
            rk_tensor_free(&f);
            return rk_errf(e, RK_EINPUT, "input '%s': NHWC data of shape %s is not the NHWC form of %s",
                           t->name, rk_shape_str(u, a, sizeof(a)), rk_shape_str(&shp, b, sizeof(b)));
        }
        rk_tensor g = {0};
        if ((st = rk_tensor_alloc(&g, t->name, RK_DT_F32, nd, dims, e))) {
            rk_tensor_free(&f);
            return st;
        }
        int64_t N = dims[0], C = dims[1], H = dims[2], W = dims[3];
        const float *src = f.data;
        float *dst = g.data;
        for (int64_t a = 0; a < N; a++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t w = 0; w < W; w++)
                    for (int64_t c = 0; c < C; c++)
                        dst[((a * C + c) * H + h) * W + w] = src[((a * H + h) * W + w) * C + c];
        rk_tensor_free(&f);
        f = g;
    } else {
        bool same = f.ndim == nd;
        for (int k = 0; same && k < nd; k++)
            same = f.dims[k] == dims[k];
        if (!same) {
            char a[64], b[64];
            rk_tensor shp = {0};
            shp.ndim = nd;
            memcpy(shp.dims, dims, sizeof(dims));
            rk_tensor_free(&f);
            return rk_errf(e, RK_EINPUT, "input '%s': shape %s given, the model's input is %s (%s)",
                           t->name, rk_shape_str(u, a, sizeof(a)), rk_shape_str(&shp, b, sizeof(b)),
                           nd == 4 ? "NCHW; pass --nhwc for NHWC data" : "plain layout, same rank and dims");
        }
    }
    /* Channel order and mean/std (input_prep.c, shared with compare). */
    rknn_input_prep prep;
    rknn_input_prep_of(s->model, s->g, (uint32_t)gi, &prep);
    if ((st = rknn_input_prep_apply_shape(&prep, t->name, f.data, f.ndim, f.dims, e))) {
        rk_tensor_free(&f);
        return st;
    }
    st = sim_tensor_from_float(s, ti, &f, e);
    if (!st)
        st = capture_input_before_reencoding(s, ti, e);
    if (!st)
        st = lite_unsigned_input(s, ti, e);
    rk_tensor_free(&f);
    return st;
}

static rk_status reshape_node(sim *s, const rknn_node *n, rk_err *e)
{
    if (n->n_inputs < 1 || n->n_outputs < 1)
        return rk_errf(e, RK_EINPUT, "Reshape '%s' needs an input and an output", n->name);
    rk_tensor f = {0};
    rk_status st = sim_tensor_to_float(s, n->inputs[0], &f, e);
    if (st)
        return st;
    const rknn_tensor *ot = &s->g->tensors[n->outputs[0]];
    int64_t ne = 1;
    for (uint32_t k = 0; k < ot->n_shape; k++)
        ne *= ot->shape[k];
    if (ne != f.nelem) {
        rk_tensor_free(&f);
        return rk_errf(e, RK_EINPUT, "Reshape '%s': %lld elements into a tensor of %lld", n->name,
                       (long long)f.nelem, (long long)ne);
    }
    f.ndim = 1;
    f.dims[0] = ne;
    st = sim_tensor_from_float(s, n->outputs[0], &f, e);
    rk_tensor_free(&f);
    return st;
}

static rk_status custom_node(sim *s, const rknn_node *n, const sim_custom_op *op, rk_err *e)
{
    rk_tensor ins[8] = {{0}}, outs[8] = {{0}};
    int ni = 0, no = 0;
    rk_status st = RK_OK;
    if (n->n_inputs > 8 || n->n_outputs > 8)
        return rk_errf(e, RK_EUNSUPPORTED, "custom op '%s': more than 8 inputs or outputs", n->name);
    for (uint32_t k = 0; k < n->n_inputs; k++) {
        const rknn_tensor *t = &s->g->tensors[n->inputs[k]];
        if (t->kind == RKNN_KIND_CONST || t->kind == RKNN_KIND_CONST5)
            continue; /* constant operands are not activations */
        if ((st = sim_tensor_to_float(s, n->inputs[k], &ins[ni], e)))
            goto out;
        ni++;
    }
    for (uint32_t k = 0; k < n->n_outputs; k++) {
        const rknn_tensor *t = &s->g->tensors[n->outputs[k]];
        int nd = 0;
        int64_t dims[RK_MAX_DIMS];
        if ((st = shape_dims(t, &nd, dims, e)) ||
            (st = rk_tensor_alloc(&outs[no], t->name, RK_DT_F32, nd, dims, e)))
            goto out;
        no++;
    }
    if ((st = op->compute(n, ins, ni, outs, no, e)))
        goto out;
    for (int k = 0; k < no; k++)
        if ((st = sim_tensor_from_float(s, n->outputs[k], &outs[k], e)))
            goto out;
out:
    for (int k = 0; k < 8; k++) {
        rk_tensor_free(&ins[k]);
        rk_tensor_free(&outs[k]);
    }
    return st;
}

rk_status sim_cpu_node(sim *s, uint32_t ni, rk_err *e)
{
    const rknn_node *n = &s->g->nodes[ni];
    const char *type = n->type ? n->type : "";
    rk_status st;
    int32_t blob = sim_cpu_onnx_blob(s->model, n);
    if (blob >= 0)
        st = sim_cpu_onnx_node(s, n, blob, e); /* converted models: any ONNX op (cpu_fallback.c) */
    else if (strcmp(type, "InputOperator") == 0)
        st = input_operator(s, n, e);
    else if (strcmp(type, "OutputOperator") == 0)
        st = RK_OK; /* outputs are read from their tensors by sim_get_output */
    else if (strcmp(type, "Reshape") == 0)
        st = reshape_node(s, n, e);
    else {
        const sim_custom_op *op = sim_custom_find(type);
        if (!op)
            return sim_problem(s, e, "CPU node of type '%s' is not implemented", type);
        st = custom_node(s, n, op, e);
    }
    if (st)
        return rk_err_wrap(e, "layer '%s' (%s, CPU)", n->name ? n->name : "", type);
    return RK_OK;
}
