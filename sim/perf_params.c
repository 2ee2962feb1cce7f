/*
 * perf_params.c - the cycle model's parameter tables, one per SoC, and the
 * NAME=VALUE override used by `--param`.
 *
 * Every value carries its source.  "documented" = stated by the TRM, the
 * BSP driver or Rockchip documentation (through ../shared/reference);
 * "measured" = measured on hardware by a named third party; "assumed" = our
 * guess, to be replaced when someone measures it.  Calibration notes: see
 * tests/test_perf_calib.c, which checks the published figures quoted in the
 * citations below.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "perf.h"

/* Sane ranges for overrides: a value outside is almost surely a typo. */
typedef struct param_spec {
    const char *name;
    const char *unit;
    double min, max;
    bool integer;
} param_spec;

static const param_spec k_specs[RK_PP_COUNT] = {
    [RK_PP_CLOCK_MHZ] = {"clock_mhz", "MHz", 1, 5000, false},
    [RK_PP_CORES] = {"cores", "cores", 1, RK_PERF_MAX_CORES, true},
    [RK_PP_KGROUP_INT8] = {"kgroup_int8", "kernels/step", 1, 256, true},
    [RK_PP_KGROUP_FP16] = {"kgroup_fp16", "kernels/step", 1, 256, true},
    [RK_PP_KGROUP_INT4] = {"kgroup_int4", "kernels/step", 1, 512, true},
    [RK_PP_KGROUP_TF32] = {"kgroup_tf32", "kernels/step", 1, 256, true},
    [RK_PP_ATOMC] = {"atomc", "channels/step", 1, 256, true},
    [RK_PP_MAC_EFFICIENCY] = {"mac_efficiency", "fraction", 0.01, 1.0, false},
    [RK_PP_CBUF_BANKS] = {"cbuf_banks", "banks", 1, 64, true},
    [RK_PP_CBUF_BANK_BYTES] = {"cbuf_bank_bytes", "B", 1024, 1 << 24, true},
    [RK_PP_DDR_BYTES_PER_CYCLE] = {"ddr_bytes_per_cycle", "B/cycle", 0.01, 1024, false},
    [RK_PP_DDR_TOTAL_BYTES_PER_CYCLE] = {"ddr_total_bytes_per_cycle", "B/cycle", 0.01, 4096, false},
    [RK_PP_DDR_LATENCY] = {"ddr_latency", "cycles", 0, 1e6, false},
    [RK_PP_DPU_BYTES_PER_CYCLE] = {"dpu_bytes_per_cycle", "B/cycle", 0.01, 1024, false},
    [RK_PP_LUT_BYTES_PER_CYCLE] = {"lut_bytes_per_cycle", "B/cycle", 0.01, 1024, false},
    [RK_PP_PPU_BYTES_PER_CYCLE] = {"ppu_bytes_per_cycle", "B/cycle", 0.01, 1024, false},
    [RK_PP_TASK_FIXED] = {"task_fixed", "cycles", 0, 1e8, false},
    [RK_PP_SUBMIT_FIXED] = {"submit_fixed", "cycles", 0, 1e9, false},
};

const char *rk_perf_src_name(rk_perf_src s)
{
    switch (s) {
    case RK_PERF_DOCUMENTED: return "documented";
    case RK_PERF_MEASURED: return "measured";
    case RK_PERF_ASSUMED: return "assumed";
    case RK_PERF_USER: return "user";
    }
    return "?";
}

static void set(rk_perf_params *pp, rk_perf_param_id id, double v, rk_perf_src src,
                const char *cite)
{
    pp->p[id].name = k_specs[id].name;
    pp->p[id].unit = k_specs[id].unit;
    pp->p[id].value = v;
    pp->p[id].src = src;
    pp->p[id].cite = cite;
}

/* Citations shared by both tables. */
#define CITE_KGROUP "TRM CNA_CONV_CON2.KERNEL_GROUP: 32 kernels/group int8, 16 int16/fp16 (npu-isa.md §2.3)"
#define CITE_EVALPERF                                                                    \
    "rknn-toolkit2 eval_perf RK3588 fp16 conv: NPU cycles = OH*OW*Co*ceil32(Ci)*kh*kw/512 " \
    "(rknn-format.md §4.2)"
