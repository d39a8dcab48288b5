#!/usr/bin/env python3
"""Where SmolLM2-135M's activation outliers are (issue 19): per-channel max|x|
of the inputs of q_proj (the input norm's output: what q/k/v read) and of
down_proj (the gated product) at a few layers, over TOKENS tokens of a
calibration text, as an SVG of one panel per (layer, linear): a bar per
channel, log scale, the largest channels named. Also prints, per panel, the
largest max|x|, the median channel's and their ratio (how much a per-tensor
int8 scale wastes on the other channels), and the same after SmoothQuant's
smoothing (alpha 0.5, max|W| over q/k/v or down).

Usage: build/llm-venv/bin/python benchmarks/llm/w8a8_outliers.py
         [--model build/llm/smollm2-hf] [--text FILE] [--tokens 512]
         [--layers 0,15,29] [--out docs/images/smollm2_outliers.svg]
"""

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def panel_svg(x0, y0, w, h, values, title, top=3):
    """One panel: bars of log10(values) per channel."""
    v = np.maximum(values, 1e-3)
    lo, hi = np.floor(np.log10(v.min())), np.ceil(np.log10(v.max()))
    hi = max(hi, lo + 1)
    n = len(v)
    out = [f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#888"/>',
           f'<text x="{x0 + 4}" y="{y0 - 6}" font-size="12">{title}</text>']
    for e in range(int(lo), int(hi) + 1):
        yy = y0 + h - (e - lo) / (hi - lo) * h
        out.append(f'<line x1="{x0}" x2="{x0 + w}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 - 4}" y="{yy + 4:.1f}" font-size="10" text-anchor="end">1e{e}</text>')
    bw = w / n
    for i, val in enumerate(v):
        bh = (np.log10(val) - lo) / (hi - lo) * h
        out.append(f'<rect x="{x0 + i * bw:.2f}" y="{y0 + h - bh:.2f}" width="{max(bw, 0.6):.2f}" '
                   f'height="{bh:.2f}" fill="#3465a4"/>')
    for i in np.argsort(v)[::-1][:top]:
        bh = (np.log10(v[i]) - lo) / (hi - lo) * h
        out.append(f'<text x="{x0 + i * bw:.1f}" y="{y0 + h - bh - 3:.1f}" font-size="10" fill="#a40000" '
                   f'text-anchor="middle">{i}</text>')
    out.append(f'<text x="{x0 + w / 2}" y="{y0 + h + 14}" font-size="10" text-anchor="middle">channel '
               f'(0 .. {n - 1})</text>')
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "build/llm/smollm2-hf"))
    ap.add_argument("--text", default=str(ROOT / "../shared/data/text/sotu/2021_joseph_r_biden_d.txt"))
    ap.add_argument("--tokens", type=int, default=512)
    ap.add_argument("--layers", default="0,15,29")
    ap.add_argument("--out", default=str(ROOT / "docs/images/smollm2_outliers.svg"))
    a = ap.parse_args()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(a.model)
    model = AutoModelForCausalLM.from_pretrained(a.model, torch_dtype=torch.float32).eval()
    ids = tok(Path(a.text).read_text(errors="replace"), return_tensors="pt").input_ids[:, :a.tokens]
    layers = [int(x) for x in a.layers.split(",")]
    stats = {}

    def hook(key):
        def f(_mod, inp):
            m = inp[0].detach().abs().reshape(-1, inp[0].shape[-1]).amax(0).numpy()
            stats[key] = np.maximum(stats.get(key, 0), m)
        return f
    for l in layers:
        blk = model.model.layers[l]
        blk.self_attn.q_proj.register_forward_pre_hook(hook((l, "q_proj")))
        blk.mlp.down_proj.register_forward_pre_hook(hook((l, "down_proj")))
    with torch.no_grad():
        model(ids)
    W, H, cols = 420, 150, 2
    rows = len(layers)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{cols * (W + 80) + 20}" height="{rows * (H + 60) + 50}" '
           f'font-family="sans-serif">',
           f'<text x="10" y="18" font-size="14">SmolLM2-135M: max|x| per input channel over {ids.shape[1]} tokens '
           f'of {Path(a.text).name} (log scale; red: the largest channels)</text>']
    for r, l in enumerate(layers):
        for c, lin in enumerate(("q_proj", "down_proj")):
            v = stats[(l, lin)]
            what = "q/k/v input (input norm)" if lin == "q_proj" else "down_proj input (gated product)"
            svg += panel_svg(60 + c * (W + 80), 50 + r * (H + 60), W, H, v, f"layer {l}: {what}")
            blk = model.model.layers[l]
            ws = [blk.self_attn.q_proj, blk.self_attn.k_proj, blk.self_attn.v_proj] if lin == "q_proj" \
                else [blk.mlp.down_proj]
            wmax = np.max([w.weight.detach().abs().amax(0).numpy() for w in ws], axis=0)
            s = np.sqrt(np.maximum(v, 1e-5)) / np.sqrt(np.maximum(wmax, 1e-5))
            sm = v / s
            print(f"layer {l:2d} {lin:9s}: max {v.max():8.2f} (channel {int(v.argmax())}), median {np.median(v):6.3f}, "
                  f"max/median {v.max() / np.median(v):7.1f}; smoothed (alpha 0.5) max/median "
                  f"{sm.max() / np.median(sm):5.1f}")
    svg.append("</svg>")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text("\n".join(svg) + "\n")
    print("wrote " + a.out)


if __name__ == "__main__":
    main()
