/* report.c - the report model: building, threshold checks, worst layers,
 * summary line, file output dispatch and the hybrid-quantisation config. */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

static char *dup_or_null(const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = true;
    return d;
}

void cmp_report_init(cmp_report *r)
{
    memset(r, 0, sizeof *r);
    r->min_cosine = NAN;
    r->min_sqnr = NAN;
    r->top_n = 5;
}

static void row_free(cmp_row *row)
{
    free(row->layer);
    free(row->op_type);
    free(row->tensor);
    free(row->onnx_tensor);
    free(row->onnx_ops);
    free(row->note);
}

static void unmatched_free(cmp_unmatched *u, int n)
{
    for (int i = 0; i < n; i++) {
        free(u[i].name);
        free(u[i].op_type);
        free(u[i].reason);
    }
    free(u);
}

void cmp_attn_report_free(cmp_attn_report *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->nsteps; i++) {
        free(a->steps[i].step);
        free(a->steps[i].onnx_tensor);
        free(a->steps[i].heads);
    }
    free(a->steps);
    free(a->name);
    free(a->kind);
    free(a->pattern);
    memset(a, 0, sizeof *a);
}

void cmp_report_free(cmp_report *r)
{
    for (int i = 0; i < r->nrows; i++)
        row_free(&r->rows[i]);
    free(r->rows);
    unmatched_free(r->unmatched_rknn, r->n_unmatched_rknn);
    unmatched_free(r->unmatched_onnx, r->n_unmatched_onnx);
    for (int i = 0; i < r->nattn; i++)
        cmp_attn_report_free(&r->attn[i]);
    free(r->attn);
    free(r->onnx_path);
    free(r->rknn_path);
    free(r->input_path);
    free(r->soc);
    free(r->single_note);
    cmp_report_init(r);
}

/* Grow an array of `size`-byte items to hold one more. */
static rk_status grow(void **arr, int *cap, int count, size_t size, rk_err *e)
{
    if (count < *cap)
        return RK_OK;
    int ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, (size_t)ncap * size);
    if (!p)
        return rk_errf(e, RK_ENOMEM, "out of memory growing the compare report");
    *arr = p;
    *cap = ncap;
    return RK_OK;
}

rk_status cmp_report_set_paths(cmp_report *r, const char *onnx, const char *rknn,
                               const char *input, const char *soc, rk_err *e)
{
    bool oom = false;
    free(r->onnx_path);
    free(r->rknn_path);
    free(r->input_path);
    free(r->soc);
    r->onnx_path = dup_or_null(onnx, &oom);
    r->rknn_path = dup_or_null(rknn, &oom);
    r->input_path = dup_or_null(input, &oom);
    r->soc = dup_or_null(soc, &oom);
    return oom ? rk_errf(e, RK_ENOMEM, "out of memory") : RK_OK;
}

rk_status cmp_report_set_single_note(cmp_report *r, const char *note, rk_err *e)
{
    bool oom = false;
    free(r->single_note);
    r->single_note = dup_or_null(note, &oom);
    return oom ? rk_errf(e, RK_ENOMEM, "out of memory") : RK_OK;
}

rk_status cmp_report_add_row(cmp_report *r, const cmp_row *row, rk_err *e)
{
    rk_status st = grow((void **)&r->rows, &r->cap_rows, r->nrows, sizeof *r->rows, e);
    if (st)
        return st;
    cmp_row *d = &r->rows[r->nrows];
    bool oom = false;
    *d = *row;
    d->layer = dup_or_null(row->layer ? row->layer : "", &oom);
    d->op_type = dup_or_null(row->op_type ? row->op_type : "", &oom);
    d->tensor = dup_or_null(row->tensor ? row->tensor : "", &oom);
    d->onnx_tensor = dup_or_null(row->onnx_tensor, &oom);
    d->onnx_ops = dup_or_null(row->onnx_ops, &oom);
    d->note = dup_or_null(row->note, &oom);
    d->fail = 0;
    if (oom) {
        row_free(d);
        return rk_errf(e, RK_ENOMEM, "out of memory adding layer '%s'",
                       row->layer ? row->layer : "?");
    }
    r->nrows++;
    return RK_OK;
}

rk_status cmp_report_add_unmatched(cmp_report *r, char side, const char *name,
                                   const char *op_type, const char *reason, rk_err *e)
{
    cmp_unmatched **arr = side == 'r' ? &r->unmatched_rknn : &r->unmatched_onnx;
    int *n = side == 'r' ? &r->n_unmatched_rknn : &r->n_unmatched_onnx;
    int *cap = side == 'r' ? &r->cap_unmatched_rknn : &r->cap_unmatched_onnx;
    rk_status st = grow((void **)arr, cap, *n, sizeof **arr, e);
    if (st)
        return st;
    bool oom = false;
    cmp_unmatched *u = &(*arr)[*n];
    u->name = dup_or_null(name ? name : "", &oom);
    u->op_type = dup_or_null(op_type ? op_type : "", &oom);
    u->reason = dup_or_null(reason ? reason : "", &oom);
    if (oom) {
        free(u->name);
        free(u->op_type);
        free(u->reason);
        return rk_errf(e, RK_ENOMEM, "out of memory");
    }
    (*n)++;
    return RK_OK;
}

