/*
 * unit_ppu.c - PPU + PPU_RDMA: max / min / average pooling with padding,
 * reading its cube from memory (PPU_RDMA, OPERATION_MODE_CFG.FLYING_MODE=1).
 * Rules and sources: sim/SEMANTICS.md (P-* rules).
 */
#include "sim_internal.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

typedef struct ppu_cfg {
    int in_w, in_h, in_c, out_w, out_h, out_c;
    uint32_t method; /* 0 avg, 1 max, 2 min */
    bool from_mem;
    int kw, kh, sw, sh;
    int pl, pt, pr, pb;
    uint32_t recip_w, recip_h;
    int32_t pad_value;
    uint32_t prec;
    uint32_t src, dst;
    uint64_t src_line, src_surf, dst_surf;
} ppu_cfg;

static rk_status read_cfg(sim *s, ppu_cfg *p, uint32_t en, rk_err *e)
{
    rk_status st;
    p->in_w = (int)SIM_FLD(sim_reg(s, R_PPU_CUBE_IN_WIDTH), 12, 0) + 1;
    p->in_h = (int)SIM_FLD(sim_reg(s, R_PPU_CUBE_IN_HEIGHT), 12, 0) + 1;
    p->in_c = (int)SIM_FLD(sim_reg(s, R_PPU_CUBE_IN_CHANNEL), 12, 0) + 1;
    p->out_w = (int)SIM_FLD(sim_reg(s, R_PPU_CUBE_OUT_WIDTH), 12, 0) + 1;
    p->out_h = (int)SIM_FLD(sim_reg(s, R_PPU_CUBE_OUT_HEIGHT), 12, 0) + 1;
    p->out_c = (int)SIM_FLD(sim_reg(s, R_PPU_CUBE_OUT_CHANNEL), 12, 0) + 1;
    uint32_t mode = sim_reg(s, R_PPU_OPERATION_MODE_CFG);
    p->method = SIM_FLD(mode, 1, 0);
    p->from_mem = SIM_FLD(mode, 4, 4);
    if (p->method > 2)
        return sim_skip(s, e, "PPU_OPERATION_MODE_CFG.POOLING_METHOD = %u is not defined (0 avg, 1 max, 2 min)",
                           p->method);
    if (SIM_FLD(mode, 30, 30))
        if ((st = sim_problem(s, e, "PPU_OPERATION_MODE_CFG.INDEX_EN = 1 (pooling indices) is not simulated")))
            return st;
    if (!p->from_mem)
        return sim_skip(s, e, "PPU fed by the DPU (FLYING_MODE = 0) is not simulated; rksim pools from memory");
    if (!(en & SIM_EN_PPU_RDMA) || !(en & SIM_EN_PPU))
        return sim_skip(s, e, "PPU from memory needs both PPU and PPU_RDMA enabled (op_en 0x%x)", en);
    uint32_t k = sim_reg(s, R_PPU_POOLING_KERNEL_CFG);
    p->kw = (int)SIM_FLD(k, 3, 0) + 1;
    p->kh = (int)SIM_FLD(k, 11, 8) + 1;
    p->sw = (int)SIM_FLD(k, 19, 16) + 1;
    p->sh = (int)SIM_FLD(k, 23, 20) + 1;
    uint32_t pad = sim_reg(s, R_PPU_POOLING_PADDING_CFG);
    p->pl = (int)SIM_FLD(pad, 2, 0);
    p->pt = (int)SIM_FLD(pad, 6, 4);
    p->pr = (int)SIM_FLD(pad, 10, 8);
    p->pb = (int)SIM_FLD(pad, 14, 12);
    p->recip_w = SIM_FLD(sim_reg(s, R_PPU_RECIP_KERNEL_WIDTH), 16, 0);
    p->recip_h = SIM_FLD(sim_reg(s, R_PPU_RECIP_KERNEL_HEIGHT), 16, 0);
    p->pad_value = (int32_t)sim_reg(s, R_PPU_PADDING_VALUE_1);
    p->prec = SIM_FLD(sim_reg(s, R_PPU_DATA_FORMAT), 2, 0);
    if (p->prec != SIM_PREC_INT8 && p->prec != SIM_PREC_FP16)
        return sim_skip(s, e, "PPU_DATA_FORMAT.PROC_PRECISION = %u (%s) is not simulated", p->prec,
                           sim_prec_name(p->prec));
    uint32_t rin = SIM_FLD(sim_reg(s, R_PPU_RDMA_DATA_FORMAT), 1, 0);
    uint32_t want = p->prec == SIM_PREC_INT8 ? 1u : 2u;
    if (rin != want)
        if ((st = sim_problem(s, e, "PPU_RDMA_DATA_FORMAT.IN_PRECISION = %u but PPU precision is %s", rin,
                              sim_prec_name(p->prec))))
            return st;
    int rw = (int)SIM_FLD(sim_reg(s, R_PPU_RDMA_CUBE_IN_WIDTH), 12, 0) + 1;
    int rh = (int)SIM_FLD(sim_reg(s, R_PPU_RDMA_CUBE_IN_HEIGHT), 12, 0) + 1;
    int rc = (int)SIM_FLD(sim_reg(s, R_PPU_RDMA_CUBE_IN_CHANNEL), 12, 0) + 1;
    if (rw != p->in_w || rh != p->in_h || rc != p->in_c)
        return sim_skip(s, e, "PPU_RDMA cube %dx%dx%d differs from the PPU input cube %dx%dx%d", rw, rh, rc,
                           p->in_w, p->in_h, p->in_c);
    if (p->out_c != p->in_c)
        return sim_skip(s, e, "PPU output channels %d differ from input channels %d", p->out_c, p->in_c);
    p->src = sim_reg(s, R_PPU_RDMA_SRC_BASE_ADDR);
    p->src_line = sim_reg(s, R_PPU_RDMA_SRC_LINE_STRIDE) & ~0xFu;
    p->src_surf = sim_reg(s, R_PPU_RDMA_SRC_SURF_STRIDE) & ~0xFu;
    p->dst = sim_reg(s, R_PPU_DST_BASE_ADDR) & ~0xFu;
    p->dst_surf = sim_reg(s, R_PPU_DST_SURF_STRIDE) & ~0xFu;
    int need_w = (p->out_w - 1) * p->sw + p->kw, need_h = (p->out_h - 1) * p->sh + p->kh;
    if (need_w > p->in_w + p->pl + p->pr || need_h > p->in_h + p->pt + p->pb)
        if ((st = sim_problem(s, e, "PPU output %dx%d needs a %dx%d window span but the padded input is %dx%d",
                              p->out_w, p->out_h, need_w, need_h, p->in_w + p->pl + p->pr,
                              p->in_h + p->pt + p->pb)))
            return st;
    return RK_OK;
}

