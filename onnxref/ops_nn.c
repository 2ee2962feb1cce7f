/*
 * ops_nn.c - the neural-network operator table of onnxref.
 *
 * Kernels live in nn_conv.c (Conv family), nn_gemm.c (Gemm / MatMul
 * family), nn_einsum.c, nn_pool.c, nn_norm.c (normalisations, softmax
 * family), nn_resize.c (Resize / Upsample / DepthToSpace / SpaceToDepth)
 * and nn_attention.c.  One entry per ONNX version whose semantics a kernel
 * must know about; kernels that branch on the node's opset internally
 * (Softmax axis rules, BatchNormalization training outputs, Resize
 * attributes) are listed once, from the first version they handle.
 */
#include "nn_internal.h"

const ox_op_def ox_ops_nn[] = {
    {"", "Conv", 1, nn_op_conv},
    {"", "ConvTranspose", 1, nn_op_conv_transpose},
    {"", "ConvInteger", 10, nn_op_conv_integer},
    {"", "QLinearConv", 10, nn_op_qlinear_conv},
    {"", "Gemm", 1, nn_op_gemm},
    {"", "MatMul", 1, nn_op_matmul},
    {"", "MatMulInteger", 10, nn_op_matmul_integer},
    {"", "QLinearMatMul", 10, nn_op_qlinear_matmul},
    {"", "MaxPool", 1, nn_op_maxpool},
    {"", "AveragePool", 1, nn_op_avgpool},
    {"", "LpPool", 1, nn_op_lppool},
    {"", "GlobalMaxPool", 1, nn_op_global_maxpool},
    {"", "GlobalAveragePool", 1, nn_op_global_avgpool},
    {"", "GlobalLpPool", 1, nn_op_global_lppool},
    {"", "MaxUnpool", 9, nn_op_maxunpool},
    {"", "BatchNormalization", 1, nn_op_batchnorm},
    {"", "InstanceNormalization", 1, nn_op_instancenorm},
    {"", "LayerNormalization", 17, nn_op_layernorm},
    {"", "GroupNormalization", 18, nn_op_groupnorm},
    {"", "LRN", 1, nn_op_lrn},
    {"", "Softmax", 1, nn_op_softmax},
    {"", "LogSoftmax", 1, nn_op_logsoftmax},
    {"", "Hardmax", 1, nn_op_hardmax},
    {"", "Einsum", 12, nn_op_einsum},
    {"", "Attention", 23, nn_op_attention},
    {"", "Upsample", 7, nn_op_upsample},
    {"", "Resize", 10, nn_op_resize},
    {"", "DepthToSpace", 1, nn_op_depth_to_space},
    {"", "SpaceToDepth", 1, nn_op_space_to_depth},
    {NULL, NULL, 0, NULL},
};
