/* cmd_convert.c - `rksim convert`: compile an ONNX model to a .rknn. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "compare.h"
#include "convert.h"
#include "rk_tensorio.h"

#define CMD "convert"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rksim convert MODEL.onnx --soc rk3588|rk3566 --dtype int8|fp16 [--calib DIR|LIST.txt|FILE.h5]\n"
            "                     [--mean-values R,G,B] [--std-values R,G,B] [--bgr]\n"
            "                     [--algo normal|mmse|kl] [--input-shape NAME=D0,D1,...[;NAME=...]]\n"
            "                     [--dynamic-input SETS] [--no-cpu-fallback] [--hybrid CFG.yaml]\n"
            "                     [--hybrid-auto N [--hybrid-input FILE.h5]]\n"
            "                     [--quant-method channel|layer] [--no-tiling] [--quiet|--verbose]\n"
            "                     -o OUT.rknn\n\n"
            "Compile a float ONNX model into a .rknn that `rksim info|disasm|check|run` read like\n"
            "a vendor file.  Lowered: Conv (1x1..KxK, stride, pad, group 1 or depthwise) with\n"
            "BatchNormalization folded and Relu/Clip fused, same-shape Add (DPU), MaxPool /\n"
            "AveragePool / GlobalAveragePool (PPU).  Every other op becomes a CPU node computed in\n"
            "float by the simulator (onnxref kernels), dequantised/quantised at its boundaries;\n"
            "consecutive CPU ops form one node (no requantisation between them).\n\n"
            "--soc rk3588|rk3566  target: RK3588 (\"v2\") or RK3566/RK3568 (\"lite\": 8-byte atoms,\n"
            "                 8 CBUF banks, its own register layouts; AveragePool becomes a depthwise\n"
            "                 conv, MaxPool is refused; see convert/README.md).\n"
            "--calib SRC      calibration set; without it one deterministic [0,1) sample is used.\n"
            "                 DIR: every .jpg/.jpeg/.png in it (sorted); LIST.txt: rknn-toolkit2's\n"
            "                 dataset.txt (one image per line, relative to the list's folder).  Images\n"
            "                 are resized to the input's HxW (bilinear, as PIL) and normalised with\n"
            "                 the two options below (one 3-channel input only).  FILE.h5 (.h5/.hdf5):\n"
            "                 one float dataset per input, [S,C,H,W], already normalised.\n"
            "--mean-values R,G,B  --std-values R,G,B  rknn-toolkit2's normalisation in pixel units\n"
            "                 (0..255), in the model's channel order: x = (pixel - mean) / std;\n"
            "                 defaults 0,0,0 and 1,1,1 (raw pixels).  PP-OCR det: 123.675,116.28,103.53\n"
            "                 and 58.395,57.12,57.375.\n"
            "--bgr            feed image channels in BGR order (default RGB).\n"
            "--algo normal|mmse|kl  int8 activation ranges: min/max (default), the range with the\n"
            "                 least quantisation MSE, or the least KL divergence (TensorRT-style\n"
            "                 entropy calibration), both over a histogram (a second calibration pass).\n"
            "--input-shape    fix symbolic input dims, e.g. x=1,3,480,480 (PP-OCR det).\n"
            "--dynamic-input  preset input-shape sets, each compiled to its own task list in one\n"
            "                 .rknn; `rksim run` picks the set matching its input.  Sets separated\n"
            "                 by ';', the inputs of a set by spaces:\n"
            "                 \"x=1,64,1,50;x=1,64,1,100\"  or  \"a=1,3,8,8 b=1,1,8,8;a=1,3,16,16 b=1,1,16,16\".\n"
            "                 int8: --calib data of the largest set (each set uses its leading slice).\n"
            "--hybrid CFG     (int8) rknn-toolkit2 quantization config: the layers listed under\n"
            "                 custom_quantize_layers as float16 run in fp16, int8<->fp16 conversion\n"
            "                 nodes at the boundaries (`rksim compare --hybrid-cfg` writes one).\n"
            "--hybrid-auto N  (int8) convert, compare each NPU layer alone (`rksim compare` single\n"
            "                 mode) on --hybrid-input (default: the first sample of --calib), keep\n"
            "                 the N worst in fp16 and convert again; the config is written to\n"
            "                 OUT.rknn.hybrid.cfg.\n"
            "--no-cpu-fallback  reject ops without NPU lowering (one error listing all of them).\n"
            "--quant-method   int8 weight scales per output channel (default) or one per layer.\n"
            "--no-tiling      stop with the vendor-style REGTASK line when a field would overflow\n"
            "                 (e.g. a width > 8192) instead of splitting the op into tiles.\n\n"
            "exit: 0 ok, 1 field overflow under --no-tiling, 2 usage, 3 bad input,\n"
            "      4 unsupported op/shape/SoC, 5 internal\n");
}

/* "R,G,B" -> v[3]; std values must be non-zero and finite. */
static bool parse_rgb(const char *s, float v[3], bool nonzero)
{
    char *end;
    for (int k = 0; k < 3; k++) {
        double d = strtod(s, &end);
        if (end == s || !(d == d) || d > 1e30 || d < -1e30 || (nonzero && d == 0))
            return false;
        v[k] = (float)d;
        if (k < 2 && *end != ',')
            return false;
        s = end + 1;
    }
    return *end == '\0';
}

