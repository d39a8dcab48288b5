#!/usr/bin/env python3
"""Compile real CNNs with pare, run the generated C, and compare with onnxruntime.

Models: the torchvision exports of scripts/export_models.py (mobilenet_v2_035 at 1x3x144x144,
resnet18 and squeezenet1_1 at 1x3x224x224; inputs standard normal) and the PaddleOCR text-direction
classifier ../shared/models/ppocr_cls_mobilenetv3.onnx at 1x3x48x192 (inputs uniform in [-1, 1]).

For each: `pare compile --emit-runner` (with --input-shape where the model's shape is symbolic),
build with `gcc -std=c99 -Wall -Wextra -Werror -pedantic -O2 *.c -lm`, run the runner on a seeded
random input, and compare every output with onnxruntime (CPU) under |a - r| <= atol + rtol * |r|
(rtol 1e-4, atol 1e-5). Prints a table; exits non-zero on any failure or mismatch.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import pare_harness as H  # noqa: E402

COMPILE_TIMEOUT = 600
BUILD_TIMEOUT = 900
RUN_TIMEOUT = 300


def check_model(m: H.RealModel, pare: Path, work: Path, seed: int, rtol: float, atol: float, verbose: bool) -> dict:
    import numpy as np

    row = {"model": m.name, "input": "x".join(map(str, m.input_shape)), "status": "FAIL", "detail": "", "max_abs": None, "max_rel": None}
    mdir = work / m.name
    shutil.rmtree(mdir, ignore_errors=True)
    gen = mdir / "gen"
    mdir.mkdir(parents=True)

    t = time.monotonic()
    p = H.pare_compile(pare, m.path, gen, name=m.name, input_shapes=m.shape_args, timeout=COMPILE_TIMEOUT)
    row["compile_s"] = time.monotonic() - t
    if p.returncode != 0:
        kind = "compile error" if p.returncode == 1 else f"compiler CRASH ({p.describe_exit()})"
        row["detail"] = f"{kind}: {H.first_line(p.output)}"
        return row

    t = time.monotonic()
    runner = gen / "runner"
    b = H.build_c(gen, runner, H.CHECK_CFLAGS, timeout=BUILD_TIMEOUT)
    row["build_s"] = time.monotonic() - t
    if b.returncode != 0:
        row["detail"] = f"build error ({b.describe_exit()}): {H.first_line(b.output.replace(str(gen) + '/', ''))}"
        return row

    x = m.make_input(seed)
    inp = mdir / "input_0.npy"
    np.save(inp, x, allow_pickle=False)
    t = time.monotonic()
    r = H.run_runner(runner, [inp], mdir / "out", timeout=RUN_TIMEOUT)
    row["run_s"] = time.monotonic() - t
    if r.returncode != 0:
        row["detail"] = f"runner {r.describe_exit()}: {H.first_line(r.output)}"
        return row

    sess = H.ort_session(m.path)
    feeds = {sess.get_inputs()[0].name: x}
    refs = sess.run(None, feeds)
    problems: List[str] = []
    max_abs = max_rel = 0.0
    for o, ref in zip(sess.get_outputs(), refs):
        f = mdir / "out" / (H.sanitize_output_name(o.name) + ".npy")
        if not f.exists():
            problems.append(f"runner wrote no {f.name} for output {o.name!r}")
            continue
        got = np.load(f, allow_pickle=False)
        c = H.compare_arrays(got, np.asarray(ref), rtol, atol, what=f"output {o.name!r}")
        max_abs, max_rel = max(max_abs, c.max_abs), max(max_rel, c.max_rel)
        if not c.ok:
            problems.append(c.message)
        elif verbose:
            print(f"  {m.name}: output {o.name!r} {list(got.shape)} {c.message}")
    row["max_abs"], row["max_rel"] = max_abs, max_rel
    if problems:
        row["detail"] = "; ".join(problems)
    else:
        row["status"] = "PASS"
    return row


def print_table(rows: List[dict]) -> None:
    def fmt(v, spec):
        return "-" if v is None else format(v, spec)

    header = ["model", "input", "status", "max abs err", "max rel err", "compile s", "build s", "run s"]
    body = [
        [
            r["model"],
            r["input"],
            r["status"],
            fmt(r.get("max_abs"), ".2e"),
            fmt(r.get("max_rel"), ".2e"),
            fmt(r.get("compile_s"), ".1f"),
            fmt(r.get("build_s"), ".1f"),
            fmt(r.get("run_s"), ".2f"),
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for b in body:
        print("  ".join(c.ljust(w) for c, w in zip(b, widths)))
    for r in rows:
        if r["status"] != "PASS":
            print(f"FAIL {r['model']}: {r['detail']}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--pare", help=f"the pare binary (default: {H.DEFAULT_PARE.relative_to(H.REPO_ROOT)})")
    ap.add_argument("--model", action="append", choices=H.REAL_MODEL_NAMES, help="run only this model (repeatable)")
    ap.add_argument("--models-dir", type=Path, default=H.REPO_ROOT / "build" / "models", help="where the exports go (default: build/models)")
    ap.add_argument("--ppocr", type=Path, default=H.PPOCR_MODEL, help="the PaddleOCR classifier (default: ../shared/models/ppocr_cls_mobilenetv3.onnx, else examples/models/)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    ap.add_argument("--rtol", type=float, default=H.DEFAULT_RTOL, help="relative tolerance (default %(default)g)")
    ap.add_argument("--atol", type=float, default=H.DEFAULT_ATOL, help="absolute tolerance (default %(default)g)")
    ap.add_argument("--work-dir", type=Path, help="where models are compiled (default: a temporary directory, removed)")
    ap.add_argument("--keep", action="store_true", help="keep the generated code (path printed)")
    ap.add_argument("-v", "--verbose", action="store_true", help="say what is done")
    args = ap.parse_args(argv)

    H.ensure_python_deps(("numpy", "onnx", "onnxruntime", "torch", "torchvision"))
    pare = H.find_pare(args.pare)
    H.find_tool(H.cc(), "install gcc (scripts/setup.sh does)")
    try:
        models = H.real_models(args.models_dir, args.ppocr.resolve(), args.model, verbose=args.verbose)
    except H.HarnessError as exc:
        H.die(str(exc))

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="pare-real-models-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for m in models:
        if args.verbose:
            print(f"{m.name}: {m.path} ({m.input_name} {'x'.join(map(str, m.input_shape))})", flush=True)
        rows.append(check_model(m, pare, work, args.seed, args.rtol, args.atol, args.verbose))
    print_table(rows)
    if args.keep or args.work_dir:
        print(f"generated code in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    passed = sum(r["status"] == "PASS" for r in rows)
    print(f"{passed} passed, {len(rows) - passed} failed")
    return 0 if passed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
