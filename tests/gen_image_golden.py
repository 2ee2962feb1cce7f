#!/usr/bin/python3
"""gen_image_golden.py - golden data for tests/test_image.c, from PIL (an independent decoder:
libjpeg-turbo and zlib behind Pillow), written into OUTDIR at test time.

usage: gen_image_golden.py OUTDIR [IMAGES_DIR]

OUTDIR/synth/*       small synthetic images covering what the real set lacks: grey JPEG,
                     4:4:4 / 4:2:2 / 4:2:0, restart markers, progressive (colour and grey),
                     odd sizes; PNG grey 1/2/4/8-bit, grey+alpha, RGB, RGBA, palette written by
                     our own encoder here with each row using filter (row % 5) and zlib levels
                     0 (stored), 1 and 9; plus files that must be refused.
OUTDIR/cases.txt     one line per decodable case:  decode IMAGE GOLDEN.npy MAXDIFF MEANDIFF
                     (GOLDEN = PIL's Image.open(IMAGE).convert('RGB') as uint8 [H,W,3];
                     PNG must match exactly, JPEG within IDCT rounding)
                     refuse IMAGE WORD  (decoding must fail with WORD in the message)
                     resize SRC.npy W H GOLDEN.npy   (GOLDEN = PIL resize BILINEAR of SRC)
IMAGES_DIR           ../shared/datasets/images: every .jpg/.jpeg/.png under it becomes a
                     decode case (and a few become resize cases).
"""
import io
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image

JPEG_TOL = (4, 0.1)  # max, mean abs diff per image: float IDCT vs libjpeg islow (seen: 3, 0.045)


