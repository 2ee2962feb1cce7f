/* tensorio-tool: a tiny driver for tests/e2e/tensorio_numpy.sh.
 *   tensorio-tool copy IN OUT.h5   read any tensor file, write HDF5
 *   tensorio-tool npy IN.npy OUT.npy */
#include <stdio.h>
#include <string.h>

#include "rk_tensorio.h"

int main(int argc, char **argv)
{
    rk_err e = {0};
    if (argc == 4 && strcmp(argv[1], "copy") == 0) {
        rk_tensor_list l = {0};
        rk_status st = rk_tensorfile_read(argv[2], &l, &e);
        if (st == RK_OK)
            st = rk_h5_write(argv[3], l.items, l.count, &e);
        rk_tensor_list_free(&l);
        if (st != RK_OK)
            fprintf(stderr, "%s\n", e.msg);
        return st == RK_OK ? 0 : 1;
    }
    if (argc == 4 && strcmp(argv[1], "npy") == 0) {
        rk_tensor t;
        rk_status st = rk_npy_read(argv[2], &t, &e);
        if (st == RK_OK)
            st = rk_npy_write(argv[3], &t, &e);
        rk_tensor_free(&t);
        if (st != RK_OK)
            fprintf(stderr, "%s\n", e.msg);
        return st == RK_OK ? 0 : 1;
    }
    fprintf(stderr, "usage: tensorio-tool copy IN OUT.h5 | npy IN.npy OUT.npy\n");
    return 2;
}
