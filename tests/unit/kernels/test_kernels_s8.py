#!/usr/bin/env python3
"""Bit-exact self-test of the int8 runtime kernels (runtime-stubs/c/pare_kernels_s8.h).

Builds harness_s8.c with runtime-stubs/c/pare_k_s8.c for the host (gcc,
-fsanitize=address,undefined: the portable path), sends it random kernel calls
and compares every output byte with a numpy reference written from TFLite's
integer arithmetic (MultiplyByQuantizedMultiplier with SaturatingRounding-
DoublingHighMul and RoundingDivideByPOT, as in tensorflow/lite/kernels/
internal/common.h). Then, when arm-none-eabi-gcc and qemu-system-arm exist,
builds the same harness for Cortex-M4 (-O3, DSP path: SXTB16/SMLAD) and runs a
subset of the cases under qemu-system-arm -M mps2-an386 with semihosting.
Also checks that the kernels compile warning-free in strict C99 (host, M4, M7, M0+).

Run:  python3 tests/unit/kernels/test_kernels_s8.py [-v] [--no-qemu]
Prints "N passed, M failed" and exits non-zero on any failure.
"""
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("test_kernels_s8.py needs numpy (apt-get install python3-numpy)")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
RUNTIME = os.path.join(ROOT, "runtime-stubs", "c")
QEMU_DIR = os.path.join(HERE, "qemu")
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
M4 = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
M7 = ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"]
M0 = ["-mcpu=cortex-m0plus", "-mthumb"]
VERBOSE = "-v" in sys.argv
NO_QEMU = "--no-qemu" in sys.argv

rng = np.random.default_rng(20261126)


