/*
 * isa_db.c - SoC names, blocks and targets, register/field lookup and
 * checked field packing over the generated tables (isa_tables.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "isa_internal.h"

/* ---- SoC identity ------------------------------------------------------ */

/* Accepted spellings.  The .rknn "runtime" field holds "rk3566" / "rk3588"
 * (rknn-format.md §1.4); toolkit target_platform names add rk3568, rk3562,
 * rk3576; "rk356x" is the BSP's name for the family. */
static const struct {
    const char *name;
    rk_soc soc;
} k_soc_names[] = {
    {"rk3588", RK_SOC_RK3588},        {"rk3588s", RK_SOC_RK3588},
    {"rk3566", RK_SOC_RK3566},        {"rk3568", RK_SOC_RK3566},
    {"rk356x", RK_SOC_RK3566},        {"rk3566_rk3568", RK_SOC_RK3566},
    {"rk3566_3568", RK_SOC_RK3566},   {"rk3562", RK_SOC_RK3562},
    {"rk3576", RK_SOC_RK3576},
};

rk_soc rk_soc_from_name(const char *name)
{
    if (!name)
        return RK_SOC_UNKNOWN;
    for (size_t i = 0; i < RK_ARRAY_LEN(k_soc_names); i++)
        if (strcasecmp(name, k_soc_names[i].name) == 0)
            return k_soc_names[i].soc;
    return RK_SOC_UNKNOWN;
}

const char *rk_soc_name(rk_soc soc)
{
    switch (soc) {
    case RK_SOC_RK3588: return "rk3588";
    case RK_SOC_RK3566: return "rk3566";
    case RK_SOC_RK3562: return "rk3562";
    case RK_SOC_RK3576: return "rk3576";
    default: return "unknown";
    }
}

const char *rk_soc_accepted_names(void)
{
    return "rk3588, rk3588s, rk3566, rk3568, rk356x, rk3562, rk3576";
}

const char *rk_soc_target_string(rk_soc soc)
{
    const isa_db *db = isa_db_get(soc);
    return db ? db->target_string : NULL;
}

rk_soc rk_soc_from_target_string(const char *s)
{
    if (!s)
        return RK_SOC_UNKNOWN;
    for (size_t i = 0; i < isa_gen_n_dbs; i++)
        if (isa_gen_dbs[i].target_string && strcasecmp(s, isa_gen_dbs[i].target_string) == 0)
            return isa_gen_dbs[i].soc;
    return RK_SOC_UNKNOWN;
}

rk_soc rk_soc_from_format_string(const char *format)
{
    if (!format)
        return RK_SOC_UNKNOWN;
    if (strncasecmp(format, "RKNPU ", 6) == 0)
        return rk_soc_from_target_string(format + 6);
    return rk_soc_from_target_string(format);
}

const isa_db *isa_db_get(rk_soc soc)
{
    for (size_t i = 0; i < isa_gen_n_dbs; i++)
        if (isa_gen_dbs[i].soc == soc)
            return &isa_gen_dbs[i];
    return NULL;
}

const isa_soc_info *isa_soc_info_get(rk_soc soc)
{
    const isa_db *db = isa_db_get(soc);
    return db ? db->info : NULL;
}

bool isa_soc_has_block(rk_soc soc, isa_block blk)
{
    const isa_soc_info *info = isa_soc_info_get(soc);
    return info && blk > ISA_BLK_NONE && blk < ISA_BLK_COUNT &&
           (info->blocks_present & (1u << blk)) != 0;
}

/* ---- blocks and targets ------------------------------------------------ */

