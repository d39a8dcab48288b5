#!/usr/bin/env python3
"""Self-test of the float32 runtime kernels in runtime-stubs/c.

Builds tests/unit/kernels/harness.c together with every runtime-stubs/c/*.c
file, sends it a batch of kernel calls on random data and compares each
result with a numpy reference. Also checks that the kernels compile without
warnings in strict C99 for the host gcc and, when installed, for
arm-none-eabi-gcc (Cortex-M7).

Run:  python3 tests/unit/kernels/test_kernels.py [-v]
Needs numpy (Debian: apt-get install python3-numpy) and gcc. Prints
"N passed, M failed" and exits non-zero on any failure.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:  # fall back to the system interpreter, which may have numpy
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("test_kernels.py needs numpy (apt-get install python3-numpy)")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
RUNTIME = os.path.join(ROOT, "runtime-stubs", "c")
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-c"]
ARM = ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"]
VERBOSE = "-v" in sys.argv

# Enum values of pare_kernels.h.
ACT = dict(NONE=0, RELU=1, CLIP=2, LEAKY_RELU=3, SIGMOID=4, HARD_SIGMOID=5,
           HARD_SWISH=6, TANH=7, GELU=8, GELU_TANH=9, ELU=10, SELU=11,
           SOFTPLUS=12, SOFTSIGN=13, THRESHOLDED_RELU=14, CELU=15, MISH=16)
UN = dict(SQRT=0, EXP=1, ERF=2, NEG=3, RECIPROCAL=4, ABS=5, LOG=6, FLOOR=7,
          CEIL=8, SIN=9, COS=10, ROUND=11, SIGN=12, TAN=13, ATAN=14, ASIN=15,
          ACOS=16, SINH=17, COSH=18, ASINH=19, ACOSH=20, ATANH=21)
BIN = dict(ADD=0, SUB=1, MUL=2, DIV=3, POW=4, MAX=5, MIN=6, MOD=7)
CMP = dict(EQUAL=0, LESS=1, LESS_OR_EQUAL=2, GREATER=3, GREATER_OR_EQUAL=4)
RED = dict(SUM=0, MEAN=1, MAX=2, MIN=3, PROD=4, L1=5, L2=6, SUM_SQUARE=7,
           LOG_SUM_EXP=8)
DT = dict(F32=(0, np.float32), I64=(1, np.int64), I32=(2, np.int32),
          I8=(3, np.int8), U8=(4, np.uint8), BOOL=(5, np.uint8),
          I16=(6, np.int16), U16=(7, np.uint16), F64=(8, np.float64))
LOWEST = float(np.finfo(np.float32).min)
NULL = None

rng = np.random.default_rng(1234)


def i32(*v):
    return np.array(v, dtype=np.int32)


def frnd(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


class Suite:
    """Collects kernel calls and their expected outputs, runs them in one
    harness process, and counts the results."""

    def __init__(self):
        self.cases = []
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def call(self, label, name, ints, floats, bufs, out, expected,
             rtol=1e-4, atol=1e-5):
        """Queues name(ints, floats, bufs); buffer `out` must then equal
        `expected` (dtype and values; float within rtol / atol, NaN == NaN)."""
        self.cases.append((label, name, list(ints), list(floats), bufs, out,
                           np.asarray(expected), rtol, atol))

    def result(self, label, ok, detail=""):
        if ok:
            self.passed += 1
            if VERBOSE:
                print("ok   " + label)
        else:
            self.failed += 1
            print("FAIL " + label + (": " + detail if detail else ""))

    def run(self, exe):
        req = bytearray()
        for label, name, ints, floats, bufs, *_ in self.cases:
            nb = name.encode()
            req += struct.pack("<I", len(nb)) + nb
            req += struct.pack("<I%dq" % len(ints), len(ints), *[int(v) for v in ints])
            req += struct.pack("<I%dd" % len(floats), len(floats), *[float(v) for v in floats])
            req += struct.pack("<I", len(bufs))
            for b in bufs:
                if b is None:
                    req += struct.pack("<Q", 2**64 - 1)
                else:
                    data = np.ascontiguousarray(b).tobytes()
                    req += struct.pack("<Q", len(data)) + data
        proc = subprocess.run([exe], input=bytes(req), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        data, pos = proc.stdout, 0
        for label, name, _i, _f, _b, out, exp, rtol, atol in self.cases:
            if pos + 4 > len(data):
                self.result(label, False, "harness died (rc %d): %s" %
                            (proc.returncode, proc.stderr.decode()[-2000:]))
                continue
            (nb,) = struct.unpack_from("<I", data, pos)
            pos += 4
            outs = []
            for _ in range(nb):
                (ln,) = struct.unpack_from("<Q", data, pos)
                pos += 8
                if ln == 2**64 - 1:
                    outs.append(None)
                else:
                    outs.append(data[pos:pos + ln])
                    pos += ln
            self.check(label, outs[out], exp, rtol, atol)
        if proc.returncode != 0 or proc.stderr:
            self.result("harness exit", False, "rc %d: %s" %
                        (proc.returncode, proc.stderr.decode()[-2000:]))

    def check(self, label, raw, exp, rtol, atol):
        got = np.frombuffer(raw, dtype=exp.dtype)
        want = exp.reshape(-1)
        if got.size != want.size:
            self.result(label, False, "size %d != %d" % (got.size, want.size))
            return
        if np.issubdtype(exp.dtype, np.floating):
            g64, w64 = got.astype(np.float64), want.astype(np.float64)
            close = np.isclose(g64, w64, rtol=rtol, atol=atol, equal_nan=True)
            if not close.all():
                with np.errstate(invalid="ignore"):
                    err = np.where(close, 0.0, np.abs(g64 - w64))
                # The worst element, a NaN / infinity mismatch first.
                bad = int(np.argmax(np.where(np.isnan(err) | np.isinf(err), np.inf, err)))
                self.result(label, False, "max err at %d: got %r want %r" %
                            (bad, got[bad], want[bad]))
                return
        else:
            ok = np.array_equal(got, want)
            if not ok:
                bad = int(np.argmax(got != want))
                self.result(label, False, "at %d: got %r want %r" % (bad, got[bad], want[bad]))
                return
        self.result(label, True)


# ------------------------------------------------------------ activations --

def np_erf(x):
    import math
    return np.vectorize(math.erf)(x)


def act_ref(x, act, a, b):
    x = x.astype(np.float64)
    if act == "NONE":
        return x
    if act == "RELU":
        return np.maximum(x, 0)
    if act == "CLIP":
        return np.minimum(np.maximum(x, a), b)
    if act == "LEAKY_RELU":
        return np.where(x >= 0, x, a * x)
    if act == "SIGMOID":
        return 1 / (1 + np.exp(-x))
    if act == "HARD_SIGMOID":
        return np.clip(a * x + b, 0, 1)
    if act == "HARD_SWISH":
        return x * np.clip(x / 6 + 0.5, 0, 1)
    if act == "TANH":
        return np.tanh(x)
    if act == "GELU":
        return 0.5 * x * (1 + np_erf(x / np.sqrt(2)))
    if act == "GELU_TANH":
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    if act == "ELU":
        return np.where(x >= 0, x, a * (np.exp(x) - 1))
    if act == "SELU":
        return b * np.where(x > 0, x, a * (np.exp(x) - 1))
    if act == "SOFTPLUS":
        return np.logaddexp(0, x)
    if act == "SOFTSIGN":
        return x / (1 + np.abs(x))
    if act == "THRESHOLDED_RELU":
        return np.where(x > a, x, 0)
    if act == "CELU":
        return np.maximum(0, x) + np.minimum(0, a * (np.exp(x / a) - 1))
    if act == "MISH":
        return x * np.tanh(np.logaddexp(0, x))
    raise ValueError(act)


ACT_PARAMS = dict(CLIP=(0.0, 6.0), LEAKY_RELU=(0.1, 0), HARD_SIGMOID=(0.2, 0.5),
                  ELU=(1.3, 0), SELU=(1.6732632, 1.0507010), THRESHOLDED_RELU=(0.7, 0),
                  CELU=(0.8, 0))


def test_activations(s):
    x = np.concatenate([frnd(61, lo=-6, hi=6),
                        np.array([0, -0.0, 3, -3, 50, -50, 100, -100], np.float32)])
    for act in ACT:
        a, b = ACT_PARAMS.get(act, (0.0, 0.0))
        ref = act_ref(x, act, a, b).astype(np.float32)
        s.call("activation %s" % act, "activation_f32", [x.size, ACT[act]], [a, b],
               [x, np.zeros_like(x)], 1, ref)
        s.call("act_scalar %s" % act, "act_scalar", [x.size, ACT[act]], [a, b],
               [x, np.zeros_like(x)], 1, ref)
    s.call("activation in place", "activation_f32_inplace", [x.size, ACT["RELU"]], [0, 0],
           [x], 0, np.maximum(x, 0))


# NaN, infinities, signed zeros, huge values: ONNX semantics as onnxruntime computes them (NaN
# stays NaN through Relu, Clip, LeakyRelu, HardSigmoid, HardSwish ..., ThresholdedRelu maps it to
# 0; Clip is min(max(x, lo), hi) in that order, so lo > hi gives hi; a NaN bound is ignored).
SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e30, 3.0, -3.0, 7.0, 0.5, -0.5],
                    np.float32)
EXACT_ACTS = ("RELU", "CLIP", "LEAKY_RELU", "HARD_SIGMOID", "HARD_SWISH", "THRESHOLDED_RELU")


def clip_onnx(x, a, b):
    """onnxruntime's Clip (Eigen max then min): a NaN bound is ignored."""
    x = x.astype(np.float64)
    y = x if np.isnan(a) else np.where(x < a, a, x)
    return y if np.isnan(b) else np.where(y > b, b, y)


