#!/usr/bin/env python3
"""Structure-aware mutator of ONNX models for the hostile-model campaign (issue 12).

Where a byte-level fuzzer mostly breaks the protobuf encoding, this mutator edits a model's
*structure* with the `onnx` package and says what pare must do with the result:

  dims         graph input / initializer / Reshape dims set to 0, negative, 2^31, 2^62, INT64_MAX;
               symbolic dims; declared output shapes that disagree
  dtypes       float Gather indices, graph inputs of invalid or mismatched element types,
               float weights re-typed, Cast to an invalid type
  attributes   renamed (pads -> padz), unknown, duplicated, of the wrong type, removed when required,
               auto_pad together with pads, out-of-range values (zero strides, pads of 2^31, axis 99)
  names        hostile node / graph input / graph output / initializer names: newlines, `*/`,
               `#error`, quotes, backslash-newline, trigraphs, control bytes, 200 KB, non-UTF-8,
               printf and shell metacharacters, names that collide once made C identifiers
  external     external data at ../../etc/passwd, absolute paths, `/`, `.`, a directory, a FIFO,
               a symlink leaving the folder, /dev/zero; malformed / negative / huge offsets and lengths
  structure    extra node inputs / outputs, duplicate node names, two producers of one value,
               Concat with no inputs, nodes out of order, self loops, bad opsets, unknown domains
  shape_ops    ConstantOfShape with negative dims or [1e9] as an output, Range(0, 1e12), Expand /
               Tile / Pad to 2^40, Slice step 0, Gather out of range, INT64_MIN / -1 folded at import
  tensors      raw data shorter or longer than the shape, float_data of the wrong count, NaN weights
  calibration  --quantize int8 samples with NaN / inf, .npy headers claiming billions of elements,
               truncated files, wrong dtype or shape, garbage headers, an empty folder

`make_mutant(seed, index)` is deterministic: the same (seed, index) always gives the same mutant,
whatever order mutants are made in. A mutant carries the model, the extra files it needs
(external data, calibration samples, FIFOs, symlinks), the pare commands to run on it, and the
verdict it must get: `known_bad` (pare must refuse it: exit 0 is a *silent success*), `outside`
(an external-data location that leaves the model's folder: exit 0 is a *file read outside*),
`hostile_names` (the generated C is checked for injection), `expect` (words a good error names).

Run alone it writes mutants to a folder:  mutate.py --seed 1 -n 20 -o /tmp/mutants
"""
from __future__ import annotations

import argparse
import copy
import io
import json
import random
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import AttributeProto, TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seeds as seedlib  # noqa: E402

SENTINEL = "PAREINJECTED"
FAMILIES = ["dims", "dtypes", "attributes", "names", "external", "structure", "shape_ops",
            "tensors", "calibration"]
BIG = [2**31, 2**32, 2**62, 2**63 - 1]


@dataclass
class Mutant:
    family: str
    kind: str
    seed_model: str
    model: onnx.ModelProto | None = None
    raw: bytes | None = None           # serialized model, when the mutation is byte-level
    known_bad: bool = False
    outside: bool = False
    hostile_names: bool = False
    expect: list = field(default_factory=list)   # words a good error message names
    files: dict = field(default_factory=dict)    # relative path -> bytes | ("fifo",) | ("symlink", target) | ("dir",)
    calibration: dict | None = None              # file name -> bytes (folder calib/ beside the model)
    commands: list = field(default_factory=list)  # "compile", "inspect", "profile"
    extra_args: list = field(default_factory=list)
    note: str = ""

    def serialized(self) -> bytes:
        return self.raw if self.raw is not None else self.model.SerializeToString()

    def describe(self) -> dict:
        return {"family": self.family, "kind": self.kind, "seed_model": self.seed_model,
                "known_bad": self.known_bad, "outside": self.outside,
                "hostile_names": self.hostile_names, "expect": self.expect,
                "commands": self.commands, "extra_args": self.extra_args, "note": self.note,
                "files": {k: (v if isinstance(v, tuple) else f"<{len(v)} bytes>")
                          for k, v in self.files.items()},
                "calibration": sorted(self.calibration) if self.calibration is not None else None}


# --- helpers -------------------------------------------------------------------------------------

_SEED_CACHE: dict = {}


def seed_models() -> dict:
    if not _SEED_CACHE:
        _SEED_CACHE.update(seedlib.all_seeds())
    return _SEED_CACHE


FLOAT_SEEDS = ["conv_net", "depthwise_bn", "matmul_add", "two_inputs", "reduce_softmax",
               "fashion_mnist_cnn"]


def pick_seed(rng, names=None):
    allm = seed_models()
    names = [n for n in (names or sorted(allm)) if n in allm]
    name = rng.choice(names)
    return name, copy.deepcopy(allm[name])


def inits(m):
    return {t.name: t for t in m.graph.initializer}


def consumers(m, value):
    return [(n, i) for n in m.graph.node for i, x in enumerate(n.input) if x == value]


def rename_value(m, old, new):
    """Renames a value everywhere: graph inputs / outputs, initializers, node inputs / outputs."""
    for vi in list(m.graph.input) + list(m.graph.output) + list(m.graph.value_info):
        if vi.name == old:
            vi.name = new
    for t in m.graph.initializer:
        if t.name == old:
            t.name = new
    for n in m.graph.node:
        for i, x in enumerate(n.input):
            if x == old:
                n.input[i] = new
        for i, x in enumerate(n.output):
            if x == old:
                n.output[i] = new


