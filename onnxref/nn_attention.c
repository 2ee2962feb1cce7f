/*
 * nn_attention.c - Attention (ai.onnx opset 23): scaled dot-product
 * attention with 3-D or 4-D Q/K/V, q_num_heads / kv_num_heads (MHA, GQA,
 * MQA), scale, is_causal, boolean or additive attn_mask (broadcast,
 * shorter last axis padded with -inf), past/present key-value cache,
 * softcap and the optional qk_matmul_output (modes 0..3).
 *
 * Sources: the ONNX operator spec (docs/Operators.md, Attention-23) and
 * the ONNX reference implementation (onnx/reference/ops/op_attention.py).
 * Where they disagree we follow the reference and say so:
 *  - order of softcap and mask: the spec's diagram adds the mask before
 *    softcap; the reference applies softcap first so that -inf stays -inf
 *    (otherwise masked keys would leak probability).  We apply softcap first.
 *  - causal alignment with a KV cache: query i may see key j iff
 *    j <= i + past_sequence_length (reference; spec says "upper left").
 *  - qk_matmul_output_mode: the spec text (written for mask-then-softcap)
 *    says 1 = with mask, 2 = after softcap; onnxruntime 1.30 and the
 *    reference give 1 = after softcap, 2 = after softcap + mask (checked
 *    with onnxruntime-node, tests/gen_onnxref_nn_golden.py).  We follow them:
 *    0 = scale*Q*K^T, 1 = softcapped, 2 = softcapped + mask/causal,
 *    3 = softmax probabilities.  GQA maps query head h to KV head
 * h / (q_heads / kv_heads) (the reference's repeat-interleave).
 * Fully masked rows give NaN, as in the reference's softmax.
 */
#include "nn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Strided view of a [B, H, S, D] tensor stored as 4-D (B,H,S,D) or 3-D
 * (B,S,H*D).  Element (b,h,s,d) is at b*sb + h*sh + s*ss + d. */
typedef struct att_view {
    const float *data;
    int64_t heads, seq, dim;
    int64_t sb, sh, ss;
} att_view;

static rk_status make_view(const ox_node *n, const rk_tensor *t, const char *role,
                           int64_t heads_attr, att_view *v, rk_err *e)
{
    char buf[96];
    rk_status st = nn_need_f32(n, t, role, e);
    if (st)
        return st;
    v->data = t->data;
    if (t->ndim == 4) {
        v->heads = t->dims[1];
        v->seq = t->dims[2];
        v->dim = t->dims[3];
        v->ss = v->dim;
        v->sh = v->seq * v->dim;
        v->sb = v->heads * v->sh;
        if (heads_attr > 0 && heads_attr != v->heads)
            return rk_errf(e, RK_EINPUT, "%s: %s %s has %lld heads but the head attribute "
                           "says %lld", ox_node_label(n), role, rk_shape_str(t, buf, sizeof buf),
                           (long long)v->heads, (long long)heads_attr);
        return RK_OK;
    }
    if (t->ndim != 3)
        return rk_errf(e, RK_EINPUT, "%s: %s %s must be 3-D or 4-D", ox_node_label(n), role,
                       rk_shape_str(t, buf, sizeof buf));
    if (heads_attr < 1 || heads_attr > RK_MAX(1, t->dims[2]) || t->dims[2] % heads_attr)
        return rk_errf(e, RK_EINPUT, "%s: 3-D %s %s needs q_num_heads/kv_num_heads dividing "
                       "its hidden size (got %lld)", ox_node_label(n), role,
                       rk_shape_str(t, buf, sizeof buf), (long long)heads_attr);
    v->heads = heads_attr;
    v->seq = t->dims[1];
    v->dim = t->dims[2] / heads_attr;
    v->ss = t->dims[2];
    v->sh = v->dim;
    v->sb = v->seq * t->dims[2];
    return RK_OK;
}

/* present = concat(past, new) along the sequence: [B, H, P+S, D]. */
static rk_status build_present(const ox_node *n, const rk_tensor *past, const att_view *cur,
                               int64_t batch, const char *role, rk_tensor *out, rk_err *e)
{
    char buf[96];
    int64_t p = 0;
    if (past) {
        rk_status st = nn_need_f32(n, past, role, e);
        if (st)
            return st;
        if (past->ndim != 4 || past->dims[0] != batch || past->dims[1] != cur->heads ||
            past->dims[3] != cur->dim)
            return rk_errf(e, RK_EINPUT, "%s: %s %s should be [%lld, %lld, P, %lld]",
                           ox_node_label(n), role, rk_shape_str(past, buf, sizeof buf),
                           (long long)batch, (long long)cur->heads, (long long)cur->dim);
        p = past->dims[2];
    }
    int64_t dims[4] = {batch, cur->heads, p + cur->seq, cur->dim};
    rk_status st = rk_tensor_alloc(out, NULL, RK_DT_F32, 4, dims, e);
    if (st)
        return st;
    float *dst = out->data;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t h = 0; h < cur->heads; h++) {
            float *row = dst + ((b * cur->heads + h) * (p + cur->seq)) * cur->dim;
            if (p)
                memcpy(row, (const float *)past->data + ((b * cur->heads + h) * p) * cur->dim,
                       (size_t)(p * cur->dim) * sizeof(float));
            for (int64_t s = 0; s < cur->seq; s++)
                memcpy(row + (p + s) * cur->dim, cur->data + b * cur->sb + h * cur->sh + s * cur->ss,
                       (size_t)cur->dim * sizeof(float));
        }
    return RK_OK;
}

