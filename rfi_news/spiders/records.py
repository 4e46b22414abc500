"""A feed item or an article page as a record, logged and counted the same way by every spider that reads one."""

from __future__ import annotations

from scrapy import Spider

from rfi_news.items import ArticleItem, new_article
from rfi_news.parsers.item import parse_feed_item
from rfi_news.parsers.page import parse_page


def article_from_feed_item(
    spider: Spider,
    *,
    link: str | None,
    title: str | None,
    description: str,
    feed_published: object,
    source: str,
    provenance: str,
) -> ArticleItem:
    """The item of one feed item; what was odd about it is logged (naming ``provenance``) and counted.

    Stats (the monitors read them): ``rfi_news/item/read`` for every item read, so the layout monitor can tell what
    share of them missed a part; ``rfi_news/item/template/<name>`` once per item, ``rfi_news/item/missing/<field>``
    per field whose template part matched nothing, ``rfi_news/item/<problem>``. Raises
    :class:`~rfi_news.errors.InvalidInput` for an item that is no RFI article (call it through
    :func:`rfi_news.guard.read_guarded`). ``provenance`` is already quoted (``%r``) for the log.
    """
    stats = spider.crawler.stats
    stats.inc_value("rfi_news/item/read")
    parsed = parse_feed_item(
        link=link, title=title, description=description, feed_published=feed_published, source=source
    )
    stats.inc_value(f"rfi_news/item/template/{parsed.template}")
    for name in parsed.missing:
        stats.inc_value(f"rfi_news/item/missing/{name}")
    for problem in parsed.problems:
        stats.inc_value(f"rfi_news/item/{problem}")
    if warnings := parsed.warnings:  # one line per item, however many parts it missed
        spider.logger.warning("%s: %s", provenance, "; ".join(warnings))
    return new_article(**parsed.record, provenance=provenance)


def record_from_page(spider: Spider, html: str, url: str, provenance: str) -> dict[str, object]:
    """The raw record of an article page, ``url`` its canonical URL; what the page lacked is logged and counted.

    Stats (the monitors read them): ``rfi_news/page/template/<name>`` and ``rfi_news/page/body_found`` or
    ``…/body_missing`` once per page, ``rfi_news/page/missing/<field>`` per field whose template selector matched
    nothing, ``rfi_news/page/<problem>``.
    """
    stats = spider.crawler.stats
    parsed = parse_page(html, url)
    stats.inc_value(f"rfi_news/page/template/{parsed.template}")
    stats.inc_value("rfi_news/page/body_found" if parsed.body_found else "rfi_news/page/body_missing")
    for entry in parsed.missing:
        stats.inc_value(f"rfi_news/page/missing/{entry}")
    if not parsed.body_found:
        spider.logger.warning(
            "%s: no article body on the page (layout change?); missing %s", provenance, parsed.missing
        )
    elif parsed.missing:  # many real pages have no author, tags or image: worth a count, not a warning
        spider.logger.debug("%s: the page has no %s", provenance, ", ".join(parsed.missing))
    for problem in parsed.problems:
        spider.logger.warning("%s: %s", provenance, problem.replace("_", " "))
        stats.inc_value(f"rfi_news/page/{problem}")
    return parsed.record
