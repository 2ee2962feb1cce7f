/* Small helpers shared by the cmocka tests. */
#ifndef RKSIM_TESTUTIL_H
#define RKSIM_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>

/* Path under ../shared, or NULL (and a note on stderr) when ../shared is
 * absent; tests then call skip(). */
const char *tu_shared_path(const char *rel);
/* Path under the source tree (static buffer rotated over 8 slots). */
const char *tu_source_path(const char *rel);
/* A fresh temporary file path (static buffer rotated over 8 slots). */
const char *tu_tmp_path(const char *suffix);

#define TU_REQUIRE_SHARED(var, rel)                                   \
    const char *var = tu_shared_path(rel);                            \
    if (!var) {                                                       \
        skip();                                                       \
    }

#endif
