"""Publishing the output: local files never seen half-written, published in checkpoints, exactly once with the state.

Three pieces, each at one of Scrapy's extension points:

* :class:`AtomicFileFeedStorage` (``FEED_STORAGES`` for local paths) writes a feed to a hidden part file beside
  its target, ``<dir>/.<name>.<spider>.part``, and hands the finished part to the publisher instead of writing
  the target itself.
* :class:`CheckpointFeedExporter` (Scrapy's ``FeedExporter``, in its ``EXTENSIONS`` place) publishes a feed whose
  URI names its parts (``%(batch_id)d``, as the default per-run output does) every ``RFI_CHECKPOINT_ITEMS``
  records or ``RFI_CHECKPOINT_SECONDS`` seconds, not only when the run ends, so a killed run loses at most the
  records since the last checkpoint. It publishes every local file before the run's monitors run, so their
  figures are what was really published.
* :class:`Publisher` places a finished part: ``fsync``, digest, then (crawl state on) a *publication* noted in the
  state, the rename, the publication marked done. A run killed at any instant leaves either a part file the next
  run completes (its digest says it is whole) or a published file whose articles the next run records
  (:func:`recover_publications`): every article is in the published files exactly once. It also applies the
  publishing policy (docs/scheduling.md): a run that wrote no record never replaces an existing file, and an
  unhealthy run's ``-O`` output goes beside the existing file (``<stem>.unhealthy<suffix>``) instead of over it.

A storage fault (full disk, read-only folder, a failed state write) is one ERROR line naming the path and the
reason, the stat ``rfi_news/storage/failed``, and, during the run, the finish reason ``storage_failed``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import IO, Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FeedExporter, FeedSlot, FileFeedStorage, apply_uri_params
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro

from rfi_news.files import PART_SUFFIX, file_digest, hidden_part_path, replace_durably
from rfi_news.health import (
    PUBLISHED_RECORDS_STAT,
    STATUS_STAT,
    STORAGE_FAILED_COUNT_STAT,
    STORAGE_FAILED_STAT,
    UNHEALTHY,
)
from rfi_news.state import (
    CrawlStateBackend,
    EmittedArticle,
    Publication,
    PublicationJournal,
    StateWriteError,
    crawl_state,
)

logger = logging.getLogger(__name__)

PUBLISHED_FILES_STAT = "rfi_news/storage/published_files"
LEFTOVERS_STAT = "rfi_news/storage/leftovers_removed"
STORAGE_FAILED_REASON = "storage_failed"
UNHEALTHY_TAG = ".unhealthy"

# Tests only: RFI_TEST_PAUSE_AT=<point>[#<n>] makes the process print "rfi-news paused at <point>" on stderr and
# sleep at the n-th pass (default the first) through that point, so a test can SIGKILL it exactly there.
PAUSE_ENV = "RFI_TEST_PAUSE_AT"
_passes: Counter[str] = Counter()


def pause_point(name: str) -> None:
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted:
        return
    point, _, nth = wanted.partition("#")
    if point != name:
        return
    _passes[name] += 1
    if _passes[name] == int(nth or 1):
        sys.stderr.write(f"rfi-news paused at {name}\n")
        sys.stderr.flush()
        time.sleep(3600)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, StateWriteError):
        return exc.reason
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def storage_failed(crawler: Crawler, path: Path | str, exc: BaseException, consequence: str) -> None:
    """The first fault: one ERROR line and the stats, and (during the run) the spider closes with the reason
    ``storage_failed``. Later faults of the same run (the other files it could not publish) are warnings."""
    stats = crawler.stats
    assert stats is not None
    where = exc.path if isinstance(exc, StateWriteError) else path
    stats.inc_value(STORAGE_FAILED_COUNT_STAT)
    if stats.get_value(STORAGE_FAILED_STAT):
        logger.warning("Storage failed again: %s: %s; %s", where, _reason(exc), consequence)
        return
    logger.error("Storage failure: %s: %s; %s", where, _reason(exc), consequence)
    stats.set_value(STORAGE_FAILED_STAT, f"{where}: {_reason(exc)}")
    engine = crawler.engine
    if engine is not None and engine.running and engine.spider is not None:
        # A spider already closing (the final publication) keeps its reason; the stat tells the monitors.
        deferred_from_coro(engine.close_spider_async(reason=STORAGE_FAILED_REASON))


def discard(part: Path) -> None:
    """A part that will not be published: removed now (its records come out in the next run), freeing the disk."""
    with contextlib.suppress(OSError):
        part.unlink(missing_ok=True)


class AtomicFileFeedStorage(FileFeedStorage):
    """Scrapy's file storage, writing to a hidden part file that only the :class:`Publisher` turns into the target.

    ``-o`` (append) starts the part with a copy of the existing file, so an append is atomic too, at the cost of a
    copy of the file per publication (fine for per-run files; worth knowing for a single file that grows for years).
    """

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, crawler: Crawler | None = None) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.crawler = crawler
        self.target = Path(self.path)
        self.part_path = hidden_part_path(self.target)
        self.records = 0
        self.articles: list[EmittedArticle] = []
        self.broken = False  # a write into it failed: it is never published

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None) -> Self:
        return cls(uri, feed_options=feed_options, crawler=crawler)

    @property
    def overwrite(self) -> bool:
        return self.write_mode == "wb"

    def open(self, spider: Spider) -> IO[bytes]:
        # Tagged with the spider: the next run of that spider (which holds its lock) knows a leftover is dead.
        self.part_path = hidden_part_path(self.target, spider.name)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        if not self.overwrite and self.target.exists():
            shutil.copyfile(self.target, self.part_path)
        else:
            self.part_path.unlink(missing_ok=True)  # a killed run's leftover of the same name
        return self.part_path.open(self.write_mode)

    def note(self, item: Any, with_state: bool) -> None:
        """The exporter is writing ``item`` into this file (called just before it does)."""
        self.records += 1
        if with_state:
            self.articles.append(EmittedArticle.of(item))

    def store(self, file: IO[bytes]) -> None:
        file.flush()
        os.fsync(file.fileno())
        file.close()
        exporter = self.crawler.get_extension(CheckpointFeedExporter) if self.crawler else None
        if exporter is None:  # used on its own (no project exporter): publish at once
            replace_durably(self.part_path, self.target)
            return
        exporter.publisher.publish(self)


class Publisher:
    """Places finished part files, in step with the crawl state, by the publishing policy."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.held: list[AtomicFileFeedStorage] = []
        self.withheld = False  # an unhealthy run's output went beside the file it would have replaced

    @property
    def state(self) -> CrawlStateBackend | None:
        return crawl_state(self.crawler)

    def publish(self, storage: AtomicFileFeedStorage) -> None:
        target = storage.target
        if storage.records == 0 and target.exists():
            storage.part_path.unlink(missing_ok=True)
            logger.info("No record in this run: %s is left as it was", target)
            return
        if storage.overwrite and target.exists() and self.crawler.settings.getbool("SPIDERMON_ENABLED"):
            # Replacing a file: wait for the run's verdict (its monitors run next), see publish_held().
            self.held.append(storage)
            self.count(storage)
            return
        if self.place(storage, target, storage.articles):
            self.count(storage)

    def count(self, storage: AtomicFileFeedStorage) -> None:
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(PUBLISHED_RECORDS_STAT, storage.records)
        stats.inc_value(PUBLISHED_FILES_STAT)

    def place(self, storage: AtomicFileFeedStorage, target: Path, articles: list[EmittedArticle]) -> bool:
        """Rename the part onto ``target`` as one step with the state; ``False`` (reported) when storage failed."""
        part = storage.part_path
        state = self.state
        try:
            if not isinstance(state, PublicationJournal):  # no state, or one committed at the run's end only
                replace_durably(part, target)
                return True
            publication = Publication(str(target), str(part), file_digest(part), articles)
            pause_point("part_written")
            state.begin_publication(publication)
            pause_point("publication_noted")
            replace_durably(part, target)
            pause_point("renamed")
            state.end_publication(publication)
            pause_point("published")
        except (OSError, StateWriteError) as exc:
            published = target.exists() and not part.exists()
            if published:
                consequence = f"{target} was published; the next run records its {len(articles)} article(s)"
            else:
                consequence = f"{target} not published; its {storage.records} record(s) come out in the next run"
                if not (isinstance(state, PublicationJournal) and state.pending_publications()):
                    discard(part)  # no pending publication refers to it: nothing will ever complete it
            storage_failed(self.crawler, part if not published else target, exc, consequence)
            return published
        return True

    def publish_held(self) -> None:
        """The run's verdict is in: a healthy run replaces the files it was given, an unhealthy one writes beside."""
        stats = self.crawler.stats
        assert stats is not None
        unhealthy = stats.get_value(STATUS_STAT) == UNHEALTHY or bool(stats.get_value(STORAGE_FAILED_STAT))
        for storage in self.held:
            if not unhealthy:
                self.place(storage, storage.target, storage.articles)
                continue
            beside = storage.target.with_name(storage.target.stem + UNHEALTHY_TAG + storage.target.suffix)
            if self.place(storage, beside, []):
                self.withheld = True
                logger.error(
                    "Kept %s as it was: this run is unhealthy (%s); its %d record(s) are in %s",
                    storage.target,
                    ", ".join(stats.get_value("rfi_news/health/failed") or ["storage"]),
                    storage.records,
                    beside,
                )
        self.held = []


