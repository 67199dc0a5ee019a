"""Every test under tests/data runs offline: only file:// URLs open, the cache is a temporary
directory, and the dataset environment variables are unset."""
import urllib.error

import pytest

from minigrad.data import datasets


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No test touches the network or ~/.cache: only file:// URLs open, the cache is tmp."""
    real_open = datasets._open_url

    def guarded(url, timeout):
        if not url.startswith("file://"):
            raise urllib.error.URLError(f"network disabled in tests ({url})")
        return real_open(url, timeout)

    monkeypatch.setattr(datasets, "_open_url", guarded)
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("MINIGRAD_MNIST", raising=False)
    monkeypatch.delenv("MINIGRAD_FASHION_MNIST", raising=False)
    monkeypatch.delenv("MINIGRAD_FORTUNES", raising=False)
    monkeypatch.setitem(datasets._SPECS["fashion-mnist"], "system", [str(tmp_path / "system")])