def test_activation_specials(s):
    x = SPECIALS
    with np.errstate(all="ignore"):
        for act in ACT:
            if act == "NONE":
                continue
            a, b = ACT_PARAMS.get(act, (0.0, 0.0))
            ref = act_ref(x, act, a, b).astype(np.float32)
            # (rtol: the reference computes a * x in float64.)
            tol = dict(rtol=1e-6, atol=0) if act in EXACT_ACTS else dict(rtol=1e-5, atol=1e-6)
            for kernel, label in (("activation_f32", "activation"), ("act_scalar", "act_scalar")):
                s.call("%s specials %s" % (label, act), kernel, [x.size, ACT[act]], [a, b],
                       [x, np.zeros_like(x)], 1, ref, **tol)
        for a, b in ((6.0, 0.5), (np.nan, 6.0), (-1.0, np.nan), (0.0, np.inf)):
            ref = clip_onnx(x, a, b).astype(np.float32)
            for kernel, label in (("activation_f32", "activation"), ("act_scalar", "act_scalar")):
                s.call("%s specials CLIP(%g, %g)" % (label, a, b), kernel, [x.size, ACT["CLIP"]],
                       [a, b], [x, np.zeros_like(x)], 1, ref, rtol=1e-6, atol=0)
        # Fused into convolutions (plain, packed, depthwise): a 1x1 kernel of weights 1 and -2
        # and biases 0.5, -0.25 (exact products), so the specials reach the activation.
        n = x.size
        xs = x.reshape(1, 1, n, 1)
        w = np.array([1.0, -2.0], np.float32).reshape(2, 1, 1, 1)
        bias = np.array([0.5, -0.25], np.float32)
        pre = (xs.reshape(n, 1).astype(np.float64) * w.reshape(1, 2) + bias).astype(np.float32)
        for act, a, b in (("RELU", 0.0, 0.0), ("CLIP", 0.0, 6.0), ("CLIP", 6.0, 0.5),
                          ("LEAKY_RELU", 0.1, 0.0), ("HARD_SWISH", 0.0, 0.0)):
            ref = (clip_onnx(pre, a, b) if act == "CLIP" else act_ref(pre, act, a, b)).astype(np.float32)
            args = [1, 1, n, 1, 1, n, 2, 1, 1, 1, 1, 1, 1, 0, 0, 1, ACT[act]]
            s.call("conv2d specials %s(%g, %g)" % (act, a, b), "conv2d_f32", args, [a, b],
                   [xs, w, bias, np.zeros(ref.size, np.float32)], 3, ref, rtol=1e-6, atol=0)
            s.call("conv2d_packed specials %s(%g, %g)" % (act, a, b), "conv2d_packed_f32", args,
                   [a, b], [xs, pack_conv_weights(w, 1), bias, np.zeros(ref.size, np.float32)], 3,
                   ref, rtol=1e-6, atol=0)
            xd = np.repeat(xs, 2, axis=3)  # two channels, weights 1 and -2
            s.call("depthwise specials %s(%g, %g)" % (act, a, b), "depthwise_conv2d_f32",
                   [1, 1, n, 2, 1, n, 1, 1, 1, 1, 1, 1, 0, 0, ACT[act]], [a, b],
                   [xd, w.reshape(1, 1, 2), bias, np.zeros(ref.size, np.float32)], 3, ref,
                   rtol=1e-6, atol=0)


def test_unary(s):
    gen = frnd(77, lo=-4, hi=4)
    pos = frnd(77, lo=0.01, hi=9)
    unit = frnd(77, lo=-0.99, hi=0.99)
    halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -3.5, 0.49, 2.51, 0, -0.0], np.float32)
    cases = dict(
        SQRT=(pos, np.sqrt), EXP=(gen, np.exp), ERF=(gen, np_erf), NEG=(gen, np.negative),
        RECIPROCAL=(pos, np.reciprocal), ABS=(gen, np.abs), LOG=(pos, np.log),
        FLOOR=(gen, np.floor), CEIL=(gen, np.ceil), SIN=(gen, np.sin), COS=(gen, np.cos),
        ROUND=(np.concatenate([gen, halves]), np.round),
        SIGN=(np.concatenate([gen, halves]), np.sign), TAN=(unit, np.tan),
        ATAN=(gen, np.arctan), ASIN=(unit, np.arcsin), ACOS=(unit, np.arccos),
        SINH=(gen, np.sinh), COSH=(gen, np.cosh), ASINH=(gen, np.arcsinh),
        ACOSH=(pos + 1, np.arccosh), ATANH=(unit, np.arctanh))
    for op, (x, fn) in cases.items():
        ref = fn(x.astype(np.float64)).astype(np.float32)
        s.call("unary %s" % op, "unary_f32", [x.size, UN[op]], [], [x, np.zeros_like(x)], 1, ref)
    s.call("unary in place", "unary_f32_inplace", [gen.size, UN["EXP"]], [], [gen], 0,
           np.exp(gen.astype(np.float64)).astype(np.float32))
    for name, dt in (("unary_i64", np.int64), ("unary_i32", np.int32)):
        x = rng.integers(-50, 50, size=40).astype(dt)
        x[:3] = [0, -1, 1]
        for op, fn in (("NEG", np.negative), ("ABS", np.abs), ("SIGN", np.sign)):
            s.call("%s %s" % (name, op), name, [x.size, UN[op]], [], [x, np.zeros_like(x)], 1,
                   fn(x).astype(dt))


# ------------------------------------------------------------ broadcasting --

