"""The Pelican glue: settings, the post directive, signals and generated pages."""

from __future__ import annotations


def register() -> None:
    """Connect to Pelican's signals."""