/* Additive bias of the mask at (b, h, i, j); the mask broadcasts to
 * [B, H, Sq, T] from the right and its last axis may be shorter than T
 * (missing keys are masked out). */
static double mask_bias(const rk_tensor *m, int64_t b, int64_t h, int64_t i, int64_t j)
{
    int64_t idx[4] = {b, h, i, j}, off = 0, stride = 1;
    if (j >= m->dims[m->ndim - 1])
        return -INFINITY;
    for (int d = m->ndim - 1, k = 3; d >= 0; d--, k--) {
        if (m->dims[d] != 1)
            off += idx[k] * stride;
        stride *= m->dims[d];
    }
    if (m->dtype == RK_DT_BOOL)
        return ((const uint8_t *)m->data)[off] ? 0.0 : -INFINITY;
    return nn_get_f64(m, off);
}

static rk_status check_mask(const ox_node *n, const rk_tensor *m, int64_t batch, int64_t qh,
                            int64_t sq, rk_err *e)
{
    char buf[96];
    int64_t want[4] = {batch, qh, sq, -1};
    if (m->ndim < 1 || m->ndim > 4)
        goto bad;
    for (int d = 0; d < m->ndim - 1; d++) {
        int64_t w = want[4 - m->ndim + d];
        if (m->dims[d] != 1 && m->dims[d] != w)
            goto bad;
    }
    if (m->dtype == RK_DT_STRING || m->dtype == RK_DT_UNDEF)
        goto bad;
    return RK_OK;
bad:
    return rk_errf(e, RK_EINPUT, "%s: attn_mask %s (%s) does not broadcast to [%lld, %lld, "
                   "%lld, total_sequence_length]", ox_node_label(n),
                   rk_shape_str(m, buf, sizeof buf), rk_dtype_name(m->dtype), (long long)batch,
                   (long long)qh, (long long)sq);
}

