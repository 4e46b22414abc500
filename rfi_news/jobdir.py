"""A JOBDIR that a killed run left behind is never resumed as if it were whole.

Scrapy saves a job (``JOBDIR``) when a run stops cleanly (one SIGTERM/Ctrl-C, a ``CLOSESPIDER_*`` limit): its
request queue, its duplicate filter (``requests.seen``) and the spider's state. A run killed with SIGKILL (the
OOM killer, a reboot, a second Ctrl-C) saves nothing, and what it leaves cannot be resumed safely:

* the requests it was downloading had left the queue and were already in ``requests.seen``, so a resumed run
  never makes them again (their articles are lost to the job);
* Scrapy's default disk queue, queuelib's ``LifoDiskQueue``, keeps its count of requests in a 4-byte header that
  it writes only when it is closed. After a resumed run has taken requests from it (each one cut off the end of
  the file) and is then killed, the header still counts the requests of the last clean stop: the next run reads
  past the start of the file (``OSError: [Errno 22] Invalid argument`` from ``seek``) on every request it asks
  for, and never ends.

:class:`JobdirGuard` marks the job folder while a run uses it (``rfi-news.run``, ``flock``-ed, emptied by a clean
end) and checks each disk queue's header against the records the file really holds. A job left by a killed run,
or with a queue that does not add up, is started afresh when the crawl state is on (its queue, duplicate filter
and spider state are removed: the run rediscovers its listings, sitemap or folder, and the state skips every
article already published), and refused with one line otherwise.
"""

from __future__ import annotations

import logging
import os
import shutil
import struct
from pathlib import Path
from typing import IO, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir

from rfi_news.files import LockHeld, mark_holder, take_lock
from rfi_news.state import RunRefused, state_dir_of

logger = logging.getLogger(__name__)

MARKER_NAME = "rfi-news.run"
QUEUE_FOLDER = "requests.queue"
JOB_FILES = (QUEUE_FOLDER, "requests.seen", "spider.state")
_SIZE = struct.Struct(">L")  # queuelib's LifoDiskQueue: a count header, then records each followed by its size


def lifo_queue_damage(path: Path) -> str | None:
    """What does not add up in a queuelib ``LifoDiskQueue`` file, or ``None`` if its header and records agree."""
    data = path.read_bytes()
    if len(data) < _SIZE.size:
        return f"{len(data)} bytes long, shorter than its header"
    (counted,) = _SIZE.unpack_from(data, 0)
    position, records = len(data), 0
    while position > _SIZE.size:
        (size,) = _SIZE.unpack_from(data, position - _SIZE.size)
        position -= _SIZE.size + size
        records += 1
    if position != _SIZE.size:
        return "its records do not chain back to its header (cut in the middle of a record)"
    if records != counted:
        return f"its header counts {counted} request(s), the file holds {records}"
    return None


def queue_damage(jobdir: Path) -> list[str]:
    """What does not add up in the job's disk queues (one file per download slot and priority, under
    ``requests.queue/``; ``active.json`` lists them)."""
    folder = jobdir / QUEUE_FOLDER
    if not folder.is_dir():
        return []
    problems = []
    for path in sorted(folder.rglob("*")):
        # A FIFO disk queue (the start requests' one, ``<priority>s/``) is a folder of chunks with an info.json.
        fifo = path.name in ("active.json", "info.json") or (path.parent / "info.json").exists()
        if path.is_file() and not fifo and (problem := lifo_queue_damage(path)):
            problems.append(f"{path.relative_to(jobdir)}: {problem}")
    return problems


def _count_restart(spider: Spider) -> None:
    assert spider.crawler.stats is not None
    spider.crawler.stats.set_value("rfi_news/jobdir/restarted", 1)


class JobdirGuard:
    """Checks the job folder before Scrapy's scheduler opens its queue (extensions are built before the engine)."""

    def __init__(self, crawler: Crawler, jobdir: Path, marker: IO[str]) -> None:
        self.crawler = crawler
        self.jobdir = jobdir
        self.marker = marker

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        folder = job_dir(crawler.settings)
        if not folder:
            raise NotConfigured
        jobdir = Path(folder)
        name = crawler.spidercls.name if crawler.spidercls else "the spider"
        try:
            guard = cls(crawler, jobdir, cls.check(crawler, jobdir))
        except RunRefused as exc:
            logger.error("Not running %s: %s", name, exc)
            raise
        crawler.signals.connect(guard.engine_stopped, signal=signals.engine_stopped)
        return guard

    @staticmethod
    def check(crawler: Crawler, jobdir: Path) -> IO[str]:
        try:
            jobdir.mkdir(parents=True, exist_ok=True)
            marker = take_lock(jobdir / MARKER_NAME)
        except LockHeld as held:
            raise RunRefused(f"another run is using the job folder {jobdir} ({held.holder})") from None
        except OSError as exc:
            raise RunRefused(f"cannot use the job folder {jobdir}: {exc.strerror or exc}") from None
        killed_run = marker.read().strip()
        problems = queue_damage(jobdir)
        if killed_run or problems:
            what = f"was left by a killed run ({killed_run})" if killed_run else "holds a damaged request queue"
            detail = "; ".join(problems) or "the requests in flight at the kill are in no queue"
            # The keeper is being built too (get_extension cannot answer yet): ask the settings.
            if state_dir_of(crawler.settings) is None and not crawler.settings.get("RFI_STATE_BACKEND"):
                marker.close()
                raise RunRefused(
                    f"the job folder {jobdir} {what}: resuming it would lose requests ({detail}); run with "
                    f"RFI_STATE_DIR to restart the job safely, or remove the folder (rm -r {jobdir}) to start afresh"
                )
            for name in JOB_FILES:
                path = jobdir / name
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
            logger.warning(
                "The job folder %s %s (%s): starting the job afresh; the crawl state skips what was already published",
                jobdir,
                what,
                detail,
            )
            crawler.signals.connect(_count_restart, signal=signals.spider_opened)
        mark_holder(marker)
        return marker

    def engine_stopped(self) -> None:
        # Reached only by a clean stop, after the scheduler saved its queue: the job may be resumed.
        self.marker.seek(0)
        self.marker.truncate()
        self.marker.flush()
        os.fsync(self.marker.fileno())
        self.marker.close()
