"""What the spiders share: a feed item or an article page as a record, logged and counted the same way."""

from __future__ import annotations

from http import HTTPStatus

from scrapy import Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from rfi_news.items import ArticleItem, new_article
from rfi_news.middlewares import HostBlocked, OffsiteRedirect
from rfi_news.parsers.item import feed_item_record
from rfi_news.parsers.page import parse_page


def is_robots_refusal(failure: Failure) -> bool:
    # Scrapy's RobotsTxtMiddleware drops a disallowed request with this IgnoreRequest message.
    return bool(failure.check(IgnoreRequest)) and "robots.txt" in failure.getErrorMessage()


def is_dropped(failure: Failure) -> bool:
    """True when a middleware chose not to fetch (an article already known, say), rather than the fetch failing.

    Scrapy's HttpError, robots.txt's refusal, :class:`HostBlocked` and :class:`OffsiteRedirect` are all
    IgnoreRequest too, but for the crawl they are failures to get the page.
    """
    return bool(failure.check(IgnoreRequest)) and not (
        failure.check(HttpError, HostBlocked, OffsiteRedirect) or is_robots_refusal(failure)
    )


def failure_reason(failure: Failure) -> str:
    """A short stats key for a failed request: ``http_404``, ``ignored``, ``TimeoutError``…"""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(HostBlocked):
        return "host_blocked"
    if failure.check(OffsiteRedirect):
        return "offsite_redirect"
    if is_robots_refusal(failure):
        return "robots_txt"
    if failure.check(IgnoreRequest):
        return "ignored"
    return type(failure.value).__name__


def failure_message(failure: Failure) -> str:
    """A failed request in words for a log line: ``HTTP 404 Not Found``, not Scrapy's "Ignoring non-200 response"."""
    if failure.check(HttpError):
        status = failure.value.response.status
        return f"HTTP {status} {http_status_phrase(status)}".rstrip()
    return failure.getErrorMessage()


def http_status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


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
    Raises :class:`~rfi_news.errors.InvalidInput` for an item that is no RFI article (call it through
    :func:`rfi_news.guard.read_guarded`). ``origin`` is already quoted (``%r``) for the log.
    """
    spider.crawler.stats.inc_value("rfi_news/item/read")
    record, problems = feed_item_record(
        link=link, title=title, description=description, feed_published=feed_published, source=source
    )
    for problem in problems:
        spider.crawler.stats.inc_value(f"rfi_news/item/{problem}")
    if problems:  # one line per item, however many parts it missed
        spider.logger.warning("%s: %s", origin, "; ".join(problem.replace("_", " ") for problem in problems))
    return new_article(**record, origin=origin)


def record_from_page(spider: Spider, html: str, url: str, origin: str) -> dict[str, object]:
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
        spider.logger.warning("%s: no article body on the page (layout change?); missing %s", origin, parsed.missing)
    elif parsed.missing:  # many real pages have no author, tags or image: worth a count, not a warning
        spider.logger.debug("%s: the page has no %s", origin, ", ".join(parsed.missing))
    for problem in parsed.problems:
        spider.logger.warning("%s: %s", origin, problem.replace("_", " "))
        stats.inc_value(f"rfi_news/page/{problem}")
    return parsed.record
