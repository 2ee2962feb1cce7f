/*
 * cmd_explain.c - `rksim explain LOGFILE|-`: explain the REGTASK and related
 * problem lines of an rknn-toolkit2 build log (isa_explain.h holds the
 * knowledge; this file reads, prints and counts).
 *
 * Exit codes: 0 log read, no error-level (E) problem line; 1 at least one
 * error-level problem line was explained; 2 usage; 3 unreadable or empty log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "isa_explain.h"

#define MAX_LOG_BYTES (256u << 20)
#define MAX_LISTED_UNRECOGNISED 10

static void usage(FILE *f)
{
    fprintf(f, "usage: rksim explain LOGFILE|-\n"
               "  Read an rknn-toolkit2 build log (or stdin for '-') and explain each known\n"
               "  problem line: REGTASK field-width errors (register, field, bits, what the\n"
               "  value means for the model, the limit as a rule on the model, which layers\n"
               "  produce it, remedies), align_surf/notch_limit, DatainEntries overflow,\n"
               "  argb mode and 3-core fallback lines.  Lines it does not recognise are\n"
               "  counted and listed.\n"
               "exit codes: 0 no error-level problem line, 1 error-level problem lines found,\n"
               "            2 usage, 3 unreadable or empty log\n");
}

static rk_status read_stream(FILE *fp, const char *name, char **out, size_t *len, rk_err *e)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf)
        return rk_errf(e, RK_ENOMEM, "%s: out of memory", name);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap) {
            if (cap >= MAX_LOG_BYTES) {
                free(buf);
                return rk_errf(e, RK_EINPUT, "%s: log larger than %u bytes", name, MAX_LOG_BYTES);
            }
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                free(buf);
                return rk_errf(e, RK_ENOMEM, "%s: out of memory", name);
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (ferror(fp)) {
        free(buf);
        return rk_errf(e, RK_EIO, "%s: read error", name);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return RK_OK;
}

static rk_status read_log(const char *path, char **text, size_t *len, rk_err *e)
{
    if (strcmp(path, "-") == 0)
        return read_stream(stdin, "<stdin>", text, len, e);
    uint8_t *data = NULL;
    rk_status st = rk_read_file(path, &data, len, MAX_LOG_BYTES, e);
    *text = (char *)data;
    return st;
}

typedef struct explain_counts {
    size_t lines, blank, problems, errors, unrecognised;
    size_t unrec_lines[MAX_LISTED_UNRECOGNISED];
} explain_counts;

static void handle_line(char *line, size_t lineno, explain_counts *c)
{
    static char text[8192];
    isa_log_line l;
    size_t n = strlen(line);
    if (n && line[n - 1] == '\r')
        line[n - 1] = '\0';
    switch (isa_log_parse_line(line, &l)) {
    case ISA_LOG_BLANK:
        c->blank++;
        return;
    case ISA_LOG_UNRECOGNISED:
        if (c->unrecognised < MAX_LISTED_UNRECOGNISED)
            c->unrec_lines[c->unrecognised] = lineno;
        c->unrecognised++;
        return;
    default:
        break;
    }
    c->problems++;
    if (l.level == 'E')
        c->errors++;
    isa_log_explain(&l, text, sizeof text);
    printf("line %zu: %s\n%s\n", lineno, line, text);
}

int cmd_explain(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return RK_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("explain", "unknown option '%s'", argv[i]);
        } else if (path) {
            return cli_usage_error("explain", "more than one LOGFILE given");
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return cli_usage_error("explain", "missing LOGFILE (use '-' for stdin)");
    rk_err e = {0};
    char *text = NULL;
    size_t len = 0;
    rk_status st = read_log(path, &text, &len, &e);
    if (st)
        return cli_fail("explain", &e);
    explain_counts c = {0};
    size_t lineno = 0;
    /* Count lines by hand so that empty lines keep their numbers. */
    for (char *p = text; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        handle_line(p, ++lineno, &c);
        p = nl ? nl + 1 : NULL;
    }
    c.lines = lineno;
    free(text);
    if (c.lines == c.blank) {
        rk_errf(&e, RK_EINPUT, "%s: empty log (%zu bytes, no non-blank line): nothing to explain",
                strcmp(path, "-") == 0 ? "<stdin>" : path, len);
        return cli_fail("explain", &e);
    }
    printf("# %zu line%s: %zu problem line%s explained (%zu error-level), %zu not recognised",
           c.lines, c.lines == 1 ? "" : "s", c.problems, c.problems == 1 ? "" : "s", c.errors,
           c.unrecognised);
    if (c.unrecognised) {
        printf(" (line");
        for (size_t i = 0; i < c.unrecognised && i < MAX_LISTED_UNRECOGNISED; i++)
            printf(" %zu", c.unrec_lines[i]);
        printf("%s)", c.unrecognised > MAX_LISTED_UNRECOGNISED ? " ..." : "");
    }
    printf("\n");
    return c.errors ? RK_EXIT_CHECK : RK_EXIT_OK;
}
