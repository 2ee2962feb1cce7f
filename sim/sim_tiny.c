/*
 * sim_tiny.c - assembles datasets/tiny/tiny_conv_rk3588.rknn, the repo's
 * own example model (int8 Conv 3x3 + ReLU, 3 -> 8 channels, 8x8), from the
 * quantisation that datasets/make_tiny.py wrote to tiny_params.h5.  The
 * program is made with the register assembler (sim_asm.h: every field
 * packed by the ISA encoder) and wrapped with the container writer; the
 * graph mirrors the vendor files: InputOperator -> ConvRelu -> OutputOperator.
 */
#include "sim_tiny.h"

#include <stdlib.h>
#include <string.h>

#include "rk_tensorio.h"
#include "sim_asm.h"
#include "sim_regs.h"

static rk_status need(rk_tensor_list *l, const char *name, rk_dtype dt, int64_t n, const rk_tensor **t,
                      rk_err *e)
{
    *t = rk_tensor_list_find(l, name);
    if (!*t || (*t)->dtype != dt || (*t)->nelem != n)
        return rk_errf(e, RK_EINPUT, "tiny params: dataset '%s' missing or not %s[%lld]", name,
                       rk_dtype_name(dt), (long long)n);
    return RK_OK;
}

static rk_status add_tensor(rknn_model *m, const char *name, rk_dtype dt, uint8_t layout, uint8_t kind,
                            const int32_t *nat, uint32_t nn, const int32_t *shp, uint32_t ns, int64_t size,
                            int64_t pool_off, int32_t buf, const float *scale, const int32_t *zp,
                            uint32_t *idx, rk_err *e)
{
    rknn_tensor t;
    memset(&t, 0, sizeof(t));
    t.name = (char *)name;
    t.dtype = dt;
    t.dtype_raw = (uint8_t)dt;
    t.layout = layout;
    t.kind = kind;
    t.native_shape = (int32_t *)nat;
    t.n_native_shape = nn;
    t.shape = (int32_t *)shp;
    t.n_shape = ns;
    t.size = size;
    t.pool_offset = pool_off;
    t.buffer_index = buf;
    if (scale) {
        t.quant.method = (char *)"layer";
        t.quant.dtype = (char *)"int8";
        t.quant.scale = (float *)scale;
        t.quant.n_scale = 1;
        t.quant.zero_point = (int32_t *)zp;
        t.quant.n_zero_point = 1;
    }
    return rknn_add_tensor(m, &t, idx, e);
}