NN_KERNEL(nn_op_attention)
{
    const rk_tensor *q, *k, *v, *mask = nn_in(in, nin, 3);
    const rk_tensor *past_k = nn_in(in, nin, 4), *past_v = nn_in(in, nin, 5);
    att_view qv, kv, vv;
    rk_tensor pk = {0}, pv = {0};
    float *scores = NULL;
    rk_status st;
    char buf[96];

    if ((st = nn_need(n, in, nin, 0, "Q", &q, e)) || (st = nn_need(n, in, nin, 1, "K", &k, e)) ||
        (st = nn_need(n, in, nin, 2, "V", &v, e)))
        return st;
    if (nn_in(in, nin, 6))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: nonpad_kv_seqlen (opset 24) is not supported",
                       ox_node_label(n));
    if (q->ndim != k->ndim || q->ndim != v->ndim)
        return rk_errf(e, RK_EINPUT, "%s: Q, K and V must have the same rank", ox_node_label(n));
    if ((!past_k) != (!past_v))
        return rk_errf(e, RK_EINPUT, "%s: past_key and past_value must be given together",
                       ox_node_label(n));
    int64_t qh_attr = ox_attr_int_or(n, "q_num_heads", 0), kvh_attr = ox_attr_int_or(n, "kv_num_heads", 0);
    if ((st = make_view(n, q, "Q", qh_attr, &qv, e)) || (st = make_view(n, k, "K", kvh_attr, &kv, e)) ||
        (st = make_view(n, v, "V", kvh_attr, &vv, e)))
        return st;
    const int64_t batch = q->dims[0];
    if (k->dims[0] != batch || v->dims[0] != batch || kv.dim != qv.dim || kv.heads != vv.heads ||
        kv.seq != vv.seq || kv.heads < 1 || qv.heads % kv.heads)
        return rk_errf(e, RK_EINPUT, "%s: Q %s, K and V disagree (batch, head size, KV heads "
                       "dividing %lld query heads, or K/V sequence)", ox_node_label(n),
                       rk_shape_str(q, buf, sizeof buf), (long long)qv.heads);
    if ((st = build_present(n, past_k, &kv, batch, "past_key", &pk, e)) ||
        (st = build_present(n, past_v, &vv, batch, "past_value", &pv, e)))
        goto fail;
    const int64_t total = pk.dims[2], past = total - kv.seq, sq = qv.seq, hs = qv.dim;
    const int64_t vhs = vv.dim, group = qv.heads / kv.heads;
    if (pv.dims[2] != total) {
        st = rk_errf(e, RK_EINPUT, "%s: past_key and past_value lengths differ", ox_node_label(n));
        goto fail;
    }
    if (mask && (st = check_mask(n, mask, batch, qv.heads, sq, e)))
        goto fail;
    float scale = ox_attr_has(n, "scale") ? ox_attr_float_or(n, "scale", 1.0f)
                                          : (float)(1.0 / sqrt((double)hs));
    float softcap = ox_attr_float_or(n, "softcap", 0.0f);
    bool causal = ox_attr_int_or(n, "is_causal", 0) != 0;
    int64_t qk_mode = ox_attr_int_or(n, "qk_matmul_output_mode", 0);
    if (qk_mode < 0 || qk_mode > 3) {
        st = rk_errf(e, RK_EINPUT, "%s: qk_matmul_output_mode=%lld (valid: 0..3)",
                     ox_node_label(n), (long long)qk_mode);
        goto fail;
    }
    /* Outputs: Y in Q's layout, present_key/value, qk_matmul_output. */
    int64_t ydims[4];
    if (q->ndim == 4) {
        int64_t d[4] = {batch, qv.heads, sq, vhs};
        memcpy(ydims, d, sizeof d);
    } else {
        int64_t d[3] = {batch, sq, qv.heads * vhs};
        memcpy(ydims, d, sizeof d);
    }
    if ((st = rk_tensor_alloc(&out[0], NULL, RK_DT_F32, q->ndim, ydims, e)))
        goto fail;
    float *qk_out = NULL;
    if (nout > 3 && ox_node_output_used(n, 3)) {
        int64_t d[4] = {batch, qv.heads, sq, total};
        if ((st = rk_tensor_alloc(&out[3], NULL, RK_DT_F32, 4, d, e)))
            goto fail;
        qk_out = out[3].data;
    }
    scores = rk_malloc_array((size_t)RK_MAX(1, sq * total), sizeof *scores);
    if (!scores) {
        st = rk_errf(e, RK_ENOMEM, "%s: out of memory", ox_node_label(n));
        goto fail;
    }
    const int64_t y_ld = q->ndim == 4 ? vhs : qv.heads * vhs;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t h = 0; h < qv.heads; h++) {
            int64_t kh = h / group;
            const float *qp = qv.data + b * qv.sb + h * qv.sh;
            const float *kp = (const float *)pk.data + (b * kv.heads + kh) * total * hs;
            const float *vp = (const float *)pv.data + (b * kv.heads + kh) * total * vhs;
            float *yp = (float *)out[0].data +
                        (q->ndim == 4 ? ((b * qv.heads + h) * sq) * vhs : b * sq * y_ld + h * vhs);
            float *qo = qk_out ? qk_out + (b * qv.heads + h) * sq * total : NULL;
            /* scores = scale * Q_bh K_bh^T */
            nn_gemm(ctx, false, true, sq, total, hs, scale, qp, qv.ss, kp, hs, 0.0f, scores, total);
            if (qo && qk_mode == 0)
                memcpy(qo, scores, (size_t)(sq * total) * sizeof(float));
            for (int64_t i = 0; i < sq; i++) {
                float *row = scores + i * total;
                float mx = -INFINITY;
                for (int64_t j = 0; j < total; j++) {
                    float s = row[j];
                    if (softcap > 0.0f)
                        s = softcap * tanhf(s / softcap);
                    if (qo && qk_mode == 1)
                        qo[i * total + j] = s;
                    if (mask)
                        s += (float)mask_bias(mask, b, h, i, j);
                    if (causal && j > i + past)
                        s = -INFINITY;
                    if (qo && qk_mode == 2)
                        qo[i * total + j] = s;
                    row[j] = s;
                    mx = s > mx ? s : mx;
                }
                double sum = 0.0;
                for (int64_t j = 0; j < total; j++) {
                    row[j] = nn_expf(row[j] - mx);
                    sum += row[j];
                }
                for (int64_t j = 0; j < total; j++)
                    row[j] = (float)(row[j] / sum);
                if (qo && qk_mode == 3)
                    memcpy(qo + i * total, row, (size_t)total * sizeof(float));
            }
            /* Y_bh = P V_bh */
            nn_gemm(ctx, false, false, sq, vhs, total, 1.0f, scores, total, vp, vhs, 0.0f, yp, y_ld);
        }
    free(scores);
    if (nout > 1 && ox_node_output_used(n, 1)) {
        out[1] = pk;
        pk = (rk_tensor){0};
    }
    if (nout > 2 && ox_node_output_used(n, 2)) {
        out[2] = pv;
        pv = (rk_tensor){0};
    }
    rk_tensor_free(&pk);
    rk_tensor_free(&pv);
    return RK_OK;
fail:
    free(scores);
    rk_tensor_free(&pk);
    rk_tensor_free(&pv);
    for (int i = 0; i < nout && i < 4; i++)
        rk_tensor_free(&out[i]);
    return st;
}
