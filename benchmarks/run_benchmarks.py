#!/usr/bin/env python3
"""Benchmark pare's generated C against onnxruntime on the real models; print a Markdown table.

Models: as tests/e2e/run_real_models.py (mobilenet_v2_035, resnet18, squeezenet1_1 exported by
scripts/export_models.py, and ../shared/models/ppocr_cls_mobilenetv3.onnx at 1x3x48x192).

Columns:
  MACs, params, arena      total_macs, total_params, arena_bytes of `pare inspect --json`
  weights                  weight_bytes of `pare inspect --json`
  text+data+bss            binutils `size` of the model's objects and the runtime kernels, each
                           built with `gcc -std=c99 -Os -c` (runner.c excluded); includes the
                           weights (.rodata, counted in text) and a static arena (.bss) if any
  code                     text+data minus weights: kernels, schedule and other constants
  pare ms                  the generated C built with `gcc -O3 -march=native -std=c99 *.c -lm`,
                           median of `runner -n N` (one thread, as the C is)
  ort ms                   onnxruntime CPU, intra_op_num_threads=1, inter_op_num_threads=1,
                           sequential execution, same input, warmed up, median of N runs
  pare/ort                 latency ratio (below 1: pare is faster)

Both latencies are measured on this machine in the same run; numbers from different machines are
not comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import pare_harness as H  # noqa: E402

SIZE_CFLAGS = ["-std=c99", "-Os"]
SPEED_CFLAGS = ["-O3", "-march=native", "-std=c99"]
TIMEOUT = 900


def human(n: Optional[float], unit: str = "") -> str:
    if n is None:
        return "-"
    for div, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(n) >= div:
            return f"{n / div:.2f}{suffix}{unit}"
    return f"{n:.0f}{' ' + unit if unit else ''}"


def kib(n: Optional[int]) -> str:
    return "-" if n is None else f"{n / 1024:,.1f} KiB"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gcc_version() -> str:
    p = H.run([H.cc(), "--version"], timeout=30)
    return p.stdout.splitlines()[0] if p.returncode == 0 and p.stdout else H.cc()


def ort_latency_ms(model: Path, x, repeat: int, warmup: int) -> float:
    sess = H.ort_session(model, single_thread=True)
    feeds = {sess.get_inputs()[0].name: x}
    for _ in range(warmup):
        sess.run(None, feeds)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def bench_model(m: H.RealModel, pare: Path, work: Path, repeat: int, warmup: int, verbose: bool) -> dict:
    import numpy as np

    row: dict = {"model": m.name, "input": "x".join(map(str, m.input_shape)), "errors": []}
    mdir = work / m.name
    shutil.rmtree(mdir, ignore_errors=True)
    gen = mdir / "gen"
    mdir.mkdir(parents=True)

    def log(msg: str) -> None:
        if verbose:
            print(f"  {m.name}: {msg}", file=sys.stderr, flush=True)

    # Static figures from the compiler.
    try:
        info = H.pare_inspect(pare, m.path, m.shape_args, timeout=TIMEOUT)
        row["macs"] = int(info["total_macs"])
        row["params"] = int(info["total_params"])
        row["arena_bytes"] = int(info["arena_bytes"])
        row["weight_bytes"] = int(info["weight_bytes"])
    except (H.HarnessError, KeyError, TypeError, ValueError) as exc:
        row["errors"].append(f"inspect: {exc}")

    log("compiling")
    p = H.pare_compile(pare, m.path, gen, name=m.name, input_shapes=m.shape_args, timeout=TIMEOUT)
    if p.returncode != 0:
        row["errors"].append(f"compile ({p.describe_exit()}): {H.first_line(p.output)}")
        return row

    # Code and data size at -Os: every generated .c except the host runner.
    log("size build (-Os)")
    objdir = mdir / "obj_Os"
    objdir.mkdir()
    objs = []
    for src in sorted(gen.glob("*.c")):
        if src.name == "runner.c":
            continue
        obj = objdir / (src.stem + ".o")
        b = H.run([H.cc(), *SIZE_CFLAGS, "-c", str(src), "-o", str(obj)], timeout=TIMEOUT)
        if b.returncode != 0:
            row["errors"].append(f"gcc -Os -c {src.name}: {H.first_line(b.output)}")
            break
        objs.append(obj)
    else:
        try:
            text, data, bss = H.object_sizes(objs)
            row.update(text=text, data=data, bss=bss, size_bytes=text + data + bss)
        except H.HarnessError as exc:
            row["errors"].append(str(exc))

    # Host latency of the generated C.
    log("speed build (-O3 -march=native)")
    runner = mdir / "runner_O3"
    b = H.run([H.cc(), *SPEED_CFLAGS, *[str(s) for s in sorted(gen.glob("*.c"))], "-lm", "-o", str(runner)], timeout=TIMEOUT)
    x = m.make_input(0)
    inp = mdir / "input_0.npy"
    np.save(inp, x, allow_pickle=False)
    if b.returncode != 0:
        row["errors"].append(f"gcc -O3 build: {H.first_line(b.output)}")
    else:
        log(f"pare latency (-n {repeat})")
        # The runner's own warm-up is its first runs; do one plain run first to fault pages in.
        H.run_runner(runner, [inp], mdir / "out", timeout=TIMEOUT)
        r = H.run_runner(runner, [inp], mdir / "out", repeat=repeat, timeout=TIMEOUT)
        if r.returncode != 0:
            row["errors"].append(f"runner -n {repeat} ({r.describe_exit()}): {H.first_line(r.output)}")
        else:
            try:
                row["pare_ms"] = H.parse_latency_ms(r.stdout)
            except H.HarnessError as exc:
                row["errors"].append(str(exc))

    log(f"onnxruntime latency ({warmup} warm-up, {repeat} runs)")
    try:
        row["ort_ms"] = ort_latency_ms(m.path, x, repeat, warmup)
    except Exception as exc:  # onnxruntime raises its own exception types
        row["errors"].append(f"onnxruntime: {exc}")
    if row.get("pare_ms") is not None and row.get("ort_ms"):
        row["ratio"] = row["pare_ms"] / row["ort_ms"]
    return row


def markdown(rows: List[dict], meta: dict) -> str:
    out = [
        f"pare benchmarks on {meta['cpu']} ({meta['gcc']}; onnxruntime {meta['onnxruntime']}, "
        f"1 thread; median of {meta['repeat']} runs; {meta['date']})",
        "",
        "| model | input | MACs | params | weights | arena | text+data+bss (-Os) | code | pare ms | ort ms | pare/ort |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            "| {model} | {input} | {macs} | {params} | {weights} | {arena} | {size} | {code} | {pare} | {ort} | {ratio} |".format(
                model=r["model"],
                input=r["input"],
                macs=human(r.get("macs")),
                params=human(r.get("params")),
                weights=kib(r.get("weight_bytes")),
                arena=kib(r.get("arena_bytes")),
                size=kib(r.get("size_bytes")),
                code=kib(r["text"] + r["data"] - r["weight_bytes"]) if "text" in r and "weight_bytes" in r else "-",
                pare="-" if r.get("pare_ms") is None else f"{r['pare_ms']:.2f}",
                ort="-" if r.get("ort_ms") is None else f"{r['ort_ms']:.2f}",
                ratio="-" if r.get("ratio") is None else f"{r['ratio']:.2f}",
            )
        )
    errs = [f"- {r['model']}: {e}" for r in rows for e in r["errors"]]
    if errs:
        out += ["", "Errors:", *errs]
    return "\n".join(out) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--pare", help=f"the pare binary (default: {H.DEFAULT_PARE.relative_to(H.REPO_ROOT)})")
    ap.add_argument("--model", action="append", choices=H.REAL_MODEL_NAMES, help="benchmark only this model (repeatable)")
    ap.add_argument("--models-dir", type=Path, default=H.REPO_ROOT / "build" / "models", help="where the exports go (default: build/models)")
    ap.add_argument("--ppocr", type=Path, default=H.PPOCR_MODEL, help="the PaddleOCR classifier (default: ../shared/models/ppocr_cls_mobilenetv3.onnx, else examples/models/)")
    ap.add_argument("-n", "--repeat", type=int, default=20, help="timed runs per model and engine (default %(default)s)")
    ap.add_argument("--warmup", type=int, default=3, help="onnxruntime warm-up runs (default %(default)s)")
    ap.add_argument("-o", "--output", type=Path, help="also write the Markdown table to this file")
    ap.add_argument("--json", type=Path, help="also write the raw figures as JSON to this file")
    ap.add_argument("--work-dir", type=Path, help="where models are compiled (default: a temporary directory, removed)")
    ap.add_argument("-v", "--verbose", action="store_true", help="report progress on stderr")
    args = ap.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0:
        H.die("--repeat must be at least 1 and --warmup at least 0")

    H.ensure_python_deps(("numpy", "onnx", "onnxruntime", "torch", "torchvision"))
    import onnxruntime

    pare = H.find_pare(args.pare)
    H.find_tool(H.cc(), "install gcc (scripts/setup.sh does)")
    H.find_tool("size", "install binutils (scripts/setup.sh does)")
    try:
        models = H.real_models(args.models_dir, args.ppocr.resolve(), args.model, verbose=args.verbose)
    except H.HarnessError as exc:
        H.die(str(exc))

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="pare-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for m in models:
        if args.verbose:
            print(f"{m.name}:", file=sys.stderr, flush=True)
        rows.append(bench_model(m, pare, work, args.repeat, args.warmup, args.verbose))
    if args.work_dir is None:
        shutil.rmtree(work, ignore_errors=True)

    meta = {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "gcc": gcc_version(),
        "onnxruntime": onnxruntime.__version__,
        "repeat": args.repeat,
        "warmup": args.warmup,
        "date": time.strftime("%Y-%m-%d"),
    }
    text = markdown(rows, meta)
    print(text, end="")
    if args.output:
        args.output.write_text(text)
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "models": rows}, indent=2) + "\n")
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
