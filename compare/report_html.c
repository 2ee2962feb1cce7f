/* report_html.c - one self-contained HTML page: inline CSS, the drift plot
 * (SQNR and cosine against layer depth) as inline SVG, and the tables.  No
 * scripts, no external fonts, images or style sheets, so it opens offline
 * and in CI artefact viewers. */
#include <math.h>
#include <string.h>

#include "report_internal.h"

/* Plot geometry (SVG user units). */
enum { PW = 1100, PH = 380, ML = 70, MR = 70, MT = 30, MB = 50 };

static const char CSS[] =
    "body{font-family:sans-serif;margin:20px;color:#222;background:#fff}"
    "h1{font-size:22px}h2{font-size:18px;margin-top:28px}"
    "table{border-collapse:collapse;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}"
    "th{background:#eee}td.l{text-align:left;font-family:monospace}"
    "tr.fail td{background:#f8d0d0}tr.warn td{background:#fff3c4}"
    ".pass{color:#fff;background:#2a7a2a;padding:2px 8px}"
    ".failb{color:#fff;background:#b02020;padding:2px 8px}"
    ".none{color:#fff;background:#777;padding:2px 8px}"
    "svg text{font-family:sans-serif;font-size:12px}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{font-weight:bold}";

static void esc(FILE *f, const char *s)
{
    cmp_put_xml(f, s ? s : "");
}

static void cell_num(FILE *f, double v, const char *fmt)
{
    char b[40];
    fprintf(f, "<td>%s</td>", cmp_fmt_num(v, fmt, b, sizeof b));
}

/* Finite range of a metric over rows (both modes). */
static void metric_range(const cmp_report *r, bool sqnr, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int i = 0; i < r->nrows; i++) {
        const cmp_row *row = &r->rows[i];
        const cmp_metrics *ms[2] = {row->has_entire ? &row->entire : NULL,
                                    row->has_single ? &row->single : NULL};
        for (int k = 0; k < 2; k++) {
            if (!ms[k])
                continue;
            double v = sqnr ? ms[k]->sqnr_db : ms[k]->cosine;
            if (isfinite(v)) {
                *lo = RK_MIN(*lo, v);
                *hi = RK_MAX(*hi, v);
            }
        }
    }
}

typedef struct axis {
    double lo, hi;
} axis;

static double ypos(const axis *a, double v)
{
    if (isinf(v))
        v = v > 0 ? a->hi : a->lo; /* pinned to the edge, marked below */
    double t = (v - a->lo) / (a->hi - a->lo);
    return MT + (1.0 - t) * (PH - MT - MB);
}

static double xpos(int i, int n)
{
    if (n <= 1)
        return ML + (PW - ML - MR) / 2.0;
    return ML + (double)i * (PW - ML - MR) / (double)(n - 1);
}

static void series(FILE *f, const cmp_report *r, const axis *a, bool sqnr, bool single,
                   const char *color, const char *name)
{
    char b[40];
    fprintf(f, "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s "
               "points=\"",
            color, single ? " stroke-dasharray=\"6,4\"" : "");
    for (int i = 0; i < r->nrows; i++) {
        const cmp_row *row = &r->rows[i];
        const cmp_metrics *m = single ? &row->single : &row->entire;
        if (!(single ? row->has_single : row->has_entire))
            continue;
        double v = sqnr ? m->sqnr_db : m->cosine;
        if (!isnan(v))
            fprintf(f, "%.1f,%.1f ", xpos(i, r->nrows), ypos(a, v));
    }
    fputs("\"/>\n", f);
    for (int i = 0; i < r->nrows; i++) {
        const cmp_row *row = &r->rows[i];
        const cmp_metrics *m = single ? &row->single : &row->entire;
        if (!(single ? row->has_single : row->has_entire))
            continue;
        double v = sqnr ? m->sqnr_db : m->cosine;
        if (isnan(v))
            continue;
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\"><title>", xpos(i, r->nrows),
                ypos(a, v), isinf(v) ? 5 : 3, color);
        esc(f, row->layer);
        fprintf(f, " %s %s</title></circle>\n", name,
                cmp_fmt_num(v, sqnr ? "%.2f dB" : "%.6f", b, sizeof b));
    }
}

