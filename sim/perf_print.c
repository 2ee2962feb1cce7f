/*
 * perf_print.c - the cycle model's reports: an eval_perf-style table, JSON
 * and CSV.  The column set follows rknn-toolkit2's eval_perf
 * (rknn-format.md §4.2): ID OpType DataType Target InputShape OutputShape
 * Cycles(DDR/NPU/Total) Time(us) MacUsage(%) RW(KB) FullName, with one extra
 * column, Bound (what limits the layer).  The printers write to a FILE*
 * supplied by the caller (the CLI); I/O failures are RK_EIO.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "rk_json.h"
#include "perf.h"

#define CHECK_IO(f, e)                                                                   \
    do {                                                                                 \
        if (ferror(f))                                                                   \
            return rk_errf(e, RK_EIO, "cycle model: writing the report failed");          \
    } while (0)

static double kib(uint64_t bytes)
{
    return (double)bytes / 1024.0;
}

/* "100.0%/0.0%/0.0%": each core's share of the layer's busy cycles, as
 * eval_perf's WorkLoad(0/1/2) column. */
static void workload(const rk_perf_layer *l, char *buf, size_t len)
{
    uint64_t sum = 0;
    for (int c = 0; c < 3; c++)
        sum += l->core_cycles[c];
    snprintf(buf, len, "%.1f%%/%.1f%%/%.1f%%",
             sum ? 100.0 * (double)l->core_cycles[0] / (double)sum : 0.0,
             sum ? 100.0 * (double)l->core_cycles[1] / (double)sum : 0.0,
             sum ? 100.0 * (double)l->core_cycles[2] / (double)sum : 0.0);
}

rk_status rk_perf_print_table(FILE *f, const rk_perf_result *r, rk_err *e)
{
    const rk_perf_params *pp = &r->params;
    fprintf(f, "rksim cycle model (estimated from each task's registers; not a measurement)\n");
    fprintf(f,
            "SoC %s, NPU %.0f MHz, DDR %.3g B/cycle; %zu tasks in %u PC chain(s), %u multi-core "
            "variant(s); running the %u-core variant (%zu tasks; --param cores=N picks another)\n",
            rk_soc_name(pp->soc), rk_perf_get(pp, RK_PP_CLOCK_MHZ),
            rk_perf_get(pp, RK_PP_DDR_BYTES_PER_CYCLE), r->n_tasks, r->n_chains, r->n_variants,
            r->variant + 1, r->n_active);
    fprintf(f, "%-4s %-22s %-9s %-6s %-34s %-20s %-28s %10s %11s %-20s %10s %-8s %s\n", "ID",
            "OpType", "DataType", "Target", "InputShape", "OutputShape", "Cycles(DDR/NPU/Total)",
            "Time(us)", "MacUsage(%)", "WorkLoad(0/1/2)", "RW(KB)", "Bound", "FullName");
    for (size_t i = 0; i < r->n_layers; i++) {
        const rk_perf_layer *l = &r->layers[i];
        char cyc[64];
        if (l->n_active == 0)
            continue; /* only in a multi-core variant that does not run */
        snprintf(cyc, sizeof(cyc), "%" PRIu64 "/%" PRIu64 "/%" PRIu64, l->ddr_cycles,
                 l->npu_cycles, l->total_cycles);
        char work[64];
        workload(l, work, sizeof(work));
        fprintf(f, "%-4d %-22s %-9s %-6s %-34s %-20s %-28s %10.1f %11.2f %-20s %10.1f %-8s %s\n",
                l->node, l->op_type, l->dtype, l->target, l->in_shape, l->out_shape, cyc,
                l->time_us, l->mac_usage_pct, work, kib(l->ddr_bytes),
                rk_perf_bound_name(l->bound), l->name);
    }
    fprintf(f, "Total Operator Elapsed Per Frame Time(us): %.1f\n", r->frame_time_us);
    fprintf(f, "Total Memory Read/Write Per Frame Size(KB): %.1f\n", kib(r->total_ddr_bytes));
    fprintf(f, "Operator Time Consuming Ranking Table:\n");
    fprintf(f, "%-24s %10s %14s %14s %12s\n", "OpType", "CallNumber", "NPUTime(us)",
            "TotalTime(us)", "TimeRatio(%)");
    for (size_t i = 0; i < r->n_optypes; i++) {
        const rk_perf_optype *o = &r->optypes[i];
        fprintf(f, "%-24s %10u %14.1f %14.1f %12.2f\n", o->op_type, o->calls, o->time_us,
                o->time_us, o->ratio_pct);
    }
    CHECK_IO(f, e);
    return RK_OK;
}

/* ------------------------------------------------------------------ JSON */

static void json_params(FILE *f, const rk_perf_params *pp)
{
    fprintf(f, "  \"params\": [\n");
    for (int i = 0; i < RK_PP_COUNT; i++) {
        const rk_perf_param *p = &pp->p[i];
        fprintf(f, "    {\"name\": ");
        rk_json_put_str(f, p->name);
        fprintf(f, ", \"value\": %.17g, \"unit\": ", p->value);
        rk_json_put_str(f, p->unit);
        fprintf(f, ", \"source\": ");
        rk_json_put_str(f, rk_perf_src_name(p->src));
        fprintf(f, ", \"cite\": ");
        rk_json_put_str(f, p->cite);
        fprintf(f, "}%s\n", i + 1 < RK_PP_COUNT ? "," : "");
    }
    fprintf(f, "  ],\n");
}

