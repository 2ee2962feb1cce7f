/*
 * runner.c - executing a loaded model: input binding and checking,
 * node-by-node execution in topological order, freeing intermediates after
 * their last reader, per-node callbacks, single-node runs, and the
 * parallel-for helper kernels use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ox_internal.h"

/* ---- threads ---------------------------------------------------------- */

bool ox_input_reusable(const ox_ctx *c, int i)
{
    return c && i >= 0 && i < 64 && (c->reusable >> i & 1);
}

int ox_ctx_threads(const ox_ctx *c)
{
    return c && c->threads > 1 ? c->threads : 1;
}

/* A process-wide pool of worker threads, created on first use and grown
 * to the largest thread count asked for.  One parallel-for runs on it at a
 * time (pool_busy); a concurrent caller (another model in another thread)
 * simply runs its loop inline.  Invariants, under pool.lock: chunks
 * [0, next_chunk) have been claimed, chunks_done of them finished; workers
 * with index >= helpers sit the current job out. */
#define OX_MAX_THREADS 64

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work_cv, done_cv;
    int nworkers;
    uint64_t generation;
    ox_range_fn fn;
    void *arg;
    int64_t n, chunk;
    int nchunks, next_chunk, chunks_done, helpers;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
          0, 0, NULL, NULL, 0, 0, 0, 0, 0, 0};
static pthread_mutex_t pool_busy = PTHREAD_MUTEX_INITIALIZER;

/* Set on pool threads and on the caller during a job: nested parallel-for
 * calls then run inline instead of deadlocking or multiplying threads. */
static _Thread_local bool in_parallel_region;

/* Claim and run chunks until none is left; called with pool.lock held. */
static void pool_drain(void)
{
    while (pool.next_chunk < pool.nchunks) {
        int c = pool.next_chunk++;
        int64_t b = c * pool.chunk, end = RK_MIN(pool.n, b + pool.chunk);
        ox_range_fn fn = pool.fn;
        void *arg = pool.arg;
        pthread_mutex_unlock(&pool.lock);
        if (b < end)
            fn(arg, b, end);
        pthread_mutex_lock(&pool.lock);
        if (++pool.chunks_done == pool.nchunks)
            pthread_cond_signal(&pool.done_cv);
    }
}

static void *pool_worker(void *p)
{
    int index = (int)(intptr_t)p;
    uint64_t seen = 0;
    in_parallel_region = true;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (pool.generation == seen)
            pthread_cond_wait(&pool.work_cv, &pool.lock);
        seen = pool.generation;
        if (index < pool.helpers)
            pool_drain();
    }
    return NULL;
}

/* Grow the pool to `want` workers (best effort); pool.lock held. */
static void pool_grow(int want)
{
    while (pool.nworkers < want) {
        pthread_t tid;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&tid, &attr, pool_worker, (void *)(intptr_t)pool.nworkers);
        pthread_attr_destroy(&attr);
        if (rc != 0)
            break;
        pool.nworkers++;
    }
}

void ox_parallel_for(ox_ctx *c, int64_t n, int64_t grain, ox_range_fn fn, void *arg)
{
    if (n <= 0)
        return;
    if (grain < 1)
        grain = 1;
    int64_t nt = RK_MIN(ox_ctx_threads(c), OX_MAX_THREADS);
    int64_t max_chunks = (n + grain - 1) / grain;
    if (nt <= 1 || max_chunks <= 1 || in_parallel_region ||
        pthread_mutex_trylock(&pool_busy) != 0) {
        fn(arg, 0, n);
        return;
    }
    /* a few chunks per thread balance uneven work; each at least `grain` */
    int64_t nchunks = RK_MIN(max_chunks, nt * 4);
    pthread_mutex_lock(&pool.lock);
    pool_grow((int)nt - 1);
    pool.fn = fn;
    pool.arg = arg;
    pool.n = n;
    pool.chunk = (n + nchunks - 1) / nchunks;
    pool.nchunks = (int)((n + pool.chunk - 1) / pool.chunk);
    pool.next_chunk = 0;
    pool.chunks_done = 0;
    pool.helpers = (int)nt - 1;
    pool.generation++;
    pthread_cond_broadcast(&pool.work_cv);
    in_parallel_region = true;
    pool_drain(); /* the caller works too; with no worker it does everything */
    while (pool.chunks_done < pool.nchunks)
        pthread_cond_wait(&pool.done_cv, &pool.lock);
    in_parallel_region = false;
    pool.fn = NULL;
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool_busy);
}

