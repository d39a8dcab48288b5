#!/usr/bin/env bash
# Here (no GPU needed): the W8A8 (SmoothQuant, issue 19) CUDA decoders that
# tests/cuda/run_w8a8_check.sh checks on the GPU machine, compiled AND built with nvcc
# (ARCH, default sm_90), with the C target's logits as reference, into OUT (default
# build/w8a8-check; about 30 MB, small enough to carry there). The GPU machine only runs
# binaries.
#
# Model: the tiny random Llama (build/llm/tiny.onnx, examples/llm/export_onnx.py --tiny:
# 2 layers, hidden 64, GQA 4/2, vocab 256), `--quantize w8a8 --smooth-alpha 0.5` calibrated
# on 8 windows of 64 random ids, in two forms: `token` (--act-quant per-token: act_scale 0,
# the kernels' run-time row scale) and `tensor` (per-tensor: the calibrated act_scale).
# For each form:
#   ref-<form>.*            the C target's decoder of the same flags, built and run here:
#                           tests/cuda/w8a8_check.c --write-ref (decode logits of 200 ids,
#                           greedy ids after a 16-id prefill) and tests/cuda/decoder_check.c
#                           --dump (ref.npy, the same decode logits)
#   <form>-fp32/ <form>-fp16/                 the CUDA decoders (fusion on: norm prologue and
#   <form>-nofuse-fp32/ <form>-nofuse-fp16/   residual epilogue folded into the int8 linears;
#                           --cuda-fusion off: one launch per op), each with the binaries
#                           decoder_check and w8a8_check linked against it, its weights, ids,
#                           ref.npy and `bounds` (w8a8_check's flags), max context 256: the
#                           200 ids prefill in two chunks (128 rows: the int8 tensor-core GEMM)
#                           and decode one by one (the dp4a GEMV)
#
# Bounds (max|a - r| / max|r| per row; see w8a8_check.c): both targets compute the same int8
# codes from the same float values, but those values (norm, attention, residual sums) come
# from sums in another order, and a value within an ulp of a rounding boundary of x / s
# takes the neighbouring code. Measured on the C target alone (this model, 200 ids): -O3
# -ffast-math against -O2 (reordered float sums, no flips) moves the logits by at most
# 8.1e-7; scaling x / s by 1 - 5e-7 (about 4 ulps) flips codes at one position and moves
# that row and later ones (through the KV cache) by up to 5.7e-2, argmax kept on 199 of 200;
# rounding every quantized value to half first (what fp16 storage does, and only that)
# gives a median of 2.9e-2, max 7.6e-2, argmax on 194 (per tensor: 5.0e-2, 1.8e-1, 180).
#   fp32: half of the rows within 1e-4 (a row no flip reaches is within about 1e-6), every
#         row within 0.1 (one flip's reach), argmax on 95% of the rows;
#   fp16: 90% of the rows within 0.15, every row within 0.4, argmax on 80% (fp16 storage
#         against the C target's fp32: the activations' half rounding moves many codes);
#   decoder_check (prefill, decode, prefill + decode, prefills in pieces of 1..19 rows, the
#         API's error paths, GPU sampling) with --tol 0.1 (fp32) / 0.4 (fp16), the same
#         worst-row bounds.
#
#   tests/cuda/prepare_w8a8_check.sh [OUT] [ARCH]    (PARE=..., NVCC=... to use others)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$(realpath -m "${1:-$ROOT/build/w8a8-check}")"
ARCH="${2:-sm_90}"
PARE="${PARE:-$ROOT/build/tools/pare/pare}"
PY="${PY:-$ROOT/build/llm-venv/bin/python}"
NVCC="${NVCC:-/usr/local/cuda/bin/nvcc}"
CC="${CC:-cc}"
LLAMA="$ROOT/build/llm/tiny.onnx"
[[ -f "$LLAMA" ]] || "$PY" "$ROOT/examples/llm/export_onnx.py" --tiny --out "$LLAMA"
rm -rf "$OUT"
mkdir -p "$OUT/obj"

"$PY" -c "
import numpy as np
np.save('$OUT/ids.npy', np.random.default_rng(7).integers(0, 256, 200).astype(np.int64))
np.save('$OUT/calib.npy', np.random.default_rng(19).integers(0, 256, 512).astype(np.int64))
open('$OUT/ids.txt', 'w').write(' '.join(map(str, np.load('$OUT/ids.npy'))) + '\n')"

