#!/usr/bin/env python3
"""Accuracy of a pare-compiled Fashion-MNIST model on the whole test set (10,000 images).

    pare compile examples/models/fashion_mnist_cnn.onnx -o /tmp/fm
    .venv/bin/python examples/fashion-mnist/eval.py /tmp/fm [--json]

Takes a directory written by `pare compile` (with or without --emit-runner: a runner.c, or any .c
file with a main(), is left out), reads its header to learn the model's C prefix, entry point and
the element types of its input and outputs, writes a small C driver, builds it with gcc -O2
together with every other .c file of the directory and runs it over the test images. It reports
the top-1 accuracy and the agreement of the compiled model's top-1 class with that of the float
model run by onnxruntime (--model, default examples/models/fashion_mnist_cnn.onnx).

Input types: float (the preprocessed images as they are), int8 or uint8. For an integer input the
driver quantizes the float image with <PREFIX>_INPUT0_SCALE and <PREFIX>_INPUT0_ZERO_POINT from the
header: q = clamp(round_half_even(x / scale) + zero_point). If those macros are absent the input is
taken to be float. Integer outputs are dequantized with <PREFIX>_OUTPUT0_SCALE / _ZERO_POINT when
present (the top-1 class does not depend on it; it only makes the logits comparable).

The test data (test_x.npy, test_y.npy) come from examples/fashion-mnist/train.py; --data names the
directory (default examples/fashion-mnist/out/).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_MODEL = REPO / "examples" / "models" / "fashion_mnist_cnn.onnx"
DEFAULT_DATA = HERE / "out"

CTYPES = {
    "float": ("float", np.float32),
    "int8_t": ("int8_t", np.int8),
    "uint8_t": ("uint8_t", np.uint8),
}


def parse_header(outdir: Path):
    """Return (header path, prefix, run function, [(ctype, name, is_input)])."""
    for h in sorted(outdir.glob("*.h")):
        text = h.read_text(errors="replace")
        # The static-arena entry point: int NAME_run(const float *in, float *out);
        m = re.search(r"int\s+(\w+)_run\s*\(([^)]*)\)\s*;", text)
        if not m:
            continue
        prefix, params = m.group(1), m.group(2)
        args = []
        for p in params.split(","):
            p = " ".join(p.split())
            pm = re.fullmatch(r"(const\s+)?(float|int8_t|uint8_t)\s*\*\s*(\w+)", p)
            if not pm:
                raise SystemExit(f"eval: unsupported parameter '{p}' in {h}")
            args.append((pm.group(2), pm.group(3), pm.group(1) is not None))
        return h, prefix, text, args
    raise SystemExit(f"eval: no header with a <prefix>_run(...) entry point in {outdir}")


def macro(text: str, name: str):
    m = re.search(r"#define\s+" + re.escape(name) + r"\s+\(?\s*([-+0-9.eEfF]+)", text)
    if not m:
        return None
    return float(m.group(1).rstrip("fF"))


DRIVER = r"""
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include "%(header)s"