def pattern(h, w, seed):
    """A smooth-plus-edges test picture (chroma edges exercise the upsampler)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), np.float64)
    img[..., 0] = 128 + 100 * np.sin(x / 7.0) * np.cos(y / 5.0)
    img[..., 1] = 255 * (x + y) / (w + h)
    img[..., 2] = np.where((x // 9 + y // 7) % 2, 220, 30)
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def bits_of(v):
    """JPEG magnitude category and its bits (T.81 F.1.2.1)."""
    v = int(v)
    s = abs(v).bit_length()
    return s, (v if v >= 0 else v + (1 << s) - 1)


def jpeg_encode_restart(img, samp, restart):
    """Baseline JPEG with a DRI restart interval (MCUs), quality-ish table, and flat Huffman
    tables (DC: 12 symbols of 4 bits; AC: 255 symbols of 8 bits + 1 of 9) - valid, not small.
    img: [H,W,3] RGB or [H,W] grey; samp: luma sampling factor (1 or 2, chroma 1)."""
    grey = img.ndim == 2
    h, w = img.shape[:2]
    if grey:
        planes = [img.astype(np.float64)]
        samp = 1
    else:
        r, g, b = [img[..., i].astype(np.float64) for i in range(3)]
        planes = [0.299 * r + 0.587 * g + 0.114 * b,
                  -0.168736 * r - 0.331264 * g + 0.5 * b + 128,
                  0.5 * r - 0.418688 * g - 0.081312 * b + 128]
    mw, mh = 8 * samp, 8 * samp
    mcux, mcuy = -(-w // mw), -(-h // mh)
    q = np.clip(np.array([(8 + (i // 8 + i % 8) * 3) for i in range(64)]).reshape(8, 8), 1, 255)
    zz = sorted(range(64), key=lambda i: (i // 8 + i % 8, (i // 8) if (i // 8 + i % 8) % 2 else -(i // 8)))
    c = np.array([[(np.sqrt(0.5) if u == 0 else 1) * np.cos((2 * x + 1) * u * np.pi / 16) / 2
                   for x in range(8)] for u in range(8)])

    def comp_plane(i):
        p = planes[i]
        f = samp if i == 0 else 1
        ph, pw = mcuy * 8 * f, mcux * 8 * f
        if i > 0 and samp == 2:  # 2x2 box average of the edge-padded full plane
            full = np.pad(p, ((0, mcuy * 16 - h), (0, mcux * 16 - w)), mode='edge')
            return full.reshape(ph, 2, pw, 2).mean(axis=(1, 3))
        return np.pad(p, ((0, ph - h), (0, pw - w)), mode='edge')

    cp = [comp_plane(i) for i in range(len(planes))]
    out = bytearray()
    acc, nacc = 0, 0

    def put(v, n):
        nonlocal acc, nacc
        acc = (acc << n) | v
        nacc += n
        while nacc >= 8:
            byte = (acc >> (nacc - 8)) & 255
            out.append(byte)
            if byte == 255:
                out.append(0)
            nacc -= 8

    def flush():
        nonlocal nacc, acc
        if nacc:
            put((1 << (8 - nacc)) - 1, 8 - nacc)
        acc = 0

    def ac_code(sym):
        return (sym, 8) if sym < 255 else (510, 9)

    def block(plane, by, bx, pred):
        blk = plane[by * 8:by * 8 + 8, bx * 8:bx * 8 + 8] - 128
        coef = np.rint((c @ blk @ c.T) / q).astype(int).flatten()
        z = [coef[k] for k in zz]
        s, v = bits_of(z[0] - pred)
        put(s, 4)
        if s:
            put(v, s)
        run = 0
        for k in range(1, 64):
            if z[k] == 0:
                run += 1
                continue
            while run > 15:
                put(*ac_code(0xF0))
                run -= 16
            s, v = bits_of(z[k])
            put(*ac_code((run << 4) | s))
            put(v, s)
            run = 0
        if run:
            put(*ac_code(0))
        return z[0]

    preds = [0] * len(cp)
    n = 0
    for my in range(mcuy):
        for mx in range(mcux):
            if n and n % restart == 0:
                flush()
                out.extend(b'\xff' + bytes([0xD0 + (n // restart - 1) % 8]))
                preds = [0] * len(cp)
            for i in range(len(cp)):
                f = samp if i == 0 else 1
                for v in range(f):
                    for u in range(f):
                        preds[i] = block(cp[i], my * f + v, mx * f + u, preds[i])
            n += 1
    flush()

    def seg(m, body):
        return b'\xff' + bytes([m]) + struct.pack('>H', len(body) + 2) + body

    nc = len(cp)
    data = b'\xff\xd8'
    data += seg(0xDB, bytes([0]) + bytes(int(q.flatten()[k]) for k in zz))
    sof = struct.pack('>BHHB', 8, h, w, nc)
    for i in range(nc):
        sof += bytes([i + 1, ((samp << 4) | samp) if i == 0 else 0x11, 0])
    data += seg(0xC0, sof)
    dc_counts = [0, 0, 0, 12] + [0] * 12
    ac_counts = [0] * 7 + [255, 1] + [0] * 7
    data += seg(0xC4, bytes([0x00] + dc_counts) + bytes(range(12)))
    data += seg(0xC4, bytes([0x10] + ac_counts) + bytes(range(256)))
    data += seg(0xDD, struct.pack('>H', restart))
    sos = bytes([nc]) + b''.join(bytes([i + 1, 0x00]) for i in range(nc)) + bytes([0, 63, 0])
    data += seg(0xDA, sos) + bytes(out) + b'\xff\xd9'
    return data


def png_chunk(kind, body):
    return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xFFFFFFFF)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def png_encode(rows, width, ctype, depth, bpp, level, plte=None, interlace=0):
    """rows: list of bytes (packed samples); row y uses filter y % 5."""
    out = bytearray()
    prev = bytes(len(rows[0]))
    for y, r in enumerate(rows):
        f = y % 5
        enc = bytearray([f])
        for i, v in enumerate(r):
            a = r[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = [0, a, b, (a + b) // 2, paeth(a, b, c)][f]
            enc.append((v - p) & 255)
        out += enc
        prev = r
    data = b'\x89PNG\r\n\x1a\n'
    data += png_chunk(b'IHDR', struct.pack('>IIBBBBB', width, len(rows), depth, ctype, 0, 0, interlace))
    if plte is not None:
        data += png_chunk(b'PLTE', bytes(plte))
    z = zlib.compress(bytes(out), level)
    data += png_chunk(b'IDAT', z[:len(z) // 2]) + png_chunk(b'IDAT', z[len(z) // 2:])
    return data + png_chunk(b'IEND', b'')


def pack_bits(vals, depth):
    per = 8 // depth
    out = bytearray((len(vals) + per - 1) // per)
    for i, v in enumerate(vals):
        out[i // per] |= v << (8 - depth * (i % per + 1))
    return bytes(out)


def main():
    outdir = sys.argv[1]
    images = sys.argv[2] if len(sys.argv) > 2 else ''
    sd = os.path.join(outdir, 'synth')
    os.makedirs(sd, exist_ok=True)
    cases = []

    def golden(path, tol):
        g = np.asarray(Image.open(path).convert('RGB'), np.uint8)
        npy = path + '.npy'
        np.save(npy, g)
        cases.append('decode %s %s %d %g' % (path, npy, tol[0], tol[1]))
        return g

    # --- JPEG variants (PIL's encoder; subsampling 0=4:4:4, 1=4:2:2, 2=4:2:0)
    rgb = pattern(61, 83, 1)
    for name, kw in [('s444', dict(subsampling=0)), ('s422', dict(subsampling=1)), ('s420', dict(subsampling=2)),
                     ('s420_prog', dict(subsampling=2, progressive=True)),
                     ('s444_prog', dict(subsampling=0, progressive=True)),
                     ('s420_q100', dict(subsampling=2, quality=100)), ('s420_q20', dict(subsampling=2, quality=20))]:
        p = os.path.join(sd, name + '.jpg')
        Image.fromarray(rgb).save(p, 'JPEG', quality=kw.pop('quality', 90), **kw)
        golden(p, JPEG_TOL)
    grey = pattern(37, 50, 2)[..., 0]
    for name, kw in [('grey', {}), ('grey_prog', dict(progressive=True))]:
        p = os.path.join(sd, name + '.jpg')
        Image.fromarray(grey, 'L').save(p, 'JPEG', quality=85, **kw)
        golden(p, JPEG_TOL)
    # restart markers: Pillow 9.4 cannot write them, so our own minimal baseline encoder
    # below writes them (decoded by PIL for the golden)
    for name, img, samp, ri in [('restart444', rgb, 1, 3), ('restart420', rgb, 2, 2), ('restart_grey', grey, 1, 5)]:
        p = os.path.join(sd, name + '.jpg')
        open(p, 'wb').write(jpeg_encode_restart(img, samp, ri))
        golden(p, JPEG_TOL)

    # --- PNG variants (own encoder: every filter type; PIL decodes = golden)
    base = pattern(23, 29, 3)
    h, w = base.shape[:2]
    g8 = base[..., 0]
    for level in (0, 1, 9):
        p = os.path.join(sd, 'rgb_l%d.png' % level)
        open(p, 'wb').write(png_encode([base[y].tobytes() for y in range(h)], w, 2, 8, 3, level))
        golden(p, (0, 0))
    rgba = np.dstack([base, g8[..., None]])
    p = os.path.join(sd, 'rgba.png')
    open(p, 'wb').write(png_encode([rgba[y].tobytes() for y in range(h)], w, 6, 8, 4, 6))
    golden(p, (0, 0))
    p = os.path.join(sd, 'grey8.png')
    open(p, 'wb').write(png_encode([g8[y].tobytes() for y in range(h)], w, 0, 8, 1, 6))
    golden(p, (0, 0))
    la = np.dstack([g8, 255 - g8])
    p = os.path.join(sd, 'grey_alpha.png')
    open(p, 'wb').write(png_encode([la[y].tobytes() for y in range(h)], w, 4, 8, 2, 6))
    golden(p, (0, 0))
    for depth in (1, 2, 4):
        v = (g8.astype(int) >> (8 - depth))
        p = os.path.join(sd, 'grey%d.png' % depth)
        open(p, 'wb').write(png_encode([pack_bits(v[y], depth) for y in range(h)], w, 0, depth, 1, 6))
        golden(p, (0, 0))
    rng = np.random.default_rng(4)
    plte = rng.integers(0, 256, (200, 3)).astype(np.uint8)
    idx = (g8.astype(int) * 199) // 255
    p = os.path.join(sd, 'palette8.png')
    open(p, 'wb').write(png_encode([bytes(idx[y].astype(np.uint8)) for y in range(h)], w, 3, 8, 1, 6,
                                   plte=plte.tobytes()))
    golden(p, (0, 0))
    idx4 = idx % 16
    p = os.path.join(sd, 'palette4.png')
    open(p, 'wb').write(png_encode([pack_bits(idx4[y], 4) for y in range(h)], w, 3, 4, 1, 6,
                                   plte=plte[:16].tobytes()))
    golden(p, (0, 0))
    # PIL's own PNG encoder too (its filter choice, one IDAT)
    p = os.path.join(sd, 'pil.png')
    Image.fromarray(base).save(p, 'PNG', optimize=True)
    golden(p, (0, 0))

    # --- must be refused
    def refuse(name, data, word):
        p = os.path.join(sd, name)
        open(p, 'wb').write(data)
        cases.append('refuse %s %s' % (p, word))

    jpg = open(os.path.join(sd, 's420.jpg'), 'rb').read()
    prog = open(os.path.join(sd, 's420_prog.jpg'), 'rb').read()
    png = open(os.path.join(sd, 'rgb_l9.png'), 'rb').read()
    refuse('trunc.jpg', jpg[:len(jpg) // 2], 'truncated')
    refuse('trunc_prog.jpg', prog[:len(prog) * 2 // 3], 'truncated')
    refuse('trunc.png', png[:len(png) // 2], 'truncated')
    refuse('crc.png', png[:40] + bytes([png[40] ^ 0x55]) + png[41:], 'CRC')
    refuse('sig.jpg', b'GIF89a' + jpg[6:], 'signature')
    sof = jpg.index(b'\xff\xc0')
    huge = bytearray(jpg)
    huge[sof + 5:sof + 9] = struct.pack('>HH', 65000, 65000)
    refuse('huge.jpg', bytes(huge), 'limit')
    arith = bytearray(jpg)
    arith[sof + 1] = 0xC9
    refuse('arith.jpg', bytes(arith), 'SOF9')
    hdr = bytearray(png)
    hdr[16:24] = struct.pack('>II', 1 << 30, 1 << 30)
    hdr[29:33] = struct.pack('>I', zlib.crc32(bytes(hdr[12:29])) & 0xFFFFFFFF)
    refuse('huge.png', bytes(hdr), 'limit')
    refuse('interlaced.png', png_encode([base[y].tobytes() for y in range(h)], w, 2, 8, 3, 6, interlace=1),
           'interlaced')
    b16 = Image.fromarray((g8.astype(np.uint16) * 257), 'I;16')
    buf = io.BytesIO()
    b16.save(buf, 'PNG')
    refuse('grey16.png', buf.getvalue(), '16-bit')
    # bad Huffman code: overwrite the middle of the entropy data with 0xFF 0x00 pairs
    bad = bytearray(jpg)
    sos = jpg.index(b'\xff\xda')
    for i in range(sos + 40, sos + 200, 2):
        bad[i:i + 2] = b'\xff\x00'
    cases.append('nocrash %s' % os.path.join(sd, 'garbled.jpg'))
    open(os.path.join(sd, 'garbled.jpg'), 'wb').write(bytes(bad))

    # --- real images
    real = []
    if images and os.path.isdir(images):
        for root, _, files in sorted(os.walk(images)):
            for f in sorted(files):
                if f.lower().endswith(('.jpg', '.jpeg', '.png')):
                    real.append(os.path.join(root, f))
    rd = os.path.join(outdir, 'real')
    os.makedirs(rd, exist_ok=True)
    for i, f in enumerate(real):
        g = np.asarray(Image.open(f).convert('RGB'), np.uint8)
        npy = os.path.join(rd, '%02d.npy' % i)
        np.save(npy, g)
        tol = (0, 0) if f.lower().endswith('.png') else JPEG_TOL
        cases.append('decode %s %s %d %g' % (f, npy, tol[0], tol[1]))

    # --- resize: PIL BILINEAR on PIL-decoded pixels (down, up, mixed, odd)
    srcs = [os.path.join(sd, 's444.jpg.npy'), os.path.join(sd, 'rgb_l9.png.npy')]
    srcs += [os.path.join(rd, '%02d.npy' % i) for i in range(min(3, len(real)))]
    for k, s in enumerate(srcs):
        a = np.load(s)
        ah, aw = a.shape[:2]
        for (ow, oh) in [(480, 480), (max(1, aw // 3), max(1, ah // 2 + 1)), (aw * 2 + 1, ah), (aw, 7), (1, 1)]:
            r = np.asarray(Image.fromarray(a).resize((ow, oh), Image.BILINEAR), np.uint8)
            npy = os.path.join(outdir, 'resize_%d_%dx%d.npy' % (k, ow, oh))
            np.save(npy, r)
            cases.append('resize %s %d %d %s' % (s, ow, oh, npy))

    with open(os.path.join(outdir, 'cases.txt'), 'w') as fh:
        fh.write('\n'.join(cases) + '\n')
    print('wrote %d cases (%d real images) to %s' % (len(cases), len(real), outdir))


if __name__ == '__main__':
    main()
