/* cmd_convert.c - `rksim convert`: compile an ONNX model to a .rknn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "convert.h"

#define CMD "convert"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rksim convert MODEL.onnx --soc rk3588|rk3566 --dtype int8|fp16 [--calib DIR|LIST.txt|FILE.h5]\n"
            "                     [--mean-values R,G,B] [--std-values R,G,B] [--bgr]\n"
            "                     [--algo normal|mmse|kl] [--input-shape NAME=D0,D1,...[;NAME=...]]\n"
            "                     [--dynamic-input SETS] [--no-cpu-fallback]\n"
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

int cmd_convert(int argc, char **argv)
{
    const char *model = NULL, *outp = NULL, *soc_name = NULL, *dtype = NULL;
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

    rk_err e = {0};
    rk_convert_report rep;
    memset(&rep, 0, sizeof(rep));
    rknn_model *m = NULL;
    rk_status st = rk_convert_onnx(model, &o, &m, &rep, &e);
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
    if (st)
        rc = cli_fail(CMD, &e);
    else if (!quiet)
        fprintf(stderr, "wrote %s: %zu NPU ops, %zu CPU nodes, %zu tasks, %zu tiled, %zu fused (%s, %s)\n", outp,
                rep.n_npu_ops, rep.n_cpu_ops, rep.n_tasks, rep.n_tiled_ops, rep.n_fused, rk_soc_name(o.soc), dtype);
    rknn_free(m);
    rk_convert_report_free(&rep);
    return rc;
}
