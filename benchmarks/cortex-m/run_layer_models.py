#!/usr/bin/env python3
"""The nine CMSIS-NN reference layers of ../shared/docs/measuring-on-cortex-m.md, each as a
one-layer quantized ONNX model compiled by pare and run the way whole models are
(scripts/run_cortex_m.py: examples/cortex-m firmware, qemu-system-arm -icount shift=7, exact
instruction count of one `<name>_run`), with pare's count beside CMSIS-NN's.

Each model has int8 graph input(s) and output, so the generated code holds only the layer:

    x int8 NHWC -> Transpose(NCHW) -> DequantizeLinear -> Conv / Gemm / Add / GlobalAveragePool
      -> QuantizeLinear -> Transpose(NHWC) -> y int8 NHWC

Weights are int8 behind a per-channel (axis 0) DequantizeLinear, the bias int32 behind a
DequantizeLinear of scale s_x * s_w[c] (zero point 0); no activation. The two Transposes are the
inverse of the NCHW<->NHWC conversions pare inserts around its NHWC kernels, so they cancel and
the I/O is NHWC as in CMSIS-NN (checked: the generated C must contain no transpose loop). The fully
connected layer (2-D) and the add (elementwise) need no Transposes.

Scales: input scale ~U(0.01, 0.05) with a zero point in [-20, 20]; weights uniform int8 in
[-127, 127] with per-channel scales ~U(0.002, 0.02); bias ~U(-2^10, 2^10) int32; the output scale and
zero point cover the float range of the layer's result on the test input (so the output is neither
saturated nor all-zero). Seeded: the models and inputs are the same on every run.

Overhead: an "empty" model (int8 [1,1] -> DequantizeLinear -> QuantizeLinear with the same
parameters, which pare folds to a one-byte copy) gives the fixed cost of the call into `<name>_run`
plus the counter reads; it is measured and subtracted ("net" columns).

Checks: M4 and M7 outputs identical to each other and to a host build of the same model
(`pare compile --target generic-c --emit-runner`, gcc -O2, the kernels' portable C path), and the
agreement with onnxruntime is reported (exact for --int8-rounding onnx; tflite rounding is
TFLite's Q31 contract, which may differ by one step from onnxruntime's float requantization).

Run:  .venv/bin/python benchmarks/cortex-m/run_layer_models.py [--rounding tflite|onnx|both]
                       [--layers L1,L3] [--cpus m4,m7] [--work DIR] [--json] [--pare BIN]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PARE = ROOT / "build" / "tools" / "pare" / "pare"
RUN_CORTEX_M = ROOT / "scripts" / "run_cortex_m.py"
PY = sys.executable

# name: (description, kind, params, CMSIS-NN M4, CMSIS-NN M7), from measuring-on-cortex-m.md
LAYERS = {
    "L1": ("conv 3x3 s2 p1, 3->16, 144x144", "conv", dict(cin=3, cout=16, hw=144, k=3, s=2, p=1, group=1),
           10798662, 10885148),
    "L2": ("depthwise 3x3 s1 p1, 16ch, 72x72", "conv", dict(cin=16, cout=16, hw=72, k=3, s=1, p=1, group=16),
           6955620, 6851795),
    "L3": ("pointwise 16->8, 72x72", "conv", dict(cin=16, cout=8, hw=72, k=1, s=1, p=0, group=1),
           2623967, 2592865),
    "L4": ("pointwise 8->48, 72x72", "conv", dict(cin=8, cout=48, hw=72, k=1, s=1, p=0, group=1),
           13191147, 13315605),
    "L5": ("depthwise 3x3 s2 p1, 48ch, 72->36", "conv", dict(cin=48, cout=48, hw=72, k=3, s=2, p=1, group=48),
           4972656, 4888051),
    "L6": ("pointwise 56->336, 9x9", "conv", dict(cin=56, cout=336, hw=9, k=1, s=1, p=0, group=1),
           3455955, 3422013),
    "L7": ("fully connected 1280->1000", "fc", dict(cin=1280, cout=1000), 2457641, 2457644),
    "L8": ("add 36x36x16", "add", dict(c=16, hw=36), 1691173, 1694947),
    "L9": ("global avg pool 5x5x1280", "gap", dict(c=1280, hw=5), 209227, 209223),
}
CPUS = ("m4", "m7")
# ops of the generated code that are the layer itself (anything else is reported)
KERNEL_OPS = {"qconv", "qfully_connected", "qadd", "qglobal_average_pool", "qgemm", "qmatmul",
              "qavg_pool", "copy"}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)


# --------------------------------------------------------------------------- models

def _scalar(name, value, dtype):
    return numpy_helper.from_array(np.array(value, dtype=dtype), name)


def _build(nodes, inputs, output, inits):
    graph = helper.make_graph(nodes, "layer", inputs, [output], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def make_layer(name: str, rng: np.random.Generator, out_scale=(1.0, 0)):
    """Returns (model, inputs dict of int8 arrays). out_scale = (y_scale, y_zero_point)."""
    _, kind, p, *_ = LAYERS[name]
    ys, yzp = out_scale
    inits, nodes, inputs, feeds = [], [], [], {}
    xs = float(rng.uniform(0.01, 0.05))
    xzp = int(rng.integers(-20, 21))
    inits += [_scalar("x_scale", xs, np.float32), _scalar("x_zp", xzp, np.int8),
              _scalar("y_scale", ys, np.float32), _scalar("y_zp", yzp, np.int8)]

    def int8_input(iname, shape):
        inputs.append(helper.make_tensor_value_info(iname, TensorProto.INT8, shape))
        feeds[iname] = rng.integers(-128, 128, size=shape).astype(np.int8)

    if kind == "conv" or kind == "fc":
        cin, cout = p["cin"], p["cout"]
        if kind == "conv":
            wshape = [cout, cin // p["group"], p["k"], p["k"]]
        else:
            wshape = [cout, cin]
        w = rng.integers(-127, 128, size=wshape).astype(np.int8)
        ws = rng.uniform(0.002, 0.02, size=cout).astype(np.float32)
        b = rng.integers(-1024, 1025, size=cout).astype(np.int32)
        inits += [numpy_helper.from_array(w, "w_q"), numpy_helper.from_array(ws, "w_scale"),
                  numpy_helper.from_array(np.zeros(cout, np.int8), "w_zp"),
                  numpy_helper.from_array(b, "b_q"),
                  numpy_helper.from_array((np.float32(xs) * ws).astype(np.float32), "b_scale"),
                  numpy_helper.from_array(np.zeros(cout, np.int32), "b_zp")]
        nodes += [helper.make_node("DequantizeLinear", ["w_q", "w_scale", "w_zp"], ["w"], axis=0),
                  helper.make_node("DequantizeLinear", ["b_q", "b_scale", "b_zp"], ["b"], axis=0)]
    if kind == "conv":
        hw, s = p["hw"], p["s"]
        oh = (hw + 2 * p["p"] - p["k"]) // s + 1
        int8_input("x", [1, hw, hw, cin])
        nodes += [helper.make_node("Transpose", ["x"], ["x_nchw"], perm=[0, 3, 1, 2]),
                  helper.make_node("DequantizeLinear", ["x_nchw", "x_scale", "x_zp"], ["xf"]),
                  helper.make_node("Conv", ["xf", "w", "b"], ["yf"], kernel_shape=[p["k"]] * 2,
                                   strides=[s, s], pads=[p["p"]] * 4, group=p["group"]),
                  helper.make_node("QuantizeLinear", ["yf", "y_scale", "y_zp"], ["y_nchw"]),
                  helper.make_node("Transpose", ["y_nchw"], ["y"], perm=[0, 2, 3, 1])]
        out = helper.make_tensor_value_info("y", TensorProto.INT8, [1, oh, oh, cout])
    elif kind == "fc":
        int8_input("x", [1, cin])
        nodes += [helper.make_node("DequantizeLinear", ["x", "x_scale", "x_zp"], ["xf"]),
                  helper.make_node("Gemm", ["xf", "w", "b"], ["y_f"], transB=1),
                  helper.make_node("QuantizeLinear", ["y_f", "y_scale", "y_zp"], ["y"])]
        out = helper.make_tensor_value_info("y", TensorProto.INT8, [1, cout])
    elif kind == "add":
        shape = [1, p["hw"], p["hw"], p["c"]]
        int8_input("a", shape)
        int8_input("b", shape)
        inits += [_scalar("b_scale", float(rng.uniform(0.01, 0.05)), np.float32),
                  _scalar("b_zp", int(rng.integers(-20, 21)), np.int8)]
        nodes += [helper.make_node("DequantizeLinear", ["a", "x_scale", "x_zp"], ["af"]),
                  helper.make_node("DequantizeLinear", ["b", "b_scale", "b_zp"], ["bf"]),
                  helper.make_node("Add", ["af", "bf"], ["yf"]),
                  helper.make_node("QuantizeLinear", ["yf", "y_scale", "y_zp"], ["y"])]
        out = helper.make_tensor_value_info("y", TensorProto.INT8, shape)
    elif kind == "gap":
        c, hw = p["c"], p["hw"]
        int8_input("x", [1, hw, hw, c])
        nodes += [helper.make_node("Transpose", ["x"], ["x_nchw"], perm=[0, 3, 1, 2]),
                  helper.make_node("DequantizeLinear", ["x_nchw", "x_scale", "x_zp"], ["xf"]),
                  helper.make_node("GlobalAveragePool", ["xf"], ["yf"]),
                  helper.make_node("QuantizeLinear", ["yf", "y_scale", "y_zp"], ["y_nchw"]),
                  helper.make_node("Transpose", ["y_nchw"], ["y"], perm=[0, 2, 3, 1])]
        out = helper.make_tensor_value_info("y", TensorProto.INT8, [1, 1, 1, c])
    elif kind == "empty":
        int8_input("x", [1, 1])
        nodes += [helper.make_node("DequantizeLinear", ["x", "x_scale", "x_zp"], ["xf"]),
                  helper.make_node("QuantizeLinear", ["xf", "x_scale", "x_zp"], ["y"])]
        out = helper.make_tensor_value_info("y", TensorProto.INT8, [1, 1])
    return _build(nodes, inputs, out, inits), feeds


LAYERS["empty"] = ("empty model (1-byte copy): fixed overhead", "empty", {}, None, None)


def float_output(model, feeds) -> np.ndarray:
    """The layer's float result (the input of the final QuantizeLinear) under onnxruntime."""
    import onnxruntime as ort

    m = onnx.ModelProto()
    m.CopyFrom(model)
    q = next(n for n in m.graph.node if n.op_type == "QuantizeLinear")
    m.graph.output.append(helper.make_tensor_value_info(q.input[0], TensorProto.FLOAT, None))
    s = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    return s.run([q.input[0]], feeds)[0]


