/*
 * test_onnxref.c - onnxref loader, runner and elementwise kernels.
 *
 * Models are built in memory with the protobuf-c structures generated from
 * onnx.proto (a tiny builder below), or taken from ONNX's own node-test data
 * (libonnx-testdata).  Expected values are hand-derived (stated next to each
 * check) or come from that ONNX test data (computed by ONNX's numpy
 * reference), never from onnxref itself.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx.pb-c.h"
#include "onnxref.h"
#include "ox_internal.h" /* ox_ctx, to drive ox_parallel_for directly */
#include "testutil.h"

#define NODE_TESTS "/usr/share/libonnx-testdata/data/node"

/* ---- in-memory model builder ------------------------------------------ */

/* Every allocation is recorded so mb_free releases the whole model. */
typedef struct mb {
    void *ptrs[512];
    int nptrs;
    Onnx__NodeProto *nodes[16];
    int nnodes;
    Onnx__ValueInfoProto *ins[8], *outs[8];
    int nins, nouts;
    Onnx__TensorProto *inits[8];
    int ninits;
    int opset;
} mb;

static void *mb_alloc(mb *b, size_t sz)
{
    assert_true(b->nptrs < 512);
    void *p = calloc(1, sz);
    assert_non_null(p);
    b->ptrs[b->nptrs++] = p;
    return p;
}

static char *mb_str(mb *b, const char *s)
{
    char *p = mb_alloc(b, strlen(s) + 1);
    strcpy(p, s);
    return p;
}

/* Split "a,b,,c" into strings (empty entries kept: omitted optionals). */
static size_t mb_list(mb *b, const char *csv, char ***out)
{
    size_t n = 0;
    if (!csv) {
        *out = NULL;
        return 0;
    }
    char **v = mb_alloc(b, sizeof(char *) * 16);
    const char *p = csv;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        char *s = mb_alloc(b, len + 1);
        memcpy(s, p, len);
        v[n++] = s;
        if (!c)
            break;
        p = c + 1;
    }
    *out = v;
    return n;
}

