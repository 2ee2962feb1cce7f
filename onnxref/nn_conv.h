/*
 * nn_conv.h - float32 convolution engine shared by Conv, ConvInteger and
 * QLinearConv (nn_conv.c).
 */
#ifndef NN_CONV_H
#define NN_CONV_H

#include "nn_internal.h"

/* One convolution problem.  Invariants: x is [batch, in_ch, win.in...],
 * w is [out_ch, in_ch/group, win.kernel...], bias is [out_ch] or NULL,
 * y is [batch, out_ch, win.out...] (written, not accumulated), all
 * contiguous float32; in_ch and out_ch are multiples of group. */
typedef struct nn_conv_problem {
    const float *x;
    const float *w;
    const float *bias;
    float *y;
    int64_t batch, in_ch, out_ch, group;
    nn_window win;
} nn_conv_problem;

/* Runs the convolution: depthwise 2-D/1-D directly, 1x1/stride-1/no-pad as
 * one GEMM per group, everything else as im2col (in bounded column chunks)
 * + GEMM.  Fails only on allocation failure. */
rk_status nn_conv_run(ox_ctx *ctx, const ox_node *n, const nn_conv_problem *p, rk_err *e);

/* Validates X/W shapes and attributes of a Conv-like node and fills the
 * problem geometry (everything but the data pointers). */
rk_status nn_conv_setup(const ox_node *n, const rk_tensor *x, const rk_tensor *w,
                        nn_conv_problem *p, rk_err *e);

#endif
