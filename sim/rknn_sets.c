/*
 * rknn_sets.c - input-shape sets of dynamic models (one graph per set, see
 * rknn.h "input-shape sets"): listing, selecting the active graph, and
 * merging per-set models into one container (used by convert's
 * --dynamic-input).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rknn_internal.h"

uint32_t rknn_n_shape_sets(const rknn_model *m)
{
    return m ? m->n_graphs : 0;
}

/* Append printf-style text at *len of buf (size n), tracking the length it
 * would need like snprintf. */
static void put(char *buf, size_t n, size_t *len, const char *s)
{
    size_t l = strlen(s);
    if (*len < n)
        snprintf(buf + *len, n - *len, "%s", s);
    *len += l;
}

static void put_dims32(char *buf, size_t n, size_t *len, const int32_t *d, uint32_t nd)
{
    char num[16];
    put(buf, n, len, "[");
    for (uint32_t i = 0; i < nd; i++) {
        snprintf(num, sizeof num, "%s%d", i ? "," : "", (int)d[i]);
        put(buf, n, len, num);
    }
    put(buf, n, len, "]");
}

size_t rknn_shape_set_str(const rknn_model *m, uint32_t k, char *buf, size_t n)
{
    size_t len = 0;
    if (n)
        buf[0] = '\0';
    if (!m || k >= m->n_graphs)
        return 0;
    const rknn_graph *g = &m->graphs[k];
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        const rknn_tensor *t = &g->tensors[g->inputs[i]];
        if (i)
            put(buf, n, &len, ", ");
        if (g->n_inputs > 1) {
            put(buf, n, &len, t->name ? t->name : "?");
            put(buf, n, &len, " ");
        }
        put_dims32(buf, n, &len, t->shape, t->n_shape);
    }
    return len;
}

rk_status rknn_use_graph(rknn_model *m, uint32_t k, rk_err *e)
{
    if (!m || k >= m->n_graphs)
        return rk_errf(e, RK_EUSAGE, "shape set %u does not exist (the model has %u)", k, m ? m->n_graphs : 0);
    if (k == 0)
        return RK_OK;
    /* derived data (task lists) belongs to the active graph only */
    for (uint32_t i = 0; i < m->graphs[0].n_nodes; i++)
        rknn_free_node_derived(&m->graphs[0].nodes[i]);
    rknn_graph tmp = m->graphs[0];
    m->graphs[0] = m->graphs[k];
    m->graphs[k] = tmp;
    return rknn_finish(m, e);
}

/* given[] index for each input of graph g: by name, else the first unused
 * tensor in order (the rule of `rksim run`).  false when counts differ. */
static bool match_inputs(const rknn_graph *g, const rk_tensor *given, int n_given, int *pick)
{
    if ((uint32_t)n_given != g->n_inputs || n_given > 64)
        return false;
    bool used[64] = {false};
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        const char *name = g->tensors[g->inputs[i]].name;
        pick[i] = -1;
        for (int k = 0; k < n_given && name; k++)
            if (!used[k] && given[k].name && strcmp(given[k].name, name) == 0) {
                pick[i] = k;
                used[k] = true;
                break;
            }
    }
    for (uint32_t i = 0; i < g->n_inputs; i++)
        for (int k = 0; pick[i] < 0 && k < n_given; k++)
            if (!used[k]) {
                pick[i] = k;
                used[k] = true;
            }
    return true;
}

/* Shape of a given tensor as the model sees it (NCHW for an NHWC 4-D one). */
static void model_view(const rk_tensor *t, bool nhwc, int64_t *d, int *nd)
{
    *nd = t->ndim;
    memcpy(d, t->dims, sizeof(int64_t) * (size_t)t->ndim);
    if (nhwc && t->ndim == 4) {
        d[1] = t->dims[3];
        d[2] = t->dims[1];
        d[3] = t->dims[2];
    }
}

static bool same_shape(const rknn_tensor *t, const int64_t *d, int nd)
{
    if ((uint32_t)nd != t->n_shape)
        return false;
    for (int i = 0; i < nd; i++)
        if (t->shape[i] != d[i])
            return false;
    return true;
}

static bool graph_matches(const rknn_graph *g, const rk_tensor *given, int n_given, bool nhwc)
{
    int pick[64];
    if (!match_inputs(g, given, n_given, pick))
        return false;
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        int64_t d[RK_MAX_DIMS];
        int nd;
        model_view(&given[pick[i]], nhwc, d, &nd);
        if (!same_shape(&g->tensors[g->inputs[i]], d, nd))
            return false;
    }
    return true;
}

/* "input 'x' has shape [..]" / "inputs x [..], y [..] have shapes" text of
 * what was given, in graph-0 input order. */
