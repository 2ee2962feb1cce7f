/*
 * test_rknn.c - the .rknn reader/writer against the vendor files in
 * ../shared/datasets/rknn-vendor.
 *
 * Golden values come from independent sources, named at each use:
 *  [dump]   ../shared/reference/dumps/<model>.fb.txt / .regcmd.txt (decoded
 *           by a separate Python tool)
 *  [fmt]    ../shared/reference/rknn-format.md
 *  [file]   the raw bytes of the vendor file itself
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "rknn.h"

typedef struct vendor_file {
    const char *rel;
    unsigned container;
    const char *soc;
    size_t tasks;      /* [dump] regcmd.txt header / [fmt] §1.6 */
    uint32_t nodes;    /* [dump] graph line / [fmt] §2 */
    uint32_t inputs, outputs;
} vendor_file;

#define VD "datasets/rknn-vendor/"
static const vendor_file vendor[] = {
    {VD "dual_residual_custom/RK3566_RK3568_dual_residual_custom.rknn", 6,
     "rk3566", 2, 7, 2, 2},
    {VD "dual_residual_custom/RK3588_dual_residual_custom.rknn", 6, "rk3588",
     17, 7, 2, 2},
    {VD "multiple_input_demo/RK3566_RK3568_multiple_input_demo.rknn", 6,
     "rk3566", 10, 5, 2, 1},
    {VD "multiple_input_demo/RK3588_multiple_input_demo.rknn", 6, "rk3588", 17,
     5, 2, 1},
    {VD "pp_human_segv2_custom_argmax/RK3588_pp_human_segv2_custom_argmax.rknn",
     6, "rk3588", 1722, 102, 1, 1},
    /* [fmt] §2: the v1 RK3588 demo's runtime field says rk3566 */
    {VD "legacy/old_rknpu2_multiple_input_demo_RK356X.rknn", 1, "rk3566", 0, 0,
     2, 1},
    {VD "legacy/old_rknpu2_multiple_input_demo_RK3588.rknn", 1, "rk3566", 0, 0,
     2, 1},
    {VD "legacy/yolov8n_rknnopt_RK3566_3568_i8.rknn", 4, "rk3566", 0, 0, 1, 0},
};

static rknn_model *load(const char *path)
{
    rk_err e = {0};
    rknn_model *m = NULL;
    rk_status st = rknn_load_file(path, &m, &e);
    if (st)
        fail_msg("%s", e.msg);
    return m;
}

static void test_rknn_vendor_files_load(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(root, "datasets/rknn-vendor");
    (void)root;
    for (size_t i = 0; i < RK_ARRAY_LEN(vendor); i++) {
        const vendor_file *v = &vendor[i];
        rknn_model *m = load(tu_shared_path(v->rel));
        assert_non_null(m);
        assert_int_equal(m->container_version, v->container);
        assert_string_equal(m->soc, v->soc);
        /* the file names / folders say which SoC each was compiled for */
        rk_soc want = strstr(v->rel, "RK3588") ? RK_SOC_RK3588 : RK_SOC_RK3566;
        assert_int_equal(m->soc_id, want);
        assert_int_equal(m->n_tasks, v->tasks);
        assert_int_equal(m->has_program, v->tasks > 0);
        if (v->nodes)
            assert_int_equal(m->graphs[0].n_nodes, v->nodes);
        assert_int_equal(m->graphs[0].n_inputs, v->inputs);
        if (v->outputs)
            assert_int_equal(m->graphs[0].n_outputs, v->outputs);
        rknn_free(m);
    }
}

