#!/usr/bin/env bash
# On the GPU machine (H100 / H200): issue 17's programmatic dependent launch (PDL) of the decode
# kernels (runtime-stubs/cuda-llm, pare_cu_llm_device.cuh's pdl_launch / pdl_wait).
#
#   tests/cuda/run_pdl_check.sh [--arch ARCH] [--build DIR | --bin-dir DIR]
#
# ARCH: sm_90 by default (sm_80 builds the no-PDL device code: on an H100 the launches then go
# without the attribute and the tests say "PDL NOT active"). --build DIR only builds the two
# test programs into DIR (no GPU needed: build them here, under flock /tmp/pare-build.lock on a
# shared machine, and carry DIR to the GPU machine) and
# --bin-dir DIR runs those instead of building (saves the 1-2 minutes of nvcc).
#
# 1. Builds tests/cuda/test_llm_kernels.cu and test_llm_attn.cu with the kernels (nvcc -O3,
#    warnings as errors), the four compiles in parallel.
# 2. Runs both test programs (each prints its failures and "N passed, M failed"). Besides every
#    kernel test they capture whole decode steps into CUDA graphs with PDL off and on and require
#    bit-identical logits, sampled ids and caches over 16 steps: the fused step of a 2- and a
#    30-layer SmolLM2-135M shape, greedy and sampled, f16 and f32, a 2-layer Llama-2-7B shape;
#    and, over 4 steps, a 2-layer --cuda-fusion off step (every unfused kernel), f32 and f16.
#    Plain stream launches with PDL on must match too.
# 3. test_llm_attn --bench: decode attention and sampling times, then "step ..." lines, the
#    decode step (5 launches a layer + embed, lm_head, logits, sampling; f16, context 601,
#    weights from HBM) replayed from a graph with PDL off and on, us a step and tokens/s, for
#    SmolLM2-135M and Llama-2-7B at 2 layers and at their real depth (30, 32).
# Prints "PDL check: N passed, M failed" at the end; exits 1 on a failure or a step that does
# not finish (each run is under a timeout).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ARCH=sm_90
BUILD=""
BIN=""
while [[ $# -gt 0 ]]; do
  case "$1" in
  --arch) ARCH="$2"; shift 2 ;;
  --build) BUILD="$2"; shift 2 ;;
  --bin-dir) BIN="$(realpath "$2")"; shift 2 ;;
  *) echo "usage: $0 [--arch ARCH] [--build DIR | --bin-dir DIR]"; exit 2 ;;
  esac
done
export PATH="/usr/local/cuda/bin:$PATH"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
start=$SECONDS
# The two test programs into $1 (built with the kernels in parallel).
build_tests() {
  local out="$1" pids=() p src
  local flags=(-std=c++17 -O3 -arch="$ARCH" -Xcompiler -Wall,-Wextra -Werror all-warnings
    -I"$ROOT/runtime-stubs/cuda-llm" -I"$ROOT/runtime-stubs/c")
  for src in runtime-stubs/cuda-llm/pare_cu_llm.cu runtime-stubs/cuda-llm/pare_cu_llm_attn.cu \
    tests/cuda/test_llm_kernels.cu tests/cuda/test_llm_attn.cu; do
    nvcc "${flags[@]}" -c "$ROOT/$src" -o "$WORK/$(basename "$src" .cu).o" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do
    wait "$p" || { echo "FAIL build"; return 1; }
  done
  mkdir -p "$out" &&
    nvcc -arch="$ARCH" "$WORK/test_llm_kernels.o" "$WORK/pare_cu_llm.o" -o "$out/test_llm_kernels" &&
    nvcc -arch="$ARCH" "$WORK/test_llm_attn.o" "$WORK/pare_cu_llm_attn.o" "$WORK/pare_cu_llm.o" \
      -o "$out/test_llm_attn" || { echo "FAIL link"; return 1; }
  echo "built $out/test_llm_kernels and test_llm_attn ($ARCH) in $((SECONDS - start)) s"
}
if [[ -n "$BUILD" ]]; then
  build_tests "$BUILD"
  exit
fi
nvidia-smi -L || true
if [[ -z "$BIN" ]]; then
  BIN="$WORK/bin"
  build_tests "$BIN" || { echo "PDL check: 0 passed, 1 failed"; exit 1; }
fi
pass=0
fail=0
result() { # status name
  if [[ "$1" == 0 ]]; then pass=$((pass + 1)); echo "PASS $2"; else fail=$((fail + 1)); echo "FAIL $2 (rc $1)"; fi
}
t=$SECONDS
timeout 150 "$BIN/test_llm_kernels"
result $? "kernel tests, with the unfused decode step PDL on = off ($((SECONDS - t)) s)"
t=$SECONDS
timeout 150 "$BIN/test_llm_attn"
result $? "attention, sampling and decode step tests, PDL on = off ($((SECONDS - t)) s)"
t=$SECONDS
timeout 120 "$BIN/test_llm_attn" --bench
result $? "attention, sampling and decode step benchmarks ($((SECONDS - t)) s)"
echo "PDL check: $pass passed, $fail failed ($((SECONDS - start)) s)"
[[ $fail == 0 ]]
