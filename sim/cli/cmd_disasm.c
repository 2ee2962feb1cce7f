/*
 * cmd_disasm.c - `rksim disasm FILE [--soc SOC] [--all-fields] [--set N]`: decode a
 * register command stream, one line per 64-bit entry.
 *
 * Line format (stable; tests parse it):
 *   T<task> [<index>] <BLOCK> <REGISTER> 0x<value8> <FIELD=value ...> [marks]
 *   - task: task number, or "-" for entries outside every task (padding);
 *   - index: entry number in the regcmd buffer (as in the shared dumps);
 *   - BLOCK: PC/CNA/B2000/CORE/DPU/..., or NOP, MARKER (0x0041), OP_EN
 *     (0x0081), ? (unknown target);
 *   - REGISTER: database name, or ?0x<offset> when the SoC has none there;
 *   - fields: non-zero non-reserved fields (all with --all-fields), enum
 *     values as NAME(n), minus-one fields as n(+1=size), address fields as
 *     byte addresses, fields wider than 16 bits and opaque ones in hex, the
 *     rest in decimal;
 *   - marks: !reserved=0x<bits>, !unknown-register, !unknown-target,
 *     !block-absent, !target-mismatch, !overflow:<FIELD>, ~layout-unknown.
 * Task headers are lines starting with '#'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_isa_common.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rksim disasm FILE [--soc SOC] [--all-fields] [--set N]\n"
            "  Decode the register command stream of a .rknn model (container v6)\n"
            "  or of a raw regcmd file (little-endian u64 entries; needs --soc).\n"
            "  One line per entry:\n"
            "    T<task> [<index>] BLOCK REGISTER 0xVALUE FIELD=value ... marks\n"
            "  Enum fields print as NAME(n); size-minus-one fields as n(+1=size).\n"
            "  Marks: !reserved=0xBITS (reserved bits set), !overflow:FIELD (a value\n"
            "  wider than its field), !unknown-register, !unknown-target,\n"
            "  !block-absent, !target-mismatch, ~layout-unknown (not decoded).\n"
            "  --soc SOC     decode with this SoC's register database (%s)\n"
            "  --all-fields  also print fields whose value is 0\n"
            "  --set N       input-shape set N (1-based) of a model with several\n"
            "                (convert --dynamic-input); default 1\n"
            "exit codes: 0 ok, 2 usage, 3 bad input file, 4 unsupported model\n",
            rk_soc_accepted_names());
}

static void print_field(const isa_field *f, uint32_t regval)
{
    uint32_t v = isa_field_get(f, regval);
    const char *en = isa_field_enum_name(f, v);
    if (en)
        printf(" %s=%s(%u)", f->name, en, v);
    else if (f->flags & ISA_F_ADDR)
        printf(" %s=0x%x", f->name, regval & f->mask);
    else if (f->flags & ISA_F_MINUS1)
        printf(" %s=%u(+1=%llu)", f->name, v, (unsigned long long)v + 1);
    else if (f->width > 16 || (f->flags & ISA_F_UNKNOWN))
        printf(" %s=0x%x", f->name, v);
    else
        printf(" %s=%u", f->name, v);
}

static void print_fields(const isa_reg *reg, uint32_t value, bool all)
{
    if (reg->flags & ISA_R_LAYOUT_UNKNOWN)
        return;
    for (size_t i = 0; i < reg->n_fields; i++) {
        const isa_field *f = &reg->fields[i];
        if (f->flags & ISA_F_RESERVED)
            continue;
        if (all || isa_field_get(f, value) != 0)
            print_field(f, value);
    }
}

static void print_marks(rk_soc soc, uint64_t word)
{
    isa_violation v[8];
    size_t n = isa_validate_entry(soc, word, v, RK_ARRAY_LEN(v));
    for (size_t i = 0; i < n && i < RK_ARRAY_LEN(v); i++) {
        switch (v[i].kind) {
        case ISA_V_FIELD_OVERFLOW: printf(" !overflow:%s", v[i].field->name); break;
        case ISA_V_RESERVED_BITS: printf(" !reserved=0x%x", v[i].bad_mask); break;
        case ISA_V_LAYOUT_UNKNOWN: printf(" ~layout-unknown"); break;
        case ISA_V_RULE: printf(" !rule:%s", v[i].detail); break;
        default: printf(" !%s", isa_violation_kind_name(v[i].kind)); break;
        }
    }
}

static void print_entry(const isa_input *in, size_t idx, size_t task, bool all)
{
    uint64_t w = in->words[idx];
    isa_regcmd c = isa_regcmd_decode(w);
    if (task == SIZE_MAX)
        printf("T- ");
    else
        printf("T%zu ", task);
    printf("[%5zu] ", idx);
    isa_block blk;
    const isa_reg *reg = NULL;
    switch (isa_target_classify(c.target, &blk)) {
    case ISA_TGT_NOP:
        printf("%-8s %-28s 0x%08x", "NOP", "-", c.value);
        break;
    case ISA_TGT_MARKER:
        printf("%-8s %-28s 0x%08x", "MARKER", "0x0041", c.value);
        break;
    case ISA_TGT_OP_EN:
        reg = isa_reg_lookup(in->soc, 0xF008); /* value = GLOBAL OPERATION_ENABLE mask */
        printf("%-8s %-28s 0x%08x", "OP_EN", reg ? reg->name : "GLOBAL_OPERATION_ENABLE", c.value);
        break;
    case ISA_TGT_BLOCK:
        reg = isa_reg_lookup(in->soc, c.reg);
        if (reg) {
            printf("%-8s %-28s 0x%08x", isa_block_name(blk), reg->name, c.value);
        } else {
            char unk[16];
            snprintf(unk, sizeof unk, "?0x%04x", c.reg);
            printf("%-8s %-28s 0x%08x", isa_block_name(blk), unk, c.value);
        }
        break;
    case ISA_TGT_UNKNOWN: {
        char unk[24];
        snprintf(unk, sizeof unk, "?0x%04x@0x%04x", c.reg, c.target);
        printf("%-8s %-28s 0x%08x", "?", unk, c.value);
        break;
    }
    }
    if (reg)
        print_fields(reg, c.value, all);
    print_marks(in->soc, w);
    putchar('\n');
}

