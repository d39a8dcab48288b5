#!/usr/bin/env bash
# On the GPU machine (H100 / H200): the cuBLASLt int8 prefill path of --cuda-gemm cublas
# (issue 19, runtime-stubs/cuda-llm/pare_cu_llm_blas_w8.cu).
#
#   tests/cuda/run_blas_w8_check.sh [--arch ARCH] [--build DIR | --bin-dir DIR]
#
# ARCH: sm_90a by default (pare_cu_llm.cu then with -DPARE_CU_SM90A: pare's Hopper fp16 GEMM in
# the fp16 reference). --build DIR only builds the test programs into DIR (no GPU needed: build
# them here, under flock /tmp/pare-build.lock on a shared machine, and carry DIR to the GPU
# machine); --bin-dir DIR runs those instead of building (saves the minutes of nvcc).
#
# 1. Builds tests/cuda/test_llm_blas_w8.cu with pare_cu_llm_blas_w8.cu three ways: the default
#    (one cuBLASLt product a call), 1 MiB row chunks (-DPARE_LLM_BLAS_W8_CHUNK_BYTES=1048576:
#    many chunks) and 24 MiB chunks (int32 sums kept in L2), each linked with
#    pare_cu_llm_blas.cu (pare_llm_blas_create, the fp16 entry points) and pare's kernels
#    (pare_cu_llm.cu, pare_cu_llm_w8.cu, pare_cu_llm_w4.cu); nvcc -O3, warnings as errors, in
#    parallel.
# 2. The default and 1 MiB builds: pare_llm_blas_linear_w8a8_f32 / _f16 against pare's own
#    pare_llm_linear_w8a8_* bit for bit (rows 1..2048, per token / per tensor, norm, residual,
#    activations, odd K and N, beyond the context's sizes), the context's int32 sums against the
#    exact sums of the codes, a graph capture, the argument checks.
# 3. The default and 24 MiB builds, --bench: M = 512 and 2048 by K x N = 4096 x 4096,
#    4096 x 11008, 11008 x 4096: the bare cuBLASLt int8 GEMM, the blas W8A8 linear (quantize +
#    cuBLASLt + epilogue), pare's own int8 linear, cuBLAS fp16, and the ratios to cuBLAS fp16;
#    then one Llama-2-7B layer's products at 512 and 2048 rows: fp16 (pare's kernels, the cuBLAS
#    path) against W8A8 (pare's int8 kernels, the cuBLASLt path).
# 4. benchmarks/llm/int8_gemm_torch.py: torch._int_mm and torch fp16 matmul at the same shapes
#    in the same run (skipped with a note when PYTHON, python3 by default, has no CUDA torch).
# Prints PASS / FAIL lines, the tables, and "blas w8 check: N passed, M failed"; exits 1 on a
# failure or a step that does not finish (each run is under a timeout).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ARCH=sm_90a
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
PYTHON="${PYTHON:-python3}"
export PATH="/usr/local/cuda/bin:$PATH"
LLM="$ROOT/runtime-stubs/cuda-llm"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
pass=0
fail=0
result() { # status name
  if [[ "$1" == 0 ]]; then pass=$((pass + 1)); echo "PASS $2"; else fail=$((fail + 1)); echo "FAIL $2"; fi
}

VARIANTS=(default chunk1m chunk24m)
declare -A VFLAGS=([default]="" [chunk1m]="-DPARE_LLM_BLAS_W8_CHUNK_BYTES=1048576"
  [chunk24m]="-DPARE_LLM_BLAS_W8_CHUNK_BYTES=25165824")

