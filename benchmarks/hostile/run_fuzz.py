#!/usr/bin/env python3
"""Runs the importer fuzz target (tests/fuzz) for a long time and prints a table of what it found.

libFuzzer runs in fork mode (-fork=JOBS) with -ignore_crashes / -ignore_timeouts / -ignore_ooms,
so that one finding does not end the run: every crash, timeout (-timeout, default 10 s per input),
out-of-memory (-rss_limit_mb, default 2048) and leak is saved in OUT/artifacts/ and the run goes
on. The seed corpus is tests/fuzz/corpus plus examples/models; new inputs go to OUT/corpus/ (give
the same --out again to continue a run). At the end each artifact is replayed once to group the
findings by their first report line.

  run_fuzz.py                         # 30 minutes, builds build-fuzz (-O1) first
  run_fuzz.py --minutes 10 --out /tmp/fuzz-before --fuzzer /tmp/pare-fuzz-before
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def build(opt: str, build_dir: str) -> str:
    r = subprocess.run(["bash", str(ROOT / "tests/fuzz/build.sh"), "--build-dir", build_dir, "--opt", opt],
                       stdout=subprocess.PIPE, text=True)
    if r.returncode == 77:
        sys.exit("run_fuzz.py: error: clang-22 / libclang-rt-22-dev are not installed (scripts/setup.sh)")
    if r.returncode != 0:
        sys.exit("run_fuzz.py: error: the fuzz target does not build")
    return r.stdout.strip().splitlines()[-1]


def first_report_line(fuzzer: str, artifact: Path, timeout: float) -> str:
    """Replays one artifact; returns the line that says what went wrong."""
    try:
        r = subprocess.run([fuzzer, "-runs=1", "-timeout=10", "-rss_limit_mb=2048", str(artifact)],
                           capture_output=True, text=True, errors="replace", timeout=timeout,
                           env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1"))
        out = r.stderr + r.stdout
    except subprocess.TimeoutExpired:
        return "hang on replay"
    pats = [r"SUMMARY: .*", r"==\d+==ERROR: .*", r".*runtime error: .*", r"terminate called.*",
            r"LLVM ERROR: .*", r"ERROR: libFuzzer: .*", r"==\d+== ERROR: libFuzzer: .*"]
    for p in pats:
        m = re.search(p, out)
        if m:
            line = re.sub(r"==\d+==", "", m.group(0))
            line = re.sub(r"0x[0-9a-f]+", "0x..", line)
            return line.strip()[:160]
    return "no report on replay (flaky or depends on state)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("--minutes", type=float, default=30.0, help="fuzzing time (default 30)")
    ap.add_argument("--fuzzer", help="a built pare-fuzz-import (default: build it with tests/fuzz/build.sh)")
    ap.add_argument("--build-dir", default=str(ROOT / "build-fuzz"), help="build directory (default build-fuzz)")
    ap.add_argument("--opt", default="-O1", help="optimisation level of the build (default -O1)")
    ap.add_argument("--out", default=None, help="folder for the corpus, artifacts and log (default /tmp/pare-fuzz-<time>)")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="libFuzzer fork jobs (default 1)")
    ap.add_argument("--timeout", type=int, default=10, help="seconds per input (default 10)")
    ap.add_argument("--rss-mb", type=int, default=2048, help="memory limit per process, MiB (default 2048)")
    ap.add_argument("--seed", type=int, default=1, help="libFuzzer -seed (default 1)")
    ap.add_argument("--no-replay", action="store_true", help="do not replay artifacts to group them")
    args = ap.parse_args()

    fuzzer = str(Path(args.fuzzer).resolve()) if args.fuzzer else build(args.opt, args.build_dir)
    out = Path(args.out or f"/tmp/pare-fuzz-{time.strftime('%Y%m%d-%H%M%S')}")
    corpus, artifacts = out / "corpus", out / "artifacts"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    scratch = out / "tmp"
    scratch.mkdir(exist_ok=True)
    secs = max(1, int(args.minutes * 60))
    cmd = [fuzzer, f"-fork={args.jobs}", "-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1",
           f"-max_total_time={secs}", f"-timeout={args.timeout}", f"-rss_limit_mb={args.rss_mb}",
           f"-seed={args.seed}", "-print_final_stats=1", f"-artifact_prefix={artifacts}/",
           str(corpus), str(ROOT / "tests/fuzz/corpus"), str(ROOT / "examples/models")]
    log = out / "fuzz.log"
    print(f"run_fuzz.py: {' '.join(cmd)}\nrun_fuzz.py: log {log}", flush=True)
    t0 = time.monotonic()
    with open(log, "w") as f:
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=scratch,
                            env=dict(os.environ, TMPDIR=str(scratch))).returncode
    elapsed = time.monotonic() - t0
    text = log.read_text(errors="replace")

    # fork mode: "#N: cov: C ft: F corp: K exec/s: E oom/timeout/crash: O/T/X time: Ss job: J ..."
    stats = re.findall(r"#(\d+): cov: (\d+) ft: (\d+) corp: (\d+) exec/s:? (\d+) "
                       r"oom/timeout/crash: (\d+)/(\d+)/(\d+) time: (\d+)s", text)
    arts = sorted(p for p in artifacts.iterdir() if p.is_file())
    kinds = collections.Counter(p.name.split("-")[0] for p in arts)
    if stats:
        execs, cov, ft, corp, eps, oom, tmo, crash, t = map(int, stats[-1])
    else:  # not fork mode (or it ended before its first report)
        execs = int((re.findall(r"stat::number_of_executed_units: (\d+)", text) or ["0"])[-1])
        cov = int((re.findall(r"cov: (\d+)", text) or ["0"])[-1])
        corp = len(list(corpus.iterdir()))
        eps = int(execs / elapsed) if elapsed else 0
        oom, tmo, crash = kinds["oom"], kinds["timeout"], kinds["crash"]
        t = int(elapsed)
    corpus_files = len(list(corpus.iterdir()))
    print()
    print(f"pare importer fuzzing: {t} s ({elapsed:.0f} s wall), -fork={args.jobs}, -timeout={args.timeout}, "
          f"-rss_limit_mb={args.rss_mb}, seed {args.seed}, libFuzzer exit {rc}")
    print(f"fuzzer: {fuzzer}")
    # libFuzzer's counts leave out what the seed inputs themselves hit; the artifacts hold both
    rows = [("execs", execs), ("exec/s", eps), ("coverage (features: cov)", cov),
            ("corpus (inputs kept)", corp), ("corpus files in OUT/corpus", corpus_files),
            ("crashes incl. sanitizer reports (fuzzing / artifacts)", f"{crash} / {kinds['crash']}"),
            ("timeouts / hangs (fuzzing / artifacts)", f"{tmo} / {kinds['timeout']}"),
            ("OOMs (fuzzing / artifacts)", f"{oom} / {kinds['oom']}"), ("leaks (artifacts)", kinds["leak"]),
            ("artifacts saved", len(arts))]
    w = max(len(r[0]) for r in rows)
    print("| " + "measure".ljust(w) + " | value |")
    print("|" + "-" * (w + 2) + "|------:|")
    for k, v in rows:
        print(f"| {k.ljust(w)} | {v} |")
    if arts and not args.no_replay:
        groups = collections.defaultdict(list)
        for p in arts[:60]:
            groups[(p.name.split("-")[0], first_report_line(fuzzer, p, args.timeout * 3 + 30))].append(p)
        print(f"\nfindings (artifacts grouped by their first report line; {artifacts}):")
        for (kind, line), ps in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            print(f"  {len(ps):3d} x {kind:<8} {line}\n        e.g. {ps[0]}")
    print(f"\nreproduce one: {fuzzer} ARTIFACT")
    return 0


if __name__ == "__main__":
    sys.exit(main())
