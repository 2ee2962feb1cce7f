/*
 * rk_image.c - JPEG (ITU T.81 Huffman, sequential and progressive) and PNG
 * (RFC 1950/1951/2083) decoders, and Pillow-convention bilinear resize.
 * See rk_image.h for what is supported and refused.
 *
 * JPEG: every scan's coefficients are accumulated into one int16 block
 * array per component (the same path for baseline and progressive), then
 * dequantised, inverse-DCT'd (separable float IDCT, rounded), upsampled and
 * converted YCbCr -> RGB with the JFIF equations.  Upsampling by 2 uses the
 * triangle filter libjpeg applies by default ("fancy upsampling": 3/4 of the
 * nearer sample, 1/4 of the farther one, integer rounding biases that
 * alternate between neighbouring output samples), so that our pixels match
 * PIL's (libjpeg-turbo) within IDCT rounding.
 */
#include "rk_image.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void rk_image_free(rk_image *im)
{
    if (!im)
        return;
    free(im->rgb);
    memset(im, 0, sizeof(*im));
}

static rk_status check_dims(const char *name, const char *fmt, long w, long h, rk_err *e)
{
    if (w < 1 || h < 1)
        return rk_errf(e, RK_EINPUT, "%s: %s image has zero size (%ldx%ld)", name, fmt, w, h);
    if (w > RK_IMAGE_MAX_SIDE || h > RK_IMAGE_MAX_SIDE || (int64_t)w * h > RK_IMAGE_MAX_PIXELS)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: %s image of %ldx%ld pixels exceeds rksim's limit (%d per side, %d pixels)",
                       name, fmt, w, h, RK_IMAGE_MAX_SIDE, RK_IMAGE_MAX_PIXELS);
    return RK_OK;
}

static rk_status alloc_rgb(rk_image *im, int w, int h, const char *name, rk_err *e)
{
    im->w = w;
    im->h = h;
    im->rgb = rk_malloc_array((size_t)w * (size_t)h, 3);
    return im->rgb ? RK_OK : rk_errf(e, RK_ENOMEM, "%s: out of memory for a %dx%d image", name, w, h);
}

