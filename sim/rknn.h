/*
 * rknn.h - the vendor .rknn model container: reader, in-memory model, writer.
 *
 * A .rknn file (rknn-toolkit2) is
 *     "RKNN" u32 0 | u64 version | u64 data_size | [40 zero bytes if version>1]
 *     | FlatBuffer (file identifier "RKNN", data_size bytes)
 *     | u64 json_size | JSON graph description (json_size bytes)
 * (../shared/reference/rknn-format.md §1.3, verified on every vendor file).
 * Container versions 1, 4 and 6 are read; 6 is written.  Encrypted
 * ("CYPTRKNN"), RKNN3 ("RKNX") and OpenVX NBG ("VPMN") files are recognised
 * and refused with RK_EUNSUPPORTED and a message saying what they are.
 *
 * Besides the FlatBuffer tables the reader decodes the generator dict
 * (Model[3], a Python repr), the per-node BSON attribute documents (Node
 * slot 9), the task array (struct rknpu_task) and derives node <-> task
 * mappings and task segments (rules in rknn.c, rknn_segment).
 *
 * The FlatBuffer payload is decoded into the plain structs below.  Slot
 * numbers ("Model[20]") refer to FlatBuffer vtable slots as named in
 * rknn-format.md §1.4; fields whose meaning is unknown are kept (unk_*) so the
 * writer reproduces them.
 *
 * Ownership: everything reachable from an rknn_model is owned by it and freed
 * by rknn_free().  All strings are NUL-terminated; a NULL string means "slot
 * absent" and differs from "" (slot present, empty).  All arrays are
 * (pointer, count) pairs; count 0 may come with a NULL pointer.
 * A zero-initialised struct of any type below is valid (empty).
 *
 * Thread safety: a loaded model is immutable for readers; the builder
 * functions (rknn_add_*) mutate it and need external locking.
 */
#ifndef RKSIM_RKNN_H
#define RKSIM_RKNN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isa.h"
#include "rk_base.h"
#include "rk_tensor.h"

/* ------------------------------------------------------------------ tensors */

/* Tensor.kind (slot 2), observed values (rknn-format.md §1.4). */
typedef enum rknn_tensor_kind {
    RKNN_KIND_NONE = 0,     /* tensor 0 of every graph: an empty placeholder */
    RKNN_KIND_INPUT = 1,
    RKNN_KIND_OUTPUT = 2,
    RKNN_KIND_INTERNAL = 3, /* activation living in the internal pool */
    RKNN_KIND_CONST = 4,    /* weights, bias, constant tables (has a buffer) */
    RKNN_KIND_CONST5 = 5,   /* netron treats 5 like 4 (initializer) */
    RKNN_KIND_TEMPLATE = 6, /* v4: per-op register template (u16 0,u16 reg,u32 val) */
    RKNN_KIND_REGCMD = 9,   /* the compiled register-command buffer */
    RKNN_KIND_TASK = 10     /* the array of struct rknpu_task */
} rknn_tensor_kind;

/* Tensor.layout (slot 1), observed values. */
enum {
    RKNN_LAYOUT_NONE = 0,
    RKNN_LAYOUT_NCHW = 2,
    RKNN_LAYOUT_NC1HWC2 = 64,      /* native activation layout [N,C1,H,W,C2] */
    RKNN_LAYOUT_NATIVE_WEIGHT = 65 /* [Co/x, Ci/y, kh, kw, x, y] */
};

/*
 * Quantisation of one tensor (Tensor slots 6..11).  method is "layer" or
 * "channel" (stored as a byte vector in the file), dtype e.g. "int8".
 * The arrays hold one entry per tensor ("layer") or per channel; counts are
 * independent because the file stores them independently.  All empty (counts
 * 0, NULL strings) for float tensors and for consts.
 */
typedef struct rknn_quant {
    char *method;
    char *dtype;
    float *min;
    uint32_t n_min;
    float *max;
    uint32_t n_max;
    float *scale;
    uint32_t n_scale;
    int32_t *zero_point;
    uint32_t n_zero_point;
} rknn_quant;

