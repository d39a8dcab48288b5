#!/usr/bin/env python3
"""--quantize w8a8 (SmoothQuant) end to end on the host C target (issue 19).

A tiny Llama export (input_ids [1, S] -> logits) is given outlier channels
as LLMs have them, without changing its function: the weights of every RMS
norm before q/k/v and gate/up are multiplied by OUTLIER on two channels and
the rows of the linears they feed divided by it (onnxruntime's logits on the
edited model are checked against the original's). It is compiled with
--max-context and --quantize w8a8 in four forms: activations per token smoothed (alpha
0.5), per tensor unsmoothed (--smooth-alpha off) and smoothed (0.5, and the
per-group search, auto), calibrated on token ids saved as .npy. For each:

  * the quantize phase's IR (--compile-to quantize) is run by a NumPy model:
    the float ops in float64 (tests/e2e/llm_decoder_c.py's reference), every
    pare.matmul_w8a8 by the op's W8A8 arithmetic written out here in float32
    (per-token scale max|x| / 127 or the calibrated one, round half away
    from zero, clamp to +-127, exact integer sums, (acc * sx) * sw);
  * the C decoder (-std=c99 -Wall -Wextra -Werror -pedantic, ASan / UBSan)
    runs tests/e2e/llm_decoder_harness.c: logits after every prefix from an
    empty cache, prefill + decode steps, the API's error codes; every linear
    but the LM head must be a pare_matmul_w8a8_f32 call;

and its logits must match the NumPy model's (<= 2e-3 of max|logits|: the
float64 ops upstream of a matmul can move an activation across a rounding
boundary of the float32 C code, one code step), prefill + decode must match
full recomputation (<= 1e-6), and against onnxruntime's float model: the
smoothed per-token decoder within 10% of max|ort| (a
random model of hidden 64 amplifies int8 noise: about 0.06 here), and per tensor, smoothing
closer to float than none. The CUDA target takes the same flags: its decoder
has one pare_llm_linear_w8a8_f32 launch per int8 linear (nvcc and the GPU run
are tests/e2e/cuda_decoder_compile.sh's and tests/cuda/run_w8a8_check.sh's).
Last, the bad flags: --smooth-alpha outside [0, 1] or not a number,
--act-quant not a mode, each refused with an error naming it.

Prints one line per check and the figures; exits 1 on any failure.
"""

import argparse
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import pare_harness as ph  # noqa: E402
from llm_decoder_c import mlir_reference  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]
# (name, --act-quant, --smooth-alpha)
FORMS = [("token-0.5", "per-token", "0.5"), ("tensor-off", "per-tensor", "off"),
         ("tensor-0.5", "per-tensor", "0.5"), ("tensor-auto", "per-tensor", "auto")]
TYPES = {"f32": np.float32, "i8": np.int8, "i64": np.int64}
OUTLIER, CHANNELS = 40.0, (3, 17)


