"""Scrapy's ``shell``, with its own settings over the crawl's (see :mod:`rfi_news.commands`)."""

from scrapy.commands import shell

from rfi_news.commands import ToolCommand


class Command(ToolCommand, shell.Command):
    pass
