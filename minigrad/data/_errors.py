"""Errors shared by the dataset loaders (argument checks are in ``minigrad/_check.py``)."""
__all__ = ["DatasetNotFoundError", "ChecksumError"]


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not anywhere minigrad looks (the message says what and where)."""


class ChecksumError(ValueError):
    """A downloaded file's SHA-256 is not the one recorded."""
