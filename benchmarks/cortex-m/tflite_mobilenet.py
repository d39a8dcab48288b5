#!/usr/bin/env python3
"""A full-int8 TFLite MobileNetV2 converted to ONNX by tf2onnx, compiled by pare for Cortex-M7.

    .venv/bin/python benchmarks/cortex-m/tflite_mobilenet.py [--work DIR] [--tf-venv DIR] [--json]

The tf2onnx figure of issue 15. Steps:

1. A virtual environment with TensorFlow (default build/tflite-venv, created on first use with
   `pip install tensorflow-cpu==2.15.1 tf2onnx==1.16.1 "numpy<2"`, about 600 MB; --tf-venv DIR
   uses an existing one). Nothing else in pare imports TensorFlow.
2. In that environment (this script again, with --make): a Keras MobileNetV2 (alpha 0.35,
   144x144x3, 1000 classes, weights=None, seed 0). Random weights come with no BatchNorm
   statistics, so each BatchNorm's moving mean and variance are set to those of its input on the
   representative images (one training-mode pass with momentum 0), as training would leave them;
   and the classifier is scaled so that its logits have a standard deviation of 3, as a trained
   one's spread (random logits sit near 0, where every int8 softmax output is -128). The TFLite
   converter quantizes it to full int8 (TFLITE_BUILTINS_INT8 only, int8 input and output tensors:
   what TFLite Micro runs) with 64 representative images; tf2onnx (`python -m tf2onnx.convert
   --tflite M.tflite --output M.onnx --opset 13`) turns the .tflite into ONNX, which keeps the
   int8 NHWC input (1x144x144x3, batch symbolic: pare gets --input-shape) and the int8 softmax
   output (1x1000). The TFLite interpreter's outputs on EVAL_IMAGES other images are the
   reference.
3. pare compiles the ONNX model for --target cortex-m7 with the default rounding of imported
   models (onnx) and with --int8-rounding tflite. For each: the census of `--compile-to plan`
   (scripts/pare_harness.py plan_census: ops left in float, mid-graph transposes, pads); the host
   build (--target generic-c, --emit-runner) on the EVAL_IMAGES inputs against the TFLite
   interpreter (inputs with bit-exact outputs, the largest difference in output steps, argmax
   agreement); the first input under QEMU (scripts/run_cortex_m.py --cpu m7 --board mps2-big)
   for the executed-instruction count, checked against the host build's output.

Images: scripts/natural_images.py (seeded synthetic pictures with photographs' statistics),
scaled to [-1, 1] as keras.applications.mobilenet_v2 expects. The models and outputs go under
--work (default build/tflite-mobilenet) and are never committed. A benchmark, not part of CI:
making the model takes a few minutes, each QEMU run about one.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PARE = REPO / "build" / "tools" / "pare" / "pare"
RUN_CORTEX_M = REPO / "scripts" / "run_cortex_m.py"
sys.path.insert(0, str(REPO / "scripts"))
import natural_images  # noqa: E402  (numpy only, as pare_harness: both load in the TensorFlow venv)
import pare_harness as ph  # noqa: E402
TF_PACKAGES = ["tensorflow-cpu==2.15.1", "tf2onnx==1.16.1", "numpy<2"]
SIZE, ALPHA, CLASSES, SEED = 144, 0.35, 1000, 0
CALIB_IMAGES, EVAL_IMAGES = 64, 8
LOGIT_STD = 3.0
NAME = "mobilenet_v2_035_144_tflite"
INPUT_SHAPE = ["--input-shape", f"serving_default_input_1:0=1,{SIZE},{SIZE},3"]
OUTPUT = "StatefulPartitionedCall:0"


def log(msg: str) -> None:
    print(f"tflite_mobilenet: {msg}", file=sys.stderr, flush=True)


def run(cmd, check=True, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise SystemExit(f"tflite_mobilenet: command failed ({p.returncode}): {' '.join(map(str, cmd))}\n"
                         f"{p.stdout[-3000:]}{p.stderr[-3000:]}")
    return p


# --------------------------------------------------------------------------- images

def images(n: int, seed: int) -> np.ndarray:
    """n synthetic natural-image-like pictures (scripts/natural_images.py), NHWC in [-1, 1] as
    keras.applications.mobilenet_v2 expects."""
    return natural_images.natural_images(n, SIZE, SIZE, seed).transpose(0, 2, 3, 1) * 2.0 - 1.0


# --------------------------------------------------------------------------- the TensorFlow side

def make(work: Path) -> None:
    """Runs in the TensorFlow venv: Keras model, TFLite full int8, tf2onnx, reference outputs."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    calib = images(CALIB_IMAGES, SEED)
    evals = images(EVAL_IMAGES, SEED + 1)
    model = tf.keras.applications.MobileNetV2(input_shape=(SIZE, SIZE, 3), alpha=ALPHA,
                                              classes=CLASSES, weights=None)
    # BatchNorm statistics of the representative images, as training would have left them.
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            layer.momentum = 0.0
    model(tf.constant(calib), training=True)
    # A trained classifier's logits spread over several units; random ones sit
    # near 0, where the int8 softmax output (scale 1/256) is -128 everywhere.
    # Scale the classifier so that the logits' standard deviation is LOGIT_STD.
    head = model.get_layer("predictions")
    features = tf.keras.Model(model.input, head.input)(tf.constant(calib), training=False).numpy()
    kernel, bias = head.get_weights()
    logits = features @ kernel + bias
    head.set_weights([kernel * (LOGIT_STD / logits.std()), bias])

    def representative():
        for i in range(CALIB_IMAGES):
            yield [calib[i:i + 1]]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    tfl = work / f"{NAME}.tflite"
    tfl.write_bytes(conv.convert())

    interp = tf.lite.Interpreter(model_path=str(tfl), num_threads=1)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    s_in, z_in = inp["quantization"]
    ref_dir = work / "reference"
    if ref_dir.exists():
        shutil.rmtree(ref_dir)
    ref_dir.mkdir(parents=True)
    float_ref = model(tf.constant(evals), training=False).numpy()
    agree = 0
    for i in range(EVAL_IMAGES):
        q = np.clip(np.round(evals[i:i + 1] / s_in) + z_in, -128, 127).astype(np.int8)
        interp.set_tensor(inp["index"], q)
        interp.invoke()
        y = interp.get_tensor(out["index"])
        np.save(ref_dir / f"input_{i:03d}.npy", q)
        np.save(ref_dir / f"output_{i:03d}.npy", y)
        agree += int(np.argmax(y) == np.argmax(float_ref[i]))

    onnx_path = work / f"{NAME}.onnx"
    p = subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--tflite", str(tfl), "--output",
                        str(onnx_path), "--opset", "13"], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"tf2onnx failed:\n{p.stdout[-3000:]}{p.stderr[-3000:]}")
    (work / "make.json").write_text(json.dumps({
        "calibration_images": CALIB_IMAGES, "eval_images": EVAL_IMAGES,
        "input_quantization": [float(s_in), int(z_in)],
        "output_quantization": [float(out["quantization"][0]), int(out["quantization"][1])],
        "tflite_vs_keras_float_argmax": f"{agree}/{EVAL_IMAGES}",
        "tensorflow": tf.__version__,
    }, indent=2))


