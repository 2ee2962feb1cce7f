/*
 * isa_validate.c - validation of single register writes against one SoC's
 * database: block present, register known, no reserved bits set beyond the
 * provenance-tagged allow-list, values that fit their fields, and the
 * cross-field CBUF bank rule.
 */
#include <stdio.h>
#include <string.h>

#include "isa_internal.h"

bool isa_violation_is_note(isa_violation_kind kind)
{
    return kind == ISA_V_LAYOUT_UNKNOWN;
}

const char *isa_violation_kind_name(isa_violation_kind kind)
{
    switch (kind) {
    case ISA_V_FIELD_OVERFLOW: return "field-overflow";
    case ISA_V_RESERVED_BITS: return "reserved-bits";
    case ISA_V_UNKNOWN_REGISTER: return "unknown-register";
    case ISA_V_BLOCK_ABSENT: return "block-absent";
    case ISA_V_UNKNOWN_TARGET: return "unknown-target";
    case ISA_V_TARGET_MISMATCH: return "target-mismatch";
    case ISA_V_LAYOUT_UNKNOWN: return "layout-unknown";
    case ISA_V_RULE: return "rule";
    }
    return "?";
}

typedef struct vsink {
    isa_violation *out;
    size_t max, n;
} vsink;

static isa_violation *vnew(vsink *s, isa_violation_kind kind, isa_regcmd cmd, const isa_reg *reg)
{
    static isa_violation scratch; /* findings beyond max are counted, not stored */
    isa_violation *v = s->n < s->max ? &s->out[s->n] : &scratch;
    s->n++;
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->cmd = cmd;
    v->reg = reg;
    return v;
}

static unsigned lowest_bit(uint32_t m)
{
    unsigned b = 0;
    while (b < 31 && !(m & (1u << b)))
        b++;
    return b;
}

static unsigned highest_bit(uint32_t m)
{
    unsigned b = 31;
    while (b > 0 && !(m & (1u << b)))
        b--;
    return b;
}

static uint32_t bits_mask(unsigned lo, unsigned hi)
{
    unsigned w = hi - lo + 1;
    return (w >= 32 ? 0xFFFFFFFFu : ((1u << w) - 1u)) << lo;
}

/* Bits run..: the contiguous run of set bits in m starting at bit lo. */
static uint32_t run_from(uint32_t m, unsigned lo)
{
    uint32_t run = 0;
    for (unsigned b = lo; b < 32 && (m & (1u << b)); b++)
        run |= 1u << b;
    return run;
}

static void report_overflow(vsink *s, isa_regcmd cmd, const isa_reg *reg, const isa_field *below,
                            uint32_t run)
{
    unsigned hi = highest_bit(run);
    isa_violation *v = vnew(s, ISA_V_FIELD_OVERFLOW, cmd, reg);
    v->bad_mask = run;
    v->field = below;
    v->bits_lo = below->lo;
    v->bits_hi = hi;
    v->limit = isa_field_max(below);
    v->field_value = (cmd.value & bits_mask(below->lo, hi)) >> below->lo;
    snprintf(v->detail, sizeof v->detail, "%s.%s is %u bits (%u:%u); the value needs bits up to %u",
             reg->name, below->name, below->width, below->hi, below->lo, hi);
}

static void report_reserved(vsink *s, isa_regcmd cmd, const isa_reg *reg, const isa_field *rf,
                            uint32_t bits)
{
    unsigned lo = lowest_bit(bits), hi = highest_bit(bits);
    isa_violation *v = vnew(s, ISA_V_RESERVED_BITS, cmd, reg);
    v->bad_mask = bits;
    v->bits_lo = lo;
    v->bits_hi = hi;
    v->field_value = (cmd.value & bits_mask(lo, hi)) >> lo;
    snprintf(v->detail, sizeof v->detail, "bits %u:%u of %s are reserved (%s: %s)", hi, lo,
             reg->name, isa_prov_name(rf->prov), rf->name);
}

/* Reserved bits that are set.  A run of set bits starting right above a
 * multi-bit value field reads as that field's value overflowing (what the vendor's
 * REGTASK check reports); any other set reserved bits are reported as
 * reserved-bit writes. */
static void check_reserved(vsink *s, isa_regcmd cmd, const isa_reg *reg)
{
    uint32_t bad = cmd.value & reg->reserved_mask & ~reg->vendor_ok_mask;
    for (size_t i = 0; bad && i < reg->n_fields; i++) {
        const isa_field *rf = &reg->fields[i];
        uint32_t fb = bad & rf->mask;
        if (!(rf->flags & ISA_F_RESERVED) || !fb)
            continue;
        const isa_field *below = rf->lo > 0 ? isa_field_at_bit(reg, rf->lo - 1u) : NULL;
        /* 1-bit flags do not "overflow": a set bit above one is a stray bit. */
        bool overflow = (fb & (1u << rf->lo)) && below && below->width >= 2 &&
                        !(below->flags & (ISA_F_RESERVED | ISA_F_UNKNOWN));
        if (overflow) {
            uint32_t run = run_from(fb, rf->lo);
            report_overflow(s, cmd, reg, below, run);
            fb &= ~run;
        }
        if (fb)
            report_reserved(s, cmd, reg, rf, fb);
    }
}

/* CBUF_CON0: the data and weight banks share the SoC's CBUF.  RK3588
 * software always programs DATA_BANK+WEIGHT_BANK = 12 [Mesa, mtx512,
 * vendor]; RK3566 vendor streams = 8 [vendor, S10].  Rule: sum <= banks
 * [inferred from those]. */
