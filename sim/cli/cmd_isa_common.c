/*
 * cmd_isa_common.c - loading .rknn / raw regcmd inputs for disasm and check.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_isa_common.h"

rk_status isa_cli_parse_soc(const char *name, rk_soc *soc, rk_err *e)
{
    *soc = rk_soc_from_name(name);
    if (*soc == RK_SOC_UNKNOWN)
        return rk_errf(e, RK_EUSAGE, "unknown SoC '%s' (accepted: %s)", name ? name : "",
                       rk_soc_accepted_names());
    return RK_OK;
}

static rk_status load_model(isa_input *in, const uint8_t *data, size_t len, uint32_t set, rk_err *e)
{
    rk_status st = rknn_load_buffer(data, len, in->path, &in->model, e);
    if (st)
        return st;
    in->n_sets = rknn_n_shape_sets(in->model);
    if (in->n_sets == 0)
        in->n_sets = 1;
    if (set >= in->n_sets)
        return rk_errf(e, RK_EUSAGE, "%s has %u input-shape set%s; --set %u does not exist", in->path,
                       in->n_sets, in->n_sets == 1 ? "" : "s", set + 1);
    if (set > 0 && (st = rknn_use_graph(in->model, set, e)))
        return rk_err_wrap(e, "%s", in->path);
    in->set = set;
    const uint64_t *words;
    const rknn_task *tasks;
    st = rknn_program(in->model, &words, &in->n_words, &tasks, &in->n_tasks, e);
    if (st)
        return rk_err_wrap(e, "%s", in->path);
    in->words = words;
    in->tasks = rk_calloc_array(in->n_tasks, sizeof *in->tasks);
    if (!in->tasks)
        return rk_errf(e, RK_ENOMEM, "%s: out of memory", in->path);
    for (size_t i = 0; i < in->n_tasks; i++) {
        isa_task_desc *d = &in->tasks[i];
        d->flags = tasks[i].flags;
        d->op_idx = tasks[i].op_idx;
        d->enable_mask = tasks[i].enable_mask;
        d->int_mask = tasks[i].int_mask;
        d->int_clear = tasks[i].int_clear;
        d->int_status = tasks[i].int_status;
        d->regcfg_amount = tasks[i].regcfg_amount;
        d->regcfg_offset = tasks[i].regcfg_offset;
        d->regcmd_addr = tasks[i].regcmd_addr;
    }
    in->model_soc = rk_soc_from_name(in->model->soc);
    if (in->model_soc == RK_SOC_UNKNOWN)
        in->model_soc = rk_soc_from_format_string(in->model->format);
    if (!in->soc_from_option) {
        in->soc = in->model_soc;
        if (in->soc == RK_SOC_UNKNOWN)
            return rk_errf(e, RK_EUNSUPPORTED,
                           "%s: target SoC '%s' (format '%s') is not one rksim knows; pass --soc",
                           in->path, in->model->soc ? in->model->soc : "",
                           in->model->format ? in->model->format : "");
    }
    return RK_OK;
}

static rk_status load_raw(isa_input *in, const uint8_t *data, size_t len, rk_err *e)
{
    if (!in->soc_from_option)
        return rk_errf(e, RK_EUSAGE,
                       "%s is not a .rknn container; a raw regcmd file needs --soc SOC", in->path);
    rk_status st = isa_regcmd_load(data, len, in->path, &in->owned_words, &in->n_words, e);
    if (st)
        return st;
    if (in->n_words == 0)
        return rk_errf(e, RK_EINPUT, "%s: empty regcmd file", in->path);
    in->words = in->owned_words;
    in->tasks_discovered = true;
    return isa_task_discover(in->words, in->n_words, &in->tasks, &in->n_tasks, e);
}

rk_status isa_input_load(const char *path, const char *soc_opt, uint32_t set, isa_input *in, rk_err *e)
{
    memset(in, 0, sizeof *in);
    in->path = path;
    in->n_sets = 1;
    if (soc_opt) {
        rk_status st = isa_cli_parse_soc(soc_opt, &in->soc, e);
        if (st)
            return st;
        in->soc_from_option = true;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    rk_status st = rk_read_file(path, &data, &len, 0, e);
    if (st)
        return st;
    const char *kind = rknn_sniff(data, len);
    if (!kind && set > 0)
        st = rk_errf(e, RK_EUSAGE, "%s: --set applies to .rknn models with input-shape sets", path);
    else
        st = kind ? load_model(in, data, len, set, e) : load_raw(in, data, len, e);
    free(data);
    return st;
}

void isa_input_free(isa_input *in)
{
    if (in->model)
        rknn_free(in->model);
    free(in->owned_words);
    free(in->tasks);
    memset(in, 0, sizeof *in);
}

const char *isa_input_layer(const isa_input *in, size_t task)
{
    if (!in->model || task >= in->n_tasks)
        return "";
    int32_t node = rknn_task_node(in->model, task);
    if (node < 0 || !in->model->graphs || (uint32_t)node >= in->model->graphs[0].n_nodes)
        return "";
    const char *name = in->model->graphs[0].nodes[node].name;
    return name ? name : "";
}

rk_status isa_cli_task_maps(const isa_input *in, size_t **owner, size_t **starts, rk_err *e)
{
    *owner = rk_malloc_array(in->n_words, sizeof **owner);
    *starts = rk_malloc_array(in->n_words, sizeof **starts);
    if (!*owner || !*starts) {
        free(*owner);
        free(*starts);
        *owner = *starts = NULL;
        return rk_errf(e, RK_ENOMEM, "%s: out of memory", in->path);
    }
    for (size_t i = 0; i < in->n_words; i++)
        (*owner)[i] = (*starts)[i] = SIZE_MAX;
    for (size_t t = in->n_tasks; t-- > 0;) {
        uint64_t first = in->tasks[t].regcmd_addr / 8;
        uint64_t end = first + (uint64_t)in->tasks[t].regcfg_amount + ISA_PC_TAIL_ENTRIES;
        if (first >= in->n_words)
            continue;
        (*starts)[first] = t;
        for (uint64_t i = first; i < end && i < in->n_words; i++)
            (*owner)[i] = t;
    }
    return RK_OK;
}

int isa_cli_open(const char *cmd, const char *path, const char *soc_opt, uint32_t set, isa_input *in,
                 size_t **owner, size_t **starts)
{
    rk_err e = {0};
    *owner = *starts = NULL;
    rk_status st = isa_input_load(path, soc_opt, set, in, &e);
    if (!st)
        st = isa_cli_task_maps(in, owner, starts, &e);
    if (!st)
        return 0;
    isa_input_free(in);
    return st == RK_EUSAGE ? cli_usage_error(cmd, "%s", e.msg) : cli_fail(cmd, &e);
}

void isa_cli_close(isa_input *in, size_t *owner, size_t *starts)
{
    free(owner);
    free(starts);
    isa_input_free(in);
}
