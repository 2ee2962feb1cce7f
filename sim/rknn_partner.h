/*
 * rknn_partner.h - the ONNX partners of tensors that rksim's compiler stores
 * in a derived form (an rksim extension of the .rknn container; vendor files
 * have none and are unaffected).
 *
 * `rksim convert` stores some activations under derived names whose values
 * are not the ONNX tensor's (convert/README.md): channel-equalised tensors
 * "<X>#eq" (X divided by a factor per channel), MatMul operands/results
 * packed into a pixel grid ("<A>#mmin", "<Y>#mm", "<Y>#mm<b>"), runtime
 * MatMul weights in the CNA weight layout ("<B>#mmw<b>") and hybrid dtype
 * conversions ("<X>#fp16", "<X>#int8").  So that `rksim compare` can pair
 * them with the ONNX tensor and inject reference values, graph 0 (each graph
 * of a dynamic-shape file) carries one const tensor
 *
 *     name "rksim#partners", kind CONST, dtype uint8, layout 0, shape [bytes]
 *
 * whose buffer is UTF-8 text: the line "rksim-partners 1", then one line per
 * derived tensor, TENSOR<TAB>ONNX<TAB>KIND[<TAB>PARAMETERS], the parameters
 * separated by single spaces:
 *
 *     TENSOR  ONNX  copy
 *     TENSOR  ONNX  eq   F0 F1 ... F(C-1)
 *     TENSOR  ONNX  mm   D0xD1x.. ROWS COLS TRANS BATCH NBATCH
 *     TENSOR  ONNX  mmw  D0xD1x.. K N BATCH NBATCH ESZ
 *
 * TENSOR is the .rknn tensor, ONNX the ONNX tensor (names without TAB,
 * CR or LF), numbers decimal (factors with 9 significant digits, so float32
 * values round-trip).  With the derived tensor's .rknn shape S, element j of
 * it (row-major over S) corresponds to ONNX element src(j) or to none (a
 * padding element, written as 0):
 *  - copy: S has the ONNX element count; src(j) = j.
 *  - eq:   S = [1,C,H,W], C factors > 0; src(j) = j and the stored value is
 *          x / F[c] for channel c = (j / (H*W)) % C.
 *  - mm:   the ONNX tensor (shape D, NBATCH * ROWS * COLS elements) is a stack
 *          of NBATCH matrices of ROWS x COLS (TRANS 1: stored COLS x ROWS, as
 *          Gemm's transA reads it); S = [1,COLS,H,W] holds matrix BATCH with
 *          row p at pixel p (H*W >= ROWS; pixels >= ROWS are padding):
 *          src(col*H*W + p) = BATCH*ROWS*COLS + (TRANS ? col*ROWS + p
 *          : p*COLS + col).
 *  - mmw:  matrix BATCH [K, N] of the ONNX stack (NBATCH * K * N elements),
 *          transposed and laid out as the CNA reads 1x1 weights (SEMANTICS
 *          C-WT, RK3588 groups) for elements of ESZ bytes: S = [1,C2,1,P],
 *          C2 = 16/ESZ; element c*P + px is weight-buffer element px*C2 + c,
 *          which rknn_cna_weight_map resolves to kernel n, channel k, i.e.
 *          ONNX src = BATCH*K*N + k*N + n.
 * Reading never trusts the text: every number is range-checked against the
 * tensor it describes when the map is built (rknn_partner_map).
 */
#ifndef RKSIM_RKNN_PARTNER_H
#define RKSIM_RKNN_PARTNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rk_base.h"
#include "rk_tensor.h"
#include "rknn.h"

#define RKNN_PARTNERS_TENSOR "rksim#partners"
#define RKNN_PARTNERS_MAGIC "rksim-partners 1"

typedef enum rknn_partner_kind {
    RKNN_PARTNER_COPY,
    RKNN_PARTNER_EQ,
    RKNN_PARTNER_MM,
    RKNN_PARTNER_MMW
} rknn_partner_kind;

/*
 * One record.  Invariants after a successful parse: tensor and onnx are
 * non-empty; EQ: n_factors >= 1, every factor finite and > 0; MM/MMW:
 * 1 <= ndim <= RK_MAX_DIMS, dims > 0, rows/cols/batch/nbatch as in the file
 * comment with 0 <= batch < nbatch and nbatch*rows*cols = prod(dims)
 * (MMW: rows = K, cols = N), esz 1 or 2 (MMW).
 */
typedef struct rknn_partner {
    char *tensor;
    char *onnx;
    rknn_partner_kind kind;
    float *factors;
    uint32_t n_factors;
    int ndim;
    int64_t dims[RK_MAX_DIMS];
    int64_t rows, cols;
    bool trans;
    int64_t batch, nbatch;
    int esz;
} rknn_partner;

typedef struct rknn_partner_table {
    rknn_partner *v;
    uint32_t n;
} rknn_partner_table;

void rknn_partner_table_free(rknn_partner_table *t);

/* Parse the text (len bytes, need not be NUL-terminated).  RK_EINPUT with the
 * line number on anything malformed. */
rk_status rknn_partners_parse(const uint8_t *text, size_t len, rknn_partner_table *out, rk_err *e);

/* The table of graph 0 of m: empty (n = 0, RK_OK) when the file has no
 * "rksim#partners" tensor (every vendor file). */
rk_status rknn_partners_read(const rknn_model *m, rknn_partner_table *out, rk_err *e);

/* The record of .rknn tensor `tensor`, or NULL. */
const rknn_partner *rknn_partner_find(const rknn_partner_table *t, const char *tensor);

/* Serialise records (writer side; every name checked): *text malloc'd,
 * *len bytes (no NUL counted). */
rk_status rknn_partners_format(const rknn_partner *v, uint32_t n, char **text, size_t *len, rk_err *e);

/* Whether a name can be stored in the table (non-empty, no TAB/CR/LF). */
bool rknn_partner_name_ok(const char *name);

/*
 * The element map of record p for .rknn tensor t (its `shape`):
 * src[j] = the ONNX element of derived element j or -1 (padding), and
 * fac[j] = the factor the stored value is divided by (1 except eq); both
 * malloc'd with *n = the derived element count.  RK_EINPUT when the record
 * does not fit t or an ONNX tensor of onnx_nelem elements (message names the
 * tensor).
 */
rk_status rknn_partner_map(const rknn_partner *p, const rknn_tensor *t, int64_t onnx_nelem, int64_t **src,
                           float **fac, int64_t *n, rk_err *e);

/* The CNA's 1x1 weight buffer order (SEMANTICS C-WT: [co1][ci1][co2][ci2],
 * co2 = 32 int8 / 16 fp16 kernels, ci2 = 32 channels, partial last groups,
 * the order sim_asm_pack_weights writes): element i of the buffer of n
 * kernels x k channels -> index kernel*k + channel of the [n, k] matrix, or
 * n*k for a padding channel.  map has n * align(k, 16/esz) entries. */
void rknn_cna_weight_map(int n, int k, int esz, int64_t *map);

#endif
