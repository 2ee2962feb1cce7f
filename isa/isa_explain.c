/*
 * isa_explain.c - parsing and explaining rknn-toolkit2 build-log lines.
 * Knowledge (which models hit which line, what helped) is from
 * rknn-format.md §5 and the public issues it cites; register facts from the
 * database.  See isa_explain.h.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa_explain.h"

/* ---- parsing ------------------------------------------------------------ */

/* "E RKNN: [10:14:38.123] ..." -> level 'E', timestamp "10:14:38.123". */
static void parse_prefix(const char *line, isa_log_line *out)
{
    out->level = '?';
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strchr("EWID", p[0]) && p[0] && p[1] == ' ')
        out->level = p[0];
    const char *lb = strchr(line, '[');
    const char *rb = lb ? strchr(lb, ']') : NULL;
    if (lb && rb && rb - lb - 1 < (long)sizeof out->timestamp && rb - lb > 1 &&
        isdigit((unsigned char)lb[1])) {
        memcpy(out->timestamp, lb + 1, (size_t)(rb - lb - 1));
        out->timestamp[rb - lb - 1] = '\0';
    }
}

static bool parse_regtask(const char *p, isa_log_line *out)
{
    unsigned off, shift, limit;
    unsigned long long value;
    if (sscanf(p,
               "REGTASK: The bit width of field value exceeds the limit, target: %15[^,], "
               "offset: 0x%x, shift = %u, limit: 0x%x, value: 0x%llx",
               out->target, &off, &shift, &limit, &value) != 5)
        return false;
    out->offset = off;
    out->shift = shift;
    out->limit = limit;
    out->value = value;
    out->soc = rk_soc_from_target_string(out->target);
    rk_soc db = out->soc != RK_SOC_UNKNOWN ? out->soc : RK_SOC_RK3588;
    out->reg = off <= 0xFFFF ? isa_reg_lookup(db, (uint16_t)off) : NULL;
    out->field = NULL;
    for (size_t i = 0; out->reg && i < out->reg->n_fields; i++)
        if (out->reg->fields[i].lo == shift && !(out->reg->fields[i].flags & ISA_F_RESERVED))
            out->field = &out->reg->fields[i];
    return true;
}

static bool parse_core_fallback(const char *p, isa_log_line *out)
{
    const char *q = strstr(p, "Failed to config layer: '");
    if (!q || !strstr(p, "fallback to single core"))
        return false;
    q += strlen("Failed to config layer: '");
    const char *end = strchr(q, '\'');
    if (!end)
        return false;
    size_t n = RK_MIN((size_t)(end - q), sizeof out->layer - 1);
    memcpy(out->layer, q, n);
    out->layer[n] = '\0';
    const char *nums = strstr(end, "core_num");
    if (nums)
        sscanf(nums, "core_num %lld ori_Ih %lld ori_Iw %lld ori_Ic %lld", &out->num[0],
               &out->num[1], &out->num[2], &out->num[3]);
    return true;
}

static bool blank(const char *line)
{
    for (; *line; line++)
        if (!isspace((unsigned char)*line))
            return false;
    return true;
}

isa_log_kind isa_log_parse_line(const char *line, isa_log_line *out)
{
    memset(out, 0, sizeof *out);
    if (!line || blank(line))
        return out->kind = ISA_LOG_BLANK;
    parse_prefix(line, out);
    const char *p;
    if ((p = strstr(line, "REGTASK: ")) && parse_regtask(p, out))
        return out->kind = ISA_LOG_REGTASK;
    if ((p = strstr(line, "align_surf(")) && strstr(line, "notch_limit(")) {
        sscanf(p, "align_surf(%lld) > notch_limit(%lld)", &out->num[0], &out->num[1]);
        return out->kind = ISA_LOG_ALIGN_SURF;
    }
    if (strstr(line, "align_surf overflow"))
        return out->kind = ISA_LOG_ALIGN_SURF_OVERFLOW;
    if (strstr(line, "notch_addr overflow"))
        return out->kind = ISA_LOG_NOTCH_OVERFLOW;
    if (strstr(line, "Transpose will fallback"))
        return out->kind = ISA_LOG_TRANSPOSE_FALLBACK;
    if ((p = strstr(line, "DatainEntries overflow"))) {
        const char *q = strstr(p, "datain_entries:");
        if (q)
            sscanf(q, "datain_entries: %lld, limitation: %lld", &out->num[0], &out->num[1]);
        return out->kind = ISA_LOG_DATAIN_ENTRIES;
    }
    if (strstr(line, "failed to config argb mode layer"))
        return out->kind = ISA_LOG_ARGB_MODE;
    if (parse_core_fallback(line, out))
        return out->kind = ISA_LOG_CORE_FALLBACK;
    return out->kind = ISA_LOG_UNRECOGNISED;
}

