#!/usr/bin/env python3
"""Temporal shift (TSM) recognition across the ways exporters write the shift (issue 13 item 3).

Every model is exported here, with torch.onnx (torch 1.13) or written with onnx.helper as those
exporters write it; nothing is downloaded. Clips of T = 8 frames. Styles (the shift function of
[N*T, C, H, W] -> [N*T, C, H, W], C // 8 channels moved each way):

  tsm_shift          TSM's own `shift` (mit-han-lab/temporal-shift-module ops/temporal_shift.py):
                     x.view(n_batch, n_segment, c, h, w), out = torch.zeros_like(x) and in-place
                     slice assignment (ScatterND chains); also at opsets 11 and 17, and with the
                     assignments in another order
  slice_concat       TSM's Slice + Concat variant: Reshape(x, [-1, T, C, H, W]), two chained
                     Slices per group (channel, then time), Concat with zero constants
  slice_concat_tc    the same with the Slices in the other order (time, then channel), zeros_like
                     of a slice, exported without constant folding (Slice bounds from Unsqueeze /
                     Concat of constants)
  mmaction           MMAction2's TSM shift: a 4-D view [N, T, C, H*W], zeros = x - x
  zeros_mul / zeros_expand / pad
                     zeros as x * 0, as a scalar 0 expanded (torch.zeros(()).expand, exported
                     unfolded: Shape, ConstantOfShape, Where, Expand), the shift as F.pad of the
                     time axis
  unidirectional     offline online-TSM: channels [0, C/8) from frame t-1 (Slice + Concat)
  reversed_5d        issue 13's export: a network whose input is [N, T, C, H, W] (dynamic N:
                     every shape from Shape -> Gather -> Unsqueeze -> Concat and Div by T),
                     flattened to [N*T, ...]; its shifts written out[:, 1:, :f] = x[:, :-1, :f],
                     out[:, :-1, f:2f] = x[:, 1:, f:2f] into zeros_like (the groups' directions
                     reversed: mode bidirectional_reversed)
  shift_5d_input     TSM's shift applied directly to a 5-D model input, flattened after it
  onnx_slices10 / onnx_split
                     onnx.helper graphs: opset-10 Slices with steps, negative axes, negative and
                     INT64_MAX ends, a Slice over two axes, zeros from Expand of a scalar and
                     ConstantOfShape; opset-13 Split of the channel groups
  online             TSM's online demo (online_demo/mobilenet_v2_tsm.py): every shift block takes
                     the cached C/8 channels of the previous frame as a model input and returns
                     the current frame's: x1, x2 = x[:, :c//8], x[:, c//8:];
                     return x + conv(cat((shift_buffer, x2), 1)), x1
  mobilenet_v2_slice_concat / mobilenet_v2_reversed_5d
                     TSM MobileNetV2 (torchvision mobilenet_v2, width 0.5, 32x32 frames, the shift
                     before the first conv of each of its 10 residual blocks, as TSM does) in the
                     slice_concat and reversed_5d styles

Checks, per model:
  - `pare compile --compile-to graph` has exactly the expected pare.temporal_shift ops (count,
    mode, frames, fold; prints "k of n shifts");
  - the generated C compiles with gcc -std=c99 -Wall -Wextra -Werror -pedantic;
  - `pare validate` (fused shifts, host C) matches onnxruntime (rtol 1e-4, atol 1e-4);
  - slice_concat and reversed_5d in int8 (--quantize int8, 4 seeded calibration clips):
    fused and unfused shifts give the same bytes, within 10% of the output range of onnxruntime's
    float outputs;
  - unidirectional with --streaming: <name>_step frame by frame equals onnxruntime's clip (1e-4);
  - online: the shift buffers leave the API, the C runs frame by frame (<name>_reset /
    <name>_step) and matches onnxruntime run frame by frame with the buffers fed back (1e-4).
Exit status 1 on any failure.
  tests/e2e/tsm_export_styles.py --pare build/tools/pare/pare [--work DIR] [--only NAME]
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

T = 8
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
FAILURES: list = []
INT64_MAX = 2**63 - 1


def fail(msg: str) -> None:
    FAILURES.append(msg)
    print("FAIL: " + msg, flush=True)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)


# --------------------------------------------------------------------------- shift functions


def shift_tsm(x, fold_div=8):
    """TSM's ops/temporal_shift.py TemporalShift.shift (inplace=False)."""
    import torch
    nt, c, h, w = x.size()
    n_batch = nt // T
    x = x.view(n_batch, T, c, h, w)
    fold = c // fold_div
    out = torch.zeros_like(x)
    out[:, :-1, :fold] = x[:, 1:, :fold]  # shift left
    out[:, 1:, fold: 2 * fold] = x[:, :-1, fold: 2 * fold]  # shift right
    out[:, :, 2 * fold:] = x[:, :, 2 * fold:]  # not shift
    return out.view(nt, c, h, w)


