/*
 * isa.h - the RK35xx NPU instruction-set layer: SoC identity, the per-SoC
 * register database, the 64-bit regcmd entry codec, field get/pack with
 * width checking, the task-chain walker and the register-write validator.
 *
 * Where the facts come from.  Register and field layouts live in
 * human-readable text databases, one per SoC family (isa/regdb/<soc>.regs).
 * At build time a small host program (isa/gen/isa_gen.c) turns them into
 * C tables (isa_tables.c) and a macro header (isa_regdefs.h, included
 * below); nothing is maintained twice.  Every field carries its provenance
 * (TRM, Mesa registers.xml, observed in vendor streams, BSP driver, or
 * inferred); see ../shared/reference/npu-isa.md for the sources.
 *
 * Conventions.
 *  - "offset" is the full NPU-relative register offset (0x100C for
 *    CNA_CONV_CON1), exactly as it appears in bits 15:0 of a regcmd entry and
 *    in the vendor's REGTASK log lines.
 *  - Register names are BLOCK_REG ("CNA_CONV_CON1", "DPU_RDMA_SRC_DMA_CFG");
 *    field names are bare ("CONV_MODE"); "CNA_CONV_CON1.CONV_MODE" names one
 *    field in messages.
 *  - No function here prints.  Fallible functions return rk_status and fill
 *    an rk_err naming the register, field, value and limit at fault.
 *  - Never silently mask: packing a value wider than its field is an error.
 */
#ifndef RKSIM_ISA_H
#define RKSIM_ISA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rk_base.h"

/* ------------------------------------------------------------------------ */
/* SoC identity                                                              */
/* ------------------------------------------------------------------------ */

/* The NPU families rksim knows.  RK3566 and RK3568 share one NPU ("lite",
 * one core, 8 CBUF banks); RK_SOC_RK3566 stands for both. */
typedef enum rk_soc {
    RK_SOC_UNKNOWN = 0,
    RK_SOC_RK3588, /* "RKNPU v2": 3 cores, 12 CBUF banks */
    RK_SOC_RK3566, /* = RK3568, "RKNPU lite" */
    RK_SOC_RK3562,
    RK_SOC_RK3576,
    RK_SOC_COUNT
} rk_soc;

/* Parse a SoC name, case-insensitively: "rk3588" (also "rk3588s"),
 * "rk3566", "rk3568", "rk356x", "rk3566_rk3568", "rk3562", "rk3576".  These
 * are also the strings the .rknn "runtime" field holds.  Returns
 * RK_SOC_UNKNOWN for anything else (including NULL). */
rk_soc rk_soc_from_name(const char *name);
/* Canonical lower-case name: "rk3588", "rk3566" (RK3566/RK3568), "rk3562",
 * "rk3576", "unknown". Never NULL. */
const char *rk_soc_name(rk_soc soc);
/* The hardware-generation string rknn-toolkit2 prints as "target:" in its
 * REGTASK lines and stores (prefixed with "RKNPU ") in the .rknn "format"
 * field: "v2" for RK3588, "lite" for RK3566/68.  NULL where no source shows
 * the string (RK3562, RK3576, unknown) - rksim does not guess it. */
const char *rk_soc_target_string(rk_soc soc);
/* Inverse of the above: "v2", "lite", "RKNPU v2", "RKNPU lite"
 * (case-insensitive).  Anything else -> RK_SOC_UNKNOWN. */
rk_soc rk_soc_from_target_string(const char *s);
rk_soc rk_soc_from_format_string(const char *format);
/* Comma-separated list of accepted names, for usage messages. */
const char *rk_soc_accepted_names(void);

/* ------------------------------------------------------------------------ */
/* Blocks and regcmd targets                                                 */
/* ------------------------------------------------------------------------ */

/* Hardware blocks, one per 4 KB window of the NPU register space
 * (npu-isa.md §2.1).  ISA_BLK_B2000 is the block at 0x2000-0x2FFF that only
 * RK3566/68 has (regcmd target 0x0401; registers 0x2004, 0x200C seen in
 * vendor streams).  Its function is undocumented, hence the neutral name. */