static uint8_t clamp_u8(long v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* ================================================================ JPEG */

#define JPG_MAX_COMP 3
#define JPG_MAX_SCANS 100

static const uint8_t zigzag[64] = {0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
                                   12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
                                   35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
                                   58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

/* A canonical Huffman table (T.81 Annex C): codes of length l run from
 * mincode[l] to maxcode[l] (-1: none) and map to sym[valptr[l] + code -
 * mincode[l]]. */
typedef struct jpg_huff {
    bool defined;
    uint8_t sym[256];
    int32_t mincode[17], maxcode[18], valptr[17];
} jpg_huff;

/* One component.  Invariants after SOF: 1 <= h, v <= 4; bw x bh blocks
 * cover the MCU grid (bw = mcux * h); cw x ch = the component's own sample
 * size, ceil(W * h / hmax) x ceil(H * v / vmax); coef holds bw*bh blocks
 * of 64 coefficients in natural (not zigzag) order. */
typedef struct jpg_comp {
    int id, h, v, tq;
    int bw, bh, cw, ch;
    int16_t *coef;
    int dc_pred;
    int td, ta; /* Huffman tables of the current scan */
    uint8_t *pix; /* bw*8 x bh*8 samples after IDCT */
} jpg_comp;

typedef struct jpg {
    const char *name;
    const uint8_t *d;
    size_t len, pos;
    uint16_t q[4][64];
    bool q_defined[4];
    jpg_huff dc[4], ac[4];
    int w, h, ncomp, hmax, vmax, mcux, mcuy;
    bool progressive, have_frame;
    jpg_comp comp[JPG_MAX_COMP];
    int restart_interval;
    /* entropy decoder state */
    uint32_t bits;
    int nbits;
    bool hit_marker, truncated;
    int eobrun;
    rk_err *e;
} jpg;

static rk_status jpg_fail(jpg *j, const char *what)
{
    return rk_errf(j->e, RK_EINPUT, "%s: corrupt JPEG: %s (at byte %zu)", j->name, what, j->pos);
}

static int read_u16(const uint8_t *p)
{
    return (p[0] << 8) | p[1];
}

static rk_status jpg_build_huff(jpg *j, jpg_huff *t, const uint8_t *counts, const uint8_t *syms, int nsym)
{
    int32_t code = 0, k = 0;
    memcpy(t->sym, syms, (size_t)nsym);
    for (int l = 1; l <= 16; l++) {
        t->valptr[l] = k;
        t->mincode[l] = code;
        code += counts[l - 1];
        k += counts[l - 1];
        t->maxcode[l] = counts[l - 1] ? code - 1 : -1;
        if (code > (1 << l))
            return jpg_fail(j, "Huffman table with more codes than its code lengths allow");
        code <<= 1;
    }
    t->maxcode[17] = INT32_MAX;
    t->defined = true;
    return RK_OK;
}

static rk_status jpg_dht(jpg *j, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (n < 17)
            return jpg_fail(j, "DHT segment too short");
        int tc = p[0] >> 4, th = p[0] & 15, total = 0;
        if (tc > 1 || th > 3)
            return jpg_fail(j, "DHT table class/index out of range");
        for (int i = 0; i < 16; i++)
            total += p[1 + i];
        if (total > 256 || (size_t)(17 + total) > n)
            return jpg_fail(j, "DHT segment shorter than its code counts say");
        rk_status st = jpg_build_huff(j, tc ? &j->ac[th] : &j->dc[th], p + 1, p + 17, total);
        if (st)
            return st;
        p += 17 + total;
        n -= (size_t)(17 + total);
    }
    return RK_OK;
}

static rk_status jpg_dqt(jpg *j, const uint8_t *p, size_t n)
{
    while (n > 0) {
        int pq = p[0] >> 4, tq = p[0] & 15;
        size_t need = 1 + (pq ? 128 : 64);
        if (pq > 1 || tq > 3 || n < need)
            return jpg_fail(j, "bad DQT segment");
        for (int i = 0; i < 64; i++)
            j->q[tq][zigzag[i]] = (uint16_t)(pq ? read_u16(p + 1 + 2 * i) : p[1 + i]);
        j->q_defined[tq] = true;
        p += need;
        n -= need;
    }
    return RK_OK;
}

static rk_status jpg_sof(jpg *j, int marker, const uint8_t *p, size_t n)
{
    if (marker != 0xC0 && marker != 0xC1 && marker != 0xC2)
        return rk_errf(j->e, RK_EUNSUPPORTED,
                       "%s: JPEG coding process SOF%d is not supported (only baseline, extended sequential and "
                       "progressive Huffman)",
                       j->name, marker - 0xC0);
    if (j->have_frame)
        return jpg_fail(j, "second SOF marker");
    if (n < 6)
        return jpg_fail(j, "SOF segment too short");
    if (p[0] != 8)
        return rk_errf(j->e, RK_EUNSUPPORTED, "%s: %d-bit JPEG samples are not supported (8-bit only)", j->name, p[0]);
    j->h = read_u16(p + 1);
    j->w = read_u16(p + 3);
    j->ncomp = p[5];
    if (j->h == 0)
        return rk_errf(j->e, RK_EUNSUPPORTED, "%s: JPEG with the height in a DNL marker is not supported", j->name);
    rk_status st = check_dims(j->name, "JPEG", j->w, j->h, j->e);
    if (st)
        return st;
    if (j->ncomp != 1 && j->ncomp != 3)
        return rk_errf(j->e, RK_EUNSUPPORTED, "%s: JPEG with %d components is not supported (1 grey or 3 YCbCr)",
                       j->name, j->ncomp);
    if (n < 6 + 3 * (size_t)j->ncomp)
        return jpg_fail(j, "SOF segment too short for its components");
    j->hmax = j->vmax = 1;
    for (int i = 0; i < j->ncomp; i++) {
        jpg_comp *c = &j->comp[i];
        c->id = p[6 + 3 * i];
        c->h = p[7 + 3 * i] >> 4;
        c->v = p[7 + 3 * i] & 15;
        c->tq = p[8 + 3 * i];
        if (c->h < 1 || c->h > 4 || c->v < 1 || c->v > 4 || c->tq > 3)
            return jpg_fail(j, "component sampling factor or table index out of range");
        j->hmax = RK_MAX(j->hmax, c->h);
        j->vmax = RK_MAX(j->vmax, c->v);
    }
    if (j->ncomp == 1)
        j->comp[0].h = j->comp[0].v = j->hmax = j->vmax = 1; /* a lone component is never interleaved */
    j->mcux = RK_DIV_UP(j->w, 8 * j->hmax);
    j->mcuy = RK_DIV_UP(j->h, 8 * j->vmax);
    for (int i = 0; i < j->ncomp; i++) {
        jpg_comp *c = &j->comp[i];
        if (j->hmax % c->h || j->vmax % c->v)
            return rk_errf(j->e, RK_EUNSUPPORTED, "%s: JPEG sampling factors %dx%d vs %dx%d are not integer ratios",
                           j->name, c->h, c->v, j->hmax, j->vmax);
        c->bw = j->mcux * c->h;
        c->bh = j->mcuy * c->v;
        c->cw = RK_DIV_UP(j->w * c->h, j->hmax);
        c->ch = RK_DIV_UP(j->h * c->v, j->vmax);
        c->coef = rk_calloc_array((size_t)c->bw * (size_t)c->bh, 64 * sizeof(int16_t));
        if (!c->coef)
            return rk_errf(j->e, RK_ENOMEM, "%s: out of memory for JPEG coefficients", j->name);
    }
    j->progressive = marker == 0xC2;
    j->have_frame = true;
    return RK_OK;
}

/* ---- entropy-coded data: bytes with 0xFF00 stuffing; a marker ends it */

static void jpg_fill(jpg *j)
{
    while (j->nbits <= 24) {
        int byte = 0;
        if (!j->hit_marker) {
            if (j->pos >= j->len) {
                j->truncated = true;
                j->hit_marker = true;
            } else if (j->d[j->pos] == 0xFF) {
                if (j->pos + 1 < j->len && j->d[j->pos + 1] == 0x00) {
                    byte = 0xFF;
                    j->pos += 2;
                } else {
                    j->hit_marker = true; /* leave pos on the marker */
                }
            } else {
                byte = j->d[j->pos++];
            }
        }
        j->bits |= (uint32_t)byte << (24 - j->nbits);
        j->nbits += 8;
    }
}

static int jpg_bit(jpg *j)
{
    if (j->nbits < 1)
        jpg_fill(j);
    int b = (int)(j->bits >> 31);
    j->bits <<= 1;
    j->nbits--;
    return b;
}

static int jpg_getbits(jpg *j, int n)
{
    if (n == 0)
        return 0;
    if (j->nbits < n)
        jpg_fill(j);
    int v = (int)(j->bits >> (32 - n));
    j->bits <<= n;
    j->nbits -= n;
    return v;
}

/* T.81 F.2.2.1 EXTEND: an s-bit magnitude category to a signed value. */
static int jpg_extend(int v, int s)
{
    return s && v < (1 << (s - 1)) ? v - (1 << s) + 1 : v;
}

/* DC prediction; clamped so that a crafted stream of large differences
 * cannot overflow int (real DC values stay far inside +-2^16). */
static void jpg_add_dc(jpg_comp *c, int diff)
{
    c->dc_pred = RK_MAX(-65536, RK_MIN(65536, c->dc_pred + diff));
}

static int jpg_decode(jpg *j, const jpg_huff *t)
{
    int32_t code = 0;
    for (int l = 1; l <= 16; l++) {
        code = (code << 1) | jpg_bit(j);
        if (code <= t->maxcode[l])
            return t->sym[t->valptr[l] + code - t->mincode[l]];
    }
    return -1;
}

static rk_status jpg_block_seq(jpg *j, jpg_comp *c, int16_t *blk)
{
    int t = jpg_decode(j, &j->dc[c->td]);
    if (t < 0 || t > 11)
        return jpg_fail(j, "bad DC Huffman code");
    jpg_add_dc(c, jpg_extend(jpg_getbits(j, t), t));
    blk[0] = (int16_t)c->dc_pred;
    for (int k = 1; k < 64;) {
        int rs = jpg_decode(j, &j->ac[c->ta]);
        if (rs < 0)
            return jpg_fail(j, "bad AC Huffman code");
        int r = rs >> 4, s = rs & 15;
        if (s == 0) {
            if (r != 15)
                break;
            k += 16;
            continue;
        }
        k += r;
        if (k > 63)
            return jpg_fail(j, "AC coefficient run past the end of the block");
        blk[zigzag[k++]] = (int16_t)jpg_extend(jpg_getbits(j, s), s);
    }
    return RK_OK;
}

typedef struct jpg_scan {
    int n;
    jpg_comp *c[JPG_MAX_COMP];
    int ss, se, ah, al;
} jpg_scan;

static rk_status jpg_block_dc_prog(jpg *j, const jpg_scan *s, jpg_comp *c, int16_t *blk)
{
    if (s->ah) {
        if (jpg_bit(j))
            blk[0] = (int16_t)(blk[0] | (1 << s->al));
        return RK_OK;
    }
    int t = jpg_decode(j, &j->dc[c->td]);
    if (t < 0 || t > 11)
        return jpg_fail(j, "bad DC Huffman code");
    jpg_add_dc(c, jpg_extend(jpg_getbits(j, t), t));
    blk[0] = (int16_t)(c->dc_pred * (1 << s->al));
    return RK_OK;
}

static rk_status jpg_block_ac_first(jpg *j, const jpg_scan *s, jpg_comp *c, int16_t *blk)
{
    if (j->eobrun > 0) {
        j->eobrun--;
        return RK_OK;
    }
    for (int k = s->ss; k <= s->se; k++) {
        int rs = jpg_decode(j, &j->ac[c->ta]);
        if (rs < 0)
            return jpg_fail(j, "bad AC Huffman code");
        int r = rs >> 4, sz = rs & 15;
        if (sz == 0) {
            if (r < 15) {
                j->eobrun = (1 << r) - 1 + jpg_getbits(j, r);
                break;
            }
            k += 15;
            continue;
        }
        k += r;
        if (k > s->se)
            return jpg_fail(j, "AC coefficient run past the spectral band");
        blk[zigzag[k]] = (int16_t)(jpg_extend(jpg_getbits(j, sz), sz) * (1 << s->al));
    }
    return RK_OK;
}

/* A correction bit for a coefficient already non-zero: adds 1<<al in the
 * direction of its sign (T.81 G.1.2.3). */
static void jpg_refine(jpg *j, int16_t *coef, int p1)
{
    if (jpg_bit(j) && (*coef & p1) == 0)
        *coef = (int16_t)(*coef >= 0 ? *coef + p1 : *coef - p1);
}

static rk_status jpg_block_ac_refine(jpg *j, const jpg_scan *s, jpg_comp *c, int16_t *blk)
{
    int p1 = 1 << s->al, k = s->ss;
    if (j->eobrun == 0) {
        while (k <= s->se) {
            int rs = jpg_decode(j, &j->ac[c->ta]);
            if (rs < 0)
                return jpg_fail(j, "bad AC Huffman code");
            int r = rs >> 4, sz = rs & 15, val = 0;
            if (sz == 0) {
                if (r < 15) {
                    j->eobrun = (1 << r) + jpg_getbits(j, r);
                    break;
                }
            } else {
                if (sz != 1)
                    return jpg_fail(j, "refinement scan with a coefficient larger than one bit");
                val = jpg_bit(j) ? p1 : -p1;
            }
            /* skip r zero-history coefficients (refining the non-zero ones
             * passed on the way), then place val */
            while (k <= s->se) {
                int16_t *coef = &blk[zigzag[k++]];
                if (*coef != 0) {
                    jpg_refine(j, coef, p1);
                } else if (r-- == 0) {
                    if (val)
                        *coef = (int16_t)val;
                    break;
                }
            }
        }
    }
    if (j->eobrun > 0) {
        for (; k <= s->se; k++)
            if (blk[zigzag[k]] != 0)
                jpg_refine(j, &blk[zigzag[k]], p1);
        j->eobrun--;
    }
    return RK_OK;
}

static rk_status jpg_block(jpg *j, const jpg_scan *s, jpg_comp *c, int bx, int by)
{
    int16_t *blk = c->coef + ((size_t)by * (size_t)c->bw + (size_t)bx) * 64;
    if (!j->progressive)
        return jpg_block_seq(j, c, blk);
    if (s->ss == 0)
        return jpg_block_dc_prog(j, s, c, blk);
    return s->ah ? jpg_block_ac_refine(j, s, c, blk) : jpg_block_ac_first(j, s, c, blk);
}

/* After restart_interval MCUs: drop the bit buffer, consume RSTn, reset
 * the predictors. */
static rk_status jpg_restart(jpg *j, const jpg_scan *s)
{
    j->bits = 0;
    j->nbits = 0;
    j->hit_marker = false;
    while (j->pos + 1 < j->len && j->d[j->pos] == 0xFF && j->d[j->pos + 1] == 0xFF)
        j->pos++; /* fill bytes */
    if (j->pos + 1 >= j->len)
        return rk_errf(j->e, RK_EINPUT, "%s: truncated JPEG (restart marker expected at byte %zu)", j->name, j->pos);
    if (j->d[j->pos] != 0xFF || (j->d[j->pos + 1] & 0xF8) != 0xD0)
        return jpg_fail(j, "restart marker missing");
    j->pos += 2;
    for (int i = 0; i < s->n; i++)
        s->c[i]->dc_pred = 0;
    j->eobrun = 0;
    return RK_OK;
}

static rk_status jpg_scan_data(jpg *j, const jpg_scan *s)
{
    rk_status st = RK_OK;
    j->bits = 0;
    j->nbits = 0;
    j->hit_marker = j->truncated = false;
    j->eobrun = 0;
    for (int i = 0; i < s->n; i++)
        s->c[i]->dc_pred = 0;
    /* a single-component scan covers that component's own blocks (not the
     * MCU-padded grid); interleaved scans go MCU by MCU */
    int single = s->n == 1;
    int ux = single ? RK_DIV_UP(s->c[0]->cw, 8) : j->mcux;
    int uy = single ? RK_DIV_UP(s->c[0]->ch, 8) : j->mcuy;
    long units = (long)ux * uy, done = 0;
    for (int my = 0; my < uy && !st; my++) {
        for (int mx = 0; mx < ux && !st; mx++) {
            if (j->restart_interval && done > 0 && done % j->restart_interval == 0 && (st = jpg_restart(j, s)))
                break;
            if (single) {
                st = jpg_block(j, s, s->c[0], mx, my);
            } else {
                for (int i = 0; i < s->n && !st; i++) {
                    jpg_comp *c = s->c[i];
                    for (int v = 0; v < c->v && !st; v++)
                        for (int h = 0; h < c->h && !st; h++)
                            st = jpg_block(j, s, c, mx * c->h + h, my * c->v + v);
                }
            }
            done++;
            if (j->truncated)
                return rk_errf(j->e, RK_EINPUT, "%s: truncated JPEG (entropy data ends after %ld of %ld MCUs)",
                               j->name, done, units);
        }
    }
    return st;
}

static rk_status jpg_sos(jpg *j, const uint8_t *p, size_t n)
{
    jpg_scan s;
    memset(&s, 0, sizeof(s));
    if (!j->have_frame)
        return jpg_fail(j, "SOS before SOF");
    if (n < 1 || p[0] < 1 || p[0] > j->ncomp || n < 4 + 2 * (size_t)p[0])
        return jpg_fail(j, "bad SOS segment");
    s.n = p[0];
    for (int i = 0; i < s.n; i++) {
        int id = p[1 + 2 * i], k;
        for (k = 0; k < j->ncomp && j->comp[k].id != id; k++)
            ;
        if (k == j->ncomp)
            return jpg_fail(j, "SOS names a component the frame does not have");
        s.c[i] = &j->comp[k];
        s.c[i]->td = p[2 + 2 * i] >> 4;
        s.c[i]->ta = p[2 + 2 * i] & 15;
        if (s.c[i]->td > 3 || s.c[i]->ta > 3)
            return jpg_fail(j, "SOS Huffman table index out of range");
    }
    const uint8_t *q = p + 1 + 2 * s.n;
    s.ss = q[0];
    s.se = q[1];
    s.ah = q[2] >> 4;
    s.al = q[2] & 15;
    if (j->progressive) {
        if (s.ss > s.se || s.se > 63 || (s.ss == 0 && s.se != 0) || (s.ss > 0 && s.n != 1) || s.al > 13 ||
            s.ah > 13)
            return jpg_fail(j, "bad progressive scan parameters");
    } else if (s.ss != 0 || s.se != 63 || s.ah || s.al) {
        return jpg_fail(j, "bad sequential scan parameters");
    }
    for (int i = 0; i < s.n; i++) {
        bool dc = s.ss == 0 && !(j->progressive && s.ah), ac = !j->progressive || s.ss > 0;
        if ((dc && !j->dc[s.c[i]->td].defined) || (ac && !j->ac[s.c[i]->ta].defined))
            return jpg_fail(j, "scan uses an undefined Huffman table");
    }
    j->pos = (size_t)(p - j->d) + n;
    rk_status st = jpg_scan_data(j, &s);
    if (st)
        return st;
    /* move to the next marker (skips padding the scan did not read) */
    while (j->pos + 1 < j->len &&
           !(j->d[j->pos] == 0xFF && j->d[j->pos + 1] != 0 && (j->d[j->pos + 1] & 0xF8) != 0xD0))
        j->pos++;
    return RK_OK;
}

/* ---- pixels */

/* cos table for the separable float IDCT: c[x][u] = C(u)/2 cos((2x+1)u pi/16) */
static void idct_table(float c[8][8])
{
    for (int x = 0; x < 8; x++)
        for (int u = 0; u < 8; u++)
            c[x][u] = (float)((u ? 0.5 : 0.5 / sqrt(2.0)) * cos((2 * x + 1) * u * M_PI / 16.0));
}

static void idct_block(const float c[8][8], const int16_t *blk, const uint16_t *q, uint8_t *out, int stride)
{
    float in[64], tmp[64];
    for (int i = 0; i < 64; i++)
        in[i] = (float)blk[i] * q[i];
    for (int v = 0; v < 8; v++) /* rows: over u */
        for (int x = 0; x < 8; x++) {
            float s = 0;
            for (int u = 0; u < 8; u++)
                s += c[x][u] * in[v * 8 + u];
            tmp[v * 8 + x] = s;
        }
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++) {
            float s = 0;
            for (int v = 0; v < 8; v++)
                s += c[y][v] * tmp[v * 8 + x];
            out[y * stride + x] = clamp_u8(lrintf(s + 128.0f));
        }
}

