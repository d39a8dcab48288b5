#!/usr/bin/env python3
"""NumPy reference logits of a hand-written decoder step function whose linears
are pare.matmul_nbits (tests/lit/codegen/Inputs/decoder_tiny_w4.mlir).

Each pare.matmul_nbits line becomes a pare.matmul by its dequantized weight
W[k, n] = (qweight[n, k] - zero_points[n, k / G]) * scales[n, k / G] (the op's
definition, in float64), and the float step function is interpreted by
tests/e2e/llm_decoder_c.py's mlir_reference (full-sequence semantics, float64).
Writes the logits of every position, float32 [S, V], for tests/cuda/
decoder_check.c (--ref); with --check C.npy also prints the largest difference
from another reference (the C target's logits) relative to max|ref| and exits 1
above --tol.

  w4_reference.py STEP.mlir IDS.npy OUT.npy [--check C.npy --tol 1e-5]
"""

import argparse
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from llm_decoder_c import _attr, _dense, mlir_reference  # noqa: E402

CONST = re.compile(r"%(\w+) = pare\.constant (dense<.*>) : tensor<[^>]*>( loc\(.*\))?$")
NBITS = re.compile(r"%(\w+) = pare\.matmul_nbits %(\w+), %(\w+), %(\w+), %(\w+) (\{[^}]*\}) : "
                   r"\(tensor<\?x(\d+)xf32>, [^)]*\) -> tensor<\?x(\d+)xf32>(.*)$")


def dequantized_ir(text):
    """`text` with every matmul_nbits replaced by a matmul of its dequantized
    weight (a new constant [K, N])."""
    consts = {}
    out = []
    for line in text.splitlines():
        s = line.strip()
        m = CONST.match(s)
        if m:
            consts[m.group(1)] = m.group(2)
        m = NBITS.match(s)
        if not m:
            out.append(line)
            continue
        name, x, q, sc, z, attrs, k, n, rest = m.groups()
        if int(_attr(attrs, "bits")) != 4:
            raise ValueError(f"{name}: bits must be 4")
        g = int(_attr(attrs, "group_size"))
        qv, sv, zv = _dense(consts[q]), _dense(consts[sc]), _dense(consts[z])
        cols = np.arange(int(k)) // g
        w = ((qv - zv[:, cols]) * sv[:, cols]).T  # [K, N]
        body = "[" + ", ".join("[" + ", ".join("%.17g" % v for v in row) + "]" for row in w) + "]"
        out.append(f"    %{name}_w = pare.constant dense<{body}> : tensor<{k}x{n}xf32>")
        out.append(f"    %{name} = pare.matmul %{x}, %{name}_w : (tensor<?x{k}xf32>, tensor<{k}x{n}xf32>) "
                   f"-> tensor<?x{n}xf32>{rest}")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mlir")
    ap.add_argument("ids")
    ap.add_argument("out")
    ap.add_argument("--check", help="another reference's logits [S, V] to compare with")
    ap.add_argument("--tol", type=float, default=1e-5)
    a = ap.parse_args()
    ids = np.load(a.ids).reshape(-1)
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "float.mlir"
        f.write_text(dequantized_ir(Path(a.mlir).read_text()))
        logits = mlir_reference(f, ids)
    np.save(a.out, logits.astype(np.float32))
    if a.check:
        other = np.load(a.check).reshape(logits.shape)
        err = float(np.abs(other - logits).max() / np.abs(logits).max())
        print(f"w4_reference: {a.check} vs the NumPy reference: {err:.2e} of max|ref| (tol {a.tol})")
        return 0 if err <= a.tol else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
