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
        if (!m->regions[i].borrowed)
            free(m->regions[i].data);
    }
    free(m->regions);
    sim_mem_init(m);
}

/* Reserve the next address range and a slot; data left NULL. */
static rk_status add_slot(sim_mem *m, const char *name, uint64_t size, sim_region **out, rk_err *e)
{
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
    memset(r, 0, sizeof(*r));
    r->name = strdup(name ? name : "?");
    if (!r->name)
        return rk_errf(e, RK_ENOMEM, "DRAM image: out of memory");
    r->base = (uint32_t)base;
    r->size = (uint32_t)size;
    *out = r;
    return RK_OK;
}

/* Commit the slot add_slot prepared. */
static void commit_slot(sim_mem *m, sim_region *r, const sim_region **out)
{
    m->n++;
    m->total_bytes += r->size;
    /* Next region after a guard gap, aligned. */
    m->next_base = (uint32_t)(RK_ALIGN_UP((uint64_t)r->base + r->size, SIM_MEM_ALIGN) + SIM_MEM_ALIGN);
    if (out)
        *out = r;
}

rk_status sim_mem_add(sim_mem *m, const char *name, uint64_t size,
                      const sim_region **out, rk_err *e)
{
    if (size == 0)
        size = 16;
    sim_region *r = NULL;
    rk_status st = add_slot(m, name, size, &r, e);
    if (st)
        return st;
    r->data = calloc(1, (size_t)size);
    if (!r->data) {
        free(r->name);
        return rk_errf(e, RK_ENOMEM, "DRAM image: cannot allocate %llu bytes for '%s'",
                       (unsigned long long)size, name);
    }
    commit_slot(m, r, out);
    return RK_OK;
}

rk_status sim_mem_add_borrowed(sim_mem *m, const char *name, const uint8_t *data, uint64_t size,
                               const sim_region **out, rk_err *e)
{
    if (size == 0 || !data)
        return sim_mem_add(m, name, size, out, e);
    sim_region *r = NULL;
    rk_status st = add_slot(m, name, size, &r, e);
    if (st)
        return st;
    r->data = (uint8_t *)(uintptr_t)data; /* never written: sim_mem_span_w copies first */
    r->borrowed = true;
    commit_slot(m, r, out);
    return RK_OK;
}

uint8_t *sim_mem_span_w(sim_mem *m, uint32_t addr, uint64_t len, bool *oom)
{
    *oom = false;
    sim_region *r = (sim_region *)(uintptr_t)sim_mem_find(m, addr);
    if (!r || !sim_mem_span(m, addr, len))
        return NULL;
    if (r->borrowed) {
        uint8_t *own = malloc(r->size);
        if (!own) {
            *oom = true;
            return NULL;
        }
        memcpy(own, r->data, r->size);
        r->data = own;
        r->borrowed = false;
    }
    return r->data + (addr - r->base);
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
