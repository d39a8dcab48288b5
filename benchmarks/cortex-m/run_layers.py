#!/usr/bin/env python3
"""Builds benchmarks/cortex-m/layers.c for Cortex-M4 and Cortex-M7 (arm-none-eabi-gcc -O3,
newlib-nano + rdimon semihosting, startup / linker script of tests/unit/kernels/qemu), runs it
under qemu-system-arm (mps2-an386 / mps2-an500, -icount shift=0, SysTick: 1 tick = 40
instructions, as ../shared/docs/measuring-on-cortex-m.md describes) and prints, per layer,
the pare instruction counts (specialised per-layer instance and generic extern function) next
to the CMSIS-NN figures of that document.

Run:  python3 benchmarks/cortex-m/run_layers.py
Exits non-zero if a build or run fails, if the specialised and generic outputs differ, or
(with --check) if a specialised count is not below CMSIS-NN's.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
RUNTIME = os.path.join(ROOT, "runtime-stubs", "c")
QEMU_DIR = os.path.join(ROOT, "tests", "unit", "kernels", "qemu")

# (layer, description, CMSIS-NN M4, CMSIS-NN M7) from measuring-on-cortex-m.md
CMSIS = {
    "L1": ("conv 3x3 s2 p1, 3->16, 144x144", 10798662, 10885148),
    "L2": ("depthwise 3x3 s1 p1, 16ch, 72x72", 6955620, 6851795),
    "L3": ("pointwise 16->8, 72x72", 2623967, 2592865),
    "L4": ("pointwise 8->48, 72x72", 13191147, 13315605),
    "L5": ("depthwise 3x3 s2 p1, 48ch, 72->36", 4972656, 4888051),
    "L6": ("pointwise 56->336, 9x9", 3455955, 3422013),
    "L7": ("fully connected 1280->1000", 2457641, 2457644),
    "L8": ("add 36x36x16", 1691173, 1694947),
    "L9": ("global avg pool 5x5x1280", 209227, 209223),
}
CPUS = [("M4", "cortex-m4", "mps2-an386", ["-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16"]),
        ("M7", "cortex-m7", "mps2-an500", ["-mcpu=cortex-m7", "-mfpu=fpv5-d16"])]


def run(cpu, qcpu, board, flags, tmp):
    elf = os.path.join(tmp, "layers_%s.elf" % cpu)
    cmd = (["arm-none-eabi-gcc"] + flags + ["-mthumb", "-mfloat-abi=hard", "-O3", "-std=c99",
           "-Wall", "-Wextra", "-Werror", "--specs=nano.specs", "--specs=rdimon.specs", "-nostartfiles",
           "-T", os.path.join(QEMU_DIR, "mps2.ld"), "-I", RUNTIME, os.path.join(QEMU_DIR, "startup.c"),
           os.path.join(HERE, "layers.c"), os.path.join(RUNTIME, "pare_k_s8.c"), "-o", elf])
    subprocess.run(cmd, check=True)
    p = subprocess.run(["qemu-system-arm", "-M", board, "-cpu", qcpu, "-nographic",
                        "-semihosting-config", "enable=on,target=native",
                        "-icount", "shift=0,sleep=off", "-kernel", elf],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    res = {}
    for line in p.stdout.decode().splitlines():
        f = line.split()
        if len(f) == 5 and f[0] in CMSIS:
            res[f[0]] = (int(f[1]), int(f[2]), int(f[3]), f[4] == "ok")
    if p.returncode != 0 or len(res) != len(CMSIS):
        sys.stdout.write(p.stdout.decode())
    return res, p.returncode


def main():
    results = {}
    rc = 0
    with tempfile.TemporaryDirectory() as tmp:
        for cpu, qcpu, board, flags in CPUS:
            results[cpu], r = run(cpu, qcpu, board, flags, tmp)
            rc |= r
    hdr = ("| layer | shape | MACs / elems | " + " | ".join(
        "pare spec %s | pare generic %s | CMSIS-NN %s | spec/CMSIS %s | generic/CMSIS %s" % ((c,) * 5)
        for c, *_ in CPUS) + " |")
    print(hdr)
    print("|" + "---|" * (3 + 5 * len(CPUS)))
    slower = []
    for name, (desc, cm4, cm7) in CMSIS.items():
        cells = [name, desc]
        macs = None
        for (cpu, *_), ref in zip(CPUS, (cm4, cm7)):
            r = results[cpu].get(name)
            if r is None:
                cells += ["-"] * 5
                rc |= 1
                continue
            macs, spec, gen, ok = r
            if not ok:
                rc |= 1
                print("MISMATCH between specialised and generic output: %s %s" % (name, cpu))
            if spec >= ref:
                slower.append("%s %s" % (name, cpu))
            cells += ["{:,}".format(spec), "{:,}".format(gen), "{:,}".format(ref),
                      "%.2f" % (spec / ref), "%.2f" % (gen / ref)]
        cells.insert(2, "{:,}".format(macs) if macs else "-")
        print("| " + " | ".join(cells) + " |")
    print("(instructions per kernel call, qemu -icount shift=0, SysTick x 40: resolution 40)")
    if slower:
        print("specialised not faster than CMSIS-NN on: " + ", ".join(slower))
        if "--check" in sys.argv:
            rc |= 1
    return 1 if rc else 0


if __name__ == "__main__":
    sys.exit(main())
