"""MNIST / Fashion-MNIST: lookup order, loading, and downloads (from file:// URLs only)."""
import os

import numpy as np
import pytest

from minigrad.data import datasets, write_idx
from minigrad.data.datasets import ChecksumError, DatasetNotFoundError

FASHION = datasets.DEBIAN_FASHION_MNIST


def make_files(directory, n=(3, 2), gz=True, label=1):
    """Write the four files of a tiny MNIST-like dataset: n train and test images of 28×28."""
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(0)
    for split, count in zip(("train", "t10k"), n):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        write_idx(os.path.join(directory, f"{split}-images-idx3-ubyte" + ".gz" * gz), images)
        write_idx(os.path.join(directory, f"{split}-labels-idx1-ubyte" + ".gz" * gz),
                  np.full(count, label, dtype=np.uint8))
    return str(directory)


def test_lookup_order_env_cache_system(tmp_path, monkeypatch):
    env, cache, system = (make_files(tmp_path / "env"), make_files(tmp_path / "cache" /
                          "fashion-mnist"), make_files(tmp_path / "system"))
    assert datasets.cache_dir("fashion-mnist") == cache
    monkeypatch.setenv("MINIGRAD_FASHION_MNIST", env)
    assert datasets.locate("fashion-mnist", download=False)[0] == env
    os.remove(os.path.join(env, "t10k-labels-idx1-ubyte.gz"))      # incomplete: skipped
    assert datasets.locate("fashion-mnist", download=False)[0] == cache
    monkeypatch.delenv("MINIGRAD_FASHION_MNIST")
    assert datasets.locate("fashion-mnist", download=False)[0] == cache
    os.remove(os.path.join(cache, "train-images-idx3-ubyte.gz"))
    assert datasets.locate("fashion-mnist", download=False)[0] == system


def test_explicit_root_wins_and_is_the_only_place(tmp_path, monkeypatch):
    root = make_files(tmp_path / "root", gz=False)
    monkeypatch.setenv("MINIGRAD_FASHION_MNIST", make_files(tmp_path / "env"))
    directory, paths = datasets.locate("fashion-mnist", root=root, download=False)
    assert directory == root and paths["test_labels"].endswith("t10k-labels-idx1-ubyte")
    with pytest.raises(DatasetNotFoundError, match="root argument"):
        datasets.locate("fashion-mnist", root=tmp_path / "nowhere", download=False)


