#!/usr/bin/env python3
"""Compile onnxruntime-quantized (QDQ and QOperator) models with pare and compare with onnxruntime.

Runs tests/e2e/make_qdq_models.py (into --out, default a fresh temporary directory), then for every
quantized model it wrote (NAME_qdq*.onnx, NAME_qop*.onnx) and every target of --targets (default
both): `host` compiles it with `pare compile --emit-runner` (pare's defaults for the host),
`cortex-m7` with `--target cortex-m7 --emit-runner` (the microcontroller defaults, e.g. float
islands quantized; the generated C is portable and is built for the host here). The runner is
built with gcc (-std=c99 -Wall -Wextra -Werror -pedantic -O2), run on many inputs and each output
compared with onnxruntime's (CPU execution provider, default graph optimizations, i.e.
onnxruntime's own int8 kernels; for QDQ models with session.x64quantprecision on: without it, on
x86 CPUs without AVX-VNNI, the kernels onnxruntime fuses QDQ groups into saturate 16-bit pair sums
and land up to ~100 steps from the model's meaning) on the same input.

Every model ends in a DequantizeLinear per output (then at most a Flatten), so an output is a quantized value times the
output scale: the comparison is in units of that final quantization step (scale and zero point read
from the model's last DequantizeLinear), steps = round((pare - onnxruntime) / scale). Criteria:

  * steps: steps == 0 on at least 99.9% of the elements and |steps| <= 1 on all of them, against
    onnxruntime on the model: where onnxruntime runs every op in int8, and wherever pare runs the
    same ops in float as onnxruntime does;
  * where onnxruntime runs ops of the model in float (a QDQ group it does not fuse) and pare runs
    them in int8 (it quantized those float islands: fewer float ops in `--compile-to plan` than
    with `--int8-islands keep`), or the model is one of FLOAT_TIES (float convolutions deep in the
    network whose rounding ties onnxruntime's summation order decides, so that no code can
    reproduce them), one of:
    - twin: for NAME_qdq[_pc] whose QOperator model NAME_qop[_pc] (same calibration, same scales)
      exists: the steps criterion against onnxruntime running that QOperator model, where it runs
      every op in int8 (QLinearConv, QLinearAdd, ...): the int8 meaning of the islands, pinned
      down bit for bit;
    - argmax: otherwise, for classifiers (1 x classes outputs): the same top class as onnxruntime
      on at least 99% of the samples that onnxruntime decides. A sample is decided when the margin
      of onnxruntime's top class over the second exceeds twice the largest difference between
      the scores of onnxruntime's two executions of the model on it, the optimized one above and
      the model as written (no graph optimization: every DequantizeLinear -> float op ->
      QuantizeLinear group in float), so that every execution within that distance gives the same
      class. (On MobileNetV2-0.35 with random weights these two executions pick different classes
      for 2% of the pictures, 13% of the scores differ, by up to 23 steps.)
    The top-class agreement with onnxruntime on the QDQ model itself (decided samples, and all) is
    printed for every classifier.
The table prints every measure for every build, the ops onnxruntime runs in float (its optimized
graph, pare_harness.ort_float_ops), pare's float compute ops and its mid-graph transposes
(pare_harness.plan_census), and which criterion applied.

Inputs, per model (the first is always the sample make_qdq_models.py stored in MODEL.inputs/):
  * fashion_mnist_cnn_*: Fashion-MNIST test images (t10k, in order) with train.py's preprocessing;
  * ppocr_cls_*: text lines rendered by scripts/render_text_lines.py (its test draw);
  * mobilenet_v2_035_96_*, mnasnet0_5_96_*, squeezenet1_1_64_*: 200 pictures of
    scripts/natural_images.py (seed PICTURE_SEED; calibration used other pictures);
  * the small models: seeded standard-normal samples (the calibration distribution).
The sample count is chosen so that each model compares at least --min-elements output elements
(default 10000, so 99.9% allows at most 10 off-by-one elements), within [--min-samples,
--max-samples] (default 100 and 1000); 200 for the torchvision models.

--qemu REGEX also compiles the matching models for --target cortex-m7 and runs them on an emulated
Cortex-M7 (scripts/run_cortex_m.py: arm-none-eabi-gcc -O3, QEMU mps2-an500, --qemu-board memory
map) on their stored sample: the outputs must equal those of the same C built for the host, bit
for bit (instruction count, flash and arena printed).

Prints a table: model, target, float ops, mid-graph transposes, samples, elements, % exact, max
|steps|, argmax agreement, criterion, result. Exit status 1 when a model fails to compile, build or
run, or misses its criterion, or a QEMU run fails or differs.

    .venv/bin/python tests/e2e/run_qdq_models.py --pare build/tools/pare/pare [-j 2] [--out DIR]
        [--targets host,cortex-m7] [--filter REGEX] [--qemu REGEX] [--skip-torchvision]
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
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import make_qdq_models as MQ  # noqa: E402

MAKE_MODELS = REPO / "tests" / "e2e" / "make_qdq_models.py"
EXACT_FRACTION = 0.999
MAX_STEPS = 1
ARGMAX_FRACTION = 0.99
SEED = 1234
PICTURE_SEED = 2  # evaluation pictures; make_qdq_models.py calibrates on seed 0, stores seed 1
TARGETS = {"host": [], "cortex-m7": ["--target", "cortex-m7"]}
# onnxruntime runs these models' convolutions in float deep inside the network (QDQ groups it
# does not fuse, 15-24 per model); its float summation order decides which values land on the
# other side of a rounding tie at the QuantizeLinear after them, and the layers after amplify
# such one-step differences (MobileNetV2-0.35 on the host, float convs kept: 94.5% of the outputs
# exact, up to 17 steps apart). No int8 or float code pare could emit reproduces MLAS's order, so
# these are held to the argmax criterion on every target.
FLOAT_TIES = re.compile(r"^((mobilenet_v2|mnasnet|squeezenet)\w*_qdq(_pc)?|ppocr_cls_qdq_pc)$")
HAS_ISLANDS_FLAG = False  # set in main(): pare compile knows --int8-islands
TORCH_SAMPLES = 200  # samples for the torchvision models (classifiers: the argmax criterion)
# Compute ops of pare's plan that are not float arithmetic (H.plan_census counts every op with a
# float result; these are the API conversions and layout changes around it).
NOT_FLOAT_COMPUTE = {"pare.dequantize", "pare.quantize", "pare.transpose", "pare.reshape"}


@dataclass
class Row:
    model: str
    target: str = "host"
    samples: int = 0
    elements: int = 0
    exact: int = 0
    max_steps: int = 0
    error: str = ""
    seconds: float = 0.0
    worst: str = ""
    ort_float: int = 0  # ops onnxruntime runs in float (its optimized graph)
    pare_float: int = 0  # float compute ops in pare's plan (H.plan_census, less layout / Q / DQ)
    keep_float: int = -1  # the same with --int8-islands keep (-1: pare has no such flag)
    mid_transposes: int = 0
    argmax_total: int = 0  # classifier outputs compared by top class
    argmax_agree: int = 0
    decidable: int = 0  # ... of which onnxruntime decides the top class (see the docstring)
    decidable_agree: int = 0
    twin: str = ""  # the QOperator model of the same quantization (NAME_qop[_pc] of NAME_qdq[_pc])
    twin_elements: int = 0
    twin_exact: int = 0
    twin_max_steps: int = 0

    @property
    def converted(self) -> bool:
        """pare quantized float islands: fewer float ops than with --int8-islands keep."""
        return 0 <= self.pare_float < self.keep_float

    @property
    def criterion(self) -> str:
        if self.ort_float and (self.converted or FLOAT_TIES.match(self.model)):
            if self.twin:
                return "twin"
            if self.argmax_total:
                return "argmax"
        return "steps"

    @property
    def ok(self) -> bool:
        if self.error or self.elements == 0:
            return False
        if self.criterion == "argmax":
            return self.decidable > 0 and self.decidable_agree >= ARGMAX_FRACTION * self.decidable
        if self.criterion == "twin":
            return (self.twin_elements > 0 and self.twin_max_steps <= MAX_STEPS
                    and self.twin_exact >= EXACT_FRACTION * self.twin_elements)
        return self.max_steps <= MAX_STEPS and self.exact >= EXACT_FRACTION * self.elements


def output_quant_params(model) -> Dict[str, Tuple[float, int]]:
    """Output name -> (scale, zero point) of the DequantizeLinear producing it (through Flatten /
    Reshape / Squeeze)."""
    from onnx import numpy_helper

    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for n in model.graph.node:  # Constant nodes holding scales
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            inits[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    prod = {o: n for n in model.graph.node for o in n.output}
    out = {}
    for o in model.graph.output:
        n = prod.get(o.name)
        while n is not None and n.op_type in ("Flatten", "Reshape", "Squeeze"):  # SqueezeNet's tail
            n = prod.get(n.input[0])
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
    elif name.split("_q")[0] in MQ.TORCH_MODELS:
        size = MQ.TORCH_MODELS[name.split("_q")[0]]
        samples += [{ins[0][0]: x} for x in MQ.picture_inputs(size, need, PICTURE_SEED)]
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


def census(model_path: Path, pare: Path, flags: List[str], mdir: Path, row: Row) -> bool:
    """Fills row.ort_float, row.pare_float and row.mid_transposes; False (row.error set) when
    pare cannot compile the model to its plan."""
    opt = mdir / "ort_optimized.onnx"
    H.ort_session(model_path, exact_int8="_qdq" in model_path.stem, save_optimized=opt)
    row.ort_float = sum(H.ort_float_ops(opt).values())
    p = H.run([str(pare), "compile", str(model_path), *flags, "--compile-to", "plan", "-o", "-"], timeout=600)
    if p.returncode != 0:
        row.error = "compile: " + H.first_line(p.output.replace(str(model_path.parent) + "/", ""))
        return False
    c = H.plan_census(p.stdout)
    row.pare_float = sum(v for k, v in c.float_ops.items() if k not in NOT_FLOAT_COMPUTE)
    row.mid_transposes = c.mid_transposes
    if HAS_ISLANDS_FLAG:
        p = H.run([str(pare), "compile", str(model_path), *flags, "--int8-islands", "keep", "--compile-to", "plan",
                   "-o", "-"], timeout=600)
        if p.returncode != 0:
            row.error = "compile --int8-islands keep: " + H.first_line(p.output.replace(str(model_path.parent) + "/", ""))
            return False
        kc = H.plan_census(p.stdout)
        row.keep_float = sum(v for k, v in kc.float_ops.items() if k not in NOT_FLOAT_COMPUTE)
    return True


def run_model(model_path: Path, target: str, pare: Path, work: Path, args) -> Row:
    import numpy as np
    import onnx

    t0 = time.monotonic()
    row = Row(model_path.stem, target)
    mdir = work / f"{model_path.stem}.{target}"
    shutil.rmtree(mdir, ignore_errors=True)
    mdir.mkdir(parents=True)
    try:
        m = onnx.load(str(model_path))
        qparams = output_quant_params(m)
        if not census(model_path, pare, TARGETS[target], mdir, row):
            return row
        p = H.pare_compile(pare, model_path, mdir / "gen", extra=TARGETS[target], timeout=600)
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
        if model_path.stem.split("_q")[0] in MQ.TORCH_MODELS:
            count = TORCH_SAMPLES
        samples = sample_inputs(model_path, count, work)
        sess = H.ort_session(model_path, exact_int8="_qdq" in model_path.stem)
        # The model as written (DequantizeLinear -> float op -> QuantizeLinear, no fusion): how far
        # two valid executions of the model land apart (the argmax criterion's decided samples).
        plain = H.ort_session(model_path, optimize=False)
        twin_path = model_path.with_name(model_path.name.replace("_qdq", "_qop"))
        twin = H.ort_session(twin_path) if "_qdq" in model_path.stem and twin_path.exists() else None
        row.twin = twin_path.stem if twin else ""
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
            twin_refs = twin.run(onames, feed) if twin else [None] * len(onames)
            for oname, ref, tref in zip(onames, refs, twin_refs):
                got = np.load(sdir / "out" / (H.sanitize_output_name(oname) + ".npy"))
                if got.shape != ref.shape:
                    row.error = f"output {oname!r}: shape {list(got.shape)} != {list(ref.shape)}"
                    return row
                if ref.ndim == 2 and ref.shape[0] == 1 and ref.shape[1] > 1:  # a classifier's scores
                    row.argmax_total += 1
                    same = int(np.argmax(got) == np.argmax(ref))
                    row.argmax_agree += same
                    other = plain.run([oname], feed)[0]
                    top2 = np.sort(ref.reshape(-1))[-2:]
                    if top2[1] - top2[0] > 2 * np.abs(other.astype(np.float64) - ref).max():
                        row.decidable += 1
                        row.decidable_agree += same
                scale, _ = qparams[oname]
                if tref is not None:
                    tsteps = np.rint((got.astype(np.float64) - tref.astype(np.float64)) / scale).astype(np.int64)
                    row.twin_elements += tsteps.size
                    row.twin_exact += int((tsteps == 0).sum())
                    row.twin_max_steps = max(row.twin_max_steps, int(np.abs(tsteps).max()) if tsteps.size else 0)
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


def qemu_check(model_path: Path, pare: Path, work: Path, args) -> str:
    """The model compiled for --target cortex-m7, on the host (gcc, portable C) and on an emulated
    Cortex-M7 (scripts/run_cortex_m.py, QEMU mps2-an500) on its stored sample: the outputs must be
    identical bit for bit. Returns a table line; raises H.HarnessError on a failure."""
    import json

    import numpy as np

    mdir = work / f"{model_path.stem}.qemu"
    shutil.rmtree(mdir, ignore_errors=True)
    mdir.mkdir(parents=True)
    name = H.sanitize_c_identifier(model_path.stem)
    p = H.pare_compile(pare, model_path, mdir / "gen", name=name, extra=TARGETS["cortex-m7"], timeout=600)
    if p.returncode != 0:
        raise H.HarnessError(f"{model_path.stem}: compile: {H.first_line(p.output)}")
    b = H.build_c(mdir / "gen", mdir / "runner", H.CHECK_CFLAGS, timeout=600)
    if b.returncode != 0:
        raise H.HarnessError(f"{model_path.stem}: build: {H.first_line(b.output)}")
    inputs = sorted(Path(str(model_path.with_suffix("")) + ".inputs").glob("*.npy"))
    r = H.run_runner(mdir / "runner", inputs, mdir / "host_out", timeout=120)
    if r.returncode != 0:
        raise H.HarnessError(f"{model_path.stem}: host runner {r.describe_exit()}: {H.first_line(r.output)}")
    cmd = [sys.executable, str(REPO / "scripts" / "run_cortex_m.py"), str(mdir / "gen"), "--cpu", "m7",
           "--name", name, "--board", args.qemu_board, "--out", str(mdir / "qemu_out"), "--json", "-j", "1"]
    for f in inputs:
        cmd += ["--input", str(f)]
    q = H.run(cmd, timeout=900)
    if q.returncode != 0:
        raise H.HarnessError(f"{model_path.stem}: run_cortex_m.py: {q.output.strip()[-600:]}")
    info = json.loads(q.stdout[q.stdout.index("{"):])
    outs = sorted((mdir / "host_out").glob("*.npy"))
    if not outs:
        raise H.HarnessError(f"{model_path.stem}: the host runner wrote no output")
    for f in outs:
        a, bq = np.load(f), np.load(mdir / "qemu_out" / f.name)
        if a.dtype != bq.dtype or a.shape != bq.shape or a.tobytes() != bq.tobytes():
            raise H.HarnessError(f"{model_path.stem}: {f.stem}: Cortex-M7 output differs from the host build "
                                 f"of the same C (largest difference {np.abs(a.astype(np.float64) - bq).max():g})")
    if not args.keep:
        shutil.rmtree(mdir, ignore_errors=True)
    return (f"{model_path.stem}: Cortex-M7 (QEMU, {args.qemu_board}) == host build, bit for bit; "
            f"{info['instructions']:,} instructions, flash {info['flash_bytes']:,} bytes, arena "
            f"{info['arena_bytes']:,} bytes")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pare", help="the pare binary (default: build/tools/pare/pare)")
    ap.add_argument("--out", type=Path, help="where make_qdq_models.py writes the models (default: a temporary directory)")
    ap.add_argument("--no-generate", action="store_true", help="use the models already in --out")
    ap.add_argument("--skip-ppocr", action="store_true", help="leave out the PaddleOCR classifier")
    ap.add_argument("--skip-torchvision", action="store_true",
                    help="leave out MobileNetV2, MNASNet and SqueezeNet")
    ap.add_argument("--filter", metavar="REGEX", help="only models whose name matches REGEX")
    ap.add_argument("--targets", default="host,cortex-m7",
                    help="comma-separated: host (pare compile's default), cortex-m7 (--target cortex-m7, "
                         "the portable C built for the host); default both")
    ap.add_argument("--qemu", metavar="REGEX",
                    help="also run the models whose name matches REGEX (--filter does not apply) on an emulated "
                         "Cortex-M7 (QEMU) and compare with the host build of the same C")
    ap.add_argument("--qemu-board", default="mps2-big", choices=["stm32f746", "mps2-big"],
                    help="memory map of the QEMU runs (default mps2-big: 4 MiB flash and SRAM)")
    ap.add_argument("--min-elements", type=int, default=10000)
    ap.add_argument("--min-samples", type=int, default=100)
    ap.add_argument("--max-samples", type=int, default=1000)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the work directory (path printed)")
    args = ap.parse_args()

    H.ensure_python_deps(("numpy", "onnx", "onnxruntime"))
    pare = H.find_pare(args.pare)
    H.find_tool(H.cc(), "install gcc (scripts/setup.sh does)")
    global HAS_ISLANDS_FLAG
    HAS_ISLANDS_FLAG = "--int8-islands" in H.run([str(pare), "compile", "--help"], timeout=60).stdout
    targets = [t for t in args.targets.split(",") if t]
    for t in targets:
        if t not in TARGETS:
            H.die(f"--targets: unknown target {t!r} (known: {', '.join(TARGETS)})")
    tmp = Path(tempfile.mkdtemp(prefix="pare_qdq_"))
    out = args.out or tmp / "models"
    if args.no_generate:
        if not args.out:
            H.die("--no-generate needs --out")
    else:
        cmd = [sys.executable, str(MAKE_MODELS), "--out", str(out)] + (["--skip-ppocr"] if args.skip_ppocr else []) \
            + (["--skip-torchvision"] if args.skip_torchvision else [])
        t = time.monotonic()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            print(p.stdout, file=sys.stderr)
            H.die(f"make_qdq_models.py failed (exit {p.returncode})")
        print(f"make_qdq_models.py: {time.monotonic() - t:.0f}s, models in {out}")
    models = sorted(m for m in out.glob("*.onnx") if re.search(r"_(qdq|qop)(_pc)?$", m.stem))
    if args.skip_ppocr:
        models = [m for m in models if not m.stem.startswith("ppocr")]
    if args.skip_torchvision:
        models = [m for m in models if m.stem.split("_q")[0] not in MQ.TORCH_MODELS]
    qemu_models = [m for m in models if args.qemu and re.search(args.qemu, m.stem)]
    if args.filter:
        models = [m for m in models if re.search(args.filter, m.stem)]
    if not models:
        H.die(f"no quantized models in {out}")
    work = tmp / "work"
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    jobs = [(m, t) for m in models for t in targets]
    with cf.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        rows = list(ex.map(lambda mt: run_model(mt[0], mt[1], pare, work, args), jobs))
    width = max(len(r.model) for r in rows)
    print(f"\n{'model'.ljust(width)}  target     float ops ORT / pare        mid transposes  samples  elements  "
          f"% exact  max steps  argmax agree (all)  twin: % exact, max steps  criterion  result")
    for r in rows:
        res = "ok" if r.ok else "FAIL"
        fl = f"{r.pare_float}" + (f" (keep {r.keep_float})" if r.keep_float >= 0 else "")
        head = f"{r.model.ljust(width)}  {r.target:<9}  {r.ort_float:>8d} / {fl:<14}  {r.mid_transposes:14d}"
        if r.error:
            print(f"{head}  FAIL: {r.error}")
            continue
        pct = 100.0 * r.exact / r.elements if r.elements else 0.0
        agree = f"{r.decidable_agree}/{r.decidable} ({r.argmax_agree}/{r.argmax_total})" if r.argmax_total else "-"
        twin = (f"{100.0 * r.twin_exact / r.twin_elements:7.3f}, {r.twin_max_steps}" if r.twin_elements else "-")
        print(f"{head}  {r.samples:7d}  {r.elements:8d}  {pct:7.3f}  {r.max_steps:9d}  {agree:>18}  {twin:>25}  "
              f"{r.criterion:<9}  {res}" + (f"  (worst: {r.worst})" if r.max_steps > 0 and not r.ok else ""))
    failed = [r for r in rows if not r.ok]

    def which(c: str) -> str:
        names = sorted({f"{r.model} ({r.target})" for r in rows if r.criterion == c})
        return ", ".join(names) if names else "none"

    print(f"\n{len(rows) - len(failed)} of {len(rows)} model builds within their criterion in "
          f"{time.monotonic() - t0:.0f}s. 'steps': exact on >= {100 * EXACT_FRACTION:g}% of the output "
          f"elements and within {MAX_STEPS} step on all, against onnxruntime on the model. 'twin': the same "
          f"against onnxruntime on the QOperator model of the same quantization, where onnxruntime runs "
          f"the QDQ model's islands in float and pare in int8 ({which('twin')}). 'argmax': the same top "
          f"class as onnxruntime on >= {100 * ARGMAX_FRACTION:g}% of the samples it decides "
          f"({which('argmax')}).")
    qemu_failed = 0
    if args.qemu:
        for m in qemu_models:
            try:
                print(qemu_check(m, pare, work, args))
            except (H.HarnessError, subprocess.CalledProcessError, OSError, ValueError) as exc:
                print(f"{m.stem}: Cortex-M7 (QEMU) FAIL: {exc}")
                qemu_failed += 1
    if args.keep:
        print(f"work directory kept: {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed or qemu_failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
