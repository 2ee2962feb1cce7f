/*
 * rknn_schema.c - the slot-by-slot description of the .rknn FlatBuffer
 * tables (see rknn_internal.h) and the generic free.
 *
 * Provenance of the slot types: netron tools/rknn.fbs names (rknn-format.md
 * §1.4) where they exist; everything else observed by us on the nine vendor
 * files in ../shared/datasets/rknn-vendor (checked by tests/test_rknn.c
 * against reference/dumps/<model>.fb.txt).  Notable corrections to netron's
 * schema, observed: Tensor slots 8..11 hold 4-byte elements (f32 min, max,
 * scale; i32 zero point), Node slot 8 is a sub-table of the op's ONNX
 * attributes, Node slot 9 is a [ubyte] BSON document, Model slot 19 is a table
 * of three u64, Model slot 21 is a string (custom-op name or "").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rknn_internal.h"

#define F(T, slot, type, field, name) \
    {slot, type, offsetof(T, field), 0, NULL, 0, name}
#define V(T, slot, type, field, count, name) \
    {slot, type, offsetof(T, field), offsetof(T, count), NULL, 0, name}
#define VT(T, slot, field, count, sub, name) \
    {slot, FT_VTABLE, offsetof(T, field), offsetof(T, count), &sub, 0, name}
#define UNK(slot) {slot, FT_UNKVEC, 0, 0, NULL, 0, "unknown vector"}

/* Model[20] / Model[4] element ("Type1" in netron): {data: [ubyte]}. */
static const rknn_fdesc buffer_f[] = {
    V(rknn_buffer, 0, FT_VU8, data, size, "data"),
};
static const rknn_tdesc buffer_desc = {"buffer", sizeof(rknn_buffer), buffer_f,
                                       RK_ARRAY_LEN(buffer_f), 1};

static const rknn_fdesc norm_f[] = {
    V(rknn_norm, 0, FT_VF32, mean, n_mean, "mean"),
    V(rknn_norm, 1, FT_VF32, std, n_std, "std"),
    V(rknn_norm, 2, FT_VI32, channel_order, n_channel_order, "channel_order"),
};
static const rknn_tdesc norm_desc = {"norm", sizeof(rknn_norm), norm_f,
                                     RK_ARRAY_LEN(norm_f), 3};

/* Relocation pairs are stored as a flat [int] (offset, index, ...); the
 * struct array has the same memory layout (two u32), count = pairs. */
static const rknn_fdesc reloc_f[] = {
    F(rknn_reloc, 0, FT_STR, name, "name"),
    V(rknn_reloc, 1, FT_VPAIR32, values, n_values, "pairs"),
    V(rknn_reloc, 2, FT_VPAIR32, unk2, n_unk2, "slot 2"),
};
static const rknn_tdesc reloc_desc = {"relocation", sizeof(rknn_reloc),
                                      reloc_f, RK_ARRAY_LEN(reloc_f), 3};

static const rknn_fdesc patch_set_f[] = {
    F(rknn_patch_set, 0, FT_STR, name, "name"),
    {1, FT_VU64TAB, offsetof(rknn_patch_set, patches),
     offsetof(rknn_patch_set, n_patches), NULL, RKNN_PATCH_SLOTS, "patches"},
};
static const rknn_tdesc patch_set_desc = {"input patch set",
                                          sizeof(rknn_patch_set), patch_set_f,
                                          RK_ARRAY_LEN(patch_set_f), 2};

static const rknn_fdesc named_int_f[] = {
    F(rknn_named_int, 0, FT_STR, name, "name"),
    F(rknn_named_int, 1, FT_I32, value, "value"),
};
static const rknn_tdesc named_int_desc = {"output entry", sizeof(rknn_named_int),
                                          named_int_f,
                                          RK_ARRAY_LEN(named_int_f), 2};

