/*
 * misc_extra.h - less common operators (window functions, Det,
 * MeanVarianceNormalization, GridSample, RoiAlign), listed in ox_ops_misc[]
 * (ops_misc.c).  Private to onnxref.
 */
#ifndef OX_MISC_EXTRA_H
#define OX_MISC_EXTRA_H

#include "ox_op.h"

#define OXM_KERNEL(name)                                                              \
    rk_status name(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin, \
                   rk_tensor *out, int nout, rk_err *e)

OXM_KERNEL(oxm_hann_window);
OXM_KERNEL(oxm_hamming_window);
OXM_KERNEL(oxm_blackman_window);
OXM_KERNEL(oxm_det);
OXM_KERNEL(oxm_mvn);
OXM_KERNEL(oxm_grid_sample);
OXM_KERNEL(oxm_roi_align);

#endif
