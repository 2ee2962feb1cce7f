/*
 * graph.c - turning the parsed GraphProto into the runner's graph: value
 * table (graph inputs, initializers, node outputs), nodes with resolved
 * kernels, topological order, tensor lifetimes, declared types.
 * Also the node / attribute accessors of ox_op.h and the introspection
 * functions of onnxref.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ox_internal.h"

/* ---- name -> value id hash ------------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

int ox_model_find_value(const ox_model *m, const char *name)
{
    if (!name || !name[0] || !m->hash_cap)
        return -1;
    size_t mask = (size_t)m->hash_cap - 1;
    for (size_t i = hash_str(name) & mask;; i = (i + 1) & mask) {
        int id = m->hash[i];
        if (id < 0)
            return -1;
        if (strcmp(m->values[id].name, name) == 0)
            return id;
    }
}

/* Add a value named `name` (must not exist yet); returns its id. */
static int add_value(ox_model *m, const char *name)
{
    size_t mask = (size_t)m->hash_cap - 1;
    size_t i = hash_str(name) & mask;
    while (m->hash[i] >= 0)
        i = (i + 1) & mask;
    int id = m->nvalues++;
    m->hash[i] = id;
    ox_value *v = &m->values[id];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->producer = -1;
    v->last_use = -1;
    v->info = -1;
    return id;
}

/* ---- declared types --------------------------------------------------- */

static void fill_info(ox_value_info *vi, const Onnx__ValueInfoProto *p)
{
    memset(vi, 0, sizeof *vi);
    vi->name = p->name ? p->name : "";
    vi->ndim = -1;
    const Onnx__TypeProto *tp = p->type;
    if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE)
        vi->kind = OX_KIND_SEQUENCE;
    else if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE)
        vi->kind = OX_KIND_OPTIONAL;
    else if (tp && tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
             tp->value_case != ONNX__TYPE_PROTO__VALUE__NOT_SET)
        vi->kind = OX_KIND_OTHER;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return;
    vi->dtype = ox_dtype_from_onnx(tp->tensor_type->elem_type);
    const Onnx__TensorShapeProto *sh = tp->tensor_type->shape;
    if (!sh || sh->n_dim > RK_MAX_DIMS)
        return;
    vi->ndim = (int)sh->n_dim;
    for (size_t i = 0; i < sh->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = sh->dim[i];
        vi->dims[i] = -1;
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
            vi->dims[i] = d->dim_value;
        else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                 d->dim_param && d->dim_param[0])
            vi->dim_params[i] = d->dim_param;
    }
}

/* ---- building --------------------------------------------------------- */

static rk_status add_initializers(ox_model *m, const Onnx__GraphProto *g, rk_err *e)
{
    if (g->n_sparse_initializer)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: sparse initializers are not supported (%s)",
                       m->path, g->sparse_initializer[0]->values &&
                       g->sparse_initializer[0]->values->name ?
                       g->sparse_initializer[0]->values->name : "unnamed");
    for (size_t i = 0; i < g->n_initializer; i++) {
        const Onnx__TensorProto *tp = g->initializer[i];
        if (!tp->name || !tp->name[0])
            return rk_errf(e, RK_EINPUT, "%s: initializer #%zu has no name", m->path, i);
        if (ox_model_find_value(m, tp->name) >= 0)
            return rk_errf(e, RK_EINPUT, "%s: initializer '%s' is defined twice", m->path,
                           tp->name);
        int id = add_value(m, tp->name);
        m->values[id].is_init = true;
        rk_status st = ox_tensor_view_proto(tp, m->base_dir, &m->values[id].init, e);
        if (st != RK_OK)
            return rk_err_wrap(e, "%s: initializer", m->path);
    }
    return RK_OK;
}