static const rknn_fdesc tensor_f[] = {
    F(rknn_tensor, 0, FT_U8, dtype_raw, "data_type"),
    F(rknn_tensor, 1, FT_U8, layout, "layout"),
    F(rknn_tensor, 2, FT_U8, kind, "kind"),
    V(rknn_tensor, 3, FT_VI32, native_shape, n_native_shape, "native_shape"),
    V(rknn_tensor, 4, FT_VI32, shape, n_shape, "shape"),
    F(rknn_tensor, 5, FT_STR, name, "name"),
    F(rknn_tensor, 6, FT_BSTR, quant.method, "quant method"),
    F(rknn_tensor, 7, FT_STR, quant.dtype, "quant dtype"),
    V(rknn_tensor, 8, FT_VF32, quant.min, quant.n_min, "min"),
    V(rknn_tensor, 9, FT_VF32, quant.max, quant.n_max, "max"),
    V(rknn_tensor, 10, FT_VF32, quant.scale, quant.n_scale, "scale"),
    V(rknn_tensor, 11, FT_VI32, quant.zero_point, quant.n_zero_point,
      "zero_point"),
    F(rknn_tensor, 12, FT_I32, size, "size"),
    F(rknn_tensor, 13, FT_I32, pool_offset, "pool offset"),
    F(rknn_tensor, 14, FT_I32, unk14, "slot 14"),
    F(rknn_tensor, 15, FT_I32, unk15, "slot 15"),
    F(rknn_tensor, 16, FT_I32, unk16, "slot 16"),
    F(rknn_tensor, 17, FT_I32, unk17, "slot 17"),
    F(rknn_tensor, 18, FT_I32, buffer_index, "buffer index"),
    UNK(19),
    V(rknn_tensor, 20, FT_VI32, unk20, n_unk20, "slot 20"),
};
const rknn_tdesc rknn_tensor_desc = {"tensor", sizeof(rknn_tensor), tensor_f,
                                     RK_ARRAY_LEN(tensor_f), 21};

static const rknn_fdesc legacy_op_f[] = {
    F(rknn_legacy_op, 0, FT_I32, unk0, "slot 0"),
    F(rknn_legacy_op, 1, FT_I32, unk1, "slot 1"),
    F(rknn_legacy_op, 2, FT_I32, unk2, "slot 2"),
    F(rknn_legacy_op, 3, FT_I32, unk3, "slot 3"),
    F(rknn_legacy_op, 4, FT_I32, unk4, "slot 4"),
    V(rknn_legacy_op, 5, FT_VI32, unk5, n_unk5, "slot 5"),
    F(rknn_legacy_op, 6, FT_I32, unk6, "slot 6"),
    F(rknn_legacy_op, 7, FT_I32, unk7, "slot 7"),
    F(rknn_legacy_op, 8, FT_I32, unk8, "slot 8"),
    F(rknn_legacy_op, 9, FT_I32, unk9, "slot 9"),
    F(rknn_legacy_op, 10, FT_I32, unk10, "slot 10"),
};
static const rknn_tdesc legacy_op_desc = {"legacy op", sizeof(rknn_legacy_op),
                                          legacy_op_f,
                                          RK_ARRAY_LEN(legacy_op_f), 11};

static const rknn_fdesc node_f[] = {
    F(rknn_node, 0, FT_I32, unk0, "slot 0"),
    F(rknn_node, 1, FT_STR, type, "type"),
    F(rknn_node, 2, FT_STR, name, "name"),
    F(rknn_node, 3, FT_U8, unk3, "slot 3"),
    V(rknn_node, 4, FT_VI32, inputs, n_inputs, "inputs"),
    V(rknn_node, 5, FT_VI32, outputs, n_outputs, "outputs"),
    VT(rknn_node, 6, legacy_ops, n_legacy_ops, legacy_op_desc, "legacy ops"),
    F(rknn_node, 7, FT_U8, unk7, "slot 7"),
    {8, FT_ATTRS, offsetof(rknn_node, attrs), offsetof(rknn_node, n_attrs),
     NULL, 0, "attributes"},
    V(rknn_node, 9, FT_VU8, custom_raw, n_custom_raw, "custom attributes"),
    V(rknn_node, 10, FT_VI32, unk10, n_unk10, "slot 10"),
    V(rknn_node, 11, FT_VI32, unk11, n_unk11, "slot 11"),
    V(rknn_node, 12, FT_VI32, unk12, n_unk12, "slot 12"),
    F(rknn_node, 13, FT_U8, unk13, "slot 13"),
};
const rknn_tdesc rknn_node_desc = {"node", sizeof(rknn_node), node_f,
                                   RK_ARRAY_LEN(node_f), 14};

