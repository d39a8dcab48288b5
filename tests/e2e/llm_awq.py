#!/usr/bin/env python3
"""--quantize w4a16 end to end on the host C target (issue 18).

Compiles a tiny Llama export (input_ids [1, S] -> logits) three times with
--max-context: in float, with --quantize w4a16 --awq off (round to nearest)
and with --quantize w4a16 (AWQ, calibrated on token ids saved as .npy), each
with --group-size 16, and builds each decoder with
tests/e2e/llm_decoder_harness.c (-std=c99 -Wall -Wextra -Werror -pedantic).
The AWQ compile's -v output must list the scale groups of each layer of
the exported graph (input norm -> q/k/v, attention -> o with the 2 query
heads of each KV head tied, post-attention norm -> gate/up, gated product ->
down). On a token sequence other than the calibration's, the logits after every
prefix are compared with the float decoder's, and:

  * both quantized decoders call pare_matmul_nbits_f32 (their linears are
    4-bit) and their logits stay near the float ones (rms error < half the
    float logits' rms: a tiny random model is sensitive to 4-bit weights,
    about 0.35 here, but unrelated logits would give 1.4);
  * AWQ's logits error (mean squared, over every position) is below round to
    nearest's.

Prints a table; exits 1 on any failure.
"""

import argparse
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import pare_harness as ph  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pare", help="pare binary (default build/tools/pare/pare)")
    ap.add_argument("--onnx", default=str(ROOT / "build/llm/tiny.onnx"), help="full-sequence decoder export")
    ap.add_argument("--max-context", type=int, default=64)
    ap.add_argument("--keep", help="build here instead of a temporary directory")
    a = ap.parse_args()
    pare = ph.find_pare(a.pare)
    model = Path(a.onnx)
    if not model.exists():
        ph.die(f"{model} does not exist (examples/llm/export_onnx.py --tiny writes it)", 1)
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="pare-llm-awq-"))
    work.mkdir(parents=True, exist_ok=True)

    rng = np.random.default_rng(18)
    calib = work / "calib.npy"
    rows = []
    builds = {}
    vocab = None
    for kind, extra in (("float", []),
                        ("rtn", ["--quantize", "w4a16", "--group-size", "16", "--awq", "off", "-v"]),
                        ("awq", ["--quantize", "w4a16", "--group-size", "16", "--calibration", str(calib),
                                 "--calibration-windows", "8", "--calibration-length", "32", "-v"])):
        out = work / kind
        if vocab is None and kind != "float":
            ph.die("internal: the float decoder comes first", 2)
        if kind == "awq":
            np.save(calib, rng.integers(0, vocab, size=8 * 32).astype(np.int64))
        p = ph.pare_compile(pare, model, out, name="dec", emit_runner=True,
                            extra=["--max-context", str(a.max_context), *extra])
        rows.append((f"pare compile ({kind})", p.returncode == 0, p.output[-3000:]))
        if p.returncode != 0:
            return ph.report_checks(rows)
        header = (out / "dec.h").read_text()
        vocab = int(re.search(r"DEC_VOCAB (\d+)", header).group(1))
        source = (out / "dec.c").read_text()
        if kind != "float":
            calls = source.count("pare_matmul_nbits_f32(")
            rows.append((f"{kind}: linears are 4-bit (pare_matmul_nbits_f32 calls: {calls})", calls > 0, ""))
        builds[kind] = out
        if kind == "awq":
            # The scale groups found on the export's graph: per layer, the
            # input norm -> q/k/v, the attention -> o (GQA: tied), the post
            # norm -> gate/up, the gated product -> down.
            groups = re.findall(r"scale group: (rms_norm|attention|gated product) '[^']*layers\.(\d+)/"
                                r"[^']*' -> ((?:'[^']*' ?)+)", p.output)
            got = [(kind_, int(layer), tuple(re.findall(r"(\w+_proj)/MatMul", names)))
                   for kind_, layer, names in groups]
            want = [g for layer in range(2) for g in (
                ("rms_norm", layer, ("q_proj", "k_proj", "v_proj")), ("attention", layer, ("o_proj",)),
                ("rms_norm", layer, ("gate_proj", "up_proj")), ("gated product", layer, ("down_proj",)))]
            tied = p.output.count("tied over the 2 query heads of each KV head")
            rows.append((f"awq: scale groups from the graph ({len(got)}: norm -> q/k/v, attention -> o, "
                         f"norm -> gate/up, gated product -> down per layer; GQA tied in {tied})",
                         got == want and tied == 2, p.output[-3000:]))
        (out / "llm_decoder_harness.c").write_text((ROOT / "tests/e2e/llm_decoder_harness.c").read_text())
        model_c = [str(out / f) for f in ("dec.c", "pare_llm.c", "pare_llm_w4.c", "pare_k_elementwise.c")
                   if (out / f).exists()]
        b = ph.run([ph.cc(), *ph.CHECK_CFLAGS, "-O2", str(out / "llm_decoder_harness.c"), *model_c, "-lm",
                    "-o", str(out / "harness")])
        rows.append((f"build {kind} (-Werror -pedantic)", b.returncode == 0, b.output[-2000:]))
        if b.returncode != 0:
            return ph.report_checks(rows)

    ids = np.random.default_rng(1818).integers(0, vocab, size=40)
    logits = {}
    for kind, out in builds.items():
        r = ph.run([str(out / "harness"), str(out / "dec_weights.bin"), str(out / "logits.bin"), "20",
                    *[str(int(i)) for i in ids]], timeout=600)
        rows.append((f"run {kind} ({len(ids)} tokens)", r.returncode == 0, r.output[-2000:]))
        if r.returncode != 0:
            return ph.report_checks(rows)
        got = np.fromfile(out / "logits.bin", dtype=np.float32)
        logits[kind] = got[:len(ids) * vocab].reshape(len(ids), vocab).astype(np.float64)

    ref = logits["float"]
    scale = float(np.abs(ref).max())
    mse = {k: float(np.mean((logits[k] - ref) ** 2)) for k in ("rtn", "awq")}
    rms = float(np.sqrt(np.mean(ref ** 2)))
    for k in ("rtn", "awq"):
        err = float(np.sqrt(mse[k]))
        rows.append((f"{k}: logits near float's (rms err {err:.3g} < 0.5 x rms {rms:.3g}; max err "
                     f"{float(np.abs(logits[k] - ref).max()):.3g} of max|float| {scale:.3g})",
                     0 < err < 0.5 * rms, ""))
    rows.append((f"AWQ's logits error below round to nearest's (mse {mse['awq']:.4g} < {mse['rtn']:.4g})",
                 mse["awq"] < mse["rtn"], ""))
    # Batched decoding runs the same 4-bit kernel on every row.
    rows.append(ph.batched_decoder_check(pare, model, work / "rtn-batch", extra=[
        "--max-context", str(a.max_context), "--quantize", "w4a16", "--group-size", "16", "--awq", "off"]))
    return ph.report_checks(rows)


if __name__ == "__main__":
    sys.exit(main())