/*
 * One tensor of a graph (Graph.tensors).
 *  - dtype is the file's data_type byte mapped to rk_dtype (same numbering as
 *    ONNX for every value observed; dtype_raw keeps the byte).
 *  - native_shape is the padded hardware shape (NC1HWC2 for activations,
 *    [Co/x,Ci/y,kh,kw,x,y] for weights); shape is the original (NCHW/OIHW).
 *  - size: bytes in native layout.  pool_offset: byte offset inside the
 *    internal activation pool (kinds 1..3).
 *  - buffer_index indexes rknn_model.buffers (Model[20] in v6, Model[4] in
 *    v1/v4).  Only meaningful for kinds CONST/REGCMD/TASK/TEMPLATE; the
 *    vendor writes 0 for activations, so check the kind before using it.
 */
typedef struct rknn_tensor {
    char *name;
    uint8_t dtype_raw;
    rk_dtype dtype;
    uint8_t layout;
    uint8_t kind; /* rknn_tensor_kind */
    int32_t *native_shape;
    uint32_t n_native_shape;
    int32_t *shape;
    uint32_t n_shape;
    rknn_quant quant;
    int32_t size;
    int32_t pool_offset;
    int32_t buffer_index; /* slot 18 */
    /* slots 14..17, meaning unknown (observed absent, 20/24, 12/16, 4/8). */
    int32_t unk14, unk15, unk16, unk17;
    int32_t *unk20; /* slot 20 [int]: for inputs a copy of the zero point */
    uint32_t n_unk20;
} rknn_tensor;

/* -------------------------------------------------------------------- nodes */

/* One ONNX-style attribute of a node (Node slot 8 sub-table).  The table's
 * slots are the op's ONNX attributes in alphabetical order (observed: Conv
 * auto_pad/dilations/group/kernel_shape/pads/strides, Resize, MaxPool,
 * Concat, Split, ArgMax); rknn.c holds the per-op list. */
typedef enum rknn_attr_type {
    RKNN_ATTR_INT = 1,
    RKNN_ATTR_FLOAT = 2,
    RKNN_ATTR_STRING = 3,
    RKNN_ATTR_INTS = 4,
    RKNN_ATTR_FLOATS = 5
} rknn_attr_type;

typedef struct rknn_attr {
    uint16_t slot;
    const char *name; /* static string */
    rknn_attr_type type;
    int32_t i;
    float f;
    char *s;
    int32_t *ints;
    float *floats;
    uint32_t n; /* element count of ints/floats */
} rknn_attr;

/* Conv-family attributes, copied out of attrs for convenience. Arrays
 * are empty when the node has no such table (has_conv false). */
typedef struct rknn_conv_attr {
    bool has_conv;
    char *auto_pad;     /* "NOTSET", ... */
    int32_t *dilations;
    uint32_t n_dilations;
    int32_t *kernel_shape;
    uint32_t n_kernel_shape;
    int32_t *strides;
    uint32_t n_strides;
    int32_t *pads;      /* ONNX order: begin..., end... */
    uint32_t n_pads;
    int32_t group;
} rknn_conv_attr;

/* One attribute from Node slot 9.  Observed: slot 9 is a BSON document
 * (not FlexBuffer as rknn-format.md §1.4 guesses): {name: {"dtype": "f" |
 * "i" | "s" | "is" | ..., "value": double | int32 | int64 | string | array}}
 * for custom ops ({"alpha": {"dtype": "f", "value": 0.5}} in
 * dual_residual_custom) and, in toolkit 2.3 files, for ordinary ops (Conv
 * auto_pad/dilations/..., ArgMax axis/keepdims).  Decoded: scalars into
 * number, strings into str, arrays of numbers into list. */
typedef struct rknn_custom_attr {
    char *key;
    char *dtype; /* the "dtype" string, may be NULL */
    bool is_string;
    double number;
    char *str;
    double *list;
    uint32_t n_list;
} rknn_custom_attr;

/* Node slot 6 (netron "Type3"), present in v1/v4 files only: one entry
 * per NPU op with ints and an [int]; meaning unknown (observed slot 0 =
 * 10/11/12 or 0xf1.., slot 4 = 0x3ff/0x300/0x3f3 -- perhaps the old
 * runtime's per-op task template: inferred).  Slot 5 is an [int]; all
 * other slots (0-4, 6-10) are kept as raw 4-byte values (types inferred
 * from the inline size only). */
