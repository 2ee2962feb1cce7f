/*
 * ops_elementwise.c - every elementwise ONNX operator: unary math and
 * activations, binary arithmetic / comparison / logic with numpy
 * broadcasting, variadic Sum/Mean/Min/Max, Where, Clip, Dropout (inference),
 * Identity and Constant.
 *
 * Semantics are those of the ONNX operator specification (onnx/docs/
 * Operators.md) and its numpy reference implementation; where an op's
 * semantics changed between opsets, the table at the end has one entry per
 * change.  Computation: float32 in float (fast paths for the ops CNNs use),
 * float16/bfloat16 in float with rounding on store, float64 in double,
 * integers in int64 (results wrap to the output width like numpy).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ox_internal.h" /* Identity passes sequence/optional handles through */
#include "ox_op.h"

/* Hot float32 loops: GCC's -O2 does not vectorise loops needing a
 * remainder and baseline x86-64 is SSE2 only, so these are built with O3
 * plus an AVX2 clone chosen at load time (same approach as nn_internal.h's
 * NN_HOT).  No FMA contraction is possible in these loops (one op each). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define EW_HOT __attribute__((optimize("O3"), target_clones("arch=x86-64-v3", "default")))
#else
#define EW_HOT
#endif

/* ---- element access --------------------------------------------------- */

static bool is_float_type(rk_dtype d)
{
    return d == RK_DT_F32 || d == RK_DT_F64 || d == RK_DT_F16 || d == RK_DT_BF16;
}

static bool is_int_type(rk_dtype d)
{
    switch (d) {
    case RK_DT_U8: case RK_DT_I8: case RK_DT_U16: case RK_DT_I16: case RK_DT_I32:
    case RK_DT_I64: case RK_DT_U32: case RK_DT_U64: case RK_DT_BOOL:
        return true;
    default:
        return false;
    }
}

static bool is_unsigned_type(rk_dtype d)
{
    return d == RK_DT_U8 || d == RK_DT_U16 || d == RK_DT_U32 || d == RK_DT_U64;
}

static double get_f64(const rk_tensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dtype) {
    case RK_DT_F32: return ((const float *)p)[i];
    case RK_DT_F64: return ((const double *)p)[i];
    case RK_DT_F16: return rk_f16_to_f32(((const uint16_t *)p)[i]);
    case RK_DT_BF16: return rk_bf16_to_f32(((const uint16_t *)p)[i]);
    case RK_DT_U8: case RK_DT_BOOL: return ((const uint8_t *)p)[i];
    case RK_DT_I8: return ((const int8_t *)p)[i];
    case RK_DT_U16: return ((const uint16_t *)p)[i];
    case RK_DT_I16: return ((const int16_t *)p)[i];
    case RK_DT_I32: return ((const int32_t *)p)[i];
    case RK_DT_U32: return ((const uint32_t *)p)[i];
    case RK_DT_I64: return (double)((const int64_t *)p)[i];
    case RK_DT_U64: return (double)((const uint64_t *)p)[i];
    default: return 0;
    }
}

/* Integers as int64; uint64 keeps its bit pattern (two's complement). */
static int64_t get_i64(const rk_tensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dtype) {
    case RK_DT_U8: case RK_DT_BOOL: return ((const uint8_t *)p)[i];
    case RK_DT_I8: return ((const int8_t *)p)[i];
    case RK_DT_U16: return ((const uint16_t *)p)[i];
    case RK_DT_I16: return ((const int16_t *)p)[i];
    case RK_DT_I32: return ((const int32_t *)p)[i];
    case RK_DT_U32: return ((const uint32_t *)p)[i];
    case RK_DT_I64: return ((const int64_t *)p)[i];
    case RK_DT_U64: return (int64_t)((const uint64_t *)p)[i];
    default: return (int64_t)get_f64(t, i);
    }
}

static void set_i64(rk_tensor *t, int64_t i, int64_t v);

static void set_f64(rk_tensor *t, int64_t i, double v)
{
    void *p = t->data;
    switch (t->dtype) {
    case RK_DT_F32: ((float *)p)[i] = (float)v; break;
    case RK_DT_F64: ((double *)p)[i] = v; break;
    case RK_DT_F16: ((uint16_t *)p)[i] = rk_f32_to_f16((float)v); break;
    case RK_DT_BF16: ((uint16_t *)p)[i] = rk_f32_to_bf16((float)v); break;
    case RK_DT_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    default: /* integer output from a float computation (Pow int^float): truncate */
        if (isnan(v))
            v = 0;
        set_i64(t, i, v >= 9.2233720368547758e18 ? INT64_MAX
                      : (v <= -9.2233720368547758e18 ? INT64_MIN : (int64_t)v));
        break;
    }
}

/* Store wrapping modulo 2^bits, like numpy's integer arithmetic. */
static void set_i64(rk_tensor *t, int64_t i, int64_t v)
{
    void *p = t->data;
    uint64_t u = (uint64_t)v;
    switch (t->dtype) {
    case RK_DT_U8: ((uint8_t *)p)[i] = (uint8_t)u; break;
    case RK_DT_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    case RK_DT_I8: ((int8_t *)p)[i] = (int8_t)(uint8_t)u; break;
    case RK_DT_U16: ((uint16_t *)p)[i] = (uint16_t)u; break;
    case RK_DT_I16: ((int16_t *)p)[i] = (int16_t)(uint16_t)u; break;
    case RK_DT_I32: ((int32_t *)p)[i] = (int32_t)(uint32_t)u; break;
    case RK_DT_U32: ((uint32_t *)p)[i] = (uint32_t)u; break;
    case RK_DT_I64: ((int64_t *)p)[i] = v; break;
    case RK_DT_U64: ((uint64_t *)p)[i] = u; break;
    default: set_f64(t, i, (double)v); break;
    }
}

static rk_status need_inputs(const ox_node *n, const rk_tensor *const *in, int nin, int count,
                             rk_err *e)
{
    if (nin < count)
        return rk_errf(e, RK_EINPUT, "%s: needs %d inputs, has %d", ox_node_label(n), count, nin);
    for (int i = 0; i < count; i++)
        if (!in[i])
            return rk_errf(e, RK_EINPUT, "%s: input #%d is missing", ox_node_label(n), i);
    return RK_OK;
}

static rk_status need_float(const ox_node *n, const rk_tensor *t, const char *what, rk_err *e)
{
    if (!is_float_type(t->dtype))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: %s has element type %s; this operator takes "
                       "floating-point tensors", ox_node_label(n), what, rk_dtype_name(t->dtype));
    return RK_OK;
}

/* ---- broadcasting ----------------------------------------------------- */

rk_status ox_broadcast_shape(const ox_node *n, const rk_tensor *a, const rk_tensor *b,
                             int *ndim, int64_t *dims, rk_err *e)
{
    int nd = RK_MAX(a->ndim, b->ndim);
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char s1[96], s2[96];
            return rk_errf(e, RK_EINPUT, "%s: shapes %s and %s cannot be broadcast",
                           ox_node_label(n), rk_shape_str(a, s1, sizeof s1),
                           rk_shape_str(b, s2, sizeof s2));
        }
        dims[i] = da == 1 ? db : da;
    }
    *ndim = nd;
    return RK_OK;
}

