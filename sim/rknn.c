/*
 * rknn.c - reading .rknn containers (see rknn.h for the format summary).
 *
 * NODE <-> TASK RULE (worked out from the vendor files; tested in
 * tests/test_rknn.c on every v6 file):
 *  - task i belongs to node tasks[i].op_idx (rknpu_task.op_idx is the node
 *    index in Graph.nodes).  Evidence: every op_idx is a node index of an
 *    NPU op (Conv*, Add*, ... and on RK3566 OutputOperator, whose tasks
 *    convert the output layout), and every regcmd entry the relocation
 *    table binds to a const tensor (weights/bias; 462 entries over the 5
 *    files) lies inside a task whose op_idx node consumes that tensor.
 *  - tasks are in execution order; the array is one or more SEGMENTS, each
 *    a walk over the graph; a segment starts where op_idx decreases.  RK3566
 *    files: 1 segment.  RK3588 files: 6 segments sized like 1 + 2 + 3
 *    per-core programs (inferred: single-, dual- and triple-core code, see
 *    rknn_segment in rknn.h).  So a node's tasks are not contiguous across
 *    the array; inside a segment they are (op_idx never decreases there).
 *  - nodes with no tasks: InputOperator, custom ops (run on CPU/GPU),
 *    OutputOperator on RK3588, and every node of v1/v4 files.
 *
 * Safety: the container header and the FlatBuffer are checked before any
 * access (flatbuf.c); every array we allocate is charged against a budget
 * of RKNN_BUDGET_FACTOR x file size, so shared/overlapping vectors in a
 * hostile file cannot blow up memory; every index read from the file
 * (tensor refs, buffer index, task op_idx, regcmd offsets) is range-checked
 * before rknn_load_* returns, so consumers may trust them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rknn_internal.h"

#define RKNN_BUDGET_FACTOR 8
#define RKNN_BUDGET_SLACK (1u << 20)

static const char no_program_msg[] =
    "this model has no compiled command stream (rknn-toolkit2 < 1.6); "
    "re-export it with a newer toolkit";

typedef struct read_ctx {
    const fb_buf *b;
    size_t budget;
    rknn_model *m;
    char where[160]; /* "graph 0 tensor 12" for error messages */
    bool wrapped;    /* the error already names its location */
} read_ctx;

static void *ctx_alloc(read_ctx *c, size_t n, size_t size, rk_err *e)
{
    if (size && n > SIZE_MAX / size) {
        rk_errf(e, RK_EINPUT, "%s: element count %zu overflows", c->where, n);
        return NULL;
    }
    size_t bytes = n * size;
    if (bytes > c->budget) {
        rk_errf(e, RK_EINPUT, "%s: decoded data exceeds %dx the file size "
                "(overlapping or corrupt vectors)", c->where,
                RKNN_BUDGET_FACTOR);
        return NULL;
    }
    c->budget -= bytes;
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        rk_errf(e, RK_ENOMEM, "%s: out of memory (%zu bytes)", c->where, bytes);
    return p;
}

static void mark_unrewritable(rknn_model *m, const char *fmt, const char *a,
                              unsigned slot)
{
    if (m->unrewritable)
        return;
    char buf[256];
    snprintf(buf, sizeof(buf), fmt, a, slot);
    m->unrewritable = strdup(buf);
}

/* Copy a [ubyte]/string payload into a NUL-terminated string. */
static rk_status read_string(read_ctx *c, size_t pos, char **out, rk_err *e)
{
    size_t data;
    uint32_t n;
    rk_status st = fb_vector(c->b, pos, 1, &data, &n, e);
    if (st)
        return st;
    if (memchr(c->b->p + data, 0, n))
        return rk_errf(e, RK_EINPUT, "%s: string contains a NUL byte",
                       c->where);
    char *s = ctx_alloc(c, (size_t)n + 1, 1, e);
    if (!s)
        return e ? e->status : RK_ENOMEM;
    memcpy(s, c->b->p + data, n);
    s[n] = 0;
    *out = s;
    return RK_OK;
}

static rk_status read_scalars(read_ctx *c, size_t pos, size_t elem,
                              unsigned group, void **out, uint32_t *count,
                              rk_err *e)
{
    size_t data;
    uint32_t n;
    rk_status st = fb_vector(c->b, pos, elem, &data, &n, e);
    if (st)
        return st;
    if (group > 1 && n % group)
        return rk_errf(e, RK_EINPUT, "%s: vector of %u values is not a list of "
                       "%u-tuples", c->where, n, group);
    void *p = ctx_alloc(c, n, elem, e);
    if (!p)
        return e ? e->status : RK_ENOMEM;
    /* little-endian host assumed (x86-64/aarch64); file is little-endian */
    memcpy(p, c->b->p + data, (size_t)n * elem);
    *out = p;
    *count = group > 1 ? n / group : n;
    return RK_OK;
}

