"""Runnable examples that use only minigrad's public API: ``python -m minigrad.examples.<name>``."""
