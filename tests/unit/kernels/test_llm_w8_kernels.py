#!/usr/bin/env python3
"""runtime-stubs/c/pare_llm_w8.c (pare.matmul_w8a8) against a scalar reference.

Builds pare_llm_w8.c as a shared library (-std=c99 -Wall -Wextra -Werror
-pedantic -O3, so the vectorised loops are the ones tested) and checks:
- pare_quantize_row_s8, per token and per tensor, code for code against
  NumPy: s = max|x| / 127 in float32, q = clamp(round half away from zero
  (x / s), -127, 127) in float32, including values exactly on .5, values
  past the per-tensor range (clamped), a row of zeros (s = 0, codes 0),
  every half-way point of [-127.5, 127.5] and its float neighbours, NaN, +-inf;
- pare_matmul_w8a8_f32 bit for bit against the op's definition computed in
  NumPy: exact int64 dot products of the codes, then (float32(acc) * s) * sw
  in float32, over K below / at / past a vector width, 1 to 7 rows, both
  modes;
- a prefill row equals the same row computed alone.
Then qemu/llm_w8_harness.c compares the kernel a build selects with the
portable one (the same file with -DPARE_LLM_W8_PORTABLE) bit for bit on 14
shapes (K and N below, at and past the block sizes): on the host, and, when
arm-none-eabi-gcc and qemu-system-arm exist, on Cortex-M4 (mps2-an386) and
Cortex-M7 (mps2-an500) where it is the SXTB16 / SMLAD path (the M4 object
must contain both instructions); the hash of all outputs must be the same
on the three. The kernel must also compile warning-free in strict C99 for
Cortex-M0+ (no DSP: the portable path).
Exits 1 on any failure.
"""

