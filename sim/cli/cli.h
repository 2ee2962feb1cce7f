/*
 * cli.h - the rksim command-line front end.  Each subcommand lives in its own
 * cmd_<name>.c and is a thin layer over the libraries: parse options, call
 * the library, print, map rk_status to an exit code (rk_exit_code).
 *
 * Conventions for every subcommand:
 *  - `rksim CMD --help` prints usage to stdout and exits 0.
 *  - usage errors print one line plus "try 'rksim CMD --help'" to stderr and
 *    exit RK_EXIT_USAGE (2).
 *  - library errors print "rksim CMD: <message>" to stderr and exit with
 *    rk_exit_code(status).
 */
#ifndef RKSIM_CLI_H
#define RKSIM_CLI_H

#include "rk_base.h"

typedef int (*cli_cmd_fn)(int argc, char **argv);

int cmd_info(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_ref(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_convert(int argc, char **argv);

/* Print "rksim CMD: msg" for a failed status and return the exit code. */
int cli_fail(const char *cmd, const rk_err *e);
/* Print a usage error and return RK_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* True when argv[i] is "-h" or "--help". */
int cli_is_help(const char *arg);
/* Whether stderr is a terminal (progress output only then). */
int cli_stderr_is_tty(void);

#endif
