/* Tests for common/rk_image.c (JPEG/PNG decoding, Pillow-convention resize).
 *
 * Golden data come from PIL (Pillow 9.4 over libjpeg-turbo and zlib, an
 * independent decoder), produced at test time by tests/gen_image_golden.py
 * into the build dir: synthetic images for the cases the real set lacks
 * (grey, 4:4:4 / 4:2:2, restart markers, every PNG colour type and filter),
 * every image under ../shared/datasets/images, files that must be refused,
 * and PIL's BILINEAR resize of PIL-decoded pixels.  JPEG tolerance: our
 * float IDCT vs libjpeg's integer "islow" IDCT round differently, so pixels
 * may differ by a few levels (limit per case in cases.txt: max 4, mean
 * 0.1; seen 3 and 0.045); PNG and resize must match exactly.  Skips when /usr/bin/python3
 * with PIL is missing. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rk_image.h"
#include "rk_tensorio.h"

static char gold_dir[4096];
static bool have_gold;

static int gen_golden(void **state)
{
    (void)state;
    snprintf(gold_dir, sizeof gold_dir, "%s/image-golden", RKSIM_BINARY_DIR);
    if (access("/usr/bin/python3", X_OK) != 0)
        return 0;
    const char *imgs = tu_shared_path("datasets/images");
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s > %s.log 2>&1", tu_source_path("tests/gen_image_golden.py"),
             gold_dir, imgs ? imgs : "", gold_dir);
    have_gold = system(cmd) == 0;
    if (!have_gold)
        fprintf(stderr, "note: image golden generator failed (see %s.log)\n", gold_dir);
    return 0;
}

/* Max and mean absolute difference between an image and a [H,W,3] u8 npy. */
static void diff_npy(const rk_image *im, const char *npy, int *maxd, double *meand)
{
    rk_tensor t;
    rk_err e = {0};
    if (rk_npy_read(npy, &t, &e) != RK_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(t.dtype, RK_DT_U8);
    assert_int_equal(t.ndim, 3);
    if (t.dims[0] != im->h || t.dims[1] != im->w || t.dims[2] != 3)
        fail_msg("%s: size %dx%d, PIL %lldx%lld", npy, im->w, im->h, (long long)t.dims[1], (long long)t.dims[0]);
    const uint8_t *g = t.data;
    double sum = 0;
    *maxd = 0;
    for (int64_t i = 0; i < t.nelem; i++) {
        int d = abs((int)im->rgb[i] - (int)g[i]);
        *maxd = d > *maxd ? d : *maxd;
        sum += d;
    }
    *meand = sum / (double)t.nelem;
    rk_tensor_free(&t);
}

/* Runs every `decode` case whose image path is (real=false) or is not
 * (real=true) under the generator's synth/ folder. */
static int run_decode_cases(bool real)
{
    char path[4200], line[9000];
    snprintf(path, sizeof path, "%s/cases.txt", gold_dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int n = 0, worst = 0;
    double worst_mean = 0;
    while (fgets(line, sizeof line, f)) {
        char img[4200], npy[4200];
        int tol_max;
        double tol_mean;
        if (sscanf(line, "decode %4199s %4199s %d %lf", img, npy, &tol_max, &tol_mean) != 4)
            continue;
        if ((strstr(img, "/synth/") != NULL) == real)
            continue;
        rk_image im;
        rk_err e = {0};
        if (rk_image_read(img, &im, &e) != RK_OK)
            fail_msg("%s", e.msg);
        int maxd;
        double meand;
        diff_npy(&im, npy, &maxd, &meand);
        if (maxd > tol_max || meand > tol_mean)
            fail_msg("%s: max abs diff %d (limit %d), mean %.4f (limit %.4f) vs PIL", img, maxd, tol_max, meand,
                     tol_mean);
        worst = maxd > worst ? maxd : worst;
        worst_mean = meand > worst_mean ? meand : worst_mean;
        rk_image_free(&im);
        n++;
    }
    fclose(f);
    printf("%d %s images decoded; vs PIL: worst max abs diff %d, worst mean abs diff %.4f\n", n,
           real ? "real" : "synthetic", worst, worst_mean);
    return n;
}

static void test_image_synthetic_match_pil(void **state)
{
    (void)state;
    if (!have_gold)
        skip();
    assert_true(run_decode_cases(false) >= 20);
}

static void test_image_shared_images_match_pil(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(dir, "datasets/images");
    (void)dir;
    if (!have_gold)
        skip();
    assert_int_equal(run_decode_cases(true), 47); /* 46 JPEG (2 progressive) + rec_test.png */
}

static void test_image_bad_files_refused(void **state)
{
    (void)state;
    if (!have_gold)
        skip();
    char path[4200], line[9000];
    snprintf(path, sizeof path, "%s/cases.txt", gold_dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char img[4200], word[64];
        rk_image im;
        rk_err e = {0};
        if (sscanf(line, "refuse %4199s %63s", img, word) == 2) {
            if (rk_image_read(img, &im, &e) == RK_OK)
                fail_msg("%s decoded; expected an error mentioning '%s'", img, word);
            if (!strstr(e.msg, img) || !strstr(e.msg, word))
                fail_msg("%s: error '%s' should name the file and say '%s'", img, e.msg, word);
            n++;
        } else if (sscanf(line, "nocrash %4199s", img) == 1) {
            if (rk_image_read(img, &im, &e) == RK_OK)
                rk_image_free(&im);
            else
                assert_non_null(strstr(e.msg, img));
        }
    }
    fclose(f);
    assert_true(n >= 10);
}

/* Every prefix of a small JPEG (sequential, progressive, restart) and PNG:
 * an error naming the file, never a crash; only the whole file decodes. */
static void test_image_every_truncation_fails_cleanly(void **state)
{
    (void)state;
    if (!have_gold)
        skip();
    const char *names[] = {"s420.jpg", "s444_prog.jpg", "restart420.jpg", "grey_prog.jpg", "rgb_l9.png",
                           "palette4.png"};
    for (size_t k = 0; k < RK_ARRAY_LEN(names); k++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/synth/%s", gold_dir, names[k]);
        uint8_t *d;
        size_t len;
        rk_err e = {0};
        assert_int_equal(rk_read_file(path, &d, &len, 0, &e), RK_OK);
        for (size_t n = 0; n < len; n++) {
            rk_image im;
            e.msg[0] = '\0';
            if (rk_image_decode(d, n, "cut", &im, &e) == RK_OK)
                fail_msg("%s cut to %zu of %zu bytes decoded", names[k], n, len);
            assert_non_null(strstr(e.msg, "cut"));
        }
        free(d);
    }
}

static void test_image_resize_matches_pil_bilinear(void **state)
{
    (void)state;
    if (!have_gold)
        skip();
    char path[4200], line[9000];
    snprintf(path, sizeof path, "%s/cases.txt", gold_dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char src[4200], gold[4200];
        int ow, oh;
        if (sscanf(line, "resize %4199s %d %d %4199s", src, &ow, &oh, gold) != 4)
            continue;
        rk_tensor t;
        rk_err e = {0};
        if (rk_npy_read(src, &t, &e) != RK_OK)
            fail_msg("%s", e.msg);
        rk_image in = {(int)t.dims[1], (int)t.dims[0], t.data}, out;
        assert_int_equal(rk_image_resize(&in, ow, oh, &out, &e), RK_OK);
        int maxd;
        double meand;
        diff_npy(&out, gold, &maxd, &meand);
        if (maxd > 0)
            fail_msg("resize %s to %dx%d: max abs diff %d vs PIL BILINEAR (mean %.4f)", src, ow, oh, maxd, meand);
        rk_image_free(&out);
        rk_tensor_free(&t);
        n++;
    }
    fclose(f);
    assert_true(n >= 10);
}

static void test_image_resize_bad_size_refused(void **state)
{
    (void)state;
    uint8_t px[3] = {1, 2, 3};
    rk_image in = {1, 1, px}, out;
    rk_err e = {0};
    assert_int_not_equal(rk_image_resize(&in, 0, 5, &out, &e), RK_OK);
    assert_null(out.rgb);
    assert_int_equal(rk_image_resize(&in, 3, 2, &out, &e), RK_OK); /* 1x1 up: constant */
    for (int i = 0; i < 6; i++)
        assert_memory_equal(out.rgb + 3 * i, px, 3);
    rk_image_free(&out);
}

static void test_image_missing_file_named(void **state)
{
    (void)state;
    rk_image im;
    rk_err e = {0};
    assert_int_not_equal(rk_image_read("/nonexistent/x.jpg", &im, &e), RK_OK);
    assert_non_null(strstr(e.msg, "/nonexistent/x.jpg"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_synthetic_match_pil),
        cmocka_unit_test(test_image_shared_images_match_pil),
        cmocka_unit_test(test_image_bad_files_refused),
        cmocka_unit_test(test_image_every_truncation_fails_cleanly),
        cmocka_unit_test(test_image_resize_matches_pil_bilinear),
        cmocka_unit_test(test_image_resize_bad_size_refused),
        cmocka_unit_test(test_image_missing_file_named),
    };
    return cmocka_run_group_tests(tests, gen_golden, NULL);
}
