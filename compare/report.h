/*
 * report.h - the comparison report: one row per compared NPU layer (entire
 * and single mode metrics), the layers that could not be matched, the
 * attention breakdown, thresholds; and its writers (text table in
 * rknn-toolkit2's error_analysis.txt layout, JSON, CSV, JUnit XML, one
 * self-contained HTML page) plus the hybrid-quantisation suggestion.
 *
 * The JSON layout is documented in compare/REPORT-SCHEMA.md; change both
 * together.  Writers take a FILE* the caller opened: the library itself
 * never prints to stdout/stderr.
 */
#ifndef RKSIM_COMPARE_REPORT_H
#define RKSIM_COMPARE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "metrics.h"
#include "rk_base.h"
#include "rk_tensor.h"

/* Which threshold checks a row fails (filled by cmp_report_check). */
enum cmp_fail_bit {
    CMP_FAIL_ENTIRE_COSINE = 1u << 0,
    CMP_FAIL_ENTIRE_SQNR = 1u << 1,
    CMP_FAIL_SINGLE_COSINE = 1u << 2,
    CMP_FAIL_SINGLE_SQNR = 1u << 3
};

/*
 * One compared layer.  Strings are owned by the report (copied on add).
 * `layer` is the .rknn node name ("Conv:Conv_1"), `op_type` its type
 * ("ConvAdd", "InputOperator"), `tensor` its output tensor in the .rknn,
 * `onnx_tensor` the ONNX tensor it was matched to and `onnx_ops` the ONNX op
 * types folded into it ("Conv+Add").  `depth` orders rows for the drift plot
 * (execution order).  has_entire/has_single say whether that mode's metrics
 * exist; `note` explains a missing mode or anything unusual (may be NULL).
 */
typedef struct cmp_row {
    char *layer;
    char *op_type;
    char *tensor;
    char *onnx_tensor;
    char *onnx_ops;
    int ndim;
    int64_t dims[RK_MAX_DIMS];
    int depth;
    bool is_input;
    bool is_output;
    bool is_cpu; /* run on the CPU by the vendor runtime (not an NPU layer) */
    bool has_entire, has_single;
    cmp_metrics entire, single;
    bool has_topk;
    cmp_topk topk;
    bool has_sat;
    cmp_saturation sat;
    char *note;
    unsigned fail; /* cmp_fail_bit set by cmp_report_check */
} cmp_row;

/* A layer or tensor on one side without a partner on the other. */
typedef struct cmp_unmatched {
    char *name;
    char *op_type;
    char *reason;
} cmp_unmatched;

/* Logits at or below this are treated as mask fill values (-1e4, -1e9,
 * float min, -inf are what exporters use) when reporting the unmasked
 * logit range. */
#define CMP_ATTN_MASK_FLOOR (-1.0e4)

/* One step of an attention block (QK^T logits, softmax probabilities,
 * attention-weighted values), with optional per-head metrics. */
typedef struct cmp_attn_step {
    char *step;        /* "logits", "scaled_logits", "masked_logits", "probs", "context" */
    char *onnx_tensor;
    bool has_metrics;  /* false when the simulator has no such tensor */
    cmp_metrics m;
    int nheads;        /* per-head metrics (0: not separable) */
    cmp_metrics *heads;
} cmp_attn_step;

/* One attention block found in the ONNX graph, with its quantisation
 * diagnostics (computed on the float reference tensors). */
typedef struct cmp_attn_report {
    char *name;        /* the Softmax (or Attention) node's name */
    char *kind;        /* "decomposed" or "Attention-op" */
    char *pattern;     /* e.g. "MatMul>Div>Add>Softmax>MatMul" */
    int num_heads;     /* -1 unknown */
    double scale;      /* 1/sqrt(d) folded in, NaN when not a constant */
    bool has_mask;
    cmp_attn_step *steps;
    int nsteps;
    /* softmax probabilities: share of mass that an int8 quantiser maps to
     * 0 (scale/zp below; NaN when the probs were not available) */
    double prob_mass_zero;
    double prob_frac_zero;      /* share of elements quantised to 0 */
    float prob_scale;
    int32_t prob_zp;
    bool prob_qparams_from_model; /* false: assumed (min 0, max 1, see attention.c) */
    /* logits entering softmax: finite range and the int8 step it implies */
    double logit_min, logit_max;
    double logit_min_unmasked; /* min over values > CMP_ATTN_MASK_FLOOR */
    double logit_int8_step;    /* (max - min) / 255 */
    double logit_step_unmasked;
    double logit_model_scale;  /* the .rknn tensor's int8 scale, NaN when none */
} cmp_attn_report;

