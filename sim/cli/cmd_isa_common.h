/*
 * cmd_isa_common.h - what `rksim disasm` and `rksim check` share: load a
 * .rknn model or a raw regcmd file into (SoC, regcmd words, task table) and
 * name the layer (.rknn node) that owns a task.
 */
#ifndef RKSIM_CMD_ISA_COMMON_H
#define RKSIM_CMD_ISA_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isa.h"
#include "rknn.h"

/* A loaded command stream.  For .rknn files `model` owns the words; for raw
 * regcmd files `owned_words` does and the tasks are recovered from the op_en
 * entries (tasks_discovered). */
typedef struct isa_input {
    const char *path;
    rk_soc soc;
    bool soc_from_option; /* --soc given (overrides the model's own SoC) */
    rk_soc model_soc;     /* the SoC the .rknn was compiled for (UNKNOWN for raw) */
    rknn_model *model;    /* NULL for raw regcmd files */
    uint64_t *owned_words;
    const uint64_t *words;
    size_t n_words;
    isa_task_desc *tasks;
    size_t n_tasks;
    bool tasks_discovered;
    uint32_t set, n_sets; /* input-shape set shown (0-based) of n_sets (1 for static models and raw files) */
} isa_input;

/* Parse `--soc NAME`.  RK_EUSAGE naming the accepted names when unknown. */
rk_status isa_cli_parse_soc(const char *name, rk_soc *soc, rk_err *e);

/* Load FILE.  soc_opt (may be NULL) overrides the model's SoC and is
 * required for raw regcmd files.  Errors: RK_EUSAGE (raw file without
 * --soc), RK_EINPUT (size not a multiple of 8, malformed .rknn),
 * RK_EUNSUPPORTED (v1/v4 model with no command stream, encrypted ...),
 * RK_EIO (unreadable). */
/* `set` picks the input-shape set of a dynamic model (0-based; RK_EUSAGE
 * when the model has fewer); 0 for everything else. */
rk_status isa_input_load(const char *path, const char *soc_opt, uint32_t set, isa_input *in, rk_err *e);
void isa_input_free(isa_input *in);

/* Per-entry maps (malloc'd, n_words long): owner[i] = task owning entry i
 * (body or tail) and starts[i] = task whose body starts at i; SIZE_MAX for
 * none.  When tasks overlap, the lower task number wins. */
rk_status isa_cli_task_maps(const isa_input *in, size_t **owner, size_t **starts, rk_err *e);

/* Load FILE (isa_input_load) and build its task maps (isa_cli_task_maps),
 * printing any error as `rksim CMD: ...`.  Returns 0, or the exit code to
 * return (usage errors included); on failure nothing is left allocated.
 * Release with isa_cli_close. */
int isa_cli_open(const char *cmd, const char *path, const char *soc_opt, uint32_t set, isa_input *in,
                 size_t **owner, size_t **starts);
void isa_cli_close(isa_input *in, size_t *owner, size_t *starts);

/* "Conv:Conv_1" (the node owning task `task`), or "" when unknown. */
const char *isa_input_layer(const isa_input *in, size_t task);

#endif
