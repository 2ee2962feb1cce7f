/* PLACEHOLDER: replaced by the module that implements 'rksim compare'. */
#include <stdio.h>

#include "cli.h"

int cmd_compare(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "rksim compare: not implemented yet\n");
    return RK_EXIT_UNSUPPORTED;
}
