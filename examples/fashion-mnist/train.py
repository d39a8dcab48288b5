#!/usr/bin/env python3
"""Train a small microcontroller-style CNN on Fashion-MNIST and export it to ONNX.

Data: Debian's dataset-fashion-mnist package (idx files under /usr/share/datasets/fashion-mnist/,
override with --data). Training runs on the CPU with Debian's torch (1.13), seeded and with
torch.use_deterministic_algorithms(True), so a rerun with the same --threads (default 1) gives the
same weights on the same machine; another thread count gives slightly different ones. 8 epochs of
AdamW with a one-cycle schedule, random horizontal flips: about 3 to 4 minutes on one core, 90.7%
test accuracy (examples/models/fashion_mnist_cnn.onnx is the output of the default settings).

Preprocessing (the model's input, name `input`, float32 1x1x28x28, NCHW):
    x = (pixel / 255 - 0.2860) / 0.3530          pixel in 0..255, the idx image as stored
so the input roughly has mean 0 and standard deviation 1 (0.2860 / 0.3530 are the training set's
mean / std). The output `logits` (1x10) are raw class scores (no softmax); the classes are the
Fashion-MNIST labels 0..9 (T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag,
Ankle boot).

Network (BatchNorm folded into the convolutions by torch's ONNX export in eval mode):
    conv3x3 1->16 + BN + ReLU          28x28
    maxpool 2x2                        14x14
    conv3x3 16->32 + BN + ReLU         14x14
    maxpool 2x2                         7x7
    depthwise-separable residual block: dw3x3 32 + BN + ReLU, pw1x1 32->32 + BN, + input, ReLU
    depthwise-separable block: dw3x3 32 + BN + ReLU, pw1x1 32->64 + BN + ReLU
    global average pool, fully connected 64->10

Writes to --out (default examples/fashion-mnist/out/):
    model.onnx            opset 13, static batch-1 shape, input `input`, output `logits`
    calib/input_NNN.npy   200 training images (float32 1x1x28x28, preprocessed), for calibration
    test_x.npy            10000x1x28x28 float32, the preprocessed test set
    test_y.npy            10000 int64 labels
    float_accuracy.txt    top-1 accuracy of the exported model on the test set (onnxruntime)

Run it with the repository's venv: .venv/bin/python examples/fashion-mnist/train.py [--out DIR]
"""

from __future__ import annotations

import argparse
import gzip
import random
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = Path("/usr/share/datasets/fashion-mnist")
DEFAULT_OUT = HERE / "out"
MEAN = 0.2860
STD = 0.3530
SEED = 0
INPUT_NAME = "input"
OUTPUT_NAME = "logits"
OPSET = 13
N_CALIB = 200


