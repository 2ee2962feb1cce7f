/* PLACEHOLDER: replaced by the module that implements 'rksim explain'. */
#include <stdio.h>

#include "cli.h"

int cmd_explain(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "rksim explain: not implemented yet\n");
    return RK_EXIT_UNSUPPORTED;
}
