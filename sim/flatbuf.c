/* flatbuf.c - bounds-checked FlatBuffer reader and front-to-back builder
 * (see flatbuf.h for the invariants). */
#include "flatbuf.h"

#include <stdlib.h>
#include <string.h>

uint16_t fb_u16(const fb_buf *b, size_t pos)
{
    uint8_t x[2];
    memcpy(x, b->p + pos, 2);
    return (uint16_t)(x[0] | (x[1] << 8));
}

uint32_t fb_u32(const fb_buf *b, size_t pos)
{
    uint8_t x[4];
    memcpy(x, b->p + pos, 4);
    return (uint32_t)x[0] | ((uint32_t)x[1] << 8) | ((uint32_t)x[2] << 16) |
           ((uint32_t)x[3] << 24);
}

uint64_t fb_u64(const fb_buf *b, size_t pos)
{
    return (uint64_t)fb_u32(b, pos) | ((uint64_t)fb_u32(b, pos + 4) << 32);
}

/* Whether [pos, pos+n) lies inside the buffer (overflow-safe). */
static bool in_bounds(const fb_buf *b, size_t pos, size_t n)
{
    return pos <= b->len && n <= b->len - pos;
}

rk_status fb_table_at(const fb_buf *b, size_t pos, fb_table *t, rk_err *e)
{
    if (!in_bounds(b, pos, 4))
        return rk_errf(e, RK_EINPUT, "table at 0x%zx lies outside the %zu-byte "
                       "FlatBuffer", pos, b->len);
    int32_t soff = (int32_t)fb_u32(b, pos);
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || !in_bounds(b, (size_t)vt, 4))
        return rk_errf(e, RK_EINPUT, "table at 0x%zx: vtable offset %d points "
                       "outside the FlatBuffer", pos, soff);
    uint16_t vt_len = fb_u16(b, (size_t)vt);
    uint16_t tbl_len = fb_u16(b, (size_t)vt + 2);
    if (vt_len < 4 || (vt_len & 1) || !in_bounds(b, (size_t)vt, vt_len))
        return rk_errf(e, RK_EINPUT, "table at 0x%zx: bad vtable length %u",
                       pos, vt_len);
    if (tbl_len < 4 || !in_bounds(b, pos, tbl_len))
        return rk_errf(e, RK_EINPUT, "table at 0x%zx: table length %u runs past "
                       "the end of the FlatBuffer", pos, tbl_len);
    t->b = b;
    t->pos = pos;
    t->vt = (size_t)vt;
    t->vt_len = vt_len;
    t->tbl_len = tbl_len;
    return RK_OK;
}

rk_status fb_root(const fb_buf *b, const char *ident, fb_table *t, rk_err *e)
{
    if (b->len < 8)
        return rk_errf(e, RK_EINPUT, "FlatBuffer of %zu bytes is too short",
                       b->len);
    if (ident && memcmp(b->p + 4, ident, 4) != 0)
        return rk_errf(e, RK_EINPUT, "FlatBuffer file identifier is not '%s'",
                       ident);
    size_t root = 0;
    rk_status st = fb_deref(b, 0, &root, e);
    if (st)
        return st;
    return fb_table_at(b, root, t, e);
}

unsigned fb_nslots(const fb_table *t)
{
    return (unsigned)(t->vt_len - 4) / 2;
}

static uint16_t slot_offset(const fb_table *t, unsigned slot)
{
    if (slot >= fb_nslots(t))
        return 0;
    return fb_u16(t->b, t->vt + 4 + 2 * (size_t)slot);
}

bool fb_has(const fb_table *t, unsigned slot)
{
    return slot_offset(t, slot) != 0;
}

rk_status fb_field(const fb_table *t, unsigned slot, size_t size, size_t *pos,
                   rk_err *e)
{
    uint16_t off = slot_offset(t, slot);
    *pos = 0;
    if (off == 0)
        return RK_OK;
    if (off < 4 || (size_t)off + size > t->tbl_len)
        return rk_errf(e, RK_EINPUT, "table at 0x%zx slot %u: field offset %u "
                       "(+%zu bytes) exceeds the table length %u", t->pos, slot,
                       off, size, t->tbl_len);
    *pos = t->pos + off;
    return RK_OK;
}

rk_status fb_deref(const fb_buf *b, size_t pos, size_t *target, rk_err *e)
{
    if (!in_bounds(b, pos, 4))
        return rk_errf(e, RK_EINPUT, "offset at 0x%zx outside the FlatBuffer",
                       pos);
    uint32_t off = fb_u32(b, pos);
    if (off == 0 || !in_bounds(b, pos + off, 0) || pos + off >= b->len)
        return rk_errf(e, RK_EINPUT, "offset %u at 0x%zx points outside the "
                       "%zu-byte FlatBuffer", off, pos, b->len);
    *target = pos + off;
    return RK_OK;
}

rk_status fb_vector(const fb_buf *b, size_t pos, size_t elem_size,
                    size_t *data, uint32_t *count, rk_err *e)
{
    size_t v = 0;
    rk_status st = fb_deref(b, pos, &v, e);
    if (st)
        return st;
    if (!in_bounds(b, v, 4))
        return rk_errf(e, RK_EINPUT, "vector at 0x%zx: length outside the "
                       "FlatBuffer", v);
    uint32_t n = fb_u32(b, v);
    if (elem_size && (uint64_t)n > (b->len - v - 4) / elem_size)
        return rk_errf(e, RK_EINPUT, "vector at 0x%zx: %u elements of %zu bytes "
                       "run past the end of the FlatBuffer", v, n, elem_size);
    *data = v + 4;
    *count = n;
    return RK_OK;
}