static rk_status add_graph_inputs(ox_model *m, const Onnx__GraphProto *g, rk_err *e)
{
    m->inputs = calloc(g->n_input + 1, sizeof *m->inputs);
    m->input_info = calloc(g->n_input + 1, sizeof *m->input_info);
    if (!m->inputs || !m->input_info)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    for (size_t i = 0; i < g->n_input; i++) {
        const Onnx__ValueInfoProto *vp = g->input[i];
        if (!vp->name || !vp->name[0])
            return rk_errf(e, RK_EINPUT, "%s: graph input #%zu has no name", m->path, i);
        int id = ox_model_find_value(m, vp->name);
        int info = m->ninfos++;
        fill_info(&m->infos[info], vp);
        if (id >= 0 && m->values[id].is_init) { /* initializer with a declared input: default */
            m->values[id].info = info;
            continue;
        }
        if (id >= 0)
            return rk_errf(e, RK_EINPUT, "%s: graph input '%s' is listed twice", m->path,
                           vp->name);
        id = add_value(m, vp->name);
        m->values[id].is_input = true;
        m->values[id].info = info;
        m->input_info[m->ninputs] = info;
        m->inputs[m->ninputs++] = id;
    }
    return RK_OK;
}

static void make_label(ox_node *n)
{
    const char *first_out = "";
    for (size_t o = 0; o < n->p->n_output && !first_out[0]; o++)
        first_out = n->p->output[o] ? n->p->output[o] : "";
    if (n->name[0])
        snprintf(n->label, sizeof n->label, "%s '%s' (opset %d)", n->op_type, n->name, n->opset);
    else
        snprintf(n->label, sizeof n->label, "%s producing '%s' (opset %d)", n->op_type,
                 first_out, n->opset);
}

static rk_status init_node(ox_model *m, ox_node *n, const Onnx__NodeProto *np, rk_err *e)
{
    n->p = np;
    n->op_type = np->op_type ? np->op_type : "";
    n->name = np->name ? np->name : "";
    n->domain = np->domain ? np->domain : "";
    if (strcmp(n->domain, "ai.onnx") == 0)
        n->domain = "";
    n->opset = ox_model_opset(m, n->domain);
    make_label(n);
    if (!n->op_type[0])
        return rk_errf(e, RK_EINPUT, "%s: node '%s' has no op_type", m->path, n->name);
    n->nin = (int)np->n_input;
    n->nout = (int)np->n_output;
    n->in = calloc(np->n_input + 1, sizeof *n->in);
    n->out = calloc(np->n_output + 1, sizeof *n->out);
    n->attrs = calloc(np->n_attribute + 1, sizeof *n->attrs);
    if (!n->in || !n->out || !n->attrs)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    for (size_t a = 0; a < np->n_attribute; a++) {
        const Onnx__AttributeProto *ap = np->attribute[a];
        ox_attr *at = &n->attrs[n->nattr++];
        at->p = ap;
        if (ap->has_s || ap->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING) {
            at->s = calloc(ap->s.len + 1, 1);
            if (!at->s)
                return rk_errf(e, RK_ENOMEM, "out of memory");
            if (ap->s.len)
                memcpy(at->s, ap->s.data, ap->s.len);
        }
    }
    n->def = n->opset > 0 ? ox_registry_find(n->domain, n->op_type, n->opset) : NULL;
    return RK_OK;
}

/* A name a subgraph reads from an enclosing graph becomes a local value
 * bound at run time (is_outer), recursively through every level between.
 * Returns the local id, or -1 when no enclosing graph defines it. */
static int resolve_outer(ox_model *m, const char *name)
{
    if (!m->parent)
        return -1;
    int pid = ox_model_find_value(m->parent, name);
    if (pid < 0)
        pid = resolve_outer(m->parent, name);
    if (pid < 0 || m->nvalues >= m->values_cap)
        return -1;
    int id = add_value(m, m->parent->values[pid].name);
    m->values[id].is_outer = true;
    m->values[id].outer_id = pid;
    return id;
}

