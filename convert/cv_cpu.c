/*
 * cv_cpu.c - CPU fallback nodes: the ops the NPU lowering does not handle
 * run on the host in float, as the vendor runtime does, with dequantise /
 * quantise at the boundaries (the simulator's sim_tensor_to_float /
 * sim_tensor_from_float on the node's int8 or fp16 NC1HWC2 tensors).
 *
 * How the node travels in the .rknn (our convention; the vendor stores its
 * CPU ops' attributes in Node slot 8/9 tables of a fixed per-op schema that
 * rksim's writer cannot produce for arbitrary ONNX ops):
 *   - consecutive fallback nodes (no NPU op between them in graph order)
 *     form ONE CPU node computed in float end to end: quantisation happens
 *     only where an NPU op reads the result (each int8 round trip costs
 *     accuracy; a HardSwish written as Add/Clip/Div/Mul stays float);
 *   - the rknn node has type = the first ONNX op type and name
 *     "<OpType>:<first node name>"; its outputs are every tensor the group
 *     produces, its inputs the activation tensors it reads from outside,
 *     followed by ONE const tensor named "<node name>" SIM_CPU_ONNX_BLOB_SUFFIX
 *     (kind CONST, dtype uint8, layout 0, shape [bytes]) whose buffer is a
 *     serialized ONNX ModelProto: the group's nodes (op type, domain,
 *     attributes, input/output names), the constants they read as
 *     initializers, the activation inputs and outputs as graph inputs /
 *     outputs with float [1,C,H,W] shapes, and the opsets of the source;
 *   - sim/cpu_fallback.c recognises the blob by its name suffix, loads it
 *     with onnxref and runs it.
 * The blob is ordinary ONNX, so `netron` or onnx.load can inspect it too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_internal.h"
#include "onnx.pb-c.h"

enum { CPU_MAX_ATTRS = 32 };

/* The protobuf tree of one blob; every pointer inside points into this
 * struct, the source ox_model or g (nothing to free but the arrays). */
typedef struct cpu_node {
    Onnx__NodeProto node;
    Onnx__AttributeProto attrs[CPU_MAX_ATTRS];
    Onnx__AttributeProto *attr_ptrs[CPU_MAX_ATTRS];
    Onnx__TensorProto attr_tensors[CPU_MAX_ATTRS];
    rk_tensor attr_values[CPU_MAX_ATTRS];
    int64_t attr_dims[CPU_MAX_ATTRS][RK_MAX_DIMS];
    char **in_names, **out_names;
} cpu_node;

typedef struct cpu_vi {
    Onnx__ValueInfoProto vi;
    Onnx__TypeProto type;
    Onnx__TypeProto__Tensor ttype;
    Onnx__TensorShapeProto shape;
    Onnx__TensorShapeProto__Dimension dims[RK_MAX_DIMS];
    Onnx__TensorShapeProto__Dimension *dim_ptrs[RK_MAX_DIMS];
} cpu_vi;

typedef struct cpu_proto {
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opsets[1];
    cpu_node *nodes;
    Onnx__NodeProto **node_ptrs;
    cpu_vi *vis;
    Onnx__ValueInfoProto **vin_ptrs, **vout_ptrs;
    Onnx__TensorProto *inits;
    Onnx__TensorProto **init_ptrs;
    int64_t (*init_dims)[RK_MAX_DIMS];
    size_t cap_inits;
    rk_tensor *eq_vals; /* the 1/eq tensors of equalised outputs */
    char **eq_names;    /* per equalised output: raw name, scale name */
    int n_eq;
    rk_tensor *mm_vals; /* constants of the MatMul pack/unpack nodes */
    int n_mm_vals;
    char **mm_names;    /* their value names */
    int n_mm_names;
} cpu_proto;

/* Nodes / initializers one mm-view pack or unpack adds (at most). */
enum { MM_NODES = 7, MM_INITS = 6 };

static void tensor_proto(Onnx__TensorProto *tp, int64_t *dims, const char *name, const rk_tensor *t)
{
    onnx__tensor_proto__init(tp);
    tp->name = (char *)name;
    tp->n_dims = (size_t)t->ndim;
    for (int d = 0; d < t->ndim; d++)
        dims[d] = t->dims[d];
    tp->dims = dims;
    tp->has_data_type = 1;
    tp->data_type = (int32_t)t->dtype;
    tp->has_raw_data = 1;
    tp->raw_data.len = (size_t)t->nelem * rk_dtype_size(t->dtype);
    tp->raw_data.data = t->data;
}

