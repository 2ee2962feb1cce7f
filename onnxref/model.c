/*
 * model.c - reading an ONNX ModelProto: protobuf parsing, opset imports,
 * TensorProto decoding (raw_data, typed fields, external data).
 *
 * Format facts come from onnx.proto (libonnx-dev) comments: which typed
 * field carries which data type, little-endian raw_data, external_data keys
 * "location", "offset", "length".
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ox_internal.h"

/* Largest model file we accept: protobuf itself is limited to 2 GiB. */
#define OX_MAX_MODEL_BYTES ((size_t)2 << 30)

rk_dtype ox_dtype_from_onnx(int32_t t)
{
    switch (t) {
    case 1: return RK_DT_F32;
    case 2: return RK_DT_U8;
    case 3: return RK_DT_I8;
    case 4: return RK_DT_U16;
    case 5: return RK_DT_I16;
    case 6: return RK_DT_I32;
    case 7: return RK_DT_I64;
    case 8: return RK_DT_STRING;
    case 9: return RK_DT_BOOL;
    case 10: return RK_DT_F16;
    case 11: return RK_DT_F64;
    case 12: return RK_DT_U32;
    case 13: return RK_DT_U64;
    case 16: return RK_DT_BF16;
    default: return RK_DT_UNDEF;
    }
}

static const char *onnx_type_name(int32_t t)
{
    static const char *names[] = {"undefined", "float", "uint8", "int8", "uint16", "int16",
                                  "int32", "int64", "string", "bool", "float16", "double",
                                  "uint32", "uint64", "complex64", "complex128", "bfloat16",
                                  "float8e4m3fn", "float8e4m3fnuz", "float8e5m2",
                                  "float8e5m2fnuz", "uint4", "int4", "float4e2m1"};
    if (t >= 0 && (size_t)t < RK_ARRAY_LEN(names))
        return names[t];
    return "unknown";
}

/* Path check for external data: relative, no "..", so a model cannot make
 * us read arbitrary files. */
static bool external_path_ok(const char *loc)
{
    if (!loc[0] || loc[0] == '/')
        return false;
    for (const char *p = loc; *p; p++)
        if (p[0] == '.' && p[1] == '.' && (p == loc || p[-1] == '/') && (p[2] == '/' || !p[2]))
            return false;
    return true;
}

/* Opens a tensor's external data and checks that the file holds `bytes`
 * bytes at the offset, before the caller allocates anything. */
static rk_status external_open(const Onnx__TensorProto *tp, const char *base_dir,
                               const char *tname, size_t bytes, FILE **fp, rk_err *e)
{
    const char *loc = NULL;
    long long offset = 0, length = -1;
    *fp = NULL;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *kv = tp->external_data[i];
        if (!kv->key || !kv->value)
            continue;
        if (strcmp(kv->key, "location") == 0)
            loc = kv->value;
        else if (strcmp(kv->key, "offset") == 0)
            offset = strtoll(kv->value, NULL, 10);
        else if (strcmp(kv->key, "length") == 0)
            length = strtoll(kv->value, NULL, 10);
    }
    if (!loc)
        return rk_errf(e, RK_EINPUT, "tensor '%s': external data without a 'location'", tname);
    if (!base_dir)
        return rk_errf(e, RK_EINPUT,
                       "tensor '%s': external data '%s' but the model was loaded from memory",
                       tname, loc);
    if (!external_path_ok(loc))
        return rk_errf(e, RK_EINPUT, "tensor '%s': external data location '%s' must be a "
                       "relative path inside the model's directory", tname, loc);
    if (offset < 0 || (length >= 0 && (size_t)length != bytes))
        return rk_errf(e, RK_EINPUT, "tensor '%s': external data length %lld / offset %lld "
                       "disagrees with its shape (%zu bytes)", tname, length, offset, bytes);
    size_t plen = strlen(base_dir) + strlen(loc) + 2;
    char *path = malloc(plen);
    if (!path)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    snprintf(path, plen, "%s/%s", base_dir, loc);
    rk_status st = RK_OK;
    struct stat sb;
    FILE *f = fopen(path, "rb");
    if (!f)
        st = rk_errf(e, RK_EIO, "tensor '%s': cannot open external data file %s: %s", tname,
                     path, strerror(errno));
    else if (fstat(fileno(f), &sb) != 0 || sb.st_size < offset ||
             (unsigned long long)(sb.st_size - offset) < bytes ||
             fseeko(f, (off_t)offset, SEEK_SET) != 0)
        st = rk_errf(e, RK_EINPUT, "tensor '%s': external data file %s is shorter than "
                     "offset %lld + %zu bytes", tname, path, offset, bytes);
    if (st != RK_OK && f)
        fclose(f);
    else
        *fp = f;
    free(path);
    return st;
}

