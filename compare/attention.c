/* attention.c - attention block detection on the ONNX graph and the
 * step-by-step error analysis (see attention.h). */
#include "attention.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How far the backward walks go; real exports need 1-3 steps. */
enum { WALK_LIMIT = 6, MAX_HEADS = 256 };

const char *cmp_attn_scale_place_name(cmp_attn_scale_place p)
{
    switch (p) {
    case CMP_SCALE_POST: return "post";
    case CMP_SCALE_PRE: return "pre";
    case CMP_SCALE_BOTH: return "pre+post";
    case CMP_SCALE_ATTR: return "attr";
    default: return "none";
    }
}

static bool is_op(const ox_node *n, const char *op)
{
    return n && strcmp(ox_node_domain(n), "") == 0 && strcmp(ox_node_op_type(n), op) == 0;
}

static const ox_node *producer(const ox_model *m, const char *name)
{
    return name && name[0] ? ox_model_producer(m, name) : NULL;
}

/* Value of a scalar constant tensor (an initializer or a Constant node). */
static bool const_scalar(const ox_model *m, const char *name, double *v)
{
    const rk_tensor *init = ox_model_initializer(m, name);
    rk_tensor tmp = {0}, f = {0};
    bool ok = false;
    if (!init) {
        const ox_node *p = producer(m, name);
        if (!is_op(p, "Constant"))
            return false;
        if (ox_attr_has(p, "value_float")) {
            *v = ox_attr_float_or(p, "value_float", 0.0f);
            return true;
        }
        if (ox_attr_tensor(p, "value", &tmp, NULL) != RK_OK)
            return false;
        init = &tmp;
    }
    if (init->nelem == 1 && rk_tensor_to_f32(&f, init, NULL) == RK_OK) {
        *v = ((const float *)f.data)[0];
        ok = true;
    }
    rk_tensor_free(&f);
    rk_tensor_free(&tmp);
    return ok;
}

/* Mul/Div of a tensor by a scalar constant: the non-constant input and the
 * factor (Div c -> 1/c). */
static bool scale_step(const ox_model *m, const ox_node *n, const char **other, double *factor)
{
    bool mul = is_op(n, "Mul"), div = is_op(n, "Div");
    if ((!mul && !div) || ox_node_num_inputs(n) != 2)
        return false;
    double c;
    for (int i = 0; i < 2; i++) {
        if (div && i == 0)
            continue; /* c / x is not a scale */
        if (const_scalar(m, ox_node_input_name(n, i), &c)) {
            if (div && c == 0.0)
                return false;
            *other = ox_node_input_name(n, 1 - i);
            *factor = div ? 1.0 / c : c;
            return true;
        }
    }
    return false;
}

/* An initializer or Constant output (possibly through Cast/Transpose). */
static bool is_weight(const ox_model *m, const char *name)
{
    for (int i = 0; i < WALK_LIMIT; i++) {
        if (ox_model_initializer(m, name))
            return true;
        const ox_node *p = producer(m, name);
        if (!p)
            return false;
        if (is_op(p, "Constant"))
            return true;
        if (!is_op(p, "Cast") && !is_op(p, "Transpose") && !is_op(p, "Identity"))
            return false;
        name = ox_node_input_name(p, 0);
    }
    return false;
}

static bool passthrough(const ox_node *n)
{
    return is_op(n, "Cast") || is_op(n, "Identity");
}

/* Whether `name` comes from a MatMul through scale / cast steps only. */
static bool reaches_matmul(const ox_model *m, const char *name)
{
    for (int i = 0; i < WALK_LIMIT; i++) {
        const ox_node *p = producer(m, name);
        const char *other;
        double f;
        if (!p)
            return false;
        if (is_op(p, "MatMul"))
            return true;
        if (passthrough(p))
            name = ox_node_input_name(p, 0);
        else if (scale_step(m, p, &other, &f))
            name = other;
        else
            return false;
    }
    return false;
}

/* Pattern text is built backwards; prepend one op name. */
static void prepend(char *pat, size_t n, const char *op)
{
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s%s%s", op, pat[0] ? ">" : "", pat);
    snprintf(pat, n, "%s", tmp);
}