typedef enum isa_block {
    ISA_BLK_NONE = 0,
    ISA_BLK_PC,       /* 0x0000, target 0x0101 */
    ISA_BLK_CNA,      /* 0x1000, target 0x0201 */
    ISA_BLK_B2000,    /* 0x2000, target 0x0401, RK3566/68 only */
    ISA_BLK_CORE,     /* 0x3000, target 0x0801 */
    ISA_BLK_DPU,      /* 0x4000, target 0x1001 */
    ISA_BLK_DPU_RDMA, /* 0x5000, target 0x2001 */
    ISA_BLK_PPU,      /* 0x6000, target 0x4001 */
    ISA_BLK_PPU_RDMA, /* 0x7000, target 0x8001 */
    ISA_BLK_DDMA,     /* 0x8000, not reachable through regcmd */
    ISA_BLK_SDMA,     /* 0x9000, not reachable through regcmd */
    ISA_BLK_GLOBAL,   /* 0xF000, not reachable through regcmd */
    ISA_BLK_COUNT
} isa_block;

/* "CNA", "DPU_RDMA", "BLK2000", ...; "NONE" for ISA_BLK_NONE. */
const char *isa_block_name(isa_block blk);
/* Block owning a register offset by its 4 KB window (0x5048 -> DPU_RDMA);
 * ISA_BLK_NONE for unmapped windows. */
isa_block isa_block_of_offset(uint16_t offset);
/* First offset of the block's window (0x1000 for CNA). */
uint16_t isa_block_base(isa_block blk);
/* The 16-bit regcmd target code of a block (block enum bit + 1, Mesa's
 * rkt_get_target()+1); 0 for blocks with no target (DDMA, SDMA, GLOBAL). */
uint16_t isa_block_target(isa_block blk);

/* What the 16-bit target field of an entry means (npu-isa.md §1.1). */
typedef enum isa_target_kind {
    ISA_TGT_NOP = 0, /* target 0x0000: the all-zero padding / "no next task" slot */
    ISA_TGT_BLOCK,   /* a register write to one block */
    ISA_TGT_MARKER,  /* 0x0041: must precede op_en (TRM); meaning otherwise unknown */
    ISA_TGT_OP_EN,   /* 0x0081: op_en broadcast; value = GLOBAL OPERATION_ENABLE mask */
    ISA_TGT_UNKNOWN  /* any other code (e.g. 0x1003 seen once in a capture) */
} isa_target_kind;

#define ISA_TARGET_PC 0x0101u
#define ISA_TARGET_CNA 0x0201u
#define ISA_TARGET_B2000 0x0401u
#define ISA_TARGET_CORE 0x0801u
#define ISA_TARGET_DPU 0x1001u
#define ISA_TARGET_DPU_RDMA 0x2001u
#define ISA_TARGET_PPU 0x4001u
#define ISA_TARGET_PPU_RDMA 0x8001u
#define ISA_TARGET_MARKER 0x0041u
#define ISA_TARGET_OP_EN 0x0081u

/* Classify a target code; *blk (may be NULL) receives the block for
 * ISA_TGT_BLOCK and ISA_BLK_NONE otherwise. */
isa_target_kind isa_target_classify(uint16_t target, isa_block *blk);

/* ------------------------------------------------------------------------ */
/* The 64-bit regcmd entry: target<<48 | value<<16 | reg                     */
/* ------------------------------------------------------------------------ */

/* One decoded entry.  Any uint64_t decodes; encode(decode(w)) == w. */
typedef struct isa_regcmd {
    uint16_t target; /* bits 63:48 */
    uint32_t value;  /* bits 47:16 */
    uint16_t reg;    /* bits 15:0, full NPU offset */
} isa_regcmd;

static inline isa_regcmd isa_regcmd_decode(uint64_t word)
{
    isa_regcmd c;
    c.target = (uint16_t)(word >> 48);
    c.value = (uint32_t)(word >> 16);
    c.reg = (uint16_t)word;
    return c;
}

static inline uint64_t isa_regcmd_encode(uint16_t target, uint32_t value, uint16_t reg)
{
    return ((uint64_t)target << 48) | ((uint64_t)value << 16) | (uint64_t)reg;
}

/* Read a little-endian u64 array (a regcmd buffer as stored in .rknn files
 * or raw dumps).  Fails with RK_EINPUT when len is not a multiple of 8,
 * naming `what` (a file name or tensor) in the message.  *out is malloc'd. */
rk_status isa_regcmd_load(const uint8_t *bytes, size_t len, const char *what,
                          uint64_t **out, size_t *n_words, rk_err *e);

/* ------------------------------------------------------------------------ */
/* The register database                                                     */
/* ------------------------------------------------------------------------ */

