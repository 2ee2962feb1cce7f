/*
 * cv_partner.c - the "rksim#partners" table of a converted model
 * (sim/rknn_partner.h): for every tensor stored under a derived name, its
 * ONNX tensor and how the stored values relate to it, so that `rksim compare`
 * reports channel-equalised tensors ("#eq"), packed MatMul operands/results
 * ("#mmin", "#mm"), runtime MatMul weights ("#mmw") and hybrid conversions
 * ("#fp16"/"#int8") against the ONNX tensor and can inject reference values
 * into them in single mode.
 */
#include <stdlib.h>
#include <string.h>

#include "cv_internal.h"
#include "rknn_partner.h"

/* The conversion op writing tensor ti (hybrid), or NULL. */
static const cv_op *cvt_producer(const cv_graph *g, int ti)
{
    for (int k = 0; k < g->n_ops; k++)
        if (g->ops[k].cvt && g->ops[k].out == ti)
            return &g->ops[k];
    return NULL;
}

/* The record of tensor ti into *p (names borrowed from g); false when ti is
 * stored as its ONNX tensor (no record needed). */
static bool describe(const cv_graph *g, int ti, rknn_partner *p)
{
    const cv_tensor *t = &g->tensors[ti];
    memset(p, 0, sizeof(*p));
    p->tensor = t->name;
    /* hybrid conversions keep the values of their source (up to 4 hops) */
    const cv_tensor *src = t;
    for (int hop = 0; hop < 4; hop++) {
        const cv_op *c = cvt_producer(g, (int)(src - g->tensors));
        if (!c)
            break;
        src = &g->tensors[c->in[0]];
    }
    if (src->eq) {
        size_t l = strlen(src->name);
        if (l < 4 || strcmp(src->name + l - 3, "#eq") != 0)
            return false;
        p->kind = RKNN_PARTNER_EQ;
        if ((p->onnx = malloc(l - 2))) {
            memcpy(p->onnx, src->name, l - 3);
            p->onnx[l - 3] = '\0';
        }
        p->factors = src->eq;
        p->n_factors = (uint32_t)src->c;
    } else if (src->mm) {
        const cv_mm_view *v = src->mm;
        p->kind = v->role == CV_MM_WEIGHTS ? RKNN_PARTNER_MMW : RKNN_PARTNER_MM;
        p->onnx = strdup(v->onnx_name);
        p->ndim = v->ndim;
        memcpy(p->dims, v->dims, sizeof(p->dims));
        p->rows = v->rows;
        p->cols = v->cols;
        p->trans = v->trans;
        p->batch = v->batch;
        p->nbatch = RK_MAX(v->nbatch, 1);
        p->esz = v->role == CV_MM_WEIGHTS && src->c > 0 ? 16 / src->c : 0;
    } else {
        p->kind = RKNN_PARTNER_COPY;
        p->onnx = strdup(src->name);
    }
    if (p->onnx && strcmp(p->onnx, t->name) == 0) {
        free(p->onnx);
        p->onnx = NULL;
    }
    return p->onnx != NULL;
}

rk_status cv_partners_add(rknn_model *m, const cv_graph *g, rk_convert_report *rep, rk_err *e)
{
    rknn_partner *v = calloc((size_t)g->n_tensors + 1, sizeof(*v));
    uint32_t n = 0;
    int skipped = 0;
    if (!v)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    for (int i = 0; i < g->n_tensors; i++) {
        if (!describe(g, i, &v[n]))
            continue;
        if (rknn_partner_name_ok(v[n].tensor) && rknn_partner_name_ok(v[n].onnx))
            n++;
        else {
            free(v[n].onnx);
            skipped++;
        }
    }
    rk_status st = RK_OK;
    char *text = NULL;
    size_t len = 0;
    if (n)
        st = rknn_partners_format(v, n, &text, &len, e);
    if (!st && n) {
        int32_t shp[1] = {(int32_t)len};
        if (len > INT32_MAX)
            st = rk_errf(e, RK_EUNSUPPORTED, "convert: partner table of %zu bytes", len);
        else
            st = cv_add_const(m, RKNN_PARTNERS_TENSOR, RK_DT_U8, RKNN_LAYOUT_NONE, shp, 1, text, len, NULL, 0, e);
    }
    if (!st && n)
        cv_note(rep, "%u tensor%s stored in a derived form (#eq/#mm/#mmin/#mmw/#fp16/#int8): ONNX partners in '%s'",
                n, n > 1 ? "s" : "", RKNN_PARTNERS_TENSOR);
    if (!st && skipped)
        cv_note(rep, "%d derived tensor%s without a partner record (a name holds TAB/CR/LF): compare cannot pair them",
                skipped, skipped > 1 ? "s" : "");
    for (uint32_t i = 0; i < n; i++)
        free(v[i].onnx);
    free(v);
    free(text);
    return st;
}
