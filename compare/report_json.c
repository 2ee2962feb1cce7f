/* report_json.c - the JSON report; layout in compare/REPORT-SCHEMA.md. */
#include <math.h>
#include <string.h>

#include "report_internal.h"

static void put_key(FILE *f, const char *k)
{
    cmp_put_json_str(f, k);
    fputc(':', f);
}

static void put_str_or_null(FILE *f, const char *s)
{
    if (s)
        cmp_put_json_str(f, s);
    else
        fputs("null", f);
}

static void put_flags(FILE *f, unsigned flags)
{
    char buf[256];
    cmp_flags_str(flags, buf, sizeof buf);
    fputc('[', f);
    char *save = NULL;
    bool first = true;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!first)
            fputc(',', f);
        cmp_put_json_str(f, tok);
        first = false;
    }
    fputc(']', f);
}

static void put_metrics(FILE *f, const cmp_metrics *m)
{
    fprintf(f, "{\"n\":%lld,", (long long)m->n);
    put_key(f, "cosine");
    cmp_put_json_num(f, m->cosine);
    fputs(",\"euclidean\":", f);
    cmp_put_json_num(f, m->euclidean);
    fputs(",\"max_abs\":", f);
    cmp_put_json_num(f, m->max_abs);
    fputs(",\"mean_abs\":", f);
    cmp_put_json_num(f, m->mean_abs);
    fputs(",\"rel_l2\":", f);
    cmp_put_json_num(f, m->rel_l2);
    fputs(",\"sqnr_db\":", f);
    cmp_put_json_num(f, m->sqnr_db);
    fprintf(f, ",\"nan_ref\":%lld,\"nan_test\":%lld,\"inf_ref\":%lld,\"inf_test\":%lld,"
               "\"inf_matched\":%lld,\"flags\":",
            (long long)m->n_nan_ref, (long long)m->n_nan_test, (long long)m->n_inf_ref,
            (long long)m->n_inf_test, (long long)m->n_inf_matched);
    put_flags(f, m->flags);
    fputc('}', f);
}

static void put_fail_list(FILE *f, unsigned fail)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {CMP_FAIL_ENTIRE_COSINE, "entire.cosine"},
        {CMP_FAIL_ENTIRE_SQNR, "entire.sqnr_db"},
        {CMP_FAIL_SINGLE_COSINE, "single.cosine"},
        {CMP_FAIL_SINGLE_SQNR, "single.sqnr_db"},
    };
    fputc('[', f);
    bool first = true;
    for (size_t i = 0; i < RK_ARRAY_LEN(names); i++)
        if (fail & names[i].bit) {
            fprintf(f, "%s\"%s\"", first ? "" : ",", names[i].name);
            first = false;
        }
    fputc(']', f);
}