# ------------------------------------------------------------------ TFLite reference
def srdhm(a, b):
    """TFLite SaturatingRoundingDoublingHighMul on int64 arrays holding int32 values."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    q = ab + nudge
    r = np.where(q >= 0, q // (1 << 31), -((-q) // (1 << 31)))  # C++ truncating division
    return np.where((a == b) & (a == -2**31), np.int64(2**31 - 1), r)


def rdbpot(x, e):
    """TFLite RoundingDivideByPOT."""
    x = np.asarray(x, np.int64)
    e = np.asarray(e, np.int64)
    mask = (np.int64(1) << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (x < 0)
    return (x >> e) + (rem > thr)


def wrap32(v):
    v = np.asarray(v, np.int64)
    return ((v + 2**31) % 2**32) - 2**31


def mbqm(acc, mult, shift):
    """TFLite MultiplyByQuantizedMultiplier (double rounding)."""
    shift = np.asarray(shift, np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    x = wrap32(np.asarray(acc, np.int64) * (np.int64(1) << left))
    return rdbpot(srdhm(x, mult), right)


def out8(acc, mult, shift, y_zp, lo, hi):
    return np.clip(mbqm(acc, mult, shift) + y_zp, lo, hi).astype(np.int8)


def quantize_multiplier(s):
    """TFLite QuantizeMultiplier."""
    if s == 0:
        return 0, 0
    m, e = np.frexp(s)
    q = int(round(m * (1 << 31)))
    if q == 1 << 31:
        q //= 2
        e += 1
    if e < -31:
        return 0, 0
    return q, int(e)


def rand_mult(n, lo_exp, hi_exp):
    ms, ss = [], []
    for _ in range(n):
        m, s = quantize_multiplier(10 ** rng.uniform(lo_exp, hi_exp))
        ms.append(m)
        ss.append(s)
    return np.array(ms, np.int32), np.array(ss, np.int32)


def s8(*shape):
    return rng.integers(-128, 128, size=shape, dtype=np.int64).astype(np.int8)


def zp():
    return int(rng.choice([-128, 127, 0, int(rng.integers(-128, 128))]))


def act():
    k = rng.integers(0, 4)
    if k == 0:
        return -128, 127
    if k == 1:
        z = int(rng.integers(-128, 0))
        return z, 127  # relu
    if k == 2:
        z = int(rng.integers(-128, 60))
        return z, min(127, z + int(rng.integers(10, 100)))  # relu6-like
    a = int(rng.integers(-128, 127))
    return a, int(rng.integers(a, 128))


def taps_pad(x, pt, pl, pb, pr, val):
    n, h, w, c = x.shape
    out = np.full((n, h + pt + pb, w + pl + pr, c), val, np.int64)
    out[:, pt:pt + h, pl:pl + w, :] = x
    return out


def conv_acc_ref(x, x_zp, w, w_zp, oh, ow, sh, sw, dh, dw, pt, pl, group):
    """int64 acc[n][oh][ow][oc] = sum (x - x_zp) * (w - w_zp), OHWI weights."""
    n, ih, iw, ic = x.shape
    oc, kh, kw, icg = w.shape
    ocg = oc // group
    pb = max(0, (oh - 1) * sh + (kh - 1) * dh + 1 - ih - pt)
    pr = max(0, (ow - 1) * sw + (kw - 1) * dw + 1 - iw - pl)
    xp = taps_pad(x.astype(np.int64) - x_zp, pt, pl, pb, pr, 0)
    wz = w.astype(np.int64) - np.asarray(w_zp, np.int64).reshape(-1, 1, 1, 1)
    acc = np.zeros((n, oh, ow, oc), np.int64)
    for ky in range(kh):
        for kx in range(kw):
            patch = xp[:, ky * dh: ky * dh + (oh - 1) * sh + 1: sh, kx * dw: kx * dw + (ow - 1) * sw + 1: sw, :]
            for g in range(group):
                acc[..., g * ocg:(g + 1) * ocg] += patch[..., g * icg:(g + 1) * icg] @ wz[g * ocg:(g + 1) * ocg, ky, kx, :].T
    return acc


# ------------------------------------------------------------------ suite
class Suite:
    def __init__(self):
        self.cases = []
        self.passed = 0
        self.failed = 0

    def call(self, label, name, ints, floats, bufs, out, expected, small=False):
        self.cases.append((label, name, [int(v) for v in ints], [float(v) for v in floats],
                           bufs, out, np.asarray(expected), small))

    def result(self, label, ok, detail=""):
        if ok:
            self.passed += 1
            if VERBOSE:
                print("ok   " + label)
        else:
            self.failed += 1
            print("FAIL " + label + (": " + detail if detail else ""))

    @staticmethod
    def encode(cases):
        req = bytearray()
        for label, name, ints, floats, bufs, *_ in cases:
            nb = name.encode()
            req += struct.pack("<I", len(nb)) + nb
            req += struct.pack("<I%dq" % len(ints), len(ints), *ints)
            req += struct.pack("<I%dd" % len(floats), len(floats), *floats)
            req += struct.pack("<I", len(bufs))
            for b in bufs:
                if b is None:
                    req += struct.pack("<Q", 2**64 - 1)
                else:
                    data = np.ascontiguousarray(b).tobytes()
                    req += struct.pack("<Q", len(data)) + data
        return bytes(req)

    def check(self, cases, data, prefix, err):
        pos = 0
        for label, name, _i, _f, bufs, out, exp, _s in cases:
            label = prefix + label
            if pos + 4 > len(data):
                self.result(label, False, "harness died: " + err[-2000:])
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
            got = np.frombuffer(outs[out], dtype=exp.dtype)
            if got.size > exp.size:  # an in-place output inside a larger input buffer
                got = got[:exp.size]
            got = got.reshape(exp.shape)
            if np.array_equal(got, exp):
                self.result(label, True)
            else:
                bad = np.argwhere(got != exp)
                i = tuple(bad[0])
                self.result(label, False, "%d mismatches, first at %s: got %s want %s"
                            % (len(bad), i, got[i], exp[i]))

    def run_host(self, exe):
        proc = subprocess.run([exe], input=self.encode(self.cases), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        self.check(self.cases, proc.stdout, "", proc.stderr.decode(errors="replace"))

    def run_qemu(self, elf, tmp):
        cases = [c for c in self.cases if c[7]]
        with open(os.path.join(tmp, "s8_req.bin"), "wb") as f:
            f.write(self.encode(cases))
        proc = subprocess.run(["qemu-system-arm", "-M", "mps2-an386", "-cpu", "cortex-m4", "-nographic",
                               "-semihosting-config", "enable=on,target=native", "-kernel", elf],
                              cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        path = os.path.join(tmp, "s8_resp.bin")
        data = open(path, "rb").read() if os.path.exists(path) else b""
        self.check(cases, data, "qemu-m4 ", proc.stdout.decode(errors="replace"))
        return len(cases)


S = Suite()


def flag():
    return rng.random() < 0.5


# ------------------------------------------------------------------ conv
def conv_case(label, n, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, x_zp=None,
              y_zp=None, bias=True, lohi=None, scratch=True, small=False, scale_exp=None):
    oh = (ih + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (iw + pl + pr - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        return
    x = s8(n, ih, iw, ic)
    w = s8(oc, kh, kw, ic)
    x_zp = zp() if x_zp is None else x_zp
    y_zp = zp() if y_zp is None else y_zp
    K = kh * kw * ic
    b = rng.integers(-K * 3000, K * 3000, size=oc).astype(np.int32) if bias else None
    e = -np.log10(K * 128.0 * 128.0) + 2.3 if scale_exp is None else scale_exp
    mult, shift = rand_mult(oc, e - 1.2, e + 0.4)
    lo, hi = act() if lohi is None else lohi
    acc = conv_acc_ref(x, x_zp, w, [0], oh, ow, sh, sw, dh, dw, pt, pl, 1)
    if b is not None:
        acc = acc + b.astype(np.int64)
    exp = out8(acc, mult, shift, y_zp, lo, hi)
    sc = np.zeros((5 * K + 3) // 4 * 2, np.int16) if scratch else None
    S.call("%s conv %s" % (label, (n, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw, pt, pl, x_zp, y_zp, lo, hi, scratch)),
           "conv2d_s8", [n, ih, iw, ic, x_zp, y_zp, lo, hi, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl],
           [], [x, w, b, mult, shift, np.zeros((n, oh, ow, oc), np.int8), sc], 5, exp, small)


def transpose_conv_ref(x, x_zp, w, oh, ow, sh, sw, dh, dw, pt, pl):
    """TFLite reference_integer_ops::TransposeConv's accumulation: every input value, minus the
    input zero point, times each tap's weights is scattered into an int32 buffer of the output
    at (iy * sh + ky * dh - pt, ix * sw + kx * dw - pl); taps that land outside it are dropped.
    w is [ic][kh][kw][oc] (ONNX's [ic][oc][kh][kw], output channels last)."""
    n, ih, iw, ic = x.shape
    _, kh, kw, oc = w.shape
    acc = np.zeros((n, oh, ow, oc), np.int64)
    xs = x.astype(np.int64) - x_zp
    w64 = w.astype(np.int64)
    for iy in range(ih):
        for ix in range(iw):
            for ky in range(kh):
                for kx in range(kw):
                    oy, ox = iy * sh + ky * dh - pt, ix * sw + kx * dw - pl
                    if 0 <= oy < oh and 0 <= ox < ow:
                        acc[:, oy, ox, :] += xs[:, iy, ix, :] @ w64[:, ky, kx, :]
    return wrap32(acc)


def transpose_conv_case(label, n, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oph=0, opw=0,
                        x_zp=None, y_zp=None, bias=True, lohi=None, small=False, scale_exp=None):
    oh = (ih - 1) * sh + oph + dh * (kh - 1) + 1 - pt - pb
    ow = (iw - 1) * sw + opw + dw * (kw - 1) + 1 - pl - pr
    if oh < 1 or ow < 1:
        return
    x = s8(n, ih, iw, ic)
    w = s8(ic, kh, kw, oc)
    w[w == -128] = -127  # symmetric weights, as TFLite's
    x_zp = zp() if x_zp is None else x_zp
    y_zp = zp() if y_zp is None else y_zp
    K = ic * -(-kh // sh) * -(-kw // sw)  # the most taps one output sums
    b = rng.integers(-K * 3000, K * 3000, size=oc).astype(np.int32) if bias else None
    e = -np.log10(K * 128.0 * 128.0) + 2.3 if scale_exp is None else scale_exp
    mult, shift = rand_mult(oc, e - 1.2, e + 0.4)
    lo, hi = act() if lohi is None else lohi
    acc = transpose_conv_ref(x, x_zp, w, oh, ow, sh, sw, dh, dw, pt, pl)
    if b is not None:
        acc = wrap32(acc + b.astype(np.int64))
    exp = out8(acc, mult, shift, y_zp, lo, hi)
    S.call("%s transpose_conv %s" % (label, (n, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oph, opw,
                                             x_zp, y_zp, lo, hi)),
           "conv_transpose2d_s8", [n, ih, iw, ic, x_zp, y_zp, lo, hi, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl],
           [], [x, w, b, mult, shift, np.zeros((n, oh, ow, oc), np.int8)], 5, exp, small)


def dw_case(label, n, ih, iw, c, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, scratch=True, small=False,
            x_zp=None, bias=True, lohi=None):
    oh = (ih + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (iw + pl + pr - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        return
    x = s8(n, ih, iw, c)
    w = s8(kh, kw, c)
    x_zp = zp() if x_zp is None else x_zp
    y_zp = zp()
    K = kh * kw
    b = rng.integers(-K * 3000, K * 3000, size=c).astype(np.int32) if bias else None
    e = -np.log10(K * 128.0 * 128.0) + 2.3
    mult, shift = rand_mult(c, e - 1.2, e + 0.4)
    lo, hi = act() if lohi is None else lohi
    # depthwise = grouped conv with group = c, weights [c][kh][kw][1]
    acc = conv_acc_ref(x, x_zp, np.transpose(w, (2, 0, 1))[..., None], [0], oh, ow, sh, sw, dh, dw, pt, pl, c)
    if b is not None:
        acc = acc + b.astype(np.int64)
    exp = out8(acc, mult, shift, y_zp, lo, hi)
    sc = np.zeros(c * kh * kw, np.int16) if scratch else None
    S.call("%s dw %s" % (label, (n, ih, iw, c, kh, kw, sh, sw, dh, dw, pt, pl, x_zp, scratch)),
           "depthwise_conv2d_s8", [n, ih, iw, c, x_zp, y_zp, lo, hi, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl],
           [], [x, w, b, mult, shift, np.zeros((n, oh, ow, c), np.int8), sc], 5, exp, small)


def dwi_scratch_bytes(ih, iw, c, kh, kw):
    """PARE_DEPTHWISE_CONV2D_S8_INPLACE_SCRATCH_BYTES."""
    return 4 * kh * (kw + 3) + ((ih + kh - 1) * (iw + kw - 1) + 8 + 3) // 4 * 4


def dwi_case(label, n, ih, iw, c, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, alias=True, small=False,
             x_zp=None, bias=True, lohi=None, also_dw=False):
    """pare_depthwise_conv2d_s8_inplace against the reference, with y == x (alias) or a separate y;
    also_dw: the same call through pare_depthwise_conv2d_s8 (same expected bytes)."""
    oh = (ih + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (iw + pl + pr - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        return
    if oh * ow > ih * iw:
        alias = False  # the in-place contract needs oh * ow <= ih * iw
    x = s8(n, ih, iw, c)
    w = s8(kh, kw, c)
    x_zp = zp() if x_zp is None else x_zp
    y_zp = zp()
    K = kh * kw
    b = rng.integers(-K * 3000, K * 3000, size=c).astype(np.int32) if bias else None
    e = -np.log10(K * 128.0 * 128.0) + 2.3
    mult, shift = rand_mult(c, e - 1.2, e + 0.4)
    lo, hi = act() if lohi is None else lohi
    acc = conv_acc_ref(x, x_zp, np.transpose(w, (2, 0, 1))[..., None], [0], oh, ow, sh, sw, dh, dw, pt, pl, c)
    if b is not None:
        acc = acc + b.astype(np.int64)
    exp = out8(acc, mult, shift, y_zp, lo, hi)
    # exact scratch size (ASan catches overruns), garbage contents
    sc = rng.integers(-2**15, 2**15, size=dwi_scratch_bytes(ih, iw, c, kh, kw) // 2).astype(np.int16)
    ints = [n, ih, iw, c, x_zp, y_zp, lo, hi, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl]
    desc = (n, ih, iw, c, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, x_zp)
    name = "depthwise_conv2d_s8_inplace" + ("_alias" if alias else "")
    S.call("%s dwi%s %s" % (label, " alias" if alias else "", desc), name, ints, [],
           [x, w, b, mult, shift, np.zeros((n, oh, ow, c), np.int8), sc], 0 if alias else 5, exp, small)
    if also_dw:
        S.call("%s dwi-vs-dw %s" % (label, desc), "depthwise_conv2d_s8", ints, [],
               [x, w, b, mult, shift, np.zeros((n, oh, ow, c), np.int8), np.zeros(c * kh * kw, np.int16)],
               5, exp, small)


def fc_case(label, rows, k, n, per_channel, bias=True, small=False, x_zp=None):
    x = s8(rows, k)
    w = s8(n, k)
    x_zp = zp() if x_zp is None else x_zp
    y_zp = zp()
    b = rng.integers(-k * 3000, k * 3000, size=n).astype(np.int32) if bias else None
    e = -np.log10(k * 128.0 * 128.0) + 2.3
    mult, shift = rand_mult(n if per_channel else 1, e - 1.2, e + 0.4)
    lo, hi = act()
    acc = (x.astype(np.int64) - x_zp) @ w.astype(np.int64).T
    if b is not None:
        acc = acc + b
    exp = out8(acc, mult if per_channel else mult[0], shift if per_channel else shift[0], y_zp, lo, hi)
    S.call("%s fc %s" % (label, (rows, k, n, per_channel, x_zp)), "fully_connected_s8",
           [rows, k, x_zp, per_channel, y_zp, lo, hi, n], [],
           [x, w, b, mult, shift, np.zeros((rows, n), np.int8)], 5, exp, small)


# ------------------------------------------------------------------ elementwise
def bcast_shapes(rank):
    shape = [int(v) for v in rng.integers(1, 5, size=rank)]
    a_shape = [s if rng.random() < 0.7 else 1 for s in shape]
    b_shape = [s if rng.random() < 0.7 else 1 for s in shape]
    return shape, a_shape, b_shape


def strides_for(in_shape, out_shape):
    st, e = [], 1
    for d in reversed(range(len(in_shape))):
        st.append(0 if in_shape[d] == 1 and out_shape[d] != 1 else e)
        e *= in_shape[d]
    return np.array(st[::-1], np.int32)


def add_case(label, shape, a_shape, b_shape, variant="add_s8", small=False):
    a = s8(*a_shape)
    b = s8(*b_shape)
    a_zp, b_zp, y_zp = zp(), zp(), zp()
    # TFLite PrepareGeneralSubOp / AddOp: left_shift 20, twice_max = 2 max(s_a, s_b)
    sa, sb, sy = 10 ** rng.uniform(-2.5, -1), 10 ** rng.uniform(-2.5, -1), 10 ** rng.uniform(-2.5, -1)
    left = 20
    tm = 2 * max(sa, sb)
    am, ash = quantize_multiplier(sa / tm)
    bm, bsh = quantize_multiplier(sb / tm)
    ym, ysh = quantize_multiplier(tm / ((1 << left) * sy))
    lo, hi = act()
    A = np.broadcast_to(a.astype(np.int64), shape)
    Bv = np.broadcast_to(b.astype(np.int64), shape)
    a2 = mbqm(wrap32((A - a_zp) << left), am, ash)
    b2 = mbqm(wrap32((Bv - b_zp) << left), bm, bsh)
    exp = out8(a2 + b2, ym, ysh, y_zp, lo, hi)
    out = 4 if not variant.endswith(("_inplace_a", "_inplace_b")) else (0 if variant.endswith("_a") else 2)
    S.call("%s %s %s %s %s" % (label, variant, shape, a_shape, b_shape), variant,
           [len(shape), left, a_zp, am, ash, b_zp, bm, bsh, y_zp, ym, ysh, lo, hi], [],
           [a, strides_for(a_shape, shape), b, strides_for(b_shape, shape),
            np.zeros(shape, np.int8), np.array(shape, np.int32)], out, exp, small)


def mul_case(label, shape, a_shape, b_shape, variant="mul_s8", small=False):
    a = s8(*a_shape)
    b = s8(*b_shape)
    a_zp, b_zp, y_zp = zp(), zp(), zp()
    m, sh = quantize_multiplier(10 ** rng.uniform(-4.5, -1.5))
    lo, hi = act()
    A = np.broadcast_to(a.astype(np.int64), shape)
    Bv = np.broadcast_to(b.astype(np.int64), shape)
    exp = out8((A - a_zp) * (Bv - b_zp), m, sh, y_zp, lo, hi)
    S.call("%s %s %s %s %s" % (label, variant, shape, a_shape, b_shape), variant,
           [len(shape), a_zp, b_zp, m, sh, y_zp, lo, hi], [],
           [a, strides_for(a_shape, shape), b, strides_for(b_shape, shape),
            np.zeros(shape, np.int8), np.array(shape, np.int32)],
           4 if variant == "mul_s8" else (0 if variant == "mul_s8_inplace_a" else 2), exp, small)


def f32_fma(x, r, c):
    """fma(x, r, c) rounded once to float32 (onnxruntime's FMA instructions), x an integer array:
    the product is exact in float64; the float64 sum is rounded to odd (its exact error from
    TwoSum), which then rounds to float32 as the exact sum would (53 >= 24 + 2 bits)."""
    x, c = np.broadcast_arrays(np.asarray(x), np.asarray(c, np.float32))
    p = x.astype(np.float64) * np.float64(np.float32(r))
    cd = c.astype(np.float64)
    s = p + cd
    bv = s - p
    e = (p - (s - bv)) + (cd - bv)
    u = s.view(np.uint64).copy()
    fix = (e != 0) & ~np.isnan(e) & ((u & np.uint64(1)) == 0)
    up = (e > 0) == (s > 0)
    u = np.where(fix, np.where(up, u + np.uint64(1), u - np.uint64(1)), u)
    return u.view(np.float64).astype(np.float32)


def onnx_binary_case(label, op, shape, a_shape, b_shape, small=False, ties=False, inplace=""):
    """pare_add_s8_onnx / pare_mul_s8_onnx against onnxruntime's x86 QLinearAdd / QLinearMul
    arithmetic (MLAS): float32 ratios, fused multiply-adds, round half to even."""
    a = s8(*a_shape)
    b = s8(*b_shape)
    a_zp, b_zp, y_zp = zp(), zp(), zp()
    if ties:  # ratios that put many results exactly on .5
        sa, sb, sy = np.float32(0.05), np.float32(0.025), np.float32(0.1)
    else:
        sa, sb, sy = (np.float32(10 ** rng.uniform(-2.5, -1)) for _ in range(3))
    lo, hi = act()
    A = np.broadcast_to(a.astype(np.int64), shape)
    Bv = np.broadcast_to(b.astype(np.int64), shape)
    f32 = np.float32
    if op == "add":
        ra, rb = f32(sa / sy), f32(sb / sy)
        fixed = f32(f32(y_zp) - f32(f32(ra * f32(a_zp)) + f32(rb * f32(b_zp))))
        # onnxruntime's scalar spans: the operand broadcast along the innermost non-unit dim
        inner = [d for d in range(len(shape)) if shape[d] > 1]
        a_sc, b_sc = all(s == 1 for s in a_shape), all(s == 1 for s in b_shape)
        a_span = bool(inner) and a_shape[inner[-1]] == 1
        b_span = bool(inner) and b_shape[inner[-1]] == 1
        fx = np.full(shape, fixed, np.float32)
        if (b_span or b_sc) and not a_sc:
            v = f32_fma(A, ra, (fx + Bv.astype(f32) * rb).astype(f32))
        elif a_span or a_sc:
            v = f32_fma(Bv, rb, (fx + A.astype(f32) * ra).astype(f32))
        else:
            v = f32_fma(A, ra, f32_fma(Bv, rb, fx))
        q = np.clip(np.rint(v), -128, 127)
        ints, floats = [len(shape), a_zp, b_zp, y_zp, lo, hi], [ra, rb]
    else:
        ratio = f32(f32(sa * sb) / sy)
        v = ((A - a_zp) * (Bv - b_zp)).astype(f32) * ratio
        q = np.clip(np.rint(v) + y_zp, -128, 127)
        ints, floats = [len(shape), a_zp, b_zp, y_zp, lo, hi], [ratio]
    exp = np.clip(q, lo, hi).astype(np.int8)
    name = op + "_s8_onnx" + ("_inplace_" + inplace if inplace else "")
    S.call("%s %s %s %s %s" % (label, name, shape, a_shape, b_shape), name, ints, floats,
           [a, strides_for(a_shape, shape), b, strides_for(b_shape, shape),
            np.zeros(shape, np.int8), np.array(shape, np.int32)],
           {"": 4, "a": 0, "b": 2}[inplace], exp, small)


# ------------------------------------------------------------------ ONNX-rounding fast kernels
def onnx_requant_ref(acc, scale, y_zp, lo, hi):
    """onnxruntime's QLinearConv / QGemm requantization (x86 MLAS MlasRequantizeOutput): the int32
    sum with the bias (wrapping) to float32, times the float32 scale, rounded half to even,
    + y_zp, saturated; then the fused activation's clamp."""
    f = wrap32(acc).astype(np.float32) * np.asarray(scale, np.float32)
    return np.clip(np.clip(np.rint(f) + y_zp, -128, 127), lo, hi).astype(np.int8)


def onnx_scales(n, K, ties=False):
    """float32 requantization scales per channel: typical ones (x_scale * w_scale / y_scale of a
    layer with K-term sums), or powers of two that put many results exactly on .5."""
    if ties:
        return np.float32(2.0) ** -rng.integers(1, 9, size=n).astype(np.float32)
    e = -np.log10(K * 128.0 * 128.0) + 2.3
    return (10 ** rng.uniform(e - 1.2, e + 0.4, size=n)).astype(np.float32)


def conv_onnx_case(label, n, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, small=False,
                   ties=False, bias=True, lohi=None, x_zp=None):
    """pare_conv2d_s8_onnx against onnxruntime's QLinearConv arithmetic (symmetric int8 weights)."""
    oh = (ih + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (iw + pl + pr - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        return
    x = s8(n, ih, iw, ic)
    w = s8(oc, kh, kw, ic)
    x_zp = zp() if x_zp is None else x_zp
    y_zp = zp()
    K = kh * kw * ic
    b = rng.integers(-K * 3000, K * 3000, size=oc).astype(np.int32) if bias else None
    scale = onnx_scales(oc, K, ties)
    lo, hi = act() if lohi is None else lohi
    acc = conv_acc_ref(x, x_zp, w, [0], oh, ow, sh, sw, dh, dw, pt, pl, 1)
    if b is not None:
        acc = acc + b.astype(np.int64)
    exp = onnx_requant_ref(acc, scale, y_zp, lo, hi)
    sc = np.zeros((5 * K + 3) // 4 * 2, np.int16)
    S.call("%s conv_onnx %s" % (label, (n, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw, pt, pl, x_zp, y_zp, lo, hi)),
           "conv2d_s8_onnx", [n, ih, iw, ic, x_zp, y_zp, lo, hi, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl],
           [], [x, w, b, scale, np.zeros((n, oh, ow, oc), np.int8), sc], 4, exp, small)


def dwi_onnx_case(label, n, ih, iw, c, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, alias=True, small=False,
                  ties=False, bias=True, lohi=None, x_zp=None):
    """pare_depthwise_conv2d_s8_inplace_onnx (y == x, or separate) against onnxruntime's
    depthwise QLinearConv arithmetic."""
    oh = (ih + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (iw + pl + pr - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        return
    if oh * ow > ih * iw:
        alias = False
    x = s8(n, ih, iw, c)
    w = s8(kh, kw, c)
    x_zp = zp() if x_zp is None else x_zp
    y_zp = zp()
    K = kh * kw
    b = rng.integers(-K * 3000, K * 3000, size=c).astype(np.int32) if bias else None
    scale = onnx_scales(c, K, ties)
    lo, hi = act() if lohi is None else lohi
    acc = conv_acc_ref(x, x_zp, np.transpose(w, (2, 0, 1))[..., None], [0], oh, ow, sh, sw, dh, dw, pt, pl, c)
    if b is not None:
        acc = acc + b.astype(np.int64)
    exp = onnx_requant_ref(acc, scale, y_zp, lo, hi)
    sc = rng.integers(-2**15, 2**15, size=dwi_scratch_bytes(ih, iw, c, kh, kw) // 2).astype(np.int16)
    desc = (n, ih, iw, c, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, x_zp)
    name = "depthwise_conv2d_s8_inplace_onnx" + ("_alias" if alias else "")
    S.call("%s dwi_onnx%s %s" % (label, " alias" if alias else "", desc), name,
           [n, ih, iw, c, x_zp, y_zp, lo, hi, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl], [],
           [x, w, b, scale, np.zeros((n, oh, ow, c), np.int8), sc], 0 if alias else 4, exp, small)


def fc_onnx_case(label, rows, k, n, per_channel, bias=True, small=False, ties=False, x_zp=None):
    """pare_fully_connected_s8_onnx against onnxruntime's QGemm / MatMul requantization."""
    x = s8(rows, k)
    w = s8(n, k)
    x_zp = zp() if x_zp is None else x_zp
    y_zp = zp()
    b = rng.integers(-k * 3000, k * 3000, size=n).astype(np.int32) if bias else None
    scale = onnx_scales(n if per_channel else 1, k, ties)
    lo, hi = act()
    acc = (x.astype(np.int64) - x_zp) @ w.astype(np.int64).T
    if b is not None:
        acc = acc + b
    exp = onnx_requant_ref(acc, scale if per_channel else scale[0], y_zp, lo, hi)
    S.call("%s fc_onnx %s" % (label, (rows, k, n, per_channel, x_zp)), "fully_connected_s8_onnx",
           [rows, k, x_zp, per_channel, y_zp, lo, hi, n], [],
           [x, w, b, scale, np.zeros((rows, n), np.int8)], 4, exp, small)


def onnx_fast_cases(r):
    """The ONNX-rounding forms of the specialised kernels: the layer shapes of the benchmark
    (first conv, pointwise, depthwise s1 / s2, fully connected), edge cases (ties, saturation,
    zero points at the ends, no bias, odd channel counts), then random shapes."""
    conv_onnx_case("first", 1, 9, 9, 3, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, small=True)
    conv_onnx_case("pw", 1, 5, 7, 16, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, small=True, ties=True)
    conv_onnx_case("pw-odd", 2, 3, 3, 7, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, small=True, lohi=(-128, 127))
    conv_onnx_case("zp-ends", 1, 6, 6, 5, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, small=True, x_zp=127, bias=False)
    conv_onnx_case("ties", 1, 6, 6, 4, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, small=True, ties=True, lohi=(-128, 127))
    for t in range(40):
        kh, kw = r(1, 3), r(1, 4)
        conv_onnx_case("rand%d" % t, r(1, 2), r(1, 9), r(1, 9), int(rng.choice([1, 2, 3, 4, 5, 8, 12, 16])),
                       r(1, 9), kh, kw, r(1, 3), r(1, 3), r(1, 2), r(1, 2), r(0, kh - 1), r(0, kw - 1),
                       r(0, 2), r(0, 2), small=t % 3 == 0, ties=t % 2 == 1)
    dwi_onnx_case("3x3s1", 1, 6, 7, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, small=True, ties=True)
    dwi_onnx_case("3x3s1-sep", 1, 6, 7, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, alias=False, small=True)
    dwi_onnx_case("3x3s2", 1, 9, 8, 12, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, small=True, lohi=(-128, 127))
    dwi_onnx_case("5x5", 1, 9, 11, 4, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, small=True, x_zp=-128, bias=False)
    dwi_onnx_case("dil2", 1, 7, 7, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, small=True, ties=True)
    for t in range(40):
        k = int(rng.choice([3, 3, 5, 1, 2, 4]))
        kh, kw = (k, k) if t % 4 else (r(1, 5), r(1, 5))
        dil = 2 if t % 7 == 3 else 1
        dwi_onnx_case("rand%d" % t, r(1, 2), r(1, 12), r(1, 12), int(rng.choice([1, 2, 3, 4, 5, 8, 9, 16, 17])),
                      kh, kw, r(1, 2), r(1, 2), dil, dil, r(0, 2), r(0, 2), r(0, 2), r(0, 2),
                      alias=t % 3 != 2, small=t % 3 == 0, ties=t % 2 == 0)
    fc_onnx_case("l7ish", 1, 1280, 9, 1, small=True)
    fc_onnx_case("tensor", 3, 7, 5, 0, small=True, x_zp=-128, ties=True)
    fc_onnx_case("nobias", 2, 33, 4, 1, bias=False, small=True, x_zp=127)
    for t in range(30):
        fc_onnx_case("rand%d" % t, r(1, 3), int(rng.choice([1, 2, 3, 4, 5, 8, 15, 16, 33, 64])),
                     int(rng.choice([1, 2, 3, 4, 5, 7, 8, 9])), t % 2, bias=t % 3 != 0, small=t % 3 == 0,
                     ties=t % 4 == 1)
    # add / mul on the contiguous and per-channel fast paths, at the sizes of the benchmark
    for op in ("add", "mul"):
        onnx_binary_case("l8", op, [1, 36, 36, 16], [1, 36, 36, 16], [1, 36, 36, 16], small=True, ties=True)
        onnx_binary_case("se", op, [1, 5, 3, 8], [1, 5, 3, 8], [1, 1, 1, 8], small=True, ties=True)
        onnx_binary_case("se-swapped", op, [1, 5, 3, 8], [1, 1, 1, 8], [1, 5, 3, 8], small=True)


def softmax_onnx_case(label, outer, d, inner, small=False):
    """pare_softmax_s8_onnx against onnxruntime's QLinearSoftmax (int8): float32 exp table
    indexed by 127 - max + x, float32 sum in order, (e * floor(1 / y_scale)) / sum."""
    x = s8(outer, d, inner)
    xs = np.float32(10 ** rng.uniform(-2, 0))
    ys = np.float32(rng.choice([1 / 255, 1 / 256, 10 ** rng.uniform(-3, -2)]))
    y_zp = int(rng.choice([-128, int(rng.integers(-128, -100))]))
    bit_shift = max(0.0, math.log(float(np.finfo(np.float32).max) / d) - 5) / float(xs)
    table = np.zeros(256, np.float32)
    for i in range(256):
        table[(i - 128) & 255] = np.float32(math.exp((i - 255 + bit_shift) * float(xs)))
    ysf = np.float32(math.floor(np.float32(1.0) / ys))
    exp = np.zeros(x.shape, np.int8)
    for o in range(outer):
        for j in range(inner):
            col = x[o, :, j].astype(np.int64)
            idx = (127 - col.max() + col) & 255
            tot = np.float32(0)
            for k in idx:
                tot = np.float32(tot + table[k])
            for k in range(d):
                v = np.float32(np.float32(table[idx[k]] * ysf) / tot)
                exp[o, k, j] = np.clip(np.rint(v) + y_zp, -128, 127)
    S.call("%s softmax_s8_onnx %s" % (label, (outer, d, inner)), "softmax_s8_onnx", [outer, d, inner, y_zp],
           [ysf], [x, table, np.zeros(x.shape, np.int8)], 2, exp, small)


def avgpool_onnx_case(label, n, ih, iw, c, kh, kw, sh, sw, pt, pl, pb, pr, cip, small=False, same=False):
    """pare_avgpool2d_s8_onnx against onnxruntime's QLinearAveragePool: int32 sum of x - x_zp,
    (float)sum * (x_scale / (y_scale * cnt)) + y_zp in float32, ties to even."""
    x = s8(n, ih, iw, c)
    x_zp, y_zp = zp(), zp()
    xs = np.float32(10 ** rng.uniform(-2, -1))
    ys = xs if same else np.float32(10 ** rng.uniform(-2.5, -1))
    if same:
        y_zp = x_zp
    lo, hi = act()
    oh = (ih + pt + pb - kh) // sh + 1
    ow = (iw + pl + pr - kw) // sw + 1
    if oh < 1 or ow < 1:
        return
    exp = np.zeros((n, oh, ow, c), np.int8)
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = oy * sh - pt, ox * sw - pl
            ya, yb = max(y0, 0), min(y0 + kh, ih)
            xa, xb = max(x0, 0), min(x0 + kw, iw)
            cnt = kh * kw if cip else (yb - ya) * (xb - xa)
            tot = (x[:, ya:yb, xa:xb, :].astype(np.int64) - x_zp).sum(axis=(1, 2))
            scale = np.float32(xs / np.float32(ys * np.float32(max(cnt, 1))))
            v = (tot.astype(np.float32) * scale).astype(np.float32) + np.float32(y_zp)
            exp[:, oy, ox, :] = np.clip(np.clip(np.rint(v), -128, 127), lo, hi)
    S.call("%s avgpool2d_s8_onnx %s" % (label, (n, ih, iw, c, kh, kw, sh, sw, pt, pl, pb, pr, cip)),
           "avgpool2d_s8_onnx", [n, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, cip, x_zp, y_zp, lo, hi],
           [xs, ys], [x, np.zeros((n, oh, ow, c), np.int8)], 1, exp, small)


def gap_onnx_case(label, n, spatial, c, small=False):
    """pare_global_avgpool_s8_onnx against onnxruntime's x86 QLinearGlobalAveragePool."""
    x = s8(n, spatial, c)
    x_zp, y_zp = zp(), zp()
    xs, ys = np.float32(10 ** rng.uniform(-2, -1)), np.float32(10 ** rng.uniform(-2.5, -1))
    scale = np.float32(xs / np.float32(ys * np.float32(spatial)))
    tot = x.astype(np.int64).sum(axis=1) - spatial * x_zp
    exp = np.clip(np.rint((tot.astype(np.float32) * scale).astype(np.float32)) + y_zp, -128, 127).astype(np.int8)
    S.call("%s global_avgpool_s8_onnx %s" % (label, (n, spatial, c)), "global_avgpool_s8_onnx",
           [n, spatial, c, x_zp, y_zp], [scale], [x, np.zeros((n, c), np.int8)], 1, exp, small)


# ------------------------------------------------------------------ pooling
def pool_case(label, kind, n, ih, iw, c, kh, kw, sh, sw, pt, pl, pb, pr, cip=0, small=False):
    oh = (ih + pt + pb - kh) // sh + 1
    ow = (iw + pl + pr - kw) // sw + 1
    if oh < 1 or ow < 1:
        return
    x = s8(n, ih, iw, c)
    lo, hi = act()
    exp = np.zeros((n, oh, ow, c), np.int64)
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = oy * sh - pt, ox * sw - pl
            ys = slice(max(y0, 0), min(y0 + kh, ih))
            xs = slice(max(x0, 0), min(x0 + kw, iw))
            win = x[:, ys, xs, :].astype(np.int64)
            cells = win.shape[1] * win.shape[2]
            if kind == "max":
                exp[:, oy, ox, :] = win.max(axis=(1, 2)) if cells else -128
            else:
                s = win.sum(axis=(1, 2))
                cnt = kh * kw if cip else cells
                q = np.where(s > 0, s + cnt // 2, s - cnt // 2)
                exp[:, oy, ox, :] = np.sign(q) * (np.abs(q) // cnt)  # C truncating division
    exp = np.clip(exp, lo, hi).astype(np.int8)
    ints = [n, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr] + ([cip] if kind == "avg" else []) + [lo, hi]
    S.call("%s %spool %s" % (label, kind, (n, ih, iw, c, kh, kw, sh, sw, pt, pl, pb, pr, cip)),
           "%spool2d_s8" % kind, ints, [], [x, np.zeros((n, oh, ow, c), np.int8)], 1, exp, small)


def div_round(s, cnt):
    """TFLite / CMSIS-NN pool division: (s + cnt/2) / cnt for s > 0, (s - cnt/2) / cnt otherwise,
    C division (truncating)."""
    q = np.where(s > 0, s + cnt // 2, s - cnt // 2)
    return np.sign(q) * (np.abs(q) // cnt)


def tflite_mean(x, x_zp, mult, shift, y_zp, lo, hi):
    """TFLite's int8 MEAN over height and width (reference_integer_ops::Mean), x [n][spatial][c]:
    the sum of x - x_zp requantized by the input / output scale ratio, then divided by the cell
    count with rounding."""
    acc = x.astype(np.int64).sum(axis=1) - x.shape[1] * x_zp
    return np.clip(div_round(mbqm(acc, mult, shift), x.shape[1]) + y_zp, lo, hi).astype(np.int8)


def tflite_avgpool_global(x, lo, hi):
    """TFLite AVERAGE_POOL_2D / CMSIS-NN arm_avgpool_s8 over the whole plane (same quantization
    in and out): the raw int8 sum divided with rounding."""
    return np.clip(div_round(x.astype(np.int64).sum(axis=1), x.shape[1]), lo, hi).astype(np.int8)


def gap_case(label, n, spatial, c, small=False, x_zp=None):
    x = s8(n, spatial, c)
    if rng.random() < 0.3:
        x = np.full((n, spatial, c), rng.choice([-128, 127]), np.int8)  # 16-bit lane extremes
    x_zp = zp() if x_zp is None else x_zp
    y_zp = zp()
    m, sh = quantize_multiplier(10 ** rng.uniform(-0.5, 0.3))
    lo, hi = act()
    exp = tflite_mean(x, x_zp, m, sh, y_zp, lo, hi)
    S.call("%s gap %s" % (label, (n, spatial, c, x_zp)), "global_avgpool_s8",
           [n, spatial, c, x_zp, m, sh, y_zp, lo, hi], [],
           [x, np.zeros((n, c), np.int8), None], 1, exp, small)


def gap_same_case(label, n, spatial, c, small=False):
    """Input and output share their quantization: the compiler passes zero points 0 and the unit
    multiplier (2^30, shift 1), and the kernel must give AVERAGE_POOL_2D / arm_avgpool_s8."""
    x = s8(n, spatial, c)
    lo, hi = act()
    exp = tflite_avgpool_global(x, lo, hi)
    S.call("%s gap-same %s" % (label, (n, spatial, c)), "global_avgpool_s8",
           [n, spatial, c, 0, 1 << 30, 1, 0, lo, hi], [],
           [x, np.zeros((n, c), np.int8), None], 1, exp, small)


def tflite_pool_cases(r):
    """Pools against the NumPy model of TFLite: the issue-13 5x5x1280 global pool (equal scales,
    where 1/25 folded into the Q31 multiplier put 59 of 1,280 outputs a step off CMSIS-NN), 7x7
    and 3x3 global pools with and without requantization, and window pools incl. 3x3 stride 2
    with padding under count_include_pad (ONNX only: the cells inside are summed, the whole window
    divides; the compiler uses it only with zero point 0, where the outside cells are real zeros)."""
    gap_same_case("l9-5x5x1280", 1, 25, 1280, small=True)
    gap_same_case("7x7x96", 2, 49, 96, small=True)
    gap_same_case("4x4x13-ties", 1, 16, 13, small=True)  # even count: exact halves round away
    for t in range(8):
        gap_same_case("rand%d" % t, r(1, 2), r(1, 60), r(1, 21), small=t % 4 == 0)
    gap_case("mean-5x5x1280", 1, 25, 1280, small=True)
    gap_case("mean-7x7x64", 1, 49, 64, small=True)
    gap_case("mean-3x3x7", 2, 9, 7, small=True)
    pool_case("7x7-global", "avg", 1, 7, 7, 32, 7, 7, 1, 1, 0, 0, 0, 0, small=True)
    pool_case("3x3s2p1", "avg", 1, 9, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, small=True)
    pool_case("3x3s2p1-cip", "avg", 1, 9, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, cip=1, small=True)


# ------------------------------------------------------------------ quantization ops
def misc_cases(small_every=3):
    for t in range(12):
        small = t % small_every == 0
        cnt = int(rng.integers(1, 300))
        x = s8(cnt)
        x_zp, y_zp = zp(), zp()
        m, sh = quantize_multiplier(10 ** rng.uniform(-1.5, 1.5))
        exp = out8(x.astype(np.int64) - x_zp, m, sh, y_zp, -128, 127)
        name = "requantize_s8" if t % 2 else "requantize_s8_inplace"
        S.call("requant %d %s" % (t, (cnt, m, sh)), name, [cnt, x_zp, m, sh, y_zp], [],
               [x, np.zeros(cnt, np.int8)], 1 if t % 2 else 0, exp, small)
        table = s8(256)
        name = "lut_s8" if t % 2 else "lut_s8_inplace"
        S.call("lut %d" % t, name, [cnt], [], [x, np.zeros(cnt, np.int8), table], 1 if t % 2 else 0,
               table[x.astype(np.int64) + 128], small)
        scale = np.float32(10 ** rng.uniform(-3, 0))
        z = int(rng.integers(-128, 128))
        xf = (rng.standard_normal(cnt) * 100 * scale).astype(np.float32)
        # exact ties (x / scale = k + 0.5) and far out-of-range values
        k = rng.integers(-150, 150, size=cnt)
        ties = ((k + 0.5) * np.float64(scale)).astype(np.float32)
        xf = np.where(rng.random(cnt) < 0.3, ties, xf).astype(np.float32)
        xf[: min(cnt, 2)] = np.float32([1e9, -1e9])[: min(cnt, 2)]
        q = np.clip(np.rint(xf / scale).astype(np.int64) + z, -128, 127).astype(np.int8)
        S.call("quantize %d" % t, "quantize_f32_s8", [cnt, z], [float(scale)],
               [xf, np.zeros(cnt, np.int8)], 1, q, small)
        dq = ((x.astype(np.int32) - z).astype(np.float32) * scale).astype(np.float32)
        S.call("dequantize %d" % t, "dequantize_s8_f32", [cnt, z], [float(scale)],
               [x, np.zeros(cnt, np.float32)], 1, dq, small)
        u = rng.integers(0, 256, size=cnt).astype(np.uint8)
        name = "flip_u8_s8" if t % 2 else "flip_u8_s8_inplace"
        S.call("flip %d" % t, name, [cnt], [], [u, np.zeros(cnt, np.uint8)], 1 if t % 2 else 0,
               (u ^ 0x80).astype(np.uint8), small)


def conv_acc_case(label, n, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group, per_ch, small=False):
    oh = (ih + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (iw + pl + pr - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        return
    x = s8(n, ih, iw, ic)
    w = s8(oc, kh, kw, ic // group)
    x_zp = zp()
    w_zp = np.array([zp() for _ in range(oc if per_ch else 1)], np.int32)
    acc = conv_acc_ref(x, x_zp, w, w_zp if per_ch else np.repeat(w_zp, oc), oh, ow, sh, sw, dh, dw, pt, pl, group)
    S.call("%s conv_acc %s" % (label, (n, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw, pt, pl, group, per_ch)),
           "conv2d_acc_s8", [n, ih, iw, ic, x_zp, len(w_zp), oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, group],
           [], [x, w, w_zp, np.zeros((n, oh, ow, oc), np.int32)], 3, acc.astype(np.int32), small)


def matmul_acc_case(label, m, n, k, bshape, a_b, b_b, trans_a, trans_b, per_ch, small=False):
    ash = [s if a_b[i] else 1 for i, s in enumerate(bshape)]
    bsh = [s if b_b[i] else 1 for i, s in enumerate(bshape)]
    A = s8(*(ash + ([k, m] if trans_a else [m, k])))
    Bm = s8(*(bsh + ([n, k] if trans_b else [k, n])))
    a_zp = zp()
    b_zp = np.array([zp() for _ in range(n if per_ch else 1)], np.int32)
    Am = np.swapaxes(A, -1, -2) if trans_a else A
    Bmm = np.swapaxes(Bm, -1, -2) if trans_b else Bm
    exp = (Am.astype(np.int64) - a_zp) @ (Bmm.astype(np.int64) - b_zp.astype(np.int64))
    exp = np.broadcast_to(exp, tuple(bshape) + (m, n)).astype(np.int32)
    a_rs, a_cs = (1, m) if trans_a else (k, 1)
    b_rs, b_cs = (1, k) if trans_b else (n, 1)

    def bstr(shp, mat):
        st, e = [], mat
        for d in reversed(range(len(shp))):
            st.append(0 if shp[d] == 1 and bshape[d] != 1 else e)
            e *= shp[d]
        return np.array(st[::-1] or [0], np.int32)

    S.call("%s matmul_acc %s" % (label, (m, n, k, bshape, trans_a, trans_b, per_ch)), "matmul_acc_s8",
           [a_zp, len(b_zp), m, n, k, a_rs, a_cs, b_rs, b_cs, len(bshape)], [],
           [A, Bm, b_zp, np.zeros(exp.shape, np.int32), np.array(bshape or [1], np.int32),
            bstr(ash, m * k), bstr(bsh, k * n)], 3, exp, small)


def requant_acc_case(label, count_rows, channels, bias, per_ch, small=False):
    acc = rng.integers(-200000, 200000, size=(count_rows, channels)).astype(np.int32)
    b = rng.integers(-5000, 5000, size=channels).astype(np.int32) if bias else None
    scale = (10 ** rng.uniform(-4, -2.5, size=channels if per_ch else 1)).astype(np.float32)
    # some exact .5 ties: acc * scale with scale a power of two
    if rng.random() < 0.5:
        scale = np.full(scale.shape, np.float32(2.0 ** -int(rng.integers(1, 11))), np.float32)
    y_zp = zp()
    v = acc.astype(np.int64) + (b if b is not None else 0)
    f = v.astype(np.int32).astype(np.float32) * scale.astype(np.float32)
    exp = np.clip(np.rint(f).astype(np.int64) + y_zp, -128, 127).astype(np.int8)
    S.call("%s requant_acc %s" % (label, (count_rows, channels, bias, per_ch)), "requantize_acc_s8",
           [len(scale), channels, acc.size, y_zp], [], [acc, b, scale, np.zeros(acc.shape, np.int8)], 3, exp, small)


def onnx_edge_cases():
    """ONNX-exact kernels at the edges, as onnxruntime (x86 MLAS) computes them: QuantizeLinear of
    NaN / +-inf / huge values with scales 1e-45 (denormal), 1e-38, 1e38 (x / scale in float32,
    NaN -> -128 whatever the zero point, +-inf saturates); int32 accumulator + bias wraps (an
    INT32_MAX bias is legal); a float32 requantization scale of inf (inf * 0 = NaN -> -128) or 0."""
    xs = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 3e-45, 1e-38, -2.5e-38, 1.0,
                   -1.0, 1e38, 3e38, -3e38, 7e-44], np.float32)
    for scale in (1e-45, 1e-38, 1.1754944e-38, 1e38, 3e38):
        sc = np.float32(scale)
        for z in (0, 5, -128, 127):
            with np.errstate(all="ignore"):
                v = xs / sc
                q = np.where(np.isnan(v), -128,
                             np.clip(np.where(np.isnan(v), 0, np.rint(np.nan_to_num(v, posinf=1e9, neginf=-1e9))) + z,
                                     -128, 127)).astype(np.int8)
            S.call("quantize edges scale %g zp %d" % (sc, z), "quantize_f32_s8", [xs.size, z], [float(sc)],
                   [xs, np.zeros(xs.size, np.int8)], 1, q, True)
    acc = np.array([[5, -7, 0], [2**31 - 1, -2**31, 100], [-1, 1, 2**30]], np.int32)
    for bias in ([2**31 - 1, -2**31, 2**31 - 1], [0, 0, 0], [-2**31, 2**31 - 1, 1]):
        b = np.array(bias, np.int32)
        for scale in (0.001, np.inf, 0.0, 3e-45):
            sc = np.full(3, np.float32(scale), np.float32)
            v = (acc.astype(np.int64) + b).astype(np.uint64).astype(np.uint32).view(np.int32)
            with np.errstate(all="ignore"):
                f = v.astype(np.float32) * sc
                q = np.where(np.isnan(f), -128,
                             np.clip(np.rint(np.nan_to_num(f, posinf=1e9, neginf=-1e9)) + 3, -128, 127))
            S.call("requant_acc edges bias %s scale %g" % (bias, scale), "requantize_acc_s8",
                   [3, 3, acc.size, 3], [], [acc, b, sc, np.zeros(acc.shape, np.int8)], 3,
                   q.astype(np.int8), True)


def requant_cases():
    """pare_requantize and the fast pare_s8_requant against TFLite, all shifts, extreme values."""
    for t in range(8):
        cnt = 4000
        acc = rng.integers(-2**31, 2**31, size=cnt, dtype=np.int64)
        mag = rng.integers(0, 32, size=cnt)
        acc = np.where(rng.random(cnt) < 0.5, acc >> mag, acc)
        acc[:6] = [-2**31, 2**31 - 1, 0, -1, 1, -2**30]
        mult = rng.integers(0, 2**31, size=cnt, dtype=np.int64)
        mult = np.where(rng.random(cnt) < 0.1, rng.choice([0, 2**30, 2**31 - 1], size=cnt), mult)
        shift = rng.integers(-31, 31, size=cnt) if t % 2 else rng.integers(-12, 3, size=cnt)
        # exact ties of RoundingDivideByPOT: acc * mult / 2^31 = k * 2^e + 2^(e-1)
        e = np.maximum(-shift, 1)
        k = rng.integers(-1000, 1000, size=cnt)
        tie = (k * (np.int64(1) << e) + (np.int64(1) << (e - 1))) << 1
        sel = (rng.random(cnt) < 0.3) & (np.abs(tie) < 2**31) & (shift < 0)
        acc = np.where(sel, tie, acc)
        mult = np.where(sel, 2**30, mult)
        acc, mult, shift = acc.astype(np.int32), mult.astype(np.int32), shift.astype(np.int32)
        exp = mbqm(acc, mult, shift).astype(np.int32)
        for out in (3, 4):
            S.call("requant_i32 %d %s" % (t, "ref" if out == 3 else "fast"), "requant_i32", [cnt], [],
                   [acc, mult, shift, np.zeros(cnt, np.int32), np.zeros(cnt, np.int32)], out, exp, small=t < 2)


# ------------------------------------------------------------------ resize
def c_div(a, b):
    """C integer division (truncates toward zero) of int64 arrays."""
    a = np.asarray(a, np.int64)
    return np.sign(a) * (np.abs(a) // b)


def tflite_resize_bilinear_s8(x, oh, ow, align_corners, half_pixel):
    """TFLite reference_ops::ResizeBilinear for int8 (x [outer][ih][iw][inner]),
    with its int64 sums; returns y, scale_h_10, scale_w_10."""
    outer, ih, iw, inner = x.shape

    def scale10(i, o):
        if align_corners and o > 1:
            return ((1 << 10) * (i - 1) + (o - 1) // 2) // (o - 1)
        return ((1 << 10) * i + o // 2) // o

    def coords(n_out, s10, n_in):
        v = np.arange(n_out, dtype=np.int64)
        s = v * s10 + s10 // 2 - (1 << 9) if half_pixel else v * s10
        lo = np.maximum(c_div(s, 1 << 10), 0)
        hi = np.minimum(c_div(s + (1 << 10) - 1, 1 << 10), n_in - 1)
        return s, lo, hi

    sh, sw = scale10(ih, oh), scale10(iw, ow)
    sy, y0, y1 = coords(oh, sh, ih)
    sx, x0, x1 = coords(ow, sw, iw)
    xi = x.astype(np.int64)
    wy1 = (sy - (1 << 10) * y0)[None, :, None, None]
    wx1 = (sx - (1 << 10) * x0)[None, None, :, None]
    wy0, wx0 = (1 << 10) - wy1, (1 << 10) - wx1
    g = lambda ys, xs: xi[:, ys][:, :, xs]
    o20 = (g(y0, x0) * wy0 * wx0 + g(y1, x0) * wy1 * wx0 + g(y0, x1) * wy0 * wx1 +
           g(y1, x1) * wy1 * wx1)
    rnd = np.where(o20 > 0, np.int64(1 << 19), np.int64(-(1 << 19)))
    return c_div(o20 + rnd, 1 << 20).astype(np.int8), sh, sw


def resize_case(label, outer, ih, iw, inner, oh, ow, mode, x=None, small=False):
    align, half = mode == "align_corners", mode == "half_pixel"
    if x is None:
        x = s8(outer, ih, iw, inner)
    exp, sh, sw = tflite_resize_bilinear_s8(x, oh, ow, align, half)
    S.call("%s resize_bilinear %s" % (label, (outer, ih, iw, inner, oh, ow, mode)),
           "resize_bilinear_s8", [outer, ih, iw, oh, ow, inner, sh, sw, int(half)], [],
           [x, np.zeros((outer, oh, ow, inner), np.int8)], 1, exp, small)


def resize_cases():
    global rng
    saved, rng = rng, np.random.default_rng(20261207)  # own stream: other cases stay as they were
    for mode in ("half_pixel", "align_corners", "asymmetric"):
        resize_case("x2-nhwc", 1, 4, 5, 8, 8, 10, mode, small=True)
        resize_case("down-nchw", 6, 9, 7, 1, 4, 3, mode, small=True)
        resize_case("odd", 2, 3, 3, 3, 7, 5, mode)
        resize_case("to1", 1, 5, 4, 2, 1, 1, mode)
        resize_case("from1", 1, 1, 1, 4, 3, 2, mode)
        resize_case("row", 1, 1, 6, 5, 1, 13, mode)
        resize_case("extreme", 1, 3, 4, 2, 9, 11, mode,
                    x=np.where(rng.random((1, 3, 4, 2)) < 0.5, -128, 127).astype(np.int8))
    r = lambda a, b: int(rng.integers(a, b + 1))
    for t in range(40):
        resize_case("rand%d" % t, r(1, 3), r(1, 9), r(1, 9), r(1, 9), r(1, 20), r(1, 20),
                    ("half_pixel", "align_corners", "asymmetric")[t % 3], small=t % 5 == 0)
    rng = saved


def build_cases():
    r = lambda a, b: int(rng.integers(a, b + 1))
    requant_cases()
    onnx_edge_cases()
    resize_cases()
    # conv: fixed edge cases, then random
    conv_case("pw", 1, 5, 7, 16, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, small=True)
    conv_case("pw-odd", 2, 3, 3, 7, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, small=True)
    conv_case("pw-1pix", 1, 1, 1, 8, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, small=True)
    conv_case("first", 1, 9, 9, 3, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, small=True)
    conv_case("zpmin", 1, 6, 6, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, x_zp=-128, y_zp=127, small=True)
    conv_case("zpmax", 1, 6, 6, 5, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, x_zp=127, y_zp=-128, small=True)
    conv_case("sat", 1, 4, 4, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, scale_exp=-1.0, small=True)
    conv_case("leftshift", 1, 4, 4, 4, 6, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, scale_exp=0.6, small=True)
    conv_case("nobias", 1, 5, 5, 4, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, bias=False, lohi=(0, 6), small=True)
    for t in range(90):
        kh, kw = r(1, 3), r(1, 4)
        conv_case("rand%d" % t, r(1, 2), r(1, 9), r(1, 9), int(rng.choice([1, 2, 3, 4, 5, 7, 8, 12, 16])),
                  r(1, 9), kh, kw, r(1, 3), r(1, 3), r(1, 2), r(1, 2), r(0, kh - 1), r(0, kw - 1),
                  r(0, 2), r(0, 2), scratch=t % 5 != 4, small=t % 4 == 0)
    # transposed conv (TFLite TRANSPOSE_CONV): DBNet's 2x2 stride 2, SAME-style crops, output
    # padding, dilation, saturation, then random
    transpose_conv_case("dbnet", 1, 4, 5, 8, 8, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, small=True)
    transpose_conv_case("3x3s2", 1, 4, 4, 5, 3, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, oph=1, opw=1, small=True)
    transpose_conv_case("dil", 2, 3, 4, 3, 4, 3, 2, 1, 3, 2, 1, 0, 1, 2, 0, small=True, x_zp=-128, y_zp=127)
    transpose_conv_case("sat", 1, 3, 3, 4, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, scale_exp=-1.0, small=True)
    transpose_conv_case("nobias", 1, 3, 3, 4, 2, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, bias=False, lohi=(0, 127))
    for t in range(40):
        kh, kw, sh, sw = r(1, 4), r(1, 4), r(1, 3), r(1, 3)
        transpose_conv_case("rand%d" % t, r(1, 2), r(1, 6), r(1, 6), int(rng.choice([1, 2, 3, 4, 8, 16])),
                            r(1, 9), kh, kw, sh, sw, r(1, 2), r(1, 2), r(0, kh - 1), r(0, kw - 1),
                            r(0, kh - 1), r(0, kw - 1), oph=r(0, sh - 1), opw=r(0, sw - 1), small=t % 4 == 0)
    # depthwise
    dw_case("3x3s1", 1, 6, 7, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, small=True)
    dw_case("3x3s2", 1, 8, 8, 12, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, small=True)
    dw_case("3x3odd", 1, 5, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, small=True, x_zp=-128, lohi=(0, 127))
    dw_case("3x3dil", 2, 7, 7, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, small=True, bias=False)
    dw_case("5x5", 1, 9, 9, 4, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, small=True, x_zp=127)
    for t in range(70):
        kh, kw = r(1, 5), r(1, 5)
        dw_case("rand%d" % t, r(1, 2), r(1, 9), r(1, 9), int(rng.choice([1, 2, 3, 4, 5, 8, 9, 16, 17])),
                kh, kw, r(1, 3), r(1, 3), r(1, 2), r(1, 2), r(0, kh - 1), r(0, kw - 1), r(0, 2), r(0, 2),
                scratch=t % 5 != 4, small=t % 4 == 0)
    # fully connected
    fc_case("edge", 1, 1280, 9, 1, small=True)
    fc_case("edge", 3, 7, 5, 0, small=True, x_zp=-128)
    fc_case("edge", 2, 33, 4, 1, bias=False, small=True, x_zp=127)
    for t in range(40):
        fc_case("rand%d" % t, r(1, 3), int(rng.choice([1, 2, 3, 4, 5, 8, 15, 16, 33, 64])),
                int(rng.choice([1, 2, 3, 4, 5, 7, 8, 9])), t % 2, bias=t % 3 != 0, small=t % 4 == 0)
    # add / mul
    for t in range(30):
        shape = [r(1, 5) for _ in range(r(1, 4))]
        add_case("contig%d" % t, shape, shape, shape, ["add_s8", "add_s8_inplace_a", "add_s8_inplace_b"][t % 3],
                 small=t % 4 == 0)
        mul_case("contig%d" % t, shape, shape, shape, ["mul_s8", "mul_s8_inplace_a"][t % 2], small=t % 4 == 0)
        sh, ash, bsh = bcast_shapes(r(1, 4))
        add_case("bcast%d" % t, sh, ash, bsh, small=t % 4 == 1)
        mul_case("bcast%d" % t, sh, ash, bsh, small=t % 4 == 1)
    add_case("big", [36, 36, 16], [36, 36, 16], [36, 36, 16], small=False)
    # onnxruntime-exact add / mul (models that arrive quantized)
    for t in range(24):
        shape = [r(1, 5) for _ in range(r(1, 4))]
        for op in ("add", "mul"):
            onnx_binary_case("contig%d" % t, op, shape, shape, shape, small=t % 6 == 0, ties=t % 2 == 1)
            sh, ash, bsh = bcast_shapes(r(1, 4))
            onnx_binary_case("bcast%d" % t, op, sh, ash, bsh, small=t % 6 == 1, ties=t % 2 == 0)
    for op in ("add", "mul"):
        onnx_binary_case("scalar-b", op, [2, 3, 8], [2, 3, 8], [1, 1, 1], small=True, ties=True)
        onnx_binary_case("scalar-a", op, [2, 3, 8], [1, 1, 1], [2, 3, 8], small=True, ties=True)
        onnx_binary_case("channel", op, [1, 4, 6, 5], [1, 4, 6, 5], [1, 4, 1, 1], ties=True)
        onnx_binary_case("nhwc-channel", op, [1, 6, 5, 4], [1, 6, 5, 4], [1, 1, 1, 4], ties=True)
    softmax_onnx_case("cls", 1, 2, 1, small=True)
    for t in range(12):
        softmax_onnx_case("rand%d" % t, r(1, 3), r(1, 40), r(1, 3), small=t % 4 == 0)
    # pools
    for t in range(30):
        kh, kw = r(1, 3), r(1, 3)
        args = (r(1, 2), r(1, 8), r(1, 8), r(1, 6), kh, kw, r(1, 3), r(1, 3), r(0, kh - 1), r(0, kw - 1), r(0, kh - 1), r(0, kw - 1))
        pool_case("rand%d" % t, "max", *args, small=t % 4 == 0)
        pool_case("rand%d" % t, "avg", *args, cip=t % 2, small=t % 4 == 0)
    avgpool_onnx_case("2x2-same", 1, 16, 16, 8, 2, 2, 2, 2, 0, 0, 0, 0, 0, small=True, same=True)
    for t in range(20):
        kh, kw = r(1, 3), r(1, 3)
        avgpool_onnx_case("rand%d" % t, r(1, 2), r(1, 8), r(1, 8), r(1, 6), kh, kw, r(1, 3), r(1, 3),
                          r(0, kh - 1), r(0, kw - 1), r(0, kh - 1), r(0, kw - 1), t % 2,
                          small=t % 4 == 0, same=t % 3 == 0)
        gap_onnx_case("rand%d" % t, r(1, 2), r(1, 70), r(1, 19), small=t % 4 == 0)
    # global average pool
    gap_case("l9", 1, 25, 1280, small=True)
    gap_case("big-spatial", 1, 300, 6, small=True, x_zp=-128)
    gap_case("big-spatial2", 2, 513, 5, small=True, x_zp=127)
    for t in range(20):
        gap_case("rand%d" % t, r(1, 2), r(1, 40), r(1, 19), small=t % 4 == 0)
    misc_cases()
    # ONNX integer kernels
    for t in range(25):
        group = int(rng.choice([1, 1, 2, 3]))
        kh, kw = r(1, 3), r(1, 3)
        conv_acc_case("rand%d" % t, r(1, 2), r(1, 7), r(1, 7), group * r(1, 4), group * r(1, 3), kh, kw,
                      r(1, 2), r(1, 2), r(1, 2), r(1, 2), r(0, kh - 1), r(0, kw - 1), r(0, 2), r(0, 2),
                      group, t % 2, small=t % 5 == 0)
    for t in range(20):
        br = r(0, 2)
        bshape = [r(1, 3) for _ in range(br)]
        matmul_acc_case("rand%d" % t, r(1, 5), r(1, 5), r(1, 9), bshape, [flag() for _ in range(br)],
                        [flag() for _ in range(br)], flag(), flag(), t % 2, small=t % 5 == 0)
    for t in range(10):
        requant_acc_case("rand%d" % t, r(1, 6), r(1, 9), t % 2, t % 3 != 0, small=t % 3 == 0)
    # (cases added later come last, so that the random data of the ones above stays the same)
    inplace_cases(r)
    tflite_pool_cases(r)
    onnx_fast_cases(r)


def inplace_cases(r):
    # in-place depthwise (y == x, and y separate), also through the normal kernel
    dwi_case("3x3s1", 1, 6, 7, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, small=True, also_dw=True)
    dwi_case("3x3s1-sep", 1, 6, 7, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, alias=False, small=True)
    dwi_case("3x3s2", 1, 9, 8, 12, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, small=True, also_dw=True)
    dwi_case("3x3s2-tfl", 1, 8, 8, 5, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, small=True)  # TFLite SAME, s2
    dwi_case("3x3valid", 2, 7, 5, 3, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, small=True, x_zp=-128)
    dwi_case("5x5s1", 1, 9, 11, 4, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, small=True, x_zp=127, also_dw=True)
    dwi_case("5x5s2", 1, 11, 10, 6, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, small=True)
    dwi_case("7x7s1", 1, 8, 9, 3, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, small=True)
    dwi_case("4x4s1", 1, 8, 9, 5, 4, 4, 1, 1, 1, 1, 1, 2, 2, 1, small=True)  # kw % 4 == 0
    dwi_case("8x1", 1, 12, 5, 3, 1, 8, 1, 1, 1, 1, 0, 3, 0, 4, small=True)
    dwi_case("dil2-same", 1, 7, 7, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, small=True, bias=False)  # unpadded path
    dwi_case("dil2-valid", 1, 9, 9, 4, 3, 3, 1, 1, 2, 2, 0, 0, 0, 0, small=True, also_dw=True)
    dwi_case("bigpad", 1, 5, 5, 3, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, small=True)  # oh*ow > ih*iw: separate y
    dwi_case("1pix", 1, 1, 1, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, small=True)
    dwi_case("large", 1, 24, 20, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, small=True, lohi=(-128, 127))
    dwi_case("large-s2", 1, 23, 21, 8, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, small=True)
    dwi_case("large5", 1, 16, 17, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, small=True)
    for t in range(80):
        k = int(rng.choice([3, 3, 5, 1, 2, 4, 7]))
        kh, kw = (k, k) if t % 4 else (r(1, 5), r(1, 5))
        dil = 2 if t % 7 == 3 else 1
        big = t % 10 == 9
        dwi_case("rand%d" % t, r(1, 2), r(1, 9) + (12 if big else 0), r(1, 9) + (10 if big else 0),
                 int(rng.choice([1, 2, 3, 4, 5, 8, 9, 16, 17])), kh, kw, r(1, 2) if t % 5 else 3,
                 r(1, 2) if t % 5 else r(1, 3), dil, dil, r(0, 2), r(0, 2), r(0, 2), r(0, 2),
                 alias=t % 3 != 2, small=t % 3 == 0, also_dw=t % 8 == 0)
    # y aliasing an input ("y may equal a or b"), the other input broadcast or not
    for t in range(8):
        sh, ash, bsh = bcast_shapes(r(1, 4))
        small = t % 2 == 0
        add_case("alias-a%d" % t, sh, sh, bsh, "add_s8_inplace_a", small=small)
        add_case("alias-b%d" % t, sh, ash, sh, "add_s8_inplace_b", small=small)
        mul_case("alias-a%d" % t, sh, sh, bsh, "mul_s8_inplace_a", small=small)
        mul_case("alias-b%d" % t, sh, ash, sh, "mul_s8_inplace_b", small=small)
        for op in ("add", "mul"):
            onnx_binary_case("alias-a%d" % t, op, sh, sh, bsh, small=small, ties=t % 2 == 1, inplace="a")
            onnx_binary_case("alias-b%d" % t, op, sh, ash, sh, small=small, ties=t % 2 == 0, inplace="b")
    for v, a_sh, b_sh in (("mul_s8_inplace_a", [1, 5, 3, 8], [1, 1, 1, 8]),   # squeeze-excite path
                          ("mul_s8_inplace_b", [1, 1, 1, 8], [1, 5, 3, 8]),   # operands swapped inside
                          ("mul_s8_inplace_b", [1, 5, 3, 8], [1, 5, 3, 8])):
        mul_case("alias-se", [1, 5, 3, 8], a_sh, b_sh, v, small=True)
    add_case("alias-chan", [1, 5, 3, 8], [1, 5, 3, 8], [1, 1, 1, 8], "add_s8_inplace_a", small=True)
    add_case("alias-same", [2, 3, 4], [2, 3, 4], [2, 3, 4], "add_s8_inplace_b", small=True)


def compile_checks(tmp):
    """Strict C99, warnings as errors: host (portable path) and Cortex-M4 / M7 (DSP path),
    Cortex-M0+ (portable path on ARM). Run in parallel; returns a function collecting results."""
    src = os.path.join(RUNTIME, "pare_k_s8.c")
    targets = [("host", "gcc", [], "-O2")]
    if shutil.which("arm-none-eabi-gcc"):
        targets += [("cortex-m4", "arm-none-eabi-gcc", M4, "-O3"), ("cortex-m7", "arm-none-eabi-gcc", M7, "-O2"),
                    ("cortex-m0+", "arm-none-eabi-gcc", M0, "-Os")]
    procs = []
    for i, (name, cc, flags, opt) in enumerate(targets):
        procs.append(("strict C99 %s %s" % (name, opt), subprocess.Popen(
            [cc] + STRICT + flags + [opt, "-c", src, "-o", os.path.join(tmp, "k%d.o" % i)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)))

    def collect():
        for label, p in procs:
            out = p.communicate()[0]
            S.result(label, p.returncode == 0, out.decode()[-2000:])
    return collect


def main():
    build_cases()
    with tempfile.TemporaryDirectory() as tmp:
        collect = compile_checks(tmp)
        exe = os.path.join(tmp, "harness_s8")
        p = subprocess.run(["gcc", "-std=c99", "-O1", "-g", "-fsanitize=address,undefined",
                            "-fno-sanitize-recover=undefined", "-I", RUNTIME,
                            os.path.join(HERE, "harness_s8.c"), os.path.join(RUNTIME, "pare_k_s8.c"),
                            "-o", exe], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            print(p.stdout.decode())
            S.result("build host harness", False)
        else:
            S.run_host(exe)
        if NO_QEMU or not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")):
            print("(QEMU Cortex-M4 DSP-path run skipped)")
        else:
            elf = os.path.join(tmp, "harness_s8.elf")
            p = subprocess.run(["arm-none-eabi-gcc"] + M4 + ["-O3", "-std=c99", "-DPARE_SEMIHOST",
                                "--specs=nano.specs", "--specs=rdimon.specs", "-nostartfiles",
                                "-T", os.path.join(QEMU_DIR, "mps2.ld"), "-I", RUNTIME,
                                os.path.join(QEMU_DIR, "startup.c"), os.path.join(HERE, "harness_s8.c"),
                                os.path.join(RUNTIME, "pare_k_s8.c"), "-o", elf],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if p.returncode != 0:
                print(p.stdout.decode())
                S.result("build qemu harness", False)
            else:
                S.run_qemu(elf, tmp)
        collect()
    print("%d passed, %d failed" % (S.passed, S.failed))
    return 1 if S.failed else 0


if __name__ == "__main__":
    sys.exit(main())
