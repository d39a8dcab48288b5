#!/usr/bin/env bash
# On the GPU machine: the cuBLASLt int8 prefill path of --cuda-gemm cublas (issue 19,
# runtime-stubs/cuda-llm/pare_cu_llm_blas_w8.cu).
#  1. tests/cuda/test_llm_blas_w8.cu: pare_llm_blas_linear_w8a8_f32 / _f16 against pare's own
#     pare_llm_linear_w8a8_* bit for bit (rows 1..2048, per token / per tensor, norm, residual,
#     activations, odd K and N), the context's int32 sums against the exact sums of the codes,
#     a graph capture, the argument checks;
#  2. test_llm_blas_w8 --bench: M = 512 and 2048 by K x N = 4096 x 4096, 4096 x 11008,
#     11008 x 4096: the bare cuBLASLt int8 GEMM, the blas W8A8 linear (quantize + cuBLASLt +
#     epilogue), pare's own int8 linear and cuBLAS fp16, with the ratios to cuBLAS fp16;
#  3. benchmarks/llm/int8_gemm_torch.py: torch._int_mm and torch fp16 matmul at the same shapes
#     in the same run (skipped with a note when PYTHON has no torch with CUDA).
#
#   tests/cuda/run_blas_w8_check.sh [ARCH]   (ARCH: sm_90a by default; PYTHON: python3)
#
# The objects build in parallel (pare_cu_llm_blas.cu for pare_llm_blas_create, and the pare
# kernels it and the test call; about a minute on 16 cores). Prints PASS / FAIL lines, the
# tables, and "blas w8 check: N passed, M failed"; exits 1 on a failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ARCH="${1:-sm_90a}"
PYTHON="${PYTHON:-python3}"
export PATH="/usr/local/cuda/bin:$PATH"
LLM="$ROOT/runtime-stubs/cuda-llm"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
nvidia-smi -L || true
pass=0
fail=0
result() { # status name
  if [[ "$1" == 0 ]]; then pass=$((pass + 1)); echo "PASS $2"; else fail=$((fail + 1)); echo "FAIL $2"; fi
}

# pare_cu_llm_blas_w8.cu and the test are built three times: the default (one product a call;
# checked and timed), with 1 MiB row chunks (-DPARE_LLM_BLAS_W8_CHUNK_BYTES: many chunks, checked
# bit for bit) and with 24 MiB chunks (sums kept in L2; timed next to the default).
COMMON=("$LLM/pare_cu_llm_blas.cu" "$LLM/pare_cu_llm_w8.cu" "$LLM/pare_cu_llm_w4.cu" "$LLM/pare_cu_llm.cu")
VARIANTS=(default chunk1m chunk24m)
declare -A VFLAGS=([default]="" [chunk1m]="-DPARE_LLM_BLAS_W8_CHUNK_BYTES=1048576"
  [chunk24m]="-DPARE_LLM_BLAS_W8_CHUNK_BYTES=25165824")
for src in "${COMMON[@]}" "$LLM/pare_cu_llm_blas_w8.cu" "$ROOT/tests/cuda/test_llm_blas_w8.cu"; do
  if [[ ! -f "$src" ]]; then
    echo "FAIL missing $src"
    echo "blas w8 check: 0 passed, 1 failed"
    exit 1
  fi
done
start=$(date +%s)
NVCC_FLAGS=(-std=c++17 -O3 -arch="$ARCH" -I"$LLM" -I"$ROOT/runtime-stubs/c")
jobs_src=()
jobs_obj=()
jobs_flags=()
for src in "${COMMON[@]}"; do
  jobs_src+=("$src"); jobs_obj+=("$WORK/$(basename "${src%.cu}").o"); jobs_flags+=("")
done
for v in "${VARIANTS[@]}"; do
  for src in "$LLM/pare_cu_llm_blas_w8.cu" "$ROOT/tests/cuda/test_llm_blas_w8.cu"; do
    jobs_src+=("$src"); jobs_obj+=("$WORK/$(basename "${src%.cu}")_$v.o"); jobs_flags+=("${VFLAGS[$v]}")
  done
done
pids=()
for i in "${!jobs_src[@]}"; do
  # shellcheck disable=SC2086
  nvcc "${NVCC_FLAGS[@]}" ${jobs_flags[$i]} -c "${jobs_src[$i]}" -o "${jobs_obj[$i]}" \
    > "${jobs_obj[$i]}.log" 2>&1 &
  pids+=($!)
done
built=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { built=1; cat "${jobs_obj[$i]}.log"; }
done
common_objs=()
for src in "${COMMON[@]}"; do common_objs+=("$WORK/$(basename "${src%.cu}").o"); done
for v in "${VARIANTS[@]}"; do
  [[ $built == 0 ]] || break
  nvcc -arch="$ARCH" "$WORK/test_llm_blas_w8_$v.o" "$WORK/pare_cu_llm_blas_w8_$v.o" "${common_objs[@]}" \
    -lcublas -lcublasLt -o "$WORK/test_llm_blas_w8_$v" || built=1
done
result $built "build test_llm_blas_w8 x 3 (-arch=$ARCH, $(($(date +%s) - start)) s)"

for v in default chunk1m; do
  [[ -x "$WORK/test_llm_blas_w8_$v" ]] || continue
  "$WORK/test_llm_blas_w8_$v" > "$WORK/check.log" 2>&1
  status=$?
  grep -E "^FAIL|^note|passed|\.cu:[0-9]+:|no CUDA" "$WORK/check.log"
  result $status "blas W8A8 linear == pare_llm_linear_w8a8 bit for bit (f32, f16; $v ${VFLAGS[$v]})"
done
for v in default chunk24m; do
  [[ -x "$WORK/test_llm_blas_w8_$v" ]] || continue
  echo "--- int8 prefill GEMMs ($v ${VFLAGS[$v]})"
  "$WORK/test_llm_blas_w8_$v" --bench
  result $? "cuBLASLt int8 / blas W8A8 / pare W8A8 / cuBLAS fp16 timings ($v)"
done

if "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  echo "--- torch._int_mm, same shapes"
  "$PYTHON" "$ROOT/benchmarks/llm/int8_gemm_torch.py"
  result $? "torch._int_mm / fp16 matmul timings"
else
  echo "note: $PYTHON has no torch with CUDA: benchmarks/llm/int8_gemm_torch.py skipped"
fi
echo "blas w8 check: $pass passed, $fail failed"
[[ $fail == 0 ]]
