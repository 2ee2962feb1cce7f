/*
 * isa_task.c - the PC task chain: walking a regcmd buffer task by task and
 * checking each task's 4-entry PC tail (PC_BASE_ADDRESS, PC_REGISTER_AMOUNTS,
 * 0x0041 marker, op_en) against the task table (npu-isa.md §1.2, §1.3, §7.1).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa_internal.h"

#define PC_BASE_ADDRESS_REG 0x0010u
#define PC_REGISTER_AMOUNTS_REG 0x0014u

bool isa_pc_amount_for(rk_soc soc, uint32_t next_regcfg_amount, uint32_t *amount)
{
    const isa_soc_info *info = isa_soc_info_get(soc);
    if (!info || info->pc_amount_scale == 0)
        return false;
    /* BSP: (regcfg_amount + RKNPU_PC_DATA_EXTRA_AMOUNT(4) + scale-1)/scale - 1;
     * checked on vendor streams: RK3588 126 -> 64, RK3566 133 -> 136. */
    uint64_t n = (uint64_t)next_regcfg_amount + ISA_PC_TAIL_ENTRIES;
    uint64_t a = (n + info->pc_amount_scale - 1) / info->pc_amount_scale - 1;
    *amount = (uint32_t)a;
    return true;
}

void isa_task_iter_init(isa_task_iter *it, rk_soc soc, const uint64_t *words, size_t n_words,
                        const isa_task_desc *tasks, size_t n_tasks)
{
    memset(it, 0, sizeof *it);
    it->soc = soc;
    it->words = words;
    it->n_words = n_words;
    it->tasks = tasks;
    it->n_tasks = n_tasks;
}

static bool is_pc_write(uint64_t w, uint16_t reg)
{
    isa_regcmd c = isa_regcmd_decode(w);
    return c.target == ISA_TARGET_PC && c.reg == reg;
}

/* Fill the tail-derived members of a view whose 4 tail entries exist. */
static void read_tail(isa_task_view *v)
{
    const uint64_t *t = v->entries + v->n_body;
    if (is_pc_write(t[0], PC_BASE_ADDRESS_REG)) {
        v->chains = true;
        v->next_addr = isa_regcmd_decode(t[0]).value & 0xFFFFFFF0u; /* PC_SOURCE_ADDR[31:4] */
    }
    if (is_pc_write(t[1], PC_REGISTER_AMOUNTS_REG))
        v->next_amount = isa_regcmd_decode(t[1]).value & 0xFFFFu; /* PC_DATA_AMOUNT[15:0] */
    if (isa_regcmd_decode(t[3]).target == ISA_TARGET_OP_EN)
        v->op_en_mask = isa_regcmd_decode(t[3]).value;
}

bool isa_task_iter_next(isa_task_iter *it, isa_task_view *v)
{
    if (it->next >= it->n_tasks)
        return false;
    memset(v, 0, sizeof *v);
    v->index = it->next++;
    v->desc = &it->tasks[v->index];
    uint64_t addr = v->desc->regcmd_addr;
    size_t first = addr / 8 < it->n_words ? (size_t)(addr / 8) : it->n_words;
    v->first_entry = first;
    v->entries = it->words + first;
    size_t avail = it->n_words - first;
    v->n_body = RK_MIN((size_t)v->desc->regcfg_amount, avail);
    v->has_tail = (addr % 8 == 0) && v->n_body == v->desc->regcfg_amount &&
                  avail - v->n_body >= ISA_PC_TAIL_ENTRIES;
    if (v->has_tail)
        read_tail(v);
    return true;
}

