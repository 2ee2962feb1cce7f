/* cmd_compare.c - `rksim compare`: per-layer accuracy report of a simulated
 * .rknn against its float ONNX source (compare/compare.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compare.h"
#include "report.h"

static const char USAGE[] =
    "usage: rksim compare MODEL.onnx MODEL.rknn INPUT [INPUT...] [options]\n"
    "\n"
    "Run MODEL.onnx in the float reference interpreter and MODEL.rknn in the\n"
    "simulator on the same input and report the error of every NPU layer, in\n"
    "rknn-toolkit2's accuracy_analysis terms:\n"
    "  entire  the whole simulated model vs the whole float model (error accumulates)\n"
    "  single  each NPU layer fed the float model's own inputs, quantised as the\n"
    "          layer expects (only that layer's error)\n"
    "INPUT: .npy (one per ONNX input, in order) or HDF5 (datasets named after the\n"
    "inputs).  Attention blocks in the ONNX graph get a step-by-step breakdown.\n"
    "\n"
    "options:\n"
    "  --report FMT[,FMT...]  txt (default), json, csv, html, junit; several formats\n"
    "                         need -o, used as a prefix (PATH.txt, PATH.json, ...)\n"
    "  -o PATH                write the report there (default: stdout)\n"
    "  --min-cosine X         fail (exit 1) when a layer's cosine is below X\n"
    "  --min-sqnr DB          fail (exit 1) when a layer's SQNR is below DB dB\n"
    "                         (thresholds apply to entire and single mode alike)\n"
    "  --top N                list the N worst layers (default 5)\n"
    "  --hybrid-cfg OUT.cfg   write an rknn-toolkit2 .quantization.cfg keeping the\n"
    "                         worst N layers (single mode) in float16\n"
    "  --no-single            skip single mode\n"
    "  --single-max N         skip single mode above N NPU layers (default 64)\n"
    "  --no-attention         skip the attention breakdown\n"
    "  --nhwc                 rank-4 INPUT files are NHWC (transposed to NCHW)\n"
    "  --lenient              simulator: record unknown register values and go on\n"
    "  --threads N            onnxref kernel threads (default 1)\n"
    "\n"
    "A summary line goes to stdout (to stderr when the report itself is on stdout).\n"
    "exit: 0 ok, 1 a threshold failed, 2 usage, 3 bad input, 4 unsupported, 5 internal\n";

typedef struct args {
    const char *onnx, *rknn;
    const char **inputs;
    int ninputs;
    cmp_format fmts[8];
    int nfmts;
    const char *out, *hybrid;
    double min_cos, min_sqnr;
    int top;
    cmp_options opt;
} args;

static int parse_double(const char *opt, const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(*v))
        return cli_usage_error("compare", "%s: '%s' is not a number", opt, s);
    return 0;
}

static int parse_int(const char *opt, const char *s, int lo, int hi, int *v)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || end == s || *end || x < lo || x > hi)
        return cli_usage_error("compare", "%s: '%s' is not an integer in [%d, %d]", opt, s, lo, hi);
    *v = (int)x;
    return 0;
}

static int parse_formats(args *a, const char *list)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (a->nfmts >= 8)
            return cli_usage_error("compare", "--report: too many formats");
        if (strcmp(tok, "all") == 0) {
            const cmp_format all[] = {CMP_FMT_TEXT, CMP_FMT_JSON, CMP_FMT_CSV, CMP_FMT_HTML,
                                      CMP_FMT_JUNIT};
            for (size_t i = 0; i < RK_ARRAY_LEN(all) && a->nfmts < 8; i++)
                a->fmts[a->nfmts++] = all[i];
            continue;
        }
        if (!cmp_format_from_name(tok, &a->fmts[a->nfmts]))
            return cli_usage_error("compare", "--report: unknown format '%s' (txt, json, csv, "
                                   "html, junit, all)", tok);
        a->nfmts++;
    }
    return 0;
}

/* Returns -1 to go on, or an exit code. */
static int parse(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    a->min_cos = a->min_sqnr = NAN;
    a->top = 5;
    cmp_options_default(&a->opt);
    a->inputs = calloc((size_t)argc, sizeof *a->inputs);
    if (!a->inputs)
        return RK_EXIT_INTERNAL;
    const char *pos[2] = {NULL, NULL};
    int npos = 0, rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *s = argv[i];
        bool has_val = i + 1 < argc;
#define NEED_VALUE()                                                                     \
    if (!has_val)                                                                        \
        return cli_usage_error("compare", "%s needs a value", s);                        \
    const char *val = argv[++i]
        if (cli_is_help(s)) {
            fputs(USAGE, stdout);
            return RK_EXIT_OK;
        } else if (strcmp(s, "--report") == 0) {
            NEED_VALUE();
            rc = parse_formats(a, val);
        } else if (strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0) {
            NEED_VALUE();
            a->out = val;
        } else if (strcmp(s, "--min-cosine") == 0) {
            NEED_VALUE();
            rc = parse_double(s, val, &a->min_cos);
        } else if (strcmp(s, "--min-sqnr") == 0) {
            NEED_VALUE();
            rc = parse_double(s, val, &a->min_sqnr);
        } else if (strcmp(s, "--top") == 0) {
            NEED_VALUE();
            rc = parse_int(s, val, 0, 10000, &a->top);
        } else if (strcmp(s, "--hybrid-cfg") == 0) {
            NEED_VALUE();
            a->hybrid = val;
        } else if (strcmp(s, "--single-max") == 0) {
            NEED_VALUE();
            rc = parse_int(s, val, 0, 1000000, &a->opt.single_max_layers);
        } else if (strcmp(s, "--threads") == 0) {
            NEED_VALUE();
            rc = parse_int(s, val, 1, 256, &a->opt.threads);
        } else if (strcmp(s, "--no-single") == 0) {
            a->opt.single = false;
        } else if (strcmp(s, "--no-attention") == 0) {
            a->opt.attention = false;
        } else if (strcmp(s, "--nhwc") == 0) {
            a->opt.nhwc_inputs = true;
        } else if (strcmp(s, "--lenient") == 0) {
            a->opt.lenient = true;
        } else if (s[0] == '-' && s[1]) {
            return cli_usage_error("compare", "unknown option '%s'", s);
        } else if (npos < 2) {
            pos[npos++] = s;
        } else {
            a->inputs[a->ninputs++] = s;
        }
#undef NEED_VALUE
    }
    if (rc)
        return rc;
    if (npos < 2 || a->ninputs == 0)
        return cli_usage_error("compare", "need MODEL.onnx MODEL.rknn INPUT");
    a->onnx = pos[0];
    a->rknn = pos[1];
    if (a->nfmts == 0)
        a->fmts[a->nfmts++] = CMP_FMT_TEXT;
    if (a->nfmts > 1 && !a->out)
        return cli_usage_error("compare", "several --report formats need -o PATH (a prefix)");
    return -1;
}