static const rknn_fdesc graph_f[] = {
    VT(rknn_graph, 0, tensors, n_tensors, rknn_tensor_desc, "tensors"),
    VT(rknn_graph, 1, nodes, n_nodes, rknn_node_desc, "nodes"),
    V(rknn_graph, 2, FT_VI32, inputs, n_inputs, "inputs"),
    V(rknn_graph, 3, FT_VI32, outputs, n_outputs, "outputs"),
    VT(rknn_graph, 4, norms, n_norms, norm_desc, "normalisation"),
    UNK(6),
    VT(rknn_graph, 7, relocs, n_relocs, reloc_desc, "relocations"),
    VT(rknn_graph, 8, unk8, n_unk8, patch_set_desc, "slot 8"),
    VT(rknn_graph, 9, unk9, n_unk9, patch_set_desc, "slot 9"),
    V(rknn_graph, 10, FT_VU8, unk10, n_unk10, "slot 10"),
    VT(rknn_graph, 12, unk12, n_unk12, named_int_desc, "slot 12"),
    UNK(13),
    UNK(14),
    UNK(15),
    UNK(16),
};
const rknn_tdesc rknn_graph_desc = {"graph", sizeof(rknn_graph), graph_f,
                                    RK_ARRAY_LEN(graph_f), 17};

#define MODEL_COMMON                                                      \
    F(rknn_model, 0, FT_I32, fb_version, "version"),                      \
    F(rknn_model, 1, FT_STR, format, "format"),                           \
    VT(rknn_model, 2, graphs, n_graphs, rknn_graph_desc, "graphs"),       \
    F(rknn_model, 3, FT_STR, generator, "generator"),                     \
    UNK(5),                                                               \
    F(rknn_model, 6, FT_I32, unk6, "slot 6"),                             \
    F(rknn_model, 7, FT_STR, compiler, "compiler"),                       \
    F(rknn_model, 8, FT_STR, soc, "runtime"),                             \
    F(rknn_model, 9, FT_STR, source, "source"),                           \
    F(rknn_model, 10, FT_U8, unk10, "slot 10"),                           \
    UNK(11),                                                              \
    F(rknn_model, 12, FT_STR, input_json, "input json"),                  \
    F(rknn_model, 13, FT_STR, output_json, "output json"),                \
    F(rknn_model, 14, FT_STR, unk14, "slot 14"),                          \
    UNK(15),                                                              \
    F(rknn_model, 16, FT_STR, unk16, "slot 16"),                          \
    UNK(17),                                                              \
    UNK(18),                                                              \
    {19, FT_U64TAB, offsetof(rknn_model, mem),                            \
     offsetof(rknn_model, mem_present), NULL, 3, "memory sizes"},         \
    F(rknn_model, 21, FT_STR, custom_op, "custom op")

static const rknn_fdesc model_v6_f[] = {
    MODEL_COMMON,
    VT(rknn_model, 20, buffers, n_buffers, buffer_desc, "buffers"),
};
const rknn_tdesc rknn_model_desc_v6 = {"model", sizeof(rknn_model), model_v6_f,
                                       RK_ARRAY_LEN(model_v6_f), 22};

static const rknn_fdesc model_v1_f[] = {
    MODEL_COMMON,
    VT(rknn_model, 4, buffers, n_buffers, buffer_desc, "buffers"),
};
const rknn_tdesc rknn_model_desc_v1 = {"model", sizeof(rknn_model), model_v1_f,
                                       RK_ARRAY_LEN(model_v1_f), 22};

/* ------------------------------------------------------ per-op attributes */

/* The attribute table's slots are the ONNX attributes of the op in
 * alphabetical order (observed: Conv slot 0 "NOTSET", 1 [1,1], 3 [kh,kw],
 * 4 [4 pads], 5 [2 strides]; Resize slot 0 "half_pixel"/"asymmetric",
 * 4 "linear"/"nearest", 5 "round_prefer_floor"/"floor"; Concat slot 0 = 1).
 * Types follow the ONNX operator definitions. */
static const rknn_attr_desc conv_attrs[] = {
    {0, "auto_pad", RKNN_ATTR_STRING},   {1, "dilations", RKNN_ATTR_INTS},
    {2, "group", RKNN_ATTR_INT},         {3, "kernel_shape", RKNN_ATTR_INTS},
    {4, "pads", RKNN_ATTR_INTS},         {5, "strides", RKNN_ATTR_INTS},
};
static const rknn_attr_desc maxpool_attrs[] = {
    {0, "auto_pad", RKNN_ATTR_STRING},   {1, "ceil_mode", RKNN_ATTR_INT},
    {2, "dilations", RKNN_ATTR_INTS},    {3, "kernel_shape", RKNN_ATTR_INTS},
    {4, "pads", RKNN_ATTR_INTS},         {5, "storage_order", RKNN_ATTR_INT},
    {6, "strides", RKNN_ATTR_INTS},
};
static const rknn_attr_desc resize_attrs[] = {
    {0, "coordinate_transformation_mode", RKNN_ATTR_STRING},
    {1, "cubic_coeff_a", RKNN_ATTR_FLOAT},
    {2, "exclude_outside", RKNN_ATTR_INT},
    {3, "extrapolation_value", RKNN_ATTR_FLOAT},
    {4, "mode", RKNN_ATTR_STRING},
    {5, "nearest_mode", RKNN_ATTR_STRING},
};
static const rknn_attr_desc concat_attrs[] = {{0, "axis", RKNN_ATTR_INT}};
static const rknn_attr_desc split_attrs[] = {
    {0, "axis", RKNN_ATTR_INT}, {1, "split", RKNN_ATTR_INTS}};
