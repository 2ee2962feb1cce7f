/*
 * cv_quant.c - calibration and int8 quantisation parameters.
 *
 * "normal" calibration (rknn-toolkit2's name for min/max): the float model
 * runs in onnxref over every calibration sample and each tensor the NPU
 * program produces keeps its running min and max.  Without a calibration
 * file one deterministic sample is used: a fixed LCG filling [0, 1), i.e.
 * an image already scaled to unit range (documented; quantisation is then
 * only as good as that guess - pass --calib for real data).
 *
 * Activations: asymmetric int8, scale = (max - min) / 255,
 * zp = round(-128 - min / scale), with 0 forced into [min, max] so that
 * zero (ReLU floor, padding) is exact.  A fused Clip narrows the range to
 * its bounds: the DPU's saturation to int8 then implements the clip.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_internal.h"
#include "rk_tensorio.h"

static void observe(cv_tensor *t, const float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        if (!t->calibrated) {
            t->min = t->max = v[i];
            t->calibrated = true;
        }
        t->min = fminf(t->min, v[i]);
        t->max = fmaxf(t->max, v[i]);
    }
}

static rk_status on_node(void *user, const ox_model *m, const ox_node *n, const rk_tensor *out, int nout,
                         rk_err *e)
{
    cv_graph *g = user;
    (void)m;
    for (int i = 0; i < nout; i++) {
        int ti = cv_find_tensor(g, ox_node_output_name(n, i));
        if (ti >= 0 && out[i].dtype == RK_DT_F32)
            observe(&g->tensors[ti], out[i].data, out[i].nelem);
    }
    (void)e;
    return RK_OK;
}

static rk_status run_sample(ox_model *m, cv_graph *g, rk_tensor *ins, rk_err *e)
{
    for (int i = 0; i < g->n_inputs; i++)
        observe(&g->tensors[g->inputs[i]], ins[i].data, ins[i].nelem);
    int nout = ox_model_num_outputs(m);
    rk_tensor *outs = calloc((size_t)nout + 1, sizeof(*outs));
    if (!outs)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    ox_run_opts ro = {.threads = 1, .on_node = on_node, .user = g};
    rk_status st = ox_run(m, ins, g->n_inputs, &ro, outs, e);
    for (int i = 0; i < nout; i++)
        rk_tensor_free(&outs[i]);
    free(outs);
    return st ? rk_err_wrap(e, "calibration run of the float model") : RK_OK;
}

/* One deterministic sample in [0, 1) per input (LCG, seed fixed). */
static rk_status calib_default(ox_model *m, cv_graph *g, rk_err *e)
{
    rk_tensor ins[8];
    memset(ins, 0, sizeof(ins));
    if (g->n_inputs > 8)
        return rk_errf(e, RK_EUNSUPPORTED, "more than 8 model inputs");
    uint32_t s = 0x12345678u;
    rk_status st = RK_OK;
    for (int i = 0; !st && i < g->n_inputs; i++) {
        const cv_tensor *t = &g->tensors[g->inputs[i]];
        int64_t d[4] = {1, t->c, t->h, t->w};
        if ((st = rk_tensor_alloc(&ins[i], t->name, RK_DT_F32, 4, d, e)))
            break;
        float *v = ins[i].data;
        for (int64_t k = 0; k < ins[i].nelem; k++) {
            s = s * 1664525u + 1013904223u;
            v[k] = (float)(s >> 8) / 16777216.0f;
        }
    }
    if (!st)
        st = run_sample(m, g, ins, e);
    for (int i = 0; i < 8; i++)
        rk_tensor_free(&ins[i]);
    return st;
}

/* HDF5 calibration set: one dataset per input, named like the input, float
 * data of the input's shape [1,C,H,W] or a stack [S,C,H,W] of S samples. */
