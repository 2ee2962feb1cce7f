/* rknn_partner.c - the "rksim#partners" table: parse, format, element maps
 * (format and semantics in rknn_partner.h). */
#include "rknn_partner.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TABLE_BYTES = 64 << 20 };

void rknn_partner_table_free(rknn_partner_table *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->n; i++) {
        free(t->v[i].tensor);
        free(t->v[i].onnx);
        free(t->v[i].factors);
    }
    free(t->v);
    memset(t, 0, sizeof(*t));
}

bool rknn_partner_name_ok(const char *name)
{
    return name && name[0] && !strpbrk(name, "\t\r\n");
}

static const char *kind_name(rknn_partner_kind k)
{
    switch (k) {
    case RKNN_PARTNER_COPY: return "copy";
    case RKNN_PARTNER_EQ: return "eq";
    case RKNN_PARTNER_MM: return "mm";
    case RKNN_PARTNER_MMW: return "mmw";
    }
    return "?";
}

/* ---- parsing ------------------------------------------------------------- */

/* The parameter tokens of one line (a NUL-terminated copy, split in place). */
typedef struct tokens {
    char *v[16];
    int n;
    int line;
} tokens;

static rk_status parse_i64(const tokens *tk, const char *s, int64_t lo, int64_t hi, int64_t *out, rk_err *e)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!s[0] || *end || errno || v < lo || v > hi)
        return rk_errf(e, RK_EINPUT, "rksim#partners line %d: '%s' is not an integer in [%lld, %lld]", tk->line, s,
                       (long long)lo, (long long)hi);
    *out = v;
    return RK_OK;
}

/* "D0xD1x..." */
static rk_status parse_dims(const tokens *tk, char *s, rknn_partner *p, rk_err *e)
{
    p->ndim = 0;
    for (char *save = NULL, *d = strtok_r(s, "x", &save); d; d = strtok_r(NULL, "x", &save)) {
        if (p->ndim == RK_MAX_DIMS)
            return rk_errf(e, RK_EINPUT, "rksim#partners line %d: more than %d dims", tk->line, RK_MAX_DIMS);
        rk_status st = parse_i64(tk, d, 1, INT32_MAX, &p->dims[p->ndim], e);
        if (st)
            return st;
        p->ndim++;
    }
    if (!p->ndim)
        return rk_errf(e, RK_EINPUT, "rksim#partners line %d: empty shape", tk->line);
    return RK_OK;
}