static void report(isa_chain_cb cb, void *user, size_t *count, isa_chain_kind kind, size_t task,
                   size_t entry, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void report(isa_chain_cb cb, void *user, size_t *count, isa_chain_kind kind, size_t task,
                   size_t entry, const char *fmt, ...)
{
    isa_chain_issue is;
    is.kind = kind;
    is.task = task;
    is.entry = entry;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(is.msg, sizeof is.msg, fmt, ap);
    va_end(ap);
    (*count)++;
    if (cb)
        cb(&is, user);
}

/* Index of the task whose body starts at byte address `addr`, preferring
 * `hint` (chains normally go to the next task); SIZE_MAX if none. */
static size_t task_at(const isa_task_desc *tasks, size_t n, uint64_t addr, size_t hint)
{
    if (hint < n && tasks[hint].regcmd_addr == addr)
        return hint;
    for (size_t j = 0; j < n; j++)
        if (tasks[j].regcmd_addr == addr)
            return j;
    return SIZE_MAX;
}

static bool tail_shape_ok(const uint64_t *t)
{
    isa_regcmd c0 = isa_regcmd_decode(t[0]);
    bool base_ok = t[0] == 0 || (c0.target == ISA_TARGET_PC && c0.reg == PC_BASE_ADDRESS_REG);
    return base_ok && is_pc_write(t[1], PC_REGISTER_AMOUNTS_REG) &&
           isa_regcmd_decode(t[2]).target == ISA_TARGET_MARKER &&
           isa_regcmd_decode(t[3]).target == ISA_TARGET_OP_EN;
}

static void check_one(rk_soc soc, const isa_task_view *v, const isa_task_desc *tasks,
                      size_t n_tasks, isa_chain_cb cb, void *user, size_t *count)
{
    size_t tail = v->first_entry + v->n_body;
    if (v->desc->regcmd_addr % 8 != 0) {
        report(cb, user, count, ISA_CHAIN_TASK_MISALIGNED, v->index, SIZE_MAX,
               "task %zu: regcmd_addr 0x%llx is not a multiple of 8", v->index,
               (unsigned long long)v->desc->regcmd_addr);
        return;
    }
    if (!v->has_tail) {
        report(cb, user, count, ISA_CHAIN_TASK_OUT_OF_RANGE, v->index, SIZE_MAX,
               "task %zu: body of %u entries at regcmd_addr 0x%llx plus the 4-entry PC tail "
               "runs past the end of the regcmd buffer",
               v->index, v->desc->regcfg_amount, (unsigned long long)v->desc->regcmd_addr);
        return;
    }
    if (!tail_shape_ok(v->entries + v->n_body)) {
        report(cb, user, count, ISA_CHAIN_BAD_TAIL, v->index, tail,
               "task %zu: entries %zu..%zu are not the PC tail (PC_BASE_ADDRESS or 0, "
               "PC_REGISTER_AMOUNTS, 0x0041 marker, 0x0081 op_en); regcfg_amount %u may be wrong",
               v->index, tail, tail + 3, v->desc->regcfg_amount);
        return;
    }
    if (v->op_en_mask != v->desc->enable_mask)
        report(cb, user, count, ISA_CHAIN_ENABLE_MISMATCH, v->index, tail + 3,
               "task %zu: op_en entry enables block mask 0x%x but the task table says "
               "enable_mask 0x%x",
               v->index, v->op_en_mask, v->desc->enable_mask);
    if (!v->chains) {
        if (v->next_amount != 0)
            report(cb, user, count, ISA_CHAIN_AMOUNT_WITHOUT_NEXT, v->index, tail + 1,
                   "task %zu: no PC_BASE_ADDRESS (chain ends) but PC_DATA_AMOUNT is %u",
                   v->index, v->next_amount);
        return;
    }
    size_t j = task_at(tasks, n_tasks, v->next_addr, v->index + 1);
    if (j == SIZE_MAX) {
        report(cb, user, count, ISA_CHAIN_BAD_NEXT_ADDR, v->index, tail,
               "task %zu: PC_BASE_ADDRESS 0x%x is not the start of any task in the task table",
               v->index, v->next_addr);
        return;
    }
    uint32_t want;
    if (isa_pc_amount_for(soc, tasks[j].regcfg_amount, &want) && want != v->next_amount) {
        const isa_soc_info *info = isa_soc_info_get(soc);
        report(cb, user, count, ISA_CHAIN_BAD_AMOUNT, v->index, tail + 1,
               "task %zu: PC_DATA_AMOUNT %u for next task %zu (%u body entries), but %s counts "
               "%s and expects %u",
               v->index, v->next_amount, j, tasks[j].regcfg_amount, rk_soc_name(soc),
               info->pc_amount_scale == 2 ? "128-bit pairs: ceil((n+4)/2)-1" : "64-bit entries: n+3",
               want);
    }
}

size_t isa_chain_check(rk_soc soc, const uint64_t *words, size_t n_words,
                       const isa_task_desc *tasks, size_t n_tasks, isa_chain_cb cb, void *user,
                       rk_err *e)
{
    if (!isa_soc_info_get(soc)) {
        rk_errf(e, RK_EUSAGE, "cannot check the task chain for unknown SoC");
        return SIZE_MAX;
    }
    size_t count = 0;
    isa_task_iter it;
    isa_task_view v;
    isa_task_iter_init(&it, soc, words, n_words, tasks, n_tasks);
    while (isa_task_iter_next(&it, &v))
        check_one(soc, &v, tasks, n_tasks, cb, user, &count);
    return count;
}

size_t isa_task_of_entry(const isa_task_desc *tasks, size_t n_tasks, size_t entry)
{
    for (size_t i = 0; i < n_tasks; i++) {
        uint64_t first = tasks[i].regcmd_addr / 8;
        uint64_t end = first + tasks[i].regcfg_amount + ISA_PC_TAIL_ENTRIES;
        if (entry >= first && entry < end)
            return i;
    }
    return SIZE_MAX;
}

rk_status isa_task_discover(const uint64_t *words, size_t n_words, isa_task_desc **out,
                            size_t *n_tasks, rk_err *e)
{
    *out = NULL;
    *n_tasks = 0;
    size_t cap = 0, n = 0;
    isa_task_desc *t = NULL;
    size_t start = 0;
    while (start < n_words && words[start] == 0)
        start++;
    for (size_t k = start; k < n_words; k++) {
        if (isa_regcmd_decode(words[k]).target != ISA_TARGET_OP_EN || k < start + 3)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            isa_task_desc *nt = rk_calloc_array(cap, sizeof *nt);
            if (!nt) {
                free(t);
                return rk_errf(e, RK_ENOMEM, "out of memory discovering tasks");
            }
            if (t)
                memcpy(nt, t, n * sizeof *t);
            free(t);
            t = nt;
        }
        memset(&t[n], 0, sizeof t[n]);
        t[n].regcmd_addr = (uint64_t)start * 8;
        t[n].regcfg_amount = (uint32_t)(k - 3 - start);
        t[n].enable_mask = isa_regcmd_decode(words[k]).value;
        t[n].op_idx = UINT32_MAX; /* unknown: no task table */
        n++;
        start = k + 1;
        while (start < n_words && words[start] == 0)
            start++;
        k = start - 1; /* the loop's k++ resumes at the next task's first entry */
    }
    *out = t;
    *n_tasks = n;
    return RK_OK;
}
