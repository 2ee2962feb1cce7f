/*
 * ox_conformance.c - run ONNX backend node tests with onnxref.
 *
 *   onnxref-conformance [--timeout SEC] [--threads N] TESTDIR...
 *   onnxref-conformance [--threads N] --root DIR [--filter SUBSTR]
 *
 * A test directory holds model.onnx and test_data_set_0/{input,output}_N.pb
 * (serialized TensorProtos), the layout of ONNX's backend test data
 * (onnx/backend/test/data/node, packaged by Debian as libonnx-testdata).
 * Each test runs in a forked child (a crashing or hanging kernel fails one
 * test, not the suite).  One line per test:
 *   PASS name | FAIL name: reason | UNSUPPORTED name: reason
 * and a closing "N passed, M failed" (unsupported counts as failed).
 * Tolerances are ONNX's backend-test defaults: rtol 1e-3, atol 1e-7.
 */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ox_internal.h" /* TensorProto decoding is shared with the loader */

enum { RES_PASS = 0, RES_FAIL = 1, RES_UNSUPPORTED = 4 };

static const double RTOL = 1e-3, ATOL = 1e-7;
static int g_threads = 1;

static int read_pb_tensor(const char *path, rk_tensor *t, rk_err *e)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (rk_read_file(path, &buf, &len, 0, e) != RK_OK)
        return RES_FAIL;
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
    free(buf);
    if (!tp) {
        rk_errf(e, RK_EUNSUPPORTED, "%s is not a TensorProto (sequence/optional data?)", path);
        return RES_UNSUPPORTED;
    }
    rk_status st = ox_tensor_from_proto(tp, NULL, t, e);
    onnx__tensor_proto__free_unpacked(tp, NULL);
    if (st == RK_EUNSUPPORTED)
        return RES_UNSUPPORTED;
    return st == RK_OK ? RES_PASS : RES_FAIL;
}

/* ---- SequenceProto / OptionalProto (onnx-data.proto, not generated here:
 * Debian ships only onnx.proto).  Field numbers from onnx-data.proto:
 * 2 elem_type (1 tensor, 3 sequence, 5 optional), 3 tensor value(s),
 * 5 sequence value(s), 7 optional value(s). */

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

static int parse_container(const uint8_t *buf, size_t len, bool optional, int depth,
                           rk_tensor *out, rk_err *e)
{
    const uint8_t *p = buf, *end = buf + len;
    if (depth > 8 || ox_seq_new(out, optional, RK_DT_UNDEF, e) != RK_OK)
        return RES_FAIL;
    while (p < end) {
        uint64_t key, v;
        if (!read_varint(&p, end, &key))
            goto bad;
        unsigned field = (unsigned)(key >> 3), wire = key & 7;
        if (wire == 0) {
            if (!read_varint(&p, end, &v))
                goto bad;
            continue;
        }
        if (wire != 2 || !read_varint(&p, end, &v) || v > (uint64_t)(end - p))
            goto bad;
        const uint8_t *sub = p;
        p += v;
        if (field != 3 && field != 5 && field != 7)
            continue; /* name, sparse, map */
        rk_tensor item = {0};
        int r = RES_PASS;
        if (field == 3) {
            Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, v, sub);
            if (!tp)
                goto bad;
            r = ox_tensor_from_proto(tp, NULL, &item, e) == RK_OK ? RES_PASS : RES_UNSUPPORTED;
            onnx__tensor_proto__free_unpacked(tp, NULL);
        } else {
            r = parse_container(sub, v, field == 7, depth + 1, &item, e);
        }
        if (r != RES_PASS || ox_seq_insert(ox_seq_of(out), -1, &item, e) != RK_OK) {
            ox_value_free(&item);
            ox_value_free(out);
            return r != RES_PASS ? r : RES_FAIL;
        }
    }
    return RES_PASS;
bad:
    ox_value_free(out);
    rk_errf(e, RK_EINPUT, "malformed sequence/optional protobuf");
    return RES_FAIL;
}