/* Where a fact comes from (npu-isa.md §0). */
typedef enum isa_prov {
    ISA_PROV_UNKNOWN = 0, /* nobody knows; listed so that it is not guessed */
    ISA_PROV_TRM,         /* RK3588 TRM part 1 ch. 36 (S5) */
    ISA_PROV_MESA,        /* Mesa rocket registers.xml / driver (S1, S2) */
    ISA_PROV_VENDOR,      /* observed in vendor-compiled (.rknn) regcmd streams */
    ISA_PROV_BSP,         /* Rockchip rknpu BSP kernel driver (S4) */
    ISA_PROV_MAILING,     /* mesa-dev / linux-arm-kernel RK3568 threads (S10) */
    ISA_PROV_INFERRED     /* inferred by us or a reverse engineer; not confirmed */
} isa_prov;
const char *isa_prov_name(isa_prov p); /* "TRM", "Mesa", "vendor", ... */

/* One named value of an enumerated field (precision codes, conv modes,
 * ALU ops, pooling methods, ...). */
typedef struct isa_enum_val {
    uint32_t value;
    const char *name;
} isa_enum_val;

/* Field flags. */
enum {
    ISA_F_RESERVED = 1u << 0,  /* RESERVED_n: must be zero unless allow-listed */
    ISA_F_MINUS1 = 1u << 1,    /* stored value is "size minus one" */
    ISA_F_RESET_KNOWN = 1u << 2, /* .reset is documented */
    ISA_F_UNKNOWN = 1u << 3,   /* bits are written but their meaning is unknown */
    ISA_F_ADDR = 1u << 4,      /* an address/offset relocated at load time */
    ISA_F_SIGNED = 1u << 5     /* two's complement (display only) */
};

/* One bit field of a register.  Invariants: lo <= hi <= 31; width =
 * hi-lo+1; mask == ((2^width)-1) << lo; the fields of a register never
 * overlap, and for registers with a known layout they (reserved ones
 * included) cover bits 0..31 exactly once. */
typedef struct isa_field {
    const char *name;
    uint8_t lo, hi, width;
    uint32_t mask;
    uint32_t reset;            /* valid when ISA_F_RESET_KNOWN */
    uint32_t flags;            /* ISA_F_* */
    isa_prov prov;
    const isa_enum_val *enums; /* NULL when not an enum */
    uint16_t n_enums;
    const char *meaning;       /* one-line description, "" if none */
} isa_field;

/* Register flags. */
enum {
    ISA_R_LAYOUT_UNKNOWN = 1u << 0, /* register is written but its fields are unknown */
    ISA_R_SOC_ONLY = 1u << 1        /* exists on this SoC but not on RK3588 */
};

/* One register of one SoC.  vendor_ok_mask lists reserved bits that vendor
 * streams are known to set (the validator's allow-list); vendor_ok_prov and
 * vendor_ok_note say where that was seen. */
typedef struct isa_reg {
    const char *name; /* "CNA_CONV_CON1" */
    const char *short_name; /* "CONV_CON1" */
    uint16_t offset;
    isa_block block;
    uint32_t flags; /* ISA_R_* */
    isa_prov prov;
    const isa_field *fields; /* sorted by hi descending */
    uint16_t n_fields;
    uint32_t reserved_mask;  /* union of the reserved fields' masks */
    uint32_t vendor_ok_mask; /* subset of reserved_mask vendor streams set */
    isa_prov vendor_ok_prov;
    const char *vendor_ok_note;
    const char *note;
} isa_reg;

/* Per-SoC facts that are not register fields.  0 means unknown. */
typedef struct isa_soc_info {
    rk_soc soc;
    const char *family;          /* "RK3588", "RK3566/RK3568", ... */
    unsigned pc_amount_scale;    /* 2: amount counts 128-bit pairs; 1: 64-bit entries (BSP) */
    unsigned task_number_bits;   /* PC TASK_CON.TASK_NUMBER width (BSP) */
    uint16_t task_status_offset; /* PC task status register (BSP) */
    unsigned cbuf_banks;         /* 0 = unknown */
    unsigned cbuf_bank_bytes;
    unsigned cores;
    uint32_t blocks_present;     /* bit (1u << isa_block) per block this SoC has */
    bool layouts_known;          /* false: most registers are ISA_R_LAYOUT_UNKNOWN */
} isa_soc_info;

