"""``scrapy spiders``: every spider of the project with its arguments (the table each spider declares)."""

from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand

from rfi_news.spiders.arguments import describe_spider


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}  # noqa: RUF012 (Scrapy's own attribute: a plain dict)

    def short_desc(self) -> str:
        return "List the spiders with their -a arguments (type, default, what each does)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        from scrapy.spiderloader import get_spider_loader

        assert self.settings is not None
        loader = get_spider_loader(self.settings)
        for number, name in enumerate(sorted(loader.list())):
            if number:
                print()
            print("\n".join(describe_spider(loader.load(name))))
