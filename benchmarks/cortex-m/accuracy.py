#!/usr/bin/env python3
"""Accuracy of pare's int8 post-training quantization against the float model, on two real models.

    .venv/bin/python benchmarks/cortex-m/accuracy.py [--json] [--work DIR] [--ppocr-count 256]

1. Fashion-MNIST CNN (examples/models/fashion_mnist_cnn.onnx, trained by
   examples/fashion-mnist/train.py; the script runs train.py, about 4 minutes, when
   examples/fashion-mnist/out/ lacks the test set or the calibration images). Compiled by pare as
   float, as int8 with --calibration-method minmax and as int8 with percentile (calibration: the
   200 training images in out/calib), then examples/fashion-mnist/eval.py builds the generated C
   with the host gcc -O2 and runs it over all 10,000 test images.

2. PaddleOCR text-direction classifier (examples/models/ppocr_cls_mobilenetv3.onnx, 1x3x48x192):
   scripts/render_text_lines.py renders --ppocr-count labelled text lines (half of them rotated by
   180 degrees) and, from another seed, --ppocr-calib calibration lines; pare compiles the model
   as float and as int8 (minmax and percentile), and a batch driver (eval.py's, float in / float
   out) built with the host gcc runs the generated C on every line.

For each build the table gives the top-1 accuracy of pare's generated C, the accuracy of the float
model under onnxruntime, and the agreement: the share of samples where the compiled model's class
equals onnxruntime's float class. The generated C is the same for --target generic-c and
cortex-m4/m7 (the targets differ in the build fragments' CPU flags); on the host the int8 kernels
take their portable C path, on Cortex-M the DSP path, which computes the same integers
(benchmarks/cortex-m/run_models.py compares the two on one input per model).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PY = sys.executable
PARE = REPO / "build" / "tools" / "pare" / "pare"
FM_DIR = REPO / "examples" / "fashion-mnist"
FM_OUT = FM_DIR / "out"
FM_MODEL = REPO / "examples" / "models" / "fashion_mnist_cnn.onnx"
PPOCR_MODEL = REPO / "examples" / "models" / "ppocr_cls_mobilenetv3.onnx"
PPOCR_SHAPE = "x=1,3,48,192"

VARIANTS = [  # (label, extra pare flags, needs calibration)
    ("float", [], False),
    ("int8 minmax", ["--quantize", "int8", "--calibration-method", "minmax"], True),
    ("int8 percentile", ["--quantize", "int8", "--calibration-method", "percentile"], True),
]


def log(msg: str) -> None:
    print(f"accuracy: {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise SystemExit(f"accuracy: command failed ({p.returncode}): {' '.join(map(str, cmd))}\n"
                         f"{p.stdout[-3000:]}{p.stderr[-3000:]}")
    return p


def wait_for_pare(pare: Path) -> None:
    for _ in range(60):  # someone may be rebuilding it
        if pare.exists() and os.access(pare, os.X_OK):
            return
        time.sleep(5)
    raise SystemExit(f"accuracy: {pare} not found (build pare first)")


def pare_compile(pare: Path, model: Path, out: Path, flags, calib: Path | None) -> None:
    if out.exists():
        shutil.rmtree(out)
    cmd = [pare, "compile", model, "-o", out, "--target", "generic-c", "-q", *flags]
    if calib is not None:
        cmd += ["--calibration", calib]
    for attempt in range(3):  # pare may be replaced by a rebuild while this runs
        wait_for_pare(pare)
        try:
            run(cmd)
            return
        except (PermissionError, FileNotFoundError, OSError):
            if attempt == 2:
                raise
            time.sleep(10)


def load_eval_module():
    spec = importlib.util.spec_from_file_location("fm_eval", FM_DIR / "eval.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --------------------------------------------------------------------------- Fashion-MNIST

def fashion_mnist(pare: Path, work: Path, limit: int):
    calib = FM_OUT / "calib"
    if not ((FM_OUT / "test_x.npy").exists() and (FM_OUT / "test_y.npy").exists()
            and calib.is_dir() and any(calib.glob("*.npy"))):
        log("examples/fashion-mnist/out/ lacks data: running train.py (about 4 minutes)")
        run([PY, FM_DIR / "train.py"])
    rows = []
    for label, flags, needs_calib in VARIANTS:
        out = work / ("fm_" + label.replace(" ", "_"))
        pare_compile(pare, FM_MODEL, out, flags, calib if needs_calib else None)
        cmd = [PY, FM_DIR / "eval.py", out, "--json", "--model", FM_MODEL, "--data", FM_OUT]
        if limit:
            cmd += ["--limit", limit]
        r = json.loads(run(cmd).stdout.strip().splitlines()[-1])
        rows.append({"model": "fashion_mnist_cnn", "build": label, "samples": r["images"],
                     "accuracy": r["accuracy"], "float_onnxruntime_accuracy": r["reference_accuracy"],
                     "agreement": r["agreement"],
                     "calibration": f"{len(list(calib.glob('*.npy')))} training images" if needs_calib else None})
        log(f"fashion_mnist_cnn {label}: accuracy {r['accuracy']:.4f}, agreement {r['agreement']:.4f}")
    return rows


# --------------------------------------------------------------------------- PaddleOCR cls

def ppocr(pare: Path, work: Path, count: int, ncalib: int):
    test_dir, calib_raw, calib = work / "ppocr_test", work / "ppocr_calib_raw", work / "ppocr_calib"
    run([PY, REPO / "scripts" / "render_text_lines.py", "--out", test_dir, "--count", count])
    run([PY, REPO / "scripts" / "render_text_lines.py", "--out", calib_raw, "--calib", ncalib])
    # pare --calibration takes every .npy of the directory as a sample: leave labels.npy out.
    if calib.exists():
        shutil.rmtree(calib)
    calib.mkdir()
    for f in sorted(calib_raw.glob("x_*.npy")):
        shutil.copy(f, calib / f.name)

    labels = np.load(test_dir / "labels.npy")
    x = np.concatenate([np.load(test_dir / f"x_{i:03d}.npy") for i in range(len(labels))]).astype(np.float32)
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(PPOCR_MODEL), opts, providers=["CPUExecutionProvider"])
    ref = np.array([int(np.argmax(sess.run(None, {"x": x[i:i + 1]})[0])) for i in range(len(x))])

    ev = load_eval_module()
    rows = []
    for label, flags, needs_calib in VARIANTS:
        out = work / ("ppocr_" + label.replace(" ", "_"))
        pare_compile(pare, PPOCR_MODEL, out, ["--input-shape", PPOCR_SHAPE, *flags],
                     calib if needs_calib else None)
        bdir = Path(tempfile.mkdtemp(prefix="ppocr_drv_", dir=work))
        exe, _ = ev.build_driver(out, bdir, int(np.prod(x.shape[1:])), 2, os.environ.get("CC", "gcc"))
        x.tofile(bdir / "x.f32")
        run([exe, bdir / "x.f32", bdir / "y.f32"])
        y = np.fromfile(bdir / "y.f32", dtype=np.float32).reshape(len(x), 2)
        pred = y.argmax(1)
        rows.append({"model": "ppocr_cls_mobilenetv3", "build": label, "samples": int(len(x)),
                     "accuracy": float((pred == labels).mean()),
                     "float_onnxruntime_accuracy": float((ref == labels).mean()),
                     "agreement": float((pred == ref).mean()),
                     "calibration": f"{ncalib} rendered lines (seed apart from the test lines)" if needs_calib else None})
        log(f"ppocr {label}: accuracy {rows[-1]['accuracy']:.4f}, agreement {rows[-1]['agreement']:.4f}")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pare", type=Path, default=PARE)
    ap.add_argument("--work", type=Path, help="build directory (kept; default: a temporary one)")
    ap.add_argument("--ppocr-count", type=int, default=256, help="rendered test lines (default 256)")
    ap.add_argument("--ppocr-calib", type=int, default=64, help="rendered calibration lines (default 64)")
    ap.add_argument("--fm-limit", type=int, default=0, help="only the first N Fashion-MNIST test images")
    ap.add_argument("--only", choices=["fashion-mnist", "ppocr"])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    wait_for_pare(args.pare)

    tmp = None
    if args.work:
        work = args.work.resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="pare_accuracy_")
        work = Path(tmp.name)
    try:
        rows = []
        if args.only in (None, "fashion-mnist"):
            rows += fashion_mnist(args.pare, work, args.fm_limit)
        if args.only in (None, "ppocr"):
            rows += ppocr(args.pare, work, args.ppocr_count, args.ppocr_calib)
    finally:
        if tmp is not None:
            tmp.cleanup()

    if args.json:
        print(json.dumps({"rows": rows}, indent=2))
        return 0
    print("| model | build | samples | pare C top-1 | onnxruntime float top-1 | agreement with float |")
    print("|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['build']} | {r['samples']:,} | {100 * r['accuracy']:.2f}% | "
              f"{100 * r['float_onnxruntime_accuracy']:.2f}% | {100 * r['agreement']:.2f}% |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
