/*
 * Unit tests for the register databases (isa/regdb/<soc>.regs through the
 * generated tables): structural sanity for every SoC, the RK3588 database
 * against ../shared/reference/registers-rk3588.txt (an independent
 * transcription of Mesa's registers.xml), and the documented RK3566 /
 * RK3562 / RK3576 differences (npu-isa.md §5, §7, §7.1).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"

static const rk_soc k_socs[] = {RK_SOC_RK3588, RK_SOC_RK3566, RK_SOC_RK3562, RK_SOC_RK3576};

/* No overlapping fields, every field inside bits 0..31 with a consistent
 * mask/width, known layouts cover all 32 bits exactly once, registers sorted
 * and unique, allow-lists only over reserved bits, enums fit their field. */
static void test_isa_db_fields_sane_for_every_soc(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof k_socs / sizeof k_socs[0]; s++) {
        size_t n;
        const isa_reg *regs = isa_reg_table(k_socs[s], &n);
        assert_non_null(regs);
        assert_true(n > 100);
        for (size_t r = 0; r < n; r++) {
            const isa_reg *reg = &regs[r];
            if (r)
                assert_true(regs[r - 1].offset < reg->offset);
            assert_true(reg->offset % 4 == 0);
            assert_int_equal(isa_block_of_offset(reg->offset), reg->block);
            uint32_t covered = 0, reserved = 0;
            for (size_t i = 0; i < reg->n_fields; i++) {
                const isa_field *f = &reg->fields[i];
                assert_true(f->lo <= f->hi && f->hi <= 31);
                assert_int_equal(f->width, f->hi - f->lo + 1);
                assert_true(f->width >= 1 && f->width <= 32);
                uint32_t m = (f->width == 32 ? 0xFFFFFFFFu : ((1u << f->width) - 1u)) << f->lo;
                assert_true(f->mask == m);
                if (covered & m)
                    fail_msg("%s %s: field %s overlaps", rk_soc_name(k_socs[s]), reg->name, f->name);
                covered |= m;
                if (f->flags & ISA_F_RESERVED)
                    reserved |= m;
                for (size_t k = 0; k < f->n_enums; k++)
                    assert_true(f->enums[k].value <= isa_field_max(f));
            }
            if (!(reg->flags & ISA_R_LAYOUT_UNKNOWN) && covered != 0xFFFFFFFFu)
                fail_msg("%s %s: fields cover 0x%08x", rk_soc_name(k_socs[s]), reg->name, covered);
            assert_true(reg->reserved_mask == reserved);
            assert_true((reg->vendor_ok_mask & ~reserved) == 0);
            assert_ptr_equal(isa_reg_lookup(k_socs[s], reg->offset), reg);
        }
    }
}

/* Every line "BLOCK REG OFFSET FIELD LOW HIGH" of registers-rk3588.txt is a
 * field of the RK3588 database with the same bits, and the counts agree
 * (711 fields, 199 registers + the 2 software-written unknown registers
 * CORE 0x3030 and DPU 0x40C4 of npu-isa.md §2.1). */
