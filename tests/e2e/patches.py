#!/usr/bin/env python3
"""Patch-based inference (--patches) is bit-exact with layer-by-layer inference.

Models: the Fashion-MNIST CNN (examples/models/fashion_mnist_cnn.onnx) in float and int8,
MobileNetV2-0.35 at 1x3x144x144 int8 (scripts/export_models.py: random weights, seed 0,
exported into a temporary directory; also with --int8-rounding onnx, onnxruntime's float32
requantization in the same kernels) and the PaddleOCR classifier
(examples/models/ppocr_cls_mobilenetv3.onnx, x=1,3,48,192) int8. int8 models are calibrated by
pare on 4 seeded random samples (N(0,1) for MobileNet, as benchmarks/cortex-m/run_models.py;
U(-1,1) for the others).

For each model `pare compile --emit-runner` with --patches off, --patches min and
--patches min --patch-grid 4, plus a sweep of other grids (uneven tiles, 1-row tiles, a grid
larger than the feature map). Checks:
  - a patched build really is patched: the C has the `<name>_patch_regions` table and the
    `for (patch = 0; patch < n*n; ...)` loop, pare reports the same n x n grid (the asked one
    with --patch-grid), and its arena is smaller than the unpatched one; the unpatched C has no
    patch loop. A grid pare cannot use must fail with a message (exit 1, nothing written) or
    fall back to the layer-by-layer plan (reported as a note, then checked like the others);
  - every build compiles with gcc -std=c99 -Wall -Wextra -Werror -pedantic -O2; the patched
    outputs on 4 seeded inputs (one of them 4x out of the calibrated range) are byte-identical
    .npy files to the unpatched ones, and the outputs are not all the same across inputs;
  - some patched builds again with -fsanitize=address,undefined (the input tile reads and the
    arena are bounds-checked): same bytes, no sanitizer report;
  - Cortex-M7 under QEMU (scripts/run_cortex_m.py: examples/cortex-m firmware, mps2-an500,
    -icount): MobileNetV2-0.35 int8 (board mps2-big: the weights need 2 MiB of flash) and
    Fashion-MNIST int8 (board stm32f746), patched and unpatched, compiled with
    --target cortex-m7: the outputs have the same bytes as the host unpatched build; the
    instruction counts are printed;
  - compiling a patched model twice gives byte-identical files.
Prints a table; exit status 1 on any failure.
  tests/e2e/patches.py --pare build/tools/pare/pare [-j 2] [--work DIR] [--no-qemu]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]
SANFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-g", "-fno-omit-frame-pointer",
            "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
N_INPUTS = 4


@dataclass
class ModelSpec:
    key: str  # short name used in the table and as pare --name
    path: Path
    shape: List[int]
    int8: bool
    pare_flags: List[str]
    dist: str  # "normal" or "uniform"
    sweep: List[int]  # extra --patch-grid values
    sanitize: List[str]  # variants also built with ASan/UBSan
    qemu_board: Optional[str] = None


@dataclass
class Build:
    model: ModelSpec
    variant: str  # off, min, g<N>
    grid: Optional[int]
    target: str = "host"
    dir: Optional[Path] = None
    rc: int = 0
    stderr: str = ""
    arena: int = 0
    patched_grid: Optional[int] = None  # n of the n x n loop in the C, None when unpatched
    reported: str = ""  # pare's "patch-based inference: ..." line
    outputs: List[bytes] = field(default_factory=list)
    status: str = ""
    notes: List[str] = field(default_factory=list)


failures: List[str] = []
notes: List[str] = []


def fail(msg: str) -> None:
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)


# --------------------------------------------------------------------------- inputs

def make_inputs(work: Path, m: ModelSpec) -> Path:
    cal = work / f"cal_{m.key}"
    cal.mkdir()
    seed = int(hashlib.sha256(m.key.encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(seed)

    def sample():
        if m.dist == "normal":
            return rng.standard_normal(m.shape).astype(np.float32)
        return rng.uniform(-1, 1, m.shape).astype(np.float32)

    for i in range(4):
        np.save(cal / f"s_{i}.npy", sample())
    ins = work / f"in_{m.key}"
    ins.mkdir()
    for i in range(N_INPUTS):
        x = sample()
        if i == N_INPUTS - 1:
            x = (x * 4).astype(np.float32)  # out of the calibrated range: saturating int8 paths
        np.save(ins / f"x_{i}.npy", x)
    return cal


# --------------------------------------------------------------------------- compile

def compile_build(pare: str, b: Build, work: Path, cal: Path, out: Optional[Path] = None) -> Build:
    m = b.model
    out = out or work / "gen" / f"{m.key}_{b.variant}_{b.target}"
    cmd = [pare, "compile", m.path, "-o", out, "--name", m.key, *m.pare_flags]
    if m.int8:
        cmd += ["--quantize", "int8", "--calibration", cal]
    if b.target == "host":
        cmd += ["--emit-runner"]
    else:
        cmd += ["--target", b.target]
    if b.variant == "off":
        cmd += ["--patches", "off"]
    else:
        cmd += ["--patches", "min"]
        if b.grid:
            cmd += ["--patch-grid", str(b.grid)]
    p = run(cmd)
    b.rc, b.stderr, b.dir = p.returncode, (p.stdout + p.stderr).strip(), out
    if p.returncode != 0:
        return b
    h = (out / f"{m.key}.h").read_text()
    mm = re.search(rf"#define {m.key.upper()}_ARENA_BYTES (\d+)", h)
    b.arena = int(mm.group(1)) if mm else -1
    c = (out / f"{m.key}.c").read_text()
    table = re.search(rf"static const {m.key}_patch_region {m.key}_patch_regions\[(\d+)\]\[(\d+)\]", c)
    loop = re.search(r"for \(patch = 0; patch < (\d+); \+\+patch\) \{\n\s*const "
                     rf"{m.key}_patch_region \*r = {m.key}_patch_regions\[patch\];", c)
    rep = re.search(r"patch-based inference: (\d+) x (\d+) patches up to (\S+)", b.stderr)
    b.reported = f"{rep.group(1)}x{rep.group(2)} to {rep.group(3)}" if rep else ""
    if table and loop:
        n2 = int(loop.group(1))
        n = int(round(n2 ** 0.5))
        if n * n != n2 or int(table.group(1)) != n2:
            fail(f"{m.key} {b.variant} {b.target}: patch loop over {n2} patches, table of {table.group(1)}")
        b.patched_grid = n
        if not rep or int(rep.group(1)) != n or int(rep.group(2)) != n:
            fail(f"{m.key} {b.variant} {b.target}: C loops over {n}x{n} patches, pare reported "
                 f"'{b.reported or 'nothing'}'")
    elif table or loop or "patch_regions" in c:
        fail(f"{m.key} {b.variant} {b.target}: patch table without the patch loop (or the other way)")
    elif rep:
        fail(f"{m.key} {b.variant} {b.target}: pare reported '{b.reported}' but the C has no patch loop")
    return b


# --------------------------------------------------------------------------- host build (object cache)

_cache_lock = threading.Lock()
_key_locks: Dict[str, threading.Lock] = {}


def _includes(src: Path, seen=None) -> List[Path]:
    seen = seen if seen is not None else set()
    for inc in re.findall(r'^\s*#\s*include\s+"([^"]+)"', src.read_text(), re.M):
        h = src.parent / inc
        if h.exists() and h not in seen:
            seen.add(h)
            _includes(h, seen)
    return sorted(seen)


def build_host(d: Path, cache: Path, flags: List[str], exe: str) -> Optional[str]:
    """Compiles d/*.c with flags (objects cached by the bytes of the source and its local
    headers: the kernels and weights are shared between variants), links d/exe; error text or None."""
    objs = []
    for src in sorted(d.glob("*.c")):
        fl = CFLAGS if flags is SANFLAGS and src.name.endswith("_weights.c") else flags
        # (weights: constant arrays only, no code to check, and slow to instrument)
        hsh = hashlib.sha256(" ".join(fl).encode() + b"\0" + src.name.encode() + b"\0" + src.read_bytes())
        for h in _includes(src):
            hsh.update(b"\0" + h.name.encode() + b"\0" + h.read_bytes())
        key = hsh.hexdigest()
        obj = cache / f"{key}.o"
        with _cache_lock:
            lock = _key_locks.setdefault(key, threading.Lock())
        with lock:
            if not obj.exists():
                tmp = cache / f"{key}.{threading.get_ident()}.tmp.o"
                p = run(["gcc", *fl, "-c", src, "-o", tmp])
                if p.returncode != 0:
                    return f"gcc {' '.join(fl)} -c {src.name}:\n{p.stderr[-3000:]}"
                os.replace(tmp, obj)
        objs.append(obj)
    p = run(["gcc", *flags, "-o", d / exe, *objs, "-lm"])
    if p.returncode != 0:
        return f"link {exe}:\n{p.stderr[-3000:]}"
    return None


def run_host(exe: Path, inputs: List[Path], out_root: Path, env=None) -> (Optional[str], List[bytes]):
    """Runs exe on each input; the concatenated bytes of its .npy files per input."""
    res = []
    for i, x in enumerate(inputs):
        o = out_root / f"o{i}"
        if o.exists():
            shutil.rmtree(o)
        o.mkdir(parents=True)
        p = run([exe, "-o", o, x], env=env, timeout=120)
        if p.returncode != 0 or "runtime error" in p.stderr or "AddressSanitizer" in p.stderr:
            return f"{exe} {x.name}: exit {p.returncode}\n{p.stdout[-2000:]}{p.stderr[-3000:]}", res
        files = sorted(o.glob("*.npy"))
        if not files:
            return f"{exe} {x.name}: no outputs", res
        res.append(b"".join(f.name.encode() + b"\0" + f.read_bytes() for f in files))
    return None, res


def host_build_and_run(b: Build, cache: Path, inputs: List[Path]) -> Build:
    err = build_host(b.dir, cache, CFLAGS, "runner")
    if err:
        b.status = "BUILD FAIL"
        fail(f"{b.model.key} {b.variant}: {err}")
        return b
    err, b.outputs = run_host(b.dir / "runner", inputs, b.dir.parent.parent / "out" / f"{b.model.key}_{b.variant}")
    if err:
        b.status = "RUN FAIL"
        fail(f"{b.model.key} {b.variant}: {err}")
    return b


def sanitized_run(b: Build, cache: Path, inputs: List[Path]) -> Optional[str]:
    err = build_host(b.dir, cache, SANFLAGS, "runner_san")
    if err:
        return err
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    err, outs = run_host(b.dir / "runner_san", inputs, b.dir.parent.parent / "out" / f"{b.model.key}_{b.variant}_san", env)
    if err:
        return err
    if outs != b.outputs:
        return "sanitized build gives other outputs than the -O2 build"
    return None


# --------------------------------------------------------------------------- QEMU

def _sync(src: Path, dst: Path) -> None:
    """Makes dst a copy of src, leaving files with the same bytes untouched (mtime kept)."""
    dst.mkdir(parents=True, exist_ok=True)
    names = {p.name for p in src.iterdir()}
    for p in dst.iterdir():
        if p.name not in names:
            p.unlink()
    for n in sorted(names):
        if not (dst / n).exists() or (dst / n).read_bytes() != (src / n).read_bytes():
            shutil.copyfile(src / n, dst / n)


def qemu_run(b: Build, model_dir: Path, fw_work: Path, x: Path, work: Path) -> dict:
    out = work / "qemu" / f"{b.model.key}_{b.variant}"
    p = run([PY, ROOT / "scripts" / "run_cortex_m.py", model_dir, "--name", b.model.key, "--cpu", "m7",
             "--board", b.model.qemu_board, "--input", x, "--out", out, "--json", "-j", "1",
             "--work", fw_work], timeout=600)
    if p.returncode != 0:
        return {"error": (p.stdout + p.stderr)[-3000:]}
    s = json.loads(p.stdout[p.stdout.index("{"):])
    s["out_dir"] = out
    return s


def npy_payload(path: Path) -> bytes:
    a = np.load(path)
    return f"{a.dtype.str}{a.shape}".encode() + b"\0" + np.ascontiguousarray(a).tobytes()


# --------------------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pare", default=str(ROOT / "build" / "tools" / "pare" / "pare"))
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--work", help="keep the generated code, builds and outputs here")
    ap.add_argument("--no-qemu", action="store_true", help="skip the Cortex-M7 / QEMU part")
    args = ap.parse_args()
    t0 = time.time()
    tmp = None
    if args.work:
        work = Path(args.work).resolve()
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="pare-patches-")
        work = Path(tmp.name)
    try:
        return _main(args, work, t0)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _main(args, work: Path, t0: float) -> int:
    pare = str(Path(args.pare).resolve())
    if not args.no_qemu:
        for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "cmake"):
            if not shutil.which(tool):
                sys.exit(f"patches: {tool} not found (or run with --no-qemu)")
    models_dir = work / "models"
    p = run([PY, ROOT / "scripts" / "export_models.py", models_dir, "--model", "mobilenet_v2_035", "-q"])
    if p.returncode != 0:
        sys.exit("export of mobilenet_v2_035 failed:\n" + p.stdout + p.stderr)
    fm = ROOT / "examples" / "models" / "fashion_mnist_cnn.onnx"
    specs = [
        ModelSpec("fm_f32", fm, [1, 1, 28, 28], False, [], "uniform", [2, 5, 9, 30], ["g9"]),
        ModelSpec("fm_s8", fm, [1, 1, 28, 28], True, [], "uniform", [2, 5, 9, 30], ["min", "g9"], "stm32f746"),
        ModelSpec("mnv2_s8", models_dir / "mobilenet_v2_035.onnx", [1, 3, 144, 144], True, [], "normal",
                  [2, 5, 16], ["min"], "mps2-big"),
        # onnxruntime's arithmetic (float32 requantization, ties to even: the default for models
        # that arrive quantized) in the same kernels: in-place depthwise, residual adds in tiles
        ModelSpec("mnv2_s8_onnx", models_dir / "mobilenet_v2_035.onnx", [1, 3, 144, 144], True,
                  ["--int8-rounding", "onnx"], "normal", [5], ["min"], "mps2-big"),
        ModelSpec("ppocr_s8", ROOT / "examples" / "models" / "ppocr_cls_mobilenetv3.onnx", [1, 3, 48, 192], True,
                  ["--input-shape", "x=1,3,48,192"], "uniform", [3, 24, 48], ["g24"]),
    ]
    cache = work / "objcache"
    cache.mkdir()
    (work / "gen").mkdir()

    # 1. compile: off, min, grid 4, the sweep
    builds: Dict[str, List[Build]] = {}
    cals: Dict[str, Path] = {}
    inputs: Dict[str, List[Path]] = {}
    for m in specs:
        cals[m.key] = make_inputs(work, m)
        inputs[m.key] = sorted((work / f"in_{m.key}").glob("x_*.npy"))
        bl = []
        for variant, grid in [("off", None), ("min", None), ("g4", 4)] + [(f"g{g}", g) for g in m.sweep]:
            b = compile_build(pare, Build(m, variant, grid), work, cals[m.key])
            if b.rc != 0:
                ok = b.rc == 1 and "pare: error:" in b.stderr and not b.dir.exists()
                b.status = "rejected" if ok else "COMPILE FAIL"
                msg = f"{m.key} --patches {'off' if variant == 'off' else 'min'}" + \
                      (f" --patch-grid {grid}" if grid else "") + f": exit {b.rc}: {b.stderr[-500:]}"
                if ok and grid:
                    notes.append(msg)
                else:
                    fail(msg)
                    b.status = "COMPILE FAIL"
            bl.append(b)
        builds[m.key] = bl
        off = bl[0]
        if off.rc == 0 and off.patched_grid is not None:
            fail(f"{m.key}: --patches off still emits a patch loop")
        for b in bl[1:]:
            if b.rc != 0:
                continue
            if b.patched_grid is None:
                if b.variant in ("min", "g4"):
                    fail(f"{m.key} {b.variant}: not patched (no patch loop in {m.key}.c): "
                         f"the test would pass vacuously")
                else:
                    b.notes.append("fell back to layer by layer")
                    notes.append(f"{m.key} --patches min --patch-grid {b.grid}: no patch stage with this grid; "
                                 f"pare silently compiled layer by layer (arena {b.arena} = unpatched "
                                 f"{off.arena}), no message")
                continue
            if b.grid and b.patched_grid != b.grid:
                fail(f"{m.key} {b.variant}: asked for --patch-grid {b.grid}, got {b.patched_grid}x{b.patched_grid}")
            if not b.arena < off.arena:
                fail(f"{m.key} {b.variant}: patched arena {b.arena} is not smaller than unpatched {off.arena}")
    print(f"[{time.time() - t0:5.1f}s] compiled {sum(len(v) for v in builds.values())} variants", flush=True)

    # 2. host builds (gcc -O2 -Werror -pedantic) and runs
    todo = [b for bl in builds.values() for b in bl if b.rc == 0]
    with ThreadPoolExecutor(args.jobs) as ex:
        list(ex.map(lambda b: host_build_and_run(b, cache, inputs[b.model.key]), todo))
    for key, bl in builds.items():
        off = bl[0]
        if not off.outputs:
            continue
        if len(set(off.outputs)) < 2:
            fail(f"{key}: the unpatched outputs are the same for all {N_INPUTS} inputs: the comparison "
                 "would prove little")
        for b in bl[1:]:
            if b.rc != 0 or b.status:
                continue
            same = [o == r for o, r in zip(b.outputs, off.outputs)]
            if all(same) and len(same) == len(off.outputs):
                b.status = "identical"
            else:
                b.status = "MISMATCH"
                fail(f"{key} {b.variant} ({b.reported}): outputs differ from --patches off on inputs "
                     f"{[i for i, s in enumerate(same) if not s]}")
    print(f"[{time.time() - t0:5.1f}s] host builds and runs done", flush=True)

    # 2b. ASan / UBSan on some patched builds
    san = [b for bl in builds.values() for b in bl if b.variant in b.model.sanitize and b.rc == 0 and b.outputs]
    with ThreadPoolExecutor(args.jobs) as ex:
        errs = list(ex.map(lambda b: sanitized_run(b, cache, inputs[b.model.key]), san))
    for b, err in zip(san, errs):
        if err:
            b.status = "SANITIZER FAIL"
            fail(f"{b.model.key} {b.variant} under -fsanitize=address,undefined: {err}")
        else:
            b.notes.append("asan+ubsan clean")
    print(f"[{time.time() - t0:5.1f}s] sanitizer runs done", flush=True)

    # 4. determinism: each patched variant compiled again (host, and cortex-m7 below)
    for bl in builds.values():
        for b in bl[1:3]:
            if b.rc != 0:
                continue
            again = compile_build(pare, Build(b.model, b.variant, b.grid), work, cals[b.model.key],
                                  out=work / "gen_again" / b.dir.name)
            if again.rc != 0 or _differs(b.dir, again.dir):
                fail(f"{b.model.key} {b.variant}: two compiles give different files")
            else:
                b.notes.append("deterministic")

    # 3. Cortex-M7 under QEMU
    qrows = []
    if not args.no_qemu:
        # Per model the unpatched build first, then the patched one synced into the same model
        # directory (unchanged files keep their mtime), so the firmware rebuild under the same
        # --work directory recompiles only what changed, not the weights.
        chains = []
        for m in specs:
            if not m.qemu_board:
                continue
            chain = []
            for variant in ("off", "min"):
                b = compile_build(pare, Build(m, variant, None, target="cortex-m7"), work, cals[m.key])
                if b.rc != 0:
                    fail(f"{m.key} {variant} cortex-m7: compile failed: {b.stderr[-500:]}")
                    continue
                if variant == "min":
                    if b.patched_grid is None:
                        fail(f"{m.key} min cortex-m7: no patch loop")
                    again = compile_build(pare, Build(m, variant, None, target="cortex-m7"), work, cals[m.key],
                                          out=work / "gen_again" / b.dir.name)
                    if again.rc != 0 or _differs(b.dir, again.dir):
                        fail(f"{m.key} min cortex-m7: two compiles give different files")
                    else:
                        b.notes.append("deterministic")
                chain.append(b)
            chains.append(chain)

        def run_chain(chain):
            fw_model = work / "qemu" / f"{chain[0].model.key}_model"
            fw_work = work / "qemu" / f"{chain[0].model.key}_work"
            out = []
            for b in chain:
                _sync(b.dir, fw_model)
                out.append((b, qemu_run(b, fw_model, fw_work, inputs[b.model.key][0], work)))
            return out

        with ThreadPoolExecutor(args.jobs) as ex:
            pairs = [r for rs in ex.map(run_chain, chains) for r in rs]
        qb = [b for b, _ in pairs]
        res = [s for _, s in pairs]
        host_off = {k: next((b for b in bl if b.variant == "off"), None) for k, bl in builds.items()}
        counts = {}
        for b, s in zip(qb, res):
            key = b.model.key
            if "error" in s:
                fail(f"{key} {b.variant} on Cortex-M7/QEMU: {s['error']}")
                qrows.append((key, b.variant, b.patched_grid, b.arena, None, "QEMU FAIL"))
                continue
            href = work / "out" / f"{key}_off" / "o0"
            same = True
            for f in sorted(href.glob("*.npy")):
                q = s["out_dir"] / f.name
                if not q.exists() or npy_payload(q) != npy_payload(f):
                    same = False
            st = "== host off" if same else "MISMATCH"
            if not same:
                fail(f"{key} {b.variant} on Cortex-M7/QEMU: outputs differ from the host unpatched build")
            counts[(key, b.variant)] = s["instructions"]
            qrows.append((key, b.variant, b.patched_grid, s["arena_bytes"], s["instructions"], st))
        print(f"[{time.time() - t0:5.1f}s] QEMU runs done", flush=True)

    # table
    print()
    print(f"{'model':9} {'variant':7} {'patches':34} {'arena B':>8} {'vs off':>6}  {'result':12} notes")
    for key, bl in builds.items():
        off = bl[0]
        for b in bl:
            if b.rc != 0:
                print(f"{key:9} {b.variant:7} {'(' + b.stderr.splitlines()[-1][:60] + ')' if b.stderr else '':34} "
                      f"{'-':>8} {'-':>6}  {b.status}")
                continue
            pat = b.reported if b.patched_grid else "layer by layer"
            ratio = f"{off.arena / b.arena:5.2f}x" if b is not off and b.arena else ""
            st = b.status or ("reference" if b is off else "")
            print(f"{key:9} {b.variant:7} {pat[:34]:34} {b.arena:8d} {ratio:>6}  {st:12} {', '.join(b.notes)}")
    if qrows:
        print()
        print(f"{'Cortex-M7 (QEMU)':18} {'variant':7} {'arena B':>8} {'instructions':>13} {'vs off':>7}  result")
        for key, variant, grid, arena, ins, st in qrows:
            base = counts.get((key, "off"))
            rel = f"{ins / base:6.3f}x" if ins and base else ""
            print(f"{key:18} {variant + (f' {grid}x{grid}' if grid else ''):7} {arena:8d} "
                  f"{ins if ins is not None else '-':>13} {rel:>7}  {st}")
    for n in notes:
        print("note: " + n)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"\n{time.time() - t0:.1f}s wall, {ru.ru_utime + ru.ru_stime:.1f}s CPU in child processes")
    if failures:
        print(f"FAILED ({len(failures)}):\n  " + "\n  ".join(f.splitlines()[0] for f in failures))
        return 1
    print("patches: patched outputs identical to layer-by-layer outputs")
    return 0


def _differs(a: Path, b: Path) -> bool:
    skip = ("runner", "runner_san")  # the executables built in the first directory
    fa = sorted(p.name for p in a.iterdir() if p.name not in skip)
    fb = sorted(p.name for p in b.iterdir() if p.name not in skip)
    if fa != fb:
        return True
    return any((a / n).read_bytes() != (b / n).read_bytes() for n in fa)


if __name__ == "__main__":
    sys.exit(main())
