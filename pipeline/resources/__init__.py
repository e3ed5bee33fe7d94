"""Closed word lists (places, organisations, titles) shipped with the package, read once."""

from __future__ import annotations

import functools
from importlib import resources as _files


@functools.cache
def word_list(name: str) -> frozenset[str]:
    """Reads one list (`countries`, `cities`, `provinces`, `organisations`, `titles`).

    Args:
        name: The list's file name without `.txt`.

    Returns:
        Its entries; blank lines and `#` comments are skipped.
    """
    text = _files.files(__package__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@functools.cache
def place_names() -> frozenset[str]:
    """Countries, cities and provinces together."""
    return word_list("countries") | word_list("cities") | word_list("provinces")
