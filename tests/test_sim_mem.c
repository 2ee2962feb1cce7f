/*
 * test_sim_mem.c - the simulated DRAM image (sim/mem.c): placement, bounds,
 * and copy-on-write of borrowed regions (the model's const buffers are
 * mapped without a copy; a write must never reach the model's bytes).
 * Expected values are hand-derived from the rules stated in sim/mem.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mem.h"

static void test_mem_regions_are_aligned_with_guard_gaps(void **state)
{
    (void)state;
    sim_mem m;
    sim_mem_init(&m);
    rk_err e = {0};
    const sim_region *a, *b;
    assert_int_equal(sim_mem_add(&m, "a", 100, &a, &e), RK_OK);
    assert_int_equal(sim_mem_add(&m, "b", 5000, &b, &e), RK_OK);
    uint32_t abase = a->base, bbase = b->base;
    assert_int_equal(abase, SIM_MEM_BASE);
    /* 100 bytes round up to one 4 KiB page, then a 4 KiB guard gap */
    assert_int_equal(bbase, SIM_MEM_BASE + 2 * SIM_MEM_ALIGN);
    assert_non_null(sim_mem_span(&m, abase + 99, 1));
    assert_null(sim_mem_span(&m, abase + 99, 2));       /* crosses the end of a */
    assert_null(sim_mem_span(&m, abase + SIM_MEM_ALIGN, 1)); /* the guard gap */
    assert_null(sim_mem_span(&m, 0, 1));                 /* an unrelocated address */
    sim_mem_free(&m);
}

static void test_mem_borrowed_region_copies_on_write(void **state)
{
    (void)state;
    uint8_t model_bytes[64];
    for (int i = 0; i < 64; i++)
        model_bytes[i] = (uint8_t)i;
    sim_mem m;
    sim_mem_init(&m);
    rk_err e = {0};
    const sim_region *r;
    assert_int_equal(sim_mem_add_borrowed(&m, "const:w", model_bytes, sizeof model_bytes, &r, &e), RK_OK);
    uint32_t base = r->base;
    const uint8_t *rd = sim_mem_span(&m, base + 10, 4);
    assert_non_null(rd);
    assert_ptr_equal(rd, model_bytes + 10); /* reads see the model's own bytes, no copy */
    bool oom = false;
    uint8_t *wr = sim_mem_span_w(&m, base + 10, 4, &oom);
    assert_non_null(wr);
    assert_false(oom);
    wr[0] = 0xAA;
    assert_int_equal(model_bytes[10], 10); /* the model is untouched */
    rd = sim_mem_span(&m, base + 10, 1);
    assert_int_equal(rd[0], 0xAA);         /* the image sees the write */
    assert_int_equal(sim_mem_span(&m, base + 63, 1)[0], 63); /* the rest was copied */
    assert_null(sim_mem_span_w(&m, base + 60, 8, &oom));     /* out of bounds: NULL, not oom */
    assert_false(oom);
    sim_mem_free(&m);
    assert_int_equal(model_bytes[10], 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mem_regions_are_aligned_with_guard_gaps),
        cmocka_unit_test(test_mem_borrowed_region_copies_on_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
