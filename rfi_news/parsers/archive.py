"""One archived feed item, as the public GitHub archives saved it (``duty-machine/news`` and its forks)::

<!--1703927701000-->
[title](link)
------

<the item's description HTML, its lines stripped and joined>
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rfi_news.errors import InvalidInput
from rfi_news.normalize.times import is_plausible_epoch_ms

_EPOCH_LINE_RE = re.compile(r"^<!--(\d{9,14})-->$")
_TITLE_LINE_RE = re.compile(r"^\[(?P<title>.*)\]\((?P<link>[^()\s]+)\)$")
_RULE_LINE_RE = re.compile(r"^-{3,}$")


class ArchiveFormatError(InvalidInput):
    """Not an archive item; ``reason`` is a short stats key (``no_epoch_line``, ``empty`` …)."""


@dataclass
class ArchiveEntry:
    epoch_ms: int | None  # None when the line's number is no plausible time (see ``problems``)
    title: str
    link: str
    description: str
    truncated: bool  # the HTML stops in the middle of a tag or a text: the archiver cut the file
    problems: list[str] = field(default_factory=list)  # odd but kept: ``implausible_epoch``

    def feed_item(self) -> dict[str, Any]:
        """The item as the feed carried it: the keyword arguments of
        :func:`rfi_news.parsers.item.parse_feed_item` (its ``source`` is ``archive``)."""
        return {
            "link": self.link,
            "title": self.title,
            "description": self.description,
            "feed_published": self.epoch_ms,
            "source": "archive",
        }


def parse_archive_entry(text: str) -> ArchiveEntry:
    """Split one archive file's text into its parts; raise :class:`ArchiveFormatError` if it is not one.

    An epoch line whose number is no time of the archives (seconds, not milliseconds: January 1970; 14 digits:
    year 5138) is not taken: ``epoch_ms`` is ``None`` and ``problems`` says ``implausible_epoch``.
    """
    if not isinstance(text, str):
        raise ArchiveFormatError("not_text", f"{type(text).__name__}, not a string")
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
    epoch_ms: int | None = int(epoch.group(1))
    problems = []
    if epoch_ms is not None and not is_plausible_epoch_ms(epoch_ms):
        epoch_ms = None
        problems.append("implausible_epoch")
    return ArchiveEntry(
        epoch_ms=epoch_ms,
        problems=problems,
        title=title.group("title"),
        link=title.group("link"),
        description=description,
        truncated=not description.endswith(">"),
    )