def test_not_found_lists_files_places_and_package(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        datasets.fashion_mnist(download=False)
    msg = str(info.value)
    for name in datasets.FILES.values():
        assert name in msg
    assert str(tmp_path / "cache" / "fashion-mnist") in msg
    assert "apt-get install dataset-fashion-mnist" in msg
    assert isinstance(info.value, FileNotFoundError)


def test_not_found_after_failed_download(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="Downloading into .* failed.*network disabled"):
        datasets.mnist()
    assert not os.path.exists(tmp_path / "cache" / "mnist")      # nothing created


def test_mnist_loads_shapes_and_dtypes(tmp_path):
    root = make_files(tmp_path / "m", n=(4, 3), label=7)
    (x, y), (xt, yt) = datasets.mnist(root)
    assert x.shape == (4, 28, 28) and x.dtype == np.uint8
    assert xt.shape == (3, 28, 28) and yt.dtype == np.int64 and y.tolist() == [7] * 4
    (xf, _), _ = datasets.mnist(root, as_float=True)
    assert xf.dtype == np.float32 and 0 <= xf.min() and xf.max() <= 1
    np.testing.assert_allclose(xf * 255, x, atol=1e-4)


def test_bad_labels_and_shapes_are_reported(tmp_path):
    root = make_files(tmp_path / "m", label=10)
    with pytest.raises(ValueError, match="label 10 found"):
        datasets.mnist(root)
    write_idx(os.path.join(root, "train-images-idx3-ubyte.gz"), np.zeros((3, 27, 28), np.uint8))
    with pytest.raises(ValueError, match=r"\(27, 28\) pixels"):
        datasets.mnist(root)


# -- downloads ---------------------------------------------------------------------------

def _sha(path):
    return datasets._content_sha256(path)


def mirror(tmp_path, monkeypatch, name, sha=True):
    """A local mirror (file:// URL) holding the four .gz files; its hashes recorded if sha."""
    directory = make_files(tmp_path / "mirror")
    url = (tmp_path / "mirror").as_uri() + "/"
    monkeypatch.setitem(datasets._SPECS[name], "mirrors", [url])
    hashes = {f: _sha(os.path.join(directory, f + ".gz")) for f in datasets.FILES.values()}
    monkeypatch.setitem(datasets._SPECS[name], "sha256", hashes if sha else {})
    return directory, hashes


def test_download_verifies_and_lands_in_cache(tmp_path, monkeypatch):
    source, _ = mirror(tmp_path, monkeypatch, "fashion-mnist")
    (x, _), _ = datasets.fashion_mnist()
    cache = tmp_path / "cache" / "fashion-mnist"
    assert sorted(os.listdir(cache)) == sorted(f + ".gz" for f in datasets.FILES.values())
    np.testing.assert_array_equal(x, datasets.mnist(source)[0][0])
    assert datasets.locate("fashion-mnist", download=False)[0] == str(cache)   # now cached


def test_checksum_mismatch_leaves_no_file(tmp_path, monkeypatch):
    mirror(tmp_path, monkeypatch, "fashion-mnist")
    monkeypatch.setitem(datasets._SPECS["fashion-mnist"]["sha256"],
                        "train-images-idx3-ubyte", "0" * 64)
    with pytest.raises(DatasetNotFoundError, match="SHA-256 of the data is"):
        datasets.fashion_mnist()
    cache = tmp_path / "cache" / "fashion-mnist"
    assert not cache.exists() or os.listdir(cache) == []


def test_download_is_atomic_and_keeps_old_file(tmp_path):
    src = tmp_path / "src.gz"
    write_idx(src, np.arange(5, dtype=np.uint8), compress=True)
    dest = tmp_path / "out" / "file.gz"
    dest.parent.mkdir()
    dest.write_bytes(b"old")
    with pytest.raises(ChecksumError, match="expected " + "1" * 64):
        datasets.download_url(src.as_uri(), dest, sha256="1" * 64)
    assert dest.read_bytes() == b"old" and os.listdir(dest.parent) == ["file.gz"]
    datasets.download_url(src.as_uri(), dest, sha256=_sha(src))
    assert dest.read_bytes() == src.read_bytes() and os.listdir(dest.parent) == ["file.gz"]


def test_corrupt_gzip_download_fails_verification(tmp_path):
    src = tmp_path / "src.gz"
    write_idx(src, np.arange(50, dtype=np.uint8), compress=True)
    src.write_bytes(src.read_bytes()[:-10])                          # truncated stream
    (tmp_path / "out").mkdir()
    with pytest.raises(ChecksumError, match="cannot gunzip the data to verify it"):
        datasets.download_url(src.as_uri(), tmp_path / "out" / "f.gz", sha256="0" * 64)
    assert os.listdir(tmp_path / "out") == []


def test_download_failure_mid_stream_leaves_nothing(tmp_path, monkeypatch):
    class Broken:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def close(self):
            pass

        def read(self, n=-1):
            raise OSError("connection reset")

    monkeypatch.setattr(datasets, "_open_url", lambda url, timeout: Broken())
    with pytest.raises(OSError, match="connection reset"):
        datasets.download_url("http://example.invalid/f.gz", tmp_path / "f.gz", sha256="0" * 64)
    assert os.listdir(tmp_path) == []


def test_unverified_download_warns(tmp_path, monkeypatch):
    mirror(tmp_path, monkeypatch, "mnist", sha=False)
    with pytest.warns(UserWarning, match="no SHA-256 recorded"):
        (x, y), _ = datasets.mnist()
    assert x.shape == (3, 28, 28)


def test_invalid_idx_download_is_not_kept(tmp_path, monkeypatch):
    """Without a hash (MNIST), a mirror serving something else (an HTML page) is caught by
    the IDX check before the file is moved into the cache."""
    source, _ = mirror(tmp_path, monkeypatch, "mnist", sha=False)
    with open(os.path.join(source, "t10k-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(b"<html>404</html>")
    with pytest.warns(UserWarning), pytest.raises(DatasetNotFoundError, match="not an IDX"):
        datasets.mnist()
    cache = tmp_path / "cache" / "mnist"
    assert "t10k-labels-idx1-ubyte.gz" not in os.listdir(cache)
    assert not [f for f in os.listdir(cache) if f.endswith(".part")]


def test_mirrors_tried_in_order(tmp_path, monkeypatch):
    mirror(tmp_path, monkeypatch, "fashion-mnist")
    good = datasets._SPECS["fashion-mnist"]["mirrors"]
    monkeypatch.setitem(datasets._SPECS["fashion-mnist"], "mirrors",
                        [(tmp_path / "empty").as_uri() + "/"] + good)
    assert datasets.fashion_mnist()[0][0].shape == (3, 28, 28)


# -- the real Fashion-MNIST (Debian's dataset-fashion-mnist), where installed -------------

@pytest.mark.skipif(not os.path.isdir(FASHION), reason=f"{FASHION} absent "
                    "(apt-get install dataset-fashion-mnist)")
def test_real_fashion_mnist_and_recorded_hashes():
    (x, y), (xt, yt) = datasets.fashion_mnist(FASHION, download=False)
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [6000] * 10 and np.bincount(yt).tolist() == [1000] * 10
    recorded = datasets._SPECS["fashion-mnist"]["sha256"]
    for name, sha in recorded.items():
        assert _sha(os.path.join(FASHION, name + ".gz")) == sha
