"""Scrapy's ``runspider``, with its own settings over the crawl's (see :mod:`rfi_news.commands`)."""

from scrapy.commands import runspider

from rfi_news.commands import ToolCommand


class Command(ToolCommand, runspider.Command):
    pass
