/*
 * Unit tests for the ISA codec (isa.h): SoC names, regcmd entry encode /
 * decode, target classification, and checked field packing at every field
 * boundary of every register of every SoC database (max fits, max+1 is
 * rejected with an error naming REGISTER.FIELD, value and limit).
 *
 * Golden values: the entry layout target<<48 | value<<16 | reg and the
 * target codes are from npu-isa.md §1.1 (TRM text + Mesa emit_raw), the SoC
 * strings from rknn-format.md §1.4/§5; field limits are 2^width-1 by
 * definition, with widths taken from the database under test only to
 * enumerate the cases.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"

static void test_isa_soc_names_accept_all_spellings(void **state)
{
    (void)state;
    assert_int_equal(rk_soc_from_name("rk3588"), RK_SOC_RK3588);
    assert_int_equal(rk_soc_from_name("RK3588"), RK_SOC_RK3588);
    assert_int_equal(rk_soc_from_name("rk3566"), RK_SOC_RK3566);
    assert_int_equal(rk_soc_from_name("Rk3568"), RK_SOC_RK3566);
    assert_int_equal(rk_soc_from_name("rk356x"), RK_SOC_RK3566);
    assert_int_equal(rk_soc_from_name("rk3562"), RK_SOC_RK3562);
    assert_int_equal(rk_soc_from_name("rk3576"), RK_SOC_RK3576);
    assert_string_equal(rk_soc_name(RK_SOC_RK3566), "rk3566");
    assert_string_equal(rk_soc_name(RK_SOC_RK3588), "rk3588");
}

static void test_isa_soc_names_reject_unknown(void **state)
{
    (void)state;
    assert_int_equal(rk_soc_from_name("rk3399"), RK_SOC_UNKNOWN);
    assert_int_equal(rk_soc_from_name(""), RK_SOC_UNKNOWN);
    assert_int_equal(rk_soc_from_name(NULL), RK_SOC_UNKNOWN);
    assert_int_equal(rk_soc_from_name("rk3588 "), RK_SOC_UNKNOWN);
    assert_string_equal(rk_soc_name(RK_SOC_UNKNOWN), "unknown");
}

/* "RKNPU v2"/"RKNPU lite" in .rknn format fields; "v2"/"lite" in REGTASK
 * lines (rknn-format.md §5).  RK3562/RK3576 strings are not documented. */
static void test_isa_soc_target_and_format_strings(void **state)
{
    (void)state;
    assert_string_equal(rk_soc_target_string(RK_SOC_RK3588), "v2");
    assert_string_equal(rk_soc_target_string(RK_SOC_RK3566), "lite");
    assert_null(rk_soc_target_string(RK_SOC_RK3562));
    assert_null(rk_soc_target_string(RK_SOC_UNKNOWN));
    assert_int_equal(rk_soc_from_format_string("RKNPU v2"), RK_SOC_RK3588);
    assert_int_equal(rk_soc_from_format_string("RKNPU lite"), RK_SOC_RK3566);
    assert_int_equal(rk_soc_from_target_string("lite"), RK_SOC_RK3566);
    assert_int_equal(rk_soc_from_format_string("RKNPU v9"), RK_SOC_UNKNOWN);
    assert_int_equal(rk_soc_from_format_string(NULL), RK_SOC_UNKNOWN);
}

/* TRM example: 0x0081_0000_007f_0008 sets op_en of all blocks. */
static void test_isa_regcmd_decode_trm_example(void **state)
{
    (void)state;
    isa_regcmd c = isa_regcmd_decode(0x00810000007f0008ull);
    assert_int_equal(c.target, 0x0081);
    assert_int_equal(c.value, 0x7f);
    assert_int_equal(c.reg, 0x0008);
    /* A vendor entry from dumps/multiple_input_demo_RK3588: CNA_CONV_CON1 = 0x6000a000 */
    assert_true(isa_regcmd_encode(0x0201, 0x6000a000u, 0x100c) == 0x02016000a000100cull);
}

static void test_isa_regcmd_round_trip(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ull; /* xorshift sequence over all bit patterns */
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        isa_regcmd c = isa_regcmd_decode(x);
        assert_true(isa_regcmd_encode(c.target, c.value, c.reg) == x);
    }
    isa_regcmd z = isa_regcmd_decode(UINT64_MAX);
    assert_int_equal(z.target, 0xFFFF);
    assert_true(z.value == 0xFFFFFFFFu);
    assert_int_equal(z.reg, 0xFFFF);
}

