/*
 * cv_calib_src.c - calibration samples from images (`rksim convert --calib
 * DIR | LIST.txt`), decoded by common/rk_image.c, so that no HDF5 file has
 * to be prepared with Python first.
 *
 * Normalisation follows rknn-toolkit2's config(mean_values, std_values):
 * pixel units (0..255), per channel of the model input, x = (pixel -
 * mean) / std; defaults mean 0, std 1 (the raw pixel values).  PaddleOCR det,
 * for example: mean 123.675,116.28,103.53 std 58.395,57.12,57.375 (its
 * 0.485.. / 0.229.. on [0,1] times 255), RGB.  Resizing to the input's
 * H x W uses Pillow's bilinear convention (rk_image.h), the one
 * scripts/make-calib.py uses, so both routes give the same samples up to
 * JPEG IDCT rounding.
 */
#include "cv_calib.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rk_image.h"

void cv_calib_list_free(cv_calib_list *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    l->paths = NULL;
    l->n = 0;
}

static bool is_image_name(const char *f)
{
    const char *dot = strrchr(f, '.');
    return dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png"));
}

static char *join_path(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (p)
        snprintf(p, a + b + 2, "%s%s%s", dir, a && dir[a - 1] == '/' ? "" : "/", name);
    return p;
}

static rk_status list_push(cv_calib_list *l, char *path, rk_err *e)
{
    if (!path)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    char **np = realloc(l->paths, (size_t)(l->n + 1) * sizeof(*np));
    if (!np) {
        free(path);
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    }
    l->paths = np;
    l->paths[l->n++] = path;
    return RK_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static rk_status list_dir(const char *dir, cv_calib_list *l, rk_err *e)
{
    DIR *d = opendir(dir);
    if (!d)
        return rk_errf(e, RK_EIO, "calibration folder %s: %s", dir, strerror(errno));
    rk_status st = RK_OK;
    struct dirent *de;
    while (!st && (de = readdir(d)))
        if (de->d_name[0] != '.' && is_image_name(de->d_name))
            st = list_push(l, join_path(dir, de->d_name), e);
    closedir(d);
    if (st)
        return st;
    if (l->n == 0)
        return rk_errf(e, RK_EINPUT, "calibration folder %s has no .jpg/.jpeg/.png image", dir);
    qsort(l->paths, (size_t)l->n, sizeof(*l->paths), cmp_str);
    return RK_OK;
}

/* rknn-toolkit2 dataset.txt.  Every missing file is counted so the error
 * says how many; the first one is named with its line. */
static rk_status list_file(const char *list, cv_calib_list *l, rk_err *e)
{
    FILE *f = fopen(list, "r");
    if (!f)
        return rk_errf(e, RK_EIO, "calibration list %s: %s", list, strerror(errno));
    char *dir = strdup(list), line[4096];
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (!dir) {
        fclose(f);
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    }
    if (slash)
        slash[1] = '\0';
    else
        strcpy(dir, ".");
    rk_status st = RK_OK;
    int lineno = 0, missing = 0, listed = 0, first_missing_line = 0;
    char first_missing[512] = "";
    while (!st && fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            st = rk_errf(e, RK_EINPUT, "calibration list %s line %d: longer than %zu characters", list, lineno,
                         sizeof line - 1);
            break;
        }
        char *tok = strtok(line, " \t\r\n");
        if (!tok)
            continue;
        if (strtok(NULL, " \t\r\n")) {
            st = rk_errf(e, RK_EUNSUPPORTED,
                         "calibration list %s line %d: several paths on one line (a multi-input model's sample); "
                         "image calibration supports one input - use --calib FILE.h5",
                         list, lineno);
            break;
        }
        if (!is_image_name(tok)) {
            st = rk_errf(e, RK_EUNSUPPORTED, "calibration list %s line %d: '%s' is not a .jpg/.jpeg/.png image", list,
                         lineno, tok);
            break;
        }
        listed++;
        char *path = tok[0] == '/' ? strdup(tok) : join_path(dir, tok);
        if (path && access(path, R_OK) != 0) {
            if (!missing++) {
                snprintf(first_missing, sizeof first_missing, "%s", tok);
                first_missing_line = lineno;
            }
            free(path);
            continue;
        }
        st = list_push(l, path, e);
    }
    fclose(f);
    free(dir);
    if (!st && missing)
        st = rk_errf(e, RK_EINPUT, "calibration list %s line %d: image '%s' not found (%d of the %d listed images are missing)",
                     list, first_missing_line, first_missing, missing, listed);
    if (!st && l->n == 0)
        st = rk_errf(e, RK_EINPUT, "calibration list %s lists no image", list);
    return st;
}

rk_status cv_calib_list_open(const char *src, cv_calib_list *l, rk_err *e)
{
    struct stat sb;
    memset(l, 0, sizeof(*l));
    if (stat(src, &sb) != 0)
        return rk_errf(e, RK_EIO, "calibration source %s: %s", src, strerror(errno));
    rk_status st = S_ISDIR(sb.st_mode) ? list_dir(src, l, e) : list_file(src, l, e);
    if (st)
        cv_calib_list_free(l);
    return st;
}

rk_status cv_calib_image_sample(const char *path, const rk_convert_opts *o, const char *name, int h, int w,
                                rk_tensor *out, rk_err *e)
{
    rk_image im = {0}, rs = {0};
    rk_status st = rk_image_read(path, &im, e);
    if (!st)
        st = rk_image_resize(&im, w, h, &rs, e);
    int64_t dims[4] = {1, 3, h, w};
    if (!st)
        st = rk_tensor_alloc(out, name, RK_DT_F32, 4, dims, e);
    if (!st) {
        float *x = out->data;
        size_t plane = (size_t)h * (size_t)w;
        for (int c = 0; c < 3; c++) {
            int src = o->calib_bgr ? 2 - c : c;
            float mean = o->calib_mean[c], std = o->calib_std[c] != 0 ? o->calib_std[c] : 1.0f;
            for (size_t k = 0; k < plane; k++)
                x[c * plane + k] = ((float)rs.rgb[3 * k + src] - mean) / std;
        }
    }
    rk_image_free(&im);
    rk_image_free(&rs);
    return st;
}
