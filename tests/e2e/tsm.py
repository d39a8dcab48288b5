#!/usr/bin/env python3
"""Temporal shift (TSM) end to end: recognition, fusion, int8 and streaming.

Models: the toy TSM network trained by examples/tsm/train.py (a Fashion-MNIST item moving in
one of four directions over T=8 frames), exported in each pattern (examples/models/):
  tsm_slice_concat.onnx    bidirectional, Slice + Concat with zeros
  tsm_inplace.onnx         bidirectional, PyTorch's in-place slice assignment (ScatterND chains)
  tsm_unidirectional.onnx  unidirectional (online TSM), Slice + Concat
  tsm_online.onnx          the unidirectional weights with explicit shift-buffer inputs/outputs
  tsm_noshift.onnx         the same network without shifts (a single frame carries no motion)
Held-out clips: examples/tsm/data/test_clips.npy (uint8, / 255) and test_labels.npy.

Checks:
  - every shift model compiles with its shifts recognised: the C has temporal-shift code
    (fused row gathers or shift calls) and none of the export's scatter / concat / slice calls;
    with --shift-fusion on, every shift that feeds 1x1 convolutions only is fused away;
  - float builds (gcc -std=c99 -Wall -Wextra -Werror -pedantic) match onnxruntime on the
    held-out clips (|a - r| <= 1e-4 + 1e-4 |r|) and give the same clip accuracy; fused and
    unfused builds give identical bytes;
  - int8 builds (--quantize int8, calibrated on examples/tsm/data/calib.npy) keep the float
    model's clip accuracy within 1 point; fused and unfused int8 builds are byte-identical;
  - streaming: tsm_unidirectional.onnx with --streaming and tsm_online.onnx (explicit buffers,
    recognised) run frame by frame through <name>_reset / <name>_step; the per-frame logits
    over each clip equal the offline unidirectional build's rows (float: to 1e-5; int8 exact);
  - the no-shift network is near chance (it cannot see motion), the shift networks near 100%.
Prints a table; exit status 1 on any failure.
  tests/e2e/tsm.py --pare build/tools/pare/pare [--clips N] [--work DIR]
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "examples" / "models"
DATA = ROOT / "examples" / "tsm" / "data"
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]
FAILURES: list = []


def fail(msg: str) -> None:
    FAILURES.append(msg)
    print("FAIL: " + msg, flush=True)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)


STEP_MAIN = r"""
#include "%(name)s.h"
#include <stdio.h>
#include <stdlib.h>
/* Streams clips frame by frame: reads n_clips * 8 frames of %(frame)d floats from argv[1],
 * calls %(name)s_reset before each clip and %(name)s_step per frame, writes the 4 logits of
 * every frame to argv[2]. */
int main(int argc, char **argv) {
  FILE *in, *out;
  static float frame[%(frame)d];
  float logits[4];
  long clips, c;
  int t;
  if (argc != 4)
    return 2;
  clips = atol(argv[3]);
  in = fopen(argv[1], "rb");
  out = fopen(argv[2], "wb");
  if (!in || !out)
    return 2;
  for (c = 0; c < clips; ++c) {
    %(name)s_reset();
    for (t = 0; t < 8; ++t) {
      if (fread(frame, sizeof frame, 1, in) != 1)
        return 3;
      if (%(name)s_step(frame, logits) != 0)
        return 4;
      fwrite(logits, sizeof logits, 1, out);
    }
  }
  fclose(in);
  fclose(out);
  return 0;
}
"""

BATCH_MAIN = r"""
#include "%(name)s.h"
#include <stdio.h>
#include <stdlib.h>
/* Runs clips offline (8 frames per call): reads n_clips * 8 * %(frame)d floats from argv[1],
 * writes the 8 x 4 logits of every clip to argv[2]. */
