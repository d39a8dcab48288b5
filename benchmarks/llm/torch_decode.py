#!/usr/bin/env python3
"""PyTorch decode-speed baselines for issue 17: a static-KV-cache Llama decoder under
torch.compile(mode="reduce-overhead") (the gpt-fast recipe, written here) and transformers'
LlamaForCausalLM.generate, on random weights of a given shape, batch 1.

What is timed (both systems, same prompt length, same number of decode steps):
  compiled  prefill --context random ids (eager: it is not the figure, it fills the cache), then
            --tokens greedy decode steps, each one call of the decode step compiled with
            torch.compile(mode=--compile-mode, fullgraph=True): with "reduce-overhead" Inductor
            replays it as one CUDA graph. The KV cache is a fixed [1, kv_heads, max_seq, head_dim]
            buffer per layer written in place (index_copy_), attention reads all max_seq positions
            under a causal mask, so every step has the same shapes; the next token is the argmax,
            computed on the GPU and fed back without a host synchronisation. --warmup full rounds
            (prefill + all steps) run first, so compilation and graph capture are not timed.
  hf        transformers' generate (greedy, the installed attention, --hf-cache static when that
            transformers has it, else its default cache), not compiled: (time of --hf-tokens + 1
            new tokens - time of 1 new token) / --hf-tokens, after one warm-up call.
ms/token is the time per decode step; effective GB/s = weight bytes / ms/token, the weight bytes
counting every parameter once (a tied embedding once), as the issue's "13.5 GB at 3.35 TB/s" does.
Rows are printed as a table and, with --rows FILE, appended to FILE as tab-separated lines
(model, system, ms/token, tok/s, GB/s, prefill ms, note) for benchmarks/llm/cuda_decode.sh.

--check (CPU, float32, no GPU needed): a 2-layer GQA toy with random weights is loaded into both this
decoder and transformers' LlamaForCausalLM; the logits of a prefill and of decode steps fed one token
at a time must match HF's full-sequence logits within 1e-4 of max|logit|; exit 1 otherwise.

Usage (the GPU machine's python3 with the transformers wheel on PYTHONPATH):
  python3 benchmarks/llm/torch_decode.py --preset smollm2 [--context 512 --tokens 128]
  python3 benchmarks/llm/torch_decode.py --preset llama2-7b --systems compiled,hf --hf-tokens 16
  build/llm-venv/bin/python benchmarks/llm/torch_decode.py --check
"""

import argparse
from contextlib import nullcontext
import math
import statistics
import sys
import time
import traceback

PRESETS = {
    # SmolLM2-135M: tied embedding, GQA 9 / 3.
    "smollm2": dict(layers=30, hidden=576, heads=9, kv_heads=3, intermediate=1536, vocab=49152,
                    tied=True, rope_theta=100000.0, eps=1e-5),
    # Llama-2-7B: MHA, untied lm_head.
    "llama2-7b": dict(layers=32, hidden=4096, heads=32, kv_heads=32, intermediate=11008,
                      vocab=32000, tied=False, rope_theta=10000.0, eps=1e-5),
    # The --check toy: GQA 4 / 2, untied, so both tied and untied paths are exercised by presets.
    "toy": dict(layers=2, hidden=64, heads=4, kv_heads=2, intermediate=176, vocab=256,
                tied=False, rope_theta=10000.0, eps=1e-5),
}


