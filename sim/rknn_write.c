/*
 * rknn_write.c - writing v6 .rknn containers and building models from
 * scratch.
 *
 * The writer walks the same slot description as the reader
 * (rknn_schema.c), so every field the reader keeps is written back in the
 * vendor's slot (v6 layout: buffers in Model[20], 22 model slots, ...).
 * Scalars equal to 0 are omitted (FlatBuffers default), which reads back
 * identical.  Byte layout is ours (front-to-back builder), not the
 * vendor's: equality is defined on the decoded model, and data buffers are
 * byte-identical.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rknn_internal.h"

static size_t write_table(fb_builder *b, const rknn_tdesc *d, const void *obj,
                          bool is_model);

static bool field_present(const rknn_fdesc *f, const void *obj, bool is_model)
{
    const void *src = (const char *)obj + f->off;
    switch (f->type) {
    case FT_U8:
        return *(const uint8_t *)src != 0;
    case FT_I32:
        return *(const int32_t *)src != 0;
    case FT_UNKVEC:
        /* vendor model/graph tables carry these as empty vectors */
        return is_model;
    case FT_ATTRS:
        return ((const rknn_node *)obj)->has_attrs;
    case FT_U64TAB: {
        const bool *pr = (const bool *)((const char *)obj + f->count_off);
        for (unsigned k = 0; k < f->max; k++)
            if (pr[k])
                return true;
        return false;
    }
    default:
        return *(void *const *)src != NULL ||
               (f->count_off && *(const uint32_t *)((const char *)obj +
                                                    f->count_off) != 0);
    }
}

static size_t write_u64tab(fb_builder *b, const uint64_t *v, const bool *pr,
                           unsigned max)
{
    fbb_field fields[RKNN_PATCH_SLOTS];
    unsigned nf = 0, nslots = 0;
    for (unsigned k = 0; k < max && k < RKNN_PATCH_SLOTS; k++) {
        if (!pr[k])
            continue;
        fields[nf++] = (fbb_field){.slot = (uint16_t)k, .size = 8,
                                   .value = v[k]};
        nslots = k + 1;
    }
    return fbb_table(b, nslots, fields, nf);
}

static size_t write_attrs(fb_builder *b, const rknn_node *n)
{
    fbb_field fields[32];
    unsigned nf = 0, nslots = 0;
    for (uint32_t i = 0; i < n->n_attrs && nf < RK_ARRAY_LEN(fields); i++) {
        const rknn_attr *a = &n->attrs[i];
        bool off = a->type != RKNN_ATTR_INT && a->type != RKNN_ATTR_FLOAT;
        uint32_t raw = (uint32_t)a->i;
        if (a->type == RKNN_ATTR_FLOAT)
            memcpy(&raw, &a->f, 4);
        fields[nf++] = (fbb_field){.slot = a->slot, .size = 4, .value = raw,
                                   .is_offset = off};
        nslots = RK_MAX(nslots, (unsigned)a->slot + 1);
    }
    size_t t = fbb_table(b, nslots, fields, nf);
    for (unsigned i = 0; i < nf; i++) {
        const rknn_attr *a = &n->attrs[i];
        size_t child = 0;
        if (a->type == RKNN_ATTR_STRING)
            child = fbb_string(b, a->s ? a->s : "");
        else if (a->type == RKNN_ATTR_INTS)
            child = fbb_vector(b, a->ints, a->n, 4, 4);
        else if (a->type == RKNN_ATTR_FLOATS)
            child = fbb_vector(b, a->floats, a->n, 4, 4);
        if (fields[i].is_offset)
            fbb_patch(b, fields[i].pos, child);
    }
    return t;
}

static size_t write_vtable(fb_builder *b, const rknn_fdesc *f, const void *obj)
{
    const char *arr = *(char *const *)((const char *)obj + f->off);
    uint32_t n = *(const uint32_t *)((const char *)obj + f->count_off);
    size_t v = fbb_vector(b, NULL, n, 4, 4);
    for (uint32_t i = 0; i < n && !b->failed; i++) {
        const void *el = arr + (size_t)i * (f->sub ? f->sub->size
                                                   : sizeof(rknn_patch));
        size_t t;
        if (f->type == FT_VU64TAB) {
            const rknn_patch *p = el;
            t = write_u64tab(b, p->v, p->present, f->max);
        } else {
            t = write_table(b, f->sub, el, false);
        }
        fbb_patch(b, v + 4 + 4 * (size_t)i, t);
    }
    return v;
}

