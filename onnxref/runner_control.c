/*
 * runner_control.c - control-flow operators: If, Loop, Scan.  They run
 * subgraphs (GRAPH attributes built with the model, see graph.c) through
 * ox_run_subgraph, which binds outer-scope names from the enclosing run.
 *
 * Semantics from the ONNX operator docs: If-1/11/13 (tensor outputs only),
 * Loop-1/11/13/16 (loop-carried tensors and scan outputs; sequences are not
 * supported), Scan-8 (batch axis 0, optional sequence_lens) and Scan-9+
 * (per-input axes and directions).
 */
#include <stdlib.h>
#include <string.h>

#include "ox_internal.h"

static ox_model *sub_of(const ox_node *n, const char *attr)
{
    for (int a = 0; a < n->nattr; a++)
        if (n->attrs[a].p->name && strcmp(n->attrs[a].p->name, attr) == 0)
            return n->attrs[a].sub;
    return NULL;
}

static bool scalar_true(const rk_tensor *t)
{
    if (!t || t->nelem < 1)
        return false;
    return ((const uint8_t *)t->data)[0] != 0;
}

static void free_all(rk_tensor *t, int n)
{
    for (int i = 0; i < n; i++)
        ox_value_free(&t[i]);
}

/* ---- If ---------------------------------------------------------------- */

static rk_status op_if(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                       rk_tensor *out, int nout, rk_err *e)
{
    if (nin < 1 || !in[0] || in[0]->dtype != RK_DT_BOOL || in[0]->nelem != 1)
        return rk_errf(e, RK_EINPUT, "%s: condition must be one bool", n->label);
    ox_model *g = sub_of(n, scalar_true(in[0]) ? "then_branch" : "else_branch");
    if (!g)
        return rk_errf(e, RK_EINPUT, "%s: missing branch subgraph", n->label);
    if (g->noutputs != nout)
        return rk_errf(e, RK_EINPUT, "%s: branch has %d outputs, node %d", n->label,
                       g->noutputs, nout);
    return ox_run_subgraph(g, ctx, NULL, 0, out, e);
}

/* ---- stacking helpers (Loop / Scan outputs) ---------------------------- */

/* A growing list of equally shaped slices, stacked along `axis` at the end.
 * Invariants: every slice has the dtype/shape of the first one. */
typedef struct stack_acc {
    rk_tensor *items;
    int count, cap;
} stack_acc;

static rk_status stack_push(const ox_node *n, stack_acc *s, rk_tensor *t, rk_err *e)
{
    if (s->count && (s->items[0].dtype != t->dtype || !rk_shape_equal(&s->items[0], t)))
        return rk_errf(e, RK_EINPUT, "%s: scan output changes shape or type between iterations",
                       n->label);
    if (s->count == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        rk_tensor *p = realloc(s->items, sizeof *p * (size_t)cap);
        if (!p)
            return rk_errf(e, RK_ENOMEM, "out of memory");
        s->items = p;
        s->cap = cap;
    }
    s->items[s->count++] = *t;
    memset(t, 0, sizeof *t);
    return RK_OK;
}

static void stack_free(stack_acc *s)
{
    free_all(s->items, s->count);
    free(s->items);
    memset(s, 0, sizeof *s);
}

/* Stack slices along `axis` of the result (slice i is taken in `reverse`
 * order when asked).  With no slice, the result is [0] (shape unknown). */
static rk_status stack_finish(const ox_node *n, stack_acc *s, int64_t axis, bool reverse,
                              rk_tensor *out, rk_err *e)
{
    if (!s->count) {
        int64_t zero = 0;
        return rk_tensor_alloc(out, NULL, RK_DT_F32, 1, &zero, e);
    }
    const rk_tensor *f = &s->items[0];
    if (f->ndim + 1 > RK_MAX_DIMS || axis < 0 || axis > f->ndim)
        return rk_errf(e, RK_EINPUT, "%s: scan output axis %lld out of range", n->label,
                       (long long)axis);
    int64_t dims[RK_MAX_DIMS];
    for (int d = 0, k = 0; d <= f->ndim; d++)
        dims[d] = d == axis ? s->count : f->dims[k++];
    rk_status st = rk_tensor_alloc(out, NULL, f->dtype, f->ndim + 1, dims, e);
    if (st != RK_OK)
        return st;
    size_t es = rk_dtype_size(f->dtype);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= f->dims[d];
    for (int d = (int)axis; d < f->ndim; d++)
        inner *= f->dims[d];
    for (int i = 0; i < s->count; i++) {
        const rk_tensor *it = &s->items[reverse ? s->count - 1 - i : i];
        for (int64_t o = 0; o < outer; o++)
            memcpy((char *)out->data + ((o * s->count + i) * inner) * (int64_t)es,
                   (const char *)it->data + o * inner * (int64_t)es, (size_t)(inner * (int64_t)es));
    }
    return RK_OK;
}

