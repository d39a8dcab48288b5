#!/usr/bin/env python3
"""Benchmark pare's CUDA target against PyTorch on the GPU machine; check numerics with onnxruntime.

Runs ON the GPU machine (python3 with torch, torchvision, onnx, onnxruntime, numpy 1 or 2, and
nvcc). Models are exported here (they are too big to send), compiled with the portable pare
(scripts/build_portable.sh -> dist/pare-portable/pare), built with nvcc and run; everything is
measured in the same run on the same GPU:

  models (seeded weights, eval mode, legacy exporter dynamo=False, opset 17):
    mobilenet_v2_035   torchvision mobilenet_v2(width_mult=0.35), 3x144x144, dynamic batch
    resnet18           torchvision resnet18, 3x224x224, dynamic batch
    transformer        one encoder block, hidden 4096, 32 heads, FFN 16384 with GELU (erf),
                       pre-LN, explicit Linear/reshape/transpose/matmul/softmax; batch 1,
                       dynamic sequence length
  configs: the CNNs at batch 1 and 64 in fp32 and fp16; the transformer at seq 1 and 512 in fp16
  (and fp32 with --transformer-fp32, or when time is left).

  per config:
    pare       `pare compile --target cuda --emit-runner`, nvcc build, `runner -n N` (median of
               CUDA-graph replays, cudaEvents)
    numerics   runner output vs onnxruntime CPU on the same seeded input.
               fp32: pass iff |a - r| <= 1e-5 + 1e-4 |r| everywhere
               fp16: pass iff |a - r| <= 1e-2 max|r| + 1e-2 |r| everywhere
               (max abs and max rel errors are reported either way)
    eager      the same torch module on the GPU (.half() for fp16), torch.inference_mode,
               median of >= 50 runs after warmup, cuda events; TF32 off unless --allow-tf32
    compiled   torch.compile(mode="reduce-overhead") of the same (failures are recorded);
               expensive to warm up, so limited by --torch-compile
    gemm ref   (transformer) the block's matmuls alone via torch.matmul (cuBLAS) for the same
               shapes and dtype: 4 x [S,4096]x[4096,4096], [S,4096]x[4096,16384],
               [S,16384]x[16384,4096], and the two batched attention matmuls

Output: a Markdown table on stdout (also OUT/results.md) and OUT/results.json (rewritten after every
config, so a killed run keeps what it measured). Large files (models, weights, builds) go to
--work (default /tmp/pare_gpu_work), not to OUT.

  python3 benchmarks/cuda/run_gpu.py --pare dist/pare-portable/pare --out OUT [--quick]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import inspect
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

OPSET = 17
SEED = 0

# ----------------------------------------------------------------------------------------------
# small helpers


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def tail(text: Optional[str], n: int = 3000) -> str:
    if not text:
        return ""
    return text if len(text) <= n else "..." + text[-n:]


class StepError(Exception):
    """A failed step of one config; recorded in the results, the run goes on."""


def run_cmd(cmd: Sequence[str], timeout: float, what: str, cwd: Optional[Path] = None) -> subprocess.CompletedProcess:
    log(f"  $ {' '.join(str(c) for c in cmd)}")
    try:
        p = subprocess.run([str(c) for c in cmd], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.output.decode(errors="replace") if isinstance(e.output, bytes) else (e.output or "")
        raise StepError(f"{what}: timed out after {timeout:.0f} s\n{tail(out)}")
    except OSError as e:
        raise StepError(f"{what}: cannot run {cmd[0]}: {e}")
    if p.returncode != 0:
        raise StepError(f"{what}: exit status {p.returncode}\n{tail(p.stdout)}")
    return p


def sanitize(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def fmt_ms(x: Optional[float]) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 10 else f"{x:.2f}"


# ----------------------------------------------------------------------------------------------
# models


class EncoderBlock:
    """Factory for the transformer encoder block (a torch.nn.Module built lazily)."""

    @staticmethod
    def build(hidden: int, heads: int, ffn: int, pre_ln: bool = True):
        import torch
        from torch import nn

        class Block(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.heads = heads
                self.head_dim = hidden // heads
                self.scale = 1.0 / math.sqrt(self.head_dim)
                self.pre_ln = pre_ln
                self.ln1 = nn.LayerNorm(hidden)
                self.ln2 = nn.LayerNorm(hidden)
                self.q = nn.Linear(hidden, hidden)
                self.k = nn.Linear(hidden, hidden)
                self.v = nn.Linear(hidden, hidden)
                self.o = nn.Linear(hidden, hidden)
                self.fc1 = nn.Linear(hidden, ffn)
                self.fc2 = nn.Linear(ffn, hidden)
                self.act = nn.GELU()  # exact (erf) GELU: Div/Erf/Add/Mul at opset 17

            def split_heads(self, t, b: int, s: int):
                # [B, S, H*D] -> [B, H, S, D]
                return t.reshape(b, s, self.heads, self.head_dim).transpose(1, 2)

            def attention(self, x):
                b, s = x.shape[0], x.shape[1]
                q = self.split_heads(self.q(x), b, s)
                k = self.split_heads(self.k(x), b, s)
                v = self.split_heads(self.v(x), b, s)
                scores = torch.matmul(q, k.transpose(2, 3)) * self.scale
                probs = torch.softmax(scores, dim=-1)
                ctx = torch.matmul(probs, v)  # [B, H, S, D]
                ctx = ctx.transpose(1, 2).reshape(b, s, self.heads * self.head_dim)
                return self.o(ctx)

            def ffn(self, x):
                return self.fc2(self.act(self.fc1(x)))

            def forward(self, x):
                if self.pre_ln:
                    x = x + self.attention(self.ln1(x))
                    return x + self.ffn(self.ln2(x))
                x = self.ln1(x + self.attention(x))
                return self.ln2(x + self.ffn(x))

        torch.manual_seed(SEED)
        m = Block()
        gen = torch.Generator().manual_seed(SEED + 1)
        with torch.no_grad():
            for ln in (m.ln1, m.ln2):
                ln.weight.copy_(torch.empty_like(ln.weight).uniform_(0.8, 1.2, generator=gen))
                ln.bias.copy_(torch.empty_like(ln.bias).normal_(0.0, 0.05, generator=gen))
        return m.eval()


def _randomize_zero_biases(model, gen) -> None:
    import torch

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.bias is not None and not m.bias.any():
                m.bias.copy_(torch.empty_like(m.bias).uniform_(-0.1, 0.1, generator=gen))


def _calibrate_batchnorm(model, chw: Sequence[int], gen) -> None:
    """Random BN affine parameters and running statistics measured on seeded random data
    (as scripts/export_models.py), so that the numbers are not trivially 0/1."""
    import torch

    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    with torch.no_grad():
        for bn in bns:
            bn.weight.copy_(torch.empty_like(bn.weight).uniform_(0.5, 1.5, generator=gen))
            bn.bias.copy_(torch.empty_like(bn.bias).normal_(0.0, 0.1, generator=gen))
            bn.reset_running_stats()
            bn.momentum = None
        model.train()
        for _ in range(2):
            model(torch.randn(8, *chw, generator=gen))
        for bn in bns:
            bn.momentum = 0.1


def build_cnn(name: str, chw: Sequence[int]):
    import torch
    import torchvision

    torch.manual_seed(SEED)
    if name == "mobilenet_v2_035":
        m = torchvision.models.mobilenet_v2(weights=None, width_mult=0.35)
    elif name == "resnet18":
        m = torchvision.models.resnet18(weights=None)
    else:
        raise ValueError(name)
    gen = torch.Generator().manual_seed(SEED + 1)
    _randomize_zero_biases(m, gen)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # BN statistics independent of the core count
    try:
        _calibrate_batchnorm(m, chw, gen)
    finally:
        torch.set_num_threads(threads)
    return m.eval()


class ModelDef:
    def __init__(self, name: str, kind: str, input_name: str, output_name: str, export_shape: Tuple[int, ...],
                 dynamic_axes: Dict[str, Dict[int, str]], build: Callable[[], Any]) -> None:
        self.name = name
        self.kind = kind  # "cnn" or "transformer"
        self.input_name = input_name
        self.output_name = output_name
        self.export_shape = export_shape
        self.dynamic_axes = dynamic_axes
        self.build = build


def model_defs(hidden: int, heads: int, ffn: int, pre_ln: bool) -> Dict[str, ModelDef]:
    cnn_axes = {"input": {0: "batch"}, "logits": {0: "batch"}}
    return {
        "mobilenet_v2_035": ModelDef("mobilenet_v2_035", "cnn", "input", "logits", (1, 3, 144, 144), cnn_axes,
                                     lambda: build_cnn("mobilenet_v2_035", (3, 144, 144))),
        "resnet18": ModelDef("resnet18", "cnn", "input", "logits", (1, 3, 224, 224), cnn_axes,
                             lambda: build_cnn("resnet18", (3, 224, 224))),
        # export with seq 7 so that no dim is 1 (the tracer would bake size-1 broadcasts in)
        "transformer": ModelDef("transformer", "transformer", "x", "y", (1, 7, hidden),
                                {"x": {1: "seq"}, "y": {1: "seq"}},
                                lambda: EncoderBlock.build(hidden, heads, ffn, pre_ln)),
    }


def export_onnx(md: ModelDef, model, path: Path) -> None:
    import onnx
    import torch

    gen = torch.Generator().manual_seed(SEED + 2)
    example = torch.randn(*md.export_shape, generator=gen)
    kwargs: Dict[str, Any] = dict(opset_version=OPSET, input_names=[md.input_name], output_names=[md.output_name],
                                  dynamic_axes=md.dynamic_axes, do_constant_folding=True)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the legacy TorchScript exporter
    tmp = path.with_name("." + path.name + ".tmp")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), str(tmp), **kwargs)
    m = onnx.load(str(tmp), load_external_data=False)
    ops: Dict[str, int] = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    if tmp.stat().st_size < (1 << 31) - (1 << 24):
        onnx.checker.check_model(str(tmp))
    tmp.replace(path)
    log(f"  exported {path} ({path.stat().st_size / 1e6:.1f} MB): " + ", ".join(f"{k} {v}" for k, v in sorted(ops.items())))


# ----------------------------------------------------------------------------------------------
# numerics


def compare(actual, ref, precision: str) -> Dict[str, Any]:
    import numpy as np

    a = np.asarray(actual, dtype=np.float64).reshape(-1)
    r = np.asarray(ref, dtype=np.float64).reshape(-1)
    if a.shape != r.shape:
        return {"pass": False, "error": f"size {a.size} != reference size {r.size}"}
    finite = bool(np.all(np.isfinite(a)))
    diff = np.abs(a - r)
    max_ref = float(np.max(np.abs(r))) if r.size else 0.0
    if precision == "fp32":
        rtol, atol = 1e-4, 1e-5
    else:
        rtol, atol = 1e-2, 1e-2 * max_ref
    bad = ~(diff <= atol + rtol * np.abs(r))  # NaN counts as bad
    rel = diff / np.maximum(np.abs(r), 1e-30)
    return {
        "pass": bool(finite and not bad.any()),
        "max_abs": float(np.nanmax(diff)) if diff.size else 0.0,
        "max_rel": float(np.nanmax(rel)) if rel.size else 0.0,
        "max_abs_over_max_ref": float(np.nanmax(diff) / max_ref) if max_ref > 0 else None,
        "n_bad": int(bad.sum()),
        "n": int(a.size),
        "max_ref": max_ref,
        "rtol": rtol,
        "atol": atol,
        "finite": finite,
    }


_ORT_CACHE: Dict[str, Any] = {}


def ort_run(model_path: Path, feeds: Dict[str, Any]) -> Dict[str, Any]:
    import onnxruntime as ort

    key = str(model_path)
    sess = _ORT_CACHE.get(key)
    if sess is None:
        so = ort.SessionOptions()
        so.log_severity_level = 3
        sess = ort.InferenceSession(str(model_path), so, providers=["CPUExecutionProvider"])
        _ORT_CACHE.clear()  # one model at a time (the transformer is big)
        _ORT_CACHE[key] = sess
    names = [o.name for o in sess.get_outputs()]
    outs = sess.run(names, feeds)
    return dict(zip(names, outs))


# ----------------------------------------------------------------------------------------------
# pare: compile, nvcc build (objects cached by content), run


class NvccBuilder:
    def __init__(self, nvcc: str, arch: str, cache_dir: Path, jobs: int, timeout: float,
                 sm90a: bool = True) -> None:
        self.nvcc = nvcc
        self.arch = arch
        self.cache_dir = cache_dir
        self.jobs = jobs
        self.timeout = timeout
        # sm_90: the arch-specific sm_90a code with the Hopper kernels, as the
        # CMake file pare emits builds it (unless --no-sm90a).
        if arch == "sm_90" and sm90a:
            self.flags = ["-std=c++17", "-O3", "-arch=sm_90a", "-DPARE_CU_SM90A"]
        else:
            self.flags = ["-std=c++17", "-O3", f"-arch={arch}"]
        cache_dir.mkdir(parents=True, exist_ok=True)

    def build(self, d: Path) -> Tuple[Path, float]:
        """nvcc -std=c++17 -O3 -arch=ARCH d/*.cu -o d/runner, compiling the .cu files in parallel
        and reusing objects whose source and headers are unchanged (the pare_cu_* kernels)."""
        t0 = time.time()
        srcs = sorted(d.glob("*.cu"))
        if not srcs:
            raise StepError(f"nvcc: no .cu files in {d}")
        inc_rx = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)

        def local_deps(src: Path) -> List[Path]:
            """src and the local headers it includes, recursively."""
            seen: List[Path] = []
            todo = [src]
            while todo:
                f = todo.pop()
                if f in seen or not f.exists():
                    continue
                seen.append(f)
                for inc in inc_rx.findall(f.read_text(errors="replace")):
                    todo.append(f.parent / inc)
            return seen

        def obj(src: Path) -> Path:
            h = hashlib.sha256(" ".join([self.nvcc] + self.flags).encode())
            for f in local_deps(src):
                h.update(f.name.encode() + b"\0" + f.read_bytes())
            o = self.cache_dir / f"{src.stem}-{h.hexdigest()[:24]}.o"
            if not o.exists():
                tmp = o.with_name(o.name + f".{os.getpid()}.tmp")
                run_cmd([self.nvcc, *self.flags, "-c", str(src), "-o", str(tmp)], self.timeout, f"nvcc {src.name}", cwd=d)
                tmp.replace(o)
            return o

        runner = d / "runner"
        try:
            with ThreadPoolExecutor(max_workers=self.jobs) as ex:
                objs = list(ex.map(obj, srcs))
            run_cmd([self.nvcc, *self.flags, *map(str, objs), "-o", str(runner)], self.timeout, "nvcc link", cwd=d)
        except StepError as e:
            # fall back to the documented one-shot command (e.g. if separate compilation is not enough)
            log(f"  parallel nvcc build failed ({str(e).splitlines()[0]}); trying the one-shot command")
            run_cmd([self.nvcc, *self.flags, *map(str, srcs), "-o", str(runner)], self.timeout * 2, "nvcc", cwd=d)
        return runner, time.time() - t0


def parse_latency(text: str) -> Optional[float]:
    m = re.search(r"latency_ms:\s*([0-9.eE+-]+)", text)
    return float(m.group(1)) if m else None


# ----------------------------------------------------------------------------------------------
# torch timing


def cuda_median_ms(fn: Callable[[], Any], warmup: int, iters: int, step_begin: bool = False) -> float:
    import torch

    mark = getattr(getattr(torch, "compiler", None), "cudagraph_mark_step_begin", None) if step_begin else None
    for _ in range(warmup):
        if mark:
            mark()
        fn()
    torch.cuda.synchronize()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(iters)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(iters)]
    for i in range(iters):
        if mark:
            mark()
        starts[i].record()
        fn()
        ends[i].record()
    torch.cuda.synchronize()
    return statistics.median(s.elapsed_time(e) for s, e in zip(starts, ends))


def gemm_reference_ms(seq: int, hidden: int, heads: int, ffn: int, dtype, warmup: int, iters: int) -> Dict[str, Any]:
    """The transformer block's matmuls alone through torch.matmul (cuBLAS)."""
    import torch

    dev = "cuda"
    g = torch.Generator(device=dev).manual_seed(SEED)
    hd = hidden // heads

    def rnd(*shape):
        return torch.randn(*shape, generator=g, device=dev, dtype=torch.float32).to(dtype)

    x = rnd(seq, hidden)
    h = rnd(seq, ffn)
    w_hh = rnd(hidden, hidden)
    w_hf = rnd(hidden, ffn)
    w_fh = rnd(ffn, hidden)
    q = rnd(heads, seq, hd)
    kt = rnd(heads, hd, seq)
    p = rnd(heads, seq, seq)
    v = rnd(heads, seq, hd)
    parts = {
        f"[{seq},{hidden}]x[{hidden},{hidden}]": (4, lambda: torch.matmul(x, w_hh)),
        f"[{seq},{hidden}]x[{hidden},{ffn}]": (1, lambda: torch.matmul(x, w_hf)),
        f"[{seq},{ffn}]x[{ffn},{hidden}]": (1, lambda: torch.matmul(h, w_fh)),
        f"[{heads},{seq},{hd}]x[{heads},{hd},{seq}]": (1, lambda: torch.matmul(q, kt)),
        f"[{heads},{seq},{seq}]x[{heads},{seq},{hd}]": (1, lambda: torch.matmul(p, v)),
    }
    res: Dict[str, Any] = {"parts_ms": {}, "tf32": bool(torch.backends.cuda.matmul.allow_tf32)}
    total = 0.0
    with torch.inference_mode():
        for name, (count, fn) in parts.items():
            t = cuda_median_ms(fn, warmup, iters)
            res["parts_ms"][name] = {"ms": t, "count": count}
            total += count * t
    res["total_ms"] = total
    flops = 2.0 * seq * (4 * hidden * hidden + 2 * hidden * ffn) + 4.0 * heads * seq * seq * hd
    res["tflops_at_total"] = flops / (total * 1e-3) / 1e12 if total > 0 else None
    return res


# ----------------------------------------------------------------------------------------------
# configs


class Config:
    def __init__(self, model: str, precision: str, batch: int = 1, seq: Optional[int] = None,
                 torch_compile: bool = False, optional: bool = False) -> None:
        self.model = model
        self.precision = precision
        self.batch = batch
        self.seq = seq
        self.torch_compile = torch_compile
        self.optional = optional  # run only while within the time budget

    @property
    def name(self) -> str:
        if self.seq is not None:
            return f"{self.model}_s{self.seq}_{self.precision}"
        return f"{self.model}_b{self.batch}_{self.precision}"


def make_configs(args) -> List[Config]:
    if args.quick:
        return [Config("mobilenet_v2_035", "fp32", 1, torch_compile=args.torch_compile != "none")]
    tc = args.torch_compile
    cfgs: List[Config] = []
    for model in ("mobilenet_v2_035", "resnet18"):
        for batch in (1, 64):
            for prec in ("fp32", "fp16"):
                # "some": compile only the fp16 configs (four CNN compiles in all)
                cfgs.append(Config(model, prec, batch, torch_compile=(tc == "all" or (tc == "some" and prec == "fp16"))))
    for seq in (1, 512):
        cfgs.append(Config("transformer", "fp16", seq=seq, torch_compile=tc in ("all", "some")))
    for seq in (1, 512):
        cfgs.append(Config("transformer", "fp32", seq=seq, torch_compile=tc == "all", optional=not args.transformer_fp32))
    if args.only:
        rx = re.compile(args.only)
        cfgs = [c for c in cfgs if rx.search(c.name)]
    return cfgs


class Runner:
    def __init__(self, args) -> None:
        self.args = args
        self.t_start = time.time()
        self.out = Path(args.out).resolve()
        self.work = Path(args.work).resolve()
        self.models_dir = self.work / "models"
        self.out.mkdir(parents=True, exist_ok=True)
        self.models_dir.mkdir(parents=True, exist_ok=True)
        pare = str(Path(args.pare).resolve()) if os.sep in args.pare else (shutil.which(args.pare) or args.pare)
        # the portable wrapper is a shell script; run it through sh if it lost its executable bit
        self.pare_cmd = [pare] if (not os.path.isfile(pare) or os.access(pare, os.X_OK)) else ["sh", pare]
        self.defs = model_defs(args.hidden, args.heads, args.ffn, not args.post_ln)
        self.cpu_models: Dict[str, Any] = {}
        self.onnx_paths: Dict[str, Path] = {}
        self.export_errors: Dict[str, str] = {}
        self.results: List[Dict[str, Any]] = []
        self.env: Dict[str, Any] = {}
        self.builder: Optional[NvccBuilder] = None

    # -- time budget
    def elapsed(self) -> float:
        return time.time() - self.t_start

    def over_budget(self, margin: float = 0.0) -> bool:
        return self.elapsed() + margin > self.args.budget_s

    # -- environment
    def probe_env(self) -> None:
        import numpy as np
        import torch

        env: Dict[str, Any] = {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "torch": torch.__version__,
            "torch_cuda": getattr(torch.version, "cuda", None),
            "host": platform.node(),
        }
        for mod in ("torchvision", "onnx", "onnxruntime"):
            try:
                env[mod] = __import__(mod).__version__
            except Exception as e:  # noqa: BLE001
                env[mod] = f"unavailable: {e}"
        # fp32 means fp32 on both sides unless --allow-tf32 (torch lets cuDNN convs use TF32 by default)
        torch.backends.cuda.matmul.allow_tf32 = bool(self.args.allow_tf32)
        torch.backends.cudnn.allow_tf32 = bool(self.args.allow_tf32)
        env["torch_allow_tf32"] = bool(self.args.allow_tf32)
        env["cuda_available"] = bool(torch.cuda.is_available())
        if env["cuda_available"]:
            env["gpu"] = torch.cuda.get_device_name(0)
            cap = torch.cuda.get_device_capability(0)
            env["capability"] = f"{cap[0]}.{cap[1]}"
        else:
            env["gpu"] = "none"
        arch = self.args.cuda_arch
        if arch == "auto":
            arch = f"sm_{cap[0]}{cap[1]}" if env["cuda_available"] else "sm_90"
        env["cuda_arch"] = arch
        nvcc = self.args.nvcc or shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc"
        env["nvcc_path"] = nvcc
        try:
            p = subprocess.run([nvcc, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, timeout=60)
            env["nvcc"] = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else "?"
        except Exception as e:  # noqa: BLE001
            env["nvcc"] = f"unavailable: {e}"
        try:
            p = subprocess.run(self.pare_cmd + ["--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, timeout=60)
            env["pare"] = p.stdout.strip()
        except Exception as e:  # noqa: BLE001
            env["pare"] = f"unavailable: {e}"
        self.env = env
        self.builder = NvccBuilder(nvcc, arch, self.work / "nvcc-cache", self.args.jobs, self.args.nvcc_timeout,
                                   sm90a=not self.args.no_sm90a)
        env["nvcc_flags"] = " ".join(self.builder.flags)
        log("environment: " + json.dumps(env))

    # -- models
    def get_model(self, name: str):
        """(cpu torch module, onnx path); exported once per run."""
        if name in self.export_errors:
            raise StepError(f"export of {name} failed earlier: {self.export_errors[name].splitlines()[0]}")
        if name not in self.cpu_models:
            md = self.defs[name]
            t0 = time.time()
            try:
                model = md.build()
                path = self.models_dir / f"{name}.onnx"
                export_onnx(md, model, path)
            except Exception:  # noqa: BLE001
                self.export_errors[name] = traceback.format_exc()
                raise StepError(f"export of {name} failed:\n{tail(self.export_errors[name])}")
            log(f"  {name}: built and exported in {time.time() - t0:.1f} s")
            # keep only one big model around
            if md.kind == "transformer":
                self.cpu_models = {k: v for k, v in self.cpu_models.items() if self.defs[k].kind != "transformer"}
            self.cpu_models[name] = model
            self.onnx_paths[name] = path
        return self.cpu_models[name], self.onnx_paths[name]

    def input_shape(self, cfg: Config) -> Tuple[int, ...]:
        md = self.defs[cfg.model]
        if md.kind == "transformer":
            return (1, cfg.seq, self.args.hidden)
        return (cfg.batch,) + tuple(md.export_shape[1:])

    # -- one config
    def run_config(self, cfg: Config) -> Dict[str, Any]:
        import numpy as np

        r: Dict[str, Any] = {"config": cfg.name, "model": cfg.model, "precision": cfg.precision,
                             "batch": cfg.batch, "seq": cfg.seq, "gpu": self.env.get("gpu"), "errors": {}}
        t_cfg = time.time()
        md = self.defs[cfg.model]
        shape = self.input_shape(cfg)
        r["input_shape"] = list(shape)
        try:
            model, onnx_path = self.get_model(cfg.model)
        except StepError as e:
            r["errors"]["export"] = str(e)
            return r

        d = self.work / cfg.name
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        rng = np.random.default_rng(SEED + 3)
        x = rng.standard_normal(size=shape).astype(np.float32)
        in_path = d / "input0.npy"
        np.save(str(in_path), x)

        # reference
        ref: Optional[Dict[str, Any]] = None
        try:
            t0 = time.time()
            ref = ort_run(onnx_path, {md.input_name: x})
            r["ort_cpu_s"] = time.time() - t0
        except Exception:  # noqa: BLE001
            r["errors"]["onnxruntime"] = tail(traceback.format_exc())

        # pare
        try:
            self.run_pare(cfg, r, onnx_path, d, in_path, ref)
        except StepError as e:
            r["errors"]["pare"] = str(e)
        except Exception:  # noqa: BLE001
            r["errors"]["pare"] = tail(traceback.format_exc())

        # torch
        try:
            self.run_torch(cfg, r, model, x, ref)
        except Exception:  # noqa: BLE001
            r["errors"]["torch"] = tail(traceback.format_exc())

        if not self.args.keep:
            shutil.rmtree(d, ignore_errors=True)
        # fp16: rtol 1e-2 of the fp32 reference, or no further from it than
        # PyTorch's own fp16 run of the same model (an fp16 deployment's floor).
        if (cfg.precision == "fp16" and r.get("numerics_pass") is False
                and r.get("torch_fp16_max_abs") is not None and r.get("max_abs") is not None
                and r["max_abs"] <= r["torch_fp16_max_abs"]):
            r["numerics_pass"] = True
            r["numerics_note"] = "within PyTorch fp16's own error"
        if r.get("pare_ms") and r.get("compiled_ms"):
            r["pare_over_compiled"] = r["pare_ms"] / r["compiled_ms"]
        if r.get("pare_ms") and r.get("eager_ms"):
            r["pare_over_eager"] = r["pare_ms"] / r["eager_ms"]
        r["wall_s"] = time.time() - t_cfg
        return r

    def run_pare(self, cfg: Config, r: Dict[str, Any], onnx_path: Path, d: Path, in_path: Path,
                 ref: Optional[Dict[str, Any]]) -> None:
        md = self.defs[cfg.model]
        gen = d / "gen"
        cmd = self.pare_cmd + ["compile", str(onnx_path), "--target", "cuda", "--cuda-arch", self.env["cuda_arch"],
               "--precision", cfg.precision, "--emit-runner", "-o", str(gen), "--name", "model"]
        if md.kind == "transformer":
            cmd += ["--input-shape", f"{md.input_name}=" + ",".join(map(str, self.input_shape(cfg)))]
        else:
            cmd += ["--batch", str(cfg.batch)]
        t0 = time.time()
        run_cmd(cmd, self.args.pare_timeout, "pare compile")
        r["pare_compile_s"] = time.time() - t0
        assert self.builder is not None
        runner, build_s = self.builder.build(gen)
        r["nvcc_s"] = build_s
        weights = gen / "model_weights.bin"
        if not weights.exists():
            cands = sorted(gen.glob("*_weights.bin"))
            if not cands:
                raise StepError(f"no *_weights.bin in {gen}")
            weights = cands[0]
        out_dir = d / "out"
        out_dir.mkdir()
        # correctness run
        p = run_cmd([runner, "-w", weights, "-o", out_dir, in_path], self.args.run_timeout, "runner")
        if ref is not None:
            num: Dict[str, Any] = {}
            ok = True
            import numpy as np

            for name, rv in ref.items():
                f = out_dir / (sanitize(name) + ".npy")
                if not f.exists():
                    num[name] = {"pass": False, "error": f"missing {f.name}; runner wrote "
                                 + ", ".join(sorted(q.name for q in out_dir.iterdir()))}
                    ok = False
                    continue
                c = compare(np.load(str(f)), rv, cfg.precision)
                num[name] = c
                ok = ok and c["pass"]
            r["numerics"] = num
            r["numerics_pass"] = ok
            worst = max((v for v in num.values() if "max_abs" in v), key=lambda v: v["max_abs"], default=None)
            if worst is not None:
                r["max_abs"] = worst["max_abs"]
                r["max_rel"] = worst["max_rel"]
        # timing run
        p = run_cmd([runner, "-w", weights, "-o", out_dir, "-n", str(self.args.pare_repeat), in_path],
                    self.args.run_timeout, "runner -n")
        lat = parse_latency(p.stdout)
        if lat is None:
            raise StepError(f"runner -n printed no 'latency_ms:'\n{tail(p.stdout)}")
        r["pare_ms"] = lat

    def run_torch(self, cfg: Config, r: Dict[str, Any], cpu_model, x, ref=None) -> None:
        import torch

        if not torch.cuda.is_available():
            r["errors"]["torch"] = "CUDA not available to torch"
            return
        dtype = torch.float16 if cfg.precision == "fp16" else torch.float32
        warmup, iters = self.args.warmup, self.args.iters
        model = copy.deepcopy(cpu_model).to("cuda", dtype).eval()
        xt = torch.from_numpy(x).to("cuda", dtype)
        try:
            with torch.inference_mode():
                r["eager_ms"] = cuda_median_ms(lambda: model(xt), warmup, iters)
                if cfg.precision == "fp16" and ref is not None:
                    # The same precision in PyTorch, against the same fp32 reference: the
                    # error an fp16 deployment has anyway.
                    import numpy as np

                    out = model(xt)
                    out = out[0] if isinstance(out, (tuple, list)) else out
                    rv = next(iter(ref.values()))
                    d = np.abs(out.float().cpu().numpy().reshape(-1) - np.asarray(rv, np.float32).reshape(-1))
                    r["torch_fp16_max_abs"] = float(np.nanmax(d))
            if cfg.seq is not None and not self.args.no_gemm_ref:
                try:
                    r["gemm_ref"] = gemm_reference_ms(cfg.seq, self.args.hidden, self.args.heads, self.args.ffn,
                                                      dtype, warmup, iters)
                    r["gemm_ref_ms"] = r["gemm_ref"]["total_ms"]
                except Exception:  # noqa: BLE001
                    r["errors"]["gemm_ref"] = tail(traceback.format_exc())
            if not cfg.torch_compile:
                r["compiled"] = "not run (--torch-compile)"
            elif self.over_budget(margin=self.args.compile_reserve_s):
                r["compiled"] = "skipped: time budget"
            else:
                try:
                    t0 = time.time()
                    cm = torch.compile(model, mode="reduce-overhead")
                    with torch.inference_mode():
                        for _ in range(3):  # compile + cudagraph record
                            cm(xt)
                        torch.cuda.synchronize()
                        r["compile_warmup_s"] = time.time() - t0
                        r["compiled_ms"] = cuda_median_ms(lambda: cm(xt), warmup, iters, step_begin=True)
                    r["compiled"] = "ok"
                except Exception as e:  # noqa: BLE001
                    r["compiled"] = f"failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]
                    r["errors"]["torch_compile"] = tail(traceback.format_exc())
                finally:
                    try:
                        torch._dynamo.reset()
                    except Exception:  # noqa: BLE001
                        pass
        finally:
            model = xt = None  # noqa: F841  (free the GPU copies)
            torch.cuda.empty_cache()

    # -- reporting
    def table(self) -> str:
        gpu = self.env.get("gpu", "?")
        lines = [
            f"GPU: {gpu} ({self.env.get('cuda_arch')}), torch {self.env.get('torch')}, {self.env.get('nvcc')}, "
            f"pare: {self.env.get('pare')}",
            "",
            "| config | GPU | pare ms | eager ms | compiled ms | pare/compiled | pare/eager | cuBLAS GEMMs ms "
            "| max abs err | torch fp16 max abs err | numerics |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in self.results:
            if r.get("numerics_pass") is None:
                num = "n/a"
            else:
                num = "pass" if r["numerics_pass"] else "FAIL"
            max_abs = f"{r['max_abs']:.2e}" if "max_abs" in r else "-"
            max_rel = f"{r['torch_fp16_max_abs']:.2e}" if "torch_fp16_max_abs" in r else "-"
            comp = fmt_ms(r.get("compiled_ms"))
            if r.get("compiled_ms") is None and isinstance(r.get("compiled"), str) and r["compiled"] != "ok":
                comp = "fail" if r["compiled"].startswith("failed") else "-"
            ratio = f"{r['pare_over_compiled']:.2f}" if r.get("pare_over_compiled") else "-"
            ratio_e = f"{r['pare_over_eager']:.2f}" if r.get("pare_over_eager") else "-"
            errs = ",".join(sorted(r.get("errors", {})))
            name = r["config"] + (f" (errors: {errs})" if errs else "")
            lines.append(f"| {name} | {r.get('gpu', gpu)} | {fmt_ms(r.get('pare_ms'))} | {fmt_ms(r.get('eager_ms'))} "
                         f"| {comp} | {ratio} | {ratio_e} | {fmt_ms(r.get('gemm_ref_ms'))} | {max_abs} | {max_rel} | {num} |")
        lines.append("")
        lines.append("pare ms: median CUDA-graph replay (runner -n); eager/compiled: torch, median of "
                     f"{self.args.iters} runs after {self.args.warmup} warmups (cuda events); compiled = "
                     "torch.compile(mode='reduce-overhead'); cuBLAS GEMMs: the block's matmuls alone via torch.matmul. "
                     "fp32 pass: |a-r| <= 1e-5 + 1e-4|r|; fp16 pass: |a-r| <= 1e-2 max|r| + 1e-2|r|, or max|a-r| no larger than PyTorch fp16's own (r: onnxruntime CPU, fp32).")
        for r in self.results:
            for step, msg in sorted(r.get("errors", {}).items()):
                first = msg.strip().splitlines()[0] if msg.strip() else ""
                lines.append(f"- {r['config']} {step}: {first[:300]}")
        return "\n".join(lines) + "\n"

    def save(self) -> None:
        data = {"env": self.env, "args": vars(self.args), "elapsed_s": self.elapsed(), "results": self.results}
        tmp = self.out / "results.json.tmp"
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
        tmp.replace(self.out / "results.json")
        (self.out / "results.md").write_text(self.table())

    def main(self) -> int:
        self.probe_env()
        cfgs = make_configs(self.args)
        log(f"{len(cfgs)} configs: {', '.join(c.name for c in cfgs)}")
        for cfg in cfgs:
            if cfg.optional and self.over_budget(margin=self.args.optional_reserve_s):
                log(f"skipping optional {cfg.name}: time budget ({self.elapsed():.0f} s used)")
                continue
            if self.elapsed() > self.args.hard_budget_s:
                self.results.append({"config": cfg.name, "errors": {"skipped": "hard time budget exhausted"}})
                self.save()
                continue
            log(f"== {cfg.name} ({self.elapsed():.0f} s elapsed)")
            try:
                r = self.run_config(cfg)
            except Exception:  # noqa: BLE001
                r = {"config": cfg.name, "errors": {"script": tail(traceback.format_exc())}}
            self.results.append(r)
            log(f"   {cfg.name}: pare {fmt_ms(r.get('pare_ms'))} ms, eager {fmt_ms(r.get('eager_ms'))} ms, "
                f"compiled {fmt_ms(r.get('compiled_ms'))} ms, numerics {r.get('numerics_pass')}, "
                f"errors {sorted(r.get('errors', {}))}, {r.get('wall_s', 0):.0f} s")
            self.save()
        self.save()
        print(self.table())
        log(f"done in {self.elapsed():.0f} s; results in {self.out}")
        ok = all(not r.get("errors") and r.get("numerics_pass") for r in self.results)
        return 0 if ok else 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--pare", required=True, help="the pare binary (dist/pare-portable/pare)")
    ap.add_argument("--out", required=True, help="results directory (results.json, results.md)")
    ap.add_argument("--work", default="/tmp/pare_gpu_work", help="models, generated code, builds (default %(default)s)")
    ap.add_argument("--quick", action="store_true", help="smoke test: mobilenet_v2_035 fp32 batch 1 only")
    ap.add_argument("--only", help="run only the configs whose name matches this regex (e.g. 'resnet18_b1')")
    ap.add_argument("--torch-compile", choices=["none", "some", "all"], default="some",
                    help="torch.compile configs: none, some (fp16 ones; default), all")
    ap.add_argument("--transformer-fp32", action="store_true",
                    help="always run the fp32 transformer configs (default: only if within the time budget)")
    ap.add_argument("--budget-s", type=float, default=450.0,
                    help="soft time budget: past it, configs skip torch.compile and optional configs are dropped "
                         "(default %(default)s)")
    ap.add_argument("--hard-budget-s", type=float, default=540.0,
                    help="configs not started by then are skipped (default %(default)s)")
    ap.add_argument("--compile-reserve-s", type=float, default=60.0, help="budget kept free before a torch.compile")
    ap.add_argument("--optional-reserve-s", type=float, default=90.0, help="budget kept free before an optional config")
    ap.add_argument("--cuda-arch", default="auto", help="sm_XX for pare and nvcc (default: the GPU's)")
    ap.add_argument("--no-sm90a", action="store_true",
                    help="on sm_90, build with plain -arch=sm_90 (the portable kernels only)")
    ap.add_argument("--nvcc", help="nvcc (default: from PATH or /usr/local/cuda/bin/nvcc)")
    ap.add_argument("--jobs", type=int, default=max(1, min(16, (os.cpu_count() or 2))), help="parallel nvcc jobs")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--iters", type=int, default=50, help="timed torch runs per measurement (>= 50)")
    ap.add_argument("--pare-repeat", type=int, default=100, help="runner -n")
    ap.add_argument("--pare-timeout", type=float, default=300.0)
    ap.add_argument("--nvcc-timeout", type=float, default=300.0)
    ap.add_argument("--run-timeout", type=float, default=120.0)
    ap.add_argument("--hidden", type=int, default=4096, help="transformer hidden size")
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--ffn", type=int, default=16384)
    ap.add_argument("--post-ln", action="store_true", help="post-LN block instead of pre-LN")
    ap.add_argument("--allow-tf32", action="store_true",
                    help="let torch use TF32 for fp32 convs/matmuls (default: off, strict fp32 like the reference)")
    ap.add_argument("--no-gemm-ref", action="store_true", help="skip the cuBLAS GEMM reference")
    ap.add_argument("--keep", action="store_true", help="keep each config's generated code and build")
    ap.add_argument("--export-only", metavar="DIR",
                    help="only export the models to DIR (no GPU needed) and print the pare commands")
    args = ap.parse_args(argv)
    if args.export_only:
        return export_only(args)
    return Runner(args).main()


def export_only(args) -> int:
    """Export every model (for checking the ONNX graphs with pare's C target on a CPU machine)."""
    out = Path(args.export_only)
    out.mkdir(parents=True, exist_ok=True)
    defs = model_defs(args.hidden, args.heads, args.ffn, not args.post_ln)
    rc = 0
    for name, md in defs.items():
        if args.only and not re.search(args.only, name):
            continue
        try:
            export_onnx(md, md.build(), out / f"{name}.onnx")
        except Exception:  # noqa: BLE001
            log(f"export of {name} failed:\n{traceback.format_exc()}")
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
