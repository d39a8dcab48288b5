#!/usr/bin/env python3
"""Export TSM MobileNetV2 models (Lin et al., "TSM: Temporal Shift Module") for pare's
temporal-shift benchmark.

Architecture: torchvision mobilenet_v2(width_mult=W). In every InvertedResidual block with a
residual connection (use_res_connect), the temporal shift is applied to the block's input on the
residual branch, right before the block's first conv, as in TSM's official MobileNetV2 (its
`self.conv[0]` wrapped): out = x + conv(shift(x)). For MobileNetV2 that is 10 blocks; with
expand_ratio 6 their first conv is a 1x1 expansion conv.

Shift, on (N*T, C, H, W) viewed as (N, T, C, H, W), fold = C // 8, written as Slice + Concat with
zero constants between two Reshapes:
  bidirectional   channels [0, fold) take frame t+1 (0 at the last), [fold, 2*fold) take frame t-1
                  (0 at the first), the rest unchanged
  unidirectional  channels [0, fold) take frame t-1 (0 at the first), the rest unchanged

Files written to --out (default build/models), stem = tsm_mobilenet_v2_<W>_<R> with W written
like scripts/export_models.py (0.35 -> 035, 1.0 -> 100):
  <stem>_bi.onnx        bidirectional shift
  <stem>_uni.onnx       unidirectional shift (offline: frame t depends on frames <= t only)
  <stem>_noshift.onnx   the same weights, no shift
  <stem>_frames.npy     one seeded input clip [8, 3, R, R] float32 (standard normal)
  calib_<stem>/frames_000.npy .. frames_003.npy
                        4 calibration clips [8, 3, R, R] (pare --calibration: one sample per file)

Every model: opset 13, eval mode, N = 1 clip of T = 8 frames, input `frames` [8, 3, R, R], output
`logits` [8, 1000] (per-frame logits; TSM's clip score is their mean). Weights are seeded random
(nothing is downloaded); as in scripts/export_models.py every BatchNorm gets random affine
parameters and running statistics measured on seeded random data, zero biases get small random
values, and the BatchNormalization nodes are kept in the ONNX file (pare folds them).

The script checks each model with onnxruntime (it runs; bi / uni differ from noshift; the uni
model's frame t logits do not change when the last frame is perturbed) and prints op counts, and,
where build/tools/pare/pare exists, the number of pare.temporal_shift ops pare recognises and the
MACs per frame from `pare inspect`.

Usage: .venv/bin/python benchmarks/tsm/export_tsm_mobilenet.py [--width 0.35] [--res 144] [--out DIR]
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import subprocess
import sys
import warnings
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))
from export_models import _calibrate_batchnorm, _randomize_zero_biases  # noqa: E402

OPSET = 13
SEED = 0
T = 8  # frames per clip
N_CALIB = 4
INPUT_NAME = "frames"
OUTPUT_NAME = "logits"
PARE = REPO_ROOT / "build" / "tools" / "pare" / "pare"
VARIANTS = ("bi", "uni", "noshift")


def width_tag(w: float) -> str:
    """0.35 -> '035', 1.0 -> '100', 0.5 -> '050' (as scripts/export_models.py names them)."""
    return f"{round(w * 100):03d}"


def build_shift_module(torch, mode: str):
    nn = torch.nn

    class TemporalShift(nn.Module):
        """TSM's shift in front of `net` (the block's first conv): net(shift(x))."""

        def __init__(self, net, mode):
            super().__init__()
            self.net = net
            self.mode = mode

        def forward(self, x):
            return self.net(self.shift(x))

        def shift(self, x):
            nt, c, h, w = (int(d) for d in x.shape)
            n, f = nt // T, c // 8
            x5 = x.reshape(n, T, c, h, w)
            z = torch.zeros(n, 1, f, h, w, dtype=x.dtype)
            if self.mode == "bi":
                left = torch.cat((x5[:, 1:, :f], z), dim=1)  # frame t takes t+1
                right = torch.cat((z, x5[:, :-1, f:2 * f]), dim=1)  # frame t takes t-1
                out = torch.cat((left, right, x5[:, :, 2 * f:]), dim=2)
            else:
                past = torch.cat((z, x5[:, :-1, :f]), dim=1)  # frame t takes t-1
                out = torch.cat((past, x5[:, :, f:]), dim=2)
            return out.reshape(nt, c, h, w)

    return lambda net: TemporalShift(net, mode)


def with_shift(torch, base, mode: str):
    """A copy of `base` (same weights) with the shift in every residual block; the count."""
    from torchvision.models.mobilenetv2 import InvertedResidual

    model = copy.deepcopy(base)
    if mode == "noshift":
        return model, 0
    wrap = build_shift_module(torch, mode)
    n = 0
    for m in model.modules():
        if isinstance(m, InvertedResidual) and m.use_res_connect:
            m.conv[0] = wrap(m.conv[0])
            n += 1
    model.eval()
    return model, n


def export(torch, model, example, path: Path) -> None:
    import onnx

    tmp = path.with_name(f".{path.name}.tmp")
    # PRESERVE on an eval-mode model keeps inference BatchNormalization nodes (as
    # scripts/export_models.py does); torch warns about constant folding: harmless in eval.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            example,
            str(tmp),
            opset_version=OPSET,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            do_constant_folding=True,
            training=torch.onnx.TrainingMode.PRESERVE,
        )
    m = onnx.load(str(tmp))
    onnx.checker.check_model(m, full_check=True)
    tmp.replace(path)


def conv_linear_macs(torch, model, res: int) -> int:
    """Multiply-accumulates of the Conv2d and Linear layers for one frame (the shift adds none)."""
    total = 0

    def hook(m, _inp, y):
        nonlocal total
        if isinstance(m, torch.nn.Conv2d):
            k = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
            total += y.numel() * k
        else:
            total += y.numel() * m.in_features

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, 3, res, res))
    for h in hs:
        h.remove()
    return total


def op_counts(path: Path) -> collections.Counter:
    import onnx

    return collections.Counter(n.op_type for n in onnx.load(str(path)).graph.node)


def pare_shift_count(path: Path):
    if not PARE.exists():
        return None
    r = subprocess.run([str(PARE), "compile", str(path), "--compile-to", "graph", "-o", "-"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(f"  pare compile failed on {path.name}: {r.stderr.strip()[-500:]}", file=sys.stderr)
        return None
    return r.stdout.count("pare.temporal_shift")


def pare_macs(path: Path):
    if not PARE.exists():
        return None
    r = subprocess.run([str(PARE), "inspect", str(path), "--json"], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    try:
        return json.loads(r.stdout)
    except json.JSONDecodeError:
        return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--width", type=float, default=0.35, help="MobileNetV2 width multiplier (default 0.35)")
    ap.add_argument("--res", type=int, default=144, help="frame resolution R (default 144)")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "models", help="output directory")
    ap.add_argument("--no-pare", action="store_true", help="skip the pare checks")
    args = ap.parse_args(argv)

    import numpy as np
    import onnxruntime as ort
    import torch
    import torchvision

    torch.set_num_threads(1)
    R = args.res
    stem = f"tsm_mobilenet_v2_{width_tag(args.width)}_{R}"
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    shape = (T, 3, R, R)

    # One set of weights for all three variants; BatchNorm statistics measured without a shift
    # (the shift only moves channels between frames, so the per-frame statistics barely differ).
    torch.manual_seed(SEED)
    base = torchvision.models.mobilenet_v2(weights=None, width_mult=args.width)
    gen = torch.Generator().manual_seed(SEED + 1)
    _randomize_zero_biases(base, gen)
    _calibrate_batchnorm(base, shape, gen)
    base.eval()
    macs_per_frame = conv_linear_macs(torch, base, R)
    n_bn = sum(1 for m in base.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm))

    # Input clip and calibration clips (numpy, seeded; independent of torch's generator).
    rng = np.random.default_rng(SEED + 2)
    clip = rng.standard_normal(shape).astype(np.float32)
    np.save(out / f"{stem}_frames.npy", clip)
    cdir = out / f"calib_{stem}"
    cdir.mkdir(exist_ok=True)
    for i in range(N_CALIB):
        np.save(cdir / f"{INPUT_NAME}_{i:03d}.npy", rng.standard_normal(shape).astype(np.float32))

    example = torch.from_numpy(clip)
    paths, expected_shifts, torch_out = {}, {}, {}
    for v in VARIANTS:
        model, n_shift = with_shift(torch, base, v)
        path = out / f"{stem}_{v}.onnx"
        export(torch, model, example, path)
        paths[v], expected_shifts[v] = path, n_shift
        with torch.no_grad():
            torch_out[v] = model(example).numpy()
        n_bn_onnx = op_counts(path)["BatchNormalization"]
        if n_bn_onnx != n_bn:
            raise SystemExit(f"{path.name}: {n_bn_onnx} BatchNormalization nodes, expected {n_bn}")

    # onnxruntime checks.
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = {v: ort.InferenceSession(str(p), so, providers=["CPUExecutionProvider"]) for v, p in paths.items()}
    run = lambda v, x: sess[v].run([OUTPUT_NAME], {INPUT_NAME: x})[0]  # noqa: E731
    res = {v: run(v, clip) for v in VARIANTS}
    ok = True
    for v in VARIANTS:
        y = res[v]
        if y.shape != (T, 1000) or not np.isfinite(y).all():
            print(f"FAIL {v}: output shape {y.shape}, finite {np.isfinite(y).all()}")
            ok = False
        d = float(np.abs(y - torch_out[v]).max())
        print(f"{v}: onnxruntime vs torch max |diff| = {d:.3g}")
        if d > 1e-3 * max(1.0, float(np.abs(torch_out[v]).max())):
            ok = False
            print(f"FAIL {v}: onnxruntime and torch disagree")
    for v in ("bi", "uni"):
        d = float(np.abs(res[v] - res["noshift"]).max())
        print(f"{v} vs noshift: max |diff| = {d:.3g}")
        if d < 1e-3:
            ok = False
            print(f"FAIL {v}: no different from noshift")
    # Causality of uni: perturb the last frame; frames 0..T-2 must not change.
    pert = clip.copy()
    pert[T - 1] = rng.standard_normal(pert[T - 1].shape).astype(np.float32)
    for v in VARIANTS:
        y = run(v, pert)
        early = float(np.abs(y[:T - 1] - res[v][:T - 1]).max())
        last = float(np.abs(y[T - 1] - res[v][T - 1]).max())
        print(f"{v}: last frame perturbed: frames 0..{T - 2} max |diff| = {early:.3g}, frame {T - 1} = {last:.3g}")
        if v in ("uni", "noshift") and early != 0.0:
            ok = False
            print(f"FAIL {v}: earlier frames depend on the last frame")
        if v == "bi" and early == 0.0:
            ok = False
            print("FAIL bi: earlier frames do not see the last frame")

    # Op counts, sizes, pare's view.
    print()
    for v in VARIANTS:
        p = paths[v]
        counts = op_counts(p)
        print(f"{p.name}: {p.stat().st_size} bytes, {sum(counts.values())} nodes")
        print("  " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
        if args.no_pare:
            continue
        n = pare_shift_count(p)
        if n is None:
            print("  pare: not checked (binary missing or compile failed)")
        else:
            print(f"  pare.temporal_shift recognised: {n} (expected {expected_shifts[v]})")
            if n != expected_shifts[v]:
                ok = False
                print(f"FAIL {v}: pare recognised {n} shifts, expected {expected_shifts[v]}")
        info = pare_macs(p)
        if info is not None:
            macs = info.get("macs", info.get("total_macs"))
            if isinstance(macs, (int, float)):
                print(f"  pare inspect: {macs} MACs per clip, {macs / T:.0f} per frame")
    print(f"\nMACs per frame (Conv + Gemm, from torch): {macs_per_frame} ({macs_per_frame / 1e6:.2f} M); "
          f"per clip of {T}: {macs_per_frame * T}")
    print(f"input clip: {out / (stem + '_frames.npy')}; calibration: {cdir}/ ({N_CALIB} clips)")
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