/* The first sample ([1,...]) of every tensor of an HDF5 calibration file,
 * written to `out` (the comparison input of --hybrid-auto). */
static rk_status first_sample(const char *calib, const char *out, rk_err *e)
{
    rk_tensor_list l;
    memset(&l, 0, sizeof(l));
    rk_status st = rk_tensorfile_read(calib, &l, e);
    if (st)
        return st;
    rk_tensor *ts = calloc((size_t)l.count + 1, sizeof(rk_tensor));
    int n = 0;
    if (!ts)
        st = rk_errf(e, RK_ENOMEM, "out of memory");
    for (int i = 0; !st && i < l.count; i++, n++) {
        const rk_tensor *t = &l.items[i];
        if (t->ndim < 1 || t->dims[0] < 1) {
            st = rk_errf(e, RK_EINPUT, "%s: '%s' has no sample", calib, t->name);
            break;
        }
        int64_t d[RK_MAX_DIMS];
        memcpy(d, t->dims, sizeof(d));
        d[0] = 1;
        if ((st = rk_tensor_alloc(&ts[n], t->name, t->dtype, t->ndim, d, e)))
            break;
        memcpy(ts[n].data, t->data, (size_t)ts[n].nelem * rk_dtype_size(t->dtype));
    }
    if (!st)
        st = rk_h5_write(out, ts, n, e);
    for (int i = 0; ts && i < n; i++)
        rk_tensor_free(&ts[i]);
    free(ts);
    rk_tensor_list_free(&l);
    return st;
}

/*
 * --hybrid-auto N: convert int8 to OUT.probe.rknn, compare it with the
 * float model in single mode (the compare library: each NPU layer fed the
 * reference inputs), write the N worst layers as a hybrid config with
 * compare's writer (OUT.hybrid.cfg) and point o->hybrid_cfg at it; the
 * caller converts again.  The probe files are removed.
 */