/* Scale applied to one MatMul operand before the MatMul, looking through
 * the Transpose/Reshape that lay out heads.  Multiplies *scale. */
static bool pre_scale(const ox_model *m, const char *name, double *scale, bool *heads)
{
    bool found = false;
    for (int i = 0; i < WALK_LIMIT; i++) {
        const ox_node *p = producer(m, name);
        const char *other;
        double f;
        if (!p)
            break;
        if (is_op(p, "Transpose") || is_op(p, "Reshape") || passthrough(p)) {
            if (is_op(p, "Reshape"))
                *heads = true; /* [B,S,E] -> [B,S,H,D]: the head split */
            name = ox_node_input_name(p, 0);
        } else if (scale_step(m, p, &other, &f)) {
            *scale *= f;
            found = true;
            name = other;
        } else {
            break;
        }
    }
    return found;
}

/* The MatMul reading probs as its first operand (through Dropout/Cast). */
static const char *find_context(const ox_model *m, const char *probs)
{
    const char *cur = probs;
    for (int step = 0; step < WALK_LIMIT; step++) {
        const ox_node *next = NULL;
        for (int i = 0; i < ox_model_num_nodes(m) && !next; i++) {
            const ox_node *n = ox_model_node(m, i);
            if (ox_node_num_inputs(n) > 0 && strcmp(ox_node_input_name(n, 0), cur) == 0 &&
                (is_op(n, "MatMul") || is_op(n, "Dropout") || passthrough(n)))
                next = n;
        }
        if (!next)
            return NULL;
        if (is_op(next, "MatMul"))
            return ox_node_output_name(next, 0);
        cur = ox_node_output_name(next, 0);
    }
    return NULL;
}

static int heads_from_info(const ox_model *m, const char *name)
{
    const ox_value_info *vi = ox_model_value_info(m, name);
    if (!vi)
        return -1;
    if (vi->ndim == 4 && vi->dims[1] > 0)
        return (int)vi->dims[1];
    if (vi->ndim == 3 && vi->dims[0] > 0)
        return (int)vi->dims[0];
    return -1;
}

/* Walk back from a Softmax; true when it is fed by a QK^T MatMul. */
static bool match_softmax(const ox_model *m, const ox_node *sm, cmp_attn_block *b)
{
    memset(b, 0, sizeof *b);
    b->kind = CMP_ATTN_DECOMPOSED;
    b->anchor = sm;
    b->probs = ox_node_output_name(sm, 0);
    b->softmax_in = ox_node_input_name(sm, 0);
    double scale = 1.0;
    bool post = false;
    const char *name = b->softmax_in;
    char pat[160] = "Softmax";
    const ox_node *mm = NULL;
    for (int i = 0; i < WALK_LIMIT && !mm; i++) {
        const ox_node *p = producer(m, name);
        const char *other;
        double f;
        if (!p)
            return false;
        if (is_op(p, "MatMul")) {
            mm = p;
        } else if (passthrough(p)) {
            name = ox_node_input_name(p, 0);
        } else if (scale_step(m, p, &other, &f)) {
            scale *= f;
            post = true;
            prepend(pat, sizeof pat, ox_node_op_type(p));
            name = other;
        } else if (is_op(p, "Add") && !b->mask_op) {
            int li = reaches_matmul(m, ox_node_input_name(p, 0)) ? 0 : 1;
            if (!reaches_matmul(m, ox_node_input_name(p, li)))
                return false;
            b->mask_op = "Add";
            prepend(pat, sizeof pat, "Add");
            name = ox_node_input_name(p, li);
        } else if (is_op(p, "Where") && !b->mask_op) {
            int li = reaches_matmul(m, ox_node_input_name(p, 1)) ? 1 : 2;
            if (!reaches_matmul(m, ox_node_input_name(p, li)))
                return false;
            b->mask_op = "Where";
            prepend(pat, sizeof pat, "Where");
            name = ox_node_input_name(p, li);
        } else {
            return false;
        }
    }
    if (!mm || is_weight(m, ox_node_input_name(mm, 0)) || is_weight(m, ox_node_input_name(mm, 1)))
        return false; /* QK^T multiplies two activations; x·W is a projection */
    b->logits = ox_node_output_name(mm, 0);
    prepend(pat, sizeof pat, "MatMul");
    bool pre = false;
    for (int i = 0; i < 2; i++)
        pre |= pre_scale(m, ox_node_input_name(mm, i), &scale, &b->heads_split);
    b->context = find_context(m, b->probs);
    if (!b->context)
        return false; /* a classifier's softmax: nothing weights V */
    snprintf(pat + strlen(pat), sizeof pat - strlen(pat), ">MatMul");
    b->scale_place = pre && post ? CMP_SCALE_BOTH
                                 : (pre ? CMP_SCALE_PRE : (post ? CMP_SCALE_POST : CMP_SCALE_NONE));
    b->scale = b->scale_place == CMP_SCALE_NONE ? NAN : scale;
    b->num_heads = heads_from_info(m, b->probs);
    snprintf(b->pattern, sizeof b->pattern, "%s%s%s", pre ? "scaled Q/K, " : "", pat,
             b->heads_split ? " (heads split by Reshape/Transpose)" : "");
    return true;
}