static rk_status read_table(read_ctx *c, const rknn_tdesc *d,
                            const fb_table *t, void *obj, rk_err *e);

static rk_status read_u64tab(read_ctx *c, size_t tpos, unsigned max,
                             uint64_t *v, bool *present, rk_err *e)
{
    fb_table t;
    rk_status st = fb_table_at(c->b, tpos, &t, e);
    if (st)
        return st;
    for (unsigned k = 0; k < fb_nslots(&t); k++) {
        size_t p;
        if ((st = fb_field(&t, k, 1, &p, e)))
            return st;
        if (!p)
            continue;
        if (k >= max) {
            mark_unrewritable(c->m, "%s: 8-byte table has slot %u beyond the "
                              "known ones", c->where, k);
            continue;
        }
        /* Observed: the vendor's table length sometimes ends inside the
         * last 8-byte field (66-byte table, last field at 60); read what
         * the table covers, zero-extended. */
        size_t avail = RK_MIN((size_t)8, t.pos + t.tbl_len - p);
        uint64_t val = 0;
        for (size_t i = 0; i < avail; i++)
            val |= (uint64_t)c->b->p[p + i] << (8 * i);
        v[k] = val;
        present[k] = true;
    }
    return RK_OK;
}

static rk_status read_vu64tab(read_ctx *c, size_t pos, unsigned max,
                              rknn_patch **out, uint32_t *count, rk_err *e)
{
    size_t data;
    uint32_t n;
    rk_status st = fb_vector(c->b, pos, 4, &data, &n, e);
    if (st)
        return st;
    rknn_patch *arr = ctx_alloc(c, n, sizeof(*arr), e);
    if (!arr)
        return e ? e->status : RK_ENOMEM;
    *out = arr;
    *count = n;
    for (uint32_t i = 0; i < n; i++) {
        size_t tp;
        if ((st = fb_deref(c->b, data + 4 * (size_t)i, &tp, e)))
            return st;
        if ((st = read_u64tab(c, tp, max, arr[i].v, arr[i].present, e)))
            return st;
    }
    return RK_OK;
}

/* Node slot 8: the op's attribute table, decoded with its per-op schema. */
static rk_status read_attrs(read_ctx *c, rknn_node *node, size_t pos,
                            rk_err *e)
{
    size_t tp;
    fb_table t;
    rk_status st = fb_deref(c->b, pos, &tp, e);
    if (st || (st = fb_table_at(c->b, tp, &t, e)))
        return st;
    node->has_attrs = true;
    unsigned n;
    const rknn_attr_desc *sch = rknn_attr_schema(node->type, &n);
    unsigned present = 0;
    for (unsigned k = 0; k < fb_nslots(&t); k++)
        present += fb_has(&t, k);
    if (!sch) {
        if (present)
            mark_unrewritable(c->m, "%s: attribute table of this op type "
                              "(%u slots) has no known layout", c->where,
                              fb_nslots(&t));
        return RK_OK;
    }
    for (unsigned k = 0; k < fb_nslots(&t); k++) {
        bool known = false;
        for (unsigned j = 0; j < n; j++)
            known |= sch[j].slot == k;
        if (fb_has(&t, k) && !known)
            mark_unrewritable(c->m, "%s: attribute slot %u unknown", c->where,
                              k);
    }
    node->attrs = ctx_alloc(c, present, sizeof(rknn_attr), e);
    if (!node->attrs)
        return e ? e->status : RK_ENOMEM;
    for (unsigned j = 0; j < n; j++) {
        size_t p;
        if ((st = fb_field(&t, sch[j].slot, 4, &p, e)))
            return st;
        if (!p)
            continue;
        rknn_attr *a = &node->attrs[node->n_attrs++];
        a->slot = sch[j].slot;
        a->name = sch[j].name;
        a->type = sch[j].type;
        switch (sch[j].type) {
        case RKNN_ATTR_INT:
            a->i = (int32_t)fb_u32(c->b, p);
            break;
        case RKNN_ATTR_FLOAT: {
            uint32_t u = fb_u32(c->b, p);
            memcpy(&a->f, &u, 4);
            break;
        }
        case RKNN_ATTR_STRING:
            st = read_string(c, p, &a->s, e);
            break;
        case RKNN_ATTR_INTS:
            st = read_scalars(c, p, 4, 1, (void **)&a->ints, &a->n, e);
            break;
        case RKNN_ATTR_FLOATS:
            st = read_scalars(c, p, 4, 1, (void **)&a->floats, &a->n, e);
            break;
        }
        if (st)
            return rk_err_wrap(e, "attribute '%s'", a->name);
    }
    return RK_OK;
}

