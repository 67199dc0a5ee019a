"""Text: a tokenizer, a vocabulary that turns texts into padded int64 arrays, and loaders for
labelled texts (a folder per class, or a CSV file)."""
import collections
import csv
import os
import re
import unicodedata

import numpy as np

from .._check import check_callable, check_int, got, is_int

__all__ = ["tokenize", "Vocabulary", "load_text_folder", "load_text_csv"]

class _Separators(dict):
    """``str.translate`` table: letters and combining marks map to themselves, everything else
    to a space.  Filled lazily (``__missing__`` runs once per distinct character; later
    lookups stay in C)."""

    def __missing__(self, code):
        ch = chr(code)
        keep = ch.isalpha() or unicodedata.category(ch)[0] == "M"
        self[code] = code if keep else 32
        return self[code]


_SEPARATORS = _Separators()


def _is_mark(ch):
    return unicodedata.category(ch)[0] == "M"


def tokenize(text):
    """Lowercase words of ``text``: runs of Unicode letters (with their combining marks);
    digits, punctuation, underscores and spaces separate them.

    >>> tokenize("Ça va? L'été 2024, très_bien!")
    ['ça', 'va', 'l', 'été', 'très', 'bien']
    """
    tokens = unicodedata.normalize("NFC", text).lower().translate(_SEPARATORS).split()
    out = []
    for t in tokens:
        if _is_mark(t[0]):              # a mark after a non-letter has nothing to modify
            t = t.lstrip("".join(ch for ch in t if _is_mark(ch)))
            if not t:
                continue
        out.append(t)
    return out


class Vocabulary:
    """A token ↔ index table built from texts; index 0 is padding, 1 the out-of-vocabulary token.

    Args:
        min_freq: keep tokens seen at least this many times.
        max_size: at most this many entries in all (the two special tokens included); the
            most frequent tokens win, ties broken alphabetically.
        pad_token, oov_token: the special tokens' spellings.
        tokenizer: str -> list of str (default :func:`tokenize`).

    >>> vocab = Vocabulary(min_freq=2).build(train_texts)
    >>> ids = vocab.encode_batch(train_texts, max_len=64)    # int64 (N, 64), 0-padded
    """

    def __init__(self, min_freq=1, max_size=None, pad_token="<pad>", oov_token="<unk>",
                 tokenizer=tokenize):
        check_int("Vocabulary", "min_freq", min_freq, low=1)
        check_int("Vocabulary", "max_size", max_size, low=2, none=True)
        for name, token in (("pad_token", pad_token), ("oov_token", oov_token)):
            if not isinstance(token, str):
                raise TypeError(f"Vocabulary: {name} must be a str, got {got(token)}")
        if pad_token == oov_token:
            raise ValueError(f"Vocabulary: pad_token and oov_token must differ, both are "
                             f"{pad_token!r}")
        check_callable("Vocabulary", "tokenizer", tokenizer)
        self.min_freq, self.max_size = min_freq, max_size
        self.pad_token, self.oov_token = pad_token, oov_token
        self.tokenizer = tokenizer
        self.itos = [pad_token, oov_token]
        self.stoi = {pad_token: 0, oov_token: 1}
        self.counts = collections.Counter()

    pad_index = 0
    oov_index = 1

    def build(self, texts):
        """Count the tokens of ``texts`` (an iterable of str) and fill the table; returns self."""
        texts = _texts("Vocabulary.build", texts, self.tokenizer is tokenize)
        for text in texts:
            self.counts.update(self.tokenizer(text))
        kept = sorted((t for t, c in self.counts.items()
                       if c >= self.min_freq and t not in self.stoi),
                      key=lambda t: (-self.counts[t], t))
        if self.max_size is not None:
            kept = kept[:max(0, self.max_size - len(self.itos))]
        for t in kept:
            self.stoi[t] = len(self.itos)
            self.itos.append(t)
        return self

    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return token in self.stoi

    def encode(self, text):
        """Token indices of ``text``: a list of int (unknown tokens → ``oov_index``)."""
        if self.tokenizer is tokenize and not isinstance(text, str):
            raise TypeError(f"Vocabulary.encode: text must be a str, got {got(text)}")
        return [self.stoi.get(t, self.oov_index) for t in self.tokenizer(text)]

    def decode(self, ids):
        """The tokens of ``ids`` joined by spaces, padding dropped."""
        ids = _ids("Vocabulary.decode", ids, len(self.itos))
        return " ".join(self.itos[i] for i in ids if i != self.pad_index)

    def encode_batch(self, texts, max_len=None):
        """Padded index array of ``texts``: int64 (N, L), L = ``max_len`` or the longest text.

        Longer texts are truncated to their first L tokens; shorter ones padded with 0.
        """
        texts = _texts("Vocabulary.encode_batch", texts, self.tokenizer is tokenize)
        check_int("Vocabulary.encode_batch", "max_len", max_len, low=0, none=True)
        encoded = [self.encode(t) for t in texts]
        length = max_len if max_len is not None else max((len(e) for e in encoded), default=0)
        out = np.full((len(encoded), length), self.pad_index, dtype=np.int64)
        for i, ids in enumerate(encoded):
            ids = ids[:length]
            out[i, :len(ids)] = ids
        return out

    def __repr__(self):
        return f"Vocabulary({len(self)} tokens, min_freq={self.min_freq})"


