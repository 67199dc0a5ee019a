"""Bad inputs of data loading and of ``fit``/``evaluate``/``predict`` (the DATA group of
docs/errors.md): each refused before any batch is drawn or any epoch trained."""
from .bad_inputs import DATA, case  # noqa: F401