rk_status cmp_report_add_attn(cmp_report *r, cmp_attn_report *a, rk_err *e)
{
    rk_status st = grow((void **)&r->attn, &r->cap_attn, r->nattn, sizeof *r->attn, e);
    if (st)
        return st;
    r->attn[r->nattn++] = *a;
    memset(a, 0, sizeof *a);
    return RK_OK;
}

/* ---- thresholds ------------------------------------------------------ */

static unsigned check_mode(const cmp_metrics *m, double min_cos, double min_sqnr,
                           unsigned cos_bit, unsigned sqnr_bit)
{
    unsigned f = 0;
    if (!cmp_metrics_pass(m, min_cos, NAN))
        f |= cos_bit;
    if (!cmp_metrics_pass(m, NAN, min_sqnr))
        f |= sqnr_bit;
    return f;
}

int cmp_report_check(cmp_report *r)
{
    r->n_failed = 0;
    for (int i = 0; i < r->nrows; i++) {
        cmp_row *row = &r->rows[i];
        row->fail = 0;
        if (row->has_entire)
            row->fail |= check_mode(&row->entire, r->min_cosine, r->min_sqnr,
                                    CMP_FAIL_ENTIRE_COSINE, CMP_FAIL_ENTIRE_SQNR);
        if (row->has_single)
            row->fail |= check_mode(&row->single, r->min_cosine, r->min_sqnr,
                                    CMP_FAIL_SINGLE_COSINE, CMP_FAIL_SINGLE_SQNR);
        if (row->fail)
            r->n_failed++;
    }
    return r->n_failed;
}

/* Describe the first failed check of a row: "entire cosine 0.99912 < 0.9999". */
const char *cmp_row_fail_str(const cmp_report *r, const cmp_row *row, char *buf, size_t n)
{
    char v[32];
    size_t used = 0;
    buf[0] = '\0';
    static const struct {
        unsigned bit;
        const char *what;
        bool single, sqnr;
    } checks[] = {
        {CMP_FAIL_ENTIRE_COSINE, "entire cosine", false, false},
        {CMP_FAIL_ENTIRE_SQNR, "entire SQNR", false, true},
        {CMP_FAIL_SINGLE_COSINE, "single cosine", true, false},
        {CMP_FAIL_SINGLE_SQNR, "single SQNR", true, true},
    };
    for (size_t i = 0; i < RK_ARRAY_LEN(checks); i++) {
        if (!(row->fail & checks[i].bit))
            continue;
        const cmp_metrics *m = checks[i].single ? &row->single : &row->entire;
        double val = checks[i].sqnr ? m->sqnr_db : m->cosine;
        double lim = checks[i].sqnr ? r->min_sqnr : r->min_cosine;
        int w = snprintf(buf + used, n - used, "%s%s %s < %g%s", used ? ", " : "",
                         checks[i].what,
                         cmp_fmt_num(val, checks[i].sqnr ? "%.2f" : "%.5f", v, sizeof v), lim,
                         checks[i].sqnr ? " dB" : "");
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
    }
    return buf;
}

const char *cmp_report_failures_str(const cmp_report *r, int max_names, char *buf, size_t n)
{
    size_t used = 0;
    int shown = 0, total = 0;
    buf[0] = '\0';
    for (int i = 0; i < r->nrows; i++) {
        const cmp_row *row = &r->rows[i];
        if (!row->fail)
            continue;
        total++;
        if (shown >= max_names)
            continue;
        char why[256];
        int w = snprintf(buf + used, n - used, "%s%s (%s)", used ? "; " : "", row->layer,
                         cmp_row_fail_str(r, row, why, sizeof why));
        if (w < 0 || (size_t)w >= n - used)
            return buf;
        used += (size_t)w;
        shown++;
    }
    if (total > shown && used < n)
        snprintf(buf + used, n - used, "; and %d more", total - shown);
    return buf;
}

/* ---- worst layers ---------------------------------------------------- */

const char *cmp_report_rank_mode(const cmp_row *row)
{
    return row->has_single ? "single" : "entire";
}

/* The SQNR a row is ranked by; NaN sorts as the worst (-inf). */
static double rank_value(const cmp_row *row)
{
    const cmp_metrics *m = row->has_single ? &row->single : &row->entire;
    return isnan(m->sqnr_db) ? -INFINITY : m->sqnr_db;
}

