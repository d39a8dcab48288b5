#!/usr/bin/env python3
"""Which of the compiler's diagnostics does some test pin? A literal-match heuristic.

    scripts/diagnostic_coverage.py [--uncovered] [--folder codegen] [--json]

Lists every diagnostic string literal in the C++ sources of codegen/, compiler/, dialects/,
frontends/ and tools/: the message given to emitError, emitOpError, emitWarning, emitRemark,
notifyMatchFailure, printError, and the local reporting helpers error (the importer's), fail,
refuse and unsupported (the emitters'), whether passed as an argument or streamed with <<. The
message of a call is its first string literal with at least three letters. A message counts as
covered when its first 25 characters (C++ escapes undone) occur in some file under tests/: the
heuristic of the structure review behind issue 14 (../shared/docs/structure-review.md), which
found 151 of 356 covered.

Messages that no input can trigger are exempt rather than untested: every "internal: ..."
diagnostic (an invariant of the pipeline, e.g. an emitter finding IR no pass produces), and the
entries of EXEMPT below, each with its reason. Prints per-folder counts (covered / not exempt) and,
with --uncovered, every message that is neither covered nor exempt, with its file and line.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
FOLDERS = ["codegen", "compiler", "dialects", "frontends", "tools"]
DIAG_FUNCS = {
    "emitError", "emitOpError", "emitWarning", "emitRemark", "notifyMatchFailure", "printError",
    "error", "fail", "refuse", "unsupported",
}
PREFIX = 25

# Message prefix (as in the source) -> why no test can reach it. "internal: ..." messages are
# exempt without an entry.
EXEMPT: Dict[str, str] = {
    "NCHW convolution": "the graph pipeline (pare-convert-to-nhwc) makes every conv NHWC before codegen",
    "NCHW pooling": "the graph pipeline (pare-convert-to-nhwc) makes every pool NHWC before codegen",
    "NCHW global pooling": "the graph pipeline (pare-convert-to-nhwc) makes every pool NHWC before codegen",
    "scatter_nd of this element type": "every tensor's element type is checked first ('the C target has no type "
                                       "for element type')",
    "cast between these element types": "every tensor's element type is checked first ('the C target has no "
                                        "type for element type')",
    "a temporal shift of this element type": "every tensor's element type is checked first ('the C target has "
                                             "no type for element type')",
    "this op inside a patch stage": "the patch planner admits only the ops the tile emitter handles "
                                    "(isPatchable, dialects/Pare/Analysis/Patches.cpp)",
    "a temporal shift inside a patch stage": "the patch planner admits no temporal shift (isPatchable)",
    "a convolution through a temporal shift inside": "the patch planner admits no shifted conv (isPatchable)",
    "a depthwise convolution through a temporal shift": "the check before it requires group 1, and a "
                                                        "depthwise conv has group = channels > 1",
    "uint8 requantization": "LowerQuantized makes uint8 tensors int8 inside the graph: only the uint8 <-> "
                            "int8 flips at the edges reach the emitter",
    "calibration needs at least one sample": "loadSamples refuses an empty sample set first ('no calibration "
                                             "samples ...')",
    "no C kernel for this op": "every op the pipeline leaves has a C table entry (checked against PareOps.td: "
                               "reduce_l1 / l2 canonicalize away, reshape-like ops and constants are aliases "
                               "or weights); the CUDA counterpart is tested",
    "--target of pare profile must be a Cortex-M core": "CLI11 checks --target against the four cores first "
                                                         "(tools/pare/pare.cpp)",
    "--rtol and --atol must be finite numbers": "the CLI's validator refuses them first (tools/pare/pare.cpp)",
    "no output directory: pass -o DIR": "CLI11 requires -o and refuses an empty value first",
}


@dataclass
class Message:
    file: str
    line: int
    func: str
    text: str
    covered: bool = False
    exempt: Optional[str] = None

    @property
    def folder(self) -> str:
        return self.file.split("/", 1)[0]


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"', "0": "\0", "r": "\r", "a": "\a", "?": "?"}


def unescape(s: str) -> str:
    return re.sub(r"\\(x[0-9a-fA-F]+|.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)
                                                                  if not m.group(1).startswith("x")
                                                                  else chr(int(m.group(1)[1:], 16))), s)


def tokenize(src: str) -> List[Tuple[str, str, int]]:
    """(kind, text, offset) of identifiers, string literals and punctuation; comments and
    character literals are dropped, raw strings kept as strings."""
    toks: List[Tuple[str, str, int]] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            i = src.find("\n", i)
            i = n if i < 0 else i
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == "R" and src.startswith('R"', i):
            m = re.match(r'R"([^(\s]*)\(', src[i:])
            if m:
                end = src.find(")" + m.group(1) + '"', i + m.end())
                end = n if end < 0 else end
                toks.append(("str", src[i + m.end():end], i))
                i = end + len(m.group(1)) + 2
            else:
                toks.append(("id", "R", i))
                i += 1
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            toks.append(("str", unescape(src[i + 1:j]), i))
            i = j + 1
        elif c == "'":
            j = i + 1
            while j < n and src[j] != "'":
                j += 2 if src[j] == "\\" else 1
            i = j + 1
        elif c.isalpha() or c == "_":
            m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", src[i:])
            toks.append(("id", m.group(0), i))
            i += m.end()
        elif c.isspace():
            i += 1
        else:
            toks.append(("p", c, i))
            i += 1
    return toks


def messages_in(path: Path) -> List[Message]:
    src = path.read_text(errors="replace")
    toks = tokenize(src)
    rel = path.relative_to(REPO).as_posix()
    out: List[Message] = []
    for k, (kind, text, off) in enumerate(toks):
        if kind != "id" or text not in DIAG_FUNCS or k + 1 >= len(toks) or toks[k + 1][1] != "(":
            continue
        # A declaration or definition (`LogicalResult fail(...) {`, `auto fail = [&](...)`) is
        # not a call: skip when the name follows a type-like identifier.
        if k > 0 and toks[k - 1][0] == "id" and toks[k - 1][1] not in ("return", "else", "co_return"):
            continue
        # The statement: up to the `;` (or an unbalanced `)` / `}`) at the call's depth.
        depth, j = 0, k + 1
        lits: List[str] = []
        while j < len(toks):
            t = toks[j]
            if t[1] in "([{" and t[0] == "p":
                depth += 1
            elif t[1] in ")]}" and t[0] == "p":
                depth -= 1
                if depth < 0:
                    break
            elif t[1] == ";" and t[0] == "p" and depth <= 0:
                break
            elif t[0] == "str":
                lits.append(t[1])
            j += 1
        msg = next((s for s in lits if len(re.findall(r"[A-Za-z]", s)) >= 3), None)
        if msg is None:
            continue
        out.append(Message(rel, src.count("\n", 0, off) + 1, text, msg))
    return out


def test_corpus() -> str:
    parts = []
    for p in sorted((REPO / "tests").rglob("*")):
        if p.is_file() and p.stat().st_size < (4 << 20):
            try:
                parts.append(p.read_text())
            except UnicodeDecodeError:
                continue
    return "\n".join(parts)


def collect() -> List[Message]:
    msgs: List[Message] = []
    for folder in FOLDERS:
        for p in sorted((REPO / folder).rglob("*")):
            if p.suffix in (".cpp", ".h") and p.is_file():
                msgs += messages_in(p)
    corpus = test_corpus()
    for m in msgs:
        key = m.text.strip()[:PREFIX]
        m.covered = key in corpus
        if m.text.lstrip().startswith("internal"):
            m.exempt = "internal invariant (no input reaches it)"
        else:
            m.exempt = next((why for pre, why in EXEMPT.items() if m.text.startswith(pre)), None)
    return msgs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uncovered", action="store_true", help="list the messages neither covered nor exempt")
    ap.add_argument("--folder", choices=FOLDERS, action="append", help="only this top-level folder (repeatable)")
    ap.add_argument("--json", action="store_true", help="print every message as JSON")
    args = ap.parse_args()
    msgs = [m for m in collect() if not args.folder or m.folder in args.folder]
    if args.json:
        print(json.dumps([m.__dict__ | {"folder": m.folder} for m in msgs], indent=2))
        return 0
    total = sum(1 for m in msgs)
    cov = sum(1 for m in msgs if m.covered)
    ex = sum(1 for m in msgs if m.exempt and not m.covered)
    print(f"{total} diagnostic messages; {cov} ({100 * cov / max(1, total):.0f}%) pinned by a test, "
          f"{ex} more exempt, {total - cov - ex} untested")
    print(f"{'folder':<12}{'messages':>9}{'pinned':>8}{'exempt':>8}{'untested':>10}")
    for folder in FOLDERS:
        fm = [m for m in msgs if m.folder == folder]
        if not fm:
            continue
        c = sum(1 for m in fm if m.covered)
        e = sum(1 for m in fm if m.exempt and not m.covered)
        print(f"{folder:<12}{len(fm):>9}{c:>8}{e:>8}{len(fm) - c - e:>10}")
    if args.uncovered:
        print("\nuntested (first 25 characters in no file under tests/):")
        for m in msgs:
            if not m.covered and not m.exempt:
                print(f"  {m.file}:{m.line}: {m.func}: {m.text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
