/*
 * cmd_info.c - `rksim info FILE [--json]`: what is inside a .rknn model.
 *
 * Text output: container version, target SoC, compiler, source framework,
 * inputs/outputs, a node table with task ranges, task count and memory.
 *
 * JSON output (--json), one object:
 * {
 *   "file": "path",
 *   "container_version": 6,              // 1, 4 or 6
 *   "format": "RKNPU v2",                // Model[1]
 *   "soc": "rk3588",                     // Model[8] (runtime/target)
 *   "soc_id": "rk3588",                  // the SoC rksim uses: from format
 *                                        // when it names a generation
 *                                        // (rknn.h soc_id), "unknown" else
 *   "compiler": "2.3.2 (...)",           // Model[7]
 *   "source": "ONNX",                    // Model[9]
 *   "custom_op": "",                     // Model[21] ("" if none)
 *   "has_program": true,                 // regcmd + task buffers present
 *   "task_count": 1722,                  // 0 when has_program is false
 *   "segments": [{"first": 0, "count": 461}, ...], // task segments (rknn.h
 *                                        // rknn_segment: 1 on RK3566, 6 on
 *                                        // RK3588 = 1+2+3-core programs,
 *                                        // inferred); [] without program
 *   "inputs":  [TENSOR...],              // graph inputs, in order
 *   "outputs": [TENSOR...],              // graph outputs, in order
 *   "nodes": [{"index": 3, "type": "ConvRelu", "name": "Conv:Conv.2",
 *              "inputs": ["x", ...], "outputs": ["..."],   // tensor names
 *              "task_first": 5, "task_last": 9,  // null when no tasks
 *              "task_count": 3,          // all tasks with op_idx == index
 *              "seg0_first": 5, "seg0_span": 2}, // node's tasks within
 *                                        // segment 0 (single-core program):
 *                                        // first and last-first+1, or null
 *             ...],
 *   "tensors": [TENSOR...],              // every graph tensor, by index
 *                                        // (consts and activations; the
 *                                        // quant min/max of activations
 *                                        // are the vendor's calibration
 *                                        // range, used by the pp_human
 *                                        // e2e check)
 *   "shape_sets": [{"index": 0, "inputs": "[1,64,1,50]", "task_count": N,
 *                   "active": true}, ...], // one per graph: input-shape sets
 *                                        // of convert --dynamic-input (rknn.h);
 *                                        // everything else describes the
 *                                        // active set (--set N picks it)
 *   "memory": {"weight_bytes": N,        // sum of const tensor buffers
 *              "activation_pool_bytes": N, // max(pool_offset + size)
 *              "regcmd_bytes": N}
 * }
 * TENSOR = {"index": tensor index, "name": "...",
 *           "shape": [1,3,224,224],       // original (NCHW) shape
 *           "native_shape": [1,1,224,224,3], // hardware layout shape
 *           "dtype": "int8", "layout": "NC1HWC2" | "NCHW" | "native_weight"
 *                    | "none" | "layout_<n>",
 *           "size": bytes in native layout,
 *           "quant": null (float / not quantized) | {"method": "layer", "dtype": "int8",
 *                    "scale": [..], "zero_point": [..], "min": [..], "max": [..]},
 *           "mean": [..], "std": [..]}    // inputs only, from Graph[4]
 * Strings are JSON-escaped; floats printed with %.9g (round-trip exact).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rk_json.h"
#include "cli.h"
#include "rknn.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: rksim info FILE.rknn [--json] [--set N]\n"
               "  Show the container version, target SoC, compiler, inputs and\n"
               "  outputs, the node table with each node's task range, the task\n"
               "  count and memory sizes of a vendor .rknn model.\n"
               "  --json   print the same as one JSON object (schema in the\n"
               "           README / cmd_info.c)\n"
               "  --set N  models with input-shape sets (convert --dynamic-input):\n"
               "           describe set N (1-based; default 1); all sets are listed\n");
}

static void json_ints(FILE *f, const int32_t *v, uint32_t n)
{
    fputc('[', f);
    for (uint32_t i = 0; i < n; i++)
        fprintf(f, "%s%d", i ? ", " : "", v[i]);
    fputc(']', f);
}

static void json_floats(FILE *f, const float *v, uint32_t n)
{
    fputc('[', f);
    for (uint32_t i = 0; i < n; i++)
        fprintf(f, "%s%.9g", i ? ", " : "", (double)v[i]);
    fputc(']', f);
}

static const char *layout_name(uint8_t l, char *buf, size_t n)
{
    switch (l) {
    case RKNN_LAYOUT_NONE:
        return "none";
    case RKNN_LAYOUT_NCHW:
        return "NCHW";
    case RKNN_LAYOUT_NC1HWC2:
        return "NC1HWC2";
    case RKNN_LAYOUT_NATIVE_WEIGHT:
        return "native_weight";
    default:
        snprintf(buf, n, "layout_%u", l);
        return buf;
    }
}

static const char *dtype_name(const rknn_tensor *t, char *buf, size_t n)
{
    if (t->dtype != RK_DT_UNDEF)
        return rk_dtype_name(t->dtype);
    snprintf(buf, n, "dtype_%u", t->dtype_raw);
    return buf;
}

static const char *tensor_name(const rknn_graph *g, int32_t i)
{
    const char *s = g->tensors[i].name;
    return s ? s : "";
}

static void json_tensor(FILE *f, const rknn_graph *g, int32_t ti,
                        const rknn_norm *norm)
{
    const rknn_tensor *t = &g->tensors[ti];
    char b1[32], b2[32];
    fprintf(f, "{\"index\": %d, \"name\": ", ti);
    rk_json_put_str(f, t->name);
    fprintf(f, ", \"shape\": ");
    json_ints(f, t->shape, t->n_shape);
    fprintf(f, ", \"native_shape\": ");
    json_ints(f, t->native_shape, t->n_native_shape);
    fprintf(f, ", \"dtype\": ");
    rk_json_put_str(f, dtype_name(t, b1, sizeof(b1)));
    fprintf(f, ", \"layout\": ");
    rk_json_put_str(f, layout_name(t->layout, b2, sizeof(b2)));
    fprintf(f, ", \"size\": %d, \"quant\": ", t->size);
    const rknn_quant *q = &t->quant;
    if ((!q->method || !*q->method) && !q->n_scale) {
        fprintf(f, "null");
    } else {
        fprintf(f, "{\"method\": ");
        rk_json_put_str(f, q->method);
        fprintf(f, ", \"dtype\": ");
        rk_json_put_str(f, q->dtype);
        fprintf(f, ", \"scale\": ");
        json_floats(f, q->scale, q->n_scale);
        fprintf(f, ", \"zero_point\": ");
        json_ints(f, q->zero_point, q->n_zero_point);
        fprintf(f, ", \"min\": ");
        json_floats(f, q->min, q->n_min);
        fprintf(f, ", \"max\": ");
        json_floats(f, q->max, q->n_max);
        fputc('}', f);
    }
    if (norm) {
        fprintf(f, ", \"mean\": ");
        json_floats(f, norm->mean, norm->n_mean);
        fprintf(f, ", \"std\": ");
        json_floats(f, norm->std, norm->n_std);
    }
    fputc('}', f);
}

/* Tasks of graph k (its `task` buffer / 40 bytes), for the set listing. */
static size_t graph_task_count(const rknn_model *m, uint32_t k)
{
    const rknn_graph *g = &m->graphs[k];
    for (uint32_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].kind == RKNN_KIND_TASK) {
            const rknn_buffer *b = rknn_tensor_buffer(m, &g->tensors[i]);
            return b ? b->size / RKNN_TASK_BYTES : 0;
        }
    return 0;
}