static rk_status calib_h5(ox_model *m, cv_graph *g, const char *path, int *n_samples, rk_err *e)
{
    rk_tensor_list l = {0};
    rk_tensor f[8], ins[8];
    memset(f, 0, sizeof(f));
    memset(ins, 0, sizeof(ins));
    int S = -1;
    rk_status st = rk_h5_read(path, &l, e);
    if (st)
        return rk_err_wrap(e, "calibration file");
    if (g->n_inputs > 8)
        st = rk_errf(e, RK_EUNSUPPORTED, "more than 8 model inputs");
    for (int i = 0; !st && i < g->n_inputs; i++) {
        const cv_tensor *t = &g->tensors[g->inputs[i]];
        rk_tensor *d = rk_tensor_list_find(&l, t->name);
        if (!d) {
            st = rk_errf(e, RK_EINPUT, "calibration file %s has no dataset '%s' (one per model input)", path,
                         t->name);
            break;
        }
        if (d->ndim != 4 || d->dims[1] != t->c || d->dims[2] != t->h || d->dims[3] != t->w || d->dims[0] < 1 ||
            (S >= 0 && d->dims[0] != S)) {
            st = rk_errf(e, RK_EINPUT,
                         "calibration dataset '%s' in %s must be [S,%d,%d,%d] float (S samples, same S for every input)",
                         t->name, path, t->c, t->h, t->w);
            break;
        }
        S = (int)d->dims[0];
        st = rk_tensor_to_f32(&f[i], d, e);
    }
    for (int s = 0; !st && s < S; s++) {
        for (int i = 0; !st && i < g->n_inputs; i++) {
            const cv_tensor *t = &g->tensors[g->inputs[i]];
            int64_t d[4] = {1, t->c, t->h, t->w};
            rk_tensor_free(&ins[i]);
            if (!(st = rk_tensor_alloc(&ins[i], t->name, RK_DT_F32, 4, d, e)))
                memcpy(ins[i].data, (const float *)f[i].data + (size_t)s * (size_t)ins[i].nelem,
                       (size_t)ins[i].nelem * sizeof(float));
        }
        if (!st)
            st = run_sample(m, g, ins, e);
    }
    for (int i = 0; i < 8; i++) {
        rk_tensor_free(&f[i]);
        rk_tensor_free(&ins[i]);
    }
    rk_tensor_list_free(&l);
    *n_samples = S;
    return st;
}

static void derive_int8(cv_tensor *t)
{
    float lo = fminf(t->min, 0.0f), hi = fmaxf(t->max, 0.0f);
    if (hi - lo < 1e-8f)
        hi = lo + 1e-8f;
    t->scale = (hi - lo) / 255.0f;
    long zp = lroundf(-128.0f - lo / t->scale);
    t->zp = (int32_t)RK_MAX(-128, RK_MIN(127, zp));
}

rk_status cv_calibrate(ox_model *m, cv_graph *g, const rk_convert_opts *o, rk_convert_report *rep, rk_err *e)
{
    int samples = 1;
    rk_status st = o->calib_h5 ? calib_h5(m, g, o->calib_h5, &samples, e) : calib_default(m, g, e);
    if (st)
        return st;
    cv_note(rep, "calibration: min/max over %d sample%s (%s)", samples, samples == 1 ? "" : "s",
            o->calib_h5 ? o->calib_h5 : "deterministic [0,1) input; pass --calib for real data");
    for (int i = 0; i < g->n_ops; i++) {
        const cv_op *op = &g->ops[i];
        cv_tensor *t = &g->tensors[op->out];
        if (!t->calibrated)
            return rk_errf(e, RK_EINTERNAL, "calibration saw no value of tensor '%s' (%s)", t->name, op->label);
        t->min = fmaxf(t->min, op->clip_lo);
        t->max = fminf(t->max, op->clip_hi);
    }
    for (int i = 0; i < g->n_tensors; i++)
        derive_int8(&g->tensors[i]);
    /* Max pooling commutes with a monotonic quantiser and average pooling
     * (pad cells = zp, counted) is affine, so the output keeps the input's
     * parameters and the PPU needs no requantisation (our choice; the TRM
     * lists no PPU output converter). */
    for (int i = 0; i < g->n_ops; i++) {
        const cv_op *op = &g->ops[i];
        if (op->kind == CV_MAXPOOL || op->kind == CV_AVGPOOL) {
            g->tensors[op->out].scale = g->tensors[op->in[0]].scale;
            g->tensors[op->out].zp = g->tensors[op->in[0]].zp;
        }
    }
    return RK_OK;
}
