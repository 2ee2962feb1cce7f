/* Tests for the compiler's calibration sources and KL search
 * (convert/cv_calib_src.c, cv_kl_range in convert/cv_quant.c).
 *
 * Golden data: tests/gen_calib_golden.py (run into the build dir at test
 * time) - a numpy implementation of TensorRT's entropy calibration (with
 * our zero-bin and half-histogram rules) on seven histograms (Gaussian,
 * Laplace, ReLU with outliers, asymmetric signed, all negative, all
 * positive, signed with 40 % exact zeros), and PIL + numpy normalised samples (resize
 * BILINEAR, (pixel - mean) / std, RGB / BGR).  Plus hand-derived KL cases
 * and the list/folder rules.  Skips the golden cases when /usr/bin/python3
 * with numpy and PIL is missing. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cv_calib.h"
#include "rk_tensorio.h"

static char gold_dir[4096];
static bool have_gold;

static int gen_golden(void **state)
{
    (void)state;
    snprintf(gold_dir, sizeof gold_dir, "%s/calib-golden", RKSIM_BINARY_DIR);
    if (access("/usr/bin/python3", X_OK) != 0)
        return 0;
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s > %s.log 2>&1", tu_source_path("tests/gen_calib_golden.py"),
             gold_dir, gold_dir);
    have_gold = system(cmd) == 0;
    if (!have_gold)
        fprintf(stderr, "note: calibration golden generator failed (see %s.log)\n", gold_dir);
    return 0;
}

static void test_convert_calib_kl_matches_numpy(void **state)
{
    (void)state;
    if (!have_gold)
        skip();
    char path[4200];
    snprintf(path, sizeof path, "%s/kl_cases.txt", gold_dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int n = 0;
    char name[64];
    double lo, hi, elo, ehi, ekl;
    int nb;
    while (fscanf(f, "%63s %lf %lf %d %lf %lf %lf", name, &lo, &hi, &nb, &elo, &ehi, &ekl) == 7) {
        uint32_t *h = calloc((size_t)nb, sizeof(*h));
        assert_non_null(h);
        for (int i = 0; i < nb; i++)
            assert_int_equal(fscanf(f, "%u", &h[i]), 1);
        double a, b, tol = (hi - lo) * 1e-9;
        cv_kl_range(h, nb, lo, hi, &a, &b);
        if (fabs(a - elo) > tol || fabs(b - ehi) > tol)
            fail_msg("KL %s: [%.9g, %.9g], numpy reference [%.9g, %.9g] (KL %.6g)", name, a, b, elo, ehi, ekl);
        printf("KL %-16s [%.6g, %.6g] -> [%.6g, %.6g]\n", name, lo, hi, a, b);
        free(h);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 7);
}

/* Hand-derived: a delta is represented exactly by every window containing
 * it (KL 0), so the widest one is kept; an empty histogram keeps [lo, hi]. */
static void test_convert_calib_kl_hand_cases(void **state)
{
    (void)state;
    uint32_t h[2048] = {0};
    double a, b;
    cv_kl_range(h, 2048, -1.0, 3.0, &a, &b);
    assert_true(a == -1.0 && b == 3.0);
    h[100] = 1000;
    cv_kl_range(h, 2048, 0.0, 2048.0, &a, &b);
    assert_true(a == 0.0 && b == 2048.0);
}

/* The bin holding 0 does not count: 10^6 zeros in bin 0 and 100 counts in
 * each other bin.  Without bin 0 the histogram is flat, so the whole range
 * has P = Q (every level's bins are equal; bin 0 is empty in both) and
 * KL 0, while every narrower window piles the clipped counts into its last
 * bin (KL > 0): [0, 2048).  Were the spike counted, merging bin 0 with its
 * neighbours would cost ~0.83 ln(i / 256) and the narrowest window would
 * win. */
static void test_convert_calib_kl_zero_spike_ignored(void **state)
{
    (void)state;
    uint32_t h[2048];
    double a, b;
    for (int i = 0; i < 2048; i++)
        h[i] = 100;
    h[0] = 1000000;
    cv_kl_range(h, 2048, 0.0, 2048.0, &a, &b);
    assert_true(a == 0.0 && b == 2048.0);
    /* the same spike on a signed range: bin floor(1024 / 1) = 1024 holds 0 */
    h[0] = 100;
    h[1024] = 1000000;
    cv_kl_range(h, 2048, -1024.0, 1024.0, &a, &b);
    assert_true(a == -1024.0 && b == 1024.0);
}

/* Windows span at least half the histogram.  Mass in bins 1..255 (counts
 * 1001..1255) plus single counts at bins 2040 and 2041: the full search
 * would keep [0, 256) (KL ~5e-9: the two counts clipped into bin 255), but
 * windows of 1024..2040 bins end in an empty bin that receives the clipped
 * counts (Q = 0 < P: infinite), so the answer keeps the far counts:
 * [0, b) with b >= 2041. */
static void test_convert_calib_kl_half_histogram_minimum(void **state)
{
    (void)state;
    uint32_t h[2048] = {0};
    double a, b;
    for (int i = 0; i < 256; i++)
        h[i] = 1000 + (uint32_t)i;
    h[2040] = 1;
    h[2041] = 1;
    cv_kl_range(h, 2048, 0.0, 2048.0, &a, &b);
    assert_true(a == 0.0 && b >= 2041.0 && b <= 2048.0);
}

