"""Scrapy's ``check``, with its own settings over the crawl's (see :mod:`rfi_news.commands`)."""

from scrapy.commands import check

from rfi_news.commands import ToolCommand


class Command(ToolCommand, check.Command):
    pass