/* Slice t at index `idx` along `axis` (the axis removed). */
static rk_status take_slice(const rk_tensor *t, int64_t axis, int64_t idx, rk_tensor *out,
                            rk_err *e)
{
    int64_t dims[RK_MAX_DIMS];
    for (int d = 0, k = 0; d < t->ndim; d++)
        if (d != axis)
            dims[k++] = t->dims[d];
    rk_status st = rk_tensor_alloc(out, NULL, t->dtype, t->ndim - 1, dims, e);
    if (st != RK_OK)
        return st;
    size_t es = rk_dtype_size(t->dtype);
    int64_t outer = 1, inner = 1, len = t->dims[axis];
    for (int d = 0; d < axis; d++)
        outer *= t->dims[d];
    for (int d = (int)axis + 1; d < t->ndim; d++)
        inner *= t->dims[d];
    for (int64_t o = 0; o < outer; o++)
        memcpy((char *)out->data + o * inner * (int64_t)es,
               (const char *)t->data + ((o * len + idx) * inner) * (int64_t)es,
               (size_t)(inner * (int64_t)es));
    return RK_OK;
}

/* ---- Loop -------------------------------------------------------------- */

#define OX_MAX_CARRIED 64

static rk_status op_loop(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                         rk_tensor *out, int nout, rk_err *e)
{
    ox_model *body = sub_of(n, "body");
    if (!body || nin < 2)
        return rk_errf(e, RK_EINPUT, "%s: needs a body and inputs M, cond", n->label);
    int ncarried = nin - 2, nscan = body->noutputs - 1 - ncarried;
    if (ncarried > OX_MAX_CARRIED || nscan < 0 || ncarried + nscan != nout ||
        body->ninputs != ncarried + 2)
        return rk_errf(e, RK_EINPUT, "%s: body signature (%d in, %d out) does not match %d "
                       "loop-carried values and %d outputs", n->label, body->ninputs,
                       body->noutputs, ncarried, nout);
    int64_t max_trip = in[0] ? (in[0]->dtype == RK_DT_I64 ? ((int64_t *)in[0]->data)[0] : 0)
                             : INT64_MAX;
    bool cond = in[1] ? scalar_true(in[1]) : true;
    rk_tensor carried[OX_MAX_CARRIED] = {{0}}, iter = {0}, condt = {0};
    rk_tensor *bout = calloc((size_t)body->noutputs + 1, sizeof *bout);
    stack_acc *scans = calloc((size_t)nscan + 1, sizeof *scans);
    const rk_tensor **bin = calloc((size_t)ncarried + 2, sizeof *bin);
    rk_status st = bout && scans && bin ? RK_OK : rk_errf(e, RK_ENOMEM, "out of memory");
    for (int i = 0; i < ncarried && st == RK_OK; i++) {
        if (!in[2 + i])
            st = rk_errf(e, RK_EUNSUPPORTED, "%s: omitted loop-carried input", n->label);
        else
            st = ox_value_copy(&carried[i], in[2 + i], e);
    }
    if (st == RK_OK)
        st = rk_tensor_alloc(&iter, NULL, RK_DT_I64, 0, NULL, e);
    if (st == RK_OK)
        st = rk_tensor_alloc(&condt, NULL, RK_DT_BOOL, 0, NULL, e);
    for (int64_t i = 0; st == RK_OK && i < max_trip && cond; i++) {
        ((int64_t *)iter.data)[0] = i;
        ((uint8_t *)condt.data)[0] = cond;
        bin[0] = &iter;
        bin[1] = &condt;
        for (int c = 0; c < ncarried; c++)
            bin[2 + c] = &carried[c];
        st = ox_run_subgraph(body, ctx, bin, ncarried + 2, bout, e);
        if (st != RK_OK)
            break;
        cond = scalar_true(&bout[0]);
        ox_value_free(&bout[0]);
        for (int c = 0; c < ncarried; c++) {
            ox_value_free(&carried[c]);
            carried[c] = bout[1 + c];
            memset(&bout[1 + c], 0, sizeof bout[1 + c]);
        }
        for (int k = 0; k < nscan && st == RK_OK; k++)
            st = stack_push(n, &scans[k], &bout[1 + ncarried + k], e);
        free_all(bout, body->noutputs);
    }
    for (int c = 0; c < ncarried && st == RK_OK; c++) {
        out[c] = carried[c];
        memset(&carried[c], 0, sizeof carried[c]);
    }
    for (int k = 0; k < nscan && st == RK_OK; k++)
        st = stack_finish(n, &scans[k], 0, false, &out[ncarried + k], e);
    if (st != RK_OK)
        free_all(out, nout);
    free_all(carried, ncarried);
    for (int k = 0; scans && k < nscan; k++)
        stack_free(&scans[k]);
    rk_tensor_free(&iter);
    rk_tensor_free(&condt);
    free(bout);
    free(scans);
    free(bin);
    return st;
}

