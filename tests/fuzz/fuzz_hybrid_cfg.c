/* libFuzzer target: the hybrid quantisation config reader (convert/cv_hybrid.c)
 * must accept or reject any byte string without crashing, leaking or reading
 * out of bounds. */
#include <stddef.h>
#include <stdint.h>

#include "convert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rk_hybrid_cfg cfg;
    if (rk_hybrid_cfg_parse((const char *)data, size, "fuzz.cfg", &cfg, NULL) == RK_OK)
        rk_hybrid_cfg_free(&cfg);
    return 0;
}
