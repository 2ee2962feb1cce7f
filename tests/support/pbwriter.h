/*
 * pbwriter.h - a minimal protobuf wire-format writer, enough to build small
 * ONNX models (ModelProto/GraphProto/NodeProto/AttributeProto) inside tests
 * and fuzz targets without going through the code under test.
 *
 * A zero-initialised pb is an empty, valid buffer.  An allocation failure
 * sets `oom` and turns every later write into a no-op; callers check `oom`
 * (or rely on the parser rejecting the truncated bytes).
 */
#ifndef RKSIM_PBWRITER_H
#define RKSIM_PBWRITER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct pb {
    uint8_t *buf;
    size_t len, cap;
    int oom;
} pb;

static inline void pb_raw(pb *b, const void *d, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = (b->len + n) * 2 + 64;
        uint8_t *nb = realloc(b->buf, cap);
        if (!nb) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    if (n)
        memcpy(b->buf + b->len, d, n);
    b->len += n;
}

static inline void pb_varint(pb *b, uint64_t v)
{
    do {
        uint8_t byte = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            byte |= 0x80;
        pb_raw(b, &byte, 1);
    } while (v);
}

static inline void pb_key(pb *b, int field, int wire)
{
    pb_varint(b, (uint64_t)field << 3 | (uint64_t)wire);
}

static inline void pb_int(pb *b, int field, int64_t v)
{
    pb_key(b, field, 0);
    pb_varint(b, (uint64_t)v);
}

static inline void pb_bytes(pb *b, int field, const void *d, size_t n)
{
    pb_key(b, field, 2);
    pb_varint(b, n);
    pb_raw(b, d, n);
}

static inline void pb_str(pb *b, int field, const char *s)
{
    pb_bytes(b, field, s, strlen(s));
}

/* Append `sub` as a length-delimited field and reset it. */
static inline void pb_msg(pb *b, int field, pb *sub)
{
    pb_bytes(b, field, sub->buf, sub->len);
    b->oom |= sub->oom;
    free(sub->buf);
    memset(sub, 0, sizeof *sub);
}

#endif