typedef struct rknn_legacy_op {
    int32_t unk0, unk1, unk2, unk3, unk4;
    int32_t *unk5;
    uint32_t n_unk5;
    int32_t unk6, unk7, unk8, unk9, unk10;
} rknn_legacy_op;

/*
 * One node of a graph (Graph.nodes).  inputs/outputs are tensor indices into
 * the same graph's tensors (validated on load).  The task_* fields list the
 * node's tasks in rknn_model.tasks (rule in rknn.c; see also
 * rknn_node_task_range / _in); task_count 0 for nodes with no compiled code
 * (InputOperator, custom ops, OutputOperator on RK3588, v1/v4 files).
 */
typedef struct rknn_node {
    char *type; /* "Conv", "ConvRelu", "InputOperator", "cstDualResidual" ... */
    char *name; /* "Conv:Conv_1"; may be "" */
    int32_t *inputs;
    uint32_t n_inputs;
    int32_t *outputs;
    uint32_t n_outputs;
    rknn_attr *attrs;    /* slot 8, see rknn_attr */
    uint32_t n_attrs;
    bool has_attrs;      /* slot 8 present (even if empty) */
    rknn_conv_attr conv; /* derived from attrs for Conv* types */
    uint8_t *custom_raw; /* slot 9 BSON bytes, verbatim */
    uint32_t n_custom_raw;
    rknn_custom_attr *custom; /* decoded slot 9 (empty if absent/undecodable) */
    uint32_t n_custom;
    rknn_legacy_op *legacy_ops; /* slot 6 */
    uint32_t n_legacy_ops;
    /* Unknown-meaning slots: 0 int, 3/7/13 byte, 10/11/12 [int]. */
    int32_t unk0;
    uint8_t unk3, unk7, unk13;
    int32_t *unk10, *unk11, *unk12;
    uint32_t n_unk10, n_unk11, n_unk12;
    /* Tasks of this node (derived on load, see rknn_node_task_range):
     * task_list[0..task_count) ascending; task_first/task_last the extremes
     * (both 0 when task_count is 0).  On RK3588 the list spans all six
     * segments (rknn_segment), so the span is not exclusive to the node. */
    uint32_t task_first;
    uint32_t task_last;
    uint32_t task_count;
    uint32_t *task_list;
} rknn_node;

/* --------------------------------------------------------------- the graph */

/* Per-input normalisation (Graph slot 4, one entry per graph input, same
 * order).  channel_order[i] is the source channel for channel i. */
typedef struct rknn_norm {
    float *mean;
    uint32_t n_mean;
    float *std;
    uint32_t n_std;
    int32_t *channel_order;
    uint32_t n_channel_order;
} rknn_norm;

/* One relocation (Graph slot 7): regcmd entry `regcmd_index` holds an address
 * field whose stored value is `offset` bytes into the tensor `name`; the
 * runtime adds the tensor's DMA address (rknn-format.md §1.6). */
typedef struct rknn_reloc_pair {
    uint32_t offset;
    uint32_t regcmd_index;
} rknn_reloc_pair;

/* values/n_values: the file's list of 8-byte {offset, regcmd index} structs
 * flattened to int32s (offset, index, offset, ...; n_values is always even).
 * The FlatBuffer vector length counts structs, not ints: reading it as ints
 * loses half of every list (found by the simulator: RK3566 lists then hold
 * no regcmd index at all).  pairs/n_pairs: the same memory viewed as pairs
 * (n_values / 2; pairs aliases values, never free it separately). */
typedef struct rknn_reloc {
    char *name; /* tensor name (an input, output, internal or const tensor) */
    int32_t *values;
    uint32_t n_values;
    rknn_reloc_pair *pairs;
    uint32_t n_pairs;
    /* slot 2 (toolkit 2.3 files): 8-byte elements, one per pair, read like
     * `values` (two int32 per element); meaning unknown. */
    int32_t *unk2;
    uint32_t n_unk2;
} rknn_reloc;

