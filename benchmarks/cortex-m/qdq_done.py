#!/usr/bin/env python3
"""Issue 15's "done" figures for a MobileNetV2-1.0 at 224x224 quantized by onnxruntime.

    .venv/bin/python benchmarks/cortex-m/qdq_done.py [--work DIR] [--pare BIN] [--no-qemu] [--json]

Steps (everything is written under --work, default build/qdq-done; nothing is committed):

1. scripts/export_models.py's mobilenet_v2_100 (torchvision mobilenet_v2(width_mult=1.0), 1000
   classes, seeded random weights, BatchNorm statistics measured on random data), input 1x3x224x224.
2. Calibration: CALIB pictures of scripts/natural_images.py (seed 0: dead-leaves pictures with
   the spectrum, edges and flat regions of photographs, no photo set being available), 224x224,
   normalised as torchvision expects; also written as calib/input_NNN.npy for pare.
3. onnxruntime's quantize_static, as a user would run it: quant_pre_process (BatchNorm folded),
   then QDQ, per-channel int8 weights, int8 activations (QuantType.QInt8 both), MinMax,
   reduce_range off -> mobilenet_v2_100_qdq_pc.onnx.
4. The same float network quantized by pare: `--quantize int8 --calibration calib/` (the same
   pictures; pare's defaults: minmax, tflite rounding).
5. Figures, all for --target cortex-m7:
   * `pare profile --json`: per-layer peak (pare's planner) of the imported model against the int8
     liveness bound, i.e. the lower bound of pare's own int8 model (1,372 KiB in
     docs/benchmarks.md); target <= 1.05x;
   * its patched peak and the extra MACs of the patches (`peak_sram.patched`); target <= 200 KiB
     at <= 10% extra MACs;
   * `pare compile --compile-to plan -o -`: float ops and mid-graph transposes left
     (scripts/pare_harness.py plan_census: every op with a float result, and every transpose,
     except on the chains of quantize / dequantize / transpose / reshape at the inputs and
     outputs); target: none;
   * Cortex-M7 instructions of one inference under QEMU (scripts/run_cortex_m.py --cpu m7 --board
     mps2-big: 4 MiB flash, 4 MiB SRAM, exact -icount count) of the imported model and of pare's own,
     on the same picture; target: imported <= 1.1x pare's. A build that does not link (flash or
     SRAM overflow) is reported as such; no host-side substitute is measured. When the 1000-class
     builds overflow the 4 MiB flash, the same network with a 100-class head (FITTING_MODEL:
     1.15 MB less weights, 0.4% of the MACs) is exported, quantized both ways and measured instead.
   * Both builds' outputs on that picture are compared (top class and the float logits' largest
     difference) with onnxruntime running the imported model and the float model, for the record.

Prints the table (or JSON with --json); exit status 0 when every step ran, whatever the figures
(it reports, it does not judge), 1 when a step failed to run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import natural_images as NI  # noqa: E402
import pare_harness as H  # noqa: E402

MODEL = "mobilenet_v2_100"
# The same network with a 100-class head (1.15 MB less int8 weights): measured on QEMU when the
# 1000-class builds do not fit mps2-big's 4 MiB flash. The classifier is 0.4% of the MACs.
FITTING_MODEL = "mobilenet_v2_100_c100"
SIZE = 224
CALIB = 64
INPUT = "input"
LIVENESS_TARGET, PATCHED_KIB_TARGET, EXTRA_MACS_TARGET, INSTR_TARGET = 1.05, 200.0, 10.0, 1.1


def log(msg: str) -> None:
    print(f"qdq_done: {msg}", file=sys.stderr, flush=True)


def run(cmd, timeout: float = 1800) -> H.Proc:
    return H.run([str(c) for c in cmd], timeout=timeout)


def must(p: H.Proc, what: str) -> H.Proc:
    if p.returncode != 0:
        raise H.HarnessError(f"{what} failed ({p.describe_exit()}): {p.output.strip()[-1500:]}")
    return p


def make_models(work: Path, model: str = MODEL) -> Dict[str, Path]:
    """The float model, calibration pictures, onnxruntime's QDQ per-channel model (cached)."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    import export_models

    fpath = export_models.export_models(work / "models", [model])[model]
    calib_dir = work / "calib"
    pics = NI.imagenet_normalize(NI.natural_images(CALIB + 1, SIZE, SIZE, 0))
    if not (calib_dir / f"{INPUT}_{CALIB - 1:03d}.npy").exists():
        calib_dir.mkdir(parents=True, exist_ok=True)
        for i in range(CALIB):
            np.save(calib_dir / f"{INPUT}_{i:03d}.npy", pics[i:i + 1])
    sample = work / "sample" / f"{INPUT}.npy"
    sample.parent.mkdir(parents=True, exist_ok=True)
    np.save(sample, pics[CALIB:CALIB + 1])  # not a calibration picture
    qpath = work / f"{model}_qdq_pc.onnx"
    if not qpath.exists() or qpath.stat().st_mtime < fpath.stat().st_mtime:
        log("quantizing with onnxruntime's quantize_static (QDQ, per-channel int8)")
        pre = work / f"{model}_pre.onnx"
        quant_pre_process(str(fpath), str(pre), skip_symbolic_shape=True)

        class Reader:
            def __init__(self):
                self._it = iter({INPUT: pics[i:i + 1]} for i in range(CALIB))

            def get_next(self):
                return next(self._it, None)

        tmp = work / f".{qpath.name}.tmp"
        quantize_static(str(pre), str(tmp), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        reduce_range=False, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax)
        tmp.replace(qpath)
    return {"float": fpath, "qdq": qpath, "calib": calib_dir, "sample": sample}