static size_t write_child(fb_builder *b, const rknn_fdesc *f, const void *obj)
{
    const char *base = obj;
    const void *ptr = *(void *const *)(base + f->off);
    uint32_t cnt = f->count_off ? *(const uint32_t *)(base + f->count_off) : 0;
    switch (f->type) {
    case FT_STR:
        return fbb_string(b, ptr ? ptr : "");
    case FT_BSTR:
        return fbb_vector(b, ptr, ptr ? (uint32_t)strlen(ptr) : 0, 1, 4);
    case FT_VU8:
        return fbb_vector(b, ptr, cnt, 1, 16);
    case FT_VI32:
    case FT_VF32:
        return fbb_vector(b, ptr, cnt * (f->max > 1 ? f->max : 1), 4, 4);
    case FT_VPAIR32:
        if (cnt % 2) { /* a pair list always holds whole pairs */
            b->failed = true;
            return 0;
        }
        return fbb_vector(b, ptr, cnt / 2, 8, 4);
    case FT_UNKVEC:
        return fbb_vector(b, NULL, 0, 4, 4);
    case FT_VTABLE:
    case FT_VU64TAB:
        return write_vtable(b, f, obj);
    case FT_ATTRS:
        return write_attrs(b, obj);
    case FT_U64TAB:
        return write_u64tab(b, (const uint64_t *)(base + f->off),
                            (const bool *)(base + f->count_off), f->max);
    default:
        b->failed = true;
        return 0;
    }
}

static size_t write_table(fb_builder *b, const rknn_tdesc *d, const void *obj,
                          bool is_model)
{
    fbb_field fields[32];
    const rknn_fdesc *which[32];
    unsigned nf = 0;
    for (unsigned i = 0; i < d->nf && nf < RK_ARRAY_LEN(fields); i++) {
        const rknn_fdesc *f = &d->f[i];
        if (!field_present(f, obj, is_model))
            continue;
        const char *src = (const char *)obj + f->off;
        fbb_field fld = {.slot = f->slot, .size = 4};
        if (f->type == FT_U8) {
            fld.size = 1;
            fld.value = *(const uint8_t *)src;
        } else if (f->type == FT_I32) {
            fld.value = (uint32_t) * (const int32_t *)src;
        } else {
            fld.is_offset = true;
        }
        which[nf] = f;
        fields[nf++] = fld;
    }
    size_t t = fbb_table(b, d->nslots, fields, nf);
    for (unsigned i = 0; i < nf && !b->failed; i++) {
        if (!fields[i].is_offset)
            continue;
        size_t child = write_child(b, which[i], obj);
        fbb_patch(b, fields[i].pos, child);
    }
    return t;
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

rk_status rknn_write_buffer(const rknn_model *m, uint8_t **out, size_t *len,
                            rk_err *e)
{
    *out = NULL;
    *len = 0;
    if (m->unrewritable)
        return rk_errf(e, RK_EUNSUPPORTED, "cannot write this model faithfully: "
                       "%s", m->unrewritable);
    fb_builder b = {0};
    size_t hdr = fbb_alloc(&b, 64, 8); /* container header, filled below */
    size_t fb0 = fbb_alloc(&b, 8, 8);   /* root offset + identifier */
    (void)hdr;
    /* The FlatBuffer's offsets are relative, so it may live at offset 64
     * of the output directly. */
    size_t root = write_table(&b, &rknn_model_desc_v6, m, true);
    fbb_patch(&b, fb0, root);
    fbb_alloc(&b, 0, 8);
    size_t fb_len = b.len - fb0;
    size_t jpos = fbb_alloc(&b, 8 + m->json_len, 1);
    if (b.failed) {
        fbb_free(&b);
        return rk_errf(e, RK_ENOMEM, "writing the model: out of memory or "
                       "a size exceeds the FlatBuffer limits");
    }
    memcpy(b.buf, "RKNN\0\0\0\0", 8);
    put_le64(b.buf + 8, 6);
    put_le64(b.buf + 16, fb_len);
    memcpy(b.buf + fb0 + 4, "RKNN", 4);
    put_le64(b.buf + jpos, m->json_len);
    if (m->json_len)
        memcpy(b.buf + jpos + 8, m->json, m->json_len);
    *out = b.buf;
    *len = b.len;
    return RK_OK;
}

rk_status rknn_write_file(const rknn_model *m, const char *path, rk_err *e)
{
    uint8_t *buf;
    size_t len;
    rk_status st = rknn_write_buffer(m, &buf, &len, e);
    if (st)
        return rk_err_wrap(e, "%s", path);
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(buf);
        return rk_errf(e, RK_EIO, "%s: cannot create the file", path);
    }
    size_t w = fwrite(buf, 1, len, f);
    int cl = fclose(f);
    free(buf);
    if (w != len || cl != 0)
        return rk_errf(e, RK_EIO, "%s: write failed (disk full?)", path);
    return RK_OK;
}

