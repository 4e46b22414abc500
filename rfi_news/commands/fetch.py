"""Scrapy's ``fetch``, with its own settings over the crawl's (see :mod:`rfi_news.commands`)."""

from scrapy.commands import fetch

from rfi_news.commands import ToolCommand


class Command(ToolCommand, fetch.Command):
    pass
