#!/usr/bin/env python3
"""End-to-end test of examples/cortex-m: the bundled float model on emulated Cortex-M4 and M7.

Compiles examples/models/ppocr_cls_mobilenetv3.onnx (input 1x3x48x192) once with
`pare compile --target generic-c --emit-runner`, then, on one seeded random input:
  - runs it on Cortex-M4 (QEMU mps2-an386) and Cortex-M7 (mps2-an500) through
    scripts/run_cortex_m.py (board mps2-big: the model needs 348 KiB of arena, more SRAM than the
    STM32F411/F746-class layouts have);
  - checks each against onnxruntime (rtol 1e-4, atol 1e-5) and against the same generated C built
    for the host with the system compiler and run there (within 1e-6);
  - prints the instruction counts and the ELF's flash / SRAM.

  tests/e2e/cortex_m.py [--pare build/tools/pare/pare]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import pare_harness as ph  # noqa: E402

MODEL = ROOT / "examples" / "models" / "ppocr_cls_mobilenetv3.onnx"
SHAPE = (1, 3, 48, 192)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pare", help="pare binary (default: build/tools/pare/pare)")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    ph.ensure_python_deps(("numpy", "onnxruntime"))
    import numpy as np

    pare = ph.find_pare(args.pare)
    failures = []
    with tempfile.TemporaryDirectory(prefix="pare-cortex-m-test-") as tmp:
        work = Path(tmp)
        model_dir = work / "model"
        subprocess.run([str(pare), "compile", str(MODEL), "--target", "generic-c", "--emit-runner",
                        "--input-shape", "x=" + ",".join(map(str, SHAPE)), "--name", "ppocr_cls",
                        "-o", str(model_dir), "-q"], check=True)
        x = np.random.default_rng(args.seed).uniform(-1.0, 1.0, SHAPE).astype(np.float32)
        np.save(work / "x.npy", x)

        # Reference 1: onnxruntime.
        sess = ph.ort_session(MODEL, single_thread=True)
        out_name = sess.get_outputs()[0].name
        ref = sess.run(None, {sess.get_inputs()[0].name: x})[0]

        # Reference 2: the same generated C on the host.
        runner = work / "runner"
        srcs = sorted(str(p) for p in model_dir.glob("*.c"))
        subprocess.run([ph.cc(), "-std=c99", "-O2", "-o", str(runner), *srcs, "-lm"], check=True)
        (work / "host").mkdir()
        subprocess.run([str(runner), "-o", str(work / "host"), str(work / "x.npy")], check=True,
                       stdout=subprocess.DEVNULL)
        host = np.load(work / "host" / f"{ph.sanitize_output_name(out_name)}.npy")

        for cpu in ("m4", "m7"):
            out = work / cpu
            p = subprocess.run([sys.executable, str(ROOT / "scripts" / "run_cortex_m.py"), str(model_dir),
                                "--cpu", cpu, "--board", "mps2-big", "--input", str(work / "x.npy"),
                                "--out", str(out), "--work", str(work / f"fw-{cpu}"), "--timeout", "120",
                                "--json"], capture_output=True, text=True)
            if p.returncode != 0:
                failures.append(f"{cpu}: run_cortex_m.py failed:\n{p.stdout}{p.stderr}")
                continue
            s = json.loads(p.stdout)
            got = np.load(out / f"{ph.sanitize_output_name(out_name)}.npy")
            vs_ort = ph.compare_arrays(got, ref, rtol=1e-4, atol=1e-5, what=f"{cpu} vs onnxruntime")
            vs_host = ph.compare_arrays(got, host, rtol=0.0, atol=1e-6, what=f"{cpu} vs host build")
            print(f"cortex-{cpu}: {s['instructions']:,} instructions, flash {s['flash_bytes']:,} B, "
                  f"SRAM {s['sram_bytes']:,} B + stack {s['stack_bytes']:,} B; "
                  f"max |diff| vs onnxruntime {np.abs(got - ref).max():.3g}, "
                  f"vs host {np.abs(got - host).max():.3g}")
            for c in (vs_ort, vs_host):
                if not c.ok:
                    failures.append(c.message)
    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    if not failures:
        print("cortex-m: M4 and M7 outputs match onnxruntime and the host build")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