/* Node outputs become values; node inputs must name a known value. */
static rk_status link_nodes(ox_model *m, ox_node *nodes, int count, rk_err *e)
{
    for (int k = 0; k < count; k++) {
        ox_node *n = &nodes[k];
        for (int o = 0; o < n->nout; o++) {
            const char *name = n->p->output[o];
            n->out[o] = -1;
            if (!name || !name[0])
                continue;
            if (ox_model_find_value(m, name) >= 0)
                return rk_errf(e, RK_EINPUT, "%s: tensor '%s' (output of %s) is defined twice",
                               m->path, name, n->label);
            int id = add_value(m, name);
            m->values[id].producer = k;
            n->out[o] = id;
        }
    }
    for (int k = 0; k < count; k++) {
        ox_node *n = &nodes[k];
        for (int i = 0; i < n->nin; i++) {
            const char *name = n->p->input[i];
            n->in[i] = -1;
            if (!name || !name[0])
                continue;
            int id = ox_model_find_value(m, name);
            if (id < 0)
                id = resolve_outer(m, name);
            if (id < 0)
                return rk_errf(e, RK_EINPUT, "%s: input '%s' of %s is not a graph input, "
                               "initializer or node output%s", m->path, name, n->label,
                               m->parent ? " (nor of an enclosing graph)" : "");
            n->in[i] = id;
        }
    }
    return RK_OK;
}

#define OX_MAX_GRAPH_DEPTH 32

static rk_status add_implicit(ox_node *n, int id)
{
    for (int i = 0; i < n->nimplicit; i++)
        if (n->implicit[i] == id)
            return RK_OK;
    int *p = realloc(n->implicit, sizeof *p * (size_t)(n->nimplicit + 1));
    if (!p)
        return RK_ENOMEM;
    n->implicit = p;
    n->implicit[n->nimplicit++] = id;
    return RK_OK;
}

/* Build every GRAPH attribute of the nodes as a child model whose outer
 * references resolve into m; record them as the node's implicit inputs. */
static rk_status build_subgraphs(ox_model *m, ox_node *nodes, int count, rk_err *e)
{
    for (int k = 0; k < count; k++) {
        ox_node *n = &nodes[k];
        for (int a = 0; a < n->nattr; a++) {
            const Onnx__AttributeProto *ap = n->attrs[a].p;
            if (!ap->g)
                continue;
            if (m->depth >= OX_MAX_GRAPH_DEPTH)
                return rk_errf(e, RK_EUNSUPPORTED, "%s: subgraphs nested deeper than %d at %s",
                               m->path, OX_MAX_GRAPH_DEPTH, n->label);
            ox_model *c = calloc(1, sizeof *c);
            if (!c)
                return rk_errf(e, RK_ENOMEM, "out of memory");
            n->attrs[a].sub = c;
            c->parent = m;
            c->depth = m->depth + 1;
            c->graph = ap->g;
            c->path = m->path;
            c->base_dir = m->base_dir;
            c->opsets = m->opsets;
            c->nopsets = m->nopsets;
            rk_status st = ox_graph_build(c, e);
            if (st != RK_OK)
                return rk_err_wrap(e, "subgraph '%s' of %s", ap->name ? ap->name : "", n->label);
            for (int v = 0; v < c->nvalues; v++)
                if (c->values[v].is_outer && add_implicit(n, c->values[v].outer_id) != RK_OK)
                    return rk_errf(e, RK_ENOMEM, "out of memory");
        }
    }
    return RK_OK;
}

/* Kahn's algorithm, stable (keeps file order among ready nodes, which is
 * already topological for valid ONNX). */