/* ---- input binding ---------------------------------------------------- */

typedef struct sym_binding {
    const char *name;
    int64_t value;
    const char *from; /* input that fixed it */
} sym_binding;

static rk_status check_input(const ox_model *m, const ox_value_info *vi, const rk_tensor *t,
                             bool check_shape, sym_binding *syms, int *nsyms, rk_err *e)
{
    char shape[96];
    if ((vi->kind == OX_KIND_SEQUENCE || vi->kind == OX_KIND_OPTIONAL) != ox_is_seq(t))
        return rk_errf(e, RK_EINPUT, "%s: input '%s' must be a %s", m->path, vi->name,
                       vi->kind == OX_KIND_SEQUENCE ? "sequence"
                       : vi->kind == OX_KIND_OPTIONAL ? "optional" : "tensor");
    if (ox_is_seq(t))
        return RK_OK;
    if (vi->dtype != RK_DT_UNDEF && t->dtype != vi->dtype)
        return rk_errf(e, RK_EINPUT, "%s: input '%s' must be %s but %s was given", m->path,
                       vi->name, rk_dtype_name(vi->dtype), rk_dtype_name(t->dtype));
    if (vi->ndim < 0 || !check_shape)
        return RK_OK;
    if (t->ndim != vi->ndim)
        return rk_errf(e, RK_EINPUT, "%s: input '%s' must have rank %d but shape %s was given",
                       m->path, vi->name, vi->ndim, rk_shape_str(t, shape, sizeof shape));
    for (int d = 0; d < vi->ndim; d++) {
        if (vi->dims[d] >= 0 && vi->dims[d] != t->dims[d])
            return rk_errf(e, RK_EINPUT, "%s: input '%s' dimension %d must be %lld but shape "
                           "%s was given", m->path, vi->name, d, (long long)vi->dims[d],
                           rk_shape_str(t, shape, sizeof shape));
        if (!vi->dim_params[d])
            continue;
        int s = 0;
        while (s < *nsyms && strcmp(syms[s].name, vi->dim_params[d]) != 0)
            s++;
        if (s == *nsyms) {
            syms[s].name = vi->dim_params[d];
            syms[s].value = t->dims[d];
            syms[s].from = vi->name;
            (*nsyms)++;
        } else if (syms[s].value != t->dims[d]) {
            return rk_errf(e, RK_EINPUT, "%s: symbolic dimension '%s' is %lld in input '%s' "
                           "but %lld in input '%s'", m->path, vi->dim_params[d],
                           (long long)syms[s].value, syms[s].from, (long long)t->dims[d],
                           vi->name);
        }
    }
    return RK_OK;
}

static void borrow(rk_tensor *dst, const rk_tensor *src)
{
    *dst = *src;
    dst->name = NULL;
    dst->borrowed = true;
}

static rk_status unknown_input(const ox_model *m, const char *nm, rk_err *e)
{
    char list[512] = "";
    size_t used = 0;
    for (int s = 0; s < m->ninputs && used < sizeof list; s++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s'%s'", s ? ", " : "",
                                 m->values[m->inputs[s]].name);
    return rk_errf(e, RK_EINPUT, "%s: '%s' is not an input of the model (its inputs: %s)",
                   m->path, nm, m->ninputs ? list : "none");
}

/* Input i of the caller goes to graph input slot slot_of[i]: by name when
 * the tensor is named, else by position. */
