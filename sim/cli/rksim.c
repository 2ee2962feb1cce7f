/* rksim - entry point: dispatch to a subcommand. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct {
    const char *name;
    cli_cmd_fn fn;
    const char *summary;
} commands[] = {
    {"info", cmd_info, "describe a .rknn model: SoC, I/O, nodes, tasks, memory"},
    {"disasm", cmd_disasm, "decode the register command stream of a .rknn or raw regcmd file"},
    {"check", cmd_check, "validate every register write against the SoC's field widths"},
    {"explain", cmd_explain, "explain the REGTASK/limit lines of an rknn-toolkit2 build log"},
    {"run", cmd_run, "execute a .rknn model at the register level"},
    {"ref", cmd_ref, "run an ONNX model with the float reference interpreter"},
    {"compare", cmd_compare, "per-layer accuracy report: .rknn (simulated) vs ONNX (float)"},
    {"convert", cmd_convert, "compile an ONNX model to a .rknn (int8/fp16, RK3588)"},
};

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: rksim COMMAND [ARGS...]\n"
            "       rksim COMMAND --help\n"
            "       rksim --version\n\n"
            "A cycle-approximate simulator and accuracy checker for Rockchip RK35xx NPUs.\n\n"
            "commands:\n");
    for (size_t i = 0; i < RK_ARRAY_LEN(commands); i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\nexit codes:\n"
            "  0  success\n"
            "  1  a check or threshold failed (check, compare)\n"
            "  2  usage error\n"
            "  3  bad or unreadable input file\n"
            "  4  valid input that rksim does not support\n"
            "  5  internal error\n");
}

int cli_fail(const char *cmd, const rk_err *e)
{
    fprintf(stderr, "rksim %s: %s\n", cmd, e->msg[0] ? e->msg : rk_status_name(e->status));
    return rk_exit_code(e->status ? e->status : RK_EINTERNAL);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "rksim %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\ntry 'rksim %s --help'\n", cmd);
    return RK_EXIT_USAGE;
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cli_stderr_is_tty(void)
{
    return isatty(STDERR_FILENO);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return RK_EXIT_USAGE;
    }
    if (cli_is_help(argv[1])) {
        print_usage(stdout);
        return RK_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("rksim %s\n", RKSIM_VERSION);
        return RK_EXIT_OK;
    }
    for (size_t i = 0; i < RK_ARRAY_LEN(commands); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "rksim: unknown command '%s'\n", argv[1]);
    print_usage(stderr);
    return RK_EXIT_USAGE;
}
