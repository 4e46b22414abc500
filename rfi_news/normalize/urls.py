"""Canonical article URLs and what they say (section, column, language)."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, unquote, unquote_to_bytes, urlsplit

CANONICAL_ORIGIN = "https://www.rfi.fr"
EDITION_LANGUAGES = {"cn": "zh-Hans", "tw": "zh-Hant"}
COLUMN_SECTION = "专栏检索"
_SLASH_RUN_RE = re.compile(r"/{2,}")


# A path already in canonical form: unreserved characters, "/" and upper-case escapes of non-ASCII bytes only (an
# escaped ASCII byte may be an unreserved character that must be decoded, so it takes the long way).
_CANONICAL_PATH_RE = re.compile(r"(?:[A-Za-z0-9\-._~/]|%[89A-F][0-9A-F])*")


def canonical_path(url: str) -> str:
    """The path of ``url``, runs of ``/`` collapsed, percent-encoded as UTF-8 with upper-case hex."""
    path = urlsplit(url.strip()).path or "/"
    path = _SLASH_RUN_RE.sub("/", path)
    if _CANONICAL_PATH_RE.fullmatch(path):
        return path  # RFI's own links are canonical already, and decoding a long slug is slow (pure Python)
    # Decode to bytes first so both raw CJK and %e4%b8%ad forms meet as the same UTF-8 bytes, then encode
    # everything but the unreserved characters and "/".
    return quote(unquote_to_bytes(path), safe="/")


def canonical_url(url: str) -> str:
    """``https://www.rfi.fr`` + the canonical path: the record's identity.

    ``http://www.rfi.fr//cn/%E4%B8%AD%E5%9B%BD/x`` and ``https://www.rfi.fr/cn/中国/x`` give the same result.
    """
    return CANONICAL_ORIGIN + canonical_path(url)


# Edition, section, column: all that section_of, column_of and language_of ever read of a path.
_LEADING_SEGMENTS = 3


def path_segments(url: str) -> list[str]:
    """The non-empty segments of the URL's path; the edition, section and column ones decoded.

    The last segment (the slug) stays as it is unless it is one of those: decoding a long percent-encoded slug is
    slow (pure Python), and nothing reads it decoded.
    """
    return list(_segments(url))


# section_of, column_of and language_of are asked about the same URL one after the other: split it once.
@lru_cache(maxsize=64)
def _segments(url: str) -> tuple[str, ...]:
    segments = [segment for segment in urlsplit(url).path.split("/") if segment]
    leading = min(_LEADING_SEGMENTS, max(1, len(segments) - 1))
    return (*(unquote(segment) for segment in segments[:leading]), *segments[leading:])


def section_of(url: str) -> str | None:
    """First segment after the edition prefix, when at least two segments follow the prefix."""
    segments = path_segments(url)
    if len(segments) >= 3 and segments[0] in EDITION_LANGUAGES:
        return segments[1]
    return None


def column_of(url: str) -> str | None:
    """``<column>`` of ``/cn/专栏检索/<column>/<slug>``; otherwise ``None``."""
    segments = path_segments(url)
    if len(segments) >= 4 and segments[0] in EDITION_LANGUAGES and segments[1] == COLUMN_SECTION:
        return segments[2]
    return None


def language_of(url: str) -> str | None:
    """``zh-Hans`` for ``/cn/``, ``zh-Hant`` for ``/tw/``; ``None`` for another edition."""
    segments = path_segments(url)
    return EDITION_LANGUAGES.get(segments[0]) if segments else None


_ARTICLE_DATE_RE = re.compile(r"/(\d{8})-[^/]+/?$")


def is_rfi_url(url: str) -> bool:
    """A root-relative path, or an absolute URL on ``www.rfi.fr`` (http or https)."""
    parts = urlsplit(url.strip())
    if not parts.scheme and not parts.netloc:
        return url.strip().startswith("/")
    return parts.scheme in ("http", "https") and parts.hostname == "www.rfi.fr"


def on_origin(url: str, origin: str) -> str:
    """The address to fetch ``url`` (root-relative or on ``www.rfi.fr``) from ``origin`` (``RFI_ORIGIN``).

    ``origin`` is ``https://www.rfi.fr`` in production and a local server in tests; it may carry a path
    prefix. The query and fragment are dropped (``/cn/中国/2/#pager`` → ``…/cn/%E4%B8%AD%E5%9B%BD/2/``).
    """
    return origin.rstrip("/") + canonical_path(url)


def article_date(url: str) -> str | None:
    """``YYYY-MM-DD`` from the ``/<YYYYMMDD>-<slug>`` that ends an article path, else ``None``."""
    match = _ARTICLE_DATE_RE.search(unquote(urlsplit(url).path))
    if not match:
        return None
    digits = match.group(1)
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


def is_article_url(url: str) -> bool:
    """An article of the Chinese editions: ``/<edition>/<section…>/<YYYYMMDD>-<slug>``, or a bare slug
    ``/<edition>/<slug>`` (OUTPUT.md: no section, no date; ``section`` null). A path ending in ``/`` is a listing
    (``/cn/中国/``), never a bare slug."""
    segments = path_segments(url)
    if not segments or segments[0] not in EDITION_LANGUAGES:
        return False
    if len(segments) == 2:
        return not urlsplit(url.strip()).path.endswith("/")
    return len(segments) >= 3 and article_date(url) is not None