def _texts(who, texts, strings=True):
    """``texts`` as a list (of str when ``strings``): a lone str, whose characters would be
    the texts, is refused."""
    if isinstance(texts, (str, bytes)) or not hasattr(texts, "__iter__"):
        raise TypeError(f"{who}: texts must be a list of str, got {got(texts)}"
                        + ("; pass [text] for one text" if isinstance(texts, str) else ""))
    texts = list(texts)
    for i, text in enumerate(texts if strings else ()):
        if not isinstance(text, str):
            raise TypeError(f"{who}: texts[{i}] must be a str, got {got(text)}")
    return texts


def _ids(who, ids, size):
    """``ids`` (a list, array or Tensor of ints in [0, size)) as a list of int."""
    if hasattr(ids, "tolist"):
        ids = ids.tolist()
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
        raise TypeError(f"{who}: ids must be a sequence of ints, got {got(ids)}")
    ids = list(ids)
    for i in ids:
        if not is_int(i):
            raise TypeError(f"{who}: ids must be ints, got {got(i)}")
        if not 0 <= i < size:
            raise ValueError(f"{who}: ids must be in [0, {size}) for a vocabulary of {size}, "
                             f"got {i}")
    return [int(i) for i in ids]


def _classes(raw_labels):
    """Sorted class names (numerically when all are integers) and int64 labels (N,)."""
    names = sorted(set(raw_labels))
    if names and all(re.fullmatch(r"-?\d+", n) for n in names):
        names = sorted(names, key=int)
    index = {n: i for i, n in enumerate(names)}
    return np.asarray([index[n] for n in raw_labels], dtype=np.int64), names


def load_text_folder(root, encoding="utf-8"):
    """Texts from ``root/<class>/<file>``, one file per text: ``(texts, labels, classes)``.

    Classes are the sub-folder names, sorted; hidden files and folders are skipped.
    Returns: texts list of N str, labels int64 (N,), classes list of K str.
    """
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"load_text_folder: {root} is not a directory; expected one "
                                f"sub-folder per class holding text files")
    classes = sorted(d for d in os.listdir(root)
                     if os.path.isdir(os.path.join(root, d)) and not d.startswith("."))
    if not classes:
        raise ValueError(f"load_text_folder: {root} has no sub-folders; expected one per class")
    texts, labels = [], []
    for label, name in enumerate(classes):
        folder = os.path.join(root, name)
        for fname in sorted(os.listdir(folder)):
            path = os.path.join(folder, fname)
            if fname.startswith(".") or not os.path.isfile(path):
                continue
            with open(path, encoding=encoding) as f:
                texts.append(f.read())
            labels.append(label)
    return texts, np.asarray(labels, dtype=np.int64), classes


def load_text_csv(path, text_column="text", label_column="label", delimiter=",",
                  encoding="utf-8"):
    """Texts and labels from a CSV file with a header row: ``(texts, labels, classes)``.

    Args:
        text_column, label_column: column names (or 0-based positions).
    Returns: texts list of N str, labels int64 (N,) indices into classes (the distinct label
    values, sorted; numerically when all are integers).
    """
    path = os.fspath(path)
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise TypeError(f"load_text_csv: delimiter must be a 1-character str, got "
                        f"{got(delimiter)}")
    for name, key in (("text_column", text_column), ("label_column", label_column)):
        if not (isinstance(key, str) or is_int(key)):
            raise TypeError(f"load_text_csv: {name} must be a column name (str) or a 0-based "
                            f"position (int), got {got(key)}")
    with open(path, newline="", encoding=encoding) as f:
        rows = list(csv.reader(f, delimiter=delimiter))
    if not rows:
        raise ValueError(f"{path}: empty file; expected a header row, then (text, label) rows")
    header, rows = rows[0], rows[1:]

    def column(key):
        if is_int(key):
            if not 0 <= key < len(header):
                raise ValueError(f"{path}: column {key} out of range for {len(header)} columns")
            return int(key)
        if key not in header:
            raise ValueError(f"{path}: no column {key!r}; the header has {header}")
        return header.index(key)

    t, y = column(text_column), column(label_column)
    for i, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise ValueError(f"{path}, line {i}: {len(row)} fields, expected {len(header)} "
                             f"like the header")
    texts = [row[t] for row in rows]
    labels, classes = _classes([row[y] for row in rows])
    return texts, labels, classes