static Onnx__ValueInfoProto *mb_vi(mb *b, const char *name, int elem, int nd,
                                   const int64_t *dims, const char *const *params)
{
    Onnx__ValueInfoProto *v = mb_alloc(b, sizeof *v);
    onnx__value_info_proto__init(v);
    v->name = mb_str(b, name);
    if (elem == 0)
        return v;
    Onnx__TypeProto *tp = mb_alloc(b, sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = mb_alloc(b, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = elem;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    v->type = tp;
    if (nd < 0)
        return v;
    Onnx__TensorShapeProto *sh = mb_alloc(b, sizeof *sh);
    onnx__tensor_shape_proto__init(sh);
    sh->n_dim = (size_t)nd;
    sh->dim = mb_alloc(b, sizeof(void *) * (size_t)(nd + 1));
    for (int i = 0; i < nd; i++) {
        Onnx__TensorShapeProto__Dimension *d = mb_alloc(b, sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (params && params[i]) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = mb_str(b, params[i]);
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        }
        sh->dim[i] = d;
    }
    tt->shape = sh;
    return v;
}

static void mb_input(mb *b, const char *name, int elem, int nd, const int64_t *dims,
                     const char *const *params)
{
    b->ins[b->nins++] = mb_vi(b, name, elem, nd, dims, params);
}

static void mb_output(mb *b, const char *name)
{
    b->outs[b->nouts++] = mb_vi(b, name, 0, -1, NULL, NULL);
}

static Onnx__NodeProto *mb_node(mb *b, const char *op, const char *name, const char *ins,
                                const char *outs)
{
    Onnx__NodeProto *n = mb_alloc(b, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = mb_str(b, op);
    n->name = mb_str(b, name);
    n->n_input = mb_list(b, ins, &n->input);
    n->n_output = mb_list(b, outs, &n->output);
    n->attribute = mb_alloc(b, sizeof(void *) * 8);
    b->nodes[b->nnodes++] = n;
    return n;
}

static Onnx__AttributeProto *mb_attr(mb *b, Onnx__NodeProto *n, const char *name,
                                     Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *a = mb_alloc(b, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = mb_str(b, name);
    a->has_type = 1;
    a->type = type;
    n->attribute[n->n_attribute++] = a;
    return a;
}

static void mb_attr_i(mb *b, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

static void mb_attr_f(mb *b, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

/* Float initializer stored as raw_data of `nbytes` bytes (may disagree with
 * the shape on purpose). */
static Onnx__TensorProto *mb_init_raw(mb *b, const char *name, int elem, int nd,
                                      const int64_t *dims, const void *data, size_t nbytes)
{
    Onnx__TensorProto *t = mb_alloc(b, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = mb_str(b, name);
    t->has_data_type = 1;
    t->data_type = elem;
    t->n_dims = (size_t)nd;
    t->dims = mb_alloc(b, sizeof(int64_t) * (size_t)(nd + 1));
    memcpy(t->dims, dims, sizeof(int64_t) * (size_t)nd);
    t->has_raw_data = 1;
    t->raw_data.len = nbytes;
    t->raw_data.data = mb_alloc(b, nbytes + 1);
    memcpy(t->raw_data.data, data, nbytes);
    b->inits[b->ninits++] = t;
    return t;
}

static uint8_t *mb_pack(mb *b, size_t *len)
{
    Onnx__GraphProto g;
    onnx__graph_proto__init(&g);
    g.name = (char *)"test";
    g.n_node = (size_t)b->nnodes;
    g.node = b->nodes;
    g.n_input = (size_t)b->nins;
    g.input = b->ins;
    g.n_output = (size_t)b->nouts;
    g.output = b->outs;
    g.n_initializer = (size_t)b->ninits;
    g.initializer = b->inits;
    Onnx__OperatorSetIdProto ops;
    onnx__operator_set_id_proto__init(&ops);
    ops.domain = (char *)"";
    ops.has_version = 1;
    ops.version = b->opset ? b->opset : 13;
    Onnx__OperatorSetIdProto *opsp = &ops;
    Onnx__ModelProto m;
    onnx__model_proto__init(&m);
    m.has_ir_version = 1;
    m.ir_version = 8;
    m.n_opset_import = 1;
    m.opset_import = &opsp;
    m.graph = &g;
    *len = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = mb_alloc(b, *len + 1);
    onnx__model_proto__pack(&m, buf);
    return buf;
}

static void mb_free(mb *b)
{
    for (int i = 0; i < b->nptrs; i++)
        free(b->ptrs[i]);
    memset(b, 0, sizeof *b);
}

static ox_model *mb_load(mb *b, rk_err *e, rk_status want)
{
    size_t len;
    uint8_t *buf = mb_pack(b, &len);
    ox_model *m = NULL;
    rk_status st = ox_model_load_buffer(buf, len, "built.onnx", NULL, &m, e);
    if (st != want)
        fprintf(stderr, "load: %s\n", e->msg);
    assert_int_equal(st, want);
    return m;
}

static rk_tensor make_f32(const char *name, int nd, const int64_t *dims, const float *vals)
{
    rk_tensor t;
    rk_err e = {0};
    assert_int_equal(rk_tensor_alloc(&t, name, RK_DT_F32, nd, dims, &e), RK_OK);
    memcpy(t.data, vals, rk_tensor_bytes(&t));
    return t;
}

/* A model "y = Add(a, b)" with a, b float [2,3] (or symbolic dims). */
static ox_model *add_model(mb *b, const char *const *params, rk_err *e)
{
    int64_t dims[2] = {2, 3};
    mb_input(b, "a", 1, 2, dims, params);
    mb_input(b, "b", 1, 2, dims, params);
    mb_node(b, "Add", "add0", "a,b", "y");
    mb_output(b, "y");
    return mb_load(b, e, RK_OK);
}

/* ---- bad input -------------------------------------------------------- */

static void test_onnxref_load_not_onnx(void **state)
{
    (void)state;
    rk_err e = {0};
    ox_model *m = NULL;
    const char *text = "this is a text file, not a protobuf";
    rk_status st = ox_model_load_buffer((const uint8_t *)text, strlen(text), "notes.txt", NULL,
                                        &m, &e);
    assert_int_equal(st, RK_EINPUT);
    assert_null(m);
    assert_non_null(strstr(e.msg, "notes.txt"));
    assert_non_null(strstr(e.msg, "not an ONNX model"));
    e = (rk_err){0};
    assert_int_equal(ox_model_load_buffer((const uint8_t *)"", 0, "empty.onnx", NULL, &m, &e),
                     RK_EINPUT);
}

static void test_onnxref_load_truncated(void **state)
{
    (void)state;
    const char *path = NODE_TESTS "/test_conv_with_strides_padding/model.onnx";
    if (access(path, R_OK) != 0)
        skip();
    uint8_t *buf;
    size_t len;
    rk_err e = {0};
    assert_int_equal(rk_read_file(path, &buf, &len, 0, &e), RK_OK);
    ox_model *m = NULL;
    /* the full file loads; every cut inside the graph message must fail cleanly */
    assert_int_equal(ox_model_load_buffer(buf, len, path, NULL, &m, &e), RK_OK);
    ox_model_free(m);
    for (size_t cut = len / 4; cut < len - 1; cut += len / 8) {
        e = (rk_err){0};
        m = NULL;
        rk_status st = ox_model_load_buffer(buf, cut, "cut.onnx", NULL, &m, &e);
        assert_int_not_equal(st, RK_OK);
        assert_null(m);
        assert_non_null(strstr(e.msg, "cut.onnx"));
    }
    free(buf);
}

static void test_onnxref_unsupported_ops_all_listed(void **state)
{
    (void)state;
    mb b = {0};
    rk_err e = {0};
    int64_t dims[1] = {4};
    mb_input(&b, "x", 1, 1, dims, NULL);
    mb_node(&b, "Relu", "r0", "x", "t0");
    mb_node(&b, "FancyOp", "fancy_1", "t0", "t1");
    mb_node(&b, "OtherOp", "other_2", "t1", "y");
    mb_output(&b, "y");
    b.opset = 17;
    ox_model *m = mb_load(&b, &e, RK_OK); /* loading succeeds: introspection works */
    assert_int_equal(ox_model_num_unsupported(m), 2);
    assert_int_equal(ox_model_check_supported(m, &e), RK_EUNSUPPORTED);
    assert_non_null(strstr(e.msg, "2 unsupported operators"));
    assert_non_null(strstr(e.msg, "FancyOp 'fancy_1' (opset 17)"));
    assert_non_null(strstr(e.msg, "OtherOp 'other_2' (opset 17)"));
    /* running refuses before executing anything */
    float xv[4] = {1, -2, 3, -4};
    rk_tensor x = make_f32("x", 1, dims, xv), y;
    rk_err e2 = {0};
    assert_int_equal(ox_run(m, &x, 1, NULL, &y, &e2), RK_EUNSUPPORTED);
    assert_string_equal(e.msg, e2.msg);
    rk_tensor_free(&x);
    ox_model_free(m);
    mb_free(&b);
}

static void test_onnxref_op_newer_than_opset_unsupported(void **state)
{
    (void)state;
    /* HardSwish exists from opset 14: a model importing opset 13 cannot use it */
    mb b = {0};
    rk_err e = {0};
    int64_t dims[1] = {2};
    mb_input(&b, "x", 1, 1, dims, NULL);
    mb_node(&b, "HardSwish", "hs", "x", "y");
    mb_output(&b, "y");
    b.opset = 13;
    ox_model *m = mb_load(&b, &e, RK_OK);
    assert_int_equal(ox_model_check_supported(m, &e), RK_EUNSUPPORTED);
    assert_non_null(strstr(e.msg, "HardSwish 'hs' (opset 13)"));
    ox_model_free(m);
    mb_free(&b);
}

static void test_onnxref_missing_input(void **state)
{
    (void)state;
    mb b = {0};
    rk_err e = {0};
    ox_model *m = add_model(&b, NULL, &e);
    int64_t dims[2] = {2, 3};
    float v[6] = {0};
    rk_tensor a = make_f32("a", 2, dims, v), y;
    assert_int_equal(ox_run(m, &a, 1, NULL, &y, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "input 'b'"));
    assert_non_null(strstr(e.msg, "not given"));
    rk_tensor_free(&a);
    ox_model_free(m);
    mb_free(&b);
}

static void test_onnxref_misshaped_input(void **state)
{
    (void)state;
    mb b = {0};
    rk_err e = {0};
    ox_model *m = add_model(&b, NULL, &e);
    int64_t good[2] = {2, 3}, bad[2] = {3, 2};
    float v[6] = {0};
    rk_tensor in[2] = {make_f32("a", 2, good, v), make_f32("b", 2, bad, v)}, y;
    assert_int_equal(ox_run(m, in, 2, NULL, &y, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "input 'b' dimension 0 must be 2"));
    /* wrong element type */
    rk_tensor_free(&in[1]);
    assert_int_equal(rk_tensor_alloc(&in[1], "b", RK_DT_I32, 2, good, &e), RK_OK);
    e = (rk_err){0};
    assert_int_equal(ox_run(m, in, 2, NULL, &y, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "input 'b' must be float32 but int32"));
    /* a name that is no input */
    rk_tensor_free(&in[1]);
    in[1] = make_f32("bogus", 2, good, v);
    e = (rk_err){0};
    assert_int_equal(ox_run(m, in, 2, NULL, &y, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "'bogus' is not an input"));
    rk_tensor_free(&in[0]);
    rk_tensor_free(&in[1]);
    ox_model_free(m);
    mb_free(&b);
}

static void test_onnxref_symbolic_dims_bound_from_inputs(void **state)
{
    (void)state;
    mb b = {0};
    rk_err e = {0};
    const char *params[2] = {"batch", NULL};
    ox_model *m = add_model(&b, params, &e);
    assert_int_equal(ox_model_input(m, 0)->dims[0], -1);
    assert_string_equal(ox_model_input(m, 0)->dim_params[0], "batch");
    int64_t d4[2] = {4, 3}, d5[2] = {5, 3};
    float v[15] = {0};
    v[0] = 1.5f;
    /* batch=4 for both: runs, output takes the bound size */
    rk_tensor in[2] = {make_f32("a", 2, d4, v), make_f32("b", 2, d4, v)}, y;
    assert_int_equal(ox_run(m, in, 2, NULL, &y, &e), RK_OK);
    assert_int_equal(y.dims[0], 4);
    assert_true(((float *)y.data)[0] == 3.0f); /* 1.5 + 1.5 */
    rk_tensor_free(&y);
    /* batch=4 vs batch=5: the symbol disagrees */
    rk_tensor_free(&in[1]);
    in[1] = make_f32("b", 2, d5, v);
    assert_int_equal(ox_run(m, in, 2, NULL, &y, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "symbolic dimension 'batch'"));
    rk_tensor_free(&in[0]);
    rk_tensor_free(&in[1]);
    ox_model_free(m);
    mb_free(&b);
}

static void test_onnxref_initializer_size_mismatch(void **state)
{
    (void)state;
    mb b = {0};
    rk_err e = {0};
    int64_t dims[1] = {3};
    float w[2] = {1, 2}; /* 8 bytes for a [3] float tensor that needs 12 */
    mb_input(&b, "x", 1, 1, dims, NULL);
    mb_init_raw(&b, "weights", 1, 1, dims, w, sizeof w);
    mb_node(&b, "Mul", "mul", "x,weights", "y");
    mb_output(&b, "y");
    ox_model *m = mb_load(&b, &e, RK_EINPUT);
    assert_null(m);
    assert_non_null(strstr(e.msg, "'weights'"));
    assert_non_null(strstr(e.msg, "raw_data has 8 bytes"));
    assert_non_null(strstr(e.msg, "needs 12"));
    mb_free(&b);
}

/* typed-field variant: float_data with 2 values for a [3] tensor */
static void test_onnxref_initializer_typed_count_mismatch(void **state)
{
    (void)state;
    mb b = {0};
    rk_err e = {0};
    int64_t dims[1] = {3};
    float w[2] = {1, 2};
    mb_input(&b, "x", 1, 1, dims, NULL);
    Onnx__TensorProto *t = mb_init_raw(&b, "bias", 1, 1, dims, w, sizeof w);
    t->has_raw_data = 0;
    t->n_float_data = 2;
    t->float_data = mb_alloc(&b, sizeof w);
    memcpy(t->float_data, w, sizeof w);
    mb_node(&b, "Add", "add", "x,bias", "y");
    mb_output(&b, "y");
    assert_null(mb_load(&b, &e, RK_EINPUT));
    assert_non_null(strstr(e.msg, "'bias'"));
    assert_non_null(strstr(e.msg, "float_data holds 2 values"));
    mb_free(&b);
}

typedef struct keep_r {
    float r[3];
    bool seen;
} keep_r;

static rk_status keep_r_cb(void *user, const ox_model *m, const ox_node *n,
                           const rk_tensor *out, int nout, rk_err *e)
{
    keep_r *k = user;
    if (strcmp(out[0].name, "r") == 0) {
        memcpy(k->r, out[0].data, sizeof k->r);
        k->seen = true;
    }
    return RK_OK;
}

/* Dying intermediates are overwritten in place by elementwise kernels; the
 * results must be those of fresh buffers.  Mul(r, r) reads r twice, so r
 * must not be reused there; y dies at Add and may be.  Hand-derived:
 * r = relu(x) = {0, 2, 3}; y = r*r = {0, 4, 9}; z = y + r2 where
 * r2 = relu(x) again = {0, 2, 3}: z = {0, 6, 12}. */
static void test_onnxref_inplace_reuse_keeps_values(void **state)
{
    (void)state;
    mb b = {0};
    rk_err e = {0};
    int64_t dims[1] = {3};
    mb_input(&b, "x", 1, 1, dims, NULL);
    mb_node(&b, "Relu", "relu_a", "x", "r");
    mb_node(&b, "Relu", "relu_b", "x", "r2");
    mb_node(&b, "Mul", "square", "r,r", "y");
    mb_node(&b, "Add", "add", "y,r2", "z");
    mb_output(&b, "z");
    ox_model *m = mb_load(&b, &e, RK_OK);
    float xv[3] = {-1, 2, 3};
    rk_tensor x = make_f32("x", 1, dims, xv), z;
    keep_r k = {{0}, false};
    ox_run_opts opts = {.on_node = keep_r_cb, .user = &k};
    assert_int_equal(ox_run(m, &x, 1, &opts, &z, &e), RK_OK);
    const float want[3] = {0, 6, 12}, rwant[3] = {0, 2, 3};
    for (int i = 0; i < 3; i++) {
        assert_true(((float *)z.data)[i] == want[i]);
        assert_true(k.r[i] == rwant[i]);
    }
    assert_true(xv[0] == -1); /* the caller's input is never written */
    assert_true(((float *)x.data)[0] == -1);
    rk_tensor_free(&z);
    rk_tensor_free(&x);
    ox_model_free(m);
    mb_free(&b);
}

/* Constant values are decoded once and lent to later runs; an elementwise
 * consumer must never overwrite them in place.  y = (x + c) * 2 with
 * c = {10, 20}: each of three runs gives {22, 44} for x = {1, 2}. */
static void test_onnxref_constant_cache_survives_runs(void **state)
{
    (void)state;
    mb b = {0};
    rk_err e = {0};
    int64_t dims[1] = {2};
    mb_input(&b, "x", 1, 1, dims, NULL);
    Onnx__NodeProto *c = mb_node(&b, "Constant", "const_c", NULL, "c");
    Onnx__AttributeProto *a = mb_attr(&b, c, "value_floats",
                                      ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    a->n_floats = 2;
    a->floats = mb_alloc(&b, 2 * sizeof(float));
    a->floats[0] = 10;
    a->floats[1] = 20;
    Onnx__NodeProto *two = mb_node(&b, "Constant", "const_2", NULL, "two");
    mb_attr_f(&b, two, "value_float", 2);
    mb_node(&b, "Add", "add", "c,x", "s");
    mb_node(&b, "Mul", "mul", "s,two", "y");
    mb_output(&b, "y");
    ox_model *m = mb_load(&b, &e, RK_OK);
    float xv[2] = {1, 2};
    rk_tensor x = make_f32("x", 1, dims, xv), y;
    for (int run = 0; run < 3; run++) {
        assert_int_equal(ox_run(m, &x, 1, NULL, &y, &e), RK_OK);
        assert_true(((float *)y.data)[0] == 22 && ((float *)y.data)[1] == 44);
        rk_tensor_free(&y);
    }
    rk_tensor_free(&x);
    ox_model_free(m);
    mb_free(&b);
}

/* A kernel error reaches the caller naming the node and both shapes. */
static void test_onnxref_kernel_error_names_node(void **state)
{
    (void)state;
    mb b = {0};
    rk_err e = {0};
    int64_t da[2] = {2, 3}, db[1] = {4};
    mb_input(&b, "a", 1, 2, da, NULL);
    mb_input(&b, "b", 1, 1, db, NULL);
    mb_node(&b, "Add", "bad_add", "a,b", "y");
    mb_output(&b, "y");
    ox_model *m = mb_load(&b, &e, RK_OK);
    float v[6] = {0};
    rk_tensor in[2] = {make_f32("a", 2, da, v), make_f32("b", 1, db, v)}, y;
    assert_int_equal(ox_run(m, in, 2, NULL, &y, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "Add 'bad_add'"));
    assert_non_null(strstr(e.msg, "2x3 and 4 cannot be broadcast"));
    rk_tensor_free(&in[0]);
    rk_tensor_free(&in[1]);
    ox_model_free(m);
    mb_free(&b);
}

static void test_onnxref_dangling_name_and_cycle(void **state)
{
    (void)state;
    mb b = {0};
    rk_err e = {0};
    int64_t dims[1] = {2};
    mb_input(&b, "x", 1, 1, dims, NULL);
    mb_node(&b, "Add", "add", "x,nowhere", "y");
    mb_output(&b, "y");
    assert_null(mb_load(&b, &e, RK_EINPUT));
    assert_non_null(strstr(e.msg, "'nowhere'"));
    mb_free(&b);
    e = (rk_err){0};
    mb_input(&b, "x", 1, 1, dims, NULL);
    mb_node(&b, "Add", "p", "x,q_out", "p_out");
    mb_node(&b, "Relu", "q", "p_out", "q_out");
    mb_output(&b, "q_out");
    assert_null(mb_load(&b, &e, RK_EINPUT));
    assert_non_null(strstr(e.msg, "cycle"));
    mb_free(&b);
}

/* ---- execution -------------------------------------------------------- */

typedef struct seen {
    int calls;
    char names[8][32];
} seen;

static rk_status record_cb(void *user, const ox_model *m, const ox_node *n,
                           const rk_tensor *out, int nout, rk_err *e)
{
    seen *s = user;
    assert_int_equal(nout, 1);
    snprintf(s->names[s->calls++], 32, "%s", out[0].name);
    return RK_OK;
}

static void test_onnxref_callback_sees_every_node(void **state)
{
    (void)state;
    mb b = {0};
    rk_err e = {0};
    int64_t dims[1] = {4};
    mb_input(&b, "x", 1, 1, dims, NULL);
    /* written out of order on purpose: the runner sorts topologically */
    mb_node(&b, "Neg", "n2", "t1", "y");
    mb_node(&b, "Relu", "n1", "x", "t1");
    mb_output(&b, "y");
    ox_model *m = mb_load(&b, &e, RK_OK);
    assert_string_equal(ox_node_name(ox_model_node(m, 0)), "n1");
    assert_string_equal(ox_node_input_name(ox_model_node(m, 1), 0), "t1");
    assert_ptr_equal(ox_model_producer(m, "t1"), ox_model_node(m, 0));
    float xv[4] = {-1, 2, -3, 4};
    rk_tensor x = make_f32(NULL, 1, dims, xv), y; /* unnamed: positional */
    seen s = {0};
    ox_run_opts opts = {.threads = 2, .on_node = record_cb, .user = &s};
    assert_int_equal(ox_run(m, &x, 1, &opts, &y, &e), RK_OK);
    assert_int_equal(s.calls, 2);
    assert_string_equal(s.names[0], "t1");
    assert_string_equal(s.names[1], "y");
    /* y = -relu(x): hand-derived (-0.0 == 0 for the float compare) */
    const float want[4] = {0, -2, 0, -4};
    for (int i = 0; i < 4; i++)
        assert_true(((float *)y.data)[i] == want[i]);
    assert_string_equal(y.name, "y");
    rk_tensor_free(&y);
    /* single-node mode: run "n2" (Neg) alone on a given tensor */
    const rk_tensor *in1[1] = {&x};
    rk_tensor o;
    assert_int_equal(ox_run_node(m, ox_model_node(m, 1), in1, 1, 1, &o, &e), RK_OK);
    const float neg[4] = {1, -2, 3, -4};
    assert_memory_equal(o.data, neg, sizeof neg);
    rk_tensor_free(&o);
    rk_tensor_free(&x);
    ox_model_free(m);
    mb_free(&b);
}

static void test_onnxref_broadcast_add_sub(void **state)
{
    (void)state;
    mb b = {0};
    rk_err e = {0};
    int64_t da[3] = {2, 3, 1}, db[1] = {4};
    mb_input(&b, "a", 1, 3, da, NULL);
    mb_input(&b, "b", 1, 1, db, NULL);
    mb_node(&b, "Add", "add", "a,b", "s");
    mb_node(&b, "Sub", "sub", "s,b", "d"); /* (a+b)-b == a broadcast to 2x3x4 */
    mb_output(&b, "d");
    ox_model *m = mb_load(&b, &e, RK_OK);
    float av[6] = {1, 2, 3, 4, 5, 6}, bv[4] = {10, 20, 30, 40};
    rk_tensor in[2] = {make_f32("a", 3, da, av), make_f32("b", 1, db, bv)}, d;
    assert_int_equal(ox_run(m, in, 2, NULL, &d, &e), RK_OK);
    assert_int_equal(d.ndim, 3);
    assert_int_equal(d.dims[0], 2);
    assert_int_equal(d.dims[1], 3);
    assert_int_equal(d.dims[2], 4);
    for (int i = 0; i < 24; i++) /* numpy rule: d[i,j,k] = a[i,j,0] */
        assert_true(((float *)d.data)[i] == av[i / 4]);
    rk_tensor_free(&d);
    rk_tensor_free(&in[0]);
    rk_tensor_free(&in[1]);
    ox_model_free(m);
    mb_free(&b);
}

/* Integer Mod / Div semantics, hand-derived from the ONNX spec:
 * Mod fmod=0 takes the divisor's sign (-7 mod 3 = 2, 7 mod -3 = -2),
 * fmod=1 the dividend's (-7 fmod 3 = -1); Div truncates (-7/2 = -3). */
static void test_onnxref_integer_mod_div_semantics(void **state)
{
    (void)state;
    mb b = {0};
    rk_err e = {0};
    int64_t dims[1] = {4};
    mb_input(&b, "a", 7, 1, dims, NULL);
    mb_input(&b, "b", 7, 1, dims, NULL);
    mb_node(&b, "Mod", "mod", "a,b", "m0");
    Onnx__NodeProto *f = mb_node(&b, "Mod", "fmod", "a,b", "m1");
    mb_attr_i(&b, f, "fmod", 1);
    mb_node(&b, "Div", "div", "a,b", "q");
    mb_output(&b, "m0");
    mb_output(&b, "m1");
    mb_output(&b, "q");
    ox_model *m = mb_load(&b, &e, RK_OK);
    rk_tensor in[2], out[3];
    assert_int_equal(rk_tensor_alloc(&in[0], "a", RK_DT_I64, 1, dims, &e), RK_OK);
    assert_int_equal(rk_tensor_alloc(&in[1], "b", RK_DT_I64, 1, dims, &e), RK_OK);
    const int64_t av[4] = {-7, 7, 7, -7}, bv[4] = {3, -3, 3, -2};
    memcpy(in[0].data, av, sizeof av);
    memcpy(in[1].data, bv, sizeof bv);
    assert_int_equal(ox_run(m, in, 2, NULL, out, &e), RK_OK);
    const int64_t mod[4] = {2, -2, 1, -1}, fm[4] = {-1, 1, 1, -1}, q[4] = {-2, -2, 2, 3};
    assert_memory_equal(out[0].data, mod, sizeof mod);
    assert_memory_equal(out[1].data, fm, sizeof fm);
    assert_memory_equal(out[2].data, q, sizeof q);
    for (int i = 0; i < 3; i++)
        rk_tensor_free(&out[i]);
    /* integer division by zero is refused, naming the node */
    ((int64_t *)in[1].data)[2] = 0;
    assert_int_equal(ox_run(m, in, 2, NULL, out, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "division by zero"));
    rk_tensor_free(&in[0]);
    rk_tensor_free(&in[1]);
    ox_model_free(m);
    mb_free(&b);
}

/* Activation values hand-derived from the ONNX formulas. */
static void test_onnxref_activations_match_formulas(void **state)
{
    (void)state;
    mb b = {0};
    rk_err e = {0};
    int64_t dims[1] = {3};
    mb_input(&b, "x", 1, 1, dims, NULL);
    Onnx__NodeProto *lr = mb_node(&b, "LeakyRelu", "lr", "x", "o_lr");
    mb_attr_f(&b, lr, "alpha", 0.1f);
    mb_node(&b, "HardSwish", "hs", "x", "o_hs");
    Onnx__NodeProto *hsg = mb_node(&b, "HardSigmoid", "hsg", "x", "o_hsg");
    mb_attr_f(&b, hsg, "alpha", 0.25f);
    mb_node(&b, "Sigmoid", "sg", "x", "o_sg");
    mb_output(&b, "o_lr");
    mb_output(&b, "o_hs");
    mb_output(&b, "o_hsg");
    mb_output(&b, "o_sg");
    b.opset = 14;
    ox_model *m = mb_load(&b, &e, RK_OK);
    float xv[3] = {-4, 0, 2};
    rk_tensor x = make_f32("x", 1, dims, xv), o[4];
    assert_int_equal(ox_run(m, &x, 1, NULL, o, &e), RK_OK);
    const float lrw[3] = {-0.4f, 0, 2};
    /* hardswish(x) = x*clip(x/6+1/2, 0, 1): -4 -> 0, 2 -> 2*(5/6) */
    const float hsw[3] = {0, 0, 2.0f * 5.0f / 6.0f};
    /* hardsigmoid(x) = clip(0.25x + 0.5, 0, 1) */
    const float hsgw[3] = {0, 0.5f, 1.0f};
    for (int i = 0; i < 3; i++) {
        assert_float_equal(((float *)o[0].data)[i], lrw[i], 1e-6);
        assert_float_equal(((float *)o[1].data)[i], hsw[i], 1e-6);
        assert_float_equal(((float *)o[2].data)[i], hsgw[i], 1e-6);
    }
    /* sigmoid(-4) = 1/(1+e^4) = 0.01798620996 */
    assert_float_equal(((float *)o[3].data)[0], 0.01798620996, 1e-7);
    for (int i = 0; i < 4; i++)
        rk_tensor_free(&o[i]);
    rk_tensor_free(&x);
    ox_model_free(m);
    mb_free(&b);
}

/* An ONNX node test run through the public API: golden data from ONNX. */
static void test_onnxref_node_test_add_bcast(void **state)
{
    (void)state;
    const char *dir = NODE_TESTS "/test_add_bcast";
    char path[512];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    if (access(path, R_OK) != 0)
        skip();
    rk_err e = {0};
    ox_model *m;
    assert_int_equal(ox_model_load_file(path, &m, &e), RK_OK);
    assert_int_equal(ox_model_num_inputs(m), 2);
    assert_string_equal(ox_model_input(m, 0)->name, "x");
    assert_int_equal(ox_model_input(m, 0)->ndim, 3);
    ox_model_free(m);
}

static void set_external(mb *b, Onnx__TensorProto *t, const char *loc, const char *offset,
                         const char *length)
{
    const char *keys[3] = {"location", "offset", "length"}, *vals[3] = {loc, offset, length};
    t->has_raw_data = 0;
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    t->external_data = mb_alloc(b, sizeof(void *) * 3);
    for (int i = 0; i < 3; i++) {
        Onnx__StringStringEntryProto *kv = mb_alloc(b, sizeof *kv);
        onnx__string_string_entry_proto__init(kv);
        kv->key = mb_str(b, keys[i]);
        kv->value = mb_str(b, vals[i]);
        t->external_data[t->n_external_data++] = kv;
    }
}

static rk_status load_written(mb *b, const char *dir, ox_model **m, rk_err *e)
{
    size_t len;
    uint8_t *buf = mb_pack(b, &len);
    char path[600];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
    rk_status st = ox_model_load_file(path, m, e);
    unlink(path);
    return st;
}

/* Initializer bytes in a file beside the model (offset 4, 3 floats). */
static void test_onnxref_external_data_initializer(void **state)
{
    (void)state;
    const char *dir = tu_tmp_path("-ext");
    assert_int_equal(mkdir(dir, 0700), 0);
    char bin[600];
    snprintf(bin, sizeof bin, "%s/w.bin", dir);
    const float payload[4] = {99, 2, 3, 4}; /* first float skipped by offset 4 */
    FILE *f = fopen(bin, "wb");
    assert_non_null(f);
    fwrite(payload, 1, sizeof payload, f);
    fclose(f);
    int64_t dims[1] = {3};
    rk_err e = {0};
    ox_model *m = NULL;
    const char *cases[4][3] = {{"w.bin", "4", "12"},     /* good */
                               {"../w.bin", "4", "12"},  /* escapes the directory */
                               {"w.bin", "4", "8"},      /* length disagrees with shape */
                               {"w.bin", "8", "12"}};    /* runs past the end of the file */
    for (int c = 0; c < 4; c++) {
        mb b = {0};
        mb_input(&b, "x", 1, 1, dims, NULL);
        Onnx__TensorProto *t = mb_init_raw(&b, "w", 1, 1, dims, payload, 12);
        set_external(&b, t, cases[c][0], cases[c][1], cases[c][2]);
        mb_node(&b, "Mul", "mul", "x,w", "y");
        mb_output(&b, "y");
        e = (rk_err){0};
        rk_status st = load_written(&b, dir, &m, &e);
        if (c == 0) {
            assert_int_equal(st, RK_OK);
            const rk_tensor *w = ox_model_initializer(m, "w");
            assert_non_null(w);
            assert_true(((float *)w->data)[0] == 2 && ((float *)w->data)[2] == 4);
            ox_model_free(m);
        } else {
            assert_int_not_equal(st, RK_OK);
            assert_non_null(strstr(e.msg, "'w'"));
        }
        mb_free(&b);
    }
    unlink(bin);
    rmdir(dir);
}

/* The kernel follows the model's opset: Clip-6 reads min/max attributes,
 * Clip-11 reads them from inputs (ONNX Changelog).  Values hand-derived. */
static void test_onnxref_opset_selects_clip_version(void **state)
{
    (void)state;
    int64_t dims[1] = {4}, sd[1] = {0};
    float xv[4] = {-5, -0.5f, 0.5f, 5};
    rk_err e = {0};
    mb b = {0};
    mb_input(&b, "x", 1, 1, dims, NULL);
    Onnx__NodeProto *c6 = mb_node(&b, "Clip", "clip6", "x", "y");
    mb_attr_f(&b, c6, "min", -1);
    mb_attr_f(&b, c6, "max", 2);
    mb_output(&b, "y");
    b.opset = 6;
    ox_model *m = mb_load(&b, &e, RK_OK);
    rk_tensor x = make_f32("x", 1, dims, xv), y;
    assert_int_equal(ox_run(m, &x, 1, NULL, &y, &e), RK_OK);
    const float want6[4] = {-1, -0.5f, 0.5f, 2};
    assert_memory_equal(y.data, want6, sizeof want6);
    rk_tensor_free(&y);
    ox_model_free(m);
    mb_free(&b);

    float lo = 0, hi = 1;
    mb_input(&b, "x", 1, 1, dims, NULL);
    mb_init_raw(&b, "lo", 1, 0, sd, &lo, 4);
    mb_init_raw(&b, "hi", 1, 0, sd, &hi, 4);
    mb_node(&b, "Clip", "clip11", "x,lo,hi", "y");
    mb_output(&b, "y");
    b.opset = 11;
    m = mb_load(&b, &e, RK_OK);
    assert_int_equal(ox_run(m, &x, 1, NULL, &y, &e), RK_OK);
    const float want11[4] = {0, 0, 0.5f, 1};
    assert_memory_equal(y.data, want11, sizeof want11);
    rk_tensor_free(&y);
    rk_tensor_free(&x);
    ox_model_free(m);
    mb_free(&b);
}

/* A branch graph with one node "op(in) -> out" and output `out`. */
static Onnx__GraphProto *mb_branch(mb *b, const char *op, const char *in, const char *out)
{
    Onnx__GraphProto *g = mb_alloc(b, sizeof *g);
    onnx__graph_proto__init(g);
    g->name = mb_str(b, op);
    Onnx__NodeProto *n = mb_alloc(b, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = mb_str(b, op);
    n->name = mb_str(b, out);
    n->n_input = mb_list(b, in, &n->input);
    n->n_output = mb_list(b, out, &n->output);
    g->node = mb_alloc(b, sizeof(void *));
    g->node[0] = n;
    g->n_node = 1;
    g->output = mb_alloc(b, sizeof(void *));
    g->output[0] = mb_vi(b, out, 0, -1, NULL, NULL);
    g->n_output = 1;
    return g;
}

/* If whose branches read 'r' from the enclosing graph, where 'r' has no
 * other reader and its producer is written after the If: the runner must
 * order Relu first and keep 'r' alive until the If ran.  Hand-derived:
 * then = -relu(x), else = relu(x). */
static void test_onnxref_if_reads_outer_scope(void **state)
{
    (void)state;
    int64_t dims[1] = {3}, sd[1] = {0};
    rk_err e = {0};
    mb b = {0};
    mb_input(&b, "x", 1, 1, dims, NULL);
    mb_input(&b, "c", 9, 0, sd, NULL);
    Onnx__NodeProto *ifn = mb_node(&b, "If", "if0", "c", "y");
    Onnx__AttributeProto *t = mb_attr(&b, ifn, "then_branch", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
    t->g = mb_branch(&b, "Neg", "r", "then_out");
    Onnx__AttributeProto *el = mb_attr(&b, ifn, "else_branch", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
    el->g = mb_branch(&b, "Identity", "r", "else_out");
    mb_node(&b, "Relu", "relu0", "x", "r");
    mb_output(&b, "y");
    ox_model *m = mb_load(&b, &e, RK_OK);
    assert_string_equal(ox_node_name(ox_model_node(m, 0)), "relu0");
    float xv[3] = {-1, 2, 3};
    rk_tensor in[2] = {make_f32("x", 1, dims, xv)}, y;
    assert_int_equal(rk_tensor_alloc(&in[1], "c", RK_DT_BOOL, 0, NULL, &e), RK_OK);
    for (int branch = 0; branch < 2; branch++) {
        ((uint8_t *)in[1].data)[0] = (uint8_t)(branch == 0);
        assert_int_equal(ox_run(m, in, 2, NULL, &y, &e), RK_OK);
        const float want_then[3] = {0, -2, -3}, want_else[3] = {0, 2, 3};
        for (int i = 0; i < 3; i++)
            assert_true(((float *)y.data)[i] == (branch == 0 ? want_then : want_else)[i]);
        rk_tensor_free(&y);
    }
    rk_tensor_free(&in[0]);
    rk_tensor_free(&in[1]);
    ox_model_free(m);
    mb_free(&b);
}

/* A sequence-typed graph input fed a plain tensor: a clear error. */
static void test_onnxref_sequence_input_given_tensor(void **state)
{
    (void)state;
    const char *path = NODE_TESTS "/test_sequence_insert_at_back/model.onnx";
    if (access(path, R_OK) != 0)
        skip();
    rk_err e = {0};
    ox_model *m;
    assert_int_equal(ox_model_load_file(path, &m, &e), RK_OK);
    assert_int_equal(ox_model_input(m, 0)->kind, OX_KIND_SEQUENCE);
    assert_int_equal(ox_model_input(m, 1)->kind, OX_KIND_TENSOR);
    int64_t dims[1] = {3};
    rk_tensor in[2], out;
    assert_int_equal(rk_tensor_alloc(&in[0], NULL, RK_DT_I64, 1, dims, &e), RK_OK);
    assert_int_equal(rk_tensor_alloc(&in[1], NULL, RK_DT_I64, 1, dims, &e), RK_OK);
    assert_int_equal(ox_run(m, in, 2, NULL, &out, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "must be a sequence"));
    rk_tensor_free(&in[0]);
    rk_tensor_free(&in[1]);
    ox_model_free(m);
}

typedef struct pf_check {
    int hits[1000];
} pf_check;

static void pf_mark(void *arg, int64_t b, int64_t e)
{
    pf_check *c = arg;
    for (int64_t i = b; i < e; i++)
        c->hits[i]++;
}

/* The parallel-for helper must visit every index exactly once. */
static void test_onnxref_parallel_for_covers_range_once(void **state)
{
    (void)state;
    for (int threads = 1; threads <= 4; threads++) {
        pf_check c = {0};
        ox_ctx ctx = {.threads = threads};
        ox_parallel_for(&ctx, 1000, 7, pf_mark, &c);
        for (int i = 0; i < 1000; i++)
            assert_int_equal(c.hits[i], 1);
    }
    pf_check c = {0};
    ox_parallel_for(NULL, 999, 1, pf_mark, &c);
    assert_int_equal(c.hits[998], 1);
    assert_int_equal(c.hits[999], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_onnxref_load_not_onnx),
        cmocka_unit_test(test_onnxref_load_truncated),
        cmocka_unit_test(test_onnxref_unsupported_ops_all_listed),
        cmocka_unit_test(test_onnxref_op_newer_than_opset_unsupported),
        cmocka_unit_test(test_onnxref_missing_input),
        cmocka_unit_test(test_onnxref_misshaped_input),
        cmocka_unit_test(test_onnxref_symbolic_dims_bound_from_inputs),
        cmocka_unit_test(test_onnxref_initializer_size_mismatch),
        cmocka_unit_test(test_onnxref_initializer_typed_count_mismatch),
        cmocka_unit_test(test_onnxref_kernel_error_names_node),
        cmocka_unit_test(test_onnxref_inplace_reuse_keeps_values),
        cmocka_unit_test(test_onnxref_constant_cache_survives_runs),
        cmocka_unit_test(test_onnxref_dangling_name_and_cycle),
        cmocka_unit_test(test_onnxref_callback_sees_every_node),
        cmocka_unit_test(test_onnxref_broadcast_add_sub),
        cmocka_unit_test(test_onnxref_integer_mod_div_semantics),
        cmocka_unit_test(test_onnxref_activations_match_formulas),
        cmocka_unit_test(test_onnxref_node_test_add_bcast),
        cmocka_unit_test(test_onnxref_parallel_for_covers_range_once),
        cmocka_unit_test(test_onnxref_external_data_initializer),
        cmocka_unit_test(test_onnxref_opset_selects_clip_version),
        cmocka_unit_test(test_onnxref_if_reads_outer_scope),
        cmocka_unit_test(test_onnxref_sequence_input_given_tensor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
