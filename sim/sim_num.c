/* sim_num.c - integer rounding, precision tables and the conv->DPU cube. */
#include "sim_internal.h"

#include <stdlib.h>

int sim_prec_c2(uint32_t prec)
{
    switch (prec) {
    case SIM_PREC_INT8: return 16;
    case SIM_PREC_INT16:
    case SIM_PREC_FP16:
    case SIM_PREC_BF16: return 8;
    case SIM_PREC_INT32:
    case SIM_PREC_FP32: return 4;
    default: return 0;
    }
}

size_t sim_prec_bytes(uint32_t prec)
{
    int c2 = sim_prec_c2(prec);
    return c2 ? (size_t)(16 / c2) : 0;
}

const char *sim_prec_name(uint32_t prec)
{
    static const char *names[] = {"int8", "int16", "fp16", "bf16", "int32", "fp32", "int4", "tf32"};
    return prec < 8 ? names[prec] : "?";
}

rk_status sim_cube_reserve(sim_cube *c, int ch, int h, int w, bool is_float, bool xsum,
                           bool xsum_per_channel, rk_err *e)
{
    size_t n = (size_t)ch * (size_t)h * (size_t)w;
    c->c = ch;
    c->h = h;
    c->w = w;
    c->is_float = is_float;
    c->xsum_per_channel = xsum_per_channel;
    if (is_float && n > c->cap_f32) {
        free(c->f32);
        c->f32 = malloc(n * sizeof(float));
        c->cap_f32 = c->f32 ? n : 0;
        if (!c->f32)
            return rk_errf(e, RK_ENOMEM, "out of memory for a %dx%dx%d accumulator cube", ch, h, w);
    }
    if (!is_float && n > c->cap_i32) {
        free(c->i32);
        c->i32 = malloc(n * sizeof(int32_t));
        c->cap_i32 = c->i32 ? n : 0;
        if (!c->i32)
            return rk_errf(e, RK_ENOMEM, "out of memory for a %dx%dx%d accumulator cube", ch, h, w);
    }
    size_t nx = xsum ? (xsum_per_channel ? n : (size_t)h * (size_t)w) : 0;
    if (nx > c->cap_xsum) {
        free(c->xsum);
        c->xsum = malloc(nx * sizeof(int32_t));
        c->cap_xsum = c->xsum ? nx : 0;
        if (!c->xsum)
            return rk_errf(e, RK_ENOMEM, "out of memory for window sums");
    }
    return RK_OK;
}

void sim_cube_free(sim_cube *c)
{
    free(c->i32);
    free(c->f32);
    free(c->xsum);
    c->i32 = NULL;
    c->f32 = NULL;
    c->xsum = NULL;
    c->cap_i32 = c->cap_f32 = c->cap_xsum = 0;
}
