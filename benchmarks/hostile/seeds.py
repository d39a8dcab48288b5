"""Small, valid seed models for the hostile-model campaign and the fuzz corpus.

Each seed is a function returning an `onnx.ModelProto` built with `onnx.helper`; every one imports,
compiles and (float models) runs in pare today. They cover the op families the mutator attacks:
conv nets (explicit pads, auto_pad, depthwise, batch norm, pools, Gemm), MatMul, QDQ and QOperator
int8 models, shape-computing subgraphs (Shape / Gather / Concat / Unsqueeze / Reshape), Gather with
constant indices, ConstantOfShape, Range, Slice / Pad / Expand / Tile / Split / Transpose, reductions.

`SEEDS` maps a name to its builder; `load_bundled()` adds the models of examples/models.
Weights are deterministic (numpy RandomState(0)).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]
OPSET = 13


def _w(shape, seed=0, scale=0.5):
    return (np.random.RandomState(seed).standard_normal(shape) * scale).astype(np.float32)


def _init(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def _model(nodes, inputs, outputs, inits=(), name="g", opset=OPSET, extra_opsets=()):
    g = helper.make_graph(list(nodes), name, list(inputs), list(outputs), list(inits))
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(g, opset_imports=ops, producer_name="pare-hostile-seeds")
    m.ir_version = 8
    return m


def _vi(name, shape, et=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, et, shape)


def conv_net():
    """Conv (explicit pads) -> Relu -> MaxPool -> Conv (auto_pad) -> GlobalAveragePool -> Flatten -> Gemm -> Softmax."""
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2"], ["c2"], name="conv2", kernel_shape=[3, 3],
                         auto_pad="SAME_UPPER"),
        helper.make_node("GlobalAveragePool", ["c2"], ["gp"], name="gap"),
        helper.make_node("Flatten", ["gp"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["logits"], name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["y"], name="softmax", axis=1),
    ]
    inits = [_init("w1", _w([4, 3, 3, 3], 1)), _init("b1", _w([4], 2)),
             _init("w2", _w([8, 4, 3, 3], 3)), _init("wf", _w([5, 8], 4)), _init("bf", _w([5], 5))]
    return _model(nodes, [_vi("x", [1, 3, 8, 8])], [_vi("y", [1, 5])], inits, "conv_net")


def depthwise_bn():
    """Depthwise Conv -> BatchNormalization -> Clip(0, 6) -> AveragePool -> Add (residual) -> Sigmoid."""
    nodes = [
        helper.make_node("Conv", ["x", "dw"], ["c"], name="dw_conv", group=4, kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["bn"], name="bn",
                         epsilon=1e-5),
        helper.make_node("Clip", ["bn", "lo", "hi"], ["r6"], name="relu6"),
        helper.make_node("AveragePool", ["r6"], ["ap"], name="avgpool", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("Add", ["ap", "x"], ["res"], name="residual"),
        helper.make_node("Sigmoid", ["res"], ["y"], name="sigmoid"),
    ]
    inits = [_init("dw", _w([4, 1, 3, 3], 6)), _init("s", np.abs(_w([4], 7)) + 0.5),
             _init("bb", _w([4], 8)), _init("m", _w([4], 9)), _init("v", np.abs(_w([4], 10)) + 0.5),
             _init("lo", np.float32(0)), _init("hi", np.float32(6))]
    return _model(nodes, [_vi("x", [1, 4, 6, 6])], [_vi("y", [1, 4, 6, 6])], inits, "depthwise_bn")


def matmul_add():
    """MatMul -> Add -> Relu -> MatMul: a two-layer perceptron on a 2-D input."""
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h"], name="mm1"),
        helper.make_node("Add", ["h", "b1"], ["hb"], name="bias1"),
        helper.make_node("Relu", ["hb"], ["hr"], name="relu"),
        helper.make_node("MatMul", ["hr", "w2"], ["y"], name="mm2"),
    ]
    inits = [_init("w1", _w([16, 8], 11)), _init("b1", _w([8], 12)), _init("w2", _w([8, 4], 13))]
    return _model(nodes, [_vi("x", [2, 16])], [_vi("y", [2, 4])], inits, "matmul_add")


def qdq_conv():
    """QDQ int8 conv (as onnxruntime's quantize_static writes it): Q/DQ around a Conv and a Relu."""
    w = _w([4, 3, 3, 3], 14)
    wq = np.clip(np.round(w / 0.01), -127, 127).astype(np.int8)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="q_x"),
        helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], name="dq_x"),
        helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], name="dq_w"),
        helper.make_node("DequantizeLinear", ["bq", "bs", "bz"], ["bd"], name="dq_b"),
        helper.make_node("Conv", ["xd", "wd", "bd"], ["c"], name="conv", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("QuantizeLinear", ["r", "ys", "yz"], ["yq"], name="q_y"),
        helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"], name="dq_y"),
    ]
    inits = [_init("xs", np.float32(0.02)), _init("xz", np.int8(0)), _init("wq", wq),
             _init("ws", np.float32(0.01)), _init("wz", np.int8(0)),
             _init("bq", np.array([10, -20, 30, 0], np.int32)), _init("bs", np.float32(0.0002)),
             _init("bz", np.int32(0)), _init("ys", np.float32(0.05)), _init("yz", np.int8(-128))]
    return _model(nodes, [_vi("x", [1, 3, 6, 6])], [_vi("y", [1, 4, 6, 6])], inits, "qdq_conv")


