#!/usr/bin/env python3
"""Train small temporal-shift (TSM) networks on moving Fashion-MNIST clips and export them to ONNX.

Task: a clip is T=8 frames (1 channel, 32x32, background 0) of one Fashion-MNIST item, downscaled
28x28 -> 14x14 (2x2 mean), moving by a constant 2 px per frame in one of 4 directions; the label is
the direction: 0 right (+x), 1 left (-x), 2 down (+y), 3 up (-y). The start keeps the item inside
the canvas: along the motion axis the start is uniform in 0..4 (18 - that for left/up), so the
positions are start + 2t in 0..18; the other coordinate is drawn from the same per-frame marginal
(a + 2b, a uniform in 0..4, b uniform in 0..7), so that a single frame's position has the same
distribution for all four directions. One frame carries no direction information: a per-frame CNN
without a temporal shift stays near chance (25%); see README.md for why it is not exactly 25%.
Train: 20000 clips of training-split items; test: 2000 clips of test-split items (held out).

Model input: (N*T, 1, 32, 32) float32, x = pixel / 255 (pixel in 0..255 as stored, uint8);
output: per-frame logits (N*T, 4). A clip's prediction is the argmax of the mean of its T frames'
logits (the training loss is the cross-entropy of that mean).

Network (NCHW, 19,060 parameters; BatchNorm folded into the convs by the eval-mode ONNX export):
    conv3x3 s2 1->16 + BN + ReLU                                 32x32 -> 16x16
    TSM block A (16 ch):  y = x + BN(conv3x3(ReLU(BN(conv1x1(shift(x))))))
    conv3x3 s2 16->32 + BN + ReLU                                16x16 -> 8x8
    TSM block B (32 ch):  same form
    shift, conv1x1 32->32 + BN + ReLU   (shift feeding a conv directly, no residual)
    global average pool, FC 32->4
Temporal shift (Lin et al., TSM), on (N*T, C, H, W) viewed as (N, T, C, H, W), fold = C // 8:
    bidirectional:   channels [0, fold) take frame t+1's values (0 at the last frame),
                     channels [fold, 2*fold) take frame t-1's (0 at the first), the rest unchanged;
    unidirectional:  channels [0, fold) take frame t-1's values (0 at t=0), the rest unchanged
                     (online TSM: computable frame by frame with a buffer of the previous frame's
                     first `fold` channels per shift site).
Three models are trained with the same seed and schedule (AdamW, one-cycle lr 1e-2, 1 epoch of
20000 clips, batch 32 clips; about 2 minutes each on one core): no shift (baseline), bidirectional,
unidirectional.

Writes to --out (default examples/models/), opset 13, static shapes (N=1, N*T=8):
    tsm_noshift.onnx          baseline, `frames` [8,1,32,32] -> `logits` [8,4]
    tsm_slice_concat.onnx     bidirectional, shift = Slice + Concat with zero constants (+ Reshape)
    tsm_inplace.onnx          bidirectional, shift = original TSM in-place code
                              (out = zeros_like(x); out[:, :-1, :fold] = x[:, 1:, :fold]; ...)
    tsm_unidirectional.onnx   unidirectional, offline, slice + concat form
    tsm_online.onnx           unidirectional, per frame: inputs `frame` [1,1,32,32],
                              `shift_buffer_0..2` ([1,2,16,16], [1,4,8,8], [1,4,8,8]);
                              outputs `logits` [1,4], `shift_buffer_out_0..2` (the frame's first
                              fold channels at each shift site, the next frame's buffers)
and to --data-out (default examples/tsm/data/):
    test_clips.npy   uint8 [256, 8, 1, 32, 32]: the first 256 held-out test clips (model input is
                     test_clips[i].astype(float32) / 255, shape [8,1,32,32])
    test_labels.npy  int64 [256]
    calib.npy        float32 [32, 8, 1, 32, 32]: 32 training clips, already scaled (/255), for int8
                     calibration (pare wants one file per sample: see README.md)
The accuracies are measured on all 2000 test clips (PyTorch and onnxruntime), plus on the stored
256; the online model is run frame by frame (buffers start at zero) and compared with the offline
unidirectional model's rows.

Deterministic: seeded, torch.use_deterministic_algorithms(True), fixed --threads (default 1); a
rerun with the same thread count gives the same weights on the same machine.

Run: .venv/bin/python examples/tsm/train.py [--out examples/models] [--data-out examples/tsm/data]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import random
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_DATA = Path("/usr/share/datasets/fashion-mnist")
DEFAULT_OUT = REPO / "examples" / "models"
DEFAULT_DATA_OUT = HERE / "data"
SEED = 0
T = 8
CANVAS = 32
ITEM = 14
STEP = 2
N_TRAIN = 20000
N_TEST = 2000
N_TEST_STORED = 256
N_CALIB = 32
OPSET = 13
DIRECTIONS = ("right", "left", "down", "up")


# ---------------------------------------------------------------- data

def read_idx(path: Path) -> np.ndarray:
    """Read an idx file (gzip-compressed or not): uint8 data, big-endian int32 dims.
    (Same as examples/fashion-mnist/train.py.)"""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = data[0] * 256 + data[1], data[2], data[3]
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an idx file of uint8")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(data_dir: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (data_dir / name).exists():
            return data_dir / name
    raise FileNotFoundError(f"{data_dir}/{stem}[.gz] not found (apt install dataset-fashion-mnist?)")


def downscale(images_u8: np.ndarray) -> np.ndarray:
    """uint8 Nx28x28 -> uint8 Nx14x14, mean of each 2x2 block, rounded."""
    x = images_u8.astype(np.float32).reshape(-1, ITEM, 2, ITEM, 2).mean(axis=(2, 4))
    return np.rint(x).astype(np.uint8)


def make_clips(items_u8: np.ndarray, n: int, rng: np.random.RandomState):
    """n clips (uint8 [n, T, 1, 32, 32]) and labels (int64 [n]) from random items."""
    span = CANVAS - ITEM                       # 18: positions 0..18 keep the item inside
    s_max = span - STEP * (T - 1)              # 4: starts 0..4 along the motion axis
    idx = rng.randint(0, len(items_u8), size=n)
    labels = rng.randint(0, 4, size=n)
    start = rng.randint(0, s_max + 1, size=n)
    # The fixed coordinate follows the per-frame marginal of the moving one (start + 2t).
    fixed = rng.randint(0, s_max + 1, size=n) + STEP * rng.randint(0, T, size=n)
    clips = np.zeros((n, T, 1, CANVAS, CANVAS), np.uint8)
    t = np.arange(T)
    for i in range(n):
        d = labels[i]
        moving = start[i] + STEP * t if d in (0, 2) else span - start[i] - STEP * t
        xs, ys = (moving, np.full(T, fixed[i])) if d in (0, 1) else (np.full(T, fixed[i]), moving)
        for k in range(T):
            clips[i, k, 0, ys[k]:ys[k] + ITEM, xs[k]:xs[k] + ITEM] = items_u8[idx[i]]
    return clips, labels.astype(np.int64)


def to_input(clips_u8: np.ndarray) -> np.ndarray:
    """uint8 [n, T, 1, 32, 32] -> float32 [n, T, 1, 32, 32] in [0, 1]."""
    return clips_u8.astype(np.float32) / np.float32(255.0)


# ---------------------------------------------------------------- model

def build(torch):
    nn = torch.nn

    def fold_of(c):
        return c // 8

    # The shift variants. All take and return (N*T, C, H, W); T is the module constant.
    def shift_bi_cat(x):
        nt, c, h, w = x.shape
        f = fold_of(c)
        x5 = x.reshape(nt // T, T, c, h, w)
        z = torch.zeros(nt // T, 1, f, h, w, dtype=x.dtype)
        left = torch.cat((x5[:, 1:, :f], z), dim=1)            # frame t takes t+1
        right = torch.cat((z, x5[:, :-1, f:2 * f]), dim=1)     # frame t takes t-1
        return torch.cat((left, right, x5[:, :, 2 * f:]), dim=2).reshape(nt, c, h, w)

    def shift_bi_inplace(x):
        # The original TSM code (temporal_shift.py, TemporalShift.shift, inplace=False).
        nt, c, h, w = x.shape
        fold = fold_of(c)
        x = x.view(nt // T, T, c, h, w)
        out = torch.zeros_like(x)
        out[:, :-1, :fold] = x[:, 1:, :fold]  # shift left
        out[:, 1:, fold: 2 * fold] = x[:, :-1, fold: 2 * fold]  # shift right
        out[:, :, 2 * fold:] = x[:, :, 2 * fold:]  # not shift
        return out.view(nt, c, h, w)

    def shift_uni_cat(x):
        nt, c, h, w = x.shape
        f = fold_of(c)
        x5 = x.reshape(nt // T, T, c, h, w)
        z = torch.zeros(nt // T, 1, f, h, w, dtype=x.dtype)
        past = torch.cat((z, x5[:, :-1, :f]), dim=1)           # frame t takes t-1
        return torch.cat((past, x5[:, :, f:]), dim=2).reshape(nt, c, h, w)

    def no_shift(x):
        return x

    SHIFTS = {"none": no_shift, "bi_cat": shift_bi_cat, "bi_inplace": shift_bi_inplace,
              "uni_cat": shift_uni_cat}

    def conv_bn(cin, cout, k, stride=1, relu=True):
        layers = [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False),
                  nn.BatchNorm2d(cout)]
        if relu:
            layers.append(nn.ReLU())
        return nn.Sequential(*layers)

    class TSMBlock(nn.Module):
        """y = x + BN(conv3x3(ReLU(BN(conv1x1(shift(x))))))"""

        def __init__(self, c):
            super().__init__()
            self.pw = conv_bn(c, c, 1)
            self.conv = conv_bn(c, c, 3, relu=False)

        def forward(self, x, shift):
            return x + self.conv(self.pw(shift(x)))

    class Net(nn.Module):
        # (channels, H, W) at the three shift sites, for the online buffers.
        SITES = ((16, 16, 16), (32, 8, 8), (32, 8, 8))

        def __init__(self, shift="none"):
            super().__init__()
            self.shift = shift
            self.stem = conv_bn(1, 16, 3, stride=2)
            self.block_a = TSMBlock(16)
            self.down = conv_bn(16, 32, 3, stride=2)
            self.block_b = TSMBlock(32)
            self.head = conv_bn(32, 32, 1)
            self.fc = nn.Linear(32, 4)

        def run(self, x, shifts):
            x = self.stem(x)
            x = self.block_a(x, shifts[0])
            x = self.down(x)
            x = self.block_b(x, shifts[1])
            x = self.head(shifts[2](x))
            return self.fc(x.mean(dim=(2, 3)))

        def forward(self, x):
            s = SHIFTS[self.shift]
            return self.run(x, (s, s, s))

    class Online(nn.Module):
        """One frame of the unidirectional model, the shift buffers as explicit inputs/outputs."""

        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, frame, shift_buffer_0, shift_buffer_1, shift_buffer_2):
            new = []

            def site(buf):
                def shift(x):
                    fold = x.shape[1] // 8
                    new.append(x[:, :fold])
                    return torch.cat((buf, x[:, fold:]), dim=1)
                return shift

            logits = self.net.run(frame, (site(shift_buffer_0), site(shift_buffer_1),
                                          site(shift_buffer_2)))
            return (logits, *new)

    return Net, Online


# ---------------------------------------------------------------- training

def train_one(torch, Net, shift, train_x, train_y, args, log):
    import torch.nn.functional as F

    torch.manual_seed(SEED)
    model = Net(shift)
    gen = torch.Generator().manual_seed(SEED)
    n = len(train_x)
    bs = args.batch_size
    steps = (n + bs - 1) // bs
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr,
                                                total_steps=args.epochs * steps, pct_start=0.2)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        total, correct = 0.0, 0
        for s in range(steps):
            idx = perm[s * bs:(s + 1) * bs]
            xb = train_x[idx].float().div_(255.0).reshape(-1, 1, CANVAS, CANVAS)
            yb = train_y[idx]
            clip_logits = model(xb).reshape(len(idx), T, 4).mean(dim=1)
            loss = F.cross_entropy(clip_logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
            correct += int((clip_logits.argmax(1) == yb).sum())
        log(f"  [{shift}] epoch {epoch + 1}/{args.epochs}: loss {total / n:.4f} "
            f"train acc {correct / n:.4f} ({time.time() - t0:.0f} s)")
    model.eval()
    return model, time.time() - t0


def torch_predict(torch, model, clips_f32):
    """float32 [n, T, 1, 32, 32] -> per-frame logits [n, T, 4] (numpy)."""
    out = []
    with torch.no_grad():
        for i in range(0, len(clips_f32), 250):
            xb = torch.from_numpy(clips_f32[i:i + 250]).reshape(-1, 1, CANVAS, CANVAS)
            out.append(model(xb).reshape(-1, T, 4).numpy())
    return np.concatenate(out)


def clip_pred(frame_logits):
    return frame_logits.mean(axis=1).argmax(axis=1)


# ---------------------------------------------------------------- export

def export(torch, module, args_tuple, path, input_names, output_names):
    torch.onnx.export(module, args_tuple, str(path), opset_version=OPSET,
                      input_names=list(input_names), output_names=list(output_names),
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)


def op_counts(path):
    import onnx
    m = onnx.load(str(path))
    return collections.Counter(n.op_type for n in m.graph.node)


def ort_offline(path, clips_f32):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    return np.stack([sess.run(None, {"frames": c})[0] for c in clips_f32])


def ort_online(path, clips_f32, sites):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    out = np.zeros((len(clips_f32), T, 4), np.float32)
    for i, clip in enumerate(clips_f32):
        bufs = [np.zeros((1, c // 8, h, w), np.float32) for c, h, w in sites]
        for t in range(T):
            feeds = {"frame": clip[t:t + 1]}
            feeds.update({f"shift_buffer_{k}": b for k, b in enumerate(bufs)})
            res = sess.run(None, feeds)
            out[i, t] = res[0][0]
            bufs = res[1:]
    return out


# ---------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the .onnx files go")
    ap.add_argument("--data-out", type=Path, default=DEFAULT_DATA_OUT,
                    help="where test_clips.npy, test_labels.npy, calib.npy go")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Fashion-MNIST idx files")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=32, help="clips per batch (x8 frames)")
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (results are reproducible for a given count)")
    ap.add_argument("--readme", type=Path, default=HERE / "README.md",
                    help="write the summary table into this file, between its summary markers")
    ap.add_argument("--no-readme", action="store_true", help="only print the summary")
    args = ap.parse_args()

    import torch

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)
    lines = []

    def log(s):
        print(s, flush=True)

    t_start = time.time()
    train_items = downscale(read_idx(find(args.data, "train-images-idx3-ubyte")))
    test_items = downscale(read_idx(find(args.data, "t10k-images-idx3-ubyte")))
    train_clips, train_labels = make_clips(train_items, N_TRAIN, np.random.RandomState(SEED))
    test_clips, test_labels = make_clips(test_items, N_TEST, np.random.RandomState(SEED + 1))
    calib_pick = np.random.RandomState(SEED + 2).permutation(N_TRAIN)[:N_CALIB]
    log(f"data: {N_TRAIN} train clips, {N_TEST} test clips ({time.time() - t_start:.1f} s); "
        f"train label counts {np.bincount(train_labels).tolist()}, "
        f"test {np.bincount(test_labels).tolist()}")

    train_x = torch.from_numpy(train_clips)       # uint8, scaled per batch
    train_y = torch.from_numpy(train_labels)
    test_f32 = to_input(test_clips)

    Net, Online = build(torch)
    models, times, torch_logits = {}, {}, {}
    for shift in ("none", "bi_cat", "uni_cat"):
        model, secs = train_one(torch, Net, shift, train_x, train_y, args, log)
        models[shift], times[shift] = model, secs
        torch_logits[shift] = torch_predict(torch, model, test_f32)
        acc = float((clip_pred(torch_logits[shift]) == test_labels).mean())
        log(f"  [{shift}] trained in {secs:.0f} s, {sum(p.numel() for p in model.parameters())} "
            f"params, held-out clip accuracy (torch) {acc:.4f}")

    # ---- export
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    dummy = torch.from_numpy(test_f32[0])                      # [8,1,32,32]
    exports = [  # file, model, shift implementation at export, torch reference
        ("tsm_noshift.onnx", "none", "none"),
        ("tsm_slice_concat.onnx", "bi_cat", "bi_cat"),
        ("tsm_inplace.onnx", "bi_cat", "bi_inplace"),
        ("tsm_unidirectional.onnx", "uni_cat", "uni_cat"),
    ]
    for fname, trained, impl in exports:
        m = models[trained]
        m.shift = impl
        if impl != trained:   # the in-place form must compute the same function in torch too
            alt = torch_predict(torch, m, test_f32)
            diff = float(np.abs(alt - torch_logits[trained]).max())
            log(f"  torch {impl} vs {trained}: max |diff| {diff:.2e}")
            assert diff < 1e-5
        export(torch, m, (dummy,), out / fname, ["frames"], ["logits"])
        m.shift = trained
    online = Online(models["uni_cat"]).eval()
    bufs = tuple(torch.zeros(1, c // 8, h, w) for c, h, w in Net.SITES)
    export(torch, online, (dummy[:1], *bufs), out / "tsm_online.onnx",
           ["frame"] + [f"shift_buffer_{k}" for k in range(len(bufs))],
           ["logits"] + [f"shift_buffer_out_{k}" for k in range(len(bufs))])

    # ---- test data
    dout = args.data_out
    dout.mkdir(parents=True, exist_ok=True)
    np.save(dout / "test_clips.npy", test_clips[:N_TEST_STORED])
    np.save(dout / "test_labels.npy", test_labels[:N_TEST_STORED])
    np.save(dout / "calib.npy", to_input(train_clips[calib_pick]))

    # ---- verify with onnxruntime
    rows = []
    stored = slice(0, N_TEST_STORED)
    ort_logits = {}
    for fname, trained, impl in exports:
        lg = ort_offline(out / fname, test_f32)
        ort_logits[fname] = lg
        tacc = float((clip_pred(torch_logits[trained]) == test_labels).mean())
        oacc = float((clip_pred(lg) == test_labels).mean())
        sacc = float((clip_pred(lg[stored]) == test_labels[stored]).mean())
        diff = float(np.abs(lg - torch_logits[trained]).max())
        rows.append((fname, trained, tacc, oacc, sacc, diff))
    lg_on = ort_online(out / "tsm_online.onnx", test_f32, Net.SITES)
    oacc = float((clip_pred(lg_on) == test_labels).mean())
    sacc = float((clip_pred(lg_on[stored]) == test_labels[stored]).mean())
    diff_torch = float(np.abs(lg_on - torch_logits["uni_cat"]).max())
    diff_off = float(np.abs(lg_on - ort_logits["tsm_unidirectional.onnx"]).max())
    tacc = float((clip_pred(torch_logits["uni_cat"]) == test_labels).mean())
    rows.append(("tsm_online.onnx (frame by frame)", "uni_cat", tacc, oacc, sacc, diff_torch))

    names = {"none": "no shift", "bi_cat": "bidirectional", "uni_cat": "unidirectional"}
    table = ["| file | model | torch acc (2000) | onnxruntime acc (2000) | "
             "onnxruntime acc (stored 256) | max abs diff vs torch logits | size (bytes) |",
             "|---|---|---|---|---|---|---|"]
    for fname, trained, tacc, oacc, sacc, diff in rows:
        size = (out / fname.split()[0]).stat().st_size
        table.append(f"| `{fname}` | {names[trained]} | {tacc:.4f} | {oacc:.4f} | {sacc:.4f} | "
                     f"{diff:.1e} | {size} |")
    ops = []
    for fname in [e[0] for e in exports] + ["tsm_online.onnx"]:
        c = op_counts(out / fname)
        ops.append(f"- `{fname}` ({sum(c.values())} nodes): "
                   + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
    ok = all(abs(r[2] - r[3]) == 0 for r in rows) and diff_off <= 1e-5
    summary = "\n".join(
        table
        + ["",
           f"Online vs offline unidirectional (onnxruntime, all {N_TEST} test clips x {T} frames, "
           f"buffers start at zero): max abs logit difference {diff_off:.1e} "
           f"({'<= 1e-5, OK' if diff_off <= 1e-5 else 'ABOVE 1e-5'}).",
           "",
           "Training time (torch, " + f"{args.threads} thread(s), {args.epochs} epochs, "
           f"batch {args.batch_size} clips): "
           + ", ".join(f"{names[k]} {times[k]:.0f} s" for k in times)
           + f"; whole script {time.time() - t_start:.0f} s.",
           "",
           "Ops of the exported graphs:",
           ""] + ops)
    print("\n" + summary, flush=True)
    if not args.no_readme and args.readme.exists():
        text = args.readme.read_text()
        begin, end = "<!-- summary begin -->", "<!-- summary end -->"
        if begin in text and end in text:
            head, rest = text.split(begin, 1)
            _, tail = rest.split(end, 1)
            args.readme.write_text(head + begin + "\n" + summary + "\n" + end + tail)
            print(f"updated the summary in {args.readme}")
    if not ok:
        print("VERIFICATION FAILED")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
