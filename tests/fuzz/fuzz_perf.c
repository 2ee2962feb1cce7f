/* libFuzzer target: the cycle model must estimate or reject any program
 * (regcmd words + task table) without crashing, hanging or reading out of
 * bounds.  Input layout: byte 0 picks the SoC and core count, then u32 task
 * count n (capped), n 40-byte task records, and the rest is the regcmd
 * buffer (u64 little-endian words). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "perf.h"
#include "rknn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    rk_soc soc = (data[0] & 1) ? RK_SOC_RK3566 : RK_SOC_RK3588;
    char cores[16] = "cores=1";
    cores[6] = (char)('1' + ((data[0] >> 1) % 3));
    uint32_t nt;
    memcpy(&nt, data + 1, 4);
    nt %= 64;
    size_t off = 5;
    if ((size - off) / RKNN_TASK_BYTES < nt)
        nt = (uint32_t)((size - off) / RKNN_TASK_BYTES);
    rknn_task *tasks = calloc(nt ? nt : 1, sizeof(*tasks));
    if (!tasks)
        return 0;
    for (uint32_t i = 0; i < nt; i++, off += RKNN_TASK_BYTES) {
        uint32_t w[8];
        memcpy(w, data + off, sizeof(w));
        tasks[i].op_idx = w[1], tasks[i].enable_mask = w[2], tasks[i].regcfg_amount = w[6];
        memcpy(&tasks[i].regcmd_addr, data + off + 32, 8);
        tasks[i].regcmd_addr %= 1u << 20;
    }
    size_t nw = (size - off) / 8;
    uint64_t *words = calloc(nw ? nw : 1, 8);
    if (words) {
        memcpy(words, data + off, nw * 8);
        rk_perf_params pp;
        rk_perf_result r;
        rk_err e = {0};
        if (rk_perf_params_default(soc, &pp, &e) == RK_OK &&
            rk_perf_param_set(&pp, cores, &e) == RK_OK &&
            rk_perf_program_estimate(words, nw, tasks, nt, &pp, &r, &e) == RK_OK)
            rk_perf_result_free(&r);
    }
    free(words);
    free(tasks);
    return 0;
}