static float load_val(const uint8_t *q, uint32_t prec)
{
    if (prec == SIM_PREC_INT8)
        return (float)(int8_t)q[0];
    return rk_f16_to_f32((uint16_t)(q[0] | (q[1] << 8)));
}

rk_status sim_unit_ppu(sim *s, uint32_t en, rk_err *e)
{
    ppu_cfg p;
    memset(&p, 0, sizeof(p));
    rk_status st = read_cfg(s, &p, en, e);
    if (st)
        return st;
    if (s->skip_unit) {
        s->skip_unit = false;
        return RK_OK;
    }
    int c2 = sim_prec_c2(p.prec);
    size_t es = sim_prec_bytes(p.prec);
    int c1 = (p.in_c + c2 - 1) / c2;
    uint64_t src_ext = (uint64_t)(c1 - 1) * p.src_surf + (uint64_t)(p.in_h - 1) * p.src_line +
                       (uint64_t)p.in_w * 16;
    uint64_t dst_line = (uint64_t)p.out_w * 16;
    uint64_t dst_ext = (uint64_t)(c1 - 1) * p.dst_surf + (uint64_t)(p.out_h - 1) * dst_line +
                       (uint64_t)p.out_w * 16;
    uint8_t *src, *dst;
    /* destination first: if it copies a borrowed region, the source then
     * reads that same copy */
    if ((st = sim_dma_write(s, p.dst, dst_ext, "PPU_DST_BASE_ADDR", &dst, e)) ||
        (st = sim_dma(s, p.src, src_ext, "PPU_RDMA_SRC_BASE_ADDR", &src, e)))
        return st;
    float padv = p.prec == SIM_PREC_INT8 ? (float)(int8_t)(p.pad_value & 0xFF)
                                         : rk_f16_to_f32((uint16_t)(p.pad_value & 0xFFFF));
    for (int c = 0; c < p.in_c; c++) {
        const uint8_t *sp = src + (uint64_t)(c / c2) * p.src_surf + (uint64_t)(c % c2) * es;
        uint8_t *dp = dst + (uint64_t)(c / c2) * p.dst_surf + (uint64_t)(c % c2) * es;
        for (int oy = 0; oy < p.out_h; oy++)
            for (int ox = 0; ox < p.out_w; ox++) {
                double acc = p.method == 0 ? 0.0 : (p.method == 1 ? -DBL_MAX : DBL_MAX);
                for (int ky = 0; ky < p.kh; ky++)
                    for (int kx = 0; kx < p.kw; kx++) {
                        int iy = oy * p.sh + ky - p.pt, ix = ox * p.sw + kx - p.pl;
                        float v = (iy < 0 || ix < 0 || iy >= p.in_h || ix >= p.in_w)
                                      ? padv
                                      : load_val(sp + (uint64_t)iy * p.src_line + (uint64_t)ix * 16, p.prec);
                        if (p.method == 0)
                            acc += v;
                        else if (p.method == 1)
                            acc = v > acc ? v : acc;
                        else
                            acc = v < acc ? v : acc;
                    }
                uint8_t *q = dp + (uint64_t)oy * dst_line + (uint64_t)ox * 16;
                if (p.prec == SIM_PREC_INT8) {
                    int64_t r;
                    if (p.method == 0) {
                        /* sum * recip_w * recip_h / 2^32, recip = 2^16/k
                         * (TRM), rounded half up (inferred) */
                        int64_t prod = (int64_t)acc * (int64_t)p.recip_w;
                        prod = sim_round_shift(prod, 16, true) * (int64_t)p.recip_h;
                        r = sim_round_shift(prod, 16, true);
                    } else {
                        r = (int64_t)acc;
                    }
                    q[0] = (uint8_t)(int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
                } else {
                    float f = (float)acc;
                    if (p.method == 0)
                        f = (float)(acc * (p.recip_w / 65536.0) * (p.recip_h / 65536.0));
                    uint16_t h = rk_f32_to_f16(f);
                    q[0] = (uint8_t)h;
                    q[1] = (uint8_t)(h >> 8);
                }
            }
    }
    s->stats.ppu_elems += (uint64_t)p.out_w * p.out_h * p.in_c;
    return RK_OK;
}
