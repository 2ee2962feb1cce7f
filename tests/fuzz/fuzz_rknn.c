/* libFuzzer target: the .rknn reader must accept or reject any byte string
 * without crashing, leaking, hanging or reading out of bounds; a model it
 * accepts must survive the queries the CLI makes and, when rewritable,
 * write out and read back equal (the writer's round-trip property). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "rknn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const rknn_model *m)
{
    rknn_memory mem;
    rknn_memory_usage(m, &mem);
    for (uint32_t i = 0; i < m->graphs[0].n_nodes; i++) {
        uint32_t first, count;
        (void)rknn_node_task_range(m, i, &first, &count, NULL);
    }
    for (size_t t = 0; t < m->n_tasks; t++)
        (void)rknn_task_node(m, t);
    for (uint32_t i = 0; i < m->graphs[0].n_tensors; i++) {
        const rknn_tensor *t = &m->graphs[0].tensors[i];
        (void)rknn_tensor_buffer(m, t);
        (void)rknn_find_reloc(m, t->name);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rknn_model *m = NULL;
    rk_err e = {0};
    if (rknn_load_buffer(data, size, "fuzz.rknn", &m, &e) != RK_OK)
        return 0;
    exercise(m);
    uint8_t *out = NULL;
    size_t len = 0;
    if (rknn_write_buffer(m, &out, &len, &e) == RK_OK) {
        rknn_model *b = NULL;
        char msg[256];
        if (rknn_load_buffer(out, len, "rewritten", &b, &e) != RK_OK ||
            !rknn_model_equal(m, b, msg, sizeof(msg)))
            abort(); /* the writer broke the round trip */
        rknn_free(b);
        free(out);
    }
    rknn_free(m);
    return 0;
}
