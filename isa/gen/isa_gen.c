/*
 * isa_gen - build-time generator for the ISA layer.
 *
 *   isa_gen REGDB_DIR OUT_DIR SOC...        e.g. isa_gen isa/regdb build/isa rk3588 rk3566
 *
 * Reads REGDB_DIR/<soc>.regs (syntax documented at the top of rk3588.regs),
 * resolves "base" inheritance, checks every register (fields inside bits
 * 0..31, no overlaps, full coverage for known layouts, enum values that fit
 * their field) and writes:
 *   OUT_DIR/isa_tables.c   the C tables behind isa_reg_lookup() & co.
 *   OUT_DIR/isa_regdefs.h  RK_<REG>, RK_<REG>__<FIELD>__SHIFT/WIDTH/MASK for
 *                          the first SoC; RK_<PREFIX>_<REG>... for registers
 *                          another SoC defines differently.
 * Any inconsistency in a database stops the build with file:line.
 *
 * This is a host tool: it may print and exit(), unlike library code.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOK 64
#define MAX_SOCS 8

typedef struct gfield {
    char *name;
    unsigned lo, hi;
    char *prov;
    bool reserved, minus1, addr, is_signed, opaque, reset_known;
    uint32_t reset;
    char *enum_name;
    char *meaning;
} gfield;

typedef struct greg {
    char *block;
    char *short_name;
    char *name; /* BLOCK_SHORT */
    unsigned offset;
    char *prov;
    bool layout_unknown, soc_only, redefined;
    bool declared_here; /* defined in this SoC's own file, not inherited */
    char *note;
    gfield *fields;
    size_t n_fields, cap_fields;
    uint32_t allow_mask;
    char *allow_prov, *allow_note;
    const char *where; /* file:line of the definition */
} greg;

typedef struct genum {
    char *name;
    char *prov;
    size_t n;
    uint32_t vals[32];
    char *names[32];
} genum;

typedef struct gsoc {
    char *name;
    char *family;
    char *target_string;
    char *macro_prefix;
    unsigned pc_amount_scale, task_number_bits, task_status_offset;
    unsigned cbuf_banks, cbuf_bank_bytes, cores, layouts_known;
    char *blocks[16];
    size_t n_blocks;
    greg *regs;
    size_t n_regs, cap_regs;
    genum *enums;
    size_t n_enums, cap_enums;
    const char *file;
} gsoc;

static const char *g_file;
static unsigned g_line;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "isa_gen: %s:%u: ", g_file ? g_file : "?", g_line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die("out of memory");
    return q;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xrealloc(NULL, n);
    memcpy(d, s, n);
    return d;
}

static char *where_string(void)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s:%u", g_file, g_line);
    return xstrdup(buf);
}

/* Split a line into tokens; "quoted strings" are one token (quotes kept so
 * callers can tell them apart).  Comments start at an unquoted '#'. */