/* Copy one of the typed repeated fields into dst, converting to the
 * tensor's element type.  Which field carries which type: onnx.proto. */
static size_t typed_count(const Onnx__TensorProto *tp, rk_dtype dt, const char **field)
{
    switch (dt) {
    case RK_DT_F32: *field = "float_data"; return tp->n_float_data;
    case RK_DT_F64: *field = "double_data"; return tp->n_double_data;
    case RK_DT_I64: *field = "int64_data"; return tp->n_int64_data;
    case RK_DT_U32:
    case RK_DT_U64: *field = "uint64_data"; return tp->n_uint64_data;
    default: *field = "int32_data"; return tp->n_int32_data;
    }
}

/* Caller checked typed_count() == nelem. */
static rk_status decode_typed(const Onnx__TensorProto *tp, rk_tensor *t, const char *tname,
                              rk_err *e)
{
    size_t n = (size_t)t->nelem;
    for (size_t i = 0; i < n; i++) {
        switch (t->dtype) {
        case RK_DT_F32: ((float *)t->data)[i] = tp->float_data[i]; break;
        case RK_DT_F64: ((double *)t->data)[i] = tp->double_data[i]; break;
        case RK_DT_I64: ((int64_t *)t->data)[i] = tp->int64_data[i]; break;
        case RK_DT_U32: ((uint32_t *)t->data)[i] = (uint32_t)tp->uint64_data[i]; break;
        case RK_DT_U64: ((uint64_t *)t->data)[i] = tp->uint64_data[i]; break;
        case RK_DT_I32: ((int32_t *)t->data)[i] = tp->int32_data[i]; break;
        case RK_DT_I16: ((int16_t *)t->data)[i] = (int16_t)tp->int32_data[i]; break;
        case RK_DT_U16:
        case RK_DT_F16:
        case RK_DT_BF16: ((uint16_t *)t->data)[i] = (uint16_t)tp->int32_data[i]; break;
        case RK_DT_I8: ((int8_t *)t->data)[i] = (int8_t)tp->int32_data[i]; break;
        case RK_DT_U8: ((uint8_t *)t->data)[i] = (uint8_t)tp->int32_data[i]; break;
        case RK_DT_BOOL: ((uint8_t *)t->data)[i] = tp->int32_data[i] != 0; break;
        default:
            return rk_errf(e, RK_EINTERNAL, "tensor '%s': unhandled type", tname);
        }
    }
    return RK_OK;
}

/* string_data elements are bytes (not NUL-terminated; may contain NUL,
 * which then ends the C string: inferred acceptable, ONNX text is UTF-8). */
static rk_status decode_strings(const Onnx__TensorProto *tp, rk_tensor *t, const char *tname,
                                rk_err *e)
{
    for (int64_t i = 0; i < t->nelem; i++) {
        const ProtobufCBinaryData *b = &tp->string_data[i];
        if (rk_tensor_set_str(t, i, (const char *)b->data, b->len) != RK_OK)
            return rk_errf(e, RK_ENOMEM, "tensor '%s': out of memory for string %lld", tname,
                           (long long)i);
    }
    return RK_OK;
}

/* Shape and element type of a TensorProto, checked before anything is
 * allocated: a 200-byte file must not make us allocate terabytes. */
static rk_status proto_header(const Onnx__TensorProto *tp, const char *tname, rk_dtype *dt,
                              size_t *nelem, rk_err *e)
{
    if (tp->segment)
        return rk_errf(e, RK_EUNSUPPORTED, "tensor '%s': segmented tensors are not supported",
                       tname);
    *dt = ox_dtype_from_onnx(tp->data_type);
    if (*dt == RK_DT_UNDEF)
        return rk_errf(e, RK_EUNSUPPORTED, "tensor '%s': element type %s (%d) is not supported",
                       tname, onnx_type_name(tp->data_type), (int)tp->data_type);
    if (tp->n_dims > RK_MAX_DIMS)
        return rk_errf(e, RK_EUNSUPPORTED, "tensor '%s': rank %zu exceeds %d", tname,
                       tp->n_dims, RK_MAX_DIMS);
    uint64_t n = 1;
    for (size_t i = 0; i < tp->n_dims; i++) {
        if (tp->dims[i] < 0)
            return rk_errf(e, RK_EINPUT, "tensor '%s': negative dimension %lld", tname,
                           (long long)tp->dims[i]);
        if (tp->dims[i] && n > (UINT64_C(1) << 40) / (uint64_t)tp->dims[i])
            return rk_errf(e, RK_EINPUT, "tensor '%s': shape too large", tname);
        n *= (uint64_t)tp->dims[i];
    }
    *nelem = (size_t)n;
    return RK_OK;
}

