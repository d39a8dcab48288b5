#!/usr/bin/env python3
"""Hash what pare writes for every model of tests/ and benchmarks/ under a representative set of flags.

    scripts/hash_outputs.py --pare BIN --out DIR [--compare OTHER/manifest.txt] [--filter REGEX] [-j 2]

Restructurings that must not change behaviour (issue 14) are checked with it: run it with the pare
built before the change and with the one after, and compare. It compiles each model with each set of
flags into its own directory and writes DIR/manifest.txt, one line per output file, sorted:

    MODEL <tab> VARIANT <tab> FILE <tab> SHA-256

FILE is the path of a generated file relative to the job's directory (c/ for `pare compile -o`,
memory.json for --memory-report, plot.svg for --svg), or one of the pseudo files <exit> (the exit
status, written as is instead of a hash), <stdout> (what `pare profile` / `pare inspect` print),
<stderr> (diagnostics, with the job's directory replaced by OUT) and <input> (the model file's
hash). DIR/jobs.txt gives the command of every (MODEL, VARIANT). With --compare the run is diffed against another manifest: every
differing or missing (MODEL, VARIANT, FILE) is listed and the exit status is 1; pairs of models the
other manifest lacks (tests added since) or whose model file changed are listed, not compared.

Only final outputs are hashed: C / CUDA sources, headers, weights, CMake and make fragments, the
runner, the copied runtime, JSON and SVG reports, printed reports. IR printed by --compile-to or
--emit mlir is not (issue 14 makes quantization its own phase, so IR between phases changes by
design).

Paths never reach the hashes: pare runs with its working directory set to the model's folder and
gets the model by its file name; outputs go to absolute job directories, which pare does not write
into the files (and which are replaced by OUT in <stderr>).

Models (a MODEL id names its source):
  examples/*        examples/models/*.onnx: the Fashion-MNIST CNN, the PaddleOCR classifier
                    (--input-shape x=1,3,48,192 as the tests run it), the TSM toy models
  shared/*          ../shared/models/*.onnx (the PaddleOCR classifier again, as CI finds it)
  torch/*           build/models/*.onnx (mobilenet_v2_035, resnet18, squeezenet1_1), when
                    scripts/export_models.py has exported them (it needs torch: this script does
                    not export; a missing one is listed as skipped, so compare runs on one machine)
  qdq/*             the quantized models of tests/e2e/make_qdq_models.py (onnxruntime's static
                    quantizer), generated once into --models-dir/qdq and reused by later runs
  conformance/*     the ONNX backend node tests tests/e2e/run_conformance.py selects (its input
                    freezing; frozen models written to --models-dir/conformance)
  lit/*             every .onnxtext and .mlir model under tests/lit/{importer,codegen,driver} (and
                    their Inputs/), the files `split-file` makes of them, and the .onnx files
                    tests/lit/Inputs/to_onnx.py makes for codegen tests; one that pare rejects is
                    kept with its exit status and diagnostics
Not covered: benchmarks/cortex-m/run_models.py's mobilenet_v2_030_64 and benchmarks/tsm's
TSM-MobileNetV2 (torch exports that take minutes), benchmarks/hostile's random campaign models and
the e2e scripts' in-memory models (onnx_semantics, hostile_names): the lit and conformance models
cover the same ops.

Calibration data for --quantize int8 (seeded, written once to --models-dir/calibration): 8
uniform [-1, 1] samples for PaddleOCR and the Fashion-MNIST CNN, 4 standard-normal samples for the
torchvision models, the first 16 clips of examples/tsm/data/calib.npy for the TSM models (their
first frames for tsm_online).

Flags (VARIANT names; see DIR/jobs.txt for each command): host with the runner, generic-c,
cortex-m4/m7/m33/m55, --name, --batch, both planners, --patches off/min/--patch-grid, --sram
budgets, --memory-report, CUDA fp32/fp16/sm_80, int8 through --quantize (host, cortex-m7,
--kernels generic, --int8-rounding onnx, --calibration-method percentile, patches, greedy
planner), TSM --shift-fusion off and --streaming, QDQ models as given and with tflite rounding, and
`pare profile` (text, --json, --svg, int8) and `pare inspect --json` (float, int8).

With --run the C runners of the example, TSM and QDQ models are also built and run on one sample
each (the first calibration sample; make_qdq_models.py's input for QDQ models), and their outputs
hashed as <run>/NAME: after a change that alters the generated text by design (issue 14 step 6),
a compare of two --run manifests with --numerics (exit statuses and <run> entries only) shows
whether any number changed. A compare skips <run>
entries when one of the two runs was made without --run.

A full run takes about 5 minutes with -j 2 on two cores (most of it the conformance and lit
models); --filter REGEX keeps the (MODEL, VARIANT) pairs whose "MODEL VARIANT" matches.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pare_harness as H  # noqa: E402

REPO = H.REPO_ROOT
EXAMPLE_MODELS = REPO / "examples" / "models"
TORCH_MODELS = REPO / "build" / "models"
LIT_DIRS = ["importer", "codegen", "driver"]
SPLIT_FILE = Path("/usr/lib/llvm-22/bin/split-file")
JOB_TIMEOUT = 600
PPOCR_SHAPE = ["--input-shape", "x=1,3,48,192"]
FAMILIES = ("examples", "shared", "torch", "qdq", "conformance", "lit")


@dataclass
class Job:
    model: str  # MODEL id
    variant: str  # VARIANT name
    cwd: Path  # the model's folder
    args: List[str]  # pare's arguments; "{JOB}" stands for the job's directory
    run_inputs: List[Path] = field(default_factory=list)  # with --run: the runner's inputs
    key: str = ""  # "MODEL VARIANT"

    def __post_init__(self) -> None:
        self.key = f"{self.model} {self.variant}"


@dataclass
class Model:
    id: str
    path: Path
    shape_args: List[str] = field(default_factory=list)
    calibration: Optional[Path] = None
    run_inputs: List[Path] = field(default_factory=list)  # one sample, for --run


# --------------------------------------------------------------------------- model preparation


def log(msg: str) -> None:
    print(msg, flush=True)


def seeded_calibration(d: Path, shape: Sequence[int], n: int, dist: str, seed: int) -> Path:
    import numpy as np

    if d.is_dir() and len(list(d.glob("*.npy"))) == n:
        return d
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        x = rng.uniform(-1, 1, shape) if dist == "uniform" else rng.standard_normal(shape)
        np.save(d / f"s_{i:03d}.npy", x.astype(np.float32))
    return d


def tsm_calibration(d: Path, first_frame: bool) -> Path:
    """The first 16 clips of examples/tsm/data/calib.npy (8 frames each), as tests/e2e/tsm.py
    calibrates; with first_frame, the first frame of each (for tsm_online, which takes one)."""
    import numpy as np

    if d.is_dir() and len(list(d.glob("*.npy"))) == 16:
        return d
    d.mkdir(parents=True, exist_ok=True)
    for i, c in enumerate(np.load(REPO / "examples" / "tsm" / "data" / "calib.npy")[:16]):
        np.save(d / f"s_{i:03d}.npy", (c[:1] if first_frame else c).astype(np.float32))
    return d


def make_qdq_models(models_dir: Path) -> Path:
    """The models of tests/e2e/make_qdq_models.py, made once (onnxruntime's quantizer is not
    guaranteed to be reproducible across versions, so later runs reuse the same files). Without the
    PaddleOCR QDQ model, as CI makes them (its quantization fails in the pinned onnxruntime)."""
    d = models_dir / "qdq"
    stamp = d / ".complete"
    if not stamp.exists():
        log(f"making the QDQ models into {d} (once; about a minute)")
        p = H.run([sys.executable, str(REPO / "tests" / "e2e" / "make_qdq_models.py"), "--out", str(d), "--skip-ppocr"],
                  timeout=1800)
        if p.returncode != 0:
            H.die(f"tests/e2e/make_qdq_models.py failed:\n{p.output[-2000:]}")
        stamp.write_text("done\n")
    return d


def lit_models(models_dir: Path) -> List[Tuple[str, Path]]:
    """(MODEL id, path) of every model file of the lit tests, with split-file and to_onnx.py run
    as the RUN lines do."""
    out: List[Tuple[str, Path]] = []
    lit = REPO / "tests" / "lit"
    files: List[Path] = []
    for sub in LIT_DIRS:
        files += sorted(p for p in (lit / sub).rglob("*") if p.suffix in (".onnxtext", ".mlir") and p.is_file())
    gen_root = models_dir / "lit"
    for f in files:
        rel = f.relative_to(lit).as_posix()
        text = f.read_text(errors="replace")
        runs = [l.split("RUN:", 1)[1].strip() for l in text.splitlines() if "RUN:" in l]
        split = any(r.startswith("rm -rf %t && split-file %s %t") or r.startswith("split-file %s %t") for r in runs)
        # Generated files live in a folder named by the test's content: made once, never
        # rewritten under a run that is reading them (several people share --models-dir).
        stamp = hashlib.sha256(text.encode()).hexdigest()[:12]
        if split and SPLIT_FILE.exists():
            d = gen_root / f"{rel}.{stamp}.split"
            if not d.is_dir():
                tmp = Path(tempfile.mkdtemp(dir=gen_root.parent))
                subprocess.run([str(SPLIT_FILE), str(f), str(tmp)], check=True, capture_output=True)
                d.parent.mkdir(parents=True, exist_ok=True)
                try:
                    tmp.rename(d)
                except OSError:  # made meanwhile by another run
                    shutil.rmtree(tmp, ignore_errors=True)
            for p in sorted(d.rglob("*")):
                if p.is_file() and p.suffix in (".onnxtext", ".mlir", ".onnx"):
                    out.append((f"lit/{rel}:{p.relative_to(d).as_posix()}", p))
            continue
        to_onnx = [r for r in runs if "Inputs/to_onnx.py %s " in r]
        for r in to_onnx:
            m = re.search(r"to_onnx\.py %s %t/(\S+)(.*)$", r)
            if not m:
                continue
            d = gen_root / f"{rel}.{stamp}.to_onnx"
            dest = d / m.group(1)
            if not dest.exists():
                d.mkdir(parents=True, exist_ok=True)
                tmp = d / f".{m.group(1)}.{os.getpid()}"
                cmd = [sys.executable, str(lit / "Inputs" / "to_onnx.py"), str(f), str(tmp)] + m.group(2).split()
                if subprocess.run(cmd, capture_output=True).returncode != 0:
                    continue
                tmp.rename(dest)
            out.append((f"lit/{rel}:{m.group(1)}", dest))
        if not to_onnx:
            out.append((f"lit/{rel}", f))
    return out


def conformance_models(pare: Path, models_dir: Path) -> List[Tuple[str, Path, List[str]]]:
    """(MODEL id, model path, --input-shape args) of the node tests run_conformance.py selects."""
    sys.path.insert(0, str(REPO / "tests" / "e2e"))
    import run_conformance as RC  # noqa: E402

    pare_ops = H.pare_list_ops(pare)
    root = RC.node_test_dir()
    dirs = sorted(d for d in root.iterdir() if (d / "model.onnx").exists())
    out = []
    for d in dirs:
        case = RC.analyse_case(d, pare_ops)
        if case.unsupported is not None:
            continue
        sets = case.data_sets()
        model = case.model
        frozen: List[int] = []
        if case.freezable:
            dest_dir = models_dir / "conformance" / case.name
            dest_dir.mkdir(parents=True, exist_ok=True)
            frozen = RC.freeze_inputs(case, sets, dest_dir / "model.onnx")
            if frozen:
                model = dest_dir / "model.onnx"
        shapes: List[str] = []
        first_inputs = sorted(sets[0].glob("input_*.pb"), key=lambda p: int(p.stem.split("_")[1]))
        for i, (name, dims, _) in enumerate(case.inputs):
            if i in frozen:
                continue
            if dims is None or any(not isinstance(x, int) for x in dims):
                if i < len(first_inputs):
                    arr = RC._load_tensor(first_inputs[i])
                    if arr.ndim:
                        shapes += ["--input-shape", H.shape_arg(name, list(arr.shape))]
        out.append((f"conformance/{case.name}", model, shapes))
    return out


# --------------------------------------------------------------------------- the job list


def compile_job(m: Model, variant: str, flags: Sequence[str]) -> Job:
    runs = "--emit-runner" in flags and "cuda" not in flags
    return Job(m.id, variant, m.path.parent, ["compile", m.path.name, "-o", "{JOB}/c", "-q", *m.shape_args, *flags],
               m.run_inputs if runs else [])


def first_sample(d: Path) -> List[Path]:
    return sorted(d.glob("*.npy"))[:1]


def int8_flags(m: Model) -> List[str]:
    assert m.calibration is not None
    return ["--quantize", "int8", "--calibration", str(m.calibration)]


def float_model_jobs(m: Model, full: bool) -> List[Job]:
    """The float-model matrix; `full` adds the variants that only touch build fragments and
    option plumbing (run on the small models only)."""
    q = int8_flags(m)
    v: List[Tuple[str, List[str]]] = [
        ("host", ["--emit-runner"]),
        ("generic-c", ["--target", "generic-c"]),
        ("cortex-m7", ["--target", "cortex-m7"]),
        ("greedy", ["--planner", "greedy-by-size"]),
        ("patches-min", ["--patches", "min"]),
        ("patches-off", ["--patches", "off", "--target", "cortex-m4"]),
        ("memory-report", ["--target", "cortex-m7", "--memory-report", "{JOB}/memory.json"]),
        ("cuda", ["--target", "cuda", "--emit-runner"]),
        ("cuda-fp16", ["--target", "cuda", "--precision", "fp16", "--emit-runner"]),
        ("int8", q + ["--emit-runner"]),
        ("int8-cortex-m7", q + ["--target", "cortex-m7"]),
        ("int8-generic", q + ["--kernels", "generic"]),
        ("int8-patches-min", q + ["--target", "cortex-m7", "--patches", "min"]),
    ]
    if full:
        v += [
            ("cortex-m4", ["--target", "cortex-m4"]),
            ("cortex-m33", ["--target", "cortex-m33"]),
            ("cortex-m55", ["--target", "cortex-m55"]),
            ("name", ["--name", "My_Net", "--emit-runner"]),
            ("patch-grid-4", ["--patches", "min", "--patch-grid", "4", "--max-recompute", "50"]),
            ("sram-budget", ["--target", "cortex-m7", "--sram", "320K", "--flash", "1M",
                             "--memory-report", "{JOB}/memory.json"]),
            ("sram-tight", ["--sram", "16K"]),
            ("cuda-sm80", ["--target", "cuda", "--cuda-arch", "sm_80"]),
            ("int8-greedy", q + ["--planner", "greedy-by-size", "--emit-runner"]),
            ("int8-onnx-rounding", q + ["--int8-rounding", "onnx", "--emit-runner"]),
            ("int8-percentile", q + ["--calibration-method", "percentile", "--percentile", "99.9"]),
            ("int8-patch-grid-4", q + ["--patches", "min", "--patch-grid", "4", "--max-recompute", "50"]),
            ("int8-sram-budget", q + ["--target", "cortex-m7", "--sram", "320K", "--memory-report",
                                      "{JOB}/memory.json"]),
            ("int8-cortex-m55", q + ["--target", "cortex-m55"]),
        ]
    jobs = [compile_job(m, name, flags) for name, flags in v]
    sa = m.shape_args
    jobs += [
        Job(m.id, "profile", m.path.parent, ["profile", m.path.name, *sa]),
        Job(m.id, "profile-json", m.path.parent, ["profile", m.path.name, "--json", *sa]),
        Job(m.id, "profile-int8-json", m.path.parent, ["profile", m.path.name, "--json", *sa, *q]),
        Job(m.id, "inspect", m.path.parent, ["inspect", m.path.name, *sa]),
        Job(m.id, "inspect-json", m.path.parent, ["inspect", m.path.name, "--json", *sa]),
    ]
    if full:
        jobs += [
            Job(m.id, "profile-svg", m.path.parent,
                ["profile", m.path.name, "--sram", "64K", "--svg", "{JOB}/plot.svg", "--target", "cortex-m7", *sa]),
            Job(m.id, "profile-no-patches", m.path.parent,
                ["profile", m.path.name, "--json", "--no-patches", "--patch-grid", "3", *sa]),
            Job(m.id, "inspect-int8-json", m.path.parent, ["inspect", m.path.name, "--json", *sa, *q]),
        ]
    return jobs


def tsm_jobs(m: Model) -> List[Job]:
    q = int8_flags(m)
    v: List[Tuple[str, List[str]]] = [
        ("host", ["--emit-runner"]),
        ("unfused", ["--shift-fusion", "off", "--emit-runner"]),
        ("cortex-m7", ["--target", "cortex-m7"]),
        ("cuda", ["--target", "cuda", "--emit-runner"]),
        ("int8", q + ["--emit-runner"]),
        ("int8-unfused", q + ["--shift-fusion", "off"]),
        ("int8-cortex-m7", q + ["--target", "cortex-m7"]),
    ]
    if "unidirectional" in m.id:
        v += [("streaming", ["--streaming", "--emit-runner"]), ("int8-streaming", q + ["--streaming"]),
              ("streaming-unfused", ["--streaming", "--shift-fusion", "off"])]
    jobs = [compile_job(m, name, flags) for name, flags in v]
    jobs += [Job(m.id, "profile-json", m.path.parent, ["profile", m.path.name, "--json"]),
             Job(m.id, "inspect-json", m.path.parent, ["inspect", m.path.name, "--json"])]
    return jobs


def qdq_jobs(m: Model) -> List[Job]:
    v: List[Tuple[str, List[str]]] = [
        ("host", ["--emit-runner"]),
        ("cortex-m7", ["--target", "cortex-m7"]),
        ("tflite-rounding", ["--int8-rounding", "tflite", "--emit-runner"]),
        ("generic", ["--kernels", "generic"]),
        ("cuda", ["--target", "cuda"]),
    ]
    jobs = [compile_job(m, name, flags) for name, flags in v]
    jobs += [Job(m.id, "profile-json", m.path.parent, ["profile", m.path.name, "--json", *m.shape_args]),
             Job(m.id, "inspect-json", m.path.parent, ["inspect", m.path.name, "--json", *m.shape_args])]
    return jobs


def simple_jobs(model_id: str, path: Path, shape_args: Sequence[str]) -> List[Job]:
    m = Model(model_id, path, list(shape_args))
    return [compile_job(m, "host", ["--emit-runner"]), compile_job(m, "cuda", ["--target", "cuda", "--emit-runner"])]


def all_jobs(pare: Path, models_dir: Path, name_re: Optional[re.Pattern], skipped: List[str]) -> List[Job]:
    cal = models_dir / "calibration"
    jobs: List[Job] = []

    def wanted(family: str) -> bool:
        # Skips making the models of a family a --filter that names other families leaves out;
        # the full "MODEL VARIANT" filter runs on the job list below.
        if name_re is None:
            return True
        named = [f for f in FAMILIES if f in name_re.pattern]
        return not named or family in named

    fm_cal = seeded_calibration(cal / "fashion_mnist_cnn", [1, 1, 28, 28], 8, "uniform", 1)
    fm = Model("examples/fashion_mnist_cnn", EXAMPLE_MODELS / "fashion_mnist_cnn.onnx", [], fm_cal,
               first_sample(fm_cal))
    ppocr_cal = seeded_calibration(cal / "ppocr", [1, 3, 48, 192], 8, "uniform", 7)
    jobs += float_model_jobs(fm, full=True)
    jobs += float_model_jobs(Model("examples/ppocr_cls_mobilenetv3", EXAMPLE_MODELS / "ppocr_cls_mobilenetv3.onnx",
                                   PPOCR_SHAPE, ppocr_cal, first_sample(ppocr_cal)), full=True)
    shared = H.SHARED_DIR / "models"
    for p in sorted(shared.glob("*.onnx")) if shared.is_dir() else []:
        sa = PPOCR_SHAPE if p.name.startswith("ppocr") else []
        jobs += float_model_jobs(Model(f"shared/{p.stem}", p, sa, ppocr_cal, first_sample(ppocr_cal)), full=False)
    for p in sorted(EXAMPLE_MODELS.glob("tsm_*.onnx")):
        online = p.stem == "tsm_online"
        tsm_cal = tsm_calibration(cal / ("tsm_frame" if online else "tsm"), online)
        jobs += tsm_jobs(Model(f"examples/{p.stem}", p, [], tsm_cal, first_sample(tsm_cal)))
    for stem, shape, full in (("mobilenet_v2_035", [1, 3, 144, 144], True), ("squeezenet1_1", [1, 3, 224, 224], False),
                              ("resnet18", [1, 3, 224, 224], False)):
        p = TORCH_MODELS / f"{stem}.onnx"
        if not p.exists():
            skipped.append(f"torch/{stem} (build/models/{stem}.onnx missing: scripts/export_models.py makes it)")
            continue
        m = Model(f"torch/{stem}", p, ["--batch", "1"],
                  seeded_calibration(cal / stem, shape, 4, "normal", 0))
        if full:
            jobs += float_model_jobs(m, full=False)
        else:
            jobs += [compile_job(m, "host", ["--emit-runner"]), compile_job(m, "cortex-m7", ["--target", "cortex-m7"]),
                     compile_job(m, "cuda", ["--target", "cuda"]),
                     compile_job(m, "cuda-fp16", ["--target", "cuda", "--precision", "fp16"]),
                     compile_job(m, "int8", int8_flags(m)),
                     Job(m.id, "profile-json", p.parent, ["profile", p.name, "--json", "--batch", "1"])]
    if wanted("qdq"):
        qdq = make_qdq_models(models_dir)
        for p in sorted(qdq.glob("*.onnx")):
            if p.stem.endswith("_float"):
                continue
            jobs += qdq_jobs(Model(f"qdq/{p.stem}", p, PPOCR_SHAPE if p.stem.startswith("ppocr") else [],
                                   run_inputs=sorted((qdq / f"{p.stem}.inputs").glob("*.npy"))))
    if wanted("conformance"):
        for model_id, path, shapes in conformance_models(pare, models_dir):
            jobs += simple_jobs(model_id, path, shapes)
    if wanted("lit"):
        if not SPLIT_FILE.exists():
            skipped.append(f"lit tests that split-file splits ({SPLIT_FILE} missing)")
        for model_id, path in lit_models(models_dir):
            jobs += simple_jobs(model_id, path, [])
    if name_re is not None:
        jobs = [j for j in jobs if name_re.search(j.key)]
    return jobs


# --------------------------------------------------------------------------- running and hashing


def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_input_hashes: Dict[Path, str] = {}


def input_hash(model: Path) -> str:
    """The model file's hash: a compare tells a changed test input from a changed output."""
    if model not in _input_hashes:
        _input_hashes[model] = sha256_file(model) if model.is_file() else "missing"
    return _input_hashes[model]


