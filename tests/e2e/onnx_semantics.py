#!/usr/bin/env python3
"""ONNX numeric semantics at the edges: pare's generated C against onnxruntime, bit for bit.

Issue 12's "silently wrong" numerics. Each case builds a small model with the `onnx` package,
compiles it with `pare compile --emit-runner`, builds the runner with gcc (-std=c99 -Wall -Wextra
-Werror -pedantic, AddressSanitizer and UndefinedBehaviorSanitizer, no recovery: a signed overflow
or an out-of-range float-to-int conversion in the generated code fails the case), runs it, and
compares every output with onnxruntime (CPU, default graph optimizations, the pinned version):

  * exact: the same bits (NaN == NaN, any payload; +0 and -0 differ), or the same integers;
  * close: NaN and infinities in the same places, finite values within rtol 1e-5 (transcendental
    activations, whose last bit depends on the libm);
  * error: pare must refuse the model, exit code 1, one line naming the node and matching a
    pattern.

Cases:
  * activations on NaN, +-inf, +-0, denormals and +-FLT_MAX, standalone (Relu, LeakyRelu, Clip,
    Clip with min > max, Clip with a NaN bound, HardSigmoid, HardSwish, ThresholdedRelu exactly;
    Elu, Selu, Celu, Softplus, Softsign, Sigmoid, Tanh closely) and fused into a Conv and a Gemm;
  * QuantizeLinear / DequantizeLinear with scales 1e-45 (denormal), 1e-38, FLT_MIN, 1e38, 3e38;
    QDQ Conv and QLinearConv / QLinearMatMul whose requantization scale underflows to 0 or
    overflows to inf in float32; QLinearConv with an INT32_MAX / INT32_MIN bias (the int32 sum
    wraps, as in onnxruntime and the ONNX reference); an int8 Conv with a fused Clip whose bounds
    lie outside the output's range or cross (min > max);
  * refusals: an int32 bias DequantizeLinear with zero point INT32_MAX (onnxruntime's kernel
    rejects it, its QLinearConv fusion ignores it); `--int8-rounding tflite` with a requantization
    multiplier beyond TFLite's Q31 multiplier + shift range, or with an INT32_MAX bias (the
    fixed-point kernels' int32 accumulator would overflow).

    .venv/bin/python tests/e2e/onnx_semantics.py [--pare build/tools/pare/pare] [--keep DIR] [-v]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import pare_harness as H  # noqa: E402

H.ensure_python_deps()

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto as TP  # noqa: E402
from onnx import helper, numpy_helper  # noqa: E402

SAN_CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-g",
              "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
F32_MAX = float(np.finfo(np.float32).max)
F32_MIN = float(np.finfo(np.float32).tiny)  # smallest normal, 1.1754944e-38
F32_DENORM = float(np.float32(1e-45))  # smallest denormal, 1.4e-45

# Every float input of the activation cases: the special values, then ordinary ones.
SPECIALS = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, F32_MAX, -F32_MAX, F32_DENORM,
                     -F32_DENORM, F32_MIN, -F32_MIN, 1e30, -1e30, 1.5, -1.5, 3.0, -3.0, 6.0, 7.0,
                     -7.0, 0.25, -0.5, 2.75], np.float32)


@dataclass
class Case:
    name: str
    model: onnx.ModelProto
    inputs: Dict[str, np.ndarray] = field(default_factory=dict)
    close: Sequence[str] = ()  # outputs compared closely (transcendentals); others exactly
    flags: Sequence[str] = ()
    error: Optional[str] = None  # regex the one-line error must match (a refusal case)
    # False: compare with onnxruntime's graph optimizations off (where its optimizer itself goes
    # wrong on the case; its kernels are the reference then).
    ort_optimize: bool = True


def model(nodes, inputs, outputs, inits=(), opset=17) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, list(shape))


def const(name, value, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


# ------------------------------------------------------------------------------ float cases

# (output, op, attributes, bound inputs (None = absent), close?)
ACTIVATIONS = [
    ("relu", "Relu", {}, None, False),
    ("leaky", "LeakyRelu", {"alpha": 0.1}, None, False),
    ("clip06", "Clip", {}, (0.0, 6.0), False),
    ("clip60", "Clip", {}, (6.0, 0.0), False),  # min > max: max everywhere but NaN
    ("clip_nan_lo", "Clip", {}, (np.nan, 6.0), False),  # onnxruntime ignores a NaN bound
    ("clip_nan_hi", "Clip", {}, (-1.0, np.nan), False),
    ("clip_lo_only", "Clip", {}, (0.0, None), False),  # +inf -> FLT_MAX in onnxruntime
    ("hsig", "HardSigmoid", {"alpha": 0.2, "beta": 0.5}, None, False),
    ("hswish", "HardSwish", {}, None, False),
    ("trelu", "ThresholdedRelu", {"alpha": 1.0}, None, False),
    ("elu", "Elu", {"alpha": 1.3}, None, True),
    ("selu", "Selu", {}, None, True),
    ("celu", "Celu", {"alpha": 0.8}, None, True),
    ("softplus", "Softplus", {}, None, True),
    ("softsign", "Softsign", {}, None, True),
    ("sigmoid", "Sigmoid", {}, None, True),
    ("tanh", "Tanh", {}, None, True),
]

# Fused into a Conv / Gemm: the max/min family.
FUSABLE = [a for a in ACTIVATIONS if a[0] in ("relu", "leaky", "clip06", "clip60", "clip_nan_lo",
                                              "hsig", "hswish", "trelu", "clip_lo_only")]


def act_node(out, op, attrs, bounds, x, inits, prefix=""):
    ins = [x]
    if bounds is not None:
        for i, b in enumerate(bounds):
            if b is None:
                ins.append("")
            else:
                n = f"{prefix}{out}_b{i}"
                inits.append(const(n, b))
                ins.append(n)
    while ins and ins[-1] == "":
        ins.pop()
    return helper.make_node(op, ins, [out], name=f"{prefix}{out}", **attrs)


def standalone_activations() -> Case:
    nodes, inits = [], []
    n = SPECIALS.size
    for out, op, attrs, bounds, _ in ACTIVATIONS:
        nodes.append(act_node(out, op, attrs, bounds, "x", inits))
    m = model(nodes, [vi("x", TP.FLOAT, [n])], [vi(a[0], TP.FLOAT, [n]) for a in ACTIVATIONS], inits)
    return Case("activations", m, {"x": SPECIALS}, close=[a[0] for a in ACTIVATIONS if a[4]])


def fused_conv() -> Case:
    """x [1, 1, 4, 6] -> 1x1 Conv (weights 1 and -2, biases 0.5 and -0.25: exact products) -> act,
    one Conv per activation so that each fuses."""
    nodes, inits, outs = [], [], []
    inits += [const("w", np.array([1.0, -2.0]).reshape(2, 1, 1, 1)), const("b", [0.5, -0.25])]
    for out, op, attrs, bounds, _ in FUSABLE:
        nodes.append(helper.make_node("Conv", ["x", "w", "b"], [f"c_{out}"], name=f"conv_{out}"))
        nodes.append(act_node(out, op, attrs, bounds, f"c_{out}", inits, prefix="act_conv_"))
        outs.append(vi(out, TP.FLOAT, [1, 2, 4, 6]))
    m = model(nodes, [vi("x", TP.FLOAT, [1, 1, 4, 6])], outs, inits)
    return Case("conv+activation", m, {"x": SPECIALS.reshape(1, 1, 4, 6)})


def fused_gemm() -> Case:
    """x [24, 1] -> Gemm with W [1, 3] = (1, -1, 2), C = (0, 0.5, -1) -> act (K = 1: one exact
    product per output), and MatMul + Add (recognised as a Gemm) -> Relu."""
    nodes, inits, outs = [], [], []
    inits += [const("w", [[1.0, -1.0, 2.0]]), const("c", [0.0, 0.5, -1.0])]
    for out, op, attrs, bounds, _ in FUSABLE:
        nodes.append(helper.make_node("Gemm", ["x", "w", "c"], [f"g_{out}"], name=f"gemm_{out}"))
        nodes.append(act_node(out, op, attrs, bounds, f"g_{out}", inits, prefix="act_gemm_"))
        outs.append(vi(out, TP.FLOAT, [24, 3]))
    nodes += [helper.make_node("MatMul", ["x", "w"], ["mm"], name="matmul"),
              helper.make_node("Add", ["mm", "c"], ["mm_add"], name="matmul_bias"),
              helper.make_node("Relu", ["mm_add"], ["mm_relu"], name="matmul_relu")]
    outs.append(vi("mm_relu", TP.FLOAT, [24, 3]))
    m = model(nodes, [vi("x", TP.FLOAT, [24, 1])], outs, inits)
    return Case("gemm+activation", m, {"x": SPECIALS.reshape(24, 1)})


# ------------------------------------------------------------------------------ int8 cases

QX = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 3e-45, 2.5e-45, 5e-45, 1e-38,
               1.5e-38, -2.5e-38, F32_MIN, 1.0, -1.0, 1e38, 3e38, -3e38, 0.5, 2.5e-38, -1e-30,
               7e-44, -7e-44], np.float32)
QSCALES = [F32_DENORM, 1e-38, F32_MIN, 1e38, 3e38]


def quantize_dequantize() -> Case:
    """x -> QuantizeLinear (int8: zero points 0, 5, -128; uint8: 100) -> output, and its
    DequantizeLinear -> output, for every scale."""
    nodes, inits, outs = [], [], []
    for si, s in enumerate(QSCALES):
        inits.append(const(f"s{si}", s))
        for zp, dt, np_dt in ((0, TP.INT8, np.int8), (5, TP.INT8, np.int8), (-128, TP.INT8, np.int8),
                              (100, TP.UINT8, np.uint8)):
            tag = f"s{si}_{'u' if np_dt is np.uint8 else 'z'}{zp}".replace("-", "m")
            inits.append(const(f"zp_{tag}", zp, np_dt))
            nodes.append(helper.make_node("QuantizeLinear", ["x", f"s{si}", f"zp_{tag}"], [f"q_{tag}"],
                                          name=f"quantize_{tag}"))
            nodes.append(helper.make_node("DequantizeLinear", [f"q_{tag}", f"s{si}", f"zp_{tag}"],
                                          [f"dq_{tag}"], name=f"dequantize_{tag}"))
            outs += [vi(f"q_{tag}", dt, [QX.size]), vi(f"dq_{tag}", TP.FLOAT, [QX.size])]
    m = model(nodes, [vi("x", TP.FLOAT, [QX.size])], outs, inits, opset=19)
    return Case("quantize/dequantize", m, {"x": QX})


def qdq_conv(name, sx, sw, sy, bias_scale=None, bias=None, bias_zp=0, act=None, flags=(),
             error=None, x_mag=1.0, seed=0) -> Case:
    """x -> Q -> DQ -> Conv 3x3 (int8 weights, optional int32 bias) [-> activation] -> Q -> DQ.

    Weights stay within [-63, 63]: onnxruntime's AVX2 int8 kernels (vpmaddubsw) saturate pairs of
    u8 x s8 products to int16 beyond that, an approximation of its own."""
    rng = np.random.RandomState(seed)
    w = rng.randint(-63, 64, (3, 2, 3, 3)).astype(np.int8)
    inits = [const("sx", sx), const("zx", 3, np.int8), const("wq", w, np.int8), const("sw", sw),
             const("zw", 0, np.int8), const("sy", sy), const("zy", -2, np.int8)]
    nodes = [helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"], name="quantize_x"),
             helper.make_node("DequantizeLinear", ["xq", "sx", "zx"], ["xd"], name="dequantize_x"),
             helper.make_node("DequantizeLinear", ["wq", "sw", "zw"], ["wd"], name="dequantize_w")]
    conv_in = ["xd", "wd"]
    if bias is not None:
        inits += [const("bq", bias, np.int32), const("sb", bias_scale), const("zb", bias_zp, np.int32)]
        nodes.append(helper.make_node("DequantizeLinear", ["bq", "sb", "zb"], ["bd"], name="dequantize_bias"))
        conv_in.append("bd")
    nodes.append(helper.make_node("Conv", conv_in, ["c"], pads=[1, 1, 1, 1], name="conv"))
    last = "c"
    if act is not None:
        inits_act: List[onnx.TensorProto] = []
        nodes.append(act_node("a", act[0], {}, act[1], "c", inits_act, prefix="conv_"))
        inits += inits_act
        last = "a"
    nodes += [helper.make_node("QuantizeLinear", [last, "sy", "zy"], ["yq"], name="quantize_y"),
              helper.make_node("DequantizeLinear", ["yq", "sy", "zy"], ["y"], name="dequantize_y")]
    m = model(nodes, [vi("x", TP.FLOAT, [1, 2, 5, 5])], [vi("y", TP.FLOAT, [1, 3, 5, 5])], inits, opset=19)
    x = (rng.standard_normal((1, 2, 5, 5)) * x_mag).astype(np.float32)
    return Case(name, m, {"x": x}, flags=flags, error=error)


def qlinear_conv(name, sx, sw, sy, bias, x_mag=1.0) -> Case:
    rng = np.random.RandomState(1)
    w = rng.randint(-63, 64, (3, 2, 3, 3)).astype(np.int8)
    inits = [const("sx", sx), const("zx", 0, np.int8), const("wq", w, np.int8), const("sw", sw),
             const("zw", 0, np.int8), const("sy", sy), const("zy", 1, np.int8), const("b", bias, np.int32)]
    nodes = [helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"], name="quantize_x"),
             helper.make_node("QLinearConv", ["xq", "sx", "zx", "wq", "sw", "zw", "sy", "zy", "b"], ["yq"],
                              pads=[1, 1, 1, 1], name="qlinear_conv"),
             helper.make_node("DequantizeLinear", ["yq", "sy", "zy"], ["y"], name="dequantize_y")]
    m = model(nodes, [vi("x", TP.FLOAT, [1, 2, 4, 4])], [vi("y", TP.FLOAT, [1, 3, 4, 4])], inits, opset=19)
    x = (rng.standard_normal((1, 2, 4, 4)) * x_mag).astype(np.float32)
    return Case(name, m, {"x": x})


def qlinear_matmul(name, sa, sb, sy, zy=0) -> Case:
    """int8 in, int8 out; a holds a zero row (0 * inf = NaN in a float32 requantization)."""
    b = np.array([[1, -1, 0, 5], [1, 1, 0, -7], [3, 0, 2, 1]], np.int8)
    inits = [const("sa", sa), const("za", 0, np.int8), const("b", b, np.int8), const("sb", sb),
             const("zb", 0, np.int8), const("sy", sy), const("zy", zy, np.int8)]
    nodes = [helper.make_node("QLinearMatMul", ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], ["y"],
                              name="qlinear_matmul")]
    m = model(nodes, [vi("a", TP.INT8, [5, 3])], [vi("y", TP.INT8, [5, 4])], inits, opset=19)
    a = np.array([[0, 0, 0], [1, 2, 3], [-1, -2, -3], [3, -3, 1], [127, -128, 5]], np.int8)
    return Case(name, m, {"a": a})


def requantize(name, s1, s2, error=None, flags=()) -> Case:
    """x -> Q(s1) -> DQ -> Q(s2) -> DQ: an int8 -> int8 requantization. Compared with onnxruntime's
    kernels, optimizer off: its DoubleQDQPairsRemover folds the two pairs into one (x quantized once
    with s2; a combined scale 1e38 * 3e38 = inf gives NaN for x = 0)."""
    inits = [const("s1", s1), const("z1", 3, np.int8), const("s2", s2), const("z2", -5, np.int8)]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s1", "z1"], ["q1"], name="quantize_1"),
             helper.make_node("DequantizeLinear", ["q1", "s1", "z1"], ["d1"], name="dequantize_1"),
             helper.make_node("QuantizeLinear", ["d1", "s2", "z2"], ["q2"], name="quantize_2"),
             helper.make_node("DequantizeLinear", ["q2", "s2", "z2"], ["y"], name="dequantize_2")]
    m = model(nodes, [vi("x", TP.FLOAT, [QX.size])], [vi("y", TP.FLOAT, [QX.size])], inits, opset=19)
    with np.errstate(over="ignore"):
        x = np.concatenate([QX[:4], (np.arange(-10, 10, dtype=np.float32) * np.float32(s1))])
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_value = x.size
    m.graph.output[0].type.tensor_type.shape.dim[0].dim_value = x.size
    return Case(name, m, {"x": x}, error=error, ort_optimize=False, flags=flags)


def cases() -> List[Case]:
    i32max, i32min = 2**31 - 1, -2**31
    out = [standalone_activations(), fused_conv(), fused_gemm(), quantize_dequantize()]
    # QDQ Conv (onnx rounding): requantization scale float32(sx * sw) / sy.
    out += [
        qdq_conv("qdq conv denormal scales", F32_DENORM, 0.01, F32_DENORM, x_mag=1e-43),  # sx*sw -> 0
        qdq_conv("qdq conv scales 1e-38", 1e-38, 0.01, 1e-38, x_mag=1e-36),
        qdq_conv("qdq conv scales 1e-38, bias", 1e-38, 1e6, 1e-30, bias_scale=np.float32(1e-38) * np.float32(1e6),
                 bias=[100, -5000, 70000], x_mag=1e-36),
        qdq_conv("qdq conv scales 1e38", 1e38, 1e38, 1e38, x_mag=1e38),  # sx*sw -> inf
        qdq_conv("qdq conv scale 1e38 weights", 0.05, 1e38, 1e38, bias_scale=np.float32(0.05) * np.float32(1e38),
                 bias=[1, -2, 0]),
        qdq_conv("qdq conv bias INT32_MAX", 0.05, 0.01, 0.1, bias_scale=np.float32(0.05) * np.float32(0.01),
                 bias=[i32max, i32min, i32max]),
        qdq_conv("qdq conv + clip min > max", 0.05, 0.01, 0.1, act=("Clip", (6.0, 0.5))),
        qdq_conv("qdq conv + clip below range", 0.05, 0.01, 0.1, act=("Clip", (-50.0, -40.0))),
        qdq_conv("qdq conv + clip above range", 0.05, 0.01, 0.1, act=("Clip", (40.0, 50.0))),
        qdq_conv("qdq conv + clip crossing, tiny scale", F32_DENORM, 0.01, F32_DENORM, act=("Clip", (6.0, 0.0)),
                 x_mag=1e-43),
        qlinear_conv("qlinearconv bias INT32_MAX/MIN", 0.05, 0.01, 0.1, [i32max, i32min, i32max - 5]),
        qlinear_conv("qlinearconv denormal scales", F32_DENORM, F32_DENORM, F32_DENORM, [100, -100, 5], x_mag=1e-43),
        qlinear_conv("qlinearconv scale 1e38 x 1e-38", 1e38, 1e-38, 1.0, [100, -100, 5], x_mag=1e38),
        qlinear_conv("qlinearconv output scale 1e-38", 1.0, 1.0, 1e-38, [100, -100, 5], x_mag=10),
        qlinear_matmul("qlinearmatmul scale inf", 1e38, 1e38, 1.0),
        qlinear_matmul("qlinearmatmul scale inf, zp 7", 1e38, 1e38, 1.0, zy=7),
        qlinear_matmul("qlinearmatmul scale 0", F32_DENORM, 0.01, 1.0, zy=7),
        qlinear_matmul("qlinearmatmul scales 1e-38", 1e-38, 1.0, 1e-38, zy=7),
        requantize("requantize 1e-38 -> 1e-40", 1e-38, 1e-40),
        requantize("requantize 1e38 -> 3e38", 1e38, 3e38),
        requantize("requantize 1e38 -> 1e-38", 1e38, 1e-38),
        requantize("requantize 0.1 -> 0.3", 0.1, 0.3),  # fixed point rounds -1/3 to -1
    ]
    # Refusals.
    out += [
        qdq_conv("qdq conv bias zero point INT32_MAX", 0.05, 0.01, 0.1,
                 bias_scale=np.float32(0.05) * np.float32(0.01), bias=[10, -20, 30], bias_zp=i32max,
                 error=r"node 'dequantize_bias'.*zero point"),
        requantize("requantize 1e38 -> 1e-38, tflite rounding", 1e38, 1e-38,
                   error=r"node 'quantize_2'.*multiplier 1e\+76 .*scale 1e\+38 / output scale 1e-38",
                   flags=["--int8-rounding", "tflite"]),
        qdq_conv("tflite rounding, multiplier too large", 1e38, 1.0, 1e-38, flags=["--int8-rounding", "tflite"],
                 error=r"node 'conv'.*multiplier 1e\+76 .*scale 1e\+38"),
        qdq_conv("tflite rounding, bias INT32_MAX", 0.05, 0.01, 0.1, bias_scale=np.float32(0.05) * np.float32(0.01),
                 bias=[i32max, 0, 1], flags=["--int8-rounding", "tflite"],
                 error=r"node 'conv'.*bias 2147483647 .*overflow"),
    ]
    return out


# ------------------------------------------------------------------------------ running

# Cases (name, output) known to differ today, with the reason; a listed case that passes fails
# the run (strict), so that the list is kept up to date.
XFAIL: Dict[str, str] = {}


def same_bits(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Elementwise: equal bit patterns, any NaN equal to any NaN."""
    if ref.dtype.kind != "f":
        return got == ref
    g, r = got.astype(np.float32), ref.astype(np.float32)
    gn, rn = np.isnan(g), np.isnan(r)
    return np.where(gn | rn, gn & rn, g.view(np.uint32) == r.view(np.uint32))


