/*
 * fuzz_onnx.c - libFuzzer target for the onnxref loader: arbitrary bytes as
 * a model file.  Loading must either succeed or fail with a message, never
 * crash, leak or read out of bounds; a loaded model's introspection
 * (inputs, outputs, nodes, attributes, initializers, unsupported-op report)
 * must be consistent.  Seeds: any model.onnx of libonnx-testdata.
 *
 *   cmake -B build-fuzz -DRKSIM_FUZZ=ON -DCMAKE_C_COMPILER=clang
 *   build-fuzz/tests/fuzz_onnx -max_total_time=60 /usr/share/libonnx-testdata/data/node/test_conv*
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "onnxref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const ox_model *m)
{
    volatile size_t sink = 0;
    for (int i = 0; i < ox_model_num_inputs(m); i++)
        sink += strlen(ox_model_input(m, i)->name);
    for (int i = 0; i < ox_model_num_outputs(m); i++)
        sink += strlen(ox_model_output(m, i)->name);
    for (int k = 0; k < ox_model_num_nodes(m); k++) {
        const ox_node *n = ox_model_node(m, k);
        sink += strlen(ox_node_label(n));
        for (int i = 0; i < ox_node_num_inputs(n); i++) {
            const char *nm = ox_node_input_name(n, i);
            sink += strlen(nm);
            if (ox_model_initializer(m, nm))
                sink++;
        }
        for (int i = 0; i < ox_node_num_outputs(n); i++)
            sink += strlen(ox_node_output_name(n, i));
        for (int a = 0; a < ox_node_num_attrs(n); a++) {
            const char *an = ox_node_attr_name(n, a);
            const int64_t *iv;
            const float *fv;
            sink += (size_t)ox_attr_int_or(n, an, 0);
            sink += strlen(ox_attr_string_or(n, an, ""));
            sink += (size_t)(ox_attr_ints(n, an, &iv) + ox_attr_floats(n, an, &fv));
            if (ox_attr_kind(n, an) == OX_ATTR_TENSOR) {
                rk_tensor t;
                rk_err e = {0};
                if (ox_attr_tensor(n, an, &t, &e) == RK_OK)
                    rk_tensor_free(&t);
            }
        }
    }
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ox_model *m = NULL;
    rk_err e = {0};
    if (ox_model_load_buffer(data, size, "fuzz.onnx", NULL, &m, &e) != RK_OK) {
        if (!e.msg[0])
            __builtin_trap(); /* every failure must explain itself */
        return 0;
    }
    walk(m);
    rk_err e2 = {0};
    if (ox_model_check_supported(m, &e2) != RK_OK && !e2.msg[0])
        __builtin_trap();
    ox_model_free(m);
    return 0;
}