static rk_status topo_sort(ox_model *m, ox_node *nodes, int count, rk_err *e)
{
    rk_status st = RK_OK;
    int *pending = calloc((size_t)count + 1, sizeof *pending);
    int *order = calloc((size_t)count + 1, sizeof *order);
    int *newpos = calloc((size_t)count + 1, sizeof *newpos);
    bool *done = calloc((size_t)count + 1, sizeof *done);
    m->nodes = calloc((size_t)count + 1, sizeof *m->nodes);
    if (!pending || !order || !newpos || !done || !m->nodes) {
        st = rk_errf(e, RK_ENOMEM, "out of memory");
        goto out;
    }
    int placed = 0;
    bool progress = true;
    while (placed < count && progress) {
        progress = false;
        for (int k = 0; k < count; k++) {
            if (done[k])
                continue;
            bool ready = true;
            for (int i = 0; i < nodes[k].nin + nodes[k].nimplicit && ready; i++) {
                int id = i < nodes[k].nin ? nodes[k].in[i] : nodes[k].implicit[i - nodes[k].nin];
                if (id >= 0 && m->values[id].producer >= 0 && !done[m->values[id].producer])
                    ready = false;
            }
            if (!ready)
                continue;
            done[k] = true;
            newpos[k] = placed;
            order[placed++] = k;
            progress = true;
        }
    }
    if (placed < count) {
        for (int k = 0; k < count; k++)
            if (!done[k]) {
                st = rk_errf(e, RK_EINPUT, "%s: the graph has a cycle through %s", m->path,
                             nodes[k].label);
                goto out;
            }
    }
    for (int p = 0; p < count; p++) {
        m->nodes[p] = nodes[order[p]];
        m->nodes[p].index = p;
    }
    m->nnodes = count;
    for (int v = 0; v < m->nvalues; v++)
        if (m->values[v].producer >= 0)
            m->values[v].producer = newpos[m->values[v].producer];
out:
    free(pending);
    free(order);
    free(newpos);
    free(done);
    return st;
}

static rk_status add_outputs_and_infos(ox_model *m, const Onnx__GraphProto *g, rk_err *e)
{
    m->outputs = calloc(g->n_output + 1, sizeof *m->outputs);
    m->output_info = calloc(g->n_output + 1, sizeof *m->output_info);
    if (!m->outputs || !m->output_info)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    for (size_t i = 0; i < g->n_output; i++) {
        const Onnx__ValueInfoProto *vp = g->output[i];
        int id = ox_model_find_value(m, vp->name);
        if (id < 0)
            return rk_errf(e, RK_EINPUT, "%s: graph output '%s' is produced by no node",
                           m->path, vp->name ? vp->name : "");
        int info = m->ninfos++;
        fill_info(&m->infos[info], vp);
        m->values[id].is_output = true;
        if (m->values[id].info < 0)
            m->values[id].info = info;
        m->output_info[m->noutputs] = info;
        m->outputs[m->noutputs++] = id;
    }
    for (size_t i = 0; i < g->n_value_info; i++) {
        const Onnx__ValueInfoProto *vp = g->value_info[i];
        int id = ox_model_find_value(m, vp->name);
        if (id < 0 || m->values[id].info >= 0)
            continue;
        int info = m->ninfos++;
        fill_info(&m->infos[info], vp);
        m->values[id].info = info;
    }
    for (int k = 0; k < m->nnodes; k++) {
        const ox_node *n = &m->nodes[k];
        for (int i = 0; i < n->nin; i++)
            if (n->in[i] >= 0)
                m->values[n->in[i]].last_use = k;
        for (int i = 0; i < n->nimplicit; i++)
            m->values[n->implicit[i]].last_use = k;
    }
    return RK_OK;
}

static rk_status collect_unsupported(ox_model *m, rk_err *e)
{
    m->unsupported = calloc((size_t)m->nnodes + 1, sizeof *m->unsupported);
    if (!m->unsupported)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    for (int k = 0; k < m->nnodes; k++)
        if (!m->nodes[k].def)
            m->unsupported[m->nunsupported++] = k;
    return RK_OK;
}

/* Node inputs of g and of all its subgraphs: bounds the names those
 * subgraphs can import from the enclosing graphs. */