static double elem_as_double(const rk_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case RK_DT_F32: return ((const float *)t->data)[i];
    case RK_DT_F64: return ((const double *)t->data)[i];
    case RK_DT_F16: return rk_f16_to_f32(((const uint16_t *)t->data)[i]);
    case RK_DT_BF16: return rk_bf16_to_f32(((const uint16_t *)t->data)[i]);
    default: return 0;
    }
}

static bool is_float(rk_dtype d)
{
    return d == RK_DT_F32 || d == RK_DT_F64 || d == RK_DT_F16 || d == RK_DT_BF16;
}

static int compare(const char *what, const rk_tensor *got, const rk_tensor *want, rk_err *e)
{
    char s1[96], s2[96];
    const ox_seq *gs = ox_seq_of(got), *ws = ox_seq_of(want);
    if (gs || ws) {
        if (!gs || !ws || gs->optional != ws->optional || gs->count != ws->count) {
            rk_errf(e, RK_ECHECK, "%s: sequence/optional of %d items, expected %d", what,
                    gs ? gs->count : -1, ws ? ws->count : -1);
            return RES_FAIL;
        }
        for (int i = 0; i < gs->count; i++) {
            int r = compare(what, &gs->items[i], &ws->items[i], e);
            if (r != RES_PASS)
                return r;
        }
        return RES_PASS;
    }
    if (got->dtype != want->dtype) {
        rk_errf(e, RK_ECHECK, "%s: dtype %s, expected %s", what, rk_dtype_name(got->dtype),
                rk_dtype_name(want->dtype));
        return RES_FAIL;
    }
    if (!rk_shape_equal(got, want)) {
        rk_errf(e, RK_ECHECK, "%s: shape %s, expected %s", what,
                rk_shape_str(got, s1, sizeof s1), rk_shape_str(want, s2, sizeof s2));
        return RES_FAIL;
    }
    if (want->dtype == RK_DT_STRING) { /* strings compare exactly */
        for (int64_t i = 0; i < want->nelem; i++) {
            const char *g = rk_tensor_str(got, i), *w = rk_tensor_str(want, i);
            if (strcmp(g, w) != 0) {
                rk_errf(e, RK_ECHECK, "%s: string element %lld is \"%.40s\", expected "
                        "\"%.40s\"", what, (long long)i, g, w);
                return RES_FAIL;
            }
        }
        return RES_PASS;
    }
    if (!is_float(want->dtype)) {
        size_t bytes = rk_tensor_bytes(want);
        if (bytes && memcmp(got->data, want->data, bytes) != 0) {
            size_t es = rk_dtype_size(want->dtype), i = 0;
            while (memcmp((const char *)got->data + i * es, (const char *)want->data + i * es, es) == 0)
                i++;
            rk_errf(e, RK_ECHECK, "%s: %s element %zu differs", what, rk_dtype_name(want->dtype), i);
            return RES_FAIL;
        }
        return RES_PASS;
    }
    for (int64_t i = 0; i < want->nelem; i++) {
        double g = elem_as_double(got, i), w = elem_as_double(want, i);
        if (isnan(w) && isnan(g))
            continue;
        if (isinf(w) || isinf(g)) {
            if (g == w)
                continue;
        } else if (fabs(g - w) <= ATOL + RTOL * fabs(w)) {
            continue;
        }
        rk_errf(e, RK_ECHECK, "%s: element %lld is %.9g, expected %.9g", what, (long long)i, g, w);
        return RES_FAIL;
    }
    return RES_PASS;
}

static bool file_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* Load up to `max` values dir/prefix_N.pb; kinds[i] says whether value i
 * is a TensorProto, SequenceProto or OptionalProto. */
