/* report_text.c - the plain-text report.  Its first table keeps the columns
 * of rknn-toolkit2's error_analysis.txt ("[OpType] tensor", entire cos|euc,
 * single cos|euc; rknn-format.md §4.1) so the two can be diffed; further
 * sections add what that file lacks. */
#include <math.h>
#include <string.h>

#include "report_internal.h"

/* "1.00000 | 0.0" in the vendor's style: cosine with 5 decimals, euclidean
 * with 5 significant digits, "0.0" for an exact zero; blank when absent. */
static void vendor_cell(FILE *f, bool has, const cmp_metrics *m)
{
    char c[32], u[32];
    if (!has) {
        fprintf(f, "%-20s", "");
        return;
    }
    /* a long euclidean (1.0493e+05) must not run into the next column */
    cmp_fmt_num(m->cosine, "%.5f", c, sizeof c);
    if (m->euclidean == 0.0)
        snprintf(u, sizeof u, "0.0");
    else
        cmp_fmt_num(m->euclidean, "%.5g", u, sizeof u);
    char cell[80];
    snprintf(cell, sizeof cell, "%s | %s", c, u);
    fprintf(f, "%-19s ", cell);
}

static int label_width(const cmp_report *r)
{
    int w = 40;
    for (int i = 0; i < r->nrows; i++) {
        int l = (int)(strlen(r->rows[i].op_type) + strlen(r->rows[i].tensor) + 4);
        if (l > w)
            w = l;
    }
    return w;
}

static void vendor_table(FILE *f, const cmp_report *r, int w)
{
    fprintf(f, "# simulator_error: per-layer error of the simulated .rknn (rksim) against the\n"
               "#   float ONNX model (onnxref, the 'golden' values).\n"
               "#   entire: whole model simulated; error accumulates from layer to layer.\n"
               "#   single: each layer fed the float reference's own inputs (quantised as\n"
               "#           the layer expects), so only that layer's own error shows.\n");
    if (r->single_note)
        fprintf(f, "#   note: %s\n", r->single_note);
    fprintf(f, "%-*s%s\n", w, "layer_name", "simulator_error");
    fprintf(f, "%-*s%-20s%-20s\n", w, "", "     entire", "     single");
    fprintf(f, "%-*s%-20s%-20s\n", w, "", "  cos      euc", "  cos      euc");
    for (int i = 0; i < w + 40; i++)
        fputc('-', f);
    fputc('\n', f);
    for (int i = 0; i < r->nrows; i++) {
        const cmp_row *row = &r->rows[i];
        char label[512];
        snprintf(label, sizeof label, "[%s] %s", row->op_type, row->tensor);
        fprintf(f, "%-*s", w, label);
        vendor_cell(f, row->has_entire, &row->entire);
        vendor_cell(f, row->has_single, &row->single);
        fputc('\n', f);
    }
}

static void metrics_line(FILE *f, const char *layer, const char *mode, const cmp_metrics *m,
                         int w)
{
    char a[32], b[32], c[32], d[32], g[32], h[32], fl[160];
    fprintf(f, "%-*s %-6s %9s %11s %11s %11s %10s %9s  %s\n", w, layer, mode,
            cmp_fmt_num(m->cosine, "%.6f", a, sizeof a),
            cmp_fmt_num(m->euclidean, "%.5g", b, sizeof b),
            cmp_fmt_num(m->max_abs, "%.5g", c, sizeof c),
            cmp_fmt_num(m->mean_abs, "%.5g", d, sizeof d),
            cmp_fmt_num(m->rel_l2, "%.4g", g, sizeof g),
            cmp_fmt_num(m->sqnr_db, "%.2f", h, sizeof h), cmp_flags_str(m->flags, fl, sizeof fl));
}

static void full_table(FILE *f, const cmp_report *r, int w)
{
    fprintf(f, "\n# all metrics (sqnr in dB; flags: see compare/REPORT-SCHEMA.md)\n");
    fprintf(f, "%-*s %-6s %9s %11s %11s %11s %10s %9s  %s\n", w, "layer", "mode", "cos", "euc",
            "max_abs", "mean_abs", "rel_l2", "sqnr", "flags");
    for (int i = 0; i < r->nrows; i++) {
        const cmp_row *row = &r->rows[i];
        if (row->has_entire)
            metrics_line(f, row->layer, "entire", &row->entire, w);
        if (row->has_single)
            metrics_line(f, row->layer, "single", &row->single, w);
        if (row->has_topk)
            fprintf(f, "%-*s top-1 %s (ref %lld, sim %lld), top-5 %s, overlap %d/%d%s\n", w, "",
                    row->topk.top1_agree ? "agrees" : "DIFFERS", (long long)row->topk.ref_top1,
                    (long long)row->topk.test_top1, row->topk.top5_agree ? "agrees" : "DIFFERS",
                    row->topk.top5_overlap, row->topk.k, row->topk.ref_tie ? " (ref tie)" : "");
        if (row->has_sat && row->sat.valid)
            fprintf(f, "%-*s int8 saturated in sim %.4f%%, reference clipped %.4f%% "
                       "(scale %g, zp %d)\n",
                    w, "", 100.0 * row->sat.frac_test_sat, 100.0 * row->sat.frac_ref_clip,
                    row->sat.scale, row->sat.zero_point);
        if (row->note)
            fprintf(f, "%-*s note: %s\n", w, "", row->note);
    }
}

