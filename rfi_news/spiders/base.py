"""What the spiders that read feed items share."""

from __future__ import annotations

from scrapy import Spider

from rfi_news.items import ArticleItem, new_article
from rfi_news.parsers.item import feed_item_record


def article_from_feed_item(
    spider: Spider,
    *,
    link: str | None,
    title: str | None,
    description: str,
    feed_published: object,
    source: str,
    origin: str,
) -> ArticleItem:
    """The item of one feed item; what was odd about it is logged (naming ``origin``) and counted.

    ``rfi_news/item/read`` counts every item read, so the layout monitor can tell what share of them missed a part.
    """
    spider.crawler.stats.inc_value("rfi_news/item/read")
    record, problems = feed_item_record(
        link=link, title=title, description=description, feed_published=feed_published, source=source
    )
    for problem in problems:
        spider.logger.warning("%s: %s", origin, problem.replace("_", " "))
        spider.crawler.stats.inc_value(f"rfi_news/item/{problem}")
    return new_article(**record, origin=origin)