/* Field values cross-checked with the [dump] of multiple_input_demo_RK3588. */
static void test_rknn_multiple_input_matches_dump(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(p, VD "multiple_input_demo/RK3588_multiple_input_demo.rknn");
    rknn_model *m = load(p);
    const rknn_graph *g = &m->graphs[0];
    assert_string_equal(m->format, "RKNPU v2");
    assert_int_equal(m->fb_version, 6);
    assert_int_equal(m->unk6, 10602);
    assert_string_equal(m->source, "ONNX");
    assert_non_null(strstr(m->compiler, "1.6.2b0"));
    assert_string_equal(m->input_json, "{\"input.1\": {\"dtype\": \"int8\", "
                        "\"layout\": \"NHWC\"}, \"input\": {\"dtype\": \"int8\", "
                        "\"layout\": \"NHWC\"}}");
    assert_int_equal(g->n_tensors, 13);
    assert_int_equal(g->inputs[0], 5);
    assert_int_equal(g->inputs[1], 6);
    assert_int_equal(g->outputs[0], 8);
    /* tensor 8: '8' kind 2, native [1,2,128,128,16], size 524288, v13 589824 */
    const rknn_tensor *t = &g->tensors[8];
    assert_string_equal(t->name, "8");
    assert_int_equal(t->kind, RKNN_KIND_OUTPUT);
    assert_int_equal(t->layout, RKNN_LAYOUT_NC1HWC2);
    assert_int_equal(t->dtype, RK_DT_I8);
    int32_t native[] = {1, 2, 128, 128, 16};
    assert_int_equal(t->n_native_shape, 5);
    assert_memory_equal(t->native_shape, native, sizeof(native));
    assert_int_equal(t->size, 524288);
    assert_int_equal(t->pool_offset, 589824);
    assert_string_equal(t->quant.method, "layer");
    assert_string_equal(t->quant.dtype, "int8");
    /* [fmt] §1.4: scale 4.1424 = (444.18 + 612.12) / 255, zp 20 */
    assert_int_equal(t->quant.n_scale, 1);
    assert_float_equal(t->quant.scale[0], (444.1822204589844 + 612.123291015625)
                       / 255.0, 1e-4);
    assert_int_equal(t->quant.zero_point[0], 20);
    /* conv2.weight: OIHW [8,3,3,3], native [1,1,3,3,8,16], 1152 bytes */
    t = &g->tensors[4];
    assert_string_equal(t->name, "conv2.weight");
    assert_int_equal(t->kind, RKNN_KIND_CONST);
    assert_int_equal(t->layout, RKNN_LAYOUT_NATIVE_WEIGHT);
    assert_int_equal(t->size, 1152);
    assert_int_equal(rknn_tensor_buffer(m, t)->size, 1152);
    /* nodes: [dump] node[3] ConvAdd 'Conv:Conv_0' in=[5,2,1,7] out=[8] */
    const rknn_node *n = &g->nodes[3];
    assert_string_equal(n->type, "ConvAdd");
    assert_string_equal(n->name, "Conv:Conv_0");
    int32_t ins[] = {5, 2, 1, 7};
    assert_int_equal(n->n_inputs, 4);
    assert_memory_equal(n->inputs, ins, sizeof(ins));
    assert_true(n->conv.has_conv);
    assert_string_equal(n->conv.auto_pad, "NOTSET");
    /* normalisation: mean 0, std 1.0 (0x3f800000), order 0..3 [dump] */
    assert_int_equal(g->n_norms, 2);
    assert_float_equal(g->norms[0].std[0], 1.0, 0);
    assert_int_equal(g->norms[0].channel_order[3], 3);
    /* relocations [fmt] §1.6: input -> (0,26),(0,294),(0x5e80,582);
     * conv1.weight -> entries 171, 431, 719.  The doc lists only the first
     * half of each list (it read the pair count as an int count); the other
     * three pairs patch the 3-core program: entry 870 is a
     * CNA_FEATURE_DATA_ADDR in dumps/multiple_input_demo_RK3588.regcmd.txt. */
    const rknn_reloc *r = rknn_find_reloc(m, "input");
    assert_non_null(r);
    assert_int_equal(r->n_pairs, 6);
    assert_int_equal(r->pairs[3].regcmd_index, 870);
    assert_int_equal(r->pairs[0].regcmd_index, 26);
    assert_int_equal(r->pairs[1].regcmd_index, 294);
    assert_int_equal(r->pairs[2].offset, 0x5e80);
    assert_int_equal(r->pairs[2].regcmd_index, 582);
    r = rknn_find_reloc(m, "conv1.weight");
    assert_int_equal(r->pairs[0].regcmd_index, 171);
    assert_int_equal(r->pairs[2].regcmd_index, 719);
    /* program [dump]: 13696 B regcmd, 17 tasks; task 1: op_idx 3, enable
     * 0x1d, int_mask 0x300, int_clear 0x1ffff, amount 126, addr 0x440;
     * task 4: enable 0x60 int_mask 0xc00 amount 26 addr 0x1080 */
    assert_int_equal(m->n_regcmd, 13696 / 8);
    const rknn_task *tk = &m->tasks[1];
    assert_int_equal(tk->op_idx, 3);
    assert_int_equal(tk->enable_mask, 0x1d);
    assert_int_equal(tk->int_mask, 0x300);
    assert_int_equal(tk->int_clear, 0x1ffff);
    assert_int_equal(tk->regcfg_amount, 126);
    assert_int_equal(tk->regcmd_addr, 0x440);
    tk = &m->tasks[4];
    assert_int_equal(tk->enable_mask, 0x60);
    assert_int_equal(tk->int_mask, 0xc00);
    assert_int_equal(tk->regcfg_amount, 26);
    assert_int_equal(tk->regcmd_addr, 0x1080);
    /* [dump] regcmd[3] CNA_CONV_CON1 = 0x6000a000: target 0x0201, reg 0x100c */
    assert_int_equal(m->regcmd[3], (0x0201ull << 48) | (0x6000a000ull << 16) |
                                       0x100c);
    rknn_free(m);
}

