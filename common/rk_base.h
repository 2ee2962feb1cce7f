/*
 * rk_base.h - status codes, error reports and small helpers shared by every
 * rksim library.
 *
 * Every fallible function in rksim returns an rk_status and, on failure,
 * fills a caller-provided rk_err with one human-readable sentence that names
 * the file, tensor, layer or register at fault.  A zero-initialised rk_err is
 * valid and empty.  Functions never print on their own; the CLI decides.
 */
#ifndef RK_BASE_H
#define RK_BASE_H

#include <stddef.h>
#include <stdint.h>

typedef enum rk_status {
    RK_OK = 0,
    RK_ECHECK = 1,       /* a check or threshold failed (validator, compare) */
    RK_EUSAGE = 2,       /* bad command line or API misuse */
    RK_EINPUT = 3,       /* malformed or inconsistent input file / tensor */
    RK_EUNSUPPORTED = 4, /* valid input that rksim cannot handle (yet) */
    RK_ENOMEM = 5,
    RK_EIO = 6,          /* cannot open/read/write a file */
    RK_EINTERNAL = 7
} rk_status;

/* CLI exit codes (documented in README and `rksim --help`). */
enum {
    RK_EXIT_OK = 0,
    RK_EXIT_CHECK = 1,       /* a check or threshold failed */
    RK_EXIT_USAGE = 2,       /* usage error */
    RK_EXIT_INPUT = 3,       /* bad or unreadable input file */
    RK_EXIT_UNSUPPORTED = 4, /* input valid but not supported */
    RK_EXIT_INTERNAL = 5
};

#define RK_ERR_MAX 1024

typedef struct rk_err {
    rk_status status;
    char msg[RK_ERR_MAX];
} rk_err;

/* Record an error (printf-style) and return `st`, so callers can write
 * `return rk_errf(e, RK_EINPUT, "%s: truncated", path);`.  `e` may be NULL.
 * If `e` already holds a message, the new one is prefixed to it
 * ("outer: inner") when `rk_err_wrap` is used instead. */
rk_status rk_errf(rk_err *e, rk_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
rk_status rk_err_wrap(rk_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Map a status to the CLI exit code. */
int rk_exit_code(rk_status st);
const char *rk_status_name(rk_status st);

/* Allocation helpers: abort-free; return NULL on overflow or OOM. */
void *rk_calloc_array(size_t n, size_t size);
void *rk_malloc_array(size_t n, size_t size);

/* Read a whole file into memory (NUL-terminated for convenience; *len excludes
 * the NUL).  Refuses files larger than `max_len` (0 = 4 GiB). */
rk_status rk_read_file(const char *path, uint8_t **data, size_t *len,
                       size_t max_len, rk_err *e);

#define RK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define RK_MIN(a, b) ((a) < (b) ? (a) : (b))
#define RK_MAX(a, b) ((a) > (b) ? (a) : (b))
#define RK_ALIGN_UP(x, a) ((((x) + (a) - 1) / (a)) * (a))
#define RK_DIV_UP(x, a) (((x) + (a) - 1) / (a))

#endif
