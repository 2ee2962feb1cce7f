/*
 * isa_explain.h - recognise and explain the problem lines of an
 * rknn-toolkit2 build log (REGTASK field-width errors and their companion
 * lines), in terms of registers, fields and the model's tensors.
 *
 * Facts come from ../shared/reference/rknn-format.md §5 (public bug reports:
 * rockchip-linux/rknn-toolkit2 #173, #272, airockchip/rknn-toolkit2 #163,
 * #193, #364, #368, #419, rknn-llm #281/#417, rknn_model_zoo #95) and from
 * the register database.  Interpretations are marked [inferred].
 *
 * Library code: nothing here prints; isa_log_explain() writes text into a
 * caller buffer and the CLI (`rksim explain`) prints it.
 */
#ifndef RKSIM_ISA_EXPLAIN_H
#define RKSIM_ISA_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "isa.h"

typedef enum isa_log_kind {
    ISA_LOG_BLANK = 0,        /* empty / whitespace-only line: ignored, not counted */
    ISA_LOG_UNRECOGNISED,     /* anything else rksim has no explanation for */
    ISA_LOG_REGTASK,          /* "REGTASK: The bit width of field value exceeds the limit, ..." */
    ISA_LOG_ALIGN_SURF,       /* "emitUnpackRegtasks: align_surf(A) > notch_limit(N)" */
    ISA_LOG_ALIGN_SURF_OVERFLOW, /* "emitCHW_C1HWC2_regtasks: align_surf overflow!" */
    ISA_LOG_NOTCH_OVERFLOW,   /* "emitABC_T_BAC_regtask notch_addr overflow" */
    ISA_LOG_TRANSPOSE_FALLBACK, /* "Transpose will fallback ..." */
    ISA_LOG_DATAIN_ENTRIES,   /* "DatainEntries overflow, need to tiling more, datain_entries: N, limitation: L" */
    ISA_LOG_ARGB_MODE,        /* "failed to config argb mode layer!" */
    ISA_LOG_CORE_FALLBACK     /* "Failed to config layer: '...' using 3Core fallback to single core mode, ..." */
} isa_log_kind;

/* One parsed log line.  Invariants: for ISA_LOG_REGTASK, soc/offset/shift/
 * limit/value are set and reg/field are the database entries (NULL when the
 * SoC is unknown or no field starts at `shift`); for the other kinds only
 * the numbers the line carries are set (see isa_log_parse_line). */
typedef struct isa_log_line {
    isa_log_kind kind;
    char level;          /* 'E', 'W', 'I', 'D' or '?' */
    char timestamp[24];  /* "10:14:38.123" or "" */
    /* REGTASK */
    char target[16];     /* "v2", "lite", ... as logged */
    rk_soc soc;
    uint32_t offset;
    unsigned shift;
    uint32_t limit;
    uint64_t value;
    const isa_reg *reg;
    const isa_field *field;
    /* numbers: ALIGN_SURF (align_surf, notch_limit); DATAIN_ENTRIES (entries,
     * limitation); CORE_FALLBACK (core_num, ori_Ih, ori_Iw, ori_Ic) */
    long long num[4];
    char layer[256];     /* CORE_FALLBACK: the quoted layer name */
} isa_log_line;

/* Classify and parse one log line (with or without its trailing newline). */
isa_log_kind isa_log_parse_line(const char *line, isa_log_line *out);

/* Multi-line explanation of a recognised line: register and field (name,
 * bits, meaning), the value as the model sees it, the limit as a rule on the
 * model, which layers produce it, and the remedies that worked in the
 * public reports.  Returns the number of characters written (truncated to
 * len-1).  For ISA_LOG_UNRECOGNISED/BLANK writes "" and returns 0. */
size_t isa_log_explain(const isa_log_line *l, char *buf, size_t len);

#endif
