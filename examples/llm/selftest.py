#!/usr/bin/env python3
"""Self-test of examples/llm/ and benchmarks/llm/ on a tiny random Llama (about 30 s, no network):
the exporters and the onnxruntime reference tools are checked against transformers / torch,
computed here independently of the tools.

  1. export_onnx.py --tiny --vocab 49152 (full, decode, full with --external-data): each export
     checks itself against torch at several lengths (its exit code); the external-data export
     must hold no weight in the .onnx file and give bit-identical logits to the single-file one;
  2. gguf_to_hf.py --tokenizer-only: SmolLM2's tokenizer.json from the packaged GGUF, which must
     load in transformers' AutoTokenizer and round-trip a text;
  3. ort_reference.py logits on given ids == torch logits (<= 1e-4 x max|logit|);
  4. ort_reference.py perplexity == the perplexity torch gives (the loss of LlamaForCausalLM) for
     the same windows, and the same token and window counts, within 1e-5 relative;
  5. ort_reference.py greedy --ignore-eos == a greedy loop in torch, id for id, on the full
     export and on the decode-step export (onnxruntime's KV cache).
A failed step prints what differs and exits 1.

Usage: build/llm-venv/bin/python examples/llm/selftest.py [--keep DIR]
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BENCH = os.path.join(ROOT, "benchmarks", "llm")

TEXT = ("It was the best of times, it was the worst of times, it was the age of wisdom, it was the "
        "age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it was "
        "the season of Light, it was the season of Darkness. In 1859 there were 12345 reasons.\n")
PROMPTS = ["The capital of France is", "def add(a, b):", "Numbers: 3 14 159"]


def fail(msg):
    print(f"selftest.py: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def run(*cmd):
    print("$ " + " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT + os.sep) else c
                          for c in cmd), flush=True)
    p = subprocess.run([sys.executable, *cmd], capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"exit code {p.returncode}:\n{p.stdout[-3000:]}{p.stderr[-3000:]}")
    return p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", help="work in this folder and keep it (default: a temporary one)")
    args = ap.parse_args()
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        work = args.keep
        _run(work)
    else:
        with tempfile.TemporaryDirectory(prefix="llm-selftest-") as work:
            _run(work)
    print("selftest: 5 passed, 0 failed")


def _run(work):
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    export = os.path.join(HERE, "export_onnx.py")
    ref = os.path.join(BENCH, "ort_reference.py")
    tiny = ["--tiny", "--vocab", "49152"]
    full, hf = os.path.join(work, "tiny.onnx"), os.path.join(work, "hf")

    # 1. Exports (each checks itself against torch).
    run(export, *tiny, "--out", full, "--save-hf", hf)
    run(export, *tiny, "--form", "decode", "--out", os.path.join(work, "decode.onnx"))
    ext = os.path.join(work, "ext", "tiny.onnx")
    run(export, *tiny, "--external-data", "--out", ext)
    import onnx
    import onnxruntime as ort

    m = onnx.load(ext, load_external_data=False)
    inline = [t.name for t in m.graph.initializer if t.data_location != onnx.TensorProto.EXTERNAL]
    if inline or not os.path.isfile(ext + ".data"):
        fail(f"{ext}: initializers {inline[:3]} are not external, or {ext}.data is missing")
    x = np.array([[5, 17, 2000, 49151]], dtype=np.int64)
    a = ort.InferenceSession(full).run(None, {"input_ids": x})[0]
    b = ort.InferenceSession(ext).run(None, {"input_ids": x})[0]
    if not np.array_equal(a, b):
        fail(f"external-data export differs from the single-file one by {np.max(np.abs(a - b))}")
    print("1. exports: ok")

    # 2. Tokenizer from the GGUF.
    run(os.path.join(HERE, "gguf_to_hf.py"), "--tokenizer-only", "--out", hf)
    tok = AutoTokenizer.from_pretrained(hf)
    ids = tok(TEXT, add_special_tokens=False).input_ids
    if tok.decode(ids) != TEXT or len(tok) != 49152:
        fail(f"tokenizer: {len(tok)} tokens, round trip {tok.decode(ids)!r}")
    digits = tok("12345", add_special_tokens=False).input_ids
    if len(digits) != 5:
        fail(f"tokenizer: '12345' gives {digits}: SmolLM2 splits digits one by one")
    print("2. tokenizer: ok")

    model = LlamaForCausalLM.from_pretrained(hf, attn_implementation="eager").float().eval()
    tok_json = os.path.join(hf, "tokenizer.json")

    # 3. Logits.
    npy = os.path.join(work, "logits.npy")
    probe = [1, 9690, 198, 504, 3575, 282, 4649, 314, 49151, 0]
    run(ref, "logits", "--model", full, "--ids", ",".join(map(str, probe)), "--out", npy)
    got = np.load(npy)
    with torch.no_grad():
        want = model(torch.tensor([probe])).logits[0].numpy()
    err = np.max(np.abs(got - want)) / np.max(np.abs(want))
    if got.shape != want.shape or err > 1e-4:
        fail(f"logits: shape {got.shape} vs {want.shape}, error {err:.3g} x max|logit|")
    print(f"3. logits: ok ({err:.2g} x max|logit|)")

    # 4. Perplexity, windows of 16 over the text (the last partial window kept when >= 2 tokens).
    text_path = os.path.join(work, "text.txt")
    with open(text_path, "w", encoding="utf-8") as f:
        f.write(TEXT)
    out = run(ref, "perplexity", "--model", full, "--tokenizer", tok_json, "--text", text_path,
              "--window", "16")
    last = out.strip().splitlines()[-1].split()
    ppl, count, nwin = float(last[1]), int(last[3]), int(last[5])
    nll, n, k = 0.0, 0, 0
    for start in range(0, len(ids), 16):
        w = ids[start:start + 16]
        if len(w) < 2:
            continue
        t = torch.tensor([w])
        with torch.no_grad():
            nll += model(t, labels=t).loss.item() * (len(w) - 1)
        n, k = n + len(w) - 1, k + 1
    want_ppl = math.exp(nll / n)
    if (count, nwin) != (n, k) or abs(ppl - want_ppl) > 1e-5 * want_ppl:
        fail(f"perplexity: ort_reference {ppl} over {count} tokens / {nwin} windows, "
             f"torch {want_ppl} over {n} / {k}")
    print(f"4. perplexity: ok ({ppl:.4f} over {n} tokens in {k} windows)")

    # 5. Greedy, 12 tokens, no stop.
    prompts_path = os.path.join(work, "prompts.txt")
    with open(prompts_path, "w", encoding="utf-8") as f:
        f.write("# comment lines are skipped\n\n" + "\n".join(PROMPTS) + "\n")
    gj = os.path.join(work, "greedy.json")
    run(ref, "greedy", "--model", full, "--tokenizer", tok_json, "--prompts", prompts_path,
        "-n", "12", "--ignore-eos", "--out", gj)
    with open(gj, encoding="utf-8") as f:
        results = json.load(f)
    if [r["prompt"] for r in results] != PROMPTS:
        fail(f"greedy: prompts read {[r['prompt'] for r in results]}")
    for r in results:
        seq = tok(r["prompt"]).input_ids
        if seq != r["prompt_ids"]:
            fail(f"greedy: prompt ids {r['prompt_ids']} != transformers' {seq}")
        gen = []
        with torch.no_grad():
            for _ in range(12):
                gen.append(int(torch.argmax(model(torch.tensor([seq + gen])).logits[0, -1])))
        if gen != r["ids"]:
            fail(f"greedy {r['prompt']!r}: ort_reference {r['ids']} != torch {gen}")
    # The same loop on the decode-step export (onnxruntime's KV cache) gives the same ids.
    gd = os.path.join(work, "greedy-decode.json")
    run(ref, "greedy", "--model", os.path.join(work, "decode.onnx"), "--tokenizer", tok_json,
        "--prompts", prompts_path, "-n", "12", "--ignore-eos", "--out", gd)
    with open(gd, encoding="utf-8") as f:
        cached = json.load(f)
    if [r["ids"] for r in cached] != [r["ids"] for r in results]:
        fail(f"greedy on the decode-step export {[r['ids'] for r in cached]} != full sequence "
             f"{[r['ids'] for r in results]}")
    print("5. greedy: ok")


if __name__ == "__main__":
    main()
