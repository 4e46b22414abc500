"""Scrapy's ``bench``, with its own settings over the crawl's (see :mod:`rfi_news.commands`): Scrapy's default
concurrency, not the crawl's one request at a time per site, and its own 10 s time limit."""

from typing import Any, ClassVar

from scrapy.commands import bench

from rfi_news.commands import ToolCommand


class Command(ToolCommand, bench.Command):
    tool_settings: ClassVar[dict[str, Any]] = {
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "ROBOTSTXT_OBEY": False,  # Scrapy's own local benchmark server
    }