/* A float [1,c,h,w] value info for activation tensor t. */
static Onnx__ValueInfoProto *value_info(cpu_vi *v, const cv_tensor *t)
{
    int nd = t->nd ? t->ndim : 4;
    onnx__value_info_proto__init(&v->vi);
    onnx__type_proto__init(&v->type);
    onnx__type_proto__tensor__init(&v->ttype);
    onnx__tensor_shape_proto__init(&v->shape);
    int64_t d[RK_MAX_DIMS] = {1, t->c, t->h, t->w};
    if (t->nd)
        memcpy(d, t->dims, sizeof(d));
    for (int i = 0; i < nd; i++) {
        onnx__tensor_shape_proto__dimension__init(&v->dims[i]);
        v->dims[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        v->dims[i].dim_value = d[i];
        v->dim_ptrs[i] = &v->dims[i];
    }
    v->shape.n_dim = (size_t)nd;
    v->shape.dim = v->dim_ptrs;
    v->ttype.has_elem_type = 1;
    v->ttype.elem_type = RK_DT_F32;
    v->ttype.shape = &v->shape;
    v->type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    v->type.tensor_type = &v->ttype;
    v->vi.name = t->name;
    v->vi.type = &v->type;
    return &v->vi;
}

/* Copies attribute i of n; kinds a CPU node cannot carry yet fail. */
static rk_status copy_attr(cpu_node *p, const ox_node *n, int i, rk_err *e)
{
    const char *name = ox_node_attr_name(n, i);
    Onnx__AttributeProto *a = &p->attrs[i];
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = 1;
    switch (ox_attr_kind(n, name)) {
    case OX_ATTR_FLOAT:
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
        a->has_f = 1;
        a->f = ox_attr_float_or(n, name, 0.0f);
        break;
    case OX_ATTR_INT:
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
        a->has_i = 1;
        a->i = ox_attr_int_or(n, name, 0);
        break;
    case OX_ATTR_STRING: {
        const char *s = ox_attr_string_or(n, name, "");
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
        a->has_s = 1;
        a->s.data = (uint8_t *)s;
        a->s.len = strlen(s);
        break;
    }
    case OX_ATTR_INTS: {
        const int64_t *v = NULL;
        int cnt = ox_attr_ints(n, name, &v);
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
        a->n_ints = cnt > 0 ? (size_t)cnt : 0;
        a->ints = (int64_t *)v;
        break;
    }
    case OX_ATTR_FLOATS: {
        const float *v = NULL;
        int cnt = ox_attr_floats(n, name, &v);
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
        a->n_floats = cnt > 0 ? (size_t)cnt : 0;
        a->floats = (float *)v;
        break;
    }
    case OX_ATTR_TENSOR: {
        rk_status st = ox_attr_tensor(n, name, &p->attr_values[i], e);
        if (st)
            return st;
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
        tensor_proto(&p->attr_tensors[i], p->attr_dims[i], "", &p->attr_values[i]);
        a->t = &p->attr_tensors[i];
        break;
    }
    default:
        return rk_errf(e, RK_EUNSUPPORTED,
                       "%s: attribute '%s' (string list, graph or sparse tensor) cannot travel in a CPU node yet",
                       ox_node_label(n), name);
    }
    p->attr_ptrs[i] = a;
    return RK_OK;
}

/* Whether `name` is the ONNX name of an mm view op reads: its unpack
 * nodes (add_mm_nodes) produce it inside the group. */
static bool mm_input_onnx(const cv_graph *g, const cv_op *op, const char *name)
{
    for (int i = 0; i < op->n_in; i++) {
        const cv_tensor *t = &g->tensors[op->in[i]];
        if (t->mm && t->mm->role == CV_MM_RESULT && strcmp(t->mm->onnx_name, name) == 0)
            return true;
    }
    return false;
}

static bool has_init(const cpu_proto *p, const char *name)
{
    for (size_t i = 0; i < p->graph.n_initializer; i++)
        if (strcmp(p->inits[i].name, name) == 0)
            return true;
    return false;
}

static bool produced_before(const cv_op *op, int k, const char *name)
{
    for (int j = 0; j < k; j++)
        for (int o = 0; o < ox_node_num_outputs(op->cpu_nodes[j]); o++)
            if (strcmp(ox_node_output_name(op->cpu_nodes[j], o), name) == 0)
                return true;
    return false;
}

/* Whether `name` is the raw (pre-equalisation) name of an equalised
 * input of op: its Mul node (add_eq_node) produces it inside the group. */
static bool eq_input_raw(const cv_graph *g, const cv_op *op, const char *name)
{
    size_t l = strlen(name);
    for (int i = 0; i < op->n_in; i++) {
        const cv_tensor *t = &g->tensors[op->in[i]];
        if (t->eq && strlen(t->name) == l + 3 && strncmp(t->name, name, l) == 0)
            return true;
    }
    return false;
}

static rk_status fill_node(cpu_proto *p, const ox_model *m, const cv_graph *g, const cv_op *op, int k,
                           cpu_node *c, rk_err *e)
{
    const ox_node *n = op->cpu_nodes[k];
    int nin = ox_node_num_inputs(n), nout = ox_node_num_outputs(n), nattr = ox_node_num_attrs(n);
    if (nattr > CPU_MAX_ATTRS)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: more than %d attributes", ox_node_label(n), CPU_MAX_ATTRS);
    onnx__node_proto__init(&c->node);
    c->node.op_type = (char *)ox_node_op_type(n);
    c->node.domain = (char *)ox_node_domain(n);
    c->node.name = (char *)ox_node_name(n);
    c->in_names = calloc((size_t)nin + 1, sizeof(char *));
    c->out_names = calloc((size_t)nout + 1, sizeof(char *));
    if (!c->in_names || !c->out_names)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    for (int i = 0; i < nin; i++) {
        const char *nm = ox_node_input_name(n, i);
        c->in_names[i] = (char *)nm;
        if (!nm[0] || produced_before(op, k, nm) || eq_input_raw(g, op, nm) || mm_input_onnx(g, op, nm) ||
            cv_find_tensor(g, nm) >= 0 || has_init(p, nm))
            continue;
        const rk_tensor *kv = cv_find_const(m, g, nm);
        if (!kv)
            return rk_errf(e, RK_EINTERNAL, "%s: input '%s' is neither an activation nor a constant",
                           ox_node_label(n), nm);
        size_t j = p->graph.n_initializer++;
        if (j >= p->cap_inits)
            return rk_errf(e, RK_EINTERNAL, "%s: initializer table full", ox_node_label(n));
        tensor_proto(&p->inits[j], p->init_dims[j], nm, kv);
        p->init_ptrs[j] = &p->inits[j];
    }
    for (int i = 0; i < nout; i++)
        c->out_names[i] = (char *)ox_node_output_name(n, i);
    c->node.n_input = (size_t)nin;
    c->node.input = c->in_names;
    c->node.n_output = (size_t)nout;
    c->node.output = c->out_names;
    for (int i = 0; i < nattr; i++) {
        rk_status st = copy_attr(c, n, i, e);
        if (st)
            return st;
    }
    c->node.n_attribute = (size_t)nattr;
    c->node.attribute = c->attr_ptrs;
    return RK_OK;
}

/* Equalised tensor t (named "<raw>#eq"; scale initializer "<raw>#eqs"):
 * a group output gets Mul(raw, 1/eq) -> t->name; a group input (to_raw,
 * made by a Conv) Mul(t->name, eq) -> raw, so the nodes read raw values. */
static rk_status add_eq_node(cpu_proto *p, const cv_tensor *t, bool to_raw, int *nn, rk_err *e)
{
    size_t rl = strlen(t->name) - 3; /* without "#eq" */
    int q = p->n_eq++;
    char *raw = malloc(rl + 1), *sname = malloc(rl + 5);
    p->eq_names[2 * q] = raw;
    p->eq_names[2 * q + 1] = sname;
    cpu_node *c = &p->nodes[*nn];
    onnx__node_proto__init(&c->node);
    c->in_names = calloc(3, sizeof(char *));
    c->out_names = calloc(2, sizeof(char *));
    if (!raw || !sname || !c->in_names || !c->out_names)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    memcpy(raw, t->name, rl);
    raw[rl] = '\0';
    memcpy(sname, raw, rl);
    memcpy(sname + rl, "#eqs", 5);
    int64_t d[4] = {1, t->c, 1, 1};
    rk_tensor *v = &p->eq_vals[q];
    rk_status st = rk_tensor_alloc(v, "", RK_DT_F32, 4, d, e);
    if (st)
        return st;
    for (int k = 0; k < t->c; k++)
        ((float *)v->data)[k] = to_raw ? t->eq[k] : 1.0f / t->eq[k];
    size_t j = p->graph.n_initializer++;
    if (j >= p->cap_inits)
        return rk_errf(e, RK_EINTERNAL, "'%s': initializer table full", t->name);
    tensor_proto(&p->inits[j], p->init_dims[j], sname, v);
    p->init_ptrs[j] = &p->inits[j];
    c->in_names[0] = to_raw ? t->name : raw;
    c->in_names[1] = sname;
    c->out_names[0] = to_raw ? raw : t->name;
    c->node.op_type = "Mul";
    c->node.name = "rksim_channel_equalisation";
    c->node.n_input = 2;
    c->node.input = c->in_names;
    c->node.n_output = 1;
    c->node.output = c->out_names;
    p->node_ptrs[*nn] = &c->node;
    (*nn)++;
    return RK_OK;
}

/* ------------------------------------------- MatMul boundary transposes */

/* A value name owned by p. */
static const char *mm_name(cpu_proto *p, const char *base, const char *suffix, rk_err *e)
{
    size_t l = strlen(base) + strlen(suffix) + 1;
    char *s = malloc(l);
    if (!s) {
        rk_errf(e, RK_ENOMEM, "convert: out of memory");
        return NULL;
    }
    snprintf(s, l, "%s%s", base, suffix);
    p->mm_names[p->n_mm_names++] = s;
    return s;
}

/* An initializer owned by p: int64 values (vals, n) or n float zeros
 * shaped [rows, n / rows] (vals NULL; [n] when rows is 0). */
static const char *mm_const(cpu_proto *p, const char *base, const char *suffix, const int64_t *vals, int64_t n,
                            int64_t rows, rk_err *e)
{
    const char *nm = mm_name(p, base, suffix, e);
    if (!nm)
        return NULL;
    rk_tensor *v = &p->mm_vals[p->n_mm_vals++];
    int64_t d1[1] = {n}, d2[2] = {rows, rows ? n / rows : 0};
    if ((vals ? rk_tensor_alloc(v, "", RK_DT_I64, 1, d1, e)
              : rows > 0 ? rk_tensor_alloc(v, "", RK_DT_F32, 2, d2, e) : rk_tensor_alloc(v, "", RK_DT_F32, 1, d1, e)))
        return NULL;
    if (vals)
        memcpy(v->data, vals, (size_t)n * sizeof(int64_t));
    size_t j = p->graph.n_initializer++;
    if (j >= p->cap_inits) {
        rk_errf(e, RK_EINTERNAL, "'%s': initializer table full", base);
        return NULL;
    }
    tensor_proto(&p->inits[j], p->init_dims[j], nm, v);
    p->init_ptrs[j] = &p->inits[j];
    return nm;
}

/* One node of the pack/unpack chains: op(in0[, in1]) -> out, with an
 * optional int attribute (axis) or ints attribute (perm). */
static rk_status mm_node(cpu_proto *p, int *nn, const char *type, const char *in0, const char *in1, const char *out,
                         const char *attr, int64_t ival, const int64_t *ints, size_t n_ints, rk_err *e)
{
    cpu_node *c = &p->nodes[*nn];
    onnx__node_proto__init(&c->node);
    c->in_names = calloc(3, sizeof(char *));
    c->out_names = calloc(2, sizeof(char *));
    if (!c->in_names || !c->out_names || !in0 || !out || (in1 == NULL) != (strcmp(type, "Transpose") == 0 ||
                                                                          strcmp(type, "Identity") == 0))
        return e->status ? e->status : rk_errf(e, RK_ENOMEM, "convert: out of memory");
    c->in_names[0] = (char *)in0;
    c->in_names[1] = (char *)in1;
    c->out_names[0] = (char *)out;
    c->node.op_type = (char *)type;
    c->node.name = "rksim_matmul_layout";
    c->node.n_input = in1 ? 2 : 1;
    c->node.input = c->in_names;
    c->node.n_output = 1;
    c->node.output = c->out_names;
    if (attr) {
        Onnx__AttributeProto *a = &c->attrs[0];
        onnx__attribute_proto__init(a);
        a->name = (char *)attr;
        a->has_type = 1;
        if (ints) {
            a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
            a->n_ints = n_ints;
            a->ints = (int64_t *)ints;
        } else {
            a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
            a->has_i = 1;
            a->i = ival;
        }
        c->attr_ptrs[0] = a;
        c->node.n_attribute = 1;
        c->node.attribute = c->attr_ptrs;
    }
    p->node_ptrs[*nn] = &c->node;
    (*nn)++;
    return RK_OK;
}

static const int64_t mm_perm[2] = {1, 0};

/* Concat(ins[0..n-1], axis 0) -> out. */
static rk_status mm_concat(cpu_proto *p, int *nn, const char **ins, int n, const char *out, rk_err *e)
{
    cpu_node *c = &p->nodes[*nn];
    onnx__node_proto__init(&c->node);
    c->in_names = calloc((size_t)n + 1, sizeof(char *));
    c->out_names = calloc(2, sizeof(char *));
    if (!c->in_names || !c->out_names || !out)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    for (int i = 0; i < n; i++) {
        if (!ins[i])
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        c->in_names[i] = (char *)ins[i];
    }
    c->out_names[0] = (char *)out;
    c->node.op_type = "Concat";
    c->node.name = "rksim_matmul_layout";
    c->node.n_input = (size_t)n;
    c->node.input = c->in_names;
    c->node.n_output = 1;
    c->node.output = c->out_names;
    Onnx__AttributeProto *a = &c->attrs[0];
    onnx__attribute_proto__init(a);
    a->name = "axis";
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a->has_i = 1;
    a->i = 0;
    c->attr_ptrs[0] = a;
    c->node.n_attribute = 1;
    c->node.attribute = c->attr_ptrs;
    p->node_ptrs[*nn] = &c->node;
    (*nn)++;
    return RK_OK;
}

/* Matrix `batch` of a stack: Reshape [nbatch, rows*cols] -> Gather [b]
 * (axis 0); returns the value name (src itself for a single matrix). */
static const char *mm_select(cpu_proto *p, const cv_tensor *t, const char *src, int *nn, rk_status *st, rk_err *e)
{
    const cv_mm_view *v = t->mm;
    if (v->nbatch <= 1)
        return src;
    int64_t s0[2] = {v->nbatch, (int64_t)v->rows * v->cols}, bi[1] = {v->batch};
    const char *r = mm_name(p, t->name, "#b1", e), *g = mm_name(p, t->name, "#b2", e);
    if (!(*st = mm_node(p, nn, "Reshape", src, mm_const(p, t->name, "#bs", s0, 2, 0, e), r, NULL, 0, NULL, 0, e)))
        *st = mm_node(p, nn, "Gather", r, mm_const(p, t->name, "#bi", bi, 1, 0, e), g, "axis", 0, NULL, 0, e);
    return *st ? NULL : g;
}

/* View t [1,cols,H,W] (an op input) -> its ONNX tensor: Reshape [cols, H*W]
 * -> Gather the first `rows` pixels -> Transpose -> Reshape to the ONNX
 * shape (the transposition the NPU layout needs, convert/cv_matmul.c). */
static rk_status add_unpack(cpu_proto *p, const cv_tensor *t, int *nn, rk_err *e)
{
    const cv_mm_view *v = t->mm;
    int64_t hw = (int64_t)t->h * t->w, s1[2] = {v->cols, hw};
    int64_t *idx = malloc((size_t)v->rows * sizeof(int64_t));
    if (!idx)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    for (int i = 0; i < v->rows; i++)
        idx[i] = i;
    const char *cur = mm_name(p, t->name, "#u1", e);
    rk_status st = mm_node(p, nn, "Reshape", t->name, mm_const(p, t->name, "#us1", s1, 2, 0, e), cur, NULL, 0, NULL,
                           0, e);
    if (!st && hw > v->rows) {
        const char *nx = mm_name(p, t->name, "#u2", e);
        st = mm_node(p, nn, "Gather", cur, mm_const(p, t->name, "#ui", idx, v->rows, 0, e), nx, "axis", 1, NULL, 0, e);
        cur = nx;
    }
    free(idx);
    const char *tr = st ? NULL : mm_name(p, t->name, "#u3", e);
    if (!st)
        st = mm_node(p, nn, "Transpose", cur, NULL, tr, "perm", 0, mm_perm, 2, e);
    if (!st && v->nbatch <= 1) /* a stack is reassembled by add_unstack */
        st = mm_node(p, nn, "Reshape", tr, mm_const(p, t->name, "#us2", v->dims, v->ndim, 0, e), v->onnx_name, NULL,
                     0, NULL, 0, e);
    return st;
}

/* The matrices of a stacked result (every one an input of op, unpacked to
 * "<name>#u3") -> Concat in batch order -> Reshape to the ONNX shape. */
static rk_status add_unstack(cpu_proto *p, const cv_graph *g, const cv_op *op, const cv_tensor *t, int *nn,
                             rk_err *e)
{
    const cv_mm_view *v = t->mm;
    const char *parts[CV_MAX_IN];
    int found = 0;
    for (int b = 0; b < v->nbatch; b++)
        for (int i = 0; i < op->n_in; i++) {
            const cv_tensor *u = &g->tensors[op->in[i]];
            if (u->mm && u->mm->role == CV_MM_RESULT && u->mm->batch == b && strcmp(u->mm->onnx_name, v->onnx_name) == 0) {
                parts[found++] = mm_name(p, u->name, "#u3", e);
                break;
            }
        }
    if (found != v->nbatch)
        return rk_errf(e, RK_EINTERNAL, "CPU node %s reads %d of the %d matrices of '%s'", op->label, found, v->nbatch,
                       v->onnx_name);
    const char *cat = mm_name(p, t->name, "#cat", e);
    rk_status st = mm_concat(p, nn, parts, found, cat, e);
    if (!st)
        st = mm_node(p, nn, "Reshape", cat, mm_const(p, t->name, "#us2", v->dims, v->ndim, 0, e), v->onnx_name, NULL,
                     0, NULL, 0, e);
    return st;
}

/* Runtime weights (role WEIGHTS): matrix B_b [K, N] -> Transpose -> flat
 * [N*K] + one zero -> Gather with the CNA layout's index map, shaped
 * [1, C2, 1, pixels] so that the tensor's NC1HWC2 bytes are the weight
 * buffer (element p*C2 + c of the buffer is channel c of pixel p). */
static rk_status add_weight_pack(cpu_proto *p, const cv_tensor *t, int *nn, rk_err *e)
{
    const cv_mm_view *v = t->mm;
    int c2 = t->c, esz = 16 / c2, n = v->cols, k = v->rows;
    int64_t npix = t->w, total = npix * c2;
    if ((int64_t)n * RK_ALIGN_UP(k, c2) != total)
        return rk_errf(e, RK_EINTERNAL, "'%s': weight buffer of %lld elements for %d x %d", t->name, (long long)total,
                       n, k);
    int64_t *map = malloc((size_t)total * sizeof(int64_t)), *idx = malloc((size_t)total * sizeof(int64_t));
    if (!map || !idx) {
        free(map), free(idx);
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    }
    cv_matmul_weight_map(n, k, esz, map);
    for (int c = 0; c < c2; c++)
        for (int64_t px = 0; px < npix; px++)
            idx[c * npix + px] = map[px * c2 + c];
    free(map);
    rk_status st = RK_OK;
    const char *cur = mm_select(p, t, v->onnx_name, nn, &st, e);
    int64_t s1[2] = {k, n}, s2[1] = {(int64_t)n * k};
    const char *m1 = mm_name(p, t->name, "#w1", e), *m2 = mm_name(p, t->name, "#w2", e),
               *m3 = mm_name(p, t->name, "#w3", e), *m4 = mm_name(p, t->name, "#w4", e);
    if (!st)
        st = mm_node(p, nn, "Reshape", cur, mm_const(p, t->name, "#ws1", s1, 2, 0, e), m1, NULL, 0, NULL, 0, e);
    if (!st)
        st = mm_node(p, nn, "Transpose", m1, NULL, m2, "perm", 0, mm_perm, 2, e);
    if (!st)
        st = mm_node(p, nn, "Reshape", m2, mm_const(p, t->name, "#ws2", s2, 1, 0, e), m3, NULL, 0, NULL, 0, e);
    if (!st) /* one float zero: the padding channels' source */
        st = mm_node(p, nn, "Concat", m3, mm_const(p, t->name, "#wz", NULL, 1, 0, e), m4, "axis", 0, NULL, 0, e);
    if (!st) {
        const char *in = mm_const(p, t->name, "#wi", idx, total, 0, e);
        /* reshape the index list to [1, C2, 1, pixels]: Gather's output has the indices' shape */
        rk_tensor *iv = &p->mm_vals[p->n_mm_vals - 1];
        if (in) {
            iv->ndim = 4;
            iv->dims[0] = 1, iv->dims[1] = c2, iv->dims[2] = 1, iv->dims[3] = npix;
            Onnx__TensorProto *tp = &p->inits[p->graph.n_initializer - 1];
            tensor_proto(tp, p->init_dims[p->graph.n_initializer - 1], in, iv);
        }
        st = mm_node(p, nn, "Gather", m4, in, t->name, "axis", 0, NULL, 0, e);
    }
    free(idx);
    return st;
}

/* ONNX tensor -> view t [1,cols,H,W] (a group output): Reshape to the
 * matrix, Transpose unless trans (Gemm transA), Concat zero pixels,
 * Reshape to [1,cols,H,W]. */
static rk_status add_pack(cpu_proto *p, const cv_tensor *t, int *nn, rk_err *e)
{
    const cv_mm_view *v = t->mm;
    if (v->role == CV_MM_WEIGHTS)
        return add_weight_pack(p, t, nn, e);
    int64_t hw = (int64_t)t->h * t->w, s1[2] = {v->trans ? v->cols : v->rows, v->trans ? v->rows : v->cols};
    int64_t s2[4] = {1, v->cols, t->h, t->w};
    rk_status st = RK_OK;
    const char *src = mm_select(p, t, v->onnx_name, nn, &st, e);
    const char *cur = mm_name(p, t->name, "#p1", e);
    if (!st)
        st = mm_node(p, nn, "Reshape", src, mm_const(p, t->name, "#ps1", s1, 2, 0, e), cur, NULL, 0, NULL, 0, e);
    if (!st && !v->trans) {
        const char *nx = mm_name(p, t->name, "#p2", e);
        st = mm_node(p, nn, "Transpose", cur, NULL, nx, "perm", 0, mm_perm, 2, e);
        cur = nx;
    }
    if (!st && hw > v->rows) {
        const char *nx = mm_name(p, t->name, "#p3", e);
        st = mm_node(p, nn, "Concat", cur, mm_const(p, t->name, "#pz", NULL, (int64_t)v->cols * (hw - v->rows),
                                                    v->cols, e),
                     nx, "axis", 1, NULL, 0, e);
        cur = nx;
    }
    if (!st)
        st = mm_node(p, nn, "Reshape", cur, mm_const(p, t->name, "#ps2", s2, 4, 0, e), t->name, NULL, 0, NULL, 0, e);
    return st;
}

rk_status cv_cpu_blob(const ox_model *m, const cv_graph *g, cv_op *op, rk_err *e)
{
    int nn = op->n_cpu_nodes, nvi = op->n_in + op->n_cpu_out;
    size_t cap = 0;
    for (int k = 0; k < nn; k++)
        cap += (size_t)ox_node_num_inputs(op->cpu_nodes[k]);
    cpu_proto *p = calloc(1, sizeof(*p));
    rk_status st = RK_OK;
    if (!p)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    int extra = op->n_cpu_out + op->n_in, n_mm = op->n_in + op->n_mm_pack;
    p->nodes = calloc((size_t)(nn + extra + MM_NODES * n_mm), sizeof(*p->nodes));
    p->node_ptrs = calloc((size_t)(nn + extra + MM_NODES * n_mm), sizeof(*p->node_ptrs));
    p->mm_vals = calloc((size_t)(MM_INITS * n_mm) + 1, sizeof(rk_tensor));
    p->mm_names = calloc((size_t)((MM_NODES + MM_INITS) * n_mm) + 1, sizeof(char *));
    cap += (size_t)(MM_INITS * n_mm);
    p->eq_vals = calloc((size_t)extra + 1, sizeof(rk_tensor));
    p->eq_names = calloc(2 * (size_t)extra + 1, sizeof(char *));
    cap += (size_t)extra;
    p->vis = calloc((size_t)nvi + 1, sizeof(*p->vis));
    p->vin_ptrs = calloc((size_t)op->n_in + 1, sizeof(*p->vin_ptrs));
    p->vout_ptrs = calloc((size_t)op->n_cpu_out + 1, sizeof(*p->vout_ptrs));
    p->inits = calloc(cap + 1, sizeof(*p->inits));
    p->init_ptrs = calloc(cap + 1, sizeof(*p->init_ptrs));
    p->init_dims = calloc(cap + 1, sizeof(*p->init_dims));
    p->cap_inits = cap;
    if (!p->nodes || !p->node_ptrs || !p->mm_vals || !p->mm_names || !p->eq_vals || !p->eq_names || !p->vis || !p->vin_ptrs || !p->vout_ptrs || !p->inits || !p->init_ptrs ||
        !p->init_dims) {
        st = rk_errf(e, RK_ENOMEM, "convert: out of memory");
        goto out;
    }
    onnx__model_proto__init(&p->model);
    onnx__graph_proto__init(&p->graph);
    onnx__operator_set_id_proto__init(&p->opset);
    p->opset.domain = "";
    p->opset.has_version = 1;
    p->opset.version = ox_model_opset(m, "");
    p->opsets[0] = &p->opset;
    p->model.has_ir_version = 1;
    p->model.ir_version = 7;
    p->model.producer_name = "rksim convert (CPU fallback node)";
    p->model.n_opset_import = 1;
    p->model.opset_import = p->opsets;
    p->model.graph = &p->graph;
    p->graph.name = "rksim_cpu_node";
    p->graph.initializer = p->init_ptrs;
    int idx = 0;
    for (int i = 0; i < op->n_in && !st; i++)
        if (g->tensors[op->in[i]].eq)
            st = add_eq_node(p, &g->tensors[op->in[i]], true, &idx, e);
    for (int i = 0; i < op->n_in && !st; i++)
        if (g->tensors[op->in[i]].mm)
            st = add_unpack(p, &g->tensors[op->in[i]], &idx, e);
    for (int i = 0; i < op->n_in && !st; i++) {
        const cv_tensor *t = &g->tensors[op->in[i]];
        if (t->mm && t->mm->nbatch > 1 && t->mm->batch == 0)
            st = add_unstack(p, g, op, t, &idx, e);
    }
    for (int k = 0; k < nn && !st; k++, idx++) {
        st = fill_node(p, m, g, op, k, &p->nodes[idx], e);
        p->node_ptrs[idx] = &p->nodes[idx].node;
    }
    for (int i = 0; i < op->n_mm_pack && !st; i++)
        st = add_pack(p, &g->tensors[op->mm_pack[i]], &idx, e);
    nn = idx;
    if (st)
        goto out;
    /* equalised outputs: Mul(raw, 1/eq) -> "<name>#eq" (cv_quant.c) */
    for (int i = 0; i < op->n_cpu_out && !st; i++) {
        const cv_tensor *t = &g->tensors[op->cpu_out[i]];
        if (t->eq)
            st = add_eq_node(p, t, false, &nn, e);
    }
    if (st)
        goto out;
    p->graph.n_node = (size_t)nn;
    p->graph.node = p->node_ptrs;
    for (int i = 0; i < op->n_in; i++)
        p->vin_ptrs[i] = value_info(&p->vis[i], &g->tensors[op->in[i]]);
    for (int i = 0; i < op->n_cpu_out; i++)
        p->vout_ptrs[i] = value_info(&p->vis[op->n_in + i], &g->tensors[op->cpu_out[i]]);
    p->graph.n_input = (size_t)op->n_in;
    p->graph.input = p->vin_ptrs;
    p->graph.n_output = (size_t)op->n_cpu_out;
    p->graph.output = p->vout_ptrs;
    size_t sz = onnx__model_proto__get_packed_size(&p->model);
    if (!(op->blob = malloc(sz ? sz : 1))) {
        st = rk_errf(e, RK_ENOMEM, "convert: out of memory");
        goto out;
    }
    op->blob_len = onnx__model_proto__pack(&p->model, op->blob);
out:
    for (int k = 0; p->eq_vals && k < p->n_eq; k++) {
        rk_tensor_free(&p->eq_vals[k]);
        free(p->eq_names[2 * k]);
        free(p->eq_names[2 * k + 1]);
    }
    free(p->eq_vals);
    free(p->eq_names);
    for (int k = 0; p->mm_vals && k < p->n_mm_vals; k++)
        rk_tensor_free(&p->mm_vals[k]);
    for (int k = 0; p->mm_names && k < p->n_mm_names; k++)
        free(p->mm_names[k]);
    free(p->mm_vals);
    free(p->mm_names);
    for (int k = 0; p->nodes && k < nn; k++) {
        for (int i = 0; i < CPU_MAX_ATTRS; i++)
            rk_tensor_free(&p->nodes[k].attr_values[i]);
        free(p->nodes[k].in_names);
        free(p->nodes[k].out_names);
    }
    free(p->nodes);
    free(p->node_ptrs);
    free(p->vis);
    free(p->vin_ptrs);
    free(p->vout_ptrs);
    free(p->inits);
    free(p->init_ptrs);
    free(p->init_dims);
    free(p);
    return st;
}

/* ---------------------------------------------------------- shape pass */

static rk_status record_shape(void *user, const ox_model *m, const ox_node *n, const rk_tensor *out, int nout,
                              rk_err *e)
{
    cv_graph *g = user;
    (void)m;
    (void)n;
    for (int i = 0; i < nout; i++) {
        if (!out[i].name || !out[i].name[0])
            continue;
        if (g->n_shapes == g->cap_shapes) {
            int cap = g->cap_shapes ? g->cap_shapes * 2 : 64;
            cv_shape *p = realloc(g->shapes, (size_t)cap * sizeof(*p));
            if (!p)
                return rk_errf(e, RK_ENOMEM, "convert: out of memory");
            g->shapes = p;
            g->cap_shapes = cap;
        }
        cv_shape *s = &g->shapes[g->n_shapes];
        if (!(s->name = strdup(out[i].name)))
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        s->dtype = out[i].dtype;
        s->ndim = out[i].ndim;
        memcpy(s->dims, out[i].dims, sizeof(s->dims));
        g->n_shapes++;
    }
    return RK_OK;
}

/* One float run of the whole model on a zero input of the (fixed) input
 * shapes, recording every value's shape: ONNX files need not carry
 * value_info, and onnxref's kernels are the shape authority here. */
rk_status cv_shapes_compute(ox_model *m, cv_graph *g, rk_err *e)
{
    if (g->shapes_done)
        return RK_OK;
    g->shapes_done = true;
    int nin = g->n_inputs, nout = ox_model_num_outputs(m);
    rk_tensor *ins = calloc((size_t)nin + 1, sizeof(*ins)), *outs = calloc((size_t)nout + 1, sizeof(*outs));
    rk_status st = ins && outs ? RK_OK : rk_errf(e, RK_ENOMEM, "convert: out of memory");
    for (int i = 0; !st && i < nin; i++) {
        const cv_tensor *t = &g->tensors[g->inputs[i]];
        int64_t d[RK_MAX_DIMS];
        int nd = cv_tensor_dims(t, d);
        st = rk_tensor_alloc(&ins[i], t->name, RK_DT_F32, nd, d, e);
    }
    if (!st) {
        ox_run_opts ro = {.threads = 1, .on_node = record_shape, .user = g};
        st = ox_run(m, ins, nin, &ro, outs, e);
        if (st)
            rk_err_wrap(e, "shape pass (a float run of the model)");
    }
    for (int i = 0; ins && i < nin; i++)
        rk_tensor_free(&ins[i]);
    for (int i = 0; outs && i < nout; i++)
        rk_tensor_free(&outs[i]);
    free(ins);
    free(outs);
    return st;
}

const cv_shape *cv_shape_of(const cv_graph *g, const char *name)
{
    for (int i = g->n_shapes - 1; i >= 0; i--)
        if (strcmp(g->shapes[i].name, name) == 0)
            return &g->shapes[i];
    return NULL;
}

rk_status cv_cpu_finish(const ox_model *m, cv_graph *g, rk_err *e)
{
    rk_status mst = cv_matmul_finish(g, e);
    if (mst)
        return mst;
    for (int i = 0; i < g->n_ops; i++)
        if (g->ops[i].kind == CV_CPU) {
            rk_status st = cv_cpu_blob(m, g, &g->ops[i], e);
            if (st)
                return st;
        }
    return RK_OK;
}