def add_outliers(src, dst):
    """`src` with channels CHANNELS of every norm output feeding linears
    OUTLIER times larger and the linears' rows for them OUTLIER times smaller."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(str(src))
    inits = {i.name: i for i in m.graph.initializer}
    edited = 0
    for n in m.graph.node:
        if not (n.op_type == "Mul" and n.name.endswith("layernorm/Mul_1") and "layers." in n.name):
            continue
        w = next(i for i in n.input if i in inits)
        users = [u for u in m.graph.node if u.op_type == "MatMul" and u.input[0] == n.output[0]]
        for name, fn in [(w, lambda a: a.__setitem__(list(CHANNELS), a[list(CHANNELS)] * OUTLIER))] + \
                [(u.input[1], lambda a: a.__setitem__(list(CHANNELS), a[list(CHANNELS)] / OUTLIER)) for u in users]:
            a = numpy_helper.to_array(inits[name]).copy()
            fn(a)
            inits[name].CopyFrom(numpy_helper.from_array(a, name))
        edited += 1
    onnx.save(m, str(dst))
    return edited


def unhex(text):
    """The IR with every hex constant (dense<"0x..."> : tensor<AxBxT>)
    written as a list, as the reference reads constants."""
    def repl(m):
        dims, t = m.group(2).split("x")[:-1], m.group(2).split("x")[-1]
        shape = [int(d) for d in dims]
        raw = np.frombuffer(bytes.fromhex(m.group(1)), dtype=TYPES[t])
        v = raw if raw.size == int(np.prod(shape)) else np.full(shape, raw[0])
        return "dense<" + repr(v.reshape(shape).tolist()) + "> : tensor<" + m.group(2) + ">"
    return re.sub(r'dense<"0x([0-9A-Fa-f]*)"> : tensor<([0-9x]*x(?:f32|i8|i64))>', repl, text)


def w8a8(xs, attrs):
    """pare.matmul_w8a8 as PareOps.td defines it, in float32."""
    x, w, sw = np.asarray(xs[0], np.float32), np.asarray(xs[1], np.int64), np.asarray(xs[2], np.float32)
    per_tensor = '"per-tensor"' in attrs
    if per_tensor:
        sx = np.full((x.shape[0], 1), np.float32(re.search(r"act_scale = ([-+0-9.eE]+)", attrs).group(1)))
    else:
        sx = (np.abs(x).max(axis=1, keepdims=True) / np.float32(127.0)).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (x / np.where(sx > 0, sx, np.float32(1))).astype(np.float32)
    q = np.clip(np.sign(r) * np.floor(np.abs(r) + np.float32(0.5)), -127, 127)
    q = np.where(sx > 0, q, 0).astype(np.int64)
    acc = (q @ w.T).astype(np.float32)
    return ((acc * sx).astype(np.float32) * sw[None, :]).astype(np.float32).astype(np.float64)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pare", help="pare binary (default build/tools/pare/pare)")
    ap.add_argument("--onnx", default=str(ROOT / "build/llm/tiny.onnx"))
    ap.add_argument("--keep", help="build here instead of a temporary directory")
    a = ap.parse_args()
    pare = ph.find_pare(a.pare)
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="pare-w8a8-"))
    work.mkdir(parents=True, exist_ok=True)
    model = work / "outliers.onnx"
    edited = add_outliers(Path(a.onnx), model)
    ctx = 32
    rng = np.random.default_rng(19)
    probe = rng.integers(0, 100, size=16)
    s0, s1 = ph.ort_session(Path(a.onnx)), ph.ort_session(model)
    y0, y1 = (s.run(None, {s.get_inputs()[0].name: probe[None, :].astype(np.int64)})[0] for s in (s0, s1))
    same = float(np.abs(y0 - y1).max()) / float(np.abs(y0).max())
    rows = [(f"outlier channels {CHANNELS} x {OUTLIER:g} at {edited} norms, function kept: onnxruntime "
             f"{same:.2e} of max|ort| (<= 1e-5)", edited == 4 and same <= 1e-5, "")]
    calib = work / "calib.npy"
    vocab = y0.shape[-1]
    np.save(calib, rng.integers(0, vocab, size=256).astype(np.int64))
    calib_flags = ["--calibration", str(calib), "--calibration-windows", "8", "--calibration-length", "32"]
    figures, ort_err = [], {}
    sess = ph.ort_session(model)
    ids = None
    for i, (name, act, alpha) in enumerate(FORMS):
        flags = ["--max-context", str(ctx), "--quantize", "w8a8", "--act-quant", act, "--smooth-alpha", alpha,
                 *calib_flags]
        d = work / name
        p = ph.pare_compile(pare, model, d / "ir", name="dec", emit_runner=False,
                            extra=[*flags, "--compile-to", "quantize", "-v"])
        q = ph.pare_compile(pare, model, d / "c", name="dec", emit_runner=True, extra=flags)
        if p.returncode != 0 or q.returncode != 0:
            rows.append((f"{name}: compile", False, (p.output + q.output)[-2000:]))
            continue
        groups = len(re.findall(r"^pare: w8a8: smoothing group: ", p.output, re.M))
        src = (d / "c" / "dec.c").read_text()
        calls = len(re.findall(r"pare_matmul_w8a8_f32\(", src))
        fp32 = len(re.findall(r"pare_matmul_nt_f32\(", src))
        rows.append((f"{name}: {calls} pare_matmul_w8a8_f32 calls (want 14), {fp32} float (the LM head), "
                     f"{groups} smoothing groups (want {0 if alpha == 'off' else 8})",
                     calls == 14 and fp32 == 1 and groups == (0 if alpha == "off" else 8), p.output[-2000:]))
        if ids is None:
            ids = rng.integers(0, vocab, size=24)
        (d / "c" / "llm_decoder_harness.c").write_text((ROOT / "tests/e2e/llm_decoder_harness.c").read_text())
        sources = [str(d / "c" / f) for f in ("dec.c", "pare_llm.c", "pare_llm_w8.c", "pare_k_elementwise.c")
                   if (d / "c" / f).exists()]
        # Sanitizers on the first form; the others at -O2 (the same code, other constants).
        b = ph.run([ph.cc(), *ph.CHECK_CFLAGS, *(SANITIZE if i == 0 else []),
                    str(d / "c" / "llm_decoder_harness.c"), *sources, "-lm", "-o", str(d / "harness")])
        if b.returncode != 0:
            rows.append((f"{name}: build the harness (-Werror -pedantic)", False, b.output[-2000:]))
            continue
        L, K = len(ids), 12
        r = ph.run([str(d / "harness"), str(d / "c" / "dec_weights.bin"), str(d / "logits.bin"), str(K),
                    *[str(int(t)) for t in ids]], timeout=300)
        rows.append((f"{name}: decoder API and state ({L} tokens, prefill {K}"
                     f"{', asan, ubsan' if i == 0 else ''})", r.returncode == 0, r.output[-3000:]))
        if not (d / "logits.bin").exists():
            continue
        got = np.fromfile(d / "logits.bin", dtype=np.float32)
        full, inc = got[:L * vocab].reshape(L, vocab), got[L * vocab:].reshape(L - K + 1, vocab)
        ir = d / "ir_unhex.mlir"
        ir.write_text(unhex((d / "ir" / "dec.mlir").read_text()))
        ref = mlir_reference(ir, ids, ops={"matmul_w8a8": w8a8})
        scale = float(np.abs(ref).max())
        err = float(np.abs(full - ref).max())
        rows.append((f"{name}: C vs the NumPy W8A8 model: max err {err:.3g} (<= 2e-3 x {scale:.3g})",
                     err <= 2e-3 * scale, ""))
        err2 = float(np.abs(inc - full[K - 1:]).max())
        rows.append((f"{name}: prefill + decode vs full recomputation: {err2:.3g} (<= 1e-6 x {scale:.3g})",
                     err2 <= 1e-6 * scale, ""))
        ort = sess.run(None, {sess.get_inputs()[0].name: ids[None, :].astype(np.int64)})[0][0]
        ort_err[name] = float(np.abs(full - ort).max()) / float(np.abs(ort).max())
        figures.append(f"{name}: logits vs float (onnxruntime) {ort_err[name]:.4f} of max|ort|")
    if "token-0.5" in ort_err:
        rows.append((f"smoothed per-token W8A8 vs float: {ort_err['token-0.5']:.4f} of max|ort| (<= 0.1)",
                     ort_err["token-0.5"] <= 0.1, ""))
    for s in ("0.5", "auto"):
        if "tensor-off" in ort_err and f"tensor-{s}" in ort_err:
            e, e0 = ort_err[f"tensor-{s}"], ort_err["tensor-off"]
            rows.append((f"per tensor: smoothing (alpha {s}) {e:.4f} of max|ort| below none {e0:.4f}", e < e0, ""))

    # Batched decoding quantizes each row by itself, as a single-sequence decode does.
    rows.append(ph.batched_decoder_check(pare, model, work / "token-batch", cflags=SANITIZE, extra=[
        "--max-context", str(ctx), "--quantize", "w8a8", "--act-quant", "per-token", "--smooth-alpha", "0.5",
        *calib_flags]))
    p = ph.pare_compile(pare, model, work / "cuda", name="dec", emit_runner=False,
                        extra=["--max-context", str(ctx), "--quantize", "w8a8", "--target", "cuda",
                               "--smooth-alpha", "off"])
    cu = work / "cuda" / "dec.cu"
    calls = cu.read_text().count("PARE_TRY(pare_llm_linear_w8a8_f32(") if cu.exists() else 0
    rows.append((f"--target cuda: {calls} pare_llm_linear_w8a8_f32 launches (want 14; exit {p.returncode})",
                 p.returncode == 0 and calls == 14, p.output[-2000:]))
    for what, extra, want in [
            ("--smooth-alpha 1.5", ["--smooth-alpha", "1.5"], "--smooth-alpha: must be a number in [0, 1]"),
            ("--smooth-alpha x", ["--smooth-alpha", "x"], "--smooth-alpha: must be a number in [0, 1]"),
            ("--act-quant per-row", ["--act-quant", "per-row"], "--act-quant: per-row not in"),
            ("no --calibration", [], "--quantize w8a8 needs --calibration")]:
        p = ph.pare_compile(pare, model, work / "bad", emit_runner=False,
                            extra=["--max-context", str(ctx), "--quantize", "w8a8", *extra])
        rows.append((f"refused: {what} (exit {p.returncode})", p.returncode != 0 and want in p.output,
                     p.output[-1000:]))
    return ph.report_checks(rows, figures)


if __name__ == "__main__":
    sys.exit(main())
