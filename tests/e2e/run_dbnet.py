#!/usr/bin/env python3
"""PaddleOCR's DBNet text detector (PP-OCRv3/v4 mobile structure) through pare, in float and int8.

The model is scripts/make_dbnet.py's: MobileNetV3 backbone, RSEFPN neck whose top-down path and
multi-scale concat use Resize (nearest, asymmetric, floor; opset 11 as paddle2onnx writes it), and
the DB head's two stride-2 ConvTranspose layers (with BatchNorm between them) and a Sigmoid. Inputs
are rendered text pages (make_dbnet.py --pages), at --size x --size (default 224).

Three variants, each compiled with `pare compile --emit-runner`, built with gcc
(-std=c99 -Wall -Wextra -Werror -pedantic -O2) and run on --samples test pages:

  float     the float model against onnxruntime: |pare - ort| <= 1e-5 + 1e-4 * |ort| everywhere
            (float32 in both, summed in different orders).
  int8-qdq  the model quantized by onnxruntime's static quantizer (QDQ, int8 activations and
            per-channel int8 weights, MinMax over --calib calibration pages, after
            quant_pre_process) compiled by pare (int8, ONNX rounding), against onnxruntime on the
            same QDQ model (exact int8 kernels, as tests/e2e/run_qdq_models.py). pare's Add and Mul
            follow onnxruntime's fused QLinearAdd / QLinearMul arithmetic, which can round a tie
            differently from the DequantizeLinear -> Add -> QuantizeLinear that session runs, and
            a network this deep carries a one-step difference on: so the table gives the exact
            pixels and pages, and the criterion is that pare's drift from onnxruntime's int8 stays
            under 10% of onnxruntime's own quantization error (mean |int8 - float|) and the
            binarized maps (probability > 0.3, DB's threshold) agree on >= 99.5% of the pixels.
  int8-ptq  pare's own post-training quantization (--quantize int8 --calibration over the same
            calibration pages, TFLite arithmetic) against the float model in onnxruntime, as
            accurate as onnxruntime's quantizer on the same pages: mean |error| <= 1.25 x
            onnxruntime's int8 mean error + 0.005, binarized agreement >= onnxruntime's - 1%.

Prints a table (variant, pixels, max |error| / max |steps|, exact or agreement %, result); exits 1
on any failure. --cuda also compiles the model for --target cuda and builds it with nvcc (no GPU
needed), when nvcc is present.

    .venv/bin/python tests/e2e/run_dbnet.py --pare build/tools/pare/pare [--size 224] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import make_dbnet as D  # noqa: E402
import pare_harness as H  # noqa: E402

FLOAT_RTOL, FLOAT_ATOL = 1e-4, 1e-5
DB_THRESHOLD = 0.3  # DB post-processing binarizes the probability map here
QDQ_EXACT_FRACTION = 0.999  # a page counts as exact at >= 99.9% equal pixels and <= 1 step
QDQ_MAX_DRIFT, QDQ_MIN_AGREEMENT = 0.10, 0.995
PTQ_MEAN_FACTOR, PTQ_MEAN_SLACK, PTQ_AGREEMENT_SLACK = 1.25, 0.005, 0.01
CALIB_SEED, TEST_SEED = 98765, 1234


@dataclass
class Row:
    variant: str
    pixels: int = 0
    worst: str = ""
    score: str = ""
    ok: bool = False
    detail: str = ""
    seconds: float = 0.0
    extra: Dict[str, float] = field(default_factory=dict)


def save_pages(pages: List[np.ndarray], d: Path) -> List[Path]:
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, p in enumerate(pages):
        f = d / f"{D.INPUT_NAME}_{i:03d}.npy"
        np.save(f, p, allow_pickle=False)
        paths.append(f)
    return paths


def compile_and_run(pare: Path, model: Path, gen: Path, pages: List[Path], extra: List[str], row: Row) -> Optional[List[np.ndarray]]:
    """pare compile + gcc + the runner on every page; the output maps, or None (row.detail says why)."""
    try:
        runs = H.compile_and_run(pare, model, gen, [[p] for p in pages], [D.OUTPUT_NAME], name="dbnet", extra=extra)
    except H.HarnessError as exc:
        row.detail = str(exc)
        return None
    return [r[D.OUTPUT_NAME] for r in runs]


def check_float(pare: Path, model: Path, work: Path, pages: List[Path], refs: List[np.ndarray]) -> Row:
    row = Row("float")
    got = compile_and_run(pare, model, work / "float" / "gen", pages, [], row)
    if got is None:
        return row
    max_abs = 0.0
    bad = 0
    for g, r in zip(got, refs):
        c = H.compare_arrays(g, r, FLOAT_RTOL, FLOAT_ATOL, what="maps")
        max_abs = max(max_abs, c.max_abs)
        row.pixels += r.size
        if not c.ok:
            bad += 1
            row.detail = row.detail or c.message
    row.worst = f"{max_abs:.2e}"
    row.score = f"{100.0 * (1 - bad / len(refs)):.0f}% pages in tol"
    row.ok = bad == 0
    return row


def quantize_qdq(model: Path, calib: List[np.ndarray], work: Path) -> Path:
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    import onnx
    from onnx import version_converter

    # onnxruntime's quantizer wants opset 13 for per-channel QDQ (paddle2onnx's export is opset 11).
    o13 = work / "dbnet_opset13.onnx"
    onnx.save(version_converter.convert_version(onnx.load(str(model)), 13), str(o13))
    pre = work / "dbnet_pre.onnx"
    quant_pre_process(str(o13), str(pre), skip_symbolic_shape=False)
    H.unshare_initializers(pre)
    out = work / "dbnet_qdq.onnx"

    class Reader:
        def __init__(self):
            self._it = iter({D.INPUT_NAME: x} for x in calib)

        def get_next(self):
            return next(self._it, None)

    quantize_static(str(pre), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    reduce_range=False, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.MinMax)
    return out


def output_scale(qdq: Path) -> float:
    import onnx
    from onnx import numpy_helper

    m = onnx.load(str(qdq))
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    for n in m.graph.node:
        if D.OUTPUT_NAME in n.output:
            if n.op_type != "DequantizeLinear":
                raise H.HarnessError(f"the quantized model's output comes from {n.op_type}, not DequantizeLinear")
            return float(inits[n.input[1]].reshape(-1)[0])
    raise H.HarnessError("the quantized model has no output 'maps'")


def map_stats(got: List[np.ndarray], refs: List[np.ndarray]) -> Tuple[float, float, float]:
    """(mean |got - ref|, max |got - ref|, fraction of pixels on the same side of DB's threshold)."""
    d = np.concatenate([np.abs(g.astype(np.float64) - r.astype(np.float64)).ravel() for g, r in zip(got, refs)])
    same = np.concatenate([((g > DB_THRESHOLD) == (r > DB_THRESHOLD)).ravel() for g, r in zip(got, refs)])
    return float(d.mean()), float(d.max()), float(same.mean())


def check_qdq(pare: Path, qdq: Path, work: Path, pages: List[Path], int8_refs: List[np.ndarray],
              quant_error: float) -> Row:
    row = Row("int8-qdq")
    scale = output_scale(qdq)
    got = compile_and_run(pare, qdq, work / "qdq" / "gen", pages, [], row)
    if got is None:
        return row
    exact = worst = exact_pages = 0
    for g, r in zip(got, int8_refs):
        steps = np.rint((g.astype(np.float64) - r.astype(np.float64)) / scale).astype(np.int64)
        row.pixels += steps.size
        exact += int((steps == 0).sum())
        worst = max(worst, int(np.abs(steps).max()))
        exact_pages += int((steps == 0).mean() >= QDQ_EXACT_FRACTION and np.abs(steps).max() <= 1)
    mean_abs, _, agreement = map_stats(got, int8_refs)
    row.worst = f"{worst} steps"
    row.score = f"{100.0 * exact / row.pixels:.2f}% exact, {exact_pages}/{len(got)} pages"
    row.ok = mean_abs <= QDQ_MAX_DRIFT * quant_error and agreement >= QDQ_MIN_AGREEMENT
    row.detail = (f"mean |pare - ort| {mean_abs:.4f} (<= {QDQ_MAX_DRIFT} x {quant_error:.4f}), "
                  f"binarized agreement {100 * agreement:.2f}% (>= {100 * QDQ_MIN_AGREEMENT}%)")
    return row


def check_ptq(pare: Path, model: Path, work: Path, calib_dir: Path, pages: List[Path], refs: List[np.ndarray],
              ort_int8: Tuple[float, float, float]) -> Row:
    row = Row("int8-ptq")
    got = compile_and_run(pare, model, work / "ptq" / "gen", pages,
                          ["--quantize", "int8", "--calibration", str(calib_dir)], row)
    if got is None:
        return row
    mean_abs, max_abs, agreement = map_stats(got, refs)
    row.pixels = sum(r.size for r in refs)
    row.worst = f"{max_abs:.3f} (mean {mean_abs:.4f})"
    row.score = f"{100.0 * agreement:.2f}% agree"
    limit_mean = PTQ_MEAN_FACTOR * ort_int8[0] + PTQ_MEAN_SLACK
    limit_agree = ort_int8[2] - PTQ_AGREEMENT_SLACK
    row.ok = mean_abs <= limit_mean and agreement >= limit_agree
    row.detail = (f"onnxruntime's int8: mean {ort_int8[0]:.4f}, {100 * ort_int8[2]:.2f}% agree; "
                  f"limits: mean <= {limit_mean:.4f}, agreement >= {100 * limit_agree:.2f}%")
    return row


def check_cuda(pare: Path, model: Path, work: Path) -> Row:
    row = Row("cuda (nvcc)")
    nvcc = shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc"
    if not Path(nvcc).exists():
        row.ok, row.detail = True, "nvcc not found: skipped"
        return row
    gen = work / "cuda" / "gen"
    p = H.pare_compile(pare, model, gen, name="dbnet", emit_runner=True, extra=["--target", "cuda"], timeout=900)
    if p.returncode != 0:
        row.detail = f"compile error: {H.first_line(p.output)}"
        return row
    flags = ["-std=c++17", "-O1", "-arch=sm_90a", "-DPARE_CU_SM90A", "-Xcompiler", "-Wall,-Wextra", "-Werror", "all-warnings"]
    objs = []
    for f in sorted(gen.glob("*.cu")):
        o = f.with_suffix(".o")
        r = H.run([nvcc, *flags, "-c", str(f), "-o", str(o)], timeout=900)
        if r.returncode != 0:
            row.detail = f"nvcc {f.name}: {H.first_line(r.output)}"
            return row
        objs.append(str(o))
    r = H.run([nvcc, "-arch=sm_90a", *objs, "-o", str(gen / "runner")], timeout=300)
    row.ok = r.returncode == 0
    row.detail = "built (not run: no GPU)" if row.ok else f"link: {H.first_line(r.output)}"
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pare", help="the pare binary (default: build/tools/pare/pare)")
    ap.add_argument("--size", type=int, default=224, help="page height and width, a multiple of 32 (default 224)")
    ap.add_argument("--samples", type=int, default=4, help="test pages (default 4)")
    ap.add_argument("--calib", type=int, default=16, help="calibration pages (default 16)")
    ap.add_argument("--models", type=Path, default=REPO / "build" / "models", help="where the exported model is kept")
    ap.add_argument("--variants", default="float,int8-qdq,int8-ptq", help="comma-separated subset (default all three)")
    ap.add_argument("--cuda", action="store_true", help="also compile for --target cuda with nvcc")
    ap.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = ap.parse_args()
    H.ensure_python_deps(("numpy", "onnx", "onnxruntime", "torch"))
    pare = H.find_pare(args.pare)
    if args.size <= 0 or args.size % 32:
        H.die(f"--size {args.size}: must be a positive multiple of 32")
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = set(variants) - {"float", "int8-qdq", "int8-ptq"}
    if unknown:
        H.die(f"--variants: unknown {', '.join(sorted(unknown))}")

    work = args.keep or Path(tempfile.mkdtemp(prefix="pare-dbnet-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: List[Row] = []
    try:
        model = D.export(args.models, args.size)
        test = D.render_pages(args.samples, args.size, TEST_SEED)
        calib = D.render_pages(args.calib, args.size, CALIB_SEED)
        test_paths = save_pages(test, work / "pages")
        calib_dir = work / "calib"
        save_pages(calib, calib_dir)
        sess = H.ort_session(model)
        refs = [sess.run(None, {D.INPUT_NAME: x})[0] for x in test]
        qdq = int8_refs = ort_int8 = None
        if "int8-qdq" in variants or "int8-ptq" in variants:
            qdq = quantize_qdq(model, calib, work)
            qsess = H.ort_session(qdq, exact_int8=True)
            int8_refs = [qsess.run(None, {D.INPUT_NAME: x})[0] for x in test]
            ort_int8 = map_stats(int8_refs, refs)
        checks = {
            "float": lambda: check_float(pare, model, work, test_paths, refs),
            "int8-qdq": lambda: check_qdq(pare, qdq, work, test_paths, int8_refs, ort_int8[0]),
            "int8-ptq": lambda: check_ptq(pare, model, work, calib_dir, test_paths, refs, ort_int8),
        }
        todo = [(v, checks[v]) for v in variants]
        if args.cuda:
            todo.append(("cuda", lambda: check_cuda(pare, model, work)))
        for name, fn in todo:
            t = time.monotonic()
            try:
                row = fn()
            except (H.HarnessError, subprocess.CalledProcessError, OSError, ValueError) as exc:
                row = Row(name, detail=f"{type(exc).__name__}: {exc}")
            row.seconds = time.monotonic() - t
            rows.append(row)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"DBNet (PP-OCR det structure) at 1x3x{args.size}x{args.size}, {args.samples} test pages, "
          f"{args.calib} calibration pages; pare {pare}")
    print(f"{'variant':<12} {'pixels':>8} {'max error':>22} {'score':>20} {'time':>7}  result")
    for r in rows:
        print(f"{r.variant:<12} {r.pixels:>8} {r.worst:>22} {r.score:>20} {r.seconds:>6.1f}s  "
              f"{'ok' if r.ok else 'FAIL'}{'  ' + r.detail if r.detail else ''}")
    return 0 if rows and all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