rk_status sim_tiny_build(const char *params_h5, rknn_model **out, rk_err *e)
{
    enum { C = 3, K = 8, H = 8, W = 8 };
    *out = NULL;
    rk_tensor_list p = {0};
    rknn_model *m = NULL;
    sim_asm a;
    sim_asm_init(&a, RK_SOC_RK3588);
    uint8_t *wn = NULL, *bs = NULL;
    size_t wl, bl;
    const rk_tensor *wq, *alu, *mul, *cvt, *inq, *outq;
    rk_status st;
    if ((st = rk_h5_read(params_h5, &p, e)) || (st = need(&p, "wq", RK_DT_I8, K * C * 9, &wq, e)) ||
        (st = need(&p, "alu", RK_DT_I32, K, &alu, e)) || (st = need(&p, "mul", RK_DT_I16, K, &mul, e)) ||
        (st = need(&p, "out_cvt", RK_DT_I32, 3, &cvt, e)) || (st = need(&p, "in_quant", RK_DT_F32, 2, &inq, e)) ||
        (st = need(&p, "out_quant", RK_DT_F32, 2, &outq, e)))
        goto out;
    if ((st = rknn_new("RKNPU v2", "rk3588", &m, e)) ||
        (st = sim_asm_pack_weights(RK_SOC_RK3588, SIM_PREC_INT8, false, K, C, 3, 3, wq->data, &wn, &wl, e)) ||
        (st = sim_asm_pack_bs(5, K, alu->data, NULL, mul->data, &bs, &bl, e)))
        goto out;
    const float *iq = inq->data, *oq = outq->data;
    float s_in = iq[0], s_out = oq[0];
    int32_t zp_in = (int32_t)iq[1], zp_out = (int32_t)oq[1];
    uint32_t ti_in, ti_out, ti_w, ti_b, bw, bb, n;
    int32_t nat_in[5] = {1, 1, H, W, 16}, shp_in[4] = {1, C, H, W};
    int32_t nat_out[5] = {1, 1, H, W, 16}, shp_out[4] = {1, K, H, W};
    int32_t nat_w[6] = {1, 1, 3, 3, K, 16}, shp_w[4] = {K, C, 3, 3};
    int32_t nat_b[1] = {(int32_t)(bl / 4)}, shp_b[1] = {K};
    if ((st = rknn_add_buffer(m, wn, wl, &bw, e)) || (st = rknn_add_buffer(m, bs, bl, &bb, e)) ||
        (st = add_tensor(m, "input", RK_DT_I8, RKNN_LAYOUT_NC1HWC2, RKNN_KIND_INPUT, nat_in, 5, shp_in, 4,
                         H * W * 16, 0, 0, &s_in, &zp_in, &ti_in, e)) ||
        (st = add_tensor(m, "output", RK_DT_I8, RKNN_LAYOUT_NC1HWC2, RKNN_KIND_OUTPUT, nat_out, 5, shp_out, 4,
                         H * W * 16, H * W * 16, 0, &s_out, &zp_out, &ti_out, e)) ||
        (st = add_tensor(m, "conv.weight", RK_DT_I8, RKNN_LAYOUT_NATIVE_WEIGHT, RKNN_KIND_CONST, nat_w, 6, shp_w,
                         4, (int64_t)wl, 0, (int32_t)bw, NULL, NULL, &ti_w, e)) ||
        (st = add_tensor(m, "conv.bias", RK_DT_I32, RKNN_LAYOUT_NONE, RKNN_KIND_CONST, nat_b, 1, shp_b, 1,
                         (int64_t)bl, 0, (int32_t)bb, NULL, NULL, &ti_b, e)))
        goto out;
    int32_t in_ins[1] = {(int32_t)ti_in}, conv_in[3] = {(int32_t)ti_in, (int32_t)ti_w, (int32_t)ti_b};
    int32_t conv_out[1] = {(int32_t)ti_out};
    rknn_node nodes[3];
    memset(nodes, 0, sizeof(nodes));
    nodes[0].type = (char *)"InputOperator";
    nodes[0].name = (char *)"InputOperator:input";
    nodes[0].outputs = in_ins;
    nodes[0].n_outputs = 1;
    nodes[1].type = (char *)"ConvRelu";
    nodes[1].name = (char *)"Conv:conv";
    nodes[1].inputs = conv_in;
    nodes[1].n_inputs = 3;
    nodes[1].outputs = conv_out;
    nodes[1].n_outputs = 1;
    nodes[2].type = (char *)"OutputOperator";
    nodes[2].name = (char *)"OutputOperator:output";
    nodes[2].inputs = conv_out;
    nodes[2].n_inputs = 1;
    for (int i = 0; i < 3; i++)
        if ((st = rknn_add_node(m, &nodes[i], &n, e)))
            goto out;
    if ((st = rknn_add_graph_input(m, (int32_t)ti_in, e)) || (st = rknn_add_graph_output(m, (int32_t)ti_out, e)))
        goto out;
    const int32_t *oc = cvt->data;
    sim_asm_conv c;
    memset(&c, 0, sizeof(c));
    c.prec = SIM_PREC_INT8;
    c.in_w = W;
    c.in_h = H;
    c.in_c = C;
    c.k = K;
    c.kw = c.kh = 3;
    c.sx = c.sy = 1;
    c.pad_top = c.pad_bottom = c.pad_left = c.pad_right = 1;
    c.pad_value = (uint32_t)zp_in;
    c.in_tensor = "input";
    c.w_tensor = "conv.weight";
    c.bs_tensor = "conv.bias";
    c.out_tensor = "output";
    c.bs_use = 5; /* ALU (bias) + MUL (per-channel scale) */
    c.bs_shift = c.bs_shift_neg = 14;
    c.relu = true;
    c.out_prec = SIM_PREC_INT8;
    c.out_scale = (int16_t)oc[0];
    c.out_shift = oc[1];
    c.out_offset = oc[2];
    sim_asm_conv_task(&a, &c, 1); /* node 1 = ConvRelu */
    st = sim_asm_install(&a, m, e);
out:
    free(wn);
    free(bs);
    sim_asm_free(&a);
    rk_tensor_list_free(&p);
    if (st) {
        rknn_free(m);
        return st;
    }
    *out = m;
    return RK_OK;
}
