"""Helpers for the tests of the example scripts in docs/examples/."""
import importlib.util
import pathlib

from minigrad.data import datasets

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load_script(name):
    """Import ``docs/examples/<name>.py`` as a module (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fashion_mnist_available():
    try:
        datasets.fashion_mnist(download=False)
        return True
    except Exception:
        return False
