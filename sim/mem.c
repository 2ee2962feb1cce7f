/* mem.c - the simulated DRAM image (see mem.h). */
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_mem_init(sim_mem *m)
{
    memset(m, 0, sizeof(*m));
    m->next_base = SIM_MEM_BASE;
}

void sim_mem_free(sim_mem *m)
{
    for (int i = 0; i < m->n; i++) {
        free(m->regions[i].name);
        free(m->regions[i].data);
    }
    free(m->regions);
    sim_mem_init(m);
}

rk_status sim_mem_add(sim_mem *m, const char *name, uint64_t size,
                      const sim_region **out, rk_err *e)
{
    if (size == 0)
        size = 16;
    uint64_t base = m->next_base;
    uint64_t end = base + size;
    if (end > 0xFFFFF000ull)
        return rk_errf(e, RK_EUNSUPPORTED,
                       "DRAM image: region '%s' (%llu bytes) does not fit in the 32-bit NPU address space",
                       name, (unsigned long long)size);
    if (m->n == m->cap) {
        int cap = m->cap ? m->cap * 2 : 16;
        sim_region *r = realloc(m->regions, (size_t)cap * sizeof(*r));
        if (!r)
            return rk_errf(e, RK_ENOMEM, "DRAM image: out of memory");
        m->regions = r;
        m->cap = cap;
    }
    sim_region *r = &m->regions[m->n];
    r->data = calloc(1, (size_t)size);
    r->name = strdup(name ? name : "?");
    if (!r->data || !r->name) {
        free(r->data);
        free(r->name);
        return rk_errf(e, RK_ENOMEM, "DRAM image: cannot allocate %llu bytes for '%s'",
                       (unsigned long long)size, name);
    }
    r->base = (uint32_t)base;
    r->size = (uint32_t)size;
    m->n++;
    m->total_bytes += size;
    /* Next region after a guard gap, aligned. */
    m->next_base = (uint32_t)(RK_ALIGN_UP(end, SIM_MEM_ALIGN) + SIM_MEM_ALIGN);
    if (out)
        *out = r;
    return RK_OK;
}

const sim_region *sim_mem_find(const sim_mem *m, uint32_t addr)
{
    int lo = 0, hi = m->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const sim_region *r = &m->regions[mid];
        if (addr < r->base)
            hi = mid - 1;
        else if (addr - r->base >= r->size)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

uint8_t *sim_mem_span(const sim_mem *m, uint32_t addr, uint64_t len)
{
    const sim_region *r = sim_mem_find(m, addr);
    if (!r)
        return NULL;
    if (len == 0)
        len = 1;
    if ((uint64_t)(addr - r->base) + len > r->size)
        return NULL;
    return r->data + (addr - r->base);
}

const char *sim_mem_describe(const sim_mem *m, uint32_t addr, char *buf, size_t n)
{
    const sim_region *r = sim_mem_find(m, addr);
    if (r)
        snprintf(buf, n, "0x%08x (%s+0x%x of 0x%x bytes)", addr, r->name, addr - r->base,
                 r->size);
    else
        snprintf(buf, n, "0x%08x (outside every region)", addr);
    return buf;
}
