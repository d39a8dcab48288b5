#!/usr/bin/env python3
"""A small Llama decoder in SmoothQuant W8A8 on an emulated Cortex-M (issue 19, part 5).

From a clean work directory: export a random-weight Llama with examples/llm/export_onnx.py --tiny
(default 4 layers, hidden 128, 4 / 2 heads, MLP 320, vocab 256: bytes), compile it with
`pare compile --quantize w8a8 --calibration <ids> --max-context 64 --target generic-c` (the
calibration ids are the bytes of a slice of moby-dick.txt), link the C decoder with its weights
file in flash (benchmarks/llm/cortex-m: decoder_main.c, weights_blob.S; examples/cortex-m's
startup, instruction counter and board layouts) and run it under qemu-system-arm -icount shift=7:
prefill "Call me Ishmael." (16 byte tokens), then greedy decode --tokens tokens. The same
decoder_main.c built for the host with gcc is the reference: tokens must be equal and every logit
within --tol x max|host logits| (the arithmetic is the same C; only libm's expf / sinf / cosf may
differ in the last bit).

Builds (--cpus, --portable):
  m7   Cortex-M7 (mps2-an500), the DSP kernel (SXTB16 / SMLAD), -O3
  m4   Cortex-M4 (mps2-an386), the DSP kernel
  m7-portable  Cortex-M7 with -DPARE_LLM_W8_PORTABLE: the plain C kernel, for the DSP gain
Each links for the smallest board layout of examples/cortex-m that holds it (stm32f411: 512 KiB
flash / 128 KiB SRAM, stm32f746: 1 MiB / 320 KiB, mps2-big: 4 / 4 MiB).

Prints a table: instructions per decoded token (mean of the decode steps, exact QEMU count),
the prefill's, flash (.text + .rodata + .data: code, weights, constants), static SRAM (.data +
.bss: activation arena, KV cache, int8 codes) and the stack measured by the firmware, and the
agreement with the host. Exit status 1 when a step fails or a build disagrees with the host.

  .venv/bin/python benchmarks/llm/w8a8_cortex_m.py [--work build/w8a8-cortex-m] [--portable]
      [--profile] [--json]
  .venv/bin/python benchmarks/llm/w8a8_cortex_m.py --model build/llm-tests/tiny.onnx \\
      --max-context 32 --tokens 8 --cpus m7       (the ctest llm-w8a8-cortex-m)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "examples" / "cortex-m"
DEMO = ROOT / "benchmarks" / "llm" / "cortex-m"
NAME = "mcu_llama"
CPUS = {
    "m4": (["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"], "mps2-an386",
           "cortex-m4"),
    "m7": (["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"], "mps2-an500",
           "cortex-m7"),
}
BOARDS = ["stm32f411", "stm32f746", "mps2-big"]  # examples/cortex-m/<name>.ld, smallest first
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O3"]
STACK_BYTES, HEAP_BYTES = 8192, 1024


def fail(msg):
    print(f"w8a8_cortex_m: error: {msg}", file=sys.stderr)
    sys.exit(1)


def run(cmd, what, timeout=600, cwd=None):
    p = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout, cwd=cwd)
    out = p.stdout.decode(errors="replace")
    if p.returncode != 0:
        fail(f"{what} failed (exit {p.returncode}):\n{out[-3000:]}")
    return out


def parse(out, what):
    """Tokens, decode instruction counts, prefill count, stack and the logits [steps][vocab]."""
    logits, tokens, steps, prefill, stack = {}, [], [], None, None
    for ln in out.splitlines():
        if ln.startswith("logits "):
            head, vals = ln.split(":", 1)
            logits.setdefault(int(head.split()[1]), []).extend(int(v, 16) for v in vals.split())
        elif ln.startswith("step "):
            parts = ln.replace(",", "").split()
            tokens.append(int(parts[3]))
            if len(parts) > 4:
                steps.append(int(parts[4]))
        elif ln.startswith("prefill "):
            prefill = int(ln.split(":")[1].split()[0])
        elif ln.startswith("stack: "):
            stack = int(ln.split()[1])
    if not tokens or stack is None or prefill is None:
        fail(f"{what}: unexpected output:\n{out[-2000:]}")
    arr = np.array([np.array(logits[s], np.uint32).view(np.float32) for s in sorted(logits)])
    return {"tokens": tokens, "steps": steps, "prefill": prefill, "stack": stack, "logits": arr}


def sizes(elf):
    out = run(["arm-none-eabi-size", "-A", elf], "arm-none-eabi-size")
    sec = {}
    for ln in out.splitlines():
        parts = ln.split()
        if len(parts) >= 3 and parts[0].startswith(".") and parts[1].isdigit():
            sec[parts[0]] = int(parts[1])
    flash = sec.get(".text", 0) + sec.get(".rodata", 0) + sec.get(".ARM.exidx", 0) + sec.get(".data", 0)
    return flash, sec.get(".data", 0) + sec.get(".bss", 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=str(ROOT / "build" / "w8a8-cortex-m"))
    ap.add_argument("--pare", default=str(ROOT / "build" / "tools" / "pare" / "pare"))
    ap.add_argument("--python", default=str(ROOT / "build" / "llm-venv" / "bin" / "python"),
                    help="python with torch / transformers for the export")
    ap.add_argument("--model", help="an exported decoder ONNX (skips the export)")
    ap.add_argument("--text", default=str(ROOT.parent / "shared" / "data" / "text" / "moby-dick.txt"))
    ap.add_argument("--max-context", type=int, default=64)
    ap.add_argument("--tokens", type=int, default=16, help="tokens generated after the prompt")
    ap.add_argument("--cpus", default="m7,m4", help="comma-separated: m7, m4")
    ap.add_argument("--portable", action="store_true",
                    help="also build m7 with the portable kernel (-DPARE_LLM_W8_PORTABLE)")
    ap.add_argument("--profile", action="store_true",
                    help="also a Cortex-M7 build counting each runtime kernel's instructions "
                         "(kernel_profile.c) and print them per decoded token")
    ap.add_argument("--tol", type=float, default=1e-5, help="logits vs host, x max|host logits|")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    for tool in ("arm-none-eabi-gcc", "arm-none-eabi-size", "qemu-system-arm", "gcc"):
        if not shutil.which(tool):
            fail(f"{tool} not found (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi "
                 f"qemu-system-arm)")
    cpus = [c for c in args.cpus.split(",") if c]
    for c in cpus:
        if c not in CPUS:
            fail(f"--cpus: '{c}' is not one of {', '.join(CPUS)}")
    work = Path(args.work).resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    t0 = time.time()

    model = Path(args.model).resolve() if args.model else work / f"{NAME}.onnx"
    if not args.model:
        run([args.python, ROOT / "examples" / "llm" / "export_onnx.py", "--tiny", "--layers", "4",
             "--hidden", "128", "--heads", "4", "--kv-heads", "2", "--intermediate", "320", "--vocab",
             "256", "--max-position", "128", "--out", model], "export_onnx.py --tiny")
    if not model.exists():
        fail(f"--model {model}: no such file")
    text = Path(args.text).read_bytes()
    if len(text) < 24096:
        fail(f"--text {args.text}: fewer than 24096 bytes")
    calib = work / "calib.npy"
    np.save(calib, np.frombuffer(text[20000:24096], np.uint8).astype(np.int64))
    out = work / "out"
    run([args.pare, "compile", model, "--max-context", str(args.max_context), "--quantize", "w8a8",
         "--calibration", calib, "--calibration-windows", "16", "--calibration-length", "64",
         "--target", "generic-c", "--name", NAME, "--emit-runner", "-o", out], "pare compile")
    header = (out / f"{NAME}.h").read_text()
    vocab = int(header.split(f"#define {NAME.upper()}_VOCAB ")[1].split()[0])
    if vocab < 256:
        fail(f"the model's vocabulary ({vocab}) has no room for the prompt's byte tokens")
    sources = [out / f for f in (f"{NAME}.c", "pare_llm.c", "pare_llm_w8.c")]
    if (out / "pare_k_elementwise.c").exists():
        sources.append(out / "pare_k_elementwise.c")
    blob = ["-DPARE_WEIGHTS_BIN=\"" + str(out / f"{NAME}_weights.bin") + "\"", DEMO / "weights_blob.S"]
    common = ["-I", out, "-DPARE_DEMO_TOKENS=" + str(args.tokens)]
    main_c = DEMO / "decoder_main.c"

    builds = [(c, False) for c in cpus] + ([("m7", True)] if args.portable else [])
    wraps = ["pare_matmul_w8a8_f32", "pare_matmul_nt_f32", "pare_attention_f32", "pare_rms_norm_f32",
             "pare_rotary_f32", "pare_activation_f32", "pare_binary_f32", "pare_kv_store_f32",
             "pare_embed_f32"]
    # Every object of every build at once (pare_k_elementwise.c alone takes seconds at -O3).
    units = [main_c, FIRMWARE / "startup.c", FIRMWARE / "cycles.c"] + sources + [blob[1]]
    jobs = {}
    for label, cc, cflags, srcs in (
            [("host", "gcc", STRICT + common + ["-DPARE_DEMO_HOST"], [main_c] + sources + [blob[1]])] +
            [(cpu + ("-portable" if portable else ""), "arm-none-eabi-gcc",
              CPUS[cpu][0] + STRICT + ["-ffunction-sections", "-fdata-sections", "-I", FIRMWARE,
                                       "-DPARE_ICOUNT_SHIFT=7"] +
              (["-DPARE_LLM_W8_PORTABLE"] if portable else []) + common, units)
             for cpu, portable in builds] +
            ([("m7-profile", "arm-none-eabi-gcc",
               CPUS["m7"][0] + STRICT + ["-ffunction-sections", "-fdata-sections", "-I", FIRMWARE,
                                         "-DPARE_ICOUNT_SHIFT=7", "-DPARE_DEMO_PROFILE"] + common,
               units + [DEMO / "kernel_profile.c"])] if args.profile else [])):
        objdir = work / f"{label}.obj"
        objdir.mkdir()
        jobs[label] = [([cc] + cflags + ([blob[0]] if src == blob[1] else []) +
                        ["-c", src, "-o", objdir / f"{i}_{Path(src).stem}.o"], objdir / f"{i}_{Path(src).stem}.o",
                        f"{label}: compiling {Path(src).name}") for i, src in enumerate(srcs)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for f in [pool.submit(run, cmd, what) for lst in jobs.values() for cmd, _o, what in lst]:
            f.result()
    objects = {label: [o for _c, o, _w in lst] for label, lst in jobs.items()}

    host = work / "host"
    run(["gcc"] + objects["host"] + ["-lm", "-o", host], "host link")
    ref = parse(run([host], "host run"), "host")

    rows, ok = [], True
    for cpu, portable in builds:
        flags, machine, qcpu = CPUS[cpu]
        label = cpu + ("-portable" if portable else "")
        elf = work / f"{label}.elf"
        objs = objects[label]
        # The smallest layout that links (ld names the overflowing region otherwise).
        board = None
        for name in BOARDS:
            p = subprocess.run([str(c) for c in ["arm-none-eabi-gcc"] + flags + objs +
                                ["-nostartfiles", "--specs=nano.specs", "--specs=rdimon.specs",
                                 "-L", FIRMWARE, f"-T{FIRMWARE / (name + '.ld')}", "-Wl,--gc-sections",
                                 f"-Wl,--defsym=__stack_size={STACK_BYTES}",
                                 f"-Wl,--defsym=__heap_size={HEAP_BYTES}", "-lm", "-o", elf]],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if p.returncode == 0:
                board = name
                break
            if b"overflowed" not in p.stdout:
                fail(f"{label} link failed:\n{p.stdout.decode(errors='replace')[-3000:]}")
        if board is None:
            fail(f"{label}: does not fit even the mps2-big layout")
        res = parse(run(["qemu-system-arm", "-M", machine, "-cpu", qcpu, "-nographic",
                         "-semihosting-config", "enable=on,target=native", "-icount",
                         "shift=7,sleep=off", "-kernel", elf], f"{label} qemu", timeout=300), label)
        flash, sram = sizes(elf)
        same_tokens = res["tokens"] == ref["tokens"]
        same_shape = res["logits"].shape == ref["logits"].shape
        err = (float(np.max(np.abs(res["logits"] - ref["logits"])) / np.max(np.abs(ref["logits"])))
               if same_shape else float("inf"))
        identical = same_shape and np.array_equal(res["logits"].view(np.uint32), ref["logits"].view(np.uint32))
        good = same_tokens and err <= args.tol
        ok &= good
        rows.append({"build": label, "board": board, "instr_per_token": int(np.mean(res["steps"])),
                     "decode_steps": len(res["steps"]), "prefill_tokens": 16,
                     "prefill_instr": res["prefill"], "flash_bytes": flash, "sram_static_bytes": sram,
                     "stack_bytes": res["stack"], "tokens_equal_host": same_tokens,
                     "logits_rel_err": err, "logits_bit_identical": bool(identical), "ok": good})
    profile = []
    if args.profile:
        flags, machine, qcpu = CPUS["m7"]
        elf = work / "m7-profile.elf"
        run(["arm-none-eabi-gcc"] + flags + objects["m7-profile"] +
            ["-nostartfiles", "--specs=nano.specs", "--specs=rdimon.specs", "-L", FIRMWARE,
             f"-T{FIRMWARE / 'mps2-big.ld'}", "-Wl,--gc-sections"] + [f"-Wl,--wrap={w}" for w in wraps] +
            ["-lm", "-o", elf], "m7-profile link")
        out = run(["qemu-system-arm", "-M", machine, "-cpu", qcpu, "-nographic", "-semihosting-config",
                   "enable=on,target=native", "-icount", "shift=7,sleep=off", "-kernel", elf],
                  "m7-profile qemu", timeout=300)
        res = parse(out, "m7-profile")
        if res["tokens"] != ref["tokens"]:
            ok = False
            print("FAILED: the profiled build's tokens differ from the host's")
        for ln in out.splitlines():
            if ln.startswith("profile "):
                kernel, rest = ln[len("profile "):].rsplit(": ", 1)
                instr, calls = int(rest.split()[0]), int(rest.split()[2])
                profile.append({"kernel": kernel, "instr_per_token": instr // max(1, len(res["steps"])),
                                "calls_per_token": calls // max(1, len(res["steps"]))})
    if args.json:
        print(json.dumps({"model": str(model), "max_context": args.max_context,
                          "tokens": ref["tokens"], "rows": rows, "profile_m7": profile}, indent=1))
    else:
        print(f"model {model.name}, max context {args.max_context}, prompt 16 byte tokens, "
              f"{args.tokens} generated; host tokens {ref['tokens']}")
        print("| build | memory layout | instr / decoded token | prefill (16 tokens) | flash | SRAM static "
              "| stack | vs host |")
        print("|---|---|---:|---:|---:|---:|---:|---|")
        for r in rows:
            agree = ("bit-identical" if r["logits_bit_identical"] else
                     f"max err {r['logits_rel_err']:.2e}") + ("" if r["tokens_equal_host"] else
                                                             ", TOKENS DIFFER")
            print(f"| {r['build']} | {r['board']} | {r['instr_per_token']:,} | {r['prefill_instr']:,} "
                  f"| {r['flash_bytes']:,} B | {r['sram_static_bytes']:,} B | {r['stack_bytes']:,} B "
                  f"| {agree} |")
        if profile:
            total = sum(p["instr_per_token"] for p in profile)
            print("\nCortex-M7, per decoded token, by runtime kernel (kernel_profile.c):")
            print("| kernel | calls | instructions | share |\n|---|---:|---:|---:|")
            for p in sorted(profile, key=lambda p: -p["instr_per_token"]):
                print(f"| {p['kernel']} | {p['calls_per_token']} | {p['instr_per_token']:,} "
                      f"| {100 * p['instr_per_token'] / max(1, total):.1f}% |")
        print(f"({time.time() - t0:.0f} s; work in {work})")
    if not ok:
        print("FAILED: a Cortex-M build disagrees with the host (tokens, or logits past --tol)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
