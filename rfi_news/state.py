"""Persistent crawl state for scheduled runs: what a spider has already emitted, and its feeds' validators.

On only when ``RFI_STATE_DIR`` (a setting, or the environment variable of that name) names a folder. Each spider
has its own SQLite file there, ``<spider>.sqlite3``, and its own lock, ``<spider>.lock``, so the state of one
spider's output never depends on another's.

A run is one SQLite transaction. Everything a run learns (articles it emitted, feeds' ``ETag``/``Last-Modified``)
is written into that open transaction and committed only once the run's output files are safely published (see
:mod:`rfi_news.feedstorage`). A run that is killed never commits: SQLite rolls the transaction back when the file
is next opened, so the next run emits those articles again, and no article is lost.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol, Self
from weakref import WeakKeyDictionary

from scrapy.crawler import Crawler
from scrapy.http import Response

from rfi_news.distributed.connection import redis_url_of

logger = logging.getLogger(__name__)

STATE_DIR_SETTING = "RFI_STATE_DIR"

# What an article *says*: a change in any of these is a new version worth emitting again. Left out: what the
# url determines (section, column, language), the times of the feed and of the crawl (feed_published,
# crawled_at), where the record came from (source), and published/published_raw (the publication time does not
# change what the article says; an edit shows in ``updated``).
CONTENT_FIELDS = ("title", "lead", "paragraphs", "updated", "image", "authors", "tags", "credit")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    url TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    updated TEXT,
    first_emitted TEXT NOT NULL,
    last_emitted TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT
);
"""


def content_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 of the record's :data:`CONTENT_FIELDS`, independent of key order and of every other field."""
    content = {name: record.get(name) for name in CONTENT_FIELDS}
    payload = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def state_dir_of(settings: Any) -> str | None:
    """The state folder: the setting, else the environment variable; ``None`` (state off) when neither is set."""
    return settings.get(STATE_DIR_SETTING) or os.environ.get(STATE_DIR_SETTING) or None


class StateLockedError(RuntimeError):
    """Another run of the same spider holds the state."""


@dataclass(frozen=True)
class FeedValidators:
    etag: str | None
    last_modified: str | None


class CrawlStateBackend(Protocol):
    """What the pipeline, the middleware, the spiders and the keeper use of a state: :class:`CrawlState` (SQLite,
    one machine) or :class:`rfi_news.distributed.state.RedisCrawlState` (several workers, ``RFI_REDIS_URL``)."""

    committed: bool

    @property
    def path(self) -> Any: ...  # where the state is, for the log
    def knows(self, url: str) -> bool: ...
    def article_hash(self, url: str) -> str | None: ...
    def record_article(self, url: str, digest: str, updated: str | None) -> None: ...
    def feed_validators(self, url: str) -> FeedValidators | None: ...
    def record_feed(self, url: str, validators: FeedValidators) -> None: ...
    def commit(self) -> None: ...
    def close(self) -> None: ...


