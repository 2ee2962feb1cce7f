/* simcheck.c - see simcheck.h. */
#include "simcheck.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "isa.h"
#include "onnxref.h"
#include "sim.h"

void tu_run_sim_and_ref(rknn_model *m, const char *onnx_path, const rk_tensor *in, rk_tensor *got,
                        rk_tensor *ref)
{
    rk_err e = {0};
    sim *s = NULL;
    sim_options so = {0};
    assert_int_equal(sim_create(m, &so, &s, &e), RK_OK);
    assert_int_equal(sim_set_input(s, 0, in, false, &e), RK_OK);
    if (sim_run(s, &e) != RK_OK)
        fail_msg("sim_run: %s", e.msg);
    assert_int_equal(sim_get_output(s, 0, false, got, &e), RK_OK);
    sim_destroy(s);
    ox_model *om = NULL;
    assert_int_equal(ox_model_load_file(onnx_path, &om, &e), RK_OK);
    ox_run_opts ro = {.threads = 1};
    assert_int_equal(ox_run(om, in, 1, &ro, ref, &e), RK_OK);
    ox_model_free(om);
}

double tu_cosine(const rk_tensor *a, const rk_tensor *b)
{
    assert_int_equal(a->nelem, b->nelem);
    const float *x = a->data, *y = b->data;
    double xy = 0, xx = 0, yy = 0;
    for (int64_t i = 0; i < a->nelem; i++) {
        xy += (double)x[i] * y[i];
        xx += (double)x[i] * x[i];
        yy += (double)y[i] * y[i];
    }
    return xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0.0;
}

size_t tu_count_violations(const rknn_model *m, rk_soc soc)
{
    size_t bad = 0;
    for (size_t i = 0; i < m->n_regcmd; i++) {
        isa_violation v[4];
        size_t n = isa_validate_entry(soc, m->regcmd[i], v, 4);
        for (size_t k = 0; k < n && k < 4; k++)
            bad += !isa_violation_is_note(v[k].kind);
    }
    return bad;
}
