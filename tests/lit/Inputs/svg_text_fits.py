"""Checks that every text of an SVG written by `pare profile --svg` lies inside the picture.

    svg_text_fits.py PLOT.svg

A text's extent is estimated as pare lays it out (compiler/Profile.cpp, textWidth: 0.62 em per
character) from its x, text-anchor and font size; prints each text that starts left of 0 or ends
right of the width and exits 1 if any does, else prints "all N texts fit in W x H".
"""
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def main():
    root = ET.parse(sys.argv[1]).getroot()
    width, height = float(root.get("width")), float(root.get("height"))
    base = float(root.get("font-size", "12"))
    bad = 0
    texts = list(root.iter(NS + "text"))
    for t in texts:
        if t.get("transform"):  # the rotated y-axis label
            continue
        size = float(t.get("font-size", base))
        w = 0.62 * size * len(t.text or "")
        x = float(t.get("x"))
        anchor = t.get("text-anchor", "start")
        lo = x if anchor == "start" else x - w if anchor == "end" else x - w / 2
        if lo < 0 or lo + w > width:
            print("text %r spans %.1f..%.1f, outside 0..%.1f" % (t.text, lo, lo + w, width))
            bad += 1
    if bad:
        sys.exit(1)
    print("all %d texts fit in %g x %g" % (len(texts), width, height))


if __name__ == "__main__":
    main()