/* The ONNX Attention operator (opset 23): inputs Q, K, V, attn_mask,
 * past_key, past_value; outputs Y, present_key, present_value,
 * qk_matmul_output (ONNX operator spec). */
static void match_attention_op(const ox_model *m, const ox_node *n, cmp_attn_block *b)
{
    memset(b, 0, sizeof *b);
    b->kind = CMP_ATTN_OP;
    b->anchor = n;
    b->context = ox_node_output_name(n, 0);
    if (ox_node_num_outputs(n) > 3 && ox_node_output_name(n, 3)[0]) {
        /* qk_matmul_output_mode 0: raw QK^T, 1: after mask, 2: after
         * softcap, 3: after softmax */
        int64_t mode = ox_attr_int_or(n, "qk_matmul_output_mode", 0);
        if (mode == 3)
            b->probs = ox_node_output_name(n, 3);
        else if (mode == 0)
            b->logits = ox_node_output_name(n, 3);
        else
            b->softmax_in = ox_node_output_name(n, 3);
    }
    if (ox_node_num_inputs(n) > 3 && ox_node_input_name(n, 3)[0])
        b->mask_op = "attn_mask";
    b->scale_place = CMP_SCALE_ATTR;
    b->scale = NAN;
    const ox_value_info *q = ox_model_value_info(m, ox_node_input_name(n, 0));
    if (ox_attr_has(n, "scale"))
        b->scale = ox_attr_float_or(n, "scale", 1.0f);
    else if (q && q->ndim == 4 && q->dims[3] > 0)
        b->scale = 1.0 / sqrt((double)q->dims[3]); /* spec default 1/sqrt(head_size) */
    b->num_heads = (int)ox_attr_int_or(n, "q_num_heads", -1);
    if (b->num_heads < 0 && q && q->ndim == 4 && q->dims[1] > 0)
        b->num_heads = (int)q->dims[1];
    b->heads_split = true;
    snprintf(b->pattern, sizeof b->pattern, "Attention(opset %d)%s", ox_node_opset(n),
             b->mask_op ? " with attn_mask" : "");
}

rk_status cmp_attn_detect(const ox_model *m, cmp_attn_block **out, int *n, rk_err *e)
{
    *out = NULL;
    *n = 0;
    int cap = 0;
    for (int i = 0; i < ox_model_num_nodes(m); i++) {
        const ox_node *node = ox_model_node(m, i);
        cmp_attn_block b;
        if (is_op(node, "Softmax")) {
            if (!match_softmax(m, node, &b))
                continue;
        } else if (is_op(node, "Attention")) {
            match_attention_op(m, node, &b);
        } else {
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            cmp_attn_block *p = realloc(*out, (size_t)cap * sizeof *p);
            if (!p) {
                free(*out);
                *out = NULL;
                *n = 0;
                return rk_errf(e, RK_ENOMEM, "out of memory detecting attention");
            }
            *out = p;
        }
        (*out)[(*n)++] = b;
    }
    return RK_OK;
}

