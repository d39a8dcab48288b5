#!/usr/bin/env python3
"""Flash, SRAM and instructions of the int8 PaddleOCR and MobileNetV2-0.35 Cortex-M builds.

    .venv/bin/python benchmarks/cortex-m/step6_sizes.py [--pare BIN] [--work DIR] [--cpus m4,m7] [--json]

Issue 14 step 6 (readable generated C: weights named by layer and role, parameter structs, one
arena check, only the runtime files a model calls) must not make weights, code or instructions
worse. This script measures them for one pare binary, so the same command run with the binary
before and after the change gives the two tables docs/benchmarks.md compares.

Builds (both `--quantize int8`, pare's default tflite rounding, `--target cortex-m4|m7`):
  ppocr_cls         examples/models/ppocr_cls_mobilenetv3.onnx at 1x3x48x192, calibrated on 8 seeded
                    uniform [-1, 1] samples and run on a ninth (tests/e2e/cortex_m_int8.sh's data:
                    numpy default_rng(7)); board stm32f411 (512 KiB flash, 128 KiB SRAM)
  mobilenet_v2_035  torchvision mobilenet_v2(width_mult=0.35) at 1x3x144x144 with random weights
                    (build/models/mobilenet_v2_035.onnx from scripts/export_models.py, which this
                    script runs when the file is missing: torch, about a minute), calibrated on 16
                    seeded N(0, 1) samples and run on another (benchmarks/cortex-m/run_models.py's
                    data); board mps2-big (the 1.7 MB of int8 weights need more than 1 MiB)
Each goes through scripts/run_cortex_m.py (examples/cortex-m firmware, arm-none-eabi-gcc -O3 from
its CMake, qemu-system-arm -icount shift=7, exact instruction counts of one inference).

Columns: text / rodata / data / bss of the firmware ELF (arm-none-eabi-size -A; they include the
harness: startup, newlib-nano printf, the test input as a const array in .rodata), the model's
arena bytes (its header's ARENA_BYTES), the stack the inference used, the instructions of one
inference; then the objects of the .c files pare wrote, as compiled for the firmware, before the
linker drops unused functions (--gc-sections): code = .text of every generated file (model and
copied runtime, so it counts runtime kernels the model does not call), weights = .rodata of the
weights file(s), other rodata = .rodata of the other generated files (lookup tables, strings);
outputs = the first 16 hex digits of a SHA-256 over the output .npy files of the QEMU run, so
before and after show whether the numerics changed by a bit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import pare_harness as H  # noqa: E402

RUN_CORTEX_M = REPO / "scripts" / "run_cortex_m.py"


def log(msg: str) -> None:
    print(f"step6_sizes: {msg}", file=sys.stderr, flush=True)


def prepare(work: Path) -> List[dict]:
    import numpy as np

    builds = []
    d = work / "ppocr"
    (d / "cal").mkdir(parents=True, exist_ok=True)
    r = np.random.default_rng(7)
    xs = [r.uniform(-1, 1, (1, 3, 48, 192)).astype(np.float32) for _ in range(9)]
    for i, x in enumerate(xs[:8]):
        np.save(d / "cal" / f"x_{i:03d}.npy", x)
    np.save(d / "input.npy", xs[8])
    builds.append({"name": "ppocr_cls", "model": H.PPOCR_MODEL, "board": "stm32f411", "dir": d,
                   "flags": ["--input-shape", "x=1,3,48,192"]})

    mnv2 = REPO / "build" / "models" / "mobilenet_v2_035.onnx"
    if not mnv2.exists():
        log(f"{mnv2} missing: exporting it with scripts/export_models.py (torch)")
        p = H.run([sys.executable, str(REPO / "scripts" / "export_models.py"), str(mnv2.parent),
                   "--model", "mobilenet_v2_035", "-q"], timeout=1800)
        if p.returncode != 0:
            H.die(f"export of mobilenet_v2_035 failed:\n{p.output[-3000:]}")
    d = work / "mobilenet_v2_035"
    (d / "cal").mkdir(parents=True, exist_ok=True)
    shape = (1, 3, 144, 144)
    rng = np.random.default_rng(0)
    for i in range(16):
        np.save(d / "cal" / f"input_{i:03d}.npy", rng.standard_normal(shape).astype(np.float32))
    np.save(d / "input.npy", np.random.default_rng(1000).standard_normal(shape).astype(np.float32))
    builds.append({"name": "mobilenet_v2_035", "model": mnv2, "board": "mps2-big", "dir": d, "flags": []})
    return builds


def object_sections(objs: List[Path]) -> Dict[str, int]:
    """Summed .text*, .rodata*, .data*, .bss* of object files (arm-none-eabi-size -A)."""
    sums = {"text": 0, "rodata": 0, "data": 0, "bss": 0}
    for o in objs:
        p = subprocess.run(["arm-none-eabi-size", "-A", str(o)], capture_output=True, text=True, check=True)
        for line in p.stdout.splitlines():
            parts = line.split()
            if len(parts) != 3 or not parts[1].isdigit():
                continue
            for k in sums:
                if parts[0] == f".{k}" or parts[0].startswith(f".{k}."):
                    sums[k] += int(parts[1])
    return sums


def model_objects(build_dir: Path, model_dir: Path) -> Dict[str, List[Path]]:
    """The firmware's objects compiled from the generated .c files, split into weights and the rest."""
    sources = {c.name for c in model_dir.glob("*.c")}
    objs = [o for o in build_dir.rglob("*.o*") if o.is_file() and o.name.rsplit(".", 1)[0] in sources]
    found = {o.name.rsplit(".", 1)[0] for o in objs}
    if found != sources:
        H.die(f"objects of {sorted(sources - found)} not found under {build_dir}")
    return {"weights": [o for o in objs if "_weights" in o.name],
            "other": [o for o in objs if "_weights" not in o.name]}