def fail(msg):
    print(f"torch_decode.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def weight_bytes(c, elem):
    h, f, v, n, hd = c["hidden"], c["intermediate"], c["vocab"], c["layers"], c["head_dim"]
    attn = h * hd * c["heads"] * 2 + h * hd * c["kv_heads"] * 2
    per_layer = attn + 3 * h * f + 2 * h
    return elem * (n * per_layer + v * h * (1 if c["tied"] else 2) + h)


def build_decoder(torch, c, max_seq, dtype, device):
    """The decoder as nn.Modules, created on `device` in `dtype` (a 7B shape never passes through
    host memory); torch is imported by the caller, only when needed."""
    nn, F = torch.nn, torch.nn.functional
    sdpa = getattr(F, "scaled_dot_product_attention", None)  # torch >= 2.0
    kw = dict(device=device, dtype=dtype)

    def linear(n_in, n_out):
        return nn.Linear(n_in, n_out, bias=False, **kw)

    class RMSNorm(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(c["hidden"], **kw))

        def forward(self, x):
            xf = x.float()
            xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + c["eps"])
            return self.weight * xf.to(x.dtype)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            hd, nh, nkv = c["head_dim"], c["heads"], c["kv_heads"]
            self.attn_norm, self.mlp_norm = RMSNorm(), RMSNorm()
            self.wqkv = linear(c["hidden"], (nh + 2 * nkv) * hd)  # one GEMV for q, k and v
            self.wo = linear(nh * hd, c["hidden"])
            self.w_gate = linear(c["hidden"], c["intermediate"])
            self.w_up = linear(c["hidden"], c["intermediate"])
            self.w_down = linear(c["intermediate"], c["hidden"])
            self.register_buffer("k_cache", torch.zeros(1, nkv, max_seq, hd, **kw), persistent=False)
            self.register_buffer("v_cache", torch.zeros(1, nkv, max_seq, hd, **kw), persistent=False)

        def forward(self, x, cos, sin, pos, mask):
            hd, nh, nkv = c["head_dim"], c["heads"], c["kv_heads"]
            s = x.shape[1]
            q, k, v = self.wqkv(self.attn_norm(x)).split([nh * hd, nkv * hd, nkv * hd], dim=-1)
            q = rotate(q.view(1, s, nh, hd).transpose(1, 2), cos, sin)
            k = rotate(k.view(1, s, nkv, hd).transpose(1, 2), cos, sin)
            v = v.view(1, s, nkv, hd).transpose(1, 2)
            # In place at the step's positions: the cache keeps its address for the CUDA graph.
            self.k_cache.index_copy_(2, pos, k)
            self.v_cache.index_copy_(2, pos, v)
            keys, values = self.k_cache, self.v_cache
            if nkv != nh:
                keys = keys.repeat_interleave(nh // nkv, dim=1)
                values = values.repeat_interleave(nh // nkv, dim=1)
            if sdpa is not None:
                y = sdpa(q, keys, values, attn_mask=mask)
            else:
                scores = (q @ keys.transpose(2, 3)) / math.sqrt(hd)
                y = scores.masked_fill(~mask, float("-inf")).softmax(-1) @ values
            x = x + self.wo(y.transpose(1, 2).reshape(1, s, nh * hd))
            h = self.mlp_norm(x)
            return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))

    def rotate(x, cos, sin):
        half = x.shape[-1] // 2
        return x * cos + torch.cat((-x[..., half:], x[..., :half]), dim=-1) * sin

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            hd = c["head_dim"]
            self.embed = nn.Embedding(c["vocab"], c["hidden"], **kw)
            self.layers = nn.ModuleList(Block() for _ in range(c["layers"]))
            self.norm = RMSNorm()
            self.lm_head = linear(c["hidden"], c["vocab"])
            if c["tied"]:
                self.lm_head.weight = self.embed.weight
            # As transformers computes them: float32 angles, cast to the compute dtype.
            inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2, device=device).float() / hd))
            freqs = torch.outer(torch.arange(max_seq, device=device).float(), inv)
            freqs = torch.cat((freqs, freqs), dim=-1)
            self.register_buffer("cos", freqs.cos().to(dtype), persistent=False)
            self.register_buffer("sin", freqs.sin().to(dtype), persistent=False)
            causal = torch.ones(max_seq, max_seq, dtype=torch.bool, device=device).tril()
            self.register_buffer("causal", causal, persistent=False)

        def forward(self, ids, pos):
            """ids [1, S] at positions pos [S] -> logits [1, S, vocab] (float32)."""
            x = self.embed(ids)
            mask = self.causal[pos][None, None]
            for layer in self.layers:
                x = layer(x, self.cos[pos], self.sin[pos], pos, mask)
            return self.lm_head(self.norm(x)).float()

    return Decoder().eval()


def hf_config(c, max_pos):
    from transformers import LlamaConfig

    return LlamaConfig(vocab_size=c["vocab"], hidden_size=c["hidden"],
                       intermediate_size=c["intermediate"], num_hidden_layers=c["layers"],
                       num_attention_heads=c["heads"], num_key_value_heads=c["kv_heads"],
                       hidden_act="silu", max_position_embeddings=max_pos, rms_norm_eps=c["eps"],
                       rope_theta=c["rope_theta"], tie_word_embeddings=c["tied"],
                       attention_bias=False, mlp_bias=False, bos_token_id=1, eos_token_id=2,
                       pad_token_id=0)