#define BC_MAX_IN 3

/* A broadcast iteration plan over up to three inputs.  Invariants: the
 * output is contiguous with `rows` runs of `inner` elements; along a run,
 * input k advances by istride[k] (0 or 1); the start offset of row r in
 * input k is sum(idx_d(r) * stride[k][d]) over the outer dims d < nd-1.
 * Adjacent dims are coalesced when every input is contiguous across them. */
typedef struct bc_plan {
    int nd, nin;
    int64_t dims[RK_MAX_DIMS];
    int64_t stride[BC_MAX_IN][RK_MAX_DIMS];
    int64_t inner, rows;
    int64_t istride[BC_MAX_IN];
} bc_plan;

static rk_status bc_plan_make(const ox_node *n, const rk_tensor *const *ins, int nin,
                              int *out_nd, int64_t *out_dims, bc_plan *p, rk_err *e)
{
    int nd = 0;
    int64_t dims[RK_MAX_DIMS];
    rk_tensor acc = {0};
    acc.ndim = 0;
    for (int k = 0; k < nin; k++) {
        rk_status st = ox_broadcast_shape(n, &acc, ins[k], &nd, dims, e);
        if (st != RK_OK)
            return st;
        acc.ndim = nd;
        memcpy(acc.dims, dims, sizeof dims);
    }
    *out_nd = nd;
    memcpy(out_dims, dims, sizeof(int64_t) * (size_t)nd);
    memset(p, 0, sizeof *p);
    p->nin = nin;
    /* full strides, 0 where broadcast; size-1 output dims are dropped */
    int64_t st_full[BC_MAX_IN][RK_MAX_DIMS];
    for (int k = 0; k < nin; k++) {
        int64_t s = 1;
        for (int i = nd - 1; i >= 0; i--) {
            int ik = i - (nd - ins[k]->ndim);
            int64_t dk = ik >= 0 ? ins[k]->dims[ik] : 1;
            st_full[k][i] = dk == 1 ? 0 : s;
            s *= dk;
        }
    }
    int m = 0;
    for (int i = 0; i < nd; i++) {
        if (dims[i] == 1)
            continue;
        bool merge = m > 0;
        for (int k = 0; k < nin && merge; k++)
            merge = p->stride[k][m - 1] == st_full[k][i] * dims[i];
        if (merge) {
            p->dims[m - 1] *= dims[i];
            for (int k = 0; k < nin; k++)
                p->stride[k][m - 1] = st_full[k][i];
        } else {
            p->dims[m] = dims[i];
            for (int k = 0; k < nin; k++)
                p->stride[k][m] = st_full[k][i];
            m++;
        }
    }
    if (m == 0) {
        p->dims[0] = 1;
        for (int k = 0; k < nin; k++)
            p->stride[k][0] = 0;
        m = 1;
    }
    p->nd = m;
    p->inner = p->dims[m - 1];
    p->rows = 1;
    for (int i = 0; i < m - 1; i++)
        p->rows *= p->dims[i];
    for (int k = 0; k < nin; k++)
        p->istride[k] = p->stride[k][m - 1];
    for (int i = 0; i < nd; i++)
        if (dims[i] == 0)
            p->rows = 0; /* empty output */
    return RK_OK;
}

static void bc_row_offsets(const bc_plan *p, int64_t row, int64_t *off)
{
    for (int k = 0; k < p->nin; k++)
        off[k] = 0;
    for (int d = p->nd - 2; d >= 0; d--) {
        int64_t idx = row % p->dims[d];
        row /= p->dims[d];
        for (int k = 0; k < p->nin; k++)
            off[k] += idx * p->stride[k][d];
    }
}

/* ---- op codes --------------------------------------------------------- */

typedef enum ew_op {
    /* binary arithmetic */
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_MOD, OP_FMOD, OP_MAX, OP_MIN, OP_PRELU,
    OP_BITSHIFT_L, OP_BITSHIFT_R, OP_BITAND, OP_BITOR, OP_BITXOR,
    /* comparison / logic: bool output */
    OP_EQ, OP_GT, OP_LT, OP_GE, OP_LE, OP_AND, OP_OR, OP_XOR,
    /* unary */
    OP_ABS, OP_NEG, OP_SQRT, OP_EXP, OP_LOG, OP_RECIP, OP_ERF, OP_TANH, OP_SIGMOID, OP_RELU,
    OP_LEAKY, OP_ELU, OP_SELU, OP_CELU, OP_HSIG, OP_HSWISH, OP_SOFTPLUS, OP_SOFTSIGN, OP_MISH,
    OP_GELU, OP_GELU_TANH, OP_THRELU, OP_SHRINK, OP_FLOOR, OP_CEIL, OP_ROUND, OP_SIGN,
    OP_SIN, OP_COS, OP_TAN, OP_ASIN, OP_ACOS, OP_ATAN, OP_SINH, OP_COSH, OP_ASINH,
    OP_ACOSH, OP_ATANH, OP_NOT, OP_BITNOT, OP_ISNAN, OP_ISINF, OP_CLIP
} ew_op;

/* Attribute values an op needs, read once per node. */
typedef struct ew_params {
    ew_op op;
    double alpha, beta, gamma, lo, hi;
    int64_t ilo, ihi;
    bool detect_pos, detect_neg;
} ew_params;

static bool op_is_compare(ew_op op)
{
    return op >= OP_EQ && op <= OP_XOR;
}