/* ---- explanation text --------------------------------------------------- */

typedef struct sbuf {
    char *buf;
    size_t len, used;
} sbuf;

static void put(sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *s, const char *fmt, ...)
{
    if (s->used >= s->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->buf + s->used, s->len - s->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        s->used = RK_MIN(s->used + (size_t)n, s->len - 1);
}

/* What is known about each REGTASK (offset, shift) seen in public reports
 * (rknn-format.md §5). */
typedef struct regtask_fact {
    uint32_t offset;
    unsigned shift;
    const char *layers;
    const char *sources;
    bool notch; /* a notch/stride field rather than a cube size */
} regtask_fact;

static const regtask_fact k_regtask_facts[] = {
    {0x4030, 0,
     "layers whose output has an axis longer than 8192 laid out as the DPU cube width: "
     "YOLOv8's DFL Conv/Softmax on [1,16,4,8400] and the concatenated detection heads "
     "(8400 anchors at 640x640)",
     "rockchip-linux/rknn-toolkit2 #173", false},
    {0x500c, 0,
     "element-wise / DPU-RDMA inputs wider than 8192: the same YOLOv8 DFL conv on "
     "[1,16,4,8400] (DPU_RDMA reads the tensor the DPU writes)",
     "airockchip/rknn-toolkit2 #163", false},
    {0x405c, 0, "YOLOv8 heads whose output width exceeds 8192 (DPU write DMA)",
     "rockchip-linux/rknn-toolkit2 #173, airockchip/rknn-toolkit2 #193", false},
    {0x4038, 0, "YOLO heads, TopK and Flatten over large feature maps",
     "airockchip/rknn-toolkit2 #163, #368", true},
    {0x4038, 16, "YOLO heads, TopK and Flatten over large feature maps",
     "airockchip/rknn-toolkit2 #163, #368", true},
    {0x5048, 19, "the Qwen2.5-VL vision encoder and a Pad model (large flattened planes)",
     "airockchip/rknn-toolkit2 #364, #419, airockchip/rknn-llm #281, #417", true},
};

static const regtask_fact *find_fact(uint32_t off, unsigned shift)
{
    for (size_t i = 0; i < RK_ARRAY_LEN(k_regtask_facts); i++)
        if (k_regtask_facts[i].offset == off && k_regtask_facts[i].shift == shift)
            return &k_regtask_facts[i];
    return NULL;
}

static unsigned bits_of_limit(uint32_t limit)
{
    unsigned b = 0;
    while (b < 32 && ((uint64_t)1 << b) <= limit)
        b++;
    return b;
}

static void put_remedies_axis(sbuf *s)
{
    put(s, "  remedies that worked in public reports:\n"
           "    - split or reshape the long axis so no axis the NPU sees exceeds the limit\n"
           "      (e.g. [1,64,8400] -> [1,64,80,105], or split 8400 into 2 x 4200 before the op);\n"
           "    - move post-processing (DFL, box decode, Softmax/TopK over anchors) to the CPU:\n"
           "      Rockchip's airockchip/ultralytics_yolov8 exporter (RKOPT_README) does this;\n"
           "    - shrink the input: 640x640 gives 80^2+40^2+20^2 = 8400 anchors, 608x608 gives\n"
           "      7581 (arithmetic), under the limit.\n"
           "    Users report the model is sometimes still exported and runs; check its outputs.\n");
}

static void put_remedies_notch(sbuf *s)
{
    put(s, "  remedies that worked in public reports:\n"
           "    - avoid Flatten/Reshape/TopK that build one huge plane: keep feature maps 4-D and\n"
           "      split the large axis;\n"
           "    - run TopK / Flatten / post-processing on the CPU;\n"
           "    - reduce the input (image resolution, sequence length).\n");
}

static void explain_regtask(const isa_log_line *l, sbuf *s)
{
    const regtask_fact *fact = find_fact(l->offset, l->shift);
    const isa_field *f = l->field;
    rk_soc soc = l->soc != RK_SOC_UNKNOWN ? l->soc : RK_SOC_RK3588;
    put(s, "  target '%s' = %s%s\n", l->target, rk_soc_name(soc),
        l->soc == RK_SOC_UNKNOWN ? " (unknown target string; using the RK3588 database)" : "");
    if (!l->reg) {
        put(s, "  register: offset 0x%04x is not in the %s database\n", l->offset, rk_soc_name(soc));
    } else if (!f) {
        put(s, "  register: %s (0x%04x); no field starts at bit %u\n", l->reg->name, l->offset,
            l->shift);
    } else {
        put(s, "  register: %s (0x%04x), field %s, bits %u:%u (%u bits, layout from %s)\n",
            l->reg->name, l->offset, f->name, f->hi, f->lo, f->width, isa_prov_name(f->prov));
        if (f->meaning && f->meaning[0])
            put(s, "  meaning:  %s\n", f->meaning);
    }
    unsigned bits = bits_of_limit(l->limit);
    bool m1 = f && (f->flags & ISA_F_MINUS1);
    if (m1) {
        put(s, "  value:    0x%llx = %llu is stored as size-1: the model asks for a size of %llu\n",
            (unsigned long long)l->value, (unsigned long long)l->value,
            (unsigned long long)l->value + 1);
        put(s, "  limit:    a %u-bit minus-one field allows at most %llu (limit 0x%x + 1)\n", bits,
            (unsigned long long)l->limit + 1, l->limit);
    } else {
        put(s, "  value:    0x%llx = %llu", (unsigned long long)l->value,
            (unsigned long long)l->value);
        if (fact && fact->notch)
            put(s, " (a notch/stride in 16-byte atoms [inferred]: %llu bytes)",
                (unsigned long long)l->value * 16);
        put(s, "\n  limit:    a %u-bit field allows at most %u (0x%x); the value needs %u bits\n",
            bits, l->limit, l->limit, bits_of_limit((uint32_t)RK_MIN(l->value, 0xFFFFFFFFull)));
    }
    if (f && l->limit != isa_field_max(f))
        put(s, "  note:     the database has %s.%s as %u bits (max 0x%x); the log says 0x%x\n",
            l->reg->name, f->name, f->width, isa_field_max(f), l->limit);
    if (fact) {
        put(s, "  produced by: %s (%s)\n", fact->layers, fact->sources);
        if (fact->notch)
            put_remedies_notch(s);
        else
            put_remedies_axis(s);
    } else {
        put(s, "  produced by: a tensor dimension or stride larger than this field holds "
               "(no public report of this offset)\n");
        put_remedies_axis(s);
    }
}

static void explain_align_surf(const isa_log_line *l, sbuf *s)
{
    put(s, "  The compiler's unpack step (native NC1HWC2 -> the model's layout) needs a surface\n"
           "  alignment (%lld) that the notch fields cannot express within notch_limit %lld.\n"
           "  The notch fields are 13 bits: DPU_DATA_CUBE_NOTCH_ADDR.NOTCH_ADDR_0/1 (12:0, 28:16),\n"
           "  DPU_RDMA_SRC_DMA_CFG.LINE_NOTCH_ADDR (31:19), PPU_OPERATION_MODE_CFG.NOTCH_ADDR\n"
           "  (28:16) [link to this message inferred].\n"
           "  produced by: outputs/transposes with an axis > 8191, e.g. YOLOv8 heads with 8400\n"
           "  anchors (airockchip/rknn-toolkit2 #163; rknn-format.md §5)\n",
        l->num[0], l->num[1]);
    put_remedies_axis(s);
}

static void explain_datain(const isa_log_line *l, sbuf *s)
{
    put(s, "  Debug level: one input tile would need %lld CBUF data entries, more than the\n"
           "  compiler's limit of %lld, so it tiles the convolution further (more tasks; harmless\n"
           "  when the build succeeds [inferred]).  The per-row entry count is programmed in\n"
           "  CNA_CBUF_CON1.DATA_ENTRIES (bits 13:0 in registers.xml, 12:0 per the TRM)\n"
           "  [link inferred]; one entry holds\n"
           "  64 bytes of an input row (npu-isa.md §3.4 [RE]), so %lld entries = %lld bytes.\n"
           "  produced by: wide input rows (width x channels), e.g. the first layers on large\n"
           "  images (rknn-format.md §5)\n"
           "  remedies: none needed if the build succeeds; to avoid the extra tiling reduce the\n"
           "  input width or the channel count of the layer.\n",
        l->num[0], l->num[1], l->num[0], l->num[0] * 64);
}

static void explain_argb(sbuf *s)
{
    put(s, "  The compiler could not configure a layer in 'ARGB' (input-image) mode.  That mode is\n"
           "  CNA_CONV_CON1.ARGB_IN (bits 15:12; 8..11 = 1..4-channel image input, NONALIGN_DMA\n"
           "  must be 1), used on the first conv of image inputs [inferred link; vendor files\n"
           "  show ARGB_IN=10 on first-conv tasks].  Usually followed by 'Aborted (core dumped)'.\n"
           "  produced by: YOLOv8-seg with toolkit 1.6.0 for RK3588 only (works for RK3562/66/68);\n"
           "  a commenter tied it to the DFL Softmax (rockchip-linux/rknn-toolkit2 #272,\n"
           "  rknn_model_zoo #95)\n"
           "  remedies: export with airockchip/ultralytics_yolov8 (removes DFL/post-processing),\n"
           "  or remove the DFL Softmax from the graph and run it on the CPU.\n");
}

static void explain_core_fallback(const isa_log_line *l, sbuf *s)
{
    put(s, "  Layer '%s' could not be split across the %lld RK3588 NPU cores and runs on one core\n"
           "  (slower; the model is still produced).  Its input is H=%lld W=%lld C=%lld.\n",
        l->layer, l->num[0], l->num[1], l->num[2], l->num[3]);
    if (l->num[2] > 8192 || l->num[1] > 8192)
        put(s, "  An axis above 8192 does not fit the 13-bit cube fields (e.g. DPU_DATA_CUBE_WIDTH\n"
               "  stores W-1 in bits 12:0) [cause inferred].\n");
    put(s, "  produced by: YOLOv8's DFL conv '/model.22/dfl/conv/Conv' on [1,16,4,8400]\n"
           "  (airockchip/rknn-toolkit2 #163)\n");
    put_remedies_axis(s);
}

size_t isa_log_explain(const isa_log_line *l, char *buf, size_t len)
{
    if (!buf || !len)
        return 0;
    sbuf s = {buf, len, 0};
    buf[0] = '\0';
    switch (l->kind) {
    case ISA_LOG_REGTASK: explain_regtask(l, &s); break;
    case ISA_LOG_ALIGN_SURF: explain_align_surf(l, &s); break;
    case ISA_LOG_ALIGN_SURF_OVERFLOW:
        put(&s, "  Converting a CHW tensor to the native C1HWC2 layout needs a surface stride larger\n"
                "  than the 13-bit notch fields hold (rknn-format.md §5).\n");
        put_remedies_notch(&s);
        break;
    case ISA_LOG_NOTCH_OVERFLOW:
        put(&s, "  A transpose (ABC -> BAC) needs a notch address wider than the 13-bit notch fields\n"
                "  (DPU_DATA_CUBE_NOTCH_ADDR, DPU_RDMA LINE_NOTCH_ADDR); the Transpose usually falls\n"
                "  back to the CPU next (rknn-format.md §5).\n");
        put_remedies_notch(&s);
        break;
    case ISA_LOG_TRANSPOSE_FALLBACK:
        put(&s, "  The Transpose runs on the CPU instead of the NPU (slower, still correct), usually\n"
                "  after a notch overflow (rknn-format.md §5).\n");
        put_remedies_notch(&s);
        break;
    case ISA_LOG_DATAIN_ENTRIES: explain_datain(l, &s); break;
    case ISA_LOG_ARGB_MODE: explain_argb(&s); break;
    case ISA_LOG_CORE_FALLBACK: explain_core_fallback(l, &s); break;
    default: break;
    }
    return s.used;
}
