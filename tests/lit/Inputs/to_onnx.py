"""Converts a textual ONNX model (.onnxtext) to a binary .onnx.

    to_onnx.py IN.onnxtext OUT.onnx [NODE_NAME ...]
               [--external-data FILE] [--no-shape INPUT] [--raw-data-bytes NAME=N]
               [--external-key NAME:KEY=VALUE]

The ONNX text format of the installed ONNX versions cannot name nodes; the
optional NODE_NAMEs are given to the graph's nodes in order, so tests can check
that pare's messages and generated comments cite ONNX node names.
--external-data FILE stores every initializer in FILE (next to OUT) as ONNX
external data. --no-shape INPUT drops the shape of a graph input (the text
format always writes one). --raw-data-bytes NAME=N stores initializer NAME as
raw_data cut to N bytes (a corrupt model). --external-key NAME:KEY=VALUE (after
--external-data) sets external-data KEY (location, offset, length) of
initializer NAME to VALUE: hostile locations and malformed offsets.
"""
import argparse
import os

import onnx
import onnx.numpy_helper
import onnx.parser


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("names", nargs="*")
    ap.add_argument("--external-data")
    ap.add_argument("--no-shape", action="append", default=[])
    ap.add_argument("--raw-data-bytes", action="append", default=[])
    ap.add_argument("--external-key", action="append", default=[])
    args = ap.parse_args()

    with open(args.src) as f:
        model = onnx.parser.parse_model(f.read())
    if len(args.names) > len(model.graph.node):
        ap.error("%d names for %d nodes" % (len(args.names), len(model.graph.node)))
    for node, name in zip(model.graph.node, args.names):
        node.name = name
    for vi in model.graph.input:
        if vi.name in args.no_shape:
            vi.type.tensor_type.ClearField("shape")
    for spec in args.raw_data_bytes:
        name, n = spec.split("=")
        for init in model.graph.initializer:
            if init.name == name:
                raw = onnx.numpy_helper.to_array(init).tobytes()
                init.ClearField("float_data")
                init.ClearField("int64_data")
                init.ClearField("int32_data")
                init.raw_data = raw[: int(n)]
    if args.external_data:
        # Only raw_data tensors can move to external data.
        for init in model.graph.initializer:
            init.CopyFrom(onnx.numpy_helper.from_array(onnx.numpy_helper.to_array(init), init.name))
        onnx.save_model(model, args.dst, save_as_external_data=True,
                        all_tensors_to_one_file=True, location=args.external_data,
                        size_threshold=0)
        if args.external_key:
            model = onnx.load(args.dst, load_external_data=False)
            for spec in args.external_key:
                name, kv = spec.split(":", 1)
                key, value = kv.split("=", 1)
                init = next(t for t in model.graph.initializer if t.name == name)
                entry = next((e for e in init.external_data if e.key == key), None)
                if entry is None:
                    entry = init.external_data.add()
                    entry.key = key
                entry.value = value
            onnx.save(model, args.dst)
    else:
        onnx.save(model, args.dst)


if __name__ == "__main__":
    main()
