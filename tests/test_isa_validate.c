/*
 * Unit tests for the register-write validator (isa_validate_entry) and the
 * vendor REGTASK wording.  Golden values: the REGTASK line of the issue /
 * rknn-format.md §5 (offset 0x4030, shift 0, limit 0x1fff, value 0x20cf for
 * a YOLOv8 width of 8400), field layouts of registers-rk3588.txt, and the
 * vendor-observed values of npu-isa.md §7.1.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "isa.h"

static size_t validate(rk_soc soc, uint16_t target, uint32_t value, uint16_t reg,
                       isa_violation *v, size_t max)
{
    return isa_validate_entry(soc, isa_regcmd_encode(target, value, reg), v, max);
}

/* A DPU output cube 8400 wide: DATA_CUBE_WIDTH stores 8399 = 0x20cf in a
 * 13-bit field (bits 12:0), so bit 13 (reserved) is set. */
static void test_isa_validate_catches_cube_width_8400(void **state)
{
    (void)state;
    isa_violation v[4];
    size_t n = validate(RK_SOC_RK3588, ISA_TARGET_DPU, 8400 - 1, 0x4030, v, 4);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].kind, ISA_V_FIELD_OVERFLOW);
    assert_string_equal(v[0].reg->name, "DPU_DATA_CUBE_WIDTH");
    assert_string_equal(v[0].field->name, "WIDTH");
    assert_int_equal(v[0].limit, 0x1fff);
    assert_int_equal(v[0].field_value, 0x20cf);
    assert_int_equal(v[0].bits_lo, 0);
    assert_true(v[0].field->flags & ISA_F_MINUS1);
    char buf[256];
    isa_format_regtask(RK_SOC_RK3588, v[0].cmd.reg, v[0].bits_lo, v[0].limit, v[0].field_value,
                       buf, sizeof buf);
    assert_string_equal(buf, "REGTASK: The bit width of field value exceeds the limit, target: v2, "
                             "offset: 0x4030, shift = 0, limit: 0x1fff, value: 0x20cf");
    /* the same width on the DPU RDMA side (0x500c in the second line) */
    n = validate(RK_SOC_RK3588, ISA_TARGET_DPU_RDMA, 0x20cf, 0x500c, v, 4);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].kind, ISA_V_FIELD_OVERFLOW);
    assert_string_equal(v[0].reg->name, "DPU_RDMA_DATA_CUBE_WIDTH");
    /* 8192 = stored 8191 fits */
    assert_int_equal(validate(RK_SOC_RK3588, ISA_TARGET_DPU, 8191, 0x4030, v, 4), 0);
}

/* A notch address in the upper field: NOTCH_ADDR_1 is 28:16 (13 bits). */
static void test_isa_validate_overflow_of_upper_field(void **state)
{
    (void)state;
    isa_violation v[4];
    size_t n = validate(RK_SOC_RK3588, ISA_TARGET_DPU, 0x2000u << 16, 0x4038, v, 4);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].kind, ISA_V_FIELD_OVERFLOW);
    assert_string_equal(v[0].field->name, "NOTCH_ADDR_1");
    assert_int_equal(v[0].bits_lo, 16);
    assert_int_equal(v[0].field_value, 0x2000);
}

static void test_isa_validate_reserved_bits_and_allow_list(void **state)
{
    (void)state;
    isa_violation v[4];
    /* CNA_CONV_CON1 bit 31 is reserved (registers-rk3588.txt RESERVED_0 31 31)
     * and not directly above a value field's overflow run */
    size_t n = validate(RK_SOC_RK3588, ISA_TARGET_CNA, 0x80000000u, 0x100C, v, 4);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].kind, ISA_V_RESERVED_BITS);
    assert_int_equal(v[0].bits_lo, 31);
    /* Vendor RK3588 values with reserved bits on the allow-list (§7.1) pass */
    assert_int_equal(validate(RK_SOC_RK3588, ISA_TARGET_PC, 0x4001003e, 0x0014, v, 4), 0);
    assert_int_equal(validate(RK_SOC_RK3588, ISA_TARGET_CNA, 0x200002b0, 0x1010, v, 4), 0);
    assert_int_equal(validate(RK_SOC_RK3588, ISA_TARGET_CNA, 0x00004000, 0x1044, v, 4), 0);
    /* ... but not on RK3566, whose streams never set them */
    assert_true(validate(RK_SOC_RK3566, ISA_TARGET_PC, 0x4001003e, 0x0014, v, 4) >= 1);
    /* Lite values with RK3588-reserved bits (§7.1) pass on lite, fail on RK3588 */
    assert_int_equal(validate(RK_SOC_RK3566, ISA_TARGET_CORE, 0x00090009, 0x3010, v, 4), 1);
    assert_int_equal(v[0].kind, ISA_V_LAYOUT_UNKNOWN); /* a note, not a violation */
    assert_true(isa_violation_is_note(v[0].kind));
    assert_int_equal(validate(RK_SOC_RK3566, ISA_TARGET_CNA, 0xFF800011, 0x1068, v, 4), 0);
    assert_int_equal(validate(RK_SOC_RK3566, ISA_TARGET_CNA, 0x00171C07, 0x1078, v, 4), 0);
    assert_true(validate(RK_SOC_RK3588, ISA_TARGET_CNA, 0x00171C07, 0x1078, v, 4) >= 1);
    assert_true(validate(RK_SOC_RK3588, ISA_TARGET_CORE, 0x00090009, 0x3010, v, 4) >= 1);
}