def load_from_hf(torch, model, hf):
    """Copy a transformers LlamaForCausalLM's weights into this decoder (q, k, v into wqkv)."""
    with torch.no_grad():
        model.embed.weight.copy_(hf.model.embed_tokens.weight)
        model.norm.weight.copy_(hf.model.norm.weight)
        if not hf.config.tie_word_embeddings:
            model.lm_head.weight.copy_(hf.lm_head.weight)
        for mine, theirs in zip(model.layers, hf.model.layers):
            a, m = theirs.self_attn, theirs.mlp
            mine.wqkv.weight.copy_(torch.cat([a.q_proj.weight, a.k_proj.weight, a.v_proj.weight]))
            mine.wo.weight.copy_(a.o_proj.weight)
            mine.w_gate.weight.copy_(m.gate_proj.weight)
            mine.w_up.weight.copy_(m.up_proj.weight)
            mine.w_down.weight.copy_(m.down_proj.weight)
            mine.attn_norm.weight.copy_(theirs.input_layernorm.weight)
            mine.mlp_norm.weight.copy_(theirs.post_attention_layernorm.weight)


def check(args):
    """The decoder against transformers on the CPU in float32: prefill, then one token a step."""
    import torch
    from transformers import LlamaForCausalLM

    c = shape(args, "toy")
    torch.manual_seed(0)
    hf = LlamaForCausalLM._from_config(hf_config(c, 64), attn_implementation="eager").eval()
    with torch.no_grad():
        for name, p in hf.named_parameters():  # wide weights, norms not all ones: spread logits
            p.copy_((1.0 + 0.1 * torch.randn(p.shape)) if name.endswith("norm.weight")
                    else 0.2 * torch.randn(p.shape))
    ids = torch.randint(0, c["vocab"], (1, 24))
    with torch.no_grad():
        ref = hf(input_ids=ids).logits[0]
        model = build_decoder(torch, c, 32, torch.float32, "cpu")
        load_from_hf(torch, model, hf)
        prefill = 16
        got = [model(ids[:, :prefill], torch.arange(prefill))[0]]
        for p in range(prefill, ids.shape[1]):
            got.append(model(ids[:, p:p + 1], torch.tensor([p]))[0])
        got = torch.cat(got)
    err = (got - ref).abs().max().item() / ref.abs().max().item()
    agree = int((got.argmax(-1) == ref.argmax(-1)).sum())
    print(f"check: {c['layers']} layers, {c['heads']}/{c['kv_heads']} heads, max|logit| "
          f"{ref.abs().max().item():.3g}; prefill {prefill} + {ids.shape[1] - prefill} decode steps "
          f"vs transformers {__import__('transformers').__version__}: max err {err:.3g} of max|ref|, "
          f"argmax {agree}/{ids.shape[1]}")
    if not err <= 1e-4:
        fail(f"check: the decoder differs from transformers by {err:.3g} x max|logit| > 1e-4")
    print("check: ok")


def shape(args, preset):
    c = dict(PRESETS[preset])
    for key in ("layers", "hidden", "heads", "kv_heads", "intermediate", "vocab", "rope_theta"):
        if getattr(args, key, None) is not None:
            c[key] = getattr(args, key)
    if getattr(args, "tied", None) is not None:
        c["tied"] = args.tied
    if c["hidden"] % c["heads"] or c["heads"] % c["kv_heads"]:
        fail(f"--hidden {c['hidden']}, --heads {c['heads']}, --kv-heads {c['kv_heads']}: the hidden "
             "size must be a multiple of the heads and the heads of the kv heads")
    c["head_dim"] = c["hidden"] // c["heads"]
    return c


