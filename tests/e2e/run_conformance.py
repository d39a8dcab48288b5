#!/usr/bin/env python3
"""Run the ONNX backend node test suite through pare end to end.

The cases come from the pinned onnx package (onnx/backend/test/data/node/<case>/model.onnx with
test_data_set_*/input_*.pb and output_*.pb). A case is selected when every node of its main graph
is an ai.onnx op that `pare list-ops` lists for the since-version the model's opset resolves to,
and its inputs and outputs are tensors of a dtype numpy can hold; everything else counts as
unsupported (skipped). Models with subgraphs (If/Loop/Scan bodies), model-local functions or
non-default domains are unsupported.

pare needs static shapes, and the node tests feed operands that real models keep constant (axes,
pads, target shapes, slice bounds, BatchNorm statistics, the scales and zero points of
QuantizeLinear / DequantizeLinear / QLinearConv / QLinearMatMul / ConvInteger / MatMulInteger) as
graph inputs. So, unless
--no-freeze-inputs is given, a graph input whose every use is such an operand (FREEZABLE_OPERANDS
in this script) is turned into an initializer holding the test's value before compiling; the
test then checks the op's semantics, not pare's deliberate refusal of run-time shapes.

Each selected case is compiled with `pare compile --emit-runner`, built with
`gcc -std=c99 -Wall -Wextra -Werror -pedantic -O2 *.c -lm`, run on every test data set, and each
output is compared with the expected one: shapes must match, NaN positions must match, integer and
bool outputs must match exactly in their own dtype, and float outputs must satisfy
|a - r| <= atol + rtol * |r| (rtol 1e-4, atol 1e-5 unless the tolerance table below loosens them
for an op the case contains).

tests/e2e/conformance_xfail.txt is a strict expected-failure list: a listed case that fails is
XFAIL, a listed case that passes is an error (XPASS) until it is removed, and an unlisted failure
is an error. The exit status is non-zero iff there is an unexpected failure or an XPASS.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import pare_harness as H  # noqa: E402

XFAIL_FILE = Path(__file__).resolve().parent / "conformance_xfail.txt"

# Per-op tolerances (rtol, atol), used instead of the defaults when a case contains the op; a case
# with several listed ops takes the loosest of each. Every entry needs a reason. onnxruntime 1.19
# (float32 kernels) passes the node tests of Erf, Gelu, Pow, Exp, Softmax, LayerNormalization and the
# reductions at the defaults, so none are loosened yet; add an entry only when a failure is a
# rounding difference of a correct float32 kernel (a few ulp where |r| is large or the op is steep),
# never to hide a wrong result. Example: "Pow": (1e-3, 1e-5),  # powf ulp error times large exponents
TOLERANCES: Dict[str, Tuple[float, float]] = {}

# Operands that are attributes in all but name: shapes, axes, pads, slice bounds,
# BatchNorm statistics and quantization scales / zero points. Real models hold them in initializers or Constant nodes; the node tests feed
# them as graph inputs. Unless --no-freeze-inputs is given, a graph input whose every use is one of these
# (op type -> input indices) becomes an initializer holding the test's value, so the test checks
# the op's semantics instead of pare's (deliberate) refusal of run-time shapes.
FREEZABLE_OPERANDS: Dict[str, Tuple[int, ...]] = {
    "BatchNormalization": (1, 2, 3, 4),
    "ConstantOfShape": (0,),
    # Quantization parameters (scales and zero points): pare needs them constant, as every
    # quantized model has them (they go into the quantized element types at import).
    "ConvInteger": (2, 3),
    "DequantizeLinear": (1, 2),
    "Dropout": (1, 2),
    "Expand": (1,),
    "MatMulInteger": (2, 3),
    "Pad": (1, 2, 3),
    "QLinearConv": (1, 2, 4, 5, 6, 7),
    "QLinearMatMul": (1, 2, 4, 5, 6, 7),
    "QuantizeLinear": (1, 2),
    "Range": (0, 1, 2),
    "ReduceL1": (1,),
    "ReduceL2": (1,),
    "ReduceLogSum": (1,),
    "ReduceLogSumExp": (1,),
    "ReduceMax": (1,),
    "ReduceMean": (1,),
    "ReduceMin": (1,),
    "ReduceProd": (1,),
    "ReduceSum": (1,),
    "ReduceSumSquare": (1,),
    "Reshape": (1,),
    "Resize": (1, 2, 3),
    "Slice": (1, 2, 3, 4),
    "Split": (1,),
    "Squeeze": (1,),
    "Tile": (1,),
    "Trilu": (1,),
    "TopK": (1,),
    "Unsqueeze": (1,),
    "Upsample": (1,),
}

# Timeouts of one step of one case, in seconds.
COMPILE_TIMEOUT = 120
BUILD_TIMEOUT = 180
RUN_TIMEOUT = 60


def node_test_dir() -> Path:
    import onnx

    d = Path(onnx.__file__).resolve().parent / "backend" / "test" / "data" / "node"
    if not d.is_dir():
        H.die(f"no ONNX node tests at {d}: install the pinned onnx (scripts/setup.sh)")
    return d


# --------------------------------------------------------------------------------------------
# Case selection


@dataclass
class Case:
    name: str
    dir: Path
    opset: int = 0
    ops: List[str] = field(default_factory=list)
    inputs: List[Tuple[str, List[object], int]] = field(default_factory=list)  # name, dims, elem_type
    outputs: List[Tuple[str, int]] = field(default_factory=list)  # name, elem_type
    freezable: List[int] = field(default_factory=list)  # indices into inputs, see FREEZABLE_OPERANDS
    unsupported: Optional[str] = None

    @property
    def model(self) -> Path:
        return self.dir / "model.onnx"

    def data_sets(self) -> List[Path]:
        return sorted(self.dir.glob("test_data_set_*"), key=lambda p: int(p.name.rsplit("_", 1)[1]))

    def tolerance(self, rtol: float, atol: float) -> Tuple[float, float]:
        for op in self.ops:
            if op in TOLERANCES:
                r, a = TOLERANCES[op]
                rtol, atol = max(rtol, r), max(atol, a)
        return rtol, atol


def _supported_elem_types():
    from onnx import TensorProto as T

    return {
        T.FLOAT, T.DOUBLE, T.FLOAT16, T.BOOL,
        T.INT8, T.INT16, T.INT32, T.INT64, T.UINT8, T.UINT16, T.UINT32, T.UINT64,
    }  # fmt: skip


def analyse_case(case_dir: Path, pare_ops: Dict[str, set]) -> Case:
    import onnx

    case = Case(case_dir.name, case_dir)
    try:
        m = onnx.load(str(case.model))
    except Exception as exc:  # a corrupt file is a harness problem, reported as unsupported
        case.unsupported = f"cannot load model: {exc}"
        return case
    opsets = {o.domain or "ai.onnx": o.version for o in m.opset_import}
    case.opset = opsets.get("ai.onnx", 0)
    if m.functions:
        case.unsupported = "model-local functions"
        return case
    if not case.opset:
        case.unsupported = "no ai.onnx opset import"
        return case
    ok_types = _supported_elem_types()
    inits = {i.name for i in m.graph.initializer}
    for vi in m.graph.input:
        if vi.name in inits:
            continue
        kind = vi.type.WhichOneof("value")
        if kind != "tensor_type":
            case.unsupported = f"input {vi.name!r} is a {kind}"
            return case
        tt = vi.type.tensor_type
        if tt.elem_type not in ok_types:
            case.unsupported = f"input dtype {onnx.TensorProto.DataType.Name(tt.elem_type)}"
            return case
        dims: List[object] = []
        if tt.HasField("shape"):
            dims = [int(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?") for d in tt.shape.dim]
        else:
            dims = None  # type: ignore[assignment]  # rank unknown
        case.inputs.append((vi.name, dims, tt.elem_type))
    for vi in m.graph.output:
        kind = vi.type.WhichOneof("value")
        if kind != "tensor_type":
            case.unsupported = f"output {vi.name!r} is a {kind}"
            return case
        if vi.type.tensor_type.elem_type not in ok_types:
            case.unsupported = f"output dtype {onnx.TensorProto.DataType.Name(vi.type.tensor_type.elem_type)}"
            return case
        case.outputs.append((vi.name, vi.type.tensor_type.elem_type))
    ops = []
    for node in m.graph.node:
        domain = node.domain or "ai.onnx"
        if domain != "ai.onnx":
            case.unsupported = f"op {node.op_type} of domain {domain}"
            return case
        if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute):
            case.unsupported = f"op {node.op_type} has a subgraph"
            return case
        try:
            since = onnx.defs.get_schema(node.op_type, case.opset, "").since_version
        except Exception:
            case.unsupported = f"op {node.op_type} unknown to onnx at opset {case.opset}"
            return case
        handled = pare_ops.get(node.op_type)
        if handled is None:
            case.unsupported = f"op {node.op_type} not in pare list-ops"
            return case
        if since not in handled:
            case.unsupported = f"op {node.op_type}-{since} (opset {case.opset}) not handled (pare: {sorted(handled)})"
            return case
        if node.op_type not in ops:
            ops.append(node.op_type)
    case.ops = ops
    uses: Dict[str, List[Tuple[str, int]]] = {}
    for node in m.graph.node:
        for k, name in enumerate(node.input):
            uses.setdefault(name, []).append((node.op_type, k))
    for i, (name, _, _) in enumerate(case.inputs):
        u = uses.get(name, [])
        if u and all(k in FREEZABLE_OPERANDS.get(op, ()) for op, k in u):
            case.freezable.append(i)
    if not case.data_sets():
        case.unsupported = "no test data sets"
    return case


# --------------------------------------------------------------------------------------------
# Running a case


@dataclass
class Result:
    name: str
    passed: bool
    reason: str = ""
    seconds: float = 0.0


def _load_tensor(path: Path):
    import onnx
    from onnx import numpy_helper

    t = onnx.TensorProto()
    t.ParseFromString(path.read_bytes())
    return numpy_helper.to_array(t)


def freeze_inputs(case: Case, sets: List[Path], dest: Path) -> List[int]:
    """Write case.model with its freezable inputs turned into initializers to `dest`.

    Returns the indices of the inputs frozen: those whose value is the same in every data set.
    """
    import numpy as np
    import onnx
    from onnx import numpy_helper

    frozen: Dict[int, object] = {}
    for i in case.freezable:
        vals = [_load_tensor(ds / f"input_{i}.pb") for ds in sets]
        if all(v.shape == vals[0].shape and np.array_equal(v, vals[0]) for v in vals[1:]):
            frozen[i] = vals[0]
    if not frozen:
        return []
    m = onnx.load(str(case.model))
    names = {case.inputs[i][0]: i for i in frozen}
    keep_inputs = [vi for vi in m.graph.input if vi.name not in names]
    del m.graph.input[:]
    m.graph.input.extend(keep_inputs)
    for name, i in names.items():
        m.graph.initializer.append(numpy_helper.from_array(np.asarray(frozen[i]), name))
    m.ir_version = max(m.ir_version, 4)  # initializers need not be graph inputs from IR 4 on
    onnx.save(m, str(dest))
    return sorted(frozen)


def run_case(
    case: Case, pare: Path, work: Path, cache: Optional[H.ObjectCache], rtol: float, atol: float, keep: bool, freeze: bool
) -> Result:
    import numpy as np

    t0 = time.monotonic()
    cdir = work / case.name
    shutil.rmtree(cdir, ignore_errors=True)
    out = cdir / "gen"
    cdir.mkdir(parents=True)

    def fail(reason: str) -> Result:
        if not keep:
            shutil.rmtree(cdir, ignore_errors=True)
        return Result(case.name, False, reason, time.monotonic() - t0)

    sets = case.data_sets()
    model = case.model
    frozen: List[int] = []
    if freeze and case.freezable:
        frozen = freeze_inputs(case, sets, cdir / "model.onnx")
        if frozen:
            model = cdir / "model.onnx"
    # Pin the shape of any input whose declared shape is not fully static, from the first data set.
    shapes: Dict[str, List[int]] = {}
    first_inputs = sorted(sets[0].glob("input_*.pb"), key=lambda p: int(p.stem.split("_")[1]))
    for i, (name, dims, _) in enumerate(case.inputs):
        if i in frozen:
            continue
        if dims is None or any(not isinstance(d, int) for d in dims):
            if i < len(first_inputs):
                arr = _load_tensor(first_inputs[i])
                if arr.ndim:
                    shapes[name] = list(arr.shape)

    p = H.pare_compile(pare, model, out, input_shapes=shapes, timeout=COMPILE_TIMEOUT)
    if p.returncode != 0:
        msg = H.first_line(p.output.replace(str(model), "model.onnx"))
        if p.returncode == 1:
            return fail(f"compile error: {msg}")
        if p.not_run:
            return fail(f"pare {p.describe_exit()}: {msg}")
        return fail(f"compiler CRASH ({p.describe_exit()}): {msg}")
    runner = out / "runner"
    b = H.build_c(out, runner, H.CHECK_CFLAGS, cache=cache, timeout=BUILD_TIMEOUT)
    if b.returncode != 0:
        return fail(f"build error ({b.describe_exit()}): {H.first_line(b.output.replace(str(out) + '/', ''))}")

    rtol, atol = case.tolerance(rtol, atol)
    worst = 0.0
    for ds in sets:
        in_pbs = sorted(ds.glob("input_*.pb"), key=lambda q: int(q.stem.split("_")[1]))
        out_pbs = sorted(ds.glob("output_*.pb"), key=lambda q: int(q.stem.split("_")[1]))
        if len(in_pbs) != len(case.inputs) or len(out_pbs) != len(case.outputs):
            return fail(
                f"harness: {ds.name} has {len(in_pbs)} inputs and {len(out_pbs)} outputs, "
                f"the model {len(case.inputs)} and {len(case.outputs)}"
            )
        ddir = cdir / ds.name
        ddir.mkdir()
        npys = []
        for k, pb in enumerate(in_pbs):
            if k in frozen:
                continue
            arr = np.ascontiguousarray(_load_tensor(pb))
            f = ddir / f"input_{k}.npy"
            np.save(f, arr, allow_pickle=False)
            npys.append(f)
        odir = ddir / "out"
        r = H.run_runner(runner, npys, odir, timeout=RUN_TIMEOUT)
        if r.returncode != 0:
            return fail(f"runner {r.describe_exit()} on {ds.name}: {H.first_line(r.output)}")
        for k, pb in enumerate(out_pbs):
            oname = case.outputs[k][0]
            f = odir / (H.sanitize_output_name(oname) + ".npy")
            if not f.exists():
                return fail(f"runner wrote no {f.name} for output {oname!r}")
            try:
                got = np.load(f, allow_pickle=False)
            except Exception as exc:
                return fail(f"cannot read {f.name}: {exc}")
            c = H.compare_arrays(got, _load_tensor(pb), rtol, atol, what=f"output {oname!r}")
            if not c.ok:
                return fail(c.message + (f" [{ds.name}]" if len(sets) > 1 else ""))
            worst = max(worst, c.max_abs)
    if not keep:
        shutil.rmtree(cdir, ignore_errors=True)
    note = f"; inputs {', '.join(case.inputs[i][0] for i in frozen)} frozen" if frozen else ""
    return Result(case.name, True, f"max abs err {worst:.3g}{note}", time.monotonic() - t0)


# --------------------------------------------------------------------------------------------
# The expected-failure list


XFAIL_HEADER = """\
# Expected failures of tests/e2e/run_conformance.py (ONNX backend node tests through pare).
# One case a line, `# reason` after it. The list is strict: a listed case that passes is an
# error (XPASS) until its line is removed. Regenerate with
#   .venv/bin/python tests/e2e/run_conformance.py --update-xfail
# (entries outside --filter are kept as they are; reasons already written are kept).
"""


def read_xfail(path: Path) -> Dict[str, str]:
    entries: Dict[str, str] = {}
    if not path.exists():
        return entries
    for raw in path.read_text().splitlines():
        body, _, comment = raw.partition("#")
        name = body.strip()
        if not name:
            continue
        if " " in name or "\t" in name:
            H.die(f"{path}: bad line {raw!r}: expected one case name, then an optional `# reason`")
        entries[name] = comment.strip()
    return entries


def short_reason(reason: str) -> str:
    """A failure reason compact enough for the xfail list."""
    reason = re.sub(r"^compile error: (model\.onnx: )?(node '[^']*': )?(error: )?", "compile error: ", reason)
    reason = re.sub(r"(\.[ch]:\d+:\d+: )error: ", r"\1", reason)
    return reason[:160]


def write_xfail(path: Path, entries: Dict[str, str]) -> None:
    lines = [XFAIL_HEADER]
    width = max((len(n) for n in entries), default=0)
    for name in sorted(entries):
        reason = entries[name].replace("\n", " ").strip()
        lines.append(f"{name.ljust(width)}  # {reason}\n" if reason else f"{name}\n")
    path.write_text("".join(lines))


# --------------------------------------------------------------------------------------------


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1]
        + "\nPer-op tolerances (TOLERANCES in this script): "
        + (", ".join(f"{op} rtol={r:g} atol={a:g}" for op, (r, a) in sorted(TOLERANCES.items())) or "none"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--pare", help=f"the pare binary (default: {H.DEFAULT_PARE.relative_to(H.REPO_ROOT)})")
    ap.add_argument("--filter", metavar="REGEX", help="run only cases whose name matches REGEX (re.search)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="cases run in parallel (default 2)")
    ap.add_argument("--update-xfail", action="store_true", help=f"rewrite {XFAIL_FILE.name} with the current failures and exit 0")
    ap.add_argument("--xfail-file", type=Path, default=XFAIL_FILE, help="expected-failure list (default: %(default)s)")
    ap.add_argument("--rtol", type=float, default=H.DEFAULT_RTOL, help="default relative tolerance (default %(default)g)")
    ap.add_argument("--atol", type=float, default=H.DEFAULT_ATOL, help="default absolute tolerance (default %(default)g)")
    ap.add_argument(
        "--no-freeze-inputs",
        dest="freeze_inputs",
        action="store_false",
        help="compile the models as they are, without freezing shape-like inputs (see above)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the generated code of failing cases (path printed)")
    ap.add_argument("--work-dir", type=Path, help="where cases are compiled (default: a fresh temporary directory)")
    ap.add_argument("--no-obj-cache", action="store_true", help="build each case with the single gcc command, no object reuse")
    ap.add_argument("--list", action="store_true", help="only list the selected cases (and with -v the unsupported ones with why)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case's result and every skip reason")
    args = ap.parse_args(argv)
    if args.jobs < 1:
        H.die("-j must be at least 1")
    try:
        name_re = re.compile(args.filter) if args.filter else None
    except re.error as exc:
        H.die(f"bad --filter regex: {exc}")

    H.ensure_python_deps(("numpy", "onnx"))
    pare = H.find_pare(args.pare)
    H.find_tool(H.cc(), "install gcc (scripts/setup.sh does)")
    try:
        pare_ops = H.pare_list_ops(pare)
    except H.HarnessError as exc:
        H.die(str(exc))
    xfail = read_xfail(args.xfail_file)

    root = node_test_dir()
    all_dirs = sorted(d for d in root.iterdir() if (d / "model.onnx").exists())
    dirs = [d for d in all_dirs if not name_re or name_re.search(d.name)]
    cases = [analyse_case(d, pare_ops) for d in dirs]
    selected = [c for c in cases if c.unsupported is None]
    skipped = [c for c in cases if c.unsupported is not None]
    if args.verbose or args.list:
        for c in selected if args.list else []:
            print(f"{c.name}  ({', '.join(c.ops)}; opset {c.opset})")
        if args.verbose:
            for c in skipped:
                print(f"UNSUPPORTED {c.name}: {c.unsupported}")
    if args.list:
        print(f"{len(selected)} selected, {len(skipped)} unsupported")
        return 0

    known = {d.name for d in all_dirs}
    for name in sorted(xfail):
        if name not in known:
            print(f"warning: {args.xfail_file.name} lists {name}, which is not an ONNX node test", file=sys.stderr)

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="pare-conformance-"))
    work.mkdir(parents=True, exist_ok=True)
    cache = None if args.no_obj_cache else H.ObjectCache(work / ".objcache")
    t0 = time.monotonic()
    results: Dict[str, Result] = {}
    pool = cf.ThreadPoolExecutor(max_workers=args.jobs)
    try:
        futs = {
            pool.submit(run_case, c, pare, work, cache, args.rtol, args.atol, args.keep, args.freeze_inputs): c
            for c in selected
        }
        for fut in cf.as_completed(futs):
            c = futs[fut]
            try:
                r = fut.result()
            except Exception as exc:  # a harness bug: report it against the case, keep going
                r = Result(c.name, False, f"harness error: {exc.__class__.__name__}: {exc}")
            results[c.name] = r
            if args.verbose:
                status = "PASS" if r.passed else ("XFAIL" if c.name in xfail else "FAIL")
                print(f"{status} {c.name} ({r.seconds:.1f}s): {r.reason}", flush=True)
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        print("interrupted", file=sys.stderr)
        return 130
    pool.shutdown()
    elapsed = time.monotonic() - t0

    passed = failed = xfailed = 0
    problems: List[str] = []
    for c in selected:
        r = results[c.name]
        listed = c.name in xfail
        if r.passed and listed:
            failed += 1
            problems.append(f"XPASS {c.name}: passes but is listed in {args.xfail_file.name}; remove it")
        elif r.passed:
            passed += 1
        elif listed:
            xfailed += 1
        else:
            failed += 1
            problems.append(f"FAIL {c.name}: {r.reason}" + (f" (kept in {work / c.name})" if args.keep else ""))
    if not args.verbose:
        for line in problems:
            print(line)
    elif problems:
        print("unexpected results:")
        for line in problems:
            print("  " + line)

    if args.update_xfail:
        new = {}
        selected_names = {c.name for c in selected}
        for name, reason in xfail.items():
            in_scope = name in known and (not name_re or name_re.search(name))
            if not in_scope and name in known:
                new[name] = reason  # outside --filter: untouched
            elif name in selected_names and not results[name].passed:
                new[name] = reason or short_reason(results[name].reason)
        for c in selected:
            r = results[c.name]
            if not r.passed and c.name not in new:
                new[c.name] = short_reason(r.reason)
        write_xfail(args.xfail_file, new)
        print(f"wrote {args.xfail_file} ({len(new)} entries)")

    if args.work_dir is None and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(f"ran {len(selected)} of {len(cases)} cases in {elapsed:.0f}s with -j{args.jobs}")
    print(f"{passed} passed, {failed} failed, {xfailed} xfail, {len(skipped)} unsupported (skipped)")
    if args.update_xfail:
        return 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
