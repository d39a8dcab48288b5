#!/usr/bin/env python3
"""Host decode speed: pare's generated C decoder against onnxruntime on the same decode-step export
(issue 17), same machine, same run, same prompt, same number of tokens.

Both sides get the same prompt ids (the first --prompt-tokens ids of --text, tokenized with
tokenizer.json's default encode without special tokens), prefill them from an empty cache and then run
--tokens greedy decode steps (each fed the argmax of the previous logits, ties to the lowest id):
  * pare: `pare compile ONNX --max-context C --name smollm2 --emit-runner` (reused from --work when
    its weights file is there; the driver reaches the model through the emitted pare_model.h), built
    with benchmarks/llm/host_decode_bench.c by `cc -std=c99 $CFLAGS` (default -O3 -march=native);
    --threads N > 1 adds -DPARE_LLM_THREADS=N -pthread;
  * onnxruntime: the same ONNX file (input_ids, attention_mask, position_ids, past_key_values.N.* ->
    logits, present.N.*) on the CPU execution provider with intra_op_num_threads = --threads and
    inter_op_num_threads = 1, its KV cache fed back each step (benchmarks/llm/ort_reference.py's
    CachedModel).
The sides alternate, --repeat times each (pare in a fresh process each time: the weights are loaded and
hash-checked before its clock starts); the table gives the best and the median of the repeats in tokens
per second (prefill: prompt tokens / prefill time; decode: steps / time of the steps), and whether the
greedy ids agree. On a shared machine the best is the figure least disturbed by other jobs.

Usage (build/llm-venv/bin/python; the defaults are SmolLM2-135M's files):
  benchmarks/llm/host_decode.py --pare build/tools/pare/pare [--onnx build/llm/smollm2-decode.onnx]
      [--tokenizer build/llm/smollm2-hf/tokenizer.json] [--text ../shared/data/text/moby-dick.txt]
      [--prompt-tokens 128] [--tokens 64] [--repeat 3] [--threads 1] [--work build/host-decode]
"""

import argparse
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import ort_reference  # noqa: E402


