/* cmd_convert.c - `rksim convert`: ONNX -> .rknn (being written). */
#include <stdio.h>

#include "cli.h"

int cmd_convert(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "rksim convert: not implemented yet\n");
    return RK_EXIT_UNSUPPORTED;
}
