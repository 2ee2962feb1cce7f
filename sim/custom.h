/*
 * custom.h - the custom-op plugin interface: CPU implementations of nodes
 * the .rknn leaves to the host (rknn_register_custom_ops in the vendor
 * runtime).  A plugin sees its inputs as dequantised float32 tensors in the
 * original (NCHW) shape and fills float32 outputs whose shapes are already
 * set from the graph; the CPU-op module converts them to the output
 * tensors' dtype and native layout.
 *
 * Built-in plugins: "cstDualResidual" (custom_dual_residual.c) and "ArgMax"
 * (custom_argmax.c).  sim_custom_register adds more at run time (last
 * registration of a type wins).
 */
#ifndef RKSIM_CUSTOM_H
#define RKSIM_CUSTOM_H

#include "rk_base.h"
#include "rk_tensor.h"
#include "rknn.h"

typedef rk_status (*sim_custom_fn)(const rknn_node *node, const rk_tensor *inputs, int n_inputs,
                                   rk_tensor *outputs, int n_outputs, rk_err *e);

typedef struct sim_custom_op {
    const char *type; /* node type string, e.g. "cstDualResidual" */
    sim_custom_fn compute;
    const char *source; /* where the semantics come from (for SEMANTICS.md / messages) */
} sim_custom_op;

/* The plugin for a node type, or NULL. */
const sim_custom_op *sim_custom_find(const char *type);
/* Register a plugin (the struct must stay valid).  RK_ENOMEM when the
 * table (32 entries) is full. */
rk_status sim_custom_register(const sim_custom_op *op, rk_err *e);

/* A custom attribute as a number, or `def` when absent. */
double sim_custom_attr_number(const rknn_node *node, const char *key, double def, bool *found);

/* Built-ins (defined in custom_*.c). */
extern const sim_custom_op sim_custom_dual_residual;
extern const sim_custom_op sim_custom_argmax;

#endif