def real_inputs(m):
    names = set(inits(m))
    return [vi for vi in m.graph.input if vi.name not in names]


def schema(op, opset=13, domain=""):
    try:
        return onnx.defs.get_schema(op, opset, domain)
    except Exception:
        return None


def opset_of(m):
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return 13


def npy_bytes(arr: np.ndarray) -> bytes:
    b = io.BytesIO()
    np.save(b, arr, allow_pickle=False)
    return b.getvalue()


def npy_header(descr: str, shape: tuple, fortran=False) -> bytes:
    """A .npy v1.0 header (the data is the caller's)."""
    h = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", repr(tuple(shape)))
    pad = 64 - (10 + len(h) + 1) % 64
    h = h + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode()


def input_shape(vi):
    return [d.dim_value for d in vi.type.tensor_type.shape.dim]


def _finish(mu: Mutant, rng, json_always=False):
    """Chooses the commands: compile always; inspect / profile --json on some."""
    if not mu.commands:
        mu.commands = ["compile"]
        if json_always or rng.random() < 0.3:
            mu.commands.append("inspect")
        if json_always or rng.random() < 0.3:
            mu.commands.append("profile")
    return mu


# --- dims ----------------------------------------------------------------------------------------

def mut_dims(rng):
    name, m = pick_seed(rng)
    kind = rng.choice(["input", "input", "initializer", "reshape", "symbolic", "output_decl"])
    if kind == "reshape":
        shapes = [n.input[1] for n in m.graph.node if n.op_type == "Reshape" and len(n.input) > 1
                  and n.input[1] in inits(m)]
        if not shapes:
            kind = "input"
    if kind == "input":
        vi = rng.choice(real_inputs(m))
        dims = vi.type.tensor_type.shape.dim
        d = rng.randrange(len(dims))
        v = rng.choice([0, -1, -7, 2**31 - 1] + BIG)
        dims[d].dim_value = v
        bad = v < 0 or v >= 2**31
        return _finish(Mutant("dims", f"input_dim={v}", name, m, known_bad=bad,
                              expect=[vi.name]), rng, json_always=True)
    if kind == "initializer":
        cand = [t for t in m.graph.initializer if len(t.dims) >= 1]
        t = rng.choice(cand)
        d = rng.randrange(len(t.dims))
        old = t.dims[d]
        v = rng.choice([0, -1, old * 2 + 1] + BIG)
        t.dims[d] = v
        return _finish(Mutant("dims", f"initializer_dim={v}", name, m, known_bad=True,
                              expect=[t.name]), rng)
    if kind == "reshape":
        t = inits(m)[rng.choice(shapes)]
        arr = numpy_helper.to_array(t).copy()
        arr[rng.randrange(arr.size)] = rng.choice([-2, -5] + BIG)
        t.CopyFrom(numpy_helper.from_array(arr.astype(np.int64), t.name))
        return _finish(Mutant("dims", "reshape_shape", name, m, known_bad=True), rng)
    if kind == "symbolic":
        vi = rng.choice(real_inputs(m))
        dim = vi.type.tensor_type.shape.dim[0]
        dim.dim_param = "N"
        # without --input-shape the model must be refused (the message names the flag); with a
        # dim of 2^31 or more the flag must be refused too
        if rng.random() < 0.5:
            return _finish(Mutant("dims", "symbolic_no_flag", name, m, known_bad=True,
                                  expect=["--input-shape"]), rng)
        shape = input_shape(vi)
        shape[0] = rng.choice([0, 2**31, 2**40, 999999999])
        return _finish(Mutant("dims", f"symbolic_flag={shape[0]}", name, m,
                              known_bad=shape[0] >= 2**31,
                              extra_args=["--input-shape", vi.name + "=" + ",".join(map(str, shape))]),
                       rng, json_always=True)
    # output_decl: a declared output dim that disagrees with the computed one
    out = rng.choice(list(m.graph.output))
    dims = out.type.tensor_type.shape.dim
    if not dims:
        return mut_dims(rng)
    d = dims[rng.randrange(len(dims))]
    d.dim_value = rng.choice([v for v in (3, 77, 2**62) if v != d.dim_value])
    return _finish(Mutant("dims", "output_decl", name, m, known_bad=True, expect=[out.name]), rng)


# --- dtypes --------------------------------------------------------------------------------------

INVALID_TYPES = [0, TensorProto.STRING, TensorProto.COMPLEX64, 9999, -1]


