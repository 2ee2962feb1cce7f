/*
 * cpu_fallback.c - run the CPU nodes of converted models (see
 * cpu_fallback.h and convert/cv_cpu.c): dequantise the node's activation
 * inputs (sim_tensor_to_float), run its embedded ONNX graph with onnxref in
 * float, quantise the results into its output tensors
 * (sim_tensor_from_float).  This is what the vendor runtime does for the
 * ops its NPU cannot run (rknn-toolkit2 CPU ops), with our kernels.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu_fallback.h"
#include "onnxref.h"
#include "sim_internal.h"


int32_t sim_cpu_onnx_blob(const rknn_model *m, const rknn_node *n)
{
    if (!m->n_graphs)
        return -1;
    const rknn_graph *g = &m->graphs[0];
    size_t sl = strlen(SIM_CPU_ONNX_BLOB_SUFFIX);
    for (uint32_t k = 0; k < n->n_inputs; k++) {
        int32_t ti = n->inputs[k];
        if (ti < 0 || (uint32_t)ti >= g->n_tensors)
            continue;
        const rknn_tensor *t = &g->tensors[ti];
        size_t l = t->name ? strlen(t->name) : 0;
        if (t->kind == RKNN_KIND_CONST && l >= sl && strcmp(t->name + l - sl, SIM_CPU_ONNX_BLOB_SUFFIX) == 0)
            return ti;
    }
    return -1;
}

static int32_t output_named(const sim *s, const rknn_node *n, const char *name)
{
    for (uint32_t k = 0; k < n->n_outputs; k++) {
        int32_t ti = n->outputs[k];
        if (ti >= 0 && (uint32_t)ti < s->g->n_tensors && s->g->tensors[ti].name &&
            strcmp(s->g->tensors[ti].name, name) == 0)
            return ti;
    }
    return -1;
}

rk_status sim_cpu_onnx_node(sim *s, const rknn_node *n, int32_t blob, rk_err *e)
{
    const rknn_buffer *b = rknn_tensor_buffer(s->model, &s->g->tensors[blob]);
    if (!b || !b->data)
        return rk_errf(e, RK_EINPUT, "CPU node '%s': ONNX definition tensor '%s' has no buffer", n->name,
                       s->g->tensors[blob].name);
    ox_model *om = NULL;
    rk_status st = ox_model_load_buffer(b->data, b->size, s->g->tensors[blob].name, NULL, &om, e);
    if (st)
        return rk_err_wrap(e, "CPU node '%s': its ONNX definition", n->name);
    int nin = 0, nout = ox_model_num_outputs(om);
    rk_tensor *ins = calloc((size_t)n->n_inputs + 1, sizeof(*ins));
    rk_tensor *outs = calloc((size_t)nout + 1, sizeof(*outs));
    if (!ins || !outs) {
        st = rk_errf(e, RK_ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t k = 0; k < n->n_inputs; k++) {
        const rknn_tensor *t = &s->g->tensors[n->inputs[k]];
        if (n->inputs[k] == blob || t->kind == RKNN_KIND_CONST || t->kind == RKNN_KIND_CONST5)
            continue; /* constants travel inside the ONNX definition */
        if ((st = sim_tensor_to_float(s, n->inputs[k], &ins[nin], e)))
            goto out;
        nin++;
    }
    if ((st = ox_run(om, ins, nin, NULL, outs, e)))
        goto out;
    for (int k = 0; k < nout; k++) {
        int32_t ti = outs[k].name ? output_named(s, n, outs[k].name) : -1;
        if (ti < 0) {
            st = rk_errf(e, RK_EINPUT, "CPU node '%s': its ONNX graph output '%s' is not an output of the node",
                         n->name, outs[k].name ? outs[k].name : "");
            goto out;
        }
        if (outs[k].dtype != RK_DT_F32) {
            st = rk_errf(e, RK_EUNSUPPORTED, "CPU node '%s': output '%s' is %s, not float", n->name, outs[k].name,
                         rk_dtype_name(outs[k].dtype));
            goto out;
        }
        if ((st = sim_tensor_from_float(s, ti, &outs[k], e)))
            goto out;
    }
out:
    for (int k = 0; ins && k < nin; k++)
        rk_tensor_free(&ins[k]);
    for (int k = 0; outs && k < nout; k++)
        rk_tensor_free(&outs[k]);
    free(ins);
    free(outs);
    ox_model_free(om);
    return st;
}