import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
RUNTIME = ROOT / "runtime-stubs" / "c"
QEMU_DIR = Path(__file__).resolve().parent / "qemu"
F = np.float32
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O3"]
CORES = {"m4": (["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
                "mps2-an386", "cortex-m4"),
         "m7": (["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"],
                "mps2-an500", "cortex-m7")}
# The portable kernel under other names, beside the selected one.
RENAME = ["-DPARE_LLM_W8_PORTABLE", "-Dpare_matmul_w8a8_f32=pare_ref_matmul_w8a8_f32",
          "-Dpare_quantize_row_s8=pare_ref_quantize_row_s8"]


def build():
    out = Path(tempfile.mkdtemp(prefix="pare-llm-w8-")) / "libpare_llm_w8.so"
    subprocess.run([os.environ.get("CC", "gcc"), "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                    "-O3", "-shared", "-fPIC", str(RUNTIME / "pare_llm_w8.c"), "-lm", "-o", str(out)],
                   check=True)
    lib = ctypes.CDLL(str(out))
    P, I, Fl = ctypes.c_void_p, ctypes.c_int32, ctypes.c_float
    lib.pare_quantize_row_s8.argtypes = [P, P, I, Fl]
    lib.pare_quantize_row_s8.restype = Fl
    lib.pare_matmul_w8a8_f32.argtypes = [P, P, P, P, I, I, I, Fl, P]
    return lib


def ptr(a):
    return a.ctypes.data_as(ctypes.c_void_p)


def quant_ref(x, act_scale):
    """Codes and scale of one row as the op defines them (float32 throughout)."""
    s = F(act_scale) if act_scale > 0 else F(np.max(np.abs(x)) if x.size else 0) / F(127)
    if not s > 0:
        return np.zeros(x.shape, np.int8), F(0)
    v = (x / s).astype(F).astype(np.float64)  # the float32 quotient
    r = np.sign(v) * np.floor(np.abs(v) + 0.5)  # half away from zero (exact in float64)
    return np.clip(r, -127, 127).astype(np.int8), s


failures = []


def check(ok, name):
    if not ok:
        print(f"FAIL  {name}")
        failures.append(name)


def run(cmd, name, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)
    out = p.stdout.decode(errors="replace")
    check(p.returncode == 0, f"{name}: exit {p.returncode}\n{out[-2000:]}")
    return out


def harness_result(out, name):
    """The harness's hash, after checking that it ran every case and all agreed."""
    cases = [ln for ln in out.splitlines() if ln.startswith("case ")]
    check(len(cases) == 16 and all(ln.endswith(" ok") for ln in cases) and "PASSED" in out,
          f"{name}: DSP / selected kernel vs portable\n{out[-2000:]}")
    hashes = [ln.split()[1] for ln in out.splitlines() if ln.startswith("hash ")]
    return hashes[0] if hashes else None


def harness_checks():
    tmp = Path(tempfile.mkdtemp(prefix="pare-llm-w8-h-"))
    src, harness = str(RUNTIME / "pare_llm_w8.c"), str(QEMU_DIR / "llm_w8_harness.c")
    cc = os.environ.get("CC", "gcc")
    run([cc] + STRICT + RENAME + ["-I", str(RUNTIME), "-c", src, "-o", str(tmp / "ref.o")], "host ref")
    run([cc, "-std=c99", "-O3", "-march=native", "-I", str(RUNTIME), harness, src, str(tmp / "ref.o"),
         "-lm", "-o", str(tmp / "h")], "host harness build")
    want = harness_result(run([str(tmp / "h")], "host harness"), "host")
    if not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")):
        print("(Cortex-M runs skipped: no arm-none-eabi-gcc / qemu-system-arm)")
        return
    run(["arm-none-eabi-gcc"] + STRICT + ["-mcpu=cortex-m0plus", "-mthumb", "-c", src, "-I", str(RUNTIME),
         "-o", str(tmp / "m0.o")], "strict C99 cortex-m0+")
    for core, (flags, machine, cpu) in CORES.items():
        obj = tmp / f"w8_{core}.o"
        run(["arm-none-eabi-gcc"] + flags + STRICT + ["-I", str(RUNTIME), "-c", src, "-o", str(obj)],
            f"strict C99 {core}")
        run(["arm-none-eabi-gcc"] + flags + STRICT + RENAME + ["-I", str(RUNTIME), "-c", src, "-o",
             str(tmp / f"ref_{core}.o")], f"{core} ref")
        dis = run(["arm-none-eabi-objdump", "-d", str(obj)], f"{core} objdump")
        check("smlad" in dis and "sxtb16" in dis, f"{core}: no SMLAD / SXTB16 in pare_llm_w8.o")
        elf = tmp / f"h_{core}.elf"
        run(["arm-none-eabi-gcc"] + flags + ["-std=c99", "-O3", "-I", str(RUNTIME), "--specs=nano.specs",
             "--specs=rdimon.specs", "-nostartfiles", "-T", str(QEMU_DIR / "mps2.ld"),
             str(QEMU_DIR / "startup.c"), harness, str(obj), str(tmp / f"ref_{core}.o"), "-lm", "-o",
             str(elf)], f"{core} harness build")
        out = run(["qemu-system-arm", "-M", machine, "-cpu", cpu, "-nographic", "-semihosting-config",
                   "enable=on,target=native", "-kernel", str(elf)], f"{core} qemu", timeout=120)
        got = harness_result(out, core)
        check(got is not None and got == want, f"{core}: outputs hash {got}, host {want}")
    print("ok: DSP path = portable path (host, Cortex-M4, Cortex-M7)")


def main():
    lib = build()
    rng = np.random.default_rng(19)

    # Quantization of single rows, corner cases first.
    rows = [np.array([0.0, 0.0, 0.0], F), np.array([1.0, -1.0, 0.5, -0.5], F),
            np.array([127.0, 2.5, -2.5, 0.49999997, -63.5], F)]
    rows += [(rng.standard_normal(k) * rng.choice([0.01, 1, 300])).astype(F) for k in (1, 7, 16, 33, 200)]
    for i, x in enumerate(rows):
        for act_scale in (0.0, 0.5, 0.01):
            q = np.full(x.shape, 99, np.int8)
            s = lib.pare_quantize_row_s8(ptr(x), ptr(q), x.size, act_scale)
            qr, sr = quant_ref(x, act_scale)
            name = f"quantize row {i} act_scale {act_scale}"
            check(F(s) == sr and np.array_equal(q, qr), name)
    # The exact half-way cases of the per-tensor mode: 2.5 -> 3, -2.5 -> -3, 0.5 -> 1.
    x = np.array([2.5, -2.5, 0.5, -0.5, 1000.0, -1000.0], F)
    q = np.zeros(x.shape, np.int8)
    lib.pare_quantize_row_s8(ptr(x), ptr(q), x.size, 1.0)
    check(q.tolist() == [3, -3, 1, -1, 127, -127], f"half away from zero / clamp {q.tolist()}")
    # Every half-way point of the range and its float neighbours (the rounding is
    # integer arithmetic on trunc(2v), not roundf), NaN -> 0, +-inf -> +-127.
    h = np.arange(-128, 128, dtype=F) + F(0.5)
    x = np.concatenate([h, np.nextafter(h, F(np.inf)), np.nextafter(h, F(-np.inf)),
                        np.array([np.nan, np.inf, -np.inf, 127.49998, -127.5, 126.5, 0.0, -0.0], F)]).astype(F)
    q = np.zeros(x.shape, np.int8)
    lib.pare_quantize_row_s8(ptr(x), ptr(q), x.size, 1.0)
    with np.errstate(invalid="ignore"):
        r = np.sign(x.astype(np.float64)) * np.floor(np.abs(x.astype(np.float64)) + 0.5)
        want = np.where(np.isnan(r), 0, np.clip(r, -127, 127)).astype(np.int8)
    bad = np.flatnonzero(q != want)
    check(bad.size == 0, f"half-way points: {bad.size} codes differ, e.g. x={x[bad[:3]]} "
                         f"got {q[bad[:3]]} want {want[bad[:3]]}")

    # Rows in groups of PARE_LLM_W8_ROWS (4): whole groups, a remainder, N not a multiple of the block.
    for rows_n, k, n in [(1, 1, 3), (1, 16, 8), (3, 33, 5), (7, 200, 11), (2, 1000, 4), (5, 64, 1),
                         (4, 37, 8), (8, 130, 13), (9, 67, 12)]:
        for act_scale in (0.0, 0.02):
            x = rng.standard_normal((rows_n, k)).astype(F)
            x[:, rng.integers(0, k)] *= 40  # an outlier channel
            if rows_n > 2:
                x[1] = 0  # a row of zeros
            w = rng.integers(-127, 128, (n, k)).astype(np.int8)
            sw = (rng.random(n, dtype=F) * 0.01 + 1e-3).astype(F)
            y = np.full((rows_n, n), np.nan, F)
            scratch = np.zeros(min(rows_n, 4) * k, np.int8)  # PARE_LLM_W8_SCRATCH(rows, k)
            lib.pare_matmul_w8a8_f32(ptr(x), ptr(w), ptr(sw), ptr(y), rows_n, k, n, act_scale,
                                     ptr(scratch))
            ref = np.zeros((rows_n, n), F)
            for r in range(rows_n):
                qr, sr = quant_ref(x[r], act_scale)
                acc = w.astype(np.int64) @ qr.astype(np.int64)
                ref[r] = (acc.astype(F) * sr).astype(F) * sw
            name = f"matmul rows {rows_n} K {k} N {n} act_scale {act_scale}"
            check(np.array_equal(y, ref), name)
            for r in range(rows_n):
                y1 = np.full((1, n), np.nan, F)
                xr = np.ascontiguousarray(x[r:r + 1])
                lib.pare_matmul_w8a8_f32(ptr(xr), ptr(w), ptr(sw), ptr(y1), 1, k, n, act_scale,
                                         ptr(scratch))
                check(np.array_equal(y1[0], y[r]), f"{name}: row {r} alone")
    harness_checks()
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("ok: pare_llm_w8.c")
    return 0


if __name__ == "__main__":
    sys.exit(main())
