"""The one error the project's pure entry points raise for input they cannot read.

Parsers and normalisers either return a result or raise :class:`InvalidInput`; nothing else may escape them
(no ``ValueError``, ``KeyError``, ``RecursionError``…). The spiders turn it into a counted drop of that one
record: a WARNING naming the source and the stats counter ``rfi_news/<kind>/invalid/<reason>``.
"""

from __future__ import annotations


class InvalidInput(Exception):
    """Input that cannot become a record (or a value). ``reason`` is a short stats key such as ``not_rfi_host``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason.replace('_', ' ')}: {detail}" if detail else reason.replace("_", " "))
        self.reason = reason
        self.detail = detail
