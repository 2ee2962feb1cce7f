/*
 * flatbuf.h - a small bounds-checked FlatBuffer reader and builder.
 *
 * Debian ships no C FlatBuffers library, and .rknn files come from strangers,
 * so every access here is checked against the buffer: table and vtable
 * positions, vtable length, field offsets against the table length, uoffsets,
 * vector lengths (count * element size must fit the remaining bytes).  Reads
 * use memcpy, so no alignment is assumed.  Layout facts (uoffset_t = u32
 * forward offset, soffset_t = i32 table->vtable, vtable = u16 vtable length,
 * u16 table length, u16 field offsets; 0 = absent) are the public FlatBuffers
 * binary format.
 *
 * The builder writes front to back: a table is written first with its
 * offset fields zero, children are appended after it and the offsets patched
 * (uoffsets must point forward, which children written later always do).
 */
#ifndef RKSIM_FLATBUF_H
#define RKSIM_FLATBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rk_base.h"

/* ------------------------------------------------------------------ reader */

/* A buffer under inspection.  Invariant: p[0..len) readable. */
typedef struct fb_buf {
    const uint8_t *p;
    size_t len;
} fb_buf;

/* A located table.  Invariants (established by fb_table_at): the table's
 * [pos, pos+tbl_len) and its vtable [vt, vt+vt_len) lie inside the buffer,
 * vt_len is even and >= 4, tbl_len >= 4. */
typedef struct fb_table {
    const fb_buf *b;
    size_t pos;
    size_t vt;
    uint16_t vt_len;
    uint16_t tbl_len;
} fb_table;

uint16_t fb_u16(const fb_buf *b, size_t pos);
uint32_t fb_u32(const fb_buf *b, size_t pos);
uint64_t fb_u64(const fb_buf *b, size_t pos);

/* Locate the table at `pos` (checks described above). */
rk_status fb_table_at(const fb_buf *b, size_t pos, fb_table *t, rk_err *e);
/* The root table: u32 root offset at 0; `ident` (4 chars, or NULL) must be
 * at bytes 4..8. */
rk_status fb_root(const fb_buf *b, const char *ident, fb_table *t, rk_err *e);
/* Number of vtable slots. */
unsigned fb_nslots(const fb_table *t);
/* Whether slot `slot` is present (offset != 0). */
bool fb_has(const fb_table *t, unsigned slot);
/* Position of a present field of `size` inline bytes; *pos = 0 when the
 * slot is absent.  Fails if the field does not fit inside the table. */
rk_status fb_field(const fb_table *t, unsigned slot, size_t size, size_t *pos,
                   rk_err *e);
/* Follow the uoffset stored at `pos` (4 bytes, caller checked). */
rk_status fb_deref(const fb_buf *b, size_t pos, size_t *target, rk_err *e);
/* Vector (or string) referenced from the uoffset at `pos`: data position
 * and element count, checked so that count*elem_size bytes are inside. */
rk_status fb_vector(const fb_buf *b, size_t pos, size_t elem_size,
                    size_t *data, uint32_t *count, rk_err *e);

/* ----------------------------------------------------------------- builder */

/* Invariants: buf[0..len) written (zero-filled where not set), len <= cap;
 * failed is set after an allocation failure or size overflow and every
 * later call is a no-op returning 0. */
typedef struct fb_builder {
    uint8_t *buf;
    size_t len;
    size_t cap;
    bool failed;
} fb_builder;

/* Append `size` zero bytes aligned to `align` (power of two); returns the
 * position (0 on failure, check b->failed). */
size_t fbb_alloc(fb_builder *b, size_t size, size_t align);
void fbb_put_u16(fb_builder *b, size_t pos, uint16_t v);
void fbb_put_u32(fb_builder *b, size_t pos, uint32_t v);
void fbb_put_u64(fb_builder *b, size_t pos, uint64_t v);
void fbb_put_bytes(fb_builder *b, size_t pos, const void *src, size_t n);
/* Store at `field` the uoffset to `target` (target > field). */
void fbb_patch(fb_builder *b, size_t field, size_t target);
/* Append a vector: u32 count then count*elem_size bytes from `data` (may be
 * NULL = zeros), data aligned to `align`; returns position of the count. */
size_t fbb_vector(fb_builder *b, const void *data, uint32_t count,
                  size_t elem_size, size_t align);
/* Append a string (length, bytes, NUL). */
size_t fbb_string(fb_builder *b, const char *s);

/* One inline field of a table being written. */
typedef struct fbb_field {
    uint16_t slot;
    uint8_t size;    /* 1, 4 or 8 */
    uint64_t value;  /* scalar value (ignored for offsets) */
    bool is_offset;  /* 4-byte uoffset, patched later via pos */
    size_t pos;      /* out: position of the field in the buffer */
} fbb_field;

/* Append a vtable with `nslots` slots and the table holding `fields`
 * (distinct slots < nslots); fills fields[i].pos; returns the table pos. */
size_t fbb_table(fb_builder *b, unsigned nslots, fbb_field *fields,
                 unsigned nfields);
void fbb_free(fb_builder *b);

#endif