def write_layer(name: str, d: Path, seed: int):
    """Writes d/<name>.onnx and the inputs d/<input>.npy; returns (paths of the inputs, onnxruntime
    output)."""
    import onnxruntime as ort

    d.mkdir(parents=True, exist_ok=True)
    model, feeds = make_layer(name, np.random.default_rng([seed, int(name[1:]) if name[1:].isdigit() else 0]))
    if LAYERS[name][1] != "empty":
        yf = float_output(model, feeds)
        lo, hi = min(float(yf.min()), 0.0), max(float(yf.max()), 0.0)
        ys = (hi - lo) / 255.0 or 1.0
        yzp = int(np.clip(round(-128 - lo / ys), -128, 127))
        model, feeds = make_layer(name, np.random.default_rng([seed, int(name[1:])]), (ys, yzp))
    path = d / f"{name.lower()}.onnx"
    onnx.save(model, path)
    paths = []
    for k, v in feeds.items():
        paths.append(d / f"{k}.npy")
        np.save(paths[-1], v)
    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return path, paths, s.run(None, feeds)[0]


# --------------------------------------------------------------------------- runs

def compile_layer(model: Path, out: Path, target: str, rounding: str, runner=False) -> Path:
    if out.exists():
        shutil.rmtree(out)
    cmd = [PARE, "compile", model, "--target", target, "--int8-rounding", rounding, "-o", out,
           "--name", model.stem, "-q"] + (["--emit-runner"] if runner else [])
    run(cmd)
    return out