static size_t tokenize(char *line, char **tok)
{
    size_t n = 0;
    char *p = line;
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            break;
        if (n == MAX_TOK)
            die("too many tokens");
        if (*p == '"') {
            char *end = strchr(p + 1, '"');
            if (!end)
                die("unterminated string");
            tok[n++] = p;
            p = end + 1;
            if (*p && !isspace((unsigned char)*p))
                die("text after closing quote");
            if (*p)
                *p++ = '\0';
            continue;
        }
        tok[n++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static char *unquote(const char *t)
{
    size_t n = strlen(t);
    char *s = xstrdup(t + 1);
    s[n - 2] = '\0';
    return s;
}

static bool is_quoted(const char *t) { return t[0] == '"'; }

static unsigned long parse_num(const char *t, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(t, &end, 0);
    if (errno || *end || end == t)
        die("bad number '%s' for %s", t, what);
    return v;
}

static const char *const k_provs[] = {"TRM", "Mesa", "vendor", "BSP", "mailing", "inferred", "unknown"};

static bool is_prov(const char *t)
{
    for (size_t i = 0; i < sizeof k_provs / sizeof k_provs[0]; i++)
        if (strcmp(t, k_provs[i]) == 0)
            return true;
    return false;
}

static const char *prov_enum(const char *p)
{
    if (!strcmp(p, "TRM")) return "ISA_PROV_TRM";
    if (!strcmp(p, "Mesa")) return "ISA_PROV_MESA";
    if (!strcmp(p, "vendor")) return "ISA_PROV_VENDOR";
    if (!strcmp(p, "BSP")) return "ISA_PROV_BSP";
    if (!strcmp(p, "mailing")) return "ISA_PROV_MAILING";
    if (!strcmp(p, "inferred")) return "ISA_PROV_INFERRED";
    return "ISA_PROV_UNKNOWN";
}

static const char *const k_blocks[] = {"PC", "CNA", "B2000", "CORE", "DPU", "DPU_RDMA",
                                       "PPU", "PPU_RDMA", "DDMA", "SDMA", "GLOBAL"};
static const unsigned k_block_base[] = {0x0000, 0x1000, 0x2000, 0x3000, 0x4000, 0x5000,
                                        0x6000, 0x7000, 0x8000, 0x9000, 0xF000};

static size_t block_index(const char *b)
{
    for (size_t i = 0; i < sizeof k_blocks / sizeof k_blocks[0]; i++)
        if (strcmp(b, k_blocks[i]) == 0)
            return i;
    die("unknown block '%s'", b);
}

/* ---- database model ---------------------------------------------------- */

static greg *find_reg(gsoc *s, unsigned offset)
{
    for (size_t i = 0; i < s->n_regs; i++)
        if (s->regs[i].offset == offset)
            return &s->regs[i];
    return NULL;
}

static greg *find_reg_name(gsoc *s, const char *name)
{
    for (size_t i = 0; i < s->n_regs; i++)
        if (strcmp(s->regs[i].name, name) == 0)
            return &s->regs[i];
    return NULL;
}

static genum *find_enum(gsoc *s, const char *name)
{
    for (size_t i = 0; i < s->n_enums; i++)
        if (strcmp(s->enums[i].name, name) == 0)
            return &s->enums[i];
    return NULL;
}

static void drop_reg(gsoc *s, greg *r)
{
    size_t i = (size_t)(r - s->regs);
    memmove(&s->regs[i], &s->regs[i + 1], (s->n_regs - i - 1) * sizeof *r);
    s->n_regs--;
}

static greg *add_reg(gsoc *s)
{
    if (s->n_regs == s->cap_regs) {
        s->cap_regs = s->cap_regs ? 2 * s->cap_regs : 64;
        s->regs = xrealloc(s->regs, s->cap_regs * sizeof *s->regs);
    }
    greg *r = &s->regs[s->n_regs++];
    memset(r, 0, sizeof *r);
    return r;
}

static gfield *add_field(greg *r)
{
    if (r->n_fields == r->cap_fields) {
        r->cap_fields = r->cap_fields ? 2 * r->cap_fields : 8;
        r->fields = xrealloc(r->fields, r->cap_fields * sizeof *r->fields);
    }
    gfield *f = &r->fields[r->n_fields++];
    memset(f, 0, sizeof *f);
    return f;
}

static void copy_reg(greg *dst, const greg *src)
{
    *dst = *src;
    dst->fields = xrealloc(NULL, src->n_fields * sizeof *src->fields);
    memcpy(dst->fields, src->fields, src->n_fields * sizeof *src->fields);
    dst->cap_fields = src->n_fields;
    dst->allow_mask = 0; /* allow-lists are per SoC, never inherited */
    dst->allow_prov = dst->allow_note = NULL;
    dst->redefined = false;
    dst->declared_here = false;
}

static void load_soc(gsoc *s, const char *dir, const char *name, gsoc *socs, size_t n_socs);

/* "base rk3588 [unknown]": copy every register of an already loaded SoC.
 * With "unknown", only the offsets and names are kept and every layout is
 * marked unknown (for SoCs with no public register documentation). */
static void apply_base(gsoc *s, char **tok, size_t n, gsoc *socs, size_t n_socs)
{
    gsoc *b = NULL;
    for (size_t i = 0; i < n_socs; i++)
        if (socs[i].name && strcmp(socs[i].name, tok[1]) == 0)
            b = &socs[i];
    if (!b)
        die("base '%s' must be listed (and loaded) before this SoC", tok[1]);
    bool unknown = n > 2 && strcmp(tok[2], "unknown") == 0;
    for (size_t i = 0; i < b->n_regs; i++) {
        greg *r = add_reg(s);
        copy_reg(r, &b->regs[i]);
        if (unknown) {
            r->layout_unknown = true;
            r->prov = "unknown";
            char note[256];
            snprintf(note, sizeof note, "RK3588 has %s here; layout on this SoC unknown", r->name);
            r->note = xstrdup(note);
            r->n_fields = 0;
            gfield *f = add_field(r);
            f->name = "VALUE";
            f->lo = 0;
            f->hi = 31;
            f->prov = "unknown";
            f->opaque = true;
            f->meaning = "";
        }
    }
    for (size_t i = 0; i < b->n_enums; i++) {
        if (s->n_enums == s->cap_enums) {
            s->cap_enums = s->cap_enums ? 2 * s->cap_enums : 32;
            s->enums = xrealloc(s->enums, s->cap_enums * sizeof *s->enums);
        }
        s->enums[s->n_enums++] = b->enums[i];
    }
    memcpy(s->blocks, b->blocks, sizeof s->blocks);
    s->n_blocks = b->n_blocks;
}

static void parse_param(gsoc *s, char **tok, size_t n)
{
    if (n < 3)
        die("param needs KEY VALUE");
    const char *k = tok[1];
    if (!strcmp(k, "target_string")) {
        s->target_string = strcmp(tok[2], "unknown") ? xstrdup(tok[2]) : NULL;
        return;
    }
    if (!strcmp(k, "macro_prefix")) {
        s->macro_prefix = xstrdup(tok[2]);
        return;
    }
    unsigned v = (unsigned)parse_num(tok[2], k);
    if (!strcmp(k, "pc_amount_scale")) s->pc_amount_scale = v;
    else if (!strcmp(k, "task_number_bits")) s->task_number_bits = v;
    else if (!strcmp(k, "task_status_offset")) s->task_status_offset = v;
    else if (!strcmp(k, "cbuf_banks")) s->cbuf_banks = v;
    else if (!strcmp(k, "cbuf_bank_bytes")) s->cbuf_bank_bytes = v;
    else if (!strcmp(k, "cores")) s->cores = v;
    else if (!strcmp(k, "layouts_known")) s->layouts_known = v;
    else die("unknown param '%s'", k);
}

static void parse_enum(gsoc *s, char **tok, size_t n)
{
    if (n < 4 || !is_prov(tok[2]))
        die("enum needs NAME PROV VAL=NAME...");
    genum *e = find_enum(s, tok[1]);
    if (!e) {
        if (s->n_enums == s->cap_enums) {
            s->cap_enums = s->cap_enums ? 2 * s->cap_enums : 32;
            s->enums = xrealloc(s->enums, s->cap_enums * sizeof *s->enums);
        }
        e = &s->enums[s->n_enums++];
    }
    memset(e, 0, sizeof *e);
    e->name = xstrdup(tok[1]);
    e->prov = xstrdup(tok[2]);
    for (size_t i = 3; i < n; i++) {
        char *eq = strchr(tok[i], '=');
        if (!eq || e->n == 32)
            die("bad enum item '%s'", tok[i]);
        *eq = '\0';
        e->vals[e->n] = (uint32_t)parse_num(tok[i], "enum value");
        e->names[e->n] = xstrdup(eq + 1);
        for (size_t j = 0; j < e->n; j++)
            if (e->vals[j] == e->vals[e->n])
                die("enum %s: value %u listed twice", e->name, e->vals[j]);
        e->n++;
    }
}

static greg *parse_reg(gsoc *s, char **tok, size_t n)
{
    if (n < 5 || !is_prov(tok[4]))
        die("reg needs BLOCK NAME OFFSET PROV");
    size_t bi = block_index(tok[1]);
    unsigned off = (unsigned)parse_num(tok[3], "offset");
    if (off > 0xFFFF || (off & 3))
        die("offset 0x%X is not a 32-bit register offset", off);
    if ((off & 0xF000) != k_block_base[bi])
        die("offset 0x%04X is outside block %s (0x%04X-0x%04X)", off, tok[1], k_block_base[bi],
            k_block_base[bi] + 0xFFF);
    greg *old = find_reg(s, off);
    bool redefined = old != NULL;
    if (old)
        drop_reg(s, old);
    greg *r = add_reg(s);
    r->block = xstrdup(tok[1]);
    r->short_name = xstrdup(tok[2]);
    char name[256];
    snprintf(name, sizeof name, "%s_%s", tok[1], tok[2]);
    r->name = xstrdup(name);
    r->offset = off;
    r->prov = xstrdup(tok[4]);
    r->redefined = redefined;
    r->declared_here = true;
    r->note = "";
    r->where = where_string();
    for (size_t i = 5; i < n; i++) {
        if (!strcmp(tok[i], "layout=unknown")) r->layout_unknown = true;
        else if (!strcmp(tok[i], "soc_only")) r->soc_only = true;
        else if (is_quoted(tok[i])) r->note = unquote(tok[i]);
        else die("unknown reg attribute '%s'", tok[i]);
    }
    return r;
}

static void parse_field(greg *r, char **tok, size_t n)
{
    if (!r)
        die("field line outside a reg");
    unsigned hi, lo;
    char extra;
    if (sscanf(tok[0], "%u:%u%c", &hi, &lo, &extra) != 2)
        die("bad bit range '%s' (want HI:LO)", tok[0]);
    if (n < 3)
        die("field needs HI:LO NAME PROV|reserved");
    gfield *f = add_field(r);
    f->name = xstrdup(tok[1]);
    f->hi = hi;
    f->lo = lo;
    f->meaning = "";
    for (size_t i = 2; i < n; i++) {
        const char *t = tok[i];
        if (!strcmp(t, "reserved")) { f->reserved = true; if (!f->prov) f->prov = r->prov; }
        else if (is_prov(t) && !f->prov) { f->prov = xstrdup(t); if (!strcmp(t, "unknown")) f->opaque = true; }
        else if (!strcmp(t, "minus1")) f->minus1 = true;
        else if (!strcmp(t, "addr")) f->addr = true;
        else if (!strcmp(t, "signed")) f->is_signed = true;
        else if (!strcmp(t, "opaque")) f->opaque = true;
        else if (!strncmp(t, "reset=", 6)) { f->reset = (uint32_t)parse_num(t + 6, "reset"); f->reset_known = true; }
        else if (!strncmp(t, "enum=", 5)) f->enum_name = xstrdup(t + 5);
        else if (is_quoted(t)) f->meaning = unquote(t);
        else die("unknown field attribute '%s'", t);
    }
    if (!f->prov)
        die("field %s.%s has no provenance", r->name, f->name);
}

static void parse_allow(gsoc *s, char **tok, size_t n)
{
    if (n < 5 || !is_prov(tok[3]) || !is_quoted(tok[4]))
        die("allow needs BLOCK_REG MASK PROV \"note\"");
    greg *r = find_reg_name(s, tok[1]);
    if (!r)
        die("allow: no register %s", tok[1]);
    r->allow_mask |= (uint32_t)parse_num(tok[2], "allow mask");
    r->allow_prov = xstrdup(tok[3]);
    r->allow_note = unquote(tok[4]);
}

static void load_soc(gsoc *s, const char *dir, const char *name, gsoc *socs, size_t n_socs)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.regs", dir, name);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "isa_gen: cannot open %s: %s\n", path, strerror(errno));
        exit(1);
    }
    g_file = xstrdup(path);
    s->file = xstrdup(name);
    g_line = 0;
    char line[4096];
    greg *cur = NULL;
    while (fgets(line, sizeof line, fp)) {
        g_line++;
        if (!strchr(line, '\n') && !feof(fp))
            die("line too long");
        bool indented = isspace((unsigned char)line[0]);
        char *tok[MAX_TOK];
        size_t n = tokenize(line, tok);
        if (n == 0)
            continue;
        if (indented) {
            parse_field(cur, tok, n);
            continue;
        }
        cur = NULL;
        if (!strcmp(tok[0], "soc")) s->name = xstrdup(tok[1]);
        else if (!strcmp(tok[0], "family")) s->family = is_quoted(tok[1]) ? unquote(tok[1]) : xstrdup(tok[1]);
        else if (!strcmp(tok[0], "param")) parse_param(s, tok, n);
        else if (!strcmp(tok[0], "base")) apply_base(s, tok, n, socs, n_socs);
        else if (!strcmp(tok[0], "blocks")) {
            s->n_blocks = 0;
            for (size_t i = 1; i < n; i++) {
                block_index(tok[i]);
                s->blocks[s->n_blocks++] = xstrdup(tok[i]);
            }
        } else if (!strcmp(tok[0], "enum")) parse_enum(s, tok, n);
        else if (!strcmp(tok[0], "reg")) cur = parse_reg(s, tok, n);
        else if (!strcmp(tok[0], "drop")) {
            greg *r = find_reg(s, (unsigned)parse_num(tok[1], "offset"));
            if (!r)
                die("drop: no register at %s", tok[1]);
            drop_reg(s, r);
        } else if (!strcmp(tok[0], "allow")) parse_allow(s, tok, n);
        else die("unknown directive '%s'", tok[0]);
    }
    fclose(fp);
    if (!s->name || strcmp(s->name, name) != 0)
        die("file must start with 'soc %s'", name);
}

