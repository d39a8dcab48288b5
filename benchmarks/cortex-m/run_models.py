#!/usr/bin/env python3
"""Whole models compiled by pare, int8 and float, on emulated Cortex-M4 and Cortex-M7 (QEMU).

    .venv/bin/python benchmarks/cortex-m/run_models.py [--json] [--work DIR] [--model NAME ...]

Models:
  mobilenet_v2_035_144  torchvision mobilenet_v2(width_mult=0.35), 1x3x144x144, exported by
                        scripts/export_models.py (random weights, seed 0; BatchNorm statistics
                        measured on torch.randn inputs)
  mobilenet_v2_030_64   torchvision mobilenet_v2(width_mult=0.3), 1x3x64x64, exported the same way
  fashion_mnist_cnn     examples/models/fashion_mnist_cnn.onnx (trained; examples/fashion-mnist)
  ppocr_cls             examples/models/ppocr_cls_mobilenetv3.onnx at 1x3x48x192 (trained)

Calibration for --quantize int8: the MobileNets have random weights, so there is no real data to
calibrate on; they are calibrated on 16 seeded standard-normal inputs (the distribution their
BatchNorm statistics were measured on) and run on another such input. Fashion-MNIST: the 200
training images of examples/fashion-mnist/out/calib (train.py writes them; this script runs it
when they are missing), run on the first test image. PaddleOCR: 64 text lines rendered by
scripts/render_text_lines.py --calib 64, run on one rendered test line.

Each build goes through scripts/run_cortex_m.py (pare compile --target cortex-m4|m7, the
examples/cortex-m firmware, arm-none-eabi-gcc -O2 from its CMake, qemu-system-arm -icount
shift=7 on mps2-an386 / mps2-an500). The board is the smallest of stm32f411 (512 KiB flash,
128 KiB SRAM), stm32f746 (1 MiB, 320 KiB) and mps2-big (4 MiB, 4 MiB) the M4 build links for;
the M7 build uses the same board. A float build whose weights alone exceed 4 MiB is not built.

Columns: instructions of one inference (exact; QEMU counts instructions, not cycles), flash =
.text + .rodata of the firmware less the test input (which is a const array in .rodata), so it
includes the harness (startup, newlib-nano printf over semihosting: a few KiB), peak SRAM =
.data + .bss (the model's activation arena, output buffers, the harness's few hundred bytes) +
the stack the inference used (measured by the firmware). Unless --no-check-host, each int8
model is also compiled for the host (--emit-runner, gcc -O2) and run on the same input, to see
that the Cortex-M (DSP) and host (portable C) builds give the same outputs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "scripts"))
PY = sys.executable
PARE = REPO / "build" / "tools" / "pare" / "pare"
RUN_CORTEX_M = REPO / "scripts" / "run_cortex_m.py"
FM_DIR = REPO / "examples" / "fashion-mnist"
BOARDS = [("stm32f411", 512 << 10, 128 << 10), ("stm32f746", 1 << 20, 320 << 10),
          ("mps2-big", 4 << 20, 4 << 20)]
SEED = 0


def log(msg: str) -> None:
    print(f"run_models: {msg}", file=sys.stderr, flush=True)


def run(cmd, check=True, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise SystemExit(f"run_models: command failed ({p.returncode}): {' '.join(map(str, cmd))}\n"
                         f"{p.stdout[-3000:]}{p.stderr[-3000:]}")
    return p


@dataclass
class Model:
    name: str
    path: Path
    shape: List[int]
    input_npy: Path
    calib: Path
    calib_note: str
    pare_flags: List[str] = field(default_factory=list)  # e.g. --input-shape
    macs: int = 0
    params: int = 0


# --------------------------------------------------------------------------- model preparation

def export_mobilenet(out_dir: Path, name: str, width: float, size: int) -> Path:
    import export_models as em
    import torch
    import torchvision

    path = out_dir / f"{name}.onnx"
    if path.exists():
        return path
    spec = em.ModelSpec(name, (1, 3, size, size),
                        lambda: torchvision.models.mobilenet_v2(weights=None, width_mult=width),
                        f"torchvision mobilenet_v2(width_mult={width})")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as export_models.py: BatchNorm statistics independent of core count
    try:
        em.export_model(spec, out_dir)
    finally:
        torch.set_num_threads(threads)
    return path


def random_calibration(d: Path, shape, n: int, seed: int) -> None:
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        np.save(d / f"input_{i:03d}.npy", rng.standard_normal(shape).astype(np.float32))


def prepare(work: Path, names: List[str]) -> List[Model]:
    mdir = work / "models"
    mdir.mkdir(parents=True, exist_ok=True)
    models = []
    for name, width, size in (("mobilenet_v2_035_144", 0.35, 144), ("mobilenet_v2_030_64", 0.3, 64)):
        if name not in names:
            continue
        path = export_mobilenet(mdir, name, width, size)
        shape = [1, 3, size, size]
        calib = work / f"calib_{name}"
        random_calibration(calib, shape, 16, SEED)
        x = np.random.default_rng(SEED + 1000).standard_normal(shape).astype(np.float32)
        np.save(work / f"input_{name}.npy", x)
        models.append(Model(name, path, shape, work / f"input_{name}.npy", calib,
                            "16 seeded N(0,1) inputs (random-weight model: no real data)"))
    if "fashion_mnist_cnn" in names:
        out = FM_DIR / "out"
        if not ((out / "test_x.npy").exists() and any((out / "calib").glob("*.npy"))):
            log("examples/fashion-mnist/out/ lacks data: running train.py (about 4 minutes)")
            run([PY, FM_DIR / "train.py"])
        x = np.load(out / "test_x.npy", mmap_mode="r")[0:1].astype(np.float32)
        np.save(work / "input_fashion_mnist_cnn.npy", x)
        models.append(Model("fashion_mnist_cnn", REPO / "examples" / "models" / "fashion_mnist_cnn.onnx",
                            [1, 1, 28, 28], work / "input_fashion_mnist_cnn.npy", out / "calib",
                            "200 training images (examples/fashion-mnist/out/calib)"))
    if "ppocr_cls" in names:
        raw, calib, test = work / "ppocr_calib_raw", work / "ppocr_calib", work / "ppocr_test"
        run([PY, REPO / "scripts" / "render_text_lines.py", "--out", raw, "--calib", 64])
        run([PY, REPO / "scripts" / "render_text_lines.py", "--out", test, "--count", 1])
        if calib.exists():
            shutil.rmtree(calib)
        calib.mkdir()
        for f in sorted(raw.glob("x_*.npy")):  # not labels.npy: pare takes every .npy as a sample
            shutil.copy(f, calib / f.name)
        models.append(Model("ppocr_cls", REPO / "examples" / "models" / "ppocr_cls_mobilenetv3.onnx",
                            [1, 3, 48, 192], test / "x_000.npy", calib,
                            "64 rendered text lines (render_text_lines.py --calib 64)",
                            ["--input-shape", "x=1,3,48,192"]))
    for m in models:
        m.macs, m.params = count_macs(m.path, m.shape)
    return models


def count_macs(path: Path, shape: List[int], per_node: Optional[dict] = None):
    """Multiply-accumulates of Conv / Gemm / MatMul (shape inference at the fixed input shape) and
    the number of weight elements (initializers and Constant nodes). With per_node, fills it with
    {node name: (kind, MACs)}, kind e.g. "conv 3x3", "depthwise 5x5", "pointwise", "fc"."""
    import onnx
    from onnx import numpy_helper, shape_inference

    m = onnx.load(str(path))
    inits = {i.name for i in m.graph.initializer}
    inp = [i for i in m.graph.input if i.name not in inits][0]
    for d, v in zip(inp.type.tensor_type.shape.dim, shape):
        d.Clear()
        d.dim_value = v
    m = shape_inference.infer_shapes(m)
    shapes: Dict[str, List[int]] = {}
    for vi in list(m.graph.value_info) + list(m.graph.input) + list(m.graph.output):
        dims = vi.type.tensor_type.shape.dim
        if vi.type.tensor_type.HasField("shape") and all(d.HasField("dim_value") for d in dims):
            shapes[vi.name] = [d.dim_value for d in dims]
    params = 0
    for t in m.graph.initializer:
        shapes[t.name] = list(t.dims)
        params += int(np.prod(t.dims)) if t.dims else 1
    for n in m.graph.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    shapes[n.output[0]] = list(a.t.dims)
                    params += int(np.prod(a.t.dims)) if a.t.dims else 1
    macs = 0
    for n in m.graph.node:
        if n.op_type == "Conv" and n.input[1] in shapes and n.output[0] in shapes:
            w = shapes[n.input[1]]  # Cout x Cin/group x kh x kw
            group = next((x.i for x in n.attribute if x.name == "group"), 1)
            mac = int(np.prod(shapes[n.output[0]])) * int(np.prod(w[1:]))
            macs += mac
            if per_node is not None:
                kind = (f"depthwise {w[2]}x{w[3]}" if group > 1 and w[1] == 1 else
                        "pointwise" if w[2:] == [1, 1] and group == 1 else f"conv {w[2]}x{w[3]}")
                if int(np.prod(shapes[n.output[0]][2:])) == 1:
                    kind += " (1x1 spatial, SE)"
                per_node[n.name] = (kind, mac)
        elif n.op_type in ("Gemm", "MatMul") and n.input[1] in shapes and len(shapes[n.input[1]]) == 2:
            k, cols = shapes[n.input[1]]  # batch-1 models: a weight matrix K x N (N x K with transB)
            if n.op_type == "Gemm" and next((x.i for x in n.attribute if x.name == "transB"), 0):
                k, cols = cols, k
            out = shapes.get(n.output[0]) or [cols]  # an unknown output shape: one row
            macs += int(np.prod(out)) * k
            if per_node is not None:
                per_node[n.name] = ("fc", int(np.prod(out)) * k)
    return macs, params


# --------------------------------------------------------------------------- runs

def cortex_m(m: Model, variant: str, cpu: str, board: str, work: Path):
    """One run of scripts/run_cortex_m.py; (summary or None, error text)."""
    wdir = work / "runs" / f"{m.name}_{variant}_{cpu}_{board}"
    if wdir.exists():
        shutil.rmtree(wdir)
    cmd = [PY, RUN_CORTEX_M, m.path, "--cpu", cpu, "--board", board, "--input", m.input_npy,
           "--name", m.name, "--work", wdir, "--out", wdir / "out", "--json", "--timeout", 900,
           *m.pare_flags]
    if variant == "int8":
        cmd += ["--quantize", "int8", "--calibration", m.calib]
    t0 = time.time()
    p = run(cmd, check=False)
    if p.returncode != 0:
        return None, (p.stderr.strip().splitlines() or ["failed"])[-1]
    s = json.loads(p.stdout)
    s["wall_s"] = round(time.time() - t0, 1)
    s["out_dir"] = str(wdir / "out")
    log(f"{m.name} {variant} {cpu} {board}: {s['instructions']:,} instructions ({s['wall_s']} s)")
    return s, None


def host_outputs(m: Model, work: Path, pare: Path) -> Dict[str, np.ndarray]:
    d = work / "host" / m.name
    if d.exists():
        shutil.rmtree(d)
    run([pare, "compile", m.path, "-o", d / "c", "--name", m.name, "--target", "generic-c", "-q",
         "--emit-runner", "--quantize", "int8", "--calibration", m.calib, *m.pare_flags])
    run(["gcc", "-O2", "-std=c99", "-I", d / "c", *sorted((d / "c").glob("*.c")), "-o", d / "runner", "-lm"])
    (d / "out").mkdir()
    run([d / "runner", "-o", d / "out", m.input_npy])
    return {f.stem: np.load(f) for f in (d / "out").glob("*.npy")}


def weight_bytes(m: Model, variant: str) -> int:
    return m.params * (1 if variant == "int8" else 4)


def run_model(m: Model, variant: str, cpus: List[str], work: Path) -> dict:
    row = {"model": m.name, "input": "x".join(map(str, m.shape)), "macs": m.macs, "params": m.params,
           "build": variant, "calibration": m.calib_note if variant == "int8" else None}
    first, board, err = None, None, None
    for b, flash, _ in BOARDS:
        if weight_bytes(m, variant) > flash:
            err = f"{weight_bytes(m, variant) / 2**20:.1f} MiB of weights > {b} flash"
            continue
        s, e = cortex_m(m, variant, cpus[0], b, work)
        if s is not None:
            first, board, err = s, b, None
            break
        err = e
        if "does not fit" not in e:
            break
    row["board"] = board
    if first is None:
        row["error"] = err
        log(f"{m.name} {variant}: {err}")
        return row
    results = {cpus[0]: first}
    for cpu in cpus[1:]:
        s, e = cortex_m(m, variant, cpu, board, work)
        results[cpu] = s
        if s is None:
            row.setdefault("error", f"{cpu}: {e}")
    input_bytes = int(np.load(m.input_npy).size) * 4  # the test input: a float const array
    for cpu, s in results.items():
        if s is None:
            continue
        sec = s["sections"]
        row[f"instructions_{cpu}"] = s["instructions"]
        row[f"flash_{cpu}"] = sec["text"] + sec["rodata"] - input_bytes
        row[f"sram_{cpu}"] = sec["data"] + sec["bss"] + (s["stack_used_bytes"] or 0)
        row[f"stack_used_{cpu}"] = s["stack_used_bytes"]
        row["arena_bytes"] = s["arena_bytes"]
        row[f"outputs_{cpu}"] = s["out_dir"]
    return row


def compare_host(m: Model, row: dict, work: Path, pare: Path) -> None:
    host = host_outputs(m, work, pare)
    for cpu in ("m4", "m7"):
        d = row.get(f"outputs_{cpu}")
        if not d:
            continue
        qemu = {f.stem: np.load(f) for f in Path(d).glob("*.npy")}
        same = set(qemu) == set(host) and all(np.array_equal(qemu[k], host[k]) for k in host)
        diff = max((float(np.max(np.abs(qemu[k].astype(np.float64) - host[k]))) for k in host if k in qemu),
                   default=float("nan"))
        row[f"host_identical_{cpu}"] = bool(same)
        row[f"host_max_abs_diff_{cpu}"] = diff


# --------------------------------------------------------------------------- per-layer profile

PROF_HEADER = """#include <stdio.h>
#define PARE_PROF_COUNTER (*(volatile const uint32_t *)0x40028018u) /* MPS2 FPGAIO, see cycles.h */
static uint32_t pare_prof_ticks[%d];
#define PARE_PROF(k) (pare_prof_ticks[k] = PARE_PROF_COUNTER)
"""


def instrument(c_file: Path, name: str) -> List[str]:
    """Reads the MPS2 counter before each ONNX node's code in <name>_run_with_arena and at its
    end, and prints the ticks after the run; returns the label of each step."""
    lines = c_file.read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith(f"int {name}_run_with_arena("))
    end = next(i for i in range(start, len(lines)) if lines[i] == "}")
    ret = max(i for i in range(start, end) if lines[i].strip() == "return 0;")
    labels, out = [], []
    for i, l in enumerate(lines):
        if start < i < end and l.startswith("  /* ") and ("ONNX node" in l or "layout change" in l):
            out.append(f"  PARE_PROF({len(labels)});")
            labels.append(l.strip()[3:-3])
        if i == ret:
            out.append(f"  PARE_PROF({len(labels)});")
            out.append(f"  {{ int k; for (k = 0; k < {len(labels)}; ++k) printf(\"prof %d %lu\\n\", k, "
                       "(unsigned long)(pare_prof_ticks[k + 1] - pare_prof_ticks[k])); }")
        out.append(l)
    first_fn = next(i for i, l in enumerate(out) if l.startswith("static ") or l.startswith("int "))
    out[first_fn:first_fn] = (PROF_HEADER % (len(labels) + 1)).splitlines()
    c_file.write_text("\n".join(out) + "\n")
    return labels


def profile(m: Model, variant: str, cpu: str, board: str, work: Path, pare: Path) -> List[dict]:
    """Instructions per ONNX node (group) of one model build under QEMU."""
    import re

    d = work / "profile" / f"{m.name}_{variant}_{cpu}"
    if d.exists():
        shutil.rmtree(d)
    cmd = [pare, "compile", m.path, "-o", d / "c", "--name", m.name, "--target", f"cortex-{cpu}", "-q",
           *m.pare_flags]
    if variant == "int8":
        cmd += ["--quantize", "int8", "--calibration", m.calib]
    run(cmd)
    labels = instrument(d / "c" / f"{m.name}.c", m.name)
    run([PY, RUN_CORTEX_M, d / "c", "--name", m.name, "--cpu", cpu, "--board", board,
         "--input", m.input_npy, "--work", d / "fw", "--json", "--timeout", 900])
    elf = next((d / "fw").glob("build-*/firmware.elf"))
    qemu = {"m4": "mps2-an386", "m7": "mps2-an500"}[cpu]
    p = run(["qemu-system-arm", "-M", qemu, "-cpu", f"cortex-{cpu}", "-nographic", "-monitor", "none",
             "-semihosting-config", "enable=on,target=native", "-icount", "shift=7,sleep=off",
             "-kernel", elf], stdin=subprocess.DEVNULL, timeout=900)
    ticks = {int(a): int(b) for a, b in re.findall(r"^prof (\d+) (\d+)$", p.stdout + p.stderr, re.M)}
    per_node: dict = {}
    count_macs(m.path, m.shape, per_node)
    rows = []
    for k, label in enumerate(labels):
        nodes = re.findall(r'"([^"]+)"', label)
        kind = label.split(": ", 1)[1].split(" ->")[0] if ": " in label else label
        node_kind, macs = next(((per_node[n][0], per_node[n][1]) for n in nodes if n in per_node), (None, 0))
        if "layout change" in label or not any(w in kind for w in ("conv", "fully_connected", "gemm", "matmul")):
            node_kind, macs = None, 0  # e.g. the lookup table or requantization after a fused conv
        rows.append({"step": label, "op": kind, "layer": node_kind, "macs": macs,
                     "instructions": round(ticks.get(k, 0) * 40 / 128)})
    return rows


def print_profile(m: Model, results: Dict[str, List[dict]]) -> None:
    variants = list(results)
    groups: Dict[str, Dict[str, List[int]]] = {}
    for v, rows in results.items():
        for r in rows:
            key = r["layer"] or r["op"].replace("qconv", "conv")
            g = groups.setdefault(key, {})
            acc = g.setdefault(v, [0, 0, 0])
            acc[0] += r["instructions"]
            acc[1] += r["macs"]
            acc[2] += 1
    totals = {v: sum(r["instructions"] for r in rows) for v, rows in results.items()}
    print(f"\n{m.name}: instructions by layer kind ({', '.join(variants)})")
    print("| layer kind | " + " | ".join(f"steps {v} | MACs | instructions {v} | share {v} | instr/MAC {v}"
                                            for v in variants) + " |")
    print("|---|" + "---:|" * (5 * len(variants)))
    order = sorted(groups, key=lambda k: -max(groups[k].get(v, [0])[0] for v in variants))
    for key in order:
        cells = [key]
        for v in variants:
            ins, macs, n = groups[key].get(v, [0, 0, 0])
            cells += [str(n), f"{macs:,}", f"{ins:,}", f"{100 * ins / max(1, totals[v]):.1f}%",
                      f"{ins / macs:.2f}" if macs else "-"]
        print("| " + " | ".join(cells) + " |")
    print("| total | " + " | ".join(f"{sum(x[2] for g in groups.values() for vv, x in g.items() if vv == v)} | "
                                     f"{sum(x[1] for g in groups.values() for vv, x in g.items() if vv == v):,} | "
                                     f"{totals[v]:,} | 100% | "
                                     f"{totals[v] / max(1, sum(x[1] for g in groups.values() for vv, x in g.items() if vv == v)):.2f}"
                                     for v in variants) + " |")


def fmt(v, unit=""):
    return "-" if v is None else f"{v:,}{unit}"


def main() -> int:
    all_models = ["mobilenet_v2_035_144", "mobilenet_v2_030_64", "fashion_mnist_cnn", "ppocr_cls"]
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=REPO / "build" / "bench-cortex-m",
                    help="work directory (default build/bench-cortex-m)")
    ap.add_argument("--model", action="append", choices=all_models, help="only this model (repeatable)")
    ap.add_argument("--cpus", default="m4,m7")
    ap.add_argument("--no-float", action="store_true", help="skip the float builds")
    ap.add_argument("--no-check-host", dest="check_host", action="store_false",
                    help="do not compare the int8 outputs with a host build")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="builds run at once (default 2)")
    ap.add_argument("--profile", action="store_true",
                    help="instead of the table: instructions per ONNX node of the int8 and float builds "
                         "(--cpus' first CPU, board mps2-big), summed by layer kind")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    for _ in range(60):
        if PARE.exists():
            break
        time.sleep(5)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    cpus = args.cpus.split(",")
    t0 = time.time()
    models = prepare(work, args.model or all_models)
    if args.profile:
        out = {}
        for m in models:
            res = {v: profile(m, v, cpus[0], "mps2-big", work, PARE)
                   for v in (["int8"] if args.no_float or m.params * 4 > (4 << 20) else ["int8", "float"])}
            out[m.name] = res
            if not args.json:
                print_profile(m, res)
        if args.json:
            print(json.dumps(out, indent=2))
        return 0
    jobs = [(m, v) for m in models for v in (["int8"] if args.no_float else ["int8", "float"])]
    with ThreadPoolExecutor(max(1, args.jobs)) as ex:
        rows = list(ex.map(lambda mv: run_model(mv[0], mv[1], cpus, work), jobs))
    if args.check_host:
        for m, row in zip([m for m, _ in jobs], rows):
            if row["build"] == "int8" and row.get("board"):
                compare_host(m, row, work, PARE)
    elapsed = time.time() - t0

    if args.json:
        print(json.dumps({"rows": rows, "elapsed_s": round(elapsed, 1)}, indent=2))
        return 0
    print("| model | input | MACs | build | board | instructions M4 | instructions M7 | instr/MAC M4 | "
          "instr/MAC M7 | flash (text+rodata) | peak SRAM (data+bss+stack) | arena |")
    print("|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        i4, i7 = r.get("instructions_m4"), r.get("instructions_m7")
        if not r.get("board"):
            print(f"| {r['model']} | {r['input']} | {r['macs']:,} | {r['build']} | does not fit: "
                  f"{r.get('error')} | - | - | - | - | - | - | - |")
            continue
        print(f"| {r['model']} | {r['input']} | {r['macs']:,} | {r['build']} | {r['board']} | {fmt(i4)} | "
              f"{fmt(i7)} | {i4 / r['macs']:.2f} | {i7 / r['macs']:.2f} | "
              f"{fmt(r.get('flash_m4'))} | {fmt(r.get('sram_m4'))} | {fmt(r.get('arena_bytes'))} |"
              if i4 and i7 else
              f"| {r['model']} | {r['input']} | {r['macs']:,} | {r['build']} | {r['board']} | {fmt(i4)} | "
              f"{fmt(i7)} | - | - | {fmt(r.get('flash_m4'))} | {fmt(r.get('sram_m4'))} | "
              f"{fmt(r.get('arena_bytes'))} |")
    if args.check_host:
        for r in rows:
            if "host_identical_m4" in r or "host_identical_m7" in r:
                print(f"{r['model']} int8: QEMU outputs identical to the host build: "
                      f"M4 {r.get('host_identical_m4')}, M7 {r.get('host_identical_m7')} "
                      f"(max |diff| {r.get('host_max_abs_diff_m4')}, {r.get('host_max_abs_diff_m7')})")
    print(f"({elapsed:.0f} s; flash and SRAM of the M4 build; M7 differs by a few hundred bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