static void test_convert_calib_sample_matches_pil_numpy(void **state)
{
    (void)state;
    if (!have_gold)
        skip();
    const char *tags[2] = {"rgb", "bgr"};
    const int hw[2][2] = {{10, 16}, {31, 50}};
    for (int k = 0; k < 2; k++) {
        rk_convert_opts o;
        memset(&o, 0, sizeof(o));
        const float mean[3] = {123.675f, 116.28f, 103.53f}, std[3] = {58.395f, 57.12f, 57.375f};
        memcpy(o.calib_mean, mean, sizeof(mean));
        memcpy(o.calib_std, std, sizeof(std));
        o.calib_bgr = k == 1;
        char png[4200], npy[4200];
        snprintf(png, sizeof png, "%s/sample.png", gold_dir);
        snprintf(npy, sizeof npy, "%s/sample_%s.npy", gold_dir, tags[k]);
        rk_tensor t, g;
        rk_err e = {0};
        assert_int_equal(cv_calib_image_sample(png, &o, "x", hw[k][0], hw[k][1], &t, &e), RK_OK);
        assert_int_equal(rk_npy_read(npy, &g, &e), RK_OK);
        assert_int_equal(t.nelem, g.nelem);
        assert_string_equal(t.name, "x");
        const float *a = t.data, *b = g.data;
        for (int64_t i = 0; i < t.nelem; i++)
            if (fabsf(a[i] - b[i]) > 1e-5f)
                fail_msg("%s sample element %lld: %g, PIL+numpy %g", tags[k], (long long)i, a[i], b[i]);
        rk_tensor_free(&t);
        rk_tensor_free(&g);
    }
}

/* Default normalisation: mean 0, std 1 (std 0 = unset): raw pixel values. */
static void test_convert_calib_sample_default_is_raw_pixels(void **state)
{
    (void)state;
    if (!have_gold)
        skip();
    rk_convert_opts o;
    memset(&o, 0, sizeof(o));
    char png[4200];
    snprintf(png, sizeof png, "%s/sample.png", gold_dir);
    rk_tensor t;
    rk_err e = {0};
    assert_int_equal(cv_calib_image_sample(png, &o, "x", 23, 37, &t, &e), RK_OK); /* native size: no resize */
    const float *v = t.data;
    float lo = 255, hi = 0;
    for (int64_t i = 0; i < t.nelem; i++) {
        assert_true(v[i] == floorf(v[i]));
        lo = fminf(lo, v[i]);
        hi = fmaxf(hi, v[i]);
    }
    assert_true(lo >= 0 && hi <= 255 && hi > lo);
    rk_tensor_free(&t);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_convert_calib_folder_sorted_images_only(void **state)
{
    (void)state;
    char dir[4200], p[4300];
    snprintf(dir, sizeof dir, "%s/calib-folder", RKSIM_BINARY_DIR);
    mkdir(dir, 0755);
    const char *files[] = {"b.png", "a.JPG", "c.jpeg", "notes.txt", "d.bmp"};
    for (size_t i = 0; i < RK_ARRAY_LEN(files); i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        write_file(p, "x");
    }
    cv_calib_list l;
    rk_err e = {0};
    assert_int_equal(cv_calib_list_open(dir, &l, &e), RK_OK);
    assert_int_equal(l.n, 3);
    assert_non_null(strstr(l.paths[0], "/a.JPG"));
    assert_non_null(strstr(l.paths[1], "/b.png"));
    assert_non_null(strstr(l.paths[2], "/c.jpeg"));
    cv_calib_list_free(&l);

    /* a list file: relative to its folder, blank lines skipped */
    snprintf(p, sizeof p, "%s/list.txt", dir);
    write_file(p, "./b.png\n\n  a.JPG  \r\n");
    assert_int_equal(cv_calib_list_open(p, &l, &e), RK_OK);
    assert_int_equal(l.n, 2);
    assert_non_null(strstr(l.paths[0], "calib-folder/./b.png"));
    cv_calib_list_free(&l);
    write_file(p, "b.png\nmissing.jpg\n");
    assert_int_equal(cv_calib_list_open(p, &l, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "list.txt line 2: image 'missing.jpg' not found"));
    write_file(p, "b.png a.JPG\n");
    assert_int_equal(cv_calib_list_open(p, &l, &e), RK_EUNSUPPORTED);
    assert_non_null(strstr(e.msg, "line 1"));
    write_file(p, "notes.txt\n");
    assert_int_equal(cv_calib_list_open(p, &l, &e), RK_EUNSUPPORTED);
    write_file(p, "\n");
    assert_int_equal(cv_calib_list_open(p, &l, &e), RK_EINPUT);

    snprintf(p, sizeof p, "%s/empty", dir);
    mkdir(p, 0755);
    assert_int_equal(cv_calib_list_open(p, &l, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "no .jpg/.jpeg/.png"));
}

/* The real rknn-toolkit2 list in ../shared names 6 images that are absent. */
static void test_convert_calib_shared_dataset_list_missing_named(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(list, "datasets/images/ppocr/dataset_20.txt");
    cv_calib_list l;
    rk_err e = {0};
    assert_int_equal(cv_calib_list_open(list, &l, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "line 1: image './french_0.jpg' not found (6 of the 20 listed images are missing)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convert_calib_kl_matches_numpy),
        cmocka_unit_test(test_convert_calib_kl_hand_cases),
        cmocka_unit_test(test_convert_calib_kl_zero_spike_ignored),
        cmocka_unit_test(test_convert_calib_kl_half_histogram_minimum),
        cmocka_unit_test(test_convert_calib_sample_matches_pil_numpy),
        cmocka_unit_test(test_convert_calib_sample_default_is_raw_pixels),
        cmocka_unit_test(test_convert_calib_folder_sorted_images_only),
        cmocka_unit_test(test_convert_calib_shared_dataset_list_missing_named),
    };
    return cmocka_run_group_tests(tests, gen_golden, NULL);
}