static rk_status jpg_idct_all(jpg *j)
{
    float c[8][8];
    idct_table(c);
    for (int i = 0; i < j->ncomp; i++) {
        jpg_comp *cp = &j->comp[i];
        if (!j->q_defined[cp->tq])
            return jpg_fail(j, "component uses an undefined quantisation table");
        int stride = cp->bw * 8;
        cp->pix = rk_malloc_array((size_t)stride, (size_t)cp->bh * 8);
        if (!cp->pix)
            return rk_errf(j->e, RK_ENOMEM, "%s: out of memory", j->name);
        for (int by = 0; by < cp->bh; by++)
            for (int bx = 0; bx < cp->bw; bx++)
                idct_block(c, cp->coef + ((size_t)by * cp->bw + bx) * 64, j->q[cp->tq],
                           cp->pix + (size_t)by * 8 * stride + (size_t)bx * 8, stride);
    }
    return RK_OK;
}

/* Sample of component c at its own coordinates, clamped to its valid area
 * (libjpeg replicates edge samples for the upsampler's context). */
static int comp_at(const jpg_comp *c, int x, int y)
{
    x = RK_MAX(0, RK_MIN(c->cw - 1, x));
    y = RK_MAX(0, RK_MIN(c->ch - 1, y));
    return c->pix[(size_t)y * c->bw * 8 + x];
}

