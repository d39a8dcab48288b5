#!/usr/bin/env python3
"""Peak SRAM of int8 models under pare's memory planners and patch-based inference.

    .venv/bin/python benchmarks/memory/run_memory.py [--pare PATH] [--models-dir DIR] [--json]
                                                     [--model NAME ...] [--max-recompute P]

For each model: `pare profile MODEL --quantize int8 --json` (ranges from one seeded random input:
the memory figures do not depend on the values), then one table row: MACs, the peak arena with
TFLite Micro's greedy-by-size planner, with pare's planner, the lower bound for the op order
(the largest sum of tensors live at one step), pare / bound, the peak with patch-based inference
(grid, split layer, % extra MACs from recomputed halos, within --max-recompute) and its reduction
against the per-layer plan (pare's planner without patches).

Models (random weights, seeded; BatchNorm kept in the ONNX file and folded by pare):
  torchvision exports of scripts/export_models.py: mobilenet_v2_100 (224), mobilenet_v2_100_144,
  mobilenet_v2_035 (144), mobilenet_v2_035_224, mobilenet_v3_small (224), resnet18 (224),
  squeezenet1_1 (224);
  mobilenet_v1_025_128: MobileNetV1 width 0.25 at 128x128 (a chain: no residuals), built here;
  examples/models: fashion_mnist_cnn (a chain, trained), ppocr_cls_mobilenetv3 (48x192, trained).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "scripts"))

TORCHVISION = ["mobilenet_v2_100", "mobilenet_v2_100_144", "mobilenet_v2_035", "mobilenet_v2_035_224",
               "mobilenet_v3_small", "resnet18", "squeezenet1_1"]
# name -> (file, pare flags, structure)
EXAMPLES = {
    "fashion_mnist_cnn": (REPO / "examples" / "models" / "fashion_mnist_cnn.onnx", [], "chain"),
    "ppocr_cls_mobilenetv3": (REPO / "examples" / "models" / "ppocr_cls_mobilenetv3.onnx",
                              ["--input-shape", "x=1,3,48,192"], "branching"),
}
STRUCTURE = {"mobilenet_v1_025_128": "chain", "fashion_mnist_cnn": "chain"}
ORDER = ["mobilenet_v1_025_128", "fashion_mnist_cnn", "mobilenet_v2_035", "mobilenet_v2_035_224",
         "mobilenet_v2_100_144", "mobilenet_v2_100", "mobilenet_v3_small", "ppocr_cls_mobilenetv3",
         "squeezenet1_1", "resnet18"]


def log(msg: str) -> None:
    print(f"run_memory: {msg}", file=sys.stderr, flush=True)


def export_mobilenet_v1(out_dir: Path) -> Path:
    """MobileNetV1 (width 0.25, 128x128): 3x3 stem + 13 depthwise-separable blocks, a plain chain."""
    import onnx
    import torch
    from torch import nn

    path = out_dir / "mobilenet_v1_025_128.onnx"
    if path.exists():
        return path
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)

    def cbr(i, o, k, s, g=1):
        return [nn.Conv2d(i, o, k, s, k // 2, groups=g, bias=False), nn.BatchNorm2d(o), nn.ReLU6()]

    cfg = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    w = lambda c: max(8, int(c * 0.25))  # noqa: E731
    layers = cbr(3, w(32), 3, 2)
    c = w(32)
    for o, s in cfg:
        layers += cbr(c, c, 3, s, g=c) + cbr(c, w(o), 1, 1)
        c = w(o)
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 1000))
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            bn.weight.copy_(torch.empty_like(bn.weight).uniform_(0.5, 1.5, generator=gen))
            bn.bias.copy_(torch.empty_like(bn.bias).normal_(0.0, 0.1, generator=gen))
            bn.momentum = None
        model.train()
        for _ in range(4):
            model(torch.randn(8, 3, 128, 128, generator=gen))
        model.eval()
        tmp = out_dir / ".mobilenet_v1_025_128.onnx.tmp"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, torch.randn(1, 3, 128, 128, generator=gen), str(tmp), opset_version=13,
                              input_names=["input"], output_names=["logits"],
                              training=torch.onnx.TrainingMode.PRESERVE)
    onnx.checker.check_model(onnx.load(str(tmp)))
    tmp.replace(path)
    return path


def locate(models_dir: Path, names: List[str]) -> Dict[str, tuple]:
    """{name: (path, pare flags)}; exports what is missing."""
    import export_models as E

    out: Dict[str, tuple] = {}
    tv = [n for n in names if n in TORCHVISION]
    if tv:
        log(f"exporting / checking {', '.join(tv)} in {models_dir}")
        paths = E.export_models(models_dir, tv)
        for n in tv:
            out[n] = (paths[n], [])
    if "mobilenet_v1_025_128" in names:
        out["mobilenet_v1_025_128"] = (export_mobilenet_v1(models_dir), [])
    for n in names:
        if n in EXAMPLES:
            out[n] = (EXAMPLES[n][0], EXAMPLES[n][1])
    return out


def profile(pare: Path, path: Path, flags: List[str], max_recompute: float) -> tuple:
    cmd = [str(pare), "profile", str(path), "--quantize", "int8", "--json", "--max-recompute",
           str(max_recompute), *flags]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        log(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
        return None, dt
    return json.loads(p.stdout), dt


def kib(b: int) -> str:
    return f"{b / 1024:,.1f}"


def row(name: str, r: dict, seconds: float) -> dict:
    s = r["peak_sram"]
    pt = s["patched"]
    patched = pt["arena_bytes"]
    if pt.get("grid"):
        patch = f"{kib(patched)} ({pt['grid']}x{pt['grid']}, {pt['split']}, +{pt['extra_macs_percent']:.1f}% MACs)"
    else:
        patch = f"{kib(patched)} (no stage)"
    return {
        "model": name,
        "structure": STRUCTURE.get(name, EXAMPLES.get(name, (None, None, "branching"))[2]),
        "macs": r["total_macs"],
        "greedy": s["greedy_by_size"],
        "pare": s["pare"],
        "bound": s["lower_bound"],
        "ratio": s["pare"] / s["lower_bound"] if s["lower_bound"] else 0.0,
        "patched": patched,
        "patch": patch,
        "grid": pt.get("grid"),
        "extra_macs_percent": pt.get("extra_macs_percent", 0.0),
        "reduction": s["pare"] / patched if patched else 0.0,
        "profile_seconds": seconds,
    }


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pare", type=Path, default=REPO / "build" / "tools" / "pare" / "pare")
    ap.add_argument("--models-dir", type=Path, default=REPO / "build" / "models")
    ap.add_argument("--model", action="append", choices=ORDER, help="only this model (repeatable)")
    ap.add_argument("--max-recompute", type=float, default=10.0, help="%% extra MACs patches may add")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args(argv)
    if not args.pare.exists():
        raise SystemExit(f"run_memory: {args.pare} not found (build pare, or pass --pare)")
    names = args.model or ORDER
    args.models_dir.mkdir(parents=True, exist_ok=True)
    models = locate(args.models_dir, names)
    rows = []
    for n in names:
        path, flags = models[n]
        log(f"profiling {n}")
        r, dt = profile(args.pare, path, flags, args.max_recompute)
        if r is None:
            rows.append({"model": n, "error": "pare profile failed", "profile_seconds": dt})
            continue
        rows.append(row(n, r, dt))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print("| model | structure | MACs | greedy-by-size KiB | pare KiB | lower bound KiB | pare / bound "
          "| patched KiB (grid, split, extra MACs) | reduction vs per-layer |")
    print("|---|---|---:|---:|---:|---:|---:|---|---:|")
    for x in rows:
        if "error" in x:
            print(f"| {x['model']} | {x['error']} | | | | | | | |")
            continue
        print(f"| {x['model']} | {x['structure']} | {x['macs'] / 1e6:,.1f} M | {kib(x['greedy'])} | {kib(x['pare'])} "
              f"| {kib(x['bound'])} | {x['ratio']:.3f} | {x['patch']} | {x['reduction']:.2f}x |")
    log("profile seconds: " + ", ".join(f"{x['model']} {x['profile_seconds']:.2f}" for x in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