/* The node <-> task rule (task belongs to node op_idx) checked against an
 * independent source, the relocation table: every regcmd entry relocated
 * to a const tensor (weights, bias) must lie inside a task of a node that
 * consumes that tensor.  Runs on every v6 vendor file. */
static void test_rknn_task_rule_matches_relocations(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(root, "datasets/rknn-vendor");
    (void)root;
    size_t total_checked = 0;
    for (size_t i = 0; i < RK_ARRAY_LEN(vendor); i++) {
        if (!vendor[i].tasks)
            continue;
        rknn_model *m = load(tu_shared_path(vendor[i].rel));
        const rknn_graph *g = &m->graphs[0];
        size_t checked = 0;
        for (uint32_t ri = 0; ri < g->n_relocs; ri++) {
            const rknn_reloc *r = &g->relocs[ri];
            int32_t ti = rknn_find_tensor(m, r->name);
            if (ti < 0 || g->tensors[ti].kind != RKNN_KIND_CONST)
                continue;
            /* scratch consts no node consumes (tempMC11_input/_output,
             * used by RK3588 multi-core tasks) say nothing about the rule */
            bool consumed = false;
            for (uint32_t ni = 0; ni < g->n_nodes; ni++)
                for (uint32_t q = 0; q < g->nodes[ni].n_inputs; q++)
                    consumed |= g->nodes[ni].inputs[q] == ti;
            if (!consumed)
                continue;
            for (uint32_t k = 0; k < r->n_pairs; k++) {
                uint32_t idx = r->pairs[k].regcmd_index;
                int32_t node = -1;
                for (size_t t = 0; t < m->n_tasks; t++) {
                    uint64_t first = m->tasks[t].regcmd_addr / 8;
                    if (idx >= first && idx < first + m->tasks[t].regcfg_amount)
                        node = rknn_task_node(m, t);
                }
                if (node < 0)
                    fail_msg("%s: reloc of '%s' at regcmd %u is in no task",
                             vendor[i].rel, r->name, idx);
                const rknn_node *n = &g->nodes[node];
                bool uses = false;
                for (uint32_t q = 0; q < n->n_inputs; q++)
                    uses |= n->inputs[q] == ti;
                if (!uses)
                    fail_msg("%s: reloc of '%s' at regcmd %u is in a task of "
                             "node %d '%s' which does not consume it",
                             vendor[i].rel, r->name, idx, node, n->name);
                checked++;
            }
        }
        /* some files store a single 0 per const relocation (no pairs):
         * dual_residual_custom_RK3566 and multiple_input_demo_RK3566 */
        total_checked += checked;
        /* node ranges cover their task lists */
        size_t sum = 0;
        for (uint32_t ni = 0; ni < g->n_nodes; ni++) {
            uint32_t first, count;
            assert_int_equal(rknn_node_task_range(m, ni, &first, &count, NULL),
                             RK_OK);
            for (uint32_t k = 0; k < g->nodes[ni].task_count; k++) {
                uint32_t t = g->nodes[ni].task_list[k];
                assert_true(t >= first && t < first + count);
                assert_int_equal(rknn_task_node(m, t), (int32_t)ni);
            }
            sum += g->nodes[ni].task_count;
        }
        assert_int_equal(sum, m->n_tasks);
        rknn_free(m);
    }
    print_message("relocations cross-checked: %zu\n", total_checked);
    assert_true(total_checked >= 100);
}