/* ---- checks ------------------------------------------------------------ */

static int cmp_field(const void *a, const void *b)
{
    const gfield *x = a, *y = b;
    return (int)y->hi - (int)x->hi;
}

static int cmp_reg(const void *a, const void *b)
{
    const greg *x = a, *y = b;
    return (int)x->offset - (int)y->offset;
}

static uint32_t mask_of(unsigned lo, unsigned hi)
{
    unsigned w = hi - lo + 1;
    return (w >= 32 ? 0xFFFFFFFFu : ((1u << w) - 1u)) << lo;
}

static void check_soc(gsoc *s)
{
    qsort(s->regs, s->n_regs, sizeof *s->regs, cmp_reg);
    for (size_t i = 0; i < s->n_regs; i++) {
        greg *r = &s->regs[i];
        g_file = r->where ? r->where : s->file;
        g_line = 0;
        if (i && r->offset == s->regs[i - 1].offset)
            die("%s: offset 0x%04X defined twice", s->name, r->offset);
        qsort(r->fields, r->n_fields, sizeof *r->fields, cmp_field);
        uint32_t covered = 0;
        for (size_t j = 0; j < r->n_fields; j++) {
            gfield *f = &r->fields[j];
            if (f->lo > f->hi || f->hi > 31)
                die("%s.%s: bad bit range %u:%u", r->name, f->name, f->hi, f->lo);
            uint32_t m = mask_of(f->lo, f->hi);
            if (covered & m)
                die("%s.%s overlaps another field (bits %u:%u)", r->name, f->name, f->hi, f->lo);
            covered |= m;
            for (size_t k = 0; k < j; k++)
                if (!strcmp(r->fields[k].name, f->name))
                    die("%s: field %s defined twice", r->name, f->name);
            if (f->reset_known && (f->reset & ~(m >> f->lo)))
                die("%s.%s: reset 0x%X does not fit %u bits", r->name, f->name, f->reset,
                    f->hi - f->lo + 1);
            if (f->enum_name) {
                genum *e = find_enum(s, f->enum_name);
                if (!e)
                    die("%s.%s: unknown enum %s", r->name, f->name, f->enum_name);
                for (size_t k = 0; k < e->n; k++)
                    if (e->vals[k] & ~(m >> f->lo))
                        die("%s.%s: enum %s value %u does not fit %u bits", r->name, f->name,
                            e->name, e->vals[k], f->hi - f->lo + 1);
            }
        }
        if (!r->layout_unknown && covered != 0xFFFFFFFFu)
            die("%s: fields cover 0x%08X, not all 32 bits (add RESERVED_n fields)", r->name, covered);
        uint32_t reserved = 0;
        for (size_t j = 0; j < r->n_fields; j++)
            if (r->fields[j].reserved)
                reserved |= mask_of(r->fields[j].lo, r->fields[j].hi);
        if (r->allow_mask & ~reserved)
            die("%s: allow mask 0x%08X covers non-reserved bits 0x%08X", r->name, r->allow_mask,
                r->allow_mask & ~reserved);
        bool present = false;
        for (size_t b = 0; b < s->n_blocks; b++)
            present |= !strcmp(s->blocks[b], r->block);
        if (!present)
            die("%s: block %s is not in this SoC's 'blocks' list", r->name, r->block);
    }
}