static rk_status read_vtable(read_ctx *c, const rknn_fdesc *f, size_t pos,
                             void *obj, rk_err *e)
{
    size_t data;
    uint32_t n;
    rk_status st = fb_vector(c->b, pos, 4, &data, &n, e);
    if (st)
        return st;
    char *arr = ctx_alloc(c, n, f->sub->size, e);
    if (!arr)
        return e ? e->status : RK_ENOMEM;
    *(void **)RKNN_FIELD(obj, f->off) = arr;
    uint32_t *cnt = RKNN_FIELD(obj, f->count_off);
    char saved[sizeof(c->where)];
    memcpy(saved, c->where, sizeof(saved));
    for (uint32_t i = 0; i < n; i++) {
        size_t tp;
        fb_table t;
        snprintf(c->where, sizeof(c->where), "%.100s%s%s %u", saved,
                 saved[0] ? " " : "", f->sub->name, i);
        if ((st = fb_deref(c->b, data + 4 * (size_t)i, &tp, e)) ||
            (st = fb_table_at(c->b, tp, &t, e)))
            return st;
        /* count elements as they are read so a failure frees only those */
        *cnt = i + 1;
        if ((st = read_table(c, f->sub, &t, arr + (size_t)i * f->sub->size, e)))
            return st;
    }
    memcpy(c->where, saved, sizeof(saved));
    return RK_OK;
}

static rk_status read_field(read_ctx *c, const rknn_fdesc *f,
                            const fb_table *t, void *obj, rk_err *e)
{
    size_t inline_size = f->type == FT_U8 ? 1 : 4;
    size_t p;
    rk_status st = fb_field(t, f->slot, inline_size, &p, e);
    if (st || !p)
        return st;
    void *dst = RKNN_FIELD(obj, f->off);
    uint32_t *cnt = RKNN_FIELD(obj, f->count_off);
    switch (f->type) {
    case FT_U8:
        *(uint8_t *)dst = t->b->p[p];
        return RK_OK;
    case FT_I32:
        *(int32_t *)dst = (int32_t)fb_u32(t->b, p);
        return RK_OK;
    case FT_STR:
    case FT_BSTR:
        return read_string(c, p, dst, e);
    case FT_VU8:
        return read_scalars(c, p, 1, 1, dst, cnt, e);
    case FT_VI32:
    case FT_VF32:
        return read_scalars(c, p, 4, f->max, dst, cnt, e);
    case FT_VPAIR32:
        if ((st = read_scalars(c, p, 8, 1, dst, cnt, e)) == RK_OK)
            *cnt *= 2; /* bounded: read_scalars checked length * 8 fits the file */
        return st;
    case FT_VTABLE:
        return read_vtable(c, f, p, obj, e);
    case FT_UNKVEC: {
        size_t data;
        uint32_t n;
        if ((st = fb_vector(c->b, p, 0, &data, &n, e)))
            return st;
        if (n)
            mark_unrewritable(c->m, "%s: slot %u holds a non-empty vector of "
                              "unknown type", c->where, f->slot);
        return RK_OK;
    }
    case FT_ATTRS:
        return read_attrs(c, obj, p, e);
    case FT_U64TAB: {
        size_t tp;
        if ((st = fb_deref(c->b, p, &tp, e)))
            return st;
        return read_u64tab(c, tp, f->max, dst, RKNN_FIELD(obj, f->count_off),
                           e);
    }
    case FT_VU64TAB:
        return read_vu64tab(c, p, f->max, dst, cnt, e);
    }
    return rk_errf(e, RK_EINTERNAL, "bad field type");
}

