/*
 * rknn_bson.c - decoding Node slot 9, a BSON document of op attributes
 * (observed format, see rknn_custom_attr in rknn.h).
 *
 * BSON facts used (bsonspec.org): document = int32 total length, elements,
 * 0x00; element = type byte, NUL-terminated name, value; types 0x01 double,
 * 0x02 string (int32 length incl. NUL, bytes), 0x03 document, 0x04 array
 * (a document keyed "0", "1", ...), 0x08 bool, 0x10 int32, 0x12 int64.
 * Every length is checked against the enclosing document.
 */
#include <stdlib.h>
#include <string.h>

#include "rknn_internal.h"

typedef struct bson_span {
    const uint8_t *p;
    size_t len;
} bson_span;

static int32_t rd32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] | ((uint32_t)p[1] << 8) |
                     ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24));
}

static int64_t rd64(const uint8_t *p)
{
    return (int64_t)((uint64_t)(uint32_t)rd32(p) |
                     ((uint64_t)(uint32_t)rd32(p + 4) << 32));
}

/* The body of a document at d (between the length and the trailing NUL). */
static bool doc_body(bson_span d, bson_span *body)
{
    if (d.len < 5)
        return false;
    int32_t n = rd32(d.p);
    if (n < 5 || (size_t)n > d.len || d.p[n - 1] != 0)
        return false;
    body->p = d.p + 4;
    body->len = (size_t)n - 5;
    return true;
}

/* One element: type, name, value span (value bounds checked). */
static bool next_elem(bson_span *body, uint8_t *type, const char **name,
                      bson_span *val)
{
    if (!body->len)
        return false;
    *type = body->p[0];
    const uint8_t *nul = memchr(body->p + 1, 0, body->len - 1);
    if (!nul)
        return false;
    *name = (const char *)body->p + 1;
    size_t off = (size_t)(nul - body->p) + 1, vlen;
    const uint8_t *v = body->p + off;
    size_t rest = body->len - off;
    switch (*type) {
    case 0x01: case 0x12: vlen = 8; break;
    case 0x10: vlen = 4; break;
    case 0x08: vlen = 1; break;
    case 0x0a: vlen = 0; break;
    case 0x02:
        if (rest < 4 || rd32(v) < 1 || (size_t)rd32(v) > rest - 4)
            return false;
        vlen = 4 + (size_t)rd32(v);
        break;
    case 0x03: case 0x04:
        if (rest < 4 || rd32(v) < 5)
            return false;
        vlen = (size_t)rd32(v);
        break;
    default:
        return false;
    }
    if (vlen > rest)
        return false;
    val->p = v;
    val->len = vlen;
    body->p = v + vlen;
    body->len = rest - vlen;
    return true;
}

static bool scalar(uint8_t type, bson_span v, double *out)
{
    switch (type) {
    case 0x01: {
        uint64_t u = (uint64_t)rd64(v.p);
        memcpy(out, &u, 8);
        return true;
    }
    case 0x10: *out = rd32(v.p); return true;
    case 0x12: *out = (double)rd64(v.p); return true;
    case 0x08: *out = v.p[0]; return true;
    default: return false;
    }
}

static bool decode_value(rknn_custom_attr *a, uint8_t type, bson_span v)
{
    if (type == 0x02) {
        a->is_string = true;
        size_t n = v.len - 4;
        a->str = malloc(n);
        if (!a->str)
            return false;
        memcpy(a->str, v.p + 4, n);
        a->str[n - 1] = 0;
        return true;
    }
    if (type == 0x04) {
        bson_span body, val;
        uint8_t t;
        const char *nm;
        if (!doc_body(v, &body))
            return false;
        a->list = calloc(body.len / 2 + 1, sizeof(double));
        if (!a->list)
            return false;
        while (next_elem(&body, &t, &nm, &val))
            if (scalar(t, val, &a->list[a->n_list]))
                a->n_list++;
        return true;
    }
    return scalar(type, v, &a->number);
}

/* Decode one node's slot 9; silently leaves custom empty when the bytes
 * are not a BSON document of {name: {dtype, value}} (e.g. the 16 zero bytes
 * of OutputOperator nodes). Returns false only on out of memory. */
bool rknn_decode_custom(rknn_node *n)
{
    bson_span doc = {n->custom_raw, n->n_custom_raw}, body, val, inner;
    uint8_t type;
    const char *name;
    if (!n->n_custom_raw || !doc_body(doc, &body))
        return true;
    size_t cap = body.len / 7 + 1; /* an element takes >= 7 bytes */
    n->custom = calloc(cap, sizeof(rknn_custom_attr));
    if (!n->custom)
        return false;
    while (n->n_custom < cap && next_elem(&body, &type, &name, &val)) {
        if (type != 0x03 || !doc_body(val, &inner))
            continue;
        rknn_custom_attr *a = &n->custom[n->n_custom++];
        if (!(a->key = strdup(name)))
            return false;
        uint8_t t;
        const char *k;
        bson_span v;
        while (next_elem(&inner, &t, &k, &v)) {
            if (strcmp(k, "dtype") == 0 && t == 0x02) {
                free(a->dtype);
                if (!(a->dtype = strndup((const char *)v.p + 4, v.len - 5)))
                    return false;
            } else if (strcmp(k, "value") == 0 && !a->str && !a->list) {
                if (!decode_value(a, t, v))
                    return false;
            }
        }
    }
    return true;
}
