/* tensor_set.c - named tensor collection and the capturing onnxref run. */
#include "tensor_set.h"

#include <stdlib.h>
#include <string.h>

void cmp_set_free(cmp_tensor_set *s)
{
    for (int i = 0; i < s->n; i++)
        rk_tensor_free(&s->items[i]);
    free(s->items);
    memset(s, 0, sizeof *s);
}

static int find(const cmp_tensor_set *s, const char *name)
{
    for (int i = s->n - 1; i >= 0; i--)
        if (strcmp(s->items[i].name, name) == 0)
            return i;
    return -1;
}

rk_status cmp_set_take(cmp_tensor_set *s, const char *name, rk_tensor *t, rk_err *e)
{
    /* `name` may be t->name itself: copy before freeing the old one */
    char *copy = strdup(name);
    if (!copy)
        return rk_errf(e, RK_ENOMEM, "out of memory naming tensor '%s'", name);
    free(t->name);
    t->name = copy;
    name = copy;
    int at = find(s, name);
    if (at >= 0) {
        rk_tensor_free(&s->items[at]);
        s->items[at] = *t;
        memset(t, 0, sizeof *t);
        return RK_OK;
    }
    if (s->n == s->cap) {
        int ncap = s->cap ? s->cap * 2 : 32;
        rk_tensor *p = realloc(s->items, (size_t)ncap * sizeof *p);
        if (!p)
            return rk_errf(e, RK_ENOMEM, "out of memory keeping tensor '%s'", name);
        s->items = p;
        s->cap = ncap;
    }
    s->items[s->n++] = *t;
    memset(t, 0, sizeof *t);
    return RK_OK;
}

rk_status cmp_set_put(cmp_tensor_set *s, const char *name, const rk_tensor *t, rk_err *e)
{
    rk_tensor c = {0};
    rk_status st = rk_tensor_copy(&c, t, e);
    if (st == RK_OK)
        st = cmp_set_take(s, name, &c, e);
    rk_tensor_free(&c);
    return st;
}

const rk_tensor *cmp_set_get(const cmp_tensor_set *s, const char *name)
{
    int at = name ? find(s, name) : -1;
    return at >= 0 ? &s->items[at] : NULL;
}

const rk_tensor *cmp_set_lookup(void *user, const char *name)
{
    return cmp_set_get(user, name);
}

static rk_status keep_outputs(void *user, const ox_model *m, const ox_node *n,
                              const rk_tensor *out, int nout, rk_err *e)
{
    cmp_tensor_set *s = user;
    for (int i = 0; i < nout; i++) {
        const char *name = ox_node_output_name(n, i);
        if (!name[0] || !out[i].data)
            continue;
        rk_status st = cmp_set_put(s, name, &out[i], e);
        if (st)
            return st;
    }
    return RK_OK;
}

rk_status cmp_onnx_run_capture(ox_model *m, const rk_tensor *inputs, int ninputs,
                               cmp_tensor_set *all, rk_err *e)
{
    int nout = ox_model_num_outputs(m);
    rk_tensor *outs = rk_calloc_array((size_t)(nout ? nout : 1), sizeof *outs);
    if (!outs)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    ox_run_opts opts = {.threads = 1, .on_node = keep_outputs, .user = all};
    rk_status st = ox_run(m, inputs, ninputs, &opts, outs, e);
    for (int i = 0; st == RK_OK && i < ninputs && i < ox_model_num_inputs(m); i++) {
        /* inputs are matched by name when named, else by position */
        const char *name = inputs[i].name && ox_model_value_info(m, inputs[i].name)
                               ? inputs[i].name
                               : ox_model_input(m, i)->name;
        st = cmp_set_put(all, name, &inputs[i], e);
    }
    for (int i = 0; i < nout; i++)
        rk_tensor_free(&outs[i]);
    free(outs);
    return st;
}