/* ------------------------------------------------------------ building */

static rk_status oom(rk_err *e)
{
    return rk_errf(e, RK_ENOMEM, "out of memory");
}

static void *dup_bytes(const void *p, size_t n)
{
    void *q = malloc(n ? n : 1);
    if (q && n)
        memcpy(q, p, n);
    return q;
}

/* Deep copy of a described struct's owned fields (src already shallow
 * copied into dst). Returns false on OOM (dst then partially owned: the
 * caller frees it with rknn_free_fields). */
static bool copy_fields(const rknn_tdesc *d, void *dst)
{
    bool ok = true;
    for (unsigned i = 0; i < d->nf; i++) {
        const rknn_fdesc *f = &d->f[i];
        void **p = RKNN_FIELD(dst, f->off);
        uint32_t *cnt = f->count_off ? RKNN_FIELD(dst, f->count_off) : NULL;
        size_t el = 0;
        switch (f->type) {
        case FT_STR:
        case FT_BSTR:
            if (*p && !(*p = strdup(*p)))
                ok = false;
            continue;
        case FT_VU8:
            el = 1;
            break;
        case FT_VPAIR32:
            el = 4;
            break;
        case FT_VI32:
        case FT_VF32:
            el = 4 * (f->max > 1 ? f->max : 1);
            break;
        case FT_VU64TAB:
            el = sizeof(rknn_patch);
            break;
        case FT_ATTRS: {
            rknn_attr *src = *p;
            if (!src)
                continue;
            rknn_attr *a = calloc(*cnt ? *cnt : 1, sizeof(*a));
            *p = a;
            if (!a) {
                *cnt = 0;
                ok = false;
                continue;
            }
            for (uint32_t k = 0; k < *cnt; k++) {
                a[k] = src[k];
                a[k].s = src[k].s ? strdup(src[k].s) : NULL;
                a[k].ints = src[k].ints ? dup_bytes(src[k].ints, 4 * src[k].n)
                                        : NULL;
                a[k].floats = src[k].floats
                                  ? dup_bytes(src[k].floats, 4 * src[k].n)
                                  : NULL;
                ok &= (!src[k].s || a[k].s) && (!src[k].ints || a[k].ints) &&
                      (!src[k].floats || a[k].floats);
            }
            continue;
        }
        case FT_VTABLE: {
            char *src = *p;
            if (!src)
                continue;
            char *arr = dup_bytes(src, (size_t)*cnt * f->sub->size);
            *p = arr;
            if (!arr) {
                *cnt = 0;
                ok = false;
                continue;
            }
            for (uint32_t k = 0; k < *cnt; k++)
                ok &= copy_fields(f->sub, arr + (size_t)k * f->sub->size);
            continue;
        }
        default:
            continue;
        }
        if (*p && !(*p = dup_bytes(*p, (size_t)*cnt * el))) {
            *cnt = 0;
            ok = false;
        }
    }
    return ok;
}

