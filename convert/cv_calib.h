/* cv_calib.h - calibration sources (cv_calib_src.c: image folders and
 * rknn-toolkit2 dataset lists) and the KL-divergence range search
 * (cv_quant.c), shared with the tests. */
#ifndef RKSIM_CV_CALIB_H
#define RKSIM_CV_CALIB_H

#include <stdint.h>

#include "convert.h"
#include "rk_tensor.h"

/* The image files of a calibration source, in the order they are used. */
typedef struct cv_calib_list {
    char **paths;
    int n;
} cv_calib_list;

/* src: a folder (every .jpg/.jpeg/.png in it, sorted by name; other files
 * ignored) or a list file (rknn-toolkit2 dataset.txt: one image per line,
 * relative paths resolved against the list's folder, blank lines skipped).
 * Errors: no image found; a listed file missing (names it and its line);
 * a line with several paths (multi-input lists are not supported) or a
 * non-image entry. */
rk_status cv_calib_list_open(const char *src, cv_calib_list *l, rk_err *e);
void cv_calib_list_free(cv_calib_list *l);

/* One calibration sample from an image: decoded, resized to w x h
 * (rk_image_resize: Pillow BILINEAR), channels in RGB (or BGR) order,
 * x = (pixel - mean) / std per channel (opts->calib_mean/std/bgr), as a
 * float32 [1,3,h,w] tensor named `name`. */
rk_status cv_calib_image_sample(const char *path, const rk_convert_opts *o, const char *name, int h, int w,
                                rk_tensor *out, rk_err *e);

/* KL-divergence calibration (cv_quant.c) over a histogram of nbins counts
 * spanning [lo, hi]: the window of at least max(CV_KL_LEVELS, nbins / 2)
 * bins (scaled about the zero point; see cv_quant.c) whose clipped
 * distribution P and its CV_KL_LEVELS-level quantisation Q have the least
 * KL(P||Q), the bin holding 0 left out of both.  Returns the window's value
 * range; the whole [lo, hi] when the histogram is empty. */
#define CV_KL_LEVELS 256
void cv_kl_range(const uint32_t *hist, int nbins, double lo, double hi, double *out_lo, double *out_hi);

#endif
