/*
 * perf_model.c - walk a compiled program's task chain, estimate every task
 * from its register state, and roll tasks up into layers and a frame.
 *
 * Scheduling model [assumed, see perf.h]:
 *  - The task table is walked in order.  A task whose PC tail has no next
 *    address (PC_BASE_ADDRESS slot is a NOP / zero) ends a PC chain; each
 *    chain is one submission and pays submit_fixed once (on its first task).
 *  - Chains are dealt round-robin to the SoC's cores (vendor RK3588 streams
 *    hold several short chains that the runtime spreads over the 3 cores;
 *    which core runs which chain is not recorded in the file).  Each core
 *    keeps its own register file: sparse later tasks of a chain only rewrite
 *    the registers that changed.
 *  - Layers run one after another; tasks of one layer on different cores
 *    overlap, so a layer's time is the largest per-core sum of its tasks.
 *    The frame time is the sum of the layer times (so totals are exactly
 *    the sum of the parts, as in eval_perf's "Total Operator Elapsed").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "perf.h"
#include "rknn.h"

#define MAX_CORES RK_PERF_MAX_CORES

const char *rk_perf_bound_name(rk_perf_bound b)
{
    switch (b) {
    case RK_PERF_BOUND_NONE: return "-";
    case RK_PERF_BOUND_MAC: return "MAC";
    case RK_PERF_BOUND_DDR: return "DDR";
    case RK_PERF_BOUND_DPU: return "DPU";
    case RK_PERF_BOUND_PPU: return "PPU";
    case RK_PERF_BOUND_OVERHEAD: return "overhead";
    }
    return "?";
}

const char *rk_perf_kind_name(rk_perf_kind k)
{
    switch (k) {
    case RK_PERF_KIND_OTHER: return "Other";
    case RK_PERF_KIND_CONV: return "Conv";
    case RK_PERF_KIND_DWCONV: return "DepthwiseConv";
    case RK_PERF_KIND_DPU: return "DPU";
    case RK_PERF_KIND_PPU: return "PPU";
    }
    return "?";
}

void rk_perf_result_free(rk_perf_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_layers; i++) {
        rk_perf_layer *l = &r->layers[i];
        free(l->op_type), free(l->name), free(l->dtype), free(l->target);
        free(l->in_shape), free(l->out_shape);
    }
    for (size_t i = 0; i < r->n_optypes; i++)
        free(r->optypes[i].op_type);
    free(r->layers), free(r->optypes), free(r->tasks), free(r->layer_tasks);
    free(r->model_name);
    memset(r, 0, sizeof(*r));
}

static char *dupstr(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* ------------------------------------------------------------ task walk */

/* Does the 4-entry PC tail starting at `tail` name a next segment?  The
 * first tail slot is PC_BASE_ADDRESS (target 0x0101, reg 0x0010) with a
 * non-zero address when the chain continues, a NOP otherwise
 * (npu-isa.md §1.3). */
static bool tail_chains(const uint64_t *tail)
{
    isa_regcmd c = isa_regcmd_decode(tail[0]);
    return c.target == ISA_TARGET_PC && c.reg == 0x0010 && (c.value & ~0xFu) != 0;
}

typedef struct walk_ctx {
    const rk_perf_params *pp;
    const uint64_t *regcmd;
    size_t n_regcmd;
    const rknn_task *tasks;
    size_t n_tasks;
    const rknn_model *model; /* may be NULL */
} walk_ctx;

/* One PC chain: tasks [first, last], its variant and core (perf.h). */
typedef struct chain_info {
    size_t first, last;
    unsigned max_bits; /* largest PC_REGISTER_AMOUNTS bits 17:16 among its tasks */
    unsigned variant, core;
} chain_info;

#define MAX_VARIANTS 4 /* bits 17:16 */

