#!/usr/bin/python3
"""Check that a compare HTML report really rendered in headless Chromium:
the screenshot is not blank and shows the plot's two series colours, and the
DOM Chromium built has the layer table rows and the SVG drift plot.

usage: compare_html_check.py SCREENSHOT.png DOM.html N_LAYERS
"""
import sys

from PIL import Image


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def near(c, target, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(c, target))


def main():
    png, dom_path, n_layers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    img = Image.open(png).convert("RGB")
    colors = img.getcolors(maxcolors=1 << 20) or []
    if len(colors) < 16:
        fail("screenshot looks blank (%d colours)" % len(colors))
    # SQNR series #1f5fa8, cosine series #c85a00 (report_html.c)
    blue = sum(n for n, c in colors if near(c, (0x1f, 0x5f, 0xa8)))
    orange = sum(n for n, c in colors if near(c, (0xc8, 0x5a, 0x00)))
    if blue < 200 or orange < 200:
        fail("plot series not visible in the screenshot (blue %d px, orange %d px)" % (blue, orange))
    dom = open(dom_path, encoding="utf-8", errors="replace").read()
    if '<svg id="drift"' not in dom or "<polyline" not in dom:
        fail("no drift plot svg in the rendered DOM")
    rows = dom.count('<tr class="layer')
    if rows != n_layers:
        fail("rendered table has %d layer rows, expected %d" % (rows, n_layers))
    print("ok: chromium rendered %d table rows and the plot (%d colours, %d blue / %d orange px)"
          % (rows, len(colors), blue, orange))


if __name__ == "__main__":
    main()
