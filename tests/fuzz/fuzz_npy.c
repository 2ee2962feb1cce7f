/* libFuzzer target: the .npy parser must reject or accept any byte string
 * without crashing, leaking or reading out of bounds. */
#include <stddef.h>
#include <stdint.h>

#include "rk_tensorio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rk_tensor t;
    if (rk_npy_parse(data, size, "fuzz.npy", &t, NULL) == RK_OK)
        rk_tensor_free(&t);
    return 0;
}
