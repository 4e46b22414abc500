"""Scrapy's ``parse``, with its own settings over the crawl's (see :mod:`rfi_news.commands`)."""

from scrapy.commands import parse

from rfi_news.commands import ToolCommand


class Command(ToolCommand, parse.Command):
    pass