static void given_str(const rknn_graph *g, const rk_tensor *given, int n_given, bool nhwc, char *buf, size_t n)
{
    int pick[64];
    size_t len = 0;
    buf[0] = '\0';
    if (!match_inputs(g, given, n_given, pick)) {
        snprintf(buf, n, "%d input tensor%s given for %u model inputs", n_given, n_given == 1 ? "" : "s",
                 g->n_inputs);
        return;
    }
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        int64_t d[RK_MAX_DIMS];
        int32_t d32[RK_MAX_DIMS];
        int nd;
        model_view(&given[pick[i]], nhwc, d, &nd);
        for (int k = 0; k < nd; k++)
            d32[k] = d[k] > INT32_MAX ? INT32_MAX : (int32_t)d[k];
        const char *name = g->tensors[g->inputs[i]].name;
        put(buf, n, &len, i ? ", " : (g->n_inputs > 1 ? "inputs " : "input '"));
        put(buf, n, &len, name ? name : "?");
        put(buf, n, &len, g->n_inputs > 1 ? " " : "' has shape ");
        put_dims32(buf, n, &len, d32, (uint32_t)nd);
    }
    if (g->n_inputs > 1)
        put(buf, n, &len, " (one set)");
}

rk_status rknn_select_shape_set(rknn_model *m, const rk_tensor *given, int n_given, bool nhwc,
                                uint32_t *picked, rk_err *e)
{
    if (picked)
        *picked = 0;
    if (!m || m->n_graphs <= 1)
        return RK_OK;
    for (uint32_t k = 0; k < m->n_graphs; k++)
        if (graph_matches(&m->graphs[k], given, n_given, nhwc)) {
            if (picked)
                *picked = k;
            return rknn_use_graph(m, k, e);
        }
    char have[512], sets[2048];
    size_t len = 0;
    given_str(&m->graphs[0], given, n_given, nhwc, have, sizeof have);
    sets[0] = '\0';
    for (uint32_t k = 0; k < m->n_graphs; k++) {
        char one[512];
        rknn_shape_set_str(m, k, one, sizeof one);
        put(sets, sizeof sets, &len, k ? (m->graphs[0].n_inputs > 1 ? "; " : ", ") : "");
        if (m->graphs[0].n_inputs > 1)
            put(sets, sizeof sets, &len, "{");
        put(sets, sizeof sets, &len, one);
        if (m->graphs[0].n_inputs > 1)
            put(sets, sizeof sets, &len, "}");
    }
    return rk_errf(e, RK_EINPUT, "%s; this model accepts %s (its %u input-shape sets)", have, sets,
                   m->n_graphs);
}

static bool kind_has_buffer(uint8_t kind)
{
    return kind == RKNN_KIND_CONST || kind == RKNN_KIND_CONST5 || kind == RKNN_KIND_TEMPLATE ||
           kind == RKNN_KIND_REGCMD || kind == RKNN_KIND_TASK;
}

rk_status rknn_append_graph_from(rknn_model *dst, rknn_model *src, rk_err *e)
{
    if (!src->n_graphs)
        return rk_errf(e, RK_EUSAGE, "merging shape sets: the source model has no graph");
    if (!dst->format || !src->format || strcmp(dst->format, src->format) != 0 || !dst->soc || !src->soc ||
        strcmp(dst->soc, src->soc) != 0)
        return rk_errf(e, RK_EUSAGE, "merging shape sets: models for different targets (%s/%s vs %s/%s)",
                       dst->format ? dst->format : "?", dst->soc ? dst->soc : "?",
                       src->format ? src->format : "?", src->soc ? src->soc : "?");
    if (dst->n_graphs == UINT32_MAX || (uint64_t)dst->n_buffers + src->n_buffers > INT32_MAX)
        return rk_errf(e, RK_EUSAGE, "merging shape sets: too many graphs or buffers");
    rknn_graph *gs = realloc(dst->graphs, ((size_t)dst->n_graphs + 1) * sizeof(*gs));
    if (!gs)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    dst->graphs = gs;
    rknn_buffer *bs = realloc(dst->buffers, ((size_t)dst->n_buffers + src->n_buffers + 1) * sizeof(*bs));
    if (!bs)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    dst->buffers = bs;
    int32_t off = (int32_t)dst->n_buffers;
    memcpy(dst->buffers + dst->n_buffers, src->buffers, src->n_buffers * sizeof(*bs));
    dst->n_buffers += src->n_buffers;
    memset(src->buffers, 0, src->n_buffers * sizeof(*bs)); /* moved: src frees nothing */

    rknn_graph *g = &dst->graphs[dst->n_graphs++];
    *g = src->graphs[0];
    memset(&src->graphs[0], 0, sizeof(src->graphs[0]));
    for (uint32_t i = 0; i < g->n_nodes; i++)
        rknn_free_node_derived(&g->nodes[i]);
    for (uint32_t i = 0; i < g->n_tensors; i++)
        if (kind_has_buffer(g->tensors[i].kind))
            g->tensors[i].buffer_index += off;
    for (int k = 0; k < 3; k++)
        if (src->mem_present[k]) {
            dst->mem[k] = dst->mem[k] > src->mem[k] ? dst->mem[k] : src->mem[k];
            dst->mem_present[k] = true;
        }
    return rknn_finish(dst, e);
}
