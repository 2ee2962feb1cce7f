/* PLACEHOLDER: replaced by the module that implements 'rksim info'. */
#include <stdio.h>

#include "cli.h"

int cmd_info(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "rksim info: not implemented yet\n");
    return RK_EXIT_UNSUPPORTED;
}
