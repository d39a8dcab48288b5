"""Writes a model of blocked int4 / uint4 DequantizeLinear weights (opset 21),
which the ONNX text format of the installed ONNX versions cannot express.

    make_dq_int4.py OUT.onnx

a [3, 20] float times:
  y  = MatMul(a, DQ(w uint4 [20, 2], s [2, 2], z uint4 [2, 2], axis 0, block 16))
  y2 = MatMul(a, DQ(v int4 [20, 2], s, no zero point, axis 0, block 16))
  y3 = MatMul(a, DQ(u uint4 [20, 2], t [20, 1], axis 1, block 16)): blocks
       along N, not K (the generic path: a float weight)
Values are those of tests/lit/importer/dequantize_int4.onnxtext's checks.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

w = np.stack([np.arange(20) % 16, np.full(20, 7)], axis=1)
v = np.stack([np.arange(20) % 16 - 8, np.full(20, 7)], axis=1)
inits = [
    helper.make_tensor("w", TensorProto.UINT4, [20, 2], w.flatten().tolist()),
    helper.make_tensor("s", TensorProto.FLOAT, [2, 2], [0.5, 1, 0.25, 2]),
    helper.make_tensor("z", TensorProto.UINT4, [2, 2], [8, 1, 9, 2]),
    helper.make_tensor("v", TensorProto.INT4, [20, 2], v.flatten().tolist()),
    helper.make_tensor("t", TensorProto.FLOAT, [20, 1], [0.5] * 20),
]
nodes = [
    helper.make_node("DequantizeLinear", ["w", "s", "z"], ["wf"], "dq_w", axis=0, block_size=16),
    helper.make_node("MatMul", ["a", "wf"], ["y"], "mm_w"),
    helper.make_node("DequantizeLinear", ["v", "s"], ["vf"], "dq_v", axis=0, block_size=16),
    helper.make_node("MatMul", ["a", "vf"], ["y2"], "mm_v"),
    helper.make_node("DequantizeLinear", ["w", "t"], ["uf"], "dq_u", axis=1, block_size=16),
    helper.make_node("MatMul", ["a", "uf"], ["y3"], "mm_u"),
]
out = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [3, 2]) for n in ("y", "y2", "y3")]
graph = helper.make_graph(nodes, "dq_int4", [helper.make_tensor_value_info("a", TensorProto.FLOAT, [3, 20])],
                          out, inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