def mut_dtypes(rng):
    kind = rng.choice(["gather_float", "input_type", "weight_type", "cast_to"])
    if kind == "gather_float":
        name, m = pick_seed(rng, ["shape_subgraph", "gather_concat"])
        g = next(n for n in m.graph.node if n.op_type == "Gather")
        t = inits(m)[g.input[1]]
        arr = numpy_helper.to_array(t).astype(rng.choice([np.float32, np.float64, np.float16]))
        t.CopyFrom(numpy_helper.from_array(arr, t.name))
        return _finish(Mutant("dtypes", "gather_float_indices", name, m, known_bad=True,
                              expect=[g.name]), rng, json_always=True)
    if kind == "input_type":
        name, m = pick_seed(rng)
        vi = rng.choice(real_inputs(m))
        et = rng.choice(INVALID_TYPES)
        vi.type.tensor_type.elem_type = et
        return _finish(Mutant("dtypes", f"input_type={et}", name, m, known_bad=True,
                              expect=[vi.name]), rng)
    if kind == "weight_type":
        name, m = pick_seed(rng, ["conv_net", "depthwise_bn", "matmul_add", "fashion_mnist_cnn"])
        ws = [n.input[1] for n in m.graph.node if n.op_type in ("Conv", "MatMul", "Gemm")
              and n.input[1] in inits(m)]
        t = inits(m)[rng.choice(ws)]
        new = rng.choice([TensorProto.INT32, TensorProto.DOUBLE, TensorProto.INT8, TensorProto.BOOL,
                          TensorProto.STRING, 9999])
        if not t.raw_data:
            arr = numpy_helper.to_array(t)
            t.CopyFrom(numpy_helper.from_array(arr, t.name))
        t.data_type = new
        return _finish(Mutant("dtypes", f"weight_type={new}", name, m, known_bad=True,
                              expect=[t.name]), rng)
    # cast_to
    name, m = pick_seed(rng, ["const_of_shape_range"])
    c = next(n for n in m.graph.node if n.op_type == "Cast")
    v = rng.choice([0, TensorProto.STRING, 9999, -3])
    for a in c.attribute:
        if a.name == "to":
            a.i = v
    return _finish(Mutant("dtypes", f"cast_to={v}", name, m, known_bad=True, expect=[c.name]), rng)


# --- attributes ----------------------------------------------------------------------------------

def _attr_nodes(m):
    return [n for n in m.graph.node if len(n.attribute) > 0]


def _out_of_range(rng, a):
    """(new attribute, description) for an out-of-range value of `a`, or None."""
    n = a.name
    k = len(a.ints) or 2
    if n in ("strides", "dilations"):
        return helper.make_attribute(n, [rng.choice([0, -1, -2**40])] * k), f"{n}_bad"
    if n == "kernel_shape":
        return helper.make_attribute(n, [rng.choice([0, -3, 2**31])] * k), "kernel_shape_bad"
    if n == "pads":
        v = rng.choice([2**31, 2**31 - 1, -1, 2**62])
        return helper.make_attribute(n, [v] * k), f"pads={v}"
    if n == "group":
        return helper.make_attribute(n, rng.choice([0, -1, 3, 2**40])), "group_bad"
    if n == "axis" or n == "axes":
        v = rng.choice([99, -99, 2**62])
        return (helper.make_attribute(n, v) if n == "axis" else helper.make_attribute(n, [v])), f"{n}_bad"
    if n == "perm":
        return helper.make_attribute(n, [0] * k), "perm_dup"
    if n == "to":
        return helper.make_attribute(n, 9999), "to_bad"
    if n == "auto_pad":
        return helper.make_attribute(n, "SAME_SIDEWAYS"), "auto_pad_bad"
    if n == "mode":
        return helper.make_attribute(n, "bogus"), "mode_bad"
    return None


def mut_attributes(rng):
    name, m = pick_seed(rng)
    kind = rng.choice(["rename", "rename", "unknown", "duplicate", "wrong_type", "auto_pad_and_pads",
                       "out_of_range", "out_of_range", "remove_required"])
    opset = opset_of(m)
    nodes = _attr_nodes(m)
    if kind == "auto_pad_and_pads":
        cands = [n for n in m.graph.node if n.op_type in ("Conv", "MaxPool", "AveragePool")]
        if not cands:
            name, m = pick_seed(rng, ["conv_net", "depthwise_bn", "fashion_mnist_cnn"])
            cands = [n for n in m.graph.node if n.op_type in ("Conv", "MaxPool", "AveragePool")]
        n = rng.choice(cands)
        keep = [a for a in n.attribute if a.name not in ("auto_pad", "pads")]
        del n.attribute[:]
        n.attribute.extend(keep)
        n.attribute.extend([helper.make_attribute("auto_pad", rng.choice(["SAME_UPPER", "VALID", "SAME_LOWER"])),
                            helper.make_attribute("pads", [1, 1, 1, 1])])
        return _finish(Mutant("attributes", "auto_pad_and_pads", name, m, known_bad=True,
                              expect=[n.name]), rng)
    if kind == "remove_required":
        cands = [(n, a) for n in m.graph.node for a in n.attribute
                 if (n.op_type, a.name) in (("Cast", "to"), ("MaxPool", "kernel_shape"),
                                            ("AveragePool", "kernel_shape"))]
        if not cands:
            kind = "rename"
        else:
            n, a = rng.choice(cands)
            keep = [x for x in n.attribute if x.name != a.name]
            del n.attribute[:]
            n.attribute.extend(keep)
            return _finish(Mutant("attributes", f"remove_required:{n.op_type}.{a.name}", name, m,
                                  known_bad=True, expect=[n.name, a.name]), rng)
    if kind == "unknown":
        n = rng.choice(list(m.graph.node))
        n.attribute.append(helper.make_attribute(rng.choice(["foo", "padding", "stride", "Pads", "axis_"]), 1))
        a = n.attribute[-1]
        s = schema(n.op_type, opset, n.domain)
        bad = s is None or a.name not in s.attributes
        return _finish(Mutant("attributes", "unknown", name, m, known_bad=bad,
                              expect=[n.name, a.name]), rng)
    if not nodes:
        return mut_attributes(rng)
    n = rng.choice(nodes)
    a = rng.choice(list(n.attribute))
    s = schema(n.op_type, opset, n.domain)
    if kind == "rename":
        new = {"pads": "padz", "strides": "stride", "kernel_shape": "kernel", "axis": "axes",
               "group": "groups", "alpha": "alfa"}.get(a.name, a.name + "z")
        a.name = new
        bad = s is None or new not in s.attributes
        return _finish(Mutant("attributes", f"rename:{n.op_type}.{new}", name, m, known_bad=bad,
                              expect=[n.name, new]), rng)
    if kind == "duplicate":
        dup = copy.deepcopy(a)
        if dup.type == AttributeProto.INT:
            dup.i += 1
        n.attribute.append(dup)
        return _finish(Mutant("attributes", f"duplicate:{n.op_type}.{a.name}", name, m,
                              known_bad=True, expect=[n.name, a.name]), rng)
    if kind == "wrong_type":
        if a.type in (AttributeProto.INTS, AttributeProto.INT):
            new = rng.choice([helper.make_attribute(a.name, 1.5), helper.make_attribute(a.name, "1"),
                              helper.make_attribute(a.name, [1.0, 2.0])])
        elif a.type == AttributeProto.STRING:
            new = helper.make_attribute(a.name, 3)
        elif a.type == AttributeProto.TENSOR:
            new = helper.make_attribute(a.name, [1, 2])
        else:
            new = helper.make_attribute(a.name, "x")
        a.CopyFrom(new)
        return _finish(Mutant("attributes", f"wrong_type:{n.op_type}.{a.name}", name, m,
                              known_bad=True, expect=[n.name, a.name]), rng)
    # out_of_range
    cands = [(n, a) for n in m.graph.node for a in n.attribute if _out_of_range(rng, a)]
    if not cands:
        return mut_attributes(rng)
    n, a = rng.choice(cands)
    new, desc = _out_of_range(rng, a)
    a.CopyFrom(new)
    return _finish(Mutant("attributes", f"out_of_range:{n.op_type}.{desc}", name, m,
                          known_bad=True, expect=[n.name]), rng)


