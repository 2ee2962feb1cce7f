/*
 * test_convert_dynamic.c - dynamic input sets: the --dynamic-input parser
 * (convert/cv_dynamic.c) and the container side (sim/rknn_sets.c): merging
 * per-set models into one file, selecting the set that matches an input,
 * refusing other shapes.  Expected values are hand-derived from the inputs
 * written in each test (shapes, task counts, command words).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "convert.h"
#include "rknn.h"

/* ---- parser ------------------------------------------------------------- */

static void test_dynamic_parse_single_input_three_sets(void **state)
{
    (void)state;
    rk_shape_sets s;
    rk_err e = {0};
    assert_int_equal(rk_shape_sets_parse("x=1,64,50,1;x=1,64,100,1; x=1,64,250,1 ", &s, &e), RK_OK);
    assert_int_equal(s.n_sets, 3);
    assert_int_equal(s.n_inputs, 1);
    assert_string_equal(s.names[0], "x");
    assert_int_equal(s.shapes[2].ndim, 4);
    assert_int_equal(s.shapes[0].dims[2], 50);
    assert_int_equal(s.shapes[1].dims[2], 100);
    assert_int_equal(s.shapes[2].dims[2], 250);
    char *spec = rk_shape_set_spec(&s, 1);
    assert_string_equal(spec, "x=1,64,100,1");
    free(spec);
    rk_shape_sets_free(&s);
}

/* Several inputs per set, given in another order in set 2: stored in set
 * 1's order. */
static void test_dynamic_parse_two_inputs_any_order(void **state)
{
    (void)state;
    rk_shape_sets s;
    rk_err e = {0};
    assert_int_equal(rk_shape_sets_parse("a=1,3,8,8 b=1,1,8,8;  b=1,1,16,16\ta=1,3,16,16", &s, &e), RK_OK);
    assert_int_equal(s.n_sets, 2);
    assert_int_equal(s.n_inputs, 2);
    assert_string_equal(s.names[0], "a");
    assert_string_equal(s.names[1], "b");
    assert_int_equal(s.shapes[2].dims[1], 3); /* set 2, input a */
    assert_int_equal(s.shapes[3].dims[1], 1); /* set 2, input b */
    assert_int_equal(s.shapes[3].dims[3], 16);
    char *spec = rk_shape_set_spec(&s, 1);
    assert_string_equal(spec, "a=1,3,16,16;b=1,1,16,16");
    free(spec);
    rk_shape_sets_free(&s);
}

static void expect_parse_error(const char *spec, const char *needle)
{
    rk_shape_sets s;
    rk_err e = {0};
    rk_status st = rk_shape_sets_parse(spec, &s, &e);
    if (st != RK_EUSAGE)
        fail_msg("'%s': status %d, expected usage error", spec, st);
    if (!strstr(e.msg, needle))
        fail_msg("'%s': message '%s' lacks '%s'", spec, e.msg, needle);
    assert_null(s.shapes);
}

static void test_dynamic_parse_rejects_bad_specs(void **state)
{
    (void)state;
    expect_parse_error("", "set 1 is empty");
    expect_parse_error("x=1,2;;x=1,3", "set 2 is empty");
    expect_parse_error("x=1,2;", "set 2 is empty");
    expect_parse_error("x1,2", "not NAME=D0,D1");
    expect_parse_error("=1,2", "not NAME=D0,D1");
    expect_parse_error("x=", "has no dims");
    expect_parse_error("x=1,0,3", "dim 1 is not a positive integer");
    expect_parse_error("x=1,-4", "dim 1 is not a positive integer");
    expect_parse_error("x=1,a", "dim 1 is not a positive integer");
    expect_parse_error("x=1,,2", "dim 1 is not a positive integer");
    expect_parse_error("x=1,2,", "ends with ','");
    expect_parse_error("x=1,99999999999", "dim 1 is not a positive integer");
    expect_parse_error("x=1,1,1,1,1,1,1,1,1", "more than 8 dims");
    expect_parse_error("x=1,2 x=1,3", "names input 'x' twice");
    expect_parse_error("x=1,2;y=1,2", "does not give input 'x'");
    expect_parse_error("x=1,2 y=1,2;x=1,3", "set 2 has 1 input, set 1 has 2");
    expect_parse_error("x=1,2;x=1,3;x=1,2", "set 3 repeats set 1");
}

/* ---- container: merge, list, select -------------------------------------- */

/* A one-input model like convert writes for one set: input `name` of shape
 * [1,c,h,1] (int8 NC1HWC2), one node with `n_tasks` tasks whose command
 * words are `word`. */
