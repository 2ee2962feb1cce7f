/* report_internal.h - helpers shared by the report writers (not public). */
#ifndef RKSIM_COMPARE_REPORT_INTERNAL_H
#define RKSIM_COMPARE_REPORT_INTERNAL_H

#include <stdio.h>

#include "report.h"

/* RK_EIO naming the report kind when the stream has an error. */
rk_status cmp_check_stream(FILE *f, const char *what, rk_err *e);
/* "entire cosine 0.99912 < 0.9999, single SQNR ..." for a failing row. */
const char *cmp_row_fail_str(const cmp_report *r, const cmp_row *row, char *buf, size_t n);
/* Index of the model-output row with the lowest entire cosine, or -1. */
int cmp_report_output_row(const cmp_report *r);

/* Escapers: JSON string body, XML/HTML text and attribute (both < > & " '),
 * CSV field (quoted when it holds , " or a newline). */
void cmp_put_json_str(FILE *f, const char *s);
void cmp_put_xml(FILE *f, const char *s);
void cmp_put_csv(FILE *f, const char *s);
/* A JSON number, or the strings "inf", "-inf", "nan" (REPORT-SCHEMA.md). */
void cmp_put_json_num(FILE *f, double v);
/* "1x8x128x128" */
const char *cmp_row_shape(const cmp_row *row, char *buf, size_t n);

#endif