def layer_code_check(cdir: Path, name: str) -> dict:
    """The ops left in the generated <name>_run_with_arena (its `/* ONNX node "N": op -> shape */`
    comments): only the layer's own kernel should remain, no transpose or (de)quantize pass."""
    src = (cdir / f"{name}.c").read_text()
    body = src[src.index(f"int {name}_run_with_arena("):]
    ops = re.findall(r'/\* ONNX node "[^"]*": (\w+)', body)
    return {"ops": ops, "extra": [o for o in ops if o not in KERNEL_OPS]}


def qemu_run(cdir: Path, name: str, cpu: str, inputs, work: Path) -> dict:
    out = work / f"out-{cpu}"
    cmd = [PY, RUN_CORTEX_M, cdir, "--name", name, "--cpu", cpu, "--board", "mps2-big", "--json",
           "--out", out, "--work", work / f"fw-{cpu}", "--timeout", "600", "-j", "1"]
    for p in inputs:
        cmd += ["--input", p]
    t0 = time.time()
    p = run(cmd, check=False)
    if p.returncode != 0:  # once seen failing transiently under load: retry once
        log(f"{name} {cpu}: run failed, retrying: {p.stderr.strip().splitlines()[0][:300]}")
        p = run(cmd, check=False)
    if p.returncode != 0:
        err = [l for l in p.stderr.splitlines() if not l.startswith("out")]
        raise RuntimeError(f"{name} {cpu}: " + "\n".join(err)[-1500:])
    s = json.loads(p.stdout)
    s["y"] = np.load(out / "y.npy")
    s["wall_s"] = round(time.time() - t0, 1)
    return s