static void check_cbuf_banks(vsink *s, rk_soc soc, isa_regcmd cmd, const isa_reg *reg)
{
    const isa_soc_info *info = isa_soc_info_get(soc);
    const isa_field *d = isa_field_lookup(reg, "DATA_BANK");
    const isa_field *w = isa_field_lookup(reg, "WEIGHT_BANK");
    if (!info || !info->cbuf_banks || !d || !w)
        return;
    uint32_t sum = isa_field_get(d, cmd.value) + isa_field_get(w, cmd.value);
    if (sum <= info->cbuf_banks)
        return;
    isa_violation *v = vnew(s, ISA_V_RULE, cmd, reg);
    v->field = d;
    v->bits_lo = d->lo;
    v->bits_hi = w->hi;
    v->limit = info->cbuf_banks;
    v->field_value = sum;
    snprintf(v->detail, sizeof v->detail,
             "DATA_BANK %u + WEIGHT_BANK %u = %u CBUF banks, but %s has %u [%s]",
             isa_field_get(d, cmd.value), isa_field_get(w, cmd.value), sum, rk_soc_name(soc),
             info->cbuf_banks, soc == RK_SOC_RK3566 ? "S10, vendor streams" : "Mesa, vendor streams");
}

static void check_block_write(vsink *s, rk_soc soc, isa_regcmd cmd, isa_block blk)
{
    const isa_soc_info *info = isa_soc_info_get(soc);
    if (!info->layouts_known && (!isa_soc_has_block(soc, blk) || !isa_reg_lookup(soc, cmd.reg))) {
        /* RK3562/RK3576: the block and register map itself is unknown, so a
         * write rksim cannot place is not evidence of an error. */
        isa_violation *v = vnew(s, ISA_V_LAYOUT_UNKNOWN, cmd, NULL);
        snprintf(v->detail, sizeof v->detail, "%s: register map unknown; offset 0x%04x not validated",
                 rk_soc_name(soc), cmd.reg);
        return;
    }
    if (!isa_soc_has_block(soc, blk)) {
        isa_violation *v = vnew(s, ISA_V_BLOCK_ABSENT, cmd, NULL);
        snprintf(v->detail, sizeof v->detail, "%s has no %s block (regcmd target 0x%04x)",
                 rk_soc_name(soc), isa_block_name(blk), cmd.target);
        return;
    }
    if (isa_block_of_offset(cmd.reg) != blk) {
        isa_violation *v = vnew(s, ISA_V_TARGET_MISMATCH, cmd, isa_reg_lookup(soc, cmd.reg));
        snprintf(v->detail, sizeof v->detail,
                 "target 0x%04x addresses %s but offset 0x%04x is in the %s window",
                 cmd.target, isa_block_name(blk), cmd.reg, isa_block_name(isa_block_of_offset(cmd.reg)));
        return;
    }
    const isa_reg *reg = isa_reg_lookup(soc, cmd.reg);
    if (!reg) {
        isa_violation *v = vnew(s, ISA_V_UNKNOWN_REGISTER, cmd, NULL);
        snprintf(v->detail, sizeof v->detail, "no register at offset 0x%04x in the %s database",
                 cmd.reg, rk_soc_name(soc));
        return;
    }
    if (reg->flags & ISA_R_LAYOUT_UNKNOWN) {
        isa_violation *v = vnew(s, ISA_V_LAYOUT_UNKNOWN, cmd, reg);
        snprintf(v->detail, sizeof v->detail, "%s: field layout unknown on %s; not validated",
                 reg->name, rk_soc_name(soc));
        return;
    }
    check_reserved(s, cmd, reg);
    if (reg->offset == 0x1040) /* CNA_CBUF_CON0 */
        check_cbuf_banks(s, soc, cmd, reg);
}

size_t isa_validate_entry(rk_soc soc, uint64_t word, isa_violation *out, size_t max)
{
    vsink s = {out, max, 0};
    isa_regcmd cmd = isa_regcmd_decode(word);
    isa_block blk;
    switch (isa_target_classify(cmd.target, &blk)) {
    case ISA_TGT_NOP:
        if (word != 0) {
            isa_violation *v = vnew(&s, ISA_V_UNKNOWN_TARGET, cmd, NULL);
            snprintf(v->detail, sizeof v->detail, "target 0 (NOP) with a non-zero payload");
        }
        break;
    case ISA_TGT_MARKER:
        break;
    case ISA_TGT_OP_EN: {
        /* The value is the GLOBAL OPERATION_ENABLE block mask (TRM, §1.1). */
        const isa_reg *g = isa_reg_lookup(soc, 0xF008);
        if (g && !(g->flags & ISA_R_LAYOUT_UNKNOWN))
            check_reserved(&s, cmd, g);
        break;
    }
    case ISA_TGT_BLOCK:
        check_block_write(&s, soc, cmd, blk);
        break;
    case ISA_TGT_UNKNOWN: {
        isa_violation *v = vnew(&s, ISA_V_UNKNOWN_TARGET, cmd, NULL);
        snprintf(v->detail, sizeof v->detail, "regcmd target 0x%04x is not a known block code",
                 cmd.target);
        break;
    }
    }
    return s.n;
}

char *isa_format_regtask(rk_soc soc, uint16_t offset, unsigned shift, uint32_t limit,
                         uint32_t value, char *buf, size_t len)
{
    const char *target = rk_soc_target_string(soc);
    snprintf(buf, len,
             "REGTASK: The bit width of field value exceeds the limit, target: %s, offset: 0x%x, "
             "shift = %u, limit: 0x%x, value: 0x%x",
             target ? target : rk_soc_name(soc), offset, shift, limit, value);
    return buf;
}