/* Check a task's place in the regcmd buffer; *n_entries = body (+ tail). */
static rk_status task_extent(const walk_ctx *w, size_t i, size_t *first, bool *has_tail,
                             rk_err *e)
{
    const rknn_task *d = &w->tasks[i];
    if (d->regcmd_addr % 8u)
        return rk_errf(e, RK_EINPUT, "task %zu: regcmd_addr 0x%llx is not 8-byte aligned", i,
                       (unsigned long long)d->regcmd_addr);
    uint64_t f = d->regcmd_addr / 8u;
    if (f > w->n_regcmd || d->regcfg_amount > w->n_regcmd - f)
        return rk_errf(e, RK_EINPUT,
                       "task %zu: body [entry %llu, +%u) lies outside the %zu-entry regcmd "
                       "buffer",
                       i, (unsigned long long)f, d->regcfg_amount, w->n_regcmd);
    *first = (size_t)f;
    *has_tail = w->n_regcmd - f - d->regcfg_amount >= ISA_PC_TAIL_ENTRIES;
    return RK_OK;
}

/* Bits 17:16 of the tail's PC_REGISTER_AMOUNTS value (0 when absent). */
static unsigned variant_bits(const uint64_t *tail)
{
    isa_regcmd c = isa_regcmd_decode(tail[1]);
    if (c.target != ISA_TARGET_PC || c.reg != 0x0014)
        return 0;
    return (c.value >> 16) & 3u;
}

/* Pass 1: split the table into chains and give each a variant and core. */
static rk_status find_chains(const walk_ctx *w, chain_info *chains, size_t *n_chains,
                             uint32_t *task_chain, rk_err *e)
{
    size_t n = 0;
    bool open = false;
    for (size_t i = 0; i < w->n_tasks; i++) {
        size_t first = 0;
        bool has_tail = false;
        rk_status st = task_extent(w, i, &first, &has_tail, e);
        if (st != RK_OK)
            return st;
        if (!open) {
            chains[n] = (chain_info){.first = i};
            open = true;
        }
        chain_info *c = &chains[n];
        const uint64_t *tail = w->regcmd + first + w->tasks[i].regcfg_amount;
        c->last = i;
        task_chain[i] = (uint32_t)n;
        if (has_tail)
            c->max_bits = RK_MAX(c->max_bits, variant_bits(tail));
        if (!(has_tail && tail_chains(tail))) {
            open = false;
            n++;
        }
    }
    if (open)
        n++;
    unsigned prev = 0, next_core[MAX_VARIANTS] = {0};
    for (size_t k = 0; k < n; k++) {
        chain_info *c = &chains[k];
        if (c->max_bits > 0) {
            c->variant = c->max_bits;
            c->core = next_core[c->variant]++;
            prev = c->variant;
        } else {
            c->variant = prev; /* continuation: the variant's core 0 */
            c->core = 0;
        }
    }
    *n_chains = n;
    return RK_OK;
}

/* The variant that runs: the largest present needing <= `cores` cores,
 * else the smallest present. */
static unsigned pick_variant(const chain_info *chains, size_t n, unsigned cores,
                             uint32_t *n_variants)
{
    bool present[MAX_VARIANTS] = {false};
    for (size_t k = 0; k < n; k++)
        present[chains[k].variant] = true;
    int best = -1, smallest = -1;
    *n_variants = 0;
    for (int v = 0; v < MAX_VARIANTS; v++) {
        if (!present[v])
            continue;
        (*n_variants)++;
        if (smallest < 0)
            smallest = v;
        if ((unsigned)v + 1 <= cores)
            best = v;
    }
    return (unsigned)(best >= 0 ? best : (smallest >= 0 ? smallest : 0));
}