static void test_isa_target_classify_known_codes(void **state)
{
    (void)state;
    static const struct {
        uint16_t target;
        isa_target_kind kind;
        isa_block blk;
    } cases[] = {
        {0x0101, ISA_TGT_BLOCK, ISA_BLK_PC},       {0x0201, ISA_TGT_BLOCK, ISA_BLK_CNA},
        {0x0401, ISA_TGT_BLOCK, ISA_BLK_B2000},    {0x0801, ISA_TGT_BLOCK, ISA_BLK_CORE},
        {0x1001, ISA_TGT_BLOCK, ISA_BLK_DPU},      {0x2001, ISA_TGT_BLOCK, ISA_BLK_DPU_RDMA},
        {0x4001, ISA_TGT_BLOCK, ISA_BLK_PPU},      {0x8001, ISA_TGT_BLOCK, ISA_BLK_PPU_RDMA},
        {0x0041, ISA_TGT_MARKER, ISA_BLK_NONE},    {0x0081, ISA_TGT_OP_EN, ISA_BLK_NONE},
        {0x0000, ISA_TGT_NOP, ISA_BLK_NONE},       {0x1003, ISA_TGT_UNKNOWN, ISA_BLK_NONE},
        {0x0200, ISA_TGT_UNKNOWN, ISA_BLK_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        isa_block blk;
        assert_int_equal(isa_target_classify(cases[i].target, &blk), cases[i].kind);
        assert_int_equal(blk, cases[i].blk);
    }
    assert_int_equal(isa_block_of_offset(0x5048), ISA_BLK_DPU_RDMA);
    assert_int_equal(isa_block_of_offset(0xA000), ISA_BLK_NONE);
    assert_int_equal(isa_block_target(ISA_BLK_DPU), 0x1001);
}

static void test_isa_regcmd_load_rejects_partial_entry(void **state)
{
    (void)state;
    uint8_t bytes[12] = {0};
    uint64_t *w = NULL;
    size_t n = 99;
    rk_err e = {0};
    assert_int_equal(isa_regcmd_load(bytes, sizeof bytes, "x.bin", &w, &n, &e), RK_EINPUT);
    assert_null(w);
    assert_int_equal(n, 0);
    assert_non_null(strstr(e.msg, "x.bin"));
    assert_non_null(strstr(e.msg, "multiple of 8"));
    /* little-endian */
    uint8_t le[8] = {0x0c, 0x10, 0x00, 0xa0, 0x00, 0x60, 0x01, 0x02};
    assert_int_equal(isa_regcmd_load(le, 8, "y", &w, &n, &e), RK_OK);
    assert_int_equal(n, 1);
    assert_true(w[0] == 0x02016000a000100cull);
    free(w);
}

/* For every field of every register of every SoC: the maximum value packs
 * and reads back, max+1 is refused with a message naming REGISTER.FIELD,
 * the value and the limit, and the register value is left untouched. */
static void test_isa_field_pack_every_boundary(void **state)
{
    (void)state;
    const rk_soc socs[] = {RK_SOC_RK3588, RK_SOC_RK3566, RK_SOC_RK3562, RK_SOC_RK3576};
    size_t checked = 0;
    for (size_t s = 0; s < sizeof socs / sizeof socs[0]; s++) {
        size_t n;
        const isa_reg *regs = isa_reg_table(socs[s], &n);
        assert_non_null(regs);
        for (size_t r = 0; r < n; r++) {
            for (size_t i = 0; i < regs[r].n_fields; i++) {
                const isa_field *f = &regs[r].fields[i];
                uint64_t max = ((uint64_t)1 << f->width) - 1;
                uint32_t v = 0xA5A5A5A5u;
                rk_err e = {0};
                assert_int_equal(isa_field_pack(&regs[r], f, (uint32_t)max, &v, &e), RK_OK);
                assert_true(isa_field_get(f, v) == max);
                assert_true((v & ~f->mask) == (0xA5A5A5A5u & ~f->mask)); /* other bits kept */
                if (max == 0xFFFFFFFFu)
                    continue; /* a 32-bit field cannot be given max+1 */
                uint32_t before = v;
                assert_int_equal(isa_field_pack(&regs[r], f, (uint32_t)(max + 1), &v, &e),
                                 RK_ECHECK);
                assert_true(v == before);
                char want[160], val[32], lim[32];
                snprintf(want, sizeof want, "%s.%s", regs[r].name, f->name);
                snprintf(val, sizeof val, "0x%llx", (unsigned long long)(max + 1));
                snprintf(lim, sizeof lim, "0x%llx", (unsigned long long)max);
                assert_non_null(strstr(e.msg, want));
                assert_non_null(strstr(e.msg, val));
                assert_non_null(strstr(e.msg, lim));
                checked++;
            }
        }
    }
    assert_true(checked > 700); /* RK3588 alone has ~700 fields below 32 bits */
}

/* DPU_DATA_CUBE_WIDTH.WIDTH is 13 bits (registers-rk3588.txt: 0 12): a cube
 * width of 8400 is stored as 8399 = 0x20cf and must be refused. */
static void test_isa_pack_by_name_rejects_cube_width_8400(void **state)
{
    (void)state;
    uint32_t v = 0;
    rk_err e = {0};
    assert_int_equal(isa_pack(RK_SOC_RK3588, "DPU_DATA_CUBE_WIDTH", "WIDTH", 8191, &v, &e), RK_OK);
    assert_int_equal(v, 8191);
    assert_int_equal(isa_pack(RK_SOC_RK3588, "DPU_DATA_CUBE_WIDTH", "WIDTH", 8399, &v, &e),
                     RK_ECHECK);
    assert_non_null(strstr(e.msg, "DPU_DATA_CUBE_WIDTH.WIDTH"));
    assert_non_null(strstr(e.msg, "0x20cf"));
    assert_non_null(strstr(e.msg, "0x1fff"));
    assert_int_equal(isa_pack(RK_SOC_RK3588, "DPU_NO_SUCH", "WIDTH", 1, &v, &e), RK_EUSAGE);
    assert_int_equal(isa_pack(RK_SOC_RK3588, "DPU_DATA_CUBE_WIDTH", "NOPE", 1, &v, &e), RK_EUSAGE);
    assert_int_equal(isa_pack(RK_SOC_UNKNOWN, "DPU_DATA_CUBE_WIDTH", "WIDTH", 1, &v, &e), RK_EUSAGE);
}

/* The generated macros agree with registers-rk3588.txt (hand-checked rows:
 * "DPU DATA_CUBE_WIDTH 0x4030 WIDTH 0 12", "CNA CONV_CON1 0x100C CONV_MODE 0 3",
 * "DPU_RDMA RDMA_SRC_DMA_CFG 0x5048 LINE_NOTCH_ADDR 19 31"). */
static void test_isa_generated_macros_match_reference(void **state)
{
    (void)state;
    assert_int_equal(RK_DPU_DATA_CUBE_WIDTH, 0x4030);
    assert_int_equal(RK_DPU_DATA_CUBE_WIDTH__WIDTH__SHIFT, 0);
    assert_int_equal(RK_DPU_DATA_CUBE_WIDTH__WIDTH__WIDTH, 13);
    assert_int_equal(RK_CNA_CONV_CON1, 0x100C);
    assert_int_equal(RK_CNA_CONV_CON1__CONV_MODE__MASK, 0xF);
    assert_int_equal(RK_DPU_RDMA_SRC_DMA_CFG__LINE_NOTCH_ADDR__SHIFT, 19);
    assert_int_equal(RK_DPU_RDMA_SRC_DMA_CFG__LINE_NOTCH_ADDR__WIDTH, 13);
    assert_int_equal(RK_GET(0x6000a000u, RK_CNA_CONV_CON1__ARGB_IN), 10);
    assert_true(RK_FITS(8191, RK_DPU_DATA_CUBE_WIDTH__WIDTH));
    assert_false(RK_FITS(8192, RK_DPU_DATA_CUBE_WIDTH__WIDTH));
    /* lite-only register under its own prefix */
    assert_int_equal(RK_LITE_CNA_CONV_CON4, 0x1018);
    assert_int_equal(RK_ENUM_PREC_DPU_FP16, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isa_soc_names_accept_all_spellings),
        cmocka_unit_test(test_isa_soc_names_reject_unknown),
        cmocka_unit_test(test_isa_soc_target_and_format_strings),
        cmocka_unit_test(test_isa_regcmd_decode_trm_example),
        cmocka_unit_test(test_isa_regcmd_round_trip),
        cmocka_unit_test(test_isa_target_classify_known_codes),
        cmocka_unit_test(test_isa_regcmd_load_rejects_partial_entry),
        cmocka_unit_test(test_isa_field_pack_every_boundary),
        cmocka_unit_test(test_isa_pack_by_name_rejects_cube_width_8400),
        cmocka_unit_test(test_isa_generated_macros_match_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
