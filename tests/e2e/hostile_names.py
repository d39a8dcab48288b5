#!/usr/bin/env python3
"""Hostile names in a model never reach emitted text unescaped.

Builds small models with the `onnx` package whose node, input, output and
initializer names (and file name) try to inject code: newlines, "*/",
"#error", "#include", quotes, backslashes, "??/" trigraphs, control bytes,
200 KB names, non-UTF-8 bytes, names that sanitise to the same identifier
(also when upper-cased), C / C++ keywords, the names of pare's own kernels and
of the generated code's symbols. For each model it checks that

- `pare compile --emit-runner` writes C that builds with
  `gcc -std=c99 -Wall -Wextra -Werror -pedantic -fsanitize=address,undefined`
  and whose header also compiles as C++; the runner's outputs equal
  onnxruntime's; no injected sentinel exists in the preprocessed code or as a
  symbol (`nm`); no emitted line is longer than 1000 bytes; every output file
  lands inside the -o directory; repeat compiles are byte-identical;
- the CMake / Make fragments name only sanitised identifiers and evaluate to
  the expected source list (`make`);
- `--memory-report`, `inspect --json` and `profile --json` are strict JSON
  (NaN rejected) and `profile --svg` is well-formed XML;
- a diagnostic that names a hostile node is one line;
- with `--target cuda` the generated model.cu and runner.cu compile with nvcc
  (when /usr/local/cuda/bin/nvcc exists);
- int64 / int32 Div of INT_MIN by -1 and by 0, and wrapping Add / Mul, are
  defined (UBSan) and give the documented results;
- the runner refuses an -o path too long for a file name, without overflow.

Prints one line per check; exit 1 if any failed.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.dom.minidom
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]
NVCC = Path("/usr/local/cuda/bin/nvcc")
SENTINEL = "PWNED"
GCC = ["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-g",
       "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)
    return ok


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=600, **kw)


LONG = 200_000
INJECT = "\n*/ int PWNED_{0} = 42; /*\n#error PWNED_{0}\n#include \"/etc/passwd\"\n"
CONTROL = "".join(chr(c) for c in range(1, 32)) + "\x7f"


def hostile_model():
    """Float model: every name hostile. Inputs a, b, w [1, 8]."""
    a = "in" + INJECT.format("in")
    b = "In" + INJECT.format("in")          # same identifier as `a` once upper-cased
    w0 = "w */ int PWNED_w = 1; /* \\\n??/"
    w1 = "W" + "x" * LONG                     # 200 KB initializer name
    nodes, k = [], [0]

    def node(op, ins, name, out=None):
        k[0] += 1
        out = out or f"t{k[0]} */ PWNED_t{k[0]}"
        nodes.append(helper.make_node(op, ins, [out], name=name))
        return out

    t = node("Add", [a, w0], "conv0" + INJECT.format("node"))
    t = node("Mul", [t, b], "#error PWNED_hash\n#include \"/etc/passwd\"")
    t = node("Add", [t, w1], "a??/\nint PWNED_tri;" + CONTROL)
    t = node("Relu", [t], "\"quoted\" \\ back\\slash '")
    t = node("Sigmoid", [t], "x" * LONG)
    d1 = node("Neg", [t], "dup.name")
    d2 = node("Abs", [d1], "dup/name")
    t = node("Add", [d2, d1], "dup name")
    # Names of C / C++ keywords, of pare's kernels, of the generated code's own
    # symbols and locals, and of C library macros.
    for nm in ["int", "return", "class", "new", "NULL", "INFINITY", "errno", "stdout", "size_t",
               "uint8_t", "hostile_run", "hostile_arena", "HOSTILE_ARENA_BYTES", "pare_binary_f32",
               "pare_act_f32", "runner_path", "argv", "main", "t_1", "NONUTF8_PLACEHOLDER_N"]:
        t = node("Relu" if len(nodes) % 2 else "Neg", [t], nm)
    # An input named like a local of the CUDA code (w), an output like one of
    # the CUDA runner's (t0).
    t = node("Add", [t, "w"], "plus_w")
    # Outputs: case collision, 200 KB, path traversal, a copy of an input.
    outs = ["y */ int PWNED_out; /*", "Y */ int PWNED_out; /*", "o" * LONG,
            "../../escape_PWNED", "NONUTF8_PLACEHOLDER_O", "t0"]
    nodes.append(helper.make_node("Identity", [t], [outs[0]], name="id0"))
    nodes.append(helper.make_node("Neg", [t], [outs[1]], name="id1"))
    nodes.append(helper.make_node("Abs", [t], [outs[2]], name="id2"))
    nodes.append(helper.make_node("Identity", [d1], [outs[3]], name="id3"))
    nodes.append(helper.make_node("Identity", [a], [outs[4]], name="id4"))
    nodes.append(helper.make_node("Neg", [t], [outs[5]], name="id5"))
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((1, 8)).astype(np.float32), w0),
             numpy_helper.from_array(rng.standard_normal((1, 8)).astype(np.float32), w1)]
    g = helper.make_graph(
        nodes, "g */ PWNED_graph",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 8]) for n in (a, b, "w")],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outs], inits)
    m = helper.make_model(g, producer_name="p */ PWNED_producer\n",
                          opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def non_utf8(data: bytes) -> bytes:
    """Replaces the placeholders by same-length non-UTF-8 bytes (the
    protobuf stays well-formed: lengths are unchanged)."""
    for tag in (b"NONUTF8_PLACEHOLDER_N", b"NONUTF8_PLACEHOLDER_O"):
        bad = b"\xff\xfe\xc0\x80\xed\xa0\x80*/\n"
        data = data.replace(tag, bad + tag[len(bad):])
    return data


def npy_file_names(names):
    """The runner's output file names (README): [A-Za-z0-9._-] kept, other
    bytes '_'; names over 100 bytes cut to 83 + '_' + 16 hex digits of their
    FNV-1a; repeats get _1, _2, ..."""
    out = []
    for n in names:
        raw = n if isinstance(n, bytes) else n.encode("utf-8")
        s = "".join(chr(c) if (chr(c).isascii() and (chr(c).isalnum() or chr(c) in "._-")) else "_"
                    for c in raw)
        if len(s) > 100:
            h = 1469598103934665603
            for c in raw:
                h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
            s = s[:83] + "_" + f"{h:016x}"
        base, k = s, 0
        while s.lower() in (o.lower() for o in out):
            k += 1
            s = f"{base}_{k}"
        out.append(s)
    return out


def strict_json(text):
    def bad(c):
        raise ValueError(f"non-standard JSON constant {c}")
    return json.loads(text, parse_constant=bad)


def check_emitted_text(out: Path, label):
    long_lines = []
    for f in sorted(out.iterdir()):
        if f.suffix in (".c", ".h", ".cu", ".cuh", ".cmake", ".mk"):
            for i, line in enumerate(f.read_bytes().split(b"\n")):
                if len(line) > 1000:
                    long_lines.append(f"{f.name}:{i + 1} ({len(line)} bytes)")
    check(not long_lines, f"{label}: no emitted line over 1000 bytes {long_lines[:3]}")
    for frag in [f for f in out.iterdir() if f.suffix in (".cmake", ".mk")]:
        text = frag.read_bytes()
        code = [l for l in text.split(b"\n") if l and not l.startswith(b"#")]
        token = re.compile(rb"(?<![A-Za-z0-9_])" + SENTINEL.encode())
        check(not any(token.search(l) for l in code) and text.isascii(),
              f"{label}: {frag.name} holds model text only in comments, ASCII")


def check_preprocessed(out: Path, label, files, extra=()):
    """No sentinel outside comments and identifiers: preprocess (comments
    stripped) and look for it at the start of a token."""
    hits = []
    for f in files:
        r = run(["gcc", "-std=c99", "-E", "-P", "-I", str(out), *extra, str(out / f)])
        text = r.stdout.decode("latin-1")
        if r.returncode != 0:
            hits.append(f"{f}: preprocessing failed: {r.stderr.decode('latin-1')[-300:]}")
        hits += [f"{f}: ...{text[max(0, m.start() - 40):m.end() + 20]!r}"
                 for m in re.finditer(r"(?<![A-Za-z0-9_])" + SENTINEL, text)]
    check(not hits, f"{label}: no injected code after preprocessing {hits[:2]}")


def compile_model(pare, model, out, *flags):
    if out.exists():
        shutil.rmtree(out)
    return run([pare, "compile", str(model), "-o", str(out), "-q", *flags])


def hostile_c(pare, tmp: Path, model_bytes: bytes, label, reference):
    model = tmp / f"{label}.onnx"
    model.write_bytes(model_bytes)
    out, out2 = tmp / f"{label}_out", tmp / f"{label}_out2"
    report = tmp / f"{label}_mem.json"
    r = compile_model(pare, model, out, "--name", "hostile", "--emit-runner",
                      "--memory-report", str(report))
    if not check(r.returncode == 0, f"{label}: pare compile exits 0 {r.stderr[-400:]!r}"):
        return
    compile_model(pare, model, out2, "--name", "hostile", "--emit-runner")
    same = sorted(p.name for p in out.iterdir()) == sorted(p.name for p in out2.iterdir()) and all(
        (out / p.name).read_bytes() == (out2 / p.name).read_bytes() for p in out.iterdir())
    check(same, f"{label}: repeat compile is byte-identical")
    check_emitted_text(out, label)
    check_preprocessed(out, label, ["hostile.c", "hostile.h", "hostile_weights.c", "runner.c"])
    exe = tmp / f"{label}_runner"
    srcs = [str(p) for p in sorted(out.glob("*.c"))]
    r = run([*GCC, "-I", str(out), *srcs, "-lm", "-o", str(exe)])
    if not check(r.returncode == 0, f"{label}: gcc -Werror -pedantic -fsanitize builds it "
                                    f"{r.stderr.decode('latin-1')[-800:]}"):
        return
    r = run(["g++", "-x", "c++", "-std=c++11", "-Wall", "-Werror", "-fsyntax-only", "-I", str(out),
             "-"], input=b'#include "hostile.h"\n')
    check(r.returncode == 0, f"{label}: hostile.h compiles as C++ {r.stderr.decode('latin-1')[-300:]}")
    syms = run(["nm", str(exe)]).stdout.decode("latin-1").split()
    check(not [s for s in syms if s.startswith(SENTINEL)], f"{label}: no injected symbol (nm)")
    # Run on the same inputs as onnxruntime.
    ins = []
    for i, x in enumerate(reference["inputs"]):
        p = tmp / f"{label}_in{i}.npy"
        np.save(p, x)
        ins.append(str(p))
    res = tmp / f"{label}_res" / "deep"
    res.mkdir(parents=True)
    r = run([str(exe), "-o", str(res), *ins])
    check(r.returncode == 0, f"{label}: runner exits 0 {r.stderr.decode('latin-1')[-600:]}")
    files = npy_file_names(reference["names"])
    written = sorted(p.name for p in res.iterdir())
    stray = [p for p in (tmp / f"{label}_res").rglob("*") if p.is_file() and p.parent != res]
    check(written == sorted(f + ".npy" for f in files) and not stray,
          f"{label}: one .npy per output, inside -o, named as documented")
    for f, want in zip(files, reference["outputs"]):
        p = res / (f + ".npy")
        got = np.load(p) if p.exists() else None
        check(got is not None and got.shape == want.shape and
              np.allclose(got, want, rtol=1e-5, atol=1e-6),
              f"{label}: output {f[:40]} equals onnxruntime")
    # An -o longer than any path: a clean error, no overflow (ASan would stop it).
    r = run([str(exe), "-o", "d" * 5000, *ins], env={**os.environ, "ASAN_OPTIONS": "detect_leaks=0"})
    check(r.returncode == 1 and b"runner:" in r.stderr and b"AddressSanitizer" not in r.stderr,
          f"{label}: runner refuses a 5000-byte -o cleanly {r.stderr[-300:]!r}")
    # Build fragments: make evaluates the source list of sanitised names.
    mk = tmp / f"{label}_Makefile"
    mk.write_text(f"include {out}/hostile.mk\nall:\n\t@echo $(HOSTILE_SRCS)\n")
    r = run(["make", "-s", "-f", str(mk)])
    want = sorted(str(out / p.name) for p in out.glob("*.c") if p.name != "runner.c")
    check(r.returncode == 0 and sorted(r.stdout.decode().split()) == want,
          f"{label}: hostile.mk lists the sources")
    try:
        strict_json(report.read_text())
        check(True, f"{label}: --memory-report is strict JSON")
    except (ValueError, OSError) as e:
        check(False, f"{label}: --memory-report is strict JSON ({e})")


def json_tools(pare, tmp: Path, model_bytes: bytes, label, node_names):
    model = tmp / f"{label}_j.onnx"
    model.write_bytes(model_bytes)
    r = run([pare, "inspect", str(model), "--json"])
    try:
        doc = strict_json(r.stdout.decode("utf-8"))
        names = [o["name"] for o in doc["ops"]]  # fused ops join their nodes' names
        check(r.returncode == 0 and all(any(n in o for o in names) for n in node_names),
              f"{label}: inspect --json is strict UTF-8 JSON with the exact node names")
    except (ValueError, UnicodeDecodeError, KeyError) as e:
        check(False, f"{label}: inspect --json is strict JSON ({e}; {r.stderr[-300:]!r})")
    svg = tmp / f"{label}.svg"
    r = run([pare, "profile", str(model), "--json", "--svg", str(svg), "--sram", "64K"])
    try:
        strict_json(r.stdout.decode("utf-8"))
        check(r.returncode == 0, f"{label}: profile --json is strict JSON")
    except (ValueError, UnicodeDecodeError) as e:
        check(False, f"{label}: profile --json is strict JSON ({e}; {r.stderr[-300:]!r})")
    try:
        xml.dom.minidom.parse(str(svg))
        check(True, f"{label}: profile --svg is well-formed XML")
    except Exception as e:  # noqa: BLE001 - any parse error fails the check
        check(False, f"{label}: profile --svg is well-formed XML ({e})")


def hostile_cuda(pare, tmp: Path, model_bytes: bytes, label):
    model = tmp / f"{label}_cu.onnx"
    model.write_bytes(model_bytes)
    out = tmp / f"{label}_cuda"
    r = compile_model(pare, model, out, "--name", "hostile", "--target", "cuda", "--emit-runner")
    if not check(r.returncode == 0, f"{label}: pare compile --target cuda exits 0 {r.stderr[-300:]!r}"):
        return
    check_emitted_text(out, label + " cuda")
    if not NVCC.exists():
        print(f"skip {label}: nvcc not found")
        return
    for src in ("hostile.cu", "runner.cu"):
        r = run([str(NVCC), "-std=c++17", "-arch=sm_80", "-Werror", "all-warnings", "-I", str(out),
                 "-c", str(out / src), "-o", str(tmp / (src + ".o"))])
        check(r.returncode == 0, f"{label}: nvcc compiles {src} {r.stderr.decode('latin-1')[-600:]}")


def one_line_diagnostic(pare, tmp: Path):
    bad = "bad\nnode\x1b[31m */ " + "z" * LONG
    n = helper.make_node("NoSuchOp", ["x"], ["y"], name=bad)
    g = helper.make_graph([n], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    p = tmp / "bad\nfile.onnx"
    p.write_bytes(m.SerializeToString())
    out = tmp / "bad_out"
    r = run([pare, "compile", str(p), "-o", str(out)])
    err = r.stderr.decode("utf-8", "replace")
    check(r.returncode == 1 and err.count("\n") == 1 and "\x1b" not in err and len(err) < 4000
          and "bad\\nnode" in err,
          f"hostile node in a diagnostic: one escaped line, exit 1 ({err[:200]!r})")
    check(not out.exists(), "failed compile leaves no output directory")


def int_division(pare, tmp: Path):
    """Div of INT_MIN by -1 and by 0 and wrapping Add / Mul: no UB."""
    nodes = [helper.make_node("Div", ["a", "b"], ["q"], name="div"),
             helper.make_node("Add", ["a", "b"], ["s"], name="add"),
             helper.make_node("Mul", ["a", "b"], ["p"], name="mul"),
             helper.make_node("Div", ["c", "d"], ["q32"], name="div32")]
    g = helper.make_graph(nodes, "g", [
        helper.make_tensor_value_info("a", TensorProto.INT64, [5]),
        helper.make_tensor_value_info("b", TensorProto.INT64, [5]),
        helper.make_tensor_value_info("c", TensorProto.INT32, [3]),
        helper.make_tensor_value_info("d", TensorProto.INT32, [3])],
        [helper.make_tensor_value_info(n, TensorProto.INT64, [5]) for n in ("q", "s", "p")] +
        [helper.make_tensor_value_info("q32", TensorProto.INT32, [3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    model = tmp / "intdiv.onnx"
    model.write_bytes(m.SerializeToString())
    out = tmp / "intdiv_out"
    r = compile_model(pare, model, out, "--emit-runner")
    if not check(r.returncode == 0, f"int Div: compiles {r.stderr[-300:]!r}"):
        return
    exe = tmp / "intdiv_runner"
    r = run([*GCC, "-I", str(out), *map(str, sorted(out.glob("*.c"))), "-lm", "-o", str(exe)])
    if not check(r.returncode == 0, f"int Div: builds {r.stderr.decode()[-300:]}"):
        return
    lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    a = np.array([lo, 7, -7, 5, hi], np.int64)
    b = np.array([-1, 0, 2, -2, 2], np.int64)
    c = np.array([np.iinfo(np.int32).min, 9, -9], np.int32)
    d = np.array([-1, 0, 4], np.int32)
    files = []
    for n, x in zip("abcd", (a, b, c, d)):
        files.append(str(tmp / f"intdiv_{n}.npy"))
        np.save(files[-1], x)
    res = tmp / "intdiv_res"
    res.mkdir()
    r = run([str(exe), "-o", str(res), *files])
    check(r.returncode == 0 and b"runtime error" not in r.stderr,
          f"int Div: runs clean under UBSan {r.stderr.decode()[-400:]}")
    want = {"q": [lo, 0, -3, -2, hi // 2], "s": [lo - 1 + 2**64, 7, -5, 3, lo + 1],
            "p": [lo, 0, -14, -10, -2], "q32": [np.iinfo(np.int32).min, 0, -2]}
    for n, w in want.items():
        p = res / f"{n}.npy"
        got = np.load(p).tolist() if p.exists() else None
        w = [((v + 2**63) % 2**64) - 2**63 for v in w]
        check(got == w, f"int Div: {n} = {w} (wrap-around, x / 0 = 0): got {got}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pare", default=str(ROOT / "build/tools/pare/pare"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    pare = str(Path(args.pare).resolve())
    import onnxruntime as ort

    tmp = Path(tempfile.mkdtemp(prefix="pare-hostile-"))
    try:
        m = hostile_model()
        data = m.SerializeToString()
        sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        rng = np.random.default_rng(1)
        inputs = [rng.standard_normal((1, 8)).astype(np.float32) for _ in sess.get_inputs()]
        outputs = sess.run(None, {i.name: x for i, x in zip(sess.get_inputs(), inputs)})
        names = [o.name for o in m.graph.output]
        hostile_c(pare, tmp, data, "hostile", {"inputs": inputs, "outputs": outputs, "names": names})
        # Same model, same math, with non-UTF-8 bytes in node and output names.
        bad = non_utf8(data)
        bad_names = [n.encode() if "PLACEHOLDER" not in n else
                     non_utf8(n.encode()) for n in names]
        hostile_c(pare, tmp, bad, "nonutf8", {"inputs": inputs, "outputs": outputs, "names": bad_names})
        # Nodes that stay ops of their own (Relu nodes fuse into their producer).
        node_names = [n.name for n in m.graph.node[:5] if n.op_type != "Relu"]
        json_tools(pare, tmp, data, "hostile", node_names)
        json_tools(pare, tmp, bad, "nonutf8", [])
        # The model file's own name reaches banners: no --name, a hostile file name.
        fname = tmp / "m *\\ PWNED\n#error x??.onnx"
        fname.write_bytes(data)
        out = tmp / "fname_out"
        r = compile_model(pare, fname, out)
        check(r.returncode == 0 and (out / "m_PWNED_error_x.h").exists(),
              f"hostile file name: compiles, prefix from the sanitised stem {r.stderr[-300:]!r}")
        if r.returncode == 0:
            check_emitted_text(out, "hostile file name")
            check_preprocessed(out, "hostile file name", ["m_PWNED_error_x.c"])
        hostile_cuda(pare, tmp, data, "hostile")
        one_line_diagnostic(pare, tmp)
        int_division(pare, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
