#!/usr/bin/env python3
"""onnxruntime reference for LLM decoders compiled by pare: logits of a prompt, a greedy loop, and
perplexity over a text file. The model is the full-sequence export of examples/llm/export_onnx.py
(input_ids int64 [1, S] -> logits float32 [1, S, V]); the tokenizer is the HF tokenizer.json that
the generated runner reads too (examples/llm/gguf_to_hf.py writes both).

Subcommands:
  logits      the logits of one prompt at every position -> .npy float32 [S, V]; --ids gives the
              token ids directly (comma-separated) instead of --prompt text.
  greedy      greedy generation from each prompt of a file (one prompt a line; blank lines and
              lines starting with '#' skipped): argmax of the last position's logits appended,
              -n tokens or until a stop token: the eos_token of tokenizer_config.json and
              <|endoftext|> when the vocabulary has it (the stop id is kept as the last id;
              --ignore-eos runs all -n). Ties go to the lowest id (first maximum). --model may
              also be the decode-step export (--form decode): then the loop keeps onnxruntime's
              KV cache (prefill the prompt, one position per token), much faster than the full
              recomputation, and must give the same ids.
              Writes JSON: [{"prompt", "prompt_ids", "ids" (generated only), "text"}].
  perplexity  the protocol below; prints one last line "perplexity: P tokens: T windows: N".

Tokenization: a prompt (logits, greedy) is encoded as the runner does, tokenizer.json's default
encode (add_special_tokens=True: its post-processor, which adds nothing for SmolLM2); --chat first
applies the chat template of the tokenizer_config.json beside tokenizer.json (SmolLM2's adds its
default system prompt), with the generation prompt. Perplexity text: see step 2 below.

PERPLEXITY PROTOCOL (the generated runner's perplexity mode, `generate --ppl`, implements the
same one; any change must be made on both sides):
  1. the text file is read as bytes and decoded as UTF-8 (an invalid file is an error);
  2. ids = tokenizer.encode(text, add_special_tokens=False) over the whole text at once;
     --max-tokens T keeps ids[:T];
  3. the ids are split into consecutive NON-overlapping windows of W tokens (stride = W):
     ids[k*W : (k+1)*W], k = 0, 1, ...; a last partial window is kept if it has >= 2 tokens;
  4. each window is scored on its own, from an empty context (positions 0 .. len-1);
  5. token t+1 of a window is scored with the log-softmax (in float64) of the logits at t:
     nll = -log p(ids[t+1] | ids[..t]); token 0 of each window is not scored;
  6. perplexity = exp(sum of nll / number of scored tokens).
  Printed: "perplexity: %.6f tokens: %d windows: %d", tokens = number of SCORED tokens
  (sum over windows of len - 1).
  W must be <= the compiled --max-context on the pare side; here any W runs (full recomputation).

Usage (build/llm-venv/bin/python):
  benchmarks/llm/ort_reference.py logits --model M.onnx --tokenizer T.json --prompt "The capital of France" --out l.npy
  benchmarks/llm/ort_reference.py greedy --model M.onnx --tokenizer T.json --prompts benchmarks/llm/prompts.txt -n 128 --out g.json
  benchmarks/llm/ort_reference.py perplexity --model M.onnx --tokenizer T.json --text F.txt --window 256
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np


def fail(msg):
    print(f"ort_reference.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


class Model:
    """The full-sequence ONNX decoder in onnxruntime (CPU, all threads)."""

    def __init__(self, path, threads):
        import onnxruntime as ort

        if not os.path.isfile(path):
            fail(f"--model {path}: no such file")
        so = ort.SessionOptions()
        so.log_severity_level = 3
        if threads:
            so.intra_op_num_threads = threads
        self.sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        ins = self.sess.get_inputs()
        if len(ins) != 1 or ins[0].name != "input_ids":
            fail(f"--model {path}: inputs {[i.name for i in ins]}: expected the full-sequence form "
                 "(one input, input_ids [1, S]; examples/llm/export_onnx.py --form full)")
        self.vocab = self.sess.get_outputs()[0].shape[-1]

    def logits(self, ids):
        """ids: sequence of ints -> float32 [len(ids), V]."""
        x = np.asarray(ids, dtype=np.int64)[None, :]
        return self.sess.run(None, {"input_ids": x})[0][0]


class CachedModel:
    """The decode-step export (examples/llm/export_onnx.py --form decode: past_key_values.N.key /
    .value in, present.N.* out) driven as a KV-cache decoder: greedy then costs one position per
    token instead of a full recomputation."""

    def __init__(self, path, threads):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.log_severity_level = 3
        if threads:
            so.intra_op_num_threads = threads
        self.sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        self.past = [i for i in self.sess.get_inputs() if i.name.startswith("past_key_values.")]
        need = {"input_ids", "attention_mask", "position_ids"}
        if not self.past or not need <= {i.name for i in self.sess.get_inputs()}:
            fail(f"--model {path}: not the decode-step form (input_ids, attention_mask, position_ids, "
                 "past_key_values.N.key/value)")
        for i in self.past:
            if not all(isinstance(d, int) for d in (i.shape[1], i.shape[3])):
                fail(f"--model {path}: {i.name} has no static kv-heads / head-dim ({i.shape})")
        self.outputs = ["logits"] + [i.name.replace("past_key_values.", "present.") for i in self.past]
        self.vocab = self.sess.get_outputs()[0].shape[-1]
        self.reset()

    def reset(self):
        self.cache = {i.name: np.zeros((1, i.shape[1], 0, i.shape[3]), np.float32) for i in self.past}
        self.pos = 0

    def step(self, ids):
        """Feed ids after the cached positions -> float32 [len(ids), V]."""
        n = len(ids)
        feed = {"input_ids": np.asarray(ids, np.int64)[None, :],
                "attention_mask": np.ones((1, self.pos + n), np.int64),
                "position_ids": np.arange(self.pos, self.pos + n, dtype=np.int64)[None, :]}
        feed.update(self.cache)
        out = self.sess.run(self.outputs, feed)
        for i, t in zip(self.past, out[1:]):
            self.cache[i.name] = t
        self.pos += n
        return out[0][0]


def is_decode_form(path):
    import onnx

    if not os.path.isfile(path):
        fail(f"--model {path}: no such file")
    g = onnx.load(path, load_external_data=False).graph
    return any(i.name.startswith("past_key_values.") for i in g.input)


class Tok:
    def __init__(self, path):
        from tokenizers import Tokenizer

        if not os.path.isfile(path):
            fail(f"--tokenizer {path}: no such file")
        self.path = path
        self.tok = Tokenizer.from_file(path)
        cfg_path = os.path.join(os.path.dirname(path), "tokenizer_config.json")
        self.config = {}
        if os.path.isfile(cfg_path):
            with open(cfg_path, encoding="utf-8") as f:
                self.config = json.load(f)
        eos = self.config.get("eos_token")
        stops = [eos if isinstance(eos, str) else None, "<|endoftext|>"]
        self.stop_ids = {self.tok.token_to_id(t) for t in stops if t} - {None}

    def encode(self, text, special=False):
        return self.tok.encode(text, add_special_tokens=special).ids

    def decode(self, ids):
        return self.tok.decode(ids, skip_special_tokens=False)

    def chat(self, prompt):
        """The prompt inside the chat template (with the generation prompt), as text."""
        template = self.config.get("chat_template")
        if not template:
            fail(f"--chat: {os.path.dirname(self.path)}/tokenizer_config.json has no chat_template")
        import jinja2

        env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
        return env.from_string(template).render(
            messages=[{"role": "user", "content": prompt}], add_generation_prompt=True,
            bos_token=self.config.get("bos_token") or "", eos_token=self.config.get("eos_token") or "")


def check_vocab(model, tok):
    if tok.tok.get_vocab_size(with_added_tokens=True) > model.vocab:
        fail(f"--tokenizer {tok.path} has {tok.tok.get_vocab_size(with_added_tokens=True)} tokens, "
             f"more than the model's vocabulary of {model.vocab}")


def prompt_ids(args, tok, text):
    return tok.encode(tok.chat(text) if args.chat else text, special=True)


def cmd_logits(args):
    model = Model(args.model, args.threads)
    if args.ids:
        try:
            ids = [int(x) for x in args.ids.split(",") if x.strip()]
        except ValueError:
            fail(f"--ids {args.ids!r}: expected comma-separated integers")
    else:
        if args.prompt is None or args.tokenizer is None:
            fail("logits: give --ids, or --prompt with --tokenizer")
        tok = Tok(args.tokenizer)
        check_vocab(model, tok)
        ids = prompt_ids(args, tok, args.prompt)
    if not ids:
        fail("logits: the prompt has no tokens")
    bad = [i for i in ids if not 0 <= i < model.vocab]
    if bad:
        fail(f"logits: token id {bad[0]} is outside the vocabulary (0..{model.vocab - 1})")
    out = model.logits(ids)
    np.save(args.out, out.astype(np.float32))
    print(f"ids ({len(ids)}): {','.join(map(str, ids))}")
    print(f"wrote {args.out}: logits float32 {list(out.shape)}, max|logit| {np.max(np.abs(out)):.4g}, "
          f"argmax of last {int(np.argmax(out[-1]))}")


def read_prompts(path):
    if not os.path.isfile(path):
        fail(f"--prompts {path}: no such file")
    with open(path, encoding="utf-8") as f:
        prompts = [line.rstrip("\n") for line in f]
    prompts = [p for p in prompts if p.strip() and not p.startswith("#")]
    if not prompts:
        fail(f"--prompts {path}: no prompt in the file")
    return prompts


def cmd_greedy(args):
    cached = is_decode_form(args.model)
    model = (CachedModel if cached else Model)(args.model, args.threads)
    tok = Tok(args.tokenizer)
    check_vocab(model, tok)
    if args.n < 1:
        fail("-n must be >= 1")
    results = []
    t0 = time.time()
    for prompt in read_prompts(args.prompts):
        ids = prompt_ids(args, tok, prompt)
        if not ids:
            fail(f"greedy: prompt {prompt!r} has no tokens")
        gen = []
        if cached:
            model.reset()
            last = model.step(ids)[-1]
        for _ in range(args.n):
            if not cached:
                last = model.logits(ids + gen)[-1]
            nxt = int(np.argmax(last))
            gen.append(nxt)
            if nxt in tok.stop_ids and not args.ignore_eos:
                break
            if cached and len(gen) < args.n:
                last = model.step([nxt])[-1]
        text = tok.decode(gen)
        results.append({"prompt": prompt, "prompt_ids": ids, "ids": gen, "text": text})
        print(f"[{len(ids)} + {len(gen)} tokens] {prompt!r} -> {text!r}", flush=True)
    with open(args.out, "w", encoding="utf-8") as f:
        # One prompt a line: diffable, and readable with 128 ids each.
        f.write("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in results) + "\n]\n")
    print(f"wrote {args.out}: {len(results)} prompts, {time.time() - t0:.1f} s")


def windows(ids, w):
    """Step 3 of the protocol."""
    out = [ids[i:i + w] for i in range(0, len(ids), w)]
    return [x for x in out if len(x) >= 2]


def log_softmax64(logits):
    x = logits.astype(np.float64)
    m = np.max(x, axis=-1, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))


def cmd_perplexity(args):
    if args.window < 2:
        fail(f"--window {args.window}: a window needs at least 2 tokens")
    model = Model(args.model, args.threads)
    tok = Tok(args.tokenizer)
    check_vocab(model, tok)
    if not os.path.isfile(args.text):
        fail(f"--text {args.text}: no such file")
    with open(args.text, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(f"--text {args.text}: not UTF-8 ({e})")
    ids = tok.encode(text)
    if args.max_tokens is not None:
        if args.max_tokens < 2:
            fail("--max-tokens must be >= 2")
        ids = ids[:args.max_tokens]
    wins = windows(ids, args.window)
    if not wins:
        fail(f"--text {args.text}: fewer than 2 tokens, nothing to score")
    nll, count = 0.0, 0
    t0 = time.time()
    for k, win in enumerate(wins):
        lp = log_softmax64(model.logits(win))
        target = np.asarray(win[1:])
        nll -= float(np.sum(lp[np.arange(len(win) - 1), target]))
        count += len(win) - 1
        if args.verbose:
            print(f"window {k}: {len(win)} tokens, running perplexity {math.exp(nll / count):.6f}",
                  flush=True)
    print(f"text {args.text}: {len(ids)} tokens, window {args.window}, {time.time() - t0:.1f} s")
    print(f"perplexity: {math.exp(nll / count):.6f} tokens: {count} windows: {len(wins)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p, tokenizer_required=True):
        p.add_argument("--model", required=True, help="full-sequence ONNX export")
        p.add_argument("--tokenizer", required=tokenizer_required, help="HF tokenizer.json")
        p.add_argument("--threads", type=int, default=0, help="onnxruntime intra-op threads (0: all)")

    p = sub.add_parser("logits", help="logits of a prompt -> .npy")
    common(p, tokenizer_required=False)
    p.add_argument("--prompt")
    p.add_argument("--ids", help="comma-separated token ids (instead of --prompt)")
    p.add_argument("--chat", action="store_true", help="wrap the prompt in the chat template")
    p.add_argument("--out", required=True, help=".npy output, float32 [S, V]")
    p.set_defaults(func=cmd_logits)

    p = sub.add_parser("greedy", help="greedy generation from a prompt file -> JSON")
    common(p)
    p.set_defaults(model_help="full-sequence or decode-step ONNX export")
    p.add_argument("--prompts", required=True, help="one prompt a line")
    p.add_argument("-n", type=int, default=128, help="tokens to generate (default %(default)s)")
    p.add_argument("--ignore-eos", action="store_true", help="do not stop at a stop token")
    p.add_argument("--chat", action="store_true", help="wrap each prompt in the chat template")
    p.add_argument("--out", required=True, help="JSON output")
    p.set_defaults(func=cmd_greedy)

    p = sub.add_parser("perplexity", help="perplexity over a text file (protocol in the docstring)")
    common(p)
    p.add_argument("--text", required=True, help="UTF-8 text file")
    p.add_argument("--window", type=int, required=True, help="window length W (stride W)")
    p.add_argument("--max-tokens", type=int, help="score only the first T tokens of the file")
    p.add_argument("-v", "--verbose", action="store_true", help="print a line per window")
    p.set_defaults(func=cmd_perplexity)

    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
