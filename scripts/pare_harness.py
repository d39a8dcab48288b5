"""Shared helpers for pare's Python tooling (end-to-end tests and benchmarks).

Imported by scripts/export_models.py, tests/e2e/*.py and benchmarks/*.py. Keep this module free of
third-party imports at import time: the scripts call ``ensure_python_deps`` first, which re-executes
them under the repository's ``.venv`` when the running interpreter lacks the pinned packages.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, NoReturn, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PARE = REPO_ROOT / "build" / "tools" / "pare" / "pare"
VENV_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
SHARED_DIR = REPO_ROOT.parent / "shared"
# The PaddleOCR classifier: in the shared folder beside the repository (CI has it there), else the
# copy bundled with the examples.
PPOCR_CANDIDATES = [
    SHARED_DIR / "models" / "ppocr_cls_mobilenetv3.onnx",
    REPO_ROOT / "examples" / "models" / "ppocr_cls_mobilenetv3.onnx",
]
PPOCR_MODEL = next((p for p in PPOCR_CANDIDATES if p.exists()), PPOCR_CANDIDATES[0])

# The generated C must build cleanly with exactly these flags (the CLI contract).
CHECK_CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]

# Defaults of the end-to-end comparison |a - r| <= atol + rtol * |r|.
DEFAULT_RTOL = 1e-4
DEFAULT_ATOL = 1e-5

_REEXEC_ENV = "PARE_HARNESS_REEXEC"


class HarnessError(Exception):
    """A problem with the environment or the arguments, reported without a traceback."""


def prog_name() -> str:
    return Path(sys.argv[0]).name


def die(msg: str, code: int = 2) -> NoReturn:
    print(f"{prog_name()}: error: {msg}", file=sys.stderr)
    sys.exit(code)


def pinned_versions() -> Dict[str, str]:
    """{distribution: version} of the `name==version` lines of scripts/requirements.txt."""
    pins: Dict[str, str] = {}
    try:
        text = (REPO_ROOT / "scripts" / "requirements.txt").read_text()
    except OSError:
        return pins
    for line in text.splitlines():
        m = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;#]+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def ensure_python_deps(modules: Sequence[str] = ("numpy", "onnx", "onnxruntime")) -> None:
    """Make sure the Python packages are importable, at the versions scripts/requirements.txt pins.

    When they are not and the repository's .venv exists, re-execute the running script with the
    venv's interpreter (so ``./tests/e2e/run_conformance.py`` works without activating the venv).
    Otherwise exit with a message that says how to set things up.
    """
    pins = pinned_versions()
    problems = []
    for mod in modules:
        try:
            m = __import__(mod)
        except Exception as exc:  # ImportError, or a broken install raising something else
            problems.append(f"{mod} ({exc.__class__.__name__}: {exc})")
            continue
        want = pins.get(mod)
        have = getattr(m, "__version__", None)
        if want and have and have != want:
            problems.append(f"{mod} {have} (requirements.txt pins {want})")
    if not problems:
        return
    in_venv = Path(sys.prefix).resolve() == (REPO_ROOT / ".venv").resolve()
    if VENV_PYTHON.exists() and not in_venv and not os.environ.get(_REEXEC_ENV):
        env = dict(os.environ)
        env[_REEXEC_ENV] = "1"
        os.execve(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(sys.argv[0]).resolve())] + sys.argv[1:], env)
    die(
        f"Python packages not as required by {sys.executable}: "
        + "; ".join(problems)
        + f"\n  run scripts/setup.sh (it creates {REPO_ROOT / '.venv'} and installs "
        "scripts/requirements.txt), then run this script with .venv/bin/python"
    )


def find_pare(path: Optional[str]) -> Path:
    """Resolve the pare binary, or exit with a message that says how to build it."""
    pare = Path(path) if path else DEFAULT_PARE
    if not pare.exists():
        hint = (
            "run scripts/setup.sh (or `ninja -C build` after configuring) to build it"
            if path is None
            else "check the --pare argument"
        )
        die(f"pare binary not found at {pare}: {hint}")
    if not os.access(pare, os.X_OK):
        die(f"{pare} is not executable")
    return pare.resolve()


def find_tool(name: str, hint: str) -> str:
    found = shutil.which(name)
    if not found:
        die(f"`{name}` not found on PATH: {hint}")
    return found


def cc() -> str:
    return os.environ.get("CC", "gcc")


@dataclass
class Proc:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    not_run: bool = False

    @property
    def output(self) -> str:
        return (self.stderr or "") + (self.stdout or "")

    def describe_exit(self) -> str:
        if self.not_run:
            return "could not be started"
        if self.timed_out:
            return "timed out"
        if self.returncode < 0:
            return f"killed by signal {-self.returncode}"
        return f"exit code {self.returncode}"


def run(cmd: Sequence[str], timeout: Optional[float] = None, cwd: Optional[Path] = None) -> Proc:
    """Run a command, capturing its output; never raises on failure or time-out."""
    try:
        cp = subprocess.run(
            [str(c) for c in cmd],
            cwd=str(cwd) if cwd else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        return Proc(-9, _dec(exc.stdout), _dec(exc.stderr), timed_out=True)
    except OSError as exc:
        return Proc(127, "", f"cannot run {cmd[0]}: {exc}", not_run=True)
    return Proc(cp.returncode, _dec(cp.stdout), _dec(cp.stderr))


def _dec(b) -> str:
    if b is None:
        return ""
    if isinstance(b, str):
        return b
    return b.decode("utf-8", errors="replace")


def first_line(text: str, limit: int = 300) -> str:
    """The first line worth showing: prefers a line that says 'error', else the first non-empty."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    if not lines:
        return "(no output)"
    for l in lines:
        if re.search(r"error|fatal|unsupported", l, re.IGNORECASE):
            return l[:limit]
    return lines[0][:limit]


