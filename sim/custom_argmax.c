/*
 * custom_argmax.c - ArgMax as the pp_human_segv2_custom_argmax demo runs it
 * on the host (rknn_custom_gpu_op_demo): the index of the largest value
 * along `axis` (default 1, the channel axis), first index on ties (ONNX
 * ArgMax with select_last_index=0), keepdims 1 unless the attribute says 0.
 * The output shape comes from the graph; its element count must equal the
 * input's divided by the reduced axis.
 */
#include "custom.h"

static rk_status argmax(const rknn_node *node, const rk_tensor *in, int n_in, rk_tensor *out, int n_out,
                        rk_err *e)
{
    const char *nm = node->name ? node->name : "";
    if (n_in < 1 || n_out != 1)
        return rk_errf(e, RK_EINPUT, "ArgMax '%s': needs 1 input and 1 output", nm);
    int axis = (int)sim_custom_attr_number(node, "axis", 1.0, NULL);
    if (axis < 0)
        axis += in[0].ndim;
    if (axis < 0 || axis >= in[0].ndim)
        return rk_errf(e, RK_EINPUT, "ArgMax '%s': axis %d outside a %d-d input", nm, axis, in[0].ndim);
    int64_t outer = 1, inner = 1, n = in[0].dims[axis];
    for (int d = 0; d < axis; d++)
        outer *= in[0].dims[d];
    for (int d = axis + 1; d < in[0].ndim; d++)
        inner *= in[0].dims[d];
    if (out[0].nelem != outer * inner)
        return rk_errf(e, RK_EINPUT, "ArgMax '%s': output has %lld elements, expected %lld", nm,
                       (long long)out[0].nelem, (long long)(outer * inner));
    const float *x = in[0].data;
    float *o = out[0].data;
    for (int64_t a = 0; a < outer; a++)
        for (int64_t b = 0; b < inner; b++) {
            const float *p = x + a * n * inner + b;
            int64_t best = 0;
            for (int64_t k = 1; k < n; k++)
                if (p[k * inner] > p[best * inner])
                    best = k;
            o[a * inner + b] = (float)best;
        }
    return RK_OK;
}

const sim_custom_op sim_custom_argmax = {
    "ArgMax", argmax,
    "ONNX ArgMax (axis, keepdims, first index); run on the host by rknn_custom_gpu_op_demo"};
