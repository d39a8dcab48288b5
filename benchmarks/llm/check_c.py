#!/usr/bin/env python3
"""End-to-end check of pare's C decoder and its generated runner against onnxruntime, CI-sized
(about a minute on 2 cores, nothing downloaded once build/llm-venv exists).

The model is a tiny random Llama with SmolLM2's vocabulary (examples/llm/export_onnx.py --tiny
--vocab 49152: 2 layers, GQA, tied embeddings), so the runner's whole path runs: SmolLM2's
tokenizer.json (examples/llm/gguf_to_hf.py --tokenizer-only, from the packaged GGUF), prompt
encoding, prefill, decode, stop tokens, the perplexity mode. Steps:
  1. tokenizer.json, the ONNX export (checked against torch by the exporter), pare compile
     --target host --max-context C --emit-runner, make -f NAME.mk;
  2. benchmarks/llm/greedy.py --exact: -n tokens from each prompt of benchmarks/llm/prompts.txt
     identical to ort_reference.py's greedy loop (the fp32 criterion of issue 16);
  3. benchmarks/llm/perplexity.py: the runner's --ppl against ort_reference.py perplexity over
     a text, same token and window counts, perplexity within --ppl-tol;
  4. the same model with --max-batch 4: `generate --batch 3` (the prompt in three KV-cache
     slots, decoded together) gives each sequence the ids of the single-sequence greedy run.
It complements tests/e2e/llm_decoder_c.py (logits at every prefix, prefill-then-decode against
full recomputation, API errors) with the runner and the tokenizer. --onnx M --tokenizer T runs the
same on an existing export (the real SmolLM2: build/llm/smollm2.onnx, with --reference
build/llm/ref/greedy128.json to skip the slow onnxruntime greedy loop).

Usage: build/llm-venv/bin/python benchmarks/llm/check_c.py --pare build/tools/pare/pare [--work DIR]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TEXT = os.path.join(ROOT, "..", "shared", "data", "text", "moby-dick.txt")


def fail(msg):
    print(f"check_c.py: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def run(cmd, cwd=None, quiet=False):
    shown = " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT + os.sep) else c for c in cmd)
    print(f"$ {shown}", flush=True)
    t0 = time.time()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, encoding="utf-8", errors="replace")
    out = (p.stdout + p.stderr).strip().splitlines()
    for line in out[-4:] if not quiet else []:
        print(f"  {line}")
    if p.returncode != 0:
        fail(f"exit code {p.returncode} after {time.time() - t0:.0f} s:\n" + "\n".join(out[-40:]))
    return p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--pare", required=True, help="the pare binary")
    ap.add_argument("--work", help="work folder, kept (default: a temporary one)")
    ap.add_argument("--onnx", help="an existing full-sequence export (default: a tiny one made here)")
    ap.add_argument("--tokenizer", help="its tokenizer.json (default: SmolLM2's, made from the GGUF)")
    ap.add_argument("--reference", help="an existing ort_reference.py greedy JSON for --onnx and -n")
    ap.add_argument("--max-context", type=int, default=256)
    ap.add_argument("-n", type=int, default=128, help="greedy tokens per prompt (default %(default)s)")
    ap.add_argument("--text", default=TEXT, help="perplexity text (default ../shared/data/text/moby-dick.txt)")
    ap.add_argument("--window", type=int, default=64)
    ap.add_argument("--ppl-tokens", type=int, default=1024)
    ap.add_argument("--ppl-tol", type=float, default=1e-4, help="relative perplexity tolerance (fp32)")
    args = ap.parse_args()
    if not os.access(args.pare, os.X_OK):
        fail(f"--pare {args.pare}: not an executable")
    if not os.path.isfile(args.text):
        fail(f"--text {args.text}: no such file")
    if args.work:
        os.makedirs(args.work, exist_ok=True)
        check(args, os.path.abspath(args.work))
    else:
        with tempfile.TemporaryDirectory(prefix="llm-check-c-") as work:
            check(args, work)
    print("check_c: 3 passed, 0 failed")


def check(args, work):
    py = sys.executable
    t0 = time.time()
    tok = args.tokenizer
    if tok is None:
        run([py, os.path.join(ROOT, "examples", "llm", "gguf_to_hf.py"), "--tokenizer-only",
             "--out", os.path.join(work, "tok")])
        tok = os.path.join(work, "tok", "tokenizer.json")
    model = args.onnx
    if model is None:
        model = os.path.join(work, "tinyv.onnx")
        run([py, os.path.join(ROOT, "examples", "llm", "export_onnx.py"), "--tiny", "--vocab", "49152",
             "--out", model])
    name = "llmcheck"
    out = os.path.join(work, "c")
    run([args.pare, "compile", model, "--target", "host", "--max-context", str(args.max_context),
         "--name", name, "--emit-runner", "-o", out])
    run(["make", "-s", "-C", out, "-f", f"{name}.mk"])
    runner, weights = os.path.join(out, "generate"), os.path.join(out, f"{name}_weights.bin")

    greedy = [py, os.path.join(HERE, "greedy.py"), "--runner", runner, "--weights", weights,
              "--tokenizer", tok, "-n", str(args.n), "--exact"]
    if args.reference:
        greedy += ["--reference", args.reference]
    else:
        greedy += ["--reference", os.path.join(work, "greedy.json"), "--make-reference", "--model", model]
    run(greedy)
    run([py, os.path.join(HERE, "perplexity.py"), "--runner", runner, "--weights", weights,
         "--model", model, "--tokenizer", tok, "--text", args.text, "--window", str(args.window),
         "--max-tokens", str(args.ppl_tokens), "--tol", str(args.ppl_tol)])
    check_batch(args, model, tok, work, runner, weights)
    print(f"check_c: done in {time.time() - t0:.0f} s")


def check_batch(args, model, tok, work, runner, weights, batch=3, n=32):
    """generate --batch: every sequence's greedy ids == the single-sequence runner's."""
    name, out = "llmbatch", os.path.join(work, "c-batch")
    run([args.pare, "compile", model, "--target", "host", "--max-context", str(args.max_context),
         "--max-batch", "4", "--name", name, "--emit-runner", "-o", out])
    run(["make", "-s", "-C", out, "-f", f"{name}.mk"])
    prompt = "The whale"
    single = run([runner, "-w", weights, "--tokenizer", tok, "-p", prompt, "-n", str(n), "--ids"], quiet=True)
    want = [line.split()[1:] for line in single.splitlines() if line.startswith("ids:")]
    together = run([os.path.join(out, "generate"), "-w", os.path.join(out, f"{name}_weights.bin"),
                    "--tokenizer", tok, "-p", prompt, "-n", str(n), "--ids", "--batch", str(batch)])
    got = [line.split()[1:] for line in together.splitlines() if line.startswith("ids[")]
    if len(want) != 1 or not want[0] or got != want * batch:
        fail(f"generate --batch {batch}: ids {got} differ from the single-sequence run's {want}")
    print(f"  --batch {batch}: {batch} sequences x {len(want[0])} ids == the single-sequence greedy run")


if __name__ == "__main__":
    main()