static rk_status hybrid_auto(const char *model, const char *outp, int n, const char *input, rk_convert_opts *o,
                             char *cfg_path, size_t cfg_cap, rk_err *e)
{
    char probe[4096], in_path[4096];
    snprintf(probe, sizeof(probe), "%s.probe.rknn", outp);
    snprintf(in_path, sizeof(in_path), "%s.probe-input.h5", outp);
    snprintf(cfg_path, cfg_cap, "%s.hybrid.cfg", outp);
    rk_convert_report rep;
    memset(&rep, 0, sizeof(rep));
    rknn_model *m = NULL;
    rk_status st = rk_convert_onnx(model, o, &m, &rep, e);
    rk_convert_report_free(&rep);
    if (!st)
        st = rknn_write_file(m, probe, e);
    rknn_free(m);
    if (!st && !input && !o->calib_h5)
        st = rk_errf(e, RK_EUSAGE, "needs --hybrid-input FILE.h5 (or an HDF5 --calib, whose first sample is used)");
    if (!st && !input) {
        st = first_sample(o->calib_h5, in_path, e);
        input = in_path;
    }
    cmp_report r;
    cmp_report_init(&r);
    r.top_n = n;
    cmp_options co;
    cmp_options_default(&co);
    co.single = true;
    co.single_max_layers = 1 << 20;
    if (!st)
        st = cmp_run(model, probe, &input, 1, &co, &r, e);
    if (!st) {
        FILE *f = fopen(cfg_path, "w");
        if (!f) {
            st = rk_errf(e, RK_EIO, "%s: cannot create: %s", cfg_path, strerror(errno));
        } else {
            st = cmp_write_hybrid_cfg(f, &r, e);
            if (fclose(f) != 0 && !st)
                st = rk_errf(e, RK_EIO, "%s: write failed", cfg_path);
        }
    }
    cmp_report_free(&r);
    remove(probe);
    remove(in_path);
    if (st)
        return rk_err_wrap(e, "--hybrid-auto");
    o->hybrid_cfg = cfg_path;
    return RK_OK;
}

