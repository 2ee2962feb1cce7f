/*
 * ox_internal.h - data structures shared by the onnxref core (model.c,
 * graph.c, runner.c, registry.c).  Not for kernels (they use ox_op.h) nor
 * for users (onnxref.h).
 */
#ifndef OX_INTERNAL_H
#define OX_INTERNAL_H

#include <pthread.h>

#include "onnx.pb-c.h"
#include "onnxref.h"

/* One attribute of a node.  `s` is a NUL-terminated copy of the protobuf
 * string (protobuf-c strings in AttributeProto are length-counted bytes). */
typedef struct ox_attr {
    const Onnx__AttributeProto *p;
    char *s;
    ox_model *sub; /* GRAPH attribute (If/Loop/Scan bodies), built with the parent */
} ox_attr;

/* A node of the graph.  Invariants: in[i] / out[i] index model->values or are
 * -1 for an omitted optional ("" name); def is the kernel chosen for the
 * node's opset, or NULL when unsupported; index is the position in
 * model->order (execution order). */
struct ox_node {
    const Onnx__NodeProto *p;
    const char *op_type;
    const char *name;   /* "" when unnamed */
    const char *domain; /* "" for ai.onnx */
    int opset;
    int nin, nout;
    int *in, *out;
    int nattr;
    ox_attr *attrs;
    const ox_op_def *def;
    int index;
    /* values of this graph read by the node's subgraphs (outer-scope
     * references): they order and keep alive like ordinary inputs */
    int nimplicit;
    int *implicit;
    /* Constant nodes: their value, decoded on the first run and lent
     * (borrowed) to later runs instead of being decoded again */
    rk_tensor const_cache;
    char label[160];
};

/* A tensor value of the graph.  Invariants: exactly one of
 * {is_input, is_init, producer >= 0} holds for a value that can be computed
 * (an initializer listed as a graph input counts as is_init with a
 * user-overridable default).  last_use is the last node index reading it
 * (-1 when no node does); graph outputs are never freed by the runner. */
typedef struct ox_value {
    const char *name;
    bool is_input;
    bool is_init;
    bool is_output;
    bool is_outer;  /* defined in an enclosing graph: bound when a subgraph runs */
    int outer_id;   /* its value id in model->parent (is_outer) */
    int producer; /* node index in order, -1 if none */
    int last_use;
    rk_tensor init;   /* decoded initializer (is_init) */
    rk_tensor cur;    /* runtime value (owned unless borrowed) */
    bool has_cur;
    int info;         /* index into model->infos, -1 if none */
} ox_value;

/* A model, or a subgraph of one (parent != NULL: then proto is NULL and
 * opsets/path/base_dir are the parent's, not owned). */
struct ox_model {
    Onnx__ModelProto *proto;
    const Onnx__GraphProto *graph;
    ox_model *parent;
    int depth; /* subgraph nesting level, bounded against hostile files */
    char *path;     /* for messages */
    char *base_dir; /* external data directory, may be NULL */
    int nopsets;
    struct { const char *domain; int version; } *opsets;

    int nvalues, values_cap;
    ox_value *values;
    int nnodes;
    ox_node *nodes;  /* in topological order */

    int ninfos;
    ox_value_info *infos; /* inputs, outputs, value_info */
    int ninputs, noutputs;
    int *inputs;  /* value ids of graph inputs that need feeding */
    int *outputs; /* value ids of graph outputs */
    int *input_info, *output_info; /* index into infos */

    int nunsupported;
    int *unsupported; /* node indexes */

    /* name -> value id hash table (open addressing, power-of-two size) */
    int hash_cap;
    int *hash;
};

/* Run context.  reusable: bit i set when the node's input i dies at this
 * node (see ox_input_reusable). */
struct ox_ctx {
    int threads;
    uint64_t reusable;
};

/* model.c: TensorProto decoding (initializers, Constant, test data). */
rk_status ox_tensor_from_proto(const Onnx__TensorProto *tp, const char *base_dir,
                               rk_tensor *out, rk_err *e);
rk_dtype ox_dtype_from_onnx(int32_t onnx_type);
/* Like ox_tensor_from_proto, but a raw_data tensor borrows the protobuf's
 * bytes instead of copying them (initializers: halves the weight memory).
 * The view lives as long as the parsed proto. */
rk_status ox_tensor_view_proto(const Onnx__TensorProto *tp, const char *base_dir,
                               rk_tensor *out, rk_err *e);

/* model.c: frees a node's arrays and subgraphs (zeroed node: no-op). */
void ox_node_release(ox_node *n);

/* graph.c: builds m->graph (and its subgraphs) into m. */
rk_status ox_graph_build(ox_model *m, rk_err *e);
int ox_model_find_value(const ox_model *m, const char *name);

/* runner.c: run a subgraph with positional formal inputs; outer-scope
 * values are taken from the parent's current run.  outs has one slot per
 * graph output, owned by the caller afterwards. */
rk_status ox_run_subgraph(ox_model *sub, ox_ctx *ctx, const rk_tensor *const *inputs, int nin,
                          rk_tensor *outs, rk_err *e);

/* runner_control.c: If, Loop, Scan (they need the runner's internals). */
extern const ox_op_def ox_ops_control[];

/* ---- runner_seq.c: sequence and optional values -----------------------
 * They travel through the kernel interface as a "handle": an rk_tensor with
 * dtype RK_DT_UNDEF, ndim 0, nelem 0 and data pointing to an ox_seq.  Only
 * the core (runner, control flow, sequence ops, Identity) creates or reads
 * them; any other kernel sees an undefined element type and refuses it.
 * Invariants: items[0..count) are owned tensors or owned handles (nested
 * sequences / optionals); an optional has count 0 (none) or 1. */
typedef struct ox_seq {
    bool optional;
    rk_dtype elem; /* element type of tensor items (empty sequences keep it) */
    int count, cap;
    rk_tensor *items;
} ox_seq;

bool ox_is_seq(const rk_tensor *t);
ox_seq *ox_seq_of(const rk_tensor *t); /* NULL unless a handle */
rk_status ox_seq_new(rk_tensor *handle, bool optional, rk_dtype elem, rk_err *e);
/* Appends (at index pos; -1 = end), taking ownership of *item (zeroed). */
rk_status ox_seq_insert(ox_seq *s, int pos, rk_tensor *item, rk_err *e);
/* Free a tensor or handle (borrowed ones are only forgotten). */
void ox_value_free(rk_tensor *t);
/* Deep copy of a tensor or handle. */
rk_status ox_value_copy(rk_tensor *dst, const rk_tensor *src, rk_err *e);
extern const ox_op_def ox_ops_sequence[];

/* registry.c: kernel lookup for (domain, op_type, opset). */
const ox_op_def *ox_registry_find(const char *domain, const char *op_type, int opset);

#endif
