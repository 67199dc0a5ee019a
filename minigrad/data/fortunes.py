"""A language-identification corpus from Debian's fortune-cookie packages (offline, real text).

The fortune files are plain text, one entry after another, separated by lines holding only
``%``.  They are installed under ``/usr/share/games/fortunes`` by these packages:

    language   Debian package   files used
    en         fortunes-min     fortunes, literature, riddles
    de         fortunes-de      de/*
    it         fortunes-it      it/*
    es         fortunes-es      es/*   (not es/off: the offensive section)
    pt         fortunes-br      brasil (Brazilian Portuguese)

    sudo apt-get install fortunes-min fortunes-de fortunes-it fortunes-es fortunes-br

Index files (``*.dat``), the ``*.u8`` links (to the same files) and the ASCII-art collections
(de/asciiart, it/banner) are skipped.
"""
import os
import re

import numpy as np

from .. import random as _random
from ._errors import DatasetNotFoundError
from .._check import check_int, check_seed, got

__all__ = ["FORTUNE_LANGUAGES", "fortune_languages", "read_fortunes", "FORTUNES_DIR"]

FORTUNES_DIR = "/usr/share/games/fortunes"
FORTUNE_LANGUAGES = {
    "en": ("fortunes-min", ["fortunes", "literature", "riddles"]),
    "de": ("fortunes-de", ["de"]),
    "it": ("fortunes-it", ["it"]),
    "es": ("fortunes-es", ["es"]),
    "pt": ("fortunes-br", ["brasil"]),
}
_SKIP_DIRS = {"off"}
_SKIP_FILES = {"asciiart", "banner"}
_CONTROL = re.compile(r".\x08|[\x00-\x08\x0b-\x1f\x7f]")   # overstrikes ("_\bx"), controls
_SEPARATOR = re.compile(r"^%\s*$", re.MULTILINE)


def read_fortunes(path):
    """The entries of one fortune file: a list of str (stripped, empty entries dropped).

    The file is read as UTF-8 (Latin-1 if it is not valid UTF-8).
    """
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    text = _CONTROL.sub("", text.replace("\r\n", "\n"))
    return [entry.strip() for entry in _SEPARATOR.split(text) if entry.strip()]


def _fortune_files(path):
    """The fortune files at ``path`` (a file, or a directory walked in sorted order)."""
    if os.path.isfile(path):
        return [path]
    files = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if name.endswith((".dat", ".u8")) or name in _SKIP_FILES or os.path.islink(full):
                continue
            files.append(full)
    return files


def fortune_languages(root=None, languages=None, min_letters=20, max_per_language=None,
                      seed=None):
    """Fortune-cookie texts labelled by language: ``(texts, labels, classes)``.

    Args:
        root: the fortunes directory (else ``$MINIGRAD_FORTUNES``, else
            /usr/share/games/fortunes).
        languages: codes to use, in label order (default: all of ``FORTUNE_LANGUAGES``,
            en de it es pt).
        min_letters: drop entries with fewer letters than this (signatures, one-word jokes).
        max_per_language: keep at most this many entries per language, drawn at random
            (balances the classes: German has far more than the others).
        seed: for that draw; None uses minigrad's generator.
    Returns:
        texts: list of N str; labels: int64 (N,) indices into ``classes``; classes: the
        language codes.
    Raises:
        DatasetNotFoundError: a language's files are missing (names the apt package).
    """
    root = os.fspath(root) if root is not None else (os.environ.get("MINIGRAD_FORTUNES")
                                                     or FORTUNES_DIR)
    if isinstance(languages, (str, bytes)) or not (languages is None
                                                   or hasattr(languages, "__iter__")):
        raise TypeError(f"fortune_languages: languages must be None or a list of codes, got "
                        f"{got(languages)}"
                        + (f"; pass [{languages!r}] for one" if isinstance(languages, str)
                           else ""))
    check_int("fortune_languages", "min_letters", min_letters, low=0)
    check_int("fortune_languages", "max_per_language", max_per_language, low=1, none=True)
    seed = check_seed("fortune_languages", seed)
    classes = list(languages) if languages is not None else list(FORTUNE_LANGUAGES)
    unknown = [c for c in classes if c not in FORTUNE_LANGUAGES]
    if unknown:
        raise ValueError(f"fortune_languages: unknown language(s) {unknown}; expected codes "
                         f"from {list(FORTUNE_LANGUAGES)}")
    missing = [(c, FORTUNE_LANGUAGES[c]) for c in classes
               if not all(os.path.exists(os.path.join(root, p)) for p in FORTUNE_LANGUAGES[c][1])]
    if missing:
        what = ", ".join(f"{c} ({pkg}: {', '.join(os.path.join(root, p) for p in paths)})"
                         for c, (pkg, paths) in missing)
        pkgs = " ".join(pkg for _, (pkg, _) in missing)
        raise DatasetNotFoundError(f"fortune_languages: no fortune files for {what}.  Install "
                                   f"them with `sudo apt-get install {pkgs}` (Debian/Ubuntu), "
                                   f"or point root / $MINIGRAD_FORTUNES at a copy.")
    rng = np.random.default_rng(seed) if seed is not None else _random.generator()
    texts, labels = [], []
    for label, code in enumerate(classes):
        entries = []
        for p in FORTUNE_LANGUAGES[code][1]:
            for f in _fortune_files(os.path.join(root, p)):
                entries += [e for e in read_fortunes(f)
                            if sum(ch.isalpha() for ch in e) >= min_letters]
        if max_per_language is not None and len(entries) > max_per_language:
            keep = np.sort(rng.choice(len(entries), size=max_per_language, replace=False))
            entries = [entries[i] for i in keep]
        texts += entries
        labels += [label] * len(entries)
    return texts, np.asarray(labels, dtype=np.int64), classes
