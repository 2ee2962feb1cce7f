/*
 * rknn_internal.h - the table-driven schema shared by the .rknn reader
 * (rknn.c), writer (rknn_write.c) and the deep free/copy (rknn_schema.c).
 *
 * Each FlatBuffer table type is described by an rknn_tdesc: a list of slots,
 * each with its wire type and where it lives in the C struct (offsetof).
 * Reader, writer and free walk the same description, so a slot added here is
 * read, written and freed consistently.  Slot meanings and types come from
 * the vendor files (rknn-format.md §1.4 plus our own observation, see the
 * comments in rknn_schema.c).
 */
#ifndef RKSIM_RKNN_INTERNAL_H
#define RKSIM_RKNN_INTERNAL_H

#include "flatbuf.h"
#include "rknn.h"

typedef enum rknn_ftype {
    FT_U8,       /* uint8_t */
    FT_I32,      /* int32_t */
    FT_STR,      /* char* from a string */
    FT_BSTR,     /* char* from a [ubyte] vector (written back as [ubyte]) */
    FT_VU8,      /* uint8_t* + u32 count */
    FT_VI32,     /* int32_t* + u32 count */
    FT_VPAIR32,  /* vector of 8-byte {i32, i32} structs: the file's length
                  * counts structs; in memory int32_t* + u32 count of int32
                  * values (2 per struct).  Relocation lists (Graph slot 7). */
    FT_VF32,     /* float* + u32 count */
    FT_VTABLE,   /* array of sub structs + u32 count */
    FT_UNKVEC,   /* vector of unknown element type: must be empty */
    FT_ATTRS,    /* Node slot 8, per-op attribute table (rknn_node) */
    FT_U64TAB,   /* sub-table of 8-byte inline slots: uint64_t[] + bool[] */
    FT_VU64TAB   /* vector of such tables: rknn_patch array + count */
} rknn_ftype;

struct rknn_tdesc;

typedef struct rknn_fdesc {
    uint16_t slot;
    uint8_t type;     /* rknn_ftype */
    size_t off;       /* offset of the value / pointer in the struct */
    size_t count_off; /* offset of the u32 count (vectors), bool[] (U64TAB) */
    const struct rknn_tdesc *sub; /* FT_VTABLE element type */
    unsigned max;     /* FT_U64TAB: slots kept; FT_VI32: group size (pairs
                       * = 2: count is in groups), 0 = 1 */
    const char *name;
} rknn_fdesc;

typedef struct rknn_tdesc {
    const char *name;
    size_t size;      /* sizeof the C struct */
    const rknn_fdesc *f;
    unsigned nf;
    unsigned nslots;  /* vtable slots the writer emits (vendor v6 layout) */
} rknn_tdesc;

extern const rknn_tdesc rknn_model_desc_v6; /* buffers in slot 20 */
extern const rknn_tdesc rknn_model_desc_v1; /* buffers in slot 4 */
extern const rknn_tdesc rknn_graph_desc;
extern const rknn_tdesc rknn_tensor_desc;
extern const rknn_tdesc rknn_node_desc;

/* Per-op attribute slot lists (Node slot 8); NULL for unknown op types. */
typedef struct rknn_attr_desc {
    uint16_t slot;
    const char *name;
    rknn_attr_type type;
} rknn_attr_desc;
const rknn_attr_desc *rknn_attr_schema(const char *op_type, unsigned *n);

/* Free everything a described struct owns (not the struct itself). */
void rknn_free_fields(const rknn_tdesc *d, void *obj);
/* Free what rknn.c derives outside the description (node task lists,
 * conv convenience copies, custom attrs). */
void rknn_free_node_derived(rknn_node *n);
void rknn_free_attrs(rknn_attr *a, uint32_t n);

/* Recompute derived data after loading/building: node task lists, conv
 * convenience fields, regcmd/tasks views. */
rk_status rknn_finish(rknn_model *m, rk_err *e);

/* Generator dict (rknn_pydict.c): decode Model[3] into gen_attrs/gen_quant
 * (failure leaves gen_error), and free those. */
void rknn_decode_generator(rknn_model *m);
void rknn_free_generator(rknn_model *m);

/* Node slot 9 BSON -> node->custom (rknn_bson.c); false on OOM only. */
bool rknn_decode_custom(rknn_node *n);

#define RKNN_FIELD(T, f) ((void *)((char *)(T) + (f)))

#endif
