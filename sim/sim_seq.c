/*
 * sim_seq.c - the PC sequencer: walks a task chain as the NPU's PC block
 * does and applies each register write to the register file; an op_en
 * entry runs the enabled functional units on the current register state.
 *
 * Fetch rule (BSP rknpu_job_subcore_commit_pc, npu-isa.md 1.2/1.3): the
 * first segment is fetched with PC_DATA_AMOUNT computed from the task
 * descriptor's regcfg_amount; every later segment's address and amount come
 * from the previous segment's tail (PC_BASE_ADDRESS, PC_REGISTER_AMOUNTS).
 * A segment of amount A holds (A+1)*scale entries, scale = 2 on RK3588
 * (128-bit units) and 1 on RK3566 [BSP; verified on vendor streams, §7.1].
 */
#include "sim_internal.h"

#include <stdio.h>
#include <string.h>

rk_status sim_after_task(sim *s, size_t task, rk_err *e);

static const char *layer_of(const sim *s, size_t task)
{
    long n = s->task_node[task];
    if (n < 0)
        return "";
    const char *name = s->g->nodes[n].name;
    return name ? name : "";
}

/* Check one register write against the SoC's register map. */
static rk_status check_write(sim *s, isa_block blk, const isa_regcmd *c, rk_err *e)
{
    isa_block ob = isa_block_of_offset(c->reg);
    if (ob != blk)
        return sim_problem(s, e, "regcmd target 0x%04x (%s) writes offset 0x%04x of block %s",
                           c->target, isa_block_name(blk), c->reg, isa_block_name(ob));
    if (!isa_soc_has_block(s->soc, blk))
        return sim_problem(s, e, "register 0x%04x: block %s does not exist on %s", c->reg,
                           isa_block_name(blk), rk_soc_name(s->soc));
    size_t n = 0;
    isa_reg_table(s->soc, &n);
    if (n && !isa_reg_lookup(s->soc, c->reg))
        return sim_problem(s, e, "unknown register 0x%04x (block %s) written with 0x%08x",
                           c->reg, isa_block_name(blk), c->value);
    return RK_OK;
}

static rk_status run_units(sim *s, uint32_t en, rk_err *e)
{
    rk_status st = RK_OK;
    uint32_t known = SIM_EN_CNA | SIM_EN_CORE | SIM_EN_DPU | SIM_EN_DPU_RDMA | SIM_EN_PPU |
                     SIM_EN_PPU_RDMA | (s->soc == RK_SOC_RK3566 ? SIM_EN_B2000 : 0);
    if (en & ~known)
        if ((st = sim_problem(s, e, "op_en mask 0x%x sets unknown block bits 0x%x", en, en & ~known)))
            return st;
    bool conv = (en & (SIM_EN_CNA | SIM_EN_CORE)) != 0;
    if (conv) {
        if ((en & (SIM_EN_CNA | SIM_EN_CORE | SIM_EN_DPU)) != (SIM_EN_CNA | SIM_EN_CORE | SIM_EN_DPU))
            return sim_problem(s, e, "op_en mask 0x%x runs CNA/CORE without the DPU: the "
                               "accumulators would have no consumer", en);
        if ((st = sim_unit_conv(s, en, e)))
            return st;
    }
    if (en & SIM_EN_DPU)
        if ((st = sim_unit_dpu(s, en, e)))
            return st;
    if (en & (SIM_EN_PPU | SIM_EN_PPU_RDMA))
        if ((st = sim_unit_ppu(s, en, e)))
            return st;
    /* Each enabled block flips to its other register group (PC is not
     * shadowed).  Block windows: CNA 1, 0x2000 block 2, CORE 3, DPU 4,
     * DPU_RDMA 5, PPU 6, PPU_RDMA 7. */
    static const struct { uint32_t bit; int win; } flips[] = {
        {SIM_EN_CNA, 1}, {SIM_EN_B2000, 2}, {SIM_EN_CORE, 3}, {SIM_EN_DPU, 4},
        {SIM_EN_DPU_RDMA, 5}, {SIM_EN_PPU, 6}, {SIM_EN_PPU_RDMA, 7}};
    for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++)
        if (en & flips[i].bit)
            s->bank[flips[i].win] ^= 1;
    return RK_OK;
}