/* Full-resolution plane of component c (w x h).  Ratio 2 uses libjpeg's
 * triangle filter: per axis 3/4 nearer + 1/4 farther sample; h2v1 rounds
 * with +1 / +2 on even / odd outputs (>> 2), h2v2 sums the vertical pass
 * unrounded and rounds with +8 / +7 (>> 4), h1v2 +1 / +2.  Other ratios
 * replicate. */
static void jpg_upsample(const jpg *j, const jpg_comp *c, uint8_t *dst)
{
    int fx = j->hmax / c->h, fy = j->vmax / c->v;
    for (int y = 0; y < j->h; y++) {
        int sy = y / fy, ny = (fy == 2) ? (y % 2 ? sy + 1 : sy - 1) : sy;
        for (int x = 0; x < j->w; x++) {
            int sx = x / fx, v;
            if (fx == 2 && fy == 2) {
                int nx = x % 2 ? sx + 1 : sx - 1;
                int near = 3 * comp_at(c, sx, sy) + comp_at(c, sx, ny);
                int far = 3 * comp_at(c, nx, sy) + comp_at(c, nx, ny);
                v = (3 * near + far + (x % 2 ? 7 : 8)) >> 4;
            } else if (fx == 2 && fy == 1) {
                int nx = x % 2 ? sx + 1 : sx - 1;
                v = (3 * comp_at(c, sx, sy) + comp_at(c, nx, sy) + (x % 2 ? 2 : 1)) >> 2;
            } else if (fx == 1 && fy == 2) {
                v = (3 * comp_at(c, sx, sy) + comp_at(c, sx, ny) + (y % 2 ? 2 : 1)) >> 2;
            } else {
                v = comp_at(c, sx, sy);
            }
            dst[(size_t)y * j->w + x] = (uint8_t)v;
        }
    }
}

/* JFIF YCbCr -> RGB (R = Y + 1.402 Cr', G = Y - 0.344136 Cb' - 0.714136
 * Cr', B = Y + 1.772 Cb', with Cb' = Cb - 128), rounded. */
static rk_status jpg_to_rgb(jpg *j, rk_image *out)
{
    rk_status st = alloc_rgb(out, j->w, j->h, j->name, j->e);
    size_t np = (size_t)j->w * (size_t)j->h;
    uint8_t *plane[JPG_MAX_COMP] = {0};
    for (int i = 0; !st && i < j->ncomp; i++) {
        if (!(plane[i] = malloc(np)))
            st = rk_errf(j->e, RK_ENOMEM, "%s: out of memory", j->name);
        else
            jpg_upsample(j, &j->comp[i], plane[i]);
    }
    for (size_t k = 0; !st && k < np; k++) {
        uint8_t *o = out->rgb + 3 * k;
        if (j->ncomp == 1) {
            o[0] = o[1] = o[2] = plane[0][k];
            continue;
        }
        float y = plane[0][k], cb = plane[1][k] - 128.0f, cr = plane[2][k] - 128.0f;
        o[0] = clamp_u8(lrintf(y + 1.402f * cr));
        o[1] = clamp_u8(lrintf(y - 0.344136f * cb - 0.714136f * cr));
        o[2] = clamp_u8(lrintf(y + 1.772f * cb));
    }
    for (int i = 0; i < JPG_MAX_COMP; i++)
        free(plane[i]);
    if (st)
        rk_image_free(out);
    return st;
}

