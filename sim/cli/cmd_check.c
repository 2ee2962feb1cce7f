/*
 * cmd_check.c - `rksim check FILE [--soc SOC] [--max N]`: validate every
 * register write of a command stream against one SoC's register database,
 * and the PC task chain against the task table.
 *
 * Each violation is printed twice: first in rknn-toolkit2's own REGTASK
 * wording (for field overflows and reserved bits, which is what the vendor
 * compiler reports; rknn-format.md §5), then in ours: task, regcmd entry,
 * layer (.rknn node owning the task), register, field, bits, value and what
 * the value means.  Exit 1 on any violation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_isa_common.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rksim check FILE [--soc SOC] [--max N]\n"
            "  Validate every register write of a .rknn model (or a raw regcmd file\n"
            "  with --soc) against the SoC's register database: values fit their\n"
            "  fields, no reserved bits set beyond those vendor streams are known to\n"
            "  set (allow-list in isa/regdb/*.regs), blocks exist on the SoC, CBUF\n"
            "  banks fit, and the PC task chain (PC_BASE_ADDRESS/PC_REGISTER_AMOUNTS)\n"
            "  matches the task table with the SoC's amount formula.\n"
            "  --soc SOC  check against this SoC instead of the model's own (%s)\n"
            "  --max N    print at most N violations (default 200; 0 = all)\n"
            "  A model with several input-shape sets (convert --dynamic-input) has one\n"
            "  program per set: every set is checked.\n"
            "exit codes: 0 no violation, 1 violations found, 2 usage, 3 bad input,\n"
            "            4 unsupported (e.g. SoC whose register layouts are unknown)\n",
            rk_soc_accepted_names());
}

typedef struct check_ctx {
    const isa_input *in;
    const size_t *owner;
    size_t printed, max_print;
    size_t by_kind[ISA_V_RULE + 1];
    size_t chain_issues;
    size_t notes;
    const isa_reg *note_regs[16];
    size_t n_note_regs;
} check_ctx;

static bool want_print(check_ctx *c)
{
    c->printed++;
    return c->max_print == 0 || c->printed <= c->max_print;
}

static void print_where(const check_ctx *c, size_t entry)
{
    size_t task = c->owner[entry];
    if (task == SIZE_MAX) {
        printf("  -> entry %zu (outside every task)", entry);
        return;
    }
    const char *layer = isa_input_layer(c->in, task);
    printf("  -> task %zu entry %zu", task, entry);
    if (layer[0])
        printf(", layer '%s'", layer);
}

static void print_vendor_line(const check_ctx *c, const isa_violation *v)
{
    char buf[256];
    uint32_t limit = v->kind == ISA_V_FIELD_OVERFLOW ? v->limit : 0; /* reserved: nothing fits */
    uint16_t off = v->cmd.target == ISA_TARGET_OP_EN ? 0xF008 : v->cmd.reg;
    printf("%s\n", isa_format_regtask(c->in->soc, off, v->bits_lo, limit, v->field_value, buf,
                                      sizeof buf));
}

static void print_overflow(const isa_violation *v)
{
    const isa_field *f = v->field;
    bool m1 = (f->flags & ISA_F_MINUS1) != 0;
    printf(": %s.%s (bits %u:%u, %u bits%s) = 0x%x (%u)", v->reg->name, f->name, f->hi, f->lo,
           f->width, m1 ? ", stores size-1" : "", v->field_value, v->field_value);
    if (f->meaning && f->meaning[0])
        printf(", %s", f->meaning);
    if (m1)
        printf("; the model asks for a size of %llu but the field allows at most %llu",
               (unsigned long long)v->field_value + 1, (unsigned long long)v->limit + 1);
    else
        printf("; the field allows at most 0x%x (%u)", v->limit, v->limit);
    printf(" [%s; layout: %s]\n", isa_violation_kind_name(v->kind), isa_prov_name(f->prov));
}

static void print_violation(check_ctx *c, size_t entry, const isa_violation *v)
{
    c->by_kind[v->kind]++;
    if (!want_print(c))
        return;
    if (v->kind == ISA_V_FIELD_OVERFLOW || v->kind == ISA_V_RESERVED_BITS)
        print_vendor_line(c, v);
    else
        printf("rksim: %s\n", isa_violation_kind_name(v->kind));
    print_where(c, entry);
    if (v->kind == ISA_V_FIELD_OVERFLOW) {
        print_overflow(v);
        return;
    }
    if (v->kind == ISA_V_RESERVED_BITS) {
        printf(": %s bits %u:%u = 0x%x (value 0x%08x) are reserved on %s [%s%s%s]\n",
               v->reg->name, v->bits_hi, v->bits_lo, v->field_value, v->cmd.value,
               rk_soc_name(c->in->soc), isa_violation_kind_name(v->kind),
               v->reg->note && v->reg->note[0] ? "; note: " : "",
               v->reg->note ? v->reg->note : "");
        return;
    }
    printf(": %s (entry target 0x%04x, offset 0x%04x, value 0x%08x) [%s]\n", v->detail,
           v->cmd.target, v->cmd.reg, v->cmd.value, isa_violation_kind_name(v->kind));
}

static void note_layout_unknown(check_ctx *c, const isa_violation *v)
{
    c->notes++;
    if (!v->reg)
        return; /* outside the SoC's (unknown) register map: counted only */
    for (size_t i = 0; i < c->n_note_regs; i++)
        if (c->note_regs[i] == v->reg)
            return;
    if (c->n_note_regs < RK_ARRAY_LEN(c->note_regs))
        c->note_regs[c->n_note_regs++] = v->reg;
}