#define CITE_DDR                                                                         \
    "fit: eval_perf RK3588 table, RW 8392 KB in 717967 DDR cycles = 11.97 B/cycle "      \
    "(rknn-format.md §4.2); agrees with the ~11 GFLOPS fp16 M=1 K=N=4096 matmul "        \
    "(32 MB of weights in ~3 ms) in Martin Chang's blog (allbilly/rk3588:"               \
    "experimental/matmul_benchmark_blog.md)"
#define CITE_EFF                                                                         \
    "assumed 1.0: no derating needed; the eval_perf conv (80.34% MacUsage) and the "     \
    "matmul blog (900 GFLOPS = 88% of peak) are reproduced by the fill and fixed terms"
#define CITE_LAT "assumed: typical LPDDR4x read latency ~0.5 us at 1 GHz; nobody measured it on the NPU"
#define CITE_DPU "assumed: one 16-byte NC1HWC2 atom per cycle through BS/BN/EW"
#define CITE_LUT "assumed: half the plain DPU rate when the LUT stage is used"
#define CITE_PPU "assumed: one 16-byte input atom per cycle"
#define CITE_TASK                                                                        \
    "assumed: op_en, block start and completion handshake; the PC fetch of the "         \
    "task's regcmd entries is added separately at ddr_bytes_per_cycle"
#define CITE_SUBMIT                                                                      \
    "assumed: ioctl submit, MMIO start and the completion interrupt per PC chain "       \
    "(the only public figure, RK3576 '~1.9 ms per job', is anecdotal; npu-isa.md §9)"

static void fill_rk3588(rk_perf_params *pp)
{
    set(pp, RK_PP_CLOCK_MHZ, 1000, RK_PERF_DOCUMENTED,
        "BSP OPP / devfreq max 1000 MHz (npu-isa.md §5 [S4, S11]); eval_perf MacUsage "
        "arithmetic implies 1 GHz (rknn-format.md §4.2)");
    set(pp, RK_PP_CORES, 1, RK_PERF_DOCUMENTED,
        "cores the run uses (1..3; the SoC has 3, npu-isa.md §5 [S4]); default 1 like the "
        "runtime's default core mask: eval_perf shows WorkLoad(0/1/2) 100%/0%/0% "
        "(rknn-format.md §4.2); 2 or 3 select the vendor file's multi-core variants");
    set(pp, RK_PP_KGROUP_INT8, 32, RK_PERF_DOCUMENTED, CITE_KGROUP);
    set(pp, RK_PP_KGROUP_FP16, 16, RK_PERF_DOCUMENTED, CITE_KGROUP);
    set(pp, RK_PP_KGROUP_INT4, 64, RK_PERF_DOCUMENTED,
        "2048 int4 MAC/cycle/core (npu-isa.md §5) / 32-channel atom; int4 matmul N%64 [S12]");
    set(pp, RK_PP_KGROUP_TF32, 8, RK_PERF_DOCUMENTED,
        "256 tf32 MAC/cycle/core (npu-isa.md §5) / 32-channel atom");
    set(pp, RK_PP_ATOMC, 32, RK_PERF_MEASURED,
        CITE_EVALPERF "; 1024 int8 MAC/cycle = 32 kernels x 32 channels (npu-isa.md §5)");
    set(pp, RK_PP_MAC_EFFICIENCY, 1.0, RK_PERF_ASSUMED, CITE_EFF);
    set(pp, RK_PP_CBUF_BANKS, 12, RK_PERF_DOCUMENTED,
        "384 KB = 12 banks x 32 KB per core (npu-isa.md §5, Mesa/mtx512 [S2, S6])");
    set(pp, RK_PP_CBUF_BANK_BYTES, 32768, RK_PERF_DOCUMENTED, "npu-isa.md §5 / §6.1 (Mesa CBUF_BANK_SIZE)");
    set(pp, RK_PP_DDR_BYTES_PER_CYCLE, 12, RK_PERF_MEASURED, CITE_DDR);
    set(pp, RK_PP_DDR_TOTAL_BYTES_PER_CYCLE, 20, RK_PERF_ASSUMED,
        "assumed: ~60% of the 33.8 GB/s LPDDR4x-4224 x 64-bit peak (npu-isa.md §5 [S11]) "
        "reachable by all NPU cores together; one core alone is held to ddr_bytes_per_cycle");
    set(pp, RK_PP_DDR_LATENCY, 500, RK_PERF_ASSUMED, CITE_LAT);
    set(pp, RK_PP_DPU_BYTES_PER_CYCLE, 16, RK_PERF_ASSUMED, CITE_DPU);
    set(pp, RK_PP_LUT_BYTES_PER_CYCLE, 8, RK_PERF_ASSUMED, CITE_LUT);
    set(pp, RK_PP_PPU_BYTES_PER_CYCLE, 16, RK_PERF_ASSUMED, CITE_PPU);
    set(pp, RK_PP_TASK_FIXED, 1000, RK_PERF_ASSUMED, CITE_TASK);
    set(pp, RK_PP_SUBMIT_FIXED, 10000, RK_PERF_ASSUMED, CITE_SUBMIT);
}