def qlinear_matmul():
    """QOperator: QuantizeLinear -> QLinearMatMul -> DequantizeLinear (uint8)."""
    wq = (np.random.RandomState(15).randint(0, 255, [8, 4])).astype(np.uint8)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="q_x"),
        helper.make_node("QLinearMatMul", ["xq", "xs", "xz", "wq", "ws", "wz", "ys", "yz"], ["yq"],
                         name="qmm"),
        helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"], name="dq_y"),
    ]
    inits = [_init("xs", np.float32(0.02)), _init("xz", np.uint8(128)), _init("wq", wq),
             _init("ws", np.float32(0.01)), _init("wz", np.uint8(127)),
             _init("ys", np.float32(0.1)), _init("yz", np.uint8(120))]
    return _model(nodes, [_vi("x", [2, 8])], [_vi("y", [2, 4])], inits, "qlinear_matmul")


def shape_subgraph():
    """Shape -> Gather -> Unsqueeze -> Concat -> Reshape (a flatten computed from the input's shape)."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "i0"], ["n"], name="gather_n", axis=0),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["nu"], name="unsq"),
        helper.make_node("Concat", ["nu", "minus1"], ["ns"], name="concat_shape", axis=0),
        helper.make_node("Reshape", ["x", "ns"], ["flat"], name="reshape"),
        helper.make_node("MatMul", ["flat", "w"], ["y"], name="fc"),
    ]
    inits = [_init("i0", np.int64(0)), _init("ax0", np.array([0], np.int64)),
             _init("minus1", np.array([-1], np.int64)), _init("w", _w([48, 3], 16))]
    return _model(nodes, [_vi("x", [1, 3, 4, 4])], [_vi("y", [1, 3])], inits, "shape_subgraph")


def gather_concat():
    """Gather with constant indices on two axes, Concat, Transpose, Split, Slice."""
    nodes = [
        helper.make_node("Gather", ["x", "idx"], ["g"], name="gather_rows", axis=1),
        helper.make_node("Concat", ["g", "x"], ["c"], name="concat", axis=1),
        helper.make_node("Transpose", ["c"], ["t"], name="transpose", perm=[0, 2, 1]),
        helper.make_node("Split", ["t", "split"], ["s1", "s2"], name="split", axis=1),
        helper.make_node("Slice", ["s2", "st", "en", "axes", "steps"], ["sl"], name="slice"),
        helper.make_node("Mul", ["s1", "sl"], ["y"], name="mul"),
    ]
    inits = [_init("idx", np.array([2, 0, 1], np.int64)), _init("split", np.array([3, 3], np.int64)),
             _init("st", np.array([0], np.int64)), _init("en", np.array([7], np.int64)),
             _init("axes", np.array([2], np.int64)), _init("steps", np.array([1], np.int64))]
    return _model(nodes, [_vi("x", [1, 4, 6])], [_vi("y", [1, 3, 7])], inits, "gather_concat")


def constant_of_shape_range():
    """ConstantOfShape and Range feeding Add / Expand / Tile / Pad, folded at import."""
    nodes = [
        helper.make_node("ConstantOfShape", ["shp"], ["ones"], name="const_of_shape",
                         value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])),
        helper.make_node("Range", ["r0", "r1", "r2"], ["rng"], name="range"),
        helper.make_node("Cast", ["rng"], ["rf"], name="cast", to=TensorProto.FLOAT),
        helper.make_node("Add", ["x", "ones"], ["a"], name="add"),
        helper.make_node("Mul", ["a", "rf"], ["m"], name="mul"),
        helper.make_node("Expand", ["m", "eshape"], ["e"], name="expand"),
        helper.make_node("Tile", ["e", "reps"], ["t"], name="tile"),
        helper.make_node("Pad", ["t", "pads"], ["y"], name="pad", mode="constant"),
    ]
    inits = [_init("shp", np.array([1, 4], np.int64)), _init("r0", np.int64(0)),
             _init("r1", np.int64(4)), _init("r2", np.int64(1)),
             _init("eshape", np.array([2, 4], np.int64)), _init("reps", np.array([1, 2], np.int64)),
             _init("pads", np.array([0, 1, 0, 1], np.int64))]
    return _model(nodes, [_vi("x", [1, 4])], [_vi("y", [2, 10])], inits, "const_of_shape_range")


def reduce_softmax():
    """ReduceMean / ReduceMax with axes, Sub, Exp, Div, LayerNormalization-free softmax by hand."""
    nodes = [
        helper.make_node("ReduceMax", ["x"], ["mx"], name="rmax", axes=[2], keepdims=1),
        helper.make_node("Sub", ["x", "mx"], ["d"], name="sub"),
        helper.make_node("Exp", ["d"], ["e"], name="exp"),
        helper.make_node("ReduceSum", ["e", "ax"], ["s"], name="rsum", keepdims=1),
        helper.make_node("Div", ["e", "s"], ["p"], name="div"),
        helper.make_node("ReduceMean", ["p"], ["y"], name="rmean", axes=[1], keepdims=0),
    ]
    inits = [_init("ax", np.array([2], np.int64))]
    return _model(nodes, [_vi("x", [1, 3, 5])], [_vi("y", [1, 5])], inits, "reduce_softmax")


def two_inputs_where():
    """Two graph inputs, a comparison, Where, Cast to int64 and back, Concat of the two."""
    nodes = [
        helper.make_node("Greater", ["a", "b"], ["gt"], name="greater"),
        helper.make_node("Where", ["gt", "a", "b"], ["mx"], name="where"),
        helper.make_node("Concat", ["mx", "a"], ["c"], name="concat", axis=0),
        helper.make_node("LeakyRelu", ["c"], ["y"], name="leaky", alpha=0.1),
    ]
    return _model(nodes, [_vi("a", [2, 3]), _vi("b", [2, 3])], [_vi("y", [4, 3])], [], "two_inputs")


SEEDS = {
    "conv_net": conv_net,
    "depthwise_bn": depthwise_bn,
    "matmul_add": matmul_add,
    "qdq_conv": qdq_conv,
    "qlinear_matmul": qlinear_matmul,
    "shape_subgraph": shape_subgraph,
    "gather_concat": gather_concat,
    "const_of_shape_range": constant_of_shape_range,
    "reduce_softmax": reduce_softmax,
    "two_inputs": two_inputs_where,
}

# The bundled models the campaign also mutates (the smaller ones: the mutator copies them often).
BUNDLED = ["fashion_mnist_cnn.onnx", "tsm_noshift.onnx"]


def load_bundled():
    out = {}
    for f in BUNDLED:
        p = ROOT / "examples/models" / f
        if p.exists():
            out[p.stem] = onnx.load(str(p))
    return out


def all_seeds():
    """name -> ModelProto, the generated seeds then the bundled models."""
    out = {name: fn() for name, fn in SEEDS.items()}
    out.update(load_bundled())
    return out