def close(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    g, r = got.astype(np.float64), ref.astype(np.float64)
    gn, rn = np.isnan(g), np.isnan(r)
    with np.errstate(invalid="ignore", over="ignore"):
        fin = np.isfinite(r) & np.isfinite(g)
        ok = np.where(fin, np.abs(g - r) <= 1e-6 + 1e-5 * np.abs(r), g == r)
    return np.where(gn | rn, gn & rn, ok)


def describe(got, ref, ok, x=None) -> str:
    bad = np.flatnonzero(~ok.reshape(-1))
    parts = []
    for i in bad[:4]:
        s = f"[{i}] pare {got.reshape(-1)[i]!r} onnxruntime {ref.reshape(-1)[i]!r}"
        if x is not None and x.size == got.size:
            s += f" (x {x.reshape(-1)[i]!r})"
        parts.append(s)
    return f"{bad.size}/{ok.size} differ: " + "; ".join(parts)


def run_case(case: Case, pare: Path, work: Path, cache: H.ObjectCache, verbose: bool) -> List[str]:
    """Failures (empty when the case passes)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", case.name).strip("_")
    d = work / slug
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    mpath = d / "model.onnx"
    onnx.save(case.model, str(mpath))
    p = H.pare_compile(pare, mpath, d / "gen", name="model", extra=list(case.flags), timeout=300)
    if case.error is not None:
        msg = p.output.strip()
        if p.returncode != 1:
            return [f"expected a refusal (exit 1), got {p.describe_exit()}: {H.first_line(msg)}"]
        if len(msg.splitlines()) != 1 or not re.search(case.error, msg):
            return [f"refusal message does not match /{case.error}/ on one line: {msg[:400]!r}"]
        if verbose:
            print(f"    {H.first_line(msg)}")
        return []
    if p.returncode != 0:
        return [f"compile: {p.describe_exit()}: {H.first_line(p.output)}"]
    runner = d / "runner"
    b = H.build_c(d / "gen", runner, SAN_CFLAGS, cache=cache, timeout=600)
    if b.returncode != 0:
        return [f"build: {H.first_line(b.output)}"]
    sess = H.ort_session(mpath)
    if not case.ort_optimize:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.log_severity_level = 3
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        sess = ort.InferenceSession(str(mpath), so, providers=["CPUExecutionProvider"])
    refs = sess.run(None, case.inputs)
    npys = []
    for i in sess.get_inputs():
        f = d / f"{i.name}.npy"
        np.save(f, case.inputs[i.name], allow_pickle=False)
        npys.append(f)
    r = H.run_runner(runner, npys, d / "out", timeout=120)
    if r.returncode != 0:
        return [f"runner {r.describe_exit()}: {r.output.strip()[-1500:]}"]
    if r.output.strip() and ("runtime error" in r.output or "Sanitizer" in r.output):
        return [f"sanitizer: {r.output.strip()[-1500:]}"]
    fails = []
    x = next(iter(case.inputs.values()))
    for o, ref in zip(sess.get_outputs(), refs):
        got = np.load(d / "out" / (H.sanitize_output_name(o.name) + ".npy"))
        key = f"{case.name}: {o.name}"
        if got.shape != ref.shape or got.dtype != ref.dtype:
            res = f"shape/dtype {got.shape} {got.dtype} != {ref.shape} {ref.dtype}"
        else:
            ok = close(got, ref) if o.name in case.close else same_bits(got, ref)
            res = "" if ok.all() else describe(got, ref, ok, x)
        if key in XFAIL:
            if not res:
                fails.append(f"{o.name}: passes but is listed as an expected failure ({XFAIL[key]})")
            elif verbose:
                print(f"    xfail {o.name}: {res}")
        elif res:
            fails.append(f"{o.name}: {res}")
    return fails


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pare", help="the pare binary (default: build/tools/pare/pare)")
    ap.add_argument("--keep", type=Path, help="work in this directory and keep it")
    ap.add_argument("--filter", metavar="REGEX", help="only cases whose name matches")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    pare = H.find_pare(args.pare)
    os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=0")
    tmp = None
    if args.keep:
        work = args.keep.resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="pare-semantics-")
        work = Path(tmp.name)
    cache = H.ObjectCache(work / "objcache")
    failed = 0
    selected = [c for c in cases() if not args.filter or re.search(args.filter, c.name)]
    for case in selected:
        try:
            fails = run_case(case, pare, work, cache, args.verbose)
        except Exception as exc:  # onnxruntime refusing a model, a missing output file ...
            fails = [f"{exc.__class__.__name__}: {H.first_line(str(exc))}"]
        print(f"{'ok  ' if not fails else 'FAIL'} {case.name}")
        for f in fails:
            print(f"    {f}")
        failed += bool(fails)
    print(f"{len(selected) - failed} passed, {failed} failed")
    if tmp:
        tmp.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