static double sigmoid_d(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

static double softplus_d(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

static double binary_f(const ew_params *p, double a, double b)
{
    switch (p->op) {
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    case OP_DIV: return a / b;
    case OP_POW: return pow(a, b);
    case OP_FMOD: return fmod(a, b);
    case OP_MOD: { /* result takes the divisor's sign (Python %) */
        double r = fmod(a, b);
        return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
    }
    case OP_MAX: return isnan(a) || isnan(b) ? NAN : (a > b ? a : b);
    case OP_MIN: return isnan(a) || isnan(b) ? NAN : (a < b ? a : b);
    case OP_PRELU: return a < 0 ? a * b : a;
    case OP_EQ: return a == b;
    case OP_GT: return a > b;
    case OP_LT: return a < b;
    case OP_GE: return a >= b;
    case OP_LE: return a <= b;
    case OP_AND: return (a != 0) && (b != 0);
    case OP_OR: return (a != 0) || (b != 0);
    case OP_XOR: return (a != 0) != (b != 0);
    default: return NAN;
    }
}

/* Integer semantics; *div0 is set on a division by zero (ONNX leaves it
 * undefined; we refuse rather than invent a number). */
static int64_t binary_i(const ew_params *p, int64_t a, int64_t b, bool is_unsigned, bool *div0)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    switch (p->op) {
    case OP_ADD: return (int64_t)(ua + ub);
    case OP_SUB: return (int64_t)(ua - ub);
    case OP_MUL: return (int64_t)(ua * ub);
    case OP_DIV:
        if (b == 0) { *div0 = true; return 0; }
        if (is_unsigned) return (int64_t)(ua / ub);
        if (a == INT64_MIN && b == -1) return INT64_MIN;
        return a / b; /* truncation toward zero, like numpy's cast of a/b */
    case OP_MOD:
    case OP_FMOD: {
        if (b == 0) { *div0 = true; return 0; }
        if (is_unsigned) return (int64_t)(ua % ub);
        if (b == -1) return 0;
        int64_t r = a % b;
        if (p->op == OP_MOD && r != 0 && ((r < 0) != (b < 0)))
            r += b;
        return r;
    }
    case OP_MAX: return is_unsigned ? (int64_t)(ua > ub ? ua : ub) : (a > b ? a : b);
    case OP_MIN: return is_unsigned ? (int64_t)(ua < ub ? ua : ub) : (a < b ? a : b);
    case OP_PRELU: return a < 0 ? (int64_t)(ua * ub) : a;
    case OP_BITSHIFT_L: return ub >= 64 ? 0 : (int64_t)(ua << ub);
    case OP_BITSHIFT_R: return ub >= 64 ? 0 : (int64_t)(ua >> ub);
    case OP_BITAND: return (int64_t)(ua & ub);
    case OP_BITOR: return (int64_t)(ua | ub);
    case OP_BITXOR: return (int64_t)(ua ^ ub);
    case OP_EQ: return a == b;
    case OP_GT: return is_unsigned ? ua > ub : a > b;
    case OP_LT: return is_unsigned ? ua < ub : a < b;
    case OP_GE: return is_unsigned ? ua >= ub : a >= b;
    case OP_LE: return is_unsigned ? ua <= ub : a <= b;
    case OP_AND: return a && b;
    case OP_OR: return a || b;
    case OP_XOR: return (a != 0) != (b != 0);
    default: return 0;
    }
}

static double unary_f(const ew_params *p, double x)
{
    switch (p->op) {
    case OP_ABS: return fabs(x);
    case OP_NEG: return -x;
    case OP_SQRT: return sqrt(x);
    case OP_EXP: return exp(x);
    case OP_LOG: return log(x);
    case OP_RECIP: return 1.0 / x;
    case OP_ERF: return erf(x);
    case OP_TANH: return tanh(x);
    case OP_SIGMOID: return sigmoid_d(x);
    case OP_RELU: return x > 0 ? x : 0;
    case OP_LEAKY: return x >= 0 ? x : p->alpha * x;
    case OP_ELU: return x >= 0 ? x : p->alpha * (exp(x) - 1);
    case OP_SELU: return x > 0 ? p->gamma * x : p->gamma * (p->alpha * exp(x) - p->alpha);
    case OP_CELU: return fmax(0, x) + fmin(0, p->alpha * (exp(x / p->alpha) - 1));
    case OP_HSIG: return fmax(0, fmin(1, p->alpha * x + p->beta));
    case OP_HSWISH: return x * fmax(0, fmin(1, x / 6 + 0.5));
    case OP_SOFTPLUS: return softplus_d(x);
    case OP_SOFTSIGN: return x / (1 + fabs(x));
    case OP_MISH: return x * tanh(softplus_d(x));
    case OP_GELU: return 0.5 * x * (1 + erf(x / sqrt(2.0)));
    case OP_GELU_TANH:
        return 0.5 * x * (1 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case OP_THRELU: return x > p->alpha ? x : 0;
    case OP_SHRINK: return x < -p->gamma ? x + p->beta : (x > p->gamma ? x - p->beta : 0);
    case OP_FLOOR: return floor(x);
    case OP_CEIL: return ceil(x);
    case OP_ROUND: return nearbyint(x); /* half to even under the default rounding mode */
    case OP_SIGN: return x > 0 ? 1 : (x < 0 ? -1 : (isnan(x) ? x : 0));
    case OP_SIN: return sin(x);
    case OP_COS: return cos(x);
    case OP_TAN: return tan(x);
    case OP_ASIN: return asin(x);
    case OP_ACOS: return acos(x);
    case OP_ATAN: return atan(x);
    case OP_SINH: return sinh(x);
    case OP_COSH: return cosh(x);
    case OP_ASINH: return asinh(x);
    case OP_ACOSH: return acosh(x);
    case OP_ATANH: return atanh(x);
    case OP_NOT: return x == 0;
    case OP_ISNAN: return isnan(x) != 0;
    case OP_ISINF:
        return isinf(x) && ((x > 0 && p->detect_pos) || (x < 0 && p->detect_neg));
    case OP_CLIP: return isnan(x) ? x : fmin(fmax(x, p->lo), p->hi);
    default: return NAN;
    }
}

static int64_t unary_i(const ew_params *p, int64_t x, bool is_unsigned)
{
    switch (p->op) {
    case OP_ABS: return is_unsigned ? x : (x < 0 ? (int64_t)(0 - (uint64_t)x) : x);
    case OP_NEG: return (int64_t)(0 - (uint64_t)x);
    case OP_RELU: return !is_unsigned && x < 0 ? 0 : x;
    case OP_SIGN: return is_unsigned ? x != 0 : (x > 0) - (x < 0);
    case OP_NOT: return x == 0;
    case OP_BITNOT: return (int64_t)~(uint64_t)x;
    case OP_CLIP:
        if (is_unsigned)
            return (uint64_t)x < (uint64_t)p->ilo ? p->ilo
                   : ((uint64_t)x > (uint64_t)p->ihi ? p->ihi : x);
        return x < p->ilo ? p->ilo : (x > p->ihi ? p->ihi : x);
    case OP_SHRINK: {
        double d = (double)x;
        double r = d < -p->gamma ? d + p->beta : (d > p->gamma ? d - p->beta : 0);
        return (int64_t)r;
    }
    default: return x;
    }
}

/* float32 fast paths for the ops that dominate CNN / transformer graphs */
static float unary_f32(const ew_params *p, float x)
{
    switch (p->op) {
    case OP_RELU: return x > 0 ? x : 0;
    case OP_SIGMOID: return x >= 0 ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x));
    case OP_HSWISH: return x * fmaxf(0, fminf(1, x / 6 + 0.5f));
    case OP_HSIG: return fmaxf(0, fminf(1, (float)p->alpha * x + (float)p->beta));
    case OP_LEAKY: return x >= 0 ? x : (float)p->alpha * x;
    case OP_TANH: return tanhf(x);
    case OP_EXP: return expf(x);
    case OP_SQRT: return sqrtf(x);
    case OP_NEG: return -x;
    case OP_ABS: return fabsf(x);
    case OP_RECIP: return 1.0f / x;
    case OP_ERF: return erff(x);
    case OP_CLIP: return isnan(x) ? x : fminf(fmaxf(x, (float)p->lo), (float)p->hi);
    default: return (float)unary_f(p, x);
    }
}

/* ---- binary / ternary execution -------------------------------------- */

typedef struct bin_job {
    const bc_plan *plan;
    const ew_params *prm;
    const rk_tensor *a, *b, *c; /* c: Where's Y */
    rk_tensor *out;
    bool int_path, is_unsigned;
    bool div0; /* set by any range that divided by zero (benign race: only set) */
} bin_job;

