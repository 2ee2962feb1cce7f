/*
 * fuzz_onnxref_nn.c - libFuzzer target for the onnxref neural-network
 * kernels (onnxref/ops_nn.c, nn_*.c): Conv family, Gemm/MatMul family,
 * pools, normalisations, softmax family, Einsum, Resize/Upsample,
 * DepthToSpace/SpaceToDepth and Attention.
 *
 * The fuzz bytes choose an operator and opset, the rank, shape, dtype and
 * values of every input (or its omission) and each attribute's presence and
 * value; a one-node model is built in memory, loaded and run with 1 or 2
 * threads.  The run must succeed or fail with a message: never crash, hang,
 * leak or read out of bounds (scripts/fuzz.sh builds with ASan/UBSan).
 * Shapes stay small (dims 0..6, rank <= 5); attribute integers include
 * INT64_MIN/MAX so size arithmetic is exercised.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnxref.h"
#include "pbwriter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct src {
    const uint8_t *p;
    size_t n;
} src;

static unsigned take(src *s)
{
    if (!s->n)
        return 0;
    s->n--;
    return *s->p++;
}

/* Mostly small values (sizes, axes, pads), sometimes extreme. */
static int64_t take_int(src *s)
{
    unsigned b = take(s);
    switch (b >> 5) {
    case 0: return (b & 1) ? INT64_MAX : INT64_MIN;
    case 1: return (int64_t)(b & 31) * 1000003;
    default: return (int64_t)(b & 15) - 4;
    }
}

static float take_float(src *s)
{
    unsigned b = take(s);
    if (b == 255)
        return NAN;
    if (b == 254)
        return INFINITY;
    return (float)((int8_t)b) / 16.0f;
}

/* ---------------------------------------------------------- protobuf writer */

/* pb, pb_raw ... pb_msg: tests/support/pbwriter.h */

/* ------------------------------------------------------------ op catalogue */

typedef enum { A_INT, A_INTS, A_FLOAT, A_STR } akind;

typedef struct attr_spec {
    const char *name;
    akind kind;
    const char *const *choices; /* A_STR: NULL-terminated candidates */
} attr_spec;

/* Input kinds: 'f' float32, 'u' uint8, 'q' int8, 'l' int64, 'm' float32 or
 * bool (masks); upper case = optional (may be omitted). */
typedef struct op_spec {
    const char *op;
    int opsets[3];
    const char *inputs;
    int min_rank, max_rank;
    int nout;
    attr_spec attrs[10];
} op_spec;

static const char *const AUTO_PAD[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "x", NULL};
static const char *const RZ_MODE[] = {"nearest", "linear", "cubic", "bilinear", "bad", NULL};
static const char *const RZ_COORD[] = {"half_pixel", "half_pixel_symmetric", "align_corners",
                                       "asymmetric", "pytorch_half_pixel",
                                       "tf_half_pixel_for_nn", "tf_crop_and_resize", "?", NULL};
static const char *const RZ_NEAREST[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                         "ceil", "", NULL};
static const char *const RZ_KEEP[] = {"stretch", "not_larger", "not_smaller", "wide", NULL};
static const char *const D2S_MODE[] = {"DCR", "CRD", "XYZ", NULL};
static const char *const EQUATIONS[] = {
    "bhid,bhjd->bhij", "bhij,bhjd->bhid", "bij,bjk->bik", "ij,jk", "...ij->...ji", "ii->i",
    "ii->", "i,i", "ij->", "...ii->...i", "a...,...a->...", "ab,bc,cd->ad", "ij->jj", "i->ii",
    "A...b,b...->A...", ",->", "ab->c", "...,...->...", "abc", "", "a.b->a", NULL};

#define CONV_ATTRS                                                                     \
    {"auto_pad", A_STR, AUTO_PAD}, {"dilations", A_INTS, NULL}, {"group", A_INT, NULL}, \
        {"kernel_shape", A_INTS, NULL}, {"pads", A_INTS, NULL}, {"strides", A_INTS, NULL}
