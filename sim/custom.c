/* custom.c - the custom-op registry (see custom.h). */
#include "custom.h"

#include <string.h>

#define SIM_CUSTOM_MAX 32

static const sim_custom_op *registry[SIM_CUSTOM_MAX];
static int n_registered;

const sim_custom_op *sim_custom_find(const char *type)
{
    if (!type)
        return NULL;
    for (int i = n_registered - 1; i >= 0; i--)
        if (strcmp(registry[i]->type, type) == 0)
            return registry[i];
    if (strcmp(type, sim_custom_dual_residual.type) == 0)
        return &sim_custom_dual_residual;
    if (strcmp(type, sim_custom_argmax.type) == 0)
        return &sim_custom_argmax;
    return NULL;
}

rk_status sim_custom_register(const sim_custom_op *op, rk_err *e)
{
    if (!op || !op->type || !op->compute)
        return rk_errf(e, RK_EUSAGE, "custom op registration needs a type and a compute function");
    if (n_registered == SIM_CUSTOM_MAX)
        return rk_errf(e, RK_ENOMEM, "custom op table full (%d entries)", SIM_CUSTOM_MAX);
    registry[n_registered++] = op;
    return RK_OK;
}

double sim_custom_attr_number(const rknn_node *node, const char *key, double def, bool *found)
{
    if (found)
        *found = false;
    for (uint32_t i = 0; i < node->n_custom; i++)
        if (node->custom[i].key && strcmp(node->custom[i].key, key) == 0 && !node->custom[i].is_string) {
            if (found)
                *found = true;
            return node->custom[i].number;
        }
    return def;
}