int main(int argc, char **argv) {
  FILE *in, *out;
  static float clip[8 * %(frame)d];
  float logits[8 * 4];
  long clips, c;
  if (argc != 4)
    return 2;
  clips = atol(argv[3]);
  in = fopen(argv[1], "rb");
  out = fopen(argv[2], "wb");
  if (!in || !out)
    return 2;
  for (c = 0; c < clips; ++c) {
    if (fread(clip, sizeof clip, 1, in) != 1)
      return 3;
    if (%(name)s_run(clip, logits) != 0)
      return 4;
    fwrite(logits, sizeof logits, 1, out);
  }
  fclose(in);
  fclose(out);
  return 0;
}
"""


def build(pare: str, model: Path, out: Path, name: str, flags: list, streaming: bool,
          clips_bin: Path, n_clips: int):
    r = run([pare, "compile", model, "-o", out, "--name", name, "-q"] + flags)
    if r.returncode != 0:
        fail(f"{name}: pare compile failed: {r.stderr.strip()[:400]}")
        return None, ""
    src = (out / f"{name}.c").read_text()
    main = (STEP_MAIN if streaming else BATCH_MAIN) % {"name": name, "frame": 32 * 32}
    (out / "main_tsm.c").write_text(main)
    exe = out / "tsm_run"
    srcs = sorted(p for p in out.glob("*.c") if p.name != "runner.c")
    r = run(["gcc"] + CFLAGS + ["-I", out] + srcs + ["-lm", "-o", exe])
    if r.returncode != 0:
        fail(f"{name}: gcc failed: {r.stderr.strip()[:600]}")
        return None, src
    res = out / "logits.bin"
    r = run([exe, clips_bin, res, n_clips])
    if r.returncode != 0:
        fail(f"{name}: run failed ({r.returncode}) {r.stderr[:200]}")
        return None, src
    return np.fromfile(res, dtype=np.float32).reshape(n_clips, 8, 4), src


def clip_accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float((logits.mean(axis=1).argmax(axis=1) == labels).mean())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pare", required=True)
    ap.add_argument("--clips", type=int, default=256)
    ap.add_argument("--work")
    args = ap.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="pare-tsm-"))
    work.mkdir(parents=True, exist_ok=True)
    import onnxruntime as ort

    clips = np.load(DATA / "test_clips.npy")[: args.clips].astype(np.float32) / 255.0
    labels = np.load(DATA / "test_labels.npy")[: args.clips]
    n = len(clips)
    clips_bin = work / "clips.bin"
    np.ascontiguousarray(clips).tofile(clips_bin)
    calib_dir = work / "calib"
    calib_dir.mkdir(exist_ok=True)
    for i, c in enumerate(np.load(DATA / "calib.npy")[:16]):
        np.save(calib_dir / f"frames_{i:03d}.npy", c.astype(np.float32))
    int8 = ["--quantize", "int8", "--calibration", calib_dir]

    rows = []
    reference = {}
    for stem in ["tsm_noshift", "tsm_slice_concat", "tsm_inplace", "tsm_unidirectional"]:
        model = MODELS / f"{stem}.onnx"
        sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        ref = np.stack([sess.run(None, {"frames": c})[0] for c in clips])
        reference[stem] = ref
        acc_ref = clip_accuracy(ref, labels)
        outs = {}
        for variant, flags in [("float", []), ("float-unfused", ["--shift-fusion", "off"]),
                               ("int8", int8), ("int8-unfused", int8 + ["--shift-fusion", "off"])]:
            name = f"{stem}_{variant.replace('-', '_')}"
            got, src = build(args.pare, model, work / name, name, flags, False, clips_bin, n)
            if got is None:
                continue
            outs[variant] = got
            shifts_code = src.count("pare_temporal_shift")
            if stem != "tsm_noshift":
                if shifts_code == 0:
                    fail(f"{name}: no temporal-shift code in the C (shift not recognised)")
                for generic in ("pare_scatter_nd", "pare_concat", "pare_slice"):
                    if generic + "(" in src:
                        fail(f"{name}: the export's {generic} survived")
                if not variant.endswith("unfused") and "pare_temporal_shift_row" not in src:
                    fail(f"{name}: no shift was fused into a 1x1 convolution")
            acc = clip_accuracy(got, labels)
            if variant.startswith("float"):
                err = np.abs(got - ref) - (1e-4 + 1e-4 * np.abs(ref))
                if (err > 0).any():
                    fail(f"{name}: differs from onnxruntime (max abs {np.abs(got - ref).max():.3g})")
                if acc != acc_ref:
                    fail(f"{name}: accuracy {acc:.4f} != onnxruntime {acc_ref:.4f}")
            elif abs(acc - acc_ref) > 0.01:
                fail(f"{name}: int8 accuracy {acc:.4f} is not within 1 point of {acc_ref:.4f}")
            rows.append((name, acc, acc_ref, float(np.abs(got - ref).max())))
        for a, b in [("float", "float-unfused"), ("int8", "int8-unfused")]:
            if a in outs and b in outs and not np.array_equal(outs[a], outs[b]):
                fail(f"{stem}: {a} and {b} builds differ (max {np.abs(outs[a] - outs[b]).max():.3g})")
        if stem == "tsm_noshift" and acc_ref > 0.4:
            fail(f"tsm_noshift: accuracy {acc_ref:.3f} is not near chance")
        if stem != "tsm_noshift" and acc_ref < 0.95:
            fail(f"{stem}: onnxruntime accuracy {acc_ref:.3f} is not near 100%")
        if stem == "tsm_unidirectional":
            reference["uni_float"] = outs.get("float")
            reference["uni_int8"] = outs.get("int8")

    # Streaming against the offline unidirectional builds.
    stream_rows = []
    for model, variant, flags in [
        ("tsm_unidirectional", "float", ["--streaming"]),
        ("tsm_unidirectional", "int8", int8 + ["--streaming"]),
        ("tsm_online", "float", []),
    ]:
        name = f"{model}_stream_{variant}"
        got, src = build(args.pare, MODELS / f"{model}.onnx", work / name, name, flags, True,
                         clips_bin, n)
        if got is None:
            continue
        if f"{name}_reset" not in src or "pare_temporal_shift_step" not in src:
            fail(f"{name}: no streaming step / state in the C")
        offline = reference.get(f"uni_{variant}")
        if offline is None:
            fail(f"{name}: no offline build to compare with")
            continue
        diff = float(np.abs(got - offline).max())
        ok = diff == 0.0 if variant == "int8" else diff <= 1e-5
        if not ok:
            fail(f"{name}: streaming differs from offline (max abs {diff:.3g})")
        stream_rows.append((name, diff, clip_accuracy(got, labels)))

    print(f"\n{'build':42} {'clip acc':>9} {'onnxruntime':>12} {'max |pare - ort|':>17}")
    for name, acc, ref, d in rows:
        print(f"{name:42} {acc:9.4f} {ref:12.4f} {d:17.3g}")
    print(f"\n{'streaming build':42} {'max |stream - offline|':>23} {'clip acc':>9}")
    for name, d, acc in stream_rows:
        print(f"{name:42} {d:23.3g} {acc:9.4f}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
