#!/usr/bin/env python3
"""A small FPN (feature pyramid) with ONNX Resize through pare, in float and int8.

The model (built here with onnx.helper, seeded weights): three stride-2 3x3 convs with Relu (8
channels, 32x32 -> 4x4), then a top-down path that upsamples and adds: Resize nearest x2
(asymmetric, floor, by scales) + Add, Resize linear half_pixel (by sizes) + Add, Resize linear
align_corners x2, a 3x3 conv to 4 channels (output `out`); and a side output `side`, Resize nearest
x4 (half_pixel, round_prefer_floor) of the 8x8 level.

  float  pare's C against onnxruntime: |pare - ort| <= 1e-5 + 1e-4 * |ort| on every output.
  int8   pare's own post-training quantization (--quantize int8 --calibration): the generated code
         must run every Resize on int8 NHWC data (pare_resize_nearest on 1-byte elements,
         TFLite's integer bilinear pare_resize_bilinear_s8) with no transpose around them (the
         only three are the model input's and the two outputs' layout changes), and its outputs stay
         within quantization error of onnxruntime's float outputs: mean |error| <= 1 output
         quantization step (measured against the output's range / 255) and max |error| <= 8 steps.

  cuda   (--cuda, when nvcc is present) the model for --target cuda in fp32 and fp16, compiled and
         linked with nvcc (sm_90a, warnings as errors), as tests/e2e/cuda_compile.sh builds models.

Prints one line per variant; exits 1 on any failure.

    .venv/bin/python tests/e2e/resize_fpn.py --pare build/tools/pare/pare [--cuda] [--keep DIR]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import List

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import pare_harness as H  # noqa: E402

H.ensure_python_deps()

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

OUTPUTS = ("out", "side")
FLOAT_RTOL, FLOAT_ATOL = 1e-4, 1e-5
INT8_MEAN_STEPS, INT8_MAX_STEPS = 1.0, 8.0


def build_model(path: Path) -> None:
    rng = np.random.default_rng(0)
    inits, nodes = [], []

    def tensor(name, value):
        inits.append(numpy_helper.from_array(value, name))
        return name

    def conv(x, y, cin, cout, stride, relu=True):
        w = tensor(y + "_w", (rng.standard_normal((cout, cin, 3, 3)) * (2.0 / (9 * cin)) ** 0.5).astype(np.float32))
        b = tensor(y + "_b", (rng.standard_normal(cout) * 0.1).astype(np.float32))
        nodes.append(helper.make_node("Conv", [x, w, b], [y + "_c" if relu else y], name=y + "_conv",
                                      kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[stride, stride]))
        if relu:
            nodes.append(helper.make_node("Relu", [y + "_c"], [y], name=y + "_relu"))

    scales = lambda n, s: tensor(n, np.array([1, 1, s, s], np.float32))
    conv("x", "c1", 3, 8, 2)
    conv("c1", "c2", 8, 8, 2)
    conv("c2", "c3", 8, 8, 2)
    nodes += [
        helper.make_node("Resize", ["c3", "", scales("s2", 2)], ["u3"], name="up3_nearest", mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        helper.make_node("Add", ["c2", "u3"], ["p2"], name="p2_add"),
        helper.make_node("Resize", ["p2", "", "", tensor("sz", np.array([1, 8, 16, 16], np.int64))], ["u2"],
                         name="up2_bilinear", mode="linear", coordinate_transformation_mode="half_pixel"),
        helper.make_node("Add", ["c1", "u2"], ["p1"], name="p1_add"),
        helper.make_node("Resize", ["p1", "", scales("s2b", 2)], ["u1"], name="up1_align_corners", mode="linear",
                         coordinate_transformation_mode="align_corners"),
        helper.make_node("Resize", ["p2", "", scales("s4", 4)], ["side"], name="side_nearest", mode="nearest"),
    ]
    conv("u1", "out", 8, 4, 1, relu=False)
    graph = helper.make_graph(
        nodes, "fpn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 4, 32, 32]),
         helper.make_tensor_value_info("side", TensorProto.FLOAT, [1, 8, 32, 32])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def save_inputs(d: Path, count: int, seed: int) -> List[Path]:
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        p = d / f"x_{i:03d}.npy"
        np.save(p, rng.standard_normal((1, 3, 32, 32)).astype(np.float32), allow_pickle=False)
        paths.append(p)
    return paths


def compile_and_run(pare: Path, model: Path, gen: Path, inputs: List[Path], extra: List[str]):
    return H.compile_and_run(pare, model, gen, [[x] for x in inputs], OUTPUTS, name="fpn", extra=extra)


def int8_structure(source: str) -> List[str]:
    """What is wrong with the int8 code's resize calls (empty when nothing)."""
    problems = []
    calls = re.findall(r"^\s*(pare_\w+)\((.*)$", source, re.MULTILINE)
    names = [c[0] for c in calls]
    nearest = [a for n, a in calls if n == "pare_resize_nearest"]
    if len(nearest) != 2 or not all(a.startswith("1, ") for a in nearest):
        problems.append(f"expected 2 int8 pare_resize_nearest calls, got {nearest}")
    if names.count("pare_resize_bilinear_s8") != 2:
        problems.append(f"expected 2 pare_resize_bilinear_s8 calls, got {names.count('pare_resize_bilinear_s8')}")
    if "pare_resize_f32" in names:
        problems.append("a resize runs in float")
    # NCHW -> NHWC of the input, NHWC -> NCHW of the two outputs; none between the convs and
    # the resizes.
    if names.count("pare_transpose") != 3:
        problems.append(f"expected 3 transposes (input, two outputs), got {names.count('pare_transpose')}")
    return problems