static rk_status grow(void **arr, uint32_t n, size_t el, rk_err *e)
{
    if (n == UINT32_MAX)
        return rk_errf(e, RK_EUSAGE, "too many elements");
    void *p = realloc(*arr, ((size_t)n + 1) * el);
    if (!p)
        return oom(e);
    memset((char *)p + (size_t)n * el, 0, el);
    *arr = p;
    return RK_OK;
}

rk_status rknn_new(const char *format, const char *soc, rknn_model **out,
                   rk_err *e)
{
    *out = NULL;
    rknn_model *m = calloc(1, sizeof(*m));
    if (!m)
        return oom(e);
    m->container_version = 6;
    m->fb_version = 6;
    m->format = strdup(format ? format : "RKNPU v2");
    m->soc = strdup(soc ? soc : "rk3588");
    m->graphs = calloc(1, sizeof(rknn_graph));
    m->json = strdup("{}");
    m->json_len = 2;
    rk_status st = RK_OK;
    if (!m->format || !m->soc || !m->graphs || !m->json) {
        st = oom(e);
        goto fail;
    }
    m->n_graphs = 1;
    rknn_tensor placeholder = {0};
    uint32_t idx;
    uint8_t none = 0;
    if ((st = rknn_add_tensor(m, &placeholder, &idx, e)) ||
        (st = rknn_add_buffer(m, &none, 0, &idx, e)))
        goto fail;
    *out = m;
    return RK_OK;
fail:
    rknn_free(m);
    return st;
}

rk_status rknn_add_tensor(rknn_model *m, const rknn_tensor *t,
                          uint32_t *index, rk_err *e)
{
    rknn_graph *g = &m->graphs[0];
    rk_status st = grow((void **)&g->tensors, g->n_tensors, sizeof(*t), e);
    if (st)
        return st;
    rknn_tensor *dst = &g->tensors[g->n_tensors];
    *dst = *t;
    if (!dst->dtype_raw && dst->dtype)
        dst->dtype_raw = (uint8_t)dst->dtype;
    dst->dtype = (rk_dtype)dst->dtype_raw;
    g->n_tensors++;
    if (!copy_fields(&rknn_tensor_desc, dst))
        return oom(e);
    if (index)
        *index = g->n_tensors - 1;
    return RK_OK;
}

rk_status rknn_add_node(rknn_model *m, const rknn_node *n, uint32_t *index,
                        rk_err *e)
{
    rknn_graph *g = &m->graphs[0];
    rk_status st = grow((void **)&g->nodes, g->n_nodes, sizeof(*n), e);
    if (st)
        return st;
    rknn_node *dst = &g->nodes[g->n_nodes];
    *dst = *n;
    /* derived data is recomputed, never copied */
    memset(&dst->conv, 0, sizeof(dst->conv));
    dst->custom = NULL;
    dst->n_custom = 0;
    dst->task_list = NULL;
    dst->task_count = dst->task_first = dst->task_last = 0;
    if (dst->n_attrs)
        dst->has_attrs = true;
    g->n_nodes++;
    if (!copy_fields(&rknn_node_desc, dst))
        return oom(e);
    if (index)
        *index = g->n_nodes - 1;
    return rknn_finish(m, e);
}

rk_status rknn_add_buffer(rknn_model *m, const void *data, size_t size,
                          uint32_t *index, rk_err *e)
{
    if (size > UINT32_MAX)
        return rk_errf(e, RK_EUSAGE, "buffer of %zu bytes exceeds the format's "
                       "4 GiB limit", size);
    rk_status st = grow((void **)&m->buffers, m->n_buffers,
                        sizeof(rknn_buffer), e);
    if (st)
        return st;
    rknn_buffer *b = &m->buffers[m->n_buffers];
    b->data = dup_bytes(data, size);
    if (!b->data)
        return oom(e);
    b->size = (uint32_t)size;
    if (index)
        *index = m->n_buffers;
    m->n_buffers++;
    return RK_OK;
}