class CrawlState:
    """One spider's state: an SQLite file and an exclusive lock, both held for the whole run."""

    def __init__(self, directory: Path, spider_name: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{spider_name}.sqlite3"
        self.lock_path = directory / f"{spider_name}.lock"
        self._lock_file: IO[str] | None = self._acquire_lock()
        # isolation_level=None: transactions are begun and committed here, explicitly, once per run.
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.executescript(_SCHEMA)
        self.db.execute("BEGIN IMMEDIATE")
        self.committed = False

    def _acquire_lock(self) -> IO[str]:
        lock_file = self.lock_path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.seek(0)
            holder = lock_file.read().strip() or "unknown"
            lock_file.close()
            raise StateLockedError(
                f"another run of this spider holds {self.lock_path} ({holder}); refusing to run on the same state"
            ) from None
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(f"pid {os.getpid()}, since {datetime.now(UTC).replace(microsecond=0).isoformat()}\n")
        lock_file.flush()
        return lock_file

    # --- articles ---
    def article_hash(self, url: str) -> str | None:
        row = self.db.execute("SELECT content_hash FROM articles WHERE url = ?", (url,)).fetchone()
        return row[0] if row else None

    def knows(self, url: str) -> bool:
        return self.db.execute("SELECT 1 FROM articles WHERE url = ?", (url,)).fetchone() is not None

    def record_article(self, url: str, digest: str, updated: str | None) -> None:
        """Note an emitted article (committed with the run, see :meth:`commit`)."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.db.execute(
            "INSERT INTO articles (url, content_hash, updated, first_emitted, last_emitted) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(url) DO UPDATE SET content_hash = excluded.content_hash, updated = excluded.updated,"
            " last_emitted = excluded.last_emitted",
            (url, digest, updated, now, now),
        )

    # --- feeds ---
    def feed_validators(self, url: str) -> FeedValidators | None:
        row = self.db.execute("SELECT etag, last_modified FROM feeds WHERE url = ?", (url,)).fetchone()
        return FeedValidators(*row) if row else None

    def record_feed(self, url: str, validators: FeedValidators) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO feeds (url, etag, last_modified) VALUES (?, ?, ?)",
            (url, validators.etag, validators.last_modified),
        )

    # --- the run ---
    def commit(self) -> None:
        """Make the run's rows durable: call only once its output is published."""
        self.db.execute("COMMIT")
        self.committed = True

    def close(self) -> None:
        """End the run: what was not committed is rolled back; the lock is released."""
        if self._lock_file is None:
            return
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        self.db.close()
        self._lock_file.close()  # closing the file releases the flock
        self._lock_file = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_STATES: WeakKeyDictionary[Crawler, CrawlStateBackend | None] = WeakKeyDictionary()


def crawl_state(crawler: Crawler) -> CrawlStateBackend | None:
    """The crawler's state, opened (and locked) on first use; ``None`` when state is off.

    With ``RFI_REDIS_URL`` set (distributed mode) it is the Redis state every worker shares, whatever
    ``RFI_STATE_DIR`` says; else the SQLite :class:`CrawlState` under ``RFI_STATE_DIR``.
    The pipeline, the downloader middleware, the spiders and the closing extension all share this one object.
    Raises :class:`StateLockedError` when another run of the spider holds the (SQLite) state.
    """
    if crawler not in _STATES:
        directory = state_dir_of(crawler.settings)
        if crawler.spidercls is not None and redis_url_of(crawler.settings):
            from rfi_news.distributed.state import RedisCrawlState  # here: it imports this module

            _STATES[crawler] = RedisCrawlState.from_crawler(crawler)
        elif directory is None or crawler.spidercls is None:
            _STATES[crawler] = None
        else:
            _STATES[crawler] = CrawlState(Path(directory), crawler.spidercls.name)
    return _STATES[crawler]


def conditional_headers(crawler: Crawler, url: str) -> dict[str, str]:
    """``If-None-Match``/``If-Modified-Since`` for a feed read cleanly before; empty when state is off or unknown."""
    state = crawl_state(crawler)
    validators = state.feed_validators(url) if state else None
    headers = {}
    if validators and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def remember_feed(crawler: Crawler, url: str, response: Response) -> None:
    """Keep the validators of a cleanly read feed for the next run's conditional request (when state is on).

    ``url`` is the feed's URL as asked for, before any redirect: the next run's request looks it up by that.

    Only a feed the spider could read is remembered: a broken document with an ``ETag`` must not turn into a
    ``304`` next time, which would stop the spider from trying the mirrors.
    """
    state = crawl_state(crawler)
    if state is None:
        return
    etag = response.headers.get(b"ETag")
    last_modified = response.headers.get(b"Last-Modified")
    if etag or last_modified:
        state.record_feed(
            url,
            FeedValidators(
                etag=etag.decode("latin-1") if etag else None,
                last_modified=last_modified.decode("latin-1") if last_modified else None,
            ),
        )