def sync_time(torch, device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter()


def bench_compiled(torch, args, c, dtype, prompt):
    dev = args.device
    torch.manual_seed(args.seed)
    model = build_decoder(torch, c, args.context + args.tokens, dtype, dev)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.fill_(1.0) if name.endswith("norm.weight") else p.normal_(0.0, 0.02)
    dynamo = getattr(torch, "_dynamo", None)
    if hasattr(dynamo, "mark_static_address"):
        # The caches are written in place by every replay: fixed addresses, never copied.
        for layer in model.layers:
            dynamo.mark_static_address(layer.k_cache)
            dynamo.mark_static_address(layer.v_cache)

    def step(tok, pos):
        return model(tok, pos)[:, -1].argmax(-1, keepdim=True)

    if args.compile_mode != "none":
        # gpt-fast's setting: Inductor tunes each generated kernel's launch parameters.
        import torch._inductor.config as inductor_config

        inductor_config.coordinate_descent_tuning = args.tune
        step = torch.compile(step, mode=args.compile_mode, fullgraph=True)
    mark = getattr(getattr(torch, "compiler", None), "cudagraph_mark_step_begin", None)
    prefill_pos = torch.arange(args.context, device=dev)

    def one_round():
        t0 = sync_time(torch, dev)
        tok = model(prompt, prefill_pos)[:, -1].argmax(-1, keepdim=True)
        t1 = sync_time(torch, dev)
        # The position stays on the device and is advanced there: a host tensor copied in each
        # step would synchronise the stream (pageable copy) and expose every launch.
        pos = torch.full((1,), args.context, dtype=torch.long, device=dev)
        for _ in range(args.tokens):
            if mark is not None and args.compile_mode == "reduce-overhead":
                mark()
            # clone(): the graph's output buffer is rewritten by the next replay.
            tok = step(tok, pos).clone()
            pos += 1
        t2 = sync_time(torch, dev)
        return (t1 - t0) * 1e3, (t2 - t1) * 1e3 / args.tokens

    with torch.no_grad():
        t0 = time.perf_counter()
        for _ in range(args.warmup):
            one_round()
        warm = time.perf_counter() - t0
        rounds = [one_round() for _ in range(args.repeat)]
    tuned = ", coordinate-descent tuning" if args.tune and args.compile_mode != "none" else ""
    note = (f"{args.compile_mode}{tuned}, warm-up (compile) {warm:.0f} s, median of {args.repeat}, "
            "eager prefill")
    counters = getattr(getattr(dynamo, "utils", None), "counters", {})
    skips = sum(counters.get("inductor", {}).get(k, 0) for k in ("cudagraph_skips",))
    if skips:
        note += f", CUDA graphs SKIPPED {skips}x (TORCH_LOGS=cudagraphs tells why)"
    if hasattr(dynamo, "reset"):
        dynamo.reset()  # frees the graphs and their memory pool before the next system
    return statistics.median(r[1] for r in rounds), statistics.median(r[0] for r in rounds), note


def bench_hf(torch, args, c, dtype, prompt):
    import transformers
    from transformers import LlamaForCausalLM

    torch.manual_seed(args.seed)
    cfg = hf_config(c, args.context + args.hf_tokens + 8)
    # Created on the device where torch can (>= 2.0): a 7B shape's random init on the host is slow.
    where = torch.device(args.device) if hasattr(torch.device, "__enter__") else nullcontext()
    with where:
        hf = LlamaForCausalLM._from_config(cfg, torch_dtype=dtype).eval()
    hf = hf.to(args.device)
    # An explicit mask: with pad_token_id in the random prompt, generate would mask those ids.
    base = dict(do_sample=False, pad_token_id=0, attention_mask=torch.ones_like(prompt))
    cache = args.hf_cache
    if cache == "static":
        try:
            with torch.no_grad():
                hf.generate(prompt, max_new_tokens=2, min_new_tokens=2,
                            cache_implementation="static", **base)
        except Exception as e:  # an older or newer transformers without it: its default cache
            print(f"torch_decode.py: transformers {transformers.__version__}: static cache failed "
                  f"({type(e).__name__}: {str(e)[:200]}); using the default cache", file=sys.stderr)
            cache = "default"
    kw = dict(base, cache_implementation="static") if cache == "static" else base

    def run(n):
        t0 = sync_time(torch, args.device)
        out = hf.generate(prompt, max_new_tokens=n, min_new_tokens=n, **kw)
        t1 = sync_time(torch, args.device)
        if out.shape[1] != prompt.shape[1] + n:
            fail(f"transformers generated {out.shape[1] - prompt.shape[1]} tokens, not {n}")
        return (t1 - t0) * 1e3

    with torch.no_grad():
        run(2)  # warm-up
        first = [run(1) for _ in range(args.repeat)]
        full = [run(args.hf_tokens + 1) for _ in range(args.repeat)]
    ms = (statistics.median(full) - statistics.median(first)) / args.hf_tokens
    note = (f"transformers {transformers.__version__} {hf.config._attn_implementation} "
            f"attention, {cache} cache, {args.hf_tokens} tokens, prefill ms incl. 1 token")
    return ms, statistics.median(first), note


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--check", action="store_true", help="verify against transformers on the CPU")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="smollm2")
    ap.add_argument("--name", help="the model's name in the table (default: the preset)")
    for key, kind in (("layers", int), ("hidden", int), ("heads", int), ("kv-heads", int),
                      ("intermediate", int), ("vocab", int), ("rope-theta", float)):
        ap.add_argument(f"--{key}", type=kind, help="override the preset's value")
    ap.add_argument("--tied", dest="tied", action="store_true", default=None)
    ap.add_argument("--untied", dest="tied", action="store_false")
    ap.add_argument("--context", type=int, default=512, help="prompt length (default %(default)s)")
    ap.add_argument("--tokens", type=int, default=128, help="timed decode steps (default %(default)s)")
    ap.add_argument("--hf-tokens", type=int, default=32, help="transformers' timed tokens")
    ap.add_argument("--hf-cache", choices=["static", "default"], default="static")
    ap.add_argument("--warmup", type=int, default=2, help="untimed rounds first (default %(default)s)")
    ap.add_argument("--repeat", type=int, default=3, help="timed rounds; the median is reported")
    ap.add_argument("--dtype", choices=["float16", "bfloat16", "float32"], default="float16")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--compile-mode", default="reduce-overhead",
                    help="torch.compile mode of the decode step, or 'none' for eager")
    ap.add_argument("--no-tune", dest="tune", action="store_false",
                    help="leave Inductor's coordinate-descent tuning off (gpt-fast turns it on)")
    ap.add_argument("--systems", default="compiled,hf", help="comma list of compiled, hf")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rows", help="append the rows to this file (tab-separated)")
    ap.add_argument("--weight-bytes", action="store_true",
                    help="print the shape's weight bytes in --dtype and exit")
    args = ap.parse_args()
    if args.check:
        return check(args)
    c = shape(args, args.preset)
    elem = {"float16": 2, "bfloat16": 2, "float32": 4}[args.dtype]
    nbytes = weight_bytes(c, elem)
    if args.weight_bytes:
        print(nbytes)
        return
    systems = [s for s in args.systems.split(",") if s]
    for s in systems:
        if s not in ("compiled", "hf"):
            fail(f"--systems: unknown system '{s}' (compiled, hf)")
    if min(args.context, args.tokens, args.hf_tokens, args.repeat) < 1 or args.warmup < 0:
        fail("--context, --tokens, --hf-tokens and --repeat must be >= 1, --warmup >= 0")

    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        fail(f"torch {torch.__version__} sees no CUDA device (--device cpu for a CPU run)")
    gpu = torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu"
    dtype = getattr(torch, args.dtype)
    name = args.name or args.preset
    print(f"{name}: {c['layers']} layers, hidden {c['hidden']}, {c['heads']}/{c['kv_heads']} heads, "
          f"intermediate {c['intermediate']}, vocab {c['vocab']}, {'tied' if c['tied'] else 'untied'}; "
          f"{nbytes / 1e9:.3f} GB of {args.dtype} weights; context {args.context}, {args.tokens} "
          f"decode steps; {gpu}, torch {torch.__version__}", flush=True)
    g = torch.Generator().manual_seed(args.seed)
    prompt = torch.randint(0, c["vocab"], (1, args.context), generator=g).to(args.device)
    rows = []
    failed = []
    for s in systems:
        t0 = time.perf_counter()
        label = "HF generate" if s == "hf" else \
            "torch eager" if args.compile_mode == "none" else "torch.compile"
        try:
            ms, prefill_ms, note = (bench_compiled if s == "compiled" else bench_hf)(
                torch, args, c, dtype, prompt)
        except Exception:  # one system's failure must not cost the other's row
            traceback.print_exc()
            print(f"torch_decode.py: error: {label} failed (above)", file=sys.stderr, flush=True)
            failed.append(label)
            continue
        finally:
            if args.device.startswith("cuda"):
                torch.cuda.empty_cache()
        rows.append((name, label, ms, prefill_ms, note))
        print(f"  {label}: {ms:.3f} ms/token ({time.perf_counter() - t0:.0f} s)", flush=True)
        if args.rows:  # at once: a later system that is killed (a time limit) keeps this row
            with open(args.rows, "a", encoding="utf-8") as f:
                f.write(f"{name}\t{label}\t{ms:.4f}\t{1e3 / ms:.1f}\t{nbytes / ms / 1e6:.0f}\t"
                        f"{prefill_ms:.2f}\t{note} ({gpu})\n")
    print(f"\n| model | system | ms/token | tok/s | GB/s | prefill {args.context} ms | note |")
    print("|---|---|---|---|---|---|---|")
    for name_, label, ms, prefill_ms, note in rows:
        print(f"| {name_} | {label} | {ms:.3f} | {1e3 / ms:.1f} | {nbytes / ms / 1e6:.0f} | "
              f"{prefill_ms:.1f} | {note} |")
    if failed:
        fail(f"{', '.join(failed)}: no measurement")


if __name__ == "__main__":
    main()