int cmp_report_worst(const cmp_report *r, int max, int *idx)
{
    int count = 0;
    for (int i = 0; i < r->nrows && max > 0; i++) {
        const cmp_row *row = &r->rows[i];
        if (row->is_input || row->is_cpu || (!row->has_single && !row->has_entire))
            continue;
        double v = rank_value(row);
        int pos = count < max ? count : max;
        while (pos > 0 && v < rank_value(&r->rows[idx[pos - 1]]))
            pos--;
        if (pos >= max)
            continue;
        int last = count < max ? count : max - 1;
        for (int j = last; j > pos; j--)
            idx[j] = idx[j - 1];
        idx[pos] = i;
        if (count < max)
            count++;
    }
    return count;
}

/* ---- summary --------------------------------------------------------- */

/* The model output row with the lowest entire cosine (the number users
 * read first), or -1. */
int cmp_report_output_row(const cmp_report *r)
{
    int best = -1;
    for (int i = 0; i < r->nrows; i++) {
        const cmp_row *row = &r->rows[i];
        if (!row->is_output || !row->has_entire)
            continue;
        if (best < 0 || !(row->entire.cosine >= r->rows[best].entire.cosine))
            best = i;
    }
    return best;
}

const char *cmp_report_summary(const cmp_report *r, char *buf, size_t n)
{
    char c[32], s[32];
    int out = cmp_report_output_row(r);
    int worst[1];
    int nw = cmp_report_worst(r, 1, worst);
    int matched = 0;
    for (int i = 0; i < r->nrows; i++)
        matched += !r->rows[i].is_input;
    size_t used = 0;
    int w = snprintf(buf, n, "compare: %d layers matched, %d unmatched rknn, %d unmatched onnx",
                     matched, r->n_unmatched_rknn, r->n_unmatched_onnx);
    used = w < 0 ? 0 : RK_MIN((size_t)w, n - 1);
    if (out >= 0) {
        const cmp_metrics *m = &r->rows[out].entire;
        w = snprintf(buf + used, n - used, "; output '%s' cosine %s SQNR %s dB", r->rows[out].tensor,
                     cmp_fmt_num(m->cosine, "%.5f", c, sizeof c),
                     cmp_fmt_num(m->sqnr_db, "%.2f", s, sizeof s));
        used += w < 0 ? 0 : RK_MIN((size_t)w, n - 1 - used);
    }
    if (nw > 0) {
        const cmp_row *row = &r->rows[worst[0]];
        const cmp_metrics *m = row->has_single ? &row->single : &row->entire;
        w = snprintf(buf + used, n - used, "; worst %s '%s' SQNR %s dB",
                     cmp_report_rank_mode(row), row->layer,
                     cmp_fmt_num(m->sqnr_db, "%.2f", s, sizeof s));
        used += w < 0 ? 0 : RK_MIN((size_t)w, n - 1 - used);
    }
    if (r->nattn > 0 && used < n) {
        w = snprintf(buf + used, n - used, "; %d attention block%s", r->nattn,
                     r->nattn == 1 ? "" : "s");
        used += w < 0 ? 0 : RK_MIN((size_t)w, n - 1 - used);
    }
    if (used < n)
        snprintf(buf + used, n - used, "; %s",
                 isnan(r->min_cosine) && isnan(r->min_sqnr)
                     ? "no thresholds"
                     : (r->n_failed ? "FAILED" : "PASSED"));
    return buf;
}

/* ---- formats and files ----------------------------------------------- */

const char *cmp_fmt_num(double v, const char *fmt, char *buf, size_t n)
{
    if (isnan(v))
        snprintf(buf, n, "nan");
    else if (isinf(v))
        snprintf(buf, n, v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, n, fmt, v);
    return buf;
}

bool cmp_format_from_name(const char *name, cmp_format *f)
{
    static const struct {
        const char *name;
        cmp_format fmt;
    } names[] = {
        {"txt", CMP_FMT_TEXT}, {"text", CMP_FMT_TEXT},   {"json", CMP_FMT_JSON},
        {"csv", CMP_FMT_CSV},  {"junit", CMP_FMT_JUNIT}, {"xml", CMP_FMT_JUNIT},
        {"html", CMP_FMT_HTML},
    };
    for (size_t i = 0; i < RK_ARRAY_LEN(names); i++)
        if (strcmp(name, names[i].name) == 0) {
            *f = names[i].fmt;
            return true;
        }
    return false;
}

const char *cmp_format_ext(cmp_format f)
{
    switch (f) {
    case CMP_FMT_TEXT: return "txt";
    case CMP_FMT_JSON: return "json";
    case CMP_FMT_CSV: return "csv";
    case CMP_FMT_JUNIT: return "xml";
    case CMP_FMT_HTML: return "html";
    }
    return "txt";
}