/* SoC facts; NULL for RK_SOC_UNKNOWN. */
const isa_soc_info *isa_soc_info_get(rk_soc soc);
bool isa_soc_has_block(rk_soc soc, isa_block blk);

/* All registers of a SoC, sorted by offset. */
const isa_reg *isa_reg_table(rk_soc soc, size_t *n);
/* The register at `offset` on `soc`, or NULL (unknown register or SoC). */
const isa_reg *isa_reg_lookup(rk_soc soc, uint16_t offset);
/* By name ("CNA_CONV_CON1", case-insensitive), or NULL. */
const isa_reg *isa_reg_lookup_name(rk_soc soc, const char *name);
/* A field by name (case-insensitive), or NULL. */
const isa_field *isa_field_lookup(const isa_reg *reg, const char *name);
/* The field containing bit `bit` (0..31); never NULL for registers with a
 * known layout. */
const isa_field *isa_field_at_bit(const isa_reg *reg, unsigned bit);
/* Name of an enum value, or NULL when the field has no such name. */
const char *isa_field_enum_name(const isa_field *f, uint32_t fieldval);

/* Largest value the field can hold: 2^width - 1. */
static inline uint32_t isa_field_max(const isa_field *f)
{
    return f->width >= 32 ? 0xFFFFFFFFu : ((1u << f->width) - 1u);
}
/* Extract a field from a register value. */
static inline uint32_t isa_field_get(const isa_field *f, uint32_t regval)
{
    return (regval & f->mask) >> f->lo;
}
/* Insert `value` into *regval.  If value > isa_field_max(f) returns
 * RK_ECHECK with "CNA_CONV_CON1.CONV_MODE (bits 3:0): value 0x10 exceeds the
 * 4-bit limit 0xf" and leaves *regval unchanged. */
rk_status isa_field_pack(const isa_reg *reg, const isa_field *f, uint32_t value,
                         uint32_t *regval, rk_err *e);
/* Same, by names: isa_pack(RK_SOC_RK3588, "DPU_DATA_CUBE_WIDTH", "WIDTH", ...). */
rk_status isa_pack(rk_soc soc, const char *reg_name, const char *field_name,
                   uint32_t value, uint32_t *regval, rk_err *e);

/* ------------------------------------------------------------------------ */
/* Tasks (struct rknpu_task) and the PC task chain                           */
/* ------------------------------------------------------------------------ */

/* One 40-byte packed `struct rknpu_task` (BSP rknpu_ioctl.h, npu-isa.md
 * §1.2).  In .rknn files regcmd_addr is the byte offset of the task's first
 * entry inside the regcmd buffer. */
typedef struct isa_task_desc {
    uint32_t flags, op_idx, enable_mask, int_mask, int_clear, int_status;
    uint32_t regcfg_amount; /* body entries, not counting the 4-entry PC tail */
    uint32_t regcfg_offset;
    uint64_t regcmd_addr;
} isa_task_desc;

#define ISA_TASK_DESC_BYTES 40u
#define ISA_PC_TAIL_ENTRIES 4u

/* Parse a task table (little-endian); len must be a multiple of 40.
 * *out is malloc'd. */
rk_status isa_task_table_load(const uint8_t *bytes, size_t len, const char *what,
                              isa_task_desc **out, size_t *n_tasks, rk_err *e);

/* The PC_REGISTER_AMOUNTS.PC_DATA_AMOUNT a task must carry to chain to a
 * next task whose body has `next_regcfg_amount` entries:
 * RK3588 (scale 2): ceil((n+4)/2)-1; RK3566 (scale 1): n+3 (npu-isa.md §1.3,
 * §7.1; BSP formula (n + 4 + scale-1)/scale - 1).  Returns false when the
 * SoC's scale is unknown. */
bool isa_pc_amount_for(rk_soc soc, uint32_t next_regcfg_amount, uint32_t *amount);

/* One task as the walker sees it.  entries[0 .. n_body) is the body and
 * entries[n_body .. n_body+4) the PC tail, when present. */
typedef struct isa_task_view {
    size_t index;              /* task number in the table */
    const isa_task_desc *desc;
    size_t first_entry;        /* index into the regcmd u64 array */
    const uint64_t *entries;
    size_t n_body;
    bool has_tail;             /* the 4 tail entries are inside the buffer */
    bool chains;               /* tail's PC_BASE_ADDRESS names a next segment */
    uint32_t next_addr;        /* PC_BASE_ADDRESS.PC_SOURCE_ADDR value (bytes) */
    uint32_t next_amount;      /* PC_REGISTER_AMOUNTS.PC_DATA_AMOUNT */
    uint32_t op_en_mask;       /* value of the 0x0081 op_en entry */
} isa_task_view;