/* One broadcast row: o[i] = a[i*sa] (op) b[i*sb], sa/sb in {0, 1}. */
EW_HOT static void bin_row_f32(const ew_params *prm, const float *a, int64_t sa, const float *b,
                               int64_t sb, float *o, int64_t n)
{
#define EW_LOOP(EXPR)                                                          \
    if (sa == 1 && sb == 1) {                                                  \
        for (int64_t i = 0; i < n; i++) { float x = a[i], y = b[i]; o[i] = EXPR; } \
    } else if (sa == 1) {                                                      \
        float y = b[0];                                                        \
        for (int64_t i = 0; i < n; i++) { float x = a[i]; o[i] = EXPR; }       \
    } else if (sb == 1) {                                                      \
        float x = a[0];                                                        \
        for (int64_t i = 0; i < n; i++) { float y = b[i]; o[i] = EXPR; }       \
    } else {                                                                   \
        float x = a[0], y = b[0];                                              \
        for (int64_t i = 0; i < n; i++) o[i] = EXPR;                           \
    }
    switch (prm->op) {
    case OP_ADD: EW_LOOP(x + y) break;
    case OP_SUB: EW_LOOP(x - y) break;
    case OP_MUL: EW_LOOP(x * y) break;
    case OP_DIV: EW_LOOP(x / y) break;
    case OP_PRELU: EW_LOOP(x < 0 ? x * y : x) break;
    /* NaN propagates: a comparison with NaN is false, so test it first */
    case OP_MAX: EW_LOOP(x != x || y != y ? x + y : (x > y ? x : y)) break;
    case OP_MIN: EW_LOOP(x != x || y != y ? x + y : (x < y ? x : y)) break;
    default: EW_LOOP((float)binary_f(prm, x, y)) break;
    }
#undef EW_LOOP
}

static void bin_rows_f32(bin_job *j, int64_t r0, int64_t r1)
{
    const bc_plan *p = j->plan;
    const float *A = j->a->data, *B = j->b->data;
    float *O = j->out->data;
    int64_t n = p->inner;
    for (int64_t r = r0; r < r1; r++) {
        int64_t off[BC_MAX_IN];
        bc_row_offsets(p, r, off);
        bin_row_f32(j->prm, A + off[0], p->istride[0], B + off[1], p->istride[1], O + r * n, n);
    }
}

static void bin_rows_generic(bin_job *j, int64_t r0, int64_t r1)
{
    const bc_plan *p = j->plan;
    int64_t n = p->inner, sa = p->istride[0], sb = p->istride[1];
    for (int64_t r = r0; r < r1; r++) {
        int64_t off[BC_MAX_IN];
        bc_row_offsets(p, r, off);
        for (int64_t i = 0; i < n; i++) {
            int64_t ia = off[0] + i * sa, ib = off[1] + i * sb, io = r * n + i;
            if (j->int_path) {
                bool div0 = false;
                int64_t v = binary_i(j->prm, get_i64(j->a, ia), get_i64(j->b, ib),
                                     j->is_unsigned, &div0);
                if (div0)
                    j->div0 = true;
                set_i64(j->out, io, v);
            } else {
                set_f64(j->out, io, binary_f(j->prm, get_f64(j->a, ia), get_f64(j->b, ib)));
            }
        }
    }
}

static void bin_range(void *arg, int64_t r0, int64_t r1)
{
    bin_job *j = arg;
    if (!j->int_path && j->a->dtype == RK_DT_F32 && j->b->dtype == RK_DT_F32 &&
        j->out->dtype == RK_DT_F32)
        bin_rows_f32(j, r0, r1);
    else
        bin_rows_generic(j, r0, r1);
}

static int64_t row_grain(const bc_plan *p)
{
    return RK_MAX(1, 65536 / RK_MAX(1, p->inner));
}

/* Allocate `out` (dtype, shape), reusing the storage of a dying input of
 * the same type and shape when the runner allows it (elementwise kernels
 * read element i before writing element i, so in place is exact).
 * ins[i] must be the node's input i; ctx NULL disables reuse. */
static rk_status alloc_out(ox_ctx *ctx, const rk_tensor *const *ins, int nin, rk_dtype dt,
                           int nd, const int64_t *dims, rk_tensor *out, rk_err *e)
{
    for (int i = 0; i < nin; i++) {
        const rk_tensor *t = ins[i];
        if (!ox_input_reusable(ctx, i) || t->dtype != dt || t->ndim != nd || t->borrowed ||
            !t->data || memcmp(t->dims, dims, sizeof(int64_t) * (size_t)nd) != 0)
            continue;
        memset(out, 0, sizeof *out);
        out->dtype = dt;
        out->ndim = nd;
        memcpy(out->dims, dims, sizeof(int64_t) * (size_t)nd);
        out->nelem = t->nelem;
        out->data = t->data;
        return RK_OK;
    }
    return rk_tensor_alloc(out, NULL, dt, nd, dims, e);
}

/* out = a (op) b with broadcasting.  out_dtype: a's type, or bool for
 * comparisons.  `out` must be zeroed; allocated here. */
static rk_status run_binary(ox_ctx *ctx, const ox_node *n, const ew_params *prm,
                            const rk_tensor *a, const rk_tensor *b, rk_dtype out_dtype,
                            bool reuse, rk_tensor *out, rk_err *e)
{
    const rk_tensor *ins[2] = {a, b};
    bc_plan plan;
    int nd;
    int64_t dims[RK_MAX_DIMS];
    rk_status st = bc_plan_make(n, ins, 2, &nd, dims, &plan, e);
    if (st == RK_OK)
        st = alloc_out(reuse ? ctx : NULL, ins, 2, out_dtype, nd, dims, out, e);
    if (st != RK_OK)
        return st;
    bin_job j = {.plan = &plan, .prm = prm, .a = a, .b = b, .out = out};
    /* integer arithmetic when the operands are integers (Pow: int base and
     * any exponent is computed in double, then stored, like numpy) */
    j.int_path = is_int_type(a->dtype) && is_int_type(b->dtype) && prm->op != OP_POW;
    j.is_unsigned = is_unsigned_type(a->dtype);
    ox_parallel_for(ctx, plan.rows, row_grain(&plan), bin_range, &j);
    if (j.div0) {
        rk_tensor_free(out);
        return rk_errf(e, RK_EINPUT, "%s: integer division by zero", ox_node_label(n));
    }
    return RK_OK;
}

/* ---- unary execution -------------------------------------------------- */

typedef struct un_job {
    const ew_params *prm;
    const rk_tensor *x;
    rk_tensor *out;
    bool int_path, is_unsigned;
} un_job;

/* float32 unary loops; the hot ops of CNNs get their own loops.  Clamps
 * are written as comparisons (fminf/fmaxf are library calls at -O2 and do
 * not vectorise); a NaN input stays NaN because both comparisons fail. */