/* ---- output ------------------------------------------------------------ */

static void put_cstr(FILE *o, const char *s)
{
    if (!s) {
        fputs("NULL", o);
        return;
    }
    fputc('"', o);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', o);
        fputc(*s, o);
    }
    fputc('"', o);
}

static bool enum_used(const gsoc *s, const char *name)
{
    for (size_t i = 0; i < s->n_regs; i++)
        for (size_t j = 0; j < s->regs[i].n_fields; j++)
            if (s->regs[i].fields[j].enum_name && !strcmp(s->regs[i].fields[j].enum_name, name))
                return true;
    return false;
}

/* Upper-case copy in a static buffer (for RK_SOC_<NAME>). */
static const char *upcase(const char *s)
{
    static char buf[64];
    size_t i = 0;
    for (; s[i] && i + 1 < sizeof buf; i++)
        buf[i] = (char)toupper((unsigned char)s[i]);
    buf[i] = '\0';
    return buf;
}

static void emit_tables(FILE *o, gsoc *socs, size_t n)
{
    fputs("/* GENERATED by isa/gen/isa_gen.c from isa/regdb/<soc>.regs - do not edit. */\n"
          "#include \"isa_internal.h\"\n\n",
          o);
    for (size_t si = 0; si < n; si++) {
        gsoc *s = &socs[si];
        for (size_t i = 0; i < s->n_enums; i++) {
            genum *e = &s->enums[i];
            if (!enum_used(s, e->name))
                continue;
            fprintf(o, "static const isa_enum_val e_%s_%s[] = {", s->name, e->name);
            for (size_t k = 0; k < e->n; k++) {
                fprintf(o, "{%uu, ", e->vals[k]);
                put_cstr(o, e->names[k]);
                fputs("}, ", o);
            }
            fputs("};\n", o);
        }
        for (size_t i = 0; i < s->n_regs; i++) {
            greg *r = &s->regs[i];
            fprintf(o, "static const isa_field f_%s_%04X[] = {\n", s->name, r->offset);
            for (size_t j = 0; j < r->n_fields; j++) {
                gfield *f = &r->fields[j];
                unsigned w = f->hi - f->lo + 1;
                fputs("    {", o);
                put_cstr(o, f->name);
                fprintf(o, ", %u, %u, %u, 0x%08Xu, 0x%Xu, 0", f->lo, f->hi, w,
                        mask_of(f->lo, f->hi), f->reset);
                if (f->reserved) fputs("|ISA_F_RESERVED", o);
                if (f->minus1) fputs("|ISA_F_MINUS1", o);
                if (f->reset_known) fputs("|ISA_F_RESET_KNOWN", o);
                if (f->opaque) fputs("|ISA_F_UNKNOWN", o);
                if (f->addr) fputs("|ISA_F_ADDR", o);
                if (f->is_signed) fputs("|ISA_F_SIGNED", o);
                fprintf(o, ", %s, ", prov_enum(f->prov));
                if (f->enum_name) {
                    genum *e = find_enum(s, f->enum_name);
                    fprintf(o, "e_%s_%s, %zu, ", s->name, e->name, e->n);
                } else {
                    fputs("NULL, 0, ", o);
                }
                put_cstr(o, f->meaning);
                fputs("},\n", o);
            }
            fputs("};\n", o);
        }
        fprintf(o, "static const isa_reg regs_%s[] = {\n", s->name);
        for (size_t i = 0; i < s->n_regs; i++) {
            greg *r = &s->regs[i];
            uint32_t reserved = 0;
            for (size_t j = 0; j < r->n_fields; j++)
                if (r->fields[j].reserved)
                    reserved |= mask_of(r->fields[j].lo, r->fields[j].hi);
            fputs("    {", o);
            put_cstr(o, r->name);
            fputs(", ", o);
            put_cstr(o, r->short_name);
            fprintf(o, ", 0x%04Xu, ISA_BLK_%s, 0", r->offset, r->block);
            if (r->layout_unknown) fputs("|ISA_R_LAYOUT_UNKNOWN", o);
            if (r->soc_only) fputs("|ISA_R_SOC_ONLY", o);
            fprintf(o, ", %s, f_%s_%04X, %zu, 0x%08Xu, 0x%08Xu, %s, ", prov_enum(r->prov), s->name,
                    r->offset, r->n_fields, reserved, r->allow_mask,
                    prov_enum(r->allow_prov ? r->allow_prov : "unknown"));
            put_cstr(o, r->allow_note);
            fputs(", ", o);
            put_cstr(o, r->note);
            fputs("},\n", o);
        }
        fputs("};\n", o);
        fprintf(o, "static const isa_soc_info info_%s = {RK_SOC_%s, ", s->name, upcase(s->name));
        fprintf(o, "\"%s\", %u, %u, 0x%Xu, %u, %u, %u, 0", s->family ? s->family : s->name,
                s->pc_amount_scale, s->task_number_bits, s->task_status_offset, s->cbuf_banks,
                s->cbuf_bank_bytes, s->cores);
        for (size_t b = 0; b < s->n_blocks; b++)
            fprintf(o, "|(1u << ISA_BLK_%s)", s->blocks[b]);
        fprintf(o, ", %s};\n\n", s->layouts_known ? "true" : "false");
    }
    fputs("const isa_db isa_gen_dbs[] = {\n", o);
    for (size_t si = 0; si < n; si++) {
        gsoc *s = &socs[si];
        fprintf(o, "    {RK_SOC_%s, &info_%s, regs_%s, %zu, ", upcase(s->name), s->name, s->name,
                s->n_regs);
        put_cstr(o, s->target_string);
        fprintf(o, ", \"%s.regs\"},\n", s->name);
    }
    fprintf(o, "};\nconst size_t isa_gen_n_dbs = %zu;\n", n);
}