static void fill_rk3566(rk_perf_params *pp)
{
    set(pp, RK_PP_CLOCK_MHZ, 800, RK_PERF_DOCUMENTED,
        "highest OPP of the RK3566 rknpu overlay: 800 MHz (npu-isa.md §5 [S13])");
    set(pp, RK_PP_CORES, 1, RK_PERF_DOCUMENTED, "single core (npu-isa.md §5)");
    set(pp, RK_PP_KGROUP_INT8, 16, RK_PERF_ASSUMED,
        "inferred: 512 int8 MAC/cycle (1 TOPS) and matmul N%16 alignment (npu-isa.md §5 [S12])");
    set(pp, RK_PP_KGROUP_FP16, 8, RK_PERF_ASSUMED,
        "inferred: fp16 matmul N%8 alignment (npu-isa.md §5 [S12]); half the int8 rate");
    set(pp, RK_PP_KGROUP_INT4, 16, RK_PERF_ASSUMED, "assumed: no int4 speed-up on RK3566 (not documented)");
    set(pp, RK_PP_KGROUP_TF32, 4, RK_PERF_ASSUMED, "assumed: not documented for RK3566");
    set(pp, RK_PP_ATOMC, 32, RK_PERF_ASSUMED,
        "inferred: int8 matmul K%32 alignment (npu-isa.md §5 [S12]); fp16 K%16 hints at a "
        "16-channel fp16 atom, not modelled");
    set(pp, RK_PP_MAC_EFFICIENCY, 1.0, RK_PERF_ASSUMED, "assumed: as RK3588");
    set(pp, RK_PP_CBUF_BANKS, 8, RK_PERF_DOCUMENTED,
        "256 KB = 8 banks (RK3568 RFC [S10]; CBUF_CON0 = 0x71 in vendor streams, npu-isa.md §7.1)");
    set(pp, RK_PP_CBUF_BANK_BYTES, 32768, RK_PERF_DOCUMENTED, "256 KB / 8 banks (npu-isa.md §5)");
    set(pp, RK_PP_DDR_BYTES_PER_CYCLE, 8, RK_PERF_ASSUMED,
        "assumed: 32-bit LPDDR4 (~12.8 GB/s peak), about half for the NPU, at 800 MHz");
    set(pp, RK_PP_DDR_TOTAL_BYTES_PER_CYCLE, 8, RK_PERF_ASSUMED,
        "single core: same as ddr_bytes_per_cycle");
    set(pp, RK_PP_DDR_LATENCY, 400, RK_PERF_ASSUMED, CITE_LAT);
    set(pp, RK_PP_DPU_BYTES_PER_CYCLE, 16, RK_PERF_ASSUMED, CITE_DPU);
    set(pp, RK_PP_LUT_BYTES_PER_CYCLE, 8, RK_PERF_ASSUMED, CITE_LUT);
    set(pp, RK_PP_PPU_BYTES_PER_CYCLE, 16, RK_PERF_ASSUMED, CITE_PPU);
    set(pp, RK_PP_TASK_FIXED, 1000, RK_PERF_ASSUMED, CITE_TASK);
    set(pp, RK_PP_SUBMIT_FIXED, 8000, RK_PERF_ASSUMED, CITE_SUBMIT);
}

