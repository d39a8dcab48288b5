#!/usr/bin/env python3
"""Temporal shift (TSM) benchmark: shift fusion and streaming, int8 (issue 5).

    .venv/bin/python benchmarks/tsm/run_tsm.py [--pare PATH] [--work DIR] [--repeat N]
                                               [--qemu all|toy|none] [--no-mobilenet] [--json]

Models:
  toy network (examples/models, trained by examples/tsm/train.py), input `frames` [8,1,32,32]:
    tsm_slice_concat.onnx (bidirectional), tsm_unidirectional.onnx (unidirectional, the only one
    that can stream), tsm_noshift.onnx (same network without shifts, a baseline);
    calibration: examples/tsm/data/calib.npy [32,8,1,32,32] split into one clip per file
    (WORK/calib_toy/frames_000.npy ...); timing input: the first held-out clip
    (examples/tsm/data/test_clips.npy[0] / 255).
  TSM MobileNetV2-0.35 at 144x144, T=8 (benchmarks/tsm/export_tsm_mobilenet.py, run when the
    files are missing): build/models/tsm_mobilenet_v2_035_144_{bi,uni,noshift}.onnx, input
    build/models/tsm_mobilenet_v2_035_144_frames.npy, calibration
    build/models/calib_tsm_mobilenet_v2_035_144/.

Modes: offline fused (`--shift-fusion on`, the default: shifts folded into the 1x1 convolutions
that read them), offline unfused (`--shift-fusion off`: each shift writes its shifted tensor), and
streaming (`--streaming`, unidirectional models only: one frame per call, the previous frame's
shifted channels kept in a state buffer). Every row is int8 (`--quantize int8 --calibration DIR`)
except the float host latency column.

Columns:
  arena KiB     sram.arena_bytes of `pare compile ... --memory-report` (+ sram.state_bytes, the
                streaming state, which lives outside the arena);
  traffic       activation bytes per clip (8 frames) from the planned IR
                (`pare compile ... --compile-to plan -o -`): over every op other than pare.constant,
                pare.reshape, pare.storage_cast and pare.identity, the bytes of its operands that are
                not weights (constants, or storage_casts / reshapes of constants) plus the bytes of
                its results (elements x element size; quantized types are 1 byte). Streaming: one
                step x 8. The streaming shift's reads and writes of its state buffer are not
                operands and are not counted (2 x state bytes per step);
  shift traffic the part of `traffic` that pare.temporal_shift ops read and write;
  host ms/frame median of `runner -n REPEAT` (pare compile --emit-runner; gcc -O2 -std=c99, all
                .c files) divided by 8 for an offline clip; streaming: per step (one frame
                [1,...], frame 0 of the clip), int8 and float32;
  M7 instr/frame  executed instructions of one model run under QEMU (scripts/run_cortex_m.py
                --cpu m7 --board mps2-big, int8, `--target cortex-m7`), / 8 for an offline clip;
                streaming: one step.
Checks (reported in the notes): fused and unfused builds give identical outputs; the int8 streaming
step on frame 0 equals row 0 of the offline unidirectional build; QEMU's outputs equal the host's.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TOY = REPO / "examples" / "models"
TOY_DATA = REPO / "examples" / "tsm" / "data"
MNV2_STEM = "tsm_mobilenet_v2_035_144"
NOT_COUNTED = {"pare.constant", "pare.reshape", "pare.storage_cast", "pare.identity"}
WEIGHT_VIEWS = {"pare.storage_cast", "pare.reshape", "pare.identity"}
ELEM_BYTES = {"f64": 8, "f32": 4, "f16": 2, "bf16": 2, "i64": 8, "i32": 4, "i16": 2, "i8": 1,
              "ui8": 1, "i1": 1, "u8": 1}
FRAMES = 8
NOTES: List[str] = []


def log(msg: str) -> None:
    print(f"run_tsm: {msg}", file=sys.stderr, flush=True)


def run(cmd, timeout=None, check=True) -> subprocess.CompletedProcess:
    cmd = [str(c) for c in cmd]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout[-2000:]}"
                           f"{p.stderr[-4000:]}")
    return p


# --- activation traffic from the planned IR -------------------------------------------------------

def split_top(s: str) -> List[str]:
    """Splits at commas outside <>, (), [], {}."""
    out, depth, cur = [], 0, []
    for ch in s:
        if ch in "<([{":
            depth += 1
        elif ch in ">)]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


def type_bytes(t: str) -> int:
    m = re.match(r"tensor<(.*)>$", t.strip())
    if not m:
        raise ValueError(f"not a tensor type: {t}")
    body = m.group(1)
    q = re.search(r"!quant\.uniform<([a-z]+\d+)", body)
    if q:
        elem = ELEM_BYTES[q.group(1)]
        dims = body[:q.start()]
    else:
        parts = body.split("x")
        elem = ELEM_BYTES[parts[-1]]
        dims = "x".join(parts[:-1]) + ("x" if len(parts) > 1 else "")
    n = 1
    for d in filter(None, dims.split("x")):
        n *= int(d)
    return n * elem


def signature(line: str) -> Tuple[List[str], List[str]]:
    """Operand and result types of a generic-form op line `... : (A, B) -> R`."""
    k = line.rindex(" -> ")
    left, right = line[:k].rstrip(), line[k + 4:].strip()
    if not left.endswith(")"):
        raise ValueError(f"unexpected op signature: {line[:200]}")
    depth = 0
    for i in range(len(left) - 1, -1, -1):
        if left[i] in ")>]}":
            depth += 1
        elif left[i] in "(<[{":
            depth -= 1
            if depth == 0:
                break
    operands = split_top(left[i + 1:-1])
    results = split_top(right[1:-1]) if right.startswith("(") else [right]
    return operands, results


def traffic(plan: str) -> Dict[str, int]:
    """Activation bytes read and written by the planned IR (see the module docstring)."""
    weights = set()
    total = shift = 0
    n_shift = 0
    for line in plan.splitlines():
        m = re.match(r"\s*(%[\w]+)(?::\d+)? = (pare\.\w+)(.*)$", line)
        if not m:
            continue
        name, op, rest = m.groups()
        head = re.split(r" \{| : \(", rest, maxsplit=1)[0]
        operands = [o.split("#")[0] for o in re.findall(r"%[\w#]+", head)]
        if op == "pare.constant" or (op in WEIGHT_VIEWS and operands and all(o in weights for o in operands)):
            weights.add(name)
            continue
        if op in NOT_COUNTED:
            continue
        in_types, out_types = signature(line)
        if len(in_types) != len(operands):
            raise ValueError(f"{len(operands)} operands, {len(in_types)} types: {line[:300]}")
        b = sum(type_bytes(t) for o, t in zip(operands, in_types) if o not in weights)
        b += sum(type_bytes(t) for t in out_types)
        total += b
        if op == "pare.temporal_shift":
            shift += b
            n_shift += 1
    return {"bytes": total, "shift_bytes": shift, "shift_ops": n_shift}


# --- measurements ---------------------------------------------------------------------------------

def memory(pare: Path, model: Path, flags: List[str], work: Path) -> Dict[str, int]:
    out = work / "mem"
    rep = work / "memory.json"
    run([pare, "compile", model, "-o", out, "-q", "--memory-report", rep] + flags)
    sram = json.loads(rep.read_text())["sram"]
    return {"arena": sram["arena_bytes"], "state": sram.get("state_bytes", 0)}


def plan_traffic(pare: Path, model: Path, flags: List[str]) -> Dict[str, int]:
    p = run([pare, "compile", model, "--compile-to", "plan", "-o", "-"] + flags)
    return traffic(p.stdout)


def host_latency(pare: Path, model: Path, flags: List[str], inp: Path, work: Path,
                 repeat: int) -> Tuple[float, np.ndarray]:
    out = work / "c"
    run([pare, "compile", model, "-o", out, "-q", "--emit-runner", "--name", "model"] + flags)
    exe = work / "runner"
    run(["gcc", "-O2", "-std=c99", "-I", out] + sorted(out.glob("*.c")) + ["-lm", "-o", exe])
    res = work / "out"
    res.mkdir(exist_ok=True)
    # one plain run for the outputs (a streaming build's first step after reset), then the timing
    run([exe, "-o", res, inp])
    outs = np.load(sorted(res.glob("*.npy"))[0])
    p = run([exe, "-o", res, "-n", repeat, inp])
    m = re.search(r"latency_ms: ([0-9.]+)", p.stdout)
    if not m:
        raise RuntimeError(f"no latency in runner output: {p.stdout!r}")
    return float(m.group(1)), outs


def qemu(model: Path, flags: List[str], inp: Path, work: Path, timeout: int) -> Tuple[int, np.ndarray, float]:
    out = work / "qemu_out"
    t0 = time.time()
    p = run([sys.executable, REPO / "scripts" / "run_cortex_m.py", model, "--cpu", "m7", "--input", inp,
             "--board", "mps2-big", "--json", "-j", "1", "--timeout", timeout, "--out", out] + flags,
            timeout=timeout + 600)
    secs = time.time() - t0
    j = json.loads(p.stdout)
    return int(j["instructions"]), np.load(sorted(out.glob("*.npy"))[0]), secs


# --- driver ---------------------------------------------------------------------------------------

def setup_toy(work: Path) -> Tuple[Path, Path, Path]:
    calib = work / "calib_toy"
    calib.mkdir(parents=True, exist_ok=True)
    for i, c in enumerate(np.load(TOY_DATA / "calib.npy")):
        np.save(calib / f"frames_{i:03d}.npy", np.ascontiguousarray(c, dtype=np.float32))
    clip = np.load(TOY_DATA / "test_clips.npy")[0].astype(np.float32) / 255.0
    clip_path, frame_path = work / "toy_clip.npy", work / "toy_frame0.npy"
    np.save(clip_path, clip)
    np.save(frame_path, np.ascontiguousarray(clip[:1]))
    return calib, clip_path, frame_path


def setup_mnv2(work: Path) -> Tuple[Path, Path, Path]:
    d = REPO / "build" / "models"
    need = [d / f"{MNV2_STEM}_{v}.onnx" for v in ("bi", "uni", "noshift")] + [d / f"{MNV2_STEM}_frames.npy"]
    calib = d / f"calib_{MNV2_STEM}"
    if not all(p.exists() for p in need) or not calib.is_dir():
        log("exporting TSM MobileNetV2-0.35 @144 (benchmarks/tsm/export_tsm_mobilenet.py)")
        run([sys.executable, HERE / "export_tsm_mobilenet.py", "--width", "0.35", "--res", "144",
             "--out", d])
    clip_path = d / f"{MNV2_STEM}_frames.npy"
    frame_path = work / f"{MNV2_STEM}_frame0.npy"
    np.save(frame_path, np.ascontiguousarray(np.load(clip_path)[:1]))
    return calib, clip_path, frame_path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pare", default=str(REPO / "build" / "tools" / "pare" / "pare"))
    ap.add_argument("--work", default="/tmp/pare-tsm-bench")
    ap.add_argument("--repeat", type=int, default=50, help="runner -n (median of REPEAT runs)")
    ap.add_argument("--qemu", choices=["all", "toy", "none"], default="all")
    ap.add_argument("--qemu-timeout", type=int, default=900)
    ap.add_argument("--no-mobilenet", action="store_true")
    ap.add_argument("--no-float", action="store_true", help="skip the float32 host latency")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    pare = Path(args.pare).resolve()
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)

    toy_calib, toy_clip, toy_frame = setup_toy(work)
    groups = [("toy", {"bi": TOY / "tsm_slice_concat.onnx", "uni": TOY / "tsm_unidirectional.onnx",
                       "noshift": TOY / "tsm_noshift.onnx"}, toy_calib, toy_clip, toy_frame)]
    if not args.no_mobilenet:
        calib, clip, frame = setup_mnv2(work)
        d = REPO / "build" / "models"
        groups.append(("mnv2", {v: d / f"{MNV2_STEM}_{v}.onnx" for v in ("bi", "uni", "noshift")},
                       calib, clip, frame))
    labels = {"toy": "toy TSM (32x32)", "mnv2": "TSM MobileNetV2-0.35 @144"}

    rows = []
    for group, models, calib, clip, frame in groups:
        int8 = ["--quantize", "int8", "--calibration", str(calib)]
        for variant in ("bi", "uni", "noshift"):
            model = models[variant]
            modes = [("offline fused" if variant != "noshift" else "offline", [])]
            if variant != "noshift":
                modes.append(("offline unfused", ["--shift-fusion", "off"]))
            if variant == "uni":
                modes.append(("streaming", ["--streaming"]))
            outs = {}
            for mode, mflags in modes:
                tag = f"{group}_{variant}_{mode.replace(' ', '_')}"
                wd = work / tag
                wd.mkdir(exist_ok=True)
                streaming = mode == "streaming"
                per = 1 if streaming else FRAMES
                inp = frame if streaming else clip
                log(f"{tag}: memory, plan")
                row = {"group": group, "model": f"{labels[group]} {variant}", "file": str(model.relative_to(REPO)),
                       "mode": mode}
                row.update(memory(pare, model, int8 + mflags, wd))
                t = plan_traffic(pare, model, int8 + mflags)
                k = FRAMES if streaming else 1
                row.update({"traffic": t["bytes"] * k, "shift_traffic": t["shift_bytes"] * k,
                            "shift_ops": t["shift_ops"]})
                log(f"{tag}: host int8")
                ms, o8 = host_latency(pare, model, int8 + mflags, inp, wd / "int8", args.repeat)
                row["host_int8_ms"] = ms / per
                outs[("int8", mode)] = o8
                if not args.no_float:
                    log(f"{tag}: host float")
                    ms, of = host_latency(pare, model, mflags, inp, wd / "float", args.repeat)
                    row["host_float_ms"] = ms / per
                    outs[("float", mode)] = of
                if args.qemu == "all" or (args.qemu == "toy" and group == "toy"):
                    log(f"{tag}: QEMU Cortex-M7")
                    ins, oq, secs = qemu(model, int8 + mflags, inp, wd, args.qemu_timeout)
                    row["m7_instr"] = ins / per
                    row["m7_instr_run"] = ins
                    row["qemu_s"] = round(secs, 1)
                    if not np.array_equal(oq, o8):
                        NOTES.append(f"{tag}: QEMU output differs from the host int8 build "
                                     f"(max |diff| {np.abs(oq - o8).max():.3g})")
                rows.append(row)
            # consistency checks
            if ("int8", "offline unfused") in outs:
                for prec in ("int8", "float"):
                    a, b = outs.get((prec, "offline fused")), outs.get((prec, "offline unfused"))
                    if a is not None and not np.array_equal(a, b):
                        NOTES.append(f"{group} {variant} {prec}: fused and unfused outputs differ "
                                     f"(max |diff| {np.abs(a - b).max():.3g})")
            if ("int8", "streaming") in outs:
                for prec, tol in (("int8", 0.0), ("float", 1e-5)):
                    s, o = outs.get((prec, "streaming")), outs.get((prec, "offline fused"))
                    if s is not None and np.abs(s[0] - o[0]).max() > tol:
                        NOTES.append(f"{group} {variant} {prec}: streaming frame 0 differs from the offline "
                                     f"row 0 (max |diff| {np.abs(s[0] - o[0]).max():.3g})")

    cpu = "unknown"
    try:
        for line in run(["lscpu"]).stdout.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except Exception:  # noqa: BLE001
        pass
    if args.json:
        print(json.dumps({"cpu": cpu, "machine": platform.machine(), "rows": rows, "notes": NOTES}, indent=1))
        return 0

    print(f"host: {cpu} ({platform.machine()}), gcc -O2 -std=c99, runner -n {args.repeat} (median)\n")
    print("| model | mode | arena KiB (+state) | activation traffic per clip KiB | of which shift ops KiB "
          "| host int8 ms/frame | host float ms/frame | M7 int8 instructions/frame |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        arena = f"{r['arena'] / 1024:,.1f}" + (f" (+{r['state'] / 1024:,.2f})" if r["state"] else "")
        fl = f"{r['host_float_ms']:.3f}" if "host_float_ms" in r else "-"
        m7 = f"{r['m7_instr']:,.0f}" if "m7_instr" in r else "-"
        print(f"| {r['model']} | {r['mode']} | {arena} | {r['traffic'] / 1024:,.1f} | "
              f"{r['shift_traffic'] / 1024:,.1f} | {r['host_int8_ms']:.3f} | {fl} | {m7} |")
    print()
    for r in rows:
        extra = f", QEMU {r['qemu_s']} s" if "qemu_s" in r else ""
        print(f"* {r['model']} {r['mode']}: arena {r['arena']:,} B, state {r['state']:,} B, traffic "
              f"{r['traffic']:,} B ({r['shift_ops']} shift ops{extra})")
    for n in NOTES:
        print(f"* note: {n}")
    if not NOTES:
        print("* checks passed: fused = unfused outputs (int8 and float); int8 streaming step on frame 0 = "
              "offline row 0" + ("; QEMU outputs = host int8 outputs" if args.qemu != "none" else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
