/*
 * rknn_pydict.c - decoding the generator string (Model[3]): a Python repr
 * of a dict, e.g. {'attrs': {'input': {'idx': 1, 'shape': [1, 3, 128, 128],
 * 'mean': [0, 0, 0], ...}}, 'quant_tab': {'input': {'dtype': 'float32',
 * 'qmethod': 'layer', 'min': [0.0], ...}}, 'dynamic_shapes': {}}
 * (format observed in every vendor file, rknn-format.md §1.4).
 *
 * A tiny recursive-descent parser for Python literals (dict, list, tuple,
 * str, int, float, True/False/None, inf/nan) builds a throw-away tree; the
 * per-tensor entries are then copied into rknn_gen_attr / rknn_gen_quant.
 * Depth is limited and every node consumes input, so hostile text cannot
 * blow the stack or memory beyond a multiple of its length.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rknn_internal.h"

#define PY_MAX_DEPTH 32

typedef enum { PY_NONE, PY_BOOL, PY_NUM, PY_STR, PY_LIST, PY_DICT } py_type;

typedef struct py_val {
    py_type type;
    double num;
    char *str;             /* PY_STR */
    struct py_val *items;  /* PY_LIST: values; PY_DICT: values */
    char **keys;           /* PY_DICT: string keys (non-string keys: NULL) */
    size_t n;
} py_val;

typedef struct py_parser {
    const char *s;
    size_t pos, len;
    char err[128];
} py_parser;

static void py_free(py_val *v)
{
    free(v->str);
    for (size_t i = 0; i < v->n; i++) {
        py_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    memset(v, 0, sizeof(*v));
}

static void skip_ws(py_parser *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]))
        p->pos++;
}

static bool fail(py_parser *p, const char *what)
{
    if (!p->err[0])
        snprintf(p->err, sizeof(p->err), "%s at character %zu", what, p->pos);
    return false;
}

static bool parse_value(py_parser *p, py_val *v, int depth);

static bool parse_string(py_parser *p, py_val *v)
{
    char q = p->s[p->pos++];
    size_t start = p->pos;
    char *out = malloc(p->len - start + 1);
    if (!out)
        return fail(p, "out of memory");
    size_t n = 0;
    while (p->pos < p->len && p->s[p->pos] != q) {
        char c = p->s[p->pos++];
        if (c == '\\' && p->pos < p->len) {
            char x = p->s[p->pos++];
            c = x == 'n' ? '\n' : x == 't' ? '\t' : x;
        }
        out[n++] = c;
    }
    if (p->pos >= p->len) {
        free(out);
        return fail(p, "unterminated string");
    }
    p->pos++;
    out[n] = 0;
    v->type = PY_STR;
    v->str = out;
    return true;
}

static bool parse_word(py_parser *p, py_val *v)
{
    static const struct {
        const char *w;
        py_type t;
        double num;
    } words[] = {{"True", PY_BOOL, 1},     {"False", PY_BOOL, 0},
                 {"None", PY_NONE, 0},     {"inf", PY_NUM, INFINITY},
                 {"-inf", PY_NUM, -INFINITY}, {"nan", PY_NUM, NAN}};
    for (size_t i = 0; i < RK_ARRAY_LEN(words); i++) {
        size_t l = strlen(words[i].w);
        if (p->len - p->pos >= l && strncmp(p->s + p->pos, words[i].w, l) == 0) {
            p->pos += l;
            v->type = words[i].t;
            v->num = words[i].num;
            return true;
        }
    }
    char buf[64];
    size_t n = 0;
    while (p->pos < p->len && n < sizeof(buf) - 1 &&
           strchr("0123456789+-.eE", p->s[p->pos]))
        buf[n++] = p->s[p->pos++];
    buf[n] = 0;
    char *end;
    double d = strtod(buf, &end);
    if (!n || *end)
        return fail(p, "unexpected character");
    v->type = PY_NUM;
    v->num = d;
    return true;
}

