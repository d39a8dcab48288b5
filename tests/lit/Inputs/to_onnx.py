"""Converts a textual ONNX model (.onnxtext) to a binary .onnx.

    to_onnx.py IN.onnxtext OUT.onnx [NODE_NAME ...]

The ONNX text format of the installed ONNX versions cannot name nodes; the
optional NODE_NAMEs are given to the graph's nodes in order, so tests can check
that pare's messages and generated comments cite ONNX node names.
"""
import sys

import onnx
import onnx.parser


def main():
    src, dst, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(src) as f:
        model = onnx.parser.parse_model(f.read())
    if len(names) > len(model.graph.node):
        sys.exit("to_onnx.py: %d names for %d nodes" % (len(names), len(model.graph.node)))
    for node, name in zip(model.graph.node, names):
        node.name = name
    onnx.save(model, dst)


if __name__ == "__main__":
    main()