rk_status cmp_report_write_file(const cmp_report *r, cmp_format fmt, const char *path,
                                rk_err *e)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return rk_errf(e, RK_EIO, "%s: cannot create report: %s", path, strerror(errno));
    rk_status st;
    switch (fmt) {
    case CMP_FMT_JSON: st = cmp_write_json(f, r, e); break;
    case CMP_FMT_CSV: st = cmp_write_csv(f, r, e); break;
    case CMP_FMT_JUNIT: st = cmp_write_junit(f, r, e); break;
    case CMP_FMT_HTML: st = cmp_write_html(f, r, e); break;
    default: st = cmp_write_text(f, r, e); break;
    }
    if (fclose(f) != 0 && st == RK_OK)
        st = rk_errf(e, RK_EIO, "%s: write failed: %s", path, strerror(errno));
    if (st != RK_OK && e && !strstr(e->msg, path))
        rk_err_wrap(e, "%s", path);
    return st;
}

rk_status cmp_check_stream(FILE *f, const char *what, rk_err *e)
{
    if (ferror(f))
        return rk_errf(e, RK_EIO, "writing the %s report failed", what);
    return RK_OK;
}

/* ---- hybrid quantisation config -------------------------------------- */

/* A tensor name is written bare when YAML reads it back as the same
 * string; otherwise single-quoted (quotes doubled).  Names that look like
 * numbers ("8") must be quoted or YAML turns them into integers. */
static void yaml_key(FILE *f, const char *s)
{
    bool plain = s[0] != '\0' && !strchr("-?:,[]{}#&*!|>'\"%@`0123456789.+ ", s[0]);
    size_t len = strlen(s);
    for (size_t i = 0; plain && i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '/' || c == '-' || c == ':';
        if (!ok || (c == ':' && (i + 1 == len || s[i + 1] == ' ')))
            plain = false;
    }
    if (plain) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            fputc('\'', f);
        fputc(*p, f);
    }
    fputc('\'', f);
}

static const char *cfg_key(const cmp_row *row)
{
    return row->onnx_tensor ? row->onnx_tensor : row->tensor;
}

/* The worst rows with distinct config keys, at most n: the matrices of a
 * stacked MatMul are separate layers that share one ONNX tensor, and a key
 * may appear only once in the config.  Returns the count; *out malloc'd. */
static int worst_distinct(const cmp_report *r, int n, int **out)
{
    int *all = rk_calloc_array((size_t)(r->nrows ? r->nrows : 1), sizeof *all);
    *out = rk_calloc_array((size_t)(n ? n : 1), sizeof **out);
    if (!all || !*out) {
        free(all);
        free(*out);
        *out = NULL;
        return -1;
    }
    int total = cmp_report_worst(r, r->nrows, all), count = 0;
    for (int i = 0; i < total && count < n; i++) {
        bool dup = false;
        for (int k = 0; k < count && !dup; k++)
            dup = strcmp(cfg_key(&r->rows[(*out)[k]]), cfg_key(&r->rows[all[i]])) == 0;
        if (!dup)
            (*out)[count++] = all[i];
    }
    free(all);
    return count;
}

rk_status cmp_write_hybrid_cfg(FILE *f, const cmp_report *r, rk_err *e)
{
    int n = r->top_n > 0 ? r->top_n : 0;
    int *idx = NULL;
    int count = worst_distinct(r, n, &idx);
    if (count < 0)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    fprintf(f, "# rksim compare: hybrid-quantisation suggestion for %s\n",
            r->rknn_path ? r->rknn_path : "?");
    fprintf(f, "# Keeps the %d layer%s with the lowest %s SQNR in float16.\n", count,
            count == 1 ? "" : "s", r->single_note ? "available" : "single-mode");
    if (r->single_note)
        fprintf(f, "# Note: %s\n", r->single_note);
    fprintf(f, "# Feed it to rknn.hybrid_quantization_step2(..., model_quantization_cfg=...)\n"
               "# after merging with the quantize_parameters that step1 wrote.\n");
    if (count == 0) {
        fprintf(f, "custom_quantize_layers: {}\n");
    } else {
        fprintf(f, "custom_quantize_layers:\n");
        for (int i = 0; i < count; i++) {
            const cmp_row *row = &r->rows[idx[i]];
            char s[32];
            const cmp_metrics *m = row->has_single ? &row->single : &row->entire;
            fprintf(f, "    ");
            yaml_key(f, cfg_key(row));
            fprintf(f, ": float16  # %s, %s SQNR %s dB\n", row->layer, cmp_report_rank_mode(row),
                    cmp_fmt_num(m->sqnr_db, "%.2f", s, sizeof s));
        }
    }
    free(idx);
    return cmp_check_stream(f, "hybrid config", e);
}
