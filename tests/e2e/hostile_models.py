#!/usr/bin/env python3
"""CI test `hostile-models`: a short structure-aware hostile-model campaign (issue 12).

Runs benchmarks/hostile/campaign.py with a fixed seed on a few hundred pare invocations (compile,
inspect --json, profile --json, --quantize int8 --calibration) over mutants of every family (dims,
dtypes, attributes, names, external data, structure, shape ops, tensors, calibration samples) and
fails when any run is a crash, a hang, a silent success of a model pare must refuse, a read
outside the model's folder, injected C, generated C that does not build, or invalid JSON. The
failing cases (model, files, command, stderr) are kept in --out. Takes under 3 minutes on 2 cores.
"""
import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pare", default=str(ROOT / "build/tools/pare/pare"))
    ap.add_argument("--runs", type=int, default=300, help="pare invocations (default 300)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "build/hostile-models"),
                    help="where failing cases are kept (default build/hostile-models)")
    args = ap.parse_args()
    cmd = [sys.executable, str(ROOT / "benchmarks/hostile/campaign.py"), "--ci", "--pare", args.pare,
           "--runs", str(args.runs), "--seed", str(args.seed), "-j", str(args.jobs),
           "--timeout", "10", "--mem-mb", "4096", "--out", args.out]
    # a fresh folder each time, so that the failures listed are this run's
    subprocess.run(["rm", "-rf", args.out], check=True)
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
