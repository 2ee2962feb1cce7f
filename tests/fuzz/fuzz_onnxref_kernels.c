/*
 * fuzz_onnxref_kernels.c - libFuzzer target for the onnxref data-movement,
 * reduction, quantisation and misc kernels (ops_shape.c, ops_reduce.c,
 * ops_misc.c, misc_rnn.c, misc_extra.c).
 *
 * The loader fuzzer (fuzz_onnx.c) rarely produces a structurally valid node,
 * so this one builds a valid one-node ONNX model from the fuzz bytes: the
 * operator, opset, input dtypes/shapes/values and attribute values all come
 * from the input, then the model is loaded and run.  Running must succeed or
 * fail with a message; it must never crash, hang, leak or touch memory out
 * of bounds (add -DRKSIM_SANITIZE=ON for ASan/UBSan).
 *
 *   cmake -B build-fuzz -DRKSIM_FUZZ=ON -DRKSIM_SANITIZE=ON -DCMAKE_C_COMPILER=clang
 *   build-fuzz/tests/fuzz_onnxref_kernels -max_total_time=60   (or scripts/fuzz.sh)
 *
 * A model may legitimately ask for a tensor too big to allocate; the library
 * must then fail with RK_ENOMEM.  __asan_default_options below makes such
 * requests (anything over 256 MiB) return NULL instead of aborting, which
 * also keeps every run far below libFuzzer's rss/malloc limits and timeout.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnxref.h"
#include "pbwriter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* Read by ASan at start-up (ASAN_OPTIONS still override it). */
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1:max_allocation_size_mb=256";
}

/* ------------------------------------------------------------ byte source */

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

/* Small signed integers dominate (axes, pads, indices), with the odd extreme. */
static int64_t take_int(src *s)
{
    unsigned b = take(s);
    switch (b >> 5) {
    case 0: return INT64_MAX;
    case 1: return INT64_MIN;
    case 2: return (int64_t)(b & 31) * 3;
    default: return (int64_t)(b & 15) - 6;
    }
}

/* --------------------------------------------------------- protobuf writer */

/* pb, pb_raw ... pb_msg: tests/support/pbwriter.h */

/* ----------------------------------------------------------- op catalogue */

typedef enum arg_kind { A_INT, A_INTS, A_FLOAT, A_STR } arg_kind;

typedef struct attr_spec {
    const char *name;
    arg_kind kind;
    const char *choices[5]; /* A_STR */
} attr_spec;

/* Input roles: data of any dtype, integer list, integer scalar, float. */
typedef enum in_kind { I_DATA, I_INTS, I_SCALAR, I_FLOAT } in_kind;

typedef struct op_spec {
    const char *op;
    int opsets[3];
    int nin;
    in_kind in[5];
    int nout;
    attr_spec attrs[4];
} op_spec;