static void json_layer(FILE *f, const rk_perf_result *r, const rk_perf_layer *l, bool last)
{
    fprintf(f, "    {\"id\": %d, \"op_type\": ", l->node);
    rk_json_put_str(f, l->op_type);
    fprintf(f, ", \"data_type\": ");
    rk_json_put_str(f, l->dtype);
    fprintf(f, ", \"target\": ");
    rk_json_put_str(f, l->target);
    fprintf(f, ", \"input_shape\": ");
    rk_json_put_str(f, l->in_shape);
    fprintf(f, ", \"output_shape\": ");
    rk_json_put_str(f, l->out_shape);
    fprintf(f,
            ", \"ddr_cycles\": %" PRIu64 ", \"npu_cycles\": %" PRIu64 ", \"total_cycles\": %" PRIu64
            ", \"time_us\": %.3f, \"mac_usage_pct\": %.3f, \"rw_kb\": %.3f, \"rw_bytes\": %" PRIu64
            ", \"macs\": %" PRIu64 ", \"cores_used\": %u, \"active_tasks\": %u, \"core_cycles\": [",
            l->ddr_cycles, l->npu_cycles, l->total_cycles, l->time_us, l->mac_usage_pct,
            kib(l->ddr_bytes), l->ddr_bytes, l->macs, l->cores_used, l->n_active);
    for (int c = 0; c < RK_PERF_MAX_CORES; c++)
        fprintf(f, "%s%" PRIu64, c ? ", " : "", l->core_cycles[c]);
    fprintf(f, "], \"bound\": ");
    rk_json_put_str(f, rk_perf_bound_name(l->bound));
    fprintf(f, ", \"full_name\": ");
    rk_json_put_str(f, l->name);
    fprintf(f, ", \"tasks\": [");
    for (uint32_t k = 0; k < l->n_tasks; k++)
        fprintf(f, "%s%u", k ? ", " : "", r->layer_tasks[l->task_first + k]);
    fprintf(f, "]}%s\n", last ? "" : ",");
}

static void json_task(FILE *f, const rk_perf_task *t, bool last)
{
    fprintf(f,
            "    {\"index\": %u, \"node\": %d, \"chain\": %u, \"variant\": %u, \"core\": %u, "
            "\"active\": %s, \"enable_mask\": %u, \"kind\": ",
            t->index, t->node, t->chain, t->variant, t->core, t->active ? "true" : "false",
            t->enable_mask);
    rk_json_put_str(f, rk_perf_kind_name(t->kind));
    fprintf(f, ", \"in_dtype\": ");
    rk_json_put_str(f, rk_dtype_name(t->in_dtype));
    fprintf(f, ", \"out_dtype\": ");
    rk_json_put_str(f, rk_dtype_name(t->out_dtype));
    fprintf(f,
            ", \"in\": [%u, %u, %u], \"out\": [%u, %u, %u], \"kernel\": [%u, %u], "
            "\"macs\": %" PRIu64 ", \"macs_aligned\": %" PRIu64 ", \"rd_feature_bytes\": %" PRIu64
            ", \"rd_weight_bytes\": %" PRIu64 ", \"rd_dpu_bytes\": %" PRIu64
            ", \"rd_ppu_bytes\": %" PRIu64 ", \"wr_bytes\": %" PRIu64 ", \"regcmd_bytes\": %" PRIu64
            ", \"ddr_bytes\": %" PRIu64 ", \"weight_reuse\": %s, \"data_reuse\": %s"
            ", \"mac_cycles\": %" PRIu64 ", \"dpu_cycles\": %" PRIu64 ", \"ppu_cycles\": %" PRIu64
            ", \"ddr_cycles\": %" PRIu64 ", \"npu_cycles\": %" PRIu64 ", \"fill_cycles\": %" PRIu64
            ", \"fixed_cycles\": %" PRIu64 ", \"time_cycles\": %" PRIu64 ", \"bound\": ",
            t->in_c, t->in_h, t->in_w, t->out_c, t->out_h, t->out_w, t->k_h, t->k_w, t->macs,
            t->macs_aligned, t->rd_feature_bytes, t->rd_weight_bytes, t->rd_dpu_bytes,
            t->rd_ppu_bytes, t->wr_bytes, t->regcmd_bytes, t->ddr_bytes,
            t->weight_reuse ? "true" : "false", t->data_reuse ? "true" : "false", t->mac_cycles,
            t->dpu_cycles, t->ppu_cycles, t->ddr_cycles, t->npu_cycles, t->fill_cycles,
            t->fixed_cycles, t->time_cycles);
    rk_json_put_str(f, rk_perf_bound_name(t->bound));
    fprintf(f, "}%s\n", last ? "" : ",");
}