EW_HOT static void un_f32(const ew_params *prm, const float *x, float *o, int64_t i0, int64_t i1)
{
    const float alpha = (float)prm->alpha, beta = (float)prm->beta;
    const float lo = (float)prm->lo, hi = (float)prm->hi;
    switch (prm->op) {
    case OP_RELU:
        for (int64_t i = i0; i < i1; i++)
            o[i] = x[i] > 0 ? x[i] : 0;
        return;
    case OP_HSWISH:
        for (int64_t i = i0; i < i1; i++) {
            float t = x[i] / 6 + 0.5f;
            t = t < 0 ? 0 : t;
            t = t > 1 ? 1 : t;
            o[i] = x[i] * t;
        }
        return;
    case OP_HSIG:
        for (int64_t i = i0; i < i1; i++) {
            float t = alpha * x[i] + beta;
            t = t < 0 ? 0 : t;
            o[i] = t > 1 ? 1 : t;
        }
        return;
    case OP_LEAKY:
        for (int64_t i = i0; i < i1; i++)
            o[i] = x[i] >= 0 ? x[i] : alpha * x[i];
        return;
    case OP_CLIP:
        for (int64_t i = i0; i < i1; i++) {
            float t = x[i] < lo ? lo : x[i];
            o[i] = t > hi ? hi : t;
        }
        return;
    default:
        for (int64_t i = i0; i < i1; i++)
            o[i] = unary_f32(prm, x[i]);
        return;
    }
}

static void un_range(void *arg, int64_t i0, int64_t i1)
{
    un_job *j = arg;
    if (!j->int_path && j->x->dtype == RK_DT_F32 && j->out->dtype == RK_DT_F32) {
        un_f32(j->prm, j->x->data, j->out->data, i0, i1);
        return;
    }
    for (int64_t i = i0; i < i1; i++) {
        if (j->int_path)
            set_i64(j->out, i, unary_i(j->prm, get_i64(j->x, i), j->is_unsigned));
        else
            set_f64(j->out, i, unary_f(j->prm, get_f64(j->x, i)));
    }
}

static rk_status run_unary(ox_ctx *ctx, const ew_params *prm, const rk_tensor *x,
                           rk_dtype out_dtype, rk_tensor *out, rk_err *e)
{
    const rk_tensor *ins[1] = {x};
    rk_status st = alloc_out(ctx, ins, 1, out_dtype, x->ndim, x->dims, out, e);
    if (st != RK_OK)
        return st;
    un_job j = {.prm = prm, .x = x, .out = out};
    j.int_path = is_int_type(x->dtype) && !is_float_type(out_dtype);
    j.is_unsigned = is_unsigned_type(x->dtype);
    ox_parallel_for(ctx, x->nelem, 32768, un_range, &j);
    return RK_OK;
}

/* ---- operator entry points -------------------------------------------- */

#define KERNEL(name)                                                                  \
    static rk_status name(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,  \
                          int nin, rk_tensor *out, int nout, rk_err *e)

/* Unary op where ONNX allows integer types too (Abs, Neg, Sign, Relu). */
static rk_status unary_any(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                           rk_tensor *out, ew_params prm, rk_err *e)
{
    rk_status st = need_inputs(n, in, nin, 1, e);
    if (st != RK_OK)
        return st;
    if (!is_float_type(in[0]->dtype) && !is_int_type(in[0]->dtype))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: element type %s", ox_node_label(n),
                       rk_dtype_name(in[0]->dtype));
    return run_unary(ctx, &prm, in[0], in[0]->dtype, out, e);
}

static rk_status unary_float(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                             rk_tensor *out, ew_params prm, rk_err *e)
{
    rk_status st = need_inputs(n, in, nin, 1, e);
    if (st == RK_OK)
        st = need_float(n, in[0], "input", e);
    if (st != RK_OK)
        return st;
    return run_unary(ctx, &prm, in[0], in[0]->dtype, out, e);
}

#define UNARY_FLOAT(fn, opcode)                                                     \
    KERNEL(fn) { return unary_float(ctx, n, in, nin, out, (ew_params){.op = opcode}, e); }
#define UNARY_ANY(fn, opcode)                                                       \
    KERNEL(fn) { return unary_any(ctx, n, in, nin, out, (ew_params){.op = opcode}, e); }

UNARY_ANY(op_abs, OP_ABS)
UNARY_ANY(op_neg, OP_NEG)
UNARY_ANY(op_sign, OP_SIGN)
UNARY_ANY(op_relu, OP_RELU)
UNARY_ANY(op_bitwise_not, OP_BITNOT)
UNARY_FLOAT(op_sqrt, OP_SQRT)
UNARY_FLOAT(op_exp, OP_EXP)
UNARY_FLOAT(op_log, OP_LOG)
UNARY_FLOAT(op_reciprocal, OP_RECIP)
UNARY_FLOAT(op_erf, OP_ERF)
UNARY_FLOAT(op_tanh, OP_TANH)
UNARY_FLOAT(op_sigmoid, OP_SIGMOID)
UNARY_FLOAT(op_hardswish, OP_HSWISH)
UNARY_FLOAT(op_softplus, OP_SOFTPLUS)
UNARY_FLOAT(op_softsign, OP_SOFTSIGN)
UNARY_FLOAT(op_mish, OP_MISH)
UNARY_FLOAT(op_floor, OP_FLOOR)
UNARY_FLOAT(op_ceil, OP_CEIL)
UNARY_FLOAT(op_round, OP_ROUND)
UNARY_FLOAT(op_sin, OP_SIN)
UNARY_FLOAT(op_cos, OP_COS)
UNARY_FLOAT(op_tan, OP_TAN)
UNARY_FLOAT(op_asin, OP_ASIN)
UNARY_FLOAT(op_acos, OP_ACOS)
UNARY_FLOAT(op_atan, OP_ATAN)
UNARY_FLOAT(op_sinh, OP_SINH)
UNARY_FLOAT(op_cosh, OP_COSH)
UNARY_FLOAT(op_asinh, OP_ASINH)
UNARY_FLOAT(op_acosh, OP_ACOSH)
UNARY_FLOAT(op_atanh, OP_ATANH)

/* Attribute defaults below are those of the ONNX operator docs. */
KERNEL(op_leakyrelu)
{
    ew_params p = {.op = OP_LEAKY, .alpha = ox_attr_float_or(n, "alpha", 0.01f)};
    return unary_float(ctx, n, in, nin, out, p, e);
}

KERNEL(op_elu)
{
    ew_params p = {.op = OP_ELU, .alpha = ox_attr_float_or(n, "alpha", 1.0f)};
    return unary_float(ctx, n, in, nin, out, p, e);
}

KERNEL(op_selu)
{
    ew_params p = {.op = OP_SELU,
                   .alpha = ox_attr_float_or(n, "alpha", 1.67326319217681884765625f),
                   .gamma = ox_attr_float_or(n, "gamma", 1.05070102214813232421875f)};
    return unary_float(ctx, n, in, nin, out, p, e);
}

KERNEL(op_celu)
{
    ew_params p = {.op = OP_CELU, .alpha = ox_attr_float_or(n, "alpha", 1.0f)};
    return unary_float(ctx, n, in, nin, out, p, e);
}

KERNEL(op_hardsigmoid)
{
    ew_params p = {.op = OP_HSIG, .alpha = ox_attr_float_or(n, "alpha", 0.2f),
                   .beta = ox_attr_float_or(n, "beta", 0.5f)};
    return unary_float(ctx, n, in, nin, out, p, e);
}