/* ---- Scan -------------------------------------------------------------- */

static int64_t attr_at(const ox_node *n, const char *name, int i, int64_t dflt)
{
    const int64_t *v;
    int cnt = ox_attr_ints(n, name, &v);
    return i < cnt ? v[i] : dflt;
}

/* One Scan-9 execution over states[nstate] and scan inputs[nscan_in];
 * outputs: final states then stacked scan outputs. */
static rk_status scan_run(ox_ctx *ctx, const ox_node *n, ox_model *body,
                          const rk_tensor *const *states, int nstate,
                          const rk_tensor *const *xs, int nscan_in, rk_tensor *out, int nout,
                          int axis_base, rk_err *e)
{
    int nscan_out = nout - nstate;
    int64_t len = -1;
    int64_t axes[OX_MAX_CARRIED];
    for (int j = 0; j < nscan_in; j++) {
        axes[j] = attr_at(n, "scan_input_axes", j, 0);
        if (axes[j] < 0)
            axes[j] += xs[j]->ndim;
        axes[j] += axis_base;
        if (axes[j] < 0 || axes[j] >= xs[j]->ndim)
            return rk_errf(e, RK_EINPUT, "%s: scan input axis out of range", n->label);
        if (len >= 0 && xs[j]->dims[axes[j]] != len)
            return rk_errf(e, RK_EINPUT, "%s: scan inputs differ in length", n->label);
        len = xs[j]->dims[axes[j]];
    }
    rk_tensor cur[OX_MAX_CARRIED] = {{0}}, slices[OX_MAX_CARRIED] = {{0}};
    rk_tensor *bout = calloc((size_t)body->noutputs + 1, sizeof *bout);
    stack_acc *acc = calloc((size_t)nscan_out + 1, sizeof *acc);
    const rk_tensor **bin = calloc((size_t)(nstate + nscan_in) + 1, sizeof *bin);
    rk_status st = bout && acc && bin ? RK_OK : rk_errf(e, RK_ENOMEM, "out of memory");
    for (int s = 0; s < nstate && st == RK_OK; s++)
        st = ox_value_copy(&cur[s], states[s], e);
    for (int64_t t = 0; st == RK_OK && t < len; t++) {
        for (int j = 0; j < nscan_in && st == RK_OK; j++) {
            bool rev = attr_at(n, "scan_input_directions", j, 0) != 0;
            rk_tensor_free(&slices[j]);
            st = take_slice(xs[j], axes[j], rev ? len - 1 - t : t, &slices[j], e);
        }
        for (int s = 0; s < nstate; s++)
            bin[s] = &cur[s];
        for (int j = 0; j < nscan_in; j++)
            bin[nstate + j] = &slices[j];
        if (st == RK_OK)
            st = ox_run_subgraph(body, ctx, bin, nstate + nscan_in, bout, e);
        if (st != RK_OK)
            break;
        for (int s = 0; s < nstate; s++) {
            ox_value_free(&cur[s]);
            cur[s] = bout[s];
            memset(&bout[s], 0, sizeof bout[s]);
        }
        for (int k = 0; k < nscan_out && st == RK_OK; k++)
            st = stack_push(n, &acc[k], &bout[nstate + k], e);
        free_all(bout, body->noutputs);
    }
    for (int s = 0; s < nstate && st == RK_OK; s++) {
        out[s] = cur[s];
        memset(&cur[s], 0, sizeof cur[s]);
    }
    for (int k = 0; k < nscan_out && st == RK_OK; k++) {
        int64_t ax = attr_at(n, "scan_output_axes", k, 0);
        if (ax < 0 && acc[k].count)
            ax += acc[k].items[0].ndim + 1;
        bool rev = attr_at(n, "scan_output_directions", k, 0) != 0;
        st = stack_finish(n, &acc[k], ax, rev, &out[nstate + k], e);
    }
    free_all(cur, nstate);
    free_all(slices, nscan_in);
    for (int k = 0; acc && k < nscan_out; k++)
        stack_free(&acc[k]);
    free(acc);
    free(bout);
    free(bin);
    return st;
}