/*
 * The whole report.  min_cosine / min_sqnr are NaN when not set.  top_n is
 * the number of worst layers listed (and put in the hybrid config).
 * single_note says why single mode is missing or partial (NULL if complete).
 */
typedef struct cmp_report {
    char *onnx_path, *rknn_path, *input_path;
    char *soc;
    char *single_note;
    cmp_row *rows;
    int nrows, cap_rows;
    cmp_unmatched *unmatched_rknn;
    int n_unmatched_rknn, cap_unmatched_rknn;
    cmp_unmatched *unmatched_onnx;
    int n_unmatched_onnx, cap_unmatched_onnx;
    cmp_attn_report *attn;
    int nattn, cap_attn;
    double min_cosine, min_sqnr;
    int top_n;
    int n_failed; /* rows failing a threshold (cmp_report_check) */
} cmp_report;

/* Empty report: thresholds unset, top_n 5. */
void cmp_report_init(cmp_report *r);
void cmp_report_free(cmp_report *r);
rk_status cmp_report_set_paths(cmp_report *r, const char *onnx, const char *rknn,
                               const char *input, const char *soc, rk_err *e);
rk_status cmp_report_set_single_note(cmp_report *r, const char *note, rk_err *e);

/* Append a deep copy of *row (its strings are copied; fail is recomputed). */
rk_status cmp_report_add_row(cmp_report *r, const cmp_row *row, rk_err *e);
/* side: 'r' for .rknn, 'o' for ONNX. */
rk_status cmp_report_add_unmatched(cmp_report *r, char side, const char *name,
                                   const char *op_type, const char *reason, rk_err *e);
/* Append an attention block (takes ownership of its allocations; *a is
 * zeroed afterwards). */
rk_status cmp_report_add_attn(cmp_report *r, cmp_attn_report *a, rk_err *e);
void cmp_attn_report_free(cmp_attn_report *a);

/* Evaluate the thresholds on every row (both modes where present): sets
 * row.fail and r->n_failed; returns n_failed. */
int cmp_report_check(cmp_report *r);
/* "Conv:Conv_0 (entire cosine 0.99912 < 0.9999), ..." for the first
 * `max_names` failing rows; "" when none fail.  Returns buf. */
const char *cmp_report_failures_str(const cmp_report *r, int max_names, char *buf, size_t n);
/* One-line summary for stdout. Returns buf. */
const char *cmp_report_summary(const cmp_report *r, char *buf, size_t n);

/* Indices of up to `max` worst rows by single-mode SQNR (entire mode for
 * rows without single metrics; NaN counts as worst; input and CPU rows
 * skipped: neither can be moved to float16 on the NPU).
 * Returns the count written to idx. */
int cmp_report_worst(const cmp_report *r, int max, int *idx);
/* "single" or "entire": which mode cmp_report_worst ranked row i by. */
const char *cmp_report_rank_mode(const cmp_row *row);

typedef enum cmp_format {
    CMP_FMT_TEXT,
    CMP_FMT_JSON,
    CMP_FMT_CSV,
    CMP_FMT_JUNIT,
    CMP_FMT_HTML
} cmp_format;

/* "txt"/"text", "json", "csv", "junit"/"xml", "html"; false if unknown. */
bool cmp_format_from_name(const char *name, cmp_format *f);
const char *cmp_format_ext(cmp_format f); /* "txt", "json", ... */

rk_status cmp_write_text(FILE *f, const cmp_report *r, rk_err *e);
rk_status cmp_write_json(FILE *f, const cmp_report *r, rk_err *e);
rk_status cmp_write_csv(FILE *f, const cmp_report *r, rk_err *e);
rk_status cmp_write_junit(FILE *f, const cmp_report *r, rk_err *e);
rk_status cmp_write_html(FILE *f, const cmp_report *r, rk_err *e);
/* rknn-toolkit2 .quantization.cfg YAML keeping the worst top_n layers in
 * float16 (custom_quantize_layers). */
rk_status cmp_write_hybrid_cfg(FILE *f, const cmp_report *r, rk_err *e);

/* Write in `fmt` to `path` (created/truncated); errors name the path. */
rk_status cmp_report_write_file(const cmp_report *r, cmp_format fmt, const char *path,
                                rk_err *e);

/* Format a metric for text outputs: "%.*f"/"%.*g", or "inf", "-inf", "nan". */
const char *cmp_fmt_num(double v, const char *fmt, char *buf, size_t n);

#endif