# --- names ---------------------------------------------------------------------------------------

def hostile_payloads():
    s = SENTINEL
    return [
        ("comment_close_newline", f"x\n*/ int injected_{s} = 42; /*"),
        ("comment_close", f"x */ int injected_{s} = 42; /* "),
        ("hash_error", f"\n#error injected_{s}\n"),
        ("hash_define", f"x\n#define main injected_{s}\n"),
        ("quote", f"\"; int injected_{s} = 1; static const char *q = \""),
        ("backslash_newline", f"x\\\nint injected_{s} = 3;"),
        ("trailing_backslash", f"conv\\"),
        ("trigraph", f"x??/\nint injected_{s} = 4;"),
        ("carriage_return", f"x\r*/ int injected_{s} = 5; /*"),
        ("line_comment", f"x // */ int injected_{s} = 8; /*"),
        ("control_bytes", f"a\x01\x07\x1b[31m\x7f\x00b*/ int injected_{s} = 9; /*"),
        ("format_string", f"%s%n%x%p%99999999s{s}"),
        ("shell_cmake", f"$(touch /tmp/pare_{s}) ${{CMAKE_COMMAND}} `id` \"; {s}"),
        ("xml", f"</text><script>{s}</script><!--"),
        ("json", f"\",\"{s}\":1,\"x\":\"\\u0000"),
        ("long_200k", "A" * 200_000 + f"*/ int injected_{s} = 6; /*"),
        ("empty", ""),
        ("unicode", f"ÿ\u2028\u2029\ufeff名字{s}"),
        ("non_utf8", None),  # filled in by bytes replacement after serialization
    ]


NON_UTF8 = b"\xff\xfe\x80\xc3(\xed\xa0\x80*/ int injected_" + SENTINEL.encode() + b" = 7; /*"


def mut_names(rng):
    name, m = pick_seed(rng, [n for n in seed_models() if n != "fashion_mnist_cnn"] + ["fashion_mnist_cnn"])
    where = rng.choice(["node", "node", "input", "output", "initializer", "all", "collide"])
    pkind, payload = rng.choice(hostile_payloads())
    placeholder = None
    if payload is None:
        placeholder = "Q" * (len(NON_UTF8) - 6) + "NOUTF8"
        payload = placeholder
    if where == "collide":
        # two values whose names differ only where a C identifier cannot (x.y and x_y, x-y)
        ins = real_inputs(m)
        if len(ins) >= 2:
            rename_value(m, ins[0].name, "in.put")
            rename_value(m, ins[1].name, "in_put")
        else:
            outs = list(m.graph.output)
            rename_value(m, ins[0].name, "value-x")
            rename_value(m, outs[0].name, "value_x")
        pkind = "collide"
    targets = []
    if where in ("node", "all"):
        targets += [("node", n) for n in rng.sample(list(m.graph.node), min(2, len(m.graph.node)))]
    if where in ("input", "all"):
        targets.append(("value", rng.choice(real_inputs(m)).name))
    if where in ("output", "all"):
        targets.append(("value", rng.choice(list(m.graph.output)).name))
    if where in ("initializer", "all") and m.graph.initializer:
        targets.append(("value", rng.choice(list(m.graph.initializer)).name))
    if placeholder is not None:
        targets = targets[:1]  # the non-UTF-8 bytes replace one placeholder
    for i, (what, t) in enumerate(targets):
        # distinct names when several are renamed (the payload plus a suffix)
        suffix = "" if i == 0 else str(i)
        if what == "node":
            t.name = payload + suffix
        else:
            rename_value(m, t, payload + suffix)
    # an empty value name means "no value" in ONNX: a graph input, output or initializer named ""
    # must be refused (with "all", a node gets the empty name and the values get "1", "2", ...)
    mu = Mutant("names", f"{where}:{pkind}", name, m, hostile_names=True,
                known_bad=pkind == "empty" and where in ("input", "output", "initializer"))
    if placeholder is not None:
        raw = m.SerializeToString().replace(placeholder.encode(), NON_UTF8)
        mu.raw = raw
        mu.model = None
    mu.commands = ["compile", "inspect", "profile"]
    return mu