def run_outputs(job: Job, jdir: Path) -> List[Tuple[str, str]]:
    """--run: builds the runner pare wrote (gcc -std=c99 -O1: quick, and the same build in both
    runs) and runs it on the job's inputs; the hash of each output .npy, as <run>/NAME."""
    exe, res = jdir / "_runner", jdir / "_run"
    srcs = sorted(str(p) for p in (jdir / "c").glob("*.c"))
    b = subprocess.run([H.cc(), "-std=c99", "-O1", "-o", str(exe), *srcs, "-lm"], capture_output=True, timeout=JOB_TIMEOUT)
    if b.returncode != 0:
        return [("<run>", "build-failed")]
    res.mkdir()
    r = subprocess.run([str(exe), "-o", str(res), *map(str, job.run_inputs)], capture_output=True, timeout=JOB_TIMEOUT)
    if r.returncode != 0:
        return [("<run>", f"exit-{r.returncode}")]
    return [(f"<run>/{f.name}", sha256_file(f)) for f in sorted(res.glob("*.npy"))]


def run_job(pare: Path, job: Job, jdir: Path, keep: bool, run: bool = False) -> List[Tuple[str, str]]:
    """Runs one job; returns its (FILE, hash) entries."""
    shutil.rmtree(jdir, ignore_errors=True)
    jdir.mkdir(parents=True)
    args = [a.replace("{JOB}", str(jdir)) for a in job.args]
    try:
        p = subprocess.run([str(pare)] + args, cwd=job.cwd, capture_output=True, timeout=JOB_TIMEOUT)
        rc, out, err = str(p.returncode), p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        rc, out, err = "timeout", b"", b""
    entries: List[Tuple[str, str]] = [("<exit>", rc), ("<input>", input_hash(job.cwd / job.args[1]))]
    if out:
        entries.append(("<stdout>", hashlib.sha256(out.replace(str(jdir).encode(), b"OUT")).hexdigest()))
    if err:
        entries.append(("<stderr>", hashlib.sha256(err.replace(str(jdir).encode(), b"OUT")).hexdigest()))
    for f in sorted(jdir.rglob("*")):
        if f.is_file():
            entries.append((f.relative_to(jdir).as_posix(), sha256_file(f)))
    if run and job.run_inputs and rc == "0":
        entries += run_outputs(job, jdir)
    if keep:
        (jdir / "_stdout").write_bytes(out)
        (jdir / "_stderr").write_bytes(err)
    else:
        shutil.rmtree(jdir, ignore_errors=True)
    return entries


