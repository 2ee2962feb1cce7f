/*
 * cpu_fallback.h - CPU nodes of converted models (rksim convert): an ONNX
 * node run in float on the host with onnxref, between dequantised inputs
 * and quantised outputs (cpuops.c's native <-> float conversions).
 *
 * The node carries its ONNX definition as a const input tensor whose name
 * ends in SIM_CPU_ONNX_BLOB_SUFFIX: a uint8 buffer holding a serialized
 * one-node ONNX ModelProto (the node with its attributes, its constant
 * inputs as initializers, its activation inputs/outputs as graph
 * inputs/outputs by tensor name).  Written by convert/cv_cpu.c.
 */
#ifndef RKSIM_CPU_FALLBACK_H
#define RKSIM_CPU_FALLBACK_H

#include <stdbool.h>

#include "rk_base.h"
#include "rknn.h"
#include "sim.h"

#define SIM_CPU_ONNX_BLOB_SUFFIX "#onnx_node"

/* Index of the node's ONNX blob tensor in graph 0, or -1 when the node is
 * not an ONNX CPU node. */
int32_t sim_cpu_onnx_blob(const rknn_model *m, const rknn_node *n);

/* Run such a node (blob = sim_cpu_onnx_blob's index). */
rk_status sim_cpu_onnx_node(sim *s, const rknn_node *n, int32_t blob, rk_err *e);

#endif