int cmd_convert(int argc, char **argv)
{
    const char *model = NULL, *outp = NULL, *soc_name = NULL, *dtype = NULL, *hy_input = NULL;
    int hy_auto = 0;
    char cfg_path[4200];
    rk_convert_opts o;
    memset(&o, 0, sizeof(o));
    bool quiet = false, verbose = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return RK_EXIT_OK;
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) {
            outp = argv[++i];
        } else if (strcmp(a, "--soc") == 0 && i + 1 < argc) {
            soc_name = argv[++i];
        } else if (strcmp(a, "--dtype") == 0 && i + 1 < argc) {
            dtype = argv[++i];
        } else if (strcmp(a, "--calib") == 0 && i + 1 < argc) {
            const char *c = argv[++i], *dot = strrchr(c, '.');
            if (dot && (!strcasecmp(dot, ".h5") || !strcasecmp(dot, ".hdf5")))
                o.calib_h5 = c;
            else
                o.calib_images = c;
        } else if ((strcmp(a, "--mean-values") == 0 || strcmp(a, "--std-values") == 0) && i + 1 < argc) {
            bool is_std = a[2] == 's';
            if (!parse_rgb(argv[++i], is_std ? o.calib_std : o.calib_mean, is_std))
                return cli_usage_error(CMD, "%s needs three comma-separated numbers%s, not '%s'", a,
                                       is_std ? " (non-zero)" : "", argv[i]);
        } else if (strcmp(a, "--bgr") == 0) {
            o.calib_bgr = true;
        } else if (strcmp(a, "--quant-method") == 0 && i + 1 < argc) {
            const char *qm = argv[++i];
            if (strcmp(qm, "layer") != 0 && strcmp(qm, "channel") != 0)
                return cli_usage_error(CMD, "--quant-method must be layer or channel, not '%s'", qm);
            o.weights_per_layer = strcmp(qm, "layer") == 0;
        } else if (strcmp(a, "--algo") == 0 && i + 1 < argc) {
            const char *al = argv[++i];
            if (strcmp(al, "normal") == 0)
                o.algo = RK_CALIB_NORMAL;
            else if (strcmp(al, "mmse") == 0)
                o.algo = RK_CALIB_MMSE;
            else if (strcmp(al, "kl") == 0)
                o.algo = RK_CALIB_KL;
            else
                return cli_usage_error(CMD, "--algo must be normal, mmse or kl, not '%s'", al);
        } else if (strcmp(a, "--input-shape") == 0 && i + 1 < argc) {
            o.input_shapes = argv[++i];
        } else if (strcmp(a, "--dynamic-input") == 0 && i + 1 < argc) {
            o.dynamic_input = argv[++i];
        } else if (strcmp(a, "--hybrid") == 0 && i + 1 < argc) {
            o.hybrid_cfg = argv[++i];
        } else if (strcmp(a, "--hybrid-auto") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 100000)
                return cli_usage_error(CMD, "--hybrid-auto needs a layer count >= 1, not '%s'", argv[i]);
            hy_auto = (int)v;
        } else if (strcmp(a, "--hybrid-input") == 0 && i + 1 < argc) {
            hy_input = argv[++i];
        } else if (strcmp(a, "--no-cpu-fallback") == 0) {
            o.no_cpu_fallback = true;
        } else if (strcmp(a, "--no-tiling") == 0) {
            o.no_tiling = true;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            verbose = true;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = true;
        } else if (a[0] == '-') {
            return cli_usage_error(CMD, "unknown option or missing value: '%s'", a);
        } else if (!model) {
            model = a;
        } else {
            return cli_usage_error(CMD, "more than one model given ('%s')", a);
        }
    }
    if (!model)
        return cli_usage_error(CMD, "missing MODEL.onnx");
    if (!outp)
        return cli_usage_error(CMD, "missing -o OUT.rknn");
    if (!soc_name)
        return cli_usage_error(CMD, "missing --soc (%s)", rk_soc_accepted_names());
    if ((o.soc = rk_soc_from_name(soc_name)) == RK_SOC_UNKNOWN)
        return cli_usage_error(CMD, "unknown SoC '%s' (accepted: %s)", soc_name, rk_soc_accepted_names());
    if (!dtype || (strcmp(dtype, "int8") != 0 && strcmp(dtype, "fp16") != 0))
        return cli_usage_error(CMD, "--dtype must be int8 or fp16");
    o.dtype = strcmp(dtype, "int8") == 0 ? RK_CONVERT_INT8 : RK_CONVERT_FP16;
    if (hy_auto && (o.dtype != RK_CONVERT_INT8 || o.hybrid_cfg))
        return cli_usage_error(CMD, "--hybrid-auto needs --dtype int8 and no --hybrid");
    if (hy_auto && !hy_input && !o.calib_h5)
        return cli_usage_error(CMD, "--hybrid-auto compares on --hybrid-input FILE or the first --calib sample");
    if (hy_input && !hy_auto)
        return cli_usage_error(CMD, "--hybrid-input is only used with --hybrid-auto");

    rk_err e = {0};
    rk_convert_report rep;
    memset(&rep, 0, sizeof(rep));
    rknn_model *m = NULL;
    rk_status st = hy_auto ? hybrid_auto(model, outp, hy_auto, hy_input, &o, cfg_path, sizeof(cfg_path), &e) : RK_OK;
    if (!st && hy_auto && !quiet)
        fprintf(stderr, "hybrid-auto: wrote %s (the %d layers with the worst single-mode error)\n", cfg_path,
                hy_auto);
    if (!st)
        st = rk_convert_onnx(model, &o, &m, &rep, &e);
    if (!st)
        st = rknn_write_file(m, outp, &e);
    enum { NOTES_SHOWN = 25 }; /* big models fuse hundreds of ops: keep stderr readable */
    if (!quiet) {
        for (size_t i = 0; i < rep.n_notes && (verbose || i < NOTES_SHOWN); i++)
            fprintf(stderr, "note: %s\n", rep.notes[i]);
        if (!verbose && rep.n_notes > NOTES_SHOWN)
            fprintf(stderr, "note: ... %zu more notes (--verbose shows all)\n", rep.n_notes - NOTES_SHOWN);
    }
    int rc = RK_EXIT_OK;
    if (st) {
        rc = cli_fail(CMD, &e);
        if (rep.unsupported)
            fprintf(stderr, "every node that cannot be converted:%s\n", rep.unsupported);
    } else if (!quiet)
        fprintf(stderr, "wrote %s: %zu NPU ops, %zu CPU nodes, %zu tasks, %zu tiled, %zu fused (%s, %s)\n", outp,
                rep.n_npu_ops, rep.n_cpu_ops, rep.n_tasks, rep.n_tiled_ops, rep.n_fused, rk_soc_name(o.soc), dtype);
    rknn_free(m);
    rk_convert_report_free(&rep);
    return rc;
}