static rk_status read_table(read_ctx *c, const rknn_tdesc *d,
                            const fb_table *t, void *obj, rk_err *e)
{
    for (unsigned k = 0; k < fb_nslots(t); k++) {
        if (!fb_has(t, k))
            continue;
        bool known = false;
        for (unsigned i = 0; i < d->nf && !known; i++)
            known = d->f[i].slot == k;
        if (!known)
            mark_unrewritable(c->m, "%s: slot %u is not known to this reader",
                              c->where, k);
    }
    for (unsigned i = 0; i < d->nf; i++) {
        rk_status st = read_field(c, &d->f[i], t, obj, e);
        if (st) {
            /* wrap once, at the innermost table */
            if (!c->wrapped)
                rk_err_wrap(e, "%s, field %s (slot %u)", c->where,
                            d->f[i].name, d->f[i].slot);
            c->wrapped = true;
            return st;
        }
    }
    return RK_OK;
}

/* ------------------------------------------------------------ container */

const char *rknn_sniff(const uint8_t *data, size_t len)
{
    if (len >= 8 && memcmp(data, "CYPTRKNN", 8) == 0)
        return "encrypted rknn (CYPTRKNN)";
    if (len >= 4 && memcmp(data, "RKNX", 4) == 0)
        return "RKNN3 (RKNX)";
    if (len >= 4 && memcmp(data, "VPMN", 4) == 0)
        return "OpenVX NBG (VPMN)";
    if (len >= 4 && memcmp(data, "RKNN", 4) == 0)
        return "rknn";
    if (len >= 8 && memcmp(data + 4, "RKNN", 4) == 0)
        return "bare flatbuffer";
    return NULL;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static rk_status refuse_other(const uint8_t *data, size_t len,
                              const char *what, rk_err *e)
{
    const char *kind = rknn_sniff(data, len);
    if (!kind)
        return rk_errf(e, RK_EINPUT, "%s: not an .rknn file (no RKNN "
                       "signature)", what);
    if (strncmp(kind, "encrypted", 9) == 0)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: encrypted RKNN model "
                       "(CYPTRKNN, from export_encrypted_rknn_model): its "
                       "graph and command stream cannot be read or "
                       "simulated; use the unencrypted export", what);
    if (strncmp(kind, "RKNN3", 5) == 0)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: RKNN3 (RKNX) model of the "
                       "rknn3 toolkit: not an RK35xx toolkit2 model, not "
                       "supported", what);
    if (strncmp(kind, "OpenVX", 6) == 0)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: OpenVX NBG (VPMN) of the old "
                       "RKNN-Toolkit1 (RK1808/RV1109 NPU), not an RK35xx "
                       "model", what);
    if (strncmp(kind, "bare", 4) == 0)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: bare RKNN FlatBuffer without "
                       "the container header (\"RKNN Lite\"): not supported",
                       what);
    return RK_OK;
}

/* Parse the container header: FlatBuffer and JSON positions. */
static rk_status parse_container(const uint8_t *data, size_t len,
                                 const char *what, unsigned *version,
                                 size_t *fb_off, size_t *fb_len,
                                 size_t *json_off, size_t *json_len, rk_err *e)
{
    rk_status st = refuse_other(data, len, what, e);
    if (st)
        return st;
    if (strcmp(rknn_sniff(data, len), "rknn") != 0 || len < 24)
        return rk_errf(e, RK_EINPUT, "%s: truncated .rknn header (%zu bytes)",
                       what, len);
    uint64_t ver = le64(data + 8);
    uint64_t size = le64(data + 16);
    unsigned v = (unsigned)(ver & 0xff);
    if ((ver >> 8) != 0 && (ver >> 8) != 0x10)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: unknown container version "
                       "0x%llx", what, (unsigned long long)ver);
    if (v != 1 && v != 4 && v != 6)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: container version %u not "
                       "supported (known: 1, 4, 6)", what, v);
    size_t off = 24 + (v > 1 ? 40 : 0);
    if (off > len || size > len - off)
        return rk_errf(e, RK_EINPUT, "%s: FlatBuffer of %llu bytes at 0x%zx "
                       "runs past the end of the %zu-byte file (truncated?)",
                       what, (unsigned long long)size, off, len);
    size_t jpos = off + (size_t)size;
    if (len - jpos < 8)
        return rk_errf(e, RK_EINPUT, "%s: missing JSON trailer length at "
                       "0x%zx (truncated?)", what, jpos);
    uint64_t jl = le64(data + jpos);
    if (jl > len - jpos - 8)
        return rk_errf(e, RK_EINPUT, "%s: JSON trailer of %llu bytes runs past "
                       "the end of the file (truncated?)", what,
                       (unsigned long long)jl);
    *version = v;
    *fb_off = off;
    *fb_len = (size_t)size;
    *json_off = jpos + 8;
    *json_len = (size_t)jl;
    return RK_OK;
}

