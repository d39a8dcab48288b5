#!/usr/bin/env python3
"""A DBNet-style segmentation head with ONNX ConvTranspose through pare, in float and int8.

The model (built here with onnx.helper, seeded weights): a stride-1 3x3 Conv + Relu (3 -> 8
channels, 16x16), a ConvTranspose 2x2 stride 2 (8 -> 8) -> BatchNormalization -> Relu (32x32), a
ConvTranspose 2x2 stride 2 (8 -> 1) -> Sigmoid (64x64): the head of PP-OCR's DBNet detector.

  float  pare's C against onnxruntime: |pare - ort| <= 1e-5 + 1e-4 * |ort|; the batch norm folds
         into the first ConvTranspose and the activations fuse, so the generated code has exactly
         two pare_conv_transpose2d_f32 calls and no separate batch norm or activation.
  int8   pare's own post-training quantization (--quantize int8 --calibration): the transposed
         convolutions run as TFLite's integer TRANSPOSE_CONV (pare_conv_transpose2d_s8, the first
         with its Relu as the clamp; the Sigmoid a lookup table). The same model without the
         Sigmoid (output: the logits) stays within quantization error of onnxruntime's float
         output: mean |error| <= 1 output step (the output range / 255) and max |error| <= 8
         steps. The probabilities get 2 and 16 steps: the Sigmoid's slope (1/4 at 0) turns one
         step of the logits (about 0.04 here) into 2.5 steps of 1/255.

Prints one line per variant; exits 1 on any failure.

    .venv/bin/python tests/e2e/conv_transpose_head.py --pare build/tools/pare/pare [--keep DIR]
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

FLOAT_RTOL, FLOAT_ATOL = 1e-4, 1e-5
INT8_MEAN_STEPS, INT8_MAX_STEPS = 1.0, 8.0
PROB_MEAN_STEPS, PROB_MAX_STEPS = 2.0, 16.0


def build_model(path: Path, sigmoid: bool = True) -> None:
    rng = np.random.default_rng(0)
    inits = []

    def tensor(name, value):
        inits.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    nodes = [
        helper.make_node("Conv", ["x", tensor("c_w", rng.standard_normal((8, 3, 3, 3)) * 0.4),
                                  tensor("c_b", rng.standard_normal(8) * 0.1)], ["c"], name="conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["cr"], name="conv_relu"),
        helper.make_node("ConvTranspose", ["cr", tensor("t1_w", rng.standard_normal((8, 8, 2, 2)) * 0.3),
                                           tensor("t1_b", rng.standard_normal(8) * 0.1)], ["t1"],
                         name="up1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("BatchNormalization", ["t1", tensor("bn_g", 1 + 0.2 * rng.standard_normal(8)),
                                                tensor("bn_b", 0.1 * rng.standard_normal(8)),
                                                tensor("bn_m", 0.1 * rng.standard_normal(8)),
                                                tensor("bn_v", 0.5 + rng.random(8))], ["n1"], name="up1_bn"),
        helper.make_node("Relu", ["n1"], ["r1"], name="up1_relu"),
        helper.make_node("ConvTranspose", ["r1", tensor("t2_w", rng.standard_normal((8, 1, 2, 2)) * 0.5),
                                           tensor("t2_b", np.array([-0.2]))], ["t2"],
                         name="up2", kernel_shape=[2, 2], strides=[2, 2]),
    ]
    if sigmoid:
        nodes.append(helper.make_node("Sigmoid", ["t2"], ["y"], name="prob"))
    else:
        nodes[-1].output[0] = "y"
    graph = helper.make_graph(nodes, "dbnet_head",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 64, 64])], inits)
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
        np.save(p, rng.standard_normal((1, 3, 16, 16)).astype(np.float32), allow_pickle=False)
        paths.append(p)
    return paths


def compile_and_run(pare: Path, model: Path, gen: Path, inputs: List[Path], extra: List[str]):
    return [o["y"] for o in H.compile_and_run(pare, model, gen, [[x] for x in inputs], ["y"], name="head", extra=extra)]


def calls(source: str) -> List[str]:
    return re.findall(r"^\s*(pare_\w+)\(", source, re.MULTILINE)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pare", default=str(H.DEFAULT_PARE))
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--keep", help="keep the work directory here")
    args = ap.parse_args()
    pare = H.find_pare(args.pare)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="conv_transpose_head_"))
    work.mkdir(parents=True, exist_ok=True)
    failed = False
    try:
        model = work / "head.onnx"
        build_model(model)
        inputs = save_inputs(work / "inputs", args.samples, 1234)
        save_inputs(work / "calib", 32, 98765)
        sess = H.ort_session(model)
        refs = [sess.run(["y"], {"x": np.load(x)})[0] for x in inputs]

        gen = work / "float" / "gen"
        got = compile_and_run(pare, model, gen, inputs, [])
        names = calls((gen / "head.c").read_text())
        ok = names.count("pare_conv_transpose2d_f32") == 2 and not any(
            n.startswith(("pare_batch_norm", "pare_channel_affine", "pare_activation")) for n in names)
        worst = 0.0
        for g, r in zip(got, refs):
            c = H.compare_arrays(g, r, FLOAT_RTOL, FLOAT_ATOL, what="y")
            worst = max(worst, c.max_abs)
            ok &= c.ok
        print(f"float  max |pare - ort| {worst:.2e}  {'ok' if ok else 'FAIL'}  ({', '.join(names)})")
        failed |= not ok

        logits = work / "logits.onnx"
        build_model(logits, sigmoid=False)
        logit_sess = H.ort_session(logits)
        for what, m, ses, mean_max, max_max in (("logits", logits, logit_sess, INT8_MEAN_STEPS, INT8_MAX_STEPS),
                                                ("probabilities", model, sess, PROB_MEAN_STEPS, PROB_MAX_STEPS)):
            gen = work / ("int8_" + what) / "gen"
            got = compile_and_run(pare, m, gen, inputs, ["--quantize", "int8", "--calibration",
                                                         str(work / "calib")])
            names = calls((gen / "head.c").read_text())
            ok = names.count("pare_conv_transpose2d_s8") == 2 and "pare_conv_transpose2d_f32" not in names
            ref = np.stack([ses.run(["y"], {"x": np.load(x)})[0] for x in inputs])
            step = (max(ref.max(), 0) - min(ref.min(), 0)) / 255.0
            err = np.abs(np.stack(got) - ref) / step
            ok &= err.mean() <= mean_max and err.max() <= max_max
            print(f"int8   {what}: mean {err.mean():.2f} max {err.max():.1f} steps  {'ok' if ok else 'FAIL'}  "
                  f"({', '.join(names)})")
            failed |= not ok
    except H.HarnessError as e:
        print(f"conv_transpose_head.py: error: {e}")
        failed = True
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