static rk_status jpg_segments(jpg *j)
{
    bool scanned = false;
    int scans = 0;
    j->pos = 2;
    for (;;) {
        while (j->pos < j->len && j->d[j->pos] == 0xFF && j->pos + 1 < j->len && j->d[j->pos + 1] == 0xFF)
            j->pos++;
        if (j->pos + 2 > j->len)
            return rk_errf(j->e, RK_EINPUT, "%s: truncated JPEG (%s)", j->name,
                           scanned ? "no EOI marker after the scans" : "no image data");
        if (j->d[j->pos] != 0xFF)
            return jpg_fail(j, "marker expected");
        int m = j->d[j->pos + 1];
        j->pos += 2;
        if (m == 0xD9) {
            if (!scanned)
                return jpg_fail(j, "EOI before any scan");
            return RK_OK;
        }
        if ((m & 0xF8) == 0xD0 || m == 0x01)
            continue; /* stray RSTn / TEM: no segment */
        if (j->pos + 2 > j->len)
            return rk_errf(j->e, RK_EINPUT, "%s: truncated JPEG (segment length missing)", j->name);
        size_t seg = (size_t)read_u16(j->d + j->pos);
        if (seg < 2 || j->pos + seg > j->len)
            return rk_errf(j->e, RK_EINPUT, "%s: truncated JPEG (marker 0xFF%02X segment of %zu bytes at byte %zu)",
                           j->name, m, seg, j->pos);
        const uint8_t *p = j->d + j->pos + 2;
        size_t n = seg - 2;
        rk_status st = RK_OK;
        if (m == 0xC4)
            st = jpg_dht(j, p, n);
        else if (m == 0xDB)
            st = jpg_dqt(j, p, n);
        else if (m == 0xDD)
            j->restart_interval = n >= 2 ? read_u16(p) : 0;
        else if (m == 0xCC)
            st = rk_errf(j->e, RK_EUNSUPPORTED, "%s: arithmetic-coded JPEG is not supported", j->name);
        else if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC)
            st = jpg_sof(j, m, p, n);
        else if (m == 0xDA) {
            /* real progressive files have ~10 scans; each scan walks every
             * block, so a crafted file with thousands would take minutes */
            if (++scans > JPG_MAX_SCANS)
                return rk_errf(j->e, RK_EUNSUPPORTED, "%s: JPEG with more than %d scans", j->name, JPG_MAX_SCANS);
            st = jpg_sos(j, p, n);
            scanned = true;
            if (!st)
                continue; /* pos already after the scan */
        }
        if (st)
            return st;
        j->pos += seg;
    }
}

static rk_status jpeg_decode(const uint8_t *data, size_t len, const char *name, rk_image *out, rk_err *e)
{
    jpg *j = calloc(1, sizeof(*j));
    if (!j)
        return rk_errf(e, RK_ENOMEM, "%s: out of memory", name);
    j->name = name;
    j->d = data;
    j->len = len;
    j->e = e;
    rk_status st = jpg_segments(j);
    if (!st && !j->have_frame)
        st = jpg_fail(j, "no SOF marker");
    if (!st)
        st = jpg_idct_all(j);
    if (!st)
        st = jpg_to_rgb(j, out);
    for (int i = 0; i < JPG_MAX_COMP; i++) {
        free(j->comp[i].coef);
        free(j->comp[i].pix);
    }
    free(j);
    return st;
}

/* ============================================================= inflate */

/* Huffman decoding for inflate: counts per length and symbols sorted by
 * code (RFC 1951 3.2.2 canonical codes), decoded bit by bit. */
typedef struct infl_huff {
    uint16_t count[16];
    uint16_t sym[288];
} infl_huff;

typedef struct inflater {
    const uint8_t *in;
    size_t in_len, in_pos;
    uint32_t bitbuf;
    int bitcnt;
    uint8_t *out;
    size_t out_len, out_cap;
    bool overrun;
} inflater;

static int infl_bits(inflater *s, int n, bool *ok)
{
    while (s->bitcnt < n) {
        if (s->in_pos >= s->in_len) {
            *ok = false;
            return 0;
        }
        s->bitbuf |= (uint32_t)s->in[s->in_pos++] << s->bitcnt;
        s->bitcnt += 8;
    }
    int v = (int)(s->bitbuf & ((1u << n) - 1));
    s->bitbuf >>= n;
    s->bitcnt -= n;
    return v;
}

/* Returns false for an over-subscribed set of lengths (incomplete sets are
 * legal, e.g. a single distance code). */
static bool infl_build(infl_huff *h, const uint8_t *lens, int n)
{
    uint16_t offs[16];
    memset(h->count, 0, sizeof(h->count));
    for (int i = 0; i < n; i++)
        h->count[lens[i]]++;
    h->count[0] = 0;
    int left = 1;
    for (int l = 1; l < 16; l++) {
        left = (left << 1) - h->count[l];
        if (left < 0)
            return false;
    }
    offs[1] = 0;
    for (int l = 1; l < 15; l++)
        offs[l + 1] = (uint16_t)(offs[l] + h->count[l]);
    for (int i = 0; i < n; i++)
        if (lens[i])
            h->sym[offs[lens[i]]++] = (uint16_t)i;
    return true;
}