/* ---------------------------------------------------------- validation */

static rk_status check_refs(const rknn_graph *g, const char *what, rk_err *e)
{
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const rknn_node *n = &g->nodes[i];
        for (uint32_t k = 0; k < n->n_inputs + n->n_outputs; k++) {
            int32_t t = k < n->n_inputs ? n->inputs[k]
                                        : n->outputs[k - n->n_inputs];
            if (t < 0 || (uint32_t)t >= g->n_tensors)
                return rk_errf(e, RK_EINPUT, "%s: node %u '%s' refers to "
                               "tensor %d but the graph has %u tensors", what,
                               i, n->name ? n->name : "", t, g->n_tensors);
        }
    }
    for (uint32_t k = 0; k < g->n_inputs + g->n_outputs; k++) {
        int32_t t = k < g->n_inputs ? g->inputs[k] : g->outputs[k - g->n_inputs];
        if (t < 0 || (uint32_t)t >= g->n_tensors)
            return rk_errf(e, RK_EINPUT, "%s: graph %s %u is tensor %d but the "
                           "graph has %u tensors", what,
                           k < g->n_inputs ? "input" : "output", k, t,
                           g->n_tensors);
    }
    return RK_OK;
}

static bool kind_has_buffer(uint8_t kind)
{
    return kind == RKNN_KIND_CONST || kind == RKNN_KIND_CONST5 ||
           kind == RKNN_KIND_TEMPLATE || kind == RKNN_KIND_REGCMD ||
           kind == RKNN_KIND_TASK;
}

static rk_status check_tensors(const rknn_model *m, const rknn_graph *g,
                               const char *what, rk_err *e)
{
    for (uint32_t i = 0; i < g->n_tensors; i++) {
        const rknn_tensor *t = &g->tensors[i];
        if (kind_has_buffer(t->kind) &&
            (t->buffer_index < 0 || (uint32_t)t->buffer_index >= m->n_buffers))
            return rk_errf(e, RK_EINPUT, "%s: tensor %u '%s' (kind %u) uses "
                           "buffer %d but the model has %u buffers", what, i,
                           t->name ? t->name : "", t->kind, t->buffer_index,
                           m->n_buffers);
    }
    return RK_OK;
}

/* Decode the task buffer and check every task against the regcmd buffer
 * and the node list. */
static rk_status load_program(rknn_model *m, const char *what, rk_err *e)
{
    const rknn_graph *g = &m->graphs[0];
    const rknn_buffer *rb = NULL, *tb = NULL;
    for (uint32_t i = 0; i < g->n_tensors; i++) {
        if (g->tensors[i].kind == RKNN_KIND_REGCMD)
            rb = &m->buffers[g->tensors[i].buffer_index];
        else if (g->tensors[i].kind == RKNN_KIND_TASK)
            tb = &m->buffers[g->tensors[i].buffer_index];
    }
    if (!rb && !tb)
        return RK_OK;
    if (!rb || !tb)
        return rk_errf(e, RK_EINPUT, "%s: has a %s tensor but no %s tensor",
                       what, rb ? "regcmd" : "task", rb ? "task" : "regcmd");
    if (rb->size % 8 || tb->size % RKNN_TASK_BYTES)
        return rk_errf(e, RK_EINPUT, "%s: regcmd buffer (%u bytes) or task "
                       "buffer (%u bytes) is not a whole number of 8-byte "
                       "commands / 40-byte tasks", what, rb->size, tb->size);
    size_t nt = tb->size / RKNN_TASK_BYTES;
    rknn_task *tasks = calloc(nt ? nt : 1, sizeof(*tasks));
    if (!tasks)
        return rk_errf(e, RK_ENOMEM, "%s: out of memory for %zu tasks", what,
                       nt);
    for (size_t i = 0; i < nt; i++) {
        const uint8_t *p = tb->data + i * RKNN_TASK_BYTES;
        uint32_t w[8];
        for (int k = 0; k < 8; k++)
            w[k] = (uint32_t)le64(p + 4 * k) & 0xffffffffu;
        rknn_task *t = &tasks[i];
        t->flags = w[0];
        t->op_idx = w[1];
        t->enable_mask = w[2];
        t->int_mask = w[3];
        t->int_clear = w[4];
        t->int_status = w[5];
        t->regcfg_amount = w[6];
        t->regcfg_offset = w[7];
        t->regcmd_addr = le64(p + 32);
        rknn_task bad = *t;
        if (bad.regcmd_addr % 8 || bad.regcmd_addr > rb->size ||
            bad.regcfg_amount > (rb->size - bad.regcmd_addr) / 8) {
            free(tasks);
            return rk_errf(e, RK_EINPUT, "%s: task %zu: %u commands at byte "
                           "0x%llx do not fit the %u-byte regcmd buffer", what,
                           i, bad.regcfg_amount,
                           (unsigned long long)bad.regcmd_addr, rb->size);
        }
        if (bad.op_idx >= g->n_nodes) {
            free(tasks);
            return rk_errf(e, RK_EINPUT, "%s: task %zu: op_idx %u is not a node "
                           "(the graph has %u)", what, i, bad.op_idx,
                           g->n_nodes);
        }
    }
    m->tasks = tasks;
    m->n_tasks = nt;
    m->regcmd = (const uint64_t *)(const void *)rb->data;
    m->n_regcmd = rb->size / 8;
    m->has_program = true;
    return RK_OK;
}

