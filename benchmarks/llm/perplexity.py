#!/usr/bin/env python3
"""Perplexity of a pare-compiled decoder against onnxruntime's, over the same text and windows.

Runs the generated runner's perplexity mode
    RUNNER -w WEIGHTS --tokenizer TOKENIZER --ppl TEXT --window W [--max-tokens T]
and benchmarks/llm/ort_reference.py perplexity on the ONNX model with the same arguments (the
protocol both follow is in ort_reference.py's docstring), reads the last line of each,
"perplexity: P tokens: N windows: K", and prints both and their relative difference. It fails
(exit 1) when the token or window counts differ (the two sides did not score the same tokens) or
when |P_pare - P_ort| > --tol * P_ort (issue 16: 0.5% for pare fp16 against onnxruntime fp32).
Either side can be given alone (--runner or --model) to print one perplexity.

Usage (build/llm-venv/bin/python):
  benchmarks/llm/perplexity.py --runner out/generate --weights out/smollm2_weights.bin \
      --model build/llm/smollm2.onnx --tokenizer build/llm/smollm2-hf/tokenizer.json \
      --text ../shared/data/text/moby-dick.txt --window 256 --max-tokens 8192
"""

import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LINE = re.compile(r"^perplexity: ([0-9.eE+-]+|nan|inf) tokens: (\d+) windows: (\d+)\s*$")


def fail(msg):
    print(f"perplexity.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def run(name, cmd, timeout):
    print(f"{name}: {' '.join(cmd)}", flush=True)
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, encoding="utf-8", errors="replace", timeout=timeout)
    except FileNotFoundError:
        fail(f"{name}: cannot run {cmd[0]}")
    except subprocess.TimeoutExpired:
        fail(f"{name}: did not finish in {timeout} s")
    if p.returncode != 0:
        fail(f"{name}: exit code {p.returncode}:\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    for line in reversed(p.stdout.splitlines()):
        m = LINE.match(line)
        if m:
            ppl, tokens, windows = float(m.group(1)), int(m.group(2)), int(m.group(3))
            print(f"{name}: perplexity {ppl:.6f} over {tokens} tokens in {windows} windows "
                  f"({time.time() - t0:.1f} s)", flush=True)
            return ppl, tokens, windows
    fail(f"{name}: no 'perplexity: P tokens: N windows: K' line in its output:\n{p.stdout[-2000:]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--runner", help="the generated runner (pare compile --emit-runner)")
    ap.add_argument("--weights", help="the runner's weights file")
    ap.add_argument("--model", help="full-sequence ONNX export (the onnxruntime reference)")
    ap.add_argument("--tokenizer", required=True, help="HF tokenizer.json")
    ap.add_argument("--text", required=True, help="UTF-8 text file")
    ap.add_argument("--window", type=int, required=True, help="window length W (stride W)")
    ap.add_argument("--max-tokens", type=int, help="score only the first T tokens of the text")
    ap.add_argument("--tol", type=float, default=0.005,
                    help="largest |P_pare - P_ort| / P_ort (default %(default)s)")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds for each side (default %(default)s)")
    args = ap.parse_args()
    if not args.runner and not args.model:
        fail("give --runner (pare), --model (onnxruntime), or both")
    if args.runner and not args.weights:
        fail("--runner needs --weights")
    for flag in ("runner", "weights", "model", "tokenizer", "text"):
        path = getattr(args, flag)
        if path and not os.path.isfile(path):
            fail(f"--{flag} {path}: no such file")
    extra = ["--max-tokens", str(args.max_tokens)] if args.max_tokens is not None else []

    pare = ort = None
    if args.runner:
        pare = run("pare", [args.runner, "-w", args.weights, "--tokenizer", args.tokenizer,
                            "--ppl", args.text, "--window", str(args.window)] + extra, args.timeout)
    if args.model:
        ort = run("onnxruntime", [sys.executable, os.path.join(HERE, "ort_reference.py"), "perplexity",
                                  "--model", args.model, "--tokenizer", args.tokenizer,
                                  "--text", args.text, "--window", str(args.window)] + extra,
                  args.timeout)
    if pare and ort:
        if pare[1:] != ort[1:]:
            fail(f"pare scored {pare[1]} tokens in {pare[2]} windows, onnxruntime {ort[1]} in {ort[2]}: "
                 "the two sides do not follow the same protocol")
        rel = abs(pare[0] - ort[0]) / ort[0]
        print(f"perplexity: pare {pare[0]:.6f}, onnxruntime {ort[0]:.6f}, relative difference "
              f"{rel * 100:.4f}% (tolerance {args.tol * 100:.2f}%)")
        if not rel <= args.tol:
            fail(f"relative difference {rel:.3g} > --tol {args.tol}")


if __name__ == "__main__":
    main()