static rk_status scan_check(const ox_node *n, ox_model *body, int nstate, int nscan_in,
                            int nout, rk_err *e)
{
    if (!body)
        return rk_errf(e, RK_EINPUT, "%s: no body", n->label);
    if (nstate < 0 || nscan_in < 1 || nstate + nscan_in > OX_MAX_CARRIED ||
        body->ninputs != nstate + nscan_in || body->noutputs != nout || nout < nstate)
        return rk_errf(e, RK_EINPUT, "%s: body signature (%d in, %d out) does not match the "
                       "node", n->label, body->ninputs, body->noutputs);
    return RK_OK;
}

static rk_status op_scan9(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                          rk_tensor *out, int nout, rk_err *e)
{
    ox_model *body = sub_of(n, "body");
    int nscan_in = (int)ox_attr_int_or(n, "num_scan_inputs", 0), nstate = nin - nscan_in;
    rk_status st = scan_check(n, body, nstate, nscan_in, nout, e);
    for (int i = 0; i < nin && st == RK_OK; i++)
        if (!in[i])
            st = rk_errf(e, RK_EINPUT, "%s: input #%d missing", n->label, i);
    if (st != RK_OK)
        return st;
    return scan_run(ctx, n, body, in, nstate, in + nstate, nscan_in, out, nout, 0, e);
}

/* Scan-8: axis 0 is a batch; each batch element is scanned along axis 1.
 * sequence_lens (input 0) shorter than the full length are not supported. */
static rk_status op_scan8(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                          rk_tensor *out, int nout, rk_err *e)
{
    ox_model *body = sub_of(n, "body");
    int nscan_in = (int)ox_attr_int_or(n, "num_scan_inputs", 0), nstate = nin - 1 - nscan_in;
    rk_status st = scan_check(n, body, nstate, nscan_in, nout, e);
    if (st != RK_OK)
        return st;
    if (ox_attr_has(n, "directions") || in[0])
        return rk_errf(e, RK_EUNSUPPORTED, "%s: Scan-8 with sequence_lens or directions",
                       n->label);
    int64_t batch = in[1] ? in[1]->dims[0] : 0;
    stack_acc *per_out = calloc((size_t)nout + 1, sizeof *per_out);
    rk_tensor slices[OX_MAX_CARRIED] = {{0}}, res[OX_MAX_CARRIED] = {{0}};
    const rk_tensor *ptrs[OX_MAX_CARRIED];
    if (!per_out)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    for (int64_t b = 0; b < batch && st == RK_OK; b++) {
        for (int i = 0; i < nstate + nscan_in && st == RK_OK; i++) {
            st = in[1 + i] ? take_slice(in[1 + i], 0, b, &slices[i], e)
                           : rk_errf(e, RK_EINPUT, "%s: input missing", n->label);
            ptrs[i] = &slices[i];
        }
        if (st == RK_OK)
            st = scan_run(ctx, n, body, ptrs, nstate, ptrs + nstate, nscan_in, res, nout, 0, e);
        for (int k = 0; k < nout && st == RK_OK; k++)
            st = stack_push(n, &per_out[k], &res[k], e);
        free_all(res, nout);
        free_all(slices, nstate + nscan_in);
    }
    for (int k = 0; k < nout && st == RK_OK; k++)
        st = stack_finish(n, &per_out[k], 0, false, &out[k], e);
    if (st != RK_OK)
        free_all(out, nout);
    for (int k = 0; k < nout; k++)
        stack_free(&per_out[k]);
    free(per_out);
    return st;
}

const ox_op_def ox_ops_control[] = {
    {"", "If", 1, op_if},
    {"", "Loop", 1, op_loop},
    {"", "Scan", 8, op_scan8},
    {"", "Scan", 9, op_scan9},
    {NULL, NULL, 0, NULL},
};
