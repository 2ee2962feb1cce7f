/* libFuzzer target: the JPEG / PNG decoders (common/rk_image.c) must
 * reject or accept any byte string without crashing, leaking, hanging or
 * reading out of bounds; a decoded image is also resized (small target) to
 * exercise the resize path on arbitrary sizes. */
#include <stddef.h>
#include <stdint.h>

#include "rk_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rk_image im, small;
    if (rk_image_decode(data, size, "fuzz.img", &im, NULL) != RK_OK)
        return 0;
    if ((int64_t)im.w * im.h <= 1 << 16 && rk_image_resize(&im, 1 + im.w % 17, 1 + im.h % 13, &small, NULL) == RK_OK)
        rk_image_free(&small);
    rk_image_free(&im);
    return 0;
}