/* Pass 2: estimate every task on its (variant, core) register file. */
static rk_status walk_tasks(const walk_ctx *w, rk_perf_result *r, rk_err *e)
{
    size_t n_chains = 0;
    chain_info *chains = calloc(w->n_tasks ? w->n_tasks : 1, sizeof(*chains));
    uint32_t *task_chain = calloc(w->n_tasks ? w->n_tasks : 1, sizeof(*task_chain));
    rk_perf_regfile *rf = calloc(MAX_VARIANTS * MAX_CORES, sizeof(*rf));
    rk_status st = RK_OK;

    if (!chains || !task_chain || !rf) {
        st = rk_errf(e, RK_ENOMEM, "cycle model: out of memory walking %zu tasks", w->n_tasks);
        goto out;
    }
    st = find_chains(w, chains, &n_chains, task_chain, e);
    if (st != RK_OK)
        goto out;
    r->n_chains = (uint32_t)n_chains;
    r->variant = pick_variant(chains, n_chains, (unsigned)rk_perf_get(w->pp, RK_PP_CORES),
                              &r->n_variants);
    for (size_t i = 0; i < w->n_tasks; i++) {
        const rknn_task *d = &w->tasks[i];
        const chain_info *c = &chains[task_chain[i]];
        size_t first = 0;
        bool has_tail = false;
        st = task_extent(w, i, &first, &has_tail, e);
        if (st != RK_OK)
            goto out;
        size_t n = d->regcfg_amount + (has_tail ? ISA_PC_TAIL_ENTRIES : 0u);
        rk_perf_regfile *core_rf = &rf[c->variant * MAX_CORES + c->core % MAX_CORES];
        st = rk_perf_regfile_apply(core_rf, w->regcmd + first, n, first, e);
        if (st != RK_OK) {
            rk_err_wrap(e, "task %zu", i);
            goto out;
        }
        rk_perf_task *t = &r->tasks[i];
        rk_perf_estimate_task(w->pp, core_rf, d->enable_mask,
                              d->regcfg_amount + ISA_PC_TAIL_ENTRIES, t);
        t->index = (uint32_t)i;
        t->chain = task_chain[i];
        t->variant = c->variant;
        t->core = c->core % MAX_CORES;
        t->active = c->variant == r->variant;
        t->node = w->model ? rknn_task_node(w->model, i) : -1;
        if (i == c->first) {
            uint64_t submit = (uint64_t)rk_perf_get(w->pp, RK_PP_SUBMIT_FIXED);
            t->fixed_cycles += submit;
            t->time_cycles += submit;
        }
        r->n_active += t->active;
    }
out:
    free(chains);
    free(task_chain);
    free(rf);
    return st;
}

/* --------------------------------------------------------------- layers */

static const char *dtype_label(rk_dtype dt)
{
    switch (dt) {
    case RK_DT_I8: return "INT8";
    case RK_DT_U8: return "UINT8";
    case RK_DT_I16: return "INT16";
    case RK_DT_F16: return "FLOAT16";
    case RK_DT_BF16: return "BFLOAT16";
    case RK_DT_I32: return "INT32";
    case RK_DT_F32: return "FLOAT32";
    default: return "UNKNOWN";
    }
}

/* "(1,64,258,258)" appended to buf. */
static void append_shape(char *buf, size_t len, const int32_t *dims, uint32_t n)
{
    size_t used = strlen(buf);
    if (used + 2 >= len)
        return;
    snprintf(buf + used, len - used, "%s(", used ? "," : "");
    for (uint32_t i = 0; i < n; i++) {
        used = strlen(buf);
        snprintf(buf + used, len - used, "%s%d", i ? "," : "", dims[i]);
    }
    used = strlen(buf);
    snprintf(buf + used, len - used, ")");
}

static void shapes_of(const rknn_graph *g, const int32_t *idx, uint32_t n, char *buf,
                      size_t len)
{
    buf[0] = '\0';
    for (uint32_t i = 0; i < n; i++) {
        if (idx[i] < 0 || (uint32_t)idx[i] >= g->n_tensors)
            continue;
        const rknn_tensor *t = &g->tensors[idx[i]];
        if (t->kind == RKNN_KIND_NONE)
            continue;
        append_shape(buf, len, t->shape, t->n_shape);
    }
}

/* Fill the descriptive strings of a layer from its node, or from its first
 * task's registers when there is no node. */