static rk_status derive_conv(rknn_node *n, rk_err *e)
{
    if (!n->type || strncmp(n->type, "Conv", 4) != 0 || !n->n_attrs)
        return RK_OK;
    rknn_conv_attr *cv = &n->conv;
    cv->has_conv = true;
    for (uint32_t i = 0; i < n->n_attrs; i++) {
        const rknn_attr *a = &n->attrs[i];
        int32_t **dst = NULL;
        uint32_t *cnt = NULL;
        if (strcmp(a->name, "auto_pad") == 0 && a->s) {
            if (!(cv->auto_pad = strdup(a->s)))
                return rk_errf(e, RK_ENOMEM, "out of memory");
        } else if (strcmp(a->name, "group") == 0) {
            cv->group = a->i;
        } else if (strcmp(a->name, "dilations") == 0) {
            dst = &cv->dilations, cnt = &cv->n_dilations;
        } else if (strcmp(a->name, "kernel_shape") == 0) {
            dst = &cv->kernel_shape, cnt = &cv->n_kernel_shape;
        } else if (strcmp(a->name, "strides") == 0) {
            dst = &cv->strides, cnt = &cv->n_strides;
        } else if (strcmp(a->name, "pads") == 0) {
            dst = &cv->pads, cnt = &cv->n_pads;
        }
        if (dst && a->n) {
            *dst = malloc(a->n * sizeof(int32_t));
            if (!*dst)
                return rk_errf(e, RK_ENOMEM, "out of memory");
            memcpy(*dst, a->ints, a->n * sizeof(int32_t));
            *cnt = a->n;
        }
    }
    return RK_OK;
}

static rk_status find_segments(rknn_model *m, rk_err *e)
{
    uint32_t n = m->n_tasks ? 1 : 0;
    for (size_t i = 1; i < m->n_tasks; i++)
        n += m->tasks[i].op_idx < m->tasks[i - 1].op_idx;
    if (!n)
        return RK_OK;
    m->segments = calloc(n, sizeof(rknn_segment));
    if (!m->segments)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    uint32_t k = 0;
    for (size_t i = 1; i <= m->n_tasks; i++) {
        if (i == m->n_tasks || m->tasks[i].op_idx < m->tasks[i - 1].op_idx) {
            uint32_t start = k ? m->segments[k - 1].first +
                                     m->segments[k - 1].count : 0;
            m->segments[k].first = start;
            m->segments[k].count = (uint32_t)i - start;
            k++;
        }
    }
    m->n_segments = n;
    return RK_OK;
}

