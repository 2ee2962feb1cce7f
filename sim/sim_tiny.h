/* sim_tiny.h - builds the repo's tiny example .rknn (see sim_tiny.c). */
#ifndef RKSIM_SIM_TINY_H
#define RKSIM_SIM_TINY_H

#include "rk_base.h"
#include "rknn.h"

/* Assemble the tiny model from datasets/tiny/tiny_params.h5. */
rk_status sim_tiny_build(const char *params_h5, rknn_model **out, rk_err *e);

#endif
