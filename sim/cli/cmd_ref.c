/* PLACEHOLDER: replaced by the module that implements 'rksim ref'. */
#include <stdio.h>

#include "cli.h"

int cmd_ref(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "rksim ref: not implemented yet\n");
    return RK_EXIT_UNSUPPORTED;
}
