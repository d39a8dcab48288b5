#!/usr/bin/env python3
"""A decoder's ONNX with its matmul and embedding weights replaced by distinct periodic patterns, for
decode-speed runs on a machine the weights cannot be carried to (issue 17).

Decode speed does not depend on the weights' values: every byte is streamed each token all the same.
With each weight a period-13 pattern of its own amplitude (distinct, so pare stores every one, and a
tied lm_head, one the export stored equal to the embedding's transpose, kept so, so pare stores that
once as for the real model),
the compiled weights file is as large as the real one (SmolLM2-135M fp16: 269,030,208 bytes against
269,030,144) but gzip -1 shrinks it to 2.3 MB. Compile and nvcc-build here, carry the generated
directory without its weights plus the gzipped weights, gunzip there and time `generate`.

  pattern_weights.py IN.onnx OUT.onnx

The logits of such a model are meaningless: use it for timing only.
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: pattern_weights.py IN.onnx OUT.onnx")
    m = onnx.load(sys.argv[1])
    consumers = {}
    for n in m.graph.node:
        for i, x in enumerate(n.input):
            consumers.setdefault(x, []).append((n.op_type, i))
    vocab_rows = max((init.dims[0] for init in m.graph.initializer
                      if any(op == "Gather" and i == 0 for op, i in consumers.get(init.name, []))
                      and len(init.dims) == 2), default=0)
    # Whether the export stored a tied output weight twice (SmolLM2): the [hidden, vocab] MatMul
    # weight equal to the embedding's transpose before the patterns replace both.
    by_shape = {}
    for init in m.graph.initializer:
        by_shape.setdefault(tuple(init.dims), []).append(init)
    tied = None
    for init in m.graph.initializer:
        if len(init.dims) == 2 and init.dims[0] == vocab_rows:
            head = by_shape.get((init.dims[1], vocab_rows), [])
            if len(head) == 1 and np.array_equal(numpy_helper.to_array(init).T,
                                                 numpy_helper.to_array(head[0])):
                tied = (init.name, head[0].name)
            break
    count = 0
    for init in m.graph.initializer:
        uses = consumers.get(init.name, [])
        a = numpy_helper.to_array(init)
        if a.dtype != np.float32 or a.size < 100000:
            continue
        embedding = any(op == "Gather" and i == 0 for op, i in uses) and a.shape[0] == vocab_rows
        if not embedding and not any(op == "MatMul" for op, _ in uses):
            continue  # rotary tables and norms keep their values (recognition probes them)
        count += 1
        pat = ((np.arange(a.size) % 13) - 6).astype(np.float32) * np.float32(0.004 + 0.0001 * count)
        init.CopyFrom(numpy_helper.from_array(pat.reshape(a.shape), init.name))
    if tied:  # the tied output weight stored twice by the export: keep them equal
        inits = {init.name: init for init in m.graph.initializer}
        e = numpy_helper.to_array(inits[tied[0]])
        inits[tied[1]].CopyFrom(numpy_helper.from_array(np.ascontiguousarray(e.T), tied[1]))
        print("tied output weight kept equal to the embedding's transpose")
    print(f"patterned {count} initializers")
    onnx.save(m, sys.argv[2])


if __name__ == "__main__":
    main()