static int load_set(const char *dir, const char *prefix, const ox_value_kind *kinds, int nkinds,
                    rk_tensor *ts, int max, int *count, rk_err *e)
{
    char path[4096];
    *count = 0;
    for (int i = 0; i < max; i++) {
        snprintf(path, sizeof path, "%s/%s_%d.pb", dir, prefix, i);
        if (!file_exists(path))
            break;
        ox_value_kind kind = i < nkinds ? kinds[i] : OX_KIND_TENSOR;
        int r;
        if (kind == OX_KIND_SEQUENCE || kind == OX_KIND_OPTIONAL) {
            uint8_t *buf = NULL;
            size_t len = 0;
            if (rk_read_file(path, &buf, &len, 0, e) != RK_OK)
                return RES_FAIL;
            r = parse_container(buf, len, kind == OX_KIND_OPTIONAL, 0, &ts[i], e);
            free(buf);
        } else {
            r = read_pb_tensor(path, &ts[i], e);
        }
        if (r != RES_PASS)
            return r;
        rk_tensor_set_name(&ts[i], NULL); /* positional */
        (*count)++;
    }
    return RES_PASS;
}

#define MAX_IO 64

static int run_test(const char *dir, rk_err *e)
{
    char path[4096];
    ox_model *m = NULL;
    rk_tensor ins[MAX_IO] = {0}, want[MAX_IO] = {0}, got[MAX_IO] = {0};
    int nin = 0, nwant = 0, res;
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    rk_status st = ox_model_load_file(path, &m, e);
    if (st != RK_OK)
        return st == RK_EUNSUPPORTED ? RES_UNSUPPORTED : RES_FAIL;
    if (ox_model_check_supported(m, e) != RK_OK) {
        res = RES_UNSUPPORTED;
        goto out;
    }
    ox_value_kind in_kinds[MAX_IO], out_kinds[MAX_IO];
    int nik = RK_MIN(ox_model_num_inputs(m), MAX_IO), nok = RK_MIN(ox_model_num_outputs(m), MAX_IO);
    for (int i = 0; i < nik; i++) {
        const ox_value_info *vi = ox_model_input(m, i);
        in_kinds[i] = vi->kind;
        if (vi->kind == OX_KIND_OTHER || (vi->kind == OX_KIND_TENSOR && vi->dtype == RK_DT_UNDEF)) {
            rk_errf(e, RK_EUNSUPPORTED, "input '%s' is not a tensor/sequence/optional of a "
                    "supported type", vi->name);
            res = RES_UNSUPPORTED;
            goto out;
        }
    }
    for (int i = 0; i < nok; i++)
        out_kinds[i] = ox_model_output(m, i)->kind;
    if (ox_model_num_outputs(m) > MAX_IO) {
        rk_errf(e, RK_EUNSUPPORTED, "too many outputs");
        res = RES_UNSUPPORTED;
        goto out;
    }
    snprintf(path, sizeof path, "%s/test_data_set_0", dir);
    res = load_set(path, "input", in_kinds, nik, ins, MAX_IO, &nin, e);
    if (res == RES_PASS)
        res = load_set(path, "output", out_kinds, nok, want, MAX_IO, &nwant, e);
    if (res != RES_PASS)
        goto out;
    if (nwant != ox_model_num_outputs(m)) {
        rk_errf(e, RK_ECHECK, "%d expected outputs for %d model outputs", nwant,
                ox_model_num_outputs(m));
        res = RES_FAIL;
        goto out;
    }
    /* Quirk of ONNX's test data: bfloat16 tensors of the Cast tests are
     * stored as uint16 TensorProtos.  Retag them where the model says bf16. */
    for (int i = 0; i < nin && i < ox_model_num_inputs(m); i++)
        if (!ox_is_seq(&ins[i]) && ins[i].dtype == RK_DT_U16 && ox_model_input(m, i)->dtype == RK_DT_BF16)
            ins[i].dtype = RK_DT_BF16;
    for (int i = 0; i < nwant; i++)
        if (!ox_is_seq(&want[i]) && want[i].dtype == RK_DT_U16 && ox_model_output(m, i)->dtype == RK_DT_BF16)
            want[i].dtype = RK_DT_BF16;
    /* Another quirk: the CastLike bf16 tests feed 'like' as [1] where the
     * model declares [3, 4]; only those get the shape check relaxed. */
    ox_run_opts opts = {.threads = g_threads, .skip_shape_check = strstr(dir, "test_castlike_") != NULL};
    st = ox_run(m, ins, nin, &opts, got, e);
    if (st != RK_OK) {
        res = st == RK_EUNSUPPORTED ? RES_UNSUPPORTED : RES_FAIL;
        goto out;
    }
    for (int i = 0; i < nwant && res == RES_PASS; i++)
        res = compare(got[i].name ? got[i].name : "output", &got[i], &want[i], e);
    for (int i = 0; i < nwant; i++)
        ox_value_free(&got[i]);
out:
    for (int i = 0; i < MAX_IO; i++) {
        ox_value_free(&ins[i]);
        ox_value_free(&want[i]);
    }
    ox_model_free(m);
    return res;
}