#define POOL_ATTRS                                                                       \
    {"auto_pad", A_STR, AUTO_PAD}, {"ceil_mode", A_INT, NULL}, {"dilations", A_INTS, NULL}, \
        {"kernel_shape", A_INTS, NULL}, {"pads", A_INTS, NULL}, {"strides", A_INTS, NULL}

static const op_spec OPS[] = {
    {"Conv", {1, 11, 0}, "ffF", 3, 5, 1, {CONV_ATTRS}},
    {"ConvTranspose", {1, 11, 0}, "ffF", 3, 5, 1,
     {CONV_ATTRS, {"output_padding", A_INTS, NULL}, {"output_shape", A_INTS, NULL}}},
    {"ConvInteger", {10, 0, 0}, "uuUU", 3, 4, 1, {CONV_ATTRS}},
    {"QLinearConv", {10, 0, 0}, "ffuqffufL", 3, 4, 1, {CONV_ATTRS}},
    {"Gemm", {7, 11, 13}, "ffF", 0, 3, 1,
     {{"alpha", A_FLOAT, NULL}, {"beta", A_FLOAT, NULL}, {"transA", A_INT, NULL},
      {"transB", A_INT, NULL}}},
    {"MatMul", {9, 13, 0}, "ff", 0, 5, 1, {{NULL, A_INT, NULL}}},
    {"MatMulInteger", {10, 0, 0}, "uqUQ", 0, 4, 1, {{NULL, A_INT, NULL}}},
    {"QLinearMatMul", {10, 0, 0}, "uffqffff", 0, 4, 1, {{NULL, A_INT, NULL}}},
    {"MaxPool", {8, 12, 0}, "f", 3, 5, 2, {POOL_ATTRS, {"storage_order", A_INT, NULL}}},
    {"AveragePool", {7, 11, 19}, "f", 3, 5, 1, {POOL_ATTRS, {"count_include_pad", A_INT, NULL}}},
    {"LpPool", {2, 11, 18}, "f", 3, 5, 1, {POOL_ATTRS, {"p", A_INT, NULL}}},
    {"GlobalAveragePool", {1, 0, 0}, "f", 0, 5, 1, {{NULL, A_INT, NULL}}},
    {"GlobalMaxPool", {1, 0, 0}, "f", 0, 5, 1, {{NULL, A_INT, NULL}}},
    {"GlobalLpPool", {2, 0, 0}, "f", 0, 5, 1, {{"p", A_INT, NULL}}},
    {"MaxUnpool", {9, 11, 0}, "flL", 3, 5, 1,
     {{"kernel_shape", A_INTS, NULL}, {"pads", A_INTS, NULL}, {"strides", A_INTS, NULL}}},
    {"BatchNormalization", {7, 9, 15}, "fffff", 0, 5, 3,
     {{"epsilon", A_FLOAT, NULL}, {"momentum", A_FLOAT, NULL}, {"spatial", A_INT, NULL},
      {"training_mode", A_INT, NULL}}},
    {"InstanceNormalization", {6, 0, 0}, "fff", 0, 5, 1, {{"epsilon", A_FLOAT, NULL}}},
    {"LayerNormalization", {17, 0, 0}, "ffF", 0, 5, 3,
     {{"axis", A_INT, NULL}, {"epsilon", A_FLOAT, NULL}}},
    {"GroupNormalization", {18, 21, 0}, "fff", 0, 5, 1,
     {{"num_groups", A_INT, NULL}, {"epsilon", A_FLOAT, NULL}}},
    {"LRN", {13, 0, 0}, "f", 0, 5, 1,
     {{"alpha", A_FLOAT, NULL}, {"beta", A_FLOAT, NULL}, {"bias", A_FLOAT, NULL},
      {"size", A_INT, NULL}}},
    {"Softmax", {11, 13, 0}, "f", 0, 5, 1, {{"axis", A_INT, NULL}}},
    {"LogSoftmax", {11, 13, 0}, "f", 0, 5, 1, {{"axis", A_INT, NULL}}},
    {"Hardmax", {11, 13, 0}, "f", 0, 5, 1, {{"axis", A_INT, NULL}}},
    {"Einsum", {12, 0, 0}, "fF", 0, 4, 1, {{"equation", A_STR, EQUATIONS}}},
    {"Resize", {10, 13, 19}, "fFFL", 0, 4, 1,
     {{"mode", A_STR, RZ_MODE}, {"coordinate_transformation_mode", A_STR, RZ_COORD},
      {"nearest_mode", A_STR, RZ_NEAREST}, {"cubic_coeff_a", A_FLOAT, NULL},
      {"exclude_outside", A_INT, NULL}, {"antialias", A_INT, NULL}, {"axes", A_INTS, NULL},
      {"keep_aspect_ratio_policy", A_STR, RZ_KEEP}, {"extrapolation_value", A_FLOAT, NULL}}},
    {"Upsample", {9, 0, 0}, "ff", 0, 4, 1, {{"mode", A_STR, RZ_MODE}}},
    {"DepthToSpace", {11, 13, 0}, "f", 3, 5, 1,
     {{"blocksize", A_INT, NULL}, {"mode", A_STR, D2S_MODE}}},
    {"SpaceToDepth", {13, 0, 0}, "f", 3, 5, 1, {{"blocksize", A_INT, NULL}}},
    {"Attention", {23, 0, 0}, "fffMFF", 3, 4, 4,
     {{"is_causal", A_INT, NULL}, {"q_num_heads", A_INT, NULL}, {"kv_num_heads", A_INT, NULL},
      {"scale", A_FLOAT, NULL}, {"softcap", A_FLOAT, NULL},
      {"qk_matmul_output_mode", A_INT, NULL}}},
};

