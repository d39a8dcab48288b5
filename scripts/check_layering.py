#!/usr/bin/env python3
"""Check pare's layering: no #include and no link edge points up the stack.

The stack, bottom to top (docs/architecture.md, "Folders and libraries"):

  rank 0  runtime-stubs/        C/CUDA kernels copied into the output (included by Eval, embedded by codegen)
  rank 1  dialects/Pare/IR      ops, types, attributes, shape inference, quantization utilities
  rank 2  dialects/Pare/Analysis, dialects/Pare/Eval, frontends/
  rank 3  dialects/Pare/Transforms   passes and pipelines
  rank 4  codegen/
  rank 5  compiler/             the driver and its commands
  rank 6  tools/

An edge (a file's #include "...", or a target_link_libraries entry between pare's own libraries) is
allowed when it stays inside one folder or goes to a strictly lower rank; anything else, including
an edge between two different folders of the same rank, is a violation. On top of that:
  * no library below compiler/ except the ONNX frontend links ONNX or protobuf (passes and
    emitters never parse protobuf), checked on the transitive link closure;
  * pare-opt links only what it registers: nothing of compiler/ (PareDriver and its libraries).

Generated headers (*.inc) and system/third-party headers (<...>, "mlir/...", "llvm/...", "onnx/...")
are not edges. Prints every violation as FILE:LINE: message and exits 1 if there is any.

    scripts/check_layering.py [--root DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

LAYERS = [  # (folder prefix, rank); longest prefix wins
    ("runtime-stubs/", 0),
    ("dialects/Pare/IR/", 1),
    ("dialects/Pare/Analysis/", 2),
    ("dialects/Pare/Eval/", 2),
    ("frontends/", 2),
    ("dialects/Pare/Transforms/", 3),
    ("codegen/", 4),
    ("compiler/", 5),
    ("tools/", 6),
]
SOURCE_DIRS = ["runtime-stubs", "dialects", "frontends", "codegen", "compiler", "tools"]
SUFFIXES = {".h", ".cpp", ".c", ".cu", ".cuh", ".inc.h"}
ONNX_LIBS = {"onnx_proto", "onnx", "protobuf::libprotobuf", "protobuf"}
# Below compiler/, only these may link ONNX/protobuf.
ONNX_ALLOWED = {"PareOnnxFrontend"}


def layer_of(rel: str):
    best = None
    for prefix, rank in LAYERS:
        if rel.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, rank)
    return best


def folder_of(rel: str) -> str:
    """The folder an edge may stay inside: the layer prefix, refined to the first subfolder
    (codegen/c and codegen/cuda are different folders of one layer)."""
    prefix, _ = layer_of(rel)
    rest = rel[len(prefix):]
    return prefix + (rest.split("/", 1)[0] + "/" if "/" in rest else "")


def edge_ok(src: str, dst: str) -> bool:
    s, d = layer_of(src), layer_of(dst)
    if s is None or d is None:
        return True
    if d[1] < s[1]:
        return True
    if s[0] != d[0]:
        return False
    # Same layer: inside one folder, or from a subfolder to the layer's own top folder
    # (codegen/c -> codegen/EmitterSupport.h), never between sibling subfolders.
    fs, fd = folder_of(src), folder_of(dst)
    return fs == fd or fd == d[0]


def check_includes(root: Path, problems: list):
    inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
    for top in SOURCE_DIRS:
        for f in sorted((root / top).rglob("*")):
            if not f.is_file() or f.suffix not in SUFFIXES:
                continue
            rel = f.relative_to(root).as_posix()
            for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
                m = inc.match(line)
                if not m:
                    continue
                target = m.group(1)
                if target.endswith(".inc") or "/" not in target:
                    continue  # generated, or a sibling file of a runtime folder
                if layer_of(target) is None:
                    continue  # mlir/, llvm/, onnx/, ...
                if not edge_ok(rel, target):
                    problems.append(f"{rel}:{n}: includes {target}, which is above or beside "
                                    f"{layer_of(rel)[0]} in the stack")


def cmake_targets(root: Path):
    """name -> (CMakeLists path, folder rel) for add_library/add_executable; and link lists."""
    targets, links = {}, {}
    decl = re.compile(r"add_(library|executable)\(\s*([A-Za-z0-9_.+-]+)")
    link = re.compile(r"target_link_libraries\(\s*([A-Za-z0-9_.+-]+)([^)]*)\)", re.S)
    for top in SOURCE_DIRS:
        for f in sorted((root / top).rglob("CMakeLists.txt")):
            text = re.sub(r"#[^\n]*", "", f.read_text())
            rel_dir = f.parent.relative_to(root).as_posix() + "/"
            for m in decl.finditer(text):
                targets[m.group(2)] = (f.relative_to(root).as_posix(), rel_dir)
            for m in link.finditer(text):
                deps = [d for d in m.group(2).split() if d not in ("PUBLIC", "PRIVATE", "INTERFACE")]
                links.setdefault(m.group(1), []).extend(deps)
    return targets, links


def check_links(root: Path, problems: list):
    targets, links = cmake_targets(root)
    for name, deps in sorted(links.items()):
        if name not in targets:
            continue
        where, folder = targets[name]
        for d in deps:
            if d in targets and not edge_ok(folder + "x", targets[d][1] + "x"):
                problems.append(f"{where}: {name} links {d} ({targets[d][1]}), which is above or "
                                f"beside {layer_of(folder + 'x')[0]} in the stack")

    def closure(t):
        seen, stack = set(), [t]
        while stack:
            for d in links.get(stack.pop(), []):
                if d not in seen:
                    seen.add(d)
                    stack.append(d)
        return seen

    for name, (where, folder) in sorted(targets.items()):
        lay = layer_of(folder + "x")
        if lay is None or lay[1] >= 5 or name in ONNX_ALLOWED:
            continue
        bad = sorted(d for d in closure(name) if d in ONNX_LIBS)
        if bad:
            problems.append(f"{where}: {name} links {', '.join(bad)} (only the ONNX frontend and "
                            f"the driver may)")
    if "pare-opt" in targets:
        driver = sorted(d for d in closure("pare-opt")
                        if d in targets and targets[d][1].startswith("compiler/"))
        if driver:
            problems.append(f"{targets['pare-opt'][0]}: pare-opt links {', '.join(driver)} "
                            f"(it registers passes and pipelines only)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = ap.parse_args()
    problems: list = []
    check_includes(args.root, problems)
    check_links(args.root, problems)
    for p in problems:
        print(p)
    if problems:
        print(f"check_layering: {len(problems)} edge(s) point up the stack", file=sys.stderr)
        return 1
    print("check_layering: no edge points up the stack")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