static rk_status match_inputs(const ox_model *m, const rk_tensor *inputs, int ninputs,
                              int *slot_of, rk_err *e)
{
    for (int i = 0; i < ninputs; i++) {
        slot_of[i] = -1;
        const char *nm = inputs[i].name;
        if (nm && nm[0]) {
            int id = ox_model_find_value(m, nm);
            for (int s = 0; s < m->ninputs; s++)
                if (m->inputs[s] == id)
                    slot_of[i] = s;
            if (slot_of[i] < 0 && id >= 0 && m->values[id].is_init)
                slot_of[i] = m->ninputs + id; /* override of an initializer default */
        }
        if (slot_of[i] < 0 && nm && nm[0])
            return unknown_input(m, nm, e);
        if (slot_of[i] < 0) {
            if (i >= m->ninputs)
                return rk_errf(e, RK_EINPUT, "%s: %d inputs given but the model has %d",
                               m->path, ninputs, m->ninputs);
            slot_of[i] = i; /* positional */
        }
        for (int j = 0; j < i; j++)
            if (slot_of[j] == slot_of[i])
                return rk_errf(e, RK_EINPUT, "%s: input '%s' is given twice", m->path,
                               slot_of[i] < m->ninputs ? m->values[m->inputs[slot_of[i]]].name
                                                      : nm);
    }
    return RK_OK;
}

static rk_status bind_inputs(ox_model *m, const rk_tensor *inputs, int ninputs,
                             bool check_shape, rk_err *e)
{
    rk_status st = RK_OK;
    int *slot_of = calloc((size_t)ninputs + 1, sizeof *slot_of);
    sym_binding *syms = calloc((size_t)m->ninputs * RK_MAX_DIMS + 1, sizeof *syms);
    int nsyms = 0;
    if (!slot_of || !syms) {
        st = rk_errf(e, RK_ENOMEM, "out of memory");
        goto out;
    }
    st = match_inputs(m, inputs, ninputs, slot_of, e);
    for (int i = 0; st == RK_OK && i < ninputs; i++) {
        int id = slot_of[i] < m->ninputs ? m->inputs[slot_of[i]] : slot_of[i] - m->ninputs;
        ox_value *v = &m->values[id];
        if (v->info >= 0)
            st = check_input(m, &m->infos[v->info], &inputs[i], check_shape, syms, &nsyms, e);
        if (st == RK_OK) {
            if (v->has_cur)
                ox_value_free(&v->cur);
            borrow(&v->cur, &inputs[i]);
            v->has_cur = true;
        }
    }
    for (int s = 0; st == RK_OK && s < m->ninputs; s++)
        if (!m->values[m->inputs[s]].has_cur)
            st = rk_errf(e, RK_EINPUT, "%s: input '%s' (#%d) was not given", m->path,
                         m->values[m->inputs[s]].name, s);
out:
    free(slot_of);
    free(syms);
    return st;
}

/* ---- execution -------------------------------------------------------- */

static void release_value(ox_value *v)
{
    if (v->has_cur)
        ox_value_free(&v->cur);
    v->has_cur = false;
}

static void release_all(ox_model *m)
{
    for (int i = 0; i < m->nvalues; i++)
        release_value(&m->values[i]);
}

/* String tensors hold owned char * elements (rk_tensor.h); a kernel that
 * moves raw element bytes would alias or misread them.  Only these kernels
 * are written for strings: Cast/CastLike convert, Identity deep-copies
 * (ox_value_copy), Constant decodes string_data.  Every other op gets a
 * clear refusal before its kernel runs, and a string output from any other
 * kernel (e.g. Loop/If forwarding a subgraph value) is an error too. */
static bool op_handles_strings(const ox_node *n)
{
    static const char *const ops[] = {"Cast", "CastLike", "Identity", "Constant"};
    if (n->domain[0])
        return false;
    for (size_t i = 0; i < RK_ARRAY_LEN(ops); i++)
        if (strcmp(n->op_type, ops[i]) == 0)
            return true;
    return false;
}

static rk_status refuse_strings(const ox_node *n, const rk_tensor *const *in, rk_err *e)
{
    if (op_handles_strings(n))
        return RK_OK;
    for (int i = 0; i < n->nin; i++)
        if (in && in[i] && in[i]->dtype == RK_DT_STRING)
            return rk_errf(e, RK_EUNSUPPORTED, "%s: input #%d ('%s') is a string tensor; "
                           "string tensors are not supported by %s", n->label, i,
                           n->p->input[i], n->op_type);
    return RK_OK;
}

