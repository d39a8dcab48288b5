#!/usr/bin/env python3
"""An openWakeWord-style log-mel front end through pare, compared with onnxruntime.

openWakeWord's melspectrogram.onnx (a torchlibrosa-style export) computes, on 16 kHz audio in the
int16 range: an STFT as two Conv1d (real and imaginary DFT rows times a Hann window, n_fft 512,
window 400, hop 160, no bias), the power real^2 + imag^2, a [257 x 32] mel MatMul, librosa's
power_to_db (10 * log10 of the power clipped to [1e-10, inf], then the floor max - 80 dB of
top_db=80: Clip whose min is ReduceMax(x) - 80, computed when the model runs). This script
exports that network with torch.onnx (torch 1.13, opset 11 and 13), checks that the floor is a
Clip with a run-time min (ReduceMax -> Sub -> Cast -> Clip) and that pare compiles it as
pare.clip_dynamic, builds the generated C (gcc -std=c99 -Wall -Wextra -Werror -pedantic) and
compares every output with onnxruntime on several signals: noise, a tone (most bins sit on the
floor), a near-silent signal with one click, and the streaming chunk length openWakeWord feeds
(1,760 samples: 8 frames) as well as one second (97 frames). Exits non-zero on any mismatch.

Run:  .venv/bin/python tests/e2e/melspec.py [--pare build/tools/pare/pare] [-v] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import pare_harness as H  # noqa: E402

SAMPLE_RATE = 16000
N_FFT, WIN, HOP, N_MELS = 512, 400, 160, 32
FMIN, FMAX = 60.0, 3800.0  # the speech-embedding front end's mel range
TOP_DB = 80.0


def mel_filterbank():
    """Triangular filters on the HTK mel scale, [n_fft/2 + 1, n_mels] (the layout of melW)."""
    import numpy as np

    def to_mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def to_hz(m):
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    freqs = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    edges = to_hz(np.linspace(to_mel(FMIN), to_mel(FMAX), N_MELS + 2))
    w = np.zeros((N_FFT // 2 + 1, N_MELS), np.float32)
    for m in range(N_MELS):
        lo, c, hi = edges[m], edges[m + 1], edges[m + 2]
        up = (freqs - lo) / (c - lo)
        down = (hi - freqs) / (hi - c)
        w[:, m] = np.maximum(0.0, np.minimum(up, down)) * 2.0 / (hi - lo)  # slaney area norm
    return w


def make_module():
    import numpy as np
    import torch

    class LogMel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            n = np.arange(WIN)
            window = np.zeros(N_FFT)
            off = (N_FFT - WIN) // 2
            window[off : off + WIN] = 0.5 - 0.5 * np.cos(2 * np.pi * n / WIN)  # periodic Hann, centred
            k = np.arange(N_FFT // 2 + 1)[:, None]
            t = np.arange(N_FFT)[None, :]
            real = np.cos(2 * np.pi * k * t / N_FFT) * window
            imag = -np.sin(2 * np.pi * k * t / N_FFT) * window
            self.conv_real = torch.nn.Conv1d(1, N_FFT // 2 + 1, N_FFT, stride=HOP, bias=False)
            self.conv_imag = torch.nn.Conv1d(1, N_FFT // 2 + 1, N_FFT, stride=HOP, bias=False)
            with torch.no_grad():
                self.conv_real.weight.copy_(torch.from_numpy(real[:, None, :].astype(np.float32)))
                self.conv_imag.weight.copy_(torch.from_numpy(imag[:, None, :].astype(np.float32)))
            self.melW = torch.nn.Parameter(torch.from_numpy(mel_filterbank()), requires_grad=False)

        def forward(self, x):
            x = x[:, None, :]
            power = self.conv_real(x) ** 2 + self.conv_imag(x) ** 2
            mel = torch.matmul(power.transpose(1, 2), self.melW)
            # librosa / torchlibrosa power_to_db with ref 1.0, amin 1e-10, top_db 80: the floor
            # is a tensor (no .item(), which would freeze it into a constant at export).
            db = 10.0 * torch.log10(torch.clamp(mel, min=1e-10, max=np.inf))
            db = torch.clamp(db, min=db.max() - TOP_DB)
            return db[:, None]

    return LogMel().eval()


def export(path: Path, samples: int, opset: int) -> None:
    import torch

    with torch.no_grad():
        torch.onnx.export(
            make_module(), torch.zeros(1, samples), str(path), opset_version=opset,
            input_names=["input"], output_names=["output"],
        )


def runtime_floor_clips(path: Path) -> int:
    """Clip nodes whose min is computed in the graph (not an initializer / Constant)."""
    import onnx

    g = onnx.load(str(path)).graph
    consts = {i.name for i in g.initializer} | {o for n in g.node if n.op_type == "Constant" for o in n.output}
    return sum(1 for n in g.node if n.op_type == "Clip" and len(n.input) > 1 and n.input[1] and n.input[1] not in consts)


def signals(samples: int):
    import numpy as np

    rng = np.random.default_rng(13)
    t = np.arange(samples) / SAMPLE_RATE
    click = np.full(samples, 1.0)
    click[samples // 3] = 20000.0
    return {
        "noise": rng.normal(0.0, 3000.0, samples),
        "tone": 10000.0 * np.sin(2 * np.pi * 440.0 * t) + rng.normal(0.0, 1.0, samples),
        "near_silence_click": click,
    }


def check(pare: Path, work: Path, samples: int, opset: int, rtol: float, atol: float, verbose: bool) -> List[str]:
    import numpy as np

    label = f"{samples} samples, opset {opset}"
    d = work / f"melspec_{samples}_op{opset}"
    d.mkdir(parents=True)
    model = d / "melspec.onnx"
    export(model, samples, opset)
    problems: List[str] = []
    if runtime_floor_clips(model) != 1:
        return [f"{label}: the export has no Clip with a run-time min (torch.onnx changed?)"]
    gen = d / "gen"
    p = H.pare_compile(pare, model, gen, name="melspec")
    if p.returncode != 0:
        return [f"{label}: pare compile failed: {H.first_line(p.output)}"]
    if "clip_dynamic" not in (gen / "melspec.c").read_text():
        problems.append(f"{label}: the floor did not compile to clip_dynamic")
    runner = d / "runner"
    b = H.build_c(gen, runner, H.CHECK_CFLAGS)
    if b.returncode != 0:
        return problems + [f"{label}: build failed: {H.first_line(b.output)}"]
    sess = H.ort_session(model)
    for name, sig in signals(samples).items():
        x = sig.astype(np.float32)[None, :]
        inp = d / f"{name}.npy"
        np.save(inp, x, allow_pickle=False)
        r = H.run_runner(runner, [inp], d / f"out_{name}")
        if r.returncode != 0:
            problems.append(f"{label} {name}: runner {r.describe_exit()}: {H.first_line(r.output)}")
            continue
        got = np.load(d / f"out_{name}" / "output.npy", allow_pickle=False)
        ref = sess.run(None, {"input": x})[0]
        c = H.compare_arrays(got, ref, rtol, atol, what=f"{label} {name}")
        floored = float(np.mean(ref <= ref.max() - TOP_DB + 1e-3))
        if verbose or not c.ok:
            print(f"{label} {name}: {list(got.shape)} {c.message}; {floored:.0%} of the bins on the floor")
        if not c.ok:
            problems.append(c.message)
    return problems


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--pare", help=f"the pare binary (default: {H.DEFAULT_PARE.relative_to(H.REPO_ROOT)})")
    ap.add_argument("--rtol", type=float, default=H.DEFAULT_RTOL, help="relative tolerance (default %(default)g)")
    ap.add_argument("--atol", type=float, default=H.DEFAULT_ATOL, help="absolute tolerance (default %(default)g)")
    ap.add_argument("--keep", action="store_true", help="keep the exports and generated code (path printed)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every comparison")
    args = ap.parse_args(argv)

    H.ensure_python_deps(("numpy", "onnx", "onnxruntime", "torch"))
    pare = H.find_pare(args.pare)
    H.find_tool(H.cc(), "install gcc (scripts/setup.sh does)")
    work = Path(tempfile.mkdtemp(prefix="pare-melspec-"))
    problems: List[str] = []
    cases = [(1760, 11), (SAMPLE_RATE, 13)]
    for samples, opset in cases:
        problems += check(pare, work, samples, opset, args.rtol, args.atol, args.verbose)
    if args.keep:
        print(f"exports and generated code in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    for p in problems:
        print(f"FAIL {p}")
    print(f"{len(cases) * 3 - len(problems)} of {len(cases) * 3} comparisons match onnxruntime" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