static void test_isa_validate_blocks_and_targets(void **state)
{
    (void)state;
    isa_violation v[4];
    /* 0x0401 / 0x2004 exists on lite only */
    assert_int_equal(validate(RK_SOC_RK3566, ISA_TARGET_B2000, 0xe, 0x2004, v, 4), 0);
    assert_int_equal(validate(RK_SOC_RK3588, ISA_TARGET_B2000, 0xe, 0x2004, v, 4), 1);
    assert_int_equal(v[0].kind, ISA_V_BLOCK_ABSENT);
    /* unknown target code */
    assert_int_equal(validate(RK_SOC_RK3588, 0x1003, 0, 0x4014, v, 4), 1);
    assert_int_equal(v[0].kind, ISA_V_UNKNOWN_TARGET);
    /* target and offset disagree */
    assert_int_equal(validate(RK_SOC_RK3588, ISA_TARGET_CNA, 0, 0x4030, v, 4), 1);
    assert_int_equal(v[0].kind, ISA_V_TARGET_MISMATCH);
    /* no register there */
    assert_int_equal(validate(RK_SOC_RK3588, ISA_TARGET_CNA, 0, 0x1018, v, 4), 1);
    assert_int_equal(v[0].kind, ISA_V_UNKNOWN_REGISTER);
    /* op_en masks: lite 0x1f sets bit 1, reserved on RK3588 (GLOBAL layout, §1.1) */
    assert_int_equal(validate(RK_SOC_RK3566, ISA_TARGET_OP_EN, 0x1f, 0x0008, v, 4), 0);
    assert_int_equal(validate(RK_SOC_RK3588, ISA_TARGET_OP_EN, 0x1d, 0x0008, v, 4), 0);
    assert_int_equal(validate(RK_SOC_RK3588, ISA_TARGET_OP_EN, 0x1f, 0x0008, v, 4), 1);
    assert_int_equal(v[0].kind, ISA_V_RESERVED_BITS);
    /* NOP and marker */
    assert_int_equal(isa_validate_entry(RK_SOC_RK3588, 0, v, 4), 0);
    assert_int_equal(isa_validate_entry(RK_SOC_RK3588, 0x0041000000000000ull, v, 4), 0);
    assert_int_equal(isa_validate_entry(RK_SOC_RK3588, 0x0000000000001234ull, v, 4), 1);
}

/* CBUF banks: RK3588 streams use 12 (0x48, 0xa2), lite 8 (0x71, 0x44). */
static void test_isa_validate_cbuf_banks_per_soc(void **state)
{
    (void)state;
    isa_violation v[4];
    assert_int_equal(validate(RK_SOC_RK3588, ISA_TARGET_CNA, 0xa2, 0x1040, v, 4), 0);
    assert_int_equal(validate(RK_SOC_RK3566, ISA_TARGET_CNA, 0x71, 0x1040, v, 4), 0);
    assert_int_equal(validate(RK_SOC_RK3566, ISA_TARGET_CNA, 0xa2, 0x1040, v, 4), 1);
    assert_int_equal(v[0].kind, ISA_V_RULE);
    assert_int_equal(v[0].field_value, 12);
    assert_int_equal(v[0].limit, 8);
    assert_non_null(strstr(v[0].detail, "12"));
}

/* Findings beyond `max` are counted but not stored. */
static void test_isa_validate_counts_beyond_max(void **state)
{
    (void)state;
    isa_violation v[1];
    /* CNA_CONV_CON1: bit 31 and bits 17..28 reserved, both set */
    size_t n = validate(RK_SOC_RK3588, ISA_TARGET_CNA, 0x80020000u, 0x100C, v, 1);
    assert_int_equal(n, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isa_validate_catches_cube_width_8400),
        cmocka_unit_test(test_isa_validate_overflow_of_upper_field),
        cmocka_unit_test(test_isa_validate_reserved_bits_and_allow_list),
        cmocka_unit_test(test_isa_validate_blocks_and_targets),
        cmocka_unit_test(test_isa_validate_cbuf_banks_per_soc),
        cmocka_unit_test(test_isa_validate_counts_beyond_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