static rk_status describe_layer(rk_perf_layer *l, const rknn_model *m, const rk_perf_task *t0,
                                rk_err *e)
{
    char in[512], outs[512];
    const char *type, *name;
    rk_dtype dt = t0->out_dtype != RK_DT_UNDEF ? t0->out_dtype : t0->in_dtype;

    if (m && l->node >= 0 && m->n_graphs > 0 && (uint32_t)l->node < m->graphs[0].n_nodes) {
        const rknn_graph *g = &m->graphs[0];
        const rknn_node *nd = &g->nodes[l->node];
        type = nd->type ? nd->type : "?";
        name = nd->name ? nd->name : "";
        shapes_of(g, nd->inputs, nd->n_inputs, in, sizeof(in));
        shapes_of(g, nd->outputs, nd->n_outputs, outs, sizeof(outs));
        for (uint32_t i = 0; i < nd->n_outputs; i++) {
            int32_t ti = nd->outputs[i];
            if (ti >= 0 && (uint32_t)ti < g->n_tensors && g->tensors[ti].dtype != RK_DT_UNDEF) {
                dt = g->tensors[ti].dtype;
                break;
            }
        }
    } else {
        type = l->node < 0 ? rk_perf_kind_name(t0->kind) : "?";
        name = "(unassigned)";
        snprintf(in, sizeof(in), "(1,%u,%u,%u)", t0->in_c, t0->in_h, t0->in_w);
        snprintf(outs, sizeof(outs), "(1,%u,%u,%u)", t0->out_c, t0->out_h, t0->out_w);
    }
    l->op_type = dupstr(type);
    l->name = dupstr(name);
    l->dtype = dupstr(dtype_label(dt));
    l->target = dupstr("NPU");
    l->in_shape = dupstr(in);
    l->out_shape = dupstr(outs);
    if (!l->op_type || !l->name || !l->dtype || !l->target || !l->in_shape || !l->out_shape)
        return rk_errf(e, RK_ENOMEM, "cycle model: out of memory describing layers");
    return RK_OK;
}

/* Sum a layer's tasks (layer_tasks[first .. first+n)). */
static void sum_layer(rk_perf_layer *l, const rk_perf_result *r, double clock_mhz)
{
    uint64_t per_core[MAX_CORES] = {0};
    uint64_t mac_cycles = 0;
    for (uint32_t k = 0; k < l->n_tasks; k++) {
        const rk_perf_task *t = &r->tasks[r->layer_tasks[l->task_first + k]];
        if (!t->active)
            continue;
        l->n_active++;
        per_core[t->core % MAX_CORES] += t->time_cycles;
        l->ddr_cycles += t->ddr_cycles;
        l->npu_cycles += t->npu_cycles;
        l->macs += t->macs;
        l->ddr_bytes += t->ddr_bytes;
        mac_cycles += t->mac_cycles;
    }
    uint64_t time_cycles = 0;
    for (unsigned c = 0; c < MAX_CORES; c++) {
        l->core_cycles[c] = per_core[c];
        if (per_core[c])
            l->cores_used++;
        time_cycles = RK_MAX(time_cycles, per_core[c]);
    }
    /* Cores share DDR: a multi-core layer cannot move its bytes faster
     * than the whole NPU's bandwidth. */
    if (l->cores_used > 1) {
        double total_bw = rk_perf_get(&r->params, RK_PP_DDR_TOTAL_BYTES_PER_CYCLE);
        time_cycles = RK_MAX(time_cycles, (uint64_t)ceil((double)l->ddr_bytes / total_bw));
    }
    l->total_cycles = RK_MAX(l->ddr_cycles, l->npu_cycles);
    l->time_us = (double)time_cycles / clock_mhz;
    l->mac_usage_pct = time_cycles && l->cores_used
                           ? 100.0 * (double)mac_cycles / ((double)time_cycles * l->cores_used)
                           : 0.0;
    /* The bound of the layer: the bound of its slowest task class. */
    uint64_t by_bound[RK_PERF_BOUND_OVERHEAD + 1] = {0};
    for (uint32_t k = 0; k < l->n_tasks; k++) {
        const rk_perf_task *t = &r->tasks[r->layer_tasks[l->task_first + k]];
        if (t->active)
            by_bound[t->bound] += t->time_cycles;
    }
    l->bound = RK_PERF_BOUND_NONE;
    for (int b = 1; b <= RK_PERF_BOUND_OVERHEAD; b++) {
        if (by_bound[b] > by_bound[l->bound])
            l->bound = (rk_perf_bound)b;
    }
}

static int cmp_optype(const void *a, const void *b)
{
    const rk_perf_optype *x = a, *y = b;
    if (x->time_us != y->time_us)
        return x->time_us < y->time_us ? 1 : -1;
    return strcmp(x->op_type, y->op_type);
}