static size_t count_inputs(const Onnx__GraphProto *g, int depth)
{
    size_t n = 0;
    for (size_t k = 0; k < g->n_node; k++) {
        const Onnx__NodeProto *np = g->node[k];
        n += np->n_input;
        for (size_t a = 0; a < np->n_attribute && depth < OX_MAX_GRAPH_DEPTH; a++)
            if (np->attribute[a]->g)
                n += count_inputs(np->attribute[a]->g, depth + 1);
    }
    return n;
}

/* Upper bound on the values of graph g: its own names, plus (subgraphs
 * only) what it and its descendants may import from enclosing graphs. */
static size_t count_names(const ox_model *m, const Onnx__GraphProto *g)
{
    size_t n = g->n_initializer + g->n_input + 1;
    for (size_t k = 0; k < g->n_node; k++)
        n += g->node[k]->n_output;
    return n + count_inputs(g, m->depth);
}

rk_status ox_graph_build(ox_model *m, rk_err *e)
{
    const Onnx__GraphProto *g = m->graph;
    size_t cap = count_names(m, g);
    if (g->n_node > (size_t)1 << 26 || cap > (size_t)1 << 28)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: graph too large", m->path);
    m->hash_cap = 16;
    while ((size_t)m->hash_cap < 2 * cap)
        m->hash_cap *= 2;
    m->hash = malloc((size_t)m->hash_cap * sizeof *m->hash);
    m->values = calloc(cap, sizeof *m->values);
    m->values_cap = (int)cap;
    m->infos = calloc(g->n_input + g->n_output + g->n_value_info + 1, sizeof *m->infos);
    ox_node *nodes = calloc(g->n_node + 1, sizeof *nodes);
    rk_status st = RK_OK;
    if (!m->hash || !m->values || !m->infos || !nodes) {
        free(nodes);
        return rk_errf(e, RK_ENOMEM, "out of memory");
    }
    memset(m->hash, 0xff, (size_t)m->hash_cap * sizeof *m->hash);
    st = add_initializers(m, g, e);
    if (st == RK_OK)
        st = add_graph_inputs(m, g, e);
    for (size_t k = 0; st == RK_OK && k < g->n_node; k++)
        st = init_node(m, &nodes[k], g->node[k], e);
    if (st == RK_OK)
        st = link_nodes(m, nodes, (int)g->n_node, e);
    if (st == RK_OK)
        st = build_subgraphs(m, nodes, (int)g->n_node, e);
    if (st == RK_OK)
        st = topo_sort(m, nodes, (int)g->n_node, e);
    if (st != RK_OK) {
        /* nodes not yet owned by m->nodes (zeroed entries are harmless) */
        if (!m->nnodes)
            for (size_t k = 0; k < g->n_node; k++)
                ox_node_release(&nodes[k]);
        free(nodes);
        return st;
    }
    free(nodes);
    st = add_outputs_and_infos(m, g, e);
    if (st == RK_OK)
        st = collect_unsupported(m, e);
    return st;
}

/* ---- ox_op.h node accessors ------------------------------------------- */

const char *ox_node_label(const ox_node *n) { return n->label; }
const char *ox_node_op_type(const ox_node *n) { return n->op_type; }
int ox_node_opset(const ox_node *n) { return n->opset; }
int ox_node_num_inputs(const ox_node *n) { return n->nin; }
int ox_node_num_outputs(const ox_node *n) { return n->nout; }
bool ox_node_output_used(const ox_node *n, int i)
{
    return i >= 0 && i < n->nout && n->p->output[i] && n->p->output[i][0];
}

static const ox_attr *find_attr(const ox_node *n, const char *name)
{
    for (int i = 0; i < n->nattr; i++)
        if (n->attrs[i].p->name && strcmp(n->attrs[i].p->name, name) == 0)
            return &n->attrs[i];
    return NULL;
}