/* ---- analysis -------------------------------------------------------- */

void cmp_prob_mass_zero(const float *p, int64_t n, float scale, double *mass, double *frac)
{
    double total = 0, zmass = 0;
    int64_t counted = 0, zeros = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(p[i]) || p[i] < 0.0f)
            continue;
        counted++;
        total += p[i];
        if (round((double)p[i] / scale) == 0.0) {
            zmass += p[i];
            zeros++;
        }
    }
    *mass = total > 0 ? zmass / total : NAN;
    *frac = counted > 0 ? (double)zeros / (double)counted : NAN;
}

/* Head axis for a tensor laid out [B,H,...] (rank 4) or [B*H,...] (rank 3). */
static int head_axis(const rk_tensor *t)
{
    return t->ndim >= 4 ? 1 : (t->ndim == 3 ? 0 : -1);
}

static rk_status per_head(const rk_tensor *ref, const float *r, const float *t,
                          cmp_attn_step *st, rk_err *e)
{
    int ax = head_axis(ref);
    if (ax < 0 || ref->dims[ax] < 2 || ref->dims[ax] > MAX_HEADS)
        return RK_OK;
    int64_t heads = ref->dims[ax], outer = 1, inner = 1;
    for (int i = 0; i < ax; i++)
        outer *= ref->dims[i];
    for (int i = ax + 1; i < ref->ndim; i++)
        inner *= ref->dims[i];
    float *br = rk_malloc_array((size_t)(outer * inner), sizeof *br);
    float *bt = rk_malloc_array((size_t)(outer * inner), sizeof *bt);
    st->heads = rk_calloc_array((size_t)heads, sizeof *st->heads);
    if (!br || !bt || !st->heads) {
        free(br);
        free(bt);
        free(st->heads);
        st->heads = NULL;
        return rk_errf(e, RK_ENOMEM, "out of memory splitting heads of '%s'", st->onnx_tensor);
    }
    for (int64_t h = 0; h < heads; h++) {
        for (int64_t o = 0; o < outer; o++) {
            size_t src = (size_t)((o * heads + h) * inner), dst = (size_t)(o * inner);
            memcpy(br + dst, r + src, (size_t)inner * sizeof *br);
            memcpy(bt + dst, t + src, (size_t)inner * sizeof *bt);
        }
        cmp_metrics_compute(br, bt, outer * inner, &st->heads[h]);
    }
    st->nheads = (int)heads;
    free(br);
    free(bt);
    return RK_OK;
}

static rk_status add_step(cmp_attn_report *a, const char *step, const char *tensor,
                          const cmp_attn_sources *src, rk_err *e)
{
    if (!tensor)
        return RK_OK;
    const rk_tensor *ref = src->ref(src->ref_user, tensor);
    if (!ref)
        return RK_OK;
    cmp_attn_step *p = realloc(a->steps, (size_t)(a->nsteps + 1) * sizeof *p);
    if (!p)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    a->steps = p;
    cmp_attn_step *st = &a->steps[a->nsteps++];
    memset(st, 0, sizeof *st);
    st->step = strdup(step);
    st->onnx_tensor = strdup(tensor);
    if (!st->step || !st->onnx_tensor)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    const rk_tensor *test = src->test ? src->test(src->test_user, tensor) : NULL;
    if (!test || test->nelem != ref->nelem)
        return RK_OK;
    rk_tensor fr = {0}, ft = {0};
    rk_status s = rk_tensor_to_f32(&fr, ref, e);
    if (s == RK_OK)
        s = rk_tensor_to_f32(&ft, test, e);
    if (s == RK_OK) {
        cmp_metrics_compute(fr.data, ft.data, fr.nelem, &st->m);
        st->has_metrics = true;
        s = per_head(&fr, fr.data, ft.data, st, e);
    }
    rk_tensor_free(&fr);
    rk_tensor_free(&ft);
    return s;
}

