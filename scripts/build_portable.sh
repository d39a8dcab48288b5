#!/usr/bin/env bash
# Build a portable `pare` (MLIR/LLVM linked statically) and bundle it in
# dist/pare-portable/ with the few shared libraries a stock Ubuntu 24.04 lacks
# (libonnx, libonnx_proto, libprotobuf). Used to run pare on the GPU machine,
# which has no LLVM/MLIR/ONNX libraries:
#
#   scripts/build_portable.sh            # -> dist/pare-portable/{pare,pare.bin,lib*.so.*}
#   dist/pare-portable/pare --version    # the wrapper sets LD_LIBRARY_PATH to its own dir
#
# Environment: JOBS (default 2), BUILD_DIR (build-portable), DIST_DIR (dist/pare-portable).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="${JOBS:-2}"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-portable}"
DIST_DIR="${DIST_DIR:-$ROOT/dist/pare-portable}"

linker_flags=()
if command -v ld.lld >/dev/null 2>&1; then
  # lld links the ~100 archives much faster than GNU ld (and ignores their order).
  linker_flags=(-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld)
fi
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR="${MLIR_DIR:-/usr/lib/llvm-22/lib/cmake/mlir}" \
  -DPARE_STATIC_LLVM=ON "${linker_flags[@]}" "${launcher[@]}"
cmake --build "$BUILD_DIR" --target pare -j "$JOBS"

BIN="$BUILD_DIR/tools/pare/pare"
# Refuse a binary that still loads the shared MLIR/LLVM.
if readelf -d "$BIN" | grep -E 'NEEDED.*lib(MLIR|LLVM)' ; then
  echo "error: $BIN still links libMLIR/libLLVM dynamically" >&2
  exit 1
fi

rm -rf "$DIST_DIR"
mkdir -p "$DIST_DIR"
strip -o "$DIST_DIR/pare.bin" "$BIN"

# Bundle every shared library the binary needs except the ones every Ubuntu
# 24.04 has (glibc, libstdc++/libgcc, zlib, zstd). Libraries are found by ldd,
# so transitive needs (libonnx -> libprotobuf) are covered too.
is_system_lib() {
  case "$1" in
    linux-vdso.so.*|ld-linux*|libc.so.*|libm.so.*|libdl.so.*|librt.so.*|libpthread.so.*|\
    libstdc++.so.*|libgcc_s.so.*|libz.so.*|libzstd.so.*) return 0 ;;
  esac
  return 1
}
ldd "$BIN" | while read -r name arrow path _; do
  [[ "$arrow" == "=>" ]] || continue
  if is_system_lib "$name"; then continue; fi
  if [[ ! -f "$path" ]]; then
    echo "error: $name not found (ldd: $path)" >&2
    exit 1
  fi
  cp -L "$path" "$DIST_DIR/$name"
  strip --strip-unneeded "$DIST_DIR/$name"
  echo "bundled $name"
done

cat > "$DIST_DIR/pare" <<'WRAP'
#!/bin/sh
# pare, portable bundle: run pare.bin with the bundled shared libraries.
here="$(cd "$(dirname "$0")" && pwd)"
LD_LIBRARY_PATH="$here${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
if [ -x "$here/pare.bin" ]; then
  exec "$here/pare.bin" "$@"
fi
# the executable bit got lost in transfer: start it through the dynamic loader
exec /lib64/ld-linux-x86-64.so.2 "$here/pare.bin" "$@"
WRAP
chmod +x "$DIST_DIR/pare"

echo "== $DIST_DIR"
ls -la "$DIST_DIR"
du -sh "$DIST_DIR"
echo "== needed by pare.bin:"
readelf -d "$DIST_DIR/pare.bin" | awk '/NEEDED/ {print "  " $NF}'
