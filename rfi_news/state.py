"""Persistent crawl state for scheduled runs: what a spider has already emitted, and its feeds' validators.

On only when ``RFI_STATE_DIR`` (a setting, or the environment variable of that name) names a folder. Each spider
has its own SQLite file there, ``<spider>.sqlite3``, and its own lock, ``<spider>.lock``, so the state of one
spider's output never depends on another's.

The state has one owner, :class:`rfi_news.extensions.CrawlStateKeeper`, which opens it for the run; the
pipeline, the middleware and the spiders reach it through the crawler (:func:`crawl_state`). Its interface is
:class:`CrawlStateBackend`, so another backend (Redis, say) can stand in for the SQLite file.

An article counts as emitted once the file that holds it is published, and the two are one step as seen by the
next run: the state notes the finished part file, its digest and its articles (a *publication*, committed)
before the part is renamed into place, and marks it published after. A run that finds a publication still
pending (its predecessor was killed in between) completes it, or drops it if its file is gone
(:func:`rfi_news.feedstorage.recover_publications`). What the run learns otherwise (feeds' ``ETag`` /
``Last-Modified``, articles sent to a storage that cannot take part) is committed when the run ends
(:meth:`CrawlState.commit`), after its last file is published.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol, Self, cast, runtime_checkable

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler, load_object

from rfi_news.distributed.connection import redis_url_of
from rfi_news.files import LockHeld, mark_holder, replace_durably, take_lock

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
CREATE TABLE IF NOT EXISTS archive_files (
    digest BLOB PRIMARY KEY,
    url TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT
);
CREATE TABLE IF NOT EXISTS publications (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    part TEXT NOT NULL,
    digest TEXT NOT NULL,
    records INTEGER NOT NULL,
    status TEXT NOT NULL,
    prepared TEXT NOT NULL,
    published TEXT
);
CREATE TABLE IF NOT EXISTS publication_articles (
    publication INTEGER NOT NULL REFERENCES publications (id),
    url TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    updated TEXT
);
"""
PENDING, PUBLISHED = "pending", "published"


def content_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 of the record's :data:`CONTENT_FIELDS`, independent of key order and of every other field."""
    content = {name: record.get(name) for name in CONTENT_FIELDS}
    payload = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def state_dir_of(settings: Any) -> str | None:
    """The state folder: the setting, else the environment variable; ``None`` (state off) when neither is set."""
    return settings.get(STATE_DIR_SETTING) or os.environ.get(STATE_DIR_SETTING) or None


class RunRefused(RuntimeError):
    """A run that must not start; the message is the one line that says why and what to do (no traceback)."""


class StateLockedError(RunRefused):
    """Another run of the same spider holds the state."""


class StateDamagedError(RunRefused):
    """The state file is damaged or emptied: the run stops before it emits anything."""


class StateUnavailableError(RunRefused):
    """The state folder or file cannot be used (read-only, missing permissions, not a folder…)."""