static bool grow_items(py_parser *p, py_val *v, bool keys)
{
    py_val *it = realloc(v->items, (v->n + 1) * sizeof(*it));
    if (!it)
        return fail(p, "out of memory");
    v->items = it;
    memset(&it[v->n], 0, sizeof(*it));
    if (keys) {
        char **k = realloc(v->keys, (v->n + 1) * sizeof(*k));
        if (!k)
            return fail(p, "out of memory");
        v->keys = k;
        k[v->n] = NULL;
    }
    v->n++;
    return true;
}

static bool parse_seq(py_parser *p, py_val *v, char close, bool dict,
                      int depth)
{
    p->pos++;
    v->type = dict ? PY_DICT : PY_LIST;
    for (;;) {
        skip_ws(p);
        if (p->pos >= p->len)
            return fail(p, "unterminated list or dict");
        if (p->s[p->pos] == close) {
            p->pos++;
            return true;
        }
        if (!grow_items(p, v, dict))
            return false;
        if (dict) {
            py_val key = {0};
            if (!parse_value(p, &key, depth + 1)) {
                py_free(&key);
                return false;
            }
            v->keys[v->n - 1] = key.type == PY_STR ? key.str : NULL;
            if (key.type == PY_STR)
                key.str = NULL;
            py_free(&key);
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
                return fail(p, "expected ':'");
            p->pos++;
        }
        if (!parse_value(p, &v->items[v->n - 1], depth + 1))
            return false;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',')
            p->pos++;
        else if (p->pos >= p->len || p->s[p->pos] != close)
            return fail(p, "expected ',' or a closing bracket");
    }
}

static bool parse_value(py_parser *p, py_val *v, int depth)
{
    if (depth > PY_MAX_DEPTH)
        return fail(p, "nesting too deep");
    skip_ws(p);
    if (p->pos >= p->len)
        return fail(p, "unexpected end");
    char c = p->s[p->pos];
    if (c == '{')
        return parse_seq(p, v, '}', true, depth);
    if (c == '[')
        return parse_seq(p, v, ']', false, depth);
    if (c == '(')
        return parse_seq(p, v, ')', false, depth);
    if (c == '\'' || c == '"')
        return parse_string(p, v);
    return parse_word(p, v);
}

static const py_val *py_get(const py_val *d, const char *key)
{
    if (!d || d->type != PY_DICT)
        return NULL;
    for (size_t i = 0; i < d->n; i++)
        if (d->keys[i] && strcmp(d->keys[i], key) == 0)
            return &d->items[i];
    return NULL;
}

static char *py_strdup(const py_val *d, const char *key)
{
    const py_val *v = py_get(d, key);
    return v && v->type == PY_STR ? strdup(v->str) : NULL;
}

/* Copy a list of numbers; strings (symbolic dims) become -1. */
static bool py_numbers(const py_val *d, const char *key, void **out,
                       uint32_t *n, int kind /* 0 float, 1 double, 2 i64 */)
{
    const py_val *v = py_get(d, key);
    *out = NULL;
    *n = 0;
    if (!v || v->type != PY_LIST)
        return true;
    size_t el = kind == 0 ? sizeof(float) : 8;
    void *arr = calloc(v->n ? v->n : 1, el);
    if (!arr)
        return false;
    for (size_t i = 0; i < v->n; i++) {
        double x = v->items[i].type == PY_NUM ? v->items[i].num : -1;
        if (kind == 0)
            ((float *)arr)[i] = (float)x;
        else if (kind == 1)
            ((double *)arr)[i] = x;
        else
            ((int64_t *)arr)[i] = (isfinite(x) && fabs(x) < 9e18) ? (int64_t)x : -1;
    }
    *out = arr;
    *n = (uint32_t)v->n;
    return true;
}

static bool fill_attr(rknn_gen_attr *a, const char *name, const py_val *d)
{
    const py_val *v;
    a->name = strdup(name);
    if ((v = py_get(d, "idx")) && v->type == PY_NUM)
        a->idx = (int32_t)v->num;
    if ((v = py_get(d, "is_output")) && v->type == PY_BOOL)
        a->is_output = v->num != 0;
    if ((v = py_get(d, "rgb2bgr")) && v->type == PY_BOOL)
        a->rgb2bgr = v->num != 0;
    a->layout = py_strdup(d, "layout");
    a->layout_ori = py_strdup(d, "layout_ori");
    a->dtype = py_strdup(d, "dtype");
    return a->name && py_numbers(d, "shape", (void **)&a->shape, &a->n_shape, 2) &&
           py_numbers(d, "mean", (void **)&a->mean, &a->n_mean, 0) &&
           py_numbers(d, "std", (void **)&a->std, &a->n_std, 0);
}