KERNEL(op_thresholdedrelu)
{
    ew_params p = {.op = OP_THRELU, .alpha = ox_attr_float_or(n, "alpha", 1.0f)};
    return unary_float(ctx, n, in, nin, out, p, e);
}

KERNEL(op_gelu)
{
    const char *approx = ox_attr_string_or(n, "approximate", "none");
    ew_params p = {.op = OP_GELU};
    if (strcmp(approx, "tanh") == 0)
        p.op = OP_GELU_TANH;
    else if (strcmp(approx, "none") != 0)
        return rk_errf(e, RK_EINPUT, "%s: approximate='%s' (expected 'none' or 'tanh')",
                       ox_node_label(n), approx);
    return unary_float(ctx, n, in, nin, out, p, e);
}

KERNEL(op_shrink)
{
    ew_params p = {.op = OP_SHRINK, .beta = ox_attr_float_or(n, "bias", 0.0f),
                   .gamma = ox_attr_float_or(n, "lambd", 0.5f)};
    return unary_any(ctx, n, in, nin, out, p, e);
}

KERNEL(op_not)
{
    rk_status st = need_inputs(n, in, nin, 1, e);
    if (st != RK_OK)
        return st;
    ew_params p = {.op = OP_NOT};
    return run_unary(ctx, &p, in[0], RK_DT_BOOL, out, e);
}

KERNEL(op_isnan)
{
    rk_status st = need_inputs(n, in, nin, 1, e);
    if (st == RK_OK)
        st = need_float(n, in[0], "input", e);
    if (st != RK_OK)
        return st;
    ew_params p = {.op = OP_ISNAN};
    return run_unary(ctx, &p, in[0], RK_DT_BOOL, out, e);
}

KERNEL(op_isinf)
{
    rk_status st = need_inputs(n, in, nin, 1, e);
    if (st == RK_OK)
        st = need_float(n, in[0], "input", e);
    if (st != RK_OK)
        return st;
    ew_params p = {.op = OP_ISINF,
                   .detect_pos = ox_attr_int_or(n, "detect_positive", 1) != 0,
                   .detect_neg = ox_attr_int_or(n, "detect_negative", 1) != 0};
    return run_unary(ctx, &p, in[0], RK_DT_BOOL, out, e);
}

/* Integer limits of a type for Clip's defaults. */
static void int_limits(rk_dtype dt, int64_t *lo, int64_t *hi)
{
    switch (dt) {
    case RK_DT_I8: *lo = INT8_MIN; *hi = INT8_MAX; break;
    case RK_DT_U8: *lo = 0; *hi = UINT8_MAX; break;
    case RK_DT_I16: *lo = INT16_MIN; *hi = INT16_MAX; break;
    case RK_DT_U16: *lo = 0; *hi = UINT16_MAX; break;
    case RK_DT_I32: *lo = INT32_MIN; *hi = INT32_MAX; break;
    case RK_DT_U32: *lo = 0; *hi = UINT32_MAX; break;
    case RK_DT_U64: *lo = 0; *hi = -1; /* all ones: compared unsigned */ break;
    default: *lo = INT64_MIN; *hi = INT64_MAX; break;
    }
}

/* Clip-1/6: min/max attributes.  Clip-11+: optional scalar inputs. */
KERNEL(op_clip_attr)
{
    ew_params p = {.op = OP_CLIP, .lo = ox_attr_float_or(n, "min", -FLT_MAX),
                   .hi = ox_attr_float_or(n, "max", FLT_MAX)};
    return unary_float(ctx, n, in, nin, out, p, e);
}

static rk_status clip_bound(const ox_node *n, const rk_tensor *t, const rk_tensor *x,
                            const char *what, double *fv, int64_t *iv, rk_err *e)
{
    if (!t)
        return RK_OK;
    if (t->nelem != 1)
        return rk_errf(e, RK_EINPUT, "%s: '%s' must be a scalar, has %lld elements",
                       ox_node_label(n), what, (long long)t->nelem);
    if (t->dtype != x->dtype)
        return rk_errf(e, RK_EINPUT, "%s: '%s' is %s but the input is %s", ox_node_label(n),
                       what, rk_dtype_name(t->dtype), rk_dtype_name(x->dtype));
    *fv = get_f64(t, 0);
    *iv = get_i64(t, 0);
    return RK_OK;
}

KERNEL(op_clip)
{
    rk_status st = need_inputs(n, in, nin, 1, e);
    if (st != RK_OK)
        return st;
    const rk_tensor *x = in[0];
    ew_params p = {.op = OP_CLIP, .lo = -INFINITY, .hi = INFINITY};
    int_limits(x->dtype, &p.ilo, &p.ihi);
    st = clip_bound(n, nin > 1 ? in[1] : NULL, x, "min", &p.lo, &p.ilo, e);
    if (st == RK_OK)
        st = clip_bound(n, nin > 2 ? in[2] : NULL, x, "max", &p.hi, &p.ihi, e);
    if (st != RK_OK)
        return st;
    return unary_any(ctx, n, in, 1, out, p, e);
}

/* Opsets 1-6 broadcast only B onto A, aligning B's dims at attribute
 * `axis` (default: trailing), instead of numpy rules.  Returns a view of B
 * padded with 1s so that numpy broadcasting gives the legacy result. */
static rk_status legacy_broadcast_view(const ox_node *n, const rk_tensor *a, const rk_tensor *b,
                                       rk_tensor *view, rk_err *e)
{
    int64_t axis = ox_attr_int_or(n, "axis", a->ndim - b->ndim);
    if (axis < 0)
        axis += a->ndim;
    if (axis < 0 || axis + b->ndim > a->ndim)
        return rk_errf(e, RK_EINPUT, "%s: legacy broadcast axis %lld does not fit B (rank %d) "
                       "into A (rank %d)", ox_node_label(n), (long long)axis, b->ndim, a->ndim);
    *view = *b;
    view->name = NULL;
    view->borrowed = true;
    view->ndim = a->ndim - (int)axis;
    for (int i = 0; i < view->ndim; i++)
        view->dims[i] = i < b->ndim ? b->dims[i] : 1;
    return RK_OK;
}

/* Binary ops: output type = first input's type, or bool for comparisons. */
static rk_status binary(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                        rk_tensor *out, ew_params p, rk_err *e)
{
    rk_status st = need_inputs(n, in, nin, 2, e);
    if (st != RK_OK)
        return st;
    const rk_tensor *a = in[0], *b = in[1];
    rk_tensor legacy;
    if (ox_node_opset(n) < 7 && ox_attr_int_or(n, "broadcast", 0)) {
        st = legacy_broadcast_view(n, a, b, &legacy, e);
        if (st != RK_OK)
            return st;
        b = &legacy;
    }
    bool mixed_ok = p.op == OP_POW; /* Pow-12+: base and exponent types differ */
    if (a->dtype != b->dtype && !mixed_ok)
        return rk_errf(e, RK_EINPUT, "%s: inputs have different element types (%s, %s)",
                       ox_node_label(n), rk_dtype_name(a->dtype), rk_dtype_name(b->dtype));
    if (!is_float_type(a->dtype) && !is_int_type(a->dtype))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: element type %s", ox_node_label(n),
                       rk_dtype_name(a->dtype));
    if (p.op == OP_FMOD && !is_float_type(a->dtype) && ox_attr_int_or(n, "fmod", 0) == 0)
        p.op = OP_MOD;
    if (p.op == OP_MOD && is_float_type(a->dtype))
        return rk_errf(e, RK_EINPUT, "%s: Mod of floating-point inputs requires fmod=1",
                       ox_node_label(n));
    /* a and b are the node's inputs 0 and 1 (b may be a legacy view, which
     * is borrowed and so never reused) */
    return run_binary(ctx, n, &p, a, b, op_is_compare(p.op) ? RK_DT_BOOL : a->dtype, true, out,
                      e);
}

