/* NumPy .npy reader/writer (format versions 1.0, 2.0 and 3.0).
 * Format: "\x93NUMPY", major, minor, header length (u16 for v1, u32 after),
 * then a Python dict literal {'descr': '<f4', 'fortran_order': False,
 * 'shape': (1, 3), } padded with spaces to a 64-byte boundary. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rk_tensorio.h"

static const struct {
    const char *descr; /* without the byte-order character */
    rk_dtype dt;
} npy_types[] = {
    {"f4", RK_DT_F32}, {"f2", RK_DT_F16}, {"f8", RK_DT_F64}, {"i1", RK_DT_I8},
    {"u1", RK_DT_U8},  {"i2", RK_DT_I16}, {"u2", RK_DT_U16}, {"i4", RK_DT_I32},
    {"u4", RK_DT_U32}, {"i8", RK_DT_I64}, {"u8", RK_DT_U64}, {"b1", RK_DT_BOOL},
};

/* Find `'key':` in the header dict and return a pointer just after the colon. */
static const char *dict_value(const char *hdr, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(hdr, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

static rk_status parse_descr(const char *hdr, const char *what, rk_dtype *dt, rk_err *e)
{
    const char *v = dict_value(hdr, "descr");
    if (!v || *v != '\'')
        return rk_errf(e, RK_EINPUT, "%s: .npy header has no 'descr'", what);
    v++;
    char order = *v;
    if (order == '>' && strncmp(v + 1, "i1", 2) && strncmp(v + 1, "u1", 2) &&
        strncmp(v + 1, "b1", 2))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: big-endian .npy data is not supported", what);
    if (order == '<' || order == '|' || order == '=' || order == '>')
        v++;
    for (size_t i = 0; i < RK_ARRAY_LEN(npy_types); i++) {
        size_t n = strlen(npy_types[i].descr);
        if (strncmp(v, npy_types[i].descr, n) == 0 && v[n] == '\'') {
            *dt = npy_types[i].dt;
            return RK_OK;
        }
    }
    const char *end = strchr(v, '\'');
    return rk_errf(e, RK_EUNSUPPORTED, "%s: .npy element type '%.*s' is not supported", what,
                   end ? (int)(end - v) : 8, v);
}

static rk_status parse_shape(const char *hdr, const char *what, int *ndim, int64_t *dims,
                             rk_err *e)
{
    const char *v = dict_value(hdr, "shape");
    if (!v || *v != '(')
        return rk_errf(e, RK_EINPUT, "%s: .npy header has no 'shape' tuple", what);
    v++;
    int n = 0;
    for (;;) {
        while (*v == ' ' || *v == ',')
            v++;
        if (*v == ')')
            break;
        if (!isdigit((unsigned char)*v))
            return rk_errf(e, RK_EINPUT, "%s: malformed .npy shape", what);
        if (n == RK_MAX_DIMS)
            return rk_errf(e, RK_EUNSUPPORTED, "%s: .npy rank above %d", what, RK_MAX_DIMS);
        errno = 0;
        char *end;
        long long d = strtoll(v, &end, 10);
        if (errno || d < 0)
            return rk_errf(e, RK_EINPUT, "%s: malformed .npy shape", what);
        dims[n++] = d;
        v = end;
    }
    *ndim = n;
    return RK_OK;
}

static bool dims_empty(const int64_t *dims, int ndim)
{
    for (int i = 0; i < ndim; i++)
        if (dims[i] == 0)
            return true;
    return false;
}

rk_status rk_npy_parse(const uint8_t *buf, size_t len, const char *what, rk_tensor *t,
                       rk_err *e)
{
    memset(t, 0, sizeof *t);
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return rk_errf(e, RK_EINPUT, "%s: not a .npy file (bad magic)", what);
    int major = buf[6];
    size_t hlen, hoff;
    if (major == 1) {
        hlen = (size_t)buf[8] | ((size_t)buf[9] << 8);
        hoff = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return rk_errf(e, RK_EINPUT, "%s: truncated .npy header", what);
        hlen = (size_t)buf[8] | ((size_t)buf[9] << 8) | ((size_t)buf[10] << 16) |
               ((size_t)buf[11] << 24);
        hoff = 12;
    } else {
        return rk_errf(e, RK_EUNSUPPORTED, "%s: .npy format version %d is not supported",
                       what, major);
    }
    if (hlen > len - hoff)
        return rk_errf(e, RK_EINPUT, "%s: truncated .npy header", what);
    char *hdr = malloc(hlen + 1);
    if (!hdr)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    memcpy(hdr, buf + hoff, hlen);
    hdr[hlen] = 0;

    rk_status st;
    rk_dtype dt = RK_DT_UNDEF;
    int ndim = 0;
    int64_t dims[RK_MAX_DIMS];
    const char *fo;
    if ((st = parse_descr(hdr, what, &dt, e)) != RK_OK)
        goto out;
    fo = dict_value(hdr, "fortran_order");
    if (fo && strncmp(fo, "True", 4) == 0) {
        st = rk_errf(e, RK_EUNSUPPORTED,
                     "%s: Fortran-ordered .npy is not supported; save with np.ascontiguousarray",
                     what);
        goto out;
    }
    if ((st = parse_shape(hdr, what, &ndim, dims, e)) != RK_OK)
        goto out;
    /* Check the file holds the data before allocating: the header's shape is
     * untrusted and may claim far more than the file contains. */
    size_t have = len - hoff - hlen, need = rk_dtype_size(dt);
    for (int i = 0; i < ndim && need; i++) {
        if ((uint64_t)dims[i] > have / need + 1) {
            need = SIZE_MAX;
            break;
        }
        need *= (size_t)dims[i];
    }
    if (ndim && dims_empty(dims, ndim))
        need = 0;
    if (need > have) {
        st = rk_errf(e, RK_EINPUT, "%s: .npy data truncated: the header's shape needs more than the "
                     "%zu bytes the file holds", what, have);
        goto out;
    }
    if ((st = rk_tensor_alloc(t, NULL, dt, ndim, dims, e)) != RK_OK)
        goto out;
    memcpy(t->data, buf + hoff + hlen, rk_tensor_bytes(t));
out:
    free(hdr);
    return st;
}

rk_status rk_npy_read(const char *path, rk_tensor *t, rk_err *e)
{
    uint8_t *buf;
    size_t len;
    rk_status st = rk_read_file(path, &buf, &len, 0, e);
    if (st != RK_OK)
        return st;
    st = rk_npy_parse(buf, len, path, t, e);
    free(buf);
    return st;
}

static const char *npy_descr(rk_dtype dt)
{
    switch (dt) {
    case RK_DT_F32: return "<f4";
    case RK_DT_F16: return "<f2";
    case RK_DT_F64: return "<f8";
    case RK_DT_I8: return "|i1";
    case RK_DT_U8: return "|u1";
    case RK_DT_I16: return "<i2";
    case RK_DT_U16: return "<u2";
    case RK_DT_I32: return "<i4";
    case RK_DT_U32: return "<u4";
    case RK_DT_I64: return "<i8";
    case RK_DT_U64: return "<u8";
    case RK_DT_BOOL: return "|b1";
    default: return NULL;
    }
}

rk_status rk_npy_write(const char *path, const rk_tensor *t, rk_err *e)
{
    const char *descr = npy_descr(t->dtype);
    if (!descr)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: cannot write %s tensor '%s' as .npy", path,
                       rk_dtype_name(t->dtype), t->name ? t->name : "");
    char hdr[512];
    int n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < t->ndim; i++)
        n += snprintf(hdr + n, sizeof hdr - (size_t)n, "%lld%s", (long long)t->dims[i],
                      t->ndim == 1 ? "," : (i + 1 < t->ndim ? ", " : ""));
    n += snprintf(hdr + n, sizeof hdr - (size_t)n, "), }");
    /* Pad so that magic(6)+version(2)+len(2)+header is a multiple of 64, ending in '\n'. */
    size_t total = RK_ALIGN_UP(10 + (size_t)n + 1, 64);
    size_t hlen = total - 10;
    memset(hdr + n, ' ', hlen - (size_t)n);
    hdr[hlen - 1] = '\n';

    FILE *f = fopen(path, "wb");
    if (!f)
        return rk_errf(e, RK_EIO, "%s: cannot create: %s", path, strerror(errno));
    uint8_t pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (uint8_t)(hlen & 0xff),
                       (uint8_t)(hlen >> 8)};
    size_t bytes = rk_tensor_bytes(t);
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, hlen, f) == hlen &&
             (bytes == 0 || fwrite(t->data, 1, bytes, f) == bytes);
    if (fclose(f) != 0)
        ok = 0;
    return ok ? RK_OK : rk_errf(e, RK_EIO, "%s: write failed", path);
}
