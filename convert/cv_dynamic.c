/*
 * cv_dynamic.c - dynamic input: a list of preset input-shape sets, each
 * compiled to its own task list and stored as its own graph of one .rknn
 * (rknn.h "input-shape sets"; convert/README.md "Dynamic input sets").
 *
 * rknn-toolkit2's config(dynamic_input=[[shape of input 0, shape of input
 * 1, ...], ...]) is a list of sets with one shape per input; the compiler
 * here runs once per set with fixed shapes (the set appended to
 * --input-shape), so the mechanism does not depend on which ops are NPU ops.
 * Calibration: rknn-toolkit2 calibrates on the largest set ("The quantified
 * dataset needs to be configured according to MaxShape", its build log);
 * here each set calibrates on the calibration data cut to its own shape
 * (leading slice of every axis), so the data of the largest set serves all.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cv_internal.h"
#include "rk_tensorio.h"

void rk_shape_sets_free(rk_shape_sets *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_inputs; i++)
        free(s->names[i]);
    free(s->names);
    free(s->shapes);
    memset(s, 0, sizeof(*s));
}

/* ---- parsing ------------------------------------------------------------ */

/* One "name=d0,d1,..." token [p, end); entry k of set `set` (1-based in
 * messages).  *name receives a malloc'd copy. */
static rk_status parse_entry(const char *p, const char *end, int set, char **name, rk_shape_entry *sh, rk_err *e)
{
    const char *eq = memchr(p, '=', (size_t)(end - p));
    int len = (int)(end - p);
    if (!eq || eq == p)
        return rk_errf(e, RK_EUSAGE, "--dynamic-input set %d: '%.*s' is not NAME=D0,D1,...", set, len, p);
    memset(sh, 0, sizeof(*sh));
    const char *q = eq + 1;
    while (q < end) {
        if (sh->ndim == RK_MAX_DIMS)
            return rk_errf(e, RK_EUSAGE, "--dynamic-input set %d: '%.*s' has more than %d dims", set, len, p,
                           RK_MAX_DIMS);
        char *stop = NULL;
        errno = 0;
        long long v = isdigit((unsigned char)*q) ? strtoll(q, &stop, 10) : -1;
        if (v <= 0 || errno || v > INT32_MAX || stop > end || (stop < end && *stop != ','))
            return rk_errf(e, RK_EUSAGE,
                           "--dynamic-input set %d: '%.*s': dim %d is not a positive integer", set, len, p,
                           sh->ndim);
        sh->dims[sh->ndim++] = v;
        q = stop < end ? stop + 1 : stop;
        if (stop < end && q == end)
            return rk_errf(e, RK_EUSAGE, "--dynamic-input set %d: '%.*s' ends with ','", set, len, p);
    }
    if (!sh->ndim)
        return rk_errf(e, RK_EUSAGE, "--dynamic-input set %d: '%.*s' has no dims", set, len, p);
    *name = strndup(p, (size_t)(eq - p));
    return *name ? RK_OK : rk_errf(e, RK_ENOMEM, "out of memory");
}

static bool same_entry(const rk_shape_entry *a, const rk_shape_entry *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i])
            return false;
    return true;
}

/* Add one set's entries (names[] / sh[], n of them) to `out`: the first set
 * fixes the input names (copied); later ones must name the same inputs (any
 * order; stored in the first set's order). */
static rk_status add_set(rk_shape_sets *out, char **names, rk_shape_entry *sh, int n, int set, rk_err *e)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < i; k++)
            if (strcmp(names[i], names[k]) == 0)
                return rk_errf(e, RK_EUSAGE, "--dynamic-input set %d names input '%s' twice", set, names[i]);
    if (out->n_sets == 0) {
        out->names = calloc((size_t)n, sizeof(char *));
        if (!out->names)
            return rk_errf(e, RK_ENOMEM, "out of memory");
        out->n_inputs = n;
        for (int i = 0; i < n; i++)
            if (!(out->names[i] = strdup(names[i])))
                return rk_errf(e, RK_ENOMEM, "out of memory");
    } else if (n != out->n_inputs) {
        return rk_errf(e, RK_EUSAGE, "--dynamic-input set %d has %d input%s, set 1 has %d (every set gives "
                       "one shape per input)", set, n, n == 1 ? "" : "s", out->n_inputs);
    }
    rk_shape_entry *grown = realloc(out->shapes, (size_t)(out->n_sets + 1) * (size_t)n * sizeof(*grown));
    if (!grown)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    out->shapes = grown;
    rk_shape_entry *row = &out->shapes[(size_t)out->n_sets * (size_t)n];
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < n && strcmp(names[k], out->names[i]) != 0)
            k++;
        if (k == n)
            return rk_errf(e, RK_EUSAGE, "--dynamic-input set %d does not give input '%s' (set 1 does)", set,
                           out->names[i]);
        row[i] = sh[k];
    }
    for (int s = 0; s < out->n_sets; s++) {
        bool same = true;
        for (int i = 0; i < n && same; i++)
            same = same_entry(&out->shapes[(size_t)s * (size_t)n + i], &row[i]);
        if (same)
            return rk_errf(e, RK_EUSAGE, "--dynamic-input set %d repeats set %d", set, s + 1);
    }
    out->n_sets++;
    return RK_OK;
}