/* Reads N float images of IN_SIZE from argv[1], writes N x OUT_SIZE floats to argv[2]. */
#define IN_SIZE %(in_size)d
#define OUT_SIZE %(out_size)d
int main(int argc, char **argv) {
  static float xf[IN_SIZE];
  static %(in_t)s xin[IN_SIZE];
%(out_decls)s
  static float yf[OUT_SIZE];
  FILE *fi, *fo;
  long n = 0;
  if (argc != 3) { fprintf(stderr, "usage: driver IN.f32 OUT.f32\n"); return 2; }
  fi = fopen(argv[1], "rb");
  fo = fopen(argv[2], "wb");
  if (!fi || !fo) { fprintf(stderr, "driver: cannot open files\n"); return 2; }
  while (fread(xf, sizeof(float), IN_SIZE, fi) == IN_SIZE) {
    int i;
    for (i = 0; i < IN_SIZE; ++i) {
%(quant)s
    }
    if (%(prefix)s_run(%(call_args)s) != 0) { fprintf(stderr, "driver: run failed\n"); return 1; }
    for (i = 0; i < OUT_SIZE; ++i) {
%(dequant)s
    }
    if (fwrite(yf, sizeof(float), OUT_SIZE, fo) != OUT_SIZE) return 1;
    ++n;
  }
  fclose(fi);
  fclose(fo);
  fprintf(stderr, "driver: %%ld images\n", n);
  return 0;
}
"""


def build_driver(outdir: Path, work: Path, in_size: int, out_size: int, cc: str):
    header, prefix, text, args = parse_header(outdir)
    inputs = [a for a in args if a[2]]
    outputs = [a for a in args if not a[2]]
    if len(inputs) != 1 or not outputs:
        raise SystemExit(f"eval: expected one input and at least one output, got {args}")
    up = prefix.upper()
    in_t = inputs[0][0]
    info = {"prefix": prefix, "input_type": in_t, "output_type": outputs[0][0]}

    in_scale = macro(text, f"{up}_INPUT0_SCALE")
    in_zp = macro(text, f"{up}_INPUT0_ZERO_POINT")
    if in_t == "float" or in_scale is None:
        if in_t != "float":
            print(f"eval: {header.name} has no {up}_INPUT0_SCALE; taking the input as float",
                  file=sys.stderr)
            in_t = "float"
        quant = "      xin[i] = xf[i];"
    else:
        lo, hi = (-128, 127) if in_t == "int8_t" else (0, 255)
        zp = int(in_zp or 0)
        info.update(input_scale=in_scale, input_zero_point=zp)
        quant = (f"      float q = nearbyintf(xf[i] / {in_scale!r}f) + {zp}.0f;\n"
                 f"      xin[i] = ({in_t})(q < {lo} ? {lo} : q > {hi} ? {hi} : q);")

    out_decls = []
    call_args = ["xin"]
    for k, (t, name, _) in enumerate(outputs):
        size = out_size if k == 0 else 1 << 16
        out_decls.append(f"  static {t} out{k}[{size}];")
        call_args.append(f"out{k}")
    out_t = outputs[0][0]
    out_scale = macro(text, f"{up}_OUTPUT0_SCALE")
    out_zp = macro(text, f"{up}_OUTPUT0_ZERO_POINT")
    if out_t != "float" and out_scale is not None:
        info.update(output_scale=out_scale, output_zero_point=int(out_zp or 0))
        dequant = f"      yf[i] = ((float)out0[i] - {int(out_zp or 0)}.0f) * {out_scale!r}f;"
    else:
        dequant = "      yf[i] = (float)out0[i];"

    src = DRIVER % {
        "header": header.name, "in_size": in_size, "out_size": out_size, "in_t": in_t,
        "out_decls": "\n".join(out_decls), "quant": quant, "dequant": dequant,
        "prefix": prefix, "call_args": ", ".join(call_args),
    }
    driver_c = work / "eval_driver.c"
    driver_c.write_text(src)
    sources = [str(driver_c)]
    for c in sorted(outdir.glob("*.c")):
        if c.name == "runner.c" or re.search(r"\bint\s+main\s*\(", c.read_text(errors="replace")):
            continue
        sources.append(str(c))
    exe = work / "eval_driver"
    cmd = [cc, "-O2", "-std=c99", "-I", str(outdir), *sources, "-o", str(exe), "-lm"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("eval: build failed:\n" + " ".join(cmd) + "\n" + r.stderr)
    return exe, info


def reference_predictions(model: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return np.array([int(np.argmax(sess.run(None, {name: x[i:i + 1]})[0]))
                     for i in range(len(x))], dtype=np.int64)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", type=Path, help="directory written by pare compile")
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL,
                    help="float ONNX model whose onnxruntime predictions are the reference")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help="directory with test_x.npy and test_y.npy (from train.py)")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N test images")
    ap.add_argument("--cc", default=os.environ.get("CC", "gcc"))
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--keep", action="store_true", help="keep the build directory")
    args = ap.parse_args()

    x = np.load(args.data / "test_x.npy").astype(np.float32)
    y = np.load(args.data / "test_y.npy").astype(np.int64)
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]
    n = len(x)
    in_size = int(np.prod(x.shape[1:]))
    out_size = 10

    work = Path(tempfile.mkdtemp(prefix="pare_fm_eval_"))
    try:
        exe, info = build_driver(args.outdir, work, in_size, out_size, args.cc)
        xin = work / "x.f32"
        yout = work / "y.f32"
        np.ascontiguousarray(x).tofile(xin)
        r = subprocess.run([str(exe), str(xin), str(yout)], capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"eval: driver failed ({r.returncode}):\n{r.stderr}")
        logits = np.fromfile(yout, dtype=np.float32)
        if logits.size != n * out_size:
            raise SystemExit(f"eval: driver wrote {logits.size} values, expected {n * out_size}")
        logits = logits.reshape(n, out_size)
    finally:
        if args.keep:
            print(f"eval: build directory {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    pred = logits.argmax(1)
    ref = reference_predictions(args.model, x)
    result = {
        "outdir": str(args.outdir),
        "images": n,
        "accuracy": float((pred == y).mean()),
        "reference_accuracy": float((ref == y).mean()),
        "agreement": float((pred == ref).mean()),
        **info,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.outdir}: {info['prefix']} ({info['input_type']} in, "
              f"{info['output_type']} out), {n} images")
        print(f"  top-1 accuracy      {result['accuracy']:.4f}")
        print(f"  onnxruntime float   {result['reference_accuracy']:.4f}")
        print(f"  agreement with float top-1 {result['agreement']:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