/* Call the kernel of n with `in`, check and name its outputs. */
static rk_status run_kernel(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                            rk_tensor *out, rk_err *e)
{
    for (int o = 0; o < n->nout; o++)
        memset(&out[o], 0, sizeof out[o]);
    rk_status st = refuse_strings(n, in, e);
    if (st != RK_OK)
        return st;
    st = n->def->run(ctx, n, in, n->nin, out, n->nout, e);
    if (st != RK_OK) {
        if (!e || !e->msg[0])
            rk_errf(e, st, "%s failed", n->label);
        goto fail;
    }
    for (int o = 0; o < n->nout; o++) {
        if (!ox_node_output_used(n, o)) {
            ox_value_free(&out[o]);
            continue;
        }
        if (out[o].dtype == RK_DT_STRING && !op_handles_strings(n)) {
            st = rk_errf(e, RK_EUNSUPPORTED, "%s: output #%d ('%s') would be a string "
                         "tensor; string tensors are not supported by %s", n->label, o,
                         n->p->output[o], n->op_type);
            goto fail;
        }
        if (!out[o].data) {
            st = rk_errf(e, RK_EINTERNAL, "%s: kernel produced no output #%d ('%s')", n->label,
                         o, n->p->output[o]);
            goto fail;
        }
        if (rk_tensor_set_name(&out[o], n->p->output[o]) != RK_OK) {
            st = rk_errf(e, RK_ENOMEM, "out of memory");
            goto fail;
        }
    }
    return RK_OK;
fail:
    for (int o = 0; o < n->nout; o++) {
        for (int i = 0; i < n->nin; i++) /* storage taken over from an input stays its */
            if (in[i] && out[o].data && out[o].data == in[i]->data)
                out[o].data = NULL;
        ox_value_free(&out[o]);
    }
    return st;
}

/* Inputs read for the last time by n, owned by the runner, and named once
 * among n's inputs (Mul(x, x) must not write x while reading it twice). */
static uint64_t reusable_inputs(const ox_model *m, const ox_node *n)
{
    uint64_t mask = 0;
    for (int i = 0; i < n->nin && i < 64; i++) {
        int id = n->in[i];
        if (id < 0)
            continue;
        const ox_value *v = &m->values[id];
        if (v->last_use != n->index || v->is_output || v->producer < 0 || !v->has_cur ||
            v->cur.borrowed)
            continue;
        bool once = true;
        for (int j = 0; j < n->nin + n->nimplicit && once; j++) {
            int other = j < n->nin ? n->in[j] : n->implicit[j - n->nin];
            once = j == i || other != id;
        }
        if (once)
            mask |= UINT64_C(1) << i;
    }
    return mask;
}

/* A Constant node's value never changes: decode it once, then lend the
 * cached tensor (borrowed, so nothing downstream frees or overwrites it).
 * Returns RK_EUNSUPPORTED for nodes this does not apply to. */
static rk_status run_constant_cached(ox_ctx *ctx, ox_node *n, rk_tensor *out, rk_err *e)
{
    if (strcmp(n->op_type, "Constant") != 0 || n->domain[0] || n->nout != 1 ||
        !ox_node_output_used(n, 0))
        return RK_EUNSUPPORTED;
    if (!n->const_cache.data) {
        rk_tensor fresh;
        rk_status st = run_kernel(ctx, n, NULL, &fresh, e);
        if (st != RK_OK)
            return st;
        n->const_cache = fresh;
    }
    memset(out, 0, sizeof *out);
    *out = n->const_cache;
    out->name = NULL;
    out->borrowed = true;
    if (rk_tensor_set_name(out, n->p->output[0]) != RK_OK)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    return RK_OK;
}

