#!/usr/bin/env python3
"""runtime-stubs/c/pare_llm_w4.c (pare.matmul_nbits) against scalar references.

Builds pare_llm_w4.c as a shared library (-std=c99 -Wall -Wextra -Werror
-pedantic -O3, so the vectorised loops are the ones tested) and checks:
- pare_pack_u4 against NumPy's packing (low nibble = even k, odd K's last
  byte with a zero high nibble), byte for byte;
- pare_matmul_nbits_f32 against a float64 reference on the weights
  dequantized in float32 as the op defines them, ((q - z) * s) in float32,
  over K a multiple of the group, K not a multiple of the group, odd K,
  K below one lane block, groups 16 / 32 / 64 / 128 / 512 (more than one
  dequantized chunk per group), 1 to 9 rows, with a
  fused relu. Tolerance: 2e-6 of sum |x| |w| per output (float32 sums);
- every row of a prefill equals the same row computed alone, bit for bit
  (the order of a dot product depends on K only).
Exits 1 on any failure.
"""

import ctypes
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
RUNTIME = ROOT / "runtime-stubs" / "c"
F = np.float32
ACT_NONE, ACT_RELU = 0, 1


def build():
    out = Path(tempfile.mkdtemp(prefix="pare-llm-w4-")) / "libpare_llm_w4.so"
    subprocess.run([os.environ.get("CC", "gcc"), "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                    "-O3", "-shared", "-fPIC", str(RUNTIME / "pare_llm_w4.c"), "-lm", "-o", str(out)],
                   check=True)
    lib = ctypes.CDLL(str(out))
    P, I, Fl = ctypes.c_void_p, ctypes.c_int32, ctypes.c_float
    lib.pare_matmul_nbits_f32.argtypes = [P, P, P, P, P, I, I, I, I, ctypes.c_int, Fl, Fl]
    lib.pare_pack_u4.argtypes = [P, P, I, I]
    return lib


def ptr(a):
    return a.ctypes.data_as(ctypes.c_void_p)


def pack_ref(q):
    n, k = q.shape
    padded = np.zeros((n, k + k % 2), np.uint8)
    padded[:, :k] = q
    return (padded[:, 0::2] | (padded[:, 1::2] << 4)).astype(np.uint8)


failures = []


def main():
    lib = build()
    rng = np.random.default_rng(7)
    cases = [  # (rows, K, N, group)
        (1, 64, 8, 32), (1, 96, 5, 64), (3, 100, 7, 32), (2, 77, 6, 16), (4, 13, 3, 16),
        (9, 200, 11, 128), (5, 1, 4, 16), (1, 257, 9, 64), (6, 48, 2, 16), (2, 700, 3, 512)]
    for rows, k, n, group in cases:
        for act in (ACT_NONE, ACT_RELU):
            groups = (k + group - 1) // group
            q = rng.integers(0, 16, (n, k)).astype(np.int8)
            z = rng.integers(0, 16, (n, groups)).astype(np.uint8)
            s = (rng.random((n, groups), dtype=F) * 0.1 + 0.01).astype(F)
            x = rng.standard_normal((rows, k)).astype(F)
            packed = np.zeros((n, (k + 1) // 2), np.uint8)
            lib.pare_pack_u4(ptr(q), ptr(packed), n, k)
            name = f"rows {rows} K {k} N {n} group {group}{' relu' if act else ''}"
            if not np.array_equal(packed, pack_ref(q)):
                print(f"FAIL  pack {name}")
                failures.append("pack " + name)
            y = np.full((rows, n), np.nan, F)
            lib.pare_matmul_nbits_f32(ptr(x), ptr(packed), ptr(s), ptr(z), ptr(y), rows, k, n, group,
                                      act, 0.0, 0.0)
            gi = np.arange(k) // group
            w = ((q.astype(F) - z[:, gi].astype(F)) * s[:, gi]).astype(F)  # [N, K] in float32
            ref = x.astype(np.float64) @ w.T.astype(np.float64)
            bound = 2e-6 * (np.abs(x).astype(np.float64) @ np.abs(w).T.astype(np.float64)) + 1e-30
            if act == ACT_RELU:
                ref = np.maximum(ref, 0.0)
            err = np.abs(y.astype(np.float64) - ref)
            ok = bool((err <= bound).all())
            # A row alone gives the same bits as inside the chunk.
            same = True
            for r in range(rows):
                yr = np.full((1, n), np.nan, F)
                lib.pare_matmul_nbits_f32(ptr(np.ascontiguousarray(x[r:r + 1])), ptr(packed), ptr(s),
                                          ptr(z), ptr(yr), 1, k, n, group, act, 0.0, 0.0)
                same = same and np.array_equal(yr[0].view(np.uint32), y[r].view(np.uint32))
            print(f"{'ok  ' if ok and same else 'FAIL'}  {name}: max err {err.max():.3g} "
                  f"(bound {bound.min():.3g}..), rows alone {'identical' if same else 'DIFFER'}")
            if not (ok and same):
                failures.append(name)
    if failures:
        print(f"{len(failures)} failure(s): {', '.join(failures)}")
        return 1
    print("all pare_llm_w4 checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