static void plot(FILE *f, const cmp_report *r)
{
    axis as, ac;
    metric_range(r, true, &as.lo, &as.hi);
    metric_range(r, false, &ac.lo, &ac.hi);
    if (!isfinite(as.lo)) {
        as.lo = 0;
        as.hi = 60;
    }
    if (!isnan(r->min_sqnr)) { /* keep the threshold line in view */
        as.lo = RK_MIN(as.lo, r->min_sqnr);
        as.hi = RK_MAX(as.hi, r->min_sqnr);
    }
    as.lo = floor(RK_MIN(as.lo, 0.0) / 10.0) * 10.0;
    as.hi = ceil((as.hi + 1.0) / 10.0) * 10.0;
    if (as.hi <= as.lo)
        as.hi = as.lo + 10.0;
    if (!isfinite(ac.lo))
        ac.lo = 0.99;
    if (!isnan(r->min_cosine) && r->min_cosine < ac.lo)
        ac.lo = r->min_cosine;
    ac.lo = RK_MIN(ac.lo - (1.0 - ac.lo) * 0.1, 0.999);
    ac.lo = RK_MAX(ac.lo, -1.0);
    ac.hi = 1.0;
    fprintf(f, "<svg id=\"drift\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"drift plot\">\n",
            PW, PH, PW, PH);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" "
               "stroke=\"#999\"/>\n",
            ML, MT, PW - ML - MR, PH - MT - MB);
    char b[40];
    for (int k = 0; k <= 5; k++) {
        double vs = as.lo + (as.hi - as.lo) * k / 5.0;
        double vc = ac.lo + (ac.hi - ac.lo) * k / 5.0;
        double y = ypos(&as, vs);
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", ML,
                PW - MR, y, y);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#1f5fa8\">%s</text>\n",
                ML - 6, y + 4, cmp_fmt_num(vs, "%.0f", b, sizeof b));
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" fill=\"#c85a00\">%s</text>\n", PW - MR + 6, y + 4,
                cmp_fmt_num(vc, "%.4f", b, sizeof b));
    }
    int every = r->nrows > 30 ? (r->nrows + 29) / 30 : 1; /* at most ~30 labels */
    for (int i = 0; i < r->nrows; i += every)
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n",
                xpos(i, r->nrows), PH - MB + 16, i);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">layer (execution order, "
               "index into the table)</text>\n",
            PW / 2, PH - 12);
    fprintf(f, "<text x=\"14\" y=\"%d\" fill=\"#1f5fa8\" transform=\"rotate(-90 14 %d)\" "
               "text-anchor=\"middle\">SQNR (dB)</text>\n",
            PH / 2, PH / 2);
    fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#c85a00\" transform=\"rotate(90 %d %d)\" "
               "text-anchor=\"middle\">cosine</text>\n",
            PW - 12, PH / 2, PW - 12, PH / 2);
    if (!isnan(r->min_sqnr) && r->min_sqnr >= as.lo && r->min_sqnr <= as.hi)
        fprintf(f, "<line class=\"threshold\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                   "stroke=\"#1f5fa8\" stroke-dasharray=\"2,3\"><title>--min-sqnr %g dB</title></line>\n",
                ML, PW - MR, ypos(&as, r->min_sqnr), ypos(&as, r->min_sqnr), r->min_sqnr);
    if (!isnan(r->min_cosine) && r->min_cosine >= ac.lo && r->min_cosine <= ac.hi)
        fprintf(f, "<line class=\"threshold\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                   "stroke=\"#c85a00\" stroke-dasharray=\"2,3\"><title>--min-cosine %g</title></line>\n",
                ML, PW - MR, ypos(&ac, r->min_cosine), ypos(&ac, r->min_cosine), r->min_cosine);
    series(f, r, &as, true, false, "#1f5fa8", "entire SQNR");
    series(f, r, &as, true, true, "#1f5fa8", "single SQNR");
    series(f, r, &ac, false, false, "#c85a00", "entire cosine");
    series(f, r, &ac, false, true, "#c85a00", "single cosine");
    fprintf(f, "<text x=\"%d\" y=\"18\" fill=\"#1f5fa8\">&#8212; SQNR entire  - - SQNR single"
               "</text><text x=\"%d\" y=\"18\" fill=\"#c85a00\">&#8212; cosine entire  - - "
               "cosine single</text><text x=\"%d\" y=\"18\">(infinite SQNR = identical, "
               "drawn at the top as a large dot)</text>\n",
            ML, ML + 260, ML + 520);
    fputs("</svg>\n", f);
}

