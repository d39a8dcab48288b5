#!/usr/bin/env python3
"""PyTorch's int8 and fp16 GEMMs at the W8A8 prefill shapes of issue 19, the
reference next to tests/cuda/test_llm_w8.cu --bench (pare's int8 GEMM, cuBLAS
fp16, cuBLASLt int8): torch._int_mm (int8 x int8 -> int32, cuBLASLt's IMMA
kernels) and torch.matmul in fp16, y [M][N] = x [M][K] . w[N][K]^T, for M =
512 and 2048 and the Llama-2-7B linears K x N = 4096 x 4096, 4096 x 11008,
11008 x 4096. Times are CUDA-event medians of REPS calls after a warm-up, on
weights already on the device (each call reads them from L2 or memory as
cuBLAS does); TOPS / TFLOP/s count 2 M N K operations.

Usage (needs a CUDA GPU and torch with CUDA):
  python3 benchmarks/llm/int8_gemm_torch.py [--reps 50] [--rows 512,2048]
Prints one table row per shape and exits non-zero if torch has no GPU or an
int8 product disagrees with an exact int64 reference on a small check.
"""

import argparse
import sys

SHAPES = [(4096, 4096), (4096, 11008), (11008, 4096)]


def time_ms(torch, fn, reps):
    """Median milliseconds of fn() over reps calls (after 3 warm-ups)."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a = torch.cuda.Event(enable_timing=True)
        b = torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    times.sort()
    return times[len(times) // 2]


def check_int_mm(torch):
    """torch._int_mm on a small product equals the exact sum (what the
    timings below measure is the right operation)."""
    g = torch.Generator(device="cpu").manual_seed(19)
    x = torch.randint(-127, 128, (32, 64), dtype=torch.int8, generator=g)
    w = torch.randint(-127, 128, (48, 64), dtype=torch.int8, generator=g)
    got = torch._int_mm(x.cuda(), w.cuda().t()).cpu().to(torch.int64)
    want = x.to(torch.int64) @ w.to(torch.int64).t()
    return bool(torch.equal(got, want))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--rows", default="512,2048", help="comma-separated M values")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("int8_gemm_torch: torch is not installed", file=sys.stderr)
        return 2
    if not torch.cuda.is_available():
        print("int8_gemm_torch: torch sees no CUDA device", file=sys.stderr)
        return 2
    rows = [int(r) for r in args.rows.split(",") if r]
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}")
    if not check_int_mm(torch):
        print("FAIL torch._int_mm differs from the exact int64 product", file=sys.stderr)
        return 1
    print(f"{'M':>5} {'K':>6} {'N':>6} | {'_int_mm ms':>10} {'TOPS':>6} | "
          f"{'fp16 ms':>8} {'TFLOP/s':>7} | int8/fp16")
    for m in rows:
        for k, n in SHAPES:
            x8 = torch.randint(-127, 128, (m, k), dtype=torch.int8, device="cuda")
            w8 = torch.randint(-127, 128, (n, k), dtype=torch.int8, device="cuda")
            w8t = w8.t()  # [K][N], column-major view: the TN layout _int_mm wants
            x16 = torch.randn(m, k, dtype=torch.float16, device="cuda")
            w16t = torch.randn(n, k, dtype=torch.float16, device="cuda").t()
            ops = 2.0 * m * n * k
            i8 = time_ms(torch, lambda: torch._int_mm(x8, w8t), args.reps)
            f16 = time_ms(torch, lambda: torch.matmul(x16, w16t), args.reps)
            print(f"{m:5d} {k:6d} {n:6d} | {i8:10.4f} {ops / i8 / 1e9:6.0f} | "
                  f"{f16:8.4f} {ops / f16 / 1e9:7.0f} | {f16 / i8:.2f}x")
            del x8, w8, w8t, x16, w16t
    return 0


if __name__ == "__main__":
    sys.exit(main())
