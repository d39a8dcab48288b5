#!/usr/bin/env python3
"""Render text-line images for PaddleOCR's text-direction classifier (ppocr_cls_mobilenetv3.onnx).

Each sample is a phrase of 2 to 8 consecutive words from the State of the Union addresses
(../shared/data/text/sotu/*.txt beside the repository), drawn with PIL in one of the DejaVu fonts
(/usr/share/fonts/truetype/dejavu/) at a random size, text colour and background (mostly dark on
light, sometimes light on dark), with a little Gaussian noise and sometimes a slight blur, then
cropped to the text with small random margins. Half the samples (chosen at random) are rotated by
180 degrees.

Preprocessing, as PaddleOCR's tools/infer/predict_cls.py (resize_norm_img) does it, for the
model's input (name `x`, float32 1x3x48x192, NCHW):
  * the image is in BGR channel order (PaddleOCR reads it with cv2);
  * resize keeping the aspect ratio to height 48: width = min(192, ceil(48 * w / h)), bilinear;
  * x = (pixel / 255 - 0.5) / 0.5, so values lie in [-1, 1];
  * pad on the right with zeros (after normalisation) up to width 192.
Labels: 0 = upright, 1 = rotated by 180 degrees (the model's output index; output shape 1x2).

Writes to --out:
  x_000.npy ... x_NNN.npy   one sample each (float32 1x3x48x192; stem = model input name + index)
  labels.npy                int64 labels, in file order
With --calib N it writes N samples from another seed (a disjoint draw for calibration) instead of
the --count test set. --check runs onnxruntime on the written samples and prints the accuracy.

    .venv/bin/python scripts/render_text_lines.py --out /tmp/ppocr_test --check
    .venv/bin/python scripts/render_text_lines.py --out /tmp/ppocr_calib --calib 100
"""

from __future__ import annotations

import argparse
import math
import random
import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO / "examples" / "models" / "ppocr_cls_mobilenetv3.onnx"
TEXT_DIR = REPO.parent / "shared" / "data" / "text" / "sotu"  # ../shared, as CI has it
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
H, W = 48, 192
TEST_SEED = 1234
CALIB_SEED = 98765


def load_words(text_dir: Path):
    files = sorted(text_dir.glob("*.txt"))
    if not files:
        raise SystemExit(f"no .txt files in {text_dir}")
    words = []
    for f in files:
        words.extend(re.findall(r"\S+", f.read_text(errors="replace")))
    # Keep printable-ASCII words only, dropping annotations like "[Laughter]".
    return [w for w in words if w.isascii() and w.isprintable() and not w.startswith("[")]


def fonts(font_dir: Path):
    fs = sorted(p for p in font_dir.glob("DejaVu*.ttf") if "Math" not in p.name)
    if not fs:
        raise SystemExit(f"no DejaVu fonts in {font_dir}")
    return fs


def render(rng: random.Random, nrng: np.random.RandomState, text: str, font_path: Path,
           rotate: bool) -> Image.Image:
    size = rng.randint(18, 40)
    font = ImageFont.truetype(str(font_path), size)
    left, top, right, bottom = font.getbbox(text)
    tw, th = right - left, bottom - top
    mx = rng.randint(2, max(3, size // 2))
    my_top, my_bot = rng.randint(2, max(3, size // 3)), rng.randint(2, max(3, size // 3))
    img_w, img_h = tw + 2 * mx, th + my_top + my_bot

    if rng.random() < 0.2:  # light text on a dark background
        bg = tuple(rng.randint(0, 90) for _ in range(3))
        fg = tuple(rng.randint(170, 255) for _ in range(3))
    else:
        bg = tuple(rng.randint(165, 255) for _ in range(3))
        fg = tuple(rng.randint(0, 100) for _ in range(3))
    img = Image.new("RGB", (img_w, img_h), bg)
    ImageDraw.Draw(img).text((mx - left, my_top - top), text, font=font, fill=fg)
    if rng.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(radius=rng.uniform(0.3, 0.9)))
    a = np.asarray(img).astype(np.float32)
    a += nrng.normal(0.0, rng.uniform(0.0, 8.0), a.shape).astype(np.float32)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if rotate:
        img = img.rotate(180)
    return img


def preprocess(img: Image.Image) -> np.ndarray:
    """PaddleOCR's resize_norm_img for the cls model: float32 1x3x48x192, BGR, [-1, 1]."""
    w, h = img.size
    rw = min(W, int(math.ceil(H * w / float(h))))
    resized = np.asarray(img.resize((rw, H), Image.BILINEAR)).astype(np.float32)
    resized = resized[:, :, ::-1]  # RGB -> BGR, as cv2 gives it
    chw = resized.transpose(2, 0, 1) / 255.0
    chw = (chw - 0.5) / 0.5
    out = np.zeros((1, 3, H, W), dtype=np.float32)
    out[0, :, :, :rw] = chw
    return out


def input_name(model: Path) -> str:
    import onnx

    m = onnx.load(str(model), load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    return [i.name for i in m.graph.input if i.name not in inits][0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--count", type=int, default=200, help="test samples (default 200)")
    ap.add_argument("--calib", type=int, default=0, metavar="N",
                    help="write N calibration samples (another seed) instead of the test set")
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--text", type=Path, default=TEXT_DIR)
    ap.add_argument("--fonts", type=Path, default=FONT_DIR)
    ap.add_argument("--png", action="store_true", help="also write the rendered images as PNG")
    ap.add_argument("--check", action="store_true", help="print onnxruntime's accuracy")
    args = ap.parse_args()

    n, seed = (args.calib, CALIB_SEED) if args.calib else (args.count, TEST_SEED)
    rng = random.Random(seed)
    nrng = np.random.RandomState(seed)
    words = load_words(args.text)
    font_list = fonts(args.fonts)
    name = input_name(args.model)

    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob(f"{name}_*.npy"):
        old.unlink()
    # Exactly half rotated, in random order.
    labels = np.array([i % 2 for i in range(n)], dtype=np.int64)
    rng.shuffle(labels)
    for i in range(n):
        k = rng.randint(2, 8)
        start = rng.randrange(0, len(words) - k)
        text = " ".join(words[start:start + k])
        img = render(rng, nrng, text, rng.choice(font_list), bool(labels[i]))
        if args.png:
            img.save(args.out / f"{name}_{i:03d}.png")
        np.save(args.out / f"{name}_{i:03d}.npy", preprocess(img))
    np.save(args.out / "labels.npy", labels)
    print(f"wrote {n} samples ({int(labels.sum())} rotated) to {args.out}, input '{name}'")

    if args.check:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        sess = ort.InferenceSession(str(args.model), opts, providers=["CPUExecutionProvider"])
        preds = np.array([int(np.argmax(sess.run(None, {name: np.load(
            args.out / f"{name}_{i:03d}.npy")})[0])) for i in range(n)])
        print(f"onnxruntime accuracy {float((preds == labels).mean()):.4f} "
              f"({int((preds == labels).sum())}/{n})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