def sanitize_output_name(name: str) -> str:
    """The file stem the runner uses for an ONNX output name (contract: [A-Za-z0-9._-], else '_')."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def sanitize_c_identifier(stem: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_]", "_", stem)
    if not s or s[0].isdigit():
        s = "_" + s
    return s


def shape_arg(name: str, shape: Iterable[int]) -> str:
    return f"{name}=" + ",".join(str(int(d)) for d in shape)


# --------------------------------------------------------------------------------------------
# pare invocations


def pare_compile(
    pare: Path,
    model: Path,
    out_dir: Path,
    name: Optional[str] = None,
    input_shapes: Optional[Dict[str, Sequence[int]]] = None,
    emit_runner: bool = True,
    extra: Sequence[str] = (),
    timeout: float = 300,
) -> Proc:
    cmd: List[str] = [str(pare), "compile", str(model), "-o", str(out_dir)]
    if name:
        cmd += ["--name", name]
    for n, s in (input_shapes or {}).items():
        cmd += ["--input-shape", shape_arg(n, s)]
    if emit_runner:
        cmd.append("--emit-runner")
    cmd += list(extra)
    return run(cmd, timeout=timeout)


def batched_decoder_check(pare: Path, model: Path, out: Path, extra: Sequence[str] = (),
                          max_batch: int = 4, cflags: Sequence[str] = ()) -> Tuple[str, bool, str]:
    """Compiles `model` as a C decoder with --max-batch and --emit-runner (name "dec") into `out`,
    builds tests/cuda/batch_check.c (the batched-decoding check of both targets) against it with
    CHECK_CFLAGS + cflags and runs it with --tol 0: sequences decoded together in KV-cache slots
    (prefill_slot, prefill_batch, decode_batch) must equal, bit for bit, the same sequences decoded
    one at a time, and the slot API's errors leave every slot as it was. Returns one row for
    report_checks."""
    what = f"--max-batch {max_batch}: batched rows == single-sequence decodes bit for bit, slot API errors"
    p = pare_compile(pare, model, out, name="dec", emit_runner=True,
                     extra=[*extra, "--max-batch", str(max_batch)])
    if p.returncode != 0:
        return (what + ": compile", False, p.output[-2000:])
    root = Path(__file__).resolve().parents[1]
    sources = [str(out / f) for f in ("dec.c", "pare_llm.c", "pare_llm_w4.c", "pare_llm_w8.c",
                                      "pare_k_elementwise.c") if (out / f).exists()]
    exe = out / "batch_check"
    b = run([cc(), *CHECK_CFLAGS, *cflags, "-I", str(out), str(root / "tests/cuda/batch_check.c"),
             *sources, "-lm", "-o", str(exe)])
    if b.returncode != 0:
        return (what + ": build (-Werror -pedantic)", False, b.output[-2000:])
    r = run([str(exe), "-w", str(out / "dec_weights.bin"), "--tol", "0"], timeout=600)
    last = (r.output.strip().splitlines() or [""])
    summary = "; ".join(line.split(": ", 1)[-1] for line in last if line.startswith("batch_check: ")
                        and "rows compared" in line)
    return (f"{what} ({summary[:200]})", r.returncode == 0, r.output[-3000:])


def pare_inspect(
    pare: Path, model: Path, input_shapes: Optional[Dict[str, Sequence[int]]] = None, timeout: float = 300
) -> dict:
    import json

    cmd: List[str] = [str(pare), "inspect", str(model)]
    for n, s in (input_shapes or {}).items():
        cmd += ["--input-shape", shape_arg(n, s)]
    cmd.append("--json")
    p = run(cmd, timeout=timeout)
    if p.returncode != 0:
        raise HarnessError(f"pare inspect {model.name} failed ({p.describe_exit()}): {first_line(p.output)}")
    try:
        return json.loads(p.stdout)
    except ValueError as exc:
        raise HarnessError(f"pare inspect {model.name}: output is not JSON ({exc}): {p.stdout[:200]!r}")


def pare_list_ops(pare: Path) -> Dict[str, set]:
    """`pare list-ops` as {op_type: {since_version, ...}}."""
    p = run([str(pare), "list-ops"], timeout=60)
    if p.returncode != 0:
        raise HarnessError(f"`{pare} list-ops` failed ({p.describe_exit()}): {first_line(p.output)}")
    ops: Dict[str, set] = {}
    for raw in p.stdout.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        op = parts[0]
        versions = set()
        for tok in ",".join(parts[1:]).split(","):
            tok = tok.strip()
            if tok:
                try:
                    versions.add(int(tok))
                except ValueError:
                    raise HarnessError(f"cannot parse `pare list-ops` line {raw!r}")
        ops.setdefault(op, set()).update(versions)
    if not ops:
        raise HarnessError("`pare list-ops` printed no ops")
    return ops


# --------------------------------------------------------------------------------------------
# Building the generated C


_INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)


def _content_key(path: Path, extra: str) -> str:
    """Hash of a source file and, transitively, the local headers it includes."""
    h = hashlib.sha256(extra.encode())
    stack = [path]
    seen = set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            data = p.read_bytes()
        except OSError:
            h.update(b"<missing>" + str(p.name).encode())
            continue
        h.update(p.name.encode() + b"\0" + data + b"\0")
        for inc in _INCLUDE_RE.findall(data.decode("utf-8", errors="replace")):
            stack.append(p.parent / inc)
    return h.hexdigest()


class ObjectCache:
    """Caches object files by the content of their source and local headers.

    Runtime kernel files are the same across many compiled models, so the conformance suite
    compiles each distinct one once. Model files never hit (their contents differ).
    """

    def __init__(self, directory: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._key_locks: Dict[str, threading.Lock] = {}

    def key_lock(self, key: str) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())


def build_c(
    src_dir: Path,
    output: Path,
    cflags: Sequence[str] = CHECK_CFLAGS,
    cache: Optional[ObjectCache] = None,
    timeout: float = 300,
) -> Proc:
    """Build every .c file in src_dir into the executable `output`.

    Without a cache this is literally `gcc CFLAGS src_dir/*.c -lm -o output`. With one, each file is
    compiled separately with the same flags (objects reused by content) and then linked.
    """
    sources = sorted(src_dir.glob("*.c"))
    if not sources:
        return Proc(1, "", f"no .c files in {src_dir}")
    if cache is None:
        return run([cc(), *cflags, *[str(s) for s in sources], "-lm", "-o", str(output)], timeout=timeout)
    objs = []
    flag_key = cc() + " " + " ".join(cflags)
    for s in sources:
        key = _content_key(s, flag_key)
        obj = cache.dir / f"{key}.o"
        with cache.key_lock(key):
            if not obj.exists():
                tmp = cache.dir / f"{key}.{os.getpid()}.{threading.get_ident()}.tmp.o"
                p = run([cc(), *cflags, "-c", str(s), "-o", str(tmp)], timeout=timeout)
                if p.returncode != 0:
                    tmp.unlink(missing_ok=True)
                    return p
                os.replace(tmp, obj)
        objs.append(str(obj))
    return run([cc(), *cflags, *objs, "-lm", "-o", str(output)], timeout=timeout)


def object_sizes(objs: Sequence[Path]) -> Tuple[int, int, int]:
    """(text, data, bss) summed over object files, from binutils `size` (Berkeley format)."""
    find_tool("size", "install binutils (scripts/setup.sh does)")
    p = run(["size", "-B", *[str(o) for o in objs]], timeout=60)
    if p.returncode != 0:
        raise HarnessError(f"size failed: {first_line(p.output)}")
    text = data = bss = 0
    for line in p.stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 3 and parts[0].isdigit():
            text += int(parts[0])
            data += int(parts[1])
            bss += int(parts[2])
    return text, data, bss


# --------------------------------------------------------------------------------------------
# Running the generated runner and comparing


_LATENCY_RE = re.compile(r"^latency_ms:\s*([0-9.eE+-]+)\s*$", re.MULTILINE)


def parse_latency_ms(stdout: str) -> float:
    m = _LATENCY_RE.search(stdout)
    if not m:
        raise HarnessError(f"runner printed no `latency_ms:` line (output: {stdout[-200:]!r})")
    return float(m.group(1))


def run_runner(
    runner: Path, inputs: Sequence[Path], out_dir: Path, repeat: Optional[int] = None, timeout: float = 120
) -> Proc:
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [str(runner), "-o", str(out_dir)]
    if repeat:
        cmd += ["-n", str(repeat)]
    cmd += [str(i) for i in inputs]
    return run(cmd, timeout=timeout, cwd=runner.parent)


def compile_and_run(
    pare: Path,
    model: Path,
    gen: Path,
    inputs: Sequence[Sequence[Path]],
    outputs: Sequence[str],
    name: Optional[str] = None,
    extra: Sequence[str] = (),
    timeout: float = 900,
) -> List[Dict[str, "object"]]:
    """`pare compile --emit-runner` into gen, build it with CHECK_CFLAGS, run it once per entry of
    `inputs` (the .npy files of one run) into gen/../out_NNN; the named outputs of each run.

    Raises HarnessError saying which step failed (compile error or compiler crash, build, runner)."""
    import numpy as np

    p = pare_compile(pare, model, gen, name=name, extra=extra, timeout=timeout)
    if p.returncode != 0:
        kind = "compile error" if p.returncode == 1 else f"compiler CRASH ({p.describe_exit()})"
        raise HarnessError(f"{kind}: {first_line(p.output.replace(str(model.parent) + '/', ''))}")
    runner = gen / "runner"
    b = build_c(gen, runner, CHECK_CFLAGS, timeout=timeout)
    if b.returncode != 0:
        raise HarnessError(f"build error ({b.describe_exit()}): {first_line(b.output.replace(str(gen) + '/', ''))}")
    results = []
    for i, npys in enumerate(inputs):
        odir = gen.parent / f"out_{i:03d}"
        r = run_runner(runner, npys, odir, timeout=timeout)
        if r.returncode != 0:
            raise HarnessError(f"runner {r.describe_exit()} on input {i}: {first_line(r.output)}")
        results.append({n: np.load(odir / f"{sanitize_output_name(n)}.npy", allow_pickle=False) for n in outputs})
    return results


@dataclass
class Comparison:
    ok: bool
    message: str
    max_abs: float = 0.0
    max_rel: float = 0.0


def compare_arrays(actual, expected, rtol: float, atol: float, what: str = "output") -> Comparison:
    """Compare with |a - r| <= atol + rtol*|r|; NaN positions must match; shapes must match.

    Integer and bool references are compared exactly and must keep their dtype.
    """
    import numpy as np

    a = np.asarray(actual)
    r = np.asarray(expected)
    if a.shape != r.shape:
        return Comparison(False, f"{what}: shape {list(a.shape)} != expected {list(r.shape)}")
    if r.dtype.kind in "biu":
        if a.dtype != r.dtype:
            return Comparison(False, f"{what}: dtype {a.dtype} != expected {r.dtype}")
        bad = a != r
        if bad.any():
            idx = np.unravel_index(int(np.argmax(bad)), bad.shape) if bad.ndim else ()
            n = int(bad.sum())
            return Comparison(
                False,
                f"{what}: {n}/{bad.size} elements differ (first at {list(idx)}: {a[idx]!r} vs {r[idx]!r})",
            )
        return Comparison(True, "exact")
    if r.dtype.kind not in "fc":
        return Comparison(False, f"{what}: cannot compare reference dtype {r.dtype}")
    if a.dtype.kind not in "f":
        return Comparison(False, f"{what}: dtype {a.dtype} is not floating (expected {r.dtype})")
    a64 = a.astype(np.float64)
    r64 = r.astype(np.float64)
    an, rn = np.isnan(a64), np.isnan(r64)
    if (an != rn).any():
        idx = np.unravel_index(int(np.argmax(an != rn)), an.shape) if an.ndim else ()
        return Comparison(False, f"{what}: NaN positions differ (first at {list(idx)}: {a64[idx]} vs {r64[idx]})")
    finite = ~rn
    with np.errstate(invalid="ignore", over="ignore"):
        same = a64 == r64  # covers equal infinities
        diff = np.where(same | ~finite, 0.0, np.abs(a64 - r64))
        diff = np.where(np.isnan(diff), np.inf, diff)
        bound = atol + rtol * np.abs(np.where(finite, r64, 0.0))
        bad = diff > bound
        max_abs = float(diff.max()) if diff.size else 0.0
        rel = np.where(np.abs(r64) > 0, diff / np.where(np.abs(r64) > 0, np.abs(r64), 1.0), diff)
        max_rel = float(np.nanmax(rel)) if rel.size else 0.0
    if bad.any():
        idx = np.unravel_index(int(np.argmax(np.where(bad, diff - bound, -np.inf))), bad.shape) if bad.ndim else ()
        n = int(bad.sum())
        return Comparison(
            False,
            f"{what}: {n}/{bad.size} elements out of tolerance, max abs err {max_abs:.3g} "
            f"(worst at {list(idx)}: {a64[idx]:.9g} vs {r64[idx]:.9g}; rtol={rtol:g} atol={atol:g})",
            max_abs,
            max_rel,
        )
    return Comparison(True, f"max abs err {max_abs:.3g}", max_abs, max_rel)


def report_checks(rows, figures: Sequence[str] = ()) -> int:
    """Prints each (what, passed, detail) check as `ok` / `FAIL` (a failure's detail indented
    below it), then each figure, then `all passed` or `FAILED`; returns the exit status."""
    ok = True
    for what, passed, detail in rows:
        print(f"{'ok  ' if passed else 'FAIL'}  {what}")
        if not passed:
            ok = False
            if detail:
                print("      " + detail.replace("\n", "\n      "))
    for f in figures:
        print("figure: " + f)
    print("all passed" if ok else "FAILED")
    return 0 if ok else 1


def onnx_input_name_and_shape(model_path: Path) -> List[Tuple[str, List[object], int]]:
    """[(name, dims, elem_type)] of a model's real inputs (initializers excluded); dims are int or str."""
    import onnx

    m = onnx.load(str(model_path), load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    res = []
    for vi in m.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        dims: List[object] = []
        for d in tt.shape.dim:
            if d.HasField("dim_value"):
                dims.append(int(d.dim_value))
            else:
                dims.append(d.dim_param or "?")
        res.append((vi.name, dims, tt.elem_type))
    return res


# --------------------------------------------------------------------------------------------
# The real models of the end-to-end tests and benchmarks


@dataclass
class RealModel:
    name: str  # table label and pare's --name (the file stem, sanitised)
    path: Path
    input_name: str
    input_shape: List[int]
    input_range: Optional[Tuple[float, float]]  # uniform in [lo, hi]; None: standard normal
    pin_shape: bool  # pass --input-shape (the model's own input shape is symbolic)

    def make_input(self, seed: int):
        import numpy as np

        rng = np.random.default_rng(seed)
        if self.input_range is None:
            x = rng.standard_normal(self.input_shape)
        else:
            x = rng.uniform(self.input_range[0], self.input_range[1], self.input_shape)
        return np.ascontiguousarray(x.astype(np.float32))

    @property
    def shape_args(self) -> Dict[str, List[int]]:
        return {self.input_name: list(self.input_shape)} if self.pin_shape else {}


REAL_MODEL_NAMES = ["mobilenet_v2_035", "resnet18", "squeezenet1_1", "ppocr_cls_mobilenetv3"]


def real_models(models_dir: Path, ppocr: Path, only: Optional[Sequence[str]] = None, verbose: bool = False) -> List[RealModel]:
    """Export the torchvision models (unless up to date) and add the PaddleOCR classifier."""
    import export_models as E  # scripts/, on sys.path beside this module

    wanted = list(only) if only else list(REAL_MODEL_NAMES)
    for n in wanted:
        if n not in REAL_MODEL_NAMES:
            raise HarnessError(f"unknown model {n!r} (known: {', '.join(REAL_MODEL_NAMES)})")
    res: List[RealModel] = []
    tv = [n for n in wanted if n in E.MODEL_NAMES]
    if tv:
        paths = E.export_models(models_dir, tv, verbose=verbose)
        for n in tv:
            res.append(RealModel(n, paths[n], E.INPUT_NAME, list(E.input_shape_of(n)), None, False))
    if "ppocr_cls_mobilenetv3" in wanted:
        if not ppocr.exists():
            raise HarnessError(
                f"{ppocr} not found: the PaddleOCR classifier lives in the shared folder beside the "
                "repository (../shared/models) or in examples/models; pass --ppocr PATH, or --model to "
                "choose other models"
            )
        inputs = onnx_input_name_and_shape(ppocr)
        if len(inputs) != 1:
            raise HarnessError(f"{ppocr}: expected one input, found {len(inputs)}")
        res.append(RealModel(sanitize_c_identifier(ppocr.stem), ppocr, inputs[0][0], [1, 3, 48, 192], (-1.0, 1.0), True))
    order = {n: i for i, n in enumerate(REAL_MODEL_NAMES)}
    return sorted(res, key=lambda m: order.get(m.name, 99))


def ort_session(model: Path, single_thread: bool = False, exact_int8: bool = False, optimize: bool = True,
                save_optimized: Optional[Path] = None):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    if save_optimized is not None:
        # The graph onnxruntime runs after its optimizations (which ops it fused into int8 kernels).
        so.optimized_model_filepath = str(save_optimized)
    if not optimize:
        # No graph optimizations: a QDQ model runs as written (DequantizeLinear -> float op ->
        # QuantizeLinear), its exact meaning. For QDQ models that exact_int8 cannot load
        # (onnxruntime 1.19 fails on a shared quantized constant it converts to uint8).
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    if exact_int8:
        # For QDQ models. The int8 kernels onnxruntime fuses QDQ groups into sum pairs of u8 x s8
        # products into int16 with saturation (VPMADDUBSW) on x86 without AVX-VNNI (AVX2, AVX-512
        # without VNNI) and land up to ~100 quantization steps from the model's meaning; this
        # option makes it use exact kernels there (checked: equal to DequantizeLinear -> float op
        # -> QuantizeLinear on conv/gemm QDQ models). Not for QOperator models: onnxruntime 1.19
        # then turns QLinearMatMul's int8 weights into uint8 and finds no kernel for the result.
        so.add_session_config_entry("session.x64quantprecision", "1")
    if single_thread:
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])