KERNELS=(pare_cu_llm pare_cu_llm_attn pare_cu_llm_w4 pare_cu_llm_w8)
for form in token tensor; do
  flags=(--max-context 256 --quantize w8a8 --smooth-alpha 0.5 --act-quant "per-$form"
    --calibration "$OUT/calib.npy" --calibration-windows 8 --calibration-length 64)
  c="$OUT/c-$form"
  "$PARE" compile "$LLAMA" "${flags[@]}" -o "$c" --name llama -q --emit-runner
  grep -q "pare_matmul_w8a8_f32(" "$c/llama.c" || { echo "prepare_w8a8_check.sh: $c has no int8 linear"; exit 1; }
  for tool in w8a8_check decoder_check; do
    "$CC" -std=c99 -O2 -I"$c" "$ROOT/tests/cuda/$tool.c" "$c"/llama.c "$c"/pare_llm*.c "$c"/pare_k_*.c -lm \
      -o "$c/$tool"
  done
  "$c/w8a8_check" -w "$c/llama_weights.bin" --ids "$OUT/ids.txt" --write-ref "$OUT/ref-$form" --greedy 48
  (cd "$c" && ./decoder_check -w llama_weights.bin --ids "$OUT/ids.npy" --dump "$OUT/ref-$form.npy" >/dev/null)
  for p in fp32 fp16; do
    for tag in "" nofuse-; do
      fusion=on
      [[ -z "$tag" ]] || fusion=off
      d="$OUT/$form-$tag$p"
      "$PARE" compile "$LLAMA" "${flags[@]}" --target cuda --precision "$p" --cuda-fusion "$fusion" \
        -o "$d" --name llama -q --emit-runner
      sfx="$([[ $p == fp32 ]] && echo f32 || echo f16)"
      [[ "$(grep -c "PARE_TRY(pare_llm_linear_w8a8_$sfx(" "$d/llama.cu")" == 14 ]] ||
        { echo "prepare_w8a8_check.sh: $d has not 14 int8 linear launches"; exit 1; }
      for k in "${KERNELS[@]}"; do
        cmp -s "$d/$k.cu" "$OUT/token-fp32/$k.cu" ||
          { echo "prepare_w8a8_check.sh: $d/$k.cu differs from token-fp32's"; exit 1; }
      done
      cp "$OUT/ids.npy" "$OUT/ids.txt" "$d/"
      cp "$OUT/ref-$form.npy" "$d/ref.npy"
      cp "$OUT/ref-$form.logits" "$d/ref.logits"
      cp "$OUT/ref-$form.greedy" "$d/ref.greedy"
      if [[ $p == fp32 ]]; then
        echo "--tol 1e-4 --frac 0.5 --max 0.1 --argmax 0.95" > "$d/bounds"
        echo 0.1 > "$d/tol"
      else
        echo "--tol 0.15 --frac 0.9 --max 0.4 --argmax 0.8" > "$d/bounds"
        echo 0.4 > "$d/tol"
      fi
    done
  done
done

# The kernels, once, from the files the decoders ship (the ones embedded in this pare), as
# one shared library (with the CUDA runtime's, carried along: the binaries need only the
# driver there), so that 16 binaries do not each hold 10 MB of kernels.
OBJS=()
for k in "${KERNELS[@]}"; do
  cmp -s "$OUT/token-fp32/$k.cu" "$ROOT/runtime-stubs/cuda-llm/$k.cu" ||
    echo "prepare_w8a8_check.sh: note: $k.cu of this pare differs from the working tree's (rebuild pare?)"
  "$NVCC" -std=c++17 -O3 -arch="$ARCH" -Werror all-warnings -Xcompiler -fPIC -I"$OUT/token-fp32" \
    -c "$OUT/token-fp32/$k.cu" -o "$OUT/obj/$k.o" &
  OBJS+=("$OUT/obj/$k.o")
done
wait
mkdir -p "$OUT/lib"
"$NVCC" -shared -cudart shared -arch="$ARCH" "${OBJS[@]}" -Xlinker -rpath='$ORIGIN' \
  -o "$OUT/lib/libpare_cu_llm.so"
CUDART="$(ls "$(dirname "$(realpath "$NVCC")")"/../lib64/libcudart.so.[0-9]* | head -1)"
cp -L "$CUDART" "$OUT/lib/"
sha256sum "$OUT/token-fp32/pare_cu_llm_w8.cu" | cut -c1-16 > "$OUT/w8_kernel_sha256"

# Every decoder with both tools, in parallel (nvcc for the generated step, cc for the tools).
for d in "$OUT"/*-fp32 "$OUT"/*-fp16; do
  (
    "$NVCC" -std=c++17 -O3 -arch="$ARCH" -Werror all-warnings -c "$d/llama.cu" -o "$d/llama.o"
    for tool in w8a8_check decoder_check; do
      "$CC" -std=c99 -O2 -Wall -Wextra -Werror -I"$d" -c "$ROOT/tests/cuda/$tool.c" -o "$d/$tool.o"
      "$NVCC" -cudart shared -arch="$ARCH" "$d/$tool.o" "$d/llama.o" -L"$OUT/lib" -lpare_cu_llm \
        -Xlinker -rpath='$ORIGIN/../lib' -o "$d/$tool"
    done
    # Only what the GPU machine runs stays.
    find "$d" -maxdepth 1 -type f ! -name '*_weights.bin' ! -name 'w8a8_check' ! -name 'decoder_check' \
      ! -name 'ids.*' ! -name 'ref.*' ! -name bounds ! -name tol ! -name llama.cu -delete
  ) &
done
wait
for d in "$OUT"/*-fp32 "$OUT"/*-fp16; do
  [[ -x "$d/w8a8_check" && -x "$d/decoder_check" ]] || { echo "prepare_w8a8_check.sh: $d did not build"; exit 1; }
done
rm -rf "$OUT/obj" "$OUT"/c-*
du -sh "$OUT"