/* Sets are listed in the order the file stores them; `active` is the one
 * --set made graph 0 (its original position). */
static void text_sets(FILE *f, const rknn_model *m, uint32_t active)
{
    uint32_t n = rknn_n_shape_sets(m);
    if (n <= 1)
        return;
    fprintf(f, "input-shape sets (%u, convert --dynamic-input; `run` picks by input shape):\n", n);
    for (uint32_t j = 0; j < n; j++) {
        /* graph 0 and graph `active` were swapped by --set */
        uint32_t k = j == active ? 0 : (j == 0 ? active : j);
        char shapes[512];
        rknn_shape_set_str(m, k, shapes, sizeof shapes);
        fprintf(f, "  %u: %s  (%zu tasks)%s\n", j + 1, shapes, graph_task_count(m, k),
                j == active ? "  <- shown below" : "");
    }
}

static void json_sets(FILE *f, const rknn_model *m, uint32_t active)
{
    fprintf(f, ",\n \"shape_sets\": [");
    for (uint32_t j = 0; j < rknn_n_shape_sets(m); j++) {
        uint32_t k = j == active ? 0 : (j == 0 ? active : j);
        char shapes[512];
        rknn_shape_set_str(m, k, shapes, sizeof shapes);
        fprintf(f, "%s{\"index\": %u, \"inputs\": ", j ? ", " : "", j);
        rk_json_put_str(f, shapes);
        fprintf(f, ", \"task_count\": %zu, \"active\": %s}", graph_task_count(m, k),
                j == active ? "true" : "false");
    }
    fputc(']', f);
}