/* Graph slots 8/9 (one entry per input, meaning unknown): a name and a list
 * of tables whose slots are 8-byte structs; observed (u32 value, u32
 * regcmd index) pairs, i.e. the registers that depend on that input's shape
 * (inferred).  `v[k]` is slot k (raw little-endian u64), present[k] tells
 * whether the slot exists. */
#define RKNN_PATCH_SLOTS 16
typedef struct rknn_patch {
    uint64_t v[RKNN_PATCH_SLOTS];
    bool present[RKNN_PATCH_SLOTS];
} rknn_patch;

typedef struct rknn_patch_set {
    char *name;
    rknn_patch *patches;
    uint32_t n_patches;
} rknn_patch_set;

/* Graph slot 12 (one entry per output, meaning unknown): {name, int}. */
typedef struct rknn_named_int {
    char *name;
    int32_t value;
} rknn_named_int;

/* One graph; vendor files hold exactly one.  inputs/outputs index tensors.
 * norms has n_inputs entries or none. */
typedef struct rknn_graph {
    rknn_tensor *tensors;
    uint32_t n_tensors;
    rknn_node *nodes;
    uint32_t n_nodes;
    int32_t *inputs;
    uint32_t n_inputs;
    int32_t *outputs;
    uint32_t n_outputs;
    rknn_norm *norms;
    uint32_t n_norms;
    rknn_reloc *relocs;
    uint32_t n_relocs;
    rknn_patch_set *unk8, *unk9;
    uint32_t n_unk8, n_unk9;
    uint8_t *unk10; /* slot 10 [ubyte], one per node (observed all 0) */
    uint32_t n_unk10;
    rknn_named_int *unk12;
    uint32_t n_unk12;
} rknn_graph;

/* ------------------------------------------------------------- the program */

/* The 40-byte packed struct rknpu_task of the Rockchip kernel UAPI
 * (rknpu_ioctl.h), little-endian, as stored in the `task` buffer.  In files
 * regcmd_addr is a BYTE OFFSET into the regcmd buffer (rknn-format.md §1.6);
 * regcfg_amount counts regcmd entries of the task (without the PC tail). */
typedef struct rknn_task {
    uint32_t flags;
    uint32_t op_idx;
    uint32_t enable_mask;
    uint32_t int_mask;
    uint32_t int_clear;
    uint32_t int_status;
    uint32_t regcfg_amount;
    uint32_t regcfg_offset;
    uint64_t regcmd_addr;
} rknn_task;

#define RKNN_TASK_BYTES 40

/*
 * A segment of the task array: a run of tasks that walks the graph once.
 * RULE: a new segment starts at task i when op_idx[i] < op_idx[i-1].
 * Observed: RK3566 files have 1 segment; every RK3588 file has 6, sized
 * like 1 + 2 + 3 per-core programs (pp_human_segv2: 461 | 476, 106 |
 * 473, 103, 103 tasks; multiple_input_demo: 2 | 3, 3 | 3, 3, 3), and the
 * second/fourth segments reuse regcmd of the first for unsplit ops.
 * INFERRED (not confirmed by a public source): segment 0 is the
 * single-core program, 1-2 the two cores of the dual-core program, 3-5 the
 * three cores of the triple-core program (core_mask 0 / 0_1 / 0_1_2).
 */
typedef struct rknn_segment {
    uint32_t first;
    uint32_t count;
} rknn_segment;

/* One data buffer (Model[20] v6 / Model[4] v1,v4): bytes owned by the model. */
typedef struct rknn_buffer {
    uint8_t *data;
    uint32_t size;
} rknn_buffer;

/* ---------------------------------------------------------- generator dict */

/* Model[3] is a Python-repr dict {'attrs': {...}, 'quant_tab': {...}}.  The
 * per-tensor entries are decoded below; shapes use -1 for symbolic dims.
 * Missing keys leave zero/NULL. */
typedef struct rknn_gen_attr {
    char *name;
    int32_t idx;
    bool is_output;
    int64_t *shape;
    uint32_t n_shape;
    char *layout;     /* "nchw" */
    char *layout_ori;
    char *dtype;      /* "float32" */
    float *mean;
    uint32_t n_mean;
    float *std;
    uint32_t n_std;
    bool rgb2bgr;
} rknn_gen_attr;