static rk_status check_payload(const Onnx__TensorProto *tp, const char *tname, rk_dtype dt,
                               size_t nelem, rk_err *e)
{
    /* onnx.proto: strings live only in string_data, never in raw_data */
    if (dt == RK_DT_STRING) {
        if (tp->has_raw_data && tp->raw_data.len)
            return rk_errf(e, RK_EINPUT, "tensor '%s': a string tensor cannot use raw_data "
                           "(onnx.proto keeps strings in string_data)", tname);
        if (tp->n_string_data != nelem)
            return rk_errf(e, RK_EINPUT, "tensor '%s': string_data holds %zu values but its "
                           "shape needs %zu", tname, tp->n_string_data, nelem);
        return RK_OK;
    }
    size_t bytes = nelem * rk_dtype_size(dt);
    if (tp->has_raw_data) {
        if (tp->raw_data.len != bytes)
            return rk_errf(e, RK_EINPUT, "tensor '%s': raw_data has %zu bytes but its shape "
                           "(%zu x %s) needs %zu", tname, tp->raw_data.len, nelem,
                           rk_dtype_name(dt), bytes);
        return RK_OK;
    }
    const char *field;
    size_t have = typed_count(tp, dt, &field);
    if (have != nelem)
        return rk_errf(e, RK_EINPUT, "tensor '%s': %s holds %zu values but its shape needs %zu",
                       tname, field, have, nelem);
    return RK_OK;
}

rk_status ox_tensor_from_proto(const Onnx__TensorProto *tp, const char *base_dir,
                               rk_tensor *out, rk_err *e)
{
    const char *tname = tp->name && tp->name[0] ? tp->name : "(unnamed)";
    memset(out, 0, sizeof *out);
    rk_dtype dt;
    size_t nelem;
    FILE *ext = NULL;
    rk_status st = proto_header(tp, tname, &dt, &nelem, e);
    if (st != RK_OK)
        return st;
    bool external = tp->has_data_location &&
                    tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    if (external && dt == RK_DT_STRING)
        return rk_errf(e, RK_EUNSUPPORTED, "tensor '%s': external data for a string tensor "
                       "is not supported", tname);
    st = external ? external_open(tp, base_dir, tname, nelem * rk_dtype_size(dt), &ext, e)
                  : check_payload(tp, tname, dt, nelem, e);
    if (st == RK_OK)
        st = rk_tensor_alloc(out, tp->name, dt, (int)tp->n_dims, tp->dims, e);
    if (st != RK_OK) {
        if (ext)
            fclose(ext);
        return st;
    }
    size_t bytes = rk_tensor_bytes(out);
    if (ext) {
        if (fread(out->data, 1, bytes, ext) != bytes)
            st = rk_errf(e, RK_EIO, "tensor '%s': reading external data failed", tname);
        fclose(ext);
    } else if (dt == RK_DT_STRING) {
        st = decode_strings(tp, out, tname, e);
    } else if (tp->has_raw_data) {
        if (bytes)
            memcpy(out->data, tp->raw_data.data, bytes); /* little-endian host assumed */
    } else {
        st = decode_typed(tp, out, tname, e);
    }
    if (st == RK_OK && dt == RK_DT_BOOL)
        for (size_t i = 0; i < bytes; i++)
            ((uint8_t *)out->data)[i] = ((uint8_t *)out->data)[i] != 0;
    if (st != RK_OK)
        rk_tensor_free(out);
    return st;
}

rk_status ox_tensor_view_proto(const Onnx__TensorProto *tp, const char *base_dir,
                               rk_tensor *out, rk_err *e)
{
    const char *tname = tp->name && tp->name[0] ? tp->name : "(unnamed)";
    rk_dtype dt;
    size_t nelem;
    bool external = tp->has_data_location &&
                    tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    /* bool needs normalising to 0/1; everything unusual takes the checked copy */
    if (external || !tp->has_raw_data || tp->raw_data.len == 0 ||
        proto_header(tp, tname, &dt, &nelem, NULL) != RK_OK || dt == RK_DT_BOOL ||
        check_payload(tp, tname, dt, nelem, NULL) != RK_OK)
        return ox_tensor_from_proto(tp, base_dir, out, e);
    memset(out, 0, sizeof *out);
    if (tp->name && rk_tensor_set_name(out, tp->name) != RK_OK)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    out->dtype = dt;
    out->ndim = (int)tp->n_dims;
    for (int i = 0; i < out->ndim; i++)
        out->dims[i] = tp->dims[i];
    out->nelem = (int64_t)nelem;
    /* protobuf-c mallocs raw_data, so it is aligned for any element type */
    out->data = tp->raw_data.data;
    out->borrowed = true;
    return RK_OK;
}

/* ---- model load / free ------------------------------------------------ */