static void put_row(FILE *f, const cmp_report *r, int i)
{
    const cmp_row *row = &r->rows[i];
    fprintf(f, "    {\"index\":%d,\"depth\":%d,", i, row->depth);
    put_key(f, "layer");
    cmp_put_json_str(f, row->layer);
    fputs(",\"op_type\":", f);
    cmp_put_json_str(f, row->op_type);
    fputs(",\"tensor\":", f);
    cmp_put_json_str(f, row->tensor);
    fputs(",\"onnx_tensor\":", f);
    put_str_or_null(f, row->onnx_tensor);
    fputs(",\"onnx_ops\":", f);
    put_str_or_null(f, row->onnx_ops);
    fputs(",\"shape\":[", f);
    for (int d = 0; d < row->ndim; d++)
        fprintf(f, "%s%lld", d ? "," : "", (long long)row->dims[d]);
    fprintf(f, "],\"is_input\":%s,\"is_output\":%s,\"is_cpu\":%s,\"entire\":",
            row->is_input ? "true" : "false", row->is_output ? "true" : "false",
            row->is_cpu ? "true" : "false");
    if (row->has_entire)
        put_metrics(f, &row->entire);
    else
        fputs("null", f);
    fputs(",\"single\":", f);
    if (row->has_single)
        put_metrics(f, &row->single);
    else
        fputs("null", f);
    fputs(",\"topk\":", f);
    if (row->has_topk && row->topk.valid)
        fprintf(f, "{\"k\":%d,\"top1_agree\":%s,\"top5_agree\":%s,\"top5_overlap\":%d,"
                   "\"ref_top1\":%lld,\"test_top1\":%lld,\"ref_tie\":%s}",
                row->topk.k, row->topk.top1_agree ? "true" : "false",
                row->topk.top5_agree ? "true" : "false", row->topk.top5_overlap,
                (long long)row->topk.ref_top1, (long long)row->topk.test_top1,
                row->topk.ref_tie ? "true" : "false");
    else
        fputs("null", f);
    fputs(",\"saturation\":", f);
    if (row->has_sat && row->sat.valid) {
        fprintf(f, "{\"scale\":%.9g,\"zero_point\":%d,\"frac_test_saturated\":", row->sat.scale,
                row->sat.zero_point);
        cmp_put_json_num(f, row->sat.frac_test_sat);
        fputs(",\"frac_ref_clipped\":", f);
        cmp_put_json_num(f, row->sat.frac_ref_clip);
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    fputs(",\"failed\":", f);
    put_fail_list(f, row->fail);
    fputs(",\"note\":", f);
    put_str_or_null(f, row->note);
    fputc('}', f);
}

static void put_unmatched(FILE *f, const cmp_unmatched *u, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        fputs(i ? ",{\"name\":" : "{\"name\":", f);
        cmp_put_json_str(f, u[i].name);
        fputs(",\"op_type\":", f);
        cmp_put_json_str(f, u[i].op_type);
        fputs(",\"reason\":", f);
        cmp_put_json_str(f, u[i].reason);
        fputc('}', f);
    }
    fputc(']', f);
}

static void put_attn(FILE *f, const cmp_attn_report *a)
{
    fputs("{\"name\":", f);
    cmp_put_json_str(f, a->name);
    fputs(",\"kind\":", f);
    cmp_put_json_str(f, a->kind);
    fputs(",\"pattern\":", f);
    cmp_put_json_str(f, a->pattern);
    fprintf(f, ",\"num_heads\":%d,\"scale\":", a->num_heads);
    cmp_put_json_num(f, a->scale);
    fprintf(f, ",\"has_mask\":%s,\"prob_mass_zero\":", a->has_mask ? "true" : "false");
    cmp_put_json_num(f, a->prob_mass_zero);
    fputs(",\"prob_frac_zero\":", f);
    cmp_put_json_num(f, a->prob_frac_zero);
    fprintf(f, ",\"prob_scale\":%.9g,\"prob_zero_point\":%d,\"prob_qparams_from_model\":%s",
            a->prob_scale, a->prob_zp, a->prob_qparams_from_model ? "true" : "false");
    fputs(",\"logit_min\":", f);
    cmp_put_json_num(f, a->logit_min);
    fputs(",\"logit_max\":", f);
    cmp_put_json_num(f, a->logit_max);
    fputs(",\"logit_min_unmasked\":", f);
    cmp_put_json_num(f, a->logit_min_unmasked);
    fputs(",\"logit_int8_step\":", f);
    cmp_put_json_num(f, a->logit_int8_step);
    fputs(",\"logit_int8_step_unmasked\":", f);
    cmp_put_json_num(f, a->logit_step_unmasked);
    fputs(",\"logit_model_scale\":", f);
    if (isnan(a->logit_model_scale))
        fputs("null", f);
    else
        cmp_put_json_num(f, a->logit_model_scale);
    fputs(",\"steps\":[", f);
    for (int s = 0; s < a->nsteps; s++) {
        const cmp_attn_step *st = &a->steps[s];
        fputs(s ? ",{\"step\":" : "{\"step\":", f);
        cmp_put_json_str(f, st->step);
        fputs(",\"onnx_tensor\":", f);
        cmp_put_json_str(f, st->onnx_tensor);
        fputs(",\"metrics\":", f);
        if (st->has_metrics)
            put_metrics(f, &st->m);
        else
            fputs("null", f);
        fputs(",\"heads\":[", f);
        for (int h = 0; h < st->nheads; h++) {
            if (h)
                fputc(',', f);
            put_metrics(f, &st->heads[h]);
        }
        fputs("]}", f);
    }
    fputs("]}", f);
}