#define BINARY(fn, opcode)                                                          \
    KERNEL(fn) { return binary(ctx, n, in, nin, out, (ew_params){.op = opcode}, e); }

BINARY(op_add, OP_ADD)
BINARY(op_sub, OP_SUB)
BINARY(op_mul, OP_MUL)
BINARY(op_div, OP_DIV)
BINARY(op_pow, OP_POW)
BINARY(op_prelu, OP_PRELU)
BINARY(op_equal, OP_EQ)
BINARY(op_greater, OP_GT)
BINARY(op_less, OP_LT)
BINARY(op_greater_equal, OP_GE)
BINARY(op_less_equal, OP_LE)
BINARY(op_and, OP_AND)
BINARY(op_or, OP_OR)
BINARY(op_xor, OP_XOR)
BINARY(op_bitwise_and, OP_BITAND)
BINARY(op_bitwise_or, OP_BITOR)
BINARY(op_bitwise_xor, OP_BITXOR)

KERNEL(op_mod)
{
    /* fmod=0 on integers: sign of the divisor; fmod=1: C fmod (dividend's sign) */
    ew_params p = {.op = ox_attr_int_or(n, "fmod", 0) ? OP_FMOD : OP_MOD};
    return binary(ctx, n, in, nin, out, p, e);
}

KERNEL(op_bitshift)
{
    const char *dir = ox_attr_string_or(n, "direction", "");
    ew_params p;
    if (strcmp(dir, "LEFT") == 0)
        p.op = OP_BITSHIFT_L;
    else if (strcmp(dir, "RIGHT") == 0)
        p.op = OP_BITSHIFT_R;
    else
        return rk_errf(e, RK_EINPUT, "%s: direction '%s' (expected LEFT or RIGHT)",
                       ox_node_label(n), dir);
    return binary(ctx, n, in, nin, out, p, e);
}

/* Sum / Mean / Max / Min over 1..N inputs with multidirectional broadcast:
 * accumulate pairwise into a running result (an exact reformulation: each
 * op is associative elementwise and broadcasting composes). */
static rk_status variadic(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                          rk_tensor *out, ew_op op, bool mean, rk_err *e)
{
    if (nin < 1)
        return rk_errf(e, RK_EINPUT, "%s: needs at least one input", ox_node_label(n));
    rk_status st = need_inputs(n, in, nin, nin, e);
    if (st != RK_OK)
        return st;
    rk_tensor acc = {0};
    st = rk_tensor_copy(&acc, in[0], e);
    ew_params p = {.op = op};
    for (int k = 1; k < nin && st == RK_OK; k++) {
        if (in[k]->dtype != acc.dtype) {
            st = rk_errf(e, RK_EINPUT, "%s: input #%d is %s, input #0 is %s", ox_node_label(n),
                         k, rk_dtype_name(in[k]->dtype), rk_dtype_name(acc.dtype));
            break;
        }
        rk_tensor next = {0};
        st = run_binary(ctx, n, &p, &acc, in[k], acc.dtype, false, &next, e);
        rk_tensor_free(&acc);
        acc = next;
    }
    if (st == RK_OK && mean && nin > 1) {
        if (!is_float_type(acc.dtype)) {
            st = rk_errf(e, RK_EUNSUPPORTED, "%s: Mean of %s", ox_node_label(n),
                         rk_dtype_name(acc.dtype));
        } else {
            for (int64_t i = 0; i < acc.nelem; i++)
                set_f64(&acc, i, get_f64(&acc, i) / nin);
        }
    }
    if (st != RK_OK) {
        rk_tensor_free(&acc);
        return st;
    }
    out[0] = acc;
    return RK_OK;
}

KERNEL(op_sum) { return variadic(ctx, n, in, nin, out, OP_ADD, false, e); }
KERNEL(op_mean) { return variadic(ctx, n, in, nin, out, OP_ADD, true, e); }
KERNEL(op_max) { return variadic(ctx, n, in, nin, out, OP_MAX, false, e); }
KERNEL(op_min) { return variadic(ctx, n, in, nin, out, OP_MIN, false, e); }

/* Where(cond, X, Y): three-way broadcast, element copy by size. */
typedef struct where_job {
    const bc_plan *plan;
    const rk_tensor *c, *x, *y;
    rk_tensor *out;
    size_t es;
} where_job;

static void where_range(void *arg, int64_t r0, int64_t r1)
{
    where_job *j = arg;
    const bc_plan *p = j->plan;
    const uint8_t *C = j->c->data;
    const char *X = j->x->data, *Y = j->y->data;
    char *O = j->out->data;
    for (int64_t r = r0; r < r1; r++) {
        int64_t off[BC_MAX_IN];
        bc_row_offsets(p, r, off);
        for (int64_t i = 0; i < p->inner; i++) {
            bool c = C[off[0] + i * p->istride[0]] != 0;
            const char *src = c ? X + (size_t)(off[1] + i * p->istride[1]) * j->es
                                : Y + (size_t)(off[2] + i * p->istride[2]) * j->es;
            memcpy(O + (size_t)(r * p->inner + i) * j->es, src, j->es);
        }
    }
}

KERNEL(op_where)
{
    rk_status st = need_inputs(n, in, nin, 3, e);
    if (st != RK_OK)
        return st;
    if (in[0]->dtype != RK_DT_BOOL)
        return rk_errf(e, RK_EINPUT, "%s: condition is %s, must be bool", ox_node_label(n),
                       rk_dtype_name(in[0]->dtype));
    if (in[1]->dtype != in[2]->dtype)
        return rk_errf(e, RK_EINPUT, "%s: X is %s but Y is %s", ox_node_label(n),
                       rk_dtype_name(in[1]->dtype), rk_dtype_name(in[2]->dtype));
    bc_plan plan;
    int nd;
    int64_t dims[RK_MAX_DIMS];
    st = bc_plan_make(n, in, 3, &nd, dims, &plan, e);
    if (st == RK_OK)
        st = rk_tensor_alloc(&out[0], NULL, in[1]->dtype, nd, dims, e);
    if (st != RK_OK)
        return st;
    where_job j = {.plan = &plan, .c = in[0], .x = in[1], .y = in[2], .out = &out[0],
                   .es = rk_dtype_size(in[1]->dtype)};
    ox_parallel_for(ctx, plan.rows, row_grain(&plan), where_range, &j);
    return RK_OK;
}

KERNEL(op_identity)
{
    rk_status st = need_inputs(n, in, nin, 1, e);
    return st == RK_OK ? ox_value_copy(&out[0], in[0], e) : st;
}

