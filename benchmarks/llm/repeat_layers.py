#!/usr/bin/env python3
"""A decoder's ONNX with its one exported layer repeated N times, every copy reading the same
initializers, for decode-speed runs of a model too large to export or compile here (issue 17).

    repeat_layers.py IN.onnx OUT.onnx N

IN is a full-sequence export of one layer (examples/llm/make_random_llama.py --layers 1): its nodes
named PREFIX.0/... (PREFIX: --prefix, default "/model/model/layers") form the layer; the copies are
named PREFIX.i/..., their intermediate tensors suffixed "_Li", the hidden state of copy i fed from
copy i - 1, and the nodes after the layer read the last copy. Tensors made outside the layer (the
rotary tables, the mask, constants) are shared by every copy. The result is a full-depth graph at
the size of one layer: a 32-layer Llama-2-7B-shaped model in 1.9 GB of float32 instead of 27 GB, and
pare's weights file holds one layer (0.73 GB fp16). Each layer still streams its 405 MB of fp16
weights every decode token, 8x the H100's 50 MB L2, so the time of a token is that of the real
model's; only the logits are not (use it for timing, as benchmarks/llm/pattern_weights.py's output).
"""
import argparse
import sys

import onnx


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("layers", type=int)
    ap.add_argument("--prefix", default="/model/model/layers")
    args = ap.parse_args()
    if args.layers < 1:
        sys.exit("repeat_layers.py: error: N must be >= 1")
    m = onnx.load(args.src)
    g = m.graph
    head = args.prefix + ".0/"
    layer = [n for n in g.node if n.name.startswith(head)]
    if not layer:
        sys.exit(f"repeat_layers.py: error: {args.src} has no node named {head}...")
    if any(n.name.startswith(args.prefix + ".1/") for n in g.node):
        sys.exit(f"repeat_layers.py: error: {args.src} has more than one layer (export --layers 1)")
    made = {o for n in layer for o in n.output}
    inits = {i.name for i in g.initializer}
    # Nodes outside the layer go before the copies unless they read what the layer makes (directly
    # or through another such node): the exporter interleaves shared constants with the layer.
    before, after = [], []
    tainted = set(made)
    for n in g.node:
        if n.name.startswith(head):
            continue
        if any(x in tainted for x in n.input):
            after.append(n)
            tainted.update(n.output)
        else:
            before.append(n)
    # The layer's hidden-state input: made before it, read by it, and not read after it (shared
    # tensors such as the rotary tables are read by the layer only too, so pick the one that the
    # layer's first node reads: the input norm's first operand).
    hidden_in = next(x for x in layer[0].input if x not in made and x not in inits)
    outs = [o for o in made if any(o in n.input for n in after) or o in {x.name for x in g.output}]
    if len(outs) != 1:
        sys.exit(f"repeat_layers.py: error: the layer has {len(outs)} outputs read after it "
                 f"({outs[:4]}); only a full-sequence export with one hidden-state output is supported")
    hidden_out = outs[0]
    nodes = list(before)
    prev = hidden_in
    for i in range(args.layers):
        rename = {t: (t if i == 0 else f"{t}_L{i}") for t in made}
        for n in layer:
            c = onnx.NodeProto()
            c.CopyFrom(n)
            c.name = n.name.replace(head, f"{args.prefix}.{i}/", 1)
            for j, x in enumerate(c.input):
                if x == hidden_in:
                    c.input[j] = prev
                elif x in rename:
                    c.input[j] = rename[x]
            for j, x in enumerate(c.output):
                c.output[j] = rename[x]
            nodes.append(c)
        prev = rename[hidden_out]
    for n in after:
        for j, x in enumerate(n.input):
            if x == hidden_out:
                n.input[j] = prev
        nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m)  # raises on a broken graph
    onnx.save(m, args.dst)
    print(f"{args.dst}: {args.layers} copies of {len(layer)} nodes ({hidden_in} -> {hidden_out})")


if __name__ == "__main__":
    main()
