#!/usr/bin/env python3
"""Build a PaddleOCR DBNet text detector (PP-OCRv3 / v4 mobile structure) as ONNX, plus text pages to run it on.

The network is PaddleOCR's `ch_PP-OCRv3_det` student, rebuilt in torch layer for layer from
PaddleOCR's sources (ppocr/modeling/backbones/det_mobilenet_v3.py, necks/db_fpn.py RSEFPN,
heads/det_db_head.py) and exported the way paddle2onnx writes it (opset 11):
  * backbone: MobileNetV3-large, scale 0.5, no SE in the backbone (`disable_se`), hardswish written
    as x * Clip(x + 3, 0, 6) / 6 (Add, Clip, Mul, Div as paddle2onnx emits it), stage outputs at
    strides 4, 8, 16, 32 with 16, 24, 56 and 480 channels;
  * neck: RSEFPN with 96 channels: a 1x1 conv per stage, each followed by an SE block
    (GlobalAveragePool, conv, Relu, conv, HardSigmoid(alpha 0.2, beta 0.5), Mul) and a shortcut Add;
    the top-down path upsamples by 2 with Resize (nearest, `asymmetric`, `floor`, constant scales:
    what Paddle's F.upsample(scale_factor=2, mode="nearest", align_mode=1) exports to); 3x3 convs
    to 24 channels; Resize by 8, 4 and 2 and a Concat to 96 channels at stride 4;
  * head (DBHead, the shrink map only, as at inference): 3x3 conv -> BatchNorm -> Relu ->
    ConvTranspose 2x2 stride 2 (+ bias) -> BatchNorm -> Relu -> ConvTranspose 2x2 stride 2 (+ bias)
    -> Sigmoid: a probability map at the input's resolution, 1x1xHxW.

The weights are not PaddleOCR's trained ones (those are not in this repository and pare never
downloads): torch's seeded default initialisation, every BatchNorm with random affine parameters
(scales in [0.1, 0.4): they keep activations from growing layer over layer, as a trained network's
do; with scales around 1 a random network this deep is chaotic, a one-step rounding difference
anywhere grows to the whole probability range at the output and even onnxruntime's own int8 is
0.1 from its float output on average) and running statistics measured on rendered text pages (a
few forward passes in train mode), and
the BatchNormalization nodes kept in the file (so pare's folding of BatchNorm into Conv and into
ConvTranspose is exercised). The export is deterministic.

Pages (--pages N): PIL-rendered text lines (scripts/render_text_lines.py's renderer: phrases from the
State of the Union addresses in DejaVu fonts) pasted on a plain background, preprocessed as
PaddleOCR's tools/infer/predict_det.py does: BGR, x = (pixel / 255 - mean) / std with ImageNet's
mean and std, CHW, float32 1x3xSxS. Written as x_000.npy ... (the model's input is named `x`).

    .venv/bin/python scripts/make_dbnet.py --out build/models [--size 224] [--pages 8 --pages-out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import warnings
from pathlib import Path
from typing import List, Optional

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pare_harness as H  # noqa: E402

OPSET = 11
SEED = 0
INPUT_NAME = "x"
OUTPUT_NAME = "maps"
MODEL_NAME = "dbnet_ppocr_det"
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


# ------------------------------------------------------------------------------------ pages --

def render_pages(count: int, size: int, seed: int) -> List[np.ndarray]:
    """`count` preprocessed text pages, float32 1x3xSxS each."""
    import render_text_lines as R
    from PIL import Image

    rng = random.Random(seed)
    nrng = np.random.RandomState(seed)
    words = R.load_words(R.TEXT_DIR)
    fonts = R.fonts(R.FONT_DIR)
    pages = []
    for _ in range(count):
        bg = tuple(rng.randint(170, 255) for _ in range(3))
        page = Image.new("RGB", (size, size), bg)
        y = rng.randint(0, size // 8)
        while y < size - 12:
            start = rng.randint(0, len(words) - 8)
            text = " ".join(words[start:start + rng.randint(1, 4)])
            line = R.render(rng, nrng, text, rng.choice(fonts), rotate=False)
            if line.width > size:
                line = line.crop((0, 0, size, line.height))
            x = rng.randint(0, max(0, size - line.width))
            page.paste(line, (x, y))
            y += line.height + rng.randint(0, size // 6)
        a = np.asarray(page).astype(np.float32)[:, :, ::-1]  # RGB -> BGR, as cv2 reads it
        a = (a / 255.0 - IMAGENET_MEAN[::-1]) / IMAGENET_STD[::-1]
        pages.append(np.ascontiguousarray(a.transpose(2, 0, 1)[None]).astype(np.float32))
    return pages


# ------------------------------------------------------------------------------------ model --

def make_divisible(v: float, divisor: int = 8) -> int:
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def build_model():
    import torch
    from torch import nn

    class HardSigmoidP(torch.autograd.Function):
        """Paddle's hardsigmoid(slope=0.2, offset=0.5), exported as one ONNX HardSigmoid."""

        @staticmethod
        def forward(ctx, x):  # noqa: D401
            return torch.clamp(x * 0.2 + 0.5, 0.0, 1.0)

        @staticmethod
        def symbolic(g, x):
            return g.op("HardSigmoid", x, alpha_f=0.2, beta_f=0.5)

    def hardswish(x):
        return x * torch.clamp(x + 3.0, 0.0, 6.0) / 6.0

    class ConvBN(nn.Module):
        def __init__(self, cin, cout, k, s, groups=1, act=None):
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, k, s, (k - 1) // 2, groups=groups, bias=False)
            self.bn = nn.BatchNorm2d(cout)
            self.act = act

        def forward(self, x):
            x = self.bn(self.conv(x))
            if self.act == "relu":
                return torch.relu(x)
            if self.act == "hardswish":
                return hardswish(x)
            return x

    class ResidualUnit(nn.Module):
        def __init__(self, cin, mid, cout, k, s, act):
            super().__init__()
            self.shortcut = s == 1 and cin == cout
            self.expand = ConvBN(cin, mid, 1, 1, act=act)
            self.bottleneck = ConvBN(mid, mid, k, s, groups=mid, act=act)
            self.linear = ConvBN(mid, cout, 1, 1)

        def forward(self, x):
            y = self.linear(self.bottleneck(self.expand(x)))
            return x + y if self.shortcut else y

    class MobileNetV3Det(nn.Module):
        # k, expansion, channels, (se: disabled in PP-OCRv3 det), activation, stride
        CFG = [(3, 16, 16, "relu", 1), (3, 64, 24, "relu", 2), (3, 72, 24, "relu", 1),
               (5, 72, 40, "relu", 2), (5, 120, 40, "relu", 1), (5, 120, 40, "relu", 1),
               (3, 240, 80, "hardswish", 2), (3, 200, 80, "hardswish", 1),
               (3, 184, 80, "hardswish", 1), (3, 184, 80, "hardswish", 1),
               (3, 480, 112, "hardswish", 1), (3, 672, 112, "hardswish", 1),
               (5, 672, 160, "hardswish", 2), (5, 960, 160, "hardswish", 1),
               (5, 960, 160, "hardswish", 1)]

        def __init__(self, scale=0.5):
            super().__init__()
            inplanes = make_divisible(16 * scale)
            self.conv = ConvBN(3, inplanes, 3, 2, act="hardswish")
            self.stages = nn.ModuleList()
            self.out_channels = []
            blocks = []
            for i, (k, exp, c, act, s) in enumerate(self.CFG):
                if s == 2 and i > 2:
                    self.out_channels.append(inplanes)
                    self.stages.append(nn.Sequential(*blocks))
                    blocks = []
                blocks.append(ResidualUnit(inplanes, make_divisible(scale * exp), make_divisible(scale * c), k, s, act))
                inplanes = make_divisible(scale * c)
            last = make_divisible(scale * 960)
            blocks.append(ConvBN(inplanes, last, 1, 1, act="hardswish"))
            self.stages.append(nn.Sequential(*blocks))
            self.out_channels.append(last)

        def forward(self, x):
            x = self.conv(x)
            outs = []
            for stage in self.stages:
                x = stage(x)
                outs.append(x)
            return outs

    class SEModule(nn.Module):
        def __init__(self, c, reduction=4):
            super().__init__()
            self.conv1 = nn.Conv2d(c, c // reduction, 1)
            self.conv2 = nn.Conv2d(c // reduction, c, 1)

        def forward(self, x):
            s = torch.mean(x, dim=(2, 3), keepdim=True)  # exported as GlobalAveragePool below
            s = HardSigmoidP.apply(self.conv2(torch.relu(self.conv1(s))))
            return x * s

    class RSELayer(nn.Module):
        def __init__(self, cin, cout, k):
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, k, 1, k // 2, bias=False)
            self.se = SEModule(cout)

        def forward(self, x):
            x = self.conv(x)
            return x + self.se(x)

    def up(x, f):
        return nn.functional.interpolate(x, scale_factor=f, mode="nearest")

    class RSEFPN(nn.Module):
        def __init__(self, in_channels, out=96):
            super().__init__()
            self.ins = nn.ModuleList(RSELayer(c, out, 1) for c in in_channels)
            self.inp = nn.ModuleList(RSELayer(out, out // 4, 3) for _ in in_channels)

        def forward(self, feats):
            c2, c3, c4, c5 = feats
            in5, in4, in3, in2 = (self.ins[3](c5), self.ins[2](c4), self.ins[1](c3), self.ins[0](c2))
            out4 = in4 + up(in5, 2)
            out3 = in3 + up(out4, 2)
            out2 = in2 + up(out3, 2)
            p5, p4, p3, p2 = self.inp[3](in5), self.inp[2](out4), self.inp[1](out3), self.inp[0](out2)
            return torch.cat([up(p5, 8), up(p4, 4), up(p3, 2), p2], dim=1)

    class DBHead(nn.Module):
        def __init__(self, cin=96):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cin // 4, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cin // 4)
            self.conv2 = nn.ConvTranspose2d(cin // 4, cin // 4, 2, 2)
            self.bn2 = nn.BatchNorm2d(cin // 4)
            self.conv3 = nn.ConvTranspose2d(cin // 4, 1, 2, 2)

        def forward(self, x):
            x = torch.relu(self.bn1(self.conv1(x)))
            x = torch.relu(self.bn2(self.conv2(x)))
            return torch.sigmoid(self.conv3(x))

    class DBNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = MobileNetV3Det()
            self.neck = RSEFPN(self.backbone.out_channels)
            self.head = DBHead()

        def forward(self, x):
            return self.head(self.neck(self.backbone(x)))

    return DBNet()


def export(out_dir: Path, size: int, verbose: bool = False) -> Path:
    """Write out_dir/dbnet_ppocr_det_<size>.onnx (skipped when up to date) and return its path."""
    import onnx
    import torch

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{MODEL_NAME}_{size}.onnx"
    stamp = path.with_suffix(".stamp")
    key = f"{hashlib.sha256(Path(__file__).read_bytes()).hexdigest()} {size} {torch.__version__}"
    if path.exists() and stamp.exists() and stamp.read_text() == key:
        return path

    torch.manual_seed(SEED)
    torch.set_num_threads(1)  # BatchNorm statistics independent of the core count
    model = build_model()
    gen = torch.Generator().manual_seed(SEED + 1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.copy_(0.1 + 0.3 * torch.rand(m.weight.shape, generator=gen))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=gen))
            m.momentum = None  # cumulative average over the passes below
    model.train()
    with torch.no_grad():
        for page in render_pages(4, size, seed=SEED + 2):
            model(torch.from_numpy(page))
    model.eval()

    tmp = path.with_suffix(".tmp.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, 3, size, size), str(tmp), opset_version=OPSET,
                          input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], do_constant_folding=True,
                          training=torch.onnx.TrainingMode.PRESERVE)
    m = onnx.load(str(tmp))
    # torch writes the SE blocks' mean over H and W as ReduceMean; paddle2onnx writes GlobalAveragePool.
    for n in m.graph.node:
        if n.op_type == "ReduceMean":
            axes = [a for a in n.attribute if a.name == "axes"]
            if axes and list(axes[0].ints) == [2, 3]:
                n.op_type = "GlobalAveragePool"
                del n.attribute[:]
    onnx.checker.check_model(m)
    onnx.save(m, str(tmp))
    tmp.replace(path)
    stamp.write_text(key)
    if verbose:
        import collections
        print(f"{path}: " + ", ".join(f"{k} {v}" for k, v in sorted(collections.Counter(n.op_type for n in m.graph.node).items())))
    return path


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=H.REPO_ROOT / "build" / "models")
    ap.add_argument("--size", type=int, default=224, help="input height and width, a multiple of 32 (default 224)")
    ap.add_argument("--pages", type=int, default=0, help="also write N preprocessed text pages")
    ap.add_argument("--pages-out", type=Path, help="directory for the pages (default OUT/dbnet_pages_SIZE)")
    ap.add_argument("--seed", type=int, default=1234, help="seed of the pages (default 1234)")
    args = ap.parse_args(argv)
    if args.size <= 0 or args.size % 32:
        H.die(f"--size {args.size}: must be a positive multiple of 32")
    print(export(args.out, args.size, verbose=True))
    if args.pages:
        d = args.pages_out or args.out / f"dbnet_pages_{args.size}"
        d.mkdir(parents=True, exist_ok=True)
        for i, p in enumerate(render_pages(args.pages, args.size, args.seed)):
            np.save(d / f"{INPUT_NAME}_{i:03d}.npy", p, allow_pickle=False)
        print(f"{args.pages} pages in {d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
