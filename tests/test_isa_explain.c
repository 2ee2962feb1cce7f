/*
 * Unit tests for the build-log explainer (isa_explain.h) on each real line
 * listed in issue 2 (taken from public rknn-toolkit2 bug reports,
 * rknn-format.md §5).  Expected registers/fields are the rows of
 * registers-rk3588.txt for the logged offset and shift; the numbers are
 * hand-derived (0x20cf = 8399 -> axis 8400; 13-bit minus-one limit 8192).
 */
#include "testutil.h"

#include <string.h>

#include "isa_explain.h"

static char g_text[8192];

static const char *explain(const char *line, isa_log_line *l, isa_log_kind want)
{
    assert_int_equal(isa_log_parse_line(line, l), want);
    assert_int_equal(l->kind, want);
    size_t n = isa_log_explain(l, g_text, sizeof g_text);
    assert_int_equal(n, strlen(g_text));
    return g_text;
}

static void assert_has(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("missing '%s' in:\n%s", needle, text);
}

static void test_isa_explain_regtask_dpu_width(void **state)
{
    (void)state;
    isa_log_line l;
    const char *t = explain("E RKNN: [10:14:38.123] REGTASK: The bit width of field value exceeds "
                            "the limit, target: v2, offset: 0x4030, shift = 0, limit: 0x1fff, "
                            "value: 0x20cf",
                            &l, ISA_LOG_REGTASK);
    assert_int_equal(l.level, 'E');
    assert_string_equal(l.timestamp, "10:14:38.123");
    assert_int_equal(l.soc, RK_SOC_RK3588);
    assert_int_equal(l.offset, 0x4030);
    assert_int_equal(l.limit, 0x1fff);
    assert_true(l.value == 0x20cf);
    assert_string_equal(l.reg->name, "DPU_DATA_CUBE_WIDTH");
    assert_string_equal(l.field->name, "WIDTH");
    assert_has(t, "bits 12:0");
    assert_has(t, "8400");
    assert_has(t, "at most 8192");
    assert_has(t, "13-bit minus-one");
    assert_has(t, "#173");
    assert_has(t, "CPU");
}

static void test_isa_explain_regtask_rdma_width(void **state)
{
    (void)state;
    isa_log_line l;
    const char *t = explain("E RKNN: [10:14:38.124] REGTASK: The bit width of field value exceeds "
                            "the limit, target: v2, offset: 0x500c, shift = 0, limit: 0x1fff, "
                            "value: 0x20cf",
                            &l, ISA_LOG_REGTASK);
    assert_string_equal(l.reg->name, "DPU_RDMA_DATA_CUBE_WIDTH");
    assert_string_equal(l.field->name, "WIDTH");
    assert_has(t, "8400");
    assert_has(t, "#163");
}

static void test_isa_explain_regtask_notch_addr_1(void **state)
{
    (void)state;
    isa_log_line l;
    const char *t = explain("E RKNN: [16:02:11.510] REGTASK: The bit width of field value exceeds "
                            "the limit, target: v2, offset: 0x4038, shift = 16, limit: 0x1fff, "
                            "value: 0x5e010",
                            &l, ISA_LOG_REGTASK);
    assert_string_equal(l.reg->name, "DPU_DATA_CUBE_NOTCH_ADDR");
    assert_string_equal(l.field->name, "NOTCH_ADDR_1");
    assert_has(t, "bits 28:16");
    assert_has(t, "385040"); /* 0x5e010 */
    assert_has(t, "at most 8191");
    assert_has(t, "needs 19 bits");
    assert_has(t, "Flatten");
}

static void test_isa_explain_regtask_line_notch(void **state)
{
    (void)state;
    isa_log_line l;
    const char *t = explain("E RKNN: [09:41:07.882] REGTASK: The bit width of field value exceeds "
                            "the limit, target: v2, offset: 0x5048, shift = 19, limit: 0x1fff, "
                            "value: 0x4210",
                            &l, ISA_LOG_REGTASK);
    assert_string_equal(l.reg->name, "DPU_RDMA_SRC_DMA_CFG");
    assert_string_equal(l.field->name, "LINE_NOTCH_ADDR");
    assert_has(t, "bits 31:19");
    assert_has(t, "16912"); /* 0x4210 */
    assert_has(t, "Qwen2.5-VL");
}