static const char *base_name(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    const char *p = dir + n;
    while (p > dir && p[-1] != '/')
        p--;
    static char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)(dir + n - p), p);
    return buf;
}

/* Fork, run, report.  Returns 1 when the test passed. */
static int run_forked(const char *dir, int timeout)
{
    const char *name = base_name(dir);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm((unsigned)timeout);
        rk_err e = {0};
        int r = run_test(dir, &e);
        if (r == RES_PASS)
            printf("PASS %s\n", name);
        else
            printf("%s %s: %s\n", r == RES_UNSUPPORTED ? "UNSUPPORTED" : "FAIL", name,
                   e.msg[0] ? e.msg : "failed");
        fflush(stdout);
        exit(r); /* not _exit: lets LeakSanitizer check the child in ASan builds */
    }
    if (pid < 0) {
        printf("FAIL %s: cannot fork\n", name);
        return 0;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        printf("FAIL %s: %s (signal %d)\n", name,
               sig == SIGALRM ? "timed out" : "crashed", sig);
        return 0;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != RES_PASS && WEXITSTATUS(status) != RES_FAIL &&
        WEXITSTATUS(status) != RES_UNSUPPORTED)
        printf("FAIL %s: exit status %d (sanitizer report above?)\n", name, WEXITSTATUS(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == RES_PASS;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    const char *root = NULL, *filter = NULL;
    int timeout = 30;
    char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
    int ndirs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
            root = argv[++i];
        else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            g_threads = atoi(argv[++i]);
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: onnxref-conformance [--timeout SEC] [--threads N] (--root DIR [--filter S] | TESTDIR...)\n");
            free(dirs);
            return 2;
        } else
            dirs[ndirs++] = argv[i];
    }
    if (root) {
        DIR *d = opendir(root);
        if (!d) {
            fprintf(stderr, "onnxref-conformance: cannot open %s\n", root);
            free(dirs);
            return 3;
        }
        struct dirent *de;
        int cap = 0;
        free(dirs);
        dirs = NULL;
        ndirs = 0;
        while ((de = readdir(d))) {
            if (strncmp(de->d_name, "test_", 5) != 0 || (filter && !strstr(de->d_name, filter)))
                continue;
            if (ndirs == cap) {
                cap = cap ? cap * 2 : 256;
                dirs = realloc(dirs, (size_t)cap * sizeof *dirs);
            }
            size_t len = strlen(root) + strlen(de->d_name) + 2;
            dirs[ndirs] = malloc(len);
            snprintf(dirs[ndirs++], len, "%s/%s", root, de->d_name);
        }
        closedir(d);
        if (ndirs > 0) /* qsort's base must not be NULL, even for 0 items */
            qsort(dirs, (size_t)ndirs, sizeof *dirs, cmp_str);
    }
    int passed = 0;
    for (int i = 0; i < ndirs; i++)
        passed += run_forked(dirs[i], timeout);
    printf("%d passed, %d failed\n", passed, ndirs - passed);
    if (root)
        for (int i = 0; i < ndirs; i++)
            free(dirs[i]);
    free(dirs);
    return passed == ndirs ? 0 : 1;
}