static bool contains(const uint8_t *hay, size_t n, const uint8_t *needle,
                     size_t m)
{
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

static void test_rknn_roundtrip_identical(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(root, "datasets/rknn-vendor");
    (void)root;
    for (size_t i = 0; i < RK_ARRAY_LEN(vendor); i++) {
        const char *path = tu_shared_path(vendor[i].rel);
        uint8_t *raw;
        size_t raw_len;
        rk_err e = {0};
        assert_int_equal(rk_read_file(path, &raw, &raw_len, 0, &e), RK_OK);
        rknn_model *a = load(path);
        /* v1/v4 files are rewritten as v6 containers too */
        if (a->unrewritable)
            fail_msg("%s: %s", path, a->unrewritable);
        uint8_t *out;
        size_t out_len;
        assert_int_equal(rknn_write_buffer(a, &out, &out_len, &e), RK_OK);
        rknn_model *b = NULL;
        if (rknn_load_buffer(out, out_len, "rewritten", &b, &e))
            fail_msg("%s rewritten: %s", path, e.msg);
        char msg[256];
        if (!rknn_model_equal(a, b, msg, sizeof(msg)))
            fail_msg("%s: round trip: %s", path, msg);
        assert_int_equal(b->container_version, 6);
        /* [file] every buffer is a byte range of the original file */
        for (uint32_t k = 0; k < b->n_buffers; k++) {
            if (!b->buffers[k].size)
                continue;
            if (!contains(raw, raw_len, b->buffers[k].data, b->buffers[k].size))
                fail_msg("%s: buffer %u is not in the original file", path, k);
        }
        assert_int_equal(b->n_tasks, a->n_tasks);
        rknn_free(b);
        free(out);
        rknn_free(a);
        free(raw);
    }
}

/* Generator dict, custom attributes, memory table, segments. */
static void test_rknn_side_tables_decoded(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(p, VD "multiple_input_demo/RK3588_multiple_input_demo.rknn");
    rknn_model *m = load(p);
    /* [dump] generator: 'input': idx 1, shape [1,3,128,128], mean [0,0,0],
     * std [1,1,1]; quant_tab '8': min -612.123291015625, max 444.18... */
    assert_null(m->gen_error);
    const rknn_gen_attr *a = NULL;
    for (uint32_t i = 0; i < m->n_gen_attrs; i++)
        if (strcmp(m->gen_attrs[i].name, "input") == 0)
            a = &m->gen_attrs[i];
    assert_non_null(a);
    assert_int_equal(a->idx, 1);
    assert_int_equal(a->n_shape, 4);
    assert_int_equal(a->shape[1], 3);
    assert_int_equal(a->n_std, 3);
    assert_float_equal(a->std[2], 1.0, 0);
    assert_string_equal(a->layout, "nchw");
    assert_false(a->rgb2bgr);
    const rknn_gen_quant *q = NULL;
    for (uint32_t i = 0; i < m->n_gen_quant; i++)
        if (strcmp(m->gen_quant[i].name, "8") == 0)
            q = &m->gen_quant[i];
    assert_non_null(q);
    assert_string_equal(q->qmethod, "layer");
    assert_float_equal(q->min[0], -612.123291015625, 0);
    assert_float_equal(q->max[0], 444.1822204589844, 0);
    /* [dump]: 6 task segments on RK3588: 2 | 3, 3 | 3, 3, 3 */
    assert_int_equal(m->n_segments, 6);
    assert_int_equal(m->segments[0].count, 2);
    assert_int_equal(m->segments[5].first, 14);
    rknn_free(m);

    /* [fmt] §1.4: custom op attributes {"alpha": 0.5}; Model[21] names it */
    TU_REQUIRE_SHARED(d, VD "dual_residual_custom/RK3588_dual_residual_custom.rknn");
    m = load(d);
    assert_string_equal(m->custom_op, "cstDualResidual");
    const rknn_node *n = &m->graphs[0].nodes[4];
    assert_string_equal(n->type, "cstDualResidual");
    assert_int_equal(n->n_custom, 1);
    assert_string_equal(n->custom[0].key, "alpha");
    assert_string_equal(n->custom[0].dtype, "f");
    assert_float_equal(n->custom[0].number, 0.5, 0);
    /* generator shapes of the custom op output are symbolic -> -1 [dump] */
    for (uint32_t i = 0; i < m->n_gen_attrs; i++)
        if (strcmp(m->gen_attrs[i].name, "2") == 0)
            assert_int_equal(m->gen_attrs[i].shape[0], -1);
    rknn_free(m);
}

/* Toolkit 2.3 files carry every Conv's attributes twice: in the slot-8
 * table and in the slot-9 BSON document.  The two independent encodings
 * must agree wherever both are present (12 Conv nodes of pp_human_segv2). */
static void test_rknn_conv_attrs_agree_with_bson(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(p, VD "pp_human_segv2_custom_argmax/"
                         "RK3588_pp_human_segv2_custom_argmax.rknn");
    rknn_model *m = load(p);
    const rknn_graph *g = &m->graphs[0];
    size_t convs = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const rknn_node *n = &g->nodes[i];
        if (!n->conv.has_conv || !n->n_custom)
            continue;
        for (uint32_t k = 0; k < n->n_custom; k++) {
            const rknn_custom_attr *c = &n->custom[k];
            const int32_t *v = NULL;
            uint32_t cnt = 0;
            if (strcmp(c->key, "kernel_shape") == 0)
                v = n->conv.kernel_shape, cnt = n->conv.n_kernel_shape;
            else if (strcmp(c->key, "strides") == 0)
                v = n->conv.strides, cnt = n->conv.n_strides;
            else if (strcmp(c->key, "pads") == 0)
                v = n->conv.pads, cnt = n->conv.n_pads;
            else if (strcmp(c->key, "dilations") == 0)
                v = n->conv.dilations, cnt = n->conv.n_dilations;
            else if (strcmp(c->key, "auto_pad") == 0)
                assert_string_equal(c->str, n->conv.auto_pad);
            if (!v)
                continue;
            assert_int_equal(c->n_list, cnt);
            for (uint32_t q = 0; q < cnt; q++)
                assert_int_equal((int32_t)c->list[q], v[q]);
        }
        convs++;
    }
    print_message("conv nodes with both encodings: %zu\n", convs);
    assert_true(convs > 0);
    rknn_free(m);
}

