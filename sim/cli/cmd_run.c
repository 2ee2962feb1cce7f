/* PLACEHOLDER: replaced by the module that implements 'rksim run'. */
#include <stdio.h>

#include "cli.h"

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "rksim run: not implemented yet\n");
    return RK_EXIT_UNSUPPORTED;
}
