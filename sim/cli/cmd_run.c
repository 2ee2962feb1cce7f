/* cmd_run.c - `rksim run`: execute a .rknn model at the register level. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "perf.h"
#include "rk_tensorio.h"
#include "rknn.h"
#include "sim.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rksim run MODEL.rknn INPUT... [-o OUT.h5] [--dump-layers LAYERS.h5]\n"
            "                 [--soc SOC] [--raw] [--nhwc] [--lenient] [--quiet]\n"
            "                 [--perf] [--perf-only] [--perf-json FILE] [--param NAME=VALUE]...\n\n"
            "Execute a compiled .rknn model at the register level: the PC sequencer walks the\n"
            "task chain and runs CNA/CORE/DPU/PPU on each op_en; CPU layers (InputOperator,\n"
            "OutputOperator, Reshape, custom ops) run on the host.\n\n"
            "INPUT    HDF5 file (datasets matched by input name, else by position) or one .npy\n"
            "         per model input, in the ONNX model's own shape and layout (NCHW), any\n"
            "         numeric dtype; normalised (mean/std), reordered and quantised as the\n"
            "         model says.  Models with input-shape sets (convert --dynamic-input)\n"
            "         run the set matching the inputs' shapes; other shapes are refused (exit 3).\n"
            "-o FILE  write the outputs to HDF5: float32 NCHW, dequantised (raw native\n"
            "         tensors with --raw).  Without -o a summary is printed.\n"
            "--dump-layers FILE  every tensor the model produces, dequantised, by name.\n"
            "--soc SOC           override the model's SoC (%s).\n"
            "--nhwc              inputs are NHWC (transposed to the model's NCHW).\n"
            "--lenient           on an unknown register/field value/mode, continue and list\n"
            "                    every problem at the end (results may be wrong).\n"
            "--quiet             no progress or summary on stderr.\n"
            "--perf              also print the cycle estimate (eval_perf-style table).\n"
            "--perf-only         only the cycle estimate: no simulation, INPUT not needed.\n"
            "--perf-json FILE    write the cycle estimate as JSON (CSV if FILE ends in .csv).\n"
            "--param NAME=VALUE  override a cycle-model parameter (repeatable).\n\n"
            "exit: 0 ok, 2 usage, 3 bad input, 4 unsupported register/mode/op, 5 internal\n",
            rk_soc_accepted_names());
}

typedef struct progress_state {
    int enabled;
    size_t last_pct;
    struct timespec t0;
} progress_state;

static void progress_cb(void *user, size_t done, size_t total, const char *layer)
{
    progress_state *p = user;
    if (!p->enabled || !total)
        return;
    size_t pct = done * 100 / total;
    if (pct == p->last_pct && done != total)
        return;
    p->last_pct = pct;
    fprintf(stderr, "\rrksim run: task %zu/%zu (%3zu%%) %-40.40s", done, total, pct, layer ? layer : "");
    fflush(stderr);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* Match the loaded tensors to the model inputs: by name, else by position. */