# --- external data -------------------------------------------------------------------------------

def mut_external(rng):
    name, m = pick_seed(rng, ["conv_net", "depthwise_bn", "matmul_add", "gather_concat", "fashion_mnist_cnn"])
    cands = [t for t in m.graph.initializer if t.data_type == TensorProto.FLOAT
             and int(np.prod(t.dims)) >= 4]
    if not cands:
        return mut_external(rng)
    t = rng.choice(cands)
    arr = numpy_helper.to_array(t)
    data = arr.tobytes()
    nbytes = len(data)
    t.ClearField("float_data")
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    files = {"weights.bin": b"\0" * 16 + data + b"\0" * 16}
    loc, offset, length = "weights.bin", "16", str(nbytes)
    outside = False
    bad = True
    kind = rng.choice(["valid", "valid_symlink_in", "dotdot_passwd", "absolute_passwd", "dotdot_canary",
                       "root", "dot", "empty", "directory", "fifo", "symlink_out", "dev_zero",
                       "proc_environ", "offset", "offset", "length", "length", "no_location",
                       "unknown_key", "dotdot_inside"])
    if kind == "valid":
        bad = False
    elif kind == "valid_symlink_in":
        files["link_in.bin"] = ("symlink", "weights.bin")
        loc, bad = "link_in.bin", False
    elif kind == "dotdot_inside":
        files["sub/.keep"] = b""
        loc, bad = "sub/../weights.bin", False
    elif kind == "dotdot_passwd":
        loc, outside = "../" * 24 + "etc/passwd", True
        offset, length = "0", str(nbytes)
    elif kind == "absolute_passwd":
        loc, outside = "/etc/passwd", True
        offset, length = "0", str(nbytes)
    elif kind == "dotdot_canary":
        loc, outside = "../outside.bin", True
    elif kind == "root":
        loc = "/"
        outside = True
    elif kind == "dot":
        loc = "."
    elif kind == "empty":
        loc = ""
    elif kind == "directory":
        files["adir/.keep"] = b""
        loc = "adir"
    elif kind == "fifo":
        files["fifo.bin"] = ("fifo",)
        loc = "fifo.bin"
    elif kind == "symlink_out":
        files["link_out.bin"] = ("symlink", "../outside.bin")
        loc, outside = "link_out.bin", True
    elif kind == "dev_zero":
        loc, outside = "/dev/zero", True
    elif kind == "proc_environ":
        loc, outside = "/proc/self/environ", True
        offset, length = "0", str(nbytes)
    elif kind == "offset":
        offset = rng.choice(["abc", "-16", "99999999999999999999999", str(2**63), str(2**64 + 16),
                             "100000", "0x10", " 16", "16abc", "", "1e3"])
        kind = f"offset={offset!r}"
    elif kind == "length":
        length = rng.choice(["abc", "-1", "0", str(nbytes - 4), str(nbytes + 4), str(2**63 - 1),
                             "99999999999999999999999", "1000000"])
        kind = f"length={length!r}"
    entries = []
    if kind != "no_location":
        entries.append(("location", loc))
    if offset is not None:
        entries.append(("offset", offset))
    if length is not None:
        entries.append(("length", length))
    if kind == "unknown_key":
        entries.append(("checksumz", "abc"))
    for k, v in entries:
        e = t.external_data.add()
        e.key, e.value = k, v
    mu = Mutant("external", kind, name, m, known_bad=bad, outside=outside, files=files,
                expect=[t.name])
    return _finish(mu, rng)


# --- structure -----------------------------------------------------------------------------------