# The three test programs into $1.
build_tests() {
  local out="$1" i v src obj
  local flags=(-std=c++17 -O3 -arch="$ARCH" -Xcompiler -Wall,-Wextra -Werror all-warnings
    -I"$LLM" -I"$ROOT/runtime-stubs/cuda" -I"$ROOT/runtime-stubs/c")
  [[ "$ARCH" == sm_90a ]] && flags+=(-DPARE_CU_SM90A)
  local common=(pare_cu_llm_blas pare_cu_llm_w8 pare_cu_llm_w4 pare_cu_llm)
  local srcs=() objs=() vflags=() pids=()
  for src in "${common[@]}"; do
    srcs+=("$LLM/$src.cu"); objs+=("$WORK/$src.o"); vflags+=("")
  done
  for v in "${VARIANTS[@]}"; do
    srcs+=("$LLM/pare_cu_llm_blas_w8.cu"); objs+=("$WORK/pare_cu_llm_blas_w8_$v.o")
    vflags+=("${VFLAGS[$v]}")
    srcs+=("$ROOT/tests/cuda/test_llm_blas_w8.cu"); objs+=("$WORK/test_llm_blas_w8_$v.o")
    vflags+=("${VFLAGS[$v]}")
  done
  for i in "${!srcs[@]}"; do
    if [[ ! -f "${srcs[$i]}" ]]; then
      echo "missing ${srcs[$i]}"
      return 1
    fi
  done
  for i in "${!srcs[@]}"; do
    # shellcheck disable=SC2086
    nvcc "${flags[@]}" ${vflags[$i]} -c "${srcs[$i]}" -o "${objs[$i]}" > "${objs[$i]}.log" 2>&1 &
    pids+=($!)
  done
  local ok=0
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { ok=1; cat "${objs[$i]}.log"; }
  done
  [[ $ok == 0 ]] || return 1
  mkdir -p "$out" || return 1
  local common_objs=()
  for src in "${common[@]}"; do common_objs+=("$WORK/$src.o"); done
  for v in "${VARIANTS[@]}"; do
    nvcc -arch="$ARCH" "$WORK/test_llm_blas_w8_$v.o" "$WORK/pare_cu_llm_blas_w8_$v.o" \
      "${common_objs[@]}" -lcublas -lcublasLt -o "$out/test_llm_blas_w8_$v" || return 1
  done
}

if [[ -n "$BUILD" ]]; then
  build_tests "$BUILD"
  result $? "build test_llm_blas_w8 x 3 into $BUILD (-arch=$ARCH, $((SECONDS)) s)"
  echo "blas w8 check: $pass passed, $fail failed"
  [[ $fail == 0 ]]
  exit
fi
nvidia-smi -L || true
if [[ -z "$BIN" ]]; then
  BIN="$WORK/bin"
  build_tests "$BIN"
  result $? "build test_llm_blas_w8 x 3 (-arch=$ARCH, $((SECONDS)) s)"
fi

for v in default chunk1m; do
  [[ -x "$BIN/test_llm_blas_w8_$v" ]] || { result 1 "no $BIN/test_llm_blas_w8_$v"; continue; }
  timeout 300 "$BIN/test_llm_blas_w8_$v" > "$WORK/check.log" 2>&1
  status=$?
  grep -E "^FAIL|^note|passed|\.cu:[0-9]+:|no CUDA" "$WORK/check.log"
  result $status "blas W8A8 linear == pare_llm_linear_w8a8 bit for bit, f32 and f16 ($v${VFLAGS[$v]:+ ${VFLAGS[$v]}})"
done
for v in default chunk24m; do
  [[ -x "$BIN/test_llm_blas_w8_$v" ]] || continue
  echo "--- int8 prefill GEMMs ($v${VFLAGS[$v]:+ ${VFLAGS[$v]}})"
  timeout 300 "$BIN/test_llm_blas_w8_$v" --bench
  result $? "cuBLASLt int8 / blas W8A8 / pare W8A8 / cuBLAS fp16 timings ($v)"
done

if "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  echo "--- torch._int_mm and torch fp16, same shapes"
  timeout 300 "$PYTHON" "$ROOT/benchmarks/llm/int8_gemm_torch.py"
  result $? "torch._int_mm / fp16 matmul timings"
else
  echo "note: $PYTHON has no torch with CUDA: benchmarks/llm/int8_gemm_torch.py skipped"
fi
echo "blas w8 check: $pass passed, $fail failed ($((SECONDS)) s)"
[[ $fail == 0 ]]
