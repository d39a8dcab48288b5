#!/usr/bin/env python3
"""Writes the seed corpus of the importer fuzz target (tests/fuzz/corpus/).

The corpus holds small binary ONNX models, each under 64 KiB:
  seed-*.onnx    the valid seed models of benchmarks/hostile/seeds.py (conv nets, MatMul, QDQ,
                 QLinearMatMul, shape subgraphs, Gather / Concat, ConstantOfShape / Range, ...);
  lit-*.onnx     every model of tests/lit/importer/*.onnxtext (and its split-file parts) that the
                 ONNX parser reads, converted to binary: the importer's own test cases, errors
                 included;
  mutant-*.onnx  a few structure-aware mutants (benchmarks/hostile/mutate.py, seed 0) of the
                 families that need no side files.
The bundled models of examples/models are the rest of the corpus: the fuzz runs pass that folder
too (tests/fuzz/README.md). Deterministic: running it again gives the same files.

Usage: make_corpus.py [--out DIR] [--mutants N]
"""
import argparse
import re
import sys
from pathlib import Path

import onnx
import onnx.parser

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks/hostile"))
import mutate  # noqa: E402
import seeds  # noqa: E402

MAX_BYTES = 64 << 10


def lit_models():
    """(name, ModelProto) for every parseable model in the importer's lit tests."""
    for f in sorted((ROOT / "tests/lit/importer").rglob("*.onnxtext")):
        text = f.read_text()
        parts = re.split(r"^#--- (\S+)\s*$", text, flags=re.M)
        chunks = [(f.stem, parts[0])] + [(f"{f.stem}-{Path(parts[i]).stem}", parts[i + 1])
                                         for i in range(1, len(parts) - 1, 2)]
        for name, chunk in chunks:
            body = "\n".join(ln for ln in chunk.splitlines() if not ln.lstrip().startswith("#"))
            if "<" not in body:
                continue
            try:
                yield name, onnx.parser.parse_model(body)
            except Exception:
                continue


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "corpus"))
    ap.add_argument("--mutants", type=int, default=40, help="structure-aware mutants to add (default 40)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.onnx"):
        old.unlink()
    written = []

    def put(name, data):
        if len(data) <= MAX_BYTES:
            (out / f"{name}.onnx").write_bytes(data)
            written.append(len(data))

    for name, fn in seeds.SEEDS.items():
        put(f"seed-{name}", fn().SerializeToString())
    for name, m in lit_models():
        put(f"lit-{name}", m.SerializeToString())
    fams = ["dims", "dtypes", "attributes", "names", "structure", "shape_ops", "tensors"]
    for i in range(args.mutants):
        mu = mutate.make_mutant(0, i, fams)
        put(f"mutant-{i:03d}-{mu.family}", mu.serialized())
    print(f"{out}: {len(written)} models, {sum(written) / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