class StateWriteError(OSError):
    """Writing the state failed (full disk, read-only file system…): ``path`` and ``reason`` say where and why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class FeedValidators:
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class EmittedArticle:
    """What the state keeps of an emitted article."""

    url: str
    content_hash: str
    updated: str | None

    @classmethod
    def of(cls, item: Any) -> Self:
        adapter = ItemAdapter(item)
        return cls(adapter["url"], content_hash(adapter), adapter.get("updated"))


@dataclass
class Publication:
    """A finished part file about to become (or that became) the output file ``target``, with its articles."""

    target: str
    part: str
    digest: str
    articles: Sequence[EmittedArticle] = field(default_factory=tuple)
    id: int | None = None


class CrawlStateBackend(Protocol):
    """What every state backend offers: :class:`CrawlState` (SQLite, one machine) and
    :class:`rfi_news.distributed.state.RedisCrawlState` (several workers, ``RFI_REDIS_URL``).

    Lookups see what was published by earlier runs and what this run has emitted so far. ``record_*`` note what
    the run learns; :meth:`commit` makes it durable at the run's end. Writes may raise :class:`StateWriteError`.
    """

    committed: bool

    @property
    def path(self) -> Any: ...  # where the state is, for the log
    def knows(self, url: str) -> bool: ...
    def article_hash(self, url: str) -> str | None: ...
    def record_article(self, url: str, digest: str, updated: str | None) -> None: ...
    def knows_file(self, digest: bytes) -> bool: ...  # an archive file already read into a published record
    def record_file(self, digest: bytes, url: str) -> None: ...
    def feed_validators(self, url: str) -> FeedValidators | None: ...
    def record_feed(self, url: str, validators: FeedValidators) -> None: ...
    def commit(self) -> None: ...
    def close(self) -> None: ...


@runtime_checkable
class PublicationJournal(Protocol):
    """A backend that also keeps the publication journal, making "this file is published" and "its articles are
    emitted" one step as seen by the next run (:mod:`rfi_news.feedstorage`). A backend without it (the Redis one,
    so far) has its articles committed when the run ends, as :meth:`CrawlStateBackend.commit` does."""

    def begin_publication(self, publication: Publication) -> None:
        """Durably note a pending publication (sets ``publication.id``), before its part is renamed."""

    def end_publication(self, publication: Publication) -> None:
        """Its file is in place: its articles count as emitted, durably."""

    def drop_publication(self, publication: Publication) -> None:
        """Its file never made it: forget the publication (its articles are emitted again next run)."""

    def pending_publications(self) -> list[Publication]: ...


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_FILE_UPSERT = "INSERT OR REPLACE INTO archive_files (digest, url) VALUES (?, ?)"
_ARTICLE_UPSERT = (
    "INSERT INTO articles (url, content_hash, updated, first_emitted, last_emitted) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT(url) DO UPDATE SET content_hash = excluded.content_hash, updated = excluded.updated,"
    " last_emitted = excluded.last_emitted"
)
# SQLite's result codes for a file that is not (or no longer) a sound database.
_DAMAGE_CODES = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}


def rebuild_hint(spider_name: str) -> str:
    return (
        f"rebuild it from the published output with `scrapy state rebuild {spider_name} <output folder or files>`,"
        " or move it away to start afresh (every article is then emitted again)"
    )


class CrawlState:
    """One spider's state: an SQLite file and an exclusive lock, both held for the whole run.

    The file is checked when opened (SQLite's ``integrity_check``): a damaged, emptied or foreign file stops the
    run (:class:`StateDamagedError`) rather than being read as "nothing emitted yet".
    """

    def __init__(self, directory: Path, spider_name: str) -> None:
        self.spider_name = spider_name
        self.path = directory / f"{spider_name}.sqlite3"
        self.lock_path = directory / f"{spider_name}.lock"
        self.committed = False
        self._run_articles: dict[str, EmittedArticle] = {}
        # Archive files read into this run's records, by the record's url: written with the article's publication.
        self._run_files: dict[str, set[bytes]] = {}
        # The digests of the files already published, read in one query when first asked: a query per file cost
        # some 9 µs (sqlite3's cost per statement), a set lookup 0.1 µs; about 8 MB per 100,000 files.
        self._known_files: set[bytes] | None = None
        self._run_feeds: dict[str, FeedValidators] = {}
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._lock_file: IO[str] | None = self._acquire_lock()
        except OSError as exc:
            raise StateUnavailableError(f"cannot use the crawl state folder {directory}: {_reason(exc)}") from None
        try:
            self.db = self._open_checked()
        except BaseException:
            self._release_lock()
            raise

    def _create(self) -> None:
        """A new state file, made whole under a temporary name and renamed: so an empty file at ``path`` can only
        be damage (SQLite itself leaves a 0-byte file until its first write)."""
        fresh = self.path.with_name(f".{self.path.name}.new")
        fresh.unlink(missing_ok=True)
        try:
            db = sqlite3.connect(fresh, isolation_level=None)
            try:
                db.executescript(_SCHEMA)
            finally:
                db.close()
            with fresh.open("rb") as file:
                os.fsync(file.fileno())
            replace_durably(fresh, self.path)
        except (OSError, sqlite3.Error) as exc:
            fresh.unlink(missing_ok=True)
            raise StateUnavailableError(f"cannot create the crawl state {self.path}: {exc}") from None

    def _open_checked(self) -> sqlite3.Connection:
        if not self.path.exists():
            self._create()
        elif self.path.stat().st_size == 0:
            raise StateDamagedError(f"the crawl state {self.path} is empty (0 bytes): {rebuild_hint(self.spider_name)}")
        db = None
        try:
            # isolation_level=None: every transaction is begun and committed here, explicitly.
            db = sqlite3.connect(self.path, isolation_level=None)
            problems = [row[0] for row in db.execute("PRAGMA integrity_check").fetchall()]
            if problems != ["ok"]:
                raise StateDamagedError(
                    f"the crawl state {self.path} is damaged ({'; '.join(problems[:2])}): "
                    + rebuild_hint(self.spider_name)
                )
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"articles", "feeds"} <= tables:
                raise StateDamagedError(
                    f"the crawl state {self.path} holds no crawl state (tables {sorted(tables)}): "
                    + rebuild_hint(self.spider_name)
                )
            db.execute("PRAGMA synchronous = FULL")
            db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            if getattr(exc, "sqlite_errorname", "") in _DAMAGE_CODES:
                raise StateDamagedError(
                    f"the crawl state {self.path} is damaged ({exc}): {rebuild_hint(self.spider_name)}"
                ) from None
            raise StateUnavailableError(f"cannot open the crawl state {self.path}: {exc}") from None
        except BaseException:
            if db is not None:
                db.close()
            raise
        return db

    def _acquire_lock(self) -> IO[str]:
        try:
            lock_file = take_lock(self.lock_path)
        except LockHeld as held:
            raise StateLockedError(
                f"another run of this spider holds {self.lock_path} ({held.holder}); refusing to run on the same state"
            ) from None
        mark_holder(lock_file)
        return lock_file

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # closing the file releases the flock
            self._lock_file = None

    def _write(
        self, statements: Sequence[tuple[str, Sequence[Any]]], many: Sequence[tuple[str, list[Any]]] = ()
    ) -> None:
        """One transaction: all of it is durable, or (on any error) none of it, reported as StateWriteError."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            for sql, parameters in statements:
                self.db.execute(sql, parameters)
            for sql, rows in many:
                self.db.executemany(sql, rows)
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StateWriteError(self.path, str(exc)) from None

    def _rollback(self) -> None:
        if self.db.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # the write's own error is the one to report
                self.db.execute("ROLLBACK")

    # --- articles ---
    def article_hash(self, url: str) -> str | None:
        if url in self._run_articles:
            return self._run_articles[url].content_hash
        row = self.db.execute("SELECT content_hash FROM articles WHERE url = ?", (url,)).fetchone()
        return row[0] if row else None

    def knows(self, url: str) -> bool:
        if url in self._run_articles:
            return True
        return self.db.execute("SELECT 1 FROM articles WHERE url = ?", (url,)).fetchone() is not None

    def record_article(self, url: str, digest: str, updated: str | None) -> None:
        """Note an article this run emitted: durable with its publication, or at the latest with :meth:`commit`."""
        self._run_articles[url] = EmittedArticle(url, digest, updated)

    # --- archive files ---
    def knows_file(self, digest: bytes) -> bool:
        """Whether an archive file with this digest (see ``rfi_news.spiders.archive.file_digest``) was read into a
        record that is published, so the file need not be read again."""
        if self._known_files is None:
            self._known_files = {digest for (digest,) in self.db.execute("SELECT digest FROM archive_files")}
        return digest in self._known_files

    def record_file(self, digest: bytes, url: str) -> None:
        """Note an archive file whose record is emitted (or was, unchanged): kept in memory and written with the
        article's publication (or at the latest by :meth:`commit`), so a file counts as done only once its record
        is published."""
        self._run_files.setdefault(url, set()).add(digest)

    def _file_rows(self, urls: Any) -> list[tuple[bytes, str]]:
        return [(digest, url) for url in urls for digest in self._run_files.pop(url, ())]

    def _published_files(self, rows: list[tuple[bytes, str]]) -> None:
        """Once written: the files are known from now on, in this run too (as they were when asked of SQLite)."""
        if self._known_files is not None:
            self._known_files.update(digest for digest, _ in rows)

    # --- feeds ---
    def feed_validators(self, url: str) -> FeedValidators | None:
        row = self.db.execute("SELECT etag, last_modified FROM feeds WHERE url = ?", (url,)).fetchone()
        return FeedValidators(*row) if row else None

    def record_feed(self, url: str, validators: FeedValidators) -> None:
        """Kept for :meth:`commit`: a feed's validators count only once everything read from it is published."""
        self._run_feeds[url] = validators

    # --- the publication journal ---
    def begin_publication(self, publication: Publication) -> None:
        now = _now()
        try:
            self.db.execute("BEGIN IMMEDIATE")
            cursor = self.db.execute(
                "INSERT INTO publications (target, part, digest, records, status, prepared) VALUES (?, ?, ?, ?, ?, ?)",
                (publication.target, publication.part, publication.digest, len(publication.articles), PENDING, now),
            )
            publication.id = cursor.lastrowid
            self.db.executemany(
                "INSERT INTO publication_articles (publication, url, content_hash, updated) VALUES (?, ?, ?, ?)",
                [(publication.id, a.url, a.content_hash, a.updated) for a in publication.articles],
            )
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            publication.id = None
            self._rollback()
            raise StateWriteError(self.path, str(exc)) from None

    def end_publication(self, publication: Publication) -> None:
        now = _now()
        files = self._file_rows(a.url for a in publication.articles)
        self._write(
            [
                ("UPDATE publications SET status = ?, published = ? WHERE id = ?", (PUBLISHED, now, publication.id)),
                ("DELETE FROM publication_articles WHERE publication = ?", (publication.id,)),
            ],
            [
                (_ARTICLE_UPSERT, [(a.url, a.content_hash, a.updated, now, now) for a in publication.articles]),
                (_FILE_UPSERT, files),
            ],
        )
        self._published_files(files)

    def drop_publication(self, publication: Publication) -> None:
        self._write(
            [
                ("DELETE FROM publication_articles WHERE publication = ?", (publication.id,)),
                ("DELETE FROM publications WHERE id = ?", (publication.id,)),
            ]
        )

    def pending_publications(self) -> list[Publication]:
        pending = []
        rows = self.db.execute(
            "SELECT id, target, part, digest FROM publications WHERE status = ? ORDER BY id", (PENDING,)
        ).fetchall()
        for publication_id, target, part, digest in rows:
            articles = tuple(
                EmittedArticle(*row)
                for row in self.db.execute(
                    "SELECT url, content_hash, updated FROM publication_articles WHERE publication = ? ORDER BY rowid",
                    (publication_id,),
                )
            )
            pending.append(Publication(target, part, digest, articles, publication_id))
        return pending

    # --- the run ---
    def commit(self) -> None:
        """The run's end, once its last file is published: its feeds' validators, and every article it emitted."""
        now = _now()
        files = self._file_rows(list(self._run_files))
        self._write(
            [],
            [
                (_ARTICLE_UPSERT, [(a.url, a.content_hash, a.updated, now, now) for a in self._run_articles.values()]),
                (_FILE_UPSERT, files),
                (
                    "INSERT OR REPLACE INTO feeds (url, etag, last_modified) VALUES (?, ?, ?)",
                    [(url, v.etag, v.last_modified) for url, v in self._run_feeds.items()],
                ),
            ],
        )
        self._published_files(files)
        self.committed = True

    def close(self) -> None:
        """End the run (what was not committed is forgotten) and release the lock."""
        if self._lock_file is None:
            return
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        self.db.close()
        self._release_lock()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def rebuild_state(directory: Path, spider_name: str, articles: Iterable[EmittedArticle]) -> tuple[int, Path | None]:
    """A new state for the spider holding ``articles`` (later ones win), in place of the file there now, which is
    kept beside it as ``<spider>.sqlite3.damaged-<time>``. Returns ``(articles, kept file)``; holds the lock."""
    path = directory / f"{spider_name}.sqlite3"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = None
    holder = CrawlState.__new__(CrawlState)  # only its lock, for the time of the rebuild
    holder.lock_path = directory / f"{spider_name}.lock"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        holder._lock_file = holder._acquire_lock()
    except OSError as exc:
        raise StateUnavailableError(f"cannot use the crawl state folder {directory}: {_reason(exc)}") from None
    try:
        latest = {article.url: article for article in articles}
        fresh = path.with_name(f".{path.name}.new")
        fresh.unlink(missing_ok=True)
        db = sqlite3.connect(fresh, isolation_level=None)
        try:
            db.executescript(_SCHEMA)
            now = _now()
            db.execute("BEGIN IMMEDIATE")
            db.executemany(_ARTICLE_UPSERT, [(a.url, a.content_hash, a.updated, now, now) for a in latest.values()])
            db.execute("COMMIT")
        finally:
            db.close()
        with fresh.open("rb") as file:
            os.fsync(file.fileno())
        for old in (path, path.with_name(path.name + "-journal")):
            if old.exists():
                moved = old.with_name(f"{old.name}.damaged-{stamp}")
                old.replace(moved)
                kept = kept or moved
        replace_durably(fresh, path)
    finally:
        holder._release_lock()
    return len(latest), kept


def open_state(crawler: Crawler) -> CrawlStateBackend | None:
    """A new state for the crawler's spider, for its one owner only; ``None`` when state is off.

    With ``RFI_REDIS_URL`` set (distributed mode) it is the Redis state every worker shares, whatever
    ``RFI_STATE_DIR`` says. ``RFI_STATE_BACKEND`` (a class path) replaces the SQLite file: the class is built ``from_crawler`` and must
    implement :class:`CrawlStateBackend`, raising a :class:`RunRefused` when the run must not start.
    """
    backend = crawler.settings.get("RFI_STATE_BACKEND")
    if backend:
        return cast("CrawlStateBackend", build_from_crawler(load_object(backend), crawler))
    if crawler.spidercls is not None and redis_url_of(crawler.settings):
        from rfi_news.distributed.state import RedisCrawlState  # here: it imports this module

        return RedisCrawlState.from_crawler(crawler)
    directory = state_dir_of(crawler.settings)
    if directory is None or crawler.spidercls is None:
        return None
    return CrawlState(Path(directory), crawler.spidercls.name)


def crawl_state(crawler: Crawler) -> CrawlStateBackend | None:
    """The run's state, as opened by its owner (:class:`rfi_news.extensions.CrawlStateKeeper`); ``None`` when off."""
    from rfi_news.extensions import CrawlStateKeeper  # the owner's module imports this one

    try:
        keeper = crawler.get_extension(CrawlStateKeeper)
    except RuntimeError:  # a crawler that runs no crawl (the library API's pipelines): it has no extensions
        return None
    return keeper.state if keeper is not None else None


def required_crawl_state(crawler: Crawler) -> CrawlStateBackend:
    """The run's state, for a component that exists only with it: ``NotConfigured`` (the component is off) without."""
    state = crawl_state(crawler)
    if state is None:
        raise NotConfigured
    return state


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
