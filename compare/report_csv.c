/* report_csv.c - one CSV line per layer and mode (entire / single). */
#include <math.h>

#include "report_internal.h"

static void num(FILE *f, double v)
{
    char b[40];
    fputc(',', f);
    fputs(cmp_fmt_num(v, "%.9g", b, sizeof b), f);
}

static void line(FILE *f, const cmp_row *row, int index, const char *mode, const cmp_metrics *m)
{
    char shape[128], flags[256];
    fprintf(f, "%d,%d,", index, row->depth);
    cmp_put_csv(f, row->layer);
    fputc(',', f);
    cmp_put_csv(f, row->op_type);
    fputc(',', f);
    cmp_put_csv(f, row->tensor);
    fputc(',', f);
    cmp_put_csv(f, row->onnx_tensor);
    fputc(',', f);
    cmp_put_csv(f, cmp_row_shape(row, shape, sizeof shape));
    fprintf(f, ",%s,%lld", mode, (long long)m->n);
    num(f, m->cosine);
    num(f, m->euclidean);
    num(f, m->max_abs);
    num(f, m->mean_abs);
    num(f, m->rel_l2);
    num(f, m->sqnr_db);
    num(f, row->has_sat && row->sat.valid ? row->sat.frac_test_sat : NAN);
    num(f, row->has_sat && row->sat.valid ? row->sat.frac_ref_clip : NAN);
    fputc(',', f);
    if (row->has_topk && row->topk.valid)
        fprintf(f, "%d,%d", row->topk.top1_agree, row->topk.top5_agree);
    else
        fputc(',', f);
    fputc(',', f);
    cmp_put_csv(f, cmp_flags_str(m->flags, flags, sizeof flags));
    unsigned bits = mode[0] == 'e' ? (CMP_FAIL_ENTIRE_COSINE | CMP_FAIL_ENTIRE_SQNR)
                                   : (CMP_FAIL_SINGLE_COSINE | CMP_FAIL_SINGLE_SQNR);
    fprintf(f, ",%s\n", row->fail & bits ? "fail" : "pass");
}

rk_status cmp_write_csv(FILE *f, const cmp_report *r, rk_err *e)
{
    fputs("index,depth,layer,op_type,tensor,onnx_tensor,shape,mode,n,cosine,euclidean,"
          "max_abs,mean_abs,rel_l2,sqnr_db,frac_saturated,frac_ref_clipped,top1_agree,"
          "top5_agree,flags,status\n",
          f);
    for (int i = 0; i < r->nrows; i++) {
        const cmp_row *row = &r->rows[i];
        if (row->has_entire)
            line(f, row, i, "entire", &row->entire);
        if (row->has_single)
            line(f, row, i, "single", &row->single);
    }
    return cmp_check_stream(f, "CSV", e);
}