def measure(pare: Path, b: dict, cpu: str, work: Path) -> dict:
    wdir = work / f"{b['name']}_{cpu}"
    cmd = [sys.executable, str(RUN_CORTEX_M), str(b["model"]), "--cpu", cpu, "--board", b["board"],
           "--input", str(b["dir"] / "input.npy"), "--name", b["name"], "--work", str(wdir), "--json",
           "--out", str(wdir / "outputs"),
           "--timeout", "900", "--pare", str(pare), "--quantize", "int8", "--calibration", str(b["dir"] / "cal"),
           *b["flags"]]
    t0 = time.monotonic()
    p = H.run(cmd, timeout=1800)
    if p.returncode != 0:
        H.die(f"{b['name']} {cpu}: scripts/run_cortex_m.py failed:\n{p.output[-3000:]}")
    s = json.loads(p.stdout)
    objs = model_objects(Path(s["elf"]).parent, wdir / "model")
    w = object_sections(objs["weights"])
    o = object_sections(objs["other"])
    digest = hashlib.sha256()
    for f in sorted((wdir / "outputs").glob("*.npy")):
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    row = {"model": b["name"], "cpu": cpu, "board": b["board"], **s["sections"],
           "arena": s["arena_bytes"], "stack_used": s["stack_used_bytes"], "instructions": s["instructions"],
           "weights": w["rodata"], "code": w["text"] + o["text"], "other_rodata": o["rodata"],
           "model_data_bss": w["data"] + w["bss"] + o["data"] + o["bss"],
           "outputs_sha256": digest.hexdigest()[:16]}
    log(f"{b['name']} {cpu}: {row['instructions']:,} instructions ({time.monotonic() - t0:.0f} s)")
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__.split("\n\n", 2)[2],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pare", help="the pare binary (default build/tools/pare/pare)")
    ap.add_argument("--work", type=Path, default=REPO / "build" / "step6-sizes", help="work folder (default %(default)s)")
    ap.add_argument("--cpus", default="m4,m7", help="comma-separated: m4, m7 (default both)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    H.ensure_python_deps(("numpy",))
    pare = H.find_pare(args.pare)
    for tool in ("cmake", "arm-none-eabi-gcc", "arm-none-eabi-size", "qemu-system-arm"):
        H.find_tool(tool, "apt-get install cmake gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm")
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    rows = [measure(pare, b, cpu, work) for b in prepare(work) for cpu in args.cpus.split(",")]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"pare: {pare}")
    print("| model | cpu | board | text | rodata | data | bss | arena | stack used | instructions "
          "| generated .text (objects) | weights .rodata (objects) | other generated .rodata | outputs |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['model']} | {r['cpu']} | {r['board']} | {r['text']:,} | {r['rodata']:,} | {r['data']:,} | "
              f"{r['bss']:,} | {r['arena']:,} | {r['stack_used']:,} | {r['instructions']:,} | {r['code']:,} | "
              f"{r['weights']:,} | {r['other_rodata']:,} | {r['outputs_sha256']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