static void test_isa_db_rk3588_matches_registers_txt(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(path, "reference/registers-rk3588.txt");
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[256];
    size_t fields = 0;
    while (fgets(line, sizeof line, fp)) {
        char block[32], reg[64], field[64];
        unsigned off, lo, hi;
        if (line[0] == '#' ||
            sscanf(line, "%31s %63s %x %63s %u %u", block, reg, &off, field, &lo, &hi) != 6)
            continue;
        const isa_reg *r = isa_reg_lookup(RK_SOC_RK3588, (uint16_t)off);
        if (!r)
            fail_msg("0x%04x %s missing", off, reg);
        assert_int_equal(r->block, isa_block_of_offset((uint16_t)off));
        assert_string_equal(isa_block_name(r->block), block);
        const isa_field *f = isa_field_lookup(r, field);
        if (!f)
            fail_msg("%s.%s missing", r->name, field);
        assert_int_equal(f->lo, lo);
        assert_int_equal(f->hi, hi);
        assert_int_equal((f->flags & ISA_F_RESERVED) != 0, strncmp(field, "RESERVED", 8) == 0);
        fields++;
    }
    fclose(fp);
    assert_int_equal(fields, 711);
    size_t n, db_fields = 0;
    const isa_reg *regs = isa_reg_table(RK_SOC_RK3588, &n);
    for (size_t i = 0; i < n; i++)
        if (!(regs[i].flags & ISA_R_LAYOUT_UNKNOWN))
            db_fields += regs[i].n_fields;
    assert_int_equal(db_fields, 711);
    assert_int_equal(n, 199 + 2);
    assert_non_null(isa_reg_lookup(RK_SOC_RK3588, 0x3030));
    assert_non_null(isa_reg_lookup(RK_SOC_RK3588, 0x40C4));
}

/* RK3566/68 differences, npu-isa.md §7 / §7.1. */
static void test_isa_db_rk3566_known_differences(void **state)
{
    (void)state;
    const isa_soc_info *lite = isa_soc_info_get(RK_SOC_RK3566);
    const isa_soc_info *v2 = isa_soc_info_get(RK_SOC_RK3588);
    assert_int_equal(lite->cbuf_banks, 8);
    assert_int_equal(v2->cbuf_banks, 12);
    assert_int_equal(lite->pc_amount_scale, 1);
    assert_int_equal(v2->pc_amount_scale, 2);
    assert_true(isa_soc_has_block(RK_SOC_RK3566, ISA_BLK_B2000));
    assert_false(isa_soc_has_block(RK_SOC_RK3588, ISA_BLK_B2000));
    assert_non_null(isa_reg_lookup(RK_SOC_RK3566, 0x2004));
    assert_non_null(isa_reg_lookup(RK_SOC_RK3566, 0x200C));
    assert_null(isa_reg_lookup(RK_SOC_RK3588, 0x2004));
    const isa_reg *con4 = isa_reg_lookup(RK_SOC_RK3566, 0x1018);
    assert_non_null(con4);
    assert_string_equal(con4->name, "CNA_CONV_CON4");
    assert_null(isa_reg_lookup(RK_SOC_RK3588, 0x1018));
    /* lite-only registers 0x1210-0x1230, 0x302C, 0x5024/0x5030/0x503C */
    const uint16_t lite_only[] = {0x1210, 0x1230, 0x302C, 0x5024, 0x5030, 0x503C, 0x1114, 0x113C};
    for (size_t i = 0; i < sizeof lite_only / sizeof lite_only[0]; i++) {
        assert_non_null(isa_reg_lookup(RK_SOC_RK3566, lite_only[i]));
        assert_null(isa_reg_lookup(RK_SOC_RK3588, lite_only[i]));
    }
    /* CORE_MISC_CFG: fp16 lite streams write 0x00090009, which has RK3588-reserved
     * bits set; the lite layout must not be the RK3588 one. */
    const isa_reg *misc = isa_reg_lookup(RK_SOC_RK3566, 0x3010);
    const isa_reg *misc588 = isa_reg_lookup(RK_SOC_RK3588, 0x3010);
    assert_true((0x00090009u & misc588->reserved_mask) != 0);
    assert_true((0x00090009u & misc->reserved_mask) == 0);
    /* CNA_CONV_CON1: fp16 is 0x0000a220 on lite (rknn-format.md §1.6). */
    const isa_reg *con1 = isa_reg_lookup(RK_SOC_RK3566, 0x100C);
    assert_int_equal(isa_field_get(isa_field_lookup(con1, "PROC_PRECISION"), 0x0000a220u), 2);
    assert_int_equal(isa_field_get(isa_field_lookup(con1, "IN_PRECISION"), 0x0000a220u), 2);
    /* GLOBAL op_en bit 1 is reserved on RK3588, used by lite masks 0x0F/0x1F */
    assert_true(isa_reg_lookup(RK_SOC_RK3588, 0xF008)->reserved_mask & 0x2u);
    assert_false(isa_reg_lookup(RK_SOC_RK3566, 0xF008)->reserved_mask & 0x2u);
}