static void test_isa_explain_regtask_lite_target(void **state)
{
    (void)state;
    isa_log_line l;
    explain("E RKNN: [00:00:00.000] REGTASK: The bit width of field value exceeds the limit, "
            "target: lite, offset: 0x4030, shift = 0, limit: 0x1fff, value: 0x20cf",
            &l, ISA_LOG_REGTASK);
    assert_int_equal(l.soc, RK_SOC_RK3566);
    assert_string_equal(l.reg->name, "DPU_DATA_CUBE_WIDTH");
}

static void test_isa_explain_align_surf(void **state)
{
    (void)state;
    isa_log_line l;
    const char *t = explain("W RKNN: [09:41:07.880] emitUnpackRegtasks: align_surf(4) > "
                            "notch_limit(8192)",
                            &l, ISA_LOG_ALIGN_SURF);
    assert_int_equal(l.level, 'W');
    assert_int_equal(l.num[0], 4);
    assert_int_equal(l.num[1], 8192);
    assert_has(t, "NOTCH_ADDR");
    assert_has(t, "8400");
}

static void test_isa_explain_datain_entries(void **state)
{
    (void)state;
    isa_log_line l;
    const char *t = explain("D RKNN: [09:41:07.870] DatainEntries overflow, need to tiling more, "
                            "datain_entries: 2100, limitation: 2048",
                            &l, ISA_LOG_DATAIN_ENTRIES);
    assert_int_equal(l.level, 'D');
    assert_int_equal(l.num[0], 2100);
    assert_int_equal(l.num[1], 2048);
    assert_has(t, "CNA_CBUF_CON1.DATA_ENTRIES");
    assert_has(t, "2100");
}

static void test_isa_explain_argb_mode(void **state)
{
    (void)state;
    isa_log_line l;
    const char *t = explain("E RKNN: [11:20:31.004] failed to config argb mode layer!", &l,
                            ISA_LOG_ARGB_MODE);
    assert_has(t, "CNA_CONV_CON1.ARGB_IN");
    assert_has(t, "#272");
}

static void test_isa_explain_core_fallback(void **state)
{
    (void)state;
    isa_log_line l;
    const char *t = explain("W RKNN: [10:14:37.990] Failed to config layer: "
                            "'Conv:/model.22/dfl/conv/Conv' using 3Core fallback to single core "
                            "mode, core_num 3 ori_Ih 4 ori_Iw 8400 ori_Ic 16",
                            &l, ISA_LOG_CORE_FALLBACK);
    assert_string_equal(l.layer, "Conv:/model.22/dfl/conv/Conv");
    assert_int_equal(l.num[0], 3);
    assert_int_equal(l.num[1], 4);
    assert_int_equal(l.num[2], 8400);
    assert_int_equal(l.num[3], 16);
    assert_has(t, "W=8400");
    assert_has(t, "one core");
}

static void test_isa_explain_unrecognised_and_blank(void **state)
{
    (void)state;
    isa_log_line l;
    assert_int_equal(isa_log_parse_line("I RKNN: [10:00:00.000] rknn building ...", &l),
                     ISA_LOG_UNRECOGNISED);
    assert_int_equal(isa_log_explain(&l, g_text, sizeof g_text), 0);
    assert_int_equal(isa_log_parse_line("   \t", &l), ISA_LOG_BLANK);
    assert_int_equal(isa_log_parse_line("", &l), ISA_LOG_BLANK);
    /* a mangled REGTASK line is not half-parsed */
    assert_int_equal(isa_log_parse_line("E RKNN: REGTASK: The bit width of field value exceeds the "
                                        "limit, target: v2, offset: zz",
                                        &l),
                     ISA_LOG_UNRECOGNISED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isa_explain_regtask_dpu_width),
        cmocka_unit_test(test_isa_explain_regtask_rdma_width),
        cmocka_unit_test(test_isa_explain_regtask_notch_addr_1),
        cmocka_unit_test(test_isa_explain_regtask_line_notch),
        cmocka_unit_test(test_isa_explain_regtask_lite_target),
        cmocka_unit_test(test_isa_explain_align_surf),
        cmocka_unit_test(test_isa_explain_datain_entries),
        cmocka_unit_test(test_isa_explain_argb_mode),
        cmocka_unit_test(test_isa_explain_core_fallback),
        cmocka_unit_test(test_isa_explain_unrecognised_and_blank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
