#!/usr/bin/env python3
"""TSM temporal shift: the runtime kernels against numpy, and (with --pare) the generated code.

Kernels (runtime-stubs/c/pare_k_data.c, built with gcc -std=c99 -Wall -Wextra -Werror
-pedantic -fsanitize=address,undefined): for random shapes, both layouts (NCHW, channels_last),
every mode (bidirectional, bidirectional with the groups' directions reversed,
unidirectional), float32 (zero 0.0f), int8 (a random zero point) and
int64 (the evaluator's integer storage):
  - pare_temporal_shift against a numpy model of TSM's shift (including fold 0 and a fold that
    moves every channel);
  - pare_temporal_shift_step over a stream of frames, out of place and in place (y == x),
    against the offline unidirectional shift of the whole clip (state reset to the zero value);
  - pare_temporal_shift_row for every row of every frame (channels_last) against the offline
    shift.

Generated code (--pare PATH): small .mlir models compiled by `pare compile`, linked with a
test main, gcc strict C99 with ASan/UBSan:
  - a float and an int8 1x1 convolution that reads its input through the shift
    (pare.shift_frames / pare.shift_fold / pare.shift_mode) against the same model with a
    separate pare.temporal_shift: outputs identical byte for byte;
  - a streaming shift (float and int8): <name>_step() over T frames against the offline
    unidirectional shift of the clip; <name>_reset() restarts the stream.

  tests/e2e/temporal_shift_kernels.py [--pare build/tools/pare/pare] [-v]
Exit status 1 on any failure.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:  # fall back to the system interpreter, which may have numpy
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("temporal_shift_kernels.py needs numpy")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
RUNTIME = os.path.join(ROOT, "runtime-stubs", "c")
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-g",
          "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]

HARNESS = r"""
#include "pare_kernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *read_all(size_t n) {
  void *p = malloc(n ? n : 1);
  if (n && fread(p, 1, n, stdin) != n) { fprintf(stderr, "short read\n"); exit(2); }
  return p;
}