/* ------------------------------------------------------------------ inputs */

static rk_dtype kind_dtype(char k, src *s)
{
    switch (k) {
    case 'u': case 'U': return RK_DT_U8;
    case 'q': case 'Q': return RK_DT_I8;
    case 'l': case 'L': return RK_DT_I64;
    case 'm': case 'M': return (take(s) & 1) ? RK_DT_BOOL : RK_DT_F32;
    default: return RK_DT_F32;
    }
}

static int make_input(src *s, char kind, int min_rank, int max_rank, rk_tensor *t)
{
    rk_err e = {0};
    int64_t dims[RK_MAX_DIMS];
    rk_dtype dt = kind_dtype(kind, s);
    /* secondary inputs (params, scales, sizes) are mostly rank 0-2 */
    int lo = (kind == 'f' || kind == 'u' || kind == 'q' || kind == 'm') ? min_rank : 0;
    int hi = RK_MAX(lo, max_rank);
    int rank = lo + (int)(take(s) % (unsigned)(hi - lo + 1));
    for (int d = 0; d < rank; d++)
        dims[d] = take(s) % 7;
    if (rk_tensor_alloc(t, NULL, dt, rank, dims, &e) != RK_OK)
        return -1;
    for (int64_t i = 0; i < t->nelem; i++) {
        switch (dt) {
        case RK_DT_F32: ((float *)t->data)[i] = take_float(s); break;
        case RK_DT_U8: ((uint8_t *)t->data)[i] = (uint8_t)take(s); break;
        case RK_DT_I8: ((int8_t *)t->data)[i] = (int8_t)take(s); break;
        case RK_DT_I64: ((int64_t *)t->data)[i] = take_int(s); break;
        default: ((uint8_t *)t->data)[i] = (uint8_t)(take(s) & 1); break;
        }
    }
    return 0;
}

/* --------------------------------------------------------------- the model */