static int infl_decode(inflater *s, const infl_huff *h, bool *ok)
{
    int code = 0, first = 0, index = 0;
    for (int l = 1; l < 16; l++) {
        code |= infl_bits(s, 1, ok);
        if (!*ok)
            return -1;
        int count = h->count[l];
        if (code - count < first)
            return h->sym[index + (code - first)];
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return -1;
}

static const uint16_t len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
                                       193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static bool infl_put(inflater *s, uint8_t b)
{
    if (s->out_len >= s->out_cap) {
        s->overrun = true;
        return false;
    }
    s->out[s->out_len++] = b;
    return true;
}

/* One compressed block; returns an error string or NULL. */
static const char *infl_codes(inflater *s, const infl_huff *lit, const infl_huff *dist)
{
    bool ok = true;
    for (;;) {
        int sym = infl_decode(s, lit, &ok);
        if (!ok)
            return "truncated deflate data";
        if (sym < 0)
            return "invalid literal/length code";
        if (sym < 256) {
            if (!infl_put(s, (uint8_t)sym))
                return "more data than the image needs";
            continue;
        }
        if (sym == 256)
            return NULL;
        sym -= 257;
        if (sym >= 29)
            return "invalid length symbol";
        int len = len_base[sym] + infl_bits(s, len_extra[sym], &ok);
        int ds = infl_decode(s, dist, &ok);
        if (!ok)
            return "truncated deflate data";
        if (ds < 0 || ds >= 30)
            return "invalid distance code";
        size_t d = (size_t)dist_base[ds] + (size_t)infl_bits(s, dist_extra[ds], &ok);
        if (!ok)
            return "truncated deflate data";
        if (d > s->out_len)
            return "distance reaches before the start of the data";
        for (int i = 0; i < len; i++)
            if (!infl_put(s, s->out[s->out_len - d]))
                return "more data than the image needs";
    }
}

static const char *infl_stored(inflater *s)
{
    s->bitbuf = 0;
    s->bitcnt = 0;
    if (s->in_pos + 4 > s->in_len)
        return "truncated deflate data";
    unsigned len = s->in[s->in_pos] | (s->in[s->in_pos + 1] << 8);
    unsigned nlen = s->in[s->in_pos + 2] | (s->in[s->in_pos + 3] << 8);
    s->in_pos += 4;
    if (len != (~nlen & 0xFFFFu))
        return "stored block length check failed";
    if (s->in_pos + len > s->in_len)
        return "truncated deflate data";
    for (unsigned i = 0; i < len; i++)
        if (!infl_put(s, s->in[s->in_pos + i]))
            return "more data than the image needs";
    s->in_pos += len;
    return NULL;
}

static const char *infl_fixed(inflater *s)
{
    infl_huff lit, dist;
    uint8_t l[288];
    for (int i = 0; i < 288; i++)
        l[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
    infl_build(&lit, l, 288);
    for (int i = 0; i < 30; i++)
        l[i] = 5;
    infl_build(&dist, l, 30);
    return infl_codes(s, &lit, &dist);
}

static const char *infl_dynamic(inflater *s)
{
    static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    bool ok = true;
    uint8_t lens[320];
    infl_huff lencode, lit, dist;
    int nlen = infl_bits(s, 5, &ok) + 257, ndist = infl_bits(s, 5, &ok) + 1, ncode = infl_bits(s, 4, &ok) + 4;
    if (!ok)
        return "truncated deflate data";
    if (nlen > 286 || ndist > 30)
        return "bad dynamic block counts";
    memset(lens, 0, sizeof(lens));
    for (int i = 0; i < ncode; i++)
        lens[order[i]] = (uint8_t)infl_bits(s, 3, &ok);
    if (!ok)
        return "truncated deflate data";
    if (!infl_build(&lencode, lens, 19))
        return "bad code-length code";
    for (int i = 0; i < nlen + ndist;) {
        int sym = infl_decode(s, &lencode, &ok);
        if (!ok)
            return "truncated deflate data";
        if (sym < 0)
            return "bad code-length symbol";
        if (sym < 16) {
            lens[i++] = (uint8_t)sym;
            continue;
        }
        int rep, val = 0;
        if (sym == 16) {
            if (i == 0)
                return "repeat with no previous length";
            val = lens[i - 1];
            rep = 3 + infl_bits(s, 2, &ok);
        } else if (sym == 17) {
            rep = 3 + infl_bits(s, 3, &ok);
        } else {
            rep = 11 + infl_bits(s, 7, &ok);
        }
        if (!ok)
            return "truncated deflate data";
        if (i + rep > nlen + ndist)
            return "code lengths overrun";
        while (rep--)
            lens[i++] = (uint8_t)val;
    }
    if (lens[256] == 0)
        return "no end-of-block code";
    if (!infl_build(&lit, lens, nlen) || !infl_build(&dist, lens + nlen, ndist))
        return "over-subscribed Huffman code";
    return infl_codes(s, &lit, &dist);
}

/* zlib stream (RFC 1950) into out[0..cap): header, deflate blocks, Adler-32. */
static rk_status zlib_inflate(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *out_len,
                              const char *name, rk_err *e)
{
    if (n < 6 || (in[0] & 15) != 8 || ((in[0] << 8) | in[1]) % 31 != 0 || (in[1] & 0x20))
        return rk_errf(e, RK_EINPUT, "%s: corrupt PNG: bad zlib header", name);
    inflater s = {.in = in, .in_len = n - 4, .in_pos = 2, .out = out, .out_cap = cap};
    const char *err = NULL;
    int last = 0;
    while (!last && !err) {
        bool ok = true;
        last = infl_bits(&s, 1, &ok);
        int type = infl_bits(&s, 2, &ok);
        if (!ok)
            err = "truncated deflate data";
        else if (type == 0)
            err = infl_stored(&s);
        else if (type == 1)
            err = infl_fixed(&s);
        else if (type == 2)
            err = infl_dynamic(&s);
        else
            err = "invalid deflate block type";
    }
    if (err)
        return rk_errf(e, RK_EINPUT, "%s: corrupt PNG image data: %s", name, err);
    const uint8_t *a = in + n - 4;
    uint32_t want = ((uint32_t)a[0] << 24) | ((uint32_t)a[1] << 16) | ((uint32_t)a[2] << 8) | a[3];
    uint32_t s1 = 1, s2 = 0;
    for (size_t i = 0; i < s.out_len; i++) {
        s1 = (s1 + out[i]) % 65521u;
        s2 = (s2 + s1) % 65521u;
    }
    if (((s2 << 16) | s1) != want)
        return rk_errf(e, RK_EINPUT, "%s: corrupt PNG image data: Adler-32 mismatch", name);
    *out_len = s.out_len;
    return RK_OK;
}

/* ================================================================= PNG */

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    static bool ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = true;
    }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 255] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

typedef struct png_info {
    int w, h, depth, ctype;
    int channels;   /* samples per pixel */
    uint8_t plte[256][3];
    int n_plte;
} png_info;

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undo the row filters in place; raw = h rows of 1 + rowbytes. */
static rk_status png_unfilter(uint8_t *raw, const png_info *pi, size_t rowbytes, const char *name, rk_err *e)
{
    int bpp = RK_MAX(1, pi->channels * pi->depth / 8);
    for (int y = 0; y < pi->h; y++) {
        uint8_t *row = raw + (size_t)y * (rowbytes + 1);
        const uint8_t *prev = y ? row - (rowbytes + 1) + 1 : NULL;
        int f = row[0];
        uint8_t *r = row + 1;
        if (f > 4)
            return rk_errf(e, RK_EINPUT, "%s: corrupt PNG: row %d has filter type %d (0..4)", name, y, f);
        for (size_t x = 0; x < rowbytes; x++) {
            int a = x >= (size_t)bpp ? r[x - bpp] : 0, b = prev ? prev[x] : 0;
            int c = prev && x >= (size_t)bpp ? prev[x - bpp] : 0, p = 0;
            switch (f) {
            case 1: p = a; break;
            case 2: p = b; break;
            case 3: p = (a + b) / 2; break;
            case 4: p = paeth(a, b, c); break;
            default: break;
            }
            r[x] = (uint8_t)(r[x] + p);
        }
    }
    return RK_OK;
}

