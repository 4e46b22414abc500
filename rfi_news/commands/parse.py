"""Scrapy's ``parse``, with its own settings over the crawl's (see :mod:`rfi_news.commands`)."""

from __future__ import annotations

import argparse

from scrapy import Request, Spider
from scrapy.commands import parse

from rfi_news.commands import ToolCommand


class Command(ToolCommand, parse.Command):
    def prepare_request(self, spider: Spider, request: Request, opts: argparse.Namespace) -> Request:
        # The URL was named by hand: fetched even when its host is off the spider's allowed_domains (a local copy of
        # a page, say). Redirects from it off those hosts are still refused (rfi_news.middlewares).
        prepared = super().prepare_request(spider, request, opts)
        prepared.meta["allow_offsite"] = True
        return prepared
