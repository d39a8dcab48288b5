#!/usr/bin/env python3
"""runtime-stubs/c/pare_llm.c against NumPy (float64 references).

Builds pare_llm.c as a shared library (-std=c99 -Wall -Wextra -Werror
-pedantic) and calls each kernel through ctypes on random data: the cases the
decoder end-to-end tests do not reach (interleaved rotary, rotated dims fewer
than head_dim, attention over a whole sequence with more keys than queries,
without the causal mask, three query heads per KV head, a KV cache layer's
strides, in-place RMS norm and rotary, fused activations). Tolerance: 1e-5 of
the largest reference value (float32 sums). Exits 1 on any failure.
"""

import ctypes
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
RUNTIME = ROOT / "runtime-stubs" / "c"
F = np.float32


def build(extra=()):
    out = Path(tempfile.mkdtemp(prefix="pare-llm-kernels-")) / "libpare_llm.so"
    subprocess.run([os.environ.get("CC", "gcc"), "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                    "-O2", "-shared", "-fPIC", *extra, str(RUNTIME / "pare_llm.c"), "-lm", "-o", str(out)],
                   check=True)
    return out


def uses_pthreads(lib_path):
    syms = subprocess.run(["nm", "-D", "--undefined-only", str(lib_path)], check=True, capture_output=True,
                          text=True).stdout
    return "pthread_create" in syms


def check_threads(lib, rng):
    """-DPARE_LLM_THREADS=3 -pthread: the matmul split over three threads (blocks of four outputs, an
    uneven split) gives the single-threaded results bit for bit; the default build has no pthreads."""
    path = build(["-DPARE_LLM_THREADS=3", "-pthread"])
    threaded = ctypes.CDLL(str(path))
    i32, f32 = ctypes.c_int32, ctypes.c_float
    ok = uses_pthreads(path)
    print(f"{'ok  ' if ok else 'FAIL'}  -DPARE_LLM_THREADS=3 build starts threads (pthread_create referenced)")
    if not ok:
        failures.append("threads build")
    for rows, k, outs in ((1, 576, 1538), (7, 100, 203), (1, 16, 9)):
        x = rng.standard_normal((rows, k)).astype(F)
        wt = rng.standard_normal((outs, k)).astype(F)
        ys = [np.zeros((rows, outs), F) for _ in range(2)]
        for one, y in zip((lib, threaded), ys):
            one.pare_matmul_nt_f32(ptr(x), ptr(wt), ptr(y), i32(rows), i32(k), i32(outs), ctypes.c_int(1),
                                   f32(0), f32(0))
        same = np.array_equal(ys[0], ys[1])
        print(f"{'ok  ' if same else 'FAIL'}  3 threads == 1 thread bit for bit (rows={rows} k={k} outs={outs})")
        if not same:
            failures.append(f"threads rows={rows}")


def ptr(a):
    return a.ctypes.data_as(ctypes.c_void_p)


failures = []


def check(name, got, ref, tol=1e-5):
    err = float(np.abs(got.astype(np.float64) - ref).max()) if ref.size else 0.0
    scale = max(float(np.abs(ref).max()), 1e-30) if ref.size else 1.0
    ok = err <= tol * scale
    print(f"{'ok  ' if ok else 'FAIL'}  {name}: max err {err:.3g} (max |ref| {scale:.3g})")
    if not ok:
        failures.append(name)


def rotary_ref(x, pos, heads, hd, freq, interleaved):
    y = x.astype(np.float64).reshape(len(pos), heads, hd).copy()
    xh = x.astype(np.float64).reshape(len(pos), heads, hd)
    half = len(freq)
    ang = (pos.astype(F)[:, None] * freq[None, :].astype(F)).astype(np.float64)
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    ia = np.arange(half) * 2 if interleaved else np.arange(half)
    ib = ia + 1 if interleaved else ia + half
    a, b = xh[:, :, ia], xh[:, :, ib]
    y[:, :, ia] = a * c - b * s
    y[:, :, ib] = b * c + a * s
    return y.reshape(x.shape)


def attention_ref(q, k, v, heads, kvh, hd, scale, causal):
    S, T = q.shape[0], k.shape[0]
    y = np.zeros(q.shape)
    for h in range(heads):
        g = h // (heads // kvh)
        sc = scale * q[:, h * hd:(h + 1) * hd].astype(np.float64) @ k[:, g * hd:(g + 1) * hd].T
        if causal:
            sc = sc + np.where(np.arange(T)[None, :] <= np.arange(S)[:, None] + (T - S), 0.0, -np.inf)
        sc = np.exp(sc - sc.max(axis=1, keepdims=True))
        y[:, h * hd:(h + 1) * hd] = (sc / sc.sum(axis=1, keepdims=True)) @ v[:, g * hd:(g + 1) * hd]
    return y


def check_vector_fma():
    """The GEMV's inner loop compiles to vector FMAs with memory operands (issue 17: portable C that
    gcc -O3 vectorises; under -std=c99 gcc contracts no a * b + c, so the kernel asks for fmaf where
    FP_FAST_FMAF says it is one instruction). x86-64 with AVX2 + FMA code generation only."""
    if platform.machine() not in ("x86_64", "AMD64"):
        print("skip  vector FMA check: not an x86-64 host")
        return
    asm = subprocess.run([os.environ.get("CC", "gcc"), "-std=c99", "-O3", "-mavx2", "-mfma", "-S", "-o", "-",
                          str(RUNTIME / "pare_llm.c")], check=True, capture_output=True, text=True).stdout
    fma = re.findall(r"vfmadd\d+ps\s+[^,]*\(%\w+[^)]*\),\s*%ymm", asm)
    ok = len(fma) >= 8
    print(f"{'ok  ' if ok else 'FAIL'}  pare_llm.c at -O3 -mavx2 -mfma: {len(fma)} ymm FMAs with a memory operand "
          "(>= 8: the four-output GEMV block)")
    if not ok:
        failures.append("vector FMA")


def main():
    lib_path = build()
    lib = ctypes.CDLL(str(lib_path))
    i32, i64, f32 = ctypes.c_int32, ctypes.c_int64, ctypes.c_float
    rng = np.random.default_rng(16)

    # RMS norm, in place.
    x = rng.standard_normal((5, 24)).astype(F)
    w = rng.standard_normal(24).astype(F)
    ref = x / np.sqrt(np.mean(x.astype(np.float64) ** 2, axis=1, keepdims=True) + 1e-6) * w
    lib.pare_rms_norm_f32(ptr(x), ptr(w), ptr(x), i32(5), i32(24), f32(1e-6))
    check("rms_norm in place", x, ref)

    # Matmul with the weight stored [N, K], fused sigmoid (k not a multiple of 4).
    x = rng.standard_normal((3, 13)).astype(F)
    wt = rng.standard_normal((7, 13)).astype(F)
    y = np.zeros((3, 7), F)
    lib.pare_matmul_nt_f32(ptr(x), ptr(wt), ptr(y), i32(3), i32(13), i32(7), ctypes.c_int(4), f32(0), f32(0))
    check("matmul_nt + sigmoid", y, 1 / (1 + np.exp(-(x.astype(np.float64) @ wt.T.astype(np.float64)))))

    # The blocked matmul (issue 17): blocks of four outputs plus the rest, 16
    # lanes plus a tail of k % 16, one row (decode) and chunks of rows
    # (prefill); each row of a chunk equals that row computed alone bit for bit.
    for rows, k, outs in ((1, 576, 9), (5, 37, 11), (3, 16, 4), (2, 15, 3), (64, 80, 6)):
        x = rng.standard_normal((rows, k)).astype(F)
        wt = rng.standard_normal((outs, k)).astype(F)
        y = np.zeros((rows, outs), F)
        lib.pare_matmul_nt_f32(ptr(x), ptr(wt), ptr(y), i32(rows), i32(k), i32(outs), ctypes.c_int(0),
                               f32(0), f32(0))
        check(f"matmul_nt rows={rows} k={k} outs={outs}", y, x.astype(np.float64) @ wt.T.astype(np.float64))
        alone = np.zeros((1, outs), F)
        same = True
        for r in range(rows):
            lib.pare_matmul_nt_f32(ptr(x[r:r + 1].copy()), ptr(wt), ptr(alone), i32(1), i32(k), i32(outs),
                                   ctypes.c_int(0), f32(0), f32(0))
            same = same and np.array_equal(alone[0], y[r])
        print(f"{'ok  ' if same else 'FAIL'}  matmul_nt rows={rows}: each row == that row alone (bit for bit)")
        if not same:
            failures.append(f"matmul_nt rows={rows} row equality")

    # Embedding gather.
    table = rng.standard_normal((11, 6)).astype(F)
    ids = np.array([3, 0, 10, 3], np.int32)
    y = np.zeros((4, 6), F)
    lib.pare_embed_f32(ptr(table), ptr(ids), ptr(y), i32(4), i32(6))
    check("embed", y, table[ids].astype(np.float64), tol=0)

    # Rotary: rotate_half and interleaved, 2 of 3 heads' 8 dims rotated in 3 pairs.
    for interleaved in (0, 1):
        x = rng.standard_normal((4, 3 * 8)).astype(F)
        pos = np.array([0, 5, 6, 200], np.int64)
        freq = np.array([1.0, 0.1, 0.01], F)
        y = np.zeros_like(x)
        lib.pare_rotary_f32(ptr(x), ptr(y), ptr(pos), i32(4), i32(3), i32(8), ptr(freq), i32(3),
                            ctypes.c_int(interleaved))
        check(f"rotary interleaved={interleaved}", y, rotary_ref(x, pos, 3, 8, freq, interleaved))
        ref = rotary_ref(x, pos, 3, 8, freq, interleaved)
        lib.pare_rotary_f32(ptr(x), ptr(x), ptr(pos), i32(4), i32(3), i32(8), ptr(freq), i32(3),
                            ctypes.c_int(interleaved))
        check(f"rotary interleaved={interleaved} in place", x, ref)

    # Attention over a whole sequence: 6 heads on 2 KV heads, 3 queries on 7 keys.
    heads, kvh, hd, S, T = 6, 2, 4, 3, 7
    q = rng.standard_normal((S, heads * hd)).astype(F)
    k = rng.standard_normal((T, kvh * hd)).astype(F)
    v = rng.standard_normal((T, kvh * hd)).astype(F)
    scratch = np.zeros(T, F)
    for causal in (0, 1):
        y = np.zeros_like(q)
        lib.pare_attention_f32(ptr(q), ptr(k), ptr(v), ptr(y), i32(S), i32(T), i64(kvh * hd), i64(hd),
                               i32(heads), i32(kvh), i32(hd), f32(0.5), ctypes.c_int(causal), i32(T - S),
                               ptr(scratch))
        check(f"attention sequence causal={causal}", y, attention_ref(q, k, v, heads, kvh, hd, 0.5, causal))

    # The same through a KV cache layer [kv_heads][max_context][head_dim]:
    # store the 7 rows at positions 0..6 (two calls), then attend from 4.
    maxc = 9
    kc = np.full((kvh, maxc, hd), np.nan, F)
    vc = np.full((kvh, maxc, hd), np.nan, F)
    lib.pare_kv_store_f32(ptr(k), ptr(v), ptr(kc), ptr(vc), i32(4), i32(kvh), i32(hd), i32(maxc), i32(0))
    lib.pare_kv_store_f32(ptr(k[4:].copy()), ptr(v[4:].copy()), ptr(kc), ptr(vc), i32(3), i32(kvh), i32(hd),
                          i32(maxc), i32(4))
    check("kv_store", kc[:, :T, :].transpose(1, 0, 2).reshape(T, kvh * hd), k.astype(np.float64), tol=0)
    scratch = np.zeros(maxc, F)
    y = np.zeros_like(q)
    lib.pare_attention_f32(ptr(q), ptr(kc), ptr(vc), ptr(y), i32(S), i32(T), i64(hd), i64(maxc * hd),
                           i32(heads), i32(kvh), i32(hd), f32(0.5), ctypes.c_int(1), i32(T - S), ptr(scratch))
    check("attention from the KV cache (causal, first position 4)", y,
          attention_ref(q, k, v, heads, kvh, hd, 0.5, 1))

    check_vector_fma()
    ok = not uses_pthreads(lib_path)
    print(f"{'ok  ' if ok else 'FAIL'}  the default build uses no pthreads")
    if not ok:
        failures.append("default build pthreads")
    check_threads(lib, rng)
    print("all passed" if not failures else f"FAILED: {', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
