#!/usr/bin/env bash
# CI has no GPU: compile and link the CUDA decoders pare emits (issue 16) with nvcc, fp32 and
# fp16, warnings as errors, fused (issue 17) and, for the hand-written Llama, with
# --cuda-fusion off too: the hand-written step functions (tests/lit/codegen/Inputs/
# decoder_tiny.mlir, decoder_tiny_w4.mlir whose linears are 4-bit pare.matmul_nbits:
# issue 18, and decoder_tiny_w8a8.mlir with a per-token and a per-tensor int8
# pare.matmul_w8a8: issue 19) and the tiny random Llama through the whole pipeline, also
# with --quantize w8a8 (fused and --cuda-fusion off), and with --cuda-gemm cublas (the prefill
# products on cuBLAS, runtime-stubs/cuda-llm/pare_cu_llm_blas.cu: the hand-written fp16 decoder,
# its int4 and its W8A8 variant, linked with -lcublas -lcublasLt): TINY_ONNX (the
# ctest fixture's export; missing = failure), else build/llm/tiny.onnx when examples/llm made it. Each is linked into the generate runner (its .mk)
# and into tests/cuda/decoder_check.c (batched decoders, --max-batch 4: every variant above but the
# unfused int4 one, also into tests/cuda/batch_check.c); tests/cuda/test_llm_kernels.cu, test_w4_kernels.cu and
# test_llm_blas.cu are built too, and the int4 kernels for sm_80 as well. The GPU run of the same programs is
# tests/cuda/run_decoder_check.sh (and tests/cuda/run_w4_check.sh, run_blas_check.sh).
#   tests/e2e/cuda_decoder_compile.sh PARE [TINY_ONNX]
set -euo pipefail
PARE="$1"
TINY_ONNX="${2:-}"
NVCC="${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
if [[ ! -x "$NVCC" ]]; then
  echo "cuda-decoder-compile: nvcc not found; skipped"
  exit 0
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ARCH=-arch=sm_90
STRICT="-Xcompiler -Wall,-Wextra -Werror all-warnings"
CSTRICT="-std=c99 -Wall -Wextra -Werror -pedantic"
KERNELS="pare_cu_llm pare_cu_llm_attn pare_cu_llm_w4 pare_cu_llm_w8 pare_cu_llm_blas"
# The kernel files are the same in every emitted directory (checked below): compiled
# once, with the flags the .mk gets, and copied in, so make builds only the model.
mkdir -p "$WORK/kernels"
for k in $KERNELS; do
  "$NVCC" -std=c++17 -O1 $ARCH $STRICT -I"$ROOT/runtime-stubs/c" -c "$ROOT/runtime-stubs/cuda-llm/$k.cu" \
    -o "$WORK/kernels/$k.o" &
done
wait

