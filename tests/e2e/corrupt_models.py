#!/usr/bin/env python3
"""Corrupted models never crash pare.

Truncates, overwrites and splices bytes of the bundled PaddleOCR model at
seeded random places and runs `pare compile` on each result: every run must
end with exit code 0 (the damage hit weight data) or 1 (a clear error), never a
signal or another code. Prints `N passed, M failed`.
"""
import argparse
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pare", default=str(ROOT / "build/tools/pare/pare"))
    ap.add_argument("-n", type=int, default=300, help="number of corrupted models")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    src = (ROOT / "examples/models/ppocr_cls_mobilenetv3.onnx").read_bytes()
    rng = random.Random(args.seed)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "m.onnx"
        for i in range(args.n):
            b = bytearray(src)
            kind = i % 3
            if kind == 0:
                b = b[: rng.randint(0, len(b))]
            elif kind == 1:
                for _ in range(rng.randint(1, 20)):
                    b[rng.randrange(len(b))] = rng.randrange(256)
            else:
                p = rng.randrange(len(b))
                b[p : p + rng.randint(1, 200)] = bytes(rng.randrange(256) for _ in range(rng.randint(0, 50)))
            model.write_bytes(bytes(b))
            r = subprocess.run([args.pare, "compile", str(model), "--input-shape", "x=1,3,48,192",
                                "-o", str(Path(tmp) / "out"), "-q"], capture_output=True, text=True,
                               encoding="utf-8", errors="replace",
                               timeout=300)
            if r.returncode not in (0, 1) or (r.returncode == 1 and "error" not in r.stderr):
                failed += 1
                print(f"FAIL case {i} (kind {kind}): exit {r.returncode}: {r.stderr[-400:]}")
    print(f"{args.n - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
