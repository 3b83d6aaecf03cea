"""Data preparation for the nanogpt_lite template.

Produces, inside ``data/`` next to this file:

  input.txt   the raw text corpus (about 1 MB of plain ASCII text)
  SOURCE.txt  where the corpus came from (printed as well)
  meta.json   the character vocabulary (``chars``: index -> character) and a few facts
  train.bin   the first 90 % of the encoded corpus, uint16 token ids
  val.bin     the last 10 %, uint16 token ids

Where the text comes from, in order of preference:

  1. tiny Shakespeare, downloaded from its usual public URL (5 s timeout);
  2. when there is no network (the usual case inside the experiment sandbox), a corpus built
     from text that Debian packages install: the licence texts in /usr/share/common-licenses,
     Debian's Python policy, and the /usr/share/doc/*/copyright files, read in sorted order,
     reduced to ASCII, with repeated paragraphs dropped;
  3. if that yields too little text (not a Debian system), the docstrings of Python's own
     standard library.

A ``data/input.txt`` that already exists is never replaced (drop your own text there to train on
it), and the encoded files are rebuilt only when missing. Run it directly
(``python prepare.py [--offline] [--force]``) or call ``prepare()`` from Python.
"""

import argparse
import ast
import glob
import gzip
import hashlib
import json
import os
import re
import sys
import sysconfig
import tempfile
import unicodedata
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA_DIR = os.path.join(HERE, "data")

SHAKESPEARE_URL = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
)
DOWNLOAD_TIMEOUT_S = 5
TARGET_CHARS = 1_000_000  # size of the locally built corpus (tiny Shakespeare is ~1.1 MB)
MIN_CHARS = 200_000  # below this a source is topped up by the next fallback
TRAIN_FRACTION = 0.9


# ----------------------------------------------------------------------------- text helpers


def _to_ascii(text):
    """Plain ASCII text: accents folded, tabs expanded, control characters dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFKD", text)
    text = text.encode("ascii", "ignore").decode("ascii")
    text = "\n".join(line.expandtabs(8).rstrip() for line in text.split("\n"))
    text = re.sub(r"[^\n\x20-\x7e]", "", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def _read_text(path):
    """A file's text (gzip-compressed files are decompressed), or None when unreadable."""
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                raw = f.read(4_000_000)
        else:
            with open(path, "rb") as f:
                raw = f.read(4_000_000)
    except OSError:
        return None
    if b"\x00" in raw:  # binary, not text
        return None
    return raw.decode("utf-8", errors="replace")


class _CorpusBuilder:
    """Accumulates paragraphs, skipping long ones seen before (licence texts repeat a lot)."""

    def __init__(self, target_chars):
        self.target = target_chars
        self.parts = []
        self.size = 0
        self.seen = set()
        self.used = {}  # source label -> number of documents that contributed

    def full(self):
        return self.size >= self.target

    def add_document(self, text, label):
        if self.full() or not text:
            return
        kept = []
        for para in re.split(r"\n\s*\n", _to_ascii(text)):
            if not para.strip():
                continue
            if len(para) >= 80:  # short lines ("License: GPL-2+") may repeat; long ones not
                key = hashlib.sha1(" ".join(para.split()).lower().encode()).digest()
                if key in self.seen:
                    continue
                self.seen.add(key)
            kept.append(para)
        if not kept:
            return
        chunk = "\n\n".join(kept) + "\n\n"
        self.parts.append(chunk)
        self.size += len(chunk)
        self.used[label] = self.used.get(label, 0) + 1

    def text(self):
        return "".join(self.parts)[: self.target + 50_000]


def _debian_documents():
    """(label, path) pairs of text that Debian packages install, in a fixed order."""
    docs = []
    for path in sorted(glob.glob("/usr/share/common-licenses/*")):
        docs.append(("/usr/share/common-licenses/*", path))
    for path in sorted(glob.glob("/usr/share/doc/python3*/python-policy.txt*")):
        docs.append(("/usr/share/doc/python3*/python-policy.txt", path))
    for path in sorted(glob.glob("/usr/share/doc/*/copyright")):
        docs.append(("/usr/share/doc/*/copyright", path))
    return docs


def _stdlib_docstrings():
    """Docstrings of the standard library's modules, sorted by file name."""
    stdlib = sysconfig.get_paths()["stdlib"]
    for path in sorted(glob.glob(os.path.join(stdlib, "*.py"))):
        source = _read_text(path)
        if source is None:
            continue
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        for node in [tree] + list(ast.walk(tree)):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)):
                doc = ast.get_docstring(node)
                if doc and len(doc) > 40:
                    yield doc


# ----------------------------------------------------------------------------- corpus sources


def _download_shakespeare():
    """tiny Shakespeare's text, or None when it cannot be fetched."""
    try:
        with urllib.request.urlopen(SHAKESPEARE_URL, timeout=DOWNLOAD_TIMEOUT_S) as resp:
            raw = resp.read()
    except Exception as exc:  # no network, DNS failure, timeout, HTTP error, ...
        print(f"[prepare] download of tiny Shakespeare failed ({exc}); building a local corpus")
        return None
    text = raw.decode("utf-8", errors="replace")
    if len(text) < 100_000 or "\x00" in text:
        print("[prepare] downloaded text does not look like tiny Shakespeare; ignoring it")
        return None
    return text