rk_status rk_perf_write_json(FILE *f, const rk_perf_result *r, rk_err *e)
{
    fprintf(f, "{\n  \"tool\": \"rksim cycle model\",\n  \"model\": ");
    rk_json_put_str(f, r->model_name);
    fprintf(f, ",\n  \"soc\": ");
    rk_json_put_str(f, rk_soc_name(r->params.soc));
    fprintf(f, ",\n");
    json_params(f, &r->params);
    fprintf(f, "  \"layers\": [\n");
    for (size_t i = 0; i < r->n_layers; i++)
        json_layer(f, r, &r->layers[i], i + 1 == r->n_layers);
    fprintf(f, "  ],\n  \"tasks\": [\n");
    for (size_t i = 0; i < r->n_tasks; i++)
        json_task(f, &r->tasks[i], i + 1 == r->n_tasks);
    fprintf(f,
            "  ],\n  \"totals\": {\"frame_time_us\": %.3f, \"total_cycles\": %" PRIu64
            ", \"rw_kb\": %.3f, \"rw_bytes\": %" PRIu64 ", \"macs\": %" PRIu64
            ", \"tasks\": %zu, \"active_tasks\": %zu, \"layers\": %zu, \"chains\": %u"
            ", \"variants\": %u, \"cores_used\": %u},\n",
            r->frame_time_us, r->total_cycles, kib(r->total_ddr_bytes), r->total_ddr_bytes,
            r->total_macs, r->n_tasks, r->n_active, r->n_layers, r->n_chains, r->n_variants,
            r->variant + 1);
    fprintf(f, "  \"ranking\": [\n");
    for (size_t i = 0; i < r->n_optypes; i++) {
        const rk_perf_optype *o = &r->optypes[i];
        fprintf(f, "    {\"op_type\": ");
        rk_json_put_str(f, o->op_type);
        fprintf(f, ", \"calls\": %u, \"time_us\": %.3f, \"ratio_pct\": %.3f}%s\n", o->calls,
                o->time_us, o->ratio_pct, i + 1 < r->n_optypes ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    CHECK_IO(f, e);
    return RK_OK;
}

/* ------------------------------------------------------------------- CSV */

static void csv_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

rk_status rk_perf_write_csv(FILE *f, const rk_perf_result *r, rk_err *e)
{
    fprintf(f, "row,id,op_type,data_type,target,input_shape,output_shape,ddr_cycles,npu_cycles,"
               "total_cycles,time_us,mac_usage_pct,rw_kb,bound,full_name,task,chain,core,kind,"
               "macs,fill_cycles,fixed_cycles,variant,active\n");
    for (size_t i = 0; i < r->n_layers; i++) {
        const rk_perf_layer *l = &r->layers[i];
        fprintf(f, "layer,%d,", l->node);
        csv_str(f, l->op_type);
        fprintf(f, ",%s,%s,", l->dtype, l->target);
        csv_str(f, l->in_shape);
        fputc(',', f);
        csv_str(f, l->out_shape);
        fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.3f,%.3f,%.3f,%s,", l->ddr_cycles,
                l->npu_cycles, l->total_cycles, l->time_us, l->mac_usage_pct, kib(l->ddr_bytes),
                rk_perf_bound_name(l->bound));
        csv_str(f, l->name);
        fprintf(f, ",,,,,%" PRIu64 ",,,,%u\n", l->macs, l->n_active);
    }
    double clock = rk_perf_get(&r->params, RK_PP_CLOCK_MHZ);
    for (size_t i = 0; i < r->n_tasks; i++) {
        const rk_perf_task *t = &r->tasks[i];
        fprintf(f,
                "task,%d,,,NPU,\"(1,%u,%u,%u)\",\"(1,%u,%u,%u)\",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                ",%.3f,,%.3f,%s,,%u,%u,%u,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%u,%d\n",
                t->node, t->in_c, t->in_h, t->in_w, t->out_c, t->out_h, t->out_w, t->ddr_cycles,
                t->npu_cycles, RK_MAX(t->ddr_cycles, t->npu_cycles),
                (double)t->time_cycles / clock, kib(t->ddr_bytes),
                rk_perf_bound_name(t->bound), t->index, t->chain, t->core,
                rk_perf_kind_name(t->kind), t->macs, t->fill_cycles, t->fixed_cycles, t->variant,
                t->active ? 1 : 0);
    }
    CHECK_IO(f, e);
    return RK_OK;
}

rk_status rk_perf_write_file(const rk_perf_result *r, const char *path, rk_err *e)
{
    size_t len = strlen(path);
    bool csv = len >= 4 && strcmp(path + len - 4, ".csv") == 0;
    FILE *f = fopen(path, "w");
    if (!f)
        return rk_errf(e, RK_EIO, "%s: cannot create the cycle report", path);
    rk_status st = csv ? rk_perf_write_csv(f, r, e) : rk_perf_write_json(f, r, e);
    if (st != RK_OK)
        rk_err_wrap(e, "%s", path);
    if (fclose(f) != 0 && st == RK_OK)
        st = rk_errf(e, RK_EIO, "%s: writing the cycle report failed", path);
    return st;
}
