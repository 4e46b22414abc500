"""Scrapy's ``view``, with its own settings over the crawl's (see :mod:`rfi_news.commands`)."""

from scrapy.commands import view

from rfi_news.commands import ToolCommand


class Command(ToolCommand, view.Command):
    pass
