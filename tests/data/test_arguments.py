"""Every size, fraction, index, seed and flag argument of minigrad.data's transforms, text
tools and dataset loaders is checked where it is given: a TypeError for a wrong type, a
ValueError for a wrong value, naming the function, the argument, what was expected and what
was got (DataLoader, Subset and random_split: tests/data/test_dataloader.py)."""
import numpy as np
import pytest

import minigrad
from minigrad.data import datasets, shakespeare, text, transforms
from minigrad.data.fortunes import fortune_languages

VOCAB = text.Vocabulary().build(["the cat sat", "the dog"])
CHARS = shakespeare.CharVocab("hello")

CASES = [
    # transforms
    (lambda: transforms.Compose(transforms.ToFloat()), TypeError,
     ["Compose: transforms must be a list of callables", "ToFloat", "Compose([t])"]),
    (lambda: transforms.Compose([transforms.ToFloat(), 3]), TypeError,
     ["Compose: transforms[1] must be a callable", "3 (int)"]),
    (lambda: transforms.ToFloat(scale="1/255"), TypeError, ["ToFloat: scale", "'1/255' (str)"]),
    (lambda: transforms.ToFloat(dtype=np.int32), TypeError, ["ToFloat: dtype", "int32"]),
    (lambda: transforms.Normalize("0.5", 0.2), TypeError, ["Normalize: mean", "'0.5' (str)"]),
    (lambda: transforms.Normalize(0.5, float("nan")), ValueError, ["Normalize: std",
                                                                   "finite", "nan"]),
    (lambda: transforms.Normalize(0.5, [1.0, -1.0]), ValueError, ["Normalize: std",
                                                                  "positive", "-1.0"]),
    (lambda: transforms.RandomCrop(2.5), TypeError, ["RandomCrop: size", "2.5 (float)"]),
    (lambda: transforms.RandomCrop((2.5, 3)), TypeError, ["RandomCrop: size",
                                                          "(2.5, 3) (tuple)"]),
    (lambda: transforms.RandomCrop((0, 3)), ValueError, ["RandomCrop: size", "ints ≥ 1",
                                                         "(0, 3)"]),
    (lambda: transforms.RandomCrop(4, padding=1.5), TypeError, ["RandomCrop: padding",
                                                                "1.5 (float)"]),
    (lambda: transforms.RandomCrop(4, padding=-1), ValueError, ["RandomCrop: padding",
                                                                "int ≥ 0", "got -1"]),
    (lambda: transforms.RandomCrop(4, seed="abc"), TypeError, ["RandomCrop: seed",
                                                               "'abc' (str)"]),
    (lambda: transforms.RandomHorizontalFlip(p="0.5"), TypeError,
     ["RandomHorizontalFlip: p", "'0.5' (str)"]),
    (lambda: transforms.RandomHorizontalFlip(p=True), TypeError,
     ["RandomHorizontalFlip: p", "True (bool)"]),
    (lambda: transforms.RandomHorizontalFlip(p=1.5), ValueError,
     ["RandomHorizontalFlip: p", "[0, 1]", "1.5"]),
    (lambda: transforms.RandomHorizontalFlip(seed=-3), ValueError,
     ["RandomHorizontalFlip: seed", "int ≥ 0", "-3"]),
    (lambda: transforms.RandomRotation(float("nan")), ValueError, ["RandomRotation: degrees",
                                                                   "nan"]),
    (lambda: transforms.RandomRotation(-5), ValueError, ["RandomRotation: degrees", "≥ 0",
                                                         "-5"]),
    (lambda: transforms.RandomRotation((10, -10)), ValueError,
     ["RandomRotation: degrees", "low ≤ high", "(10, -10)"]),
    (lambda: transforms.RandomRotation("10"), TypeError, ["RandomRotation: degrees",
                                                          "'10' (str)"]),
    (lambda: transforms.RandomRotation(10, interpolation=1), TypeError,
     ["RandomRotation: interpolation", "'bilinear' or 'nearest'", "1 (int)"]),
    (lambda: transforms.RandomRotation(10, fill="white"), TypeError,
     ["RandomRotation: fill", "'white' (str)"]),
    (lambda: transforms.to_categorical([0, 1], num_classes=2.5), TypeError,
     ["to_categorical: num_classes", "2.5 (float)"]),
    (lambda: transforms.to_categorical([0, 1], num_classes=0), ValueError,
     ["to_categorical: num_classes", "int ≥ 1", "got 0"]),
    # text
    (lambda: text.Vocabulary(min_freq=0), ValueError, ["Vocabulary: min_freq", "int ≥ 1",
                                                       "got 0"]),
    (lambda: text.Vocabulary(min_freq=1.5), TypeError, ["Vocabulary: min_freq",
                                                        "1.5 (float)"]),
    (lambda: text.Vocabulary(max_size="10"), TypeError, ["Vocabulary: max_size",
                                                         "'10' (str)"]),
    (lambda: text.Vocabulary(max_size=1), ValueError, ["Vocabulary: max_size", "int ≥ 2",
                                                       "got 1"]),
    (lambda: text.Vocabulary(pad_token="<x>", oov_token="<x>"), ValueError,
     ["Vocabulary: pad_token and oov_token must differ", "'<x>'"]),
    (lambda: text.Vocabulary(tokenizer="split"), TypeError, ["Vocabulary: tokenizer",
                                                             "'split' (str)"]),
    (lambda: text.Vocabulary().build("one text"), TypeError,
     ["Vocabulary.build: texts must be a list of str", "'one text' (str)", "[text]"]),
    (lambda: VOCAB.encode_batch(["the cat"], max_len=2.0), TypeError,
     ["Vocabulary.encode_batch: max_len", "2.0 (float)"]),
    (lambda: VOCAB.encode_batch(["the cat"], max_len=-1), ValueError,
     ["Vocabulary.encode_batch: max_len", "int ≥ 0", "got -1"]),
    (lambda: VOCAB.encode_batch([3]), TypeError, ["Vocabulary.encode_batch: texts[0]",
                                                  "3 (int)"]),
    (lambda: VOCAB.decode([2, 99]), ValueError, ["Vocabulary.decode: ids", "[0, 6)",
                                                 "got 99"]),
    (lambda: VOCAB.decode([2.5]), TypeError, ["Vocabulary.decode: ids", "2.5 (float)"]),
    (lambda: CHARS.decode([0, 4]), ValueError, ["CharVocab.decode: ids", "[0, 4)", "got 4"]),
    (lambda: CHARS.decode([-1]), ValueError, ["CharVocab.decode: ids", "got -1"]),
    (lambda: CHARS.encode(["h"]), TypeError, ["CharVocab.encode: text", "list"]),
    (lambda: shakespeare.shakespeare_chars(val_fraction="0.1"), TypeError,
     ["shakespeare_chars: val_fraction", "'0.1' (str)"]),
    (lambda: shakespeare.shakespeare_chars(val_fraction=1.0), ValueError,
     ["shakespeare_chars: val_fraction", "(0, 1)", "1.0"]),
    # dataset loaders (all refused before any file is looked for)
    (lambda: fortune_languages(languages="en"), TypeError,
     ["fortune_languages: languages", "'en' (str)", "['en']"]),
    (lambda: fortune_languages(min_letters=2.5), TypeError,
     ["fortune_languages: min_letters", "2.5 (float)"]),
    (lambda: fortune_languages(max_per_language=0), ValueError,
     ["fortune_languages: max_per_language", "int ≥ 1", "got 0"]),
    (lambda: fortune_languages(seed="x"), TypeError, ["fortune_languages: seed", "'x' (str)"]),
    (lambda: datasets.mnist(download="no"), TypeError, ["mnist: download", "'no' (str)"]),
    (lambda: datasets.fashion_mnist(as_float=1), TypeError,
     ["fashion_mnist: as_float", "1 (int)"]),
    (lambda: datasets.mnist(timeout=0), ValueError, ["mnist: timeout", "> 0", "got 0"]),
    (lambda: datasets.locate("mnist", download=None), TypeError,
     ["locate: download", "None (NoneType)"]),
    (lambda: datasets.download_url("file:///x", "/tmp/x", sha256="abc"), ValueError,
     ["download_url: sha256", "64 hex digits", "'abc'"]),
    (lambda: datasets.download_files("mnist", "/tmp/x", mirrors="http://a/"), TypeError,
     ["download_files: mirrors", "'http://a/' (str)"]),
]


@pytest.mark.parametrize("call, error, says", CASES,
                         ids=[says[0].split(":")[0] + f"-{i}" for i, (_, _, says)
                              in enumerate(CASES)])
def test_bad_argument_is_named(call, error, says, monkeypatch, tmp_path):
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))          # nothing found, nothing
    monkeypatch.setattr(datasets, "_open_url", _no_network)     # fetched
    minigrad.manual_seed(0)
    before = minigrad.random.get_state()
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert all(piece in message for piece in says), message
    assert minigrad.random.get_state() == before


def _no_network(url, timeout):
    raise AssertionError(f"an argument check let a download of {url} start")
