/*
 * runner_seq.c - sequence and optional values (see ox_internal.h for the
 * handle representation) and their operators: SequenceEmpty,
 * SequenceConstruct, SequenceInsert, SequenceAt, SequenceErase,
 * SequenceLength, SequenceMap, ConcatFromSequence, SplitToSequence,
 * Optional, OptionalHasElement, OptionalGetElement.
 * Semantics from the ONNX operator docs (opsets 11, 15, 17, 18).
 */
#include <stdlib.h>
#include <string.h>

#include "ox_internal.h"

/* ---- handles ------------------------------------------------------------ */

bool ox_is_seq(const rk_tensor *t)
{
    return t && t->dtype == RK_DT_UNDEF && t->data != NULL;
}

ox_seq *ox_seq_of(const rk_tensor *t)
{
    return ox_is_seq(t) ? (ox_seq *)t->data : NULL;
}

rk_status ox_seq_new(rk_tensor *h, bool optional, rk_dtype elem, rk_err *e)
{
    memset(h, 0, sizeof *h);
    ox_seq *s = calloc(1, sizeof *s);
    if (!s)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    s->optional = optional;
    s->elem = elem;
    h->dtype = RK_DT_UNDEF;
    h->data = s;
    return RK_OK;
}

rk_status ox_seq_insert(ox_seq *s, int pos, rk_tensor *item, rk_err *e)
{
    if (s->optional && s->count >= 1)
        return rk_errf(e, RK_EINTERNAL, "an optional holds at most one value");
    if (s->count == s->cap) {
        int cap = s->cap ? s->cap * 2 : 4;
        rk_tensor *p = realloc(s->items, sizeof *p * (size_t)cap);
        if (!p)
            return rk_errf(e, RK_ENOMEM, "out of memory");
        s->items = p;
        s->cap = cap;
    }
    if (pos < 0 || pos > s->count)
        pos = s->count;
    memmove(&s->items[pos + 1], &s->items[pos], sizeof *s->items * (size_t)(s->count - pos));
    s->items[pos] = *item;
    rk_tensor_set_name(&s->items[pos], NULL);
    memset(item, 0, sizeof *item);
    s->count++;
    return RK_OK;
}

void ox_value_free(rk_tensor *t)
{
    if (!t)
        return;
    ox_seq *s = ox_seq_of(t);
    if (s && !t->borrowed) {
        for (int i = 0; i < s->count; i++)
            ox_value_free(&s->items[i]);
        free(s->items);
        free(s);
        t->data = NULL;
    }
    rk_tensor_free(t);
}

rk_status ox_value_copy(rk_tensor *dst, const rk_tensor *src, rk_err *e)
{
    const ox_seq *s = ox_seq_of(src);
    if (!s)
        return rk_tensor_copy(dst, src, e);
    rk_status st = ox_seq_new(dst, s->optional, s->elem, e);
    ox_seq *d = ox_seq_of(dst);
    for (int i = 0; i < s->count && st == RK_OK; i++) {
        rk_tensor item;
        st = ox_value_copy(&item, &s->items[i], e);
        if (st == RK_OK)
            st = ox_seq_insert(d, -1, &item, e);
        if (st != RK_OK)
            ox_value_free(&item);
    }
    if (st == RK_OK && src->name)
        rk_tensor_set_name(dst, src->name);
    if (st != RK_OK)
        ox_value_free(dst);
    return st;
}

/* ---- helpers ------------------------------------------------------------ */

static rk_status need_seq(const ox_node *n, const rk_tensor *const *in, int nin, int i,
                          ox_seq **s, rk_err *e)
{
    *s = i < nin ? ox_seq_of(in[i]) : NULL;
    if (!*s || (*s)->optional)
        return rk_errf(e, RK_EINPUT, "%s: input #%d must be a sequence", n->label, i);
    return RK_OK;
}

/* position input (scalar int32/int64), negative counting from the end;
 * valid range [-len, len - 1 + extra]. */