rk_status rk_perf_params_default(rk_soc soc, rk_perf_params *out, rk_err *e)
{
    memset(out, 0, sizeof(*out));
    out->soc = soc;
    switch (soc) {
    case RK_SOC_RK3588: fill_rk3588(out); return RK_OK;
    case RK_SOC_RK3566: fill_rk3566(out); return RK_OK;
    default: break;
    }
    return rk_errf(e, RK_EUNSUPPORTED,
                   "cycle model: no parameter table for SoC '%s' (have rk3588, rk3566/rk3568)",
                   rk_soc_name(soc));
}

static int find_param(const char *name, size_t len)
{
    for (int i = 0; i < RK_PP_COUNT; i++) {
        if (strlen(k_specs[i].name) == len && strncasecmp(k_specs[i].name, name, len) == 0)
            return i;
    }
    return -1;
}

static void list_names(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < RK_PP_COUNT && used + 1 < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", k_specs[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

rk_status rk_perf_param_set(rk_perf_params *params, const char *assignment, rk_err *e)
{
    char names[600];
    if (!assignment)
        return rk_errf(e, RK_EUSAGE, "--param: missing NAME=VALUE");
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return rk_errf(e, RK_EUSAGE, "--param '%s': expected NAME=VALUE", assignment);
    int id = find_param(assignment, (size_t)(eq - assignment));
    if (id < 0) {
        list_names(names, sizeof(names));
        return rk_errf(e, RK_EUSAGE, "--param '%s': unknown parameter; known: %s", assignment,
                       names);
    }
    const param_spec *sp = &k_specs[id];
    char *end = NULL;
    errno = 0;
    double v = strtod(eq + 1, &end);
    if (eq[1] == '\0' || *end != '\0' || errno != 0 || !isfinite(v))
        return rk_errf(e, RK_EUSAGE, "--param '%s': '%s' is not a number", assignment, eq + 1);
    if (v < sp->min || v > sp->max)
        return rk_errf(e, RK_EUSAGE, "--param '%s': %s must be in [%g, %g] %s", assignment,
                       sp->name, sp->min, sp->max, sp->unit);
    if (sp->integer && v != floor(v))
        return rk_errf(e, RK_EUSAGE, "--param '%s': %s must be a whole number", assignment,
                       sp->name);
    params->p[id].value = v;
    params->p[id].src = RK_PERF_USER;
    params->p[id].cite = "set on the command line (--param)";
    return RK_OK;
}

rk_status rk_perf_params_print(FILE *f, const rk_perf_params *params, rk_err *e)
{
    if (fprintf(f, "Cycle-model parameters for %s:\n", rk_soc_name(params->soc)) < 0)
        return rk_errf(e, RK_EIO, "writing the parameter table failed");
    for (int i = 0; i < RK_PP_COUNT; i++) {
        const rk_perf_param *p = &params->p[i];
        if (fprintf(f, "  %-20s %12g %-14s %-10s %s\n", p->name, p->value, p->unit,
                    rk_perf_src_name(p->src), p->cite) < 0)
            return rk_errf(e, RK_EIO, "writing the parameter table failed");
    }
    return RK_OK;
}

rk_status rk_perf_params_with_overrides(rk_soc soc, const char *const *overrides, size_t n,
                                        rk_perf_params *out, rk_err *e)
{
    rk_status st = rk_perf_params_default(soc, out, e);
    for (size_t i = 0; st == RK_OK && i < n; i++)
        st = rk_perf_param_set(out, overrides[i], e);
    return st;
}