def host_run(model: Path, inputs, work: Path, rounding: str) -> np.ndarray:
    d = compile_layer(model, work / "host", "generic-c", rounding, runner=True)
    run(["gcc", "-O2", "-std=c99", "-I", d, *sorted(d.glob("*.c")), "-o", work / "runner", "-lm"])
    o = work / "host-out"
    o.mkdir(exist_ok=True)
    run([work / "runner", "-o", o, *inputs])
    return np.load(o / "y.npy")


def measure(name: str, rounding: str, cpus, work: Path, seed: int) -> dict:
    w = work / rounding / name
    model, inputs, ref = write_layer(name, w, seed)
    row = {"layer": name, "desc": LAYERS[name][0], "rounding": rounding}
    host = host_run(model, inputs, w, rounding)
    for cpu in cpus:
        cdir = compile_layer(model, w / f"c-{cpu}", f"cortex-{cpu}", rounding)
        row[f"code_{cpu}"] = layer_code_check(cdir, model.stem)
        s = qemu_run(cdir, model.stem, cpu, inputs, w)
        row[f"instructions_{cpu}"] = s["instructions"]
        row[f"host_identical_{cpu}"] = bool(np.array_equal(s["y"].reshape(host.shape), host))
        row[f"flash_{cpu}"] = s["flash_bytes"]
        log(f"{name} {rounding} {cpu}: {s['instructions']:,} instructions ({s['wall_s']} s)")
    row["ort_identical"] = bool(np.array_equal(host.reshape(ref.shape), ref))
    row["ort_max_abs_diff"] = int(np.max(np.abs(host.reshape(ref.shape).astype(np.int32) - ref.astype(np.int32))))
    row["ort_share_differing"] = float(np.mean(host.reshape(ref.shape) != ref))
    return row