static int write_reports(const args *a, const cmp_report *r, bool *on_stdout)
{
    rk_err e = {0};
    *on_stdout = false;
    for (int i = 0; i < a->nfmts; i++) {
        rk_status st;
        if (!a->out) {
            *on_stdout = true;
            switch (a->fmts[i]) {
            case CMP_FMT_JSON: st = cmp_write_json(stdout, r, &e); break;
            case CMP_FMT_CSV: st = cmp_write_csv(stdout, r, &e); break;
            case CMP_FMT_JUNIT: st = cmp_write_junit(stdout, r, &e); break;
            case CMP_FMT_HTML: st = cmp_write_html(stdout, r, &e); break;
            default: st = cmp_write_text(stdout, r, &e); break;
            }
        } else if (a->nfmts == 1) {
            st = cmp_report_write_file(r, a->fmts[i], a->out, &e);
        } else {
            char path[4096];
            snprintf(path, sizeof path, "%s.%s", a->out, cmp_format_ext(a->fmts[i]));
            st = cmp_report_write_file(r, a->fmts[i], path, &e);
        }
        if (st)
            return cli_fail("compare", &e);
    }
    if (a->hybrid) {
        FILE *f = fopen(a->hybrid, "w");
        if (!f) {
            rk_errf(&e, RK_EIO, "%s: cannot create: %s", a->hybrid, strerror(errno));
            return cli_fail("compare", &e);
        }
        rk_status st = cmp_write_hybrid_cfg(f, r, &e);
        if (fclose(f) != 0 && !st)
            st = rk_errf(&e, RK_EIO, "%s: write failed", a->hybrid);
        if (st)
            return cli_fail("compare", &e);
    }
    return RK_EXIT_OK;
}

int cmd_compare(int argc, char **argv)
{
    args a;
    int rc = parse(argc, argv, &a);
    if (rc >= 0) {
        free(a.inputs);
        return rc;
    }
    cmp_report r;
    cmp_report_init(&r);
    r.min_cosine = a.min_cos;
    r.min_sqnr = a.min_sqnr;
    r.top_n = a.top;
    rk_err e = {0};
    rk_status st = cmp_run(a.onnx, a.rknn, a.inputs, a.ninputs, &a.opt, &r, &e);
    free(a.inputs);
    if (st) {
        cmp_report_free(&r);
        return cli_fail("compare", &e);
    }
    bool on_stdout;
    rc = write_reports(&a, &r, &on_stdout);
    if (rc == RK_EXIT_OK) {
        char sum[2048];
        fprintf(on_stdout ? stderr : stdout, "%s\n", cmp_report_summary(&r, sum, sizeof sum));
        if (r.n_failed) {
            char fails[4096];
            fprintf(stderr, "rksim compare: %d layer%s below threshold: %s\n", r.n_failed,
                    r.n_failed == 1 ? "" : "s", cmp_report_failures_str(&r, 5, fails, sizeof fails));
            rc = RK_EXIT_CHECK;
        }
    }
    cmp_report_free(&r);
    return rc;
}
