/* HDF5 tensor files: one dataset per tensor, named after the model tensor.
 * Names may contain '/', which HDF5 treats as a group separator, so the
 * writer escapes '%' as "%25" and '/' as "%2F"; the reader undoes it and also
 * accepts nested groups written by other tools (path joined with '/'). */
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "rk_tensorio.h"

void rk_tensor_list_free(rk_tensor_list *l)
{
    for (int i = 0; i < l->count; i++)
        rk_tensor_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

rk_status rk_tensor_list_push(rk_tensor_list *l, rk_tensor *t, rk_err *e)
{
    if (l->count == l->cap) {
        int cap = l->cap ? l->cap * 2 : 8;
        rk_tensor *items = realloc(l->items, (size_t)cap * sizeof *items);
        if (!items)
            return rk_errf(e, RK_ENOMEM, "out of memory");
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count++] = *t;
    memset(t, 0, sizeof *t);
    return RK_OK;
}

rk_tensor *rk_tensor_list_find(rk_tensor_list *l, const char *name)
{
    for (int i = 0; i < l->count; i++)
        if (l->items[i].name && strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    return NULL;
}

static char *escape_name(const char *name)
{
    size_t n = strlen(name);
    char *out = malloc(3 * n + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const char *p = name; *p; p++) {
        if (*p == '/' || *p == '%') {
            *o++ = '%';
            *o++ = '2';
            *o++ = *p == '/' ? 'F' : '5';
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    return out;
}

static void unescape_name(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '%' && p[1] == '2' && (p[2] == 'F' || p[2] == 'f' || p[2] == '5')) {
            *o++ = p[2] == '5' ? '%' : '/';
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
}

/* IEEE binary16 as an HDF5 type (HDF5 1.10 has no predefined one). */
static hid_t make_f16_type(void)
{
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(t, 15, 10, 5, 0, 10);
    H5Tset_size(t, 2);
    H5Tset_ebias(t, 15);
    return t;
}

/* Map a dataset's file type to an rk_dtype and the memory type to read it as. */
static rk_dtype classify(hid_t ftype, hid_t *mtype)
{
    H5T_class_t cls = H5Tget_class(ftype);
    size_t size = H5Tget_size(ftype);
    *mtype = -1;
    if (cls == H5T_ENUM) { /* h5py stores numpy bool as an int8 enum */
        hid_t base = H5Tget_super(ftype);
        size_t bsize = H5Tget_size(base);
        H5Tclose(base);
        if (bsize == 1) {
            *mtype = H5Tcopy(H5T_NATIVE_UINT8);
            return RK_DT_BOOL;
        }
        return RK_DT_UNDEF;
    }
    if (cls == H5T_FLOAT) {
        if (size == 4) { *mtype = H5Tcopy(H5T_NATIVE_FLOAT); return RK_DT_F32; }
        if (size == 8) { *mtype = H5Tcopy(H5T_NATIVE_DOUBLE); return RK_DT_F64; }
        if (size == 2) { *mtype = make_f16_type(); return RK_DT_F16; }
        return RK_DT_UNDEF;
    }
    if (cls == H5T_INTEGER) {
        int is_signed = H5Tget_sign(ftype) == H5T_SGN_2;
        static const struct { size_t size; int sgn; rk_dtype dt; } map[] = {
            {1, 1, RK_DT_I8},  {1, 0, RK_DT_U8},  {2, 1, RK_DT_I16}, {2, 0, RK_DT_U16},
            {4, 1, RK_DT_I32}, {4, 0, RK_DT_U32}, {8, 1, RK_DT_I64}, {8, 0, RK_DT_U64},
        };
        for (size_t i = 0; i < RK_ARRAY_LEN(map); i++) {
            if (map[i].size == size && map[i].sgn == is_signed) {
                hid_t native[] = {H5T_NATIVE_INT8, H5T_NATIVE_UINT8, H5T_NATIVE_INT16,
                                  H5T_NATIVE_UINT16, H5T_NATIVE_INT32, H5T_NATIVE_UINT32,
                                  H5T_NATIVE_INT64, H5T_NATIVE_UINT64};
                *mtype = H5Tcopy(native[i]);
                return map[i].dt;
            }
        }
    }
    return RK_DT_UNDEF;
}

typedef struct visit_state {
    const char *path;
    rk_tensor_list *out;
    rk_err *e;
    rk_status st;
} visit_state;

static rk_status read_dataset(hid_t file, const char *dsname, visit_state *vs)
{
    rk_status st = RK_OK;
    hid_t ds = -1, space = -1, ftype = -1, mtype = -1;
    rk_tensor t = {0};
    char *name = strdup(dsname);
    if (!name)
        return rk_errf(vs->e, RK_ENOMEM, "out of memory");
    unescape_name(name);

    ds = H5Dopen2(file, dsname, H5P_DEFAULT);
    if (ds < 0) {
        st = rk_errf(vs->e, RK_EINPUT, "%s: cannot open dataset '%s'", vs->path, name);
        goto out;
    }
    space = H5Dget_space(ds);
    ftype = H5Dget_type(ds);
    int ndim = H5Sget_simple_extent_ndims(space);
    if (ndim < 0 || ndim > RK_MAX_DIMS) {
        st = rk_errf(vs->e, RK_EUNSUPPORTED, "%s: dataset '%s' has rank %d (max %d)", vs->path,
                     name, ndim, RK_MAX_DIMS);
        goto out;
    }
    hsize_t hdims[RK_MAX_DIMS];
    int64_t dims[RK_MAX_DIMS];
    H5Sget_simple_extent_dims(space, hdims, NULL);
    for (int i = 0; i < ndim; i++)
        dims[i] = (int64_t)hdims[i];
    rk_dtype dt = classify(ftype, &mtype);
    if (dt == RK_DT_UNDEF) {
        st = rk_errf(vs->e, RK_EUNSUPPORTED,
                     "%s: dataset '%s' has an element type rksim cannot read "
                     "(use float32/float16/float64/int8/uint8/int16/uint16/int32/int64/bool)",
                     vs->path, name);
        goto out;
    }
    if ((st = rk_tensor_alloc(&t, name, dt, ndim, dims, vs->e)) != RK_OK)
        goto out;
    if (t.nelem && H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data) < 0) {
        st = rk_errf(vs->e, RK_EINPUT, "%s: cannot read dataset '%s'", vs->path, name);
        goto out;
    }
    st = rk_tensor_list_push(vs->out, &t, vs->e);
out:
    rk_tensor_free(&t);
    if (mtype >= 0) H5Tclose(mtype);
    if (ftype >= 0) H5Tclose(ftype);
    if (space >= 0) H5Sclose(space);
    if (ds >= 0) H5Dclose(ds);
    free(name);
    return st;
}

static herr_t visit_cb(hid_t obj, const char *name, const H5O_info_t *info, void *op_data)
{
    visit_state *vs = op_data;
    if (info->type != H5O_TYPE_DATASET)
        return 0;
    vs->st = read_dataset(obj, name, vs);
    return vs->st == RK_OK ? 0 : 1;
}

rk_status rk_h5_read(const char *path, rk_tensor_list *out, rk_err *e)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (H5Fis_hdf5(path) <= 0)
        return rk_errf(e, RK_EINPUT, "%s: not an HDF5 file (or unreadable)", path);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return rk_errf(e, RK_EINPUT, "%s: cannot open HDF5 file (truncated or corrupt?)", path);
    visit_state vs = {path, out, e, RK_OK};
    herr_t r = H5Ovisit(file, H5_INDEX_CRT_ORDER, H5_ITER_INC, visit_cb, &vs);
    if (r < 0 && vs.st == RK_OK) /* creation order not tracked: fall back to names */
        r = H5Ovisit(file, H5_INDEX_NAME, H5_ITER_INC, visit_cb, &vs);
    H5Fclose(file);
    if (vs.st != RK_OK)
        return vs.st;
    if (r < 0)
        return rk_errf(e, RK_EINPUT, "%s: cannot list HDF5 datasets (corrupt file?)", path);
    return RK_OK;
}

static hid_t file_type_for(rk_dtype dt)
{
    switch (dt) {
    case RK_DT_F32: return H5Tcopy(H5T_IEEE_F32LE);
    case RK_DT_F64: return H5Tcopy(H5T_IEEE_F64LE);
    case RK_DT_F16: return make_f16_type();
    case RK_DT_I8: return H5Tcopy(H5T_STD_I8LE);
    case RK_DT_U8: case RK_DT_BOOL: return H5Tcopy(H5T_STD_U8LE);
    case RK_DT_I16: return H5Tcopy(H5T_STD_I16LE);
    case RK_DT_U16: return H5Tcopy(H5T_STD_U16LE);
    case RK_DT_I32: return H5Tcopy(H5T_STD_I32LE);
    case RK_DT_U32: return H5Tcopy(H5T_STD_U32LE);
    case RK_DT_I64: return H5Tcopy(H5T_STD_I64LE);
    case RK_DT_U64: return H5Tcopy(H5T_STD_U64LE);
    default: return -1;
    }
}

static rk_status write_dataset(hid_t file, const char *path, const rk_tensor *t, int index,
                               rk_err *e)
{
    char fallback[32];
    snprintf(fallback, sizeof fallback, "tensor_%d", index);
    const char *label = t->name && t->name[0] ? t->name : fallback;
    hid_t type = file_type_for(t->dtype);
    if (type < 0)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: cannot write %s tensor '%s'", path,
                       rk_dtype_name(t->dtype), label);
    rk_status st = RK_OK;
    hsize_t hdims[RK_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++)
        hdims[i] = (hsize_t)t->dims[i];
    hid_t space = t->ndim ? H5Screate_simple(t->ndim, hdims, NULL) : H5Screate(H5S_SCALAR);
    char *dsname = escape_name(label);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    hid_t ds = dsname ? H5Dcreate2(file, dsname, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT) : -1;
    if (ds < 0)
        st = rk_errf(e, RK_EIO, "%s: cannot create dataset '%s' (duplicate name?)", path, label);
    else if (t->nelem && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data) < 0)
        st = rk_errf(e, RK_EIO, "%s: cannot write dataset '%s'", path, label);
    if (ds >= 0)
        H5Dclose(ds);
    H5Pclose(lcpl);
    free(dsname);
    H5Sclose(space);
    H5Tclose(type);
    return st;
}

