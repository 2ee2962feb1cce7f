/* PLACEHOLDER: replaced by the module that implements 'rksim check'. */
#include <stdio.h>

#include "cli.h"

int cmd_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "rksim check: not implemented yet\n");
    return RK_EXIT_UNSUPPORTED;
}