/* Block table (npu-isa.md §1.1, §2.1): name, 4 KB window base, regcmd target. */
static const struct {
    const char *name;
    uint16_t base;
    uint16_t target;
} k_blocks[ISA_BLK_COUNT] = {
    [ISA_BLK_NONE] = {"NONE", 0xFFFF, 0},
    [ISA_BLK_PC] = {"PC", 0x0000, ISA_TARGET_PC},
    [ISA_BLK_CNA] = {"CNA", 0x1000, ISA_TARGET_CNA},
    [ISA_BLK_B2000] = {"B2000", 0x2000, ISA_TARGET_B2000},
    [ISA_BLK_CORE] = {"CORE", 0x3000, ISA_TARGET_CORE},
    [ISA_BLK_DPU] = {"DPU", 0x4000, ISA_TARGET_DPU},
    [ISA_BLK_DPU_RDMA] = {"DPU_RDMA", 0x5000, ISA_TARGET_DPU_RDMA},
    [ISA_BLK_PPU] = {"PPU", 0x6000, ISA_TARGET_PPU},
    [ISA_BLK_PPU_RDMA] = {"PPU_RDMA", 0x7000, ISA_TARGET_PPU_RDMA},
    [ISA_BLK_DDMA] = {"DDMA", 0x8000, 0},
    [ISA_BLK_SDMA] = {"SDMA", 0x9000, 0},
    [ISA_BLK_GLOBAL] = {"GLOBAL", 0xF000, 0},
};

const char *isa_block_name(isa_block blk)
{
    return blk < ISA_BLK_COUNT ? k_blocks[blk].name : "NONE";
}

isa_block isa_block_of_offset(uint16_t offset)
{
    for (int b = ISA_BLK_PC; b < ISA_BLK_COUNT; b++)
        if ((offset & 0xF000u) == k_blocks[b].base)
            return (isa_block)b;
    return ISA_BLK_NONE;
}

uint16_t isa_block_base(isa_block blk)
{
    return blk > ISA_BLK_NONE && blk < ISA_BLK_COUNT ? k_blocks[blk].base : 0;
}

uint16_t isa_block_target(isa_block blk)
{
    return blk < ISA_BLK_COUNT ? k_blocks[blk].target : 0;
}

isa_target_kind isa_target_classify(uint16_t target, isa_block *blk)
{
    if (blk)
        *blk = ISA_BLK_NONE;
    if (target == 0)
        return ISA_TGT_NOP;
    if (target == ISA_TARGET_MARKER)
        return ISA_TGT_MARKER;
    if (target == ISA_TARGET_OP_EN)
        return ISA_TGT_OP_EN;
    for (int b = ISA_BLK_PC; b < ISA_BLK_COUNT; b++) {
        if (k_blocks[b].target && k_blocks[b].target == target) {
            if (blk)
                *blk = (isa_block)b;
            return ISA_TGT_BLOCK;
        }
    }
    return ISA_TGT_UNKNOWN;
}

const char *isa_prov_name(isa_prov p)
{
    switch (p) {
    case ISA_PROV_TRM: return "TRM";
    case ISA_PROV_MESA: return "Mesa";
    case ISA_PROV_VENDOR: return "vendor";
    case ISA_PROV_BSP: return "BSP";
    case ISA_PROV_MAILING: return "mailing-list";
    case ISA_PROV_INFERRED: return "inferred";
    default: return "unknown";
    }
}

/* ---- register and field lookup ----------------------------------------- */

const isa_reg *isa_reg_table(rk_soc soc, size_t *n)
{
    const isa_db *db = isa_db_get(soc);
    if (n)
        *n = db ? db->n_regs : 0;
    return db ? db->regs : NULL;
}