typedef struct rknn_gen_quant {
    char *name;
    char *dtype;
    char *qmethod; /* "layer" / "channel" */
    char *qtype;   /* "asymmetric_quantized" */
    double *min, *max, *scale, *ori_min, *ori_max;
    uint32_t n_min, n_max, n_scale, n_ori_min, n_ori_max;
    int64_t *zero_point;
    uint32_t n_zero_point;
} rknn_gen_quant;

/* ---------------------------------------------------------------- the model */

/*
 * A whole .rknn model.
 *  - container_version: 1, 4 or 6 (the low byte of the header's u64).
 *  - soc: the runtime/target string, lower case ("rk3588", "rk3566").
 *  - regcmd/tasks point at the buffers of graph 0's `regcmd`/`task` tensors
 *    (regcmd aliases buffers[], tasks is a decoded copy).  has_program is
 *    false for v1/v4 files: use rknn_program() to get the explanatory error.
 *  - generator: raw Model[3] text; gen_attrs/gen_quant its decoded entries
 *    (empty if the text could not be parsed: gen_error then says why).
 *  - json: the trailer text verbatim, NUL-terminated; json_len bytes.
 */
typedef struct rknn_model {
    unsigned container_version;
    int32_t fb_version; /* Model[0]: 6 in v6 files, 1 in v1/v4 */
    char *format;       /* Model[1]: "RKNPU v2" / "RKNPU lite" */
    char *generator;    /* Model[3] */
    char *compiler;     /* Model[7] */
    char *soc;          /* Model[8] "runtime" */
    /* The SoC as an enum (derived on load): from `format` ("RKNPU v2" ->
     * RK3588, "RKNPU lite" -> RK3566) when it names a generation, else from
     * `soc`.  The format wins because it describes the compiled hardware
     * generation: observed old_rknpu2_multiple_input_demo_RK3588.rknn has
     * format "RKNPU v2" but runtime "rk3566".  soc_conflict tells. */
    rk_soc soc_id;
    bool soc_conflict;
    char *source;       /* Model[9]: "ONNX", "PyTorch" */
    char *input_json;   /* Model[12] */
    char *output_json;  /* Model[13] */
    char *custom_op;    /* Model[21]: custom-op name string ("" if none) */
    int32_t unk6;       /* Model[6]: 10100/10601/10602 (meaning unknown) */
    uint8_t unk10;      /* Model[10]: observed 2 */
    char *unk14;        /* Model[14]: observed "0" */
    char *unk16;        /* Model[16]: observed "static_shape" */
    /* Model[19] table of three u64 (observed: [1] = activation pool bytes;
     * [0] and [2] plausibly weight / other memory: inferred). */
    uint64_t mem[3];
    bool mem_present[3];

    rknn_graph *graphs;
    uint32_t n_graphs;
    rknn_buffer *buffers;
    uint32_t n_buffers;

    bool has_program;
    const uint64_t *regcmd; /* into buffers[]; little-endian host assumed */
    size_t n_regcmd;
    rknn_task *tasks;
    size_t n_tasks;
    rknn_segment *segments; /* derived, see rknn_segment; none w/o program */
    uint32_t n_segments;

    rknn_gen_attr *gen_attrs;
    uint32_t n_gen_attrs;
    rknn_gen_quant *gen_quant;
    uint32_t n_gen_quant;
    char *gen_error;

    char *json;
    size_t json_len;

    /* NULL when the writer can reproduce every field; otherwise why not
     * (e.g. a slot or attribute table this reader does not know). */
    char *unrewritable;
} rknn_model;

/* ------------------------------------------------------------------ reading */

/* Load a .rknn file.  On failure *out is NULL and e names the file and what
 * is wrong (offset, slot, table).  RK_EUNSUPPORTED for encrypted/RKNN3/NBG. */
rk_status rknn_load_file(const char *path, rknn_model **out, rk_err *e);
/* Same from memory; `what` names the source in messages (e.g. a path). */
rk_status rknn_load_buffer(const uint8_t *data, size_t len, const char *what,
                           rknn_model **out, rk_err *e);
void rknn_free(rknn_model *m);

/* What kind of file the first bytes are: "rknn", "encrypted rknn (CYPTRKNN)",
 * "RKNN3 (RKNX)", "OpenVX NBG (VPMN)", "bare flatbuffer" or NULL. */
