#!/usr/bin/env python3
"""Recognition of exported decoders and their plain C path (issue 16 item 2).

Exports small random-weight Llama decoders with examples/llm/export_onnx.py
(transformers in build/llm-venv; the legacy torch.onnx exporter, opset 17),
or takes --onnx files, and for each model and sequence length S:

  * `pare compile --input-shape input_ids=1,S --compile-to graph`: every
    RMSNorm, rotary embedding and attention of the export is raised
    (2 * layers + 1 pare.rms_norm, 2 * layers pare.rotary, layers
    pare.attention) and no softmax, cos, sin, pow, expand or transpose stays;
  * the plain full-sequence C target (no --max-context: the three ops by the
    pare_llm.c row kernels) built with -std=c99 -Wall -Wextra -Werror
    -pedantic, logits against onnxruntime: |pare - ort| <= 1e-4 * max|ort|.

The default models differ in what the recognisers must read off the graph
rather than assume: GQA 4 / 2 heads, rope theta 1e4, eps 1e-5; MQA 4 / 1
heads, theta 5e5, eps 1e-6, untied head. Prints a table; exits 1 on any
failure.
"""

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import pare_harness as ph  # noqa: E402

MODELS = {
    "gqa": ["--layers", "2", "--heads", "4", "--kv-heads", "2", "--rope-theta", "10000",
            "--rms-eps", "1e-5", "--seed", "1"],
    "mqa": ["--layers", "2", "--heads", "4", "--kv-heads", "1", "--rope-theta", "500000",
            "--rms-eps", "1e-6", "--untied", "--seed", "2"],
}
GONE = ["softmax", "cos", "sin", "pow", "expand", "transpose"]


def export(name, flags, out_dir, venv_python):
    out = out_dir / f"{name}.onnx"
    cmd = [venv_python, str(ROOT / "examples/llm/export_onnx.py"), "--tiny", "--out", str(out)] + flags
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        ph.die(f"export of {name} failed: {p.stdout[-400:]}{p.stderr[-800:]}")
    return out


def layers_of(model):
    import onnx
    m = onnx.load(str(model), load_external_data=False)
    idx = {int(g) for n in m.graph.node for g in re.findall(r"layers\.(\d+)/", n.name)}
    return len(idx)


def check(pare, model, s, work):
    import onnxruntime as ort
    tag = f"{model.stem} S={s}"
    shape = ["--input-shape", f"input_ids=1,{s}"]
    gdir = work / f"{model.stem}_{s}_graph"
    p = ph.pare_compile(pare, model, gdir, extra=shape + ["--compile-to", "graph"])
    if p.returncode != 0:
        return tag, False, "graph: " + ph.first_line(p.output)
    text = next(gdir.glob("*.mlir")).read_text()
    count = lambda op: len(re.findall(r"= pare\." + op + r" ", text))
    n = layers_of(model)
    want = {"rms_norm": 2 * n + 1, "rotary": 2 * n, "attention": n}
    got = {op: count(op) for op in want}
    left = {op: count(op) for op in GONE if count(op)}
    if got != want or left:
        return tag, False, f"raised {got} (want {want}), left {left}"
    ids = np.random.default_rng(s).integers(0, 256, size=(1, s)).astype(np.int64)
    npy = work / f"{model.stem}_{s}_ids.npy"
    np.save(npy, ids)
    ref = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"]).run(
        None, {"input_ids": ids})[0]
    try:
        out = ph.compile_and_run(pare, model, work / f"{model.stem}_{s}_c", [[npy]], ["logits"],
                                 extra=shape)[0]["logits"]
    except ph.HarnessError as e:
        return tag, False, str(e)
    err = float(np.abs(out - ref).max()) / float(np.abs(ref).max())
    ok = err <= 1e-4
    return tag, ok, f"{got['rms_norm']} rms_norm, {got['rotary']} rotary, {got['attention']} attention; " \
                    f"C vs onnxruntime {err:.2e} of max|ort|"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pare", default=str(ROOT / "build/tools/pare/pare"))
    ap.add_argument("--onnx", nargs="*", help="full-sequence decoder exports (default: export the tiny models)")
    ap.add_argument("--venv-python", default=str(ROOT / "build/llm-venv/bin/python"),
                    help="python with transformers 4.44.2 (for the exports)")
    ap.add_argument("--lengths", default="16,5", help="sequence lengths S (default %(default)s)")
    a = ap.parse_args()
    pare = ph.find_pare(a.pare)
    with tempfile.TemporaryDirectory(prefix="pare-llm-recognize-") as tmp:
        work = Path(tmp)
        if a.onnx:
            models = [Path(m) for m in a.onnx]
        else:
            if not Path(a.venv_python).exists():
                ph.die(f"{a.venv_python} not found: run examples/llm/setup_llm.sh (or pass --onnx)")
            models = [export(n, f, work, a.venv_python) for n, f in MODELS.items()]
        failed = 0
        for model in models:
            for s in (int(x) for x in a.lengths.split(",")):
                tag, ok, msg = check(pare, model, s, work)
                failed += not ok
                print(f"{'ok  ' if ok else 'FAIL'} {tag:<16} {msg}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
