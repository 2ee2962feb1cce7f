/*
 * misc_rnn.h - recurrent kernels (RNN, GRU, LSTM), listed in ox_ops_misc[]
 * (ops_misc.c).  Private to onnxref.
 */
#ifndef OX_MISC_RNN_H
#define OX_MISC_RNN_H

#include "ox_op.h"

rk_status oxm_rnn(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                  rk_tensor *out, int nout, rk_err *e);
rk_status oxm_gru(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                  rk_tensor *out, int nout, rk_err *e);
rk_status oxm_lstm(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                   rk_tensor *out, int nout, rk_err *e);

#endif