/* Model[19] slot 1 (the vendor's own number) equals the activation pool
 * we compute from tensor offsets and sizes, in every file. */
static void test_rknn_pool_size_matches_vendor_table(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(root, "datasets/rknn-vendor");
    (void)root;
    for (size_t i = 0; i < RK_ARRAY_LEN(vendor); i++) {
        rknn_model *m = load(tu_shared_path(vendor[i].rel));
        rknn_memory mem;
        rknn_memory_usage(m, &mem);
        /* v1 files have no Model[19] */
        assert_int_equal(m->mem_present[1], vendor[i].container > 1);
        if (m->mem_present[1] && mem.pool_bytes != m->mem[1])
            fail_msg("%s: pool %llu, Model[19][1] %llu", vendor[i].rel,
                     (unsigned long long)mem.pool_bytes,
                     (unsigned long long)m->mem[1]);
        if (vendor[i].tasks)
            assert_int_equal(m->n_segments,
                             strcmp(vendor[i].soc, "rk3588") == 0 ? 6 : 1);
        rknn_free(m);
    }
}

static void test_rknn_legacy_has_no_program(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(p, VD "legacy/yolov8n_rknnopt_RK3566_3568_i8.rknn");
    rknn_model *m = load(p);
    rk_err e = {0};
    const uint64_t *rc;
    size_t n;
    assert_int_equal(rknn_program(m, &rc, &n, NULL, NULL, &e),
                     RK_EUNSUPPORTED);
    assert_non_null(strstr(e.msg, "rknn-toolkit2 < 1.6"));
    assert_non_null(strstr(e.msg, "re-export"));
    /* [fmt] §2: yolov8n v4 toolkit 1.5.0, PyTorch */
    assert_non_null(strstr(m->compiler, "1.5.0"));
    assert_string_equal(m->source, "PyTorch");
    assert_true(m->n_buffers > 0);
    rknn_free(m);
}

