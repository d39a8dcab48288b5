#!/usr/bin/env python3
"""Greedy generation of a pare-compiled decoder against onnxruntime's greedy loop.

For each prompt of --prompts (one a line; '#' and blank lines skipped) it runs the generated runner
    RUNNER -w WEIGHTS --tokenizer TOKENIZER -p PROMPT -n N --ids
whose last stdout line is "ids: a b c ..." (the generated ids; a stop id, when hit, is the last),
and compares the ids with the reference JSON of
    benchmarks/llm/ort_reference.py greedy --prompts P -n N --out REF.json
(made with the same prompts and -n; --make-reference makes it first when --model is given).
Prints, per prompt, 'identical' or the first position where the two differ, and the agreement:
prompts identical, and generated tokens equal up to the first difference over all tokens. With
--exact (the fp32 check of issue 16) any difference fails (exit 1); fp16 is reported only.

Usage (build/llm-venv/bin/python):
  benchmarks/llm/greedy.py --runner out/generate --weights out/smollm2_weights.bin \
      --tokenizer build/llm/smollm2-hf/tokenizer.json --prompts benchmarks/llm/prompts.txt -n 128 \
      --reference build/llm/ref/greedy128.json --exact
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def fail(msg):
    print(f"greedy.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def read_prompts(path):
    with open(path, encoding="utf-8") as f:
        return [p.rstrip("\n") for p in f if p.strip() and not p.startswith("#")]


def runner_ids(args, prompt):
    cmd = [args.runner, "-w", args.weights, "--tokenizer", args.tokenizer, "-p", prompt,
           "-n", str(args.n), "--ids"]
    try:
        # The text of a random or broken model can be invalid UTF-8; only the ids line matters.
        p = subprocess.run(cmd, capture_output=True, encoding="utf-8", errors="replace",
                           timeout=args.timeout)
    except FileNotFoundError:
        fail(f"cannot run {args.runner}")
    except subprocess.TimeoutExpired:
        fail(f"{args.runner} did not finish in {args.timeout} s on prompt {prompt!r}")
    if p.returncode != 0:
        fail(f"{' '.join(cmd)}: exit code {p.returncode}:\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    lines = p.stdout.rstrip("\n").splitlines()
    if not lines or not lines[-1].startswith("ids:"):
        fail(f"{' '.join(cmd)}: the last stdout line is not 'ids: ...':\n{p.stdout[-2000:]}")
    try:
        ids = [int(x) for x in lines[-1][4:].split()]
    except ValueError:
        fail(f"{' '.join(cmd)}: cannot read the ids line {lines[-1]!r}")
    speed = [line for line in p.stderr.splitlines() if line.startswith(("prefill:", "decode:"))]
    return ids, speed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--runner", required=True, help="the generated runner")
    ap.add_argument("--weights", required=True, help="the runner's weights file")
    ap.add_argument("--tokenizer", required=True, help="HF tokenizer.json")
    ap.add_argument("--prompts", default=os.path.join(HERE, "prompts.txt"))
    ap.add_argument("-n", type=int, default=128, help="tokens to generate (default %(default)s)")
    ap.add_argument("--reference", required=True, help="JSON of ort_reference.py greedy")
    ap.add_argument("--model", help="with --make-reference: the full-sequence ONNX export")
    ap.add_argument("--make-reference", action="store_true",
                    help="run ort_reference.py greedy first (writes --reference)")
    ap.add_argument("--exact", action="store_true", help="fail unless every prompt is identical")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds for each runner call")
    args = ap.parse_args()
    for flag in ("runner", "weights", "tokenizer", "prompts"):
        if not os.path.isfile(getattr(args, flag)):
            fail(f"--{flag} {getattr(args, flag)}: no such file")
    if args.make_reference:
        if not args.model:
            fail("--make-reference needs --model")
        subprocess.run([sys.executable, os.path.join(HERE, "ort_reference.py"), "greedy", "--model",
                        args.model, "--tokenizer", args.tokenizer, "--prompts", args.prompts,
                        "-n", str(args.n), "--out", args.reference], check=True)
    if not os.path.isfile(args.reference):
        fail(f"--reference {args.reference}: no such file (make it with --make-reference --model M)")
    with open(args.reference, encoding="utf-8") as f:
        ref = {r["prompt"]: r["ids"] for r in json.load(f)}

    prompts = read_prompts(args.prompts)
    missing = [p for p in prompts if p not in ref]
    if missing:
        fail(f"--reference {args.reference} has no result for prompt {missing[0]!r}: remake it")
    same_prompts, same_tokens, total = 0, 0, 0
    t0 = time.time()
    for prompt in prompts:
        want = ref[prompt]
        if len(want) > args.n:
            fail(f"--reference was made with more than -n {args.n} tokens")
        got, speed = runner_ids(args, prompt)
        agree = 0
        while agree < min(len(got), len(want)) and got[agree] == want[agree]:
            agree += 1
        total += len(want)
        same_tokens += agree
        if got == want:
            same_prompts += 1
            verdict = "identical"
        else:
            verdict = (f"differs at token {agree}: pare {got[agree:agree + 3]}, "
                       f"onnxruntime {want[agree:agree + 3]} (lengths {len(got)} / {len(want)})")
        print(f"{prompt!r}: {len(want)} tokens, {verdict}" + (f"  [{'; '.join(speed)}]" if speed else ""),
              flush=True)
    print(f"greedy: {same_prompts}/{len(prompts)} prompts identical, {same_tokens}/{total} reference "
          f"tokens matched before the first difference ({time.time() - t0:.0f} s)")
    if args.exact and same_prompts != len(prompts):
        fail(f"{len(prompts) - same_prompts} prompt(s) differ from onnxruntime's greedy loop")


if __name__ == "__main__":
    main()