static rk_status add_index(int32_t **arr, uint32_t *n, int32_t v, rk_err *e)
{
    rk_status st = grow((void **)arr, *n, sizeof(int32_t), e);
    if (st)
        return st;
    (*arr)[(*n)++] = v;
    return RK_OK;
}

rk_status rknn_add_graph_input(rknn_model *m, int32_t tensor, rk_err *e)
{
    rknn_graph *g = &m->graphs[0];
    if (tensor < 0 || (uint32_t)tensor >= g->n_tensors)
        return rk_errf(e, RK_EUSAGE, "graph input: tensor %d does not exist",
                       tensor);
    return add_index(&g->inputs, &g->n_inputs, tensor, e);
}

rk_status rknn_add_graph_output(rknn_model *m, int32_t tensor, rk_err *e)
{
    rknn_graph *g = &m->graphs[0];
    if (tensor < 0 || (uint32_t)tensor >= g->n_tensors)
        return rk_errf(e, RK_EUSAGE, "graph output: tensor %d does not exist",
                       tensor);
    return add_index(&g->outputs, &g->n_outputs, tensor, e);
}

rk_status rknn_add_reloc(rknn_model *m, const char *name, uint32_t offset,
                         uint32_t regcmd_index, rk_err *e)
{
    rknn_graph *g = &m->graphs[0];
    rknn_reloc *r = (rknn_reloc *)rknn_find_reloc(m, name);
    rk_status st;
    if (!r) {
        if ((st = grow((void **)&g->relocs, g->n_relocs, sizeof(*r), e)))
            return st;
        r = &g->relocs[g->n_relocs];
        if (!(r->name = strdup(name)))
            return oom(e);
        g->n_relocs++;
    }
    if ((st = grow((void **)&r->values, r->n_values, 2 * sizeof(int32_t), e)))
        return st;
    r->values[r->n_values++] = (int32_t)offset;
    r->values[r->n_values++] = (int32_t)regcmd_index;
    r->pairs = (rknn_reloc_pair *)(void *)r->values;
    r->n_pairs = r->n_values / 2;
    return RK_OK;
}

rk_status rknn_set_program(rknn_model *m, const uint64_t *regcmd,
                           size_t n_regcmd, const rknn_task *tasks,
                           size_t n_tasks, rk_err *e)
{
    if (n_regcmd > UINT32_MAX / 8 || n_tasks > UINT32_MAX / RKNN_TASK_BYTES)
        return rk_errf(e, RK_EUSAGE, "program too large");
    uint8_t *tb = calloc(n_tasks ? n_tasks : 1, RKNN_TASK_BYTES);
    if (!tb)
        return oom(e);
    for (size_t i = 0; i < n_tasks; i++) {
        const rknn_task *t = &tasks[i];
        uint32_t w[8] = {t->flags,     t->op_idx,       t->enable_mask,
                         t->int_mask,  t->int_clear,    t->int_status,
                         t->regcfg_amount, t->regcfg_offset};
        uint8_t *p = tb + i * RKNN_TASK_BYTES;
        for (int k = 0; k < 8; k++)
            for (int j = 0; j < 4; j++)
                p[4 * k + j] = (uint8_t)(w[k] >> (8 * j));
        put_le64(p + 32, t->regcmd_addr);
    }
    uint32_t rbi, tbi, idx;
    rk_status st = rknn_add_buffer(m, regcmd, n_regcmd * 8, &rbi, e);
    if (!st)
        st = rknn_add_buffer(m, tb, n_tasks * RKNN_TASK_BYTES, &tbi, e);
    free(tb);
    if (st)
        return st;
    rknn_tensor rt = {.name = "regcmd", .dtype_raw = RK_DT_U64,
                      .kind = RKNN_KIND_REGCMD, .buffer_index = (int32_t)rbi};
    rknn_tensor tt = {.name = "task", .dtype_raw = RK_DT_U64,
                      .kind = RKNN_KIND_TASK, .buffer_index = (int32_t)tbi};
    if ((st = rknn_add_tensor(m, &rt, &idx, e)) ||
        (st = rknn_add_tensor(m, &tt, &idx, e)))
        return st;
    return rknn_finish(m, e);
}