static const rknn_attr_desc argmax_attrs[] = {
    {0, "axis", RKNN_ATTR_INT}, {1, "keepdims", RKNN_ATTR_INT},
    {2, "select_last_index", RKNN_ATTR_INT}};

const rknn_attr_desc *rknn_attr_schema(const char *op_type, unsigned *n)
{
    static const struct {
        const char *prefix;
        bool exact;
        const rknn_attr_desc *a;
        unsigned n;
    } ops[] = {
        /* fused conv types: Conv, ConvRelu, ConvAdd, ConvAddRelu,
         * ConvExSwish, ConvSigmoid ... share the Conv table (observed) */
        {"Conv", false, conv_attrs, RK_ARRAY_LEN(conv_attrs)},
        {"MaxPool", true, maxpool_attrs, RK_ARRAY_LEN(maxpool_attrs)},
        {"Resize", true, resize_attrs, RK_ARRAY_LEN(resize_attrs)},
        {"Concat", true, concat_attrs, RK_ARRAY_LEN(concat_attrs)},
        {"Split", true, split_attrs, RK_ARRAY_LEN(split_attrs)},
        {"ArgMax", true, argmax_attrs, RK_ARRAY_LEN(argmax_attrs)},
    };
    *n = 0;
    if (!op_type)
        return NULL;
    for (size_t i = 0; i < RK_ARRAY_LEN(ops); i++) {
        size_t pl = strlen(ops[i].prefix);
        bool match = ops[i].exact ? strcmp(op_type, ops[i].prefix) == 0
                                  : strncmp(op_type, ops[i].prefix, pl) == 0;
        if (match) {
            *n = ops[i].n;
            return ops[i].a;
        }
    }
    return NULL;
}

/* -------------------------------------------------------------------- free */

void rknn_free_attrs(rknn_attr *a, uint32_t n)
{
    for (uint32_t i = 0; a && i < n; i++) {
        free(a[i].s);
        free(a[i].ints);
        free(a[i].floats);
    }
    free(a);
}

void rknn_free_node_derived(rknn_node *n)
{
    free(n->task_list);
    n->task_list = NULL;
    n->task_count = n->task_first = n->task_last = 0;
    free(n->conv.auto_pad);
    free(n->conv.dilations);
    free(n->conv.kernel_shape);
    free(n->conv.strides);
    free(n->conv.pads);
    memset(&n->conv, 0, sizeof(n->conv));
    for (uint32_t i = 0; i < n->n_custom; i++) {
        free(n->custom[i].key);
        free(n->custom[i].dtype);
        free(n->custom[i].str);
        free(n->custom[i].list);
    }
    free(n->custom);
    n->custom = NULL;
    n->n_custom = 0;
}

void rknn_free_fields(const rknn_tdesc *d, void *obj)
{
    for (unsigned i = 0; i < d->nf; i++) {
        const rknn_fdesc *f = &d->f[i];
        void **ptr = RKNN_FIELD(obj, f->off);
        switch (f->type) {
        case FT_STR:
        case FT_BSTR:
        case FT_VU8:
        case FT_VI32:
        case FT_VPAIR32:
        case FT_VF32:
        case FT_VU64TAB:
            free(*ptr);
            *ptr = NULL;
            break;
        case FT_ATTRS: {
            uint32_t *cnt = RKNN_FIELD(obj, f->count_off);
            rknn_free_attrs(*ptr, *cnt);
            *ptr = NULL;
            break;
        }
        case FT_VTABLE: {
            uint32_t *cnt = RKNN_FIELD(obj, f->count_off);
            char *arr = *ptr;
            for (uint32_t k = 0; arr && k < *cnt; k++) {
                void *el = arr + (size_t)k * f->sub->size;
                if (f->sub == &rknn_node_desc)
                    rknn_free_node_derived(el);
                rknn_free_fields(f->sub, el);
            }
            free(arr);
            *ptr = NULL;
            break;
        }
        default:
            break;
        }
    }
}

