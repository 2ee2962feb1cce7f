/*
 * mem.h - the simulated DRAM image: named regions at 32-bit DMA addresses.
 *
 * The runtime gives the NPU IOVAs; rksim does the same with a sparse list of
 * regions (weights, bias and LUT buffers, the activation pool, the command
 * stream, ...), each a separate host allocation.  Regions are placed in
 * increasing address order from SIM_MEM_BASE, 4 KiB aligned and separated
 * by a 4 KiB unmapped guard gap, so that address 0 (an unrelocated address
 * register) and small overruns fall outside every region.
 *
 * Invariants: regions[] is sorted by base; regions never overlap; every
 * region's [base, base+size) lies below 2^32.  Any DMA must lie entirely
 * inside ONE region (sim_mem_span); the caller turns a NULL into an error
 * naming the task and register.
 */
#ifndef RKSIM_MEM_H
#define RKSIM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rk_base.h"

#define SIM_MEM_BASE 0x10000000u
#define SIM_MEM_ALIGN 4096u

/* A region's bytes are either owned (zero-initialised, freed with the
 * image) or borrowed: `data` points at bytes someone else owns and keeps
 * alive longer than the image (the parsed model's const buffers, so the
 * weights are not held twice; peak memory).  Borrowed bytes are never
 * written through the image: a write goes through sim_mem_span_w, which
 * first gives the region its own copy (copy on write). */
typedef struct sim_region {
    char *name;    /* "pool", "const:conv1.weight", "regcmd", ... */
    uint32_t base; /* DMA address of byte 0 */
    uint32_t size;
    uint8_t *data; /* host bytes: owned, or borrowed (see above) */
    bool borrowed;
} sim_region;

typedef struct sim_mem {
    sim_region *regions;
    int n;
    int cap;
    uint32_t next_base;
    uint64_t total_bytes;
} sim_mem;

void sim_mem_init(sim_mem *m);
void sim_mem_free(sim_mem *m);
/* Add a zeroed region of `size` bytes (size 0 is given 16 bytes so it still
 * has an address).  Fails with RK_EUNSUPPORTED when the 32-bit address space
 * is exhausted. */
rk_status sim_mem_add(sim_mem *m, const char *name, uint64_t size,
                      const sim_region **out, rk_err *e);
/* Add a region of `size` (> 0) bytes whose contents are `data`, borrowed:
 * the caller keeps `data` alive and unchanged until sim_mem_free. */
rk_status sim_mem_add_borrowed(sim_mem *m, const char *name, const uint8_t *data, uint64_t size,
                               const sim_region **out, rk_err *e);
/* The region containing addr, or NULL. */
const sim_region *sim_mem_find(const sim_mem *m, uint32_t addr);
/* Host pointer for [addr, addr+len) when it lies inside one region, else
 * NULL.  len 0 is treated as 1. */
uint8_t *sim_mem_span(const sim_mem *m, uint32_t addr, uint64_t len);
/* sim_mem_span for a write: a borrowed region gets its own copy first.
 * NULL when the range is outside one region; *oom set when the copy
 * could not be allocated. */
uint8_t *sim_mem_span_w(sim_mem *m, uint32_t addr, uint64_t len, bool *oom);
/* Describe addr for error messages: "0x10004000 (pool+0x4000)" or
 * "0x00000040 (outside every region)". */
const char *sim_mem_describe(const sim_mem *m, uint32_t addr, char *buf, size_t n);

#endif
