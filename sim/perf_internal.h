/*
 * perf_internal.h - cycle-model internals shared by sim/perf_*.c and the
 * tests (not part of the public API in perf.h).
 */
#ifndef RKSIM_PERF_INTERNAL_H
#define RKSIM_PERF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* The register fields the model reads: parallel arrays (register name,
 * field name, offset, low bit, high bit); returns the count.  Used by
 * tests/test_perf.c to check them against the ISA register database. */
size_t rk_perf_fields_used(const char ***reg, const char ***field, const uint16_t **offset,
                           const uint8_t **lo, const uint8_t **hi);

#endif