static void metric_cells(FILE *f, bool has, const cmp_metrics *m)
{
    if (!has) {
        fputs("<td></td><td></td><td></td><td></td>", f);
        return;
    }
    cell_num(f, m->cosine, "%.5f");
    cell_num(f, m->euclidean, "%.5g");
    cell_num(f, m->sqnr_db, "%.2f");
    cell_num(f, m->max_abs, "%.4g");
}

static void layer_table(FILE *f, const cmp_report *r)
{
    fputs("<table id=\"layers\"><thead><tr><th rowspan=\"2\">#</th>"
          "<th rowspan=\"2\">layer_name</th><th rowspan=\"2\">onnx tensor</th>"
          "<th rowspan=\"2\">shape</th><th colspan=\"4\">entire</th>"
          "<th colspan=\"4\">single</th><th rowspan=\"2\">flags / notes</th></tr>"
          "<tr><th>cos</th><th>euc</th><th>SQNR dB</th><th>max abs</th>"
          "<th>cos</th><th>euc</th><th>SQNR dB</th><th>max abs</th></tr></thead><tbody>\n",
          f);
    for (int i = 0; i < r->nrows; i++) {
        const cmp_row *row = &r->rows[i];
        char shape[128], fl[256], why[512];
        bool warn = (row->has_entire && !(row->entire.cosine >= 0.99)) ||
                    (row->has_single && !(row->single.cosine >= 0.99));
        fprintf(f, "<tr class=\"layer%s\"><td>%d</td><td class=\"l\">[", row->fail ? " fail" : (warn ? " warn" : ""), i);
        esc(f, row->op_type);
        fputs("] ", f);
        esc(f, row->tensor);
        fputs("</td><td class=\"l\">", f);
        esc(f, row->onnx_tensor ? row->onnx_tensor : "-");
        fputs("</td><td>", f);
        esc(f, cmp_row_shape(row, shape, sizeof shape));
        fputs("</td>", f);
        metric_cells(f, row->has_entire, &row->entire);
        metric_cells(f, row->has_single, &row->single);
        fputs("<td class=\"l\">", f);
        const char *sep = "";
        cmp_flags_str((row->has_entire ? row->entire.flags : 0) |
                          (row->has_single ? row->single.flags : 0),
                      fl, sizeof fl);
        if (fl[0]) {
            esc(f, fl);
            sep = "; ";
        }
        if (row->fail) {
            fprintf(f, "%sFAIL: ", sep);
            esc(f, cmp_row_fail_str(r, row, why, sizeof why));
            sep = "; ";
        }
        if (row->has_sat && row->sat.valid) {
            fprintf(f, "%sint8 saturated %.3f%%, ref clipped %.3f%%", sep, 100 * row->sat.frac_test_sat,
                    100 * row->sat.frac_ref_clip);
            sep = "; ";
        }
        if (row->has_topk && row->topk.valid) {
            fprintf(f, "%stop-1 %s, top-5 %s", sep, row->topk.top1_agree ? "agrees" : "DIFFERS",
                    row->topk.top5_agree ? "agrees" : "DIFFERS");
            sep = "; ";
        }
        if (row->note) {
            fputs(sep, f);
            esc(f, row->note);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

static void unmatched_table(FILE *f, const char *title, const char *id, const cmp_unmatched *u,
                            int n)
{
    fprintf(f, "<h2>%s (%d)</h2>\n", title, n);
    if (n == 0) {
        fputs("<p>none</p>\n", f);
        return;
    }
    fprintf(f, "<table id=\"%s\"><tr><th>op</th><th>name</th><th>reason</th></tr>\n", id);
    for (int i = 0; i < n; i++) {
        fputs("<tr><td class=\"l\">", f);
        esc(f, u[i].op_type);
        fputs("</td><td class=\"l\">", f);
        esc(f, u[i].name);
        fputs("</td><td class=\"l\">", f);
        esc(f, u[i].reason);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void worst_table(FILE *f, const cmp_report *r)
{
    int idx[64];
    int count = cmp_report_worst(r, r->top_n > 64 ? 64 : r->top_n, idx);
    fprintf(f, "<h2>Worst %d layers</h2>\n<table id=\"worst\"><tr><th>rank</th><th>layer</th>"
               "<th>mode</th><th>SQNR dB</th><th>cos</th></tr>\n",
            count);
    for (int i = 0; i < count; i++) {
        const cmp_row *row = &r->rows[idx[i]];
        const cmp_metrics *m = row->has_single ? &row->single : &row->entire;
        fprintf(f, "<tr><td>%d</td><td class=\"l\">", i + 1);
        esc(f, row->layer);
        fprintf(f, "</td><td>%s</td>", cmp_report_rank_mode(row));
        cell_num(f, m->sqnr_db, "%.2f");
        cell_num(f, m->cosine, "%.6f");
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void attention_tables(FILE *f, const cmp_report *r)
{
    fprintf(f, "<h2>Attention (%d)</h2>\n", r->nattn);
    if (r->nattn == 0) {
        fputs("<p>no attention block found in the ONNX graph</p>\n", f);
        return;
    }
    for (int i = 0; i < r->nattn; i++) {
        const cmp_attn_report *a = &r->attn[i];
        char b1[40], b2[40], b3[40];
        fputs("<h3>", f);
        esc(f, a->name);
        fputs(" &#8212; ", f);
        esc(f, a->pattern);
        fprintf(f, "</h3>\n<p>heads %d, scale %s, mask %s; logits [%s, %s], int8 step %s; "
                   "softmax mass quantised to zero %s (%s)</p>\n",
                a->num_heads, cmp_fmt_num(a->scale, "%.5g", b1, sizeof b1),
                a->has_mask ? "yes" : "no", cmp_fmt_num(a->logit_min, "%.4g", b2, sizeof b2),
                cmp_fmt_num(a->logit_max, "%.4g", b3, sizeof b3),
                cmp_fmt_num(a->logit_int8_step, "%.4g", b1, sizeof b1),
                cmp_fmt_num(100 * a->prob_mass_zero, "%.3f%%", b2, sizeof b2),
                a->prob_qparams_from_model ? "model scale" : "assumed scale");
        fputs("<table class=\"attn\"><tr><th>step</th><th>tensor</th><th>cos</th>"
              "<th>SQNR dB</th><th>per head SQNR dB</th></tr>\n",
              f);
        for (int s = 0; s < a->nsteps; s++) {
            const cmp_attn_step *st = &a->steps[s];
            fputs("<tr><td class=\"l\">", f);
            esc(f, st->step);
            fputs("</td><td class=\"l\">", f);
            esc(f, st->onnx_tensor);
            fputs("</td>", f);
            if (st->has_metrics) {
                cell_num(f, st->m.cosine, "%.6f");
                cell_num(f, st->m.sqnr_db, "%.2f");
            } else {
                fputs("<td colspan=\"2\">not simulated</td>", f);
            }
            fputs("<td class=\"l\">", f);
            for (int h = 0; h < st->nheads; h++)
                fprintf(f, "%s%s", h ? ", " : "",
                        cmp_fmt_num(st->heads[h].sqnr_db, "%.1f", b1, sizeof b1));
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }
}

rk_status cmp_write_html(FILE *f, const cmp_report *r, rk_err *e)
{
    char sum[1024];
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<title>rksim compare</title><style>%s</style></head><body>\n",
            CSS);
    fputs("<h1>rksim compare: simulated .rknn vs float ONNX</h1>\n<dl>", f);
    const char *keys[] = {"ONNX", "RKNN", "input", "SoC", "single mode"};
    const char *vals[] = {r->onnx_path, r->rknn_path, r->input_path, r->soc,
                          r->single_note ? r->single_note : "complete"};
    for (int i = 0; i < 5; i++) {
        fprintf(f, "<dt>%s</dt><dd>", keys[i]);
        esc(f, vals[i] ? vals[i] : "?");
        fputs("</dd>", f);
    }
    fputs("</dl>\n<p id=\"summary\">", f);
    bool thresholds = !isnan(r->min_cosine) || !isnan(r->min_sqnr);
    fprintf(f, "<span class=\"%s\">%s</span> ",
            !thresholds ? "none" : (r->n_failed ? "failb" : "pass"),
            !thresholds ? "NO THRESHOLDS" : (r->n_failed ? "FAILED" : "PASSED"));
    esc(f, cmp_report_summary(r, sum, sizeof sum));
    fputs("</p>\n<h2>Drift: SQNR and cosine against depth</h2>\n", f);
    plot(f, r);
    fputs("<h2>Layers</h2>\n", f);
    layer_table(f, r);
    worst_table(f, r);
    unmatched_table(f, "Unmatched .rknn layers", "unmatched-rknn", r->unmatched_rknn,
                    r->n_unmatched_rknn);
    unmatched_table(f, "ONNX tensors without an .rknn layer", "unmatched-onnx",
                    r->unmatched_onnx, r->n_unmatched_onnx);
    attention_tables(f, r);
    fputs("</body></html>\n", f);
    return cmp_check_stream(f, "HTML", e);
}
