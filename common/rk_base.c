#include "rk_base.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rk_status rk_errf(rk_err *e, rk_status st, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->status = st;
    }
    return st;
}

rk_status rk_err_wrap(rk_err *e, const char *fmt, ...)
{
    if (!e)
        return RK_EINTERNAL;
    char old[RK_ERR_MAX];
    memcpy(old, e->msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : RK_MIN((size_t)n, sizeof e->msg - 1);
    /* A truncated message is acceptable; the outer context comes first. */
    size_t room = sizeof e->msg - used;
    if (room > 3) {
        size_t keep = strnlen(old, room - 3);
        memcpy(e->msg + used, ": ", 2);
        memcpy(e->msg + used + 2, old, keep);
        e->msg[used + 2 + keep] = 0;
    }
    return e->status;
}

int rk_exit_code(rk_status st)
{
    switch (st) {
    case RK_OK: return RK_EXIT_OK;
    case RK_ECHECK: return RK_EXIT_CHECK;
    case RK_EUSAGE: return RK_EXIT_USAGE;
    case RK_EINPUT: case RK_EIO: return RK_EXIT_INPUT;
    case RK_EUNSUPPORTED: return RK_EXIT_UNSUPPORTED;
    default: return RK_EXIT_INTERNAL;
    }
}

const char *rk_status_name(rk_status st)
{
    switch (st) {
    case RK_OK: return "ok";
    case RK_ECHECK: return "check failed";
    case RK_EUSAGE: return "usage error";
    case RK_EINPUT: return "bad input";
    case RK_EUNSUPPORTED: return "unsupported";
    case RK_ENOMEM: return "out of memory";
    case RK_EIO: return "i/o error";
    default: return "internal error";
    }
}

void *rk_calloc_array(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *rk_malloc_array(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t total = n * size;
    return malloc(total ? total : 1);
}

rk_status rk_read_file(const char *path, uint8_t **data, size_t *len,
                       size_t max_len, rk_err *e)
{
    *data = NULL;
    *len = 0;
    if (!max_len)
        max_len = (size_t)4 << 30;
    FILE *f = fopen(path, "rb");
    if (!f)
        return rk_errf(e, RK_EIO, "%s: cannot open: %s", path, strerror(errno));
    rk_status st = RK_OK;
    uint8_t *buf = NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        st = rk_errf(e, RK_EIO, "%s: cannot seek (not a regular file?)", path);
        goto out;
    }
    long size = ftell(f);
    if (size < 0 || (unsigned long)size > max_len) {
        st = rk_errf(e, RK_EINPUT, "%s: file size %ld outside the accepted range (max %zu bytes)",
                     path, size, max_len);
        goto out;
    }
    rewind(f);
    buf = malloc((size_t)size + 1);
    if (!buf) {
        st = rk_errf(e, RK_ENOMEM, "%s: cannot allocate %ld bytes", path, size);
        goto out;
    }
    if (size && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        st = rk_errf(e, RK_EIO, "%s: short read", path);
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[size] = 0;
    *data = buf;
    *len = (size_t)size;
out:
    fclose(f);
    return st;
}