enum { MAX_SET_INPUTS = 16 };

rk_status rk_shape_sets_parse(const char *spec, rk_shape_sets *out, rk_err *e)
{
    memset(out, 0, sizeof(*out));
    if (!spec)
        return rk_errf(e, RK_EUSAGE, "--dynamic-input: no sets given");
    rk_status st = RK_OK;
    const char *p = spec;
    for (int set = 1; !st; set++) {
        const char *semi = strchr(p, ';');
        const char *end = semi ? semi : p + strlen(p);
        char *names[MAX_SET_INPUTS] = {0};
        rk_shape_entry sh[MAX_SET_INPUTS];
        int n = 0;
        const char *q = p;
        while (!st) {
            while (q < end && isspace((unsigned char)*q))
                q++;
            if (q == end)
                break;
            const char *t = q;
            while (t < end && !isspace((unsigned char)*t))
                t++;
            if (n == MAX_SET_INPUTS)
                st = rk_errf(e, RK_EUSAGE, "--dynamic-input set %d: more than %d inputs", set, MAX_SET_INPUTS);
            else
                st = parse_entry(q, t, set, &names[n], &sh[n], e);
            n += !st;
            q = t;
        }
        if (!st && n == 0)
            st = rk_errf(e, RK_EUSAGE, "--dynamic-input set %d is empty (sets are separated by ';', the inputs "
                         "of a set by spaces: \"x=1,3,8,8;x=1,3,16,16\")", set);
        if (!st)
            st = add_set(out, names, sh, n, set, e);
        for (int i = 0; i < n; i++)
            free(names[i]);
        if (!semi)
            break;
        p = semi + 1;
    }
    if (st)
        rk_shape_sets_free(out);
    return st;
}

char *rk_shape_set_spec(const rk_shape_sets *s, int k)
{
    size_t cap = 1;
    for (int i = 0; i < s->n_inputs; i++)
        cap += strlen(s->names[i]) + 2 + (size_t)RK_MAX_DIMS * 21;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    size_t len = 0;
    for (int i = 0; i < s->n_inputs; i++) {
        const rk_shape_entry *sh = &s->shapes[(size_t)k * (size_t)s->n_inputs + i];
        len += (size_t)snprintf(buf + len, cap - len, "%s%s=", i ? ";" : "", s->names[i]);
        for (int d = 0; d < sh->ndim; d++)
            len += (size_t)snprintf(buf + len, cap - len, "%s%lld", d ? "," : "", (long long)sh->dims[d]);
    }
    buf[len] = '\0';
    return buf;
}

/* ---- calibration data per set ---------------------------------------------- */

/* Copy the leading [S, d1, d2, ...] box of `src` (float32) into dst. */
static rk_status crop(const rk_tensor *src, const int64_t *dims, int nd, rk_tensor *dst, rk_err *e)
{
    rk_status st = rk_tensor_alloc(dst, src->name, RK_DT_F32, nd, dims, e);
    if (st)
        return st;
    const float *in = src->data;
    float *out = dst->data;
    int64_t idx[RK_MAX_DIMS] = {0};
    for (int64_t o = 0; o < dst->nelem; o++) {
        int64_t off = 0;
        for (int d = 0; d < nd; d++)
            off = off * src->dims[d] + idx[d];
        out[o] = in[off];
        for (int d = nd - 1; d >= 0; d--) {
            if (++idx[d] < dims[d])
                break;
            idx[d] = 0;
        }
    }
    return RK_OK;
}

/* Write the calibration data of set k to a temporary HDF5 file (*tmp,
 * malloc'd; the caller unlinks it) or leave *tmp NULL when the file already
 * has the set's shapes.  Datasets are matched by input name; an input not in
 * the sets is left as the file has it. */