static const op_spec ops[] = {
    {"Reshape", {5, 14, 0}, 2, {I_DATA, I_INTS}, 1, {{"allowzero", A_INT, {0}}}},
    {"Flatten", {1, 13, 0}, 1, {I_DATA}, 1, {{"axis", A_INT, {0}}}},
    {"Squeeze", {11, 13, 0}, 2, {I_DATA, I_INTS}, 1, {{"axes", A_INTS, {0}}}},
    {"Unsqueeze", {11, 13, 0}, 2, {I_DATA, I_INTS}, 1, {{"axes", A_INTS, {0}}}},
    {"Transpose", {13, 0, 0}, 1, {I_DATA}, 1, {{"perm", A_INTS, {0}}}},
    {"Concat", {4, 13, 0}, 3, {I_DATA, I_DATA, I_DATA}, 1, {{"axis", A_INT, {0}}}},
    {"Split", {2, 13, 18}, 2, {I_DATA, I_INTS}, 3,
     {{"axis", A_INT, {0}}, {"split", A_INTS, {0}}, {"num_outputs", A_INT, {0}}}},
    {"Slice", {1, 13, 0}, 5, {I_DATA, I_INTS, I_INTS, I_INTS, I_INTS}, 1,
     {{"starts", A_INTS, {0}}, {"ends", A_INTS, {0}}, {"axes", A_INTS, {0}}}},
    {"Gather", {13, 0, 0}, 2, {I_DATA, I_INTS}, 1, {{"axis", A_INT, {0}}}},
    {"GatherElements", {13, 0, 0}, 2, {I_DATA, I_DATA}, 1, {{"axis", A_INT, {0}}}},
    {"GatherND", {13, 0, 0}, 2, {I_DATA, I_DATA}, 1, {{"batch_dims", A_INT, {0}}}},
    {"ScatterND", {16, 18, 0}, 3, {I_DATA, I_DATA, I_DATA}, 1,
     {{"reduction", A_STR, {"none", "add", "mul", "max", "min"}}}},
    {"ScatterElements", {13, 18, 0}, 3, {I_DATA, I_DATA, I_DATA}, 1,
     {{"axis", A_INT, {0}}, {"reduction", A_STR, {"none", "add", "max", "x", NULL}}}},
    {"Expand", {13, 0, 0}, 2, {I_DATA, I_INTS}, 1, {{NULL, A_INT, {0}}}},
    {"Tile", {13, 0, 0}, 2, {I_DATA, I_INTS}, 1, {{NULL, A_INT, {0}}}},
    {"Pad", {2, 13, 19}, 3, {I_DATA, I_INTS, I_FLOAT}, 1,
     {{"mode", A_STR, {"constant", "reflect", "edge", "wrap", NULL}}, {"pads", A_INTS, {0}}}},
    {"Shape", {15, 0, 0}, 1, {I_DATA}, 1, {{"start", A_INT, {0}}, {"end", A_INT, {0}}}},
    {"ConstantOfShape", {9, 0, 0}, 1, {I_INTS}, 1, {{NULL, A_INT, {0}}}},
    {"Range", {11, 0, 0}, 3, {I_SCALAR, I_SCALAR, I_SCALAR}, 1, {{NULL, A_INT, {0}}}},
    {"Cast", {13, 0, 0}, 1, {I_DATA}, 1, {{"to", A_INT, {0}}}},
    {"Compress", {11, 0, 0}, 2, {I_DATA, I_DATA}, 1, {{"axis", A_INT, {0}}}},
    {"Trilu", {14, 0, 0}, 2, {I_DATA, I_SCALAR}, 1, {{"upper", A_INT, {0}}}},
    {"ReverseSequence", {10, 0, 0}, 2, {I_DATA, I_INTS}, 1,
     {{"time_axis", A_INT, {0}}, {"batch_axis", A_INT, {0}}}},
    {"ReduceMean", {13, 18, 0}, 2, {I_DATA, I_INTS}, 1,
     {{"axes", A_INTS, {0}}, {"keepdims", A_INT, {0}}, {"noop_with_empty_axes", A_INT, {0}}}},
    {"ReduceSum", {11, 13, 0}, 2, {I_DATA, I_INTS}, 1,
     {{"axes", A_INTS, {0}}, {"keepdims", A_INT, {0}}}},
    {"ReduceLogSumExp", {13, 18, 0}, 2, {I_DATA, I_INTS}, 1, {{"axes", A_INTS, {0}}}},
    {"ArgMin", {13, 0, 0}, 1, {I_DATA}, 1,
     {{"axis", A_INT, {0}}, {"keepdims", A_INT, {0}}, {"select_last_index", A_INT, {0}}}},
    {"TopK", {1, 11, 0}, 2, {I_DATA, I_INTS}, 2,
     {{"axis", A_INT, {0}}, {"k", A_INT, {0}}, {"largest", A_INT, {0}}}},
    {"CumSum", {14, 0, 0}, 2, {I_DATA, I_SCALAR}, 1,
     {{"exclusive", A_INT, {0}}, {"reverse", A_INT, {0}}}},
    {"NonZero", {13, 0, 0}, 1, {I_DATA}, 1, {{NULL, A_INT, {0}}}},
    {"OneHot", {11, 0, 0}, 3, {I_DATA, I_SCALAR, I_DATA}, 1, {{"axis", A_INT, {0}}}},
    {"QuantizeLinear", {13, 21, 0}, 3, {I_DATA, I_DATA, I_DATA}, 1,
     {{"axis", A_INT, {0}}, {"block_size", A_INT, {0}}}},
    {"DequantizeLinear", {13, 21, 0}, 3, {I_DATA, I_DATA, I_DATA}, 1,
     {{"axis", A_INT, {0}}, {"block_size", A_INT, {0}}}},
    {"DynamicQuantizeLinear", {11, 0, 0}, 1, {I_DATA}, 3, {{NULL, A_INT, {0}}}},
    {"EyeLike", {9, 0, 0}, 1, {I_DATA}, 1, {{"k", A_INT, {0}}, {"dtype", A_INT, {0}}}},
    {"Unique", {11, 0, 0}, 1, {I_DATA}, 4, {{"axis", A_INT, {0}}, {"sorted", A_INT, {0}}}},
    {"NonMaxSuppression", {11, 0, 0}, 5, {I_DATA, I_DATA, I_INTS, I_FLOAT, I_FLOAT}, 1,
     {{"center_point_box", A_INT, {0}}}},
    {"GRU", {14, 0, 0}, 4, {I_DATA, I_DATA, I_DATA, I_DATA}, 2,
     {{"hidden_size", A_INT, {0}}, {"direction", A_STR, {"forward", "reverse", "bidirectional", NULL}},
      {"layout", A_INT, {0}}, {"linear_before_reset", A_INT, {0}}}},
    {"GridSample", {16, 0, 0}, 2, {I_DATA, I_DATA}, 1,
     {{"mode", A_STR, {"bilinear", "nearest", "bicubic", NULL}},
      {"padding_mode", A_STR, {"zeros", "border", "reflection", NULL}},
      {"align_corners", A_INT, {0}}}},
    {"RoiAlign", {16, 0, 0}, 3, {I_DATA, I_DATA, I_INTS}, 1,
     {{"mode", A_STR, {"avg", "max", NULL}}, {"sampling_ratio", A_INT, {0}},
      {"output_height", A_INT, {0}}}},
    {"MeanVarianceNormalization", {13, 0, 0}, 1, {I_DATA}, 1, {{"axes", A_INTS, {0}}}},
    {"Det", {11, 0, 0}, 1, {I_DATA}, 1, {{NULL, A_INT, {0}}}},
};

