"""The Fashion-MNIST example reads its data through minigrad.data (tiny files written here)."""
import numpy as np
import pytest

from minigrad.examples import mlp_fashion_mnist as example

from .test_datasets import make_files


def test_example_loads_and_trains_on_given_dir(tmp_path, capsys):
    root = make_files(tmp_path / "fm", n=(6, 4))
    x, y, xt, yt = example.load_fashion_mnist(root)
    assert x.shape == (6, 784) and x.dtype == np.float32 and y.dtype == np.int64
    raw = example.datasets.fashion_mnist(root)[0][0].reshape(6, -1) / np.float32(255)
    np.testing.assert_allclose(x, (raw - np.float32(example.MEAN)) / np.float32(example.STD))
    example.main(["--data-dir", root, "--epochs", "1", "--batch-size", "4"])
    out = capsys.readouterr().out
    assert f"data: {root}  train 6, test 4 images" in out and "final test accuracy" in out


def test_example_exits_with_the_search_when_missing(tmp_path):
    with pytest.raises(SystemExit, match="(?s)Fashion-MNIST not found.*train-images-idx3-ubyte"):
        example.main(["--data-dir", str(tmp_path / "nowhere")])