static rk_status read_pos(const ox_node *n, const rk_tensor *t, int len, int extra, int *pos,
                          rk_err *e)
{
    if (!t || t->nelem != 1 || (t->dtype != RK_DT_I32 && t->dtype != RK_DT_I64))
        return rk_errf(e, RK_EINPUT, "%s: position must be one int32/int64", n->label);
    int64_t p = t->dtype == RK_DT_I32 ? ((int32_t *)t->data)[0] : ((int64_t *)t->data)[0];
    if (p < -(int64_t)len || p > (int64_t)len - 1 + extra)
        return rk_errf(e, RK_EINPUT, "%s: position %lld outside the sequence of %d", n->label,
                       (long long)p, len);
    *pos = (int)(p < 0 ? p + len : p);
    return RK_OK;
}

static rk_status copy_seq_out(const ox_seq *s, rk_tensor *out, rk_err *e)
{
    rk_tensor view = {.dtype = RK_DT_UNDEF, .data = (void *)s, .borrowed = true};
    return ox_value_copy(out, &view, e);
}

/* ---- operators -------------------------------------------------------- */

static rk_status op_seq_empty(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                              int nin, rk_tensor *out, int nout, rk_err *e)
{
    rk_dtype dt = ox_dtype_from_onnx((int32_t)ox_attr_int_or(n, "dtype", 1));
    return ox_seq_new(&out[0], false, dt, e);
}

static rk_status op_seq_construct(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                                  int nin, rk_tensor *out, int nout, rk_err *e)
{
    if (nin < 1 || !in[0])
        return rk_errf(e, RK_EINPUT, "%s: needs at least one tensor", n->label);
    rk_status st = ox_seq_new(&out[0], false, in[0]->dtype, e);
    for (int i = 0; i < nin && st == RK_OK; i++) {
        rk_tensor item;
        if (!in[i] || ox_is_seq(in[i]) || in[i]->dtype != in[0]->dtype) {
            st = rk_errf(e, RK_EINPUT, "%s: input #%d is not a %s tensor", n->label, i,
                         rk_dtype_name(in[0]->dtype));
            break;
        }
        st = rk_tensor_copy(&item, in[i], e);
        if (st == RK_OK)
            st = ox_seq_insert(ox_seq_of(&out[0]), -1, &item, e);
    }
    if (st != RK_OK)
        ox_value_free(&out[0]);
    return st;
}

static rk_status op_seq_insert(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                               int nin, rk_tensor *out, int nout, rk_err *e)
{
    ox_seq *s;
    rk_status st = need_seq(n, in, nin, 0, &s, e);
    if (st != RK_OK)
        return st;
    if (nin < 2 || !in[1] || ox_is_seq(in[1]))
        return rk_errf(e, RK_EINPUT, "%s: needs a tensor to insert", n->label);
    if (s->count && in[1]->dtype != s->items[0].dtype)
        return rk_errf(e, RK_EINPUT, "%s: inserting %s into a sequence of %s", n->label,
                       rk_dtype_name(in[1]->dtype), rk_dtype_name(s->items[0].dtype));
    int pos = s->count;
    if (nin > 2 && in[2] && (st = read_pos(n, in[2], s->count, 1, &pos, e)) != RK_OK)
        return st;
    rk_tensor item;
    st = copy_seq_out(s, &out[0], e);
    if (st == RK_OK)
        st = rk_tensor_copy(&item, in[1], e);
    if (st == RK_OK)
        st = ox_seq_insert(ox_seq_of(&out[0]), pos, &item, e);
    if (st != RK_OK)
        ox_value_free(&out[0]);
    return st;
}

static rk_status op_seq_at(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                           rk_tensor *out, int nout, rk_err *e)
{
    ox_seq *s;
    int pos = 0;
    rk_status st = need_seq(n, in, nin, 0, &s, e);
    if (st == RK_OK)
        st = read_pos(n, nin > 1 ? in[1] : NULL, s->count, 0, &pos, e);
    return st == RK_OK ? ox_value_copy(&out[0], &s->items[pos], e) : st;
}