static void upper(char *s)
{
    for (; *s; s++)
        *s = (char)toupper((unsigned char)*s);
}

static void emit_reg_macros(FILE *o, const char *prefix, const greg *r)
{
    fprintf(o, "#define RK_%s%s 0x%04Xu\n", prefix, r->name, r->offset);
    if (r->layout_unknown)
        return;
    for (size_t j = 0; j < r->n_fields; j++) {
        const gfield *f = &r->fields[j];
        if (f->reserved)
            continue;
        fprintf(o, "#define RK_%s%s__%s__SHIFT %u\n", prefix, r->name, f->name, f->lo);
        fprintf(o, "#define RK_%s%s__%s__WIDTH %u\n", prefix, r->name, f->name, f->hi - f->lo + 1);
        fprintf(o, "#define RK_%s%s__%s__MASK 0x%08Xu\n", prefix, r->name, f->name,
                mask_of(f->lo, f->hi));
    }
}

static bool same_layout(const greg *a, const greg *b)
{
    if (a->n_fields != b->n_fields || a->layout_unknown != b->layout_unknown)
        return false;
    for (size_t j = 0; j < a->n_fields; j++)
        if (a->fields[j].lo != b->fields[j].lo || a->fields[j].hi != b->fields[j].hi ||
            strcmp(a->fields[j].name, b->fields[j].name) != 0 ||
            a->fields[j].reserved != b->fields[j].reserved)
            return false;
    return true;
}

