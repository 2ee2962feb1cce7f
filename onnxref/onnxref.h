/*
 * onnxref.h - public API of onnxref, the float ONNX reference interpreter.
 *
 * Life cycle:
 *   ox_model *m;  ox_model_load_file("net.onnx", &m, &e);
 *   ox_model_check_supported(m, &e);     // lists EVERY unsupported op at once
 *   rk_tensor outs[ox_model_num_outputs(m)];   (heap-allocate: no VLAs)
 *   ox_run(m, inputs, n_inputs, &opts, outs, &e);
 *   ... rk_tensor_free(&outs[i]) ...;  ox_model_free(m);
 *
 * A model owns its parsed protobuf, its decoded initializers and its node
 * list (in topological order).  Node pointers, names and initializer tensors
 * returned by the introspection functions stay valid until ox_model_free.
 * A model may be run any number of times, but not concurrently from two
 * threads (kernels use threads internally: see ox_run_opts.threads).
 *
 * Node-level access (op type, attributes, label) uses the ox_node functions
 * declared in ox_op.h, which this header includes.
 */
#ifndef ONNXREF_H
#define ONNXREF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ox_op.h"
#include "rk_tensor.h"

typedef struct ox_model ox_model;

/* Declared type of a graph input or output.  ndim is -1 when the model does
 * not declare a rank; dims[i] is -1 for a symbolic or unknown dimension, whose
 * name (if the model gives one) is in dim_params[i]. */
typedef enum ox_value_kind {
    OX_KIND_TENSOR = 0, /* also: type not declared */
    OX_KIND_SEQUENCE,
    OX_KIND_OPTIONAL,
    OX_KIND_OTHER /* map, sparse tensor */
} ox_value_kind;

typedef struct ox_value_info {
    const char *name;
    rk_dtype dtype; /* RK_DT_UNDEF when not declared or not a tensor */
    int ndim;
    int64_t dims[RK_MAX_DIMS];
    const char *dim_params[RK_MAX_DIMS];
    ox_value_kind kind; /* sequences/optionals run inside the graph only */
} ox_value_info;

/* ---- loading ---------------------------------------------------------- */

/* Parse a model file.  External-data tensors are read from files beside it.
 * Fails with RK_EINPUT for a non-ONNX / truncated file, inconsistent
 * initializers (byte size vs shape), dangling tensor names or graph cycles.
 * Unsupported operators do NOT fail the load (see ox_model_check_supported). */
rk_status ox_model_load_file(const char *path, ox_model **out, rk_err *e);
/* Same from memory.  `base_dir` locates external data (NULL: none allowed);
 * `what` names the buffer in messages.  The buffer is not retained. */
rk_status ox_model_load_buffer(const uint8_t *buf, size_t len, const char *what,
                               const char *base_dir, ox_model **out, rk_err *e);
void ox_model_free(ox_model *m);

/* Opset version imported for a domain ("" = ai.onnx); 0 if not imported. */
int ox_model_opset(const ox_model *m, const char *domain);

/* RK_OK when every node has a kernel for its opset; otherwise
 * RK_EUNSUPPORTED with a message listing every unsupported node as
 * "OpType 'node name' (domain opset N)". */
rk_status ox_model_check_supported(const ox_model *m, rk_err *e);
/* Number of unsupported nodes, and the i-th of them (NULL if out of range). */
int ox_model_num_unsupported(const ox_model *m);
const ox_node *ox_model_unsupported_node(const ox_model *m, int i);

/* ---- inputs / outputs ------------------------------------------------- */

/* Graph inputs that are not initializers (what a caller must provide). */
int ox_model_num_inputs(const ox_model *m);
const ox_value_info *ox_model_input(const ox_model *m, int i);
int ox_model_num_outputs(const ox_model *m);
const ox_value_info *ox_model_output(const ox_model *m, int i);

/* ---- running ---------------------------------------------------------- */

/* Called after every node with its outputs (out[i] has the ONNX tensor
 * name; an unused optional output has data == NULL).  The tensors belong to
 * the runner: copy what you need.  Return non-OK to abort the run (the
 * status and e are passed through). */
typedef rk_status (*ox_node_cb)(void *user, const ox_model *m, const ox_node *n,
                                const rk_tensor *out, int nout, rk_err *e);

typedef struct ox_run_opts {
    int threads;       /* worker threads for kernels; <= 0 means 1 */
    ox_node_cb on_node; /* may be NULL */
    void *user;
    /* Accept inputs whose rank/dims disagree with the model's declared
     * shapes (element types are still checked).  Only for test data known
     * to be inconsistent with its model (ONNX's CastLike bf16 tests). */
    bool skip_shape_check;
} ox_run_opts;

/* Run the whole graph.  Graph inputs/outputs of sequence or optional kind
 * exist only as the core's internal handles (ox_internal.h); through this
 * API a caller feeds and receives tensors.  inputs[i] is matched to a graph input by its name
 * when the name is set and matches, otherwise by position among the inputs
 * (ox_model_input order).  Inputs are checked against the declared dtype and
 * shape (symbolic dimensions must agree across inputs).  `outs` must have
 * room for ox_model_num_outputs(m) tensors; they are allocated (and named)
 * here and owned by the caller afterwards.  opts may be NULL. */
rk_status ox_run(ox_model *m, const rk_tensor *inputs, int ninputs, const ox_run_opts *opts,
                 rk_tensor *outs, rk_err *e);

/* Run one node alone ("single" mode of the compare tool).  `in` has
 * ox_node_num_inputs(n) entries (NULL for an omitted optional input); an
 * entry that is NULL but names an initializer of the model is filled from
 * the model automatically.  `outs` has
 * ox_node_num_outputs(n) slots, allocated here and owned by the caller. */
rk_status ox_run_node(ox_model *m, const ox_node *n, const rk_tensor *const *in, int nin,
                      int threads, rk_tensor *outs, rk_err *e);

/* ---- graph introspection (compare tool, attention detector) ---------- */

/* Nodes in execution (topological) order. */
int ox_model_num_nodes(const ox_model *m);
const ox_node *ox_model_node(const ox_model *m, int i);
int ox_node_index(const ox_node *n);
const char *ox_node_name(const ox_node *n);   /* "" if unnamed */
const char *ox_node_domain(const ox_node *n); /* "" for ai.onnx */
/* Tensor names; "" for an omitted optional input/output. */
const char *ox_node_input_name(const ox_node *n, int i);
const char *ox_node_output_name(const ox_node *n, int i);
/* Attribute names, for generic dumps. */
int ox_node_num_attrs(const ox_node *n);
const char *ox_node_attr_name(const ox_node *n, int i);

/* Initializer by tensor name (NULL if none).  Stays owned by the model. */
const rk_tensor *ox_model_initializer(const ox_model *m, const char *name);
/* Node producing a tensor (NULL for graph inputs / initializers / unknown). */
const ox_node *ox_model_producer(const ox_model *m, const char *tensor_name);
/* Declared type of any tensor with value_info / input / output info, or NULL. */
const ox_value_info *ox_model_value_info(const ox_model *m, const char *tensor_name);

#endif