def profile(pare: Path, model: Path, extra=()) -> dict:
    p = must(run([pare, "profile", model, "--target", "cortex-m7", "--json", *extra]), f"pare profile {model.name}")
    return json.loads(p.stdout)


def qemu(pare: Path, model: Path, flags, sample: Path, work: Path, name: str) -> dict:
    """scripts/run_cortex_m.py on mps2-big; {'error': ...} when it does not build, link or run."""
    out = work / f"qemu_{name}"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, REPO / "scripts" / "run_cortex_m.py", model, "--cpu", "m7", "--board", "mps2-big",
           "--pare", pare, "--name", name, "--input", sample, "--out", out / "outputs", "--work", out / "build",
           "--timeout", "1500", "--json", "-j", "1", *flags]
    t = time.monotonic()
    p = run(cmd, timeout=1800)
    if p.returncode != 0:
        tail = p.output.strip().splitlines()
        msg = next((ln for ln in tail if "overflow" in ln or "will not fit" in ln), tail[-1] if tail else "")
        return {"error": msg.strip()[:300]}
    d = json.loads(p.stdout[p.stdout.index("{"):])
    d["seconds"] = round(time.monotonic() - t, 1)
    d["logits"] = np.load(out / "outputs" / "logits.npy").reshape(-1).tolist()
    return d