def _build_local_corpus():
    """(text, description) of a corpus built from files already on this machine."""
    builder = _CorpusBuilder(TARGET_CHARS)
    for label, path in _debian_documents():
        if builder.full():
            break
        builder.add_document(_read_text(path), label)
    if builder.size < MIN_CHARS:
        for doc in _stdlib_docstrings():
            if builder.full():
                break
            builder.add_document(doc, "python standard library docstrings")
    text = builder.text()
    lines = [f"{n} documents from {label}" for label, n in builder.used.items()]
    return text, lines


def _atomic_write(path, data, mode="w"):
    """Writes a file via a temporary file and a rename, so readers never see half of it."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp_")
    try:
        with os.fdopen(fd, mode) as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates files readable by their owner only
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _make_input(data_dir, offline):
    """Creates data/input.txt and data/SOURCE.txt; returns the source's short name."""
    text = None if offline else _download_shakespeare()
    if text is not None:
        source = "tiny_shakespeare"
        description = [
            "tiny Shakespeare (the usual character-level corpus)",
            f"downloaded from {SHAKESPEARE_URL}",
        ]
    else:
        text, used = _build_local_corpus()
        if len(text) < 10_000:
            raise RuntimeError("could not build a text corpus: no network and no local text")
        source = "debian_docs"
        description = [
            "local corpus built from text installed by Debian packages "
            "(no network, or download disabled)",
            *used,
            "files read in sorted order, reduced to ASCII, repeated paragraphs dropped",
        ]
    digest = hashlib.sha256(text.encode()).hexdigest()
    description.append(f"{len(text)} characters, sha256 {digest}")
    _atomic_write(os.path.join(data_dir, "input.txt"), text)
    _atomic_write(
        os.path.join(data_dir, "SOURCE.txt"), f"source: {source}\n" + "\n".join(description) + "\n"
    )
    return source


# ----------------------------------------------------------------------------- entry point


def prepare(data_dir=DEFAULT_DATA_DIR, offline=None, force=False):
    """Makes sure data_dir holds input.txt, SOURCE.txt, meta.json, train.bin and val.bin.

    Returns the contents of meta.json. Does nothing (beyond reading meta.json) when everything
    is already there; ``force`` rebuilds the encoded files (never input.txt).
    """
    import numpy as np  # imported here so that ``--help`` works without numpy

    if offline is None:
        offline = os.environ.get("NANOGPT_LITE_OFFLINE", "") not in ("", "0")
    os.makedirs(data_dir, exist_ok=True)
    input_path = os.path.join(data_dir, "input.txt")
    source_path = os.path.join(data_dir, "SOURCE.txt")
    meta_path = os.path.join(data_dir, "meta.json")
    bins = [os.path.join(data_dir, name) for name in ("train.bin", "val.bin")]

    if os.path.exists(input_path):
        print(f"[prepare] using existing {input_path}")
        if not os.path.exists(source_path):
            _atomic_write(source_path, "source: user_provided\ninput.txt was provided by hand\n")
    else:
        _make_input(data_dir, offline)
    with open(source_path) as f:
        source_text = f.read()
    source = source_text.splitlines()[0].split(":", 1)[1].strip()
    details = source_text.strip().splitlines()[1:]
    print(f"[prepare] corpus source: {source}" + "".join("\n[prepare]   " + d for d in details))

    if not force and os.path.exists(meta_path) and all(os.path.exists(b) for b in bins):
        with open(meta_path) as f:
            return json.load(f)

    with open(input_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    chars = sorted(set(text))
    if len(chars) >= 2**16:
        raise RuntimeError("vocabulary too large for uint16 token ids")
    stoi = {ch: i for i, ch in enumerate(chars)}
    ids = np.array([stoi[ch] for ch in text], dtype=np.uint16)
    n_train = int(len(ids) * TRAIN_FRACTION)
    _atomic_write(bins[0], ids[:n_train].tobytes(), mode="wb")
    _atomic_write(bins[1], ids[n_train:].tobytes(), mode="wb")
    meta = {
        "source": source,
        "vocab_size": len(chars),
        "chars": chars,  # token id -> character
        "n_chars": len(ids),
        "n_train": n_train,
        "n_val": len(ids) - n_train,
        "dtype": "uint16",
    }
    _atomic_write(meta_path, json.dumps(meta, indent=1))
    print(
        f"[prepare] {len(ids)} characters, vocabulary {len(chars)}, "
        f"train {n_train}, val {len(ids) - n_train} -> {data_dir}"
    )
    return meta


def main(argv=None):
    parser = argparse.ArgumentParser(description="Prepare the character-level corpus.")
    parser.add_argument("--data_dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--offline", action="store_true", help="do not try to download")
    parser.add_argument("--force", action="store_true", help="re-encode even if encoded")
    args = parser.parse_args(argv)
    prepare(args.data_dir, offline=args.offline or None, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