static const rk_dtype data_types[8] = {RK_DT_F32, RK_DT_I64, RK_DT_I32, RK_DT_U8,
                                       RK_DT_I8, RK_DT_F16, RK_DT_BOOL, RK_DT_F64};

/* ------------------------------------------------------------- builders */

static void add_attr(pb *node, const attr_spec *a, src *s)
{
    pb at = {0};
    pb_str(&at, 1, a->name);
    switch (a->kind) {
    case A_INT:
        pb_int(&at, 3, take_int(s));
        pb_int(&at, 20, 2);
        break;
    case A_INTS: {
        int count = (int)(take(s) % 5);
        for (int i = 0; i < count; i++)
            pb_int(&at, 8, take_int(s));
        pb_int(&at, 20, 7);
        break;
    }
    case A_FLOAT: {
        float f = (float)take_int(s) / 4.0f;
        pb_key(&at, 2, 5);
        pb_raw(&at, &f, 4);
        pb_int(&at, 20, 1);
        break;
    }
    case A_STR: {
        int nchoice = 0;
        while (nchoice < 5 && a->choices[nchoice])
            nchoice++;
        pb_str(&at, 4, nchoice ? a->choices[take(s) % (unsigned)nchoice] : "");
        pb_int(&at, 20, 3);
        break;
    }
    }
    pb_msg(node, 5, &at);
}

/* A small tensor whose dtype, shape and values come from the fuzz bytes. */
static int make_input(in_kind kind, src *s, rk_tensor *t)
{
    rk_err e = {0};
    int64_t dims[4] = {0};
    int ndim = 0;
    rk_dtype dt = RK_DT_I64;
    if (kind == I_INTS) {
        ndim = 1;
        dims[0] = take(s) % 5;
    } else if (kind == I_SCALAR || kind == I_FLOAT) {
        dt = kind == I_FLOAT ? RK_DT_F32 : RK_DT_I64;
        unsigned b = take(s);
        if (b & 1)
            dt = data_types[(b >> 1) % 8];
    } else {
        dt = data_types[take(s) % 8];
        ndim = (int)(take(s) % 5);
        for (int d = 0; d < ndim; d++)
            dims[d] = take(s) % 5;
    }
    if (rk_tensor_alloc(t, NULL, dt, ndim, dims, &e) != RK_OK)
        return -1;
    for (int64_t i = 0; i < t->nelem; i++) {
        int64_t v = take_int(s);
        switch (dt) {
        case RK_DT_F32: ((float *)t->data)[i] = (float)v / 2.0f; break;
        case RK_DT_F64: ((double *)t->data)[i] = (double)v / 2.0; break;
        case RK_DT_F16: ((uint16_t *)t->data)[i] = rk_f32_to_f16((float)v / 2.0f); break;
        case RK_DT_I64: ((int64_t *)t->data)[i] = v; break;
        case RK_DT_I32: ((int32_t *)t->data)[i] = (int32_t)v; break;
        case RK_DT_BOOL: ((uint8_t *)t->data)[i] = v > 0; break;
        default: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
        }
    }
    return 0;
}

