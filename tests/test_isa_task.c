/*
 * Unit tests for the task table loader, the PC task-chain walker/checker
 * and task recovery from raw streams.
 *
 * Golden data: the four vendor .rknn files in ../shared/datasets and their
 * independent decoded dumps ../shared/reference/dumps/<model>.regcmd.txt, whose
 * first line gives the regcmd/task buffer file offsets and whose "task N"
 * lines give every task record; the amount formula numbers are the ones
 * npu-isa.md §1.3/§7.1 verified on vendor streams.  The streams are read
 * straight from the file offsets, independently of the container reader.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"

typedef struct vendor_case {
    const char *dump;  /* under reference/dumps */
    const char *model; /* under datasets/rknn-vendor */
    rk_soc soc;
} vendor_case;

static const vendor_case k_cases[] = {
    {"multiple_input_demo_RK3588.regcmd.txt", "multiple_input_demo/RK3588_multiple_input_demo.rknn",
     RK_SOC_RK3588},
    {"multiple_input_demo_RK3566_RK3568.regcmd.txt",
     "multiple_input_demo/RK3566_RK3568_multiple_input_demo.rknn", RK_SOC_RK3566},
    {"dual_residual_custom_RK3588.regcmd.txt", "dual_residual_custom/RK3588_dual_residual_custom.rknn",
     RK_SOC_RK3588},
    {"dual_residual_custom_RK3566_RK3568.regcmd.txt",
     "dual_residual_custom/RK3566_RK3568_dual_residual_custom.rknn", RK_SOC_RK3566},
};

/* A vendor stream loaded through the dump's offsets, with the dump's own
 * task lines for comparison. */
typedef struct vendor_stream {
    uint64_t *words;
    size_t n_words;
    isa_task_desc *tasks;
    size_t n_tasks;
    isa_task_desc dump_tasks[64];
    size_t n_dump_tasks;
} vendor_stream;

static bool load_vendor(const vendor_case *c, vendor_stream *vs)
{
    char rel[256];
    snprintf(rel, sizeof rel, "reference/dumps/%s", c->dump);
    const char *dump = tu_shared_path(rel);
    snprintf(rel, sizeof rel, "datasets/rknn-vendor/%s", c->model);
    const char *model = tu_shared_path(rel);
    if (!dump || !model)
        return false;
    memset(vs, 0, sizeof *vs);
    FILE *fp = fopen(dump, "r");
    assert_non_null(fp);
    char line[512];
    unsigned long rc_len = 0, rc_off = 0, t_len = 0, t_off = 0;
    assert_non_null(fgets(line, sizeof line, fp));
    const char *p = strstr(line, ": regcmd ");
    assert_non_null(p);
    assert_int_equal(sscanf(p, ": regcmd %lu B @0x%lx; task %lu B @0x%lx", &rc_len, &rc_off, &t_len,
                            &t_off),
                     4);
    while (fgets(line, sizeof line, fp) && vs->n_dump_tasks < 64) {
        isa_task_desc d = {0};
        unsigned long long addr;
        unsigned idx;
        if (sscanf(line,
                   "  task %u op_idx %u enable_mask 0x%x int_mask 0x%x int_clear 0x%x "
                   "regcfg_amount %u regcfg_offset %u regcmd_addr(off) 0x%llx",
                   &idx, &d.op_idx, &d.enable_mask, &d.int_mask, &d.int_clear, &d.regcfg_amount,
                   &d.regcfg_offset, &addr) == 8) {
            d.regcmd_addr = addr;
            vs->dump_tasks[vs->n_dump_tasks++] = d;
        }
    }
    fclose(fp);
    uint8_t *bytes = NULL;
    size_t len = 0;
    rk_err e = {0};
    assert_int_equal(rk_read_file(model, &bytes, &len, 0, &e), RK_OK);
    assert_true(rc_off + rc_len <= len && t_off + t_len <= len);
    assert_int_equal(isa_regcmd_load(bytes + rc_off, rc_len, c->model, &vs->words, &vs->n_words, &e),
                     RK_OK);
    assert_int_equal(
        isa_task_table_load(bytes + t_off, t_len, c->model, &vs->tasks, &vs->n_tasks, &e), RK_OK);
    free(bytes);
    return true;
}