/* -------------------------------------------------------------- compare */

static bool diff(char *msg, size_t n, const char *where, const char *what)
{
    if (msg && n)
        snprintf(msg, n, "%s: %s differs", where, what);
    return false;
}

static bool str_eq(const char *a, const char *b)
{
    /* NULL (absent) and "" read back the same for scalars' purposes only
     * when both absent; strings keep the distinction */
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static bool attrs_eq(const rknn_attr *a, const rknn_attr *b)
{
    if (a->slot != b->slot || a->type != b->type || a->i != b->i ||
        memcmp(&a->f, &b->f, 4) != 0 || !str_eq(a->s, b->s) || a->n != b->n)
        return false;
    if (a->n && a->ints && b->ints && memcmp(a->ints, b->ints, 4 * a->n))
        return false;
    if (a->n && a->floats && b->floats && memcmp(a->floats, b->floats, 4 * a->n))
        return false;
    return true;
}

static bool fields_equal(const rknn_tdesc *d, const void *a, const void *b,
                         const char *where, char *msg, size_t n)
{
    for (unsigned i = 0; i < d->nf; i++) {
        const rknn_fdesc *f = &d->f[i];
        const char *pa = (const char *)a + f->off;
        const char *pb = (const char *)b + f->off;
        uint32_t ca = f->count_off ? *(const uint32_t *)((const char *)a +
                                                         f->count_off) : 0;
        uint32_t cb = f->count_off ? *(const uint32_t *)((const char *)b +
                                                         f->count_off) : 0;
        size_t el = 0;
        switch (f->type) {
        case FT_U8:
            if (*(const uint8_t *)pa != *(const uint8_t *)pb)
                return diff(msg, n, where, f->name);
            continue;
        case FT_I32:
            if (*(const int32_t *)pa != *(const int32_t *)pb)
                return diff(msg, n, where, f->name);
            continue;
        case FT_STR:
        case FT_BSTR:
            if (!str_eq(*(char *const *)pa, *(char *const *)pb))
                return diff(msg, n, where, f->name);
            continue;
        case FT_UNKVEC:
            continue;
        case FT_U64TAB:
            if (memcmp(pa, pb, f->max * sizeof(uint64_t)) ||
                memcmp((const char *)a + f->count_off,
                       (const char *)b + f->count_off, f->max * sizeof(bool)))
                return diff(msg, n, where, f->name);
            continue;
        case FT_VU8:
            el = 1;
            break;
        case FT_VI32:
        case FT_VPAIR32:
        case FT_VF32:
            el = 4;
            break;
        case FT_VU64TAB:
            el = sizeof(rknn_patch);
            break;
        case FT_ATTRS: {
            const rknn_node *na = a, *nb = b;
            if (na->has_attrs != nb->has_attrs || ca != cb)
                return diff(msg, n, where, f->name);
            for (uint32_t k = 0; k < ca; k++)
                if (!attrs_eq(&na->attrs[k], &nb->attrs[k]))
                    return diff(msg, n, where, na->attrs[k].name);
            continue;
        }
        case FT_VTABLE: {
            if (ca != cb)
                return diff(msg, n, where, f->name);
            const char *xa = *(char *const *)pa, *xb = *(char *const *)pb;
            for (uint32_t k = 0; k < ca; k++) {
                char w[160];
                snprintf(w, sizeof(w), "%.100s %s %u", where, f->sub->name, k);
                if (!fields_equal(f->sub, xa + (size_t)k * f->sub->size,
                                  xb + (size_t)k * f->sub->size, w, msg, n))
                    return false;
            }
            continue;
        }
        default:
            continue;
        }
        const void *va = *(void *const *)pa, *vb = *(void *const *)pb;
        if (ca != cb || (ca && memcmp(va, vb, (size_t)ca * el) != 0))
            return diff(msg, n, where, f->name);
    }
    return true;
}

bool rknn_model_equal(const rknn_model *a, const rknn_model *b, char *msg,
                      size_t n)
{
    if (msg && n)
        msg[0] = 0;
    if (a->json_len != b->json_len ||
        (a->json_len && memcmp(a->json, b->json, a->json_len)))
        return diff(msg, n, "model", "JSON trailer");
    return fields_equal(&rknn_model_desc_v6, a, b, "model", msg, n);
}