static rk_status op_seq_erase(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                              int nin, rk_tensor *out, int nout, rk_err *e)
{
    ox_seq *s;
    rk_status st = need_seq(n, in, nin, 0, &s, e);
    if (st != RK_OK)
        return st;
    int pos = s->count - 1;
    if (nin > 1 && in[1] && (st = read_pos(n, in[1], s->count, 0, &pos, e)) != RK_OK)
        return st;
    if (pos < 0)
        return rk_errf(e, RK_EINPUT, "%s: erasing from an empty sequence", n->label);
    st = copy_seq_out(s, &out[0], e);
    if (st != RK_OK)
        return st;
    ox_seq *d = ox_seq_of(&out[0]);
    ox_value_free(&d->items[pos]);
    memmove(&d->items[pos], &d->items[pos + 1], sizeof *d->items * (size_t)(d->count - pos - 1));
    d->count--;
    return RK_OK;
}

static rk_status op_seq_length(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                               int nin, rk_tensor *out, int nout, rk_err *e)
{
    ox_seq *s;
    rk_status st = need_seq(n, in, nin, 0, &s, e);
    if (st == RK_OK)
        st = rk_tensor_alloc(&out[0], NULL, RK_DT_I64, 0, NULL, e);
    if (st == RK_OK)
        ((int64_t *)out[0].data)[0] = s->count;
    return st;
}

/* SequenceMap: body(seq_0[i], ..., seq_k[i] or the tensor itself) for each
 * i < len(seq_0); output j collects the j-th body output. */
static rk_status op_seq_map(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                            rk_tensor *out, int nout, rk_err *e)
{
    ox_model *body = NULL;
    for (int a = 0; a < n->nattr; a++)
        if (n->attrs[a].sub)
            body = n->attrs[a].sub;
    ox_seq *s0;
    rk_status st = need_seq(n, in, nin, 0, &s0, e);
    if (st != RK_OK)
        return st;
    if (!body || body->ninputs != nin || body->noutputs != nout)
        return rk_errf(e, RK_EINPUT, "%s: body signature does not match the node", n->label);
    for (int j = 0; j < nout && st == RK_OK; j++)
        st = ox_seq_new(&out[j], false, RK_DT_UNDEF, e);
    const rk_tensor **bin = calloc((size_t)nin + 1, sizeof *bin);
    rk_tensor *bout = calloc((size_t)nout + 1, sizeof *bout);
    if (st == RK_OK && (!bin || !bout))
        st = rk_errf(e, RK_ENOMEM, "out of memory");
    for (int i = 0; i < s0->count && st == RK_OK; i++) {
        for (int k = 0; k < nin && st == RK_OK; k++) {
            ox_seq *sk = ox_seq_of(in[k]);
            if (sk && sk->count != s0->count)
                st = rk_errf(e, RK_EINPUT, "%s: sequences differ in length", n->label);
            else
                bin[k] = sk ? &sk->items[i] : in[k];
        }
        if (st == RK_OK)
            st = ox_run_subgraph(body, ctx, bin, nin, bout, e);
        for (int j = 0; j < nout && st == RK_OK; j++)
            st = ox_seq_insert(ox_seq_of(&out[j]), -1, &bout[j], e);
        for (int j = 0; j < nout; j++)
            ox_value_free(&bout[j]);
    }
    free(bin);
    free(bout);
    if (st != RK_OK)
        for (int j = 0; j < nout; j++)
            ox_value_free(&out[j]);
    return st;
}

/* Copy `len` slabs along an axis: outer x len x inner elements. */
static void copy_slab(char *dst, int64_t dst_len, int64_t dst_off, const char *src,
                      int64_t src_len, int64_t src_off, int64_t len, int64_t outer,
                      int64_t inner, size_t es)
{
    for (int64_t o = 0; o < outer; o++)
        memcpy(dst + ((o * dst_len + dst_off) * inner) * (int64_t)es,
               src + ((o * src_len + src_off) * inner) * (int64_t)es,
               (size_t)(len * inner) * es);
}

