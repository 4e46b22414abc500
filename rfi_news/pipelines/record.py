"""The record's pipelines, called by Scrapy as one: :class:`RecordPipeline`, the one ``ITEM_PIPELINES`` entry.

Each concern stays its own pipeline class (its own ``process_item``, its own stats under
``rfi_news/<concern>/…``, its own tests), listed in ``RFI_RECORD_PIPELINES`` with Scrapy's ``ITEM_PIPELINES``
format: a dict of class paths to orders, ``None`` leaving one out. What Scrapy does around each pipeline of
``ITEM_PIPELINES`` (a coroutine, a Deferred and its callbacks per pipeline and record: some 15 µs each) is done
once for the whole chain, and the chain is a plain loop. A record dropped by one stage (``DropItem``) is dropped,
logged and counted by Scrapy exactly as if that stage were its own ``ITEM_PIPELINES`` entry.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler, load_object

SETTING = "RFI_RECORD_PIPELINES"


class RecordPipeline:
    """Calls the pipelines of ``RFI_RECORD_PIPELINES`` in order; each one is built as Scrapy would build it
    (``from_crawler``; ``NotConfigured`` leaves it out, as the incremental pipeline does with the state off)."""

    def __init__(self, stages: list[Any]) -> None:
        self.stages = stages
        self._process: list[Callable[[Any], Any]] = []
        for stage in stages:
            if inspect.iscoroutinefunction(stage.process_item):
                raise TypeError(
                    f"{type(stage).__name__}.process_item is a coroutine: give it its own ITEM_PIPELINES entry"
                )
            self._process.append(stage.process_item)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        paths = crawler.settings.getdict(SETTING)
        stages = []
        for path in sorted((path for path, order in paths.items() if order is not None), key=paths.__getitem__):
            try:
                stages.append(build_from_crawler(load_object(path), crawler))
            except NotConfigured:
                continue
        return cls(stages)

    def open_spider(self) -> None:
        for stage in self.stages:
            if hasattr(stage, "open_spider"):
                stage.open_spider()

    def close_spider(self) -> None:
        for stage in reversed(self.stages):  # the order Scrapy closes its pipelines in
            if hasattr(stage, "close_spider"):
                stage.close_spider()

    def process_item(self, item: Any) -> Any:
        for process in self._process:
            item = process(item)
        return item