ox_attr_type ox_attr_kind(const ox_node *n, const char *name)
{
    const ox_attr *a = find_attr(n, name);
    if (!a)
        return OX_ATTR_NONE;
    switch (a->p->type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return OX_ATTR_FLOAT;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return OX_ATTR_INT;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return OX_ATTR_STRING;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: return OX_ATTR_TENSOR;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: return OX_ATTR_FLOATS;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: return OX_ATTR_INTS;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: return OX_ATTR_STRINGS;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: return OX_ATTR_GRAPH;
    default:
        /* type-less attributes from very old exporters: guess from content */
        if (a->p->has_f) return OX_ATTR_FLOAT;
        if (a->p->has_i) return OX_ATTR_INT;
        if (a->p->has_s) return OX_ATTR_STRING;
        if (a->p->t) return OX_ATTR_TENSOR;
        if (a->p->n_floats) return OX_ATTR_FLOATS;
        if (a->p->n_ints) return OX_ATTR_INTS;
        return OX_ATTR_NONE;
    }
}

bool ox_attr_has(const ox_node *n, const char *name) { return find_attr(n, name) != NULL; }

int64_t ox_attr_int_or(const ox_node *n, const char *name, int64_t dflt)
{
    ox_attr_type k = ox_attr_kind(n, name);
    if (k == OX_ATTR_INT)
        return find_attr(n, name)->p->i;
    if (k == OX_ATTR_FLOAT) { /* tolerated when exact: some exporters write 1.0 for 1 */
        float f = find_attr(n, name)->p->f;
        if (f >= -9007199254740992.0f && f <= 9007199254740992.0f && f == (float)(int64_t)f)
            return (int64_t)f;
    }
    return dflt;
}

float ox_attr_float_or(const ox_node *n, const char *name, float dflt)
{
    ox_attr_type k = ox_attr_kind(n, name);
    if (k == OX_ATTR_FLOAT)
        return find_attr(n, name)->p->f;
    if (k == OX_ATTR_INT)
        return (float)find_attr(n, name)->p->i;
    return dflt;
}

const char *ox_attr_string_or(const ox_node *n, const char *name, const char *dflt)
{
    const ox_attr *a = find_attr(n, name);
    return a && a->s ? a->s : dflt;
}

int ox_attr_ints(const ox_node *n, const char *name, const int64_t **vals)
{
    const ox_attr *a = find_attr(n, name);
    *vals = NULL;
    if (!a)
        return -1;
    if (a->p->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT) {
        *vals = &a->p->i; /* a single int where a list was expected */
        return 1;
    }
    *vals = a->p->ints;
    return (int)a->p->n_ints;
}

int ox_attr_floats(const ox_node *n, const char *name, const float **vals)
{
    const ox_attr *a = find_attr(n, name);
    *vals = NULL;
    if (!a)
        return -1;
    if (a->p->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT) {
        *vals = &a->p->f;
        return 1;
    }
    *vals = a->p->floats;
    return (int)a->p->n_floats;
}

rk_status ox_attr_tensor(const ox_node *n, const char *name, rk_tensor *out, rk_err *e)
{
    const ox_attr *a = find_attr(n, name);
    memset(out, 0, sizeof *out);
    if (!a || !a->p->t)
        return rk_errf(e, RK_EINPUT, "%s: attribute '%s' is not a tensor", n->label, name);
    /* base_dir is not reachable from a node: external data in attribute
     * tensors is refused by ox_tensor_from_proto (NULL base_dir). */
    rk_status st = ox_tensor_from_proto(a->p->t, NULL, out, e);
    if (st != RK_OK)
        return rk_err_wrap(e, "%s: attribute '%s'", n->label, name);
    return RK_OK;
}

/* ---- onnxref.h introspection ----------------------------------------- */

