/*
 * simcheck.h - the two sides of a converted-model test: the register-level
 * simulator running the compiled .rknn and onnxref running the float ONNX
 * source, on one input.  Any failure fails the calling test.
 */
#ifndef RKSIM_SIMCHECK_H
#define RKSIM_SIMCHECK_H

#include "rk_tensor.h"
#include "rknn.h"

/* *got: output 0 of `m` simulated on `in` (input 0), dequantised float32;
 * *ref: output 0 of the ONNX model at onnx_path run by onnxref on `in`.
 * The caller frees both. */
void tu_run_sim_and_ref(rknn_model *m, const char *onnx_path, const rk_tensor *in, rk_tensor *got,
                        rk_tensor *ref);

/* Register field writes of m's regcmd entries that soc's validator rejects
 * (notes, e.g. fields of unknown layout, are not counted). */
size_t tu_count_violations(const rknn_model *m, rk_soc soc);

/* Cosine similarity of two float32 tensors of equal element count. */
double tu_cosine(const rk_tensor *a, const rk_tensor *b);

#endif