/* ----------------------------------------------------------------- builder */

size_t fbb_alloc(fb_builder *b, size_t size, size_t align)
{
    if (b->failed)
        return 0;
    size_t pos = RK_ALIGN_UP(b->len, align);
    if (pos < b->len || size > SIZE_MAX - pos) {
        b->failed = true;
        return 0;
    }
    size_t end = pos + size;
    if (end > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < end) {
            if (cap > SIZE_MAX / 2) {
                b->failed = true;
                return 0;
            }
            cap *= 2;
        }
        uint8_t *nb = realloc(b->buf, cap);
        if (!nb) {
            b->failed = true;
            return 0;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memset(b->buf + b->len, 0, end - b->len);
    b->len = end;
    return pos;
}

void fbb_put_u16(fb_builder *b, size_t pos, uint16_t v)
{
    if (b->failed)
        return;
    b->buf[pos] = (uint8_t)v;
    b->buf[pos + 1] = (uint8_t)(v >> 8);
}

void fbb_put_u32(fb_builder *b, size_t pos, uint32_t v)
{
    if (b->failed)
        return;
    for (int i = 0; i < 4; i++)
        b->buf[pos + (size_t)i] = (uint8_t)(v >> (8 * i));
}

void fbb_put_u64(fb_builder *b, size_t pos, uint64_t v)
{
    fbb_put_u32(b, pos, (uint32_t)v);
    fbb_put_u32(b, pos + 4, (uint32_t)(v >> 32));
}

void fbb_put_bytes(fb_builder *b, size_t pos, const void *src, size_t n)
{
    if (!b->failed && n)
        memcpy(b->buf + pos, src, n);
}

void fbb_patch(fb_builder *b, size_t field, size_t target)
{
    if (b->failed)
        return;
    if (target <= field || target - field > UINT32_MAX) {
        b->failed = true;
        return;
    }
    fbb_put_u32(b, field, (uint32_t)(target - field));
}

size_t fbb_vector(fb_builder *b, const void *data, uint32_t count,
                  size_t elem_size, size_t align)
{
    if (align < 4)
        align = 4;
    if (elem_size && count > SIZE_MAX / elem_size) {
        b->failed = true;
        return 0;
    }
    size_t bytes = (size_t)count * elem_size;
    /* Place the count so that the data right after it is `align`-aligned. */
    size_t at = RK_ALIGN_UP(b->len + 4, align) - 4;
    if (at > b->len)
        fbb_alloc(b, at - b->len, 1);
    size_t pos = fbb_alloc(b, 4 + bytes, 4);
    if (b->failed)
        return 0;
    fbb_put_u32(b, pos, count);
    if (data)
        fbb_put_bytes(b, pos + 4, data, bytes);
    return pos;
}

size_t fbb_string(fb_builder *b, const char *s)
{
    size_t n = strlen(s);
    if (n > UINT32_MAX) {
        b->failed = true;
        return 0;
    }
    size_t pos = fbb_alloc(b, 4 + n + 1, 4);
    if (b->failed)
        return 0;
    fbb_put_u32(b, pos, (uint32_t)n);
    fbb_put_bytes(b, pos + 4, s, n);
    return pos;
}

size_t fbb_table(fb_builder *b, unsigned nslots, fbb_field *fields,
                 unsigned nfields)
{
    /* Table layout: soffset, then 8-byte, 4-byte and 1-byte fields so each
     * is naturally aligned when the table starts at 4 mod 8. */
    size_t offs[64] = {0};
    size_t tbl_len = 4;
    if (nfields > RK_ARRAY_LEN(offs) || nslots > 0x7ff0) {
        b->failed = true;
        return 0;
    }
    for (unsigned sz = 8; sz >= 1; sz /= 2) {
        for (unsigned i = 0; i < nfields; i++) {
            if (fields[i].size != sz)
                continue;
            tbl_len = RK_ALIGN_UP(tbl_len, sz);
            offs[i] = tbl_len;
            tbl_len += sz;
        }
    }
    tbl_len = RK_ALIGN_UP(tbl_len, 4);
    size_t vt_len = 4 + 2 * (size_t)nslots;
    size_t vt = fbb_alloc(b, vt_len, 2);
    size_t pad = (b->len % 8 == 4) ? 0 : (4 + 8 - b->len % 8) % 8;
    fbb_alloc(b, pad, 1);
    size_t tbl = fbb_alloc(b, tbl_len, 4);
    if (b->failed)
        return 0;
    fbb_put_u16(b, vt, (uint16_t)vt_len);
    fbb_put_u16(b, vt + 2, (uint16_t)tbl_len);
    fbb_put_u32(b, tbl, (uint32_t)(int32_t)(tbl - vt));
    for (unsigned i = 0; i < nfields; i++) {
        if (fields[i].slot >= nslots) {
            b->failed = true;
            return 0;
        }
        fbb_put_u16(b, vt + 4 + 2 * (size_t)fields[i].slot, (uint16_t)offs[i]);
        fields[i].pos = tbl + offs[i];
        if (fields[i].is_offset)
            continue;
        if (fields[i].size == 1)
            b->buf[fields[i].pos] = (uint8_t)fields[i].value;
        else if (fields[i].size == 4)
            fbb_put_u32(b, fields[i].pos, (uint32_t)fields[i].value);
        else
            fbb_put_u64(b, fields[i].pos, fields[i].value);
    }
    return tbl;
}

void fbb_free(fb_builder *b)
{
    free(b->buf);
    memset(b, 0, sizeof(*b));
}