static void add_attr(pb *node, src *s, const attr_spec *a)
{
    pb at = {0};
    pb_str(&at, 1, a->name);
    switch (a->kind) {
    case A_INT:
        pb_int(&at, 3, take_int(s));
        pb_int(&at, 20, 2);
        break;
    case A_INTS: {
        int n = (int)(take(s) % 8);
        for (int i = 0; i < n; i++)
            pb_int(&at, 8, take_int(s));
        pb_int(&at, 20, 7);
        break;
    }
    case A_FLOAT: {
        float f = take_float(s);
        pb_key(&at, 2, 5);
        pb_raw(&at, &f, 4);
        pb_int(&at, 20, 1);
        break;
    }
    case A_STR: {
        int n = 0;
        while (a->choices[n])
            n++;
        pb_str(&at, 4, a->choices[take(s) % (unsigned)n]);
        pb_int(&at, 20, 3);
        break;
    }
    }
    pb_msg(node, 5, &at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    src s = {data, size};
    const op_spec *op = &OPS[take(&s) % (sizeof OPS / sizeof OPS[0])];
    int nos = 0;
    while (nos < 3 && op->opsets[nos])
        nos++;
    int opset = op->opsets[take(&s) % (unsigned)nos];
    int nin = (int)strlen(op->inputs);
    rk_tensor ins[10];
    char names[10][8];
    bool present[10] = {false};
    int nfeed = 0;
    memset(ins, 0, sizeof ins);

    pb node = {0}, graph = {0}, model = {0}, ops = {0};
    for (int i = 0; i < nin; i++) {
        char k = op->inputs[i];
        snprintf(names[i], sizeof names[i], "i%d", i);
        present[i] = !(k >= 'A' && k <= 'Z') || (take(&s) & 1);
        if (present[i] && make_input(&s, (char)(k | 0x20), op->min_rank, op->max_rank,
                                     &ins[nfeed]) != 0)
            present[i] = false;
        if (present[i]) {
            ins[nfeed].name = strdup(names[i]);
            nfeed++;
        }
        pb_str(&node, 1, present[i] ? names[i] : "");
    }
    for (int o = 0; o < op->nout; o++) {
        char name[8];
        snprintf(name, sizeof name, "o%d", o);
        pb_str(&node, 2, (o == 0 || (take(&s) & 1)) ? name : "");
    }
    pb_str(&node, 3, "fuzz_node");
    pb_str(&node, 4, op->op);
    for (int a = 0; a < 10 && op->attrs[a].name; a++)
        if (take(&s) & 1)
            add_attr(&node, &s, &op->attrs[a]);
    pb_msg(&graph, 1, &node);
    pb_str(&graph, 2, "g");
    for (int i = 0; i < nin; i++) {
        if (!present[i])
            continue;
        pb vi = {0};
        pb_str(&vi, 1, names[i]);
        pb_msg(&graph, 11, &vi);
    }
    pb vo = {0};
    pb_str(&vo, 1, "o0");
    pb_msg(&graph, 12, &vo);
    pb_int(&model, 1, 8);
    pb_str(&ops, 1, "");
    pb_int(&ops, 2, opset);
    pb_msg(&model, 8, &ops);
    pb_msg(&model, 7, &graph);

    if (getenv("FUZZ_NN_VERBOSE")) { /* reproducer triage */
        char shape[96];
        fprintf(stderr, "%s opset %d:", op->op, opset);
        for (int i = 0; i < nfeed; i++)
            fprintf(stderr, " %s=%s(%s)", ins[i].name, rk_shape_str(&ins[i], shape, sizeof shape),
                    rk_dtype_name(ins[i].dtype));
        fprintf(stderr, "\n");
    }
    ox_model *m = NULL;
    rk_err e = {0};
    if (!model.oom && ox_model_load_buffer(model.buf, model.len, "fuzz", NULL, &m, &e) == RK_OK &&
        ox_model_check_supported(m, &e) == RK_OK) {
        ox_run_opts opts = {.threads = 1 + (int)(take(&s) & 1)};
        rk_tensor out[1];
        memset(out, 0, sizeof out);
        rk_status st = ox_run(m, ins, nfeed, &opts, out, &e);
        if (getenv("FUZZ_NN_VERBOSE"))
            fprintf(stderr, "-> %s\n", st == RK_OK ? "ok" : e.msg);
        if (st == RK_OK)
            rk_tensor_free(&out[0]);
        else if (!e.msg[0])
            abort(); /* a failure must say why */
    }
    ox_model_free(m);
    free(model.buf);
    for (int i = 0; i < nfeed; i++)
        rk_tensor_free(&ins[i]);
    return 0;
}