def unshare_initializers(path: Path) -> None:
    """Give every consumer of a shared initializer its own copy, in place.

    quant_pre_process merges equal constants (a hardswish `+ 3` becomes one initializer read by
    every Add), and onnxruntime 1.19 then fails to load the quantized model with exact int8 kernels
    (session.x64quantprecision): it converts the shared int8 constant to uint8 once per reader
    under one name. Copies change nothing else."""
    import onnx

    m = onnx.load(str(path))
    inits = {i.name: i for i in m.graph.initializer}
    seen: Dict[str, int] = {}
    for n in m.graph.node:
        for k, name in enumerate(n.input):
            if name not in inits:
                continue
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                copy = onnx.TensorProto()
                copy.CopyFrom(inits[name])
                copy.name = f"{name}_copy{seen[name] - 1}"
                m.graph.initializer.append(copy)
                n.input[k] = copy.name
    onnx.save(m, str(path))


_PLAN_OP = re.compile(r"^\s*(%[\w#]+(?::\d+)?(?:\s*,\s*%[\w#]+)*)\s*=\s*\"?([\w.]+)\"?(.*)$")
# Ops through which a model's inputs and outputs pass at the API boundary (float <-> int8, the
# NCHW <-> NHWC layout): not counted as float ops or mid-graph transposes there.
_BOUNDARY_OPS = {"pare.quantize", "pare.dequantize", "pare.transpose", "pare.reshape"}
_NOT_COMPUTE = {"pare.constant", "pare.storage_cast"}