/* Dropout in inference: output = input, mask = all true.  Training mode
 * (opset 12+ input #2) with a non-zero ratio draws random numbers, which a
 * reference interpreter cannot reproduce: refused. */
static rk_status dropout_common(const ox_node *n, const rk_tensor *const *in, int nin,
                                rk_tensor *out, int nout, bool training, rk_err *e)
{
    rk_status st = need_inputs(n, in, nin, 1, e);
    if (st != RK_OK)
        return st;
    if (training) {
        double ratio = nin > 1 && in[1] ? get_f64(in[1], 0) : 0.5;
        if (ratio != 0)
            return rk_errf(e, RK_EUNSUPPORTED, "%s: training-mode dropout with ratio %g is "
                           "random; onnxref only runs inference", ox_node_label(n), ratio);
    }
    st = rk_tensor_copy(&out[0], in[0], e);
    if (st == RK_OK && nout > 1 && ox_node_output_used(n, 1)) {
        st = rk_tensor_alloc(&out[1], NULL, RK_DT_BOOL, in[0]->ndim, in[0]->dims, e);
        if (st == RK_OK)
            memset(out[1].data, 1, (size_t)out[1].nelem);
    }
    return st;
}

KERNEL(op_dropout_old)
{
    /* Dropout-1..10: is_test attribute (1..6), mask output; inference only */
    return dropout_common(n, in, nin, out, nout, false, e);
}

KERNEL(op_dropout)
{
    bool training = nin > 2 && in[2] && get_i64(in[2], 0) != 0;
    return dropout_common(n, in, nin, out, nout, training, e);
}

/* Constant: exactly one of value / value_float(s) / value_int(s). */
KERNEL(op_constant)
{
    if (ox_attr_has(n, "value"))
        return ox_attr_tensor(n, "value", &out[0], e);
    const float *fv;
    const int64_t *iv;
    int cnt;
    rk_status st;
    if (ox_attr_kind(n, "value_float") == OX_ATTR_FLOAT) {
        st = rk_tensor_alloc(&out[0], NULL, RK_DT_F32, 0, NULL, e);
        if (st == RK_OK)
            ((float *)out[0].data)[0] = ox_attr_float_or(n, "value_float", 0);
        return st;
    }
    if (ox_attr_kind(n, "value_int") == OX_ATTR_INT) {
        st = rk_tensor_alloc(&out[0], NULL, RK_DT_I64, 0, NULL, e);
        if (st == RK_OK)
            ((int64_t *)out[0].data)[0] = ox_attr_int_or(n, "value_int", 0);
        return st;
    }
    if ((cnt = ox_attr_floats(n, "value_floats", &fv)) >= 0) {
        int64_t d = cnt;
        st = rk_tensor_alloc(&out[0], NULL, RK_DT_F32, 1, &d, e);
        if (st == RK_OK && cnt)
            memcpy(out[0].data, fv, sizeof(float) * (size_t)cnt);
        return st;
    }
    if ((cnt = ox_attr_ints(n, "value_ints", &iv)) >= 0) {
        int64_t d = cnt;
        st = rk_tensor_alloc(&out[0], NULL, RK_DT_I64, 1, &d, e);
        if (st == RK_OK && cnt)
            memcpy(out[0].data, iv, sizeof(int64_t) * (size_t)cnt);
        return st;
    }
    return rk_errf(e, RK_EUNSUPPORTED, "%s: no supported value attribute (value, value_float(s),"
                   " value_int(s); strings and sparse tensors are not supported)",
                   ox_node_label(n));
}

/* One entry per semantic change (ONNX Changelog.md).  Entries whose later
 * versions only widened the type list share one kernel. */
const ox_op_def ox_ops_elementwise[] = {
    {"", "Add", 1, op_add},
    {"", "Sub", 1, op_sub},
    {"", "Mul", 1, op_mul},
    {"", "Div", 1, op_div},
    {"", "Pow", 1, op_pow},
    {"", "Mod", 10, op_mod},
    {"", "BitShift", 11, op_bitshift},
    {"", "BitwiseAnd", 18, op_bitwise_and},
    {"", "BitwiseOr", 18, op_bitwise_or},
    {"", "BitwiseXor", 18, op_bitwise_xor},
    {"", "BitwiseNot", 18, op_bitwise_not},
    {"", "PRelu", 1, op_prelu},
    {"", "Equal", 1, op_equal},
    {"", "Greater", 1, op_greater},
    {"", "Less", 1, op_less},
    {"", "GreaterOrEqual", 12, op_greater_equal},
    {"", "LessOrEqual", 12, op_less_equal},
    {"", "And", 1, op_and},
    {"", "Or", 1, op_or},
    {"", "Xor", 1, op_xor},
    {"", "Not", 1, op_not},
    {"", "Abs", 1, op_abs},
    {"", "Neg", 1, op_neg},
    {"", "Sign", 9, op_sign},
    {"", "Relu", 1, op_relu},
    {"", "Sqrt", 1, op_sqrt},
    {"", "Exp", 1, op_exp},
    {"", "Log", 1, op_log},
    {"", "Reciprocal", 1, op_reciprocal},
    {"", "Erf", 9, op_erf},
    {"", "Tanh", 1, op_tanh},
    {"", "Sigmoid", 1, op_sigmoid},
    {"", "LeakyRelu", 1, op_leakyrelu},
    {"", "Elu", 1, op_elu},
    {"", "Selu", 1, op_selu},
    {"", "Celu", 12, op_celu},
    {"", "HardSigmoid", 1, op_hardsigmoid},
    {"", "HardSwish", 14, op_hardswish},
    {"", "ThresholdedRelu", 10, op_thresholdedrelu},
    {"", "Softplus", 1, op_softplus},
    {"", "Softsign", 1, op_softsign},
    {"", "Mish", 18, op_mish},
    {"", "Gelu", 20, op_gelu},
    {"", "Shrink", 9, op_shrink},
    {"", "Floor", 1, op_floor},
    {"", "Ceil", 1, op_ceil},
    {"", "Round", 11, op_round},
    {"", "Sin", 7, op_sin},
    {"", "Cos", 7, op_cos},
    {"", "Tan", 7, op_tan},
    {"", "Asin", 7, op_asin},
    {"", "Acos", 7, op_acos},
    {"", "Atan", 7, op_atan},
    {"", "Sinh", 9, op_sinh},
    {"", "Cosh", 9, op_cosh},
    {"", "Asinh", 9, op_asinh},
    {"", "Acosh", 9, op_acosh},
    {"", "Atanh", 9, op_atanh},
    {"", "IsNaN", 9, op_isnan},
    {"", "IsInf", 10, op_isinf},
    {"", "Clip", 1, op_clip_attr},
    {"", "Clip", 11, op_clip},
    {"", "Sum", 1, op_sum},
    {"", "Mean", 1, op_mean},
    {"", "Max", 1, op_max},
    {"", "Min", 1, op_min},
    {"", "Where", 9, op_where},
    {"", "Identity", 1, op_identity},
    {"", "Dropout", 1, op_dropout_old},
    {"", "Dropout", 12, op_dropout},
    {"", "Constant", 1, op_constant},
    {NULL, NULL, 0, NULL},
};