# --------------------------------------------------------------------------- the pare side

def tf_python(venv: Path) -> Path:
    """The venv's python, after creating the venv and installing TF_PACKAGES when missing."""
    py = venv / "bin" / "python"
    ok = py.exists() and run([py, "-c", "import tensorflow, tf2onnx"], check=False).returncode == 0
    if not ok:
        log(f"creating {venv} ({' '.join(TF_PACKAGES)}; several minutes)")
        run(["python3", "-m", "venv", venv])
        run([py, "-m", "pip", "install", "-q", *TF_PACKAGES])
    return py


def census(model: Path, flags: List[str]):
    p = run([PARE, "compile", model, *INPUT_SHAPE, "--target", "cortex-m7", *flags,
             "--compile-to", "plan", "-o", "-"])
    return ph.plan_census(p.stdout)


def host_outputs(model: Path, inputs: List[Path], flags: List[str], work: Path) -> List[np.ndarray]:
    gen = work / "host" / "c"
    if gen.parent.exists():
        shutil.rmtree(gen.parent)
    res = ph.compile_and_run(PARE, model, gen, [[x] for x in inputs], [OUTPUT], name=NAME,
                             extra=[*INPUT_SHAPE, "--target", "generic-c", "-q", *flags])
    return [r[OUTPUT] for r in res]