def read_idx(path: Path) -> np.ndarray:
    """Read an idx file (gzip-compressed or not): uint8 data, big-endian int32 dims."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = data[0] * 256 + data[1], data[2], data[3]
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an idx file of uint8")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def find(data_dir: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (data_dir / name).exists():
            return data_dir / name
    raise FileNotFoundError(f"{data_dir}/{stem}[.gz] not found (apt install dataset-fashion-mnist?)")


def load(data_dir: Path):
    tx = read_idx(find(data_dir, "train-images-idx3-ubyte"))
    ty = read_idx(find(data_dir, "train-labels-idx1-ubyte"))
    vx = read_idx(find(data_dir, "t10k-images-idx3-ubyte"))
    vy = read_idx(find(data_dir, "t10k-labels-idx1-ubyte"))
    return tx, ty.astype(np.int64), vx, vy.astype(np.int64)


def preprocess(images_u8: np.ndarray) -> np.ndarray:
    """uint8 Nx28x28 -> float32 Nx1x28x28, normalised as documented above."""
    x = images_u8.astype(np.float32) / 255.0
    x = (x - np.float32(MEAN)) / np.float32(STD)
    return x[:, None, :, :].astype(np.float32)


def build_model():
    import torch.nn as nn

    def conv_bn(cin, cout, k, groups=1, relu=True):
        layers = [nn.Conv2d(cin, cout, k, padding=k // 2, groups=groups, bias=False),
                  nn.BatchNorm2d(cout)]
        if relu:
            layers.append(nn.ReLU(inplace=False))
        return nn.Sequential(*layers)

    class DSResidual(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.dw = conv_bn(c, c, 3, groups=c)
            self.pw = conv_bn(c, c, 1, relu=False)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.relu(self.pw(self.dw(x)) + x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                conv_bn(1, 16, 3),
                nn.MaxPool2d(2),
                conv_bn(16, 32, 3),
                nn.MaxPool2d(2),
                DSResidual(32),
                conv_bn(32, 32, 3, groups=32),
                conv_bn(32, 64, 1),
            )
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            x = self.pool(self.features(x))
            return self.fc(x.flatten(1))

    return Net()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (results are reproducible for a given count)")
    args = ap.parse_args()

    import torch
    import torch.nn.functional as F

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)

    t0 = time.time()
    tx, ty, vx, vy = load(args.data)
    train_x = torch.from_numpy(preprocess(tx))
    train_y = torch.from_numpy(ty)
    test_x_np = preprocess(vx)
    test_x = torch.from_numpy(test_x_np)

    model = build_model()
    steps_per_epoch = (len(train_x) + args.batch_size - 1) // args.batch_size
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=1e-2, total_steps=args.epochs * steps_per_epoch, pct_start=0.2)
    gen = torch.Generator().manual_seed(SEED)

    def evaluate(xs: torch.Tensor) -> np.ndarray:
        model.eval()
        preds = []
        with torch.no_grad():
            for i in range(0, len(xs), 1000):
                preds.append(model(xs[i:i + 1000]).argmax(1))
        model.train()
        return torch.cat(preds).numpy()

    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(train_x), generator=gen)
        total_loss = 0.0
        for s in range(steps_per_epoch):
            idx = perm[s * args.batch_size:(s + 1) * args.batch_size]
            xb, yb = train_x[idx], train_y[idx]
            # Augmentation: random horizontal flip of half the batch.
            flip = torch.rand(len(xb), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = F.cross_entropy(model(xb), yb, label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += float(loss)
        acc = float((evaluate(test_x) == vy).mean())
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total_loss / steps_per_epoch:.4f} "
              f"test acc {acc:.4f} ({time.time() - t0:.0f} s)", flush=True)

    model.eval()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    onnx_path = out / "model.onnx"
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), str(onnx_path), opset_version=OPSET,
        input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], do_constant_folding=True,
        training=torch.onnx.TrainingMode.EVAL)

    # Calibration samples: the first N_CALIB images of a seeded permutation of the training set.
    calib = out / "calib"
    calib.mkdir(exist_ok=True)
    for old in calib.glob("*.npy"):
        old.unlink()
    pick = np.random.RandomState(SEED + 1).permutation(len(train_x))[:N_CALIB]
    for i, j in enumerate(pick):
        np.save(calib / f"{INPUT_NAME}_{i:03d}.npy", train_x[j:j + 1].numpy().astype(np.float32))

    np.save(out / "test_x.npy", test_x_np)
    np.save(out / "test_y.npy", vy)

    # The accuracy of the exported file, through onnxruntime (the reference of eval.py).
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    preds = np.array([int(sess.run(None, {INPUT_NAME: test_x_np[i:i + 1]})[0].argmax())
                      for i in range(len(test_x_np))])
    acc = float((preds == vy).mean())
    torch_acc = float((evaluate(test_x) == vy).mean())
    (out / "float_accuracy.txt").write_text(f"{acc:.4f}\n")
    print(f"onnxruntime test accuracy {acc:.4f} (torch {torch_acc:.4f}); "
          f"wrote {onnx_path}, {calib}/ ({N_CALIB} samples), test_x.npy, test_y.npy "
          f"in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