static void emit_regdefs(FILE *o, gsoc *socs, size_t n)
{
    fputs("/* GENERATED by isa/gen/isa_gen.c from isa/regdb/<soc>.regs - do not edit.\n"
          " * See isa.h for how to use these macros. */\n"
          "#ifndef RKSIM_ISA_REGDEFS_H\n#define RKSIM_ISA_REGDEFS_H\n\n",
          o);
    gsoc *base = &socs[0];
    fprintf(o, "/* ---- %s (%s.regs) ---- */\n", base->family ? base->family : base->name, base->name);
    for (size_t i = 0; i < base->n_regs; i++)
        emit_reg_macros(o, "", &base->regs[i]);
    for (size_t i = 0; i < base->n_enums; i++) {
        genum *e = &base->enums[i];
        for (size_t k = 0; k < e->n; k++)
            fprintf(o, "#define RK_ENUM_%s_%s %uu\n", e->name, e->names[k], e->vals[k]);
    }
    for (size_t si = 1; si < n; si++) {
        gsoc *s = &socs[si];
        if (!s->macro_prefix)
            continue;
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s_", s->macro_prefix);
        upper(prefix);
        fprintf(o, "\n/* ---- %s: registers that differ from or are absent on %s ---- */\n",
                s->family ? s->family : s->name, base->name);
        for (size_t i = 0; i < s->n_regs; i++) {
            greg *r = &s->regs[i];
            greg *b = find_reg(base, r->offset);
            if (!r->declared_here || (b && same_layout(b, r) && !strcmp(b->name, r->name)))
                continue;
            emit_reg_macros(o, prefix, r);
        }
    }
    fputs("\n#endif\n", o);
}