static rknn_model *set_model(const char *name, int32_t c, int32_t h, size_t n_tasks, uint64_t word)
{
    rknn_model *m;
    rk_err e = {0};
    assert_int_equal(rknn_new("RKNPU v2", "rk3588", &m, &e), RK_OK);
    int32_t shape[] = {1, c, h, 1}, native[] = {1, (c + 15) / 16, h, 1, 16};
    rknn_tensor in = {.name = (char *)name, .dtype_raw = RK_DT_I8, .kind = RKNN_KIND_INPUT,
                      .layout = RKNN_LAYOUT_NC1HWC2, .shape = shape, .n_shape = 4, .native_shape = native,
                      .n_native_shape = 5, .size = native[1] * h * 16};
    rknn_tensor out = in;
    out.name = "out";
    out.kind = RKNN_KIND_OUTPUT;
    out.pool_offset = in.size;
    uint32_t ti, to, ni;
    assert_int_equal(rknn_add_tensor(m, &in, &ti, &e), RK_OK);
    assert_int_equal(rknn_add_tensor(m, &out, &to, &e), RK_OK);
    int32_t nin = (int32_t)ti, nout = (int32_t)to;
    rknn_node n = {.type = "Relu", .name = "Relu:r", .inputs = &nin, .n_inputs = 1, .outputs = &nout,
                   .n_outputs = 1};
    assert_int_equal(rknn_add_node(m, &n, &ni, &e), RK_OK);
    assert_int_equal(rknn_add_graph_input(m, nin, &e), RK_OK);
    assert_int_equal(rknn_add_graph_output(m, nout, &e), RK_OK);
    uint64_t rc[8];
    rknn_task tasks[4];
    memset(tasks, 0, sizeof(tasks));
    for (size_t i = 0; i < 2 * n_tasks; i++)
        rc[i] = word;
    for (size_t i = 0; i < n_tasks; i++)
        tasks[i] = (rknn_task){.op_idx = ni, .enable_mask = 0x18, .regcfg_amount = 2, .regcmd_addr = 16 * i};
    assert_int_equal(rknn_set_program(m, rc, 2 * n_tasks, tasks, n_tasks, &e), RK_OK);
    return m;
}

/* Three sets (h = 50, 100, 250 with 1, 2, 3 tasks), merged, written and read
 * back: three graphs, each with its own program. */
static rknn_model *three_set_file(void)
{
    rk_err e = {0};
    rknn_model *m = set_model("x", 64, 50, 1, 0x50);
    rknn_model *b = set_model("x", 64, 100, 2, 0x100);
    rknn_model *c = set_model("x", 64, 250, 3, 0x250);
    assert_int_equal(rknn_append_graph_from(m, b, &e), RK_OK);
    assert_int_equal(rknn_append_graph_from(m, c, &e), RK_OK);
    rknn_free(b);
    rknn_free(c);
    uint8_t *buf;
    size_t len;
    assert_int_equal(rknn_write_buffer(m, &buf, &len, &e), RK_OK);
    rknn_model *r;
    if (rknn_load_buffer(buf, len, "merged", &r, &e) != RK_OK)
        fail_msg("%s", e.msg);
    char msg[256];
    if (!rknn_model_equal(m, r, msg, sizeof msg))
        fail_msg("%s", msg);
    free(buf);
    rknn_free(m);
    return r;
}

static rk_tensor input(const char *name, int64_t c, int64_t h)
{
    rk_tensor t = {0};
    int64_t d[4] = {1, c, h, 1};
    rk_err e = {0};
    assert_int_equal(rk_tensor_alloc(&t, name, RK_DT_F32, 4, d, &e), RK_OK);
    return t;
}

static void test_dynamic_merged_file_lists_sets(void **state)
{
    (void)state;
    rknn_model *m = three_set_file();
    assert_int_equal(rknn_n_shape_sets(m), 3);
    char buf[64];
    assert_int_equal(rknn_shape_set_str(m, 2, buf, sizeof buf), strlen("[1,64,250,1]"));
    assert_string_equal(buf, "[1,64,250,1]");
    /* truncation is reported like snprintf, the buffer stays terminated */
    assert_int_equal(rknn_shape_set_str(m, 0, buf, 4), strlen("[1,64,50,1]"));
    assert_string_equal(buf, "[1,");
    /* set 1 is active: its one task and command word */
    assert_int_equal(m->n_tasks, 1);
    assert_int_equal(m->regcmd[0], 0x50);
    rknn_free(m);
}