const isa_reg *isa_reg_lookup(rk_soc soc, uint16_t offset)
{
    const isa_db *db = isa_db_get(soc);
    if (!db)
        return NULL;
    size_t lo = 0, hi = db->n_regs; /* binary search: regs sorted by offset */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (db->regs[mid].offset == offset)
            return &db->regs[mid];
        if (db->regs[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const isa_reg *isa_reg_lookup_name(rk_soc soc, const char *name)
{
    const isa_db *db = isa_db_get(soc);
    if (!db || !name)
        return NULL;
    for (size_t i = 0; i < db->n_regs; i++)
        if (strcasecmp(db->regs[i].name, name) == 0)
            return &db->regs[i];
    return NULL;
}

const isa_field *isa_field_lookup(const isa_reg *reg, const char *name)
{
    if (!reg || !name)
        return NULL;
    for (size_t i = 0; i < reg->n_fields; i++)
        if (strcasecmp(reg->fields[i].name, name) == 0)
            return &reg->fields[i];
    return NULL;
}

const isa_field *isa_field_at_bit(const isa_reg *reg, unsigned bit)
{
    if (!reg || bit > 31)
        return NULL;
    for (size_t i = 0; i < reg->n_fields; i++)
        if (reg->fields[i].lo <= bit && bit <= reg->fields[i].hi)
            return &reg->fields[i];
    return NULL;
}

const char *isa_field_enum_name(const isa_field *f, uint32_t fieldval)
{
    if (!f)
        return NULL;
    for (size_t i = 0; i < f->n_enums; i++)
        if (f->enums[i].value == fieldval)
            return f->enums[i].name;
    return NULL;
}

rk_status isa_field_pack(const isa_reg *reg, const isa_field *f, uint32_t value,
                         uint32_t *regval, rk_err *e)
{
    if (!reg || !f || !regval)
        return rk_errf(e, RK_EUSAGE, "isa_field_pack: NULL register, field or output");
    uint32_t max = isa_field_max(f);
    if (value > max)
        return rk_errf(e, RK_ECHECK,
                       "%s.%s (bits %u:%u): value 0x%x (%u) exceeds the %u-bit limit 0x%x (%u)%s",
                       reg->name, f->name, f->hi, f->lo, value, value, f->width, max, max,
                       (f->flags & ISA_F_MINUS1) ? "; the field stores size-1" : "");
    *regval = (*regval & ~f->mask) | (value << f->lo);
    return RK_OK;
}

rk_status isa_pack(rk_soc soc, const char *reg_name, const char *field_name, uint32_t value,
                   uint32_t *regval, rk_err *e)
{
    if (!isa_db_get(soc))
        return rk_errf(e, RK_EUSAGE, "no register database for SoC '%s'", rk_soc_name(soc));
    const isa_reg *reg = isa_reg_lookup_name(soc, reg_name);
    if (!reg)
        return rk_errf(e, RK_EUSAGE, "%s has no register %s", rk_soc_name(soc),
                       reg_name ? reg_name : "(null)");
    const isa_field *f = isa_field_lookup(reg, field_name);
    if (!f)
        return rk_errf(e, RK_EUSAGE, "%s has no field %s", reg->name,
                       field_name ? field_name : "(null)");
    return isa_field_pack(reg, f, value, regval, e);
}

/* ---- little-endian buffers --------------------------------------------- */

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

rk_status isa_regcmd_load(const uint8_t *bytes, size_t len, const char *what, uint64_t **out,
                          size_t *n_words, rk_err *e)
{
    *out = NULL;
    *n_words = 0;
    if (len % 8 != 0)
        return rk_errf(e, RK_EINPUT,
                       "%s: %zu bytes is not a whole number of 64-bit regcmd entries "
                       "(size must be a multiple of 8; %zu trailing bytes)",
                       what, len, len % 8);
    uint64_t *w = rk_malloc_array(len / 8, sizeof *w);
    if (!w)
        return rk_errf(e, RK_ENOMEM, "%s: out of memory for %zu regcmd entries", what, len / 8);
    for (size_t i = 0; i < len / 8; i++)
        w[i] = load_le64(bytes + 8 * i);
    *out = w;
    *n_words = len / 8;
    return RK_OK;
}

rk_status isa_task_table_load(const uint8_t *bytes, size_t len, const char *what,
                              isa_task_desc **out, size_t *n_tasks, rk_err *e)
{
    *out = NULL;
    *n_tasks = 0;
    if (len % ISA_TASK_DESC_BYTES != 0)
        return rk_errf(e, RK_EINPUT,
                       "%s: task table of %zu bytes is not a whole number of 40-byte "
                       "struct rknpu_task records",
                       what, len);
    size_t n = len / ISA_TASK_DESC_BYTES;
    isa_task_desc *t = rk_calloc_array(n, sizeof *t);
    if (!t)
        return rk_errf(e, RK_ENOMEM, "%s: out of memory for %zu tasks", what, n);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = bytes + i * ISA_TASK_DESC_BYTES;
        t[i].flags = load_le32(p + 0);
        t[i].op_idx = load_le32(p + 4);
        t[i].enable_mask = load_le32(p + 8);
        t[i].int_mask = load_le32(p + 12);
        t[i].int_clear = load_le32(p + 16);
        t[i].int_status = load_le32(p + 20);
        t[i].regcfg_amount = load_le32(p + 24);
        t[i].regcfg_offset = load_le32(p + 28);
        t[i].regcmd_addr = load_le64(p + 32);
    }
    *out = t;
    *n_tasks = n;
    return RK_OK;
}