static void unmatched_section(FILE *f, const char *title, const cmp_unmatched *u, int n)
{
    fprintf(f, "\n# %s: %d\n", title, n);
    for (int i = 0; i < n; i++)
        fprintf(f, "  [%s] %s: %s\n", u[i].op_type, u[i].name, u[i].reason);
}

static void worst_section(FILE *f, const cmp_report *r)
{
    int n = r->top_n > 0 ? r->top_n : 0;
    int idx[64];
    if (n > 64)
        n = 64;
    int count = cmp_report_worst(r, n, idx);
    fprintf(f, "\n# worst %d layers (lowest SQNR, single mode where available)\n", count);
    for (int i = 0; i < count; i++) {
        const cmp_row *row = &r->rows[idx[i]];
        const cmp_metrics *m = row->has_single ? &row->single : &row->entire;
        char s[32], c[32];
        fprintf(f, "  %d. %s (%s): %s SQNR %s dB, cosine %s\n", i + 1, row->layer, row->tensor,
                cmp_report_rank_mode(row), cmp_fmt_num(m->sqnr_db, "%.2f", s, sizeof s),
                cmp_fmt_num(m->cosine, "%.6f", c, sizeof c));
    }
}

static void attention_section(FILE *f, const cmp_report *r)
{
    if (r->nattn == 0)
        return;
    fprintf(f, "\n# attention blocks: %d\n", r->nattn);
    for (int i = 0; i < r->nattn; i++) {
        const cmp_attn_report *a = &r->attn[i];
        char b1[32], b2[32], b3[32], b4[32];
        fprintf(f, "  %s (%s): %s, heads %d, scale %s, mask %s\n", a->name, a->kind, a->pattern,
                a->num_heads, cmp_fmt_num(a->scale, "%.6g", b1, sizeof b1),
                a->has_mask ? "yes" : "no");
        fprintf(f, "    logits range [%s, %s] -> int8 step %s; unmasked min %s",
                cmp_fmt_num(a->logit_min, "%.5g", b1, sizeof b1),
                cmp_fmt_num(a->logit_max, "%.5g", b2, sizeof b2),
                cmp_fmt_num(a->logit_int8_step, "%.5g", b3, sizeof b3),
                cmp_fmt_num(a->logit_min_unmasked, "%.5g", b4, sizeof b4));
        if (!isnan(a->logit_model_scale))
            fprintf(f, "; the .rknn quantises them with scale %g", a->logit_model_scale);
        fputc('\n', f);
        fprintf(f, "    softmax probability mass quantised to 0: %s (%s of elements; scale %g "
                   "zp %d, %s)\n",
                cmp_fmt_num(100.0 * a->prob_mass_zero, "%.3f%%", b1, sizeof b1),
                cmp_fmt_num(100.0 * a->prob_frac_zero, "%.3f%%", b2, sizeof b2), a->prob_scale,
                a->prob_zp, a->prob_qparams_from_model ? "from the model" : "assumed");
        for (int s = 0; s < a->nsteps; s++) {
            const cmp_attn_step *st = &a->steps[s];
            if (!st->has_metrics) {
                fprintf(f, "    %-14s %s: not simulated\n", st->step, st->onnx_tensor);
                continue;
            }
            fprintf(f, "    %-14s %s: cosine %s SQNR %s dB\n", st->step, st->onnx_tensor,
                    cmp_fmt_num(st->m.cosine, "%.6f", b1, sizeof b1),
                    cmp_fmt_num(st->m.sqnr_db, "%.2f", b2, sizeof b2));
            for (int h = 0; h < st->nheads; h++)
                fprintf(f, "      head %d: cosine %s SQNR %s dB\n", h,
                        cmp_fmt_num(st->heads[h].cosine, "%.6f", b1, sizeof b1),
                        cmp_fmt_num(st->heads[h].sqnr_db, "%.2f", b2, sizeof b2));
        }
    }
}

rk_status cmp_write_text(FILE *f, const cmp_report *r, rk_err *e)
{
    int w = label_width(r);
    fprintf(f, "# rksim compare\n# onnx:  %s\n# rknn:  %s (%s)\n# input: %s\n",
            r->onnx_path ? r->onnx_path : "?", r->rknn_path ? r->rknn_path : "?",
            r->soc ? r->soc : "?", r->input_path ? r->input_path : "?");
    vendor_table(f, r, w);
    full_table(f, r, w);
    unmatched_section(f, "unmatched .rknn layers", r->unmatched_rknn, r->n_unmatched_rknn);
    unmatched_section(f, "ONNX tensors without an .rknn layer", r->unmatched_onnx,
                      r->n_unmatched_onnx);
    worst_section(f, r);
    attention_section(f, r);
    char sum[1024];
    fprintf(f, "\n%s\n", cmp_report_summary(r, sum, sizeof sum));
    if (r->n_failed) {
        char fails[2048];
        fprintf(f, "failing layers: %s\n", cmp_report_failures_str(r, 1000, fails, sizeof fails));
    }
    return cmp_check_stream(f, "text", e);
}
