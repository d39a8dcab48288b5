#!/usr/bin/env python3
"""Seeded synthetic pictures with the statistics of photographs, for calibrating and evaluating
image models when no photo data set can be shipped or downloaded.

What makes a picture "natural" for a convolutional network is mostly its second-order statistics
and its edges: photographs have an amplitude spectrum close to 1/f (scale invariance), large flat
regions bounded by sharp occluding contours, smooth illumination gradients, correlated colour
channels and a little sensor noise. Standard-normal noise has none of these (a flat spectrum, no
edges, no flat regions), so ranges calibrated on it are not those of real inputs. Each picture
here is built from:

1. a background gradient between two colours, and an illumination gradient over the scene;
2. a "dead leaves" layer (Matheron's model, Lee, Mumford and Huang 2001, "Occlusion models for
   natural images"): opaque discs, ellipses and rectangles dropped one over the other, with sizes
   drawn from p(r) ~ r^-3 (the law that gives a scale-invariant picture) until the picture is
   covered about four times over, each of a colour near the picture's palette and with its own
   shading ramp;
3. a faint 1/f texture per channel (the amplitude spectrum of natural images) and a one-pixel
   blur (optics), then clipping to [0, 1].

`natural_images(n, height, width, seed)` returns n pictures NCHW float32 in [0, 1];
`imagenet_normalize(x)` applies torchvision's ImageNet normalisation ((x - mean) / std per
channel), as the torchvision classification models expect. Deterministic: the same arguments give
the same pictures on every machine (numpy's PCG64 generator, no threads).

    .venv/bin/python scripts/natural_images.py --count 8 --size 96 --png DIR   # look at them
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


def _one_over_f(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = 1.0
    phase = np.exp(2j * np.pi * rng.uniform(size=(h, w)))
    noise = np.real(np.fft.ifft2(phase / f))
    return (noise / (noise.std() + 1e-12)).astype(np.float32)


def _picture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    size = float(max(h, w))
    # 1. illumination gradient
    a = rng.uniform(0, 2 * np.pi)
    t = (np.cos(a) * xx + np.sin(a) * yy) / size
    t = ((t - t.min()) / (t.max() - t.min() + 1e-6))[None]
    c0, c1 = rng.uniform(0.1, 0.9, 3), rng.uniform(0.1, 0.9, 3)
    img = (c0[:, None, None] * (1 - t) + c1[:, None, None] * t).astype(np.float32)
    # 2. dead leaves, back to front, until the picture is covered about four times over; a palette
    # of a few base colours per picture
    palette = rng.uniform(0.0, 1.0, (rng.integers(3, 7), 3))
    sat = rng.uniform(0.3, 1.0)  # photographs are less saturated than uniform RGB colours
    palette = palette.mean(axis=1, keepdims=True) * (1 - sat) + palette * sat
    rmin, rmax = max(1.5, 0.012 * size), 0.6 * size
    mean_area = np.pi * 2 * rmin * rmin * np.log(rmax / rmin)  # E[pi r^2] under p(r) ~ r^-3
    count = int(4 * h * w / mean_area)
    u = rng.uniform(size=count)
    radii = (rmin ** -2 - u * (rmin ** -2 - rmax ** -2)) ** -0.5  # p(r) ~ r^-3 on [rmin, rmax]
    for r in radii:
        cy, cx = rng.uniform(-0.1 * h, 1.1 * h), rng.uniform(-0.1 * w, 1.1 * w)
        kind = rng.integers(0, 3)  # disc, ellipse, rotated rectangle
        aspect = 1.0 if kind == 0 else rng.uniform(0.3, 1.0)
        y0, y1 = int(max(0, cy - r - 1)), int(min(h, cy + r + 2))
        x0, x1 = int(max(0, cx - r - 1)), int(min(w, cx + r + 2))
        if y0 >= y1 or x0 >= x1:
            continue
        dy, dx = yy[y0:y1, x0:x1] - cy, xx[y0:y1, x0:x1] - cx
        th = rng.uniform(0, np.pi)
        u1 = (np.cos(th) * dx + np.sin(th) * dy) / r
        u2 = (-np.sin(th) * dx + np.cos(th) * dy) / (r * aspect)
        d = np.maximum(np.abs(u1), np.abs(u2)) if kind == 2 else np.sqrt(u1 * u1 + u2 * u2)
        mask = np.clip((1.0 - d) * r, 0.0, 1.0)[None]  # anti-aliased edge, about one pixel wide
        base = palette[rng.integers(len(palette))]
        colour = np.clip(base + rng.normal(0, 0.08, 3), 0, 1)
        g = rng.normal(0, 0.25)  # shading across the shape
        shade = 1.0 + g * np.clip(u1, -1, 1)
        patch = colour[:, None, None] * shade[None]
        img[:, y0:y1, x0:x1] = img[:, y0:y1, x0:x1] * (1 - mask) + patch * mask
    # illumination over the whole scene
    img *= (0.65 + 0.5 * t).astype(np.float32)
    # 3. texture, blur, clip
    amp = rng.uniform(0.02, 0.08)
    lum = _one_over_f(rng, h, w)
    for ch in range(3):
        img[ch] += amp * (0.7 * lum + 0.3 * _one_over_f(rng, h, w))
    img = (img + np.roll(img, 1, 1) + np.roll(img, 1, 2) + np.roll(np.roll(img, 1, 1), 1, 2)) / 4
    img += rng.normal(0, 0.004, img.shape).astype(np.float32)  # sensor noise
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def natural_images(n: int, height: int, width: int, seed: int) -> np.ndarray:
    """n synthetic pictures, NCHW float32 in [0, 1] (RGB)."""
    rng = np.random.default_rng(seed)
    return np.stack([_picture(rng, height, width) for _ in range(n)]) if n else \
        np.zeros((0, 3, height, width), np.float32)


def imagenet_normalize(x: np.ndarray) -> np.ndarray:
    """torchvision's ImageNet normalisation of NCHW RGB pictures in [0, 1]."""
    return ((x - IMAGENET_MEAN[None, :, None, None]) / IMAGENET_STD[None, :, None, None]).astype(np.float32)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=8)
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--png", type=Path, required=True, help="directory for the PNG files")
    args = ap.parse_args()
    from PIL import Image

    args.png.mkdir(parents=True, exist_ok=True)
    for i, im in enumerate(natural_images(args.count, args.size, args.size, args.seed)):
        Image.fromarray((im.transpose(1, 2, 0) * 255 + 0.5).astype(np.uint8)).save(args.png / f"picture_{i:03d}.png")
    print(f"wrote {args.count} pictures to {args.png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