def shift_tsm_reordered(x):
    import torch
    nt, c, h, w = x.size()
    x = x.view(nt // T, T, c, h, w)
    fold = c // 8
    out = torch.zeros_like(x)
    out[:, :, 2 * fold:] = x[:, :, 2 * fold:]
    out[:, 1:, fold: 2 * fold] = x[:, :-1, fold: 2 * fold]
    out[:, :-1, :fold] = x[:, 1:, :fold]
    return out.view(nt, c, h, w)


def shift_slice_concat(x):
    import torch
    nt, c, h, w = x.size()
    fold = c // 8
    x5 = x.reshape(-1, T, c, h, w)
    zeros = torch.zeros(nt // T, 1, fold, h, w)
    left = torch.cat((x5[:, :, :fold][:, 1:], zeros), dim=1)  # frame t takes t+1
    right = torch.cat((zeros, x5[:, :, fold:2 * fold][:, :-1]), dim=1)  # frame t takes t-1
    keep = x5[:, :, 2 * fold:][:, 0:T]
    return torch.cat((left, right, keep), dim=2).reshape(-1, c, h, w)


def shift_slice_concat_tc(x):
    import torch
    nt, c, h, w = x.size()
    fold = c // 8
    x5 = x.reshape(-1, T, c, h, w)
    left = x5[:, 1:][:, :, :fold]
    right = x5[:, :-1][:, :, fold:2 * fold]
    zeros = torch.zeros_like(left[:, :1])
    keep = x5[:, 0:][:, :, 2 * fold:]
    out = torch.cat((torch.cat((left, zeros), 1), torch.cat((zeros, right), 1), keep), 2)
    return out.reshape(nt, c, h, w)


def shift_mmaction(x, shift_div=8):
    """MMAction2's TSM shift (mmaction/models/backbones/resnet_tsm.py TemporalShift.shift)."""
    import torch
    n, c, h, w = x.size()
    x = x.view(-1, T, c, h * w)
    fold = c // shift_div
    left_split = x[:, :, :fold, :]
    mid_split = x[:, :, fold:2 * fold, :]
    right_split = x[:, :, 2 * fold:, :]
    zeros = left_split - left_split
    blank = zeros[:, :1, :, :]
    left_split = left_split[:, 1:, :, :]
    left_split = torch.cat((left_split, blank), 1)
    zeros = mid_split - mid_split
    blank = zeros[:, :1, :, :]
    mid_split = mid_split[:, :-1, :, :]
    mid_split = torch.cat((blank, mid_split), 1)
    out = torch.cat((left_split, mid_split, right_split), 2)
    return out.view(n, c, h, w)


def shift_zeros_mul(x):
    import torch
    nt, c, h, w = x.size()
    fold = c // 8
    x5 = x.view(-1, T, c, h, w)
    zeros = x5[:, :1, :fold] * 0
    left = torch.cat((x5[:, 1:, :fold], zeros), 1)
    right = torch.cat((zeros, x5[:, :-1, fold:2 * fold]), 1)
    return torch.cat((left, right, x5[:, :, 2 * fold:]), 2).view(nt, c, h, w)


def shift_zeros_expand(x):
    import torch
    nt, c, h, w = x.size()
    fold = c // 8
    x5 = x.view(-1, T, c, h, w)
    zeros = torch.zeros(()).expand(x5.shape[0], 1, fold, h, w)
    left = torch.cat((x5[:, 1:, :fold], zeros), 1)
    right = torch.cat((zeros, x5[:, :-1, fold:2 * fold]), 1)
    return torch.cat((left, right, x5[:, :, 2 * fold:]), 2).view(nt, c, h, w)


def shift_pad(x):
    import torch
    import torch.nn.functional as F
    nt, c, h, w = x.size()
    fold = c // 8
    x5 = x.view(-1, T, c, h, w)
    left = F.pad(x5[:, 1:, :fold], (0, 0, 0, 0, 0, 0, 0, 1))
    right = F.pad(x5[:, :-1, fold:2 * fold], (0, 0, 0, 0, 0, 0, 1, 0))
    return torch.cat((left, right, x5[:, :, 2 * fold:]), 2).view(nt, c, h, w)


def shift_unidirectional(x):
    import torch
    nt, c, h, w = x.size()
    fold = c // 8
    x5 = x.reshape(-1, T, c, h, w)
    zeros = torch.zeros(nt // T, 1, fold, h, w)
    past = torch.cat((zeros, x5[:, :-1, :fold]), 1)
    return torch.cat((past, x5[:, :, fold:]), 2).reshape(-1, c, h, w)


def shift_reversed(x):
    """Issue 13's export: zeros_like, the first group from t-1 and the second from t+1."""
    import torch
    nt, c, h, w = x.size()
    f = c // 8
    x = x.view(nt // T, T, c, h, w)
    out = torch.zeros_like(x)
    out[:, 1:, :f] = x[:, :-1, :f]
    out[:, :-1, f:2 * f] = x[:, 1:, f:2 * f]
    out[:, :, 2 * f:] = x[:, :, 2 * f:]
    return out.view(nt, c, h, w)


# --------------------------------------------------------------------------- models


def small_net(shift, five_d=False):
    """conv 3x3 -> two residual blocks whose 1x1 conv reads a shifted input -> conv 1x1."""
    import torch
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 16, 3, padding=1)
            self.c1 = nn.Conv2d(16, 16, 1)
            self.c2 = nn.Conv2d(16, 16, 3, padding=1)
            self.c3 = nn.Conv2d(16, 16, 1)
            self.head = nn.Conv2d(16, 4, 1)

        def forward(self, x):
            if five_d:
                n, t, c, h, w = x.shape
                x = x.reshape(n * t, c, h, w)
            y = torch.relu(self.stem(x))
            y = y + self.c1(shift(y))
            y = torch.relu(self.c2(y))
            y = y + self.c3(shift(y))
            y = self.head(shift(y))
            if five_d:
                return y.reshape(n, t, 4, y.shape[2], y.shape[3])
            return y

    torch.manual_seed(0)
    return Net().eval()


def five_d_input_net():
    """TSM's shift on the model's 5-D input [N, T, 8, H, W], then per-frame convolutions."""
    import torch
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(8, 8, 1)

        def forward(self, x):
            n, t, c, h, w = x.shape
            out = torch.zeros_like(x)
            out[:, :-1, :1] = x[:, 1:, :1]
            out[:, 1:, 1:2] = x[:, :-1, 1:2]
            out[:, :, 2:] = x[:, :, 2:]
            return self.c1(out.reshape(n * t, c, h, w))

    torch.manual_seed(0)
    return Net().eval()


def online_net():
    """TSM's online demo MobileNetV2 blocks (InvertedResidualWithShift), three of them."""
    import torch
    nn = torch.nn

    class InvertedResidualWithShift(nn.Module):
        def __init__(self, c, expand):
            super().__init__()
            hidden = c * expand
            self.conv = nn.Sequential(
                nn.Conv2d(c, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
                nn.Conv2d(hidden, hidden, 3, 1, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
                nn.ReLU6(inplace=True), nn.Conv2d(hidden, c, 1, bias=False), nn.BatchNorm2d(c))

        def forward(self, x, shift_buffer):
            c = x.size(1)
            x1, x2 = x[:, : c // 8], x[:, c // 8:]
            return x + self.conv(torch.cat((shift_buffer, x2), dim=1)), x1

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU6())
            self.features = nn.ModuleList([InvertedResidualWithShift(16, 2), InvertedResidualWithShift(16, 2),
                                           nn.Conv2d(16, 24, 1), InvertedResidualWithShift(24, 2)])
            self.classifier = nn.Linear(24, 4)

        def forward(self, x, *shift_buffer):
            x = self.stem(x)
            out_buffer = []
            i = 0
            for f in self.features:
                if isinstance(f, InvertedResidualWithShift):
                    x, s = f(x, shift_buffer[i])
                    i += 1
                    out_buffer.append(s)
                else:
                    x = f(x)
            x = x.mean(3).mean(2)
            return (self.classifier(x), *out_buffer)

    torch.manual_seed(0)
    net = Net()
    gen = torch.Generator().manual_seed(1)
    for m in net.modules():  # BatchNorm with statistics, so the folded convs are not trivial
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data = torch.rand(m.weight.shape, generator=gen) + 0.5
            m.bias.data = torch.randn(m.bias.shape, generator=gen) * 0.1
            m.running_mean = torch.randn(m.running_mean.shape, generator=gen) * 0.1
            m.running_var = torch.rand(m.running_var.shape, generator=gen) + 0.5
    return net.eval()


def tsm_mobilenet_v2(shift, five_d=False):
    """torchvision mobilenet_v2(width 0.5); TSM's shift before conv[0] of the 10 residual blocks."""
    import torch
    import torchvision
    from torchvision.models.mobilenetv2 import InvertedResidual
    nn = torch.nn

    class Shifted(nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net(shift(x))

    class Clip(nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            n, t, c, h, w = x.shape
            return self.net(x.reshape(n * t, c, h, w)).reshape(n, t, -1)

    torch.manual_seed(0)
    net = torchvision.models.mobilenet_v2(weights=None, width_mult=0.5, num_classes=10)
    for m in net.modules():
        if isinstance(m, InvertedResidual) and m.use_res_connect:
            m.conv[0] = Shifted(m.conv[0])
    gen = torch.Generator().manual_seed(1)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data = torch.rand(m.weight.shape, generator=gen) + 0.5
            m.bias.data = torch.randn(m.bias.shape, generator=gen) * 0.1
            m.running_mean = torch.randn(m.running_mean.shape, generator=gen) * 0.1
            m.running_var = torch.rand(m.running_var.shape, generator=gen) + 0.5
    net.eval()
    return Clip(net).eval() if five_d else net


def export(model, example, path: Path, opset: int = 13, inputs=("x",), outputs=("y",),
           dynamic=None, fold=True) -> None:
    import torch
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, example, str(path), opset_version=opset, input_names=list(inputs),
                          output_names=list(outputs), dynamic_axes=dynamic, do_constant_folding=fold)


def onnx_slices10(path: Path) -> None:
    """Opset 10: Slices with steps, negative axes and ends, INT64_MAX, two axes in one Slice;
    zeros from Expand of a scalar 0 (group A) and ConstantOfShape (group B)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    c, h, w, f = 16, 4, 4, 2
    rng = np.random.default_rng(0)
    ints = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)  # noqa: E731
    init = [ints("view", [-1, T, c, h, w]), ints("back", [-1, c, h, w]),
            ints("a_c", [0]), ints("a_ce", [f]), ints("ax_c", [-3]),
            ints("a_t", [1]), ints("a_te", [INT64_MAX]), ints("ax_t", [1]), ints("one", [1]),
            ints("b_t", [0]), ints("b_te", [-1]), ints("b_c", [f]), ints("b_ce", [2 * f]), ints("ax_c2", [2]),
            ints("k_s", [2 * f, 0]), ints("k_e", [INT64_MAX, INT64_MAX]), ints("k_ax", [-3, 1]),
            ints("zshape", [1, 1, f, h, w]),
            numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
            numpy_helper.from_array(rng.standard_normal((c, c, 1, 1)).astype(np.float32), "w1")]
    nodes = [
        helper.make_node("Reshape", ["x", "view"], ["x5"]),
        helper.make_node("Slice", ["x5", "a_c", "a_ce", "ax_c", "one"], ["a1"]),
        helper.make_node("Slice", ["a1", "a_t", "a_te", "ax_t", "one"], ["a2"]),
        helper.make_node("Expand", ["zero", "zshape"], ["za"]),
        helper.make_node("Concat", ["a2", "za"], ["a"], axis=1),
        helper.make_node("Slice", ["x5", "b_t", "b_te", "ax_t"], ["b1"]),
        helper.make_node("Slice", ["b1", "b_c", "b_ce", "ax_c2", "one"], ["b2"]),
        helper.make_node("ConstantOfShape", ["zshape"], ["zb"],
                         value=numpy_helper.from_array(np.array([0.0], dtype=np.float32))),
        helper.make_node("Concat", ["zb", "b2"], ["b"], axis=-4),
        helper.make_node("Slice", ["x5", "k_s", "k_e", "k_ax"], ["k"]),
        helper.make_node("Concat", ["a", "b", "k"], ["y5"], axis=-3),
        helper.make_node("Reshape", ["y5", "back"], ["s"]),
        helper.make_node("Conv", ["s", "w1"], ["y"]),
    ]
    g = helper.make_graph(nodes, "slices10", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [T, c, h, w])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [T, c, h, w])], init)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 10)])
    m.ir_version = 7
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, str(path))


def onnx_split(path: Path) -> None:
    """Opset 13: the channel groups cut by one Split, each group's frames by a Slice."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    c, h, w, f = 24, 3, 3, 3
    rng = np.random.default_rng(1)
    ints = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)  # noqa: E731
    init = [ints("view", [1, T, c, h, w]), ints("back", [T, c, h, w]), ints("split", [f, f, c - 2 * f]),
            ints("s1", [1]), ints("e1", [T]), ints("s0", [0]), ints("e0", [T - 1]), ints("ax", [1]),
            numpy_helper.from_array(np.zeros((1, 1, f, h, w), dtype=np.float32), "z"),
            numpy_helper.from_array(rng.standard_normal((8, c, 1, 1)).astype(np.float32), "w1")]
    nodes = [
        helper.make_node("Reshape", ["x", "view"], ["x5"]),
        helper.make_node("Split", ["x5", "split"], ["ga", "gb", "gk"], axis=2),
        helper.make_node("Slice", ["ga", "s1", "e1", "ax"], ["a1"]),
        helper.make_node("Concat", ["a1", "z"], ["a"], axis=1),
        helper.make_node("Slice", ["gb", "s0", "e0", "ax"], ["b1"]),
        helper.make_node("Concat", ["z", "b1"], ["b"], axis=1),
        helper.make_node("Concat", ["a", "b", "gk"], ["y5"], axis=2),
        helper.make_node("Reshape", ["y5", "back"], ["s"]),
        helper.make_node("Conv", ["s", "w1"], ["y"]),
    ]
    g = helper.make_graph(nodes, "split13", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [T, c, h, w])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [T, 8, h, w])], init)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, str(path))


# --------------------------------------------------------------------------- checks


SHIFT_RE = re.compile(r"pare\.temporal_shift %\S+ \{([^}]*)\}")


def recognised(pare: str, model: Path, shape_args: list) -> list:
    """The (mode, frames, fold, streaming) of every pare.temporal_shift after the graph phase."""
    r = run([pare, "compile", model, "--compile-to", "graph", "-o", "-"] + shape_args)
    if r.returncode != 0:
        fail(f"{model.name}: pare compile --compile-to graph failed: {r.stderr.strip()[-400:]}")
        return []
    out = []
    for attrs in SHIFT_RE.findall(r.stdout):
        get = lambda k: (re.search(k + r" = ([^,]+?)(?: : i64)?(?:,|$)", attrs) or [None, None])[1]  # noqa: E731
        out.append((get("mode").strip('"'), int(get("frames")), int(get("fold")), "streaming" in attrs))
    return out


def strict_c(pare: str, model: Path, out: Path, name: str, shape_args: list) -> str:
    r = run([pare, "compile", model, "-o", out, "--name", name, "-q"] + shape_args)
    if r.returncode != 0:
        fail(f"{name}: pare compile failed: {r.stderr.strip()[-400:]}")
        return ""
    srcs = sorted(p for p in out.glob("*.c") if p.name != "runner.c")
    r = run(["gcc", "-fsyntax-only"] + CFLAGS + ["-I", out] + srcs)
    if r.returncode != 0:
        fail(f"{name}: gcc {' '.join(CFLAGS)} failed: {r.stderr.strip()[:600]}")
    return (out / f"{name}.c").read_text()


def validate(pare: str, model: Path, name: str, shape_args: list) -> None:
    r = run([pare, "validate", model, "--python", sys.executable, "--rtol", "1e-4", "--atol", "1e-4"]
            + shape_args)
    if r.returncode != 0 or "outputs match" not in r.stdout:
        fail(f"{name}: pare validate: {(r.stdout + r.stderr).strip()[-600:]}")


STEP_MAIN = r"""
#include "%(name)s.h"
#include <stdio.h>
/* Streams argv[1]'s frames (%(frame)d floats each, %(frames)d of them) through %(name)s_step
 * after one %(name)s_reset and writes each frame's %(outs)d outputs to argv[2]. */
int main(int argc, char **argv) {
  static float frame[%(frame)d];
  float y[%(outs)d];
  FILE *in, *out;
  int t;
  if (argc != 3)
    return 2;
  in = fopen(argv[1], "rb");
  out = fopen(argv[2], "wb");
  if (!in || !out)
    return 2;
  %(name)s_reset();
  for (t = 0; t < %(frames)d; ++t) {
    if (fread(frame, sizeof frame, 1, in) != 1)
      return 3;
    if (%(name)s_step(frame, y) != 0)
      return 4;
    fwrite(y, sizeof y, 1, out);
  }
  fclose(in);
  fclose(out);
  return 0;
}
"""


RUN_MAIN = r"""
#include "%(name)s.h"
#include <stdio.h>
/* One call of %(name)s_run on argv[1] (%(ins)d floats), the %(outs)d outputs to argv[2]. */
int main(int argc, char **argv) {
  static float x[%(ins)d], y[%(outs)d];
  FILE *in, *out;
  if (argc != 3)
    return 2;
  in = fopen(argv[1], "rb");
  out = fopen(argv[2], "wb");
  if (!in || !out || fread(x, sizeof x, 1, in) != 1)
    return 2;
  if (%(name)s_run(x, y) != 0)
    return 4;
  fwrite(y, sizeof y, 1, out);
  fclose(in);
  fclose(out);
  return 0;
}
"""


def build_and_run(pare: str, model: Path, out: Path, name: str, flags: list, main: str, args: list):
    """pare compile with flags, gcc strict C99 with `main`, run with args (paths under out)."""
    r = run([pare, "compile", model, "-o", out, "--name", name, "-q"] + flags)
    if r.returncode != 0:
        fail(f"{name}: pare compile {' '.join(flags)} failed: {r.stderr.strip()[-400:]}")
        return None
    (out / "main_test.c").write_text(main)
    exe = out / "test_run"
    srcs = sorted(p for p in out.glob("*.c") if p.name != "runner.c")
    r = run(["gcc"] + CFLAGS + ["-O2", "-I", out] + srcs + ["-lm", "-o", exe])
    if r.returncode != 0:
        fail(f"{name}: gcc failed: {r.stderr.strip()[:600]}")
        return None
    r = run([exe] + args)
    if r.returncode != 0:
        fail(f"{name}: run failed ({r.returncode})")
        return None
    return (out / "y.bin").read_bytes()


def check_int8(pare: str, model: Path, work: Path, name: str, shape: tuple, shape_args: list) -> None:
    """int8 (calibrated on 4 seeded clips): the fused and the unfused shift give the same bytes,
    and follow onnxruntime's float outputs."""
    import onnxruntime as ort
    calib = work / f"calib_{name}"
    calib.mkdir(exist_ok=True)
    rng = np.random.default_rng(5)
    for i in range(4):
        np.save(calib / f"x_{i:03d}.npy", rng.standard_normal(shape).astype(np.float32))
    x = rng.standard_normal(shape).astype(np.float32)
    ref = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    outs = {}
    for variant, extra in (("fused", []), ("unfused", ["--shift-fusion", "off"])):
        out = work / f"{name}_int8_{variant}"
        out.mkdir(parents=True, exist_ok=True)
        x.tofile(out / "x.bin")
        main = RUN_MAIN % {"name": "q", "ins": x.size, "outs": ref.size}
        outs[variant] = build_and_run(pare, model, out, "q", shape_args + ["--quantize", "int8", "--calibration",
                                      calib] + extra, main, [out / "x.bin", out / "y.bin"])
    if outs["fused"] is None or outs["unfused"] is None:
        return
    if outs["fused"] != outs["unfused"]:
        fail(f"{name}: int8 fused and unfused shifts give different outputs")
    got = np.frombuffer(outs["fused"], dtype=np.float32).reshape(ref.shape)
    err = float(np.abs(got - ref).max() / np.abs(ref).max())
    print(f"  {name} int8: fused == unfused bytes, max |pare - onnxruntime float| / max |ref| = {err:.3g}")
    if err > 0.1:
        fail(f"{name}: int8 outputs too far from onnxruntime's float ({err:.3g} of the range)")


def check_streaming(pare: str, model: Path, work: Path, name: str) -> None:
    """An offline unidirectional export with --streaming: frame by frame equals onnxruntime's clip."""
    import onnxruntime as ort
    out = work / f"{name}_streaming"
    out.mkdir(parents=True, exist_ok=True)
    x = np.random.default_rng(6).standard_normal((T, 3, 6, 6)).astype(np.float32)
    ref = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    x.tofile(out / "frames.bin")
    main = STEP_MAIN % {"name": "s", "frame": x[0].size, "frames": T, "outs": ref[0].size}
    got = build_and_run(pare, model, out, "s", ["--streaming"], main, [out / "frames.bin", out / "y.bin"])
    if got is None:
        return
    got = np.frombuffer(got, dtype=np.float32).reshape(ref.shape)
    err = float(np.abs(got - ref).max())
    print(f"  {name} --streaming: {T} frames stepped, max |pare - onnxruntime| = {err:.3g}")
    if not np.allclose(got, ref, rtol=1e-4, atol=1e-4):
        fail(f"{name}: the streamed frames differ from onnxruntime's clip (max abs {err:.3g})")


def check_online(pare: str, model: Path, work: Path, buffers: list) -> None:
    """The recognised online model, stepped frame by frame, against onnxruntime with its
    buffers fed back."""
    import onnxruntime as ort
    name = "online"
    out = work / name
    src = strict_c(pare, model, out, name, [])
    if not src:
        return
    header = (out / f"{name}.h").read_text()
    if f"{name}_step(" not in header or f"{name}_reset(" not in header:
        fail(f"{name}: no {name}_step / {name}_reset in the header")
        return
    if "pare_temporal_shift_step" not in src:
        fail(f"{name}: no streaming shift (pare_temporal_shift_step) in the C")
    rng = np.random.default_rng(3)
    frames = rng.standard_normal((T, 1, 3, 16, 16)).astype(np.float32)
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    state = [np.zeros(b, dtype=np.float32) for b in buffers]
    ref = []
    for t in range(T):
        feeds = {"x": frames[t]}
        feeds.update({f"buffer_{i}": s for i, s in enumerate(state)})
        res = sess.run(None, feeds)
        ref.append(res[0])
        state = res[1:]
    ref = np.stack(ref)
    (out / "main_step.c").write_text(STEP_MAIN % {"name": name, "frame": 3 * 16 * 16, "frames": T,
                                                   "outs": ref[0].size})
    exe = out / "step"
    srcs = sorted(p for p in out.glob("*.c") if p.name != "runner.c")
    r = run(["gcc"] + CFLAGS + ["-O2", "-I", out] + srcs + ["-lm", "-o", exe])
    if r.returncode != 0:
        fail(f"{name}: gcc failed: {r.stderr.strip()[:600]}")
        return
    frames.tofile(out / "frames.bin")
    r = run([exe, out / "frames.bin", out / "y.bin"])
    if r.returncode != 0:
        fail(f"{name}: the stepped model failed ({r.returncode})")
        return
    got = np.fromfile(out / "y.bin", dtype=np.float32).reshape(ref.shape)
    err = float(np.abs(got - ref).max())
    print(f"  {name}: {T} frames stepped, max |pare - onnxruntime| = {err:.3g}")
    if not np.allclose(got, ref, rtol=1e-4, atol=1e-4):
        fail(f"{name}: stepped outputs differ from onnxruntime's (max abs {err:.3g})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pare", required=True)
    ap.add_argument("--work")
    ap.add_argument("--only", help="run the models whose name contains this")
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="pare-tsm-styles-"))
    work.mkdir(parents=True, exist_ok=True)

    frames4 = torch.randn(T, 3, 6, 6)
    frames5 = torch.randn(1, T, 3, 6, 6)
    dyn5 = {"x": {0: "n"}, "y": {0: "n"}}
    bi, rev, uni = "bidirectional", "bidirectional_reversed", "unidirectional"
    # name -> (writer, input-shape arguments, expected shifts [(mode, frames, fold, streaming)])
    cases = {
        "tsm_shift": (lambda p: export(small_net(shift_tsm), frames4, p), [], [(bi, T, 2, False)] * 3),
        "tsm_shift_opset11": (lambda p: export(small_net(shift_tsm), frames4, p, opset=11), [],
                              [(bi, T, 2, False)] * 3),
        "tsm_shift_opset17": (lambda p: export(small_net(shift_tsm), frames4, p, opset=17), [],
                              [(bi, T, 2, False)] * 3),
        "tsm_shift_reordered": (lambda p: export(small_net(shift_tsm_reordered), frames4, p), [],
                                [(bi, T, 2, False)] * 3),
        "slice_concat": (lambda p: export(small_net(shift_slice_concat), frames4, p), [],
                         [(bi, T, 2, False)] * 3),
        "slice_concat_tc": (lambda p: export(small_net(shift_slice_concat_tc), frames4, p, fold=False), [],
                            [(bi, T, 2, False)] * 3),
        "mmaction": (lambda p: export(small_net(shift_mmaction), frames4, p), [], [(bi, T, 2, False)] * 3),
        "zeros_mul": (lambda p: export(small_net(shift_zeros_mul), frames4, p), [], [(bi, T, 2, False)] * 3),
        "zeros_expand": (lambda p: export(small_net(shift_zeros_expand), frames4, p, fold=False), [],
                         [(bi, T, 2, False)] * 3),
        "pad": (lambda p: export(small_net(shift_pad), frames4, p), [], [(bi, T, 2, False)] * 3),
        "unidirectional": (lambda p: export(small_net(shift_unidirectional), frames4, p), [],
                           [(uni, T, 2, False)] * 3),
        "reversed_5d": (lambda p: export(small_net(shift_reversed, five_d=True), frames5, p, dynamic=dyn5),
                        ["--input-shape", "x=1,8,3,6,6"], [(rev, T, 2, False)] * 3),
        "shift_5d_input": (lambda p: export(five_d_input_net(), torch.randn(1, T, 8, 5, 5), p, dynamic=dyn5),
                           ["--input-shape", "x=1,8,8,5,5"], [(bi, T, 1, False)]),
        "onnx_slices10": (onnx_slices10, [], [(bi, T, 2, False)]),
        "onnx_split": (onnx_split, [], [(bi, T, 3, False)]),
        "mobilenet_v2_slice_concat": (
            lambda p: export(tsm_mobilenet_v2(shift_slice_concat), torch.randn(T, 3, 32, 32), p), [],
            [(bi, T, c // 8, False) for c in [16, 16, 16, 32, 32, 32, 48, 48, 80, 80]]),
        "mobilenet_v2_reversed_5d": (
            lambda p: export(tsm_mobilenet_v2(shift_reversed, five_d=True), torch.randn(1, T, 3, 32, 32), p,
                             dynamic=dyn5),
            ["--input-shape", "x=1,8,3,32,32"],
            [(rev, T, c // 8, False) for c in [16, 16, 16, 32, 32, 32, 48, 48, 80, 80]]),
    }
    rows = []
    for name, (write, shape_args, expected) in cases.items():
        if args.only and args.only not in name:
            continue
        path = work / f"{name}.onnx"
        write(path)
        got = recognised(args.pare, path, shape_args)
        print(f"{name}: {sum(1 for g in got if g in expected)} of {len(expected)} shifts recognised", flush=True)
        rows.append((name, len(got), len(expected)))
        if sorted(got) != sorted(expected):
            fail(f"{name}: recognised {got}, expected {expected}")
        strict_c(args.pare, path, work / name, name, shape_args)
        validate(args.pare, path, name, shape_args)
        if name in ("slice_concat", "reversed_5d"):
            check_int8(args.pare, path, work, name, (1, T, 3, 6, 6) if "5d" in name else (T, 3, 6, 6),
                       shape_args)
        if name == "unidirectional":
            check_streaming(args.pare, path, work, name)

    if not args.only or args.only in "online":
        path = work / "online.onnx"
        buffers = [(1, 2, 8, 8), (1, 2, 8, 8), (1, 3, 8, 8)]
        example = (torch.randn(1, 3, 16, 16),) + tuple(torch.zeros(b) for b in buffers)
        export(online_net(), example, path, inputs=["x"] + [f"buffer_{i}" for i in range(3)],
               outputs=["y"] + [f"buffer_out_{i}" for i in range(3)])
        got = recognised(args.pare, path, [])
        want = [(uni, 1, 2, True), (uni, 1, 2, True), (uni, 1, 3, True)]
        print(f"online: {sum(1 for g in got if g in want)} of 3 shift buffers recognised as streaming shifts")
        if sorted(got) != sorted(want):
            fail(f"online: recognised {got}, expected {want}")
        check_online(args.pare, path, work, buffers)

    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
