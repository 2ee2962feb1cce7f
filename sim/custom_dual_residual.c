/*
 * custom_dual_residual.c - cstDualResidual, the custom op of the
 * rknn_custom_pytorch_op_demo.  Semantics (public example source
 * airockchip/rknn-toolkit2 rknpu2/examples/rknn_custom_op_demo/
 * rknn_custom_pytorch_op_demo/src/rknn_api_test_custom_pytorch_op.cpp and
 * the toolkit example's Python compute()): with x, y the two inputs and
 * alpha the node attribute,
 *     out0 = x * alpha - y,   out1 = y * alpha - x,
 * computed in float32 element by element.
 */
#include "custom.h"

static rk_status dual_residual(const rknn_node *node, const rk_tensor *in, int n_in, rk_tensor *out,
                               int n_out, rk_err *e)
{
    if (n_in != 2 || n_out != 2)
        return rk_errf(e, RK_EINPUT, "cstDualResidual '%s': needs 2 inputs and 2 outputs, has %d and %d",
                       node->name ? node->name : "", n_in, n_out);
    if (in[0].nelem != in[1].nelem || out[0].nelem != in[0].nelem || out[1].nelem != in[0].nelem)
        return rk_errf(e, RK_EINPUT, "cstDualResidual '%s': inputs and outputs differ in size",
                       node->name ? node->name : "");
    bool found = false;
    double a = sim_custom_attr_number(node, "alpha", 0.0, &found);
    if (!found)
        return rk_errf(e, RK_EINPUT, "cstDualResidual '%s': attribute 'alpha' is missing",
                       node->name ? node->name : "");
    float alpha = (float)a;
    const float *x = in[0].data, *y = in[1].data;
    float *o0 = out[0].data, *o1 = out[1].data;
    for (int64_t i = 0; i < in[0].nelem; i++) {
        o0[i] = x[i] * alpha - y[i];
        o1[i] = y[i] * alpha - x[i];
    }
    return RK_OK;
}

const sim_custom_op sim_custom_dual_residual = {
    "cstDualResidual", dual_residual,
    "rknn_custom_pytorch_op_demo/src/rknn_api_test_custom_pytorch_op.cpp (public example)"};
