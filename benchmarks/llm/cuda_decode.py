#!/usr/bin/env python3
"""Helpers of benchmarks/llm/cuda_decode.sh (issue 17's decode-speed table): a prompt of exactly N
tokens, a tokenizer cut to a smaller vocabulary, the timed runs of a pare-generated `generate`
runner, and the final table.

  prompt     --tokenizer T --tokens N --out FILE [--source FILE ...]: the longest prefix of the
             sources' text (default: the repository's README.md, repeated as needed) that the
             tokenizer encodes (with its special-token template, as `generate -p` does) into
             exactly N ids, with no trailing white space (the shell's "$(cat FILE)" would drop it).
  tokenizer  --tokenizer T --vocab V --out FILE [--no-stop]: T with the ids >= V and the merges that
             make or use them removed, for a random model whose vocabulary is smaller than the
             tokenizer's (`generate` refuses a tokenizer with ids outside the model's vocabulary);
             BPE only. --no-stop renames <|im_end|> and <|endoftext|> (generate's stop tokens), so
             a random model's greedy decode runs every step it is asked for.
  runner     --generate BIN --weights W --tokenizer T --prompt-file F -n N --runs R --model NAME
             --weight-bytes B --rows FILE [--system TEXT] [--expect-prompt P]: runs
             `generate -w W --tokenizer T -p "$(cat F)" -n N` R times, reads its stderr lines
             "prefill: P tokens in X ms" and "decode: D tokens in Y ms", fails when the prompt is not
             P tokens or a run fails, and appends the median row (ms/token = Y / D).
  table      --rows FILE [--title TEXT]: the rows of every system as one markdown table.

Row format (tab-separated, as benchmarks/llm/torch_decode.py --rows writes it): model, system,
ms/token, tokens/s, effective GB/s (weight bytes / time of a token), prefill ms, note.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def fail(msg):
    print(f"cuda_decode.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def load_tokenizer(path):
    try:
        from tokenizers import Tokenizer
    except ImportError:
        fail("the 'tokenizers' package is missing (the transformers wheels install it)")
    if not os.path.isfile(path):
        fail(f"--tokenizer {path}: no such file")
    return Tokenizer.from_file(path)


def cmd_prompt(args):
    tok = load_tokenizer(args.tokenizer)
    sources = args.source or [os.path.join(ROOT, "README.md")]
    text = ""
    for path in sources:
        try:
            with open(path, encoding="utf-8") as f:
                text += f.read()
        except OSError as e:
            fail(f"--source {path}: {e.strerror}")
    if not text.strip():
        fail("the --source files hold no text")
    ids = tok.encode(text, add_special_tokens=False).ids
    while len(ids) < args.tokens + 64:  # short sources are repeated
        text += "\n" + text
        ids = tok.encode(text, add_special_tokens=False).ids
    # Decoding a prefix and encoding it again need not give the prefix back (merges across the
    # cut, a split UTF-8 character): step the cut down until the round trip has exactly N ids.
    for k in range(args.tokens + 32, 0, -1):
        prefix = tok.decode(ids[:k])
        if prefix != prefix.rstrip() or "\ufffd" in prefix:
            continue
        if len(tok.encode(prefix, add_special_tokens=True).ids) == args.tokens:
            with open(args.out, "w", encoding="utf-8") as f:
                f.write(prefix)
            print(f"prompt: {args.tokens} tokens, {len(prefix)} characters -> {args.out}")
            return
    fail(f"no prefix of the sources encodes into exactly {args.tokens} tokens")


def cmd_tokenizer(args):
    with open(args.tokenizer, encoding="utf-8") as f:
        spec = json.load(f)
    model = spec.get("model", {})
    if model.get("type") != "BPE":
        fail(f"--tokenizer {args.tokenizer}: a {model.get('type')} model, only BPE can be cut")
    vocab = {t: i for t, i in model["vocab"].items() if i < args.vocab}
    merges = []
    for m in model["merges"]:
        a, b = m.split(" ", 1) if isinstance(m, str) else m
        if a in vocab and b in vocab and a + b in vocab:
            merges.append(m)
    added = [t for t in spec.get("added_tokens", []) if t["id"] < args.vocab]
    renamed = []
    if args.no_stop:
        # generate stops at the ids named <|im_end|> / <|endoftext|>; a random model may pick one
        # first, so for timing give them other names (the ids and their bytes stay).
        for name in STOP_TOKENS:
            if name in vocab:
                new = name[:-2] + "_no_stop|>"
                vocab[new] = vocab.pop(name)
                renamed.append(name)
        for t in added:
            if t.get("content") in STOP_TOKENS:
                t["content"] = t["content"][:-2] + "_no_stop|>"
    model["vocab"], model["merges"], spec["added_tokens"] = vocab, merges, added
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False)
    print(f"tokenizer: {len(vocab)} tokens, {len(merges)} merges (ids < {args.vocab})"
          + (f", stop tokens renamed: {' '.join(renamed)}" if renamed else "") + f" -> {args.out}")


STOP_TOKENS = ("<|im_end|>", "<|endoftext|>")
LINE = re.compile(r"^(prefill|decode): (\d+) tokens in ([0-9.]+) ms")


def cmd_runner(args):
    with open(args.prompt_file, encoding="utf-8") as f:
        prompt = f.read()
    cmd = [args.generate, "-w", args.weights, "--tokenizer", args.tokenizer, "-p", prompt,
           "-n", str(args.n)] + args.extra
    runs = []
    for r in range(args.runs):
        try:
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               encoding="utf-8", errors="replace", timeout=args.timeout)
        except FileNotFoundError:
            fail(f"cannot run {args.generate}")
        except subprocess.TimeoutExpired:
            fail(f"{args.generate} did not finish in {args.timeout} s")
        for line in p.stderr.splitlines():
            if not line.startswith(("prefill:", "decode:")) or args.echo:
                print(f"  [{args.model} run {r + 1}] {line}")
        if p.returncode != 0:
            fail(f"{args.generate} -p <prompt file {args.prompt_file}> -n {args.n}: exit code "
                 f"{p.returncode}:\n{p.stderr[-3000:]}")
        got = {}
        for line in p.stderr.splitlines():
            m = LINE.match(line)
            if m:
                got[m.group(1)] = (int(m.group(2)), float(m.group(3)))
        if set(got) != {"prefill", "decode"}:
            fail(f"{args.generate}: no 'prefill:' and 'decode:' lines in its stderr:\n{p.stderr[-2000:]}")
        if args.expect_prompt and got["prefill"][0] != args.expect_prompt:
            fail(f"the prompt is {got['prefill'][0]} tokens, not {args.expect_prompt}")
        if got["decode"][0] < 1:
            fail(f"{args.generate} made no decode step (a stop token first?)")
        print(f"  [{args.model} run {r + 1}] prefill {got['prefill'][0]} tokens {got['prefill'][1]:.1f} "
              f"ms, decode {got['decode'][0]} tokens {got['decode'][1]:.1f} ms "
              f"({got['decode'][1] / got['decode'][0]:.4f} ms/token)")
        runs.append(got)
    ms = statistics.median(g["decode"][1] / g["decode"][0] for g in runs)
    prefill = statistics.median(g["prefill"][1] for g in runs)
    steps = min(g["decode"][0] for g in runs)
    note = (f"{args.note + ', ' if args.note else ''}median of {args.runs} runs, "
            f"{steps}{'' if steps == args.n - 1 else ' (stop token)'} decode steps")
    with open(args.rows, "a", encoding="utf-8") as f:
        f.write(f"{args.model}\t{args.system}\t{ms:.4f}\t{1e3 / ms:.1f}\t"
                f"{args.weight_bytes / ms / 1e6:.0f}\t{prefill:.2f}\t{note}\n")
    print(f"  {args.model} {args.system}: {ms:.4f} ms/token, {1e3 / ms:.1f} tokens/s")


def cmd_table(args):
    if not os.path.isfile(args.rows):
        fail(f"--rows {args.rows}: no such file (no system was measured)")
    with open(args.rows, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    if args.title:
        print(args.title)
    print("| model | system | ms/token | tokens/s | effective GB/s | prefill ms | note |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if len(r) != 7:
            fail(f"--rows {args.rows}: a row of {len(r)} fields, not 7: {r}")
        print("| " + " | ".join(r) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prompt")
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--tokens", type=int, required=True)
    p.add_argument("--source", action="append")
    p.add_argument("--out", required=True)
    p = sub.add_parser("tokenizer")
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--no-stop", action="store_true",
                   help="rename the stop tokens, so that generate runs all -n steps on a random model")
    p = sub.add_parser("runner")
    p.add_argument("--generate", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--prompt-file", required=True)
    p.add_argument("-n", type=int, required=True, help="tokens to generate (decode steps + 1)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--model", required=True)
    p.add_argument("--system", default="pare")
    p.add_argument("--note", default="")
    p.add_argument("--weight-bytes", type=int, required=True)
    p.add_argument("--expect-prompt", type=int, default=0)
    p.add_argument("--rows", required=True)
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--echo", action="store_true", help="print every stderr line of the runs")
    p.add_argument("extra", nargs="*", help="more arguments of generate (after --)")
    p = sub.add_parser("table")
    p.add_argument("--rows", required=True)
    p.add_argument("--title")
    args = ap.parse_args()
    if args.cmd in ("prompt", "tokenizer") and getattr(args, "tokens", getattr(args, "vocab", 1)) < 1:
        fail("--tokens / --vocab must be >= 1")
    if args.cmd == "runner" and (args.n < 2 or args.runs < 1):
        fail("-n must be >= 2 (one token from the prefill, then decode steps), --runs >= 1")
    {"prompt": cmd_prompt, "tokenizer": cmd_tokenizer, "runner": cmd_runner, "table": cmd_table}[args.cmd](args)


if __name__ == "__main__":
    main()