static rk_status rank_optypes(rk_perf_result *r, rk_err *e)
{
    r->optypes = calloc(r->n_layers ? r->n_layers : 1, sizeof(*r->optypes));
    if (!r->optypes)
        return rk_errf(e, RK_ENOMEM, "cycle model: out of memory ranking operators");
    for (size_t i = 0; i < r->n_layers; i++) {
        const rk_perf_layer *l = &r->layers[i];
        if (l->n_active == 0)
            continue;
        size_t k = 0;
        while (k < r->n_optypes && strcmp(r->optypes[k].op_type, l->op_type) != 0)
            k++;
        if (k == r->n_optypes) {
            r->optypes[k].op_type = dupstr(l->op_type);
            if (!r->optypes[k].op_type)
                return rk_errf(e, RK_ENOMEM, "cycle model: out of memory ranking operators");
            r->n_optypes++;
        }
        r->optypes[k].calls++;
        r->optypes[k].time_us += l->time_us;
    }
    for (size_t k = 0; k < r->n_optypes; k++)
        r->optypes[k].ratio_pct =
            r->frame_time_us > 0 ? 100.0 * r->optypes[k].time_us / r->frame_time_us : 0.0;
    qsort(r->optypes, r->n_optypes, sizeof(*r->optypes), cmp_optype);
    return RK_OK;
}

/* Group tasks by node: layers ordered by node index, tasks without a node
 * last, each group in table order. */
