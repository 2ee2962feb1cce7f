/* report_junit.c - JUnit XML: one <testcase> per compared layer, one
 * <failure> per failed threshold check (so CI systems show failures per
 * layer); unmatched .rknn layers are <skipped> test cases. */
#include <math.h>
#include <string.h>

#include "report_internal.h"

static const char *base_name(const char *p)
{
    if (!p)
        return "model";
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void attr(FILE *f, const char *name, const char *value)
{
    fprintf(f, " %s=\"", name);
    cmp_put_xml(f, value);
    fputc('"', f);
}

static void metrics_text(FILE *f, const char *mode, const cmp_metrics *m)
{
    char a[32], b[32], c[32], d[32], g[32], h[32], fl[160];
    fprintf(f, "%s: cosine %s euclidean %s max_abs %s mean_abs %s rel_l2 %s sqnr %s dB", mode,
            cmp_fmt_num(m->cosine, "%.6f", a, sizeof a),
            cmp_fmt_num(m->euclidean, "%.5g", b, sizeof b),
            cmp_fmt_num(m->max_abs, "%.5g", c, sizeof c),
            cmp_fmt_num(m->mean_abs, "%.5g", d, sizeof d),
            cmp_fmt_num(m->rel_l2, "%.4g", g, sizeof g),
            cmp_fmt_num(m->sqnr_db, "%.2f", h, sizeof h));
    cmp_flags_str(m->flags, fl, sizeof fl);
    if (fl[0]) {
        fputs(" flags ", f);
        cmp_put_xml(f, fl);
    }
    fputc('\n', f);
}

static void failure(FILE *f, const char *what, double value, double limit, bool sqnr)
{
    char v[32], msg[160];
    snprintf(msg, sizeof msg, "%s %s < %g%s", what,
             cmp_fmt_num(value, sqnr ? "%.2f" : "%.6f", v, sizeof v), limit, sqnr ? " dB" : "");
    fputs("      <failure type=\"threshold\"", f);
    attr(f, "message", msg);
    fputs("/>\n", f);
}

static void testcase(FILE *f, const cmp_report *r, const cmp_row *row, const char *cls)
{
    char name[512];
    snprintf(name, sizeof name, "[%s] %s", row->op_type, row->layer);
    fputs("    <testcase", f);
    attr(f, "classname", cls);
    attr(f, "name", name);
    fputs(" time=\"0\">\n", f);
    if (row->fail & CMP_FAIL_ENTIRE_COSINE)
        failure(f, "entire cosine", row->entire.cosine, r->min_cosine, false);
    if (row->fail & CMP_FAIL_ENTIRE_SQNR)
        failure(f, "entire SQNR", row->entire.sqnr_db, r->min_sqnr, true);
    if (row->fail & CMP_FAIL_SINGLE_COSINE)
        failure(f, "single cosine", row->single.cosine, r->min_cosine, false);
    if (row->fail & CMP_FAIL_SINGLE_SQNR)
        failure(f, "single SQNR", row->single.sqnr_db, r->min_sqnr, true);
    fputs("      <system-out>", f);
    fputs("tensor ", f);
    cmp_put_xml(f, row->tensor);
    fputs(" onnx ", f);
    cmp_put_xml(f, row->onnx_tensor ? row->onnx_tensor : "-");
    fputc('\n', f);
    if (row->has_entire)
        metrics_text(f, "entire", &row->entire);
    if (row->has_single)
        metrics_text(f, "single", &row->single);
    if (row->note) {
        fputs("note: ", f);
        cmp_put_xml(f, row->note);
        fputc('\n', f);
    }
    fputs("</system-out>\n    </testcase>\n", f);
}

rk_status cmp_write_junit(FILE *f, const cmp_report *r, rk_err *e)
{
    char cls[300], buf[64];
    snprintf(cls, sizeof cls, "rksim.compare.%s", base_name(r->rknn_path));
    int tests = r->nrows + r->n_unmatched_rknn;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f, "<testsuites name=\"rksim compare\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
               "skipped=\"%d\">\n",
            tests, r->n_failed, r->n_unmatched_rknn);
    fputs("  <testsuite", f);
    attr(f, "name", cls);
    fprintf(f, " tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"0\">\n", tests,
            r->n_failed, r->n_unmatched_rknn);
    fputs("    <properties>\n", f);
    const char *keys[] = {"onnx", "rknn", "input", "soc"};
    const char *vals[] = {r->onnx_path, r->rknn_path, r->input_path, r->soc};
    for (int i = 0; i < 4; i++) {
        fputs("      <property", f);
        attr(f, "name", keys[i]);
        attr(f, "value", vals[i] ? vals[i] : "");
        fputs("/>\n", f);
    }
    fputs("      <property name=\"min_cosine\"", f);
    attr(f, "value", isnan(r->min_cosine) ? "unset" : cmp_fmt_num(r->min_cosine, "%g", buf, sizeof buf));
    fputs("/>\n      <property name=\"min_sqnr_db\"", f);
    attr(f, "value", isnan(r->min_sqnr) ? "unset" : cmp_fmt_num(r->min_sqnr, "%g", buf, sizeof buf));
    fputs("/>\n    </properties>\n", f);
    for (int i = 0; i < r->nrows; i++)
        testcase(f, r, &r->rows[i], cls);
    for (int i = 0; i < r->n_unmatched_rknn; i++) {
        const cmp_unmatched *u = &r->unmatched_rknn[i];
        char name[512];
        snprintf(name, sizeof name, "[%s] %s", u->op_type, u->name);
        fputs("    <testcase", f);
        attr(f, "classname", cls);
        attr(f, "name", name);
        fputs(" time=\"0\">\n      <skipped", f);
        attr(f, "message", u->reason);
        fputs("/>\n    </testcase>\n", f);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
    return cmp_check_stream(f, "JUnit", e);
}