int main(void) {
  int32_t h[12];
  /* op, elem_size, frames_total (or steps), frames, channels, height, width,
   * fold, bidirectional, channels_last, batch, unused */
  if (fread(h, sizeof h, 1, stdin) != 1) return 2;
  {
    const int op = h[0], fold = h[7], bidir = h[8], cl = h[9], batch = h[10];
    const size_t es = (size_t)h[1], c = (size_t)h[4], hh = (size_t)h[5], ww = (size_t)h[6];
    const size_t inner = hh * ww;
    char *zero = (char *)read_all(es);
    if (op == 0 || op == 2) { /* offline / every row */
      const size_t n = (size_t)h[2] * c * inner * es;
      char *x = (char *)read_all(n);
      char *y = (char *)malloc(n ? n : 1);
      memset(y, 0x5a, n);
      if (op == 0) {
        pare_temporal_shift(es, x, y, h[2], h[3], h[4], inner, fold, bidir, cl, zero);
      } else {
        int f, r;
        for (f = 0; f < h[2]; f++)
          for (r = 0; r < h[5]; r++) {
            /* an exact-size heap row, so ASan sees any overrun */
            char *row = (char *)malloc(ww * c * es > 0 ? ww * c * es : 1);
            pare_temporal_shift_row(es, x, row, f, h[3], h[5], h[6], h[4], r, fold, bidir,
                                    zero);
            memcpy(y + (((size_t)f * hh + (size_t)r) * ww * c) * es, row, ww * c * es);
            free(row);
          }
      }
      fwrite(y, 1, n, stdout);
      free(x);
      free(y);
    } else { /* 1: stream out of place, 3: in place; x [steps][batch][frame] */
      const size_t frame = (size_t)batch * c * inner * es, steps = (size_t)h[2];
      char *x = (char *)read_all(steps * frame);
      char *state = (char *)malloc((size_t)batch * inner * (size_t)fold * es + 1);
      size_t s, i;
      for (i = 0; i < (size_t)batch * inner * (size_t)fold; i++)
        memcpy(state + i * es, zero, es);
      for (s = 0; s < steps; s++) {
        char *xs = (char *)malloc(frame ? frame : 1);
        memcpy(xs, x + s * frame, frame);
        if (op == 3) {
          pare_temporal_shift_step(es, xs, xs, state, batch, h[4], inner, fold, cl);
          fwrite(xs, 1, frame, stdout);
        } else {
          char *y = (char *)malloc(frame ? frame : 1);
          pare_temporal_shift_step(es, xs, y, state, batch, h[4], inner, fold, cl);
          fwrite(y, 1, frame, stdout);
          free(y);
        }
        free(xs);
      }
      free(state);
      free(x);
    }
    free(zero);
  }
  return 0;
}
"""


def reference(x, frames, fold, bidir, cl, zero):
    """numpy TSM shift of x [N*T, C, ...] (or [N*T, ..., C] when cl)."""
    if cl:
        x = np.moveaxis(x, -1, 1)
    nt = x.shape[0]
    v = x.reshape((nt // frames, frames) + x.shape[1:])
    y = v.copy()
    if bidir == 2:  # reversed: [0, fold) from t-1, [fold, 2 fold) from t+1
        y[:, :, :fold] = zero
        y[:, 1:, :fold] = v[:, :-1, :fold]
        y[:, :, fold:2 * fold] = zero
        y[:, :-1, fold:2 * fold] = v[:, 1:, fold:2 * fold]
    elif bidir:
        y[:, :, :fold] = zero
        y[:, :-1, :fold] = v[:, 1:, :fold]
        y[:, :, fold:2 * fold] = zero
        y[:, 1:, fold:2 * fold] = v[:, :-1, fold:2 * fold]
    else:
        y[:, :, :fold] = zero
        y[:, 1:, :fold] = v[:, :-1, :fold]
    y = y.reshape(x.shape)
    if cl:
        y = np.moveaxis(y, 1, -1)
    return np.ascontiguousarray(y)


class Results:
    def __init__(self, verbose):
        self.passed = self.failed = 0
        self.verbose = verbose

    def check(self, label, ok, detail=""):
        if ok:
            self.passed += 1
            if self.verbose:
                print("ok   " + label)
        else:
            self.failed += 1
            print("FAIL " + label + (": " + detail if detail else ""))


def build_harness(work):
    src = os.path.join(work, "harness.c")
    with open(src, "w") as f:
        f.write(HARNESS)
    exe = os.path.join(work, "harness")
    # The kernels themselves compile strictly (-pedantic); the harness uses stdio.
    objs = []
    for name in sorted(os.listdir(RUNTIME)):
        if name.endswith(".c"):
            obj = os.path.join(work, name + ".o")
            subprocess.run(["gcc"] + CFLAGS + ["-I", RUNTIME, "-c", os.path.join(RUNTIME, name),
                                               "-o", obj], check=True)
            objs.append(obj)
    subprocess.run(["gcc"] + CFLAGS + ["-I", RUNTIME, src] + objs + ["-lm", "-o", exe], check=True)
    return exe


def run_harness(exe, header, zero, x):
    data = struct.pack("<12i", *header) + zero.tobytes() + np.ascontiguousarray(x).tobytes()
    r = subprocess.run([exe], input=data, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError("harness failed (%d): %s" % (r.returncode, r.stderr.decode()[-2000:]))
    return r.stdout


def random_data(rng, dtype, shape):
    if dtype == np.float32:
        return rng.standard_normal(shape).astype(np.float32)
    info = np.iinfo(dtype)
    lo, hi = (-128, 128) if dtype == np.int64 else (info.min, info.max + 1)
    return rng.integers(lo, hi, size=shape).astype(dtype)


def kernel_tests(res, work, rng):
    exe = build_harness(work)
    types = [("f32", np.float32), ("i8", np.int8), ("i64", np.int64)]
    for tname, dt in types:
        for cl in (0, 1):
            for bidir in (1, 2, 0):
                for trial in range(6):
                    n = int(rng.integers(1, 4))
                    t = int(rng.integers(1, 6))
                    c = int(rng.integers(1, 20))
                    hh, ww = int(rng.integers(1, 5)), int(rng.integers(1, 6))
                    limit = c // 2 if bidir else c
                    fold = [0, limit, int(rng.integers(0, limit + 1)), max(limit // 4, 1 if limit else 0),
                            int(rng.integers(0, limit + 1)), int(rng.integers(0, limit + 1))][trial]
                    zero = np.array([0 if dt != np.int8 else int(rng.integers(-128, 128))], dtype=dt)
                    if dt == np.int64:
                        zero[0] = int(rng.integers(-20, 20))
                    shape = (n * t, hh, ww, c) if cl else (n * t, c, hh, ww)
                    x = random_data(rng, dt, shape)
                    want = reference(x, t, fold, bidir, cl, zero[0])
                    es = np.dtype(dt).itemsize
                    label = "%s %s %s N=%d T=%d C=%d H=%d W=%d fold=%d" % (
                        tname, "nhwc" if cl else "nchw", ["uni", "bi", "bi-reversed"][bidir], n, t, c, hh, ww, fold)
                    hdr = [0, es, n * t, t, c, hh, ww, fold, bidir, cl, 0, 0]
                    got = np.frombuffer(run_harness(exe, hdr, zero, x), dtype=dt).reshape(shape)
                    res.check("shift " + label, np.array_equal(got.view(np.uint8), want.view(np.uint8)),
                              "differs at %d elements" % int(np.sum(got != want)))
                    if cl:
                        hdr[0] = 2
                        got = np.frombuffer(run_harness(exe, hdr, zero, x), dtype=dt).reshape(shape)
                        res.check("row   " + label, np.array_equal(got.view(np.uint8), want.view(np.uint8)),
                                  "differs at %d elements" % int(np.sum(got != want)))
                    if not bidir:
                        # Streaming: batch streams of t frames each.
                        fshape = (hh, ww, c) if cl else (c, hh, ww)
                        clip = random_data(rng, dt, (n, t) + fshape)  # [stream][time]
                        offline = reference(clip.reshape((n * t,) + fshape), t, fold, 0, cl,
                                            zero[0]).reshape((n, t) + fshape)
                        stream = np.ascontiguousarray(np.swapaxes(clip, 0, 1))  # [time][stream]
                        want_s = np.ascontiguousarray(np.swapaxes(offline, 0, 1))
                        for op, how in ((1, "out of place"), (3, "in place")):
                            hdr_s = [op, es, t, 1, c, hh, ww, fold, 0, cl, n, 0]
                            got = np.frombuffer(run_harness(exe, hdr_s, zero, stream),
                                                dtype=dt).reshape(want_s.shape)
                            res.check("step (%s) " % how + label,
                                      np.array_equal(got.view(np.uint8), want_s.view(np.uint8)),
                                      "differs at %d elements" % int(np.sum(got != want_s)))


# ------------------------------------------------------------ generated code --

F_MODEL = """
func.func @main(%x: tensor<{NT}x{H}x{W}x{C}xf32> {{pare.name = "x"}}) -> (tensor<{NT}x{H}x{W}x{OC}xf32> {{pare.name = "y"}}) {{
  %w = pare.constant dense<{WVALS}> : tensor<{OC}x1x1x{C}xf32> loc("w")
  %b = pare.constant dense<{BVALS}> : tensor<{OC}xf32> loc("b")
  {BODY}
  return %y : tensor<{NT}x{H}x{W}x{OC}xf32>
}}
"""
F_FUSED = ('%y = pare.conv %x, %w, %b {{strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, '
           'pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, activation = "relu", '
           'pare.shift_frames = {T} : i64, pare.shift_fold = {FOLD} : i64, pare.shift_mode = "{MODE}"}} '
           ': (tensor<{NT}x{H}x{W}x{C}xf32>, tensor<{OC}x1x1x{C}xf32>, tensor<{OC}xf32>) -> '
           'tensor<{NT}x{H}x{W}x{OC}xf32> loc("conv")')
F_SPLIT = ('%s = pare.temporal_shift %x {{frames = {T} : i64, fold = {FOLD} : i64, mode = "{MODE}", channels_last}} '
           ': (tensor<{NT}x{H}x{W}x{C}xf32>) -> tensor<{NT}x{H}x{W}x{C}xf32> loc("shift")\n  '
           '%y = pare.conv %s, %w, %b {{strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, '
           'pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, activation = "relu"}} '
           ': (tensor<{NT}x{H}x{W}x{C}xf32>, tensor<{OC}x1x1x{C}xf32>, tensor<{OC}xf32>) -> '
           'tensor<{NT}x{H}x{W}x{OC}xf32> loc("conv")')

Q_MODEL = """
!x = !quant.uniform<i8:f32, 0.05:{XZP}>
!y = !quant.uniform<i8:f32, 0.1:{YZP}>
!w = !quant.uniform<i8:f32:0, {{{WSCALES}}}>
func.func @main(%x: tensor<{NT}x{H}x{W}x{C}xi8> {{pare.name = "x"}}) -> (tensor<{NT}x{H}x{W}x{OC}xi8> {{pare.name = "y"}}) {{
  %xq = pare.storage_cast %x : (tensor<{NT}x{H}x{W}x{C}xi8>) -> tensor<{NT}x{H}x{W}x{C}x!x> loc("xq")
  %w8 = pare.constant dense<{WVALS}> : tensor<{OC}x1x1x{C}xi8> loc("w")
  %wq = pare.storage_cast %w8 : (tensor<{OC}x1x1x{C}xi8>) -> tensor<{OC}x1x1x{C}x!w> loc("wq")
  %b = pare.constant dense<{BVALS}> : tensor<{OC}xi32> loc("b")
  {BODY}
  %y = pare.storage_cast %yq : (tensor<{NT}x{H}x{W}x{OC}x!y>) -> tensor<{NT}x{H}x{W}x{OC}xi8> loc("yc")
  return %y : tensor<{NT}x{H}x{W}x{OC}xi8>
}}
"""
Q_FUSED = ('%yq = pare.qconv %xq, %wq, %b {{strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, '
           'pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last, '
           'pare.shift_frames = {T} : i64, pare.shift_fold = {FOLD} : i64, pare.shift_mode = "{MODE}"}} '
           ': (tensor<{NT}x{H}x{W}x{C}x!x>, tensor<{OC}x1x1x{C}x!w>, tensor<{OC}xi32>) -> '
           'tensor<{NT}x{H}x{W}x{OC}x!y> loc("conv")')
Q_SPLIT = ('%s = pare.temporal_shift %xq {{frames = {T} : i64, fold = {FOLD} : i64, mode = "{MODE}", channels_last}} '
           ': (tensor<{NT}x{H}x{W}x{C}x!x>) -> tensor<{NT}x{H}x{W}x{C}x!x> loc("shift")\n  '
           '%yq = pare.qconv %s, %wq, %b {{strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, '
           'pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last}} '
           ': (tensor<{NT}x{H}x{W}x{C}x!x>, tensor<{OC}x1x1x{C}x!w>, tensor<{OC}xi32>) -> '
           'tensor<{NT}x{H}x{W}x{OC}x!y> loc("conv")')

S_MODEL = """
{QDEF}
func.func @main(%x: tensor<{N}x{H}x{W}x{C}x{ST}> {{pare.name = "x"}}) -> (tensor<{N}x{H}x{W}x{C}x{ST}> {{pare.name = "y"}}) {{
  {IN}
  %s = pare.temporal_shift %xi {{frames = 1 : i64, fold = {FOLD} : i64, mode = "unidirectional", channels_last, streaming}} : (tensor<{N}x{H}x{W}x{C}x{ET}>) -> tensor<{N}x{H}x{W}x{C}x{ET}> loc("tsm")
  {OUT}
  return %y : tensor<{N}x{H}x{W}x{C}x{ST}>
}}
"""

MAIN = r"""
#include "{name}.h"
#include <stdio.h>
#include <stdlib.h>
int main(void) {{
  static {ct} x[{NX}], y[{NY}];
  int s;
  for (s = 0; s < {STEPS}; s++) {{
    if (fread(x, sizeof x, 1, stdin) != 1) return 2;
    {CALL}
    fwrite(y, sizeof y, 1, stdout);
  }}
  return 0;
}}
"""


RUNTIME_OBJS: dict = {}


def compile_model(pare, work, name, mlir, ctype, nx, ny, steps=1, stream=0, reset_at=-1, flags=()):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    src = os.path.join(d, name + ".mlir")
    with open(src, "w") as f:
        f.write(mlir)
    out = os.path.join(d, "out")
    r = subprocess.run([pare, "compile", src, "-o", out, "--name", name, "-q"] + list(flags),
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("pare compile %s failed:\n%s" % (name, r.stderr))
    with open(os.path.join(out, "main.c"), "w") as f:
        if stream:  # one frame per call; a reset starts the stream again at reset_at
            call = ("if (s == %d) %s_reset();\n    if (%s_step(x, y) != 0) return 3;"
                    % (reset_at, name, name))
        else:
            call = "if (%s_run(x, y) != 0) return 3;" % name
        f.write(MAIN.format(name=name, ct=ctype, NX=nx, NY=ny, STEPS=steps, CALL=call))
    objs = []
    for f in sorted(os.listdir(out)):
        if not f.endswith(".c"):
            continue
        path = os.path.join(out, f)
        with open(path, "rb") as fh:
            key = (f, hashlib.sha1(fh.read()).hexdigest())
        if f.startswith("pare_k_") and key in RUNTIME_OBJS:  # the same runtime file: built once
            objs.append(RUNTIME_OBJS[key])
            continue
        obj = path + ".o"
        subprocess.run(["gcc"] + CFLAGS + ["-I", out, "-c", path, "-o", obj], check=True)
        if f.startswith("pare_k_"):
            RUNTIME_OBJS[key] = obj
        objs.append(obj)
    exe = os.path.join(out, "run")
    subprocess.run(["gcc"] + CFLAGS + objs + ["-lm", "-o", exe], check=True)
    with open(os.path.join(out, name + ".c")) as f:
        code = f.read()
    with open(os.path.join(out, name + ".h")) as f:
        header = f.read()
    return exe, code, header


def generated_tests(res, work, rng, pare):
    def fused_vs_split(kind, prefix, model, fused, split, subs, ctype, x, out_count, elem_bytes, label):
        """Compiles the fused model and the --shift-fusion off one, checks that each emits its
        kernels, runs both on x and checks they agree byte for byte; returns the fused output."""
        outs = {}
        for variant, body in (("fused", fused), ("split", split)):
            mlir = model.format(BODY=body.format(**subs), **subs)
            name = "%s_%s_%s_%d" % (prefix, variant, subs["MODE"][:2], subs["NT"] * 1000 + subs["C"])
            # The split model keeps its shift: no fusion (--shift-fusion off).
            exe, code, _ = compile_model(pare, work, name, mlir, ctype, x.size, out_count,
                                         flags=() if variant == "fused" else ("--shift-fusion", "off"))
            if variant == "fused":
                res.check("fused %s conv emits the row gather %s" % (kind, label),
                          "pare_temporal_shift_row(" in code and "pare_temporal_shift(" not in code)
            else:
                res.check("split %s model shifts, then convolves %s" % (kind, label),
                          "pare_temporal_shift(" in code and "pare_temporal_shift_row(" not in code)
            r = subprocess.run([exe], input=x.tobytes(), capture_output=True)
            res.check("%s %s runs %s" % (kind, variant, label), r.returncode == 0, r.stderr.decode()[-1500:])
            outs[variant] = r.stdout
        res.check("%s fused == shift + conv (bytes) %s" % (kind, label),
                  outs["fused"] == outs["split"] and len(outs["fused"]) == out_count * elem_bytes)
        return outs["fused"]

    modes = {"unidirectional": 0, "bidirectional": 1, "bidirectional_reversed": 2}
    for mode in ("bidirectional", "bidirectional_reversed", "unidirectional"):
        for (n, t, hh, ww, c, oc) in ((1, 4, 3, 5, 16, 8), (2, 3, 2, 7, 9, 20), (1, 1, 1, 3, 8, 4)):
            fold = max(1, c // 8) if c >= 8 else 1
            nt = n * t
            # float
            w = rng.standard_normal((oc, 1, 1, c)).astype(np.float32)
            b = rng.standard_normal(oc).astype(np.float32)
            subs = dict(NT=nt, H=hh, W=ww, C=c, OC=oc, T=t, FOLD=fold, MODE=mode,
                        WVALS=np.array2string(w, separator=", ", threshold=10**9,
                                              floatmode="unique").replace("\n", ""),
                        BVALS=np.array2string(b, separator=", ", threshold=10**9,
                                              floatmode="unique").replace("\n", ""))
            label = "%s N=%d T=%d H=%d W=%d C=%d OC=%d" % (mode, n, t, hh, ww, c, oc)
            x = rng.standard_normal((nt, hh, ww, c)).astype(np.float32)
            fused = fused_vs_split("f32", "tsf", F_MODEL, F_FUSED, F_SPLIT, subs, "float", x,
                                   nt * hh * ww * oc, 4, label)
            ref = reference(x, t, fold, modes[mode], 1, 0.0)
            want = np.maximum(np.einsum("fhwc,oc->fhwo", ref, w[:, 0, 0, :]) + b, 0)
            got = np.frombuffer(fused, dtype=np.float32).reshape(want.shape) if fused else None
            res.check("f32 fused conv vs numpy " + label,
                      got is not None and np.allclose(got, want, rtol=1e-4, atol=1e-4))
            # int8
            w8 = rng.integers(-127, 128, size=(oc, 1, 1, c)).astype(np.int8)
            b32 = rng.integers(-500, 500, size=oc).astype(np.int32)
            scales = ", ".join("%g" % s for s in rng.uniform(0.002, 0.01, size=oc))
            qs = dict(subs, XZP=int(rng.integers(-20, 20)), YZP=int(rng.integers(-10, 10)), WSCALES=scales,
                      WVALS=np.array2string(w8, separator=", ", threshold=10**9).replace("\n", ""),
                      BVALS=np.array2string(b32, separator=", ", threshold=10**9).replace("\n", ""))
            x8 = rng.integers(-128, 128, size=(nt, hh, ww, c)).astype(np.int8)
            fused_vs_split("int8", "tsq", Q_MODEL, Q_FUSED, Q_SPLIT, qs, "int8_t", x8, nt * hh * ww * oc, 1,
                           label)

    # Streaming: T steps of one frame per stream, then a reset and the stream again.
    for et in ("f32", "i8"):
        for (n, hh, ww, c, fold, t) in ((1, 2, 3, 16, 2, 5), (2, 1, 4, 8, 3, 4)):
            zp = int(rng.integers(-30, 30)) if et == "i8" else 0
            if et == "f32":
                subs = dict(QDEF="", ST="f32", ET="f32", IN="%xi = pare.identity %x : (tensor<{N}x{H}x{W}x{C}xf32>) -> tensor<{N}x{H}x{W}x{C}xf32> loc(\"xi\")",
                            OUT="%y = pare.identity %s : (tensor<{N}x{H}x{W}x{C}xf32>) -> tensor<{N}x{H}x{W}x{C}xf32> loc(\"yo\")")
                dt, ct = np.float32, "float"
            else:
                subs = dict(QDEF="!q = !quant.uniform<i8:f32, 0.1:%d>" % zp, ST="i8", ET="!q",
                            IN="%xi = pare.storage_cast %x : (tensor<{N}x{H}x{W}x{C}xi8>) -> tensor<{N}x{H}x{W}x{C}x!q> loc(\"xi\")",
                            OUT="%y = pare.storage_cast %s : (tensor<{N}x{H}x{W}x{C}x!q>) -> tensor<{N}x{H}x{W}x{C}xi8> loc(\"yo\")")
                dt, ct = np.int8, "int8_t"
            dims = dict(N=n, H=hh, W=ww, C=c, FOLD=fold)
            subs["IN"] = subs["IN"].format(**dims)
            subs["OUT"] = subs["OUT"].format(**dims)
            mlir = S_MODEL.format(**subs, **dims)
            label = "%s N=%d H=%d W=%d C=%d fold=%d T=%d" % (et, n, hh, ww, c, fold, t)
            fsize = n * hh * ww * c
            name = "tss_%s_%d" % (et, n * 100 + c)
            exe, code, header = compile_model(pare, work, name, mlir, ct, fsize, fsize, steps=2 * t,
                                              stream=1, reset_at=t)
            res.check("streaming header declares reset / step " + label,
                      ("void %s_reset(void);" % name) in header and ("int %s_step(" % name) in header)
            res.check("streaming state buffer " + label,
                      ("static %s %s_tsm_state[%d]" % (ct, name, n * hh * ww * fold)) in code)
            clip = random_data(rng, dt, (t, n, hh, ww, c))
            seq = np.concatenate([clip, clip])
            r = subprocess.run([exe], input=seq.tobytes(), capture_output=True)
            ok = r.returncode == 0
            res.check("streaming runs " + label, ok, r.stderr.decode()[-1500:])
            if not ok:
                continue
            got = np.frombuffer(r.stdout, dtype=dt).reshape((2 * t, n, hh, ww, c))
            offline = reference(np.ascontiguousarray(np.swapaxes(clip, 0, 1)).reshape((n * t, hh, ww, c)),
                                t, fold, 0, 1, dt(zp)).reshape((n, t, hh, ww, c))
            want = np.swapaxes(offline, 0, 1)
            res.check("streaming step == offline shift " + label, np.array_equal(got[:t], want))
            res.check("streaming after reset == offline shift " + label, np.array_equal(got[t:], want))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pare", help="pare binary: also test the generated code")
    ap.add_argument("--work", help="keep the build files here")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    res = Results(a.v)
    rng = np.random.default_rng(20240611)
    work = a.work or tempfile.mkdtemp(prefix="pare-tsm-")
    os.makedirs(work, exist_ok=True)
    kernel_tests(res, work, rng)
    if a.pare:
        generated_tests(res, work, rng, os.path.abspath(a.pare))
    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