def mut_structure(rng):
    name, m = pick_seed(rng)
    g = m.graph
    kind = rng.choice(["extra_input", "extra_output", "duplicate_node_name", "two_producers",
                       "output_not_produced", "duplicate_graph_output", "duplicate_graph_input",
                       "reverse_order", "concat_no_inputs", "self_loop", "opset", "unknown_domain",
                       "empty_op_type", "no_nodes", "subgraph_attr", "no_outputs"])
    nodes = list(g.node)
    bad = True
    expect = []
    if kind == "extra_input":
        # one input more than the op's schema allows (variadic ops such as Concat are left alone)
        n = rng.choice(nodes)
        sch = schema(n.op_type, opset_of(m), n.domain)
        n.input.append(n.input[0])
        bad = sch is None or len(n.input) > sch.max_input
        kind = f"extra_input:{n.op_type}"
        expect = [n.name]
    elif kind == "extra_output":
        # one output more than the schema allows (MaxPool's Indices, Dropout's mask are legal)
        n = rng.choice(nodes)
        sch = schema(n.op_type, opset_of(m), n.domain)
        n.output.append("extra_out_value")
        bad = sch is None or len(n.output) > sch.max_output
        kind = f"extra_output:{n.op_type}"
        expect = [n.name]
    elif kind == "duplicate_node_name":
        a, b = rng.sample(nodes, 2)
        b.name = a.name
        expect = [a.name]
    elif kind == "two_producers":
        a, b = rng.sample(nodes, 2)
        b.output[0] = a.output[0]
    elif kind == "output_not_produced":
        g.output[0].name = "nobody_makes_this"
        expect = ["nobody_makes_this"]
    elif kind == "duplicate_graph_output":
        g.output.append(copy.deepcopy(g.output[0]))
        bad = False
    elif kind == "duplicate_graph_input":
        g.input.append(copy.deepcopy(real_inputs(m)[0]))
    elif kind == "reverse_order":
        if len(nodes) < 2:
            raise IndexError("one node: nothing to reorder")
        rev = list(reversed(nodes))
        del g.node[:]
        g.node.extend(rev)
    elif kind == "concat_no_inputs":
        n = rng.choice(nodes)
        idx = nodes.index(n)
        c = helper.make_node("Concat", [], [n.output[0]], name="concat_empty", axis=0)
        g.node[idx].CopyFrom(c)
        expect = ["concat_empty"]
    elif kind == "self_loop":
        n = rng.choice(nodes)
        n.input[0] = n.output[0]
        expect = [n.name]
    elif kind == "opset":
        v = rng.choice([0, -1, 9999, 2**62])
        m.opset_import[0].version = v
        if v == 0 and rng.random() < 0.5:
            del m.opset_import[:]
            kind = "no_opset_import"
        else:
            kind = f"opset={v}"
    elif kind == "unknown_domain":
        n = rng.choice(nodes)
        n.domain = rng.choice(["com.evil", "ai.onnx.ml", "\n*/"])
        expect = [n.name]
    elif kind == "empty_op_type":
        n = rng.choice(nodes)
        n.op_type = rng.choice(["", "relu", "Relu ", "Conv\n"])
        expect = [n.name]
    elif kind == "no_nodes":
        # the graph passes its input straight through: legal, and an edge for the emitters
        inp = real_inputs(m)[0]
        del g.node[:]
        del g.output[:]
        g.output.append(copy.deepcopy(inp))
        bad = False
    elif kind == "subgraph_attr":
        n = rng.choice(nodes)
        sub = helper.make_graph([], "sub", [], [])
        n.attribute.append(helper.make_attribute("then_branch", sub))
        expect = [n.name]
    elif kind == "no_outputs":
        del g.output[:]
    return _finish(Mutant("structure", kind, name, m, known_bad=bad, expect=expect), rng)


# --- shape ops (standalone small models) ---------------------------------------------------------

def _tiny(nodes, out_name, out_type, inits_, in_shape=(1, 4), opset=13):
    g = helper.make_graph(nodes, "hostile", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
                          [helper.make_tensor_value_info(out_name, out_type, None)], inits_)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def _i64(name, v):
    return numpy_helper.from_array(np.array(v, np.int64), name)


