#!/usr/bin/env python3
"""Run a model compiled by pare on an emulated Cortex-M4 or Cortex-M7 (QEMU) and count instructions.

  scripts/run_cortex_m.py MODEL.onnx --cpu m4 [--input IN.npy ...] [--board B] [--out DIR] [--json]
                          [PARE FLAGS ...]
  scripts/run_cortex_m.py COMPILED_DIR --cpu m7 ...

Steps: compile the model with pare (any option this script does not know, e.g. --input-shape
x=1,3,48,192 or --quantize int8, goes to `pare compile`; without --target it picks
`--target cortex-mN` when pare has it, else `--target generic-c`), write the inputs as a C array
header (test_input.h; seeded random inputs when no --input is given), build examples/cortex-m
(firmware.elf) with CMake and the arm-none-eabi toolchain, run it under qemu-system-arm
(mps2-an386 for M4, mps2-an500 for M7) with -icount, parse the outputs and the instruction count,
and write each output to OUT/<output name>.npy.

Boards (linker scripts in examples/cortex-m): stm32f411 (M4 default: 512 KiB flash, 128 KiB SRAM),
stm32f746 (M7 default: 1 MiB flash, 320 KiB SRAM), mps2-big (4 MiB + 4 MiB). A model that does not
fit fails at link time with the overflow in bytes.

Reports: instructions (exact with the default --icount-shift 7), flash (text + rodata + ARM.exidx +
the initial values of data, from arm-none-eabi-size -A) and static SRAM (data + bss; the stack is
reported apart). Exit status 0 on success; 1 when the build, QEMU or the model fails (a fault prints
"HardFault", a hang hits --timeout).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, NoReturn, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pare_harness as ph  # noqa: E402

FIRMWARE_DIR = ph.REPO_ROOT / "examples" / "cortex-m"
CPUS = {"m4": "cortex-m4", "m7": "cortex-m7"}
QEMU_MACHINE = {"cortex-m4": "mps2-an386", "cortex-m7": "mps2-an500"}
DEFAULT_BOARD = {"cortex-m4": "stm32f411", "cortex-m7": "stm32f746"}
BOARDS = ["stm32f411", "stm32f746", "mps2-big"]
# C type in the generated header -> (numpy dtype, type tag in main.c)
CTYPES = {
    "float": ("float32", "PARE_T_F32"),
    "double": ("float64", "PARE_T_F64"),
    "int8_t": ("int8", "PARE_T_I8"),
    "uint8_t": ("uint8", "PARE_T_U8"),
    "int16_t": ("int16", "PARE_T_I16"),
    "uint16_t": ("uint16", "PARE_T_U16"),
    "int32_t": ("int32", "PARE_T_I32"),
    "uint32_t": ("uint32", "PARE_T_U32"),
    "int64_t": ("int64", "PARE_T_I64"),
    "uint64_t": ("uint64", "PARE_T_U64"),
}


def fail(msg: str) -> NoReturn:
    print(f"run_cortex_m: error: {msg}", file=sys.stderr)
    sys.exit(1)


@dataclass
class Tensor:
    index: int
    name: str  # the ONNX name
    ctype: str
    shape: List[int]
    macro: str  # e.g. PPOCR_CLS_X (then _SIZE, _SHAPE)
    size: int


@dataclass
class ModelHeader:
    name: str
    inputs: List[Tensor] = field(default_factory=list)
    outputs: List[Tensor] = field(default_factory=list)
    arena_bytes: int = 0


def parse_header(path: Path, name: str) -> ModelHeader:
    """Reads the inputs and outputs of <name>.h: `/* input 0: "x", float 1x3x48x192 */` then the
    _RANK, _SHAPE and _SIZE macros."""
    text = path.read_text()
    hdr = ModelHeader(name)
    pat = re.compile(
        r'/\* (input|output) (\d+): "(.*)", (\w+) [^\n]*\*/\n'
        r"#define (\w+)_RANK \d+\n#define \5_SHAPE \{([^}]*)\}\n#define \5_SIZE (\d+)"
    )
    for m in pat.finditer(text):
        kind, idx, onnx_name, ctype, macro, shape, size = m.groups()
        if ctype not in CTYPES:
            fail(f"{path}: {kind} {idx} has C type '{ctype}', which this script does not handle")
        t = Tensor(int(idx), onnx_name, ctype, [int(d) for d in shape.replace(" ", "").split(",") if d],
                   macro, int(size))
        (hdr.inputs if kind == "input" else hdr.outputs).append(t)
    if not hdr.outputs:
        fail(f"{path}: no `/* output N: ... */` declarations found; is it a header written by pare?")
    m = re.search(r"#define \w+_ARENA_BYTES (\d+)", text)
    hdr.arena_bytes = int(m.group(1)) if m else 0
    if not re.search(rf"\bint {re.escape(name)}_run\(", text):
        fail(f"{path}: no {name}_run() declared")
    return hdr


def c_literal(v, ctype: str) -> str:
    if ctype in ("float", "double"):
        f = float(v)
        if math.isnan(f):
            return "NAN"
        if math.isinf(f):
            return "INFINITY" if f > 0 else "-INFINITY"
        s = repr(float(v)) if ctype == "double" else f"{f:.9g}"
        if not any(ch in s for ch in ".e"):
            s += ".0"
        return s + ("f" if ctype == "float" else "")
    if ctype == "int64_t":
        return f"INT64_C({int(v)})"
    if ctype == "uint64_t":
        return f"UINT64_C({int(v)})"
    return str(int(v)) + ("u" if ctype.startswith("u") else "")


def write_test_input(path: Path, hdr: ModelHeader, arrays, source: str) -> None:
    lines = [
        f"/* Test input for {hdr.name}, written by scripts/run_cortex_m.py ({source}). */",
        "#include <math.h>",
        "#include <stdint.h>",
        f'#include "{hdr.name}.h"',
        "",
        f'#define PARE_MODEL_NAME_STR "{hdr.name}"',
        "",
    ]
    for t, a in zip(hdr.inputs, arrays):
        flat = a.reshape(-1)
        lines.append(f"/* input {t.index}: \"{t.name}\", {t.ctype} {'x'.join(map(str, t.shape))} */")
        lines.append(f"static const {t.ctype} pare_in{t.index}[{t.macro}_SIZE] __attribute__((aligned(16))) = {{")
        for i in range(0, flat.size, 8):
            lines.append("  " + ", ".join(c_literal(v, t.ctype) for v in flat[i:i + 8]) + ",")
        lines.append("};")
    for t in hdr.outputs:
        lines.append(f"static {t.ctype} pare_out{t.index}[{t.macro}_SIZE] __attribute__((aligned(16)));")
    args = [f"pare_in{t.index}" for t in hdr.inputs] + [f"pare_out{t.index}" for t in hdr.outputs]
    lines.append("")
    lines.append(f"#define PARE_RUN() {hdr.name}_run({', '.join(args)})")
    entries = ", ".join(
        f'{{"{t.name}", {CTYPES[t.ctype][1]}, pare_out{t.index}, {t.macro}_SIZE}}' for t in hdr.outputs)
    lines.append(f"#define PARE_OUTPUTS {{{entries}}}")
    path.write_text("\n".join(lines) + "\n")


def load_inputs(hdr: ModelHeader, files: List[str], seed: int):
    import numpy as np

    if files and len(files) != len(hdr.inputs):
        fail(f"{hdr.name} has {len(hdr.inputs)} input(s), {len(files)} --input given")
    rng = np.random.default_rng(seed)
    arrays = []
    for i, t in enumerate(hdr.inputs):
        want = np.dtype(CTYPES[t.ctype][0])
        if files:
            a = np.load(files[i])
            if a.size != t.size:
                fail(f"{files[i]}: {a.size} elements (shape {list(a.shape)}), input \"{t.name}\" "
                     f"needs {t.size} ({'x'.join(map(str, t.shape))})")
            if a.dtype != want:
                conv = a.astype(want)
                if want.kind != "f" and not np.array_equal(conv, a):
                    fail(f"{files[i]}: dtype {a.dtype}, input \"{t.name}\" is {t.ctype} "
                         "and the values do not convert exactly")
                a = conv
        elif want.kind == "f":
            a = rng.uniform(-1.0, 1.0, size=t.shape).astype(want)
        else:
            info = np.iinfo(want)
            a = rng.integers(max(info.min, -128), min(info.max, 127), size=t.shape, endpoint=True).astype(want)
        arrays.append(np.ascontiguousarray(a).reshape(t.shape))
    return arrays


def pare_has_target(pare: Path, target: str) -> bool:
    p = subprocess.run([str(pare), "compile", "--help"], capture_output=True, text=True)
    return target in p.stdout


def compile_model(args, extra: List[str], cpu: str, work: Path) -> Tuple[Path, str]:
    model = Path(args.model)
    if model.is_dir():
        if extra:
            fail(f"{model} is already compiled; these flags have no effect: {' '.join(extra)}")
        cmakes = sorted(p.stem for p in model.glob("*.cmake") if (model / (p.stem + ".h")).exists())
        name = args.name or (cmakes[0] if len(cmakes) == 1 else None)
        if not name or not (model / f"{name}.cmake").exists():
            fail(f"{model}: name the model with --name (found: {', '.join(cmakes) or 'no <name>.cmake'})")
        return model, name
    if not model.exists():
        fail(f"{model}: no such file")
    pare = ph.find_pare(args.pare)
    name = args.name or ph.sanitize_c_identifier(model.stem)
    out = work / "model"
    if out.exists():
        shutil.rmtree(out)
    cmd = [str(pare), "compile", str(model), "-o", str(out), "--name", name, "-q"]
    if not any(a == "--target" or a.startswith("--target=") for a in extra):
        cmd += ["--target", cpu if pare_has_target(pare, cpu) else "generic-c"]
    cmd += extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"pare compile failed ({' '.join(cmd)}):\n{p.stdout}{p.stderr}")
    return out, name


def build_firmware(args, model_dir: Path, name: str, cpu: str, board: str, test_input: Path,
                   build: Path) -> Path:
    gen = ["-G", "Ninja"] if shutil.which("ninja") else ["-G", "Unix Makefiles"]
    cfg = ["cmake", "-S", str(FIRMWARE_DIR), "-B", str(build), *gen,
           f"-DCMAKE_TOOLCHAIN_FILE={FIRMWARE_DIR / 'arm-none-eabi.cmake'}",
           f"-DPARE_MODEL_DIR={model_dir.resolve()}", f"-DPARE_MODEL_NAME={name}",
           f"-DPARE_TEST_INPUT={test_input.resolve()}", f"-DPARE_CPU={cpu}", f"-DPARE_BOARD={board}",
           f"-DPARE_STACK_BYTES={args.stack}", f"-DPARE_ICOUNT_SHIFT={args.icount_shift}"]
    p = subprocess.run(cfg, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"cmake configure failed:\n{p.stderr.strip() or p.stdout}")
    p = subprocess.run(["cmake", "--build", str(build), "-j", str(args.jobs)], capture_output=True, text=True)
    log = p.stdout + p.stderr
    if p.returncode != 0:
        over = re.findall(r"region `(\w+)' overflowed by (\d+) bytes", log)
        if over:
            what = ", ".join(f"{r} overflowed by {int(n):,} bytes" for r, n in dict(over).items())
            fail(f"{name} does not fit board {board}: {what}. "
                 f"Try --board mps2-big (4 MiB + 4 MiB), or a smaller/quantized model.")
        fail(f"firmware build failed:\n{log[-6000:]}")
    return build / "firmware.elf"


def elf_sizes(elf: Path) -> Dict[str, int]:
    p = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True, check=True)
    sec = {}
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            sec[parts[0]] = int(parts[1])
    text, rodata = sec.get(".text", 0), sec.get(".rodata", 0)
    exidx, data, bss = sec.get(".ARM.exidx", 0), sec.get(".data", 0), sec.get(".bss", 0)
    return {"text": text, "rodata": rodata, "data": data, "bss": bss, "stack": sec.get(".stack", 0),
            "heap": sec.get(".heap", 0),
            "flash": text + rodata + exidx + data, "sram": data + bss}


def run_qemu(elf: Path, cpu: str, shift: int, timeout: float):
    cmd = ["qemu-system-arm", "-M", QEMU_MACHINE[cpu], "-cpu", cpu, "-nographic", "-monitor", "none",
           "-semihosting-config", "enable=on,target=native", "-icount", f"shift={shift},sleep=off",
           "-kernel", str(elf)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        out = "".join(x.decode(errors="replace") if isinstance(x, bytes) else (x or "")
                      for x in (e.stdout, e.stderr))
        fail(f"QEMU did not finish within {timeout:g} s: a hang, a model too slow for --timeout, or a "
             f"stack overflow that missed the guard (try a larger --stack); last output:\n{out[-2000:]}")
    return cmd, p


def parse_run(stdout: str, hdr: ModelHeader):
    import numpy as np

    values: Dict[int, Dict[int, object]] = {t.index: {} for t in hdr.outputs}
    instructions = status = stack = None
    for line in stdout.splitlines():
        line = line.rstrip()
        m = re.match(r"out(\d+)\[(\d+)\] = (\S+)(?: \(0x([0-9a-f]+)\))?$", line)
        if m:
            o, i, text, bits = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
            if bits is not None:
                values[o][i] = np.array([int(bits, 16)], dtype=np.uint32).view(np.float32)[0]
            else:
                values[o][i] = float(text) if hdr.outputs[o].ctype == "double" else int(text)
            continue
        m = re.match(r"instructions: (\d+)$", line)
        if m:
            instructions = int(m.group(1))
        m = re.match(r"status: (-?\d+)$", line)
        if m:
            status = int(m.group(1))
        m = re.match(r"stack: (\d+) bytes$", line)
        if m:
            stack = int(m.group(1))
    outs = {}
    for t in hdr.outputs:
        got = values[t.index]
        if len(got) != t.size:
            return None, instructions, status, stack
        a = np.array([got[i] for i in range(t.size)], dtype=CTYPES[t.ctype][0])
        outs[t.name] = a.reshape(t.shape)
    return outs, instructions, status, stack


def main() -> int:
    ap = argparse.ArgumentParser(
        description="Run a pare-compiled model on QEMU Cortex-M4/M7 and count instructions. "
                    "Unknown options are passed to `pare compile`.",
        usage="%(prog)s MODEL(.onnx|DIR) --cpu m4|m7 [options] [pare compile flags]")
    ap.add_argument("model", help="ONNX model (or .onnxtext/.mlir), or a directory written by pare compile")
    ap.add_argument("--cpu", required=True, choices=sorted(CPUS) + sorted(CPUS.values()))
    ap.add_argument("--input", action="append", default=[], metavar="NPY",
                    help="input .npy, in model input order (repeat per input); default: seeded random")
    ap.add_argument("--seed", type=int, default=0, help="seed for the random inputs (default 0)")
    ap.add_argument("--board", choices=BOARDS, help="memory layout (default: stm32f411 for M4, stm32f746 for M7)")
    ap.add_argument("--name", help="model name (pare compile --name; default: the file stem)")
    ap.add_argument("--pare", help="pare binary (default: build/tools/pare/pare)")
    ap.add_argument("--out", help="write each output as OUT/<output name>.npy")
    ap.add_argument("--work", help="build directory (kept; default: a temporary one)")
    ap.add_argument("--icount-shift", type=int, default=7, choices=range(0, 11), metavar="S",
                    help="QEMU -icount shift: 7 (default) counts exactly, 0 in steps of 40")
    ap.add_argument("--stack", type=int, default=8192, help="stack bytes (default 8192)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds QEMU may run (default 300)")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="print a JSON summary instead of text")
    args, extra = ap.parse_known_args()
    cpu = CPUS.get(args.cpu, args.cpu)
    board = args.board or DEFAULT_BOARD[cpu]
    ph.ensure_python_deps(("numpy",))
    import numpy as np

    for tool in ("cmake", "arm-none-eabi-gcc", "arm-none-eabi-size", "qemu-system-arm"):
        if not shutil.which(tool):
            fail(f"{tool} not found (Debian: apt-get install cmake gcc-arm-none-eabi "
                 "libnewlib-arm-none-eabi qemu-system-arm)")

    tmp = None
    if args.work:
        work = Path(args.work)
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="pare-cortex-m-")
        work = Path(tmp.name)
    try:
        model_dir, name = compile_model(args, extra, cpu, work)
        hdr = parse_header(model_dir / f"{name}.h", name)
        arrays = load_inputs(hdr, args.input, args.seed)
        test_input = work / "test_input.h"
        source = ", ".join(args.input) if args.input else f"random, seed {args.seed}"
        write_test_input(test_input, hdr, arrays, source)
        elf = build_firmware(args, model_dir, name, cpu, board, test_input, work / f"build-{cpu}-{board}")
        sizes = elf_sizes(elf)
        cmd, p = run_qemu(elf, cpu, args.icount_shift, args.timeout)
        console = p.stdout + p.stderr  # QEMU 7.2 writes the semihosting console to stderr
        if "HardFault" in console or "unexpected exception" in console or "Lockup" in console:
            fail(f"the firmware faulted (QEMU exit status {p.returncode}):\n{console[-2000:]}")
        outs, instructions, status, stack_used = parse_run(console, hdr)
        if p.returncode != 0 or outs is None or instructions is None:
            why = f"{name}_run returned {status}" if status else f"QEMU exit status {p.returncode}"
            fail(f"the run failed ({why}); command: {' '.join(cmd)}\n{console[-2000:]}")
        if args.icount_shift == 7 and instructions > 1_300_000_000:
            print("run_cortex_m: warning: over 1.3e9 instructions, the 32-bit counter may have wrapped; "
                  "rerun with --icount-shift 0", file=sys.stderr)
        if args.out:
            out_dir = Path(args.out)
            out_dir.mkdir(parents=True, exist_ok=True)
            for oname, a in outs.items():
                np.save(out_dir / f"{ph.sanitize_output_name(oname)}.npy", a)
        summary = {
            "model": name, "cpu": cpu, "board": board, "qemu_machine": QEMU_MACHINE[cpu],
            "icount_shift": args.icount_shift, "instructions": instructions,
            "flash_bytes": sizes["flash"], "sram_bytes": sizes["sram"], "stack_bytes": sizes["stack"],
            "stack_used_bytes": stack_used, "heap_bytes": sizes["heap"],
            "sections": {k: sizes[k] for k in ("text", "rodata", "data", "bss")},
            "arena_bytes": hdr.arena_bytes, "elf": str(elf) if args.work else None,
            "outputs": {k: v.reshape(-1).tolist() if v.size <= 16 else f"{v.size} values"
                        for k, v in outs.items()},
        }
        if args.json:
            print(json.dumps(summary, indent=2))
        else:
            print(f"{name} on {cpu} ({QEMU_MACHINE[cpu]}, board {board})")
            print(f"  instructions: {instructions:,}")
            print(f"  flash: {sizes['flash']:,} bytes (text {sizes['text']:,}, rodata {sizes['rodata']:,}, "
                  f"data {sizes['data']:,})")
            print(f"  sram:  {sizes['sram']:,} bytes static (data {sizes['data']:,}, bss {sizes['bss']:,}; "
                  f"arena {hdr.arena_bytes:,})")
            print(f"         + stack {sizes['stack']:,} ({stack_used:,} used) + stdio heap {sizes['heap']:,}")
            for k, v in outs.items():
                flat = v.reshape(-1)
                shown = ", ".join(f"{x:.6g}" if v.dtype.kind == "f" else str(x) for x in flat[:8])
                print(f"  {k} {list(v.shape)}: {shown}{' ...' if flat.size > 8 else ''}")
        return 0
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
