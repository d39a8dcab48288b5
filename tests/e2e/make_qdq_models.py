#!/usr/bin/env python3
"""Build quantized (int8) ONNX models with onnxruntime's static quantizer, for pare's int8 tests.

Every model is quantized with onnxruntime.quantization.quantize_static: int8 activations and int8
weights (QuantType.QInt8 for both), MinMax calibration, reduce_range off, asymmetric activations,
symmetric weights (onnxruntime's defaults). Calibration data: 64 seeded standard-normal samples for
the small models, 200 Fashion-MNIST training images for the CNN (the same ones train.py puts in
calib/) and 64 rendered text lines for the PaddleOCR classifier.

Models written to --out (default build/qdq_models/):
  fashion_mnist_cnn_qdq_pc.onnx      examples/models/fashion_mnist_cnn.onnx, QDQ, per-channel weights
  fashion_mnist_cnn_qdq.onnx         the same, per-tensor weights
  fashion_mnist_cnn_qop_pc.onnx      the same in QOperator format (QLinearConv, ...), per-channel
  fashion_mnist_cnn_qop.onnx         QOperator, per-tensor
  conv_qdq[_pc].onnx                 Conv 3->8 3x3 pad 1 + bias                    x 1x3x16x16
  conv_relu_qdq[_pc].onnx            Conv 3->8 3x3 + bias, Relu (Relu folded into the Q range)
  depthwise_qdq[_pc].onnx            Conv group=8 3x3 stride 2 pad 1 + bias, Relu   x 1x8x16x16
  add_qdq[_pc].onnx                  a = Conv1x1 8->8 (x); Add(a, x)                x 1x8x8x8
  gemm_qdq[_pc].onnx                 Gemm transB=1 64->32 + bias                    x 1x64
  matmul_qdq[_pc].onnx, matmul_qop.onnx  MatMul 64->32, Add bias (QOperator: QLinearMatMul) x 1x64
  avgpool_qdq.onnx                   AveragePool 2x2/2, GlobalAveragePool           x 1x8x16x16
  maxpool_qdq.onnx                   MaxPool 3x3/2 pad 1                            x 1x8x16x16
  ppocr_cls_qdq_pc.onnx              examples/models/ppocr_cls_mobilenetv3.onnx at 1x3x48x192,
                                     converted to opset 13, constants folded (quant_pre_process),
                                     QDQ per-channel
  mobilenet_v2_035_96_{qdq,qop}[_pc].onnx   torchvision MobileNetV2-0.35 at 1x3x96x96
  mnasnet0_5_96_{qdq,qop}[_pc].onnx         torchvision MNASNet-0.5 at 1x3x96x96
  squeezenet1_1_64_{qdq,qop}[_pc].onnx      torchvision SqueezeNet-1.1 at 1x3x64x64
                                     exported by scripts/export_models.py (seeded random weights,
                                     BatchNorm statistics measured on random data), run through
                                     quant_pre_process (BatchNorm folded), the classifier
                                     replaced (below), then QDQ and QOperator, per-tensor and
                                     per-channel. Calibration: 64 pictures of
                                     scripts/natural_images.py (seed 0), normalised as torchvision
                                     expects; no photo data set can be shipped, and these have the
                                     spectrum, edges and flat regions of photographs, which
                                     standard-normal noise has not. Full-size MobileNetV2-1.0 at 224
                                     is benchmarks/cortex-m/qdq_done.py's, not a test model.
Random weights give a classifier whose scores differ from class to class by less than int8
noise: with the 1000-class torchvision head, onnxruntime's own int8 model picks the float model's
top class for only 7-15% of the pictures (even with its bias centred), so an argmax comparison
would measure noise. The head is therefore replaced by one read from the data (pca_classifier):
10 classes, the 5 principal directions of the classifier's input features over the calibration
pictures, both signs, each scaled to unit variance; the top class is the direction in which a
picture stands out most, with margins of the order of the spread of real features.

Beside each MODEL.onnx: MODEL.inputs/<input name>.npy (one sample) and MODEL.reference/<output
name>.npy (onnxruntime's output for it on the quantized model), the layout
`pare validate MODEL.onnx --inputs MODEL.inputs --reference MODEL.reference` reads. The float models
the small ones and ppocr were quantized from are kept as NAME_float.onnx.

All models have one float input and float outputs: the quantizer puts a QuantizeLinear after the
graph input and a DequantizeLinear before each graph output. Relu and Clip(0, 6) after a quantized
op are removed (their range is in the following QuantizeLinear: zero point -128), weights are int8
initializers behind a DequantizeLinear (per-axis: axis 0), biases int32 initializers behind a
DequantizeLinear with scale = input scale * weight scale and zero point 0.

Prints, for each quantized model, a summary of its op types (and of the QuantizeLinear /
DequantizeLinear parameters: per-tensor or per-axis, int8 or uint8).

    .venv/bin/python tests/e2e/make_qdq_models.py [--out DIR] [--skip-ppocr] [--skip-torchvision]
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import pare_harness as H  # noqa: E402
DEFAULT_OUT = REPO / "build" / "qdq_models"
FASHION_MODEL = REPO / "examples" / "models" / "fashion_mnist_cnn.onnx"
PPOCR_MODEL = REPO / "examples" / "models" / "ppocr_cls_mobilenetv3.onnx"
OPSET = 13
SEED = 0
# torchvision models (scripts/export_models.py names) -> picture size; calibration on
# TORCH_CALIB pictures of scripts/natural_images.py with seed TORCH_CALIB_SEED, the stored sample
# is picture 0 of seed TORCH_SAMPLE_SEED (run_qdq_models.py evaluates on other seeds).
TORCH_MODELS = {"mobilenet_v2_035_96": 96, "mnasnet0_5_96": 96, "squeezenet1_1_64": 64}
TORCH_CALIB = 64
TORCH_CALIB_SEED = 0
TORCH_SAMPLE_SEED = 1
HEAD_DIRECTIONS = 5  # the classifier: 2 x 5 classes (pca_classifier)


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ------------------------------------------------------------------ small float models --

def _init(name, arr):
    return numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name)


def _model(nodes, inputs, outputs, inits, name):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)],
                          producer_name="pare make_qdq_models")
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


def _vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def small_models(rng: np.random.RandomState):
    """name -> (float ModelProto, input shape, has weights (per-channel variant))."""
    def w(*shape, scale=None):
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        s = scale if scale is not None else 1.0 / np.sqrt(fan_in)
        return rng.normal(0, s, shape).astype(np.float32)

    out = {}
    # conv
    out["conv"] = (_model(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
        [_vi("x", [1, 3, 16, 16])], [_vi("y", [1, 8, 16, 16])],
        [_init("w", w(8, 3, 3, 3)), _init("b", w(8, scale=0.1))], "conv"), (1, 3, 16, 16), True)
    # conv + relu
    out["conv_relu"] = (_model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["y"])],
        [_vi("x", [1, 3, 16, 16])], [_vi("y", [1, 8, 16, 16])],
        [_init("w", w(8, 3, 3, 3)), _init("b", w(8, scale=0.1))], "conv_relu"), (1, 3, 16, 16),
        True)
    # depthwise
    dw = w(8, 1, 3, 3, scale=1.0 / 3)
    dw *= rng.uniform(0.2, 3.0, (8, 1, 1, 1)).astype(np.float32)  # per-channel ranges differ
    out["depthwise"] = (_model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                          strides=[2, 2], group=8),
         helper.make_node("Relu", ["c"], ["y"])],
        [_vi("x", [1, 8, 16, 16])], [_vi("y", [1, 8, 8, 8])],
        [_init("w", dw), _init("b", w(8, scale=0.1))], "depthwise"), (1, 8, 16, 16), True)
    # add (residual: two activations with different scales)
    out["add"] = (_model(
        [helper.make_node("Conv", ["x", "w", "b"], ["a"], kernel_shape=[1, 1]),
         helper.make_node("Add", ["a", "x"], ["y"])],
        [_vi("x", [1, 8, 8, 8])], [_vi("y", [1, 8, 8, 8])],
        [_init("w", w(8, 8, 1, 1, scale=1.0)), _init("b", w(8, scale=0.1))], "add"),
        (1, 8, 8, 8), True)
    # gemm (as torch exports nn.Linear)
    out["gemm"] = (_model(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)],
        [_vi("x", [1, 64])], [_vi("y", [1, 32])],
        [_init("w", w(32, 64)), _init("b", w(32, scale=0.1))], "gemm"), (1, 64), True)
    # matmul + add (the other way a fully connected layer is written; QOperator -> QLinearMatMul)
    out["matmul"] = (_model(
        [helper.make_node("MatMul", ["x", "w"], ["m"]),
         helper.make_node("Add", ["m", "b"], ["y"])],
        [_vi("x", [1, 64])], [_vi("y", [1, 32])],
        [_init("w", w(64, 32)), _init("b", w(32, scale=0.1))], "matmul"), (1, 64), True)
    # avgpool + global avgpool
    out["avgpool"] = (_model(
        [helper.make_node("AveragePool", ["x"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("GlobalAveragePool", ["p"], ["y"])],
        [_vi("x", [1, 8, 16, 16])], [_vi("y", [1, 8, 1, 1])], [], "avgpool"), (1, 8, 16, 16),
        False)
    # maxpool
    out["maxpool"] = (_model(
        [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
                          pads=[1, 1, 1, 1])],
        [_vi("x", [1, 8, 16, 16])], [_vi("y", [1, 8, 8, 8])], [], "maxpool"), (1, 8, 16, 16),
        False)
    return out


# ---------------------------------------------------------------------- quantization --

class ListReader:
    """CalibrationDataReader over a list of {input name: array} dicts."""

    def __init__(self, samples):
        self._it = iter(samples)

    def get_next(self):
        return next(self._it, None)


def quantize(float_path: Path, out_path: Path, samples, per_channel: bool, qoperator: bool,
             force: bool = False):
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)

    quantize_static(
        str(float_path), str(out_path), ListReader(samples),
        quant_format=QuantFormat.QOperator if qoperator else QuantFormat.QDQ,
        per_channel=per_channel, reduce_range=False,
        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        # ForceQuantizeNoInputCheck: quantize ops like MaxPool even when their input is a
        # graph input (float); without it a model made of one pool stays float.
        extra_options={"ForceQuantizeNoInputCheck": True} if force else None)


def input_names(m: onnx.ModelProto):
    inits = {i.name for i in m.graph.initializer}
    return [i.name for i in m.graph.input if i.name not in inits]


def write_io(model_path: Path, sample: dict):
    # The session run_qdq_models.py compares against (exact int8 kernels for QDQ models).
    sess = H.ort_session(model_path, exact_int8="_qdq" in model_path.stem)
    outs = sess.run(None, sample)
    stem = model_path.with_suffix("")
    idir = Path(str(stem) + ".inputs")
    rdir = Path(str(stem) + ".reference")
    idir.mkdir(exist_ok=True)
    rdir.mkdir(exist_ok=True)
    for name, arr in sample.items():
        np.save(idir / f"{name}.npy", arr)
    for o, arr in zip(sess.get_outputs(), outs):
        np.save(rdir / f"{o.name}.npy", arr)
    return outs


def summary(path: Path) -> str:
    m = onnx.load(str(path))
    ops = collections.Counter((n.domain or "ai.onnx") + ":" + n.op_type if n.domain not in
                              ("", "ai.onnx") else n.op_type for n in m.graph.node)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    ql = collections.Counter()
    for n in m.graph.node:
        if n.op_type in ("QuantizeLinear", "DequantizeLinear"):
            scale = inits.get(n.input[1])
            zp = inits.get(n.input[2]) if len(n.input) > 2 else None
            kind = "per-axis" if scale is not None and scale.size > 1 else "per-tensor"
            dt = zp.dtype.name if zp is not None else "uint8(default)"
            src = "weight" if n.op_type == "DequantizeLinear" and n.input[0] in inits else "act"
            ql[f"{n.op_type}[{src},{kind},{dt}]"] += 1
    lines = [f"{path.name}: opset {[(o.domain or 'ai.onnx', o.version) for o in m.opset_import]}",
             "  ops: " + ", ".join(f"{k} x{v}" for k, v in sorted(ops.items()))]
    if ql:
        lines.append("  q/dq: " + ", ".join(f"{k} x{v}" for k, v in sorted(ql.items())))
    # How each compute node is wired: inputs from a DequantizeLinear (q), an initializer (c) or
    # float (f); output into QuantizeLinear nodes only (q) or used as float (f).
    producer = {o: n for n in m.graph.node for o in n.output}
    consumers = collections.defaultdict(list)
    for n in m.graph.node:
        for i in n.input:
            consumers[i].append(n)
    graph_outs = {o.name for o in m.graph.output}
    pat = collections.Counter()
    for n in m.graph.node:
        if n.op_type in ("QuantizeLinear", "DequantizeLinear"):
            continue
        ins = []
        for i in n.input:
            if not i:
                continue
            p = producer.get(i)
            ins.append("c" if i in inits else "q" if p is not None and p.op_type ==
                       "DequantizeLinear" else "f")
        outs = []
        for o in n.output:
            cs = consumers.get(o, [])
            outs.append("q" if cs and o not in graph_outs and all(
                c.op_type == "QuantizeLinear" for c in cs) else "f")
        pat[f"{n.op_type}({''.join(ins)})->{''.join(outs)}"] += 1
    lines.append("  wiring (q=via Q/DQ, c=initializer, f=float): " +
                 ", ".join(f"{k} x{v}" for k, v in sorted(pat.items())))
    init_types = collections.Counter(v.dtype.name for v in inits.values())
    lines.append("  initializers: " + ", ".join(f"{k} x{v}" for k, v in sorted(init_types.items())))
    return "\n".join(lines)


# -------------------------------------------------------------------------- ppocr --

def ppocr_float(out_dir: Path) -> Path:
    """Opset-9 PaddleOCR cls -> opset 13, static 1x3x48x192, constants folded and BN fused."""
    from onnx import version_converter
    from onnxruntime.quantization.shape_inference import quant_pre_process

    m = onnx.load(str(PPOCR_MODEL))
    name = input_names(m)[0]
    for i in m.graph.input:
        if i.name == name:
            dims = i.type.tensor_type.shape.dim
            for d, v in zip(dims, (1, 3, 48, 192)):
                d.ClearField("dim_param")
                d.dim_value = v
    for o in m.graph.output:
        dims = o.type.tensor_type.shape.dim
        if dims:
            dims[0].ClearField("dim_param")
            dims[0].dim_value = 1
    m = version_converter.convert_version(m, OPSET)
    tmp = out_dir / "ppocr_cls_opset13.tmp.onnx"
    onnx.save(m, str(tmp))
    pre = out_dir / "ppocr_cls_float.onnx"
    quant_pre_process(str(tmp), str(pre), skip_symbolic_shape=False)
    tmp.unlink()
    H.unshare_initializers(pre)  # else onnxruntime cannot load the quantized model with exact_int8
    keep_used_domains(pre)
    return pre


def keep_used_domains(path: Path) -> None:
    """quant_pre_process's optimizer declares every domain it knows (com.microsoft, ai.onnx.ml,
    ...); keep only those the nodes use."""
    m = onnx.load(str(path))
    used = {n.domain for n in m.graph.node}
    keep = [o for o in m.opset_import if o.domain in used or o.domain in ("", "ai.onnx")]
    del m.opset_import[:]
    m.opset_import.extend(keep)
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


# -------------------------------------------------------------------- torchvision --

def picture_inputs(size: int, count: int, seed: int):
    """count pictures of scripts/natural_images.py, normalised for torchvision, 1x3xSxS each."""
    import natural_images as NI  # scripts/natural_images.py

    x = NI.imagenet_normalize(NI.natural_images(count, size, size, seed))
    return [x[i:i + 1] for i in range(count)]


def pca_classifier(path: Path, samples, k: int = HEAD_DIRECTIONS) -> str:
    """Replaces the Conv or Gemm that produces the logits (through Relu, pooling, Flatten) by a
    2k-class head read from the data: the model's features on the samples (the classifier's
    input; per position for SqueezeNet's 1x1 conv) have mean m and principal directions v_1..v_k
    with standard deviations s_i; class 2i scores (x - m).v_i / s_i, class 2i+1 its negation.
    The top class is the direction in which a picture's features stand out most. Returns the
    node's name."""
    import onnxruntime as ort

    m = onnx.load(str(path))
    producer = {o: n for n in m.graph.node for o in n.output}
    node = producer.get(m.graph.output[0].name)
    downstream = [m.graph.output[0].name]
    while node is not None and node.op_type not in ("Conv", "Gemm"):
        downstream.append(node.input[0])
        node = producer.get(node.input[0])
    if node is None or len(node.input) < 3:
        raise H.HarnessError(f"{path.name}: no Conv / Gemm with a bias before the output")
    if node.op_type == "Gemm" and not any(a.name == "transB" and a.i == 1 for a in node.attribute):
        raise H.HarnessError(f"{path.name}: {node.name} is a Gemm without transB=1")
    probe = onnx.load(str(path))
    probe.graph.output.append(helper.make_tensor_value_info(node.input[0], TensorProto.FLOAT, None))
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(probe.SerializeToString(), so, providers=["CPUExecutionProvider"])
    iname = sess.get_inputs()[0].name
    feats = [sess.run([node.input[0]], {iname: x})[0] for x in samples]
    c = feats[0].shape[1]
    x = np.concatenate([np.moveaxis(f, 1, -1).reshape(-1, c) for f in feats]).astype(np.float64)
    mean = x.mean(axis=0)
    _, sv, vt = np.linalg.svd(x - mean, full_matrices=False)
    std = sv[:k] / np.sqrt(len(x))
    rows = np.concatenate([[v / s, -v / s] for v, s in zip(vt[:k], std)])  # (2k, c)
    bias = -rows @ mean
    if node.op_type == "Conv":
        # Relu and the global average pool follow: shift every class by the same amount so that
        # most scores stay above zero (the pool of a linear map is the map of the pool).
        bias += 3.0
        rows = rows.reshape(2 * k, c, 1, 1)
    inits = {i.name: i for i in m.graph.initializer}
    for name, arr in ((node.input[1], rows), (node.input[2], bias)):
        if name not in inits:
            raise H.HarnessError(f"{path.name}: an input of {node.name} is not an initializer")
        inits[name].CopyFrom(numpy_helper.from_array(arr.astype(np.float32), name))
    # The class count changed: drop the stale shapes after the head, fix the output's.
    stale = set(downstream) | {node.output[0]}
    keep = [v for v in m.graph.value_info if v.name not in stale]
    del m.graph.value_info[:]
    m.graph.value_info.extend(keep)
    m.graph.output[0].type.tensor_type.shape.dim[1].dim_value = 2 * k
    onnx.checker.check_model(m)
    onnx.save(m, str(path))
    return node.name