static rk_status calib_for_set(const char *path, const rk_shape_sets *s, int k, char **tmp, rk_err *e)
{
    *tmp = NULL;
    rk_tensor_list l = {0}, cut = {0};
    rk_status st = rk_h5_read(path, &l, e);
    if (st)
        return rk_err_wrap(e, "calibration file");
    bool same = true;
    for (int i = 0; !st && i < l.count; i++) {
        const rk_tensor *d = &l.items[i];
        const rk_shape_entry *sh = NULL;
        for (int j = 0; j < s->n_inputs; j++)
            if (d->name && strcmp(d->name, s->names[j]) == 0)
                sh = &s->shapes[(size_t)k * (size_t)s->n_inputs + j];
        rk_tensor f = {0}, c = {0};
        if (!sh) {
            st = rk_tensor_copy(&c, d, e);
        } else if ((d->ndim != sh->ndim && d->ndim != sh->ndim + 1) || d->dims[0] < 1) {
            st = rk_errf(e, RK_EINPUT, "calibration dataset '%s' in %s has %d dims; set %d gives %d ([S,...] "
                         "with S samples in place of the leading dim, or in front of all)", d->name, path,
                         d->ndim, k + 1, sh->ndim);
        } else {
            /* lead 1: [S, d0, d1, ...] (e.g. [T,D] inputs); lead 0: S replaces d0 */
            int lead = d->ndim - sh->ndim;
            int64_t want[RK_MAX_DIMS];
            want[0] = d->dims[0];
            for (int a = 1; !st && a < d->ndim; a++) {
                want[a] = sh->dims[a - lead];
                if (d->dims[a] < want[a])
                    st = rk_errf(e, RK_EINPUT,
                                 "calibration dataset '%s' in %s has %lld along axis %d; set %d needs %lld "
                                 "(give the calibration data of the largest set: each set uses its leading "
                                 "slice)", d->name, path, (long long)d->dims[a], a, k + 1, (long long)want[a]);
                same = same && d->dims[a] == want[a];
            }
            if (!st && !(st = rk_tensor_to_f32(&f, d, e)))
                st = crop(&f, want, d->ndim, &c, e);
        }
        if (!st)
            st = rk_tensor_list_push(&cut, &c, e);
        rk_tensor_free(&f);
        if (st)
            rk_tensor_free(&c);
    }
    if (!st && !same) {
        const char *dir = getenv("TMPDIR");
        size_t n = strlen(dir && *dir ? dir : "/tmp") + 32;
        char *name = malloc(n);
        int fd = -1;
        if (!name)
            st = rk_errf(e, RK_ENOMEM, "out of memory");
        else {
            snprintf(name, n, "%s/rksim-calib-XXXXXX.h5", dir && *dir ? dir : "/tmp");
            fd = mkstemps(name, 3);
        }
        if (!st && fd < 0)
            st = rk_errf(e, RK_EINPUT, "cannot create a temporary calibration file in %s: %s",
                         dir && *dir ? dir : "/tmp", strerror(errno));
        if (fd >= 0)
            close(fd);
        if (!st && (st = rk_h5_write(name, cut.items, cut.count, e)))
            unlink(name);
        if (st)
            free(name);
        else
            *tmp = name;
    }
    rk_tensor_list_free(&l);
    rk_tensor_list_free(&cut);
    return st;
}

/* ---- compiling every set ------------------------------------------------ */

/* Merge one set's report into the total: counts add up; set 1's notes are
 * kept, later sets add only the notes set 1 does not have, prefixed. */
static void merge_report(rk_convert_report *total, const rk_convert_report *one, int k, const char *spec,
                         size_t n_first_notes)
{
    total->n_npu_ops += one->n_npu_ops;
    total->n_cpu_ops += one->n_cpu_ops;
    total->n_tasks += one->n_tasks;
    total->n_tiled_ops += one->n_tiled_ops;
    total->n_fused += one->n_fused;
    for (size_t i = 0; i < one->n_notes; i++) {
        bool seen = false;
        for (size_t j = 0; j < n_first_notes && !seen && k > 0; j++)
            seen = strcmp(total->notes[j], one->notes[i]) == 0;
        if (k == 0)
            cv_note(total, "%s", one->notes[i]);
        else if (!seen)
            cv_note(total, "set %d (%s): %s", k + 1, spec, one->notes[i]);
    }
}

/* rksim's generator dict for a multi-set model: the 'dynamic_shapes' key
 * vendor files carry (empty in every static vendor file observed), here
 * {input: [shape of set 1, shape of set 2, ...]} (rksim's choice: the
 * vendor's non-empty form is not public). */
