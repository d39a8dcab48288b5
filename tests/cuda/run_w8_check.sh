#!/usr/bin/env bash
# On the GPU machine: the W8A8 (SmoothQuant, issue 19) CUDA kernels.
#  1. tests/cuda/test_llm_w8.cu: pare_llm_linear_w8a8_f32 / _f16 (quantize pass, dp4a GEMV,
#     int8 mma.sync GEMM) against the C target's pare_llm_w8.c, linked in: codes and row scales
#     bit for bit, y bit for bit without the norm prologue; built three times, with the
#     defaults, the alternative GEMM warp tile and decode GEMV, and the sm_90a wgmma GEMM;
#  2. test_llm_w8 --bench: the one-row GEMV's GB/s at 4096 x 4096, 4096 x 11008, 11008 x 4096,
#     and the prefill GEMM at M = 512 and 2048 on the same shapes next to cuBLAS fp16 (f32
#     accumulation) and cuBLASLt int8 (s8 x s8 -> s32);
#  3. benchmarks/llm/int8_gemm_torch.py: torch._int_mm and torch fp16 matmul at those shapes
#     (skipped with a note when PYTHON has no torch with CUDA).
#
#   tests/cuda/run_w8_check.sh [ARCH]      (ARCH: sm_90 by default; PYTHON: python3)
#
# Prints PASS / FAIL lines, the figures, and "w8 check: N passed, M failed"; exits 1 on a failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ARCH="${1:-sm_90}"
PYTHON="${PYTHON:-python3}"
export PATH="/usr/local/cuda/bin:$PATH"
CC="${CC:-cc}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
nvidia-smi -L || true
pass=0
fail=0
result() { # status name
  if [[ "$1" == 0 ]]; then pass=$((pass + 1)); echo "PASS $2"; else fail=$((fail + 1)); echo "FAIL $2"; fi
}

# Three builds, each checked and timed: the defaults (GEMM warp tile 64 x 32, one-launch decode
# GEMV), the alternatives (-DPARE_LLM_W8_GEMM_WN=64: 64 x 64 warp tiles; -DPARE_LLM_W8_FUSED_GEMV=0:
# quantize, then GEMV), and the experimental Hopper GEMM (-DPARE_LLM_W8_WGMMA, sm_90a).
"$CC" -std=c99 -O2 -I"$ROOT/runtime-stubs/c" -c "$ROOT/runtime-stubs/c/pare_llm_w8.c" -o "$WORK/pare_llm_w8.o"
result $? "build pare_llm_w8.o (the C reference)"
VARIANTS=(default alt wgmma)
declare -A FLAGS=([default]="-arch=$ARCH" [alt]="-arch=$ARCH -DPARE_LLM_W8_GEMM_WN=64 -DPARE_LLM_W8_FUSED_GEMV=0"
  [wgmma]="-arch=sm_90a -DPARE_LLM_W8_WGMMA")
declare -A NAME=([default]="warp tile 64x32, fused GEMV" [alt]="warp tile 64x64, quantize + GEMV"
  [wgmma]="experimental sm_90a wgmma GEMM")
for v in "${VARIANTS[@]}"; do
  nvcc -std=c++17 -O3 ${FLAGS[$v]} -I"$ROOT/runtime-stubs/cuda-llm" \
    -I"$ROOT/runtime-stubs/c" -DPARE_BENCH_CUBLAS "$ROOT/tests/cuda/test_llm_w8.cu" \
    "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm_w8.cu" "$WORK/pare_llm_w8.o" -lcublas -lcublasLt \
    -o "$WORK/test_llm_w8_$v" > "$WORK/build_$v.log" 2>&1 &
done
wait
for v in "${VARIANTS[@]}"; do
  cat "$WORK/build_$v.log"
  [[ -x "$WORK/test_llm_w8_$v" ]]
  result $? "build test_llm_w8 (${FLAGS[$v]}: ${NAME[$v]})"
done
for v in "${VARIANTS[@]}"; do
  [[ -x "$WORK/test_llm_w8_$v" ]] || continue
  "$WORK/test_llm_w8_$v" > "$WORK/kernels.log" 2>&1
  status=$?
  grep -E "^FAIL|passed|\.cu:[0-9]+:|no CUDA" "$WORK/kernels.log"
  result $status "int8 kernels vs the C target (pare_llm_w8.c), ${NAME[$v]}"
done
for v in "${VARIANTS[@]}"; do
  [[ -x "$WORK/test_llm_w8_$v" ]] || continue
  echo "--- timings, ${NAME[$v]}"
  "$WORK/test_llm_w8_$v" --bench
  result $? "int8 GEMV / GEMM timings, ${NAME[$v]} (cuBLAS fp16, cuBLASLt int8)"
done

if "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  "$PYTHON" "$ROOT/benchmarks/llm/int8_gemm_torch.py"
  result $? "torch._int_mm / fp16 matmul timings"
else
  echo "note: $PYTHON has no torch with CUDA: benchmarks/llm/int8_gemm_torch.py skipped"
fi
echo "w8 check: $pass passed, $fail failed"
[[ $fail == 0 ]]