static void print_json(FILE *f, const char *path, const rknn_model *m, uint32_t active)
{
    const rknn_graph *g = &m->graphs[0];
    rknn_memory mem;
    rknn_memory_usage(m, &mem);
    fprintf(f, "{\"file\": ");
    rk_json_put_str(f, path);
    fprintf(f, ", \"container_version\": %u, \"format\": ", m->container_version);
    rk_json_put_str(f, m->format);
    fprintf(f, ", \"soc\": ");
    rk_json_put_str(f, m->soc);
    fprintf(f, ", \"soc_id\": ");
    rk_json_put_str(f, rk_soc_name(m->soc_id));
    fprintf(f, ", \"compiler\": ");
    rk_json_put_str(f, m->compiler);
    fprintf(f, ", \"source\": ");
    rk_json_put_str(f, m->source);
    fprintf(f, ", \"custom_op\": ");
    rk_json_put_str(f, m->custom_op);
    fprintf(f, ", \"has_program\": %s, \"task_count\": %zu, \"segments\": [",
            m->has_program ? "true" : "false", m->n_tasks);
    for (uint32_t i = 0; i < m->n_segments; i++)
        fprintf(f, "%s{\"first\": %u, \"count\": %u}", i ? ", " : "",
                m->segments[i].first, m->segments[i].count);
    fprintf(f, "],\n \"inputs\": [");
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        fprintf(f, "%s\n  ", i ? "," : "");
        json_tensor(f, g, g->inputs[i], i < g->n_norms ? &g->norms[i] : NULL);
    }
    fprintf(f, "],\n \"outputs\": [");
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        fprintf(f, "%s\n  ", i ? "," : "");
        json_tensor(f, g, g->outputs[i], NULL);
    }
    fprintf(f, "],\n \"nodes\": [");
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const rknn_node *n = &g->nodes[i];
        fprintf(f, "%s\n  {\"index\": %u, \"type\": ", i ? "," : "", i);
        rk_json_put_str(f, n->type);
        fprintf(f, ", \"name\": ");
        rk_json_put_str(f, n->name);
        fprintf(f, ", \"inputs\": [");
        for (uint32_t k = 0; k < n->n_inputs; k++) {
            fprintf(f, "%s", k ? ", " : "");
            rk_json_put_str(f, tensor_name(g, n->inputs[k]));
        }
        fprintf(f, "], \"outputs\": [");
        for (uint32_t k = 0; k < n->n_outputs; k++) {
            fprintf(f, "%s", k ? ", " : "");
            rk_json_put_str(f, tensor_name(g, n->outputs[k]));
        }
        if (n->task_count)
            fprintf(f, "], \"task_first\": %u, \"task_last\": %u", n->task_first,
                    n->task_last);
        else
            fprintf(f, "], \"task_first\": null, \"task_last\": null");
        fprintf(f, ", \"task_count\": %u", n->task_count);
        uint32_t first = 0, span = 0;
        if (m->n_segments)
            (void)rknn_node_task_range_in(m, i, 0, &first, &span, NULL);
        if (span)
            fprintf(f, ", \"seg0_first\": %u, \"seg0_span\": %u}", first, span);
        else
            fprintf(f, ", \"seg0_first\": null, \"seg0_span\": null}");
    }
    fprintf(f, "],\n \"tensors\": [");
    for (uint32_t i = 0; i < g->n_tensors; i++) {
        fprintf(f, "%s\n  ", i ? "," : "");
        json_tensor(f, g, (int32_t)i, NULL);
    }
    fputc(']', f);
    json_sets(f, m, active);
    fprintf(f, ",\n \"memory\": {\"weight_bytes\": %llu, "
               "\"activation_pool_bytes\": %llu, \"regcmd_bytes\": %llu}}\n",
            (unsigned long long)mem.weight_bytes,
            (unsigned long long)mem.pool_bytes,
            (unsigned long long)mem.regcmd_bytes);
}

static void text_shape(FILE *f, const int32_t *v, uint32_t n)
{
    fputc('[', f);
    for (uint32_t i = 0; i < n; i++)
        fprintf(f, "%s%d", i ? "," : "", v[i]);
    fputc(']', f);
}

static void text_tensor(FILE *f, const rknn_graph *g, int32_t ti)
{
    const rknn_tensor *t = &g->tensors[ti];
    char b1[32], b2[32];
    fprintf(f, "  %-20s shape ", t->name ? t->name : "");
    text_shape(f, t->shape, t->n_shape);
    fprintf(f, " %s %s native ", dtype_name(t, b1, sizeof(b1)),
            layout_name(t->layout, b2, sizeof(b2)));
    text_shape(f, t->native_shape, t->n_native_shape);
    if (t->quant.n_scale && t->quant.n_zero_point)
        fprintf(f, " quant %s scale %.9g zp %d%s",
                t->quant.method ? t->quant.method : "?",
                (double)t->quant.scale[0], t->quant.zero_point[0],
                t->quant.n_scale > 1 ? " (per channel)" : "");
    else
        fprintf(f, " not quantized");
    fputc('\n', f);
}