rk_status rknn_finish(rknn_model *m, rk_err *e)
{
    rknn_decode_generator(m);
    rk_soc by_name = rk_soc_from_name(m->soc);
    rk_soc by_format = rk_soc_from_format_string(m->format);
    m->soc_id = by_format != RK_SOC_UNKNOWN ? by_format : by_name;
    m->soc_conflict = by_name != RK_SOC_UNKNOWN &&
                      by_format != RK_SOC_UNKNOWN && by_name != by_format;
    free(m->segments);
    m->segments = NULL;
    m->n_segments = 0;
    free(m->tasks);
    m->tasks = NULL;
    m->n_tasks = 0;
    m->regcmd = NULL;
    m->n_regcmd = 0;
    m->has_program = false;
    if (!m->n_graphs)
        return RK_OK;
    rknn_graph *g = &m->graphs[0];
    const char *what = "model";
    rk_status st;
    for (uint32_t gi = 0; gi < m->n_graphs; gi++) {
        rknn_graph *gg = &m->graphs[gi];
        for (uint32_t i = 0; i < gg->n_relocs; i++) {
            rknn_reloc *r = &gg->relocs[i];
            r->pairs = (rknn_reloc_pair *)(void *)r->values;
            r->n_pairs = r->n_values / 2;
        }
        for (uint32_t i = 0; i < gg->n_tensors; i++) {
            uint8_t r = gg->tensors[i].dtype_raw;
            /* same numbering as ONNX/rk_dtype for every value observed */
            gg->tensors[i].dtype = (r <= RK_DT_U64 || r == RK_DT_BF16)
                                       ? (rk_dtype)r : RK_DT_UNDEF;
        }
        if ((st = check_refs(&m->graphs[gi], what, e)) ||
            (st = check_tensors(m, &m->graphs[gi], what, e)))
            return st;
    }
    if ((st = load_program(m, what, e)))
        return st;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        rknn_free_node_derived(&g->nodes[i]);
        if ((st = derive_conv(&g->nodes[i], e)))
            return st;
        if (!rknn_decode_custom(&g->nodes[i]))
            return rk_errf(e, RK_ENOMEM, "out of memory");
    }
    if ((st = find_segments(m, e)))
        return st;
    for (size_t i = 0; i < m->n_tasks; i++)
        g->nodes[m->tasks[i].op_idx].task_count++;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        rknn_node *n = &g->nodes[i];
        if (!n->task_count)
            continue;
        n->task_list = calloc(n->task_count, sizeof(uint32_t));
        if (!n->task_list)
            return rk_errf(e, RK_ENOMEM, "out of memory");
        n->task_count = 0;
    }
    for (size_t i = 0; i < m->n_tasks; i++) {
        rknn_node *n = &g->nodes[m->tasks[i].op_idx];
        if (!n->task_count)
            n->task_first = (uint32_t)i;
        n->task_last = (uint32_t)i;
        n->task_list[n->task_count++] = (uint32_t)i;
    }
    return RK_OK;
}

/* ---------------------------------------------------------------- load */

rk_status rknn_load_buffer(const uint8_t *data, size_t len, const char *what,
                           rknn_model **out, rk_err *e)
{
    *out = NULL;
    what = what ? what : "model";
    unsigned ver = 0;
    size_t fo = 0, fl = 0, jo = 0, jl = 0;
    rk_status st = parse_container(data, len, what, &ver, &fo, &fl, &jo, &jl,
                                   e);
    if (st)
        return st;
    rknn_model *m = calloc(1, sizeof(*m));
    if (!m)
        return rk_errf(e, RK_ENOMEM, "%s: out of memory", what);
    m->container_version = ver;
    fb_buf b = {data + fo, fl};
    read_ctx c = {&b, RKNN_BUDGET_FACTOR * len + RKNN_BUDGET_SLACK, m, "",
                  false};

    fb_table root;
    if ((st = fb_root(&b, "RKNN", &root, e)))
        goto fail;
    const rknn_tdesc *d = ver == 6 ? &rknn_model_desc_v6 : &rknn_model_desc_v1;
    if ((st = read_table(&c, d, &root, m, e)))
        goto fail;
    if (!m->n_graphs) {
        st = rk_errf(e, RK_EINPUT, "%s: the model has no graph", what);
        goto fail;
    }
    m->json = malloc(jl + 1);
    if (!m->json) {
        st = rk_errf(e, RK_ENOMEM, "%s: out of memory", what);
        goto fail;
    }
    memcpy(m->json, data + jo, jl);
    m->json[jl] = 0;
    m->json_len = jl;
    if ((st = rknn_finish(m, e)))
        goto fail;
    *out = m;
    return RK_OK;
fail:
    rknn_free(m);
    return rk_err_wrap(e, "%s", what);
}

rk_status rknn_load_file(const char *path, rknn_model **out, rk_err *e)
{
    uint8_t *data;
    size_t len;
    *out = NULL;
    rk_status st = rk_read_file(path, &data, &len, 0, e);
    if (st)
        return st;
    st = rknn_load_buffer(data, len, path, out, e);
    free(data);
    return st;
}

void rknn_free(rknn_model *m)
{
    if (!m)
        return;
    rknn_free_fields(&rknn_model_desc_v6, m);
    free(m->tasks);
    free(m->segments);
    free(m->json);
    free(m->unrewritable);
    rknn_free_generator(m);
    free(m);
}

/* ------------------------------------------------------------- queries */