/* RK3562/RK3576: only the BSP facts (npu-isa.md §5); everything else unknown. */
static void test_isa_db_rk3562_rk3576_only_known_facts(void **state)
{
    (void)state;
    const rk_soc socs[] = {RK_SOC_RK3562, RK_SOC_RK3576};
    for (size_t s = 0; s < 2; s++) {
        const isa_soc_info *info = isa_soc_info_get(socs[s]);
        assert_int_equal(info->task_number_bits, 16);
        assert_int_equal(info->task_status_offset, 0x48);
        assert_int_equal(info->pc_amount_scale, 2);
        assert_int_equal(info->cbuf_banks, 0); /* unknown, not guessed */
        assert_false(info->layouts_known);
        const isa_reg *tc = isa_reg_lookup(socs[s], 0x0030);
        assert_int_equal(isa_field_lookup(tc, "TASK_NUMBER")->width, 16);
        assert_true(isa_reg_lookup(socs[s], 0x1004)->flags & ISA_R_LAYOUT_UNKNOWN);
        assert_non_null(isa_reg_lookup(socs[s], 0x0048));
    }
    assert_int_equal(isa_soc_info_get(RK_SOC_RK3588)->task_number_bits, 12);
}

/* Every field carries a provenance; reserved values of the TRM: MAC_GATING
 * reset 0x07800800, INTERRUPT_MASK bits reset to 1 (npu-isa.md §2.3). */
static void test_isa_db_provenance_and_resets(void **state)
{
    (void)state;
    const isa_field *slcg = isa_field_lookup(isa_reg_lookup(RK_SOC_RK3588, 0x300C), "SLCG_OP_EN");
    assert_true(slcg->flags & ISA_F_RESET_KNOWN);
    assert_int_equal(slcg->reset, 0x07800800);
    const isa_field *dpu0 = isa_field_lookup(isa_reg_lookup(RK_SOC_RK3588, 0x0020), "DPU_0");
    assert_int_equal(dpu0->reset, 1);
    size_t n;
    const isa_reg *regs = isa_reg_table(RK_SOC_RK3566, &n);
    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < regs[r].n_fields; i++)
            assert_true(regs[r].fields[i].prov != ISA_PROV_UNKNOWN ||
                        (regs[r].fields[i].flags & ISA_F_UNKNOWN));
    /* minus-one flags from npu-isa.md §2.4 */
    assert_true(isa_field_lookup(isa_reg_lookup(RK_SOC_RK3588, 0x4030), "WIDTH")->flags & ISA_F_MINUS1);
    assert_false(isa_field_lookup(isa_reg_lookup(RK_SOC_RK3588, 0x1020), "DATAIN_WIDTH")->flags &
                 ISA_F_MINUS1);
    /* enum names from the TRM (npu-isa.md §2.3) */
    const isa_field *ew = isa_field_lookup(isa_reg_lookup(RK_SOC_RK3588, 0x4070), "EW_ALU_ALGO");
    assert_string_equal(isa_field_enum_name(ew, 3), "DIV");
    const isa_field *pool = isa_field_lookup(isa_reg_lookup(RK_SOC_RK3588, 0x6024), "POOLING_METHOD");
    assert_string_equal(isa_field_enum_name(pool, 1), "MAX");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isa_db_fields_sane_for_every_soc),
        cmocka_unit_test(test_isa_db_rk3588_matches_registers_txt),
        cmocka_unit_test(test_isa_db_rk3566_known_differences),
        cmocka_unit_test(test_isa_db_rk3562_rk3576_only_known_facts),
        cmocka_unit_test(test_isa_db_provenance_and_resets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