static rk_status run_node_in_graph(ox_model *m, ox_ctx *ctx, ox_node *n,
                                   const ox_run_opts *opts, const rk_tensor **inptr,
                                   rk_tensor *outbuf, rk_err *e)
{
    for (int i = 0; i < n->nin; i++) {
        int id = n->in[i];
        inptr[i] = NULL;
        if (id < 0)
            continue;
        if (!m->values[id].has_cur)
            return rk_errf(e, RK_EINTERNAL, "%s: input '%s' has no value", n->label,
                           m->values[id].name);
        inptr[i] = &m->values[id].cur;
    }
    uint64_t reusable = reusable_inputs(m, n);
    ctx->reusable = reusable;
    rk_status st = run_constant_cached(ctx, n, outbuf, e);
    if (st == RK_EUNSUPPORTED) /* not a cacheable Constant: run the kernel */
        st = run_kernel(ctx, n, inptr, outbuf, e);
    ctx->reusable = 0;
    if (st != RK_OK)
        return st;
    /* an output that took over a dying input's storage: the input lets go */
    for (int i = 0; i < n->nin && i < 64; i++) {
        if (!(reusable >> i & 1))
            continue;
        ox_value *v = &m->values[n->in[i]];
        for (int o = 0; o < n->nout; o++)
            if (v->has_cur && v->cur.data && outbuf[o].data == v->cur.data)
                v->cur.data = NULL;
    }
    for (int o = 0; o < n->nout; o++)
        if (n->out[o] >= 0) {
            ox_value *v = &m->values[n->out[o]];
            v->cur = outbuf[o];
            v->has_cur = true;
            memset(&outbuf[o], 0, sizeof outbuf[o]);
        }
    if (opts && opts->on_node) {
        for (int o = 0; o < n->nout; o++)
            if (n->out[o] >= 0)
                outbuf[o] = m->values[n->out[o]].cur; /* shallow view for the callback */
        st = opts->on_node(opts->user, m, n, outbuf, n->nout, e);
        memset(outbuf, 0, sizeof *outbuf * (size_t)n->nout);
        if (st != RK_OK)
            return st;
    }
    /* free what nobody reads any more (subgraph reads included) */
    for (int i = 0; i < n->nin + n->nimplicit; i++) {
        int id = i < n->nin ? n->in[i] : n->implicit[i - n->nin];
        if (id >= 0 && m->values[id].last_use == n->index && !m->values[id].is_output &&
            m->values[id].producer >= 0)
            release_value(&m->values[id]);
    }
    for (int o = 0; o < n->nout; o++) {
        int id = n->out[o];
        if (id >= 0 && m->values[id].last_use < 0 && !m->values[id].is_output)
            release_value(&m->values[id]);
    }
    return RK_OK;
}

static rk_status collect_outputs(ox_model *m, rk_tensor *outs, rk_err *e)
{
    for (int i = 0; i < m->noutputs; i++)
        memset(&outs[i], 0, sizeof outs[i]);
    for (int i = 0; i < m->noutputs; i++) {
        ox_value *v = &m->values[m->outputs[i]];
        int earlier = -1;
        for (int j = 0; j < i && earlier < 0; j++)
            if (m->outputs[j] == m->outputs[i])
                earlier = j;
        rk_status st = RK_OK;
        if (earlier >= 0) { /* the same tensor listed twice */
            st = ox_value_copy(&outs[i], &outs[earlier], e);
        } else if (!v->has_cur) {
            st = rk_errf(e, RK_EINTERNAL, "%s: output '%s' was not computed", m->path, v->name);
        } else if (v->cur.borrowed) { /* a graph input or initializer */
            st = ox_value_copy(&outs[i], &v->cur, e);
        } else { /* hand over ownership */
            outs[i] = v->cur;
            memset(&v->cur, 0, sizeof v->cur);
            v->has_cur = false;
        }
        if (st == RK_OK && rk_tensor_set_name(&outs[i], v->name) != RK_OK)
            st = rk_errf(e, RK_ENOMEM, "out of memory");
        if (st != RK_OK) {
            for (int j = 0; j <= i; j++)
                ox_value_free(&outs[j]);
            return st;
        }
    }
    return RK_OK;
}

static int max_node_arity(const ox_model *m)
{
    int mx = 1;
    for (int k = 0; k < m->nnodes; k++)
        mx = RK_MAX(mx, RK_MAX(m->nodes[k].nin, m->nodes[k].nout));
    return mx;
}

static void bind_initializers(ox_model *m)
{
    for (int v = 0; v < m->nvalues; v++)
        if (m->values[v].is_init) {
            borrow(&m->values[v].cur, &m->values[v].init);
            m->values[v].has_cur = true;
        }
}