static int png_sample(const uint8_t *r, int x, int depth)
{
    if (depth == 8)
        return r[x];
    int per = 8 / depth, shift = 8 - depth * (x % per + 1);
    return (r[x / per] >> shift) & ((1 << depth) - 1);
}

static rk_status png_to_rgb(const uint8_t *raw, const png_info *pi, size_t rowbytes, rk_image *out,
                            const char *name, rk_err *e)
{
    rk_status st = alloc_rgb(out, pi->w, pi->h, name, e);
    if (st)
        return st;
    int maxv = (1 << pi->depth) - 1;
    for (int y = 0; y < pi->h; y++) {
        const uint8_t *r = raw + (size_t)y * (rowbytes + 1) + 1;
        for (int x = 0; x < pi->w; x++) {
            uint8_t *o = out->rgb + ((size_t)y * pi->w + x) * 3;
            if (pi->ctype == 3) {
                int idx = png_sample(r, x, pi->depth);
                if (idx >= pi->n_plte) {
                    rk_image_free(out);
                    return rk_errf(e, RK_EINPUT, "%s: corrupt PNG: palette index %d beyond the %d-entry PLTE", name,
                                   idx, pi->n_plte);
                }
                memcpy(o, pi->plte[idx], 3);
            } else if (pi->ctype == 0 || pi->ctype == 4) {
                int g = pi->ctype == 0 ? png_sample(r, x, pi->depth) : r[2 * x];
                o[0] = o[1] = o[2] = (uint8_t)(g * 255 / maxv);
            } else {
                memcpy(o, r + (size_t)x * pi->channels, 3); /* RGB or RGBA: alpha dropped */
            }
        }
    }
    return RK_OK;
}

static rk_status png_ihdr(const uint8_t *p, uint32_t n, png_info *pi, const char *name, rk_err *e)
{
    if (n != 13)
        return rk_errf(e, RK_EINPUT, "%s: corrupt PNG: IHDR of %u bytes (13)", name, n);
    uint32_t w = be32(p), h = be32(p + 4);
    pi->depth = p[8];
    pi->ctype = p[9];
    if (w > RK_IMAGE_MAX_SIDE || h > RK_IMAGE_MAX_SIDE)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: PNG image of %ux%u pixels exceeds rksim's limit (%d per side)", name, w,
                       h, RK_IMAGE_MAX_SIDE);
    pi->w = (int)w;
    pi->h = (int)h;
    rk_status st = check_dims(name, "PNG", pi->w, pi->h, e);
    if (st)
        return st;
    static const int chans[7] = {1, 0, 3, 1, 2, 0, 4};
    if (pi->ctype > 6 || chans[pi->ctype] == 0)
        return rk_errf(e, RK_EINPUT, "%s: corrupt PNG: colour type %d", name, pi->ctype);
    pi->channels = chans[pi->ctype];
    if (pi->depth == 16)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: 16-bit PNG is not supported (convert it to 8-bit)", name);
    bool low_ok = pi->ctype == 0 || pi->ctype == 3;
    if (!(pi->depth == 8 || (low_ok && (pi->depth == 1 || pi->depth == 2 || pi->depth == 4))))
        return rk_errf(e, RK_EINPUT, "%s: corrupt PNG: bit depth %d with colour type %d", name, pi->depth, pi->ctype);
    if (p[10] != 0 || p[11] != 0)
        return rk_errf(e, RK_EINPUT, "%s: corrupt PNG: unknown compression/filter method", name);
    if (p[12] != 0)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: interlaced (Adam7) PNG is not supported (save it non-interlaced)",
                       name);
    return RK_OK;
}

static rk_status png_decode(const uint8_t *d, size_t len, const char *name, rk_image *out, rk_err *e)
{
    png_info pi;
    memset(&pi, 0, sizeof(pi));
    uint8_t *idat = NULL, *raw = NULL;
    size_t idat_len = 0, pos = 8, raw_len = 0, rowbytes = 0;
    bool have_ihdr = false, have_iend = false;
    rk_status st = RK_OK;
    while (!st && !have_iend) {
        if (pos + 12 > len) {
            st = rk_errf(e, RK_EINPUT, "%s: truncated PNG (chunk header at byte %zu)", name, pos);
            break;
        }
        uint32_t n = be32(d + pos);
        const uint8_t *type = d + pos + 4, *body = d + pos + 8;
        if (n > len - pos - 12) {
            st = rk_errf(e, RK_EINPUT, "%s: truncated PNG (chunk '%.4s' of %u bytes at byte %zu)", name,
                         (const char *)type, n, pos);
            break;
        }
        if (crc32_png(type, (size_t)n + 4) != be32(body + n)) {
            st = rk_errf(e, RK_EINPUT, "%s: corrupt PNG: CRC mismatch in chunk '%.4s' at byte %zu", name,
                         (const char *)type, pos);
            break;
        }
        if (!have_ihdr && memcmp(type, "IHDR", 4) != 0) {
            st = rk_errf(e, RK_EINPUT, "%s: corrupt PNG: first chunk is not IHDR", name);
        } else if (memcmp(type, "IHDR", 4) == 0) {
            st = have_ihdr ? rk_errf(e, RK_EINPUT, "%s: corrupt PNG: second IHDR", name) : png_ihdr(body, n, &pi, name, e);
            have_ihdr = true;
        } else if (memcmp(type, "PLTE", 4) == 0) {
            if (n % 3 || n > 768 || n == 0)
                st = rk_errf(e, RK_EINPUT, "%s: corrupt PNG: PLTE of %u bytes", name, n);
            pi.n_plte = (int)(n / 3);
            if (!st)
                memcpy(pi.plte, body, n);
        } else if (memcmp(type, "IDAT", 4) == 0) {
            uint8_t *nb = realloc(idat, idat_len + n + 1);
            if (!nb) {
                st = rk_errf(e, RK_ENOMEM, "%s: out of memory", name);
                break;
            }
            idat = nb;
            memcpy(idat + idat_len, body, n);
            idat_len += n;
        } else if (memcmp(type, "IEND", 4) == 0) {
            have_iend = true;
        } else if (!(type[0] & 0x20)) {
            st = rk_errf(e, RK_EUNSUPPORTED, "%s: PNG with unknown critical chunk '%.4s'", name, (const char *)type);
        }
        pos += 12 + (size_t)n;
    }
    if (!st && !idat)
        st = rk_errf(e, RK_EINPUT, "%s: corrupt PNG: no IDAT chunk", name);
    if (!st && pi.ctype == 3 && pi.n_plte == 0)
        st = rk_errf(e, RK_EINPUT, "%s: corrupt PNG: palette image without PLTE", name);
    if (!st) {
        rowbytes = ((size_t)pi.w * (size_t)pi.channels * (size_t)pi.depth + 7) / 8;
        size_t need = (rowbytes + 1) * (size_t)pi.h;
        if (!(raw = malloc(need)))
            st = rk_errf(e, RK_ENOMEM, "%s: out of memory", name);
        else if (!(st = zlib_inflate(idat, idat_len, raw, need, &raw_len, name, e)) && raw_len != need)
            st = rk_errf(e, RK_EINPUT, "%s: corrupt PNG: image data holds %zu of the %zu bytes a %dx%d image needs",
                         name, raw_len, need, pi.w, pi.h);
    }
    if (!st)
        st = png_unfilter(raw, &pi, rowbytes, name, e);
    if (!st)
        st = png_to_rgb(raw, &pi, rowbytes, out, name, e);
    free(idat);
    free(raw);
    return st;
}

