"""What the spiders share: a feed item or an article page as a record, logged and counted the same way."""

from __future__ import annotations

from scrapy import Spider

from rfi_news.items import ArticleItem, new_article
from rfi_news.parsers.item import feed_item_record
from rfi_news.parsers.page import parse_page


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


def record_from_page(spider: Spider, html: str, url: str, origin: str) -> dict[str, object]:
    """The raw record of an article page, ``url`` its canonical URL; what the page lacked is logged and counted.

    Stats (the monitors read them): ``rfi_news/page/body_found`` or ``…/body_missing`` once per page,
    ``rfi_news/page/missing/<field>:<selector>`` per selector that matched nothing, ``rfi_news/page/<problem>``.
    """
    stats = spider.crawler.stats
    parsed = parse_page(html, url)
    stats.inc_value("rfi_news/page/body_found" if parsed.body_found else "rfi_news/page/body_missing")
    for entry in parsed.missing:
        stats.inc_value(f"rfi_news/page/missing/{entry}")
    if not parsed.body_found:
        spider.logger.warning("%s: no article body on the page (layout change?); missing %s", origin, parsed.missing)
    elif parsed.missing:  # many real pages have no author, tags or image: worth a count, not a warning
        spider.logger.debug("%s: the page has no %s", origin, ", ".join(parsed.missing))
    for problem in parsed.problems:
        spider.logger.warning("%s: %s", origin, problem.replace("_", " "))
        stats.inc_value(f"rfi_news/page/{problem}")
    return parsed.record
