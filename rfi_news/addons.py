"""Scrapy add-ons: settings that depend on how a crawl was started, decided before the crawl is built."""

from __future__ import annotations

import os
import socket

from scrapy.settings import BaseSettings

from rfi_news.distributed import redis_url_of

OUTPUT_DIR_SETTING = "RFI_OUTPUT_DIR"


class DefaultOutput:
    """A run given no output (no ``-o``/``-O``, no ``FEEDS``) writes a file of its own.

    ``<RFI_OUTPUT_DIR>/<spider>/<start time, UTC>-<part>.jsonl``: ``RFI_OUTPUT_DIR`` is a setting or an environment
    variable, default ``output``; one part per checkpoint (rfi_news.feedstorage). In distributed mode
    (``RFI_REDIS_URL``) the name also has the host and the process id, ``<start time>.<host>-<pid>-<part>.jsonl``:
    workers started in the same second on one machine must not write the same file. A run that emits nothing
    writes no file. It cannot be a plain ``FEEDS`` in
    settings.py: Scrapy merges ``-O out.jsonl`` into ``FEEDS`` instead of replacing it, so every run would also
    write the default file.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        if redis_url_of(settings):
            # The Redis state has no publication journal: it records a worker's articles as emitted when the worker
            # ends. A part published at a checkpoint by a worker killed later would then be emitted again by the
            # next run, so in this mode a worker publishes once, when it ends (a killed worker's articles are
            # redone by another worker or the next run). Priority "spider": a -s on the command line still wins.
            settings.set("RFI_CHECKPOINT_ITEMS", 0, priority="spider")
            settings.set("RFI_CHECKPOINT_SECONDS", 0, priority="spider")
        if settings.getdict("FEEDS") or not settings.getbool("RFI_DEFAULT_OUTPUT", True):
            return
        directory = settings.get(OUTPUT_DIR_SETTING) or os.environ.get(OUTPUT_DIR_SETTING) or "output"
        # One file per checkpoint of the run: the run's start time, then the part number; names sort in run order.
        name = "%(run_time)s"
        if redis_url_of(settings):
            name += f".{socket.gethostname()}-{os.getpid()}"
        feed = {f"{directory}/%(name)s/{name}-%(batch_id)05d.jsonl": {"format": "jsonlines", "store_empty": False}}
        settings.set("FEEDS", feed, priority="addon")
