/*
 * rk_image.h - JPEG / PNG decoding to 8-bit RGB and a bilinear resize, for
 * calibration images (`rksim convert --calib DIR|LIST.txt`).  No library
 * dependency: our own Huffman JPEG and inflate/PNG decoders.
 *
 * JPEG: baseline / extended sequential (SOF0, SOF1) and progressive (SOF2)
 * Huffman, 8-bit precision, 1 (grey) or 3 (YCbCr, JFIF) components, any
 * sampling factors 1..4 (4:2:0 / 4:2:2 chroma upsampled with the
 * triangle ("fancy") filter as libjpeg does by default, other ratios
 * replicated), restart markers.  Refused with a clear error: arithmetic
 * coding, lossless/hierarchical, 12-bit, 2 or 4 components (CMYK).
 * PNG: bit depth 1/2/4/8 grey and palette, 8 for grey+alpha, RGB, RGBA; all
 * five row filters; CRC and Adler-32 checked.  Alpha is dropped (what
 * PIL's convert('RGB') does).  Refused: 16-bit, Adam7 interlacing.
 *
 * Limits: each side <= RK_IMAGE_MAX_SIDE and w*h <= RK_IMAGE_MAX_PIXELS
 * (checked before anything is allocated), at most 100 JPEG scans.  Errors name the file (the `name`
 * argument) and what is wrong; bad input never crashes.
 */
#ifndef RKSIM_IMAGE_H
#define RKSIM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "rk_base.h"

#define RK_IMAGE_MAX_SIDE 32768
#define RK_IMAGE_MAX_PIXELS (64 * 1024 * 1024)

/* An 8-bit RGB image: rgb holds h rows of w interleaved R,G,B bytes. */
typedef struct rk_image {
    int w, h;
    uint8_t *rgb;
} rk_image;

void rk_image_free(rk_image *im);

/* Decode a JPEG or PNG held in memory (format from its signature). */
rk_status rk_image_decode(const uint8_t *data, size_t len, const char *name, rk_image *out, rk_err *e);
/* Read and decode a file. */
rk_status rk_image_read(const char *path, rk_image *out, rk_err *e);

/*
 * Bilinear resize to ow x oh with Pillow's convention (Image.resize(...,
 * BILINEAR), what scripts/make-calib.py uses): pixel centres at half-pixel
 * offsets, a triangle filter whose support widens with the scale factor when
 * shrinking (so downscaling averages, i.e. antialiases), separable: a
 * horizontal pass then a vertical pass, each rounded to 8 bits, with 22-bit
 * fixed-point weights.  Chosen so that `--calib DIR` and make-calib.py feed
 * the compiler the same pixels.  Same size: a copy.
 */
rk_status rk_image_resize(const rk_image *in, int ow, int oh, rk_image *out, rk_err *e);

#endif
