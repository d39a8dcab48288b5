#!/usr/bin/env python3
"""Batched decoding on the host C target (--max-batch, issue 19's batch serving): decode tokens/s
summed over B sequences decoded together, against the same binary decoding one sequence.

pare compiles the model once per --flags entry with `--max-context C --max-batch max(B) --emit-runner`
and builds the runner (make -f NAME.mk, CFLAGS -O3 -march=native; one thread). Each row runs
`generate -p PROMPT -n TOKENS --batch B` (the prompt prefilled into B slots, then one decode_batch
step per token for all unfinished sequences; greedy); B = 0 is the plain single-sequence
`generate` (decode calls, no slots) of the same binary. The figure is the runner's own decode rate
(decoded tokens / time of the steps); the best of --repeat runs (the least disturbed on a shared
machine) and the speed-up over B = 1.

Usage (build/llm-venv/bin/python; defaults are SmolLM2-135M's files):
  benchmarks/llm/host_batch_decode.py --pare build/tools/pare/pare [--onnx build/llm/smollm2.onnx]
      [--tokenizer build/llm/smollm2-hf/tokenizer.json] [--batches 0,1,2,4,8,16] [--tokens 32]
      [--repeat 2] [--flags "" --flags "--quantize w8a8 --calibration FILE ..."] [--work build/host-batch]
"""

import argparse
import os
import platform
import re
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PROMPT = "Call me Ishmael. Some years ago, never mind how long precisely, having little or no money"


def fail(msg):
    print(f"host_batch_decode.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def run(cmd, timeout=7200):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)
    except (FileNotFoundError, subprocess.TimeoutExpired) as e:
        fail(f"{cmd[0]}: {e}")
    if p.returncode != 0:
        fail(f"{' '.join(shlex.quote(c) for c in cmd[:8])} ...: exit code {p.returncode}\n"
             f"{p.stdout[-2000:]}{p.stderr[-2000:]}")
    return p.stdout + p.stderr


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pare", default=str(ROOT / "build/tools/pare/pare"))
    ap.add_argument("--onnx", default=str(ROOT / "build/llm/smollm2.onnx"))
    ap.add_argument("--tokenizer", default=str(ROOT / "build/llm/smollm2-hf/tokenizer.json"))
    ap.add_argument("--batches", default="0,1,2,4,8,16",
                    help="comma-separated B; 0 = plain single-sequence generate")
    ap.add_argument("--tokens", type=int, default=32, help="tokens generated per sequence")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--max-context", type=int, default=256)
    ap.add_argument("--flags", action="append",
                    help="extra pare compile flags, one configuration each (default: float32)")
    ap.add_argument("--work", default=str(ROOT / "build/host-batch"))
    a = ap.parse_args()
    batches = [int(b) for b in a.batches.split(",")]
    if not batches or min(batches) < 0:
        fail("--batches: non-negative integers")
    for f in (a.pare, a.onnx, a.tokenizer):
        if not os.path.exists(f):
            fail(f"{f}: not found")
    configs = a.flags or [""]
    max_b = max(2, max(batches))
    print(f"# {cpu_name()}, one thread; {a.tokens} tokens per sequence, prompt of "
          f"{len(PROMPT.split())} words, best of {a.repeat}")
    print("| configuration | B | decode tokens/s (all sequences) | ms per step | vs B = 1 |")
    print("|---|---|---|---|---|")
    for ci, flags in enumerate(configs):
        out = Path(a.work) / f"c{ci}"
        name = "batchdec"
        if not (out / "generate").exists():
            run([a.pare, "compile", a.onnx, "--max-context", str(a.max_context), "--max-batch", str(max_b),
                 "--name", name, "--emit-runner", "-q", "-o", str(out), *shlex.split(flags)])
            run(["make", "-s", "-C", str(out), "-f", f"{name}.mk", "CFLAGS=-O3 -march=native"])
        base = None
        for b in batches:
            best = 0.0
            for _ in range(a.repeat):
                cmd = [str(out / "generate"), "-w", str(out / f"{name}_weights.bin"), "--tokenizer",
                       a.tokenizer, "-p", PROMPT, "-n", str(a.tokens)]
                if b:
                    cmd += ["--batch", str(b)]
                text = run(cmd)
                m = re.search(r"^decode: (\d+) tokens (?:in (\d+) steps .*?)?in ([\d.]+) ms \(([\d.]+) tokens/s\)",
                              text, re.M)
                if not m:
                    fail(f"no decode line in the runner's output:\n{text[-1000:]}")
                best = max(best, float(m.group(4)))
            steps_per_s = best / max(1, b)
            if b == 1:
                base = best
            ratio = f"{best / base:.2f}x" if base else ""
            label = flags or "float32"
            print(f"| {label} | {b if b else '1 (plain decode)'} | {best:.1f} | {1e3 / steps_per_s:.2f} | {ratio} |",
                  flush=True)


if __name__ == "__main__":
    main()