/* A chain inconsistency.  kind says what; task the task whose tail is at
 * fault; entry the regcmd index (or SIZE_MAX). */
typedef enum isa_chain_kind {
    ISA_CHAIN_TASK_OUT_OF_RANGE, /* task body/tail outside the regcmd buffer */
    ISA_CHAIN_TASK_MISALIGNED,   /* regcmd_addr not a multiple of 8 (16 for a PC target) */
    ISA_CHAIN_BAD_TAIL,          /* the 4 tail entries are not BASE/AMOUNTS/0x0041/op_en */
    ISA_CHAIN_BAD_NEXT_ADDR,     /* PC_BASE_ADDRESS does not point at the next task */
    ISA_CHAIN_BAD_AMOUNT,        /* PC_DATA_AMOUNT != the SoC formula for the next task */
    ISA_CHAIN_ENABLE_MISMATCH,   /* op_en value != task enable_mask */
    ISA_CHAIN_AMOUNT_WITHOUT_NEXT /* no next address but a non-zero amount */
} isa_chain_kind;

typedef struct isa_chain_issue {
    isa_chain_kind kind;
    size_t task;
    size_t entry;
    char msg[256];
} isa_chain_issue;

/* Iterate over the tasks of a regcmd buffer in table order.
 *   isa_task_iter it; isa_task_iter_init(&it, soc, words, n, tasks, nt);
 *   isa_task_view v; while (isa_task_iter_next(&it, &v)) { ... }
 * Tasks whose body lies outside the buffer are returned with n_body clamped
 * to what exists and has_tail=false; isa_chain_check reports them. */
typedef struct isa_task_iter {
    rk_soc soc;
    const uint64_t *words;
    size_t n_words;
    const isa_task_desc *tasks;
    size_t n_tasks;
    size_t next;
} isa_task_iter;

void isa_task_iter_init(isa_task_iter *it, rk_soc soc, const uint64_t *words,
                        size_t n_words, const isa_task_desc *tasks, size_t n_tasks);
bool isa_task_iter_next(isa_task_iter *it, isa_task_view *view);

/* Check every task's PC tail against the task table with the SoC's amount
 * formula.  A tail whose PC_BASE_ADDRESS slot is a NOP ends a chain (vendor
 * RK3588 streams hold one chain per core).  Calls `cb` for each issue (cb
 * may be NULL) and returns the number of issues.  Returns SIZE_MAX with *e
 * set when the SoC is unknown. */
typedef void (*isa_chain_cb)(const isa_chain_issue *issue, void *user);
size_t isa_chain_check(rk_soc soc, const uint64_t *words, size_t n_words,
                       const isa_task_desc *tasks, size_t n_tasks,
                       isa_chain_cb cb, void *user, rk_err *e);

/* For raw regcmd files without a task table: recover task records from the
 * stream itself.  Each 0x0081 op_en entry ends a task whose 4-entry tail
 * starts 3 entries earlier; zero padding between tasks is skipped.  Only
 * regcmd_addr, regcfg_amount and enable_mask are filled; op_idx is
 * UINT32_MAX (unknown).  *out is malloc'd (NULL when no task is found). */
rk_status isa_task_discover(const uint64_t *words, size_t n_words, isa_task_desc **out,
                            size_t *n_tasks, rk_err *e);

/* Which task owns regcmd entry `entry` (body or tail), or SIZE_MAX. */
size_t isa_task_of_entry(const isa_task_desc *tasks, size_t n_tasks, size_t entry);

/* ------------------------------------------------------------------------ */
/* Validation of single register writes                                      */
/* ------------------------------------------------------------------------ */

typedef enum isa_violation_kind {
    ISA_V_FIELD_OVERFLOW,   /* a value wider than its field: reserved bits set directly
                               above a field, read as that field's value overflowing */
    ISA_V_RESERVED_BITS,    /* reserved bits set that are not on the allow-list */
    ISA_V_UNKNOWN_REGISTER, /* offset not in the SoC's database */
    ISA_V_BLOCK_ABSENT,     /* target/offset names a block this SoC does not have */
    ISA_V_UNKNOWN_TARGET,   /* target code outside the known set */
    ISA_V_TARGET_MISMATCH,  /* target block != block of the offset */
    ISA_V_LAYOUT_UNKNOWN,   /* register known but its layout is not (a note, not a violation) */
    ISA_V_RULE              /* a cross-field rule failed (e.g. CBUF banks); see detail */
} isa_violation_kind;