def mut_shape_ops(rng):
    F = TensorProto.FLOAT
    kind = rng.choice(["cos_negative", "cos_1e9", "cos_huge", "range_1e12", "range_delta0",
                       "range_nan", "expand_huge", "tile_huge", "pad_huge", "slice_step0",
                       "slice_int64_extremes", "gather_out_of_range", "split_mismatch",
                       "conv_kernel_too_big", "pool_kernel_too_big", "div_int64_min",
                       "div_by_zero", "reshape_huge", "concat_one_scalar"])
    relu = helper.make_node("Relu", ["x"], ["xr"], name="relu")
    bad = True
    if kind.startswith("cos_"):
        shape = {"cos_negative": [rng.choice([-1, -4]), 4], "cos_1e9": [10**9],
                 "cos_huge": rng.choice([[2**62], [2**31, 2**31], [2**40, 2**40]])}[kind]
        n = helper.make_node("ConstantOfShape", ["shp"], ["y"], name="const_of_shape",
                             value=helper.make_tensor("v", F, [1], [1.0]))
        m = _tiny([relu, n], "y", F, [_i64("shp", shape)])
        # [1e9] as an output: 4 GB of weights; pare must refuse it (exit 1), not abort
    elif kind.startswith("range"):
        if kind == "range_1e12":
            vals = [0, 10**12, 1]
            ins = [_i64("a", vals[0]), _i64("b", vals[1]), _i64("c", vals[2])]
        elif kind == "range_delta0":
            ins = [_i64("a", 0), _i64("b", 10), _i64("c", 0)]
        else:
            ins = [numpy_helper.from_array(np.array(v, np.float32), k)
                   for k, v in (("a", 0.0), ("b", float(rng.choice(["nan", "inf"]))), ("c", 1.0))]
        n = helper.make_node("Range", ["a", "b", "c"], ["y"], name="range")
        m = _tiny([relu, n], "y", TensorProto.UNDEFINED, ins)
        m.graph.output[0].type.tensor_type.elem_type = ins[0].data_type
    elif kind == "expand_huge":
        n = helper.make_node("Expand", ["xr", "shp"], ["y"], name="expand")
        m = _tiny([relu, n], "y", F, [_i64("shp", [2**40, 4])])
    elif kind == "tile_huge":
        n = helper.make_node("Tile", ["xr", "reps"], ["y"], name="tile")
        m = _tiny([relu, n], "y", F, [_i64("reps", [1, rng.choice([2**40, 2**62, -1])])])
    elif kind == "pad_huge":
        n = helper.make_node("Pad", ["xr", "pads"], ["y"], name="pad")
        m = _tiny([relu, n], "y", F, [_i64("pads", [0, rng.choice([2**40, 2**62, -100]), 0, 0])])
    elif kind == "slice_step0":
        n = helper.make_node("Slice", ["xr", "s", "e", "ax", "st"], ["y"], name="slice")
        m = _tiny([relu, n], "y", F, [_i64("s", [0]), _i64("e", [4]), _i64("ax", [1]), _i64("st", [0])])
    elif kind == "slice_int64_extremes":
        n = helper.make_node("Slice", ["xr", "s", "e", "ax", "st"], ["y"], name="slice")
        m = _tiny([relu, n], "y", F, [_i64("s", [2**63 - 1]), _i64("e", [-(2**63)]), _i64("ax", [1]),
                                      _i64("st", [rng.choice([-(2**63), -1, -(2**62)])])])
        bad = False
    elif kind == "gather_out_of_range":
        n = helper.make_node("Gather", ["xr", "idx"], ["y"], name="gather", axis=1)
        m = _tiny([relu, n], "y", F, [_i64("idx", [rng.choice([4, 99, -5, 2**62, -(2**63)])])])
    elif kind == "split_mismatch":
        n = helper.make_node("Split", ["xr", "sp"], ["y", "z"], name="split", axis=1)
        m = _tiny([relu, n], "y", F, [_i64("sp", rng.choice([[3, 3], [-1, 5], [2**62, 4 - 2**62]]))])
    elif kind == "conv_kernel_too_big":
        n = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[5, 5])
        m = _tiny([n], "y", F, [numpy_helper.from_array(np.ones([2, 1, 5, 5], np.float32), "w")],
                  in_shape=(1, 1, 3, 3))
    elif kind == "pool_kernel_too_big":
        n = helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[9, 9])
        m = _tiny([n], "y", F, [], in_shape=(1, 1, 3, 3))
    elif kind in ("div_int64_min", "div_by_zero"):
        num, den = (-(2**63), -1) if kind == "div_int64_min" else (rng.choice([7, -(2**63)]), 0)
        op = rng.choice(["Div", "Mod"])
        n = helper.make_node(op, ["a", "b"], ["q"], name="intdiv")
        c = helper.make_node("Cast", ["q"], ["qf"], name="cast", to=F)
        add = helper.make_node("Add", ["xr", "qf"], ["y"], name="add")
        m = _tiny([relu, n, c, add], "y", F, [_i64("a", [num]), _i64("b", [den])])
        bad = False  # integer division by zero is undefined in ONNX: any result, never a crash
        kind = f"{kind}:{op}"
    elif kind == "reshape_huge":
        n = helper.make_node("Reshape", ["xr", "shp"], ["y"], name="reshape")
        m = _tiny([relu, n], "y", F, [_i64("shp", rng.choice([[2**62, 4], [-1, -1], [0, 2**31]]))])
    else:  # concat_one_scalar: Concat of a 0-d tensor
        n = helper.make_node("Concat", ["s", "s"], ["y"], name="concat", axis=0)
        c = numpy_helper.from_array(np.array(1.0, np.float32), "s")
        m = _tiny([relu, n], "y", F, [c])
    return _finish(Mutant("shape_ops", kind, "tiny", m, known_bad=bad), rng, json_always=True)


# --- tensors -------------------------------------------------------------------------------------

def mut_tensors(rng):
    name, m = pick_seed(rng)
    cands = [t for t in m.graph.initializer if int(np.prod(t.dims)) >= 2]
    t = rng.choice(cands)
    arr = numpy_helper.to_array(t)
    kind = rng.choice(["raw_short", "raw_long", "typed_count", "both_fields", "nan_weights", "empty"])
    bad = True
    if kind == "raw_short":
        t.CopyFrom(numpy_helper.from_array(arr, t.name))
        t.raw_data = t.raw_data[: rng.randrange(len(t.raw_data))]
    elif kind == "raw_long":
        t.CopyFrom(numpy_helper.from_array(arr, t.name))
        t.raw_data = t.raw_data + b"\0" * rng.choice([1, 4, 4096])
    elif kind == "typed_count":
        flat = arr.flatten()
        t.ClearField("raw_data")
        if arr.dtype == np.float32:
            t.ClearField("float_data")
            t.float_data.extend(flat[: max(0, flat.size - rng.choice([1, flat.size]))].tolist())
        else:
            t.ClearField("int64_data")
            t.ClearField("int32_data")
            t.int64_data.extend([1] * (flat.size + 3)) if arr.dtype == np.int64 else t.int32_data.extend([1])
    elif kind == "both_fields":
        # the ONNX checker wants one value field; onnxruntime reads raw_data: either is fine
        bad = False
        t.CopyFrom(numpy_helper.from_array(arr, t.name))
        if arr.dtype == np.float32:
            t.float_data.extend(arr.flatten().tolist())
        else:
            t.int64_data.extend([0] * arr.size)
    elif kind == "nan_weights":
        if arr.dtype != np.float32:
            return mut_tensors(rng)
        a2 = arr.copy()
        a2.flat[rng.randrange(a2.size)] = rng.choice([np.nan, np.inf, -np.inf, 3e38])
        t.CopyFrom(numpy_helper.from_array(a2, t.name))
        bad = False
    else:  # empty: dims say N elements, no data at all
        t.ClearField("raw_data")
        t.ClearField("float_data")
        t.ClearField("int64_data")
        t.ClearField("int32_data")
    return _finish(Mutant("tensors", kind, name, m, known_bad=bad, expect=[t.name]), rng)


# --- calibration ---------------------------------------------------------------------------------