static rk_status build_layers(rk_perf_result *r, const rknn_model *m, rk_err *e)
{
    size_t n = r->n_tasks;
    int32_t max_node = -1;
    for (size_t i = 0; i < n; i++)
        max_node = RK_MAX(max_node, r->tasks[i].node);
    size_t slots = (size_t)(max_node + 2); /* slot 0 = no node */
    uint32_t *count = calloc(slots, sizeof(*count));
    uint32_t *start = calloc(slots, sizeof(*start));
    r->layer_tasks = calloc(n ? n : 1, sizeof(*r->layer_tasks));
    r->layers = calloc(slots, sizeof(*r->layers));
    rk_status st = RK_OK;
    if (!count || !start || !r->layer_tasks || !r->layers) {
        st = rk_errf(e, RK_ENOMEM, "cycle model: out of memory grouping %zu tasks", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        count[r->tasks[i].node + 1]++;
    /* Order: nodes 0..max, then slot 0 (unassigned). */
    uint32_t pos = 0;
    for (size_t s = 1; s <= slots; s++) {
        size_t slot = s % slots;
        start[slot] = pos;
        if (count[slot] == 0)
            continue;
        rk_perf_layer *l = &r->layers[r->n_layers++];
        l->node = (int32_t)slot - 1;
        l->task_first = pos;
        l->n_tasks = count[slot];
        pos += count[slot];
    }
    memset(count, 0, slots * sizeof(*count));
    for (size_t i = 0; i < n; i++) {
        size_t slot = (size_t)(r->tasks[i].node + 1);
        r->layer_tasks[start[slot] + count[slot]++] = (uint32_t)i;
    }
    double clock = rk_perf_get(&r->params, RK_PP_CLOCK_MHZ);
    for (size_t i = 0; i < r->n_layers; i++) {
        rk_perf_layer *l = &r->layers[i];
        const rk_perf_task *t0 = &r->tasks[r->layer_tasks[l->task_first]];
        for (uint32_t k = 0; k < l->n_tasks; k++) {
            const rk_perf_task *t = &r->tasks[r->layer_tasks[l->task_first + k]];
            if (t->active) {
                t0 = t;
                break;
            }
        }
        st = describe_layer(l, m, t0, e);
        if (st != RK_OK)
            goto out;
        sum_layer(l, r, clock);
        r->frame_time_us += l->time_us;
    }
out:
    free(count);
    free(start);
    return st;
}

static rk_status estimate(const walk_ctx *w, const char *model_name, rk_perf_result *out,
                          rk_err *e)
{
    rk_status st;
    memset(out, 0, sizeof(*out));
    out->params = *w->pp;
    if (rk_perf_get(w->pp, RK_PP_CORES) > MAX_CORES)
        return rk_errf(e, RK_EUSAGE, "cycle model: at most %d cores", MAX_CORES);
    out->model_name = dupstr(model_name);
    out->tasks = calloc(w->n_tasks ? w->n_tasks : 1, sizeof(*out->tasks));
    if (!out->tasks || !out->model_name) {
        st = rk_errf(e, RK_ENOMEM, "cycle model: out of memory for %zu tasks", w->n_tasks);
        goto fail;
    }
    out->n_tasks = w->n_tasks;
    st = walk_tasks(w, out, e);
    if (st != RK_OK)
        goto fail;
    st = build_layers(out, w->model, e);
    if (st != RK_OK)
        goto fail;
    for (size_t i = 0; i < out->n_tasks; i++) {
        if (!out->tasks[i].active)
            continue;
        out->total_ddr_bytes += out->tasks[i].ddr_bytes;
        out->total_macs += out->tasks[i].macs;
    }
    out->total_cycles =
        (uint64_t)llround(out->frame_time_us * rk_perf_get(w->pp, RK_PP_CLOCK_MHZ));
    st = rank_optypes(out, e);
    if (st != RK_OK)
        goto fail;
    return RK_OK;
fail:
    rk_perf_result_free(out);
    return st;
}

rk_status rk_perf_program_estimate(const uint64_t *regcmd, size_t n_regcmd,
                                   const struct rknn_task *tasks, size_t n_tasks,
                                   const rk_perf_params *pp, rk_perf_result *out, rk_err *e)
{
    walk_ctx w = {pp, regcmd, n_regcmd, tasks, n_tasks, NULL};
    if (!pp || (!regcmd && n_regcmd) || (!tasks && n_tasks))
        return rk_errf(e, RK_EUSAGE, "rk_perf_program_estimate: NULL argument");
    return estimate(&w, "(program)", out, e);
}

rk_status rk_perf_model_estimate(const struct rknn_model *m, rk_soc soc,
                                 const rk_perf_params *params, rk_perf_result *out, rk_err *e)
{
    rk_perf_params defaults;
    const uint64_t *regcmd;
    const rknn_task *tasks;
    size_t n_regcmd, n_tasks;
    rk_status st;

    if (!m || !out)
        return rk_errf(e, RK_EUSAGE, "rk_perf_model_estimate: NULL argument");
    if (!params) {
        st = rk_perf_params_default(soc, &defaults, e);
        if (st != RK_OK)
            return st;
        params = &defaults;
    } else if (params->soc != soc) {
        return rk_errf(e, RK_EUSAGE, "cycle model: parameters are for %s but the model runs on %s",
                       rk_soc_name(params->soc), rk_soc_name(soc));
    }
    st = rknn_program(m, &regcmd, &n_regcmd, &tasks, &n_tasks, e);
    if (st != RK_OK)
        return st;
    walk_ctx w = {params, regcmd, n_regcmd, tasks, n_tasks, m};
    return estimate(&w, "(model)", out, e);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

rk_status rk_perf_report_file(const char *rknn_path, rk_soc soc_override,
                              const char *const *overrides, size_t n_overrides,
                              rk_perf_result *out, rk_err *e)
{
    rknn_model *m = NULL;
    rk_perf_params pp;
    rk_status st = rknn_load_file(rknn_path, &m, e);
    if (st != RK_OK)
        return st;
    rk_soc soc = soc_override;
    if (soc == RK_SOC_UNKNOWN)
        soc = rk_soc_from_name(m->soc);
    if (soc == RK_SOC_UNKNOWN) {
        st = rk_errf(e, RK_EUNSUPPORTED, "%s: unknown target SoC '%s'; pass one explicitly",
                     rknn_path, m->soc ? m->soc : "(none)");
        goto out;
    }
    st = rk_perf_params_with_overrides(soc, overrides, n_overrides, &pp, e);
    if (st == RK_OK)
        st = rk_perf_model_estimate(m, soc, &pp, out, e);
    if (st == RK_OK) {
        free(out->model_name);
        out->model_name = dupstr(base_name(rknn_path));
    } else {
        rk_err_wrap(e, "%s", rknn_path);
    }
out:
    rknn_free(m);
    return st;
}