rk_status sim_seq_run_chain(sim *s, size_t head, rk_err *e)
{
    unsigned scale = s->soc_info && s->soc_info->pc_amount_scale ? s->soc_info->pc_amount_scale
                     : (s->soc == RK_SOC_RK3588 ? 2u : 1u);
    size_t ti = head;
    /* First segment: the amount the driver programs from the descriptor. */
    uint64_t amount = (s->tasks[ti].regcfg_amount + 4u + scale - 1u) / scale - 1u;
    size_t guard = 0;
    rk_status st;
    for (;;) {
        const rknn_task *t = &s->tasks[ti];
        s->where.task = (long)ti;
        s->where.layer = layer_of(s, ti);
        if (s->opt.before_task)
            s->opt.before_task(s->opt.progress_user, ti, s->where.layer);
        if (t->regcmd_addr % 8)
            return sim_fail(s, e, RK_EINPUT, "regcmd_addr 0x%llx is not 8-byte aligned",
                            (unsigned long long)t->regcmd_addr);
        size_t first = (size_t)(t->regcmd_addr / 8);
        size_t count = (size_t)((amount + 1) * scale);
        if (first + count > s->n_regcmd) {
            /* The last segment may end flush with the buffer on RK3588
             * (padding entry not stored); fetch only what exists. */
            if (first + t->regcfg_amount + 4 > s->n_regcmd)
                return sim_fail(s, e, RK_EINPUT,
                                "segment of %zu entries at entry %zu runs past the %zu-entry command stream",
                                count, first, s->n_regcmd);
            count = s->n_regcmd - first;
        }
        if (count < (size_t)t->regcfg_amount + 4)
            if ((st = sim_problem(s, e, "PC fetches %zu entries but the task descriptor has %u + 4",
                                  count, t->regcfg_amount)))
                return st;
        uint32_t next_addr = 0, next_amount = 0;
        bool ran = false;
        for (size_t k = first; k < first + count; k++) {
            isa_regcmd c = isa_regcmd_decode(s->regcmd[k]);
            isa_block blk;
            isa_target_kind kind = isa_target_classify(c.target, &blk);
            switch (kind) {
            case ISA_TGT_NOP:
            case ISA_TGT_MARKER:
                break;
            case ISA_TGT_BLOCK:
                if ((st = check_write(s, blk, &c, e)))
                    return st;
                if (c.reg >= 0x8000 || (c.reg & 3)) {
                    if ((st = sim_problem(s, e, "register offset 0x%04x is outside the register file",
                                          c.reg)))
                        return st;
                    break;
                }
                if ((c.reg & 0xFFF) <= 0x8) {
                    /* S_STATUS / S_POINTER / OPERATION_ENABLE are not shadowed */
                    s->regs[0][c.reg >> 2] = s->regs[1][c.reg >> 2] = c.value;
                } else {
                    s->regs[s->bank[c.reg >> 12]][c.reg >> 2] = c.value;
                }
                s->written[c.reg >> 2] = true;
                s->stats.regwrites++;
                if (c.reg == R_DPU_LUT_ACCESS_CFG || c.reg == R_DPU_LUT_ACCESS_DATA)
                    if ((st = sim_lut_access(s, c.reg, c.value, e)))
                        return st;
                if (blk == ISA_BLK_PC && c.reg == R_PC_BASE_ADDRESS)
                    next_addr = c.value & ~0xFu;
                else if (blk == ISA_BLK_PC && c.reg == R_PC_REGISTER_AMOUNTS)
                    next_amount = c.value & 0xFFFFu;
                break;
            case ISA_TGT_OP_EN:
                if (c.value != t->enable_mask)
                    if ((st = sim_problem(s, e, "op_en value 0x%x differs from the task's enable_mask 0x%x",
                                          c.value, t->enable_mask)))
                        return st;
                if ((st = run_units(s, c.value, e)))
                    return st;
                if ((st = sim_after_task(s, ti, e)))
                    return st;
                ran = true;
                break;
            default:
                if ((st = sim_problem(s, e, "regcmd entry %zu has unknown target 0x%04x", k, c.target)))
                    return st;
                break;
            }
        }
        if (!ran)
            if ((st = sim_problem(s, e, "segment has no op_en entry; nothing ran")))
                return st;
        if (!next_addr)
            return RK_OK;
        long nt = sim_task_at_offset(s, next_addr, ti);
        if (nt < 0)
            return sim_fail(s, e, RK_EINPUT, "PC_BASE_ADDRESS 0x%x is not the start of any task",
                            next_addr);
        if (++guard > s->n_tasks)
            return sim_fail(s, e, RK_EINPUT, "PC chain from task %zu does not terminate", head);
        ti = (size_t)nt;
        amount = next_amount;
    }
}