static rk_status op_concat_from_seq(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                                    int nin, rk_tensor *out, int nout, rk_err *e)
{
    ox_seq *s;
    rk_status st = need_seq(n, in, nin, 0, &s, e);
    if (st != RK_OK)
        return st;
    if (s->count == 0 || !ox_attr_has(n, "axis"))
        return rk_errf(e, RK_EINPUT, "%s: needs a non-empty sequence and an axis", n->label);
    bool new_axis = ox_attr_int_or(n, "new_axis", 0) != 0;
    const rk_tensor *f = &s->items[0];
    int rank = f->ndim + (new_axis ? 1 : 0);
    int64_t axis = ox_attr_int_or(n, "axis", 0);
    if (axis < -rank || axis >= rank || (!new_axis && f->ndim == 0))
        return rk_errf(e, RK_EINPUT, "%s: axis %lld out of range", n->label, (long long)axis);
    if (axis < 0)
        axis += rank;
    int64_t dims[RK_MAX_DIMS], total = 0;
    if (rank > RK_MAX_DIMS)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: rank %d", n->label, rank);
    for (int i = 0; i < s->count; i++) {
        const rk_tensor *t = &s->items[i];
        bool ok = !ox_is_seq(t) && t->dtype == f->dtype && t->ndim == f->ndim;
        for (int d = 0; ok && d < f->ndim; d++)
            ok = d == axis && !new_axis ? true : t->dims[d] == f->dims[d];
        if (!ok)
            return rk_errf(e, RK_EINPUT, "%s: sequence item %d does not match item 0", n->label,
                           i);
        total += new_axis ? 1 : t->dims[axis];
    }
    for (int d = 0; d < rank; d++) /* with new_axis, items' dims shift past the axis */
        dims[d] = d == axis ? total : f->dims[new_axis && d > axis ? d - 1 : d];
    st = rk_tensor_alloc(&out[0], NULL, f->dtype, rank, dims, e);
    if (st != RK_OK)
        return st;
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= dims[d];
    for (int d = (int)axis + 1; d < rank; d++)
        inner *= dims[d];
    int64_t at = 0;
    for (int i = 0; i < s->count; i++) {
        int64_t len = new_axis ? 1 : s->items[i].dims[axis];
        copy_slab(out[0].data, total, at, s->items[i].data, len, 0, len, outer, inner,
                  rk_dtype_size(f->dtype));
        at += len;
    }
    return RK_OK;
}

static rk_status op_split_to_seq(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                                 int nin, rk_tensor *out, int nout, rk_err *e)
{
    const rk_tensor *x = nin > 0 ? in[0] : NULL, *split = nin > 1 ? in[1] : NULL;
    if (!x || ox_is_seq(x) || x->ndim < 1)
        return rk_errf(e, RK_EINPUT, "%s: needs a tensor of rank >= 1", n->label);
    int64_t axis = ox_attr_int_or(n, "axis", 0);
    if (axis < -x->ndim || axis >= x->ndim)
        return rk_errf(e, RK_EINPUT, "%s: axis %lld out of range", n->label, (long long)axis);
    if (axis < 0)
        axis += x->ndim;
    int64_t len = x->dims[axis], nparts, chunk = 1;
    bool squeeze = !split && ox_attr_int_or(n, "keepdims", 1) == 0;
    if (split && split->dtype != RK_DT_I64 && split->dtype != RK_DT_I32)
        return rk_errf(e, RK_EINPUT, "%s: split must be int32/int64", n->label);
    const bool list = split && split->ndim == 1;
    if (list) {
        nparts = split->nelem;
    } else {
        chunk = split ? (split->dtype == RK_DT_I32 ? ((int32_t *)split->data)[0]
                                                   : ((int64_t *)split->data)[0]) : 1;
        if (chunk < 1)
            return rk_errf(e, RK_EINPUT, "%s: split size %lld", n->label, (long long)chunk);
        nparts = (len + chunk - 1) / chunk;
    }
    int64_t sum = 0;
    for (int64_t p = 0; list && p < nparts; p++) {
        int64_t v = split->dtype == RK_DT_I32 ? ((int32_t *)split->data)[p]
                                              : ((int64_t *)split->data)[p];
        if (v < 0)
            return rk_errf(e, RK_EINPUT, "%s: negative split %lld", n->label, (long long)v);
        sum += v;
    }
    if (list && sum != len)
        return rk_errf(e, RK_EINPUT, "%s: splits add up to %lld, axis has %lld", n->label,
                       (long long)sum, (long long)len);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= x->dims[d];
    for (int d = (int)axis + 1; d < x->ndim; d++)
        inner *= x->dims[d];
    rk_status st = ox_seq_new(&out[0], false, x->dtype, e);
    int64_t at = 0;
    for (int64_t p = 0; p < nparts && st == RK_OK; p++) {
        int64_t sz = list ? (split->dtype == RK_DT_I32 ? ((int32_t *)split->data)[p]
                                                       : ((int64_t *)split->data)[p])
                          : RK_MIN(chunk, len - at);
        int64_t dims[RK_MAX_DIMS];
        int nd = 0;
        for (int d = 0; d < x->ndim; d++)
            if (d != axis || !squeeze)
                dims[nd++] = d == axis ? sz : x->dims[d];
        rk_tensor part;
        st = rk_tensor_alloc(&part, NULL, x->dtype, nd, dims, e);
        if (st != RK_OK)
            break;
        copy_slab(part.data, sz, 0, x->data, len, at, sz, outer, inner, rk_dtype_size(x->dtype));
        at += sz;
        st = ox_seq_insert(ox_seq_of(&out[0]), -1, &part, e);
        if (st != RK_OK)
            rk_tensor_free(&part);
    }
    if (st != RK_OK)
        ox_value_free(&out[0]);
    return st;
}

