#!/usr/bin/env python3
"""Compile onnxruntime-quantized (QDQ and QOperator) models with pare and compare with onnxruntime.

Runs tests/e2e/make_qdq_models.py (into --out, default a fresh temporary directory), then for every
quantized model it wrote (NAME_qdq*.onnx, NAME_qop*.onnx): compiles it for the host with
`pare compile --emit-runner`, builds the runner with gcc (-std=c99 -Wall -Wextra -Werror -pedantic
-O2), runs it on many inputs and compares each output with onnxruntime's (CPU execution provider,
default graph optimizations, i.e. onnxruntime's own int8 kernels; for QDQ models with
session.x64quantprecision on: without it, on x86 CPUs without AVX-VNNI, the kernels onnxruntime
fuses QDQ groups into saturate 16-bit pair sums and land up to ~100 steps from the model's meaning)
on the same input.

Every model ends in a DequantizeLinear per output, so an output is a quantized value times the
output scale: the comparison is in units of that final quantization step (scale and zero point read
from the model's last DequantizeLinear), steps = round((pare - onnxruntime) / scale). The criterion:
steps == 0 on at least 99.9% of the elements and |steps| <= 1 on all of them.

Inputs, per model (the first is always the sample make_qdq_models.py stored in MODEL.inputs/):
  * fashion_mnist_cnn_*: Fashion-MNIST test images (t10k, in order) with train.py's preprocessing;
  * ppocr_cls_*: text lines rendered by scripts/render_text_lines.py (its test draw);
  * the small models: seeded standard-normal samples (the calibration distribution).
The sample count is chosen so that each model compares at least --min-elements output elements
(default 10000, so 99.9% allows at most 10 off-by-one elements), within [--min-samples,
--max-samples] (default 100 and 1000).

Prints a table: model, samples, elements, % exact, max |steps|, result. Exit status 1 when a model
fails to compile, build or run, or misses the criterion.

    .venv/bin/python tests/e2e/run_qdq_models.py --pare build/tools/pare/pare [-j 2] [--out DIR]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import pare_harness as H  # noqa: E402

MAKE_MODELS = REPO / "tests" / "e2e" / "make_qdq_models.py"
EXACT_FRACTION = 0.999
MAX_STEPS = 1
SEED = 1234


@dataclass
class Row:
    model: str
    samples: int = 0
    elements: int = 0
    exact: int = 0
    max_steps: int = 0
    error: str = ""
    seconds: float = 0.0
    worst: str = ""

    @property
    def ok(self) -> bool:
        return (not self.error and self.elements > 0 and self.max_steps <= MAX_STEPS
                and self.exact >= EXACT_FRACTION * self.elements)


def output_quant_params(model) -> Dict[str, Tuple[float, int]]:
    """Output name -> (scale, zero point) of the DequantizeLinear producing it."""
    from onnx import numpy_helper

    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for n in model.graph.node:  # Constant nodes holding scales
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            inits[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    prod = {o: n for n in model.graph.node for o in n.output}
    out = {}
    for o in model.graph.output:
        n = prod.get(o.name)
        if n is None or n.op_type != "DequantizeLinear":
            raise H.HarnessError(f"output {o.name!r} is not produced by a DequantizeLinear")
        scale = inits.get(n.input[1])
        if scale is None or scale.size != 1:
            raise H.HarnessError(f"output {o.name!r}: DequantizeLinear scale is not one constant")
        zp = inits.get(n.input[2]) if len(n.input) > 2 and n.input[2] else None
        out[o.name] = (float(scale.reshape(-1)[0]), int(zp.reshape(-1)[0]) if zp is not None else 0)
    return out


def sample_inputs(model_path: Path, count: int, work: Path) -> List[Dict[str, "object"]]:
    """`count` input dicts for the model; the first is the stored MODEL.inputs sample."""
    import numpy as np
    import onnx

    m = onnx.load(str(model_path))
    inits = {i.name for i in m.graph.initializer}
    ins = [(i.name, [d.dim_value for d in i.type.tensor_type.shape.dim]) for i in m.graph.input
           if i.name not in inits]
    stored_dir = Path(str(model_path.with_suffix("")) + ".inputs")
    first = {name: np.load(stored_dir / f"{name}.npy") for name, _ in ins}
    samples = [first]
    need = count - 1
    name = model_path.stem
    if name.startswith("fashion_mnist"):
        sys.path.insert(0, str(REPO / "examples" / "fashion-mnist"))
        import train  # noqa: E402  (examples/fashion-mnist/train.py)

        _, _, vx, _ = train.load(train.DEFAULT_DATA)
        xs = train.preprocess(vx[1:1 + need])  # vx[0] is the stored sample
        samples += [{ins[0][0]: xs[i:i + 1]} for i in range(len(xs))]
    elif name.startswith("ppocr"):
        d = work / "ppocr_inputs"
        if not d.exists():
            subprocess.run([sys.executable, str(REPO / "scripts" / "render_text_lines.py"), "--out", str(d),
                            "--count", str(need)], check=True, stdout=subprocess.DEVNULL)
        samples += [{ins[0][0]: np.load(d / f"{ins[0][0]}_{i:03d}.npy")} for i in range(need)]
    else:
        rng = np.random.RandomState(SEED)
        samples += [{n: rng.standard_normal(s).astype(np.float32) for n, s in ins} for _ in range(need)]
    return samples


def run_model(model_path: Path, pare: Path, work: Path, args) -> Row:
    import numpy as np
    import onnx

    t0 = time.monotonic()
    row = Row(model_path.stem)
    mdir = work / model_path.stem
    shutil.rmtree(mdir, ignore_errors=True)
    mdir.mkdir(parents=True)
    try:
        m = onnx.load(str(model_path))
        qparams = output_quant_params(m)
        p = H.pare_compile(pare, model_path, mdir / "gen", timeout=600)
        if p.returncode != 0:
            row.error = "compile: " + H.first_line(p.output.replace(str(model_path.parent) + "/", ""))
            return row
        runner = mdir / "gen" / "runner"
        b = H.build_c(mdir / "gen", runner, H.CHECK_CFLAGS, timeout=600)
        if b.returncode != 0:
            row.error = "build: " + H.first_line(b.output)
            return row
        per_sample = sum(int(np.prod([d.dim_value for d in o.type.tensor_type.shape.dim])) for o in m.graph.output)
        count = -(-args.min_elements // max(per_sample, 1))
        count = max(args.min_samples, min(args.max_samples, count))
        samples = sample_inputs(model_path, count, work)
        sess = H.ort_session(model_path, exact_int8="_qdq" in model_path.stem)
        onames = [o.name for o in sess.get_outputs()]
        in_names = [i.name for i in sess.get_inputs()]
        for k, feed in enumerate(samples):
            refs = sess.run(None, feed)
            sdir = mdir / f"s{k}"
            sdir.mkdir()
            npys = []
            for n in in_names:
                f = sdir / f"{n}.npy"
                np.save(f, np.ascontiguousarray(feed[n]), allow_pickle=False)
                npys.append(f)
            r = H.run_runner(runner, npys, sdir / "out", timeout=120)
            if r.returncode != 0:
                row.error = f"runner {r.describe_exit()} on sample {k}: {H.first_line(r.output)}"
                return row
            for oname, ref in zip(onames, refs):
                got = np.load(sdir / "out" / (H.sanitize_output_name(oname) + ".npy"))
                if got.shape != ref.shape:
                    row.error = f"output {oname!r}: shape {list(got.shape)} != {list(ref.shape)}"
                    return row
                scale, _ = qparams[oname]
                steps = np.rint((got.astype(np.float64) - ref.astype(np.float64)) / scale).astype(np.int64)
                row.elements += steps.size
                row.exact += int((steps == 0).sum())
                worst = int(np.abs(steps).max()) if steps.size else 0
                if worst > row.max_steps:
                    i = np.unravel_index(int(np.argmax(np.abs(steps))), steps.shape)
                    row.worst = f"sample {k} {oname}{list(i)}: pare {got[i]:.6g} onnxruntime {ref[i]:.6g}"
                row.max_steps = max(row.max_steps, worst)
            if not args.keep:
                shutil.rmtree(sdir, ignore_errors=True)
            row.samples += 1
    except (H.HarnessError, subprocess.CalledProcessError, OSError) as exc:
        row.error = str(exc)
    finally:
        row.seconds = time.monotonic() - t0
        if not args.keep:
            shutil.rmtree(mdir, ignore_errors=True)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pare", help="the pare binary (default: build/tools/pare/pare)")
    ap.add_argument("--out", type=Path, help="where make_qdq_models.py writes the models (default: a temporary directory)")
    ap.add_argument("--no-generate", action="store_true", help="use the models already in --out")
    ap.add_argument("--skip-ppocr", action="store_true", help="leave out the PaddleOCR classifier")
    ap.add_argument("--filter", metavar="REGEX", help="only models whose name matches REGEX")
    ap.add_argument("--min-elements", type=int, default=10000)
    ap.add_argument("--min-samples", type=int, default=100)
    ap.add_argument("--max-samples", type=int, default=1000)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the work directory (path printed)")
    args = ap.parse_args()

    H.ensure_python_deps(("numpy", "onnx", "onnxruntime"))
    pare = H.find_pare(args.pare)
    H.find_tool(H.cc(), "install gcc (scripts/setup.sh does)")
    tmp = Path(tempfile.mkdtemp(prefix="pare_qdq_"))
    out = args.out or tmp / "models"
    if args.no_generate:
        if not args.out:
            H.die("--no-generate needs --out")
    else:
        cmd = [sys.executable, str(MAKE_MODELS), "--out", str(out)] + (["--skip-ppocr"] if args.skip_ppocr else [])
        t = time.monotonic()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            print(p.stdout, file=sys.stderr)
            H.die(f"make_qdq_models.py failed (exit {p.returncode})")
        print(f"make_qdq_models.py: {time.monotonic() - t:.0f}s, models in {out}")
    models = sorted(m for m in out.glob("*.onnx") if re.search(r"_(qdq|qop)(_pc)?$", m.stem))
    if args.skip_ppocr:
        models = [m for m in models if not m.stem.startswith("ppocr")]
    if args.filter:
        models = [m for m in models if re.search(args.filter, m.stem)]
    if not models:
        H.die(f"no quantized models in {out}")
    work = tmp / "work"
    work.mkdir(parents=True, exist_ok=True)
    # The ppocr inputs are rendered once, before the pool starts.
    t0 = time.monotonic()
    with cf.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        rows = list(ex.map(lambda m: run_model(m, pare, work, args), models))
    width = max(len(r.model) for r in rows)
    print(f"\n{'model'.ljust(width)}  samples  elements  % exact  max steps  result")
    for r in rows:
        res = "ok" if r.ok else "FAIL"
        if r.error:
            print(f"{r.model.ljust(width)}  {'-':>7}  {'-':>8}  {'-':>7}  {'-':>9}  FAIL: {r.error}")
            continue
        pct = 100.0 * r.exact / r.elements if r.elements else 0.0
        print(f"{r.model.ljust(width)}  {r.samples:7d}  {r.elements:8d}  {pct:7.3f}  {r.max_steps:9d}  {res}"
              + (f"  (worst: {r.worst})" if r.max_steps > 0 and not r.ok else ""))
    failed = [r for r in rows if not r.ok]
    print(f"\n{len(rows) - len(failed)} of {len(rows)} models within the criterion (exact on >= "
          f"{100 * EXACT_FRACTION:g}% of the output elements, within {MAX_STEPS} step on all) in "
          f"{time.monotonic() - t0:.0f}s")
    if args.keep:
        print(f"work directory kept: {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