static void print_task_header(const isa_input *in, size_t t)
{
    const isa_task_desc *d = &in->tasks[t];
    const char *layer = isa_input_layer(in, t);
    if (in->tasks_discovered)
        printf("# task %zu: %u body entries at 0x%llx, enable_mask 0x%x (recovered from the stream)\n",
               t, d->regcfg_amount, (unsigned long long)d->regcmd_addr, d->enable_mask);
    else
        printf("# task %zu: op_idx %u%s%s%s enable_mask 0x%x int_mask 0x%x regcfg_amount %u "
               "regcmd_addr 0x%llx\n",
               t, d->op_idx, layer[0] ? " (" : "", layer, layer[0] ? ")" : "", d->enable_mask,
               d->int_mask, d->regcfg_amount, (unsigned long long)d->regcmd_addr);
}

static int parse_args(int argc, char **argv, const char **file, const char **soc, bool *all,
                      uint32_t *set)
{
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return -1;
        } else if (strcmp(argv[i], "--soc") == 0) {
            if (++i >= argc)
                return cli_usage_error("disasm", "--soc needs a value");
            *soc = argv[i];
        } else if (strcmp(argv[i], "--set") == 0) {
            char *end;
            unsigned long v = ++i < argc ? strtoul(argv[i], &end, 10) : 0;
            if (i >= argc || *end || end == argv[i] || v < 1 || v > UINT32_MAX)
                return cli_usage_error("disasm", "--set needs a set number from 1");
            *set = (uint32_t)(v - 1);
        } else if (strcmp(argv[i], "--all-fields") == 0) {
            *all = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("disasm", "unknown option '%s'", argv[i]);
        } else if (*file) {
            return cli_usage_error("disasm", "more than one FILE given");
        } else {
            *file = argv[i];
        }
    }
    if (!*file)
        return cli_usage_error("disasm", "missing FILE");
    return 0;
}

int cmd_disasm(int argc, char **argv)
{
    const char *file = NULL, *soc = NULL;
    bool all = false;
    uint32_t set = 0;
    int rc = parse_args(argc, argv, &file, &soc, &all, &set);
    if (rc)
        return rc < 0 ? RK_EXIT_OK : rc;
    isa_input in;
    size_t *owner, *starts;
    rc = isa_cli_open("disasm", file, soc, set, &in, &owner, &starts);
    if (rc)
        return rc;
    printf("# %s: %s (%s), %zu regcmd entries, %zu tasks\n", file, rk_soc_name(in.soc),
           isa_soc_info_get(in.soc)->family, in.n_words, in.n_tasks);
    if (in.n_sets > 1) {
        char shapes[256];
        rknn_shape_set_str(in.model, 0, shapes, sizeof shapes);
        printf("# input-shape set %u of %u: %s (--set N for the others)\n", set + 1, in.n_sets, shapes);
    }
    for (size_t i = 0; i < in.n_words; i++) {
        if (starts[i] != SIZE_MAX)
            print_task_header(&in, starts[i]);
        print_entry(&in, i, owner[i], all);
    }
    isa_cli_close(&in, owner, starts);
    return RK_EXIT_OK;
}