const char *rknn_sniff(const uint8_t *data, size_t len);

/* The command stream: fails with RK_EUNSUPPORTED and "this model has no
 * compiled command stream (rknn-toolkit2 < 1.6); re-export it with a newer
 * toolkit" for v1/v4 files.  Pointers stay owned by the model. */
rk_status rknn_program(const rknn_model *m, const uint64_t **regcmd,
                       size_t *n_regcmd, const rknn_task **tasks,
                       size_t *n_tasks, rk_err *e);

/* Node <-> task mapping of graph 0.  RULE (observed on every vendor v6
 * file, cross-checked against the relocation table in tests): task i
 * belongs to node tasks[i].op_idx.  Tasks are in execution order and form
 * segments (rknn_segment): 1 on RK3566, 6 on RK3588 (e.g.
 * multiple_input_demo: op_idx 2,3 | 2,3,3 | 2,3,3 | ...).  Inside a segment
 * op_idx never decreases, so a node's tasks are contiguous there; across
 * the whole array they are not.
 * rknn_node_task_range: first task and span (last-first+1) over the whole
 * array, so every task of the node lies in [first, first+count) -- use
 * rknn_node_task_range_in for one segment or rknn_node.task_list for the
 * exact set.  count 0: no tasks.  RK_EUSAGE for a bad index.
 * rknn_task_node: node of a task or -1. */
rk_status rknn_node_task_range(const rknn_model *m, uint32_t node_index,
                               uint32_t *first, uint32_t *count, rk_err *e);
int32_t rknn_task_node(const rknn_model *m, size_t task_index);
/* Same as rknn_node_task_range restricted to one segment (segment 0 = the
 * single-core program, see rknn_segment). */
rk_status rknn_node_task_range_in(const rknn_model *m, uint32_t node_index,
                                  uint32_t segment, uint32_t *first,
                                  uint32_t *count, rk_err *e);

/* Lookups in graph 0: index or -1. */
int32_t rknn_find_tensor(const rknn_model *m, const char *name);
const rknn_reloc *rknn_find_reloc(const rknn_model *m, const char *name);
/* The buffer of a tensor (kinds CONST/REGCMD/TASK/TEMPLATE) or NULL. */
const rknn_buffer *rknn_tensor_buffer(const rknn_model *m,
                                      const rknn_tensor *t);

/* Totals for reports: bytes of const buffers (weights), the activation pool
 * (max pool_offset+size over kinds 1..3) and the regcmd buffer. */
typedef struct rknn_memory {
    uint64_t weight_bytes;
    uint64_t pool_bytes;
    uint64_t regcmd_bytes;
} rknn_memory;
void rknn_memory_usage(const rknn_model *m, rknn_memory *mem);

/* Whether two models are equal in every field the reader keeps (all
 * FlatBuffer slots, buffers byte for byte, the JSON trailer); container
 * version and derived data excluded.  On a difference `msg` (may be NULL)
 * names the first differing field. */
bool rknn_model_equal(const rknn_model *a, const rknn_model *b, char *msg,
                      size_t n);

/* ------------------------------------------------------------------ writing */

/* Write a v6 container.  Reading the result gives a model equal in every
 * field (rknn_model_equal; buffers byte-identical) to `m`.  Refused
 * (RK_EUNSUPPORTED) when m->unrewritable is set.  The byte layout is ours,
 * the slot layout the vendor's. */
rk_status rknn_write_file(const rknn_model *m, const char *path, rk_err *e);
/* *out is malloc'd (caller frees). */
rk_status rknn_write_buffer(const rknn_model *m, uint8_t **out, size_t *len,
                            rk_err *e);

/* ----------------------------------------------------- building from scratch */

/* An empty v6 model with one graph, tensor 0 (the placeholder) and buffer 0
 * (empty), ready for rknn_add_*.  format/soc are copied (e.g. "RKNPU v2",
 * "rk3588"). */
rk_status rknn_new(const char *format, const char *soc, rknn_model **out,
                   rk_err *e);
/* Append a copy of *t to graph 0 (strings and arrays deep-copied); returns its
 * index in *index. */