def operand(out_shape, dtype, make, bcast=0.0, permute=False):
    """An input viewed as out_shape: returns (flat buffer, int32 element
    strides, logical array). Dims are broadcast (size 1, stride 0) with
    probability `bcast`; `permute` stores the data in a permuted order."""
    rank = len(out_shape)
    shape = [1 if (rng.random() < bcast) else d for d in out_shape]
    order = list(range(rank))
    if permute:
        rng.shuffle(order)
    stored = make(*[shape[d] for d in order]).astype(dtype) if rank else make().astype(dtype)
    stored = np.asarray(stored)
    inv = np.argsort(order) if rank else []
    view = stored.transpose(inv) if rank else stored
    strides = [view.strides[d] // view.itemsize if shape[d] != 1 else 0 for d in range(rank)]
    logical = np.broadcast_to(view, out_shape)
    return stored.reshape(-1), np.array(strides, dtype=np.int32).reshape(-1), logical


def rand_shape(rank, hi=5):
    return tuple(int(v) for v in rng.integers(1, hi, size=rank))


BCAST_KINDS = ("same", "scalar_b", "channel_b", "random", "permuted", "rank6")


def bcast_operands(kind, dtype, make_a, make_b):
    """Two operands and the output shape for one broadcasting pattern."""
    if kind == "same":
        out = (3, 5, 37)
        return out, operand(out, dtype, make_a), operand(out, dtype, make_b)
    if kind == "scalar_b":
        out = (4, 33)
        return out, operand(out, dtype, make_a), operand(out, dtype, make_b, bcast=1.0)
    if kind == "channel_b":
        out = (2, 3, 4, 19)
        a = operand(out, dtype, make_a)
        flat = make_b(19).astype(dtype)
        return out, a, (flat, i32(0, 0, 0, 1), np.broadcast_to(flat, out))
    if kind == "random":
        out = rand_shape(int(rng.integers(0, 5)))
        return out, operand(out, dtype, make_a, bcast=0.4), operand(out, dtype, make_b, bcast=0.4)
    if kind == "permuted":
        out = rand_shape(4)
        return (out, operand(out, dtype, make_a, bcast=0.3, permute=True),
                operand(out, dtype, make_b, bcast=0.3, permute=True))
    out = rand_shape(6, hi=4)
    return (out, operand(out, dtype, make_a, bcast=0.5, permute=True),
            operand(out, dtype, make_b, bcast=0.5, permute=True))


def shape_buf(shape):
    return np.array(shape if len(shape) else [0], dtype=np.int32)


def test_binary(s):
    def pos(*sh):
        return frnd(*sh, lo=0.2, hi=3)

    def gen(*sh):
        return frnd(*sh, lo=-3, hi=3)

    def nz(*sh):
        v = frnd(*sh, lo=0.5, hi=3)
        return v * np.where(rng.random(sh) < 0.5, -1, 1).astype(np.float32)

    def with_nan(*sh):
        v = gen(*sh)
        v[rng.random(sh) < 0.2] = np.nan
        return np.asarray(v)

    def fmax(p, q):
        return np.maximum(p, q)

    def fmin(p, q):
        return np.minimum(p, q)

    ops = dict(ADD=(gen, gen, np.add), SUB=(gen, gen, np.subtract), MUL=(gen, gen, np.multiply),
               DIV=(gen, nz, np.divide), POW=(pos, gen, np.power), MAX=(with_nan, with_nan, fmax),
               MIN=(with_nan, with_nan, fmin), MOD=(gen, nz, np.fmod))
    for op, (ma, mb, fn) in ops.items():
        for kind in BCAST_KINDS:
            out, (ab, ast, al), (bb, bst, bl) = bcast_operands(kind, np.float32, ma, mb)
            ref = fn(al.astype(np.float64), bl.astype(np.float64)).astype(np.float32)
            s.call("binary_f32 %s %s %s" % (op, kind, out), "binary_f32",
                   [BIN[op], len(out), 0], [0, 0],
                   [ab, ast, bb, bst, np.zeros(ref.size, np.float32), shape_buf(out)], 4, ref)
    # fused activation and in place
    out, (ab, ast, al), (bb, bst, bl) = bcast_operands("channel_b", np.float32, gen, gen)
    ref = np.clip(al.astype(np.float64) + bl, 0, 6).astype(np.float32)
    s.call("binary_f32 add+clip", "binary_f32", [BIN["ADD"], len(out), ACT["CLIP"]], [0, 6],
           [ab, ast, bb, bst, np.zeros(ref.size, np.float32), shape_buf(out)], 4, ref)
    s.call("binary_f32 in place", "binary_f32_inplace", [BIN["MUL"], len(out), ACT["NONE"]], [0, 0],
           [ab, ast, bb, bst, NULL, shape_buf(out)], 0, (al.astype(np.float64) * bl).astype(np.float32))
    s.call("binary_f32 empty", "binary_f32", [BIN["ADD"], 2, 0], [0, 0],
           [np.zeros(1, np.float32), i32(0, 1), np.zeros(1, np.float32), i32(0, 1),
            np.zeros(0, np.float32), i32(0, 3)], 4, np.zeros(0, np.float32))

    def trunc_div(p, q):
        return (np.abs(p) // np.abs(q)) * np.sign(p) * np.sign(q)

    def ipow(p, q):
        r = np.zeros(np.broadcast(p, q).shape, dtype=np.int64)
        pb, qb = np.broadcast_arrays(p, q)
        for i, (u, v) in enumerate(zip(pb.reshape(-1), qb.reshape(-1))):
            u, v = int(u), int(v)
            r.reshape(-1)[i] = u ** v if v >= 0 else (1 if u == 1 else ((-1) ** (-v) if u == -1 else 0))
        return r

    def ints(*sh):
        return rng.integers(-20, 20, size=sh)

    def nzi(*sh):
        v = rng.integers(1, 7, size=sh)
        return v * np.where(rng.random(sh) < 0.5, -1, 1)

    def small(*sh):
        return rng.integers(-3, 4, size=sh)

    def expo(*sh):
        return rng.integers(-2, 5, size=sh)

    iops = dict(ADD=(ints, ints, np.add), SUB=(ints, ints, np.subtract), MUL=(ints, ints, np.multiply),
                DIV=(ints, nzi, trunc_div), POW=(small, expo, ipow), MAX=(ints, ints, np.maximum),
                MIN=(ints, ints, np.minimum), MOD=(ints, nzi, np.mod))
    for name, dt in (("binary_i64", np.int64), ("binary_i32", np.int32)):
        for op, (ma, mb, fn) in iops.items():
            for kind in ("same", "scalar_b", "random", "rank6"):
                out, (ab, ast, al), (bb, bst, bl) = bcast_operands(kind, dt, ma, mb)
                ref = fn(al.astype(np.int64), bl.astype(np.int64)).astype(dt)
                s.call("%s %s %s" % (name, op, kind), name, [BIN[op], len(out)], [],
                       [ab, ast, bb, bst, np.zeros(ref.size, dt), shape_buf(out)], 4, ref)


def test_compare_logical(s):
    def small(*sh):
        return rng.integers(-3, 4, size=sh)

    fns = dict(EQUAL=np.equal, LESS=np.less, LESS_OR_EQUAL=np.less_equal,
               GREATER=np.greater, GREATER_OR_EQUAL=np.greater_equal)
    for dname in ("F32", "I64", "I32"):
        code, dt = DT[dname]
        for op, fn in fns.items():
            for kind in ("same", "scalar_b", "random", "rank6"):
                out, (ab, ast, al), (bb, bst, bl) = bcast_operands(kind, dt, small, small)
                ref = fn(al, bl).astype(np.uint8)
                s.call("compare %s %s %s" % (dname, op, kind), "compare", [CMP[op], code, len(out)], [],
                       [ab, ast, bb, bst, np.zeros(ref.size, np.uint8), shape_buf(out)], 4, ref)

    def bools(*sh):
        return rng.integers(0, 2, size=sh)

    for op, fn in ((0, np.logical_and), (1, np.logical_or), (2, np.logical_xor)):
        for kind in ("same", "scalar_b", "random", "rank6"):
            out, (ab, ast, al), (bb, bst, bl) = bcast_operands(kind, np.uint8, bools, bools)
            ref = fn(al, bl).astype(np.uint8)
            s.call("logical %d %s" % (op, kind), "logical", [op, len(out)], [],
                   [ab, ast, bb, bst, np.zeros(ref.size, np.uint8), shape_buf(out)], 4, ref)
    x = rng.integers(0, 2, size=23).astype(np.uint8)
    s.call("logical_not", "logical_not", [x.size], [], [x, np.zeros_like(x)], 1,
           (x == 0).astype(np.uint8))


def test_where_broadcast(s):
    for dt in (np.uint8, np.int16, np.float32, np.int64):
        def vals(*sh, dt=dt):
            return rng.integers(-100, 100, size=sh).astype(dt)

        def conds(*sh):
            return rng.integers(0, 2, size=sh)

        for trial in range(3):
            out = rand_shape(int(rng.integers(0, 6)), hi=4)
            cb, cst, cl = operand(out, np.uint8, conds, bcast=0.4, permute=trial == 2)
            xb, xst, xl = operand(out, dt, vals, bcast=0.4, permute=trial == 2)
            zb, zst, zl = operand(out, dt, vals, bcast=0.4)
            ref = np.where(cl != 0, xl, zl).astype(dt)
            es = np.dtype(dt).itemsize
            s.call("where es=%d %s" % (es, out), "where", [es, len(out)], [],
                   [cb, cst, xb, xst, zb, zst, np.zeros(ref.size, dt), shape_buf(out)], 6, ref)
            xb, xst, xl = operand(out, dt, vals, bcast=0.5, permute=trial == 1)
            s.call("broadcast es=%d %s" % (es, out), "broadcast", [es, len(out)], [],
                   [xb, xst, np.zeros(xl.size, dt), shape_buf(out)], 2, np.ascontiguousarray(xl))
    # an element size that is not a machine word
    x = rng.integers(0, 255, size=(1, 4, 3)).astype(np.uint8)
    ref = np.broadcast_to(x, (3, 4, 3))
    s.call("broadcast es=3", "broadcast", [3, 2], [],
           [x, i32(0, 1), np.zeros(36, np.uint8), i32(3, 4)], 2, np.ascontiguousarray(ref))


def test_channel_affine(s):
    for outer, ch, inner, act in ((3, 17, 1, "NONE"), (2, 5, 7, "RELU"), (1, 64, 1, "CLIP"), (2, 3, 40, "NONE")):
        x = frnd(outer, ch, inner, lo=-3, hi=3)
        sc, sh = frnd(ch), frnd(ch)
        a, b = ACT_PARAMS.get(act, (0.0, 0.0))
        ref = act_ref(x * sc[None, :, None].astype(np.float64) + sh[None, :, None], act, a, b)
        s.call("channel_affine %d %d %d %s" % (outer, ch, inner, act), "channel_affine_f32",
               [outer, ch, inner, ACT[act]], [a, b], [x, sc, sh, np.zeros_like(x)], 3,
               ref.astype(np.float32))


# ------------------------------------------------------------- conv / mm --

def conv_ref(x, w, bias, oh, ow, sh, sw, dh, dw, pt, pl, group):
    n, ih, iw, ic = x.shape
    oc, kh, kw, icg = w.shape
    ocg = oc // group
    H = max(ih + pt, (oh - 1) * sh + (kh - 1) * dh + 1)
    W = max(iw + pl, (ow - 1) * sw + (kw - 1) * dw + 1)
    xp = np.zeros((n, H, W, ic))
    xp[:, pt:pt + ih, pl:pl + iw, :] = x
    y = np.zeros((n, oh, ow, oc))
    w64 = w.astype(np.float64)
    for r in range(kh):
        for c in range(kw):
            patch = xp[:, r * dh:r * dh + (oh - 1) * sh + 1:sh, c * dw:c * dw + (ow - 1) * sw + 1:sw, :]
            for g in range(group):
                y[..., g * ocg:(g + 1) * ocg] += patch[..., g * icg:(g + 1) * icg] @ w64[g * ocg:(g + 1) * ocg, r, c, :].T
    if bias is not None:
        y += bias
    return y


def out_size(i, k, s, d, p0, p1):
    return (i + p0 + p1 - ((k - 1) * d + 1)) // s + 1


CONV_CASES = [
    # n ih iw ic oc kh kw sh sw dh dw pt pl pb pr group bias act
    (1, 6, 7, 16, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, True, "NONE"),    # pointwise GEMM
    (2, 5, 5, 3, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, False, "RELU"),   # pointwise, tails
    (1, 3, 4, 1400, 6, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, True, "NONE"), # pointwise, big ic
    (1, 9, 9, 8, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, True, "CLIP"),
    (1, 11, 10, 3, 7, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, True, "RELU"),  # stem-like
    (2, 8, 9, 6, 4, 3, 3, 2, 1, 1, 1, 0, 1, 2, 0, 1, True, "NONE"),    # asymmetric pads
    (1, 10, 10, 8, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, True, "NONE"),  # dilation
    (1, 10, 9, 8, 6, 3, 2, 1, 2, 2, 3, 1, 2, 1, 2, 2, True, "LEAKY_RELU"),  # groups+dil
    (1, 7, 7, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, False, "NONE"), # groups
    (1, 6, 6, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 5, True, "NONE"),    # depthwise via groups
    (1, 5, 6, 4, 9, 2, 2, 1, 1, 1, 1, 3, 3, 3, 3, 1, True, "NONE"),    # rows with no input
    (1, 3, 3, 4, 4, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1, True, "SIGMOID"), # kernel > input
    (1, 14, 14, 32, 20, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, 1, True, "NONE"),# stride 2, pad tf-style
    (1, 5, 5, 8, 4, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, False, "NONE"),   # 1x1 stride 2
    (1, 4, 4, 8, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, True, "NONE"),    # 1x1 with pads
    (1, 6, 20, 17, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, True, "NONE"), # odd channel counts
]


def test_conv(s):
    for case in CONV_CASES:
        n, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group, has_bias, act = case
        oh, ow = out_size(ih, kh, sh, dh, pt, pb), out_size(iw, kw, sw, dw, pl, pr)
        x = frnd(n, ih, iw, ic)
        w = frnd(oc, kh, kw, ic // group)
        bias = frnd(oc) if has_bias else None
        a, b = ACT_PARAMS.get(act, (0.0, 0.0))
        ref = act_ref(conv_ref(x, w, bias, oh, ow, sh, sw, dh, dw, pt, pl, group), act, a, b)
        s.call("conv2d %s" % (case,), "conv2d_f32",
               [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, group, ACT[act]], [a, b],
               [x, w, bias, np.zeros(ref.size, np.float32)], 3, ref.astype(np.float32),
               atol=1e-4)


def conv_transpose_ref(x, w, bias, oh, ow, sh, sw, dh, dw, pt, pl, group):
    """Scatter form, as ONNX defines ConvTranspose: every input pixel adds
    its channels times each kernel tap at (iy * sh + ky * dh, ix * sw +
    kx * dw) of the full output, which is then cropped by pt / pl (and
    extended with zeros up to oh x ow). w is [ic][kh][kw][oc / group]."""
    n, ih, iw, ic = x.shape
    _, kh, kw, ocg = w.shape
    icg, oc = ic // group, ocg * group
    H = max((ih - 1) * sh + (kh - 1) * dh + 1, pt + oh)
    W = max((iw - 1) * sw + (kw - 1) * dw + 1, pl + ow)
    full = np.zeros((n, H, W, oc))
    w64 = w.astype(np.float64)
    for iy in range(ih):
        for ix in range(iw):
            for ky in range(kh):
                for kx in range(kw):
                    for g in range(group):
                        full[:, iy * sh + ky * dh, ix * sw + kx * dw, g * ocg:(g + 1) * ocg] += \
                            x[:, iy, ix, g * icg:(g + 1) * icg] @ w64[g * icg:(g + 1) * icg, ky, kx, :]
    y = full[:, pt:pt + oh, pl:pl + ow, :]
    if bias is not None:
        y = y + bias
    return y


CONV_TRANSPOSE_CASES = [
    # n ih iw ic oc kh kw sh sw dh dw pt pl pb pr oph opw group bias act
    (1, 5, 5, 4, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, True, "RELU"),   # stride 2, output_padding
    (1, 4, 6, 8, 8, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 1, True, "SIGMOID"),# DBNet head: k2 s2
    (2, 3, 4, 6, 4, 3, 2, 1, 3, 2, 1, 0, 2, 1, 0, 0, 2, 2, False, "NONE"), # groups, dilation, asym
    (1, 4, 4, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 5, True, "CLIP"),  # depthwise
    (1, 3, 3, 2, 3, 1, 1, 3, 2, 1, 1, 0, 0, 0, 0, 2, 1, 1, True, "NONE"),  # 1x1, gaps, extension
    (1, 1, 7, 3, 2, 1, 4, 1, 3, 1, 2, 0, 1, 0, 2, 0, 0, 1, True, "LEAKY_RELU"),  # 1-D as 2-D
    (1, 2, 2, 3, 17, 5, 5, 1, 1, 1, 1, 4, 4, 4, 4, 0, 0, 1, True, "NONE"), # pads crop deep
]


def test_conv_transpose(s):
    for case in CONV_TRANSPOSE_CASES:
        n, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oph, opw, group, has_bias, act = case
        oh = (ih - 1) * sh + oph + (kh - 1) * dh + 1 - pt - pb
        ow = (iw - 1) * sw + opw + (kw - 1) * dw + 1 - pl - pr
        x = frnd(n, ih, iw, ic)
        w = frnd(ic, kh, kw, oc // group)
        bias = frnd(oc) if has_bias else None
        a, b = ACT_PARAMS.get(act, (0.0, 0.0))
        ref = act_ref(conv_transpose_ref(x, w, bias, oh, ow, sh, sw, dh, dw, pt, pl, group), act, a, b)
        s.call("conv_transpose2d %s" % (case,), "conv_transpose2d_f32",
               [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, group, ACT[act]], [a, b],
               [x, w, bias, np.zeros(ref.size, np.float32)], 3, ref.astype(np.float32),
               atol=1e-4)


OCB = 16  # PARE_CONV_OCB


def pack_conv_weights(w, group):
    """OHWI weights -> the pare_conv2d_packed_f32 layout, built element by
    element from the documented formula:
    wp[((((g*nb + b)*kh + y)*kw + x)*icg + c)*OCB + j] = W[g*ocg + b*OCB + j][y][x][c],
    0 where b*OCB + j >= ocg."""
    oc, kh, kw, icg = w.shape
    ocg = oc // group
    nb = (ocg + OCB - 1) // OCB
    wp = np.zeros(group * nb * kh * kw * icg * OCB, np.float32)
    g, b, y, x, c, j = np.meshgrid(np.arange(group), np.arange(nb), np.arange(kh),
                                   np.arange(kw), np.arange(icg), np.arange(OCB), indexing="ij")
    idx = ((((g * nb + b) * kh + y) * kw + x) * icg + c) * OCB + j
    o = b * OCB + j
    ok = o < ocg
    wp[idx[ok]] = w[(g * ocg + o)[ok], y[ok], x[ok], c[ok]]
    return wp


PACKED_CASES = CONV_CASES + [
    # n ih iw ic oc kh kw sh sw dh dw pt pl pb pr group bias act
    (1, 23, 21, 3, 64, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, True, "RELU"),      # ResNet stem
    (1, 9, 9, 3, 24, 7, 7, 2, 2, 1, 1, 3, 2, 2, 3, 1, False, "NONE"),      # stem, asym pads
    (1, 12, 13, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, True, "RELU"),    # ResNet 3x3
    (1, 7, 7, 96, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, True, "NONE"),      # 7x7 map, oc tail 8
    (1, 8, 8, 80, 24, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, 1, False, "CLIP"),     # stride 2
    (1, 8, 8, 72, 33, 3, 3, 2, 1, 1, 1, 0, 1, 2, 1, 1, True, "NONE"),      # oc tail 1, asym
    (2, 9, 10, 130, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, True, "NONE"),    # ic > border step
    (1, 11, 12, 20, 18, 3, 3, 1, 1, 1, 2, 2, 2, 2, 2, 1, True, "NONE"),    # dilation w
    (1, 12, 11, 20, 18, 3, 5, 2, 1, 2, 1, 2, 4, 2, 0, 1, True, "NONE"),    # dilation h only
    (1, 10, 10, 64, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, True, "RELU"),    # groups, 48 / group
    (1, 9, 9, 40, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, True, "NONE"),      # groups, ocg 5
    (1, 9, 8, 36, 60, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 3, False, "NONE"),     # groups, ocg 20
    (1, 14, 14, 32, 96, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, True, "NONE"),    # MobileNet 1x1 expand
    (1, 14, 14, 144, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, True, "NONE"),   # 1x1 project, tail 8
    (2, 5, 5, 320, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, True, "HARD_SWISH"),
    (1, 9, 7, 24, 36, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 4, True, "NONE"),      # grouped 1x1
    (1, 13, 13, 16, 32, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, True, "NONE"),    # 1x1 stride 2
    (1, 3, 3, 8, 16, 3, 3, 1, 1, 1, 1, 4, 4, 4, 4, 1, True, "NONE"),       # all-padding rows
    (1, 1, 1, 50, 20, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, True, "NONE"),      # single pixel
    (3, 4, 5, 6, 7, 2, 3, 1, 2, 1, 1, 1, 0, 0, 2, 1, True, "TANH"),        # batch, small
    (1, 4, 5, 600, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, True, "NONE"),     # border runs > zero row
    (1, 5, 4, 200, 9, 3, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, True, "NONE"),      # 3x1, rows in padding
    (1, 6, 6, 1100, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, True, "NONE"),     # padded 1x1, groups
]


def test_conv_packed(s):
    for case in PACKED_CASES:
        n, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group, has_bias, act = case
        oh, ow = out_size(ih, kh, sh, dh, pt, pb), out_size(iw, kw, sw, dw, pl, pr)
        x = frnd(n, ih, iw, ic)
        w = frnd(oc, kh, kw, ic // group)
        bias = frnd(oc) if has_bias else None
        a, b = ACT_PARAMS.get(act, (0.0, 0.0))
        ref = act_ref(conv_ref(x, w, bias, oh, ow, sh, sw, dh, dw, pt, pl, group), act, a, b)
        s.call("conv2d_packed %s" % (case,), "conv2d_packed_f32",
               [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, group, ACT[act]], [a, b],
               [x, pack_conv_weights(w, group), bias, np.zeros(ref.size, np.float32)], 3,
               ref.astype(np.float32), atol=2e-4)


DW_CASES = [
    # n ih iw c kh kw sh sw dh dw pt pl pb pr bias act
    (1, 9, 9, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, True, "CLIP"),
    (2, 8, 7, 35, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, True, "NONE"),
    (1, 10, 11, 5, 5, 5, 1, 2, 2, 1, 2, 3, 4, 1, False, "RELU"),
    (1, 6, 6, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, True, "NONE"),
    (1, 4, 4, 16, 3, 3, 1, 1, 1, 1, 4, 4, 4, 4, True, "NONE"),   # rows with no input
    (1, 12, 12, 48, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, True, "HARD_SWISH"),
]


def test_depthwise(s):
    for case in DW_CASES:
        n, ih, iw, c, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, has_bias, act = case
        oh, ow = out_size(ih, kh, sh, dh, pt, pb), out_size(iw, kw, sw, dw, pl, pr)
        x = frnd(n, ih, iw, c)
        w = frnd(kh, kw, c)
        bias = frnd(c) if has_bias else None
        a, b = ACT_PARAMS.get(act, (0.0, 0.0))
        w_ohwi = np.transpose(w, (2, 0, 1))[..., None]
        ref = act_ref(conv_ref(x, w_ohwi, bias, oh, ow, sh, sw, dh, dw, pt, pl, c), act, a, b)
        s.call("depthwise %s" % (case,), "depthwise_conv2d_f32",
               [n, ih, iw, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, ACT[act]], [a, b],
               [x, w, bias, np.zeros(ref.size, np.float32)], 3, ref.astype(np.float32), atol=1e-4)


def stored_matrix(logical, transposed):
    """Flat buffer holding `logical` (batch..., r, c) row-major or with the
    last two dims swapped; returns (flat, row stride, col stride, batch
    strides with 0 for size-1 batch dims)."""
    st = np.swapaxes(logical, -1, -2) if transposed else logical
    st = np.ascontiguousarray(st)
    view = np.swapaxes(st, -1, -2) if transposed else st
    el = [v // 4 for v in view.strides]
    bst = [0 if logical.shape[d] == 1 else el[d] for d in range(logical.ndim - 2)]
    return st.reshape(-1), el[-2], el[-1], bst


MM_CASES = [
    # batchA batchB m n k transA transB C alpha beta act
    ((), (), 5, 37, 19, False, False, None, 1.0, 0.0, "NONE"),      # row-major B panels + tail
    ((), (), 1, 40, 64, False, True, "row", 1.0, 1.0, "NONE"),      # FC layer (Gemm transB)
    ((), (), 7, 10, 33, False, True, None, 1.0, 0.0, "RELU"),       # dot kernel, tails
    ((), (), 6, 9, 8, True, True, "full", 0.5, 2.0, "NONE"),        # generic
    ((), (), 4, 20, 5, True, False, "col", 1.0, -1.0, "NONE"),      # transposed A, panels
    ((2, 3), (1, 3), 3, 17, 6, False, False, None, 1.0, 0.0, "NONE"),  # batch broadcast
    ((2, 1), (2, 4), 2, 5, 7, False, True, None, 1.0, 0.0, "NONE"),
    ((3,), (3,), 4, 4, 0, False, False, "scalar", 1.0, 1.5, "NONE"),  # k = 0
    ((), (), 2, 64, 128, False, False, "row", 1.0, 1.0, "SIGMOID"),
]


def test_matmul(s):
    for case in MM_CASES:
        ba, bb, m, n, k, ta, tb, ckind, alpha, beta, act = case
        A = frnd(*ba, m, k)
        B = frnd(*bb, k, n)
        batch = np.broadcast_shapes(ba, bb)
        rank = len(batch)
        A = A.reshape((1,) * (rank - len(ba)) + A.shape)
        B = B.reshape((1,) * (rank - len(bb)) + B.shape)
        af, a_rs, a_cs, a_bst = stored_matrix(A, ta)
        bf, b_rs, b_cs, b_bst = stored_matrix(B, tb)
        ref = np.matmul(A.astype(np.float64), B.astype(np.float64)) * alpha
        c, c_rs, c_cs = None, 0, 0
        if ckind:
            cshape = dict(full=(m, n), row=(n,), col=(m, 1), scalar=(1,))[ckind]
            c = frnd(*cshape)
            c_rs, c_cs = dict(full=(n, 1), row=(0, 1), col=(1, 0), scalar=(0, 0))[ckind]
            ref = ref + beta * c.astype(np.float64)
        a, b = ACT_PARAMS.get(act, (0.0, 0.0))
        ref = act_ref(ref, act, a, b).astype(np.float32)
        s.call("matmul %s" % (case,), "matmul_f32",
               [m, n, k, a_rs, a_cs, b_rs, b_cs, c_rs, c_cs, rank, ACT[act]],
               [alpha, beta, a, b],
               [af, bf, c, np.zeros(ref.size, np.float32), shape_buf(batch),
                np.array(a_bst or [0], np.int32), np.array(b_bst or [0], np.int32)],
               3, ref, atol=1e-4)


# ---------------------------------------------------------------- pooling --

def pool_ref(x, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, kind, cip):
    n, ih, iw, c = x.shape
    y = np.zeros((n, oh, ow, c))
    for oy in range(oh):
        rows = [oy * sh - pt + r * dh for r in range(kh)]
        vr = [v for v in rows if 0 <= v < ih]
        for ox in range(ow):
            cols = [ox * sw - pl + t * dw for t in range(kw)]
            vc = [v for v in cols if 0 <= v < iw]
            win = x[:, vr][:, :, vc].astype(np.float64)
            if kind == "max":
                y[:, oy, ox] = win.max(axis=(1, 2)) if win.size else LOWEST
            else:
                if cip:
                    # onnxruntime and onnx.reference divide by the whole kernel, also
                    # where a ceil-mode window runs past the end padding.
                    cnt = kh * kw
                else:
                    cnt = len(vr) * len(vc)
                y[:, oy, ox] = win.sum(axis=(1, 2)) / cnt if cnt else 0
    return y


POOL_CASES = [
    # n ih iw c kh kw sh sw dh dw pt pl pb pr ceil
    (1, 8, 8, 5, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, False),
    (2, 7, 9, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, False),
    (1, 7, 7, 4, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, True),     # ceil mode, clipped window
    (1, 6, 8, 3, 3, 2, 2, 3, 1, 1, 1, 0, 1, 1, True),     # ceil mode with pads
    (1, 9, 9, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, False),    # dilation
    (1, 5, 6, 2, 3, 3, 1, 1, 1, 1, 0, 2, 2, 0, False),    # asymmetric pads
    (1, 4, 4, 3, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, False),
]


def test_pool(s):
    for case in POOL_CASES:
        n, ih, iw, c, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, ceil = case
        if ceil:
            def osz(i, k, st, d, p0, p1):
                o = -(-(i + p0 + p1 - ((k - 1) * d + 1)) // st) + 1
                return o - 1 if (o - 1) * st >= i + p0 else o
        else:
            osz = out_size
        oh, ow = osz(ih, kh, sh, dh, pt, pb), osz(iw, kw, sw, dw, pl, pr)
        x = frnd(n, ih, iw, c, lo=-3, hi=3)
        geo = [n, ih, iw, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr]
        ref = pool_ref(x, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, "max", 0)
        s.call("maxpool %s" % (case,), "maxpool2d_f32", geo, [], [x, np.zeros(ref.size, np.float32)],
               1, ref.astype(np.float32))
        for cip in (0, 1):
            ref = pool_ref(x, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, "avg", cip)
            s.call("avgpool cip=%d %s" % (cip, case), "avgpool2d_f32", geo + [cip], [],
                   [x, np.zeros(ref.size, np.float32)], 1, ref.astype(np.float32))
    for n, sp, c in ((2, 49, 21), (1, 1, 8), (3, 10, 1)):
        x = frnd(n, sp, c, lo=-3, hi=3)
        s.call("global_avgpool %d %d %d" % (n, sp, c), "global_avgpool_f32", [n, sp, c], [],
               [x, np.zeros(n * c, np.float32)], 1, x.astype(np.float64).mean(axis=1).astype(np.float32))
        s.call("global_maxpool %d %d %d" % (n, sp, c), "global_maxpool_f32", [n, sp, c], [],
               [x, np.zeros(n * c, np.float32)], 1, x.max(axis=1))


# ------------------------------------------------------ normalise / reduce --

def test_softmax_layernorm(s):
    for outer, ln, inner in ((3, 10, 1), (2, 7, 3), (1, 5, 37), (4, 1, 1), (1, 1000, 1)):
        x = frnd(outer, ln, inner, lo=-10, hi=10).astype(np.float64)
        e = np.exp(x - x.max(axis=1, keepdims=True))
        sm = e / e.sum(axis=1, keepdims=True)
        for lg, ref in ((0, sm), (1, np.log(sm))):
            s.call("softmax log=%d %s" % (lg, (outer, ln, inner)), "softmax_f32", [outer, ln, inner, lg], [],
                   [x.astype(np.float32), np.zeros(x.size, np.float32)], 1, ref.astype(np.float32))
    for outer, inner, has_bias in ((3, 16, True), (2, 77, False), (1, 1, True)):
        x = frnd(outer, inner, lo=-3, hi=5).astype(np.float64)
        sc, bi = frnd(inner), frnd(inner)
        mu = x.mean(axis=1, keepdims=True)
        ref = (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=1, keepdims=True) + 1e-5) * sc
        if has_bias:
            ref = ref + bi
        s.call("layernorm %d %d" % (outer, inner), "layernorm_f32", [outer, inner], [1e-5],
               [x.astype(np.float32), sc, bi if has_bias else None, np.zeros(x.size, np.float32)], 3,
               ref.astype(np.float32), atol=1e-4)


def red_ref(op, x, axes):
    x = x.astype(np.float64)
    with np.errstate(all="ignore"):
        if op == "SUM":
            return np.sum(x, axis=axes)
        if op == "MEAN":
            n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
            return np.sum(x, axis=axes) / n if n else np.full(np.sum(x, axis=axes).shape, np.nan)
        if op == "MAX":
            return np.max(x, axis=axes, initial=-np.inf)
        if op == "MIN":
            return np.min(x, axis=axes, initial=np.inf)
        if op == "PROD":
            return np.prod(x, axis=axes)
        if op == "L1":
            return np.sum(np.abs(x), axis=axes)
        if op == "L2":
            return np.sqrt(np.sum(x * x, axis=axes))
        if op == "SUM_SQUARE":
            return np.sum(x * x, axis=axes)
        if op == "LOG_SUM_EXP":
            return np.log(np.sum(np.exp(x), axis=axes))
    raise ValueError(op)


def red_shapes():
    yield (3, 4, 5), (0, 0, 1)
    yield (3, 4, 5), (1, 0, 0)
    yield (3, 4, 5), (0, 1, 0)
    yield (2, 3, 4, 21), (0, 1, 1, 0)      # NHWC global pool
    yield (2, 3, 4, 5), (1, 0, 1, 0)
    yield (2, 3, 4, 5), (0, 0, 0, 0)       # empty axes: nothing reduced
    yield (2, 3, 4), (1, 1, 1)
    yield (), ()                           # rank 0
    yield (2, 1, 3, 1, 2, 3), (1, 1, 0, 1, 0, 1)
    yield (3, 0, 2), (0, 1, 0)             # empty reduction: identity
    yield (3, 0, 2), (1, 0, 0)             # empty output
    yield (4, 40), (1, 0)                  # more columns than one chunk


def test_reduce(s):
    for shape, mask in red_shapes():
        axes = tuple(d for d in range(len(shape)) if mask[d])
        x = frnd(*shape, lo=0.5, hi=1.5) if shape else np.array(frnd(1)[0], np.float32)
        sgn = np.where(rng.random(x.shape) < 0.3, -1, 1).astype(np.float32)
        for op in RED:
            xin = x if op in ("PROD", "LOG_SUM_EXP") else x * sgn
            ref = np.asarray(red_ref(op, xin, axes), np.float32)
            s.call("reduce_f32 %s %s %s" % (op, shape, mask), "reduce_f32", [RED[op], len(shape)], [],
                   [xin, shape_buf(shape), np.array(mask or [0], np.uint8), np.zeros(ref.size, np.float32)],
                   3, ref)
        xi = rng.integers(-4, 5, size=shape).astype(np.int64)
        for op in ("SUM", "MEAN", "MAX", "MIN", "PROD", "L1", "L2", "SUM_SQUARE"):
            if op == "MEAN":
                cnt = int(np.prod([shape[a] for a in axes])) if axes else 1
                sm = np.sum(xi, axis=axes)
                ref = np.sign(sm) * (np.abs(sm) // cnt) if cnt else sm
            elif op == "MAX":
                ref = np.max(xi, axis=axes, initial=np.iinfo(np.int64).min)
            elif op == "MIN":
                ref = np.min(xi, axis=axes, initial=np.iinfo(np.int64).max)
            elif op == "L2":
                ref = np.floor(np.sqrt(np.sum(xi * xi, axis=axes)))
            else:
                ref = red_ref(op, xi, axes)
            ref = np.asarray(ref).astype(np.int64)
            s.call("reduce_i64 %s %s %s" % (op, shape, mask), "reduce_i64", [RED[op], len(shape)], [],
                   [xi, shape_buf(shape), np.array(mask or [0], np.uint8), np.zeros(ref.size, np.int64)],
                   3, ref)


def test_argreduce(s):
    for outer, ln, inner in ((2, 9, 1), (3, 6, 5), (1, 4, 40), (2, 1, 3)):
        x = rng.integers(-3, 3, size=(outer, ln, inner)).astype(np.float32)
        for is_min in (0, 1):
            v = -x if is_min else x
            first = np.argmax(v, axis=1)
            last = ln - 1 - np.argmax(v[:, ::-1, :], axis=1)
            for sel, ref in ((0, first), (1, last)):
                s.call("argreduce %s min=%d last=%d" % ((outer, ln, inner), is_min, sel), "argreduce_f32",
                       [outer, ln, inner, is_min, sel], [], [x, np.zeros(outer * inner, np.int64)], 1,
                       ref.astype(np.int64))


# ---------------------------------------------------------- data movement --

def test_transpose(s):
    cases = [((37, 53), (1, 0)), ((2, 3, 4, 5), (0, 2, 3, 1)), ((2, 5, 4, 3), (0, 3, 1, 2)),
             ((7,), (0,)), ((), ()), ((3, 1, 4), (1, 2, 0)), ((2, 3, 2, 3, 2, 3), (5, 3, 1, 4, 2, 0)),
             ((4, 17, 19), (0, 2, 1)), ((2, 0, 3), (2, 1, 0))]
    for shape, perm in cases:
        for dt in (np.uint8, np.int16, np.float32, np.float64):
            x = rng.integers(-100, 100, size=shape).astype(dt)
            ref = np.transpose(x, perm)
            es = np.dtype(dt).itemsize
            s.call("transpose es=%d %s %s" % (es, shape, perm), "transpose", [es, len(shape)], [],
                   [x, shape_buf(shape), np.array(perm or [0], np.int32), np.zeros(ref.size, dt)], 3,
                   np.ascontiguousarray(ref))


def test_copy_rows(s):
    src = rng.integers(0, 255, size=(5, 12)).astype(np.uint8)
    dst = np.zeros((5, 20), np.uint8)
    ref = dst.copy()
    ref[:, 3:10] = src[:, 2:9]
    s.call("copy_rows strided", "copy_rows", [20, 12, 5, 7], [], [dst.reshape(-1)[3:].copy(), src.reshape(-1)[2:].copy()],
           0, ref.reshape(-1)[3:])
    s.call("copy_rows dense", "copy_rows", [12, 12, 5, 12], [], [np.zeros(60, np.uint8), src], 0, src)


def test_slice(s):
    cases = [((10,), [(2, 3)]), ((10,), [(9, -2)]), ((6, 7), [(1, 1), (6, -1)]),
             ((4, 5, 6), [(3, -1), (0, 2), (5, -3)]), ((2, 3, 4, 5, 3, 2), [(1, -1), (0, 1), (1, 2), (4, -2), (0, 1), (1, -1)]),
             ((5, 4), [(0, 1), (2, 1)]), ((5,), [(0, 1)])]
    for shape, sl in cases:
        for dt in (np.float32, np.int64, np.uint8):
            x = rng.integers(-100, 100, size=shape).astype(dt)
            starts = [st for st, _ in sl]
            steps = [sp for _, sp in sl]
            out = []
            idx = []
            for d, (st, sp) in enumerate(sl):
                n = len(range(st, -1 if sp < 0 else shape[d], sp))
                n = max(0, n - (1 if dt == np.uint8 and d == 0 and n > 1 else 0))  # shorter slices too
                out.append(n)
                idx.append(st + np.arange(n) * sp)
            ref = x[np.ix_(*idx)]
            es = np.dtype(dt).itemsize
            s.call("slice es=%d %s %s" % (es, shape, sl), "slice", [es, len(shape)], [],
                   [x, shape_buf(shape), np.array(starts, np.int32), np.array(steps, np.int32),
                    np.zeros(ref.size, dt), shape_buf(out)], 4, np.ascontiguousarray(ref))


def pad_ref(x, pb, pe, mode, value):
    pos = [(max(a, 0), max(b, 0)) for a, b in zip(pb, pe)]
    kw = dict(constant_values=value) if mode == "constant" else {}
    y = np.pad(x, pos, mode=mode, **kw)
    sl = tuple(slice(-min(a, 0), y.shape[d] + min(b, 0)) for d, (a, b) in enumerate(zip(pb, pe)))
    return y[sl]


def test_pad(s):
    cases = [((3, 4), (1, 2), (2, 1)), ((2, 3, 4), (0, 1, 3), (1, 0, 2)), ((5,), (4, 4)[:1], (3,)),
             ((4, 5), (-1, 2), (1, -2)), ((2, 3, 4, 3), (0, 1, 1, 0), (0, 1, 1, 0)),
             ((1, 2, 3, 2, 3, 2), (0, 1, 0, 1, 2, 1), (1, 0, 2, 0, 1, 1)), ((1, 6), (0, 0), (0, 0))]
    for shape, pb, pe in cases:
        for mode_i, mode in enumerate(("constant", "reflect", "edge", "wrap")):
            if mode == "reflect" and any(max(a, b) > n - 1 for a, b, n in zip(pb, pe, shape)):
                continue
            for dt in (np.float32, np.int64, np.uint8):
                x = rng.integers(0, 100, size=shape).astype(dt)
                value = np.array([7], dt)
                ref = pad_ref(x, pb, pe, mode, 7)
                es = np.dtype(dt).itemsize
                s.call("pad %s es=%d %s %s %s" % (mode, es, shape, pb, pe), "pad", [es, len(shape), mode_i], [],
                       [x, shape_buf(shape), np.array(pb, np.int32), value, np.zeros(ref.size, dt),
                        shape_buf(ref.shape)], 4, np.ascontiguousarray(ref))
    x = frnd(2, 3)
    s.call("pad constant NULL value", "pad", [4, 2, 0], [],
           [x, i32(2, 3), i32(1, 0), None, np.zeros(12, np.float32), i32(4, 3)], 4,
           np.pad(x, ((1, 1), (0, 0))))


def test_gather(s):
    for outer, ln, inner, cnt in ((1, 10, 1, 4), (3, 5, 4, 6), (2, 7, 3, 0)):
        for dt in (np.float32, np.int64, np.uint8):
            data = rng.integers(-100, 100, size=(outer, ln, inner)).astype(dt)
            idx = rng.integers(-ln, ln, size=cnt)
            ref = np.take(data, idx, axis=1)
            es = np.dtype(dt).itemsize
            for name, it in (("gather", np.int64), ("gather_i32idx", np.int32)):
                s.call("%s es=%d %s" % (name, es, (outer, ln, inner, cnt)), name, [es, outer, ln, inner, cnt], [],
                       [data, idx.astype(it), np.zeros(ref.size, dt)], 2, ref)


def test_gather_elements(s):
    # data shape, indices shape, axis; some indices out of range (zeros).
    cases = (((7,), (5,), 0), ((3, 4), (3, 6), 1), ((3, 4), (2, 2), 0), ((2, 3, 4, 5), (2, 2, 3, 5), 1),
             ((2, 3, 4), (1, 3, 2), 2), ((4, 2), (0, 2), 0))
    for dshape, ishape, axis in cases:
        for dt in (np.float32, np.int64, np.uint8):
            data = rng.integers(-100, 100, size=dshape).astype(dt)
            ln = dshape[axis]
            idx = rng.integers(-ln - 1, ln + 1, size=ishape)
            valid = (idx >= -ln) & (idx < ln)
            coords = list(np.indices(ishape))
            coords[axis] = np.where(valid, idx, 0) % ln
            ref = np.where(valid, data[tuple(coords)], 0).astype(dt)
            es = np.dtype(dt).itemsize
            for name, it in (("gather_elements", np.int64), ("gather_elements_i32idx", np.int32)):
                s.call("%s es=%d %s %s axis %d" % (name, es, dshape, ishape, axis), name, [es, len(dshape), axis], [],
                       [data, idx.astype(it), np.zeros(max(ref.size, 1), dt), i32(*dshape), i32(*ishape)], 2,
                       np.concatenate([ref.reshape(-1), np.zeros(1 if ref.size == 0 else 0, dt)]))


def resize_tables(in_shape, out_shape, taps, outside=0.0):
    """Random sampling tables (pare_resize_dim_t) for a resize of in_shape to out_shape: dims with
    taps 0 are copied; a fraction `outside` of each interpolated dim's output coordinates are
    outside the crop (every tap -1)."""
    meta, index, weight = [], [], []
    for n_in, n_out, t in zip(in_shape, out_shape, taps):
        meta += [n_in, n_out, t, len(index)]
        if t == 0:
            continue
        idx = rng.integers(0, n_in, size=(n_out, t))
        w = rng.uniform(-0.5, 1.5, size=(n_out, t))
        if t == 1:
            w[:] = 1.0
        out = rng.random(n_out) < outside
        idx[out] = -1
        w[out] = 0.0
        index += list(idx.reshape(-1))
        weight += list(w.reshape(-1))
    return (np.array(meta, np.int32), np.array(index or [0], np.int32),
            np.array(weight or [0.0], np.float32))


def resize_ref(x, meta, index, weight, extrapolation):
    """The kernels' contract, one dim at a time in float64: y = sum over the taps of the weights
    times x there; an output outside the crop on any dim is the extrapolation value."""
    y = x.astype(np.float64) if x.dtype == np.float32 else x
    outside = np.zeros(x.shape[:-1], bool)
    for d in range(len(meta) // 4):
        n_in, n_out, t, off = meta[4 * d:4 * d + 4]
        if t == 0:
            continue
        idx = index[off:off + n_out * t].reshape(n_out, t)
        w = weight[off:off + n_out * t].reshape(n_out, t).astype(np.float64)
        g = np.take(y, np.maximum(idx, 0), axis=d)  # [.., n_out, t, ..]
        if x.dtype == np.float32:
            y = (g * w.reshape((1,) * d + (n_out, t) + (1,) * (y.ndim - d - 1))).sum(axis=d + 1)
        else:
            y = g[(slice(None),) * (d + 1) + (0,)]
        outside = np.take(outside, np.maximum(idx[:, 0], 0), axis=d)
        outside |= (idx[:, 0] < 0).reshape((1,) * d + (n_out,) + (1,) * (outside.ndim - d - 1))
    y = np.where(outside[..., None], extrapolation, y)
    return y.astype(x.dtype)


def test_resize(s):
    # (input dims without inner, output dims, taps per dim (0: copied), inner)
    cases = [((4, 4), (8, 8), (2, 2), 1), ((3, 5, 4), (3, 7, 2), (0, 2, 4), 1), ((6,), (11,), (4,), 3),
             ((2, 3, 3), (2, 6, 5), (0, 2, 2), 8), ((5, 2), (3, 2), (6, 0), 2), ((1, 1), (3, 4), (2, 2), 1),
             ((2, 2, 3, 2), (3, 4, 3, 1), (2, 2, 0, 2), 2), ((4,), (0,), (2,), 2), ((3, 3), (3, 3), (0, 0), 5)]
    for in_shape, out_shape, taps, inner in cases:
        for outside in (0.0, 0.3):
            x = frnd(*in_shape, inner)
            meta, index, weight = resize_tables(in_shape, out_shape, taps, outside)
            ref = resize_ref(x, meta, index, weight, -3.5)
            s.call("resize_f32 %s -> %s taps %s inner %d outside %.1f" % (in_shape, out_shape, taps, inner, outside),
                   "resize_f32", [len(in_shape), inner, 4], [-3.5],
                   [x, np.zeros(ref.size, np.float32), meta, index, weight, None], 1, ref.reshape(-1))
            ntaps = tuple(min(t, 1) for t in taps)
            meta, index, weight = resize_tables(in_shape, out_shape, ntaps, outside)
            for dt in (np.float32, np.int8, np.int64):
                x = rng.integers(-100, 100, size=in_shape + (inner,)).astype(dt)
                value = np.array([7], dt)
                ref = resize_ref(x, meta, index, weight, 7)
                es = np.dtype(dt).itemsize
                s.call("resize_nearest es=%d %s -> %s inner %d outside %.1f" % (es, in_shape, out_shape, inner, outside),
                       "resize_nearest", [len(in_shape), inner, es], [],
                       [x, np.zeros(ref.size, dt), meta, index, weight, value], 1, ref.reshape(-1))


def cast_source(name, n=40):
    if name in ("F32", "F64"):
        v = np.concatenate([rng.uniform(0, 120, n // 2), -rng.uniform(0, 120, n // 2)])
        v[:8] = [0, -0.0, 2.7, -2.7, 0.5, -0.5, 127.9, 1e-3]
        return v.astype(DT[name][1])
    if name == "BOOL":
        return rng.integers(0, 2, size=n).astype(np.uint8)
    info = np.iinfo(DT[name][1])
    return rng.integers(max(info.min, -100000), min(info.max, 100000), size=n, endpoint=True).astype(DT[name][1])


def test_cast(s):
    for src in DT:
        for dst in DT:
            x = cast_source(src)
            sdt, ddt = DT[src][1], DT[dst][1]
            xv = x
            if src in ("F32", "F64") and dst in ("U8", "U16"):
                xv = np.abs(x)  # float -> unsigned is only defined in range
            if src in ("F32", "F64") and dst in ("I8", "U8"):
                xv = np.clip(xv, -128 if dst == "I8" else 0, 127)
            xv = xv.astype(sdt)
            if dst == "BOOL":
                ref = (xv != 0).astype(np.uint8)
            elif src == "BOOL":
                ref = xv.astype(ddt)
            else:
                ref = xv.astype(np.int64).astype(ddt) if (np.issubdtype(sdt, np.floating) and
                                                         np.issubdtype(ddt, np.integer)) else xv.astype(ddt)
            s.call("cast %s -> %s" % (src, dst), "cast", [DT[src][0], DT[dst][0], xv.size], [],
                   [xv, np.zeros(xv.size, ddt)], 1, ref, rtol=0, atol=0)


# ------------------------------------------------------------------ build --

def sources():
    return sorted(os.path.join(RUNTIME, f) for f in os.listdir(RUNTIME) if f.endswith(".c"))


def warning_checks(s, tmp):
    """Each runtime file must compile warning-free in strict C99."""
    for cc, extra in (("gcc", []), ("arm-none-eabi-gcc", ARM)):
        if shutil.which(cc) is None:
            print("skip %s warning check: compiler not installed" % cc)
            s.skipped += 1
            continue
        procs = [(src, subprocess.Popen([cc] + extra + STRICT + [src, "-o", os.path.join(tmp, "w%d.o" % i)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
                 for i, src in enumerate(sources())]
        for src, proc in procs:
            out = proc.communicate()[0]
            s.result("%s strict C99 %s" % (cc, os.path.basename(src)), proc.returncode == 0,
                     out.decode()[-3000:])


def compile_jobs(jobs):
    """Runs (command, output) compile jobs in parallel; True if all succeed."""
    procs = [(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT), cmd) for cmd in jobs]
    ok = True
    for proc, cmd in procs:
        out = proc.communicate()[0]
        if proc.returncode != 0:
            ok = False
            if VERBOSE:
                print(" ".join(cmd) + "\n" + out.decode())
    return ok


def build_harnesses(tmp):
    """Builds the harness twice: as shipped, and with PARE_CONV_KC=5 (a tiny
    packing chunk, so that packed runs end inside kernel taps and border
    windows split them) and PARE_CONV_PP=12 (the packed kernel's pixel block
    on AVX-512 hosts, whatever this host is). Prefers a sanitised build, which catches
    out-of-bounds reads and writes."""
    variants = (("harness", []), ("harness_kc5", ["-DPARE_CONV_KC=5", "-DPARE_CONV_PP=12"]))
    for san in (["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"], []):
        cc = ["gcc", "-std=c99", "-O1", "-g", "-Wall", "-Wextra", "-I", RUNTIME] + san
        jobs, objs = [], {}
        for src in [os.path.join(HERE, "harness.c")] + sources():
            obj = os.path.join(tmp, os.path.basename(src) + ".o")
            jobs.append(cc + ["-c", src, "-o", obj])
            objs[src] = obj
        conv = os.path.join(RUNTIME, "pare_k_conv.c")
        conv_kc5 = os.path.join(tmp, "pare_k_conv_kc5.o")
        jobs.append(cc + variants[1][1] + ["-c", conv, "-o", conv_kc5])
        if not compile_jobs(jobs):
            continue
        links = []
        for name, defines in variants:
            o = [conv_kc5 if (src == conv and defines) else obj for src, obj in objs.items()]
            links.append(cc + o + ["-o", os.path.join(tmp, name), "-lm"])
        if compile_jobs(links):
            return [os.path.join(tmp, name) for name, _ in variants]
    sys.exit("harness build failed (run with -v for the compiler output)")


def main():
    s = Suite()
    tmp = tempfile.mkdtemp(prefix="pare_kernels_")
    try:
        warning_checks(s, tmp)
        exe, exe_kc5 = build_harnesses(tmp)
        for t in (test_activations, test_activation_specials, test_unary, test_binary, test_compare_logical, test_where_broadcast,
                  test_channel_affine, test_conv, test_conv_transpose, test_conv_packed, test_depthwise,
                  test_matmul, test_pool,
                  test_softmax_layernorm, test_reduce, test_argreduce, test_transpose, test_copy_rows,
                  test_slice, test_pad, test_gather, test_gather_elements, test_resize, test_cast):
            t(s)
        s.run(exe)
        small = Suite()
        for t in (test_conv, test_conv_packed, test_matmul):
            t(small)
        small.cases = [("[KC=5 PP=12] " + c[0],) + c[1:] for c in small.cases]
        small.run(exe_kc5)
        s.passed += small.passed
        s.failed += small.failed
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    line = "%d passed, %d failed" % (s.passed, s.failed)
    if s.skipped:
        line += ", %d skipped" % s.skipped
    print(line)
    return 1 if s.failed else 0


if __name__ == "__main__":
    sys.exit(main())
