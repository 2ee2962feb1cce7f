/* libFuzzer target: the "rksim#partners" table reader (sim/rknn_partner.c)
 * must accept or reject any byte string without crashing, leaking or reading
 * out of bounds; every accepted record is also mapped onto a small grid
 * tensor, which must fail cleanly when the record does not fit it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "rknn_partner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rknn_partner_table t;
    if (rknn_partners_parse(data, size, &t, NULL) != RK_OK)
        return 0;
    int32_t shape[4] = {1, 16, 2, 4};
    rknn_tensor grid = {.name = "fuzz", .shape = shape, .n_shape = 4};
    for (uint32_t i = 0; i < t.n; i++) {
        int64_t *src = NULL, n = 0;
        float *fac = NULL;
        if (rknn_partner_map(&t.v[i], &grid, 128, &src, &fac, &n, NULL) == RK_OK) {
            free(src);
            free(fac);
        }
    }
    rknn_partner_table_free(&t);
    return 0;
}
