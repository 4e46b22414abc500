"""A feed, a feed item or an article page as records, logged and counted the same way by every spider that reads
one: live (``feedx``, ``rfi``, ``archive``) or from a capture (``warc``).

Bad input costs its own record through the one record boundary (:func:`rfi_news.guard.read_guarded`): a feed that
is no RSS at all, an item that is no RFI article, a page that cannot be read. ``source`` names what is read in log
lines (a URL, a file, a WARC record), always quoted with ``%r``.
"""

from __future__ import annotations

from collections.abc import Iterator

from scrapy import Spider
from scrapy.http import Response, TextResponse
from w3lib.encoding import http_content_type_encoding

from rfi_news.guard import read_guarded
from rfi_news.items import ArticleItem, new_article
from rfi_news.merge import merge_feed_and_page
from rfi_news.normalize.urls import canonical_url, is_article_url, is_rfi_url
from rfi_news.parsers.item import parse_feed_item
from rfi_news.parsers.page import parse_page
from rfi_news.parsers.rss import FeedDocument, read_feed


def read_feed_response(spider: Spider, response: Response, source: str) -> FeedDocument | None:
    """The feed ``response`` holds, or ``None`` when it is no RSS document at all; what was wrong is logged and
    counted: ``rfi_news/feed/invalid/<reason>`` (the guard's), ``…/unreadable``, ``…/broken_xml`` (the items
    before the break are kept, ``document.error`` says where it broke), ``…/charset_mismatch``, ``…/no_items``.

    ``rfi_news/feed/items_in_document`` (the ``<item>`` tags of the fullest document) and ``…/items_read`` (the
    most items read from one) are what the lost-items monitor compares.
    """
    stats = spider.crawler.stats
    document = read_guarded(spider, "feed", source, read_feed, response.body)
    if document is None:
        return None
    if not document.readable:
        spider.logger.warning("%r: not an RSS document (%s)", source, document.error or "no <rss> root")
        stats.inc_value("rfi_news/feed/unreadable")
        return None
    stats.inc_value("rfi_news/feed/entries", len(document.entries))
    stats.max_value(
        "rfi_news/feed/items_in_document",
        max(response.body.count(b"<item>") + response.body.count(b"<item "), len(document.entries)),
    )
    stats.max_value("rfi_news/feed/items_read", len(document.entries))
    if document.error:
        spider.logger.warning(
            "%r: broken XML, keeping the %d item(s) before the break: %s", source, len(document.entries), document.error
        )
        stats.inc_value("rfi_news/feed/broken_xml")
    check_charset(spider, response, source, document.encoding)
    if not document.entries:
        spider.logger.warning("%r: the feed has no items", source)
        stats.inc_value("rfi_news/feed/no_items")
    return document


def check_charset(spider: Spider, response: Response, source: str, declared: str | None) -> None:
    """The XML declaration decides the encoding; a header that says otherwise is logged and counted. Both are
    read by w3lib, which also resolves their labels as browsers do (``ISO-8859-1`` is ``cp1252``)."""
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    served = http_content_type_encoding(content_type)
    if served and declared and served != declared:
        spider.logger.warning(
            "%r: Content-Type %r says %s but the XML declares %s; reading it as %s",
            source,
            content_type,
            served,
            declared,
            declared,
        )
        spider.crawler.stats.inc_value("rfi_news/feed/charset_mismatch")


def feed_items(spider: Spider, document: FeedDocument, source: str) -> Iterator[tuple[ArticleItem, str]]:
    """The item of each entry of ``document``, with the entry's ``<link>``; one item is one record: an entry that
    is no RFI article costs that entry only (``item '<source> item N' skipped: …``, ``rfi_news/item/invalid/…``)."""
    for number, entry in enumerate(document.entries, start=1):
        item_source = f"{source} item {number}"
        item = read_guarded(
            spider,
            "item",
            item_source,
            article_from_feed_item,
            spider,
            link=entry.link,
            title=entry.title,
            description=entry.description or "",
            feed_published=entry.pub_date,
            source="feedx",
            provenance=repr(item_source),
        )
        if item is not None:
            yield item, (entry.link or "").strip()


def page_to_follow(link: str) -> str | None:
    """The canonical URL of the article page a feed item's ``<link>`` leads to; ``None`` if it leads to none."""
    return canonical_url(link) if link and is_rfi_url(link) and is_article_url(link) else None


def merged_article(spider: Spider, feed_item: ArticleItem, page: dict[str, object] | None) -> ArticleItem:
    """One record of a feed item and its article page's raw record (``None``: no page, the feed's text is kept);
    ``rfi_news/follow/source/<rfi|feedx>`` counts which side the text came from."""
    record = merge_feed_and_page(dict(feed_item), page)
    spider.crawler.stats.inc_value(f"rfi_news/follow/source/{record['source']}")
    return new_article(**record)


def read_page_response(spider: Spider, response: Response, article_url: str, source: str) -> dict[str, object] | None:
    """The raw record of the article page ``response`` holds (``article_url`` its canonical URL), or ``None``
    when it is not HTML (``rfi_news/page/not_html``) or cannot be read (the guard's ``rfi_news/page/invalid/…``)."""
    if not isinstance(response, TextResponse):
        spider.logger.warning("%r: not an HTML page (%r)", source, response.headers.get("Content-Type"))
        spider.crawler.stats.inc_value("rfi_news/page/not_html")
        return None
    return read_guarded(spider, "page", source, record_from_page, spider, response.text, article_url, repr(source))


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
