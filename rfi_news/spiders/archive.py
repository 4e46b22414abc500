"""``scrapy crawl archive -a path=PATH``: archived feed items, one file each, one record each.

Files are read one at a time, in a stable (sorted) order, straight from ``start()``: no request per file, and
memory stays flat however many files there are. With ``JOBDIR`` set, the last file done is kept in the
spider's state, so a stopped backfill resumes after it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy

from rfi_news.parsers.archive import ArchiveFormatError, parse_archive_entry
from rfi_news.spiders.base import article_from_feed_item

ARCHIVE_SUFFIXES = (".md", ".txt")
STATE_KEY = "archive_last_file"


def iter_archive_files(root: Path) -> Iterator[Path]:
    """``root`` itself if a file, else every ``*.md``/``*.txt`` below it, depth first, sorted by name.

    The order is that of the files' relative path parts, so "every file after X" is well defined.
    """
    if root.is_file():
        yield root
        return
    with os.scandir(root) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from iter_archive_files(Path(entry.path))
        elif entry.is_file() and entry.name.endswith(ARCHIVE_SUFFIXES):
            yield Path(entry.path)


class ArchiveSpider(scrapy.Spider):
    name = "archive"

    def __init__(self, path: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not path:
            raise ValueError("the archive spider needs -a path=FILE_OR_FOLDER")
        self.root = Path(path)
        if not self.root.exists():
            raise ValueError(f"archive path does not exist: {self.root}")

    def _relative_parts(self, file_path: Path) -> list[str]:
        return [file_path.name] if self.root.is_file() else list(file_path.relative_to(self.root).parts)

    async def start(self) -> AsyncIterator[Any]:
        # JOBDIR's SpiderState gives the spider a ``state`` dict that survives a stopped run.
        state: dict[str, Any] | None = getattr(self, "state", None)
        resume_after = state.get(STATE_KEY) if state else None
        if resume_after:
            self.logger.info("Resuming after %s", "/".join(resume_after))
        for file_path in iter_archive_files(self.root):
            parts = self._relative_parts(file_path)
            if resume_after and parts <= resume_after:
                continue
            item = self.read_file(file_path)
            if item is not None:
                yield item
            if state is not None:
                state[STATE_KEY] = parts

    def read_file(self, file_path: Path) -> Any:
        """The record of one archive file, or ``None`` (logged and counted) when it holds none."""
        stats = self.crawler.stats
        stats.inc_value("rfi_news/archive/files")
        try:
            data = file_path.read_bytes()
        except OSError as exc:
            self.logger.warning("%s: unreadable file: %s", file_path, exc)
            stats.inc_value("rfi_news/archive/invalid/unreadable")
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            # Keep the article: the undecodable bytes become U+FFFD, and the log says where they were.
            self.logger.warning("%s: invalid UTF-8 at byte %d, replaced with U+FFFD", file_path, exc.start)
            stats.inc_value("rfi_news/archive/undecodable")
            text = data.decode("utf-8", errors="replace")
        try:
            entry = parse_archive_entry(text)
        except ArchiveFormatError as exc:
            self.logger.warning("%s: not an archive item (%s)", file_path, exc)
            stats.inc_value(f"rfi_news/archive/invalid/{exc.reason}")
            return None
        if entry.truncated:
            self.logger.warning("%s: the item's HTML is cut short; keeping what is there", file_path)
            stats.inc_value("rfi_news/archive/truncated")
        return article_from_feed_item(
            self,
            link=entry.link,
            title=entry.title,
            description=entry.description,
            feed_published=entry.epoch_ms,
            source="archive",
            origin=str(file_path),
        )