rk_status rk_h5_write(const char *path, const rk_tensor *ts, int n, rk_err *e)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    /* Track creation order so readers list tensors in the order written. */
    H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    if (file < 0)
        return rk_errf(e, RK_EIO, "%s: cannot create HDF5 file", path);
    rk_status st = RK_OK;
    for (int i = 0; i < n && st == RK_OK; i++)
        st = write_dataset(file, path, &ts[i], i, e);
    if (H5Fclose(file) < 0 && st == RK_OK)
        st = rk_errf(e, RK_EIO, "%s: cannot finish writing HDF5 file", path);
    return st;
}

rk_status rk_tensorfile_read(const char *path, rk_tensor_list *out, rk_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rk_errf(e, RK_EIO, "%s: cannot open input file", path);
    unsigned char magic[8] = {0};
    size_t got = fread(magic, 1, sizeof magic, f);
    fclose(f);
    if (got >= 6 && memcmp(magic, "\x93NUMPY", 6) == 0) {
        rk_tensor t;
        rk_status st = rk_npy_read(path, &t, e);
        if (st != RK_OK)
            return st;
        return rk_tensor_list_push(out, &t, e);
    }
    if (got == 8 && memcmp(magic, "\x89HDF\r\n\x1a\n", 8) == 0)
        return rk_h5_read(path, out, e);
    return rk_errf(e, RK_EINPUT, "%s: not a .npy or HDF5 file (unrecognised magic bytes)", path);
}
