"""Tokenizer, Vocabulary and the labelled-text loaders."""
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.data import Vocabulary, load_text_csv, load_text_folder, tokenize


def test_tokenize_unicode_letters():
    assert tokenize("Ça va? L'été 2024, très_bien!") == ["ça", "va", "l", "été", "très", "bien"]
    assert tokenize("Größe ÜBER straße") == ["größe", "über", "straße"]
    assert tokenize("Cafe\u0301") == ["café"]                 # decomposed é: NFC first
    assert tokenize("123 ... --") == []


def is_letter_or_mark(ch):
    return ch.isalpha() or unicodedata.category(ch)[0] == "M"


@settings(max_examples=300)
@given(st.text())
def test_tokens_are_lowercase_letter_runs(text):
    tokens = tokenize(text)
    for token in tokens:
        assert token[0].isalpha() and all(is_letter_or_mark(ch) for ch in token)
        assert token == token.lower()
    letters = sum(ch.isalpha() for ch in unicodedata.normalize("NFC", text).lower())
    assert sum(ch.isalpha() for t in tokens for ch in t) == letters     # no letter lost


def test_tokenize_keeps_non_latin_words():
    assert tokenize("हिन्दी भाषा, Ελληνικά! Русский") == ["हिन्दी", "भाषा", "ελληνικά", "русский"]
    assert tokenize("x²y Ⅻ") == ["x", "y"]


TEXTS = ["the cat sat", "the dog sat", "the cat ran", "a bird"]


def test_vocabulary_order_min_freq_and_max_size():
    v = Vocabulary().build(TEXTS)
    assert v.itos[:2] == ["<pad>", "<unk>"] and v.pad_index == 0 and v.oov_index == 1
    assert v.itos[2:5] == ["the", "cat", "sat"]             # by count, then alphabetically
    assert len(v) == 2 + 7 and "dog" in v
    assert Vocabulary(min_freq=2).build(TEXTS).itos == ["<pad>", "<unk>", "the", "cat", "sat"]
    assert len(Vocabulary(max_size=4).build(TEXTS)) == 4


def test_encode_decode_and_oov():
    v = Vocabulary(min_freq=2).build(TEXTS)
    ids = v.encode("The cat flew")
    assert ids == [v.stoi["the"], v.stoi["cat"], v.oov_index]
    assert v.decode(ids) == "the cat <unk>"
    assert v.decode(ids + [0, 0]) == "the cat <unk>"          # padding dropped


def test_encode_batch_pads_and_truncates():
    v = Vocabulary().build(TEXTS)
    out = v.encode_batch(["the cat sat", "a", ""])
    assert out.dtype == np.int64 and out.shape == (3, 3)
    assert out[1].tolist() == [v.stoi["a"], 0, 0] and out[2].tolist() == [0, 0, 0]
    short = v.encode_batch(["the cat sat", "a"], max_len=2)
    assert short.shape == (2, 2) and short[0].tolist() == out[0, :2].tolist()
    assert v.encode_batch([], max_len=4).shape == (0, 4)


def test_load_text_folder(tmp_path):
    for label, texts in {"neg": ["bad", "awful"], "pos": ["good"]}.items():
        (tmp_path / label).mkdir()
        for i, t in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(t, encoding="utf-8")
    (tmp_path / "pos" / ".hidden").write_text("x")
    (tmp_path / "README").write_text("not a class")
    texts, labels, classes = load_text_folder(tmp_path)
    assert classes == ["neg", "pos"] and texts == ["bad", "awful", "good"]
    assert labels.dtype == np.int64 and labels.tolist() == [0, 0, 1]
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        load_text_folder(tmp_path / "nope")


def test_load_text_csv(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('label,text\n10,"hello, world"\n2,bye\n10,"multi\nline"\n', encoding="utf-8")
    texts, labels, classes = load_text_csv(path)
    assert texts == ["hello, world", "bye", "multi\nline"]
    assert classes == ["2", "10"] and labels.tolist() == [1, 0, 1]       # numeric order
    texts2, _, _ = load_text_csv(path, text_column=1, label_column=0)
    assert texts2 == texts
    with pytest.raises(ValueError, match=r"no column 'body'; the header has \['label', 'text'\]"):
        load_text_csv(path, text_column="body")
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nonly-one-field\n")
    with pytest.raises(ValueError, match="line 2: 1 fields, expected 2"):
        load_text_csv(bad)
