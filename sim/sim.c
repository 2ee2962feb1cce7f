/*
 * sim.c - building the machine for a model (DRAM image, relocation, chain
 * plan) and running the graph node by node.  See sim.h.
 */
#include "sim_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ problems */

static void where_prefix(const sim *s, char *buf, size_t n)
{
    if (s->where.task >= 0)
        snprintf(buf, n, "task %ld (layer '%s'): ", s->where.task,
                 s->where.layer ? s->where.layer : "");
    else if (s->where.layer && s->where.layer[0])
        snprintf(buf, n, "layer '%s': ", s->where.layer);
    else
        buf[0] = 0;
}

static rk_status push_issue(sim *s, const char *msg)
{
    if (s->n_issues == s->cap_issues) {
        size_t cap = s->cap_issues ? s->cap_issues * 2 : 16;
        char **p = realloc(s->issues, cap * sizeof(*p));
        if (!p)
            return RK_ENOMEM;
        s->issues = p;
        s->cap_issues = cap;
    }
    /* Keep each distinct sentence once: a 1722-task model repeats them. */
    for (size_t i = 0; i < s->n_issues; i++)
        if (strcmp(s->issues[i], msg) == 0)
            return RK_OK;
    s->issues[s->n_issues] = strdup(msg);
    if (!s->issues[s->n_issues])
        return RK_ENOMEM;
    s->n_issues++;
    return RK_OK;
}