int ox_model_num_nodes(const ox_model *m) { return m->nnodes; }
const ox_node *ox_model_node(const ox_model *m, int i)
{
    return i >= 0 && i < m->nnodes ? &m->nodes[i] : NULL;
}
int ox_node_index(const ox_node *n) { return n->index; }
const char *ox_node_name(const ox_node *n) { return n->name; }
const char *ox_node_domain(const ox_node *n) { return n->domain; }
const char *ox_node_input_name(const ox_node *n, int i)
{
    return i >= 0 && i < n->nin && n->p->input[i] ? n->p->input[i] : "";
}
const char *ox_node_output_name(const ox_node *n, int i)
{
    return i >= 0 && i < n->nout && n->p->output[i] ? n->p->output[i] : "";
}
int ox_node_num_attrs(const ox_node *n) { return n->nattr; }
const char *ox_node_attr_name(const ox_node *n, int i)
{
    return i >= 0 && i < n->nattr && n->attrs[i].p->name ? n->attrs[i].p->name : "";
}

int ox_model_num_inputs(const ox_model *m) { return m->ninputs; }
const ox_value_info *ox_model_input(const ox_model *m, int i)
{
    return i >= 0 && i < m->ninputs ? &m->infos[m->input_info[i]] : NULL;
}
int ox_model_num_outputs(const ox_model *m) { return m->noutputs; }
const ox_value_info *ox_model_output(const ox_model *m, int i)
{
    return i >= 0 && i < m->noutputs ? &m->infos[m->output_info[i]] : NULL;
}

const rk_tensor *ox_model_initializer(const ox_model *m, const char *name)
{
    int id = ox_model_find_value(m, name);
    return id >= 0 && m->values[id].is_init ? &m->values[id].init : NULL;
}

const ox_node *ox_model_producer(const ox_model *m, const char *tensor_name)
{
    int id = ox_model_find_value(m, tensor_name);
    return id >= 0 && m->values[id].producer >= 0 ? &m->nodes[m->values[id].producer] : NULL;
}

const ox_value_info *ox_model_value_info(const ox_model *m, const char *tensor_name)
{
    int id = ox_model_find_value(m, tensor_name);
    return id >= 0 && m->values[id].info >= 0 ? &m->infos[m->values[id].info] : NULL;
}

int ox_model_num_unsupported(const ox_model *m) { return m->nunsupported; }
const ox_node *ox_model_unsupported_node(const ox_model *m, int i)
{
    return i >= 0 && i < m->nunsupported ? &m->nodes[m->unsupported[i]] : NULL;
}

/* Appends every unsupported node of m and of its subgraphs to buf. */
static void list_unsupported(const ox_model *m, char *buf, size_t cap, size_t *used, int *count)
{
    for (int k = 0; k < m->nnodes; k++) {
        const ox_node *n = &m->nodes[k];
        if (!n->def && *used < cap) {
            if (n->opset == 0)
                *used += (size_t)snprintf(buf + *used, cap - *used,
                                          "%s %s (domain '%s' not imported)", *count ? "," : "",
                                          n->label, n->domain);
            else
                *used += (size_t)snprintf(buf + *used, cap - *used, "%s %s%s%s%s",
                                          *count ? "," : "", n->label,
                                          n->domain[0] ? " domain " : "", n->domain,
                                          m->parent ? " in a subgraph" : "");
        }
        if (!n->def)
            (*count)++;
        for (int a = 0; a < n->nattr; a++)
            if (n->attrs[a].sub)
                list_unsupported(n->attrs[a].sub, buf, cap, used, count);
    }
}

rk_status ox_model_check_supported(const ox_model *m, rk_err *e)
{
    char list[RK_ERR_MAX];
    size_t used = 0;
    int count = 0;
    list[0] = 0;
    list_unsupported(m, list, sizeof list, &used, &count);
    if (!count)
        return RK_OK;
    if (used >= sizeof list) /* keep the reader aware the list was cut */
        memcpy(list + sizeof list - 5, " ...", 5);
    return rk_errf(e, RK_EUNSUPPORTED, "%s: %d unsupported operator%s:%s", m->path, count,
                   count == 1 ? "" : "s", list);
}
