/*
 * rk_tensorio.h - tensor files: NumPy .npy and HDF5 (one dataset per tensor,
 * named after the model's tensor).
 *
 * Supported element types: float32, float16, float64, int8, uint8, int16,
 * uint16, int32, int64, bool.  Errors name the file and the tensor.
 */
#ifndef RK_TENSORIO_H
#define RK_TENSORIO_H

#include "rk_tensor.h"

/* A list of named tensors.  Zero-initialised is a valid empty list. */
typedef struct rk_tensor_list {
    rk_tensor *items;
    int count;
    int cap;
} rk_tensor_list;

void rk_tensor_list_free(rk_tensor_list *l);
/* Append, taking ownership of t's storage (t is zeroed afterwards). */
rk_status rk_tensor_list_push(rk_tensor_list *l, rk_tensor *t, rk_err *e);
rk_tensor *rk_tensor_list_find(rk_tensor_list *l, const char *name);

rk_status rk_npy_read(const char *path, rk_tensor *t, rk_err *e);
rk_status rk_npy_parse(const uint8_t *buf, size_t len, const char *what,
                       rk_tensor *t, rk_err *e);
rk_status rk_npy_write(const char *path, const rk_tensor *t, rk_err *e);

/* Read every dataset at the root of an HDF5 file (and in groups, with '/'
 * joined names), in creation/alphabetical order. */
rk_status rk_h5_read(const char *path, rk_tensor_list *out, rk_err *e);
/* Write tensors as root datasets named by tensor name.  ONNX names often
 * contain '/', which HDF5 reads as a group separator, so '/' is stored as
 * "%2F" (and '%' as "%25"); rk_h5_read undoes this. */
rk_status rk_h5_write(const char *path, const rk_tensor *ts, int n, rk_err *e);

/* Load an input file: .npy (one tensor, name left NULL -> positional) or
 * HDF5 (by dataset name).  Decided by magic bytes, not extension. */
rk_status rk_tensorfile_read(const char *path, rk_tensor_list *out, rk_err *e);

#endif