rk_status sim_problem(sim *s, rk_err *e, const char *fmt, ...)
{
    char pre[256], body[RK_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    where_prefix(s, pre, sizeof(pre));
    if (s->opt.lenient) {
        char line[RK_ERR_MAX + 256];
        snprintf(line, sizeof(line), "%s%s", pre, body);
        if (push_issue(s, line) != RK_OK)
            return rk_errf(e, RK_ENOMEM, "out of memory recording an issue");
        return RK_OK;
    }
    return rk_errf(e, RK_EUNSUPPORTED, "%s%s (rerun with --lenient to continue and list all)",
                   pre, body);
}

rk_status sim_skip(sim *s, rk_err *e, const char *fmt, ...)
{
    char body[RK_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    rk_status st = sim_problem(s, e, "%s", body);
    if (!st)
        s->skip_unit = true;
    return st;
}

rk_status sim_fail(sim *s, rk_err *e, rk_status st, const char *fmt, ...)
{
    char pre[256], body[RK_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    where_prefix(s, pre, sizeof(pre));
    return rk_errf(e, st, "%s%s", pre, body);
}

rk_status sim_dma(sim *s, uint32_t addr, uint64_t len, const char *reg, uint8_t **p,
                  rk_err *e)
{
    *p = sim_mem_span(&s->mem, addr, len);
    if (*p)
        return RK_OK;
    char a[160], b[160];
    sim_mem_describe(&s->mem, addr, a, sizeof(a));
    sim_mem_describe(&s->mem, (uint32_t)(addr + (len ? len - 1 : 0)), b, sizeof(b));
    return sim_fail(s, e, RK_EINPUT,
                    "DMA through %s of %llu bytes from %s to %s is outside any allocated region",
                    reg, (unsigned long long)len, a, b);
}

rk_status sim_dma_write(sim *s, uint32_t addr, uint64_t len, const char *reg, uint8_t **p, rk_err *e)
{
    bool oom;
    *p = sim_mem_span_w(&s->mem, addr, len, &oom);
    if (*p)
        return RK_OK;
    if (oom)
        return sim_fail(s, e, RK_ENOMEM, "out of memory copying the region written through %s", reg);
    return sim_dma(s, addr, len, reg, p, e);
}

/* ------------------------------------------------------------ building */

static bool tensor_in_pool(const rknn_tensor *t)
{
    return t->kind == RKNN_KIND_INPUT || t->kind == RKNN_KIND_OUTPUT ||
           t->kind == RKNN_KIND_INTERNAL;
}

/* Place every tensor: pool tensors at pool_offset inside one "pool" region,
 * const-like tensors (kinds 4, 5, 8) each in a region holding their buffer. */
static rk_status place_tensors(sim *s, rk_err *e)
{
    const rknn_graph *g = s->g;
    uint64_t pool_bytes = 0;
    for (uint32_t i = 0; i < g->n_tensors; i++) {
        const rknn_tensor *t = &g->tensors[i];
        if (tensor_in_pool(t)) {
            if (t->pool_offset < 0 || t->size < 0)
                return rk_errf(e, RK_EINPUT, "tensor '%s': negative pool offset or size", t->name);
            pool_bytes = RK_MAX(pool_bytes, (uint64_t)t->pool_offset + (uint64_t)t->size);
        }
    }
    rk_status st = sim_mem_add(&s->mem, "pool", pool_bytes, &s->pool, e);
    if (st)
        return st;
    uint32_t pool_base = s->pool->base;
    for (uint32_t i = 0; i < g->n_tensors; i++) {
        const rknn_tensor *t = &g->tensors[i];
        if (tensor_in_pool(t)) {
            s->tensor_addr[i] = pool_base + (uint32_t)t->pool_offset;
            s->tensor_region[i] = s->pool;
            continue;
        }
        if (t->kind == RKNN_KIND_REGCMD || t->kind == RKNN_KIND_TASK || t->kind == RKNN_KIND_NONE)
            continue;
        const rknn_buffer *b = rknn_tensor_buffer(s->model, t);
        /* Kind 8 (e.g. '8_weight_0', '*_exSecondary_bias_0': weights of
         * compiler-inserted layout/resize convs) also carries a buffer
         * index; rknn_tensor_buffer only serves kinds 4/5/6/9/10. */
        if (!b && t->buffer_index > 0 && (uint32_t)t->buffer_index < s->model->n_buffers)
            b = &s->model->buffers[t->buffer_index];
        if (!b)
            continue; /* const without data: relocations to it will fail loudly */
        char name[300];
        snprintf(name, sizeof(name), "const:%s", t->name ? t->name : "?");
        const sim_region *r;
        /* The model outlives the sim and its buffers are not modified:
         * the region borrows them instead of holding the weights twice. */
        if ((st = sim_mem_add_borrowed(&s->mem, name, b->data, b->size, &r, e)))
            return st;
        s->tensor_addr[i] = r->base;
        s->tensor_region[i] = r;
    }
    return RK_OK;
}

/* Tensor names sorted once for the relocation lookups (a linear
 * rknn_find_tensor per relocation was quadratic).  Ties keep the lower
 * index first, so the first tensor of a name wins as in rknn_find_tensor. */
typedef struct name_index {
    const char *name;
    int32_t index;
} name_index;

static int cmp_name_index(const void *a, const void *b)
{
    const name_index *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Index of the first tensor called `name` in the sorted table, or -1. */
static int32_t find_sorted(const name_index *t, size_t n, const char *name)
{
    if (!name)
        return -1;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && strcmp(t[lo].name, name) == 0 ? t[lo].index : -1;
}

/* Apply the relocation table: entry regcmd_index's value = address of the
 * named tensor + offset (rknn-format.md 1.6; the stored value equals the
 * offset in every vendor file). */
static rk_status apply_relocs(sim *s, rk_err *e)
{
    const rknn_graph *g = s->g;
    name_index *names = malloc((g->n_tensors ? g->n_tensors : 1) * sizeof(*names));
    if (!names)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    size_t nn = 0;
    for (uint32_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].name)
            names[nn++] = (name_index){g->tensors[i].name, (int32_t)i};
    qsort(names, nn, sizeof(*names), cmp_name_index);
    rk_status st = RK_OK;
    for (uint32_t r = 0; r < g->n_relocs && !st; r++) {
        const rknn_reloc *rl = &g->relocs[r];
        int32_t ti = find_sorted(names, nn, rl->name);
        if (ti < 0) {
            st = rk_errf(e, RK_EINPUT, "relocation names tensor '%s', which the graph does not have",
                         rl->name ? rl->name : "");
            break;
        }
        uint32_t base = s->tensor_addr[ti];
        for (uint32_t k = 0; k < rl->n_pairs; k++) {
            uint32_t idx = rl->pairs[k].regcmd_index;
            if (idx >= s->n_regcmd) {
                st = rk_errf(e, RK_EINPUT,
                             "relocation of tensor '%s' points at regcmd entry %u, beyond the %zu entries",
                             rl->name, idx, s->n_regcmd);
                break;
            }
            if (!base) {
                st = rk_errf(e, RK_EINPUT,
                             "relocation of regcmd entry %u names tensor '%s', which has no memory",
                             idx, rl->name);
                break;
            }
            uint64_t w = s->regcmd[idx];
            uint32_t addr = base + rl->pairs[k].offset;
            w = (w & 0xFFFF00000000FFFFull) | ((uint64_t)addr << 16);
            s->regcmd[idx] = w;
        }
    }
    free(names);
    return st;
}

/* The task starting at regcmd byte offset `off`.  Several tasks can share
 * one segment (RK3588 multi-core variants reuse the single-core programs),
 * so the task right after `hint` in table order wins when it matches. */
long sim_task_at_offset(const sim *s, uint64_t off, size_t hint)
{
    if (hint + 1 < s->n_tasks && s->tasks[hint + 1].regcmd_addr == off)
        return (long)(hint + 1);
    /* Tasks are sorted by regcmd_addr in every vendor file; binary search
     * with a linear fallback for hand-made programs. */
    size_t lo = 0, hi = s->n_tasks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->tasks[mid].regcmd_addr < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n_tasks && s->tasks[lo].regcmd_addr == off)
        return (long)lo;
    for (size_t i = 0; i < s->n_tasks; i++)
        if (s->tasks[i].regcmd_addr == off)
            return (long)i;
    return -1;
}

/* The PC_BASE_ADDRESS value in the tail of task i, or 0. */
static uint32_t tail_next(const sim *s, size_t i)
{
    const rknn_task *t = &s->tasks[i];
    size_t first = (size_t)(t->regcmd_addr / 8) + t->regcfg_amount;
    for (size_t k = first; k < first + 4 && k < s->n_regcmd; k++) {
        isa_regcmd c = isa_regcmd_decode(s->regcmd[k]);
        if (c.target == ISA_TARGET_PC && c.reg == R_PC_BASE_ADDRESS)
            return c.value & ~0xFu;
    }
    return 0;
}

/* Group tasks into PC chains by following each tail's next address. */
static rk_status plan_chains(sim *s, rk_err *e)
{
    for (size_t i = 0; i < s->n_tasks; i++)
        s->chain_head[i] = -1;
    for (size_t i = 0; i < s->n_tasks; i++) {
        if (s->chain_head[i] >= 0)
            continue;
        size_t cur = i;
        size_t guard = 0;
        for (;;) {
            s->chain_head[cur] = (long)i;
            uint32_t next = tail_next(s, cur);
            if (!next)
                break;
            long nt = sim_task_at_offset(s, next, cur);
            if (nt < 0)
                return rk_errf(e, RK_EINPUT,
                               "task %zu: PC_BASE_ADDRESS 0x%x is not the start of any task", cur, next);
            if (s->chain_head[nt] >= 0)
                break; /* joins or loops into a chain already seen */
            cur = (size_t)nt;
            if (++guard > s->n_tasks)
                return rk_errf(e, RK_EINPUT, "task %zu: PC chain does not terminate", i);
        }
    }
    for (size_t i = 0; i < s->n_tasks; i++)
        s->task_node[i] = s->tasks[i].op_idx < s->g->n_nodes ? (long)s->tasks[i].op_idx : -1;
    return RK_OK;
}

rk_status sim_create(const rknn_model *m, const sim_options *opt, sim **out, rk_err *e)
{
    *out = NULL;
    if (!m || m->n_graphs < 1)
        return rk_errf(e, RK_EINPUT, "model has no graph");
    const uint64_t *regcmd;
    const rknn_task *tasks;
    size_t n_regcmd, n_tasks;
    rk_status st = rknn_program(m, &regcmd, &n_regcmd, &tasks, &n_tasks, e);
    if (st)
        return st;
    sim *s = calloc(1, sizeof(*s));
    if (!s)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    s->model = m;
    s->g = &m->graphs[0];
    if (opt)
        s->opt = *opt;
    s->soc = s->opt.soc != RK_SOC_UNKNOWN ? s->opt.soc : rk_soc_from_name(m->soc);
    if (s->soc == RK_SOC_UNKNOWN && m->format)
        s->soc = rk_soc_from_format_string(m->format);
    s->where.task = -1;
    sim_mem_init(&s->mem);
    if (s->soc != RK_SOC_RK3588 && s->soc != RK_SOC_RK3566) {
        st = rk_errf(e, RK_EUNSUPPORTED,
                     "model targets '%s': rksim simulates RK3588 and RK3566/RK3568 (use --soc)",
                     m->soc ? m->soc : "?");
        goto fail;
    }
    s->soc_info = isa_soc_info_get(s->soc);
    uint32_t nt = s->g->n_tensors;
    s->tensor_addr = calloc(nt ? nt : 1, sizeof(*s->tensor_addr));
    s->tensor_region = calloc(nt ? nt : 1, sizeof(*s->tensor_region));
    s->n_regcmd = n_regcmd;
    s->regcmd = malloc((n_regcmd ? n_regcmd : 1) * sizeof(uint64_t));
    s->tasks = tasks;
    s->n_tasks = n_tasks;
    s->chain_head = calloc(n_tasks ? n_tasks : 1, sizeof(long));
    s->chain_done = calloc(n_tasks ? n_tasks : 1, sizeof(bool));
    s->task_node = calloc(n_tasks ? n_tasks : 1, sizeof(long));
    s->user_inputs = calloc(s->g->n_inputs ? s->g->n_inputs : 1, sizeof(rk_tensor));
    s->user_nhwc = calloc(s->g->n_inputs ? s->g->n_inputs : 1, sizeof(bool));
    s->node_done = calloc(s->g->n_nodes ? s->g->n_nodes : 1, sizeof(bool));
    if (!s->tensor_addr || !s->tensor_region || !s->regcmd || !s->chain_head ||
        !s->chain_done || !s->task_node || !s->user_inputs || !s->user_nhwc || !s->node_done) {
        st = rk_errf(e, RK_ENOMEM, "out of memory");
        goto fail;
    }
    memcpy(s->regcmd, regcmd, n_regcmd * sizeof(uint64_t));
    if ((st = place_tensors(s, e)) || (st = apply_relocs(s, e)) || (st = plan_chains(s, e)))
        goto fail;
    /* The command stream itself lives in DRAM too (the PC fetches it). */
    const sim_region *rr;
    if ((st = sim_mem_add(&s->mem, "regcmd", n_regcmd * 8, &rr, e)))
        goto fail;
    memcpy(rr->data, s->regcmd, n_regcmd * 8);
    /* Walk the DRAM copy from now on and drop the private one (peak
     * memory); the region's data is 8-byte aligned (calloc) and holds the
     * same host-order words. */
    free(s->regcmd);
    s->regcmd = (uint64_t *)(void *)rr->data;
    s->regcmd_in_dram = true;
    s->stats.dram_bytes = s->mem.total_bytes;
    *out = s;
    return RK_OK;
fail:
    sim_destroy(s);
    return st;
}

void sim_destroy(sim *s)
{
    if (!s)
        return;
    sim_mem_free(&s->mem);
    free(s->tensor_addr);
    free(s->tensor_region);
    if (!s->regcmd_in_dram)
        free(s->regcmd);
    free(s->chain_head);
    free(s->chain_done);
    free(s->task_node);
    if (s->user_inputs)
        for (uint32_t i = 0; i < s->g->n_inputs; i++)
            rk_tensor_free(&s->user_inputs[i]);
    free(s->user_inputs);
    free(s->user_nhwc);
    free(s->node_done);
    for (size_t i = 0; i < s->n_issues; i++)
        free(s->issues[i]);
    free(s->issues);
    sim_cube_free(&s->cube);
    free(s->scratch_f);
    free(s->dpu_off);
    free(s->dpu_v);
    free(s->dpu_fv);
    rk_tensor_list_free(&s->layers);
    free(s);
}

/* ------------------------------------------------------------ accessors */

rk_soc sim_soc(const sim *s) { return s->soc; }
int sim_n_inputs(const sim *s) { return (int)s->g->n_inputs; }
int sim_n_outputs(const sim *s) { return (int)s->g->n_outputs; }

const rknn_tensor *sim_input_tensor(const sim *s, int i)
{
    if (i < 0 || (uint32_t)i >= s->g->n_inputs)
        return NULL;
    int32_t ti = s->g->inputs[i];
    return (ti >= 0 && (uint32_t)ti < s->g->n_tensors) ? &s->g->tensors[ti] : NULL;
}

const rknn_tensor *sim_output_tensor(const sim *s, int i)
{
    if (i < 0 || (uint32_t)i >= s->g->n_outputs)
        return NULL;
    int32_t ti = s->g->outputs[i];
    return (ti >= 0 && (uint32_t)ti < s->g->n_tensors) ? &s->g->tensors[ti] : NULL;
}

const char *const *sim_issues(const sim *s, size_t *n)
{
    *n = s->n_issues;
    return (const char *const *)s->issues;
}

const sim_stats *sim_get_stats(const sim *s) { return &s->stats; }

size_t sim_plan_chains(const sim *s, size_t *heads, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_tasks; i++)
        if (s->chain_head[i] == (long)i) {
            if (n < max)
                heads[n] = i;
            n++;
        }
    return n;
}

rk_status sim_set_input(sim *s, int i, const rk_tensor *t, bool nhwc, rk_err *e)
{
    const rknn_tensor *rt = sim_input_tensor(s, i);
    if (!rt)
        return rk_errf(e, RK_EUSAGE, "input %d: the model has %u inputs", i, s->g->n_inputs);
    rk_tensor_free(&s->user_inputs[i]);
    rk_status st = rk_tensor_copy(&s->user_inputs[i], t, e);
    if (st)
        return st;
    s->user_nhwc[i] = nhwc;
    return RK_OK;
}

rk_status sim_tensor_write(sim *s, int32_t ti, const void *data, size_t len, rk_err *e)
{
    if (ti < 0 || (uint32_t)ti >= s->g->n_tensors || !s->tensor_addr[ti])
        return rk_errf(e, RK_EUSAGE, "tensor %d has no memory", ti);
    bool oom;
    uint8_t *p = sim_mem_span_w(&s->mem, s->tensor_addr[ti], len, &oom);
    if (oom)
        return rk_errf(e, RK_ENOMEM, "tensor '%s': out of memory", s->g->tensors[ti].name);
    if (!p || (int64_t)len != s->g->tensors[ti].size)
        return rk_errf(e, RK_EUSAGE, "tensor '%s': %zu bytes given, its size is %lld",
                       s->g->tensors[ti].name, len, (long long)s->g->tensors[ti].size);
    memcpy(p, data, len);
    return RK_OK;
}

rk_status sim_tensor_read(sim *s, int32_t ti, void *data, size_t len, rk_err *e)
{
    if (ti < 0 || (uint32_t)ti >= s->g->n_tensors || !s->tensor_addr[ti])
        return rk_errf(e, RK_EUSAGE, "tensor %d has no memory", ti);
    uint8_t *p = sim_mem_span(&s->mem, s->tensor_addr[ti], len);
    if (!p)
        return rk_errf(e, RK_EUSAGE, "tensor '%s': cannot read %zu bytes", s->g->tensors[ti].name, len);
    memcpy(data, p, len);
    return RK_OK;
}

/* ------------------------------------------------------------ running */

/* Capture node outputs (dequantised) for --dump-layers. */
static rk_status capture_node(sim *s, uint32_t node, rk_err *e)
{
    if (!s->opt.keep_layers || s->node_done[node])
        return RK_OK;
    s->node_done[node] = true;
    const rknn_node *n = &s->g->nodes[node];
    for (uint32_t k = 0; k < n->n_outputs; k++) {
        int32_t ti = n->outputs[k];
        if (ti < 0 || !s->tensor_addr[ti])
            continue;
        if (rk_tensor_list_find(&s->layers, s->g->tensors[ti].name))
            continue;
        rk_tensor t = {0};
        rk_status st = sim_tensor_to_float(s, ti, &t, e);
        if (st)
            return rk_err_wrap(e, "capturing output '%s' of layer '%s'", s->g->tensors[ti].name,
                               n->name ? n->name : "");
        if ((st = rk_tensor_list_push(&s->layers, &t, e))) {
            rk_tensor_free(&t);
            return st;
        }
    }
    return RK_OK;
}

/* Called by the sequencer after each task: capture the node whose last
 * task (within the running chain) just finished. */
rk_status sim_after_task(sim *s, size_t task, rk_err *e);
rk_status sim_after_task(sim *s, size_t task, rk_err *e)
{
    s->stats.tasks++;
    if (s->opt.progress)
        s->opt.progress(s->opt.progress_user, (size_t)s->stats.tasks, s->tasks_total_planned,
                        s->where.layer);
    long node = s->task_node[task];
    if (node < 0)
        return RK_OK;
    const rknn_node *n = &s->g->nodes[node];
    /* Last task of this node inside this chain? */
    long head = s->chain_head[task];
    for (uint32_t k = 0; k < n->task_count; k++) {
        uint32_t t = n->task_list[k];
        if (t > task && s->chain_head[t] == head)
            return RK_OK;
    }
    return capture_node(s, (uint32_t)node, e);
}

static size_t count_planned_tasks(sim *s)
{
    bool *used = calloc(s->n_tasks ? s->n_tasks : 1, sizeof(bool));
    size_t total = 0;
    if (!used)
        return 0;
    for (uint32_t ni = 0; ni < s->g->n_nodes; ni++) {
        const rknn_node *n = &s->g->nodes[ni];
        if (!n->task_count)
            continue;
        long head = s->chain_head[n->task_list[0]];
        if (head < 0 || used[head])
            continue;
        used[head] = true;
        for (size_t t = 0; t < s->n_tasks; t++)
            if (s->chain_head[t] == head)
                total++;
    }
    free(used);
    return total;
}

rk_status sim_run(sim *s, rk_err *e)
{
    rk_status st = RK_OK;
    memset(s->chain_done, 0, s->n_tasks * sizeof(bool));
    memset(s->node_done, 0, s->g->n_nodes * sizeof(bool));
    rk_tensor_list_free(&s->layers);
    memset(&s->stats, 0, sizeof(s->stats));
    s->stats.dram_bytes = s->mem.total_bytes;
    s->tasks_total_planned = count_planned_tasks(s);
    for (uint32_t ni = 0; ni < s->g->n_nodes; ni++) {
        const rknn_node *n = &s->g->nodes[ni];
        s->where.task = -1;
        s->where.layer = n->name ? n->name : "";
        if (n->task_count) {
            long head = s->chain_head[n->task_list[0]];
            if (head < 0)
                return sim_fail(s, e, RK_EINTERNAL, "task %u has no chain", n->task_list[0]);
            if (!s->chain_done[head]) {
                s->chain_done[head] = true;
                if ((st = sim_seq_run_chain(s, (size_t)head, e)))
                    return st;
                s->stats.chains++;
            }
            s->where.task = -1;
            s->where.layer = n->name ? n->name : "";
            if ((st = capture_node(s, ni, e)))
                return st;
            continue;
        }
        if (s->opt.progress)
            s->opt.progress(s->opt.progress_user, (size_t)s->stats.tasks, s->tasks_total_planned,
                            s->where.layer);
        if ((st = sim_cpu_node(s, ni, e)))
            return st;
        s->stats.cpu_nodes++;
        if ((st = capture_node(s, ni, e)))
            return st;
    }
    s->where.task = -1;
    s->where.layer = "";
    return RK_OK;
}

rk_status sim_run_program(sim *s, rk_err *e)
{
    memset(&s->stats, 0, sizeof(s->stats));
    s->stats.dram_bytes = s->mem.total_bytes;
    if (!s->n_tasks)
        return rk_errf(e, RK_EINPUT, "the program has no tasks");
    s->tasks_total_planned = s->n_tasks;
    rk_status st = sim_seq_run_chain(s, 0, e);
    if (!st)
        s->stats.chains++;
    s->where.task = -1;
    return st;
}

rk_status sim_get_output(sim *s, int i, bool raw, rk_tensor *out, rk_err *e)
{
    if (i < 0 || (uint32_t)i >= s->g->n_outputs)
        return rk_errf(e, RK_EUSAGE, "output %d: the model has %u outputs", i, s->g->n_outputs);
    int32_t ti = s->g->outputs[i];
    const rknn_tensor *t = &s->g->tensors[ti];
    if (!raw)
        return sim_tensor_to_float(s, ti, out, e);
    int64_t dims[RK_MAX_DIMS];
    int nd = (int)RK_MIN(t->n_native_shape, (uint32_t)RK_MAX_DIMS);
    for (int k = 0; k < nd; k++)
        dims[k] = t->native_shape[k];
    rk_dtype dt = t->dtype;
    size_t es = rk_dtype_size(dt);
    int64_t nelem = 1;
    for (int k = 0; k < nd; k++)
        nelem *= dims[k];
    if (!es || nd == 0 || nelem * (int64_t)es > t->size) {
        /* Native shape does not describe the bytes: hand them out flat. */
        dt = RK_DT_U8;
        nd = 1;
        dims[0] = t->size;
    }
    rk_status st = rk_tensor_alloc(out, t->name, dt, nd, dims, e);
    if (st)
        return st;
    return sim_tensor_read(s, ti, out->data, rk_tensor_bytes(out), e);
}

rk_status sim_layers(sim *s, rk_tensor_list *out, rk_err *e)
{
    if (!s->opt.keep_layers)
        return rk_errf(e, RK_EUSAGE, "layers were not kept (set keep_layers)");
    for (int i = 0; i < s->layers.count; i++) {
        rk_tensor t = {0};
        rk_status st = rk_tensor_copy(&t, &s->layers.items[i], e);
        if (st)
            return st;
        if ((st = rk_tensor_list_push(out, &t, e))) {
            rk_tensor_free(&t);
            return st;
        }
    }
    return RK_OK;
}