static FILE *open_out(const char *dir, const char *name, char *tmp, size_t tmplen)
{
    snprintf(tmp, tmplen, "%s/%s.tmp", dir, name);
    FILE *o = fopen(tmp, "w");
    if (!o) {
        fprintf(stderr, "isa_gen: cannot write %s: %s\n", tmp, strerror(errno));
        exit(1);
    }
    return o;
}

static void close_out(FILE *o, const char *dir, const char *name, const char *tmp)
{
    char final[1024];
    snprintf(final, sizeof final, "%s/%s", dir, name);
    if (fclose(o) != 0 || rename(tmp, final) != 0) {
        fprintf(stderr, "isa_gen: cannot write %s: %s\n", final, strerror(errno));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc - 3 > MAX_SOCS) {
        fprintf(stderr, "usage: isa_gen REGDB_DIR OUT_DIR SOC... (first SOC is the macro base)\n");
        return 2;
    }
    gsoc socs[MAX_SOCS];
    memset(socs, 0, sizeof socs);
    size_t n = (size_t)argc - 3;
    for (size_t i = 0; i < n; i++) {
        load_soc(&socs[i], argv[1], argv[3 + i], socs, i);
        check_soc(&socs[i]);
    }
    char tmp[1024];
    FILE *o = open_out(argv[2], "isa_tables.c", tmp, sizeof tmp);
    emit_tables(o, socs, n);
    close_out(o, argv[2], "isa_tables.c", tmp);
    o = open_out(argv[2], "isa_regdefs.h", tmp, sizeof tmp);
    emit_regdefs(o, socs, n);
    close_out(o, argv[2], "isa_regdefs.h", tmp);
    return 0;
}