static void print_text(FILE *f, const char *path, const rknn_model *m, uint32_t active)
{
    const rknn_graph *g = &m->graphs[0];
    rknn_memory mem;
    rknn_memory_usage(m, &mem);
    fprintf(f, "file:        %s\n", path);
    fprintf(f, "container:   v%u (%s)\n", m->container_version,
            m->format ? m->format : "?");
    fprintf(f, "target SoC:  %s\n", m->soc ? m->soc : "?");
    if (m->soc_conflict)
        fprintf(f, "             (but format \"%s\" means %s; rksim uses %s)\n",
                m->format, rk_soc_name(m->soc_id), rk_soc_name(m->soc_id));
    fprintf(f, "compiler:    %s\n", m->compiler ? m->compiler : "?");
    fprintf(f, "source:      %s\n", m->source ? m->source : "?");
    if (m->custom_op && *m->custom_op)
        fprintf(f, "custom op:   %s\n", m->custom_op);
    text_sets(f, m, active);
    fprintf(f, "inputs (%u):\n", g->n_inputs);
    for (uint32_t i = 0; i < g->n_inputs; i++)
        text_tensor(f, g, g->inputs[i]);
    fprintf(f, "outputs (%u):\n", g->n_outputs);
    for (uint32_t i = 0; i < g->n_outputs; i++)
        text_tensor(f, g, g->outputs[i]);
    fprintf(f, "nodes (%u):  (tasks: range in segment 0 = single-core "
               "program, then the node's task count over all segments)\n"
               "  %4s %-16s %-32s %-16s %s\n", g->n_nodes, "idx", "type", "name",
            "tasks", "inputs -> outputs");
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const rknn_node *n = &g->nodes[i];
        char tasks[48] = "-";
        uint32_t first = 0, span = 0;
        if (m->n_segments)
            (void)rknn_node_task_range_in(m, i, 0, &first, &span, NULL);
        if (span)
            snprintf(tasks, sizeof(tasks), "%u-%u (%u)", first,
                     first + span - 1, n->task_count);
        else if (n->task_count)
            snprintf(tasks, sizeof(tasks), "- (%u)", n->task_count);
        fprintf(f, "  %4u %-16s %-32s %-16s ", i, n->type ? n->type : "",
                n->name ? n->name : "", tasks);
        for (uint32_t k = 0; k < n->n_inputs; k++)
            fprintf(f, "%s%s", k ? "," : "", tensor_name(g, n->inputs[k]));
        fprintf(f, " -> ");
        for (uint32_t k = 0; k < n->n_outputs; k++)
            fprintf(f, "%s%s", k ? "," : "", tensor_name(g, n->outputs[k]));
        fputc('\n', f);
    }
    if (m->has_program) {
        fprintf(f, "tasks:       %zu (%zu register commands) in %u segment%s:",
                m->n_tasks, m->n_regcmd, m->n_segments,
                m->n_segments == 1 ? "" : "s");
        for (uint32_t i = 0; i < m->n_segments; i++)
            fprintf(f, " %u", m->segments[i].count);
        fputc('\n', f);
    }
    else
        fprintf(f, "tasks:       none: this model has no compiled command "
                   "stream (rknn-toolkit2 < 1.6); re-export it with a newer "
                   "toolkit\n");
    fprintf(f, "memory:      weights %llu B, activation pool %llu B, regcmd "
               "%llu B\n",
            (unsigned long long)mem.weight_bytes,
            (unsigned long long)mem.pool_bytes,
            (unsigned long long)mem.regcmd_bytes);
}

int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    long set = 1;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return RK_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--set") == 0) {
            char *end = NULL;
            if (++i >= argc || (set = strtol(argv[i], &end, 10)) < 1 || *end)
                return cli_usage_error("info", "--set needs a set number (1, 2, ...)");
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("info", "unknown option '%s'", argv[i]);
        } else if (path) {
            return cli_usage_error("info", "more than one FILE given");
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return cli_usage_error("info", "missing FILE");
    rk_err e = {0};
    rknn_model *m;
    rk_status st = rknn_load_file(path, &m, &e);
    if (st)
        return cli_fail("info", &e);
    if ((uint64_t)set > rknn_n_shape_sets(m)) {
        rknn_free(m);
        return cli_usage_error("info", "--set %ld: the model has %u input-shape set%s", set,
                               rknn_n_shape_sets(m), rknn_n_shape_sets(m) == 1 ? "" : "s");
    }
    if (rknn_use_graph(m, (uint32_t)set - 1, &e)) {
        rknn_free(m);
        return cli_fail("info", &e);
    }
    if (json)
        print_json(stdout, path, m, (uint32_t)set - 1);
    else
        print_text(stdout, path, m, (uint32_t)set - 1);
    rknn_free(m);
    return RK_EXIT_OK;
}
