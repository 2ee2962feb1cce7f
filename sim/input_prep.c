/*
 * input_prep.c - the float part of the InputOperator: channel order and
 * mean/std, shared by the simulator (cpuops.c, before quantising) and by
 * compare (the ONNX side of a comparison gets the same values, so one input
 * file feeds both sides).
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static const rknn_gen_attr *gen_attr_named(const rknn_model *m, const char *name)
{
    for (uint32_t i = 0; i < m->n_gen_attrs; i++)
        if (m->gen_attrs[i].name && name && strcmp(m->gen_attrs[i].name, name) == 0)
            return &m->gen_attrs[i];
    return NULL;
}

void rknn_input_prep_of(const rknn_model *m, const rknn_graph *g, uint32_t gi, rknn_input_prep *p)
{
    memset(p, 0, sizeof *p);
    if (gi < g->n_norms) {
        const rknn_norm *r = &g->norms[gi];
        p->mean = r->mean;
        p->n_mean = r->n_mean;
        p->std = r->std;
        p->n_std = r->n_std;
        p->order = r->channel_order;
        p->n_order = r->n_channel_order;
    }
    const rknn_gen_attr *ga = gi < g->n_inputs ? gen_attr_named(m, g->tensors[g->inputs[gi]].name) : NULL;
    if (ga && !p->n_mean) {
        p->mean = ga->mean;
        p->n_mean = ga->n_mean;
    }
    if (ga && !p->n_std) {
        p->std = ga->std;
        p->n_std = ga->n_std;
    }
    p->rgb2bgr = ga && ga->rgb2bgr;
}

/* Channel c of the result is channel src of the input: the .rknn's
 * channel_order first, then the generator's RGB<->BGR swap (3 channels). */
static int64_t source_channel(const rknn_input_prep *p, int64_t c, int64_t C)
{
    int64_t src = c;
    if (p->order && (uint64_t)c < p->n_order && p->order[c] >= 0 && p->order[c] < C)
        src = p->order[c];
    if (p->rgb2bgr && C == 3)
        src = 2 - src;
    return src;
}

rk_status rknn_input_prep_apply(const rknn_input_prep *p, float *x, int64_t n, int64_t c, int64_t plane,
                                rk_err *e)
{
    if (p->rgb2bgr || (p->order && p->n_order)) {
        float *tmp = malloc((size_t)(c * plane) * sizeof(float));
        if (!tmp)
            return rk_errf(e, RK_ENOMEM, "out of memory");
        for (int64_t a = 0; a < n; a++) {
            float *img = x + a * c * plane;
            memcpy(tmp, img, (size_t)(c * plane) * sizeof(float));
            for (int64_t k = 0; k < c; k++)
                memcpy(img + k * plane, tmp + source_channel(p, k, c) * plane, (size_t)plane * sizeof(float));
        }
        free(tmp);
    }
    for (int64_t a = 0; a < n; a++)
        for (int64_t k = 0; k < c; k++) {
            float mu = (p->mean && (uint64_t)k < p->n_mean) ? p->mean[k] : 0.0f;
            float sd = (p->std && (uint64_t)k < p->n_std) ? p->std[k] : 1.0f;
            if (sd == 0.0f)
                sd = 1.0f;
            float *v = x + (a * c + k) * plane;
            if (mu != 0.0f || sd != 1.0f)
                for (int64_t i = 0; i < plane; i++)
                    v[i] = (v[i] - mu) / sd;
        }
    return RK_OK;
}

/* A value list that is empty or holds one value repeated; *v = that value
 * (dflt when empty). */
static bool uniform(const float *a, uint32_t n, float dflt, float *v)
{
    *v = n ? a[0] : dflt;
    for (uint32_t i = 1; i < n; i++)
        if (a[i] != a[0])
            return false;
    return true;
}

rk_status rknn_input_prep_apply_shape(const rknn_input_prep *p, const char *name, float *x, int ndim,
                                      const int64_t *dims, rk_err *e)
{
    int64_t ne = 1;
    for (int d = 0; d < ndim; d++)
        ne *= dims[d];
    if (ndim == 4)
        return rknn_input_prep_apply(p, x, dims[0], dims[1], dims[2] * dims[3], e);
    bool reorder = p->rgb2bgr;
    for (uint32_t c = 0; p->order && c < p->n_order; c++)
        reorder |= p->order[c] != (int32_t)c;
    float mu, sd;
    bool ok_mean = uniform(p->mean, p->mean ? p->n_mean : 0, 0.0f, &mu);
    bool ok_std = uniform(p->std, p->std ? p->n_std : 0, 1.0f, &sd);
    if (reorder || !ok_mean || !ok_std)
        return rk_errf(e, RK_EUNSUPPORTED,
                       "input '%s' has rank %d (no channel axis: layout undefined), but the model %s; only a "
                       "uniform mean/std applies to such inputs",
                       name ? name : "?", ndim,
                       reorder ? "reorders its channels (channel_order / rgb2bgr)" : "gives per-channel mean/std");
    if (sd == 0.0f)
        sd = 1.0f; /* as rknn_input_prep_apply */
    if (mu != 0.0f || sd != 1.0f)
        for (int64_t i = 0; i < ne; i++)
            x[i] = (x[i] - mu) / sd;
    return RK_OK;
}
