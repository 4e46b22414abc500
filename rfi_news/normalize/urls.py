"""Canonical article URLs and what they say (section, column, language).

Every function here takes any string: :func:`canonical_url`, :func:`canonical_path` and :func:`on_origin` return
a result or raise :class:`~rfi_news.errors.InvalidInput`; the predicates and readers (:func:`is_rfi_url`,
:func:`section_of`…) answer ``False``/``None`` for what they cannot read. A link to another host, or with a
scheme other than http(s), is not an RFI article and is never rewritten into one (OUTPUT.md, 2026-12-01).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import SplitResult, quote, unquote, unquote_to_bytes, urljoin, urlsplit

from rfi_news.errors import InvalidInput

CANONICAL_ORIGIN = "https://www.rfi.fr"
RFI_HOST = "www.rfi.fr"
WEB_SCHEMES = ("http", "https")
EDITION_LANGUAGES = {"cn": "zh-Hans", "tw": "zh-Hant"}
COLUMN_SECTION = "专栏检索"
_SLASH_RUN_RE = re.compile(r"/{2,}")
# White space (``\s`` is str.isspace's set) or a C0 control character: no image URL holds one.
_SPACE_OR_CONTROL_RE = re.compile(r"[\s\x00-\x1f]")


# A path already in canonical form: unreserved characters, "/" and upper-case escapes of non-ASCII bytes only (an
# escaped ASCII byte may be an unreserved character that must be decoded, so it takes the long way).
_CANONICAL_PATH_RE = re.compile(r"(?:[A-Za-z0-9\-._~/]|%[89A-F][0-9A-F])*")


def split_url(url: str) -> SplitResult:
    """``urlsplit`` of ``url``, or :class:`InvalidInput` (``bad_url``) for what it cannot split (``http://[x``,
    a host that NFKC turns into a different one such as ``www.rfi.fr／``, a port that is no number)."""
    if not isinstance(url, str):
        raise InvalidInput("bad_url", f"not a string: {type(url).__name__}")
    return _split_str(url)


# A record's url is split by the spider's check, the url pipeline and the readers of its path, up to a hundred
# records apart when Scrapy processes items concurrently: more than urlsplit's own cache (128 entries) holds.
@lru_cache(maxsize=1024)
def _split_str(url: str) -> SplitResult:
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 for it, so no URL either
        raise InvalidInput("bad_url", f"{url[:200]!r}: a character with no UTF-8 form") from None
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError as exc:
        raise InvalidInput("bad_url", f"{url[:200]!r}: {exc}") from None
    return parts


def canonical_path(url: str) -> str:
    """The path of ``url``, runs of ``/`` collapsed, percent-encoded as UTF-8 with upper-case hex."""
    path = split_url(url).path or "/"
    path = _SLASH_RUN_RE.sub("/", path)
    if _CANONICAL_PATH_RE.fullmatch(path):
        return path  # RFI's own links are canonical already, and decoding a long slug is slow (pure Python)
    # Decode to bytes first so both raw CJK and %e4%b8%ad forms meet as the same UTF-8 bytes, then encode
    # everything but the unreserved characters and "/".
    return quote(unquote_to_bytes(path), safe="/")


def not_rfi_reason(url: str) -> str | None:
    """Why ``url`` is not a link to an RFI page (``bad_url``, ``not_http_scheme``, ``not_rfi_host``), or ``None``
    when it is one: a root-relative path, or an absolute http(s) URL on ``www.rfi.fr``."""
    try:
        parts = split_url(url)
    except InvalidInput as exc:
        return exc.reason
    if not parts.scheme and not parts.netloc:
        return None if url.strip().startswith("/") else "not_rfi_host"
    if parts.scheme.lower() not in WEB_SCHEMES:
        return "not_http_scheme"
    if (parts.hostname or "") != RFI_HOST:
        return "not_rfi_host"
    return None


def canonical_url(url: str) -> str:
    """``https://www.rfi.fr`` + the canonical path: the record's identity.

    ``http://www.rfi.fr//cn/%E4%B8%AD%E5%9B%BD/x`` and ``https://www.rfi.fr/cn/中国/x`` give the same result.
    Anything that is not a link to RFI (:func:`not_rfi_reason`) raises :class:`InvalidInput`: it is never
    rewritten into an RFI URL.
    """
    reason = not_rfi_reason(url)
    if reason is not None:
        raise InvalidInput(reason, repr(url[:200]) if isinstance(url, str) else "")
    return CANONICAL_ORIGIN + canonical_path(url)


def resolve_link(base: str, href: str | None) -> str | None:
    """``href`` resolved against ``base`` (as ``urljoin``), or ``None`` when it cannot be (``http://[x``)."""
    if not href or not isinstance(href, str):
        return None
    try:
        joined = urljoin(base, href.strip())
        split_url(joined)
    except (ValueError, InvalidInput):
        return None
    return joined


def image_url(src: str | None, article_url: str) -> str | None:
    """A record's ``image``: ``src`` resolved against the article, when it is an absolute http(s) URL then;
    ``None`` for anything else (``javascript:``, ``data:``, an unsplittable URL), which never costs the record."""
    joined = resolve_link(article_url, src)
    if joined is None or _SPACE_OR_CONTROL_RE.search(joined):
        return None
    parts = split_url(joined)  # resolve_link split it (and found it UTF-8): the answer is cached
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return None
    return parts.scheme.lower() + joined[len(parts.scheme) :]


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
    try:
        path = split_url(url).path
    except InvalidInput:
        return ()
    segments = [segment for segment in path.split("/") if segment]
    leading = min(_LEADING_SEGMENTS, max(1, len(segments) - 1))
    return (*(_decoded_segment(segment) for segment in segments[:leading]), *segments[leading:])


# Editions, sections and columns are a few dozen names (中国, 国际, 专栏检索…), met again in every record's url;
# unquote is pure Python, some 10 µs for a percent-encoded CJK name.
_decoded_segment = lru_cache(maxsize=512)(unquote)


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
    return not_rfi_reason(url) is None


def on_origin(url: str, origin: str) -> str:
    """The address to fetch ``url`` (root-relative or on ``www.rfi.fr``) from ``origin`` (``RFI_ORIGIN``).

    ``origin`` is ``https://www.rfi.fr`` in production and a local server in tests; it may carry a path
    prefix. The query and fragment are dropped (``/cn/中国/2/#pager`` → ``…/cn/%E4%B8%AD%E5%9B%BD/2/``).
    """
    return origin.rstrip("/") + canonical_path(url)


def article_date(url: str) -> str | None:
    """``YYYY-MM-DD`` from the ``/<YYYYMMDD>-<slug>`` that ends an article path, else ``None``."""
    try:
        path = split_url(url).path
    except InvalidInput:
        return None
    match = _ARTICLE_DATE_RE.search(unquote(path))
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
    if len(segments) == 2:  # path_segments gave segments: the URL splits
        return not split_url(url).path.endswith("/")
    return len(segments) >= 3 and article_date(url) is not None