rk_status rknn_program(const rknn_model *m, const uint64_t **regcmd,
                       size_t *n_regcmd, const rknn_task **tasks,
                       size_t *n_tasks, rk_err *e)
{
    if (!m->has_program)
        return rk_errf(e, RK_EUNSUPPORTED, "%s", no_program_msg);
    if (regcmd)
        *regcmd = m->regcmd;
    if (n_regcmd)
        *n_regcmd = m->n_regcmd;
    if (tasks)
        *tasks = m->tasks;
    if (n_tasks)
        *n_tasks = m->n_tasks;
    return RK_OK;
}

rk_status rknn_node_task_range(const rknn_model *m, uint32_t node_index,
                               uint32_t *first, uint32_t *count, rk_err *e)
{
    if (!m->n_graphs || node_index >= m->graphs[0].n_nodes)
        return rk_errf(e, RK_EUSAGE, "node %u does not exist (the graph has "
                       "%u nodes)", node_index,
                       m->n_graphs ? m->graphs[0].n_nodes : 0);
    const rknn_node *n = &m->graphs[0].nodes[node_index];
    *first = n->task_count ? n->task_first : 0;
    *count = n->task_count ? n->task_last - n->task_first + 1 : 0;
    return RK_OK;
}

rk_status rknn_node_task_range_in(const rknn_model *m, uint32_t node_index,
                                  uint32_t segment, uint32_t *first,
                                  uint32_t *count, rk_err *e)
{
    if (!m->n_graphs || node_index >= m->graphs[0].n_nodes)
        return rk_errf(e, RK_EUSAGE, "node %u does not exist", node_index);
    if (segment >= m->n_segments)
        return rk_errf(e, RK_EUSAGE, "task segment %u does not exist (the "
                       "model has %u)", segment, m->n_segments);
    const rknn_segment *sg = &m->segments[segment];
    const rknn_node *n = &m->graphs[0].nodes[node_index];
    *first = *count = 0;
    bool any = false;
    uint32_t last = 0;
    for (uint32_t k = 0; k < n->task_count; k++) {
        uint32_t t = n->task_list[k];
        if (t < sg->first || t - sg->first >= sg->count)
            continue;
        if (!any)
            *first = t;
        last = t;
        any = true;
    }
    if (any)
        *count = last - *first + 1;
    return RK_OK;
}

int32_t rknn_task_node(const rknn_model *m, size_t task_index)
{
    if (task_index >= m->n_tasks)
        return -1;
    return (int32_t)m->tasks[task_index].op_idx;
}

int32_t rknn_find_tensor(const rknn_model *m, const char *name)
{
    if (!m->n_graphs || !name)
        return -1;
    const rknn_graph *g = &m->graphs[0];
    for (uint32_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].name && strcmp(g->tensors[i].name, name) == 0)
            return (int32_t)i;
    return -1;
}

const rknn_reloc *rknn_find_reloc(const rknn_model *m, const char *name)
{
    if (!m->n_graphs || !name)
        return NULL;
    const rknn_graph *g = &m->graphs[0];
    for (uint32_t i = 0; i < g->n_relocs; i++)
        if (g->relocs[i].name && strcmp(g->relocs[i].name, name) == 0)
            return &g->relocs[i];
    return NULL;
}

const rknn_buffer *rknn_tensor_buffer(const rknn_model *m,
                                      const rknn_tensor *t)
{
    if (!kind_has_buffer(t->kind) || t->buffer_index < 0 ||
        (uint32_t)t->buffer_index >= m->n_buffers)
        return NULL;
    return &m->buffers[t->buffer_index];
}

void rknn_memory_usage(const rknn_model *m, rknn_memory *mem)
{
    memset(mem, 0, sizeof(*mem));
    if (!m->n_graphs)
        return;
    const rknn_graph *g = &m->graphs[0];
    for (uint32_t i = 0; i < g->n_tensors; i++) {
        const rknn_tensor *t = &g->tensors[i];
        if (t->kind == RKNN_KIND_CONST || t->kind == RKNN_KIND_CONST5) {
            const rknn_buffer *b = rknn_tensor_buffer(m, t);
            mem->weight_bytes += b ? b->size : 0;
        } else if (t->kind >= RKNN_KIND_INPUT && t->kind <= RKNN_KIND_INTERNAL &&
                   t->pool_offset >= 0 && t->size >= 0) {
            uint64_t end = (uint64_t)t->pool_offset + (uint64_t)t->size;
            mem->pool_bytes = RK_MAX(mem->pool_bytes, end);
        }
    }
    mem->regcmd_bytes = (uint64_t)m->n_regcmd * 8;
}