def snapshot_pare(work: Path) -> Path:
    """Copies build/tools/pare/pare into the work directory (waiting up to 10 minutes while it is
    being rebuilt), so that every layer is compiled by the same binary."""
    for _ in range(120):
        if os.access(PARE, os.X_OK):
            try:
                run([PARE, "compile", "--help"])
                dst = work / "pare"
                shutil.copy2(PARE, dst)
                return dst
            except (subprocess.CalledProcessError, OSError):
                pass
        time.sleep(5)
    raise SystemExit(f"{PARE} is not there (or not runnable); build pare first")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounding", choices=["tflite", "onnx", "both"], default="both")
    ap.add_argument("--layers", default=",".join(k for k in LAYERS if k != "empty"))
    ap.add_argument("--cpus", default="m4,m7")
    ap.add_argument("--work", default=str(ROOT / "build" / "bench-cortex-m-layers"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    ap.add_argument("--pare", default=str(ROOT / "build" / "tools" / "pare" / "pare"),
                    help="the pare binary (default build/tools/pare/pare; snapshotted at the start): "
                         "e.g. one built before a change, to measure both in the same conditions")
    args = ap.parse_args()
    cpus = args.cpus.split(",")
    roundings = ["tflite", "onnx"] if args.rounding == "both" else [args.rounding]
    layers = ["empty"] + [l for l in args.layers.split(",") if l != "empty"]
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    global PARE
    PARE = Path(args.pare).resolve()
    PARE = snapshot_pare(work)
    jobs = [(l, r) for r in roundings for l in layers]
    with ThreadPoolExecutor(max_workers=args.jobs) as ex:
        futs = {j: ex.submit(measure, j[0], j[1], cpus, work, args.seed) for j in jobs}
    rows, rc = {}, 0
    for j, f in futs.items():
        try:
            rows[j] = f.result()
        except Exception as e:  # noqa: BLE001
            log(f"{j[0]} {j[1]}: FAILED: {e}")
            rc = 1
    if args.json:
        print(json.dumps(list(rows.values()), indent=2))
        return rc
    for r in roundings:
        base = rows.get(("empty", r), {})
        print(f"\n--int8-rounding {r} (net = minus the empty model's "
              + ", ".join(f"{c.upper()} {base.get('instructions_' + c, '?')}" for c in cpus) + ")\n")
        hdr = ["layer", "shape"]
        for c in cpus:
            C = c.upper()
            hdr += [f"CMSIS-NN {C}", f"pare {C} (via compiler, net)", f"pare/CMSIS {C}"]
        print("| " + " | ".join(hdr) + " |")
        print("|---|---|" + "---:|" * (3 * len(cpus)))
        for l in layers:
            if l == "empty" or (l, r) not in rows:
                continue
            row = rows[(l, r)]
            desc, _, _, cm4, cm7 = LAYERS[l]
            cells = [l, desc]
            for c in cpus:
                ref = cm4 if c == "m4" else cm7
                net = row[f"instructions_{c}"] - base.get(f"instructions_{c}", 0)
                cells += ["{:,}".format(ref), "{:,}".format(net), "%.2f" % (net / ref)]
            print("| " + " | ".join(cells) + " |")
        print()
        for l in layers:
            row = rows.get((l, r))
            if not row:
                continue
            bad = [c for c in cpus if not row[f"host_identical_{c}"]]
            extra = sorted({o for c in cpus for o in row[f"code_{c}"]["extra"]})
            ok = "identical to the host build" if not bad else "DIFFERENT from the host build on " + ",".join(bad)
            print(f"{l}: {' / '.join(c.upper() for c in cpus)} outputs {ok}; onnxruntime: "
                  + ("identical" if row["ort_identical"] else
                     f"{row['ort_share_differing']:.2%} of values differ, max |diff| {row['ort_max_abs_diff']}")
                  + "; generated ops: " + " ".join(row[f"code_{cpus[0]}"]["ops"])
                  + ("" if not extra else " (NOT ONLY THE LAYER: " + ",".join(extra) + ")"))
            rc |= 1 if bad else 0
    return rc


if __name__ == "__main__":
    sys.exit(main())