/* ============================================================ dispatch */

rk_status rk_image_decode(const uint8_t *data, size_t len, const char *name, rk_image *out, rk_err *e)
{
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    memset(out, 0, sizeof(*out));
    if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        return jpeg_decode(data, len, name, out, e);
    if (len >= 8 && memcmp(data, png_sig, 8) == 0)
        return png_decode(data, len, name, out, e);
    return rk_errf(e, RK_EINPUT, "%s: not a JPEG or PNG file (unknown signature)", name);
}

rk_status rk_image_read(const char *path, rk_image *out, rk_err *e)
{
    uint8_t *data = NULL;
    size_t len = 0;
    memset(out, 0, sizeof(*out));
    rk_status st = rk_read_file(path, &data, &len, 256u << 20, e);
    if (st)
        return st;
    st = rk_image_decode(data, len, path, out, e);
    free(data);
    return st;
}

/* ============================================================== resize */

#define RS_PREC 22 /* fixed-point weight bits (Pillow: 32 - 8 - 2) */

/* Per output index: first input index, tap count, ksize int weights. */
typedef struct rs_coeffs {
    int ksize;
    int *lo, *n;
    int32_t *k;
} rs_coeffs;

static void rs_free(rs_coeffs *c)
{
    free(c->lo);
    free(c->n);
    free(c->k);
}

/* Triangle filter with support max(scale, 1) around each output centre
 * (x + 0.5) * scale, weights normalised to 1 then rounded to RS_PREC bits. */
static bool rs_coeffs_make(rs_coeffs *c, int in_size, int out_size)
{
    double scale = (double)in_size / out_size, fscale = scale < 1 ? 1 : scale, support = fscale;
    c->ksize = (int)ceil(support) * 2 + 1;
    c->lo = malloc((size_t)out_size * sizeof(int));
    c->n = malloc((size_t)out_size * sizeof(int));
    c->k = rk_calloc_array((size_t)out_size * (size_t)c->ksize, sizeof(int32_t));
    double *w = malloc((size_t)c->ksize * sizeof(double));
    if (!c->lo || !c->n || !c->k || !w) {
        free(w);
        return false;
    }
    for (int o = 0; o < out_size; o++) {
        double centre = (o + 0.5) * scale, sum = 0;
        int lo = (int)(centre - support + 0.5), hi = (int)(centre + support + 0.5);
        lo = RK_MAX(lo, 0);
        hi = RK_MIN(hi, in_size);
        int n = RK_MIN(hi - lo, c->ksize);
        for (int i = 0; i < n; i++) {
            double t = fabs((i + lo - centre + 0.5) / fscale);
            w[i] = t < 1 ? 1 - t : 0;
            sum += w[i];
        }
        for (int i = 0; i < n; i++) {
            double v = sum != 0 ? w[i] / sum : 0;
            c->k[(size_t)o * c->ksize + i] = (int32_t)(v < 0 ? -0.5 + v * (1 << RS_PREC) : 0.5 + v * (1 << RS_PREC));
        }
        c->lo[o] = lo;
        c->n[o] = n;
    }
    free(w);
    return true;
}

static uint8_t rs_clip(int64_t acc)
{
    return clamp_u8((long)(acc >> RS_PREC));
}

static void rs_horizontal(const rk_image *in, rk_image *out, const rs_coeffs *c)
{
    for (int y = 0; y < out->h; y++)
        for (int x = 0; x < out->w; x++)
            for (int ch = 0; ch < 3; ch++) {
                int64_t acc = 1 << (RS_PREC - 1);
                const int32_t *k = c->k + (size_t)x * c->ksize;
                for (int i = 0; i < c->n[x]; i++)
                    acc += (int64_t)in->rgb[((size_t)y * in->w + c->lo[x] + i) * 3 + ch] * k[i];
                out->rgb[((size_t)y * out->w + x) * 3 + ch] = rs_clip(acc);
            }
}

static void rs_vertical(const rk_image *in, rk_image *out, const rs_coeffs *c)
{
    for (int y = 0; y < out->h; y++)
        for (int x = 0; x < out->w; x++)
            for (int ch = 0; ch < 3; ch++) {
                int64_t acc = 1 << (RS_PREC - 1);
                const int32_t *k = c->k + (size_t)y * c->ksize;
                for (int i = 0; i < c->n[y]; i++)
                    acc += (int64_t)in->rgb[((size_t)(c->lo[y] + i) * in->w + x) * 3 + ch] * k[i];
                out->rgb[((size_t)y * out->w + x) * 3 + ch] = rs_clip(acc);
            }
}

rk_status rk_image_resize(const rk_image *in, int ow, int oh, rk_image *out, rk_err *e)
{
    memset(out, 0, sizeof(*out));
    rk_status st = check_dims("resize target", "output", ow, oh, e);
    if (st)
        return st;
    rk_image mid = {0};
    rs_coeffs ch = {0}, cv = {0};
    const rk_image *src = in;
    if (ow != in->w) {
        if (!rs_coeffs_make(&ch, in->w, ow) || alloc_rgb(&mid, ow, in->h, "resize", e)) {
            st = rk_errf(e, RK_ENOMEM, "resize: out of memory");
            goto done;
        }
        rs_horizontal(in, &mid, &ch);
        src = &mid;
    }
    if (alloc_rgb(out, ow, oh, "resize", e)) {
        st = rk_errf(e, RK_ENOMEM, "resize: out of memory");
        goto done;
    }
    if (oh != in->h) {
        if (!rs_coeffs_make(&cv, src->h, oh)) {
            rk_image_free(out);
            st = rk_errf(e, RK_ENOMEM, "resize: out of memory");
            goto done;
        }
        rs_vertical(src, out, &cv);
    } else {
        memcpy(out->rgb, src->rgb, (size_t)ow * oh * 3);
    }
done:
    rs_free(&ch);
    rs_free(&cv);
    rk_image_free(&mid);
    return st;
}
