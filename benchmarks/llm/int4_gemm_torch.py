#!/usr/bin/env python3
"""PyTorch's int4 weight-only product (torch._weight_int4pack_mm, the "tinygemm" kernel of gpt-fast)
and fp16 cuBLAS at issue 18's W4A16 shapes, the reference next to tests/cuda/test_w4_kernels.cu
--bench (pare's W4 GEMV / GEMM). y [M][N] = x [M][K] . dequant(w)[N][K]^T with groups of --group
(128) along K, for the Llama-2-7B linears K x N = 4096 x 4096, 4096 x 11008, 11008 x 4096, at M = 1
(decode: the weights stream once, so GB/s counts the int4 bytes plus the scales and zeros) and M =
512 (prefill, TFLOP/s). Then the 224 linears of one 7B-shaped decode step, summed from the M = 1
rows: 32 layers of q, k, v, o (4096 x 4096), gate and up (4096 x 11008) and down (11008 x 4096).
tinygemm takes bfloat16 activations (its CUDA kernel has no fp16 form); cuBLAS runs fp16. Times are
CUDA-event medians of --reps calls after warm-ups, weights already on the device.

Usage (needs a CUDA GPU and torch with CUDA):
  python3 benchmarks/llm/int4_gemm_torch.py [--reps 100] [--group 128]
Exits non-zero when torch has no GPU or (after the timings) tinygemm's product disagrees with a bf16 reference of the
same dequantized weights (max error over 2% of max|ref|) on a small check.
"""

import argparse
import sys

from int8_gemm_torch import time_ms  # the same CUDA-event median (this script's folder is on sys.path)

SHAPES = [(4096, 4096), (4096, 11008), (11008, 4096)]
# Linears of one Llama-2-7B decode step per shape, 32 layers.
STEP = {(4096, 4096): 4 * 32, (4096, 11008): 2 * 32, (11008, 4096): 1 * 32}


def pack(torch, n, k, group, device="cuda"):
    """Random int4 codes q [n][k] in 0..15, scales and zeros per group; returns tinygemm's packed
    weight, its scales_and_zeros and the dequantized bf16 weight [n][k] for checks. tinygemm's
    dequantization is (q - 8) * scale + zero (zero a float offset), per group."""
    q = torch.randint(0, 16, (n, k), dtype=torch.int32, device=device)
    scales = (torch.rand(k // group, n, device=device) * 0.02 + 0.001).to(torch.bfloat16)
    zeros = (torch.randn(k // group, n, device=device) * 0.01).to(torch.bfloat16)
    sz = torch.stack([scales, zeros], dim=2).contiguous()  # [k/group][n][2]
    try:  # torch >= 2.5: uint8 [n][k / 2], two codes a byte, the high nibble first
        u8 = ((q[:, ::2] << 4) | q[:, 1::2]).to(torch.uint8)
        packed = torch._convert_weight_to_int4pack(u8, 8)
    except (RuntimeError, TypeError):
        packed = torch._convert_weight_to_int4pack(q, 8)
    s = scales.float().t().repeat_interleave(group, dim=1)  # [n][k]
    z = zeros.float().t().repeat_interleave(group, dim=1)
    w = ((q.float() - 8) * s + z).to(torch.bfloat16)
    return packed, sz, w


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--group", type=int, default=128)
    ap.add_argument("--prefill-rows", type=int, default=512)
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("int4_gemm_torch: torch is not installed", file=sys.stderr)
        return 2
    if not torch.cuda.is_available():
        print("int4_gemm_torch: torch sees no CUDA device", file=sys.stderr)
        return 2
    g = args.group
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}, groups of {g}")
    packed, sz, w = pack(torch, 256, 512, g)
    x = torch.randn(8, 512, dtype=torch.bfloat16, device="cuda")
    got = torch._weight_int4pack_mm(x, packed, g, sz).float()
    ref = (x.float() @ w.float().t())
    err = (got - ref).abs().max().item() / ref.abs().max().item()
    print(f"check: tinygemm vs bf16 reference of the dequantized weights: {err:.2e} of max|ref|")
    ok = err < 0.02
    if not ok:  # the timings below still run: the kernel is the same whatever the nibble order
        print("FAIL torch._weight_int4pack_mm differs from the dequantized product", file=sys.stderr)
    print(f"{'M':>4} {'K':>6} {'N':>6} | {'tinygemm ms':>11} {'GB/s|TF':>8} | {'fp16 ms':>8} "
          f"{'GB/s|TF':>8} | fp16/int4")
    step = {"int4": 0.0, "fp16": 0.0}
    for m in (1, args.prefill_rows):
        for k, n in SHAPES:
            packed, sz, _ = pack(torch, n, k, g)
            xb = torch.randn(m, k, dtype=torch.bfloat16, device="cuda")
            x16 = torch.randn(m, k, dtype=torch.float16, device="cuda")
            w16t = torch.randn(n, k, dtype=torch.float16, device="cuda").t()
            t4 = time_ms(torch, lambda: torch._weight_int4pack_mm(xb, packed, g, sz), args.reps)
            t16 = time_ms(torch, lambda: torch.matmul(x16, w16t), args.reps)
            if m == 1:
                b4 = n * k / 2 + n * (k // g) * 4  # codes + bf16 scale and zero per group
                r4, r16 = f"{b4 / t4 / 1e6:8.0f}", f"{2.0 * n * k / t16 / 1e6:8.0f}"
                step["int4"] += STEP[(k, n)] * t4
                step["fp16"] += STEP[(k, n)] * t16
            else:
                ops = 2.0 * m * n * k
                r4, r16 = f"{ops / t4 / 1e9:8.0f}", f"{ops / t16 / 1e9:8.0f}"
            print(f"{m:4d} {k:6d} {n:6d} | {t4:11.4f} {r4} | {t16:8.4f} {r16} | {t16 / t4:.2f}x")
            del packed, sz, xb, x16, w16t
    print(f"7B-shaped decode step, 224 linears (sum of the M = 1 rows): tinygemm int4 g{g} "
          f"{step['int4']:.3f} ms | fp16 cuBLAS {step['fp16']:.3f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
