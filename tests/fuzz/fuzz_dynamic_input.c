/* libFuzzer target: the --dynamic-input parser (convert/cv_dynamic.c) must
 * accept or reject any string without crashing, leaking or reading out of
 * bounds; an accepted spec's sets must print (rk_shape_set_spec, the
 * --input-shape syntax "a=..;b=..") to specs that, with ';' turned into the
 * in-set separator ' ', parse back to the same shapes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const rk_shape_sets *s, int k)
{
    char *spec = rk_shape_set_spec(s, k);
    if (!spec)
        return;
    for (char *p = spec; *p; p++)
        if (*p == ';')
            *p = ' ';
    rk_shape_sets back;
    if (rk_shape_sets_parse(spec, &back, NULL) != RK_OK || back.n_sets != 1 || back.n_inputs != s->n_inputs)
        abort();
    for (int i = 0; i < s->n_inputs; i++) {
        const rk_shape_entry *a = &s->shapes[(size_t)k * (size_t)s->n_inputs + i], *b = &back.shapes[i];
        if (strcmp(back.names[i], s->names[i]) != 0 || a->ndim != b->ndim ||
            memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->ndim) != 0)
            abort();
    }
    rk_shape_sets_free(&back);
    free(spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = malloc(size + 1);
    if (!spec)
        return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';
    rk_shape_sets s;
    if (rk_shape_sets_parse(spec, &s, NULL) == RK_OK) {
        for (int k = 0; k < s.n_sets; k++)
            check_round_trip(&s, k);
        rk_shape_sets_free(&s);
    }
    free(spec);
    return 0;
}