def torchvision_float(name: str, out_dir: Path, calib) -> Path:
    """scripts/export_models.py's NAME -> NAME_float.onnx: BatchNorm folded, classifier replaced
    by the principal directions of its input (pca_classifier)."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    import export_models  # scripts/export_models.py

    src = export_models.export_models(out_dir / "torchvision", [name])[name]
    pre = out_dir / f"{name}_float.onnx"
    quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
    H.unshare_initializers(pre)
    keep_used_domains(pre)
    pca_classifier(pre, calib)
    return pre


# --------------------------------------------------------------------------- main --

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--skip-ppocr", action="store_true")
    ap.add_argument("--skip-torchvision", action="store_true",
                    help="leave out MobileNetV2, MNASNet and SqueezeNet (they need torch)")
    args = ap.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(SEED)
    written = []

    # (b) small models: per-tensor, and per-channel where there are weights.
    for name, (m, shape, has_w) in small_models(rng).items():
        fpath = out / f"{name}_float.onnx"
        onnx.save(m, str(fpath))
        iname = input_names(m)[0]
        calib = [{iname: rng.standard_normal(shape).astype(np.float32)} for _ in range(64)]
        sample = {iname: rng.standard_normal(shape).astype(np.float32)}
        for pc in ([False, True] if has_w else [False]):
            qpath = out / f"{name}_qdq{'_pc' if pc else ''}.onnx"
            quantize(fpath, qpath, calib, per_channel=pc, qoperator=False, force=not has_w)
            write_io(qpath, sample)
            written.append(qpath)
        if name == "matmul":
            qpath = out / "matmul_qop.onnx"
            quantize(fpath, qpath, calib, per_channel=False, qoperator=True)
            write_io(qpath, sample)
            written.append(qpath)

    # (a), (c) the Fashion-MNIST CNN: calibration on the 200 training images train.py picks.
    if FASHION_MODEL.exists():
        train = load_module(REPO / "examples" / "fashion-mnist" / "train.py", "fm_train")
        tx, _, vx, _ = train.load(train.DEFAULT_DATA)
        pick = np.random.RandomState(train.SEED + 1).permutation(len(tx))[:train.N_CALIB]
        xs = train.preprocess(tx[pick])
        iname = input_names(onnx.load(str(FASHION_MODEL)))[0]
        calib = [{iname: xs[i:i + 1]} for i in range(len(xs))]
        sample = {iname: train.preprocess(vx[:1])}
        for qop in (False, True):
            for pc in (True, False):
                fmt = "qop" if qop else "qdq"
                qpath = out / f"fashion_mnist_cnn_{fmt}{'_pc' if pc else ''}.onnx"
                quantize(FASHION_MODEL, qpath, calib, per_channel=pc, qoperator=qop)
                write_io(qpath, sample)
                written.append(qpath)
    else:
        print(f"skipping the Fashion-MNIST CNN: {FASHION_MODEL} missing", file=sys.stderr)

    # torchvision models: QDQ and QOperator, per-tensor and per-channel, calibrated on pictures.
    if not args.skip_torchvision:
        for name, size in TORCH_MODELS.items():
            calib = picture_inputs(size, TORCH_CALIB, TORCH_CALIB_SEED)
            fpath = torchvision_float(name, out, calib)
            iname = input_names(onnx.load(str(fpath)))[0]
            sample = {iname: picture_inputs(size, 1, TORCH_SAMPLE_SEED)[0]}
            for qop in (False, True):
                for pc in (False, True):
                    qpath = out / f"{name}_{'qop' if qop else 'qdq'}{'_pc' if pc else ''}.onnx"
                    quantize(fpath, qpath, [{iname: x} for x in calib], per_channel=pc, qoperator=qop)
                    write_io(qpath, sample)
                    written.append(qpath)

    # PaddleOCR cls, per-channel QDQ, calibrated on rendered text lines.
    if not args.skip_ppocr:
        fpath = ppocr_float(out)
        iname = input_names(onnx.load(str(fpath)))[0]
        with tempfile.TemporaryDirectory() as td:
            subprocess.run([sys.executable, str(REPO / "scripts" / "render_text_lines.py"),
                            "--out", td, "--calib", "64"], check=True, stdout=subprocess.DEVNULL)
            calib = [{iname: np.load(Path(td) / f"{iname}_{i:03d}.npy")} for i in range(64)]
            subprocess.run([sys.executable, str(REPO / "scripts" / "render_text_lines.py"),
                            "--out", td, "--count", "1"], check=True, stdout=subprocess.DEVNULL)
            sample = {iname: np.load(Path(td) / f"{iname}_000.npy")}
        qpath = out / "ppocr_cls_qdq_pc.onnx"
        quantize(fpath, qpath, calib, per_channel=True, qoperator=False)
        write_io(qpath, sample)
        written.append(qpath)

    for p in written:
        print(summary(p))
    print(f"wrote {len(written)} quantized models to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