def kib(b: float) -> str:
    return f"{b / 1024:,.1f} KiB"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=REPO / "build" / "qdq-done")
    ap.add_argument("--pare", help="pare binary (default: build/tools/pare/pare)")
    ap.add_argument("--no-qemu", action="store_true", help="skip the two QEMU runs (about 2 x 1-5 minutes)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    H.ensure_python_deps(("numpy", "onnx", "onnxruntime", "torch", "torchvision"))
    pare = H.find_pare(args.pare)
    args.work.mkdir(parents=True, exist_ok=True)
    res: Dict[str, object] = {}
    try:
        m = make_models(args.work)
        own_flags = ["--quantize", "int8", "--calibration", str(m["calib"])]
        log("pare profile (imported, own int8)")
        pq = profile(pare, m["qdq"])
        po = profile(pare, m["float"], own_flags)
        census = H.plan_census(must(run([pare, "compile", m["qdq"], "--target", "cortex-m7", "--compile-to", "plan",
                                         "-o", "-"]), "pare compile --compile-to plan").stdout)
        bound = po["peak_sram"]["lower_bound"]
        patched = pq["peak_sram"]["patched"]
        res = {
            "model": str(m["qdq"]),
            "pare_version_head": subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                                                capture_output=True, text=True).stdout.strip(),
            "per_layer_peak_bytes": pq["peak_sram"]["pare"],
            "imported_lower_bound_bytes": pq["peak_sram"]["lower_bound"],
            "own_int8_liveness_bound_bytes": bound,
            "peak_over_bound": pq["peak_sram"]["pare"] / bound,
            "patched_bytes": patched["arena_bytes"],
            "patch_grid": patched.get("grid"),
            "patch_split": patched.get("split"),
            "patched_extra_macs_percent": patched.get("extra_macs_percent", 0.0),
            "own_patched_bytes": po["peak_sram"]["patched"]["arena_bytes"],
            "own_patched_extra_macs_percent": po["peak_sram"]["patched"].get("extra_macs_percent", 0.0),
            "float_ops": census.float_ops,
            "mid_graph_transposes": census.mid_transposes,
            "flash_estimate_bytes": pq["flash_estimate_bytes"],
            "own_flash_estimate_bytes": po["flash_estimate_bytes"],
            "precision": pq.get("precision"),
        }
        if not args.no_qemu:
            log("QEMU: imported model (--target cortex-m7)")
            res["qemu_imported"] = qemu(pare, m["qdq"], [], m["sample"], args.work, "mnv2_qdq")
            log("QEMU: pare's own int8 (--quantize int8 --calibration)")
            res["qemu_own"] = qemu(pare, m["float"], own_flags, m["sample"], args.work, "mnv2_own")
            import onnxruntime  # noqa: F401  (the reference outputs)

            x = np.load(m["sample"])
            ref_q = H.ort_session(m["qdq"], exact_int8=True).run(None, {INPUT: x})[0].reshape(-1)
            ref_f = H.ort_session(m["float"]).run(None, {INPUT: x})[0].reshape(-1)
            res["ort_top1_qdq"], res["ort_top1_float"] = int(ref_q.argmax()), int(ref_f.argmax())
            for k in ("qemu_imported", "qemu_own"):
                d = res[k]
                if "logits" in d:
                    y = np.asarray(d.pop("logits"), np.float32)
                    d["top1"] = int(y.argmax())
                    d["max_abs_diff_vs_ort_qdq"] = float(np.abs(y - ref_q).max())
                    d["max_abs_diff_vs_ort_float"] = float(np.abs(y - ref_f).max())
            qi, qo = res["qemu_imported"], res["qemu_own"]
            if "instructions" in qi and "instructions" in qo:
                res["instructions_ratio"] = qi["instructions"] / qo["instructions"]
            elif "overflow" in qi.get("error", "") + qo.get("error", ""):
                log(f"the 1000-class builds do not fit; QEMU on {FITTING_MODEL} (same network, 100 classes)")
                f = make_models(args.work, FITTING_MODEL)
                own_c = ["--quantize", "int8", "--calibration", str(f["calib"])]
                res["qemu_c100_imported"] = qemu(pare, f["qdq"], [], f["sample"], args.work, "mnv2c100_qdq")
                res["qemu_c100_own"] = qemu(pare, f["float"], own_c, f["sample"], args.work, "mnv2c100_own")
                for k in ("qemu_c100_imported", "qemu_c100_own"):
                    res[k].pop("logits", None)
                ci, co = res["qemu_c100_imported"], res["qemu_c100_own"]
                if "instructions" in ci and "instructions" in co:
                    res["instructions_ratio_c100"] = ci["instructions"] / co["instructions"]
    except (H.HarnessError, OSError, ValueError, KeyError) as exc:
        print(f"qdq_done: error: {exc}", file=sys.stderr)
        if res:
            print(json.dumps(res, indent=2), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    print_table(res)
    return 0


def print_table(res: dict) -> None:
    bound = res["own_int8_liveness_bound_bytes"]
    fl = ", ".join(f"{k.removeprefix('pare.')} x{v}" for k, v in sorted(res["float_ops"].items())) or "none"

    def verdict(ok: Optional[bool]) -> str:
        return "-" if ok is None else ("met" if ok else "NOT met")

    rows = [
        ("per-layer peak (pare profile, imported)", kib(res["per_layer_peak_bytes"]), ""),
        ("int8 liveness bound (pare's own int8)", kib(bound), ""),
        ("peak / bound", f"{res['peak_over_bound']:.3f}x", f"<= {LIVENESS_TARGET}x: {verdict(res['peak_over_bound'] <= LIVENESS_TARGET)}"),
        ("patched peak (imported)", f"{kib(res['patched_bytes'])} (grid {res['patch_grid']}, to {res['patch_split']}, "
         f"+{res['patched_extra_macs_percent']:.1f}% MACs)",
         f"<= {PATCHED_KIB_TARGET:g} KiB at <= {EXTRA_MACS_TARGET:g}%: "
         + verdict(res["patch_grid"] is not None and res["patched_bytes"] <= PATCHED_KIB_TARGET * 1024
                   and res["patched_extra_macs_percent"] <= EXTRA_MACS_TARGET)),
        ("patched peak (pare's own int8)", f"{kib(res['own_patched_bytes'])} (+{res['own_patched_extra_macs_percent']:.1f}% MACs)", ""),
        ("float ops in --compile-to plan", f"{sum(res['float_ops'].values())} ({fl})", f"none: {verdict(not res['float_ops'])}"),
        ("mid-graph transposes", str(res["mid_graph_transposes"]), f"none: {verdict(res['mid_graph_transposes'] == 0)}"),
    ]
    if "qemu_imported" in res:
        for k, label in (("qemu_imported", "imported"), ("qemu_own", "pare's own int8")):
            d = res[k]
            if "error" in d:
                rows.append((f"Cortex-M7 instructions, {label}", "did not run: " + d["error"], ""))
            else:
                rows.append((f"Cortex-M7 instructions, {label}", f"{d['instructions']:,} (flash {d['flash_bytes']:,} B, "
                             f"top-1 {d['top1']}, QEMU {d['seconds']} s)", ""))
        r = res.get("instructions_ratio")
        rows.append(("instructions imported / own", f"{r:.3f}x" if r else "-",
                     f"<= {INSTR_TARGET}x: {verdict(r <= INSTR_TARGET) if r else 'not measured'}"))
        for k, label in (("qemu_c100_imported", "imported"), ("qemu_c100_own", "pare's own int8")):
            d = res.get(k)
            if d is None:
                continue
            text = ("did not run: " + d["error"]) if "error" in d else \
                f"{d['instructions']:,} (flash {d['flash_bytes']:,} B, QEMU {d['seconds']} s)"
            rows.append((f"100-class head: Cortex-M7 instructions, {label}", text, ""))
        r = res.get("instructions_ratio_c100")
        if "qemu_c100_imported" in res:
            rows.append(("100-class head: imported / own", f"{r:.3f}x" if r else "-",
                         f"<= {INSTR_TARGET}x: {verdict(r <= INSTR_TARGET) if r else 'not measured'}"))
        rows.append(("onnxruntime top-1 (QDQ model / float model)", f"{res['ort_top1_qdq']} / {res['ort_top1_float']}", ""))
    w = max(len(r[0]) for r in rows)
    print(f"onnxruntime quantize_static QDQ per-channel MobileNetV2-1.0 @224, pare --target cortex-m7 "
          f"(HEAD {res['pare_version_head']})")
    for a, b, c in rows:
        print(f"  {a.ljust(w)}  {b}" + (f"   [{c}]" if c else ""))


if __name__ == "__main__":
    raise SystemExit(main())
