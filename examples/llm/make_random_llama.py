#!/usr/bin/env python3
"""Build a Llama-2-7B-shaped or Llama-3-8B-shaped LlamaForCausalLM with random weights and export
it to ONNX (full-sequence form, external data), for speed work on the GPU machine. The exports are
never committed (they are tens of GB); the weights are random, so only speed, memory and
agreement with onnxruntime mean anything, not the text.

Presets (--preset), the published architectures:
  llama2-7b  32 layers, hidden 4096, 32 heads (MHA, 32 kv heads), intermediate 11008, vocab 32000,
             rope theta 10000, rms eps 1e-5, untied lm_head; 6.74 G parameters
  llama3-8b  32 layers, hidden 4096, 32 heads / 8 kv heads (GQA), intermediate 14336,
             vocab 128256, rope theta 500000, rms eps 1e-5, untied lm_head; 8.03 G parameters
--layers N keeps the preset's widths with N layers (a 1- or 2-layer model to try the pipeline
first: llama2-7b --layers 2 is 0.67 G parameters).

What it needs (float32; --dtype float16 halves every figure, if the consumer takes fp16 weights):
                   parameters   ONNX (disk)   peak memory (export)
  llama2-7b          6.74 G       27.0 GB       ~61 GB (torch 1.13), ~31 GB (torch 2.11)
  llama3-8b          8.03 G       32.1 GB       ~72 GB (torch 1.13), 36.1 GB measured (torch 2.11)
  one layer          0.20 G (7b) / 0.22 G (8b): 0.8 / 0.9 GB more each
Peak memory is 2.25x the weights past protobuf's 2 GB (measured with torch 1.13: llama2-7b
--layers 2, 2.67 GB of weights, 6.0 GB peak RSS; the torch model and the exporter's copy are both
held; below 2 GB the serialised model adds a third copy). The disk holds the weights once
(export_onnx.py's external-data step moves the exporter's per-tensor files into OUT.data one at a
time). The GPU machine (128 GiB memory, 64 GiB disk) builds either one, not both at once: the
full llama3-8b took 4 min 45 s there (148 s random weights, 129 s export).
--check (off by default: onnxruntime holds one more copy) compares onnxruntime with torch on a
short prompt.

The graph is the same form as examples/llm/export_onnx.py --form full (legacy exporter, opset
17, dynamic sequence axis, eager attention) from the same transformers model code, so what pare
recognises in SmolLM2's export it meets here too. --exporter dynamo uses torch's dynamo exporter
instead, where the installed torch has it.

Usage:
  python3 examples/llm/make_random_llama.py --preset llama3-8b --out /tmp/llama3-8b/model.onnx
  python3 examples/llm/make_random_llama.py --preset llama2-7b --layers 2 --out /tmp/l2-2/model.onnx --check
"""

import argparse
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_onnx  # noqa: E402  (the export, external-data and check steps are shared)

PRESETS = {
    "llama2-7b": dict(vocab_size=32000, hidden_size=4096, intermediate_size=11008,
                      num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32,
                      rope_theta=10000.0, rms_norm_eps=1e-5, max_position_embeddings=4096,
                      tie_word_embeddings=False, bos_token_id=1, eos_token_id=2),
    "llama3-8b": dict(vocab_size=128256, hidden_size=4096, intermediate_size=14336,
                      num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                      rope_theta=500000.0, rms_norm_eps=1e-5, max_position_embeddings=8192,
                      tie_word_embeddings=False, bos_token_id=128000, eos_token_id=128001),
}


def fail(msg):
    print(f"make_random_llama.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def parameter_count(c):
    h, f, v, n = c["hidden_size"], c["intermediate_size"], c["vocab_size"], c["num_hidden_layers"]
    kv = h // c["num_attention_heads"] * c["num_key_value_heads"]
    layer = 2 * h * h + 2 * h * kv + 3 * h * f + 2 * h
    return n * layer + v * h * (1 if c["tie_word_embeddings"] else 2) + h


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--preset", choices=sorted(PRESETS), required=True)
    ap.add_argument("--layers", type=int, help="number of layers (default: the preset's 32)")
    ap.add_argument("--out", required=True, help="output .onnx (weights in OUT.data beside it)")
    ap.add_argument("--dtype", choices=["float32", "float16"], default="float32",
                    help="weight and activation type of the export (default %(default)s)")
    ap.add_argument("--exporter", choices=["legacy", "dynamo"], default="legacy")
    ap.add_argument("--init-std", type=float, default=0.02,
                    help="std of the random linear / embedding weights (default %(default)s, HF's init)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trace-len", type=int, default=8)
    ap.add_argument("--check", action="store_true", help="compare onnxruntime with torch after the export")
    ap.add_argument("--check-len", type=int, default=19)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--dry-run", action="store_true", help="print the sizes and the disk check, build nothing")
    args = ap.parse_args()

    c = dict(PRESETS[args.preset])
    if args.layers is not None:
        if args.layers < 1:
            fail("--layers must be >= 1")
        c["num_hidden_layers"] = args.layers
    params = parameter_count(c)
    nbytes = params * (4 if args.dtype == "float32" else 2)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    free = shutil.disk_usage(out_dir).free
    print(f"{args.preset}: {c['num_hidden_layers']} layers, hidden {c['hidden_size']}, "
          f"{c['num_attention_heads']}/{c['num_key_value_heads']} heads, intermediate "
          f"{c['intermediate_size']}, vocab {c['vocab_size']}: {params / 1e9:.2f} G parameters, "
          f"{nbytes / 1e9:.1f} GB of {args.dtype} weights; {free / 1e9:.1f} GB free in {out_dir}")
    if free < nbytes * 1.05:
        fail(f"{out_dir} has {free / 1e9:.1f} GB free, the export needs {nbytes * 1.05 / 1e9:.1f} GB")
    if args.dry_run:
        return

    import warnings

    import torch
    from transformers import LlamaConfig

    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    t0 = time.time()
    torch.manual_seed(args.seed)
    cfg = LlamaConfig(hidden_act="silu", attention_bias=False, mlp_bias=False, pad_token_id=None, **c)
    model = export_onnx.new_model(cfg)
    export_onnx.randomize(model, args.init_std, args.seed)
    if args.dtype == "float16":
        model = model.half()
    model.eval()
    print(f"built the random model in {time.time() - t0:.0f} s")

    # export_onnx's steps take their settings from an argparse namespace.
    ns = argparse.Namespace(out=args.out, form="full" if args.exporter == "legacy" else "dynamo",
                            seed=args.seed, trace_len=args.trace_len, check_len=args.check_len,
                            external_data=True)
    t1 = time.time()
    with torch.no_grad():
        if args.exporter == "legacy":
            export_onnx.export_full(model, ns)
        else:
            if not export_onnx.has_dynamo():
                fail(f"torch {torch.__version__} has no dynamo exporter")
            export_onnx.export_dynamo(model, ns)
    export_onnx.move_to_external_data(args.out)
    size = os.path.getsize(args.out) + os.path.getsize(args.out + ".data")
    print(f"wrote {args.out} + {os.path.basename(args.out)}.data ({size / 1e9:.2f} GB) in "
          f"{time.time() - t1:.0f} s")
    if args.check:
        worst = export_onnx.check(model.float(), ns)
        if worst > args.tol:
            fail(f"check: onnxruntime differs from torch by {worst:.3g} x max|torch| > --tol {args.tol}")
        print(f"check: ok (worst {worst:.3g} x max|torch| <= {args.tol})")


if __name__ == "__main__":
    main()