def job_dir_name(job: Job) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", job.key)[:180] + "-" + hashlib.sha256(job.key.encode()).hexdigest()[:8]


def read_manifest(path: Path) -> Dict[Tuple[str, str, str], str]:
    entries = {}
    for line in path.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) == 4:
            entries[(parts[0], parts[1], parts[2])] = parts[3]
    return entries


def compare(mine: Dict[Tuple[str, str, str], str], other: Dict[Tuple[str, str, str], str], other_path: Path,
            name_re: Optional[re.Pattern], numerics: bool = False) -> int:
    """Diffs two manifests. A (MODEL, VARIANT) pair only in this run (a test added since) or whose
    model file changed (<input>) is listed but not compared; anything else that differs, or a pair
    this run lacks, is a difference."""
    if name_re is not None:
        other = {k: v for k, v in other.items() if name_re.search(f"{k[0]} {k[1]}")}
    by_pair: Dict[Tuple[str, str], Tuple[Dict[str, str], Dict[str, str]]] = {}
    for k, v in other.items():
        by_pair.setdefault((k[0], k[1]), ({}, {}))[0][k[2]] = v
    for k, v in mine.items():
        by_pair.setdefault((k[0], k[1]), ({}, {}))[1][k[2]] = v
    diffs: Dict[Tuple[str, str], List[str]] = {}
    new_pairs: List[Tuple[str, str]] = []
    changed_inputs: List[Tuple[str, str]] = []
    compared = 0
    for pair, (a, b) in sorted(by_pair.items()):
        if not a:
            new_pairs.append(pair)
            continue
        if not b:
            diffs[pair] = [f"not run in this run (only in {other_path})"]
            continue
        if "<input>" in a and a["<input>"] != b.get("<input>"):
            changed_inputs.append(pair)
            continue
        compared += 1
        files = []
        runs_a, runs_b = any(f.startswith("<run>") for f in a), any(f.startswith("<run>") for f in b)
        for f in sorted(set(a) | set(b)):
            if f == "<input>" or a.get(f) == b.get(f):
                continue
            if numerics and f != "<exit>" and not f.startswith("<run>"):
                continue
            if f.startswith("<run>") and not (runs_a and runs_b):
                continue  # one of the runs was made without --run
            what = "only in this run" if f not in a else f"only in {other_path.name}" if f not in b else "differs"
            if f == "<exit>" and f in a and f in b:
                what = f"exit {a[f]} -> {b[f]}"
            files.append(f"{f} ({what})")
        if files:
            diffs[pair] = files
    if new_pairs:
        models = sorted({m for m, _ in new_pairs})
        print(f"not compared: {len(new_pairs)} (model, flags) pairs of {len(models)} models not in {other_path} "
              f"(tests added since): {', '.join(models[:8])}{' ...' if len(models) > 8 else ''}")
    if changed_inputs:
        models = sorted({m for m, _ in changed_inputs})
        print(f"not compared: {len(changed_inputs)} pairs whose model file changed since {other_path} was made: "
              f"{', '.join(models)}")
    if not diffs:
        print(f"identical to {other_path}: {compared} (model, flags) pairs compared")
        return 0
    print(f"DIFFERENT from {other_path}: {len(diffs)} of {compared} (model, flags) pairs differ")
    for (model, variant), files in sorted(diffs.items()):
        print(f"  {model}  {variant}:")
        for f in files:
            print(f"      {f}")
    print("to see a difference: rerun both binaries with --keep --filter 'MODEL VARIANT' and diff -r the job folders")
    return 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pare", required=True, help="the pare binary")
    ap.add_argument("--out", required=True, type=Path, help="folder for manifest.txt, jobs.txt and (with --keep) the outputs")
    ap.add_argument("--compare", type=Path, metavar="MANIFEST", help="diff against this manifest; exit 1 on any difference")
    ap.add_argument("--filter", metavar="REGEX", help="only (MODEL, VARIANT) pairs whose 'MODEL VARIANT' matches (re.search)")
    ap.add_argument("--models-dir", type=Path, default=REPO / "build" / "hash-models",
                    help="where generated models and calibration data are kept between runs (default: %(default)s)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="pare processes at once (default 2)")
    ap.add_argument("--keep", action="store_true", help="keep every job's outputs under OUT/jobs/")
    ap.add_argument("--list", action="store_true", help="print the jobs and exit")
    ap.add_argument("--numerics", action="store_true",
                    help="with --compare: compare only exit statuses and --run outputs (for a change that alters the "
                         "generated text by design)")
    ap.add_argument("--run", action="store_true",
                    help="also build each C runner of the example, TSM and QDQ models and hash its outputs on one "
                         "sample (<run>/NAME): numerics, for outputs that change by design (with --filter "
                         "'^(examples|shared|qdq)/' about 5 minutes on two idle cores)")
    args = ap.parse_args(argv)

    H.ensure_python_deps(("numpy", "onnx", "onnxruntime"))
    pare = H.find_pare(args.pare)
    try:
        name_re = re.compile(args.filter) if args.filter else None
    except re.error as exc:
        H.die(f"bad --filter regex: {exc}")
    args.models_dir.mkdir(parents=True, exist_ok=True)
    models_dir = args.models_dir.resolve()
    out = args.out.resolve()
    t0 = time.monotonic()
    skipped: List[str] = []
    jobs = all_jobs(pare, models_dir, name_re, skipped)
    seen = set()
    for j in jobs:
        if j.key in seen:
            H.die(f"internal: two jobs named '{j.key}'")
        seen.add(j.key)
    if args.list:
        for j in jobs:
            print(f"{j.key}: (cd {j.cwd} && pare {' '.join(j.args)})")
        print(f"{len(jobs)} jobs")
        return 0

    out.mkdir(parents=True, exist_ok=True)
    work = out / "jobs"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    results: Dict[str, List[Tuple[str, str]]] = {}
    log(f"{len(jobs)} jobs ({len({j.model for j in jobs})} models), -j {args.jobs}, pare {pare}")
    with cf.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futs = {pool.submit(run_job, pare, j, work / job_dir_name(j), args.keep, args.run): j for j in jobs}
        done = 0
        for fut in cf.as_completed(futs):
            j = futs[fut]
            results[j.key] = fut.result()
            done += 1
            if done % 250 == 0:
                log(f"  {done}/{len(jobs)} ({time.monotonic() - t0:.0f} s)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)

    lines = []
    failed = 0
    files = 0
    for j in jobs:
        for f, h in results[j.key]:
            lines.append(f"{j.model}\t{j.variant}\t{f}\t{h}")
            if f == "<exit>" and h != "0":
                failed += 1
            elif not f.startswith("<"):
                files += 1
    lines.sort()
    (out / "manifest.txt").write_text("\n".join(lines) + "\n")
    (out / "jobs.txt").write_text("".join(f"{j.model}\t{j.variant}\t(cd {j.cwd} && pare {' '.join(j.args)})\n"
                                          for j in sorted(jobs, key=lambda j: j.key)))
    log(f"{len(jobs)} jobs, {len({j.model for j in jobs})} models: {files} output files hashed, "
        f"{failed} jobs exit non-zero (kept as such); {time.monotonic() - t0:.0f} s")
    for s in skipped:
        log(f"skipped: {s}")
    log(f"manifest: {out / 'manifest.txt'}")
    if args.compare:
        if not args.compare.exists():
            H.die(f"no manifest at {args.compare}")
        return compare(read_manifest(out / "manifest.txt"), read_manifest(args.compare), args.compare, name_re,
                       args.numerics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