static rk_status parse_opsets(ox_model *m, rk_err *e)
{
    const Onnx__ModelProto *mp = m->proto;
    m->opsets = calloc(mp->n_opset_import + 1, sizeof *m->opsets);
    if (!m->opsets)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *op = mp->opset_import[i];
        const char *d = op->domain ? op->domain : "";
        if (strcmp(d, "ai.onnx") == 0)
            d = "";
        if (!op->has_version || op->version < 1 || op->version > INT_MAX)
            return rk_errf(e, RK_EINPUT, "%s: opset import for domain '%s' has no valid version",
                           m->path, d);
        m->opsets[m->nopsets].domain = d;
        m->opsets[m->nopsets].version = (int)op->version;
        m->nopsets++;
    }
    /* IR version 3+ requires opset_import; very old models imply opset 1. */
    if (ox_model_opset(m, "") == 0 && mp->n_opset_import == 0) {
        m->opsets[m->nopsets].domain = "";
        m->opsets[m->nopsets].version = 1;
        m->nopsets++;
    }
    return RK_OK;
}

int ox_model_opset(const ox_model *m, const char *domain)
{
    if (!domain || strcmp(domain, "ai.onnx") == 0)
        domain = "";
    for (int i = 0; i < m->nopsets; i++)
        if (strcmp(m->opsets[i].domain, domain) == 0)
            return m->opsets[i].version;
    return 0;
}

/* A protobuf that decodes but is not a model (e.g. a TensorProto or random
 * bytes that happen to parse) has no graph. */
static rk_status load_proto(ox_model *m, const uint8_t *buf, size_t len, rk_err *e)
{
    if (len == 0)
        return rk_errf(e, RK_EINPUT, "%s: empty file, not an ONNX model", m->path);
    m->proto = onnx__model_proto__unpack(NULL, len, buf);
    if (!m->proto)
        return rk_errf(e, RK_EINPUT, "%s: not an ONNX model (protobuf parse failed: "
                       "truncated or not a ModelProto)", m->path);
    if (!m->proto->graph)
        return rk_errf(e, RK_EINPUT, "%s: not an ONNX model (no graph in the ModelProto)",
                       m->path);
    return RK_OK;
}

rk_status ox_model_load_buffer(const uint8_t *buf, size_t len, const char *what,
                               const char *base_dir, ox_model **out, rk_err *e)
{
    *out = NULL;
    ox_model *m = calloc(1, sizeof *m);
    if (!m)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    m->path = strdup(what ? what : "(buffer)");
    m->base_dir = base_dir ? strdup(base_dir) : NULL;
    rk_status st;
    if (!m->path || (base_dir && !m->base_dir)) {
        st = rk_errf(e, RK_ENOMEM, "out of memory");
        goto fail;
    }
    st = load_proto(m, buf, len, e);
    if (st == RK_OK)
        st = parse_opsets(m, e);
    if (st == RK_OK) {
        m->graph = m->proto->graph;
        st = ox_graph_build(m, e);
    }
    if (st != RK_OK)
        goto fail;
    *out = m;
    return RK_OK;
fail:
    ox_model_free(m);
    return st;
}

rk_status ox_model_load_file(const char *path, ox_model **out, rk_err *e)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    *out = NULL;
    rk_status st = rk_read_file(path, &buf, &len, OX_MAX_MODEL_BYTES, e);
    if (st != RK_OK)
        return st;
    char *dir = strdup(path);
    if (!dir) {
        free(buf);
        return rk_errf(e, RK_ENOMEM, "out of memory");
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    st = ox_model_load_buffer(buf, len, path, dir[0] ? dir : "/", out, e);
    free(dir);
    free(buf);
    return st;
}

void ox_node_release(ox_node *n)
{
    for (int a = 0; a < n->nattr; a++) {
        free(n->attrs[a].s);
        ox_model_free(n->attrs[a].sub);
    }
    free(n->attrs);
    free(n->in);
    free(n->out);
    free(n->implicit);
    rk_tensor_free(&n->const_cache);
    memset(n, 0, sizeof *n);
}

void ox_model_free(ox_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->nnodes; i++)
        ox_node_release(&m->nodes[i]);
    free(m->nodes);
    for (int i = 0; i < m->nvalues; i++) {
        rk_tensor_free(&m->values[i].init);
        if (m->values[i].has_cur)
            rk_tensor_free(&m->values[i].cur);
    }
    free(m->values);
    free(m->infos);
    free(m->inputs);
    free(m->outputs);
    free(m->input_info);
    free(m->output_info);
    free(m->unsupported);
    free(m->hash);
    if (m->proto)
        onnx__model_proto__free_unpacked(m->proto, NULL);
    if (!m->parent) { /* subgraphs borrow these from the top-level model */
        free(m->opsets);
        free(m->path);
        free(m->base_dir);
    }
    free(m);
}