@dataclass
class PlanCensus:
    """What `pare compile --compile-to plan -o -` left in a model (see plan_census)."""

    ops: Dict[str, int]  # every op but constants / storage_casts, by name
    float_ops: Dict[str, int]  # ops with a float result inside the graph, by name
    mid_transposes: int  # pare.transpose not on an input's or output's boundary chain
    boundary_transposes: int
    pads: int  # pare.pad anywhere

    def summary(self) -> str:
        fl = ", ".join(f"{k.removeprefix('pare.')} x{v}" for k, v in sorted(self.float_ops.items())) or "none"
        return (f"float ops: {sum(self.float_ops.values())} ({fl}); mid-graph transposes: "
                f"{self.mid_transposes} (boundary: {self.boundary_transposes}); pads: {self.pads}")


def plan_census(text: str) -> PlanCensus:
    """Counts, in the IR `pare compile --compile-to plan -o -` prints, the ops left in float and the
    layout transposes inside the graph.

    An op is on the input boundary when it is reached from a function argument through
    quantize / dequantize / transpose / reshape ops only, on the output boundary when a returned
    value is reached from it through such ops only; those are the API conversions every model has
    (float NCHW in, float out). Every other op whose result is a float tensor (not a quantized
    type) is a float op, except constants and the storage_casts of weights; every other
    pare.transpose is a mid-graph transpose. Integer and quantized results are int8 work."""
    defs: Dict[str, Tuple[str, List[str], bool]] = {}  # value -> (op, operands, float result)
    order: List[str] = []
    users: Dict[str, List[str]] = {}
    returned: List[str] = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("return ") or s.startswith("func.return "):
            head = s.split(":", 1)[0]
            returned += re.findall(r"%[\w#]+", head)
            continue
        m = _PLAN_OP.match(line)
        if not m:
            continue
        results, op, rest = m.group(1), m.group(2), m.group(3)
        head = re.split(r"\s[{:]\s?|\s\{", rest, maxsplit=1)[0]
        operands = re.findall(r"%[\w#]+", head)
        rtype = rest.rsplit("->", 1)[-1] if "->" in rest else rest.rsplit(":", 1)[-1]
        is_float = "!quant" not in rtype and bool(re.search(r"x?f(16|32|64)>", rtype))
        first = results.split(",")[0].strip().split(":")[0]
        defs[first] = (op, operands, is_float)
        order.append(first)
        for o in operands:
            users.setdefault(o, []).append(first)
    boundary = set()
    frontier = [v for v in users if v.startswith("%arg")]
    while frontier:  # forward from the arguments
        v = frontier.pop()
        for u in users.get(v, []):
            if u not in boundary and defs[u][0] in _BOUNDARY_OPS:
                boundary.add(u)
                frontier.append(u)
    frontier = [v for v in returned if v in defs and defs[v][0] in _BOUNDARY_OPS]
    boundary.update(frontier)
    while frontier:  # backward from the returned values
        v = frontier.pop()
        for o in defs[v][1]:
            if o in defs and o not in boundary and defs[o][0] in _BOUNDARY_OPS:
                boundary.add(o)
                frontier.append(o)
    ops: Dict[str, int] = {}
    float_ops: Dict[str, int] = {}
    mid = bnd = pads = 0
    for v in order:
        op, _, is_float = defs[v]
        if op in _NOT_COMPUTE:
            continue
        ops[op] = ops.get(op, 0) + 1
        if op == "pare.pad":
            pads += 1
        if v in boundary:
            bnd += op == "pare.transpose"
            continue
        if op == "pare.transpose":
            mid += 1
        if is_float:
            float_ops[op] = float_ops.get(op, 0) + 1
    return PlanCensus(ops, float_ops, mid, bnd, pads)


_ORT_LAYOUT_OPS = {"Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "QuantizeLinear",
                   "DequantizeLinear"}


def ort_float_ops(optimized_model: Path) -> Dict[str, int]:
    """Ops onnxruntime runs in float in a graph it optimized (ort_session(save_optimized=...)):
    every node, other than layout ops and Q / DQ, that reads a tensor computed in float: the
    output of a DequantizeLinear or of another float op, directly or through layout ops."""
    import onnx

    m = onnx.load(str(optimized_model))
    inits = {i.name for i in m.graph.initializer}
    floaty = set()
    counts: Dict[str, int] = {}
    for n in m.graph.node:  # nodes are topologically sorted in a saved model
        reads_float = any(i in floaty for i in n.input if i and i not in inits)
        if n.op_type == "DequantizeLinear":
            floaty.update(n.output)
        elif n.op_type in _ORT_LAYOUT_OPS:
            if reads_float and n.op_type != "QuantizeLinear":
                floaty.update(n.output)
        elif reads_float:
            counts[n.op_type] = counts.get(n.op_type, 0) + 1
            floaty.update(n.output)
    return counts