/* Execute every node of m (values already bound) and collect outputs. */
static rk_status run_graph(ox_model *m, ox_ctx *ctx, const ox_run_opts *opts, rk_tensor *outs,
                           rk_err *e)
{
    rk_status st = RK_OK;
    int arity = max_node_arity(m);
    const rk_tensor **inptr = calloc((size_t)arity, sizeof *inptr);
    rk_tensor *outbuf = calloc((size_t)arity, sizeof *outbuf);
    if (!inptr || !outbuf)
        st = rk_errf(e, RK_ENOMEM, "out of memory");
    for (int k = 0; st == RK_OK && k < m->nnodes; k++)
        st = run_node_in_graph(m, ctx, &m->nodes[k], opts, inptr, outbuf, e);
    if (st == RK_OK)
        st = collect_outputs(m, outs, e);
    free(inptr);
    free(outbuf);
    return st;
}

rk_status ox_run(ox_model *m, const rk_tensor *inputs, int ninputs, const ox_run_opts *opts,
                 rk_tensor *outs, rk_err *e)
{
    rk_status st = ox_model_check_supported(m, e);
    if (st != RK_OK)
        return st;
    ox_ctx ctx = {.threads = opts && opts->threads > 1 ? opts->threads : 1};
    release_all(m);
    bind_initializers(m);
    st = bind_inputs(m, inputs, ninputs, !(opts && opts->skip_shape_check), e);
    if (st == RK_OK)
        st = run_graph(m, &ctx, opts, outs, e);
    release_all(m);
    return st;
}

rk_status ox_run_subgraph(ox_model *sub, ox_ctx *ctx, const rk_tensor *const *inputs, int nin,
                          rk_tensor *outs, rk_err *e)
{
    rk_status st = RK_OK;
    if (nin != sub->ninputs)
        return rk_errf(e, RK_EINPUT, "%s: subgraph '%s' takes %d inputs, %d given", sub->path,
                       sub->graph->name ? sub->graph->name : "", sub->ninputs, nin);
    release_all(sub);
    bind_initializers(sub);
    for (int v = 0; v < sub->nvalues && st == RK_OK; v++) {
        ox_value *val = &sub->values[v];
        if (!val->is_outer)
            continue;
        const ox_value *pv = &sub->parent->values[val->outer_id];
        if (!pv->has_cur)
            st = rk_errf(e, RK_EINTERNAL, "%s: outer value '%s' has no value", sub->path,
                         val->name);
        else {
            borrow(&val->cur, &pv->cur);
            val->has_cur = true;
        }
    }
    for (int i = 0; i < nin && st == RK_OK; i++) {
        ox_value *val = &sub->values[sub->inputs[i]];
        borrow(&val->cur, inputs[i]);
        val->has_cur = true;
    }
    if (st == RK_OK)
        st = run_graph(sub, ctx, NULL, outs, e);
    release_all(sub);
    return st;
}

rk_status ox_run_node(ox_model *m, const ox_node *n, const rk_tensor *const *in, int nin,
                      int threads, rk_tensor *outs, rk_err *e)
{
    if (!n->def)
        return rk_errf(e, RK_EUNSUPPORTED, "%s is not supported", n->label);
    if (nin != n->nin)
        return rk_errf(e, RK_EUSAGE, "%s: %d inputs given, the node declares %d", n->label, nin,
                       n->nin);
    ox_ctx ctx = {.threads = threads > 1 ? threads : 1};
    const rk_tensor **inptr = calloc((size_t)nin + 1, sizeof *inptr);
    if (!inptr)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    for (int i = 0; i < nin; i++) {
        inptr[i] = in ? in[i] : NULL;
        if (!inptr[i] && n->in[i] >= 0 && m->values[n->in[i]].is_init)
            inptr[i] = &m->values[n->in[i]].init;
        if (!inptr[i] && n->in[i] >= 0) {
            free(inptr);
            return rk_errf(e, RK_EUSAGE, "%s: input '%s' was not given", n->label,
                           m->values[n->in[i]].name);
        }
    }
    rk_status st = run_kernel(&ctx, n, inptr, outs, e);
    free(inptr);
    return st;
}
