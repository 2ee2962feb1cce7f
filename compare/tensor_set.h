/*
 * tensor_set.h - a named collection of tensors (copies), used to keep the
 * float reference's intermediate tensors captured during an onnxref run and
 * the simulator's dumped tensors.  Lookup by exact name.
 */
#ifndef RKSIM_COMPARE_TENSOR_SET_H
#define RKSIM_COMPARE_TENSOR_SET_H

#include "onnxref.h"
#include "rk_tensor.h"

/* Invariant: items[0..n) own their data and carry a non-NULL name. */
typedef struct cmp_tensor_set {
    rk_tensor *items;
    int n, cap;
} cmp_tensor_set;

void cmp_set_free(cmp_tensor_set *s);
/* Store a copy of t under `name` (replacing an existing entry). */
rk_status cmp_set_put(cmp_tensor_set *s, const char *name, const rk_tensor *t, rk_err *e);
/* Store t itself (ownership moves; *t is zeroed). */
rk_status cmp_set_take(cmp_tensor_set *s, const char *name, rk_tensor *t, rk_err *e);
const rk_tensor *cmp_set_get(const cmp_tensor_set *s, const char *name);
/* cmp_tensor_lookup-compatible: user is a cmp_tensor_set. */
const rk_tensor *cmp_set_lookup(void *user, const char *name);

/* Run the whole ONNX model and keep a copy of every node output and of the
 * inputs (by their graph-input names) in *all. */
rk_status cmp_onnx_run_capture(ox_model *m, const rk_tensor *inputs, int ninputs,
                               cmp_tensor_set *all, rk_err *e);

#endif