static void test_rknn_other_signatures_refused(void **state)
{
    (void)state;
    static const struct {
        const char *magic;
        const char *says;
    } cases[] = {{"CYPTRKNN", "encrypted"}, {"RKNX", "RKNN3"},
                 {"VPMN", "OpenVX"}};
    for (size_t i = 0; i < RK_ARRAY_LEN(cases); i++) {
        uint8_t buf[128] = {0};
        memcpy(buf, cases[i].magic, strlen(cases[i].magic));
        rknn_model *m = (rknn_model *)1;
        rk_err e = {0};
        assert_int_equal(rknn_load_buffer(buf, sizeof(buf), "x", &m, &e),
                         RK_EUNSUPPORTED);
        assert_null(m);
        assert_non_null(strstr(e.msg, cases[i].says));
    }
    uint8_t junk[64] = "GARBAGE";
    rknn_model *m;
    rk_err e = {0};
    assert_int_equal(rknn_load_buffer(junk, sizeof(junk), "x", &m, &e),
                     RK_EINPUT);
}

/* Build a model from scratch like the tests of other modules will: two
 * hand-made tasks over a 6-entry command stream, written and read back. */
static void test_rknn_build_from_scratch(void **state)
{
    (void)state;
    rknn_model *m;
    rk_err e = {0};
    assert_int_equal(rknn_new("RKNPU v2", "rk3588", &m, &e), RK_OK);
    int32_t shape[] = {1, 8, 4, 4}, native[] = {1, 1, 4, 4, 16};
    float scale = 0.5f;
    int32_t zp = -3;
    rknn_tensor in = {.name = "in", .dtype_raw = RK_DT_I8, .kind =
                      RKNN_KIND_INPUT, .layout = RKNN_LAYOUT_NC1HWC2,
                      .shape = shape, .n_shape = 4, .native_shape = native,
                      .n_native_shape = 5, .size = 256};
    in.quant.method = "layer";
    in.quant.scale = &scale;
    in.quant.n_scale = 1;
    in.quant.zero_point = &zp;
    in.quant.n_zero_point = 1;
    rknn_tensor out = in;
    out.name = "out";
    out.kind = RKNN_KIND_OUTPUT;
    out.pool_offset = 256;
    uint32_t ti, to, ni;
    assert_int_equal(rknn_add_tensor(m, &in, &ti, &e), RK_OK);
    assert_int_equal(rknn_add_tensor(m, &out, &to, &e), RK_OK);
    int32_t nin = (int32_t)ti, nout = (int32_t)to;
    rknn_node n = {.type = "Relu", .name = "Relu:r", .inputs = &nin,
                   .n_inputs = 1, .outputs = &nout, .n_outputs = 1};
    assert_int_equal(rknn_add_node(m, &n, &ni, &e), RK_OK);
    assert_int_equal(rknn_add_graph_input(m, nin, &e), RK_OK);
    assert_int_equal(rknn_add_graph_output(m, nout, &e), RK_OK);
    uint64_t rc[6] = {1, 2, 3, 4, 5, 6};
    rknn_task tasks[2] = {
        {.op_idx = ni, .enable_mask = 0x18, .regcfg_amount = 3},
        {.op_idx = ni, .enable_mask = 0x18, .regcfg_amount = 3,
         .regcmd_addr = 24}};
    assert_int_equal(rknn_set_program(m, rc, 6, tasks, 2, &e), RK_OK);
    assert_int_equal(rknn_add_reloc(m, "in", 0, 1, &e), RK_OK);
    const char *path = tu_tmp_path(".rknn");
    assert_int_equal(rknn_write_file(m, path, &e), RK_OK);
    rknn_model *b = load(path);
    char msg[256];
    if (!rknn_model_equal(m, b, msg, sizeof(msg)))
        fail_msg("%s", msg);
    assert_int_equal(b->n_tasks, 2);
    assert_int_equal(b->tasks[1].regcmd_addr, 24);
    assert_int_equal(b->regcmd[5], 6);
    assert_int_equal(b->graphs[0].nodes[ni].task_count, 2);
    assert_float_equal(b->graphs[0].tensors[ti].quant.scale[0], 0.5, 0);
    assert_int_equal(rknn_find_reloc(b, "in")->pairs[0].regcmd_index, 1);
    rknn_free(b);
    rknn_free(m);
    remove(path);
}

