"""One archived feed item, as the public GitHub archives saved it (``duty-machine/news`` and its forks)::

<!--1703927701000-->
[title](link)
------

<the item's description HTML, its lines stripped and joined>
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EPOCH_LINE_RE = re.compile(r"^<!--(\d{9,14})-->$")
_TITLE_LINE_RE = re.compile(r"^\[(?P<title>.*)\]\((?P<link>[^()\s]+)\)$")
_RULE_LINE_RE = re.compile(r"^-{3,}$")


class ArchiveFormatError(ValueError):
    """Not an archive item; ``reason`` is a short stats key (``no_epoch_line``, ``empty`` …)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass
class ArchiveEntry:
    epoch_ms: int
    title: str
    link: str
    description: str
    truncated: bool  # the HTML stops in the middle of a tag or a text: the archiver cut the file


def parse_archive_entry(text: str) -> ArchiveEntry:
    """Split one archive file's text into its parts; raise :class:`ArchiveFormatError` if it is not one."""
    if not text.strip():
        raise ArchiveFormatError("empty", "the file holds no text")
    lines = text.lstrip("\ufeff").split("\n", 3)
    if len(lines) < 3:
        raise ArchiveFormatError("no_header", "fewer than three lines")
    epoch_line, title_line, rule_line = (line.strip() for line in lines[:3])
    epoch = _EPOCH_LINE_RE.match(epoch_line)
    if not epoch:
        raise ArchiveFormatError("no_epoch_line", f"line 1 is not <!--epoch ms-->: {epoch_line[:60]!r}")
    title = _TITLE_LINE_RE.match(title_line)
    if not title:
        raise ArchiveFormatError("no_title_line", f"line 2 is not [title](link): {title_line[:60]!r}")
    if not _RULE_LINE_RE.match(rule_line):
        raise ArchiveFormatError("no_rule_line", f"line 3 is not ------: {rule_line[:60]!r}")
    description = lines[3].strip() if len(lines) > 3 else ""
    return ArchiveEntry(
        epoch_ms=int(epoch.group(1)),
        title=title.group("title"),
        link=title.group("link"),
        description=description,
        truncated=not description.endswith(">"),
    )