static rk_status op_optional(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                             int nin, rk_tensor *out, int nout, rk_err *e)
{
    const rk_tensor *v = nin > 0 ? in[0] : NULL;
    rk_status st = ox_seq_new(&out[0], true, v && !ox_is_seq(v) ? v->dtype : RK_DT_UNDEF, e);
    if (st != RK_OK || !v)
        return st;
    rk_tensor item;
    st = ox_value_copy(&item, v, e);
    if (st == RK_OK)
        st = ox_seq_insert(ox_seq_of(&out[0]), -1, &item, e);
    if (st != RK_OK)
        ox_value_free(&out[0]);
    return st;
}

/* Opset 18 also accepts a plain tensor or sequence (then: "has one"). */
static rk_status op_opt_has(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                            rk_tensor *out, int nout, rk_err *e)
{
    const rk_tensor *v = nin > 0 ? in[0] : NULL;
    const ox_seq *s = ox_seq_of(v);
    bool has = v && (!s || !s->optional || s->count > 0);
    rk_status st = rk_tensor_alloc(&out[0], NULL, RK_DT_BOOL, 0, NULL, e);
    if (st == RK_OK)
        ((uint8_t *)out[0].data)[0] = has;
    return st;
}

static rk_status op_opt_get(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                            rk_tensor *out, int nout, rk_err *e)
{
    const rk_tensor *v = nin > 0 ? in[0] : NULL;
    const ox_seq *s = ox_seq_of(v);
    if (!v)
        return rk_errf(e, RK_EINPUT, "%s: no input", n->label);
    if (!s || !s->optional)
        return ox_value_copy(&out[0], v, e);
    if (s->count == 0)
        return rk_errf(e, RK_EINPUT, "%s: the optional input holds no value", n->label);
    return ox_value_copy(&out[0], &s->items[0], e);
}

const ox_op_def ox_ops_sequence[] = {
    {"", "SequenceEmpty", 11, op_seq_empty},
    {"", "SequenceConstruct", 11, op_seq_construct},
    {"", "SequenceInsert", 11, op_seq_insert},
    {"", "SequenceAt", 11, op_seq_at},
    {"", "SequenceErase", 11, op_seq_erase},
    {"", "SequenceLength", 11, op_seq_length},
    {"", "SequenceMap", 17, op_seq_map},
    {"", "ConcatFromSequence", 11, op_concat_from_seq},
    {"", "SplitToSequence", 11, op_split_to_seq},
    {"", "Optional", 15, op_optional},
    {"", "OptionalHasElement", 15, op_opt_has},
    {"", "OptionalGetElement", 15, op_opt_get},
    {NULL, NULL, 0, NULL},
};
