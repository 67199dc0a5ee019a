"""The fortune-cookie language corpus: the file format, and Debian's files where installed."""
import os

import numpy as np
import pytest

from minigrad.data.datasets import DatasetNotFoundError
from minigrad.data.fortunes import FORTUNE_LANGUAGES, FORTUNES_DIR, fortune_languages, read_fortunes

INSTALLED = all(os.path.exists(os.path.join(FORTUNES_DIR, p))
                for _, paths in FORTUNE_LANGUAGES.values() for p in paths)


def test_read_fortunes_format(tmp_path):
    path = tmp_path / "f"
    path.write_bytes("Erste Weisheit\nzweite Zeile\n%\n\n%\nNoch eine Größe\n%\n".encode())
    assert read_fortunes(path) == ["Erste Weisheit\nzweite Zeile", "Noch eine Größe"]
    path.write_bytes("caf\xe9 cr\xe8me\n%\n".encode("latin-1"))            # not UTF-8
    assert read_fortunes(path) == ["café crème"]
    path.write_bytes(b"_\bb_\bo_\bl_\bd text\n")                           # overstrikes
    assert read_fortunes(path) == ["bold text"]


def fake_tree(root):
    os.makedirs(root / "de" / "off")
    (root / "de" / "sprueche").write_text("Wer rastet, der rostet immer.\n%\nzu kurz\n")
    (root / "de" / "sprueche.dat").write_bytes(b"\x00\x01")
    (root / "de" / "asciiart").write_text("/\\_/\\ ( o.o ) > ^ < katze bild\n")
    (root / "de" / "off" / "x").write_text("Anstoessiger Text hier drin, lang genug.\n")
    (root / "brasil").write_text("Quem tem boca vai a Roma sempre.\n%\nDevagar se vai ao longe.\n")
    for f in ("fortunes", "literature", "riddles"):
        (root / f).write_text(f"An English {f} entry, long enough to count.\n")
    os.makedirs(root / "it")
    os.makedirs(root / "es")


def test_fortune_languages_on_a_fake_tree(tmp_path):
    fake_tree(tmp_path)
    texts, labels, classes = fortune_languages(tmp_path, languages=["de", "pt", "en"],
                                               min_letters=15)
    assert classes == ["de", "pt", "en"]
    assert texts[0] == "Wer rastet, der rostet immer." and labels.tolist() == [0, 1, 1, 2, 2, 2]
    assert labels.dtype == np.int64 and not any("Anstoessiger" in t for t in texts)
    _, labels2, _ = fortune_languages(tmp_path, languages=["pt", "en"], max_per_language=1,
                                      seed=0)
    assert np.bincount(labels2).tolist() == [1, 1]


def test_missing_packages_are_named(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="apt-get install fortunes-it fortunes-es"):
        fortune_languages(tmp_path, languages=["it", "es"])
    with pytest.raises(ValueError, match="unknown language"):
        fortune_languages(tmp_path, languages=["xx"])


@pytest.mark.skipif(not INSTALLED, reason="apt-get install fortunes-min fortunes-de fortunes-it "
                    "fortunes-es fortunes-br")
def test_real_fortunes():
    texts, labels, classes = fortune_languages(max_per_language=300, seed=0)
    assert classes == ["en", "de", "it", "es", "pt"]
    assert np.bincount(labels).tolist() == [300] * 5 and len(texts) == 1500
    assert all(sum(ch.isalpha() for ch in t) >= 20 for t in texts)
    again, _, _ = fortune_languages(max_per_language=300, seed=0)
    assert again == texts