static void free_vendor(vendor_stream *vs)
{
    free(vs->words);
    free(vs->tasks);
}

/* npu-isa.md §1.3 / §7.1: RK3588 126->64, 122->62, 26->14; RK3566 133->136, 113->116. */
static void test_isa_pc_amount_formula_matches_vendor_numbers(void **state)
{
    (void)state;
    const struct {
        rk_soc soc;
        uint32_t n, want;
    } cases[] = {{RK_SOC_RK3588, 126, 64}, {RK_SOC_RK3588, 122, 62}, {RK_SOC_RK3588, 26, 14},
                 {RK_SOC_RK3588, 108, 55}, {RK_SOC_RK3566, 133, 136}, {RK_SOC_RK3566, 113, 116}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t a = 0;
        assert_true(isa_pc_amount_for(cases[i].soc, cases[i].n, &a));
        assert_int_equal(a, cases[i].want);
    }
    uint32_t a;
    assert_false(isa_pc_amount_for(RK_SOC_UNKNOWN, 10, &a));
}

/* The task table parses to exactly the dump's task lines, and every vendor
 * chain is consistent on its own SoC. */
static void test_isa_chain_vendor_streams_consistent(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
        vendor_stream vs;
        if (!load_vendor(&k_cases[i], &vs))
            skip();
        assert_true(vs.n_dump_tasks >= 2);
        assert_true(vs.n_tasks >= vs.n_dump_tasks);
        for (size_t t = 0; t < vs.n_dump_tasks; t++) {
            assert_int_equal(vs.tasks[t].op_idx, vs.dump_tasks[t].op_idx);
            assert_int_equal(vs.tasks[t].enable_mask, vs.dump_tasks[t].enable_mask);
            assert_int_equal(vs.tasks[t].regcfg_amount, vs.dump_tasks[t].regcfg_amount);
            assert_true(vs.tasks[t].regcmd_addr == vs.dump_tasks[t].regcmd_addr);
        }
        rk_err e = {0};
        size_t issues = isa_chain_check(k_cases[i].soc, vs.words, vs.n_words, vs.tasks, vs.n_tasks,
                                        NULL, NULL, &e);
        if (issues != 0)
            fail_msg("%s: %zu chain issues on its own SoC", k_cases[i].model, issues);
        /* iterator: every task has its tail inside the buffer */
        isa_task_iter it;
        isa_task_view v;
        size_t seen = 0;
        isa_task_iter_init(&it, k_cases[i].soc, vs.words, vs.n_words, vs.tasks, vs.n_tasks);
        while (isa_task_iter_next(&it, &v)) {
            assert_true(v.has_tail);
            assert_int_equal(v.op_en_mask, vs.tasks[v.index].enable_mask);
            seen++;
        }
        assert_int_equal(seen, vs.n_tasks);
        free_vendor(&vs);
    }
}

static void count_kind(const isa_chain_issue *is, void *user)
{
    size_t *counts = user;
    counts[is->kind]++;
}

/* An RK3588 chain read with the RK3566 formula (n+3) is inconsistent. */
static void test_isa_chain_rk3588_stream_wrong_on_rk3566(void **state)
{
    (void)state;
    vendor_stream vs;
    if (!load_vendor(&k_cases[0], &vs))
        skip();
    size_t counts[16] = {0};
    rk_err e = {0};
    size_t n = isa_chain_check(RK_SOC_RK3566, vs.words, vs.n_words, vs.tasks, vs.n_tasks, count_kind,
                               counts, &e);
    assert_true(n > 0);
    assert_int_equal(counts[ISA_CHAIN_BAD_AMOUNT], n);
    free_vendor(&vs);
}