static int assign_inputs(sim *s, rk_tensor_list *given, int nhwc, rk_err *e)
{
    int n = sim_n_inputs(s);
    if (given->count != n)
        return rk_errf(e, RK_EUSAGE, "the model has %d input%s, %d tensor%s given", n, n == 1 ? "" : "s",
                       given->count, given->count == 1 ? "" : "s");
    int *used = calloc((size_t)n, sizeof(int));
    int *pick = calloc((size_t)n, sizeof(int));
    if (!used || !pick) {
        free(used);
        free(pick);
        return rk_errf(e, RK_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        pick[i] = -1;
        const rknn_tensor *t = sim_input_tensor(s, i);
        for (int k = 0; k < given->count; k++)
            if (!used[k] && given->items[k].name && t && t->name && strcmp(given->items[k].name, t->name) == 0) {
                pick[i] = k;
                used[k] = 1;
                break;
            }
    }
    for (int i = 0; i < n; i++)
        if (pick[i] < 0)
            for (int k = 0; k < given->count; k++)
                if (!used[k]) {
                    pick[i] = k;
                    used[k] = 1;
                    break;
                }
    rk_status st = RK_OK;
    for (int i = 0; i < n && !st; i++)
        st = sim_set_input(s, i, &given->items[pick[i]], nhwc != 0, e);
    free(used);
    free(pick);
    return st;
}

static void summarize(const rk_tensor *t)
{
    char shp[64];
    double mn = INFINITY, mx = -INFINITY, sum = 0;
    const float *f = t->dtype == RK_DT_F32 ? t->data : NULL;
    for (int64_t i = 0; f && i < t->nelem; i++) {
        mn = f[i] < mn ? f[i] : mn;
        mx = f[i] > mx ? f[i] : mx;
        sum += f[i];
    }
    if (f)
        printf("%s: %s float32 min %.6g max %.6g mean %.6g\n", t->name ? t->name : "?",
               rk_shape_str(t, shp, sizeof(shp)), mn, mx, t->nelem ? sum / (double)t->nelem : 0.0);
    else
        printf("%s: %s %s (raw)\n", t->name ? t->name : "?", rk_shape_str(t, shp, sizeof(shp)),
               rk_dtype_name(t->dtype));
}

/* The cycle estimate (perf.h), from the command stream alone. */
static rk_status run_perf(const rknn_model *m, rk_soc soc, const char *const *params, size_t n_params,
                          const char *json, int quiet, rk_err *e)
{
    if (soc == RK_SOC_UNKNOWN)
        soc = rk_soc_from_name(m->soc);
    if (soc == RK_SOC_UNKNOWN && m->format)
        soc = rk_soc_from_format_string(m->format);
    rk_perf_params pp;
    rk_perf_result r;
    memset(&r, 0, sizeof(r));
    rk_status st = rk_perf_params_with_overrides(soc, params, n_params, &pp, e);
    if (st)
        return st;
    if ((st = rk_perf_model_estimate(m, soc, &pp, &r, e)))
        return st;
    if (!quiet || !json)
        st = rk_perf_print_table(stdout, &r, e);
    if (!st && json)
        st = rk_perf_write_file(&r, json, e);
    rk_perf_result_free(&r);
    return st;
}

int cmd_run(int argc, char **argv)
{
    const char *model_path = NULL, *out_path = NULL, *layers_path = NULL, *soc_name = NULL;
    const char *inputs[16];
    int n_inputs = 0, raw = 0, nhwc = 0, lenient = 0, quiet = 0, perf = 0, perf_only = 0;
    const char *perf_json = NULL;
    const char *params[64];
    size_t n_params = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return RK_EXIT_OK;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (++i >= argc)
                return cli_usage_error("run", "%s needs a file name", a);
            out_path = argv[i];
        } else if (strcmp(a, "--dump-layers") == 0) {
            if (++i >= argc)
                return cli_usage_error("run", "--dump-layers needs a file name");
            layers_path = argv[i];
        } else if (strcmp(a, "--soc") == 0) {
            if (++i >= argc)
                return cli_usage_error("run", "--soc needs a SoC name (%s)", rk_soc_accepted_names());
            soc_name = argv[i];
        } else if (strcmp(a, "--raw") == 0) {
            raw = 1;
        } else if (strcmp(a, "--nhwc") == 0) {
            nhwc = 1;
        } else if (strcmp(a, "--lenient") == 0) {
            lenient = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--perf") == 0) {
            perf = 1;
        } else if (strcmp(a, "--perf-only") == 0) {
            perf = perf_only = 1;
        } else if (strcmp(a, "--perf-json") == 0) {
            if (++i >= argc)
                return cli_usage_error("run", "--perf-json needs a file name");
            perf_json = argv[i];
            perf = 1;
        } else if (strcmp(a, "--param") == 0) {
            if (++i >= argc || !strchr(argv[i], '='))
                return cli_usage_error("run", "--param needs NAME=VALUE");
            if (n_params == sizeof(params) / sizeof(params[0]))
                return cli_usage_error("run", "too many --param options");
            params[n_params++] = argv[i];
            perf = 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("run", "unknown option '%s'", a);
        } else if (!model_path) {
            model_path = a;
        } else if (n_inputs < (int)(sizeof(inputs) / sizeof(inputs[0]))) {
            inputs[n_inputs++] = a;
        } else {
            return cli_usage_error("run", "too many input files");
        }
    }
    if (!model_path)
        return cli_usage_error("run", "missing MODEL.rknn");
    if (!n_inputs && !perf_only)
        return cli_usage_error("run", "missing INPUT (an HDF5 file or one .npy per model input)");
    sim_options opt = {0};
    if (soc_name) {
        opt.soc = rk_soc_from_name(soc_name);
        if (opt.soc == RK_SOC_UNKNOWN)
            return cli_usage_error("run", "unknown SoC '%s' (accepted: %s)", soc_name, rk_soc_accepted_names());
    }
    opt.lenient = lenient != 0;
    opt.keep_layers = layers_path != NULL;
    progress_state prog = {0};
    prog.enabled = !quiet && cli_stderr_is_tty();
    prog.last_pct = (size_t)-1;
    opt.progress = progress_cb;
    opt.progress_user = &prog;
    openblas_set_num_threads(1);

    rk_err e = {0};
    rknn_model *m = NULL;
    sim *s = NULL;
    rk_tensor_list given = {0}, outs = {0}, layers = {0};
    int rc = RK_EXIT_OK;
    if (rknn_load_file(model_path, &m, &e))
        goto fail;
    for (int i = 0; i < n_inputs; i++)
        if (rk_tensorfile_read(inputs[i], &given, &e))
            goto fail;
    /* dynamic models: the input shapes pick the set (before --perf, which
     * estimates the active set; --perf-only without inputs: set 0) */
    uint32_t set = 0;
    if (n_inputs && rknn_select_shape_set(m, given.items, given.count, nhwc != 0, &set, &e))
        goto fail;
    if (!quiet && rknn_n_shape_sets(m) > 1) {
        char shapes[512];
        rknn_shape_set_str(m, 0, shapes, sizeof shapes);
        fprintf(stderr, "rksim run: input-shape set %u of %u: %s\n", set + 1, rknn_n_shape_sets(m), shapes);
    }
    if (perf && run_perf(m, opt.soc, params, n_params, perf_json, quiet, &e))
        goto fail;
    if (perf_only)
        goto done;
    if (sim_create(m, &opt, &s, &e))
        goto fail;
    if (assign_inputs(s, &given, nhwc, &e))
        goto fail;
    rk_tensor_list_free(&given); /* the sim keeps its own copies; peak memory */
    double t0 = now_s(), c0 = cpu_s();
    rk_status st = sim_run(s, &e);
    double dt = now_s() - t0, ct = cpu_s() - c0;
    if (prog.enabled)
        fprintf(stderr, "\n");
    size_t n_issues;
    const char *const *issues = sim_issues(s, &n_issues);
    for (size_t i = 0; i < n_issues; i++)
        fprintf(stderr, "rksim run: lenient: %s\n", issues[i]);
    if (st)
        goto fail;
    for (int i = 0; i < sim_n_outputs(s); i++) {
        rk_tensor t = {0};
        if (sim_get_output(s, i, raw != 0, &t, &e))
            goto fail;
        if (rk_tensor_list_push(&outs, &t, &e)) {
            rk_tensor_free(&t);
            goto fail;
        }
    }
    if (out_path) {
        if (rk_h5_write(out_path, outs.items, outs.count, &e))
            goto fail;
    } else {
        for (int i = 0; i < outs.count; i++)
            summarize(&outs.items[i]);
    }
    if (layers_path) {
        if (sim_layers(s, &layers, &e) || rk_h5_write(layers_path, layers.items, layers.count, &e))
            goto fail;
    }
    if (!quiet) {
        const sim_stats *ss = sim_get_stats(s);
        fprintf(stderr,
                "rksim run: %llu tasks in %llu chain(s), %llu CPU nodes, %.4f GMAC, %.4f s wall, "
                "%.4f s CPU (%.2f GMAC/s CPU), DRAM image %.1f MiB%s\n",
                (unsigned long long)ss->tasks, (unsigned long long)ss->chains,
                (unsigned long long)ss->cpu_nodes, ss->macs / 1e9, dt, ct, ct > 0 ? ss->macs / 1e9 / ct : 0.0,
                ss->dram_bytes / 1048576.0, n_issues ? " [lenient: results may be wrong]" : "");
    }
    goto done;
fail:
    if (prog.enabled)
        fprintf(stderr, "\n");
    rc = cli_fail("run", &e);
done:
    rk_tensor_list_free(&given);
    rk_tensor_list_free(&outs);
    rk_tensor_list_free(&layers);
    sim_destroy(s);
    rknn_free(m);
    return rc;
}