static void check_entries(check_ctx *c)
{
    for (size_t i = 0; i < c->in->n_words; i++) {
        isa_violation v[8];
        size_t n = isa_validate_entry(c->in->soc, c->in->words[i], v, RK_ARRAY_LEN(v));
        for (size_t k = 0; k < n && k < RK_ARRAY_LEN(v); k++) {
            if (isa_violation_is_note(v[k].kind))
                note_layout_unknown(c, &v[k]);
            else
                print_violation(c, i, &v[k]);
        }
    }
}

static void on_chain_issue(const isa_chain_issue *is, void *user)
{
    check_ctx *c = user;
    c->chain_issues++;
    if (!want_print(c))
        return;
    const char *layer = isa_input_layer(c->in, is->task);
    printf("rksim: task-chain\n  -> %s%s%s%s [chain]\n", is->msg, layer[0] ? " (layer '" : "",
           layer, layer[0] ? "')" : "");
}

static size_t total_violations(const check_ctx *c)
{
    size_t n = c->chain_issues;
    for (size_t k = 0; k < RK_ARRAY_LEN(c->by_kind); k++)
        n += c->by_kind[k];
    return n;
}

static void print_summary(const check_ctx *c)
{
    const isa_input *in = c->in;
    size_t n = total_violations(c);
    printf("# %s checked as %s", in->path, rk_soc_name(in->soc));
    if (in->model && in->model_soc != in->soc)
        printf(" (compiled for %s)", rk_soc_name(in->model_soc));
    printf(": %zu regcmd entries, %zu tasks, %zu violation%s", in->n_words, in->n_tasks, n,
           n == 1 ? "" : "s");
    if (n) {
        printf(" (");
        const char *sep = "";
        for (size_t k = 0; k < RK_ARRAY_LEN(c->by_kind); k++)
            if (c->by_kind[k]) {
                printf("%s%zu %s", sep, c->by_kind[k], isa_violation_kind_name((isa_violation_kind)k));
                sep = ", ";
            }
        if (c->chain_issues)
            printf("%s%zu task-chain", sep, c->chain_issues);
        printf(")");
    }
    printf("\n");
    if (c->max_print && c->printed > c->max_print)
        printf("# only the first %zu were printed (--max 0 prints all)\n", c->max_print);
    if (c->notes) {
        printf("# %zu write%s to registers whose field layout is unknown on %s were not validated:",
               c->notes, c->notes == 1 ? "" : "s", rk_soc_name(in->soc));
        for (size_t i = 0; i < c->n_note_regs; i++)
            printf(" %s", c->note_regs[i]->name);
        printf("%s\n", c->n_note_regs == RK_ARRAY_LEN(c->note_regs) ? " ..." : "");
    }
}

static int parse_args(int argc, char **argv, const char **file, const char **soc, size_t *max)
{
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return -1;
        } else if (strcmp(argv[i], "--soc") == 0 || strcmp(argv[i], "--max") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("check", "%s needs a value", argv[i]);
            if (argv[i][2] == 's') {
                *soc = argv[++i];
            } else {
                char *end;
                unsigned long v = strtoul(argv[++i], &end, 10);
                if (*end || end == argv[i])
                    return cli_usage_error("check", "--max needs a number, got '%s'", argv[i]);
                *max = v;
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("check", "unknown option '%s'", argv[i]);
        } else if (*file) {
            return cli_usage_error("check", "more than one FILE given");
        } else {
            *file = argv[i];
        }
    }
    if (!*file)
        return cli_usage_error("check", "missing FILE");
    return 0;
}

/* Checks input-shape set `set` of FILE; *n_sets receives how many the
 * model has.  Returns 0, or an exit code for a file that cannot be read. */
static int check_one_set(const char *file, const char *soc, size_t max, uint32_t set, uint32_t *n_sets,
                         size_t *violations, rk_soc *checked)
{
    isa_input in;
    size_t *owner, *starts;
    int rc = isa_cli_open("check", file, soc, set, &in, &owner, &starts);
    if (rc)
        return rc;
    *n_sets = in.n_sets;
    if (in.n_sets > 1) {
        char shapes[256];
        rknn_shape_set_str(in.model, 0, shapes, sizeof shapes);
        printf("# input-shape set %u of %u: %s\n", set + 1, in.n_sets, shapes);
    }
    check_ctx c = {.in = &in, .owner = owner, .max_print = max};
    check_entries(&c);
    rk_err e = {0};
    isa_chain_check(in.soc, in.words, in.n_words, in.tasks, in.n_tasks, on_chain_issue, &c, &e);
    print_summary(&c);
    *checked = in.soc;
    *violations += total_violations(&c);
    isa_cli_close(&in, owner, starts);
    return 0;
}

int cmd_check(int argc, char **argv)
{
    const char *file = NULL, *soc = NULL;
    size_t max = 200;
    int rc = parse_args(argc, argv, &file, &soc, &max);
    if (rc)
        return rc < 0 ? RK_EXIT_OK : rc;
    /* Every input-shape set of a dynamic model has its own program: check them all. */
    uint32_t n_sets = 1;
    size_t n = 0;
    rk_soc checked = RK_SOC_UNKNOWN;
    for (uint32_t set = 0; set < n_sets; set++)
        if ((rc = check_one_set(file, soc, max, set, &n_sets, &n, &checked)))
            return rc;
    if (n)
        return RK_EXIT_CHECK;
    if (!isa_soc_info_get(checked)->layouts_known) {
        fprintf(stderr,
                "rksim check: %s register layouts are not publicly known; only the task "
                "chain was checked\n",
                rk_soc_name(checked));
        return RK_EXIT_UNSUPPORTED;
    }
    return RK_EXIT_OK;
}
