/* PLACEHOLDER: replaced by the module that implements 'rksim disasm'. */
#include <stdio.h>

#include "cli.h"

int cmd_disasm(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "rksim disasm: not implemented yet\n");
    return RK_EXIT_UNSUPPORTED;
}