static uint8_t *build_model(const op_spec *op, int opset, const int *present, int nout,
                            src *s, size_t *len)
{
    pb node = {0}, graph = {0}, model = {0}, os = {0};
    char name[16];
    for (int i = 0; i < op->nin; i++) {
        snprintf(name, sizeof name, "i%d", i);
        pb_str(&node, 1, present[i] ? name : "");
    }
    for (int i = 0; i < nout; i++) {
        snprintf(name, sizeof name, "o%d", i);
        pb_str(&node, 2, name);
    }
    pb_str(&node, 4, op->op);
    for (int a = 0; a < 4 && op->attrs[a].name; a++)
        if (take(s) & 1)
            add_attr(&node, &op->attrs[a], s);
    pb_msg(&graph, 1, &node);
    pb_str(&graph, 2, "g");
    for (int i = 0; i < op->nin; i++) {
        if (!present[i])
            continue;
        pb vi = {0};
        snprintf(name, sizeof name, "i%d", i);
        pb_str(&vi, 1, name);
        pb_msg(&graph, 11, &vi);
    }
    for (int i = 0; i < nout; i++) {
        pb vi = {0};
        snprintf(name, sizeof name, "o%d", i);
        pb_str(&vi, 1, name);
        pb_msg(&graph, 12, &vi);
    }
    pb_int(&model, 1, 8);
    pb_str(&os, 1, "");
    pb_int(&os, 2, opset);
    pb_msg(&model, 8, &os);
    pb_msg(&model, 7, &graph);
    if (model.oom) {
        free(model.buf);
        return NULL;
    }
    *len = model.len;
    return model.buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    src s = {data, size};
    const op_spec *op = &ops[take(&s) % (sizeof ops / sizeof ops[0])];
    int nops = 0;
    while (nops < 3 && op->opsets[nops])
        nops++;
    int opset = op->opsets[take(&s) % (unsigned)nops];
    int nout = op->nout;
    rk_tensor feeds[5];
    int present[5] = {0}, nfeed = 0;
    for (int i = 0; i < op->nin; i++) {
        /* Inputs after the first may be omitted. */
        if (i > 0 && (take(&s) & 3) == 0)
            continue;
        if (make_input(op->in[i], &s, &feeds[nfeed]) != 0)
            break;
        char name[16];
        snprintf(name, sizeof name, "i%d", i);
        rk_tensor_set_name(&feeds[nfeed], name);
        present[i] = 1;
        nfeed++;
    }
    size_t len = 0;
    uint8_t *buf = build_model(op, opset, present, nout, &s, &len);
    ox_model *m = NULL;
    rk_err e = {0};
    if (buf && ox_model_load_buffer(buf, len, "fuzz", NULL, &m, &e) == RK_OK &&
        ox_model_check_supported(m, &e) == RK_OK) {
        rk_tensor outs[4];
        memset(outs, 0, sizeof outs);
        if (ox_run(m, feeds, nfeed, NULL, outs, &e) == RK_OK) {
            for (int i = 0; i < ox_model_num_outputs(m) && i < 4; i++)
                rk_tensor_free(&outs[i]);
        } else if (!e.msg[0]) {
            fprintf(stderr, "run failed without a message\n");
            abort();
        }
    }
    ox_model_free(m);
    free(buf);
    for (int i = 0; i < nfeed; i++)
        rk_tensor_free(&feeds[i]);
    return 0;
}