rk_status cmp_write_json(FILE *f, const cmp_report *r, rk_err *e)
{
    char buf[2048];
    fputs("{\n  \"schema\":\"rksim-compare/1\",\n  \"onnx\":", f);
    put_str_or_null(f, r->onnx_path);
    fputs(",\n  \"rknn\":", f);
    put_str_or_null(f, r->rknn_path);
    fputs(",\n  \"input\":", f);
    put_str_or_null(f, r->input_path);
    fputs(",\n  \"soc\":", f);
    put_str_or_null(f, r->soc);
    fputs(",\n  \"single_mode_note\":", f);
    put_str_or_null(f, r->single_note);
    fputs(",\n  \"thresholds\":{\"min_cosine\":", f);
    if (isnan(r->min_cosine))
        fputs("null", f);
    else
        cmp_put_json_num(f, r->min_cosine);
    fputs(",\"min_sqnr_db\":", f);
    if (isnan(r->min_sqnr))
        fputs("null", f);
    else
        cmp_put_json_num(f, r->min_sqnr);
    fprintf(f, "},\n  \"summary\":{\"layers\":%d,\"failed\":%d,\"unmatched_rknn\":%d,"
               "\"unmatched_onnx\":%d,\"attention_blocks\":%d,\"passed\":%s,\"text\":",
            r->nrows, r->n_failed, r->n_unmatched_rknn, r->n_unmatched_onnx, r->nattn,
            r->n_failed ? "false" : "true");
    cmp_put_json_str(f, cmp_report_summary(r, buf, sizeof buf));
    fputs(",\"failures\":", f);
    cmp_put_json_str(f, cmp_report_failures_str(r, 1000, buf, sizeof buf));
    fputs("},\n  \"layers\":[\n", f);
    for (int i = 0; i < r->nrows; i++) {
        put_row(f, r, i);
        fputs(i + 1 < r->nrows ? ",\n" : "\n", f);
    }
    fputs("  ],\n  \"unmatched\":{\"rknn\":", f);
    put_unmatched(f, r->unmatched_rknn, r->n_unmatched_rknn);
    fputs(",\"onnx\":", f);
    put_unmatched(f, r->unmatched_onnx, r->n_unmatched_onnx);
    fputs("},\n  \"worst\":[", f);
    int idx[64];
    int count = cmp_report_worst(r, r->top_n > 64 ? 64 : r->top_n, idx);
    for (int i = 0; i < count; i++) {
        const cmp_row *row = &r->rows[idx[i]];
        const cmp_metrics *m = row->has_single ? &row->single : &row->entire;
        fprintf(f, "%s{\"index\":%d,\"layer\":", i ? "," : "", idx[i]);
        cmp_put_json_str(f, row->layer);
        fprintf(f, ",\"mode\":\"%s\",\"sqnr_db\":", cmp_report_rank_mode(row));
        cmp_put_json_num(f, m->sqnr_db);
        fputc('}', f);
    }
    fputs("],\n  \"attention\":[", f);
    for (int i = 0; i < r->nattn; i++) {
        if (i)
            fputc(',', f);
        put_attn(f, &r->attn[i]);
    }
    fputs("]\n}\n", f);
    return cmp_check_stream(f, "JSON", e);
}