static void logit_stats(cmp_attn_report *a, const rk_tensor *t)
{
    rk_tensor f = {0};
    a->logit_min = a->logit_max = a->logit_min_unmasked = NAN;
    a->logit_int8_step = a->logit_step_unmasked = NAN;
    if (!t || rk_tensor_to_f32(&f, t, NULL) != RK_OK)
        return;
    const float *v = f.data;
    double lo = INFINITY, hi = -INFINITY, lo_u = INFINITY;
    for (int64_t i = 0; i < f.nelem; i++) {
        if (!isfinite(v[i]))
            continue;
        lo = RK_MIN(lo, v[i]);
        hi = RK_MAX(hi, v[i]);
        if (v[i] > CMP_ATTN_MASK_FLOOR)
            lo_u = RK_MIN(lo_u, v[i]);
    }
    if (hi >= lo) {
        /* asymmetric int8 over [min(lo,0), max(hi,0)]: the range includes 0
         * so that 0 is exact (inferred from the vendor's quant_tab) */
        a->logit_min = lo;
        a->logit_max = hi;
        a->logit_int8_step = (RK_MAX(hi, 0.0) - RK_MIN(lo, 0.0)) / 255.0;
    }
    if (hi >= lo_u) {
        a->logit_min_unmasked = lo_u;
        a->logit_step_unmasked = (RK_MAX(hi, 0.0) - RK_MIN(lo_u, 0.0)) / 255.0;
    }
    rk_tensor_free(&f);
}

static void prob_stats(cmp_attn_report *a, const cmp_attn_block *b, const cmp_attn_sources *src)
{
    a->prob_mass_zero = a->prob_frac_zero = NAN;
    a->prob_scale = 1.0f / 255.0f;
    a->prob_zp = -128;
    const rk_tensor *p = b->probs ? src->ref(src->ref_user, b->probs) : NULL;
    if (!p)
        return;
    float s;
    int32_t zp;
    if (src->qparams && src->qparams(src->q_user, b->probs, &s, &zp) && s > 0) {
        a->prob_scale = s;
        a->prob_zp = zp;
        a->prob_qparams_from_model = true;
    }
    rk_tensor f = {0};
    if (rk_tensor_to_f32(&f, p, NULL) != RK_OK)
        return;
    cmp_prob_mass_zero(f.data, f.nelem, a->prob_scale, &a->prob_mass_zero, &a->prob_frac_zero);
    if (a->num_heads < 0) {
        int ax = head_axis(&f);
        if (ax >= 0)
            a->num_heads = (int)f.dims[ax];
    }
    rk_tensor_free(&f);
}

rk_status cmp_attn_analyse(const cmp_attn_block *b, const cmp_attn_sources *src,
                           cmp_attn_report *a, rk_err *e)
{
    memset(a, 0, sizeof *a);
    const char *name = b->anchor ? ox_node_name(b->anchor) : "attention";
    if (!name[0])
        name = ox_node_output_name(b->anchor, 0);
    a->name = strdup(name);
    a->kind = strdup(b->kind == CMP_ATTN_OP ? "Attention-op" : "decomposed");
    a->pattern = strdup(b->pattern);
    if (!a->name || !a->kind || !a->pattern) {
        cmp_attn_report_free(a);
        return rk_errf(e, RK_ENOMEM, "out of memory");
    }
    a->num_heads = b->num_heads;
    a->scale = b->scale;
    a->has_mask = b->mask_op != NULL;
    rk_status st = add_step(a, "logits", b->logits, src, e);
    if (!st && b->softmax_in && (!b->logits || strcmp(b->softmax_in, b->logits) != 0))
        st = add_step(a, "softmax_input", b->softmax_in, src, e);
    if (!st)
        st = add_step(a, "probs", b->probs, src, e);
    if (!st)
        st = add_step(a, "context", b->context, src, e);
    if (st) {
        cmp_attn_report_free(a);
        return st;
    }
    const char *lg = b->softmax_in ? b->softmax_in : b->logits;
    logit_stats(a, lg ? src->ref(src->ref_user, lg) : NULL);
    float ls;
    int32_t lzp;
    a->logit_model_scale = NAN;
    if (lg && src->qparams && src->qparams(src->q_user, lg, &ls, &lzp))
        a->logit_model_scale = ls;
    prob_stats(a, b, src);
    return RK_OK;
}
