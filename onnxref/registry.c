/*
 * registry.c - choosing a kernel for (domain, op_type, opset).
 *
 * Every operator family's table (ox_op.h) is searched; among entries with
 * the node's op_type and domain, the one with the largest `since` that is
 * <= the model's opset wins (ONNX versioning: an op version stays in force
 * until the next semantic change).  Families whose source file does not
 * exist yet are left out at compile time (see CMakeLists.txt).
 */
#include <string.h>

#include "ox_internal.h"

static const ox_op_def *const op_tables[] = {
    ox_ops_control,
    ox_ops_sequence,
#ifdef OX_HAVE_OPS_ELEMENTWISE
    ox_ops_elementwise,
#endif
#ifdef OX_HAVE_OPS_NN
    ox_ops_nn,
#endif
#ifdef OX_HAVE_OPS_SHAPE
    ox_ops_shape,
#endif
#ifdef OX_HAVE_OPS_REDUCE
    ox_ops_reduce,
#endif
#ifdef OX_HAVE_OPS_MISC
    ox_ops_misc,
#endif
#ifdef OX_HAVE_OPS_LOSS
    ox_ops_loss,
#endif
#ifdef OX_HAVE_OPS_TRAINING
    ox_ops_training,
#endif
#ifdef OX_HAVE_OPS_SIGNAL
    ox_ops_signal,
#endif
#ifdef OX_HAVE_OPS_TEXT
    ox_ops_text,
#endif
    NULL,
};

static bool same_domain(const char *a, const char *b)
{
    if (!a || strcmp(a, "ai.onnx") == 0)
        a = "";
    if (!b || strcmp(b, "ai.onnx") == 0)
        b = "";
    return strcmp(a, b) == 0;
}

const ox_op_def *ox_registry_find(const char *domain, const char *op_type, int opset)
{
    const ox_op_def *best = NULL;
    for (size_t t = 0; op_tables[t]; t++)
        for (const ox_op_def *d = op_tables[t]; d->op_type; d++) {
            if (strcmp(d->op_type, op_type) != 0 || !same_domain(d->domain, domain))
                continue;
            if (d->since <= opset && (!best || d->since > best->since))
                best = d;
        }
    return best;
}
