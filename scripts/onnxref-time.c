/*
 * scripts/onnxref-time.c - in-process timing of onnxref for
 * scripts/bench-onnxref.sh (built by that script against the build's
 * static libraries; not part of the product).
 *
 *   onnxref-time MODEL.onnx THREADS REPEAT INPUT.npy...
 *
 * Loads the model, reads the .npy inputs (bound by position), runs ox_run
 * REPEAT times and prints one line "load_ms L run_ms R" where R is the
 * median run time, the same quantity scripts/ort-run.js reports for
 * onnxruntime's InferenceSession.run().
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "onnxref.h"
#include "rk_tensorio.h"

#define MAX_INPUTS 16
#define MAX_REPEAT 64

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    rk_err e = {0};
    ox_model *m = NULL;
    rk_tensor in[MAX_INPUTS] = {{0}};
    double runs[MAX_REPEAT];
    if (argc < 5 || argc - 4 > MAX_INPUTS) {
        fprintf(stderr, "usage: onnxref-time MODEL.onnx THREADS REPEAT INPUT.npy...\n");
        return 2;
    }
    int threads = atoi(argv[2]), repeat = atoi(argv[3]), nin = argc - 4;
    if (repeat < 1 || repeat > MAX_REPEAT)
        repeat = 1;
    double t0 = now_ms();
    if (ox_model_load_file(argv[1], &m, &e) != RK_OK || ox_model_check_supported(m, &e) != RK_OK)
        goto fail;
    double load = now_ms() - t0;
    for (int i = 0; i < nin; i++)
        if (rk_npy_read(argv[4 + i], &in[i], &e) != RK_OK)
            goto fail;
    int nout = ox_model_num_outputs(m);
    rk_tensor *outs = calloc((size_t)nout, sizeof *outs);
    if (!outs)
        return 5;
    ox_run_opts opts = {.threads = threads};
    for (int r = 0; r < repeat; r++) {
        double s = now_ms();
        if (ox_run(m, in, nin, &opts, outs, &e) != RK_OK)
            goto fail;
        runs[r] = now_ms() - s;
        for (int i = 0; i < nout; i++)
            rk_tensor_free(&outs[i]);
    }
    qsort(runs, (size_t)repeat, sizeof runs[0], cmp_double);
    printf("load_ms %.3f run_ms %.3f\n", load, runs[repeat / 2]);
    free(outs);
    for (int i = 0; i < nin; i++)
        rk_tensor_free(&in[i]);
    ox_model_free(m);
    return 0;
fail:
    fprintf(stderr, "onnxref-time: %s\n", e.msg);
    return 1;
}
