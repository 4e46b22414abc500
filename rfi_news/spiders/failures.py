"""Why a request failed, for the spiders' errbacks: a stats key and a few words for the log line."""

from __future__ import annotations

from http import HTTPStatus

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from rfi_news.middlewares import HostBlocked, OffsiteRedirect


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
