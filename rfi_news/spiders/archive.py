"""``scrapy crawl archive -a path=PATH``: archived feed items, one file each, one record each.

Files are listed in a stable (sorted) order and read in batches of ``ARCHIVE_BATCH_FILES``: ``start()`` yields
one ``data:`` request per batch (nothing is downloaded; it is a unit of work the scheduler can queue) and its
callback reads the batch's files. Memory stays flat however many files there are, and the crawl stops gracefully
like any other (``CLOSESPIDER_*``, SIGINT/SIGTERM): Scrapy 2.19 hangs when a spider closes while items yielded
straight from ``start()`` are still in the pipelines, which items from a callback never do.

``-a shard=K/N`` reads only the files of shard K of N (1 ≤ K ≤ N): those whose path relative to ``path``, as
UTF-8, has a SHA-1 that is K-1 modulo N. Every machine sees the same shard of a file whatever its file system's
order, so N workers started with ``shard=1/N`` … ``shard=N/N`` on copies of the same folder read each file once
(the way to split an archive in distributed mode, docs/distributed.md).

With the crawl state on (``RFI_STATE_DIR``), a file is recognised by a digest of its bytes before it is decoded or
parsed: a file whose record an earlier run emitted, byte for byte the same, costs a read, a hash and a lookup
(``rfi_news/state/skipped``), so a scheduled run over a large archive costs what is new in it. The digest is
recorded with the article once the record is emitted (see :class:`rfi_news.extensions.CrawlStateKeeper`), and
it is keyed with the project's version: after an upgrade (a parser may read the same bytes differently), every
file is read again once, and only records whose content changed go out.

With ``JOBDIR`` set, the last file handed to a batch is kept in the spider's state and the batches not yet done
stay in the job's request queue, so a stopped backfill resumes where it stopped: every file is read once.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import AsyncIterator, Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

import scrapy
from scrapy.settings import BaseSettings

from rfi_news import __version__
from rfi_news.errors import InvalidInput
from rfi_news.guard import read_guarded, record_kind
from rfi_news.parsers.archive import parse_archive_entry
from rfi_news.progress import DONE_BEFORE_STAT, TOTAL_STAT
from rfi_news.spiders.arguments import Argument, ArgumentError, DeclaredArguments, existing_path
from rfi_news.spiders.records import article_from_feed_item
from rfi_news.state import CrawlStateBackend, crawl_state

ARCHIVE_SUFFIXES = (".md", ".txt")
# Scrapy's spider middlewares that only look at the requests a callback yields: the archive's callbacks yield none,
# and each of them still wraps every record the callback yields (some 10 µs a record each).
REQUEST_ONLY_SPIDER_MIDDLEWARES = (
    "scrapy.spidermiddlewares.referer.RefererMiddleware",
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware",
    "scrapy.spidermiddlewares.depth.DepthMiddleware",
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware",
)
# The archive's requests are data: URLs, never redirected; and without RefererMiddleware Scrapy's redirect
# middlewares would log a WARNING on every run (they look for it when the engine starts).
REDIRECT_MIDDLEWARES = (
    "rfi_news.middlewares.AllowedHostsMetaRefreshMiddleware",
    "rfi_news.middlewares.AllowedHostsRedirectMiddleware",
)
STATE_KEY = "archive_last_file"
FILES_READ_KEY = "archive_files_read"
BATCH_URL = "data:,"  # no download: the batch's files are read by the callback
_SHARD_RE = re.compile(r"(\d+)/(\d+)")


def k_of_n(value: str) -> tuple[int, int]:
    """``K/N`` (1 ≤ K ≤ N) as ``(K - 1, N)``."""
    match = _SHARD_RE.fullmatch(value.strip())
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ValueError("expected K/N with 1 <= K <= N")
    return int(match.group(1)) - 1, int(match.group(2))


def shard_of(relative_parts: list[str], shards: int) -> int:
    """The shard (0-based) of a file, from its path relative to the archive root: stable across machines."""
    digest = hashlib.sha1("/".join(relative_parts).encode("utf-8")).hexdigest()
    return int(digest, 16) % shards


_DIGEST_KEY = f"rfi-news {__version__}".encode()


def file_digest(data: bytes) -> bytes:
    """A 16-byte digest of an archive file's bytes, keyed with the project's version (see the module's doc)."""
    return hashlib.blake2b(data, digest_size=16, key=_DIGEST_KEY).digest()


# Why a name under -a path is not read (rfi_news/archive/skipped/<why>). The first two are the usual company of an
# archive (README, INDEX.tsv…) and are only counted; the others are logged too, each once.
QUIET_SKIPS = frozenset({"other_suffix", "symlink_to_folder"})
Skipped = Callable[[Path, str], None]


def _entry_kind(entry: os.DirEntry[str]) -> str:
    """``folder``, ``file`` (a regular file, or a link to one), or why the entry is neither."""
    try:
        if entry.is_dir(follow_symlinks=False):
            return "folder"
        if not entry.is_symlink():
            return "file" if entry.is_file(follow_symlinks=False) else "not_a_regular_file"
        try:
            target = entry.stat(follow_symlinks=True)
        except OSError as exc:
            return "symlink_loop" if exc.errno == errno.ELOOP else "dangling_link"
        if stat.S_ISDIR(target.st_mode):
            return "symlink_to_folder"  # not followed: a link back up would list the archive forever
        return "file" if stat.S_ISREG(target.st_mode) else "not_a_regular_file"
    except OSError:
        return "unreadable"


def _suffix_kind(name: str) -> str:
    if name.endswith(ARCHIVE_SUFFIXES):
        return "file"
    # ``X.MD`` is left out like any other suffix, but said: it looks like an item someone meant to be read.
    return "suffix_case" if name.lower().endswith(ARCHIVE_SUFFIXES) else "other_suffix"


def archive_files(root: Path, skipped: Skipped | None = None) -> Iterator[tuple[str, list[str]]]:
    """``root`` itself if a file, else every ``*.md``/``*.txt`` below it, depth first, sorted by name: each as its
    path and its path's parts below ``root`` (the file's name when ``root`` is the file).

    The order is that of the files' relative path parts, so "every file after X" is well defined. Folders are
    not entered through links (no loop can list the archive forever); every name that is not read is handed to
    ``skipped`` with why (``suffix_case``, ``not_a_regular_file`` for a FIFO or a socket, which would block a
    read, ``dangling_link``, ``symlink_loop``, ``unreadable_folder``…). Paths are strings, made as ``root / name``
    would make them: a Path object per file (and its ``relative_to``) cost more than reading the listing.
    """
    report = skipped or (lambda path, why: None)
    if root.is_file():
        yield str(root), [root.name]
        return
    yield from _folder_files(str(root), [], report)


def _folder_files(folder: str, parts: list[str], report: Skipped) -> Iterator[tuple[str, list[str]]]:
    # Names and kinds only: a folder of tens of thousands of files is listed whole (to sort it), and an
    # os.DirEntry per file would cost three times the memory.
    try:
        with os.scandir(folder) as scan:
            entries = sorted((entry.name, _entry_kind(entry)) for entry in scan)
    except OSError:
        report(Path(folder), "unreadable_folder")
        return
    for name, kind in entries:
        # As str(Path(folder) / name) is, without a Path per file.
        path = name if folder == "." else os.path.join(folder, name)  # noqa: PTH118
        if kind == "folder":
            yield from _folder_files(path, [*parts, name], report)
        elif kind != "file":
            report(Path(path), kind)
        elif (suffix := _suffix_kind(name)) != "file":
            report(Path(path), suffix)
        else:
            yield path, [*parts, name]


class ArchiveSpider(DeclaredArguments, scrapy.Spider):
    """Saved feed items, one file each (Markdown archives): a backfill of years."""

    name = "archive"
    progress_unit = "files"
    arguments = (
        Argument(
            "path",
            "an archive item, or a folder walked for *.md and *.txt",
            existing_path,
            required=True,
        ),
        Argument("shard", "read only shard K of N of the files (a stable hash of each path), as K/N", k_of_n),
    )
    path: Path
    shard: tuple[int, int] | None

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # Local files: no politeness delay to keep (robots.txt is never asked for data: URLs).
        settings.setdict({"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}, priority="spider")
        # Off unless the project's settings name them (see REQUEST_ONLY_SPIDER_MIDDLEWARES).
        middlewares = dict(settings.getdict("SPIDER_MIDDLEWARES"))
        for name in REQUEST_ONLY_SPIDER_MIDDLEWARES:
            middlewares.setdefault(name, None)
        settings.set("SPIDER_MIDDLEWARES", middlewares, priority="spider")
        downloader = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
        downloader.update(dict.fromkeys(REDIRECT_MIDDLEWARES))
        settings.set("DOWNLOADER_MIDDLEWARES", downloader, priority="spider")

    @property
    def root(self) -> Path:
        return self.path

    @cached_property
    def max_file_bytes(self) -> int:
        """``ARCHIVE_MAX_FILE_BYTES``, read once per run (0: no bound)."""
        return self.crawler.settings.getint("ARCHIVE_MAX_FILE_BYTES")

    @property
    def crawl_state(self) -> CrawlStateBackend | None:
        return crawl_state(self.crawler)

    async def start(self) -> AsyncIterator[Any]:
        # JOBDIR's SpiderState gives the spider a ``state`` dict that survives a stopped run.
        if self.path is None:
            raise ArgumentError("the archive spider needs -a path=FILE_OR_FOLDER")
        state: dict[str, Any] | None = getattr(self, "state", None)
        resume_after = state.get(STATE_KEY) if state else None
        # The run's total for the progress lines (rfi_news.progress), and how far a resumed run starts: the files
        # the stopped run read (its batches still queued in JOBDIR are read again by this one). The listing is walked
        # twice rather than held: a walk costs ~10 µs a file, holding 100k paths ~30 MiB for the whole run.
        total = sum(1 for _ in archive_files(self.root))
        done_before = int(state.get(FILES_READ_KEY, 0)) if state else 0
        self.crawler.stats.set_value(TOTAL_STAT, total)
        self.crawler.stats.set_value(DONE_BEFORE_STAT, done_before)
        if resume_after:
            self.logger.info(
                "Resuming after %r: %d of %d files read before (%.1f%%), %d to go",
                "/".join(resume_after),
                done_before,
                total,
                100 * done_before / total if total else 100.0,
                total - done_before,
            )
        batch_size = max(1, self.crawler.settings.getint("ARCHIVE_BATCH_FILES"))
        batch: list[str] = []
        batched_parts: list[str] = []  # the parts of the batch's last file
        for path, parts in archive_files(self.root, self.skipped):
            if resume_after and parts <= resume_after:
                continue
            if self.shard and shard_of(parts, self.shard[1]) != self.shard[0]:
                continue
            batch.append(path)
            batched_parts = parts
            if len(batch) == batch_size:
                # Noted before the yield: the engine queues the request as it receives it, and the job saves the
                # queue and this state together, so a resumed run neither repeats nor skips the batch.
                if state is not None:
                    state[STATE_KEY] = parts
                yield self.batch_request(batch)
                batch = []
        if batch:
            if state is not None:
                state[STATE_KEY] = batched_parts
            yield self.batch_request(batch)

    def batch_request(self, paths: list[str]) -> scrapy.Request:
        return scrapy.Request(BATCH_URL, callback=self.read_batch, cb_kwargs={"paths": paths}, dont_filter=True)

    def skipped(self, path: Path, why: str) -> None:
        """A name under ``-a path`` that is not read: counted by why, and logged unless it is a usual one."""
        self.crawler.stats.inc_value(f"rfi_news/archive/skipped/{why}")
        if why not in QUIET_SKIPS:
            self.logger.warning("%r not read: %s", str(path), why.replace("_", " "))

    @record_kind("archive")
    def read_batch(self, response: Any, paths: list[str]) -> Iterator[Any]:
        """The records of a batch of files.

        @url data:,
        @cb_kwargs {"paths": ["tests/fixtures/archive/seed_rfi_20231230.md", "tests/fixtures/archive/dm-news_rfi_1001000.md"]}
        @returns items 2 2
        @scrapes url title feed_published paragraphs source
        """
        self.crawler.stats.inc_value("rfi_news/archive/batches")
        state: dict[str, Any] | None = getattr(self, "state", None)
        if state is not None:  # saved with the job (JOBDIR) when the run stops: a resumed run starts from it
            state[FILES_READ_KEY] = int(state.get(FILES_READ_KEY, 0)) + len(paths)
        known = self.crawl_state
        for path in paths:
            # One file is one record: whatever it holds costs that file only (logged, counted, the batch goes on).
            item = read_guarded(self, "archive", path, self.read_file, path, known)
            if item is not None:
                yield item

    def read_file(self, file_path: str | os.PathLike[str], state: CrawlStateBackend | None = None) -> Any:
        """The record of one archive file; :class:`InvalidInput` when it holds none (``read_batch`` logs and counts
        it), or ``None`` when ``state`` knows the file (its record was emitted and the file is byte for byte the same).
        ``str(path)`` may hold surrogate escapes (a name that is not UTF-8): ``%r`` shows them escaped."""
        stats = self.crawler.stats
        stats.inc_value("rfi_news/archive/files")
        path = os.fspath(file_path)  # the batch's paths are strings: no Path object per file
        provenance = repr(path)
        max_bytes = self.max_file_bytes
        try:
            with open(path, "rb") as handle:  # noqa: PTH123 - a str path: no Path object per file
                data = read_at_most(handle, max_bytes) if max_bytes > 0 else handle.read()
        except OSError as exc:
            raise InvalidInput("unreadable", exc.strerror or type(exc).__name__) from None
        if max_bytes > 0 and len(data) > max_bytes:
            raise InvalidInput("too_large", f"more than ARCHIVE_MAX_FILE_BYTES={max_bytes} bytes")
        digest = None
        if state is not None:
            digest = file_digest(data)
            if state.knows_file(digest):
                stats.inc_value("rfi_news/state/skipped")
                return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            # Keep the article: the undecodable bytes become U+FFFD, and the log says where they were.
            self.logger.warning("%s: invalid UTF-8 at byte %d, replaced with U+FFFD", provenance, exc.start)
            stats.inc_value("rfi_news/archive/undecodable")
            text = data.decode("utf-8", errors="replace")
        entry = parse_archive_entry(text)
        for problem in entry.problems:
            self.logger.warning("%s: %s, feed_published left null", provenance, problem.replace("_", " "))
            stats.inc_value(f"rfi_news/archive/{problem}")
        if entry.truncated:
            self.logger.warning("%s: the item's HTML is cut short; keeping what is there", provenance)
            stats.inc_value("rfi_news/archive/truncated")
        item = article_from_feed_item(self, **entry.feed_item(), provenance=provenance)
        if digest is not None:
            item["file_digest"] = digest
        return item


def read_at_most(handle: BinaryIO, max_bytes: int) -> bytes:
    """The file's bytes, or its first ``max_bytes + 1`` when it holds more (the caller refuses it then).

    ``read(n)`` allocates ``n`` bytes before it reads: asked for ``max_bytes + 1`` (8 MiB) it cost some 40 µs a
    file. So the file's size is asked first, and a file that grew since (or a special file, whose size says
    nothing) is read on to the limit.
    """
    size = os.fstat(handle.fileno()).st_size
    data = handle.read(min(size, max_bytes) + 1)
    if size < len(data) <= max_bytes:
        data += handle.read(max_bytes + 1 - len(data))
    return data