static rk_status set_generator(rknn_model *m, const rk_shape_sets *s, rk_err *e)
{
    size_t cap = 64;
    for (int i = 0; i < s->n_inputs; i++)
        cap += strlen(s->names[i]) + 8 + (size_t)s->n_sets * (RK_MAX_DIMS * 22 + 4);
    char *g = malloc(cap);
    if (!g)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    size_t len = (size_t)snprintf(g, cap, "{'attrs': {}, 'quant_tab': {}, 'dynamic_shapes': {");
    for (int i = 0; i < s->n_inputs; i++) {
        len += (size_t)snprintf(g + len, cap - len, "%s'%s': [", i ? ", " : "", s->names[i]);
        for (int k = 0; k < s->n_sets; k++) {
            const rk_shape_entry *sh = &s->shapes[(size_t)k * (size_t)s->n_inputs + i];
            len += (size_t)snprintf(g + len, cap - len, "%s[", k ? ", " : "");
            for (int d = 0; d < sh->ndim; d++)
                len += (size_t)snprintf(g + len, cap - len, "%s%lld", d ? ", " : "", (long long)sh->dims[d]);
            len += (size_t)snprintf(g + len, cap - len, "]");
        }
        len += (size_t)snprintf(g + len, cap - len, "]");
    }
    snprintf(g + len, cap - len, "}}");
    free(m->generator);
    m->generator = g;
    return RK_OK;
}

/* The set's spec for --input-shape: the set first (the first entry for a
 * name wins), then the user's own --input-shape entries. */
static char *set_input_shapes(const rk_shape_sets *s, int k, const char *user)
{
    char *spec = rk_shape_set_spec(s, k);
    if (!spec || !user || !*user)
        return spec;
    size_t n = strlen(spec) + strlen(user) + 2;
    char *both = malloc(n);
    if (both)
        snprintf(both, n, "%s;%s", spec, user);
    free(spec);
    return both;
}

/* Every set name must be an input of the ONNX model (checked before any
 * compile, so a typo is not reported as an unfixed symbolic dim). */
static rk_status check_names(const char *onnx_path, const rk_shape_sets *s, rk_err *e)
{
    ox_model *om = NULL;
    rk_status st = ox_model_load_file(onnx_path, &om, e);
    for (int i = 0; !st && i < s->n_inputs; i++) {
        bool found = false;
        for (int k = 0; k < ox_model_num_inputs(om) && !found; k++)
            found = strcmp(ox_model_input(om, k)->name, s->names[i]) == 0 &&
                    !ox_model_initializer(om, s->names[i]);
        if (!found)
            st = rk_errf(e, RK_EUSAGE, "--dynamic-input names '%s', which is not an input of %s", s->names[i],
                         onnx_path);
    }
    ox_model_free(om);
    return st;
}

rk_status rk_convert_onnx_sets(const char *onnx_path, const rk_convert_opts *opts, rknn_model **out,
                               rk_convert_report *rep, rk_err *e)
{
    *out = NULL;
    rk_shape_sets sets;
    rk_status st = rk_shape_sets_parse(opts->dynamic_input, &sets, e);
    if (st)
        return st;
    if ((st = check_names(onnx_path, &sets, e))) {
        rk_shape_sets_free(&sets);
        return st;
    }
    rknn_model *merged = NULL;
    size_t n_first_notes = 0;
    for (int k = 0; k < sets.n_sets && !st; k++) {
        rk_convert_opts o = *opts;
        rk_convert_report one;
        memset(&one, 0, sizeof(one));
        char *shapes = set_input_shapes(&sets, k, opts->input_shapes);
        char *spec = rk_shape_set_spec(&sets, k);
        char *tmp = NULL;
        rknn_model *m = NULL;
        if (!shapes || !spec)
            st = rk_errf(e, RK_ENOMEM, "out of memory");
        else if (opts->calib_h5 && opts->dtype == RK_CONVERT_INT8)
            st = calib_for_set(opts->calib_h5, &sets, k, &tmp, e);
        if (!st) {
            o.dynamic_input = NULL;
            o.input_shapes = shapes;
            if (tmp)
                o.calib_h5 = tmp;
            st = rk_convert_onnx(onnx_path, &o, &m, rep ? &one : NULL, e);
            if (st)
                st = rk_err_wrap(e, "--dynamic-input set %d (%s)", k + 1, spec);
        }
        if (tmp) {
            unlink(tmp);
            free(tmp);
        }
        if (!st && rep) {
            merge_report(rep, &one, k, spec, n_first_notes);
            if (k == 0)
                n_first_notes = rep->n_notes;
        }
        if (!st && k == 0) {
            merged = m;
            m = NULL;
        } else if (!st) {
            st = rknn_append_graph_from(merged, m, e);
        }
        rknn_free(m);
        rk_convert_report_free(&one);
        free(shapes);
        free(spec);
    }
    if (!st)
        st = set_generator(merged, &sets, e);
    if (!st && rep)
        cv_note(rep, "dynamic input: %d input-shape sets compiled, one graph each (rksim container extension, "
                "convert/README.md)", sets.n_sets);
    rk_shape_sets_free(&sets);
    if (st) {
        rknn_free(merged);
        return st;
    }
    *out = merged;
    return RK_OK;
}
