#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char slots[8][4096];
static int next_slot;

static char *slot(void)
{
    char *s = slots[next_slot];
    next_slot = (next_slot + 1) % 8;
    return s;
}

const char *tu_shared_path(const char *rel)
{
    const char *base = getenv("RKSIM_SHARED");
    if (!base)
        base = RKSIM_SHARED_DIR;
    char *s = slot();
    snprintf(s, 4096, "%s/%s", base, rel);
    if (access(s, R_OK) != 0) {
        fprintf(stderr, "note: %s not found (is ../shared beside the repo?); skipping\n", s);
        return NULL;
    }
    return s;
}

const char *tu_source_path(const char *rel)
{
    char *s = slot();
    snprintf(s, 4096, "%s/%s", RKSIM_SOURCE_DIR, rel);
    return s;
}

const char *tu_tmp_path(const char *suffix)
{
    static int counter;
    char *s = slot();
    const char *dir = getenv("TMPDIR");
    snprintf(s, 4096, "%s/rksim-test-%d-%d%s", dir ? dir : "/tmp", (int)getpid(),
             counter++, suffix ? suffix : "");
    return s;
}
