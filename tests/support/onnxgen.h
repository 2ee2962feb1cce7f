/*
 * onnxgen.h - small ONNX models built in memory (protobuf-c structs) and
 * written to a temporary file, for tests that need graphs of their own
 * without python.  The bytes come from protobuf-c's packer, not from the
 * ONNX reader under test.
 *
 * Every allocation belongs to a tg_arena and is released by tg_arena_free;
 * a zero-initialised arena is a valid empty one.  Names passed in are
 * copied, so callers may pass stack buffers.  Allocation failures abort the
 * test (cmocka assert).
 */
#ifndef RKSIM_ONNXGEN_H
#define RKSIM_ONNXGEN_H

#include <stddef.h>
#include <stdint.h>

#include "onnx.pb-c.h"

typedef struct tg_arena {
    void **p;
    int n, cap;
} tg_arena;

void *tg_alloc(tg_arena *a, size_t sz); /* zeroed */
char *tg_str(tg_arena *a, const char *s);
void tg_arena_free(tg_arena *a);

/* A node with n_in inputs and n_out outputs (an empty name = a skipped
 * optional input); attributes are appended with tg_attr_*. */
Onnx__NodeProto *tg_node(tg_arena *a, const char *op, const char *name, const char *const *ins, int n_in,
                         const char *const *outs, int n_out);
void tg_attr_int(tg_arena *a, Onnx__NodeProto *n, const char *name, int64_t v);
void tg_attr_ints(tg_arena *a, Onnx__NodeProto *n, const char *name, const int64_t *v, int count);
void tg_attr_float(tg_arena *a, Onnx__NodeProto *n, const char *name, float v);

/* A float32 initializer [dims] holding a copy of v (ne = product of dims). */
Onnx__TensorProto *tg_init_f32(tg_arena *a, const char *name, int nd, const int64_t *dims, const float *v);

/* A float32 graph input/output; nd 0 = shape not given, a negative dim is
 * the symbolic dimension "T". */
Onnx__ValueInfoProto *tg_vinfo(tg_arena *a, const char *name, int nd, const int64_t *dims);

/* A whole graph: opset 13 when opset is 0. */
typedef struct tg_graph {
    const char *name;
    Onnx__NodeProto **nodes;
    size_t n_nodes;
    Onnx__TensorProto **inits;
    size_t n_inits;
    Onnx__ValueInfoProto **inputs, **outputs;
    size_t n_inputs, n_outputs;
    int64_t opset;
} tg_graph;

/* Packs the model (IR version 8) into tu_tmp_path(file); returns that path. */
const char *tg_save(tg_arena *a, const tg_graph *g, const char *file);

#endif
