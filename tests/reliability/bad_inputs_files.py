"""Bad inputs of saving and reading files (the SAVING group of docs/errors.md): saves that
must leave the old file intact and its mode, links and neighbours as they were, and sources
that cannot be read the usual way (pipes, bytes paths, compressed headers that lie)."""
from .bad_inputs import SAVING, case  # noqa: F401