/* Robustness: truncations and bit flips of every vendor file (fixed seed)
 * either load or fail with a message; ASan in CI catches crashes/leaks. */
static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void try_load(const uint8_t *buf, size_t len, size_t *ok, size_t *bad)
{
    rknn_model *m = NULL;
    rk_err e = {0};
    rk_status st = rknn_load_buffer(buf, len, "mutant", &m, &e);
    if (st == RK_OK) {
        assert_non_null(m);
        rknn_memory mem;
        rknn_memory_usage(m, &mem);
        rknn_free(m);
        (*ok)++;
    } else {
        assert_null(m);
        assert_true(strlen(e.msg) > 0);
        (*bad)++;
    }
}

static void test_rknn_truncation_and_bitflips_fail_cleanly(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(root, "datasets/rknn-vendor");
    (void)root;
    size_t ok = 0, bad = 0;
    for (size_t i = 0; i < RK_ARRAY_LEN(vendor); i++) {
        uint8_t *raw;
        size_t len;
        rk_err e = {0};
        assert_int_equal(rk_read_file(tu_shared_path(vendor[i].rel), &raw,
                                      &len, 0, &e), RK_OK);
        bool big = len > (1u << 20);
        size_t cuts = big ? 24 : 96, flips = big ? 24 : 160;
        for (size_t k = 0; k < cuts; k++) {
            size_t at = k < 16 ? k * 5 : (size_t)rng() % len;
            try_load(raw, at, &ok, &bad);
        }
        uint8_t *mut = malloc(len);
        assert_non_null(mut);
        for (size_t k = 0; k < flips; k++) {
            memcpy(mut, raw, len);
            /* structure lives at the start (tables) and the end (JSON):
             * aim most flips there */
            size_t span = RK_MIN(len, (size_t)65536);
            for (int f = 0; f < 1 + (int)(rng() % 4); f++) {
                size_t pos = (rng() & 1) ? (size_t)rng() % span
                                         : len - 1 - (size_t)rng() % span;
                mut[pos] ^= (uint8_t)(1u << (rng() % 8));
            }
            try_load(mut, len, &ok, &bad);
        }
        free(mut);
        free(raw);
    }
    print_message("mutants: %zu loaded, %zu refused with a message\n", ok, bad);
    assert_true(bad > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rknn_vendor_files_load),
        cmocka_unit_test(test_rknn_multiple_input_matches_dump),
        cmocka_unit_test(test_rknn_task_rule_matches_relocations),
        cmocka_unit_test(test_rknn_roundtrip_identical),
        cmocka_unit_test(test_rknn_side_tables_decoded),
        cmocka_unit_test(test_rknn_pool_size_matches_vendor_table),
        cmocka_unit_test(test_rknn_conv_attrs_agree_with_bson),
        cmocka_unit_test(test_rknn_legacy_has_no_program),
        cmocka_unit_test(test_rknn_other_signatures_refused),
        cmocka_unit_test(test_rknn_build_from_scratch),
        cmocka_unit_test(test_rknn_truncation_and_bitflips_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
