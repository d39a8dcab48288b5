#!/usr/bin/env python3
"""Hostile-model campaign: run pare on structure-aware mutants and classify every run.

Each mutant of mutate.py (deterministic in --seed and its index) is written to a fresh folder with
the files it needs (external data, a canary file outside the folder, FIFOs, symlinks, calibration
samples), then pare runs on it under a timeout and an address-space limit:
`pare compile` always (with --emit-runner; with `--quantize int8 --calibration` for the calibration
family), `pare inspect --json` and `pare profile --json` on some mutants. Every run is one of

  success       exit 0
  clean-error   exit 1 with a one-line `error` message
  messy-error   exit 1, but the message is not one line (or says no `error`)
  crash         a signal, an exit code other than 0 / 1, `LLVM ERROR`, `terminate called`,
                a stack dump or a sanitizer report
  hang          the timeout ran out
  silent-bad    exit 0 on a mutant pare must refuse (renamed attribute, overflowing dims, ...)
  outside-read  exit 0 on external data whose location leaves the model's folder
  injection     a hostile name got out of a comment or string of the generated C: the files do not
                build with `gcc -std=c99 -Wall -Wextra -Werror -pedantic -c`, the sentinel is a
                symbol of the object or survives in the preprocessed text outside string literals,
                or it starts a line of model.cmake / model.mk, or the profile SVG is not XML
  bad-c         the generated C of a mutant without hostile names does not build (same flags)
  invalid-json  `--json` output that Python's json rejects (NaN / Infinity rejected too)

It prints the counts per class and per family, and writes each failing run (the model and its
files, the command, stdout, stderr, the mutant's description) to --out/failures/<class>/.
`--ci` exits 1 when any crash, hang, silent-bad, outside-read, injection, bad-c or invalid-json
run occurs. `--only I` reruns mutant I alone (and keeps its folder) to reproduce a failure.

  campaign.py --runs 3000 --seed 1 --pare build/tools/pare/pare --out /tmp/campaign
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mutate  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CLASSES = ["success", "clean-error", "messy-error", "crash", "hang", "silent-bad", "outside-read",
           "injection", "bad-c", "invalid-json"]
FAILING = ["crash", "hang", "silent-bad", "outside-read", "injection", "bad-c", "invalid-json"]
CRASH_MARKERS = ["LLVM ERROR", "terminate called", "Stack dump", "PLEASE submit a bug report",
                 "AddressSanitizer", "runtime error:", "Segmentation fault", "Aborted",
                 "stack trace", "#0 0x"]
CANARY = b"PARE-CANARY-OUTSIDE-THE-MODEL-FOLDER\n" * 64


def reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def limit_memory(mb):
    def f():
        resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.setsid()
    return f


def materialize(mu, case: Path) -> Path:
    """Writes the mutant into case/m/ (canary in case/); returns the model path."""
    mdir = case / "m"
    mdir.mkdir(parents=True)
    (case / "outside.bin").write_bytes(CANARY)
    model = mdir / "model.onnx"
    model.write_bytes(mu.serialized())
    for rel, v in mu.files.items():
        p = mdir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(v, tuple):
            if v[0] == "fifo":
                os.mkfifo(p)
            elif v[0] == "symlink":
                os.symlink(v[1], p)
            elif v[0] == "dir":
                p.mkdir(exist_ok=True)
        else:
            p.write_bytes(v)
    if mu.calibration is not None:
        cdir = mdir / "calib"
        cdir.mkdir()
        for fname, data in mu.calibration.items():
            (cdir / fname).write_bytes(data)
    return model


def commands(mu, pare, model: Path):
    out = model.parent / "out"
    q = ["--quantize", "int8", "--calibration", str(model.parent / "calib")] if mu.calibration is not None else []
    cmds = []
    for c in mu.commands:
        if c == "compile":
            cmds.append(("compile", [pare, "compile", str(model), "-o", str(out), "-q", "--emit-runner"]
                         + q + mu.extra_args))
        elif c == "inspect":
            cmds.append(("inspect", [pare, "inspect", str(model), "--json"] + q + mu.extra_args))
        elif c == "profile":
            svg = ["--svg", str(model.parent / "profile.svg")] if mu.hostile_names else []
            cmds.append(("profile", [pare, "profile", str(model), "--json", "--no-patches"] + svg + q
                         + mu.extra_args))
    return cmds


def strip_c_literals(text: str) -> str:
    """Removes string and character literals from preprocessed C."""
    return re.sub(r'"(\\.|[^"\\\n])*"|\'(\\.|[^\'\\\n])*\'', '""', text)


def check_generated_c(out: Path, cc: str, hostile: bool):
    """'' when the generated files build cleanly and hold no injected code, else a reason."""
    sources = [p for p in sorted(out.glob("*.c")) if not p.name.startswith("pare_k_")]
    if not sources:
        return "no .c files were written"
    # The injected definition is the identifier injected_<SENTINEL> on its own; sanitised C names
    # made from a hostile name (model_x_injected_<SENTINEL>_1) hold it inside a longer identifier.
    s = mutate.SENTINEL
    live = re.compile(r"(?<![A-Za-z0-9_$])injected_" + s + r"(?![A-Za-z0-9_$])")
    for src in sources:
        obj = src.with_suffix(".o")
        r = subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                            "-DPARE_INJECTION_CHECK", "-c", str(src), "-o", str(obj), "-I", str(out)],
                           capture_output=True, timeout=120)
        if r.returncode != 0:
            err = r.stderr.decode(errors="replace").strip().splitlines()
            first = next((ln for ln in err if "error" in ln), err[0] if err else f"exit {r.returncode}")
            return f"{src.name} does not build: " + first.replace(str(out) + "/", "")
        if hostile:
            nm = subprocess.run(["nm", str(obj)], capture_output=True, timeout=60)
            if live.search(nm.stdout.decode(errors="replace")):
                return f"{src.name}: the object has the symbol injected_{s}"
            pp = subprocess.run([cc, "-std=c99", "-E", "-P", "-I", str(out), str(src)],
                                capture_output=True, timeout=120)
            if live.search(strip_c_literals(pp.stdout.decode(errors="replace"))):
                return f"{src.name}: injected_{s} is live code after preprocessing"
    if hostile:
        for frag in list(out.glob("*.cmake")) + list(out.glob("*.mk")):
            for line in frag.read_bytes().decode(errors="replace").splitlines():
                if live.search(line) and not line.lstrip().startswith("#"):
                    return f"{frag.name}: {s} outside a comment"
    return ""


def classify(mu, cmdname, rc, stdout, stderr, timed_out, model: Path, cc):
    """(class, detail) of one run."""
    err = stderr.decode(errors="replace")
    if timed_out:
        return "hang", "timeout"
    marker = next((m for m in CRASH_MARKERS if m in err), None)
    if rc < 0 or rc not in (0, 1) or marker:
        return "crash", f"exit {rc}" + (f", '{marker}'" if marker else "")
    if rc == 1:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        if len(lines) == 1 and "error" in lines[0]:
            return "clean-error", ""
        return "messy-error", f"{len(lines)} lines"
    # exit 0: a read outside the folder first, then invalid JSON (also on a model pare should have
    # refused: NaN calibration samples printed as bare `nan`), then a silent success
    if mu.outside:
        return "outside-read", "external data outside the model's folder was read"
    if cmdname in ("inspect", "profile"):
        try:
            json.loads(stdout.decode("utf-8"), parse_constant=reject_constant)
        except (ValueError, UnicodeDecodeError) as e:
            return "invalid-json", str(e)[:200]
    if mu.known_bad:
        return "silent-bad", f"{mu.family}:{mu.kind} must be refused"
    if cmdname in ("inspect", "profile"):
        svg = model.parent / "profile.svg"
        if cmdname == "profile" and mu.hostile_names and svg.exists():
            try:
                ET.parse(svg)
            except ET.ParseError as e:
                return "injection", f"profile.svg is not XML: {e}"
    if cmdname == "compile":
        why = check_generated_c(model.parent / "out", cc, mu.hostile_names)
        if why:
            return ("injection" if mu.hostile_names else "bad-c"), why
    return "success", ""


def copy_case(case: Path, dest: Path):
    """Copies a case folder, recreating FIFOs and symlinks rather than reading them."""
    for src in case.rglob("*"):
        rel = src.relative_to(case)
        d = dest / rel
        d.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), d)
        elif src.is_fifo():
            os.mkfifo(d)
        elif src.is_dir():
            d.mkdir(exist_ok=True)
        elif src.is_file():
            shutil.copy2(src, d)


def run_mutant(index, args, workdir: Path):
    mu = mutate.make_mutant(args.seed, index, args.family)
    case = workdir / f"{index:06d}"
    if case.exists():
        shutil.rmtree(case)
    model = materialize(mu, case)
    results = []
    for cmdname, cmd in commands(mu, args.pare, model):
        if cmdname == "compile":
            shutil.rmtree(model.parent / "out", ignore_errors=True)
        t0 = time.monotonic()
        timed_out = False
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=args.timeout, cwd=case,
                               preexec_fn=limit_memory(args.mem_mb))
            rc, so, se = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, so, se, timed_out = -999, e.stdout or b"", e.stderr or b"", True
        dt = time.monotonic() - t0
        cls, detail = classify(mu, cmdname, rc, so, se, timed_out, model, args.cc)
        named = None
        if cls == "clean-error" and mu.expect:
            e = se.decode(errors="replace")
            named = any(x and x[:60] in e for x in mu.expect)
        results.append({"index": index, "family": mu.family, "kind": mu.kind, "seed_model": mu.seed_model,
                        "command": cmdname, "class": cls, "detail": detail, "rc": rc,
                        "seconds": round(dt, 3), "named": named,
                        "stderr_head": se.decode(errors="replace")[:300]})
        if cls in FAILING or args.keep_all or args.only is not None:
            dest = Path(args.out) / "failures" / cls / f"{index:06d}-{mu.family}-{cmdname}"
            if args.only is not None:
                dest = Path(args.out) / "only" / f"{index:06d}-{cmdname}"
            if dest.exists():
                shutil.rmtree(dest)
            copy_case(case, dest)
            rel = [c.replace(str(case) + "/", "") for c in cmd]
            (dest / "command.txt").write_text(
                f"# run in this folder (paths are relative to it); exit {rc}; {cls}: {detail}\n"
                + " ".join(repr(c) if (" " in c or not c) else c for c in rel) + "\n")
            (dest / "stderr.txt").write_bytes(se[:1 << 20])
            (dest / "stdout.txt").write_bytes(so[:1 << 20])
            (dest / "mutant.json").write_text(json.dumps(dict(mu.describe(), index=index, seed=args.seed),
                                                         indent=1) + "\n")
    shutil.rmtree(case, ignore_errors=True)
    return results


def table(rows, key, title):
    groups = collections.OrderedDict()
    for r in rows:
        groups.setdefault(key(r), collections.Counter())[r["class"]] += 1
    shown = [c for c in CLASSES if any(g[c] for g in groups.values())] or ["success"]
    w = max([len(title)] + [len(str(k)) for k in groups]) + 2
    out = [f"{title:<{w}}{'runs':>7}" + "".join(f"{c:>14}" for c in shown)]
    total = collections.Counter()
    for k in sorted(groups, key=str):
        g = groups[k]
        total.update(g)
        out.append(f"{str(k):<{w}}{sum(g.values()):>7}" + "".join(f"{g[c]:>14}" for c in shown))
    out.append(f"{'total':<{w}}{sum(total.values()):>7}" + "".join(f"{total[c]:>14}" for c in shown))
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(
        description="Run pare on structure-aware hostile mutants and classify every run "
                    "(success, clean-error, messy-error, crash, hang, silent-bad, outside-read, "
                    "injection, bad-c, invalid-json).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Classes and families: see the docstrings of campaign.py and mutate.py.")
    ap.add_argument("--pare", default=str(ROOT / "build/tools/pare/pare"), help="pare binary")
    ap.add_argument("--runs", type=int, default=3000, help="pare invocations to make (default 3000)")
    ap.add_argument("--seed", type=int, default=1, help="campaign seed (default 1): same seed, same mutants")
    ap.add_argument("--family", action="append", choices=mutate.FAMILIES,
                    help="only these mutation families (repeatable)")
    ap.add_argument("--only", type=int, help="run mutant INDEX alone and keep its files in OUT/only/")
    ap.add_argument("--out", default=None, help="output folder (default: a new folder in /tmp)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2, help="parallel runs")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per pare run (default 30)")
    ap.add_argument("--mem-mb", type=int, default=4096, help="address-space limit per run, MiB (default 4096)")
    ap.add_argument("--cc", default="gcc", help="C compiler for the generated code (default gcc)")
    ap.add_argument("--keep-all", action="store_true", help="keep every run's files, not only failures")
    ap.add_argument("--ci", action="store_true",
                    help="exit 1 when any run is a crash, hang, silent-bad, outside-read, injection, "
                         "bad-c or invalid-json")
    ap.add_argument("--json", dest="json_out", help="also write every run's record to this JSON file")
    args = ap.parse_args()
    args.pare = str(Path(args.pare).resolve())
    if not os.access(args.pare, os.X_OK):
        print(f"campaign.py: error: pare binary '{args.pare}' is not executable", file=sys.stderr)
        return 2
    if shutil.which(args.cc) is None:
        print(f"campaign.py: error: C compiler '{args.cc}' not found", file=sys.stderr)
        return 2
    args.out = args.out or tempfile.mkdtemp(prefix=f"pare-hostile-s{args.seed}-")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="work-", dir=args.out))

    t0 = time.monotonic()
    rows = []
    if args.only is not None:
        rows = run_mutant(args.only, args, work)
    else:
        # Mutants make 1 to 3 runs each; submit in index order until --runs runs are made.
        index = 0
        with ThreadPoolExecutor(max_workers=args.jobs) as ex:
            pending = []
            expected = 0
            while expected < args.runs:
                mu = mutate.make_mutant(args.seed, index, args.family)
                expected += len(mu.commands)
                pending.append(ex.submit(run_mutant, index, args, work))
                index += 1
            for f in pending:
                rows.extend(f.result())
    shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - t0

    mutants = len({r["index"] for r in rows})
    print(f"pare hostile-model campaign: seed {args.seed}, {mutants} mutants, {len(rows)} runs, "
          f"{elapsed:.0f} s, -j{args.jobs}, timeout {args.timeout:g} s, {args.mem_mb} MiB")
    print(f"pare: {args.pare}")
    print()
    print(table(rows, lambda r: r["class"] and "all", "runs"))
    print()
    print(table(rows, lambda r: r["family"], "family"))
    print()
    print(table(rows, lambda r: r["command"], "command"))
    clean = [r for r in rows if r["class"] == "clean-error" and r["named"] is not None]
    if clean:
        print(f"\nclean errors that name the node / attribute / file / flag the mutation hit: "
              f"{sum(r['named'] for r in clean)} of {len(clean)}")
    bad = [r for r in rows if r["class"] in FAILING]
    if bad:
        print(f"\nfailing runs by mutation ({len(bad)}; files in {args.out}/failures/):")
        byk = collections.Counter((r["class"], r["family"], r["kind"], r["command"]) for r in bad)
        first = {}
        for r in bad:
            first.setdefault((r["class"], r["family"], r["kind"], r["command"]), r)
        for (cls, fam, kind, cmd), n in sorted(byk.items(), key=lambda kv: (-kv[1], kv[0])):
            r = first[(cls, fam, kind, cmd)]
            print(f"  {n:4d}  {cls:<12} {fam}:{kind} [{cmd}]  e.g. #{r['index']}: {r['detail'][:110]}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=0) + "\n")
    print(f"\nresults in {args.out}")
    if args.ci and bad:
        per = collections.Counter(r["class"] for r in bad)
        print(f"FAIL: {len(bad)} failing runs (" + ", ".join(f"{c} {per[c]}" for c in FAILING if per[c]) + ")")
        return 1
    if args.ci:
        print("PASS: no crash, hang, silent success, outside read, injection, bad C or invalid JSON")
    return 0


if __name__ == "__main__":
    sys.exit(main())