static bool fill_quant(rknn_gen_quant *q, const char *name, const py_val *d)
{
    q->name = strdup(name);
    q->dtype = py_strdup(d, "dtype");
    q->qmethod = py_strdup(d, "qmethod");
    q->qtype = py_strdup(d, "qtype");
    return q->name && py_numbers(d, "min", (void **)&q->min, &q->n_min, 1) &&
           py_numbers(d, "max", (void **)&q->max, &q->n_max, 1) &&
           py_numbers(d, "scale", (void **)&q->scale, &q->n_scale, 1) &&
           py_numbers(d, "ori_min", (void **)&q->ori_min, &q->n_ori_min, 1) &&
           py_numbers(d, "ori_max", (void **)&q->ori_max, &q->n_ori_max, 1) &&
           py_numbers(d, "zero_point", (void **)&q->zero_point,
                      &q->n_zero_point, 2);
}

void rknn_free_generator(rknn_model *m)
{
    for (uint32_t i = 0; i < m->n_gen_attrs; i++) {
        rknn_gen_attr *a = &m->gen_attrs[i];
        free(a->name), free(a->shape), free(a->layout), free(a->layout_ori);
        free(a->dtype), free(a->mean), free(a->std);
    }
    free(m->gen_attrs);
    for (uint32_t i = 0; i < m->n_gen_quant; i++) {
        rknn_gen_quant *q = &m->gen_quant[i];
        free(q->name), free(q->dtype), free(q->qmethod), free(q->qtype);
        free(q->min), free(q->max), free(q->scale), free(q->ori_min);
        free(q->ori_max), free(q->zero_point);
    }
    free(m->gen_quant);
    free(m->gen_error);
    m->gen_attrs = NULL;
    m->gen_quant = NULL;
    m->gen_error = NULL;
    m->n_gen_attrs = m->n_gen_quant = 0;
}

/* Not fatal: a generator string we cannot parse leaves gen_error set. */
void rknn_decode_generator(rknn_model *m)
{
    rknn_free_generator(m);
    if (!m->generator)
        return;
    py_parser p = {m->generator, 0, strlen(m->generator), ""};
    py_val root = {0};
    bool ok = parse_value(&p, &root, 0);
    const py_val *attrs = ok ? py_get(&root, "attrs") : NULL;
    const py_val *qt = ok ? py_get(&root, "quant_tab") : NULL;
    if (ok && attrs && attrs->type == PY_DICT && attrs->n) {
        m->gen_attrs = calloc(attrs->n, sizeof(rknn_gen_attr));
        ok = m->gen_attrs != NULL;
        for (size_t i = 0; ok && i < attrs->n; i++)
            if (attrs->keys[i] && attrs->items[i].type == PY_DICT)
                ok = fill_attr(&m->gen_attrs[m->n_gen_attrs++], attrs->keys[i],
                               &attrs->items[i]);
        if (!ok)
            fail(&p, "out of memory");
    }
    if (ok && qt && qt->type == PY_DICT && qt->n) {
        m->gen_quant = calloc(qt->n, sizeof(rknn_gen_quant));
        ok = m->gen_quant != NULL;
        for (size_t i = 0; ok && i < qt->n; i++)
            if (qt->keys[i] && qt->items[i].type == PY_DICT)
                ok = fill_quant(&m->gen_quant[m->n_gen_quant++], qt->keys[i],
                                &qt->items[i]);
        if (!ok)
            fail(&p, "out of memory");
    }
    py_free(&root);
    if (!ok) {
        char msg[200];
        snprintf(msg, sizeof(msg), "generator dict (Model[3]) not decoded: %s",
                 p.err[0] ? p.err : "unexpected content");
        m->gen_error = strdup(msg);
    }
}