build() { # model name extra-args...
  local model="$1" name="$2"
  shift 2
  local precisions="fp32 fp16" tag=""
  if [[ "${1:-}" == --cuda-fusion ]]; then
    precisions=fp16
    tag="-fusion-$2"
  fi
  for precision in $precisions; do
    local out="$WORK/$name$tag-$precision"
    "$PARE" compile "$model" --target cuda --precision "$precision" --emit-runner --name "$name" -o "$out" -q "$@"
    for f in pare_cu_llm.cu pare_cu_llm.cuh pare_cu_llm_attn.cu pare_cu_llm_device.cuh pare_cu_llm_w4.cu \
      pare_cu_llm_w8.cu pare_cu_llm_w8_impl.cuh; do
      cmp -s "$ROOT/runtime-stubs/cuda-llm/$f" "$out/$f" ||
        { echo "cuda-decoder-compile: $out/$f differs from runtime-stubs/cuda-llm (rebuild pare)"; exit 1; }
    done
    cp "$WORK"/kernels/*.o "$out/" # newer than the sources: make keeps them
    # The runner, as a user builds it, with warnings as errors.
    make -s -C "$out" -f "$name.mk" NVCC="$NVCC" NVCCFLAGS="-O1 $ARCH $STRICT" CFLAGS="-O1 -Wall -Wextra -Werror" >/dev/null
    "$CC" $CSTRICT -O1 -I"$out" -c "$ROOT/tests/cuda/decoder_check.c" -o "$out/decoder_check.o"
    "$NVCC" $ARCH "$out/decoder_check.o" "$out/$name.o" "$out/pare_cu_llm.o" "$out/pare_cu_llm_attn.o" \
      "$out/pare_cu_llm_w4.o" "$out/pare_cu_llm_w8.o" -o "$out/decoder_check"
    link_batch_check "$out" "$out/$name.o" "$out/pare_cu_llm.o" "$out/pare_cu_llm_attn.o" \
      "$out/pare_cu_llm_w4.o" "$out/pare_cu_llm_w8.o"
    echo "cuda-decoder-compile: $name$tag $precision ok"
  done
}
# Batched decoders (PARE_MODEL_DECODE_BATCH in pare_model.h): tests/cuda/batch_check.c too.
link_batch_check() { # out objects...
  local out="$1"
  shift
  grep -q PARE_MODEL_DECODE_BATCH "$out/pare_model.h" || return 0
  "$CC" $CSTRICT -O1 -I"$out" -c "$ROOT/tests/cuda/batch_check.c" -o "$out/batch_check.o"
  "$NVCC" $ARCH "$out/batch_check.o" "$@" -o "$out/batch_check"
}
# --cuda-gemm cublas (fp16): the library files match the runtime's, the runner links cuBLAS.
build_cublas() { # model name [more pare flags]
  local model="$1" name="$2"
  shift 2
  local out="$WORK/$name-cublas"
  "$PARE" compile "$model" --target cuda --precision fp16 --cuda-gemm cublas --emit-runner --name "$name" -o "$out" -q "$@"
  for f in pare_cu_llm_blas.cu pare_cu_llm_blas.cuh pare_cu_llm_blas_impl.cuh \
    $([[ -f "$out/pare_cu_llm_blas_w8.cu" ]] && echo pare_cu_llm_blas_w8.cu); do
    cmp -s "$ROOT/runtime-stubs/cuda-llm/$f" "$out/$f" ||
      { echo "cuda-decoder-compile: $out/$f differs from runtime-stubs/cuda-llm (rebuild pare)"; exit 1; }
  done
  cp "$WORK"/kernels/*.o "$out/"
  make -s -C "$out" -f "$name.mk" NVCC="$NVCC" NVCCFLAGS="-O1 $ARCH $STRICT" CFLAGS="-O1 -Wall -Wextra -Werror" >/dev/null
  "$CC" $CSTRICT -O1 -I"$out" -c "$ROOT/tests/cuda/decoder_check.c" -o "$out/decoder_check.o"
  "$NVCC" $ARCH "$out/decoder_check.o" "$out/$name.o" "$out"/pare_cu_llm*.o -lcublas -lcublasLt \
    -o "$out/decoder_check"
  link_batch_check "$out" "$out/$name.o" "$out"/pare_cu_llm*.o -lcublas -lcublasLt
  grep -q "pare_llm_blas_create(&${name}_g.blas" "$out/$name.cu" ||
    { echo "cuda-decoder-compile: $name --cuda-gemm cublas makes no library context"; exit 1; }
  echo "cuda-decoder-compile: $name --cuda-gemm cublas fp16 ok"
}
CC="${CC:-cc}"
build_cublas "$ROOT/tests/lit/codegen/Inputs/decoder_tiny.mlir" tiny
build_cublas "$ROOT/tests/lit/codegen/Inputs/decoder_tiny_w4.mlir" tiny_w4
build_cublas "$ROOT/tests/lit/codegen/Inputs/decoder_tiny_w8a8.mlir" tiny_w8
# Batched decoding (--max-batch 4): every cache launch passes the slots.
build_cublas "$ROOT/tests/lit/codegen/Inputs/decoder_tiny.mlir" tiny_b4 --max-batch 4
build_cublas "$ROOT/tests/lit/codegen/Inputs/decoder_tiny_w4.mlir" tiny_w4_b4 --max-batch 4
build_cublas "$ROOT/tests/lit/codegen/Inputs/decoder_tiny_w8a8.mlir" tiny_w8_b4 --max-batch 4
build "$ROOT/tests/lit/codegen/Inputs/decoder_tiny.mlir" tiny
build "$ROOT/tests/lit/codegen/Inputs/decoder_tiny.mlir" tiny --cuda-fusion off
build "$ROOT/tests/lit/codegen/Inputs/decoder_tiny.mlir" tiny_b4 --max-batch 4
build "$ROOT/tests/lit/codegen/Inputs/decoder_tiny.mlir" tiny_b4 --cuda-fusion off --max-batch 4
# The fused decoder: five launches a layer and lm_head with its norm.
for k in qkv:2 decode_attention:2 gated:2 linear:5 rms_norm:0 rotary:0; do
  calls="$(grep -c "PARE_TRY(pare_llm_${k%%:*}_f16(" "$WORK/tiny-fp16/tiny.cu" || true)"
  [[ "$calls" == "${k##*:}" ]] || { echo "cuda-decoder-compile: tiny fp16 has $calls ${k%%:*} launches, not ${k##*:}"; exit 1; }
done
build "$ROOT/tests/lit/codegen/Inputs/decoder_tiny_w4.mlir" tiny_w4
build "$ROOT/tests/lit/codegen/Inputs/decoder_tiny_w4.mlir" tiny_w4 --cuda-fusion off
build "$ROOT/tests/lit/codegen/Inputs/decoder_tiny_w4.mlir" tiny_w4_b4 --max-batch 4
# The fused W4 decoder: the int4 forms of qkv, linear and gated, five launches a layer and
# lm_head with its norm; unfused, every matmul its own int4 launch.
for precision in fp32 fp16; do
  sfx="$([[ $precision == fp32 ]] && echo f32 || echo f16)"
  for k in qkv_w4:2 decode_attention:2 gated_w4:2 linear_w4:5 matmul_w4:0 rms_norm:0 rotary:0; do
    calls="$(grep -c "PARE_TRY(pare_llm_${k%%:*}_$sfx(" "$WORK/tiny_w4-$precision/tiny_w4.cu" || true)"
    [[ "$calls" == "${k##*:}" ]] || { echo "cuda-decoder-compile: tiny_w4 $precision has $calls ${k%%:*} launches, not ${k##*:}"; exit 1; }
  done
done
calls="$(grep -c "pare_llm_matmul_w4_f16(" "$WORK/tiny_w4-fusion-off-fp16/tiny_w4.cu")"
[[ "$calls" == 15 ]] || { echo "cuda-decoder-compile: tiny_w4 unfused has $calls int4 matmul launches, not 15"; exit 1; }
# W8A8 next to float linears (fp16 only: --cuda-fusion on names that build's single precision).
build "$ROOT/tests/lit/codegen/Inputs/decoder_tiny_w8a8.mlir" tiny_w8 --cuda-fusion on
build "$ROOT/tests/lit/codegen/Inputs/decoder_tiny_w8a8.mlir" tiny_w8_b4 --cuda-fusion on --max-batch 4
for f in "$WORK"/tiny*_b4-*/tiny*.cu; do
  calls="$(grep -c "positions, slots, slot_stride," "$f" || true)"
  [[ "$calls" -ge 4 ]] || { echo "cuda-decoder-compile: $f passes the slots to $calls launches"; exit 1; }
done
calls="$(grep -c "PARE_TRY(pare_llm_linear_w8a8_f16(" "$WORK/tiny_w8-fusion-on-fp16/tiny_w8.cu" || true)"
[[ "$calls" == 2 ]] || { echo "cuda-decoder-compile: tiny_w8 has $calls int8 linear launches, not 2"; exit 1; }
[[ -z "$TINY_ONNX" && -f "$ROOT/build/llm/tiny.onnx" ]] && TINY_ONNX="$ROOT/build/llm/tiny.onnx"
if [[ -n "$TINY_ONNX" ]]; then
  [[ -f "$TINY_ONNX" ]] || { echo "cuda-decoder-compile: $TINY_ONNX does not exist"; exit 1; }
  build "$TINY_ONNX" llama --max-context 256
  # Every linear but lm_head int8 (per token, no calibration needed), fused and not.
  W8=(--max-context 256 --quantize w8a8 --smooth-alpha off)
  build "$TINY_ONNX" llama_w8 "${W8[@]}"
  build "$TINY_ONNX" llama_w8 --cuda-fusion off "${W8[@]}"
  build "$TINY_ONNX" llama_b4 --max-context 256 --max-batch 4
  build "$TINY_ONNX" llama_w8_b4 "${W8[@]}" --max-batch 4
  for dir in llama_w8-fp32:f32 llama_w8-fp16:f16 llama_w8-fusion-off-fp16:f16; do
    calls="$(grep -c "PARE_TRY(pare_llm_linear_w8a8_${dir##*:}(" "$WORK/${dir%%:*}/llama_w8.cu" || true)"
    [[ "$calls" == 14 ]] || { echo "cuda-decoder-compile: ${dir%%:*} has $calls int8 linear launches, not 14"; exit 1; }
  done
fi
"$NVCC" -std=c++17 -O1 $ARCH $STRICT -I"$ROOT/runtime-stubs/cuda-llm" -I"$ROOT/runtime-stubs/c" \
  "$ROOT/tests/cuda/test_llm_kernels.cu" "$WORK/kernels/pare_cu_llm.o" -o "$WORK/test_llm_kernels"
"$NVCC" -std=c++17 -O1 $ARCH $STRICT -I"$ROOT/runtime-stubs/cuda-llm" -I"$ROOT/runtime-stubs/c" \
  "$ROOT/tests/cuda/test_llm_attn.cu" "$WORK/kernels/pare_cu_llm_attn.o" "$WORK/kernels/pare_cu_llm.o" \
  -o "$WORK/test_llm_attn"
"$NVCC" -std=c++17 -O1 $ARCH $STRICT -I"$ROOT/runtime-stubs/cuda-llm" -I"$ROOT/runtime-stubs/c" \
  "$ROOT/tests/cuda/test_w4_kernels.cu" "$WORK/kernels/pare_cu_llm_w4.o" "$WORK/kernels/pare_cu_llm.o" \
  -o "$WORK/test_w4_kernels"
"$NVCC" -std=c++17 -O1 $ARCH $STRICT -I"$ROOT/runtime-stubs/cuda-llm" -I"$ROOT/runtime-stubs/c" \
  "$ROOT/tests/cuda/test_llm_blas.cu" "$WORK/kernels/pare_cu_llm_blas.o" "$WORK/kernels/pare_cu_llm_w4.o" \
  "$WORK/kernels/pare_cu_llm.o" -lcublas -lcublasLt -o "$WORK/test_llm_blas"
"$NVCC" -std=c++17 -O1 -arch=sm_80 $STRICT -I"$ROOT/runtime-stubs/c" \
  -c "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm_w4.cu" -o "$WORK/pare_cu_llm_w4_sm80.o"
echo "cuda-decoder-compile: kernel tests ok"
