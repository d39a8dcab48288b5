#!/usr/bin/env python3
"""Export a Llama-family decoder (transformers LlamaForCausalLM) to ONNX, in the forms users have,
and check each export against torch with onnxruntime.

Forms (--form):
  full     input_ids int64 [1, S] -> logits float32 [1, S, V]. torch.onnx.export, opset 17, the
           legacy (TorchScript) exporter, S a dynamic axis ('sequence'); use_cache=False, eager
           attention, no attention_mask / position_ids inputs (positions are 0..S-1, the mask is
           the causal one the model builds itself). --external-data stores the weights in
           OUT.data beside OUT (one file), as exports of big models come.
  decode   one decode step with an explicit cache, the transformers / optimum form:
             inputs  input_ids int64 [1, S], attention_mask int64 [1, P+S], position_ids int64 [1, S],
                     past_key_values.N.key / .value float32 [1, kv_heads, P, head_dim]   (N = layer)
             outputs logits float32 [1, S, V], present.N.key / .value [1, kv_heads, P+S, head_dim]
           S ('sequence') and P ('past_sequence') are dynamic; a decode step has S = 1, and the
           graph is traced with S = 1 (the check runs S = 1 and S = 3).
  dynamo   the full form through the dynamo exporter (torch >= 2.1: torch.onnx.export(dynamo=True)
           from 2.5 on, torch.onnx.dynamo_export before); with torch 1.13 (Debian 12's) it prints
           that it is skipped and exits 0.

Model (one of):
  --hf DIR   an HF folder (examples/llm/gguf_to_hf.py writes build/llm/smollm2-hf)
  --tiny     a random-weight Llama for tests, built from --layers/--hidden/--heads/--kv-heads/
             --intermediate/--vocab/--rope-theta/--rms-eps/--seed (defaults: 2 layers, hidden 64,
             4 heads, 2 kv heads (GQA), intermediate 176, vocab 256, tied embeddings). Its weights
             are drawn wider than HF's init (std --init-std) and its RMSNorm weights are not all
             ones, so that logits are spread (greedy tests have no near ties) and a norm that
             drops its weight is caught. Exports in a few seconds.

Check: after writing, onnxruntime runs the export on random ids of several lengths (full: 1, the
trace length, and a longer one; decode: S = 1 and S = 3 after a past of P tokens computed by
torch) and prints max |ort - torch| and max |torch|; it fails (exit 1) above --tol * max |torch|.

Usage:
  build/llm-venv/bin/python examples/llm/export_onnx.py --hf build/llm/smollm2-hf --out build/llm/smollm2.onnx
  build/llm-venv/bin/python examples/llm/export_onnx.py --hf build/llm/smollm2-hf --form decode \
      --out build/llm/smollm2-decode/model.onnx --external-data
  build/llm-venv/bin/python examples/llm/export_onnx.py --tiny --out /tmp/tiny.onnx
"""

import argparse
import os
import sys
import time

import numpy as np


def fail(msg):
    print(f"export_onnx.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def torch_version():
    import torch

    return tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2] if x.isdigit())


def legacy_kwargs():
    """torch.onnx.export's switch to the TorchScript exporter: torch >= 2.5 has the `dynamo`
    argument (and from 2.9 on defaults it to True); older torch has only the legacy one."""
    return {"dynamo": False} if torch_version() >= (2, 5) else {}


def has_dynamo():
    import torch

    return torch_version() >= (2, 5) or hasattr(torch.onnx, "dynamo_export")


def legacy_cache(pkv):
    """past_key_values as ((key, value), ...) per layer, whatever cache object the model returns."""
    if isinstance(pkv, tuple):
        return pkv
    if hasattr(pkv, "to_legacy_cache"):
        return pkv.to_legacy_cache()
    return tuple((layer.keys, layer.values) for layer in pkv.layers)


def new_model(cfg):
    """A LlamaForCausalLM with eager attention (the explicit softmax the recognisers look for),
    in float32, through the call transformers 4.44 and 5.x both have."""
    from transformers import LlamaForCausalLM

    return LlamaForCausalLM._from_config(cfg, attn_implementation="eager")


