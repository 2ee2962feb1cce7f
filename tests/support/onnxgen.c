/* onnxgen.c - see onnxgen.h. */
#include "onnxgen.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

void *tg_alloc(tg_arena *a, size_t sz)
{
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 64;
        void **p = realloc(a->p, (size_t)cap * sizeof(*p));
        assert_non_null(p);
        a->p = p;
        a->cap = cap;
    }
    void *q = calloc(1, sz ? sz : 1);
    assert_non_null(q);
    return a->p[a->n++] = q;
}

char *tg_str(tg_arena *a, const char *s)
{
    char *c = tg_alloc(a, strlen(s) + 1);
    memcpy(c, s, strlen(s) + 1);
    return c;
}

void tg_arena_free(tg_arena *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->p[i]);
    free(a->p);
    memset(a, 0, sizeof(*a));
}

static char **str_vector(tg_arena *a, const char *const *v, int n)
{
    char **out = tg_alloc(a, sizeof(char *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        out[i] = tg_str(a, v[i] ? v[i] : "");
    return out;
}

Onnx__NodeProto *tg_node(tg_arena *a, const char *op, const char *name, const char *const *ins, int n_in,
                         const char *const *outs, int n_out)
{
    Onnx__NodeProto *n = tg_alloc(a, sizeof(*n));
    onnx__node_proto__init(n);
    n->op_type = tg_str(a, op);
    n->name = tg_str(a, name);
    n->input = str_vector(a, ins, n_in);
    n->n_input = (size_t)n_in;
    n->output = str_vector(a, outs, n_out);
    n->n_output = (size_t)n_out;
    return n;
}

/* Appends a fresh attribute (the vector is re-made: attributes are few). */
static Onnx__AttributeProto *new_attr(tg_arena *a, Onnx__NodeProto *n, const char *name,
                                      Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *at = tg_alloc(a, sizeof(*at));
    onnx__attribute_proto__init(at);
    at->name = tg_str(a, name);
    at->has_type = 1;
    at->type = type;
    Onnx__AttributeProto **v = tg_alloc(a, sizeof(*v) * (n->n_attribute + 1));
    if (n->n_attribute)
        memcpy(v, n->attribute, sizeof(*v) * n->n_attribute);
    v[n->n_attribute++] = at;
    n->attribute = v;
    return at;
}

void tg_attr_int(tg_arena *a, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *at = new_attr(a, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    at->has_i = 1;
    at->i = v;
}

void tg_attr_ints(tg_arena *a, Onnx__NodeProto *n, const char *name, const int64_t *v, int count)
{
    Onnx__AttributeProto *at = new_attr(a, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    at->n_ints = (size_t)count;
    at->ints = tg_alloc(a, sizeof(int64_t) * (size_t)(count ? count : 1));
    memcpy(at->ints, v, sizeof(int64_t) * (size_t)count);
}

void tg_attr_float(tg_arena *a, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *at = new_attr(a, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    at->has_f = 1;
    at->f = v;
}

Onnx__TensorProto *tg_init_f32(tg_arena *a, const char *name, int nd, const int64_t *dims, const float *v)
{
    Onnx__TensorProto *t = tg_alloc(a, sizeof(*t));
    onnx__tensor_proto__init(t);
    t->name = tg_str(a, name);
    t->has_data_type = 1;
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->n_dims = (size_t)nd;
    t->dims = tg_alloc(a, sizeof(int64_t) * (size_t)(nd ? nd : 1));
    int64_t ne = 1;
    for (int i = 0; i < nd; i++)
        ne *= (t->dims[i] = dims[i]);
    t->float_data = tg_alloc(a, sizeof(float) * (size_t)ne);
    memcpy(t->float_data, v, sizeof(float) * (size_t)ne);
    t->n_float_data = (size_t)ne;
    return t;
}

Onnx__ValueInfoProto *tg_vinfo(tg_arena *a, const char *name, int nd, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = tg_alloc(a, sizeof(*v));
    onnx__value_info_proto__init(v);
    v->name = tg_str(a, name);
    Onnx__TypeProto *tp = tg_alloc(a, sizeof(*tp));
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = tg_alloc(a, sizeof(*tt));
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    Onnx__TensorShapeProto *sh = tg_alloc(a, sizeof(*sh));
    onnx__tensor_shape_proto__init(sh);
    sh->n_dim = (size_t)nd;
    sh->dim = tg_alloc(a, sizeof(void *) * (size_t)(nd ? nd : 1));
    for (int i = 0; i < nd; i++) {
        Onnx__TensorShapeProto__Dimension *d = tg_alloc(a, sizeof(*d));
        onnx__tensor_shape_proto__dimension__init(d);
        if (dims[i] < 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = tg_str(a, "T");
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        }
        sh->dim[i] = d;
    }
    tt->shape = sh;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    v->type = tp;
    return v;
}

const char *tg_save(tg_arena *a, const tg_graph *tg, const char *file)
{
    Onnx__GraphProto g;
    onnx__graph_proto__init(&g);
    g.name = (char *)(tg->name ? tg->name : "test");
    g.n_node = tg->n_nodes;
    g.node = tg->nodes;
    g.n_initializer = tg->n_inits;
    g.initializer = tg->inits;
    g.n_input = tg->n_inputs;
    g.input = tg->inputs;
    g.n_output = tg->n_outputs;
    g.output = tg->outputs;
    Onnx__OperatorSetIdProto ops, *opsp = &ops;
    onnx__operator_set_id_proto__init(&ops);
    ops.domain = (char *)"";
    ops.has_version = 1;
    ops.version = tg->opset ? tg->opset : 13;
    Onnx__ModelProto m;
    onnx__model_proto__init(&m);
    m.has_ir_version = 1;
    m.ir_version = 8;
    m.n_opset_import = 1;
    m.opset_import = &opsp;
    m.graph = &g;
    size_t len = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = tg_alloc(a, len);
    onnx__model_proto__pack(&m, buf);
    const char *path = tu_tmp_path(file);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
    return path;
}
