#!/usr/bin/env bash
# On the GPU machine: the W8A8 (SmoothQuant, issue 19) CUDA decoders that
# tests/cuda/prepare_w8a8_check.sh compiled and built into DIR (default build/w8a8-check; it
# runs binaries only: no nvcc, no pare, no Python). For each decoder directory:
#   decoder_check  prefill, decode, prefill + decode, prefills in pieces against the C
#                  target's W8A8 logits within the directory's tol (its worst-row bound),
#                  the API's error paths (a foreign weights file too), GPU sampling; then a
#                  prefill of the 200 ids and 100 greedy decode steps, timed
#   w8a8_check     decode rows against the C target's within the directory's bounds (the
#                  statistics of tests/cuda/w8a8_check.c), greedy ids after a prefill
#
#   tests/cuda/run_w8a8_check.sh [DIR]
#
# Prints one line per check and "w8a8 check: N passed, M failed"; exits 1 on a failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="$(realpath "${1:-$ROOT/build/w8a8-check}")"
nvidia-smi -L || true
pass=0
fail=0
result() { # status name
  if [[ "$1" == 0 ]]; then pass=$((pass + 1)); echo "PASS $2"; else fail=$((fail + 1)); echo "FAIL $2"; fi
}
[[ -f "$DIR/lib/libpare_cu_llm.so" ]] || { echo "FAIL $DIR: no prepared decoders (tests/cuda/prepare_w8a8_check.sh)"; exit 1; }
echo "int8 kernels: pare_cu_llm_w8.cu sha256 $(cat "$DIR/w8_kernel_sha256" 2>/dev/null) (prefix)"
for d in "$DIR"/*-fp32 "$DIR"/*-fp16; do
  [[ -x "$d/w8a8_check" ]] || { result 1 "$(basename "$d"): not built"; continue; }
  name="$(basename "$d")"
  # Another decoder's weights must be refused: one with other bytes (the --cuda-fusion off
  # twin has the same weights).
  other=""
  for o in "$DIR"/*/*_weights.bin; do
    cmp -s "$o" "$d/llama_weights.bin" || { other="$o"; break; }
  done
  echo "== $name"
  (cd "$d" && ./decoder_check -w llama_weights.bin --ids ids.npy --ref ref.npy --tol "$(cat tol)" \
    --foreign "$other" --bench 100)
  result $? "$name: decoder_check (tol $(cat "$d/tol"))"
  # shellcheck disable=SC2046
  (cd "$d" && ./w8a8_check -w llama_weights.bin --ids ids.txt --ref ref $(cat bounds) --greedy 48)
  result $? "$name: w8a8_check ($(cat "$d/bounds"))"
done
echo "w8a8 check: $pass passed, $fail failed"
[[ $fail == 0 ]]