static void test_dynamic_select_picks_matching_set(void **state)
{
    (void)state;
    rknn_model *m = three_set_file();
    rk_err e = {0};
    rk_tensor t = input("x", 64, 250);
    uint32_t picked = 99;
    assert_int_equal(rknn_select_shape_set(m, &t, 1, false, &picked, &e), RK_OK);
    assert_int_equal(picked, 2);
    assert_int_equal(m->n_tasks, 3);
    assert_int_equal(m->regcmd[5], 0x250);
    assert_int_equal(m->graphs[0].tensors[m->graphs[0].inputs[0]].shape[2], 250);
    assert_int_equal(m->graphs[0].nodes[0].task_count, 3);
    rk_tensor_free(&t);
    /* then another set: picked is the position in the current order */
    t = input("x", 64, 100);
    assert_int_equal(rknn_select_shape_set(m, &t, 1, false, &picked, &e), RK_OK);
    assert_int_equal(m->n_tasks, 2);
    assert_int_equal(m->regcmd[0], 0x100);
    rk_tensor_free(&t);
    rknn_free(m);
}

/* An NHWC tensor [1,h,1,c] selects the set of NCHW shape [1,c,h,1]. */
static void test_dynamic_select_nhwc_view(void **state)
{
    (void)state;
    rknn_model *m = three_set_file();
    rk_err e = {0};
    rk_tensor t = {0};
    int64_t d[4] = {1, 100, 1, 64};
    assert_int_equal(rk_tensor_alloc(&t, "x", RK_DT_F32, 4, d, &e), RK_OK);
    uint32_t picked;
    assert_int_equal(rknn_select_shape_set(m, &t, 1, true, &picked, &e), RK_OK);
    assert_int_equal(picked, 1);
    assert_int_equal(rknn_select_shape_set(m, &t, 1, false, &picked, &e), RK_EINPUT);
    rk_tensor_free(&t);
    rknn_free(m);
}

static void test_dynamic_select_rejects_other_shape(void **state)
{
    (void)state;
    rknn_model *m = three_set_file();
    rk_err e = {0};
    rk_tensor t = input("x", 64, 60);
    assert_int_equal(rknn_select_shape_set(m, &t, 1, false, NULL, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "input 'x' has shape [1,64,60,1]; this model accepts [1,64,50,1], "
                                  "[1,64,100,1], [1,64,250,1]"));
    /* nothing changed: set 1 still active */
    assert_int_equal(m->n_tasks, 1);
    rk_tensor_free(&t);
    /* a different rank is refused too */
    rk_tensor r = {0};
    int64_t d[3] = {1, 64, 50};
    assert_int_equal(rk_tensor_alloc(&r, "x", RK_DT_F32, 3, d, &e), RK_OK);
    assert_int_equal(rknn_select_shape_set(m, &r, 1, false, NULL, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "[1,64,50]; this model accepts"));
    rk_tensor_free(&r);
    rknn_free(m);
}

/* A one-graph model is left alone whatever the shape (its own checks
 * apply later). */
static void test_dynamic_select_single_graph_untouched(void **state)
{
    (void)state;
    rknn_model *m = set_model("x", 8, 8, 1, 7);
    rk_err e = {0};
    rk_tensor t = input("x", 3, 3);
    uint32_t picked = 5;
    assert_int_equal(rknn_select_shape_set(m, &t, 1, false, &picked, &e), RK_OK);
    assert_int_equal(picked, 0);
    assert_int_equal(rknn_n_shape_sets(m), 1);
    rk_tensor_free(&t);
    rknn_free(m);
}

static void test_dynamic_use_graph_bad_index(void **state)
{
    (void)state;
    rknn_model *m = three_set_file();
    rk_err e = {0};
    assert_int_equal(rknn_use_graph(m, 3, &e), RK_EUSAGE);
    assert_non_null(strstr(e.msg, "the model has 3"));
    rknn_free(m);
}

/* Merging models for different targets is refused. */
static void test_dynamic_merge_rejects_other_target(void **state)
{
    (void)state;
    rknn_model *a = set_model("x", 8, 8, 1, 1);
    rknn_model *b;
    rk_err e = {0};
    assert_int_equal(rknn_new("RKNPU lite", "rk3566", &b, &e), RK_OK);
    assert_int_equal(rknn_append_graph_from(a, b, &e), RK_EUSAGE);
    assert_non_null(strstr(e.msg, "different targets"));
    assert_int_equal(a->n_graphs, 1);
    rknn_free(a);
    rknn_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dynamic_parse_single_input_three_sets),
        cmocka_unit_test(test_dynamic_parse_two_inputs_any_order),
        cmocka_unit_test(test_dynamic_parse_rejects_bad_specs),
        cmocka_unit_test(test_dynamic_merged_file_lists_sets),
        cmocka_unit_test(test_dynamic_select_picks_matching_set),
        cmocka_unit_test(test_dynamic_select_nhwc_view),
        cmocka_unit_test(test_dynamic_select_rejects_other_shape),
        cmocka_unit_test(test_dynamic_select_single_graph_untouched),
        cmocka_unit_test(test_dynamic_use_graph_bad_index),
        cmocka_unit_test(test_dynamic_merge_rejects_other_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