/* Crafted breaks of a real chain are each reported. */
static void test_isa_chain_detects_crafted_breaks(void **state)
{
    (void)state;
    vendor_stream vs;
    if (!load_vendor(&k_cases[1], &vs)) /* RK3566 multiple_input_demo */
        skip();
    size_t tail = vs.tasks[0].regcmd_addr / 8 + vs.tasks[0].regcfg_amount;
    size_t counts[16];
    rk_err e = {0};
    uint64_t saved_amount = vs.words[tail + 1];
    isa_regcmd c = isa_regcmd_decode(saved_amount);
    vs.words[tail + 1] = isa_regcmd_encode(c.target, c.value + 1, c.reg);
    memset(counts, 0, sizeof counts);
    assert_int_equal(isa_chain_check(RK_SOC_RK3566, vs.words, vs.n_words, vs.tasks, vs.n_tasks,
                                     count_kind, counts, &e), 1);
    assert_int_equal(counts[ISA_CHAIN_BAD_AMOUNT], 1);
    vs.words[tail + 1] = saved_amount;

    uint64_t saved_base = vs.words[tail];
    vs.words[tail] = isa_regcmd_encode(ISA_TARGET_PC, 0x123450, 0x0010);
    memset(counts, 0, sizeof counts);
    assert_int_equal(isa_chain_check(RK_SOC_RK3566, vs.words, vs.n_words, vs.tasks, vs.n_tasks,
                                     count_kind, counts, &e), 1);
    assert_int_equal(counts[ISA_CHAIN_BAD_NEXT_ADDR], 1);
    vs.words[tail] = saved_base;

    vs.tasks[1].enable_mask ^= 0x10;
    memset(counts, 0, sizeof counts);
    assert_int_equal(isa_chain_check(RK_SOC_RK3566, vs.words, vs.n_words, vs.tasks, vs.n_tasks,
                                     count_kind, counts, &e), 1);
    assert_int_equal(counts[ISA_CHAIN_ENABLE_MISMATCH], 1);
    vs.tasks[1].enable_mask ^= 0x10;

    vs.tasks[2].regcfg_amount += 1; /* the tail no longer lines up */
    memset(counts, 0, sizeof counts);
    assert_true(isa_chain_check(RK_SOC_RK3566, vs.words, vs.n_words, vs.tasks, vs.n_tasks,
                                count_kind, counts, &e) >= 1);
    assert_true(counts[ISA_CHAIN_BAD_TAIL] == 1);
    vs.tasks[2].regcfg_amount -= 1;

    /* truncated buffer: the last task runs off the end */
    memset(counts, 0, sizeof counts);
    size_t last_end = vs.tasks[vs.n_tasks - 1].regcmd_addr / 8 + 2;
    isa_chain_check(RK_SOC_RK3566, vs.words, last_end, vs.tasks, vs.n_tasks, count_kind, counts, &e);
    assert_int_equal(counts[ISA_CHAIN_TASK_OUT_OF_RANGE], 1);
    assert_int_equal(isa_chain_check(RK_SOC_UNKNOWN, vs.words, vs.n_words, vs.tasks, vs.n_tasks,
                                     NULL, NULL, &e), SIZE_MAX);
    free_vendor(&vs);
}

/* Tasks recovered from the raw stream equal the file's task table. */
static void test_isa_task_discover_matches_task_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
        vendor_stream vs;
        if (!load_vendor(&k_cases[i], &vs))
            skip();
        isa_task_desc *found = NULL;
        size_t n = 0;
        rk_err e = {0};
        assert_int_equal(isa_task_discover(vs.words, vs.n_words, &found, &n, &e), RK_OK);
        assert_int_equal(n, vs.n_tasks);
        for (size_t t = 0; t < n; t++) {
            assert_true(found[t].regcmd_addr == vs.tasks[t].regcmd_addr);
            assert_int_equal(found[t].regcfg_amount, vs.tasks[t].regcfg_amount);
            assert_int_equal(found[t].enable_mask, vs.tasks[t].enable_mask);
        }
        free(found);
        free_vendor(&vs);
    }
}

static void test_isa_task_table_rejects_partial_record(void **state)
{
    (void)state;
    uint8_t bytes[41] = {0};
    isa_task_desc *t = NULL;
    size_t n = 0;
    rk_err e = {0};
    assert_int_equal(isa_task_table_load(bytes, sizeof bytes, "task", &t, &n, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "40-byte"));
    assert_null(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isa_pc_amount_formula_matches_vendor_numbers),
        cmocka_unit_test(test_isa_chain_vendor_streams_consistent),
        cmocka_unit_test(test_isa_chain_rk3588_stream_wrong_on_rk3566),
        cmocka_unit_test(test_isa_chain_detects_crafted_breaks),
        cmocka_unit_test(test_isa_task_discover_matches_task_table),
        cmocka_unit_test(test_isa_task_table_rejects_partial_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