rk_status rknn_add_tensor(rknn_model *m, const rknn_tensor *t,
                          uint32_t *index, rk_err *e);
/* Append a node (deep copy; task range ignored, recomputed by
 * rknn_set_program). */
rk_status rknn_add_node(rknn_model *m, const rknn_node *n, uint32_t *index,
                        rk_err *e);
/* Append a copy of `size` bytes as a new buffer; index in *index. */
rk_status rknn_add_buffer(rknn_model *m, const void *data, size_t size,
                          uint32_t *index, rk_err *e);
/* Graph inputs / outputs (tensor indices), appended. */
rk_status rknn_add_graph_input(rknn_model *m, int32_t tensor, rk_err *e);
rk_status rknn_add_graph_output(rknn_model *m, int32_t tensor, rk_err *e);
/* Append a relocation pair for tensor `name`. */
rk_status rknn_add_reloc(rknn_model *m, const char *name, uint32_t offset,
                         uint32_t regcmd_index, rk_err *e);
/* Install the command stream: copies regcmd and tasks into two new buffers
 * with `regcmd`/`task` tensors (kinds 9/10, uint64) like the vendor does,
 * and recomputes the node <-> task ranges. */
rk_status rknn_set_program(rknn_model *m, const uint64_t *regcmd,
                           size_t n_regcmd, const rknn_task *tasks,
                           size_t n_tasks, rk_err *e);

/* ---------------------------------------------- input-shape sets (dynamic) */

/*
 * Dynamic input (`rksim convert --dynamic-input`, issue 8).  rksim's
 * container extension, documented in convert/README.md "Dynamic input
 * sets" (the vendor's layout for dynamic-shape models is not public; vendor
 * files observed so far hold one graph and 'dynamic_shapes': {}):
 *  - Model[2] holds one graph per preset input-shape set, in the order the
 *    sets were given; each graph has its own tensors, nodes, relocations and
 *    its own `regcmd`/`task` buffers (all graphs index the one Model[20]
 *    buffer list);
 *  - the generator dict's 'dynamic_shapes' lists the sets per input name.
 * Graph 0 is the ACTIVE graph: every "graph 0" function above (program, task
 * ranges, lookups) and the simulator see it, so a reader that knows nothing
 * of sets reads set 0 as an ordinary model.  The sets themselves are the
 * graphs' input shapes (rknn_tensor.shape of each graph input).
 */

/* Number of input-shape sets: the number of graphs (1 for vendor files). */
uint32_t rknn_n_shape_sets(const rknn_model *m);
/* Graph k's input shapes as text, e.g. "[1,64,1,50]" for one input or
 * "x [1,3,8,8], y [1,1,8,8]" for several; always NUL-terminated.  Returns
 * the length it needed (like snprintf). */
size_t rknn_shape_set_str(const rknn_model *m, uint32_t k, char *buf, size_t n);
/* Make graph k the active graph: swaps graphs 0 and k and re-derives the
 * program (tasks, segments, node task lists).  The other graphs keep their
 * contents; only their order changes.  RK_EUSAGE for a bad k. */
rk_status rknn_use_graph(rknn_model *m, uint32_t k, rk_err *e);
/* Pick the shape set that matches `given` (one tensor per model input,
 * matched to graph inputs by name, else by position, as `rksim run` does;
 * nhwc: 4-D tensors are NHWC views of the model's NCHW shapes) and make it
 * active.  A one-graph model is left as it is (its own shape checks apply).
 * RK_EINPUT when no set matches, naming the given shapes and every allowed
 * set: "input 'x' has shape [1,64,1,60]; this model accepts [1,64,1,50],
 * [1,64,1,100]".  *picked (may be NULL) = index the set had before. */
rk_status rknn_select_shape_set(rknn_model *m, const rk_tensor *given, int n_given, bool nhwc,
                                uint32_t *picked, rk_err *e);
/* Move graph 0 of `src` and all its buffers into `dst` as a new last graph
 * (buffer indices renumbered; Model[19] sizes become the maxima).  src keeps
 * no graph afterwards (free it with rknn_free).  Both must target the same
 * SoC/format. */
rk_status rknn_append_graph_from(rknn_model *dst, rknn_model *src, rk_err *e);

#endif
