#!/usr/bin/env python3
"""Export the torchvision models that pare's end-to-end tests and benchmarks use, to ONNX.

Models (opset 13, eval mode, random weights from torch.manual_seed(0); nothing is downloaded):
  mobilenet_v2_035   torchvision mobilenet_v2(width_mult=0.35)   input 1x3x144x144
  resnet18           torchvision resnet18                         input 1x3x224x224
  squeezenet1_1      torchvision squeezenet1_1                    input 1x3x224x224

Memory-planning benchmark models (benchmarks/memory; exported only when named with --model or
--benchmark-models, not by default):
  mobilenet_v2_100       torchvision mobilenet_v2(width_mult=1.0)    input 1x3x224x224
  mobilenet_v2_100_144   torchvision mobilenet_v2(width_mult=1.0)    input 1x3x144x144
  mobilenet_v2_035_224   torchvision mobilenet_v2(width_mult=0.35)   input 1x3x224x224
  mobilenet_v3_small     torchvision mobilenet_v3_small              input 1x3x224x224
  mobilenet_v2_100_c100  mobilenet_v2(width_mult=1.0, num_classes=100) input 1x3x224x224
                         (benchmarks/cortex-m/qdq_done.py: 1000 classes overflow QEMU's 4 MiB flash)

Small models that tests/e2e/make_qdq_models.py quantizes with onnxruntime (exported only when
named with --model, or with --benchmark-models):
  mobilenet_v2_035_96    torchvision mobilenet_v2(width_mult=0.35)   input 1x3x96x96
  mnasnet0_5_96          torchvision mnasnet0_5                      input 1x3x96x96
  squeezenet1_1_64       torchvision squeezenet1_1                   input 1x3x64x64

So that BatchNorm folding is really exercised, every BatchNorm gets random affine parameters and
running statistics measured on seeded random data (a few forward passes in train mode) before the
model is put in eval mode, and the BatchNormalization nodes are kept in the ONNX file (torch would
otherwise fold them into the convolutions itself). Biases that torchvision initialises to zero get
small random values. The export is deterministic: the same files on every run.

Each model has one input named `input` and one output named `logits`. An `export_stamp.json` in the
output directory records what produced the files, so later runs skip models that are up to date.

Run it with the repository's venv: .venv/bin/python scripts/export_models.py [OUT_DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pare_harness as H  # noqa: E402

DEFAULT_OUT = H.REPO_ROOT / "build" / "models"
OPSET = 13
SEED = 0
INPUT_NAME = "input"
OUTPUT_NAME = "logits"
STAMP = "export_stamp.json"


@dataclass(frozen=True)
class ModelSpec:
    name: str  # also the file stem and so pare's default --name
    input_shape: Tuple[int, int, int, int]
    build: Callable[[], object]
    description: str


def _specs() -> Dict[str, ModelSpec]:
    import torchvision

    return {
        s.name: s
        for s in [
            ModelSpec(
                "mobilenet_v2_035",
                (1, 3, 144, 144),
                lambda: torchvision.models.mobilenet_v2(weights=None, width_mult=0.35),
                "torchvision mobilenet_v2(width_mult=0.35)",
            ),
            ModelSpec("resnet18", (1, 3, 224, 224), lambda: torchvision.models.resnet18(weights=None), "torchvision resnet18"),
            ModelSpec(
                "squeezenet1_1", (1, 3, 224, 224), lambda: torchvision.models.squeezenet1_1(weights=None), "torchvision squeezenet1_1"
            ),
            ModelSpec(
                "mobilenet_v2_100",
                (1, 3, 224, 224),
                lambda: torchvision.models.mobilenet_v2(weights=None, width_mult=1.0),
                "torchvision mobilenet_v2(width_mult=1.0)",
            ),
            ModelSpec(
                "mobilenet_v2_100_144",
                (1, 3, 144, 144),
                lambda: torchvision.models.mobilenet_v2(weights=None, width_mult=1.0),
                "torchvision mobilenet_v2(width_mult=1.0)",
            ),
            ModelSpec(
                "mobilenet_v2_035_224",
                (1, 3, 224, 224),
                lambda: torchvision.models.mobilenet_v2(weights=None, width_mult=0.35),
                "torchvision mobilenet_v2(width_mult=0.35)",
            ),
            ModelSpec(
                "mobilenet_v2_100_c100",
                (1, 3, 224, 224),
                lambda: torchvision.models.mobilenet_v2(weights=None, width_mult=1.0, num_classes=100),
                "torchvision mobilenet_v2(width_mult=1.0, num_classes=100)",
            ),
            ModelSpec(
                "mobilenet_v2_035_96",
                (1, 3, 96, 96),
                lambda: torchvision.models.mobilenet_v2(weights=None, width_mult=0.35),
                "torchvision mobilenet_v2(width_mult=0.35)",
            ),
            ModelSpec("mnasnet0_5_96", (1, 3, 96, 96), lambda: torchvision.models.mnasnet0_5(weights=None), "torchvision mnasnet0_5"),
            ModelSpec(
                "squeezenet1_1_64", (1, 3, 64, 64), lambda: torchvision.models.squeezenet1_1(weights=None), "torchvision squeezenet1_1"
            ),
            ModelSpec(
                "mobilenet_v3_small",
                (1, 3, 224, 224),
                lambda: torchvision.models.mobilenet_v3_small(weights=None),
                "torchvision mobilenet_v3_small",
            ),
        ]
    }


MODEL_NAMES: List[str] = ["mobilenet_v2_035", "resnet18", "squeezenet1_1"]
# Exported only on request (benchmarks/memory): the default export stays as the tests expect.
BENCHMARK_MODEL_NAMES: List[str] = ["mobilenet_v2_100", "mobilenet_v2_100_144", "mobilenet_v2_035_224", "mobilenet_v3_small",
                                     "mobilenet_v2_100_c100"]
# Small versions that tests/e2e/make_qdq_models.py quantizes with onnxruntime (exported on request).
QDQ_TEST_MODEL_NAMES: List[str] = ["mobilenet_v2_035_96", "mnasnet0_5_96", "squeezenet1_1_64"]
ALL_MODEL_NAMES: List[str] = MODEL_NAMES + BENCHMARK_MODEL_NAMES + QDQ_TEST_MODEL_NAMES


def _randomize_zero_biases(model, gen) -> None:
    """torchvision initialises some biases to zero (squeezenet's convs, mobilenet's classifier).

    Zero biases test nothing, and torch's exporter merges identical initializers into Identity
    nodes; give them small seeded random values instead.
    """
    import torch

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.bias is not None and not m.bias.any():
                m.bias.copy_(torch.empty_like(m.bias).uniform_(-0.1, 0.1, generator=gen))


def _calibrate_batchnorm(model, input_shape: Sequence[int], gen) -> None:
    """Give every BatchNorm random affine parameters and real running statistics."""
    import torch

    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    with torch.no_grad():
        for bn in bns:
            bn.weight.copy_(torch.empty_like(bn.weight).uniform_(0.5, 1.5, generator=gen))
            bn.bias.copy_(torch.empty_like(bn.bias).normal_(0.0, 0.1, generator=gen))
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average over the calibration batches
        model.train()
        _, c, h, w = input_shape
        for _ in range(4):
            model(torch.randn(8, c, h, w, generator=gen))
        for bn in bns:
            bn.momentum = 0.1  # torch's default again, so the export is the usual one


def export_model(spec: ModelSpec, out_dir: Path, verbose: bool = False) -> Path:
    """Export one model to out_dir/<name>.onnx and check it; returns the path."""
    import onnx
    import torch

    torch.manual_seed(SEED)
    model = spec.build()
    gen = torch.Generator().manual_seed(SEED + 1)
    _randomize_zero_biases(model, gen)
    _calibrate_batchnorm(model, spec.input_shape, gen)
    model.eval()
    example = torch.randn(*spec.input_shape, generator=gen)
    path = out_dir / f"{spec.name}.onnx"
    tmp = out_dir / f".{spec.name}.onnx.tmp"
    # TrainingMode.PRESERVE on a model in eval mode exports inference-mode BatchNormalization nodes;
    # TrainingMode.EVAL would fold them into the convolutions here, and pare's BatchNorm folding
    # would go untested. (torch warns about constant folding in PRESERVE mode: harmless in eval.)
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
            verbose=False,
        )
    m = onnx.load(str(tmp))
    onnx.checker.check_model(m, full_check=True)
    n_bn = sum(1 for n in m.graph.node if n.op_type == "BatchNormalization")
    expected_bn = sum(1 for x in model.modules() if isinstance(x, torch.nn.modules.batchnorm._BatchNorm))
    if n_bn != expected_bn:
        raise H.HarnessError(f"{spec.name}: exported {n_bn} BatchNormalization nodes, expected {expected_bn}")
    tmp.replace(path)
    if verbose:
        print(f"  {path}: {len(m.graph.node)} nodes, {path.stat().st_size} bytes", file=sys.stderr)
    return path


def _stamp_key() -> dict:
    import torch
    import torchvision

    src = Path(__file__).read_bytes()
    return {
        "script_sha256": hashlib.sha256(src).hexdigest(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "opset": OPSET,
    }


def export_models(
    out_dir: Path = DEFAULT_OUT, names: Optional[Sequence[str]] = None, force: bool = False, verbose: bool = False
) -> Dict[str, Path]:
    """Export the named models (all by default) unless up to date; returns {name: path}."""
    import torch

    specs = _specs()
    names = list(names) if names else list(MODEL_NAMES)
    for n in names:
        if n not in specs:
            raise H.HarnessError(f"unknown model {n!r} (known: {', '.join(ALL_MODEL_NAMES)})")
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp_path = out_dir / STAMP
    key = _stamp_key()
    stamp = {}
    if stamp_path.exists():
        try:
            stamp = json.loads(stamp_path.read_text())
        except ValueError:
            stamp = {}
    if stamp.get("key") != key:
        stamp = {"key": key, "models": {}}
    result: Dict[str, Path] = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # BatchNorm statistics independent of the core count
    try:
        for n in names:
            path = out_dir / f"{n}.onnx"
            recorded = stamp["models"].get(n)
            if not force and path.exists() and recorded == hashlib.sha256(path.read_bytes()).hexdigest():
                if verbose:
                    print(f"  {path}: up to date", file=sys.stderr)
                result[n] = path
                continue
            if verbose:
                print(f"exporting {n} ({specs[n].description}, input {'x'.join(map(str, specs[n].input_shape))})", file=sys.stderr, flush=True)
            export_model(specs[n], out_dir, verbose)
            stamp["models"][n] = hashlib.sha256(path.read_bytes()).hexdigest()
            stamp_path.write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n")
            result[n] = path
    finally:
        torch.set_num_threads(threads)
    return result


def input_shape_of(name: str) -> Tuple[int, int, int, int]:
    return _specs()[name].input_shape


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Models: " + ", ".join(MODEL_NAMES) + "; on request: " + ", ".join(BENCHMARK_MODEL_NAMES + QDQ_TEST_MODEL_NAMES) + f". Default OUT_DIR: {DEFAULT_OUT}",
    )
    ap.add_argument("out_dir", nargs="?", type=Path, default=DEFAULT_OUT, help="output directory (default: build/models)")
    ap.add_argument("--model", action="append", choices=ALL_MODEL_NAMES, help="export only this model (repeatable)")
    ap.add_argument("--benchmark-models", action="store_true", help="export the memory-planning benchmark models and the QDQ test models too")
    ap.add_argument("--force", action="store_true", help="re-export even when the files are up to date")
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    args = ap.parse_args(argv)
    H.ensure_python_deps(("numpy", "onnx", "torch", "torchvision"))
    try:
        names = args.model or (ALL_MODEL_NAMES if args.benchmark_models else None)
        paths = export_models(args.out_dir, names, force=args.force, verbose=not args.quiet)
    except H.HarnessError as exc:
        H.die(str(exc))
    if not args.quiet:
        for n, p in paths.items():
            print(f"{n}: {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