static rk_status parse_eq(const tokens *tk, char *params, rknn_partner *p, rk_err *e)
{
    size_t cap = 1;
    for (const char *c = params; *c; c++)
        cap += *c == ' ';
    if (!(p->factors = rk_malloc_array(cap, sizeof(float))))
        return rk_errf(e, RK_ENOMEM, "out of memory");
    for (char *save = NULL, *f = strtok_r(params, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
        char *end = NULL;
        errno = 0;
        float v = strtof(f, &end);
        if (*end || errno || !isfinite(v) || !(v > 0))
            return rk_errf(e, RK_EINPUT, "rksim#partners line %d: factor '%s' is not a finite number > 0", tk->line, f);
        p->factors[p->n_factors++] = v;
    }
    if (!p->n_factors)
        return rk_errf(e, RK_EINPUT, "rksim#partners line %d: eq without factors", tk->line);
    return RK_OK;
}

/* mm: dims rows cols trans batch nbatch; mmw: dims k n batch nbatch esz. */
static rk_status parse_matrix(tokens *tk, char *params, rknn_partner *p, rk_err *e)
{
    const int want = 6;
    tk->n = 0;
    for (char *save = NULL, *s = strtok_r(params, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
        if (tk->n == want)
            return rk_errf(e, RK_EINPUT, "rksim#partners line %d: more than %d parameters", tk->line, want);
        tk->v[tk->n++] = s;
    }
    if (tk->n != want)
        return rk_errf(e, RK_EINPUT, "rksim#partners line %d: %s needs %d parameters, has %d", tk->line,
                       kind_name(p->kind), want, tk->n);
    int64_t v[5];
    rk_status st = parse_dims(tk, tk->v[0], p, e);
    for (int i = 0; i < 5 && !st; i++)
        st = parse_i64(tk, tk->v[1 + i], 0, INT32_MAX, &v[i], e);
    if (st)
        return st;
    p->rows = v[0];
    p->cols = v[1];
    if (p->kind == RKNN_PARTNER_MM) {
        if (v[2] > 1)
            return rk_errf(e, RK_EINPUT, "rksim#partners line %d: TRANS must be 0 or 1", tk->line);
        p->trans = v[2] == 1;
        p->batch = v[3];
        p->nbatch = v[4];
    } else {
        p->batch = v[2];
        p->nbatch = v[3];
        if (v[4] != 1 && v[4] != 2)
            return rk_errf(e, RK_EINPUT, "rksim#partners line %d: ESZ must be 1 or 2", tk->line);
        p->esz = (int)v[4];
    }
    int64_t prod = 1;
    for (int d = 0; d < p->ndim; d++)
        prod = prod > INT32_MAX ? prod : prod * p->dims[d]; /* stops growing past 2^31: no overflow */
    bool mmw_big = p->kind == RKNN_PARTNER_MMW && (p->rows > (1 << 24) || p->cols > (1 << 24));
    if (mmw_big || p->rows < 1 || p->cols < 1 || p->nbatch < 1 || p->batch >= p->nbatch || p->rows > INT32_MAX / p->cols ||
        p->nbatch > INT32_MAX / (p->rows * p->cols) || prod != p->nbatch * p->rows * p->cols)
        return rk_errf(e, RK_EINPUT,
                       "rksim#partners line %d: %lld matrices of %lld x %lld (matrix %lld) do not make the ONNX "
                       "shape",
                       tk->line, (long long)p->nbatch, (long long)p->rows, (long long)p->cols, (long long)p->batch);
    return RK_OK;
}

static rk_status parse_line(char *line, int lineno, rknn_partner *p, rk_err *e)
{
    tokens tk = {.line = lineno};
    char *f[4] = {line, NULL, NULL, NULL};
    int nf = 1;
    for (char *c = line; *c && nf < 4; c++)
        if (*c == '\t') {
            *c = '\0';
            f[nf++] = c + 1;
        }
    if (nf < 3 || !f[0][0] || !f[1][0])
        return rk_errf(e, RK_EINPUT, "rksim#partners line %d: expected TENSOR<TAB>ONNX<TAB>KIND", lineno);
    if (!(p->tensor = strdup(f[0])) || !(p->onnx = strdup(f[1])))
        return rk_errf(e, RK_ENOMEM, "out of memory");
    static const rknn_partner_kind kinds[] = {RKNN_PARTNER_COPY, RKNN_PARTNER_EQ, RKNN_PARTNER_MM, RKNN_PARTNER_MMW};
    bool known = false;
    for (size_t i = 0; i < RK_ARRAY_LEN(kinds) && !known; i++)
        if (strcmp(f[2], kind_name(kinds[i])) == 0) {
            p->kind = kinds[i];
            known = true;
        }
    if (!known)
        return rk_errf(e, RK_EINPUT, "rksim#partners line %d: unknown kind '%.40s'", lineno, f[2]);
    if (p->kind == RKNN_PARTNER_COPY)
        return nf == 3 ? RK_OK : rk_errf(e, RK_EINPUT, "rksim#partners line %d: copy takes no parameters", lineno);
    if (nf != 4)
        return rk_errf(e, RK_EINPUT, "rksim#partners line %d: %s needs parameters", lineno, f[2]);
    if (strchr(f[3], '\t'))
        return rk_errf(e, RK_EINPUT, "rksim#partners line %d: TAB inside the parameters", lineno);
    return p->kind == RKNN_PARTNER_EQ ? parse_eq(&tk, f[3], p, e) : parse_matrix(&tk, f[3], p, e);
}

rk_status rknn_partners_parse(const uint8_t *text, size_t len, rknn_partner_table *out, rk_err *e)
{
    memset(out, 0, sizeof(*out));
    if (len > MAX_TABLE_BYTES)
        return rk_errf(e, RK_EINPUT, "rksim#partners: %zu bytes (more than %d)", len, MAX_TABLE_BYTES);
    if (memchr(text, '\0', len))
        return rk_errf(e, RK_EINPUT, "rksim#partners: NUL byte in the text");
    char *buf = malloc(len + 1);
    if (!buf)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    memcpy(buf, text, len);
    buf[len] = '\0';
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    rk_status st = RK_OK;
    out->v = rk_calloc_array(lines, sizeof(*out->v));
    if (!out->v)
        st = rk_errf(e, RK_ENOMEM, "out of memory");
    int lineno = 0;
    char *save = NULL;
    for (char *line = st ? NULL : strtok_r(buf, "\n", &save); line && !st; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (lineno == 1) {
            if (strcmp(line, RKNN_PARTNERS_MAGIC) != 0)
                st = rk_errf(e, RK_EINPUT, "rksim#partners: first line is not '%s'", RKNN_PARTNERS_MAGIC);
            continue;
        }
        st = parse_line(line, lineno, &out->v[out->n++], e);
    }
    if (!st && lineno == 0)
        st = rk_errf(e, RK_EINPUT, "rksim#partners: empty");
    free(buf);
    if (st)
        rknn_partner_table_free(out);
    return st;
}

rk_status rknn_partners_read(const rknn_model *m, rknn_partner_table *out, rk_err *e)
{
    memset(out, 0, sizeof(*out));
    int32_t ti = m->n_graphs ? rknn_find_tensor(m, RKNN_PARTNERS_TENSOR) : -1;
    if (ti < 0)
        return RK_OK;
    const rknn_tensor *t = &m->graphs[0].tensors[ti];
    const rknn_buffer *b = t->kind == RKNN_KIND_CONST ? rknn_tensor_buffer(m, t) : NULL;
    if (!b)
        return rk_errf(e, RK_EINPUT, "tensor '%s' is not a const tensor with a buffer", RKNN_PARTNERS_TENSOR);
    return rknn_partners_parse(b->data, b->size, out, e);
}

const rknn_partner *rknn_partner_find(const rknn_partner_table *t, const char *tensor)
{
    for (uint32_t i = 0; t && i < t->n; i++)
        if (strcmp(t->v[i].tensor, tensor) == 0)
            return &t->v[i];
    return NULL;
}

/* ---- formatting ------------------------------------------------------------ */

/* A growing text buffer; the first failure sticks. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    for (int round = 0; round < 2 && !b->oom; round++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = RK_MAX(b->cap * 2, b->len + (size_t)n + 256);
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
}

static void format_dims(sbuf *b, const rknn_partner *p)
{
    for (int d = 0; d < p->ndim; d++)
        sb_printf(b, "%s%lld", d ? "x" : "", (long long)p->dims[d]);
}

rk_status rknn_partners_format(const rknn_partner *v, uint32_t n, char **text, size_t *len, rk_err *e)
{
    sbuf b = {0};
    *text = NULL;
    *len = 0;
    sb_printf(&b, "%s\n", RKNN_PARTNERS_MAGIC);
    for (uint32_t i = 0; i < n; i++) {
        const rknn_partner *p = &v[i];
        if (!rknn_partner_name_ok(p->tensor) || !rknn_partner_name_ok(p->onnx)) {
            free(b.s);
            return rk_errf(e, RK_EUNSUPPORTED, "partner of '%s': names with TAB/CR/LF cannot be stored",
                           p->tensor ? p->tensor : "?");
        }
        sb_printf(&b, "%s\t%s\t%s", p->tensor, p->onnx, kind_name(p->kind));
        if (p->kind == RKNN_PARTNER_EQ)
            for (uint32_t k = 0; k < p->n_factors; k++)
                sb_printf(&b, "%c%.9g", k ? ' ' : '\t', (double)p->factors[k]);
        if (p->kind == RKNN_PARTNER_MM || p->kind == RKNN_PARTNER_MMW) {
            sb_printf(&b, "\t");
            format_dims(&b, p);
        }
        if (p->kind == RKNN_PARTNER_MM)
            sb_printf(&b, " %lld %lld %d %lld %lld", (long long)p->rows, (long long)p->cols, p->trans ? 1 : 0,
                      (long long)p->batch, (long long)p->nbatch);
        if (p->kind == RKNN_PARTNER_MMW)
            sb_printf(&b, " %lld %lld %lld %lld %d", (long long)p->rows, (long long)p->cols, (long long)p->batch,
                      (long long)p->nbatch, p->esz);
        sb_printf(&b, "\n");
    }
    if (b.oom) {
        free(b.s);
        return rk_errf(e, RK_ENOMEM, "out of memory");
    }
    *text = b.s;
    *len = b.len;
    return RK_OK;
}

/* ---- element maps ------------------------------------------------------------ */

void rknn_cna_weight_map(int n, int k, int esz, int64_t *map)
{
    int cal = RK_ALIGN_UP(k, 16 / esz), co_grp = esz == 1 ? 32 : 16, ci_grp = 32;
    int64_t off = 0;
    for (int k0 = 0; k0 < n; k0 += co_grp) {
        int kn = RK_MIN(co_grp, n - k0);
        for (int i0 = 0; i0 < cal; i0 += ci_grp) {
            int in = RK_MIN(ci_grp, cal - i0);
            for (int kk = 0; kk < kn; kk++)
                for (int i = 0; i < in; i++)
                    map[off++] = i0 + i < k ? (int64_t)(k0 + kk) * k + i0 + i : (int64_t)n * k;
        }
    }
}

static rk_status map_mm(const rknn_partner *p, const rknn_tensor *t, int64_t *src, rk_err *e)
{
    int64_t hw = (int64_t)t->shape[2] * t->shape[3];
    if (t->shape[1] != p->cols || hw < p->rows)
        return rk_errf(e, RK_EINPUT, "partner of '%s': a [1,%d,%d,%d] grid cannot hold %lld x %lld", t->name,
                       t->shape[1], t->shape[2], t->shape[3], (long long)p->rows, (long long)p->cols);
    int64_t base = p->batch * p->rows * p->cols;
    for (int64_t col = 0; col < p->cols; col++)
        for (int64_t px = 0; px < hw; px++)
            src[col * hw + px] = px >= p->rows ? -1
                                 : base + (p->trans ? col * p->rows + px : px * p->cols + col);
    return RK_OK;
}

static rk_status map_mmw(const rknn_partner *p, const rknn_tensor *t, int64_t *src, rk_err *e)
{
    int64_t c2 = 16 / p->esz, npix = t->shape[3], k = p->rows, n = p->cols;
    if (t->shape[1] != c2 || t->shape[2] != 1 || n * RK_ALIGN_UP(k, c2) != npix * c2)
        return rk_errf(e, RK_EINPUT, "partner of '%s': [1,%d,%d,%d] is not the weight buffer of %lld x %lld "
                       "(%d-byte elements)", t->name, t->shape[1], t->shape[2], t->shape[3], (long long)n,
                       (long long)k, p->esz);
    int64_t *wm = rk_malloc_array((size_t)(npix * c2), sizeof(int64_t));
    if (!wm)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    rknn_cna_weight_map((int)n, (int)k, p->esz, wm);
    int64_t base = p->batch * k * n;
    for (int64_t c = 0; c < c2; c++)
        for (int64_t px = 0; px < npix; px++) {
            int64_t i = wm[px * c2 + c]; /* kernel * k + channel of B^T */
            src[c * npix + px] = i >= n * k ? -1 : base + (i % k) * n + i / k;
        }
    free(wm);
    return RK_OK;
}

rk_status rknn_partner_map(const rknn_partner *p, const rknn_tensor *t, int64_t onnx_nelem, int64_t **src,
                           float **fac, int64_t *n, rk_err *e)
{
    *src = NULL;
    *fac = NULL;
    *n = 0;
    int64_t ne = 1;
    for (uint32_t d = 0; d < t->n_shape; d++) {
        if (t->shape[d] <= 0 || ne > ((int64_t)1 << 40) / t->shape[d])
            return rk_errf(e, RK_EINPUT, "partner of '%s': bad tensor shape", t->name);
        ne *= t->shape[d];
    }
    bool grid = t->n_shape == 4 && t->shape[0] == 1;
    int64_t want = p->kind == RKNN_PARTNER_MM || p->kind == RKNN_PARTNER_MMW ? p->nbatch * p->rows * p->cols : ne;
    if (onnx_nelem != want)
        return rk_errf(e, RK_EINPUT, "partner of '%s': ONNX tensor '%s' has %lld elements, the record says %lld",
                       t->name, p->onnx, (long long)onnx_nelem, (long long)want);
    if (p->kind != RKNN_PARTNER_COPY && !grid)
        return rk_errf(e, RK_EINPUT, "partner of '%s': a %s record needs a [1,C,H,W] tensor", t->name,
                       kind_name(p->kind));
    if (p->kind == RKNN_PARTNER_EQ && (int64_t)p->n_factors != t->shape[1])
        return rk_errf(e, RK_EINPUT, "partner of '%s': %u factors for %d channels", t->name, p->n_factors,
                       t->shape[1]);
    *src = rk_malloc_array((size_t)ne, sizeof(int64_t));
    *fac = rk_malloc_array((size_t)ne, sizeof(float));
    if (!*src || !*fac) {
        free(*src), free(*fac);
        *src = NULL, *fac = NULL;
        return rk_errf(e, RK_ENOMEM, "out of memory");
    }
    rk_status st = RK_OK;
    int64_t plane = grid ? (int64_t)t->shape[2] * t->shape[3] : 1;
    for (int64_t j = 0; j < ne; j++) {
        (*src)[j] = j;
        (*fac)[j] = p->kind == RKNN_PARTNER_EQ ? p->factors[(j / plane) % p->n_factors] : 1.0f;
    }
    if (p->kind == RKNN_PARTNER_MM)
        st = map_mm(p, t, *src, e);
    else if (p->kind == RKNN_PARTNER_MMW)
        st = map_mmw(p, t, *src, e);
    for (int64_t j = 0; !st && j < ne; j++)
        if ((*src)[j] >= onnx_nelem)
            st = rk_errf(e, RK_EINTERNAL, "partner of '%s': element %lld maps outside the ONNX tensor", t->name,
                         (long long)j);
    if (st) {
        free(*src), free(*fac);
        *src = NULL, *fac = NULL;
        return st;
    }
    *n = ne;
    return RK_OK;
}