class CheckpointFeedExporter(FeedExporter):
    """Scrapy's feed exporter, publishing local files through the :class:`Publisher`, in checkpoints.

    A feed whose URI names its parts (``%(batch_id)d`` or ``%(batch_time)s``) is published every
    ``RFI_CHECKPOINT_ITEMS`` records or ``RFI_CHECKPOINT_SECONDS`` seconds (0 turns either off); Scrapy's own
    ``FEED_EXPORT_BATCH_ITEM_COUNT`` works as well. A single file (``-O out.jsonl``) cannot be published in parts
    without being rewritten: it is published once, when the run ends. ``%(run_time)s`` in a URI is the run's
    start time (the same for all its parts).
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.publisher = Publisher(crawler)
        self.checkpoint_items = crawler.settings.getint("RFI_CHECKPOINT_ITEMS")
        self.checkpoint_seconds = crawler.settings.getfloat("RFI_CHECKPOINT_SECONDS")
        self.run_time = time.strftime("%Y-%m-%dT%H-%M-%S+00-00", time.gmtime())
        self.opened_at: dict[int, float] = {}
        self.closed: set[int] = set()  # slots published by close_spider itself
        self.failed = False
        self.timer: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        exporter = super().from_crawler(crawler)
        crawler.signals.connect(exporter.engine_stopped, signals.engine_stopped)
        return exporter

    @staticmethod
    def has_parts(uri_template: str) -> bool:
        return re.search(r"%\(batch_time\)s|%\(batch_id\)", uri_template) is not None

    def open_spider(self, spider: Spider) -> None:
        super().open_spider(spider)
        if self.checkpoint_seconds > 0 and any(self.has_parts(uri) for uri in self.feeds):
            self.timer = create_looping_call(self.checkpoint_due, spider)
            self.timer.start(min(self.checkpoint_seconds, 1.0), now=False)

    def _get_uri_params(self, spider: Spider, uri_params_function: Any, slot: FeedSlot | None = None) -> dict[str, Any]:
        params = super()._get_uri_params(spider, uri_params_function, slot)
        params.setdefault("run_time", self.run_time)
        return params

    def _start_new_batch(self, *args: Any, **kwargs: Any) -> FeedSlot:
        slot = super()._start_new_batch(*args, **kwargs)
        self.opened_at[id(slot)] = time.monotonic()
        return slot

    def item_scraped(self, item: Any, spider: Spider) -> None:
        if self.failed:
            return  # the output failed: the run is closing, nothing more is written
        with_state = self.publisher.state is not None
        for slot in self.slots:
            if isinstance(slot.storage, AtomicFileFeedStorage) and slot.filter.accepts(item):
                slot.storage.note(item, with_state)
        try:
            super().item_scraped(item, spider)
        except OSError as exc:
            self.failed = True
            for slot in self.slots:  # a write failed in one of them: each may end in half a line
                if isinstance(slot.storage, AtomicFileFeedStorage):
                    slot.storage.broken = True
            path = next((s.storage.part_path for s in self.slots if isinstance(s.storage, AtomicFileFeedStorage)), "")
            storage_failed(
                self.crawler, path, exc, "the run stops; what it had not published comes out in the next run"
            )
            return
        if self.checkpoint_items > 0:
            self.checkpoint(spider, lambda slot: slot.itemcount >= self.checkpoint_items)

    def checkpoint_due(self, spider: Spider) -> None:
        now = time.monotonic()
        self.checkpoint(spider, lambda slot: now - self.opened_at.get(id(slot), now) >= self.checkpoint_seconds)

    def checkpoint(self, spider: Spider, due: Any) -> None:
        """Publish each part that is due and open the next one (as Scrapy's batches do)."""
        if self.failed:
            return
        slots = []
        for slot in self.slots:
            if slot.itemcount and self.has_parts(slot.uri_template) and due(slot):
                options = self.feeds[slot.uri_template]
                uri_params = self._get_uri_params(spider, options["uri_params"], slot)
                self._schedule_slot_close(slot, spider)
                slot = self._start_new_batch(
                    batch_id=slot.batch_id + 1,
                    uri=apply_uri_params(slot.uri_template, uri_params),
                    feed_options=options,
                    spider=spider,
                    uri_template=slot.uri_template,
                )
            slots.append(slot)
        self.slots = slots

    async def _close_slot(self, slot: FeedSlot, spider: Spider) -> None:
        if not isinstance(slot.storage, AtomicFileFeedStorage):
            await super()._close_slot(slot, spider)
            return
        if id(slot) in self.closed:
            return
        if self.close_atomic_slot(slot):
            await self.crawler.signals.send_catch_log_async(signals.feed_slot_closed, slot=slot)

    def close_atomic_slot(self, slot: FeedSlot) -> bool:
        """Finish, store and publish a local file, synchronously; ``False`` when there was nothing to store."""
        self.opened_at.pop(id(slot), None)
        storage = slot.storage
        assert isinstance(storage, AtomicFileFeedStorage)
        if storage.broken:
            discard(storage.part_path)
            logger.warning("Not published (a write to it failed): %s (%d record(s))", storage.target, storage.records)
            return False
        try:
            if slot.itemcount:
                slot.finish_exporting()
            elif slot.store_empty and slot.batch_id == 1:
                slot.start_exporting()
                slot.finish_exporting()
            else:
                return False
            storage.store(self._get_file(slot))
        except OSError as exc:
            self.failed = True
            discard(storage.part_path)
            storage_failed(
                self.crawler,
                storage.part_path,
                exc,
                f"{storage.target} not published; its {storage.records} record(s) come out in the next run",
            )
            return False
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(f"feedexport/success_count/{type(storage).__name__}")
        logger.info("Stored %s feed (%d items) in: %s", slot.format, slot.itemcount, slot.uri)
        return True

    async def close_spider(self, spider: Spider) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        # Synchronously, before any await: the run's monitors (Spidermon, the next spider_closed receiver) then see
        # what was really published, and the state's commit.
        # The closed slots stay in self.slots (the health report looks for its place beside their files); Scrapy's
        # close_spider skips them (_close_slot).
        local = [slot for slot in self.slots if isinstance(slot.storage, AtomicFileFeedStorage)]
        for slot in local:
            self.close_atomic_slot(slot)
            self.closed.add(id(slot))
        keeper = self.keeper()
        others = len(self.slots) > len(local)
        if keeper is not None and not others and not self._pending_close_tasks and not self.publisher.held:
            keeper.finish_run()
        await super().close_spider(spider)

    def keeper(self) -> Any:
        from rfi_news.extensions import CrawlStateKeeper  # the keeper imports this module

        return self.crawler.get_extension(CrawlStateKeeper)

    def engine_stopped(self) -> None:
        self.publisher.publish_held()


def local_folders(feeds: dict[str, Any], spider_name: str) -> set[Path]:
    """The folders the run's local feeds write into (a folder still templated after ``%(name)s`` is left out)."""
    folders = set()
    for uri in feeds:
        text = str(uri)
        if "://" in text and not text.startswith("file://"):
            continue
        folder = Path(text.removeprefix("file://").replace("%(name)s", spider_name)).parent
        if "%(" not in str(folder):
            folders.add(folder)
    return folders


def remove_leftovers(folders: set[Path], spider_name: str) -> list[Path]:
    """Part files a dead run of this spider left (its next run holds the lock: none of them is being written)."""
    removed = []
    for folder in sorted(folders):
        if not folder.is_dir():
            continue
        for part in sorted(folder.glob(f".*.{spider_name}{PART_SUFFIX}")):
            part.unlink(missing_ok=True)
            removed.append(part)
    return removed


def recover_publications(state: CrawlStateBackend) -> tuple[list[Publication], list[Publication]]:
    """Complete or drop what a killed run left half-published: ``(completed, dropped)``.

    A pending publication's part is whole (it was ``fsync``-ed before the publication was noted): if it is still
    there it is renamed into place now; if the target already holds it (same digest), only the state's record
    was missing. Either way its articles now count as emitted. If neither is there, someone removed the file:
    the publication is dropped and its articles are emitted again.
    """
    completed: list[Publication] = []
    dropped: list[Publication] = []
    if not isinstance(state, PublicationJournal):
        return completed, dropped
    for publication in state.pending_publications():
        part, target = Path(publication.part), Path(publication.target)
        if part.exists() and file_digest(part) == publication.digest:
            replace_durably(part, target)
            state.end_publication(publication)
            completed.append(publication)
        elif target.exists() and file_digest(target) == publication.digest:
            state.end_publication(publication)
            completed.append(publication)
        else:
            state.drop_publication(publication)
            dropped.append(publication)
    return completed, dropped
