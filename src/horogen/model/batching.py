"""Splitting a call's rows into batches of ``generation.batch_size``."""

from __future__ import annotations


def batches(count: int, size: int) -> list[range]:
    """Index ranges of ``count`` rows in batches of ``size``."""
    return [range(start, min(start + size, count)) for start in range(0, count, size)]