def fail(msg):
    print(f"host_decode.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def run(cmd, timeout=3600, env=None):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout, env=env)
    except FileNotFoundError:
        fail(f"cannot run {cmd[0]}")
    except subprocess.TimeoutExpired:
        fail(f"{' '.join(cmd[:3])} ... did not finish in {timeout} s")
    if p.returncode != 0:
        fail(f"{' '.join(shlex.quote(c) for c in cmd[:6])} ...: exit code {p.returncode}\n"
             f"{p.stdout[-2000:]}{p.stderr[-2000:]}")
    return p.stdout


def cpu_name():
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def build_pare(args, name="smollm2"):
    """pare compile (unless the work directory has it) and the benchmark driver."""
    out = args.work / "c"
    weights = out / f"{name}_weights.bin"
    if not weights.exists():
        print(f"pare compile {args.onnx} --max-context {args.max_context} ...", flush=True)
        t0 = time.time()
        run([str(args.pare), "compile", str(args.onnx), "--max-context", str(args.max_context), "--name", name,
             "--emit-runner", "-o", str(out)])
        print(f"  {time.time() - t0:.0f} s", flush=True)
    sources = [str(out / f"{name}.c"), str(out / "pare_llm.c")]
    if (out / "pare_k_elementwise.c").exists():
        sources.append(str(out / "pare_k_elementwise.c"))
    flags = shlex.split(args.cflags)
    if args.threads > 1:
        flags += [f"-DPARE_LLM_THREADS={args.threads}", "-pthread"]
    exe = args.work / f"bench-t{args.threads}"
    run([os.environ.get("CC", "cc"), "-std=c99", *flags, "-I", str(out), str(HERE / "host_decode_bench.c"),
         *sources, "-lm", "-o", str(exe)])
    return exe, weights, flags


def pare_once(exe, weights, ids, steps):
    out = run([str(exe), str(weights), str(steps), *map(str, ids)])
    vals = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    return float(vals["prefill_s"]), float(vals["decode_s"]), [int(v) for v in vals["ids"].split()]


def ort_once(model, ids, steps):
    model.reset()
    t0 = time.perf_counter()
    logits = model.step(ids)
    t1 = time.perf_counter()
    made = [int(np.argmax(logits[-1]))]
    for _ in range(steps):
        made.append(int(np.argmax(model.step([made[-1]])[-1])))
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, made


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--pare", default=str(ROOT / "build/tools/pare/pare"), help="pare binary")
    ap.add_argument("--onnx", default=str(ROOT / "build/llm/smollm2-decode.onnx"),
                    help="decode-step ONNX export (past_key_values in, present out)")
    ap.add_argument("--tokenizer", default=str(ROOT / "build/llm/smollm2-hf/tokenizer.json"))
    ap.add_argument("--text", default=str(ROOT.parent / "shared/data/text/moby-dick.txt"),
                    help="the prompt's source text")
    ap.add_argument("--prompt-tokens", type=int, default=128, help="prompt length in tokens")
    ap.add_argument("--tokens", type=int, default=64, help="greedy decode steps after the prompt")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side, alternating")
    ap.add_argument("--threads", type=int, default=1, help="threads of both sides (default 1)")
    ap.add_argument("--max-context", type=int, default=512)
    ap.add_argument("--cflags", default="-O3 -march=native", help="C compiler flags of the pare side")
    ap.add_argument("--work", default=str(ROOT / "build/host-decode"),
                    help="pare's output and the driver (the compiled model is reused)")
    args = ap.parse_args()
    args.work = Path(args.work)
    for flag in ("pare", "onnx", "tokenizer", "text"):
        if not os.path.isfile(getattr(args, flag)):
            fail(f"--{flag} {getattr(args, flag)}: no such file")
    if args.prompt_tokens < 1 or args.tokens < 1 or args.repeat < 1 or args.threads < 1:
        fail("--prompt-tokens, --tokens, --repeat and --threads must be >= 1")
    if args.prompt_tokens + args.tokens > args.max_context:
        fail(f"--prompt-tokens + --tokens ({args.prompt_tokens + args.tokens}) pass --max-context "
             f"{args.max_context}")
    args.work.mkdir(parents=True, exist_ok=True)

    tok = ort_reference.Tok(args.tokenizer)
    with open(args.text, "rb") as f:
        ids = tok.encode(f.read().decode("utf-8"))[:args.prompt_tokens]
    if len(ids) < args.prompt_tokens:
        fail(f"--text {args.text} has only {len(ids)} tokens")

    exe, weights, flags = build_pare(args)
    model = ort_reference.CachedModel(args.onnx, args.threads)
    load0 = os.getloadavg()[0]
    runs = {"pare": [], "onnxruntime": []}
    made = {}
    for r in range(args.repeat):
        for side in runs:
            res = pare_once(exe, weights, ids, args.tokens) if side == "pare" else ort_once(model, ids, args.tokens)
            runs[side].append(res[:2])
            made.setdefault(side, res[2])
            print(f"run {r + 1} {side}: prefill {len(ids) / res[0]:.1f} tokens/s, "
                  f"decode {args.tokens / res[1]:.1f} tokens/s", flush=True)
    load1 = os.getloadavg()[0]

    same = made["pare"] == made["onnxruntime"]
    first_diff = next((i for i, (a, b) in enumerate(zip(made["pare"], made["onnxruntime"])) if a != b), None)
    print()
    print(f"machine: {cpu_name()}, {os.cpu_count()} logical CPUs, load average {load0:.1f} -> {load1:.1f}")
    print(f"model: {args.onnx}; prompt {len(ids)} tokens of {os.path.basename(args.text)}, {args.tokens} greedy "
          f"decode steps, {args.repeat} runs a side (best / median); threads {args.threads}")
    print(f"pare C: cc -std=c99 {' '.join(flags)}; onnxruntime {ort_reference_version()} CPU, "
          f"intra_op_num_threads={args.threads}")
    print()
    print("| side | threads | prefill tokens/s (best / median) | decode tokens/s (best / median) |")
    print("|---|---|---|---|")
    for side, rs in runs.items():
        pre = [len(ids) / p for p, _ in rs]
        dec = [args.tokens / d for _, d in rs]
        print(f"| {'pare C' if side == 'pare' else 'onnxruntime'} | {args.threads} | {max(pre):.1f} / "
              f"{statistics.median(pre):.1f} | {max(dec):.1f} / {statistics.median(dec):.1f} |")
    best = {s: max(args.tokens / d for _, d in rs) for s, rs in runs.items()}
    print()
    print(f"decode speed-up (best / best): {best['pare'] / best['onnxruntime']:.2f}x; greedy ids "
          + ("identical" if same else f"differ from step {first_diff}")
          + f" ({len(made['pare'])} ids)")
    return 0


def ort_reference_version():
    import onnxruntime

    return onnxruntime.__version__


if __name__ == "__main__":
    sys.exit(main())