def check_cuda(pare: Path, model: Path, work: Path) -> bool:
    nvcc = shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc"
    if not Path(nvcc).exists():
        print("cuda   nvcc not found; skipped")
        return True
    arch = ["-arch=sm_90a", "-DPARE_CU_SM90A"]
    flags = ["-std=c++17", "-O1", *arch, "-Xcompiler", "-Wall,-Wextra", "-Werror", "all-warnings"]
    for precision in ("fp32", "fp16"):
        gen = work / f"cuda-{precision}"
        p = H.run([str(pare), "compile", str(model), "--target", "cuda", "--precision", precision,
                   "--emit-runner", "-o", str(gen), "-q"], timeout=300)
        if p.returncode != 0:
            print(f"cuda   {precision}: pare compile failed: {H.first_line(p.output)}  FAIL")
            return False
        objs = []
        for cu in sorted(gen.glob("*.cu")):
            p = H.run([nvcc, *flags, "-c", str(cu), "-o", str(cu) + ".o"], timeout=600)
            if p.returncode != 0:
                print(f"cuda   {precision}: nvcc {cu.name}: {H.first_line(p.output)}  FAIL")
                return False
            objs.append(str(cu) + ".o")
        p = H.run([nvcc, *arch, *objs, "-o", str(gen / "runner")], timeout=600)
        if p.returncode != 0:
            print(f"cuda   {precision}: link: {H.first_line(p.output)}  FAIL")
            return False
    print("cuda   fp32 and fp16 built with nvcc  ok")
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pare", default=str(H.DEFAULT_PARE))
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--keep", help="keep the work directory here")
    ap.add_argument("--cuda", action="store_true", help="also build the CUDA target's code with nvcc")
    args = ap.parse_args()
    pare = H.find_pare(args.pare)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="resize_fpn_"))
    work.mkdir(parents=True, exist_ok=True)
    failed = False
    try:
        model = work / "fpn.onnx"
        build_model(model)
        inputs = save_inputs(work / "inputs", args.samples, 1234)
        save_inputs(work / "calib", 8, 98765)
        sess = H.ort_session(model)
        refs = [dict(zip(OUTPUTS, sess.run(list(OUTPUTS), {"x": np.load(x)}))) for x in inputs]

        got = compile_and_run(pare, model, work / "float" / "gen", inputs, [])
        worst = 0.0
        ok = True
        for g, r in zip(got, refs):
            for n in OUTPUTS:
                c = H.compare_arrays(g[n], r[n], FLOAT_RTOL, FLOAT_ATOL, what=n)
                worst = max(worst, c.max_abs)
                ok &= c.ok
        print(f"float  max |pare - ort| {worst:.2e}  {'ok' if ok else 'FAIL'}")
        failed |= not ok

        gen = work / "int8" / "gen"
        got = compile_and_run(pare, model, gen, inputs, ["--quantize", "int8", "--calibration",
                                                         str(work / "calib")])
        problems = int8_structure((gen / "fpn.c").read_text())
        ok = not problems
        parts = []
        for n in OUTPUTS:
            ref = np.stack([r[n] for r in refs])
            step = (max(ref.max(), 0) - min(ref.min(), 0)) / 255.0
            err = np.abs(np.stack([g[n] for g in got]) - ref) / step
            parts.append(f"{n}: mean {err.mean():.2f} max {err.max():.1f} steps")
            ok &= err.mean() <= INT8_MEAN_STEPS and err.max() <= INT8_MAX_STEPS
        print(f"int8   {'; '.join(parts)}  {'ok' if ok else 'FAIL'}")
        for p in problems:
            print(f"       {p}")
        failed |= not ok
        if args.cuda:
            failed |= not check_cuda(pare, model, work)
    except H.HarnessError as e:
        print(f"resize_fpn.py: error: {e}")
        failed = True
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