def tiny_config(args):
    from transformers import LlamaConfig

    if args.hidden % args.heads:
        fail(f"--hidden {args.hidden} is not a multiple of --heads {args.heads}")
    if args.heads % args.kv_heads:
        fail(f"--heads {args.heads} is not a multiple of --kv-heads {args.kv_heads}")
    if (args.hidden // args.heads) % 2:
        fail(f"head dim {args.hidden // args.heads} is odd: rotary embedding needs an even one")
    return LlamaConfig(
        vocab_size=args.vocab, hidden_size=args.hidden, intermediate_size=args.intermediate,
        num_hidden_layers=args.layers, num_attention_heads=args.heads,
        num_key_value_heads=args.kv_heads, hidden_act="silu",
        max_position_embeddings=args.max_position, rms_norm_eps=args.rms_eps,
        rope_theta=args.rope_theta, tie_word_embeddings=not args.untied,
        bos_token_id=1, eos_token_id=2, pad_token_id=2, attention_bias=False, mlp_bias=False)


def randomize(model, init_std, seed):
    """Random weights for a test model: linear and embedding ~ N(0, init_std), RMSNorm weights
    ~ 1 + N(0, 0.1) (HF's init leaves them all ones, which hides a norm that ignores its weight)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(init_std * torch.randn(p.shape, generator=g))
    model.tie_weights()


def load_model(args):
    import torch
    from transformers import LlamaForCausalLM

    torch.manual_seed(args.seed)
    if args.tiny:
        model = new_model(tiny_config(args))
        randomize(model, args.init_std, args.seed)
    else:
        if not os.path.isfile(os.path.join(args.hf, "config.json")):
            fail(f"--hf {args.hf}: no config.json (make it with examples/llm/gguf_to_hf.py)")
        model = LlamaForCausalLM.from_pretrained(args.hf, attn_implementation="eager").float()
    model.eval()
    return model


class FullSequence(__import__("torch").nn.Module):
    """input_ids [1, S] -> logits [1, S, V]; no cache, positions 0..S-1, causal mask built inside."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model(input_ids=input_ids, use_cache=False, return_dict=True).logits


class DecodeStep(__import__("torch").nn.Module):
    """The optimum form: (input_ids, attention_mask, position_ids, past k/v per layer) ->
    (logits, present k/v per layer); the model concatenates past and new keys/values itself."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.layers = model.config.num_hidden_layers

    def forward(self, input_ids, attention_mask, position_ids, *past):
        pkv = tuple((past[2 * i], past[2 * i + 1]) for i in range(self.layers))
        out = self.model(input_ids=input_ids, attention_mask=attention_mask,
                         position_ids=position_ids, past_key_values=pkv, use_cache=True,
                         return_dict=True)
        flat = []
        for k, v in legacy_cache(out.past_key_values):
            flat += [k, v]
        return (out.logits, *flat)


def kv_names(layers):
    past, present = [], []
    for i in range(layers):
        past += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        present += [f"present.{i}.key", f"present.{i}.value"]
    return past, present


def head_dim(cfg):
    return getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads


def random_ids(rng, vocab, n):
    return rng.integers(0, vocab, size=(1, n), dtype=np.int64)


def decode_feed(model, ids_past, ids_new):
    """Inputs of the decode step for new tokens ids_new after ids_past, the past computed by torch."""
    import torch

    cfg = model.config
    with torch.no_grad():
        out = model(input_ids=torch.from_numpy(ids_past), use_cache=True, return_dict=True)
    pkv = legacy_cache(out.past_key_values)
    p, s = ids_past.shape[1], ids_new.shape[1]
    feed = {"input_ids": ids_new,
            "attention_mask": np.ones((1, p + s), dtype=np.int64),
            "position_ids": np.arange(p, p + s, dtype=np.int64)[None, :]}
    past_names, _ = kv_names(cfg.num_hidden_layers)
    for i, (k, v) in enumerate(pkv):
        feed[past_names[2 * i]] = k.numpy()
        feed[past_names[2 * i + 1]] = v.numpy()
    return feed


def export_full(model, args):
    import torch

    wrapper = FullSequence(model).eval()
    dummy = torch.from_numpy(random_ids(np.random.default_rng(args.seed), model.config.vocab_size,
                                        args.trace_len))
    torch.onnx.export(
        wrapper, (dummy,), args.out, opset_version=17, do_constant_folding=True,
        input_names=["input_ids"], output_names=["logits"],
        dynamic_axes={"input_ids": {1: "sequence"}, "logits": {1: "sequence"}}, **legacy_kwargs())


def export_decode(model, args):
    import torch

    cfg = model.config
    wrapper = DecodeStep(model).eval()
    rng = np.random.default_rng(args.seed)
    feed = decode_feed(model, random_ids(rng, cfg.vocab_size, args.trace_len),
                       random_ids(rng, cfg.vocab_size, 1))
    past_names, present_names = kv_names(cfg.num_hidden_layers)
    inputs = ["input_ids", "attention_mask", "position_ids"] + past_names
    dyn = {"input_ids": {1: "sequence"}, "attention_mask": {1: "total_sequence"},
           "position_ids": {1: "sequence"}, "logits": {1: "sequence"}}
    for n in past_names:
        dyn[n] = {2: "past_sequence"}
    for n in present_names:
        dyn[n] = {2: "total_sequence"}
    torch.onnx.export(
        wrapper, tuple(torch.from_numpy(feed[n]) for n in inputs), args.out, opset_version=17,
        do_constant_folding=True, input_names=inputs, output_names=["logits"] + present_names,
        dynamic_axes=dyn, **legacy_kwargs())


def export_dynamo(model, args):
    import torch

    wrapper = FullSequence(model).eval()
    dummy = torch.from_numpy(random_ids(np.random.default_rng(args.seed), model.config.vocab_size,
                                        args.trace_len))
    if torch_version() >= (2, 5):
        seq = torch.export.Dim("sequence", min=2, max=model.config.max_position_embeddings)
        prog = torch.onnx.export(wrapper, (dummy,), dynamo=True, input_names=["input_ids"],
                                 output_names=["logits"], dynamic_shapes={"input_ids": {1: seq}})
        prog.save(args.out, external_data=args.external_data)
    else:
        opts = torch.onnx.ExportOptions(dynamic_shapes=True)
        torch.onnx.dynamo_export(wrapper, dummy, export_options=opts).save(args.out)


def move_to_external_data(path, align=64):
    """Rewrite the export with every initializer in one file PATH.data beside it (relative name,
    each tensor at a multiple of `align` bytes). Streams: tensors the exporter already wrote to
    files of their own (torch does so past protobuf's 2 GB) are appended one at a time and their
    files removed, so the disk holds the weights about once, and memory never holds them all."""
    import collections

    import onnx

    base = os.path.dirname(os.path.abspath(path))
    data_name = os.path.basename(path) + ".data"
    data_path = os.path.join(base, data_name)
    m = onnx.load(path, load_external_data=False)

    def source(t):
        info = {e.key: e.value for e in t.external_data}
        return os.path.join(base, info["location"]), info

    # How many tensors each external file still holds: a file is removed after its last one.
    left = collections.Counter(source(t)[0] for t in m.graph.initializer
                               if t.data_location == onnx.TensorProto.EXTERNAL)
    tmp_path = data_path + ".tmp"
    with open(tmp_path, "wb") as out:
        for t in m.graph.initializer:
            if t.data_location == onnx.TensorProto.EXTERNAL:
                src, info = source(t)
                with open(src, "rb") as f:
                    f.seek(int(info.get("offset", 0)))
                    blob = f.read(int(info["length"])) if "length" in info else f.read()
                left[src] -= 1
                if left[src] == 0 and os.path.abspath(src) != data_path:
                    os.remove(src)
            else:
                blob = onnx.numpy_helper.to_array(t).tobytes()
            out.write(b"\0" * ((-out.tell()) % align))
            offset = out.tell()
            out.write(blob)
            for field in ("raw_data", "float_data", "int32_data", "int64_data", "double_data",
                          "uint64_data", "string_data"):
                t.ClearField(field)
            del t.external_data[:]
            for key, value in (("location", data_name), ("offset", str(offset)),
                               ("length", str(len(blob)))):
                e = t.external_data.add()
                e.key, e.value = key, value
            t.data_location = onnx.TensorProto.EXTERNAL
    os.replace(tmp_path, data_path)
    onnx.save_model(m, path)


def check(model, args):
    """Run the export with onnxruntime against torch; return the worst relative error."""
    import onnxruntime as ort
    import torch

    cfg = model.config
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(args.out, so, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(args.seed + 1)
    worst = 0.0
    if args.form in ("full", "dynamo"):
        cases = sorted({1, args.trace_len, args.check_len})
        for s in cases:
            ids = random_ids(rng, cfg.vocab_size, s)
            with torch.no_grad():
                ref = model(input_ids=torch.from_numpy(ids), use_cache=False).logits.numpy()
            feed_name = sess.get_inputs()[0].name
            got = sess.run(None, {feed_name: ids})[0]
            worst = max(worst, report(f"S={s}", got, ref))
    else:
        _, present_names = kv_names(cfg.num_hidden_layers)
        for p, s in ((args.trace_len, 1), (args.check_len, 1), (args.check_len, 3)):
            ids_past = random_ids(rng, cfg.vocab_size, p)
            ids_new = random_ids(rng, cfg.vocab_size, s)
            feed = decode_feed(model, ids_past, ids_new)
            with torch.no_grad():
                ref = model(input_ids=torch.from_numpy(np.concatenate([ids_past, ids_new], 1)),
                            use_cache=True, return_dict=True)
            ref_kv = legacy_cache(ref.past_key_values)
            outs = sess.run(["logits"] + present_names, feed)
            worst = max(worst, report(f"P={p} S={s} logits", outs[0], ref.logits[:, p:].numpy()))
            kv_ref = np.stack([t.numpy() for pair in ref_kv for t in pair])
            worst = max(worst, report(f"P={p} S={s} present", np.stack(outs[1:]), kv_ref))
    return worst


def report(what, got, ref):
    if got.shape != ref.shape:
        fail(f"check {what}: onnxruntime gives shape {got.shape}, torch {ref.shape}")
    diff = float(np.max(np.abs(got.astype(np.float64) - ref)))
    scale = float(np.max(np.abs(ref)))
    rel = diff / scale if scale else diff
    print(f"check {what}: max|ort-torch| = {diff:.3g}, max|torch| = {scale:.3g}, ratio {rel:.3g}")
    return rel


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--hf", help="HF model folder (config.json + weights)")
    src.add_argument("--tiny", action="store_true", help="random-weight Llama from the size flags")
    ap.add_argument("--out", required=True, help="output .onnx file")
    ap.add_argument("--form", choices=["full", "decode", "dynamo"], default="full")
    ap.add_argument("--external-data", action="store_true", help="weights in OUT.data beside OUT")
    ap.add_argument("--trace-len", type=int, default=8, help="sequence (full) / past (decode) length of the trace")
    ap.add_argument("--check-len", type=int, default=19, help="a second length the check runs")
    ap.add_argument("--tol", type=float, default=1e-4, help="check fails above tol * max|torch| (default %(default)s)")
    ap.add_argument("--no-check", action="store_true", help="skip the onnxruntime check")
    ap.add_argument("--save-hf", metavar="DIR", help="also save the model as an HF folder (for --tiny: torch references)")
    g = ap.add_argument_group("--tiny model")
    g.add_argument("--layers", type=int, default=2)
    g.add_argument("--hidden", type=int, default=64)
    g.add_argument("--heads", type=int, default=4)
    g.add_argument("--kv-heads", type=int, default=2)
    g.add_argument("--intermediate", type=int, default=176)
    g.add_argument("--vocab", type=int, default=256)
    g.add_argument("--max-position", type=int, default=2048)
    g.add_argument("--rope-theta", type=float, default=10000.0)
    g.add_argument("--rms-eps", type=float, default=1e-5)
    g.add_argument("--untied", action="store_true", help="separate lm_head (default: tied to the embedding)")
    g.add_argument("--init-std", type=float, default=0.2, help="std of the random weights (default %(default)s)")
    g.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    for flag in ("trace_len", "check_len", "layers", "hidden", "heads", "kv_heads", "intermediate", "vocab"):
        if getattr(args, flag) < 1:
            fail(f"--{flag.replace('_', '-')} must be >= 1")
    if args.trace_len < 2 and args.form != "decode":
        fail("--trace-len must be >= 2 for the full form (a length-1 trace bakes S = 1 into the graph)")

    import warnings

    import torch

    # The tracer warns at every Python-level shape test of the model code; the onnxruntime check
    # at several lengths is what tells whether the dynamic axes came out right.
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    if args.form == "dynamo" and not has_dynamo():
        print(f"export_onnx.py: the dynamo exporter is not in the installed torch {torch.__version__} "
              "(it came with torch 2.1): dynamo export skipped")
        return

    t0 = time.time()
    model = load_model(args)
    cfg = model.config
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    {"full": export_full, "decode": export_decode, "dynamo": export_dynamo}[args.form](model, args)
    if args.external_data and args.form != "dynamo":
        move_to_external_data(args.out)
    size = os.path.getsize(args.out)
    if os.path.exists(args.out + ".data"):
        size += os.path.getsize(args.out + ".data")
    print(f"wrote {args.out} ({args.form}, {size / 2**20:.1f} MiB"
          f"{', external data ' + os.path.basename(args.out) + '.data' if args.external_data else ''}): "
          f"{cfg.num_hidden_layers} layers, hidden {cfg.hidden_size}, {cfg.num_attention_heads}/"
          f"{cfg.num_key_value_heads} heads, head dim {head_dim(cfg)}, vocab {cfg.vocab_size}, "
          f"{time.time() - t0:.1f} s")
    if args.save_hf:
        model.save_pretrained(args.save_hf)
        print(f"wrote {args.save_hf} (HF folder of the exported model)")
    if not args.no_check:
        worst = check(model, args)
        if worst > args.tol:
            fail(f"check: onnxruntime differs from torch by {worst:.3g} x max|torch| > --tol {args.tol}")
        print(f"check: ok (worst {worst:.3g} x max|torch| <= {args.tol})")


if __name__ == "__main__":
    main()
