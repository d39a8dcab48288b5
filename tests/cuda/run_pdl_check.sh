#!/usr/bin/env bash
# On the GPU machine (H100 / H200): issue 17's programmatic dependent launch (PDL) of the decode
# kernels (runtime-stubs/cuda-llm, pare_cu_llm_device.cuh's pdl_launch / pdl_wait).
#
#   tests/cuda/run_pdl_check.sh [ARCH]      (ARCH: sm_90 by default; sm_80 builds the no-PDL code)
#
# 1. Builds tests/cuda/test_llm_kernels.cu and test_llm_attn.cu with the kernels (nvcc -O3,
#    warnings as errors), the four compiles in parallel.
# 2. Runs both test programs (each prints its failures and "N passed, M failed"). Besides every
#    kernel test they capture whole decode steps into CUDA graphs with PDL off and on and require
#    bit-identical logits, sampled ids and caches over 16 steps: the fused step of a 2- and a
#    30-layer SmolLM2-135M shape, greedy and sampled, f16 and f32, a 2-layer Llama-2-7B shape;
#    and a 2-layer --cuda-fusion off step (every unfused kernel), f32 and f16. Plain stream
#    launches with PDL on must match too.
# 3. test_llm_attn --bench: decode attention and sampling times, then "step ..." lines, the
#    decode step (5 launches a layer + embed, lm_head, logits, sampling; f16, context 601,
#    weights from HBM) replayed from a graph with PDL off and on, us a step and tokens/s, for
#    SmolLM2-135M and Llama-2-7B at 2 layers and at their real depth (30, 32).
# Prints "PDL check: N passed, M failed" at the end; exits 1 on a failure or a step that does
# not finish (each run is under a timeout).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ARCH="${1:-sm_90}"
export PATH="/usr/local/cuda/bin:$PATH"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
nvidia-smi -L || true
FLAGS=(-std=c++17 -O3 -arch="$ARCH" -Xcompiler -Wall,-Wextra -Werror all-warnings
  -I"$ROOT/runtime-stubs/cuda-llm" -I"$ROOT/runtime-stubs/c")
start=$SECONDS
pids=()
for src in runtime-stubs/cuda-llm/pare_cu_llm.cu runtime-stubs/cuda-llm/pare_cu_llm_attn.cu \
  tests/cuda/test_llm_kernels.cu tests/cuda/test_llm_attn.cu; do
  nvcc "${FLAGS[@]}" -c "$ROOT/$src" -o "$WORK/$(basename "$src" .cu).o" &
  pids+=($!)
done
for p in "${pids[@]}"; do
  wait "$p" || { echo "FAIL build"; echo "PDL check: 0 passed, 1 failed"; exit 1; }
done
nvcc -arch="$ARCH" "$WORK/test_llm_kernels.o" "$WORK/pare_cu_llm.o" -o "$WORK/test_llm_kernels" &&
  nvcc -arch="$ARCH" "$WORK/test_llm_attn.o" "$WORK/pare_cu_llm_attn.o" "$WORK/pare_cu_llm.o" \
    -o "$WORK/test_llm_attn" || { echo "FAIL link"; echo "PDL check: 0 passed, 1 failed"; exit 1; }
echo "built in $((SECONDS - start)) s"
pass=0
fail=0
result() { # status name
  if [[ "$1" == 0 ]]; then pass=$((pass + 1)); echo "PASS $2"; else fail=$((fail + 1)); echo "FAIL $2 (rc $1)"; fi
}
t=$SECONDS
timeout 150 "$WORK/test_llm_kernels"
result $? "kernel tests, with the unfused decode step PDL on = off ($((SECONDS - t)) s)"
t=$SECONDS
timeout 150 "$WORK/test_llm_attn"
result $? "attention, sampling and decode step tests, PDL on = off ($((SECONDS - t)) s)"
t=$SECONDS
timeout 120 "$WORK/test_llm_attn" --bench
result $? "attention, sampling and decode step benchmarks ($((SECONDS - t)) s)"
echo "PDL check: $pass passed, $fail failed ($((SECONDS - start)) s)"
[[ $fail == 0 ]]