def qemu(model: Path, x: Path, flags: List[str], work: Path) -> dict:
    if work.exists():
        shutil.rmtree(work)
    p = run([sys.executable, RUN_CORTEX_M, model, "--cpu", "m7", "--board", "mps2-big", "--input", x,
             "--name", NAME, "--work", work, "--out", work / "out", "--json", "--timeout", 900,
             *INPUT_SHAPE, *flags])
    s = json.loads(p.stdout)
    s["output"] = np.load(work / "out" / f"{ph.sanitize_output_name(OUTPUT)}.npy")
    return s


def agreement(outs: List[np.ndarray], refs: List[np.ndarray]) -> dict:
    diffs = [int(np.max(np.abs(o.astype(np.int32) - r.astype(np.int32)))) for o, r in zip(outs, refs)]
    return {"exact": sum(d == 0 for d in diffs), "n": len(refs), "max_steps": max(diffs),
            "argmax": sum(int(np.argmax(o) == np.argmax(r)) for o, r in zip(outs, refs))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--work", type=Path, default=REPO / "build" / "tflite-mobilenet",
                    help="models and runs (default build/tflite-mobilenet)")
    ap.add_argument("--tf-venv", type=Path, default=REPO / "build" / "tflite-venv",
                    help="venv with TensorFlow and tf2onnx (default build/tflite-venv; made when missing)")
    ap.add_argument("--remake", action="store_true", help="make the models again")
    ap.add_argument("--no-qemu", dest="qemu", action="store_false", help="skip the QEMU runs")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--make", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.make:
        make(work)
        return 0
    model = work / f"{NAME}.onnx"
    if args.remake or not (work / "make.json").exists():
        t0 = time.time()
        run([tf_python(args.tf_venv.resolve()), Path(__file__).resolve(), "--make", "--work", work])
        log(f"made {model.name} ({time.time() - t0:.0f} s)")
    made = json.loads((work / "make.json").read_text())
    inputs = sorted((work / "reference").glob("input_*.npy"))
    refs = [np.load(str(x).replace("input_", "output_")) for x in inputs]
    rows = []
    for label, flags in (("onnx (default)", []), ("tflite", ["--int8-rounding", "tflite"])):
        c = census(model, flags)
        host = host_outputs(model, inputs, flags, work / f"run_{flags[-1] if flags else 'onnx'}")
        row = {"rounding": label, "float_ops": sum(c.float_ops.values()), "float_op_kinds": c.float_ops,
               "mid_transposes": c.mid_transposes, "pads": c.pads, "vs_tflite": agreement(host, refs)}
        if args.qemu:
            q = qemu(model, inputs[0], flags, work / f"qemu_{flags[-1] if flags else 'onnx'}")
            row["instructions_m7"] = q["instructions"]
            row["arena_bytes"] = q["arena_bytes"]
            row["qemu_equals_host"] = bool(np.array_equal(q["output"].reshape(host[0].shape), host[0]))
            log(f"{label}: {q['instructions']:,} instructions")
        rows.append(row)
    if args.json:
        print(json.dumps({"model": made, "rows": rows}, indent=2))
        return 0
    print(f"{NAME}: Keras MobileNetV2 alpha {ALPHA} {SIZE}x{SIZE} {CLASSES} classes, TFLite full int8, "
          f"tf2onnx 1.16.1 opset 13; pare --target cortex-m7")
    print("| rounding | float ops | mid-graph transposes | pads | M7 instructions | arena | "
          f"vs TFLite interpreter ({len(refs)} inputs): exact / max steps / argmax | QEMU = host |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        a = r["vs_tflite"]
        ins = f"{r['instructions_m7'] / 1e6:.2f} M" if "instructions_m7" in r else "-"
        print(f"| {r['rounding']} | {r['float_ops']} | {r['mid_transposes']} | {r['pads']} | {ins} | "
              f"{r.get('arena_bytes', '-'):,} | {a['exact']}/{a['n']} / {a['max_steps']} / "
              f"{a['argmax']}/{a['n']} | {r.get('qemu_equals_host', '-')} |")
    print(f"TFLite int8 vs Keras float argmax on the same inputs: {made['tflite_vs_keras_float_argmax']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