/* Notes (ISA_V_LAYOUT_UNKNOWN) are reported but do not fail a check. */
bool isa_violation_is_note(isa_violation_kind kind);
/* Short name of a kind: "field-overflow", "reserved-bits", ... */
const char *isa_violation_kind_name(isa_violation_kind kind);

/* One finding for one regcmd entry.
 *  - ISA_V_FIELD_OVERFLOW: a run of set reserved bits starts right above a
 *    multi-bit field.  `field` is that field, bits_lo = field->lo, bits_hi
 *    the top of the run, `limit` the field's maximum and `field_value` the
 *    value the program apparently wanted, bits bits_hi..field->lo - what the
 *    vendor's REGTASK line calls "value".
 *  - ISA_V_RESERVED_BITS: `field` NULL, bits_hi/lo the set reserved bits,
 *    field_value those bits shifted down, limit 0.
 *  - ISA_V_RULE: `field`/limit/field_value describe the rule (CBUF banks:
 *    limit = the SoC's bank count, field_value = the programmed sum).
 *  - others: see `detail`. */
typedef struct isa_violation {
    isa_violation_kind kind;
    isa_regcmd cmd;
    const isa_reg *reg;     /* NULL for unknown registers */
    const isa_field *field; /* may be NULL */
    unsigned bits_lo, bits_hi;
    uint32_t limit;
    uint32_t field_value;
    uint32_t bad_mask;      /* the offending bits of cmd.value */
    char detail[192];       /* for ISA_V_RULE and others: one sentence, with provenance */
} isa_violation;

/* Validate one entry on `soc` (the op_en value is checked against the
 * SoC's GLOBAL OPERATION_ENABLE layout; CNA_CBUF_CON0 against the SoC's
 * CBUF bank count).  Appends up to `max` findings to out[] and
 * returns how many were found (may exceed max; only max are stored).
 * NOP, marker and op_en entries are checked for their own shape. */
size_t isa_validate_entry(rk_soc soc, uint64_t word, isa_violation *out, size_t max);

/* The vendor's own wording for a field overflow, as rknn-toolkit2 logs it
 * (`target` is rk_soc_target_string(), or the SoC name when unknown) (rknn-format.md §5):
 * "REGTASK: The bit width of field value exceeds the limit, target: v2,
 *  offset: 0x4030, shift = 0, limit: 0x1fff, value: 0x20cf".
 * Writes into buf; returns buf. */
char *isa_format_regtask(rk_soc soc, uint16_t offset, unsigned shift, uint32_t limit,
                         uint32_t value, char *buf, size_t len);

/* ------------------------------------------------------------------------ */
/* Generated register macros                                                 */
/* ------------------------------------------------------------------------ */

/*
 * isa_regdefs.h is generated from isa/regdb/rk3588.regs (and the lite
 * differences from rk3566.regs) at build time.  For each RK3588 register:
 *   RK_CNA_CONV_CON1                      offset (0x100C)
 *   RK_CNA_CONV_CON1__CONV_MODE__SHIFT    low bit
 *   RK_CNA_CONV_CON1__CONV_MODE__WIDTH    bit count
 *   RK_CNA_CONV_CON1__CONV_MODE__MASK     in-place mask
 * Registers and fields that differ on RK3566/68 (or exist only there) are
 * emitted again as RK_LITE_<BLOCK>_<REG>[__<FIELD>__SHIFT...].
 * Enum values: RK_ENUM_<ENUMNAME>_<VALUE> (e.g. RK_ENUM_PREC_DPU_FP16).
 *
 * RK_GET(v, RK_CNA_CONV_CON1__CONV_MODE) extracts a field.  There is no
 * masking "set" macro on purpose: build register values with
 * isa_field_pack(), or check RK_FITS() first.
 */
#include "isa_regdefs.h"

#define RK_GET(v, F) ((uint32_t)(((uint32_t)(v) & (uint32_t)(F##__MASK)) >> (F##__SHIFT)))
#define RK_FMAX(F) ((uint32_t)((F##__MASK) >> (F##__SHIFT)))
#define RK_FITS(x, F) ((uint64_t)(x) <= (uint64_t)RK_FMAX(F))

#endif
