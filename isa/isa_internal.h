/*
 * isa_internal.h - what the generated tables (isa_tables.c, written by
 * isa/gen/isa_gen.c from isa/regdb/<soc>.regs) export to the rest of isa/.
 * Not for use outside isa/: everyone else goes through isa.h.
 */
#ifndef RKSIM_ISA_INTERNAL_H
#define RKSIM_ISA_INTERNAL_H

#include "isa.h"

/* One SoC's database.  Invariant: regs sorted by offset, offsets unique;
 * every register's fields validated by the generator (no overlap, inside
 * 0..31, full 32-bit coverage when the layout is known). */
typedef struct isa_db {
    rk_soc soc;
    const isa_soc_info *info;
    const isa_reg *regs;
    size_t n_regs;
    const char *target_string; /* NULL when no source shows it */
    const char *source_file;   /* "rk3588.regs" */
} isa_db;

extern const isa_db isa_gen_dbs[];
extern const size_t isa_gen_n_dbs;

/* The database of `soc`, or NULL. */
const isa_db *isa_db_get(rk_soc soc);

#endif