def mut_calibration(rng):
    name, m = pick_seed(rng, FLOAT_SEEDS)
    ins = real_inputs(m)
    rs = np.random.RandomState(rng.randrange(2**31))
    prefix = (lambda vi: vi.name + "_") if len(ins) > 1 else (lambda vi: "")
    calib = {}
    for k in range(3):
        for vi in ins:
            calib[f"{prefix(vi)}s{k}.npy"] = npy_bytes(rs.standard_normal(input_shape(vi)).astype(np.float32))
    kind = rng.choice(["valid", "nan", "inf", "huge_header", "huge_header_f8", "truncated", "wrong_dtype",
                       "wrong_shape", "garbage", "empty_dir", "header_len_huge", "fortran", "big_finite",
                       "pb_nan"])
    bad = True
    vi = ins[0]
    shape = input_shape(vi)
    target = f"{prefix(vi)}s1.npy"
    if kind == "valid":
        bad = False
    elif kind in ("nan", "inf"):
        a = rs.standard_normal(shape).astype(np.float32)
        a.flat[rng.randrange(a.size)] = np.nan if kind == "nan" else rng.choice([np.inf, -np.inf])
        calib[target] = npy_bytes(a)
    elif kind in ("huge_header", "huge_header_f8"):
        d = rng.choice([[100000, 100000], [2**31, 4], [2**62, 4], [-1, 4]] + [[shape[0] * 10**9] + shape[1:]])
        calib[target] = npy_header("<f4" if kind == "huge_header" else "<f8", tuple(d)) + b"\0" * 64
        kind = f"{kind}={d}"
    elif kind == "truncated":
        b = calib[target]
        calib[target] = b[: rng.randrange(8, len(b) - 1)]
    elif kind == "wrong_dtype":
        calib[target] = npy_bytes(rs.standard_normal(shape).astype(rng.choice(["<U4", "|S3", "<c8"]))) \
            if rng.random() < 0.3 else npy_header(rng.choice(["<U4", "|O", "<c8", "<f16", "<x4"]), tuple(shape)) + b"\0" * (4 * int(np.prod(shape)))
    elif kind == "wrong_shape":
        calib[target] = npy_bytes(rs.standard_normal([s + 1 for s in shape]).astype(np.float32))
    elif kind == "garbage":
        calib[target] = rng.choice([b"", b"\x93NUMPY", b"not an npy file at all", b"\x93NUMPY\x01\x00\x10\x00{'descr': }     \n"])
    elif kind == "empty_dir":
        calib = {}
    elif kind == "header_len_huge":
        calib[target] = b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{"
    elif kind == "fortran":
        calib[target] = npy_header("<f4", tuple(shape), fortran=True) + rs.standard_normal(shape).astype(np.float32).tobytes()
        bad = False
    elif kind == "big_finite":
        a = rs.standard_normal(shape).astype(np.float32) * np.float32(1e30)
        calib[target] = npy_bytes(a)
        bad = False
    elif kind == "pb_nan":
        a = rs.standard_normal(shape).astype(np.float32)
        a.flat[0] = np.nan
        del calib[target]
        calib[target[:-4] + ".pb"] = numpy_helper.from_array(a, vi.name).SerializeToString()
    mu = Mutant("calibration", kind, name, m, known_bad=bad, calibration=calib,
                expect=[target] if kind not in ("empty_dir",) else ["--calibration"])
    mu.commands = ["compile", "inspect", "profile"]
    return mu


MUTATORS = {"dims": mut_dims, "dtypes": mut_dtypes, "attributes": mut_attributes, "names": mut_names,
            "external": mut_external, "structure": mut_structure, "shape_ops": mut_shape_ops,
            "tensors": mut_tensors, "calibration": mut_calibration}


def make_mutant(seed: int, index: int, families=None) -> Mutant:
    """Mutant number `index` of campaign `seed` (deterministic)."""
    fams = families or FAMILIES
    fam = fams[index % len(fams)]
    for attempt in range(20):
        # a mutation that does not apply to the seed it drew raises: draw again (deterministically)
        rng = random.Random(f"pare-hostile:{seed}:{index}:{attempt}")
        try:
            mu = MUTATORS[fam](rng)
            break
        except (IndexError, ValueError, KeyError, StopIteration, RecursionError):
            continue
    else:
        raise RuntimeError(f"mutant {index} ({fam}): no applicable mutation in 20 draws")
    mu.index = index
    return mu


def main() -> int:
    ap = argparse.ArgumentParser(description="Write structure-aware mutants of pare's seed models "
                                 "(see the module docstring for the families).")
    ap.add_argument("--seed", type=int, default=1, help="campaign seed (default 1)")
    ap.add_argument("-n", type=int, default=20, help="number of mutants (default 20)")
    ap.add_argument("--start", type=int, default=0, help="first mutant index (default 0)")
    ap.add_argument("--family", action="append", choices=FAMILIES, help="only these families (repeatable)")
    ap.add_argument("-o", "--out", required=True, help="output folder: NNNNN-family.onnx + .json")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(args.start, args.start + args.n):
        mu = make_mutant(args.seed, i, args.family)
        base = out / f"{i:05d}-{mu.family}"
        base.with_suffix(".onnx").write_bytes(mu.serialized())
        base.with_suffix(".json").write_text(json.dumps(mu.describe(), indent=1) + "\n")
        print(f"{base}.onnx  {mu.family}:{mu.kind}{'  (known bad)' if mu.known_bad else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
