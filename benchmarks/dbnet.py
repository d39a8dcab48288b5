#!/usr/bin/env python3
"""Benchmark PaddleOCR's DBNet text detector (scripts/make_dbnet.py) through pare; print a Markdown table.

For each input size (--sizes, default 224 and 640, PaddleOCR's det_limit_side_len 960 rounds a
typical photo to 640-960): MACs and parameters (`pare inspect --json`), and for float32 and for
pare's own int8 (--quantize int8, 8 calibration pages): the arena and weight bytes
(`pare compile --memory-report`), the median latency of the generated C built with
`gcc -O3 -march=native -std=c99` (`runner -n N`, one thread), beside onnxruntime 1.19 on one thread
(float: the float model; int8: the same model quantized by onnxruntime's static quantizer, QDQ,
per-channel, run by its default session, i.e. its fused int8 kernels). Both in the same run on the
same machine; numbers from different machines are not comparable.

    .venv/bin/python benchmarks/dbnet.py [--pare build/tools/pare/pare] [--sizes 224,640] [-n 20]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import List

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import make_dbnet as D  # noqa: E402
import pare_harness as H  # noqa: E402
import run_dbnet as R  # noqa: E402

FAST_CFLAGS = ["-std=c99", "-O3", "-march=native"]


def ort_ms(model: Path, x: np.ndarray, repeat: int) -> float:
    sess = H.ort_session(model, single_thread=True)
    feeds = {D.INPUT_NAME: x}
    for _ in range(3):
        sess.run(None, feeds)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def pare_build(pare: Path, model: Path, gen: Path, extra: List[str]) -> dict:
    report = gen.parent / f"{gen.name}.memory.json"
    p = H.pare_compile(pare, model, gen, name="dbnet", extra=[*extra, "--memory-report", str(report)], timeout=1800)
    if p.returncode != 0:
        raise H.HarnessError(f"pare compile {model.name} {' '.join(extra)}: {H.first_line(p.output)}")
    b = H.build_c(gen, gen / "runner", FAST_CFLAGS, timeout=1800)
    if b.returncode != 0:
        raise H.HarnessError(f"gcc: {H.first_line(b.output)}")
    return json.loads(report.read_text())


def pare_ms(gen: Path, page: Path, repeat: int) -> float:
    r = H.run_runner(gen / "runner", [page], gen.parent / f"{gen.name}.out", repeat=repeat, timeout=1800)
    if r.returncode != 0:
        raise H.HarnessError(f"runner: {H.first_line(r.output)}")
    return H.parse_latency_ms(r.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pare", help="the pare binary (default: build/tools/pare/pare)")
    ap.add_argument("--sizes", default="224,640", help="comma-separated input sizes, multiples of 32")
    ap.add_argument("-n", type=int, default=20, help="timed runs per measurement (default 20)")
    ap.add_argument("--models", type=Path, default=REPO / "build" / "models")
    args = ap.parse_args()
    pare = H.find_pare(args.pare)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if any(s <= 0 or s % 32 for s in sizes):
        H.die(f"--sizes {args.sizes}: every size must be a positive multiple of 32")

    rows = []
    work = Path(tempfile.mkdtemp(prefix="pare-dbnet-bench-"))
    try:
        for size in sizes:
            model = D.export(args.models, size)
            info = H.pare_inspect(pare, model)
            page = R.save_pages(D.render_pages(1, size, R.TEST_SEED), work / f"page{size}")[0]
            calib = D.render_pages(8, size, R.CALIB_SEED)
            calib_dir = work / f"calib{size}"
            R.save_pages(calib, calib_dir)
            x = np.load(page)
            qdq = R.quantize_qdq(model, calib, work)
            for precision, extra, ref in (("float32", [], model),
                                          ("int8", ["--quantize", "int8", "--calibration", str(calib_dir)], qdq)):
                gen = work / f"{size}-{precision}"
                mem = pare_build(pare, model, gen, extra)
                p_ms = pare_ms(gen, page, args.n)
                o_ms = ort_ms(ref, x, args.n)
                rows.append({"size": size, "precision": precision, "macs": info["total_macs"],
                             "params": info["total_params"], "arena": mem["sram"]["arena_bytes"],
                             "weights": mem["flash"]["weight_bytes"], "pare": p_ms, "ort": o_ms})
                print(f"# {size} {precision}: pare {p_ms:.2f} ms, onnxruntime {o_ms:.2f} ms", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"DBNet (PP-OCR det structure), {platform.processor() or platform.machine()}, "
          f"{H.run(['nproc']).stdout.strip()} cores, median of {args.n}, one thread\n")
    print("| input | precision | MACs | params | arena | weights | pare ms | ort ms | pare/ort |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| 1x3x{r['size']}x{r['size']} | {r['precision']} | {r['macs'] / 1e6:.1f} M | {r['params'] / 1e3:.0f} k | "
              f"{r['arena'] / 1024:,.1f} KiB | {r['weights'] / 1024:,.1f} KiB | {r['pare']:.2f} | {r['ort']:.2f} | "
              f"{r['pare'] / r['ort']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
