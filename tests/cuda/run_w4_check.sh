#!/usr/bin/env bash
# On the GPU machine: the 4-bit (W4A16, issue 18) CUDA path.
#  1. tests/cuda/test_w4_kernels.cu: pare_llm_matmul_w4_f32 / _f16 (GEMV and tiled GEMM) and
#     the fused int4 kernels pare_llm_linear_w4 / gated_w4 / qkv_w4 (norm prologue, residual,
#     SiLU-gate, rotary and KV-cache epilogues; decode GEMV and prefill) against a float64
#     reference of pare.matmul_nbits;
#  2. the W4 decoders that tests/cuda/prepare_w4_check.sh staged in DIR (default build/w4-check:
#     each fused, the default, and with --cuda-fusion off),
#     by tests/cuda/run_decoder_check.sh: logits of prefill, decode, prefill + decode and
#     chunked prefills against the C target / onnxruntime, the API's error paths, timings;
#  3. test_w4_kernels --bench: the decode GEMV in W4 (groups of 128) against the fp16 GEMV
#     (pare_llm_matmul_f16) at K x N = 4096 x 4096, 4096 x 11008, 11008 x 4096, microseconds and
#     GB/s, and the same shapes as 512-row prefills (TFLOP/s).
#
#   tests/cuda/run_w4_check.sh [DIR] [ARCH]      (ARCH: sm_90 by default)
#
# Prints PASS / FAIL lines, the figures, and "w4 check: N passed, M failed"; exits 1 on a failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${1:-$ROOT/build/w4-check}"
ARCH="${2:-sm_90}"
export PATH="/usr/local/cuda/bin:$PATH"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
pass=0
fail=0
result() { # status name
  if [[ "$1" == 0 ]]; then pass=$((pass + 1)); echo "PASS $2"; else fail=$((fail + 1)); echo "FAIL $2"; fi
}

nvcc -std=c++17 -O3 -arch="$ARCH" -I"$ROOT/runtime-stubs/cuda-llm" -I"$ROOT/runtime-stubs/c" \
  "$ROOT/tests/cuda/test_w4_kernels.cu" "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm_w4.cu" \
  "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm.cu" -o "$WORK/test_w4_kernels"
result $? "build test_w4_kernels ($ARCH)"
if [[ -x "$WORK/test_w4_kernels" ]]; then
  "$WORK/test_w4_kernels" > "$WORK/kernels.log" 2>&1
  status=$?
  grep -E "^FAIL|passed" "$WORK/kernels.log"
  result $status "int4 kernels vs float64 reference"
fi

if [[ -d "$DIR" ]]; then
  bash "$ROOT/tests/cuda/run_decoder_check.sh" "$DIR" "$ARCH"
  result $? "W4 decoders in $DIR"
else
  result 1 "W4 decoders: $DIR missing (tests/cuda/prepare_w4_check.sh makes it)"
fi

if [[ -x "$WORK/test_w4_kernels" ]]; then
  "$WORK/test_w4_kernels" --bench
  result $? "int4 GEMV / GEMM timings"
fi
echo "w4 check: $pass passed, $fail failed"
[[ $fail == 0 ]]
