"""Fuzz targets: every pure entry point, fed real fixture inputs mutated by Hypothesis.

The contract checked (``rfi_news/errors.py``): a target returns a result or raises ``InvalidInput``; anything else
escaping it is a bug. ``tests/test_fuzz.py`` runs each target a few thousand times in CI (fixed seed);
``benchmarks/fuzz.py`` runs the same targets 10^5 times each on demand and prints what escaped, by function.

Inputs are real: archive items, feed items and feeds, sitemaps, listing and article pages, links, times and
headers from ``tests/fixtures``; each is mutated by a few edits (insert, delete, replace, repeat) whose payloads
are drawn from the hostile tokens of issue 9 (document tags, ``<a:b:c>``, control characters, lone surrogates,
deep nesting, bad hosts and schemes, year 0001/9999…) and from arbitrary text.
"""

from __future__ import annotations

import email.utils
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from rfi_news.errors import InvalidInput
from rfi_news.items import RECORD_FIELDS
from rfi_news.merge import merge_feed_and_page
from rfi_news.middlewares import retry_after_seconds
from rfi_news.normalize.text import is_punctuation_only, normalize_text, repair_mojibake, strip_title_affixes
from rfi_news.normalize.times import from_epoch_ms, from_paris_date_line, parse_timestamp, to_utc_string
from rfi_news.normalize.urls import (
    article_date,
    canonical_path,
    canonical_url,
    column_of,
    image_url,
    is_article_url,
    is_rfi_url,
    language_of,
    not_rfi_reason,
    on_origin,
    path_segments,
    resolve_link,
    section_of,
)
from rfi_news.parsers.archive import parse_archive_entry
from rfi_news.parsers.body import parse_fragment, read_body
from rfi_news.parsers.item import parse_feed_item, read_item_html
from rfi_news.parsers.listing import parse_listing
from rfi_news.parsers.page import parse_page
from rfi_news.parsers.rss import read_feed
from rfi_news.parsers.sitemap import read_sitemap

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# --- Real inputs ------------------------------------------------------------------------------------------

ARCHIVE_TEXTS = [path.read_text(encoding="utf-8") for path in sorted((FIXTURES / "archive").glob("*.md"))]
DESCRIPTIONS = [text.split("\n", 3)[3].strip() for text in ARCHIVE_TEXTS]
TITLE_LINE_RE = re.compile(r"^\[(.*)\]\((\S+)\)$")
TITLES_AND_LINKS = [TITLE_LINE_RE.match(text.split("\n", 3)[1].strip()).groups() for text in ARCHIVE_TEXTS]  # type: ignore[union-attr]
TITLES = [title for title, _ in TITLES_AND_LINKS]
LINKS = [link for _, link in TITLES_AND_LINKS]
# Bytes documents as latin-1 text (every byte one character), so that edits can cut a UTF-8 sequence in two.
FEEDS = [
    path.read_bytes().decode("latin-1")
    for path in sorted((FIXTURES / "feeds").glob("*.xml"))
    if path.stat().st_size < 100_000
]
SITEMAPS = [path.read_bytes().decode("latin-1") for path in sorted((FIXTURES / "site" / "sitemaps").rglob("*.xml"))]
SITE = FIXTURES / "site"
PAGE_FILES = sorted(path for path in SITE.rglob("*") if path.is_file() and re.match(r"\d{8}-", path.name))
PAGES = [
    (path.read_text(encoding="utf-8"), "https://www.rfi.fr/" + path.relative_to(SITE).as_posix()) for path in PAGE_FILES
]
PAGES += [
    (path.read_text(encoding="utf-8"), "https://www.rfi.fr/cn/中国/20240101-x")
    for path in sorted((FIXTURES / "pages").glob("cn_*.html"))
]
PAGES_HTML = [html for html, _ in PAGES]
PAGE_URLS = [url for _, url in PAGES]
LISTINGS = [
    ((SITE / "cn" / "index.html").read_text(encoding="utf-8"), "https://www.rfi.fr/cn/"),
    ((SITE / "cn" / "中国" / "index.html").read_text(encoding="utf-8"), "https://www.rfi.fr/cn/中国/"),
    ((SITE / "cn" / "国际" / "index.html").read_text(encoding="utf-8"), "https://www.rfi.fr/cn/国际/"),
]
LISTINGS_HTML = [html for html, _ in LISTINGS]
TIMES = [
    "30/12/2023 - 10:05",
    "31/03/2024 - 02:30",
    "2023-12-30T09:05:00+00:00",
    "2025-11-30T09:32:10+01:00",
    "2024-04-15T14:54:00Z",
    "Sat, 30 Dec 2023 09:15:01 GMT",
    "Tue, 09 Feb 2021 13:54:57 +0000",
]
EPOCHS = [1703927701000, 1612878897000, 1612878897, 99999999999999, 0, -1, 10**20]
RETRY_AFTERS = ["120", "0", "1", "Wed, 02 Dec 2026 00:01:00 GMT", email.utils.formatdate(0, usegmt=True)]

# --- Mutations --------------------------------------------------------------------------------------------

HOSTILE_TOKENS = [
    "<html>",
    "</html>",
    "<!DOCTYPE html><html><head></head></html>",
    "</body><body>",
    "<head>",
    "<a:b:c>",
    "</a:b:c>",
    "<p {=1>",
    "<{>",
    "<?pi x?>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<!ENTITY x 'y'>",
    "&x;",
    "&#0;",
    "&#xd800;",
    "&#99999999;",
    "&",
    "<",
    ">",
    '"',
    "'",
    "\x00",
    "\x01",
    "\x0b",
    "\x1f",
    "\x7f",
    "\x85",
    "\ufeff",
    "\ufffe",
    "\ud800",
    "\udfff",
    "\u2028",
    "\u3000",
    "<div>" * 300,
    "<div>" * 3000,
    "<b>" * 300,
    "[" * 3000,
    "{" * 1000,
    '"@type": 1,',
    '"@graph": [[[[',
    "<time pubdate>",
    '<time datetime="0001-01-01T00:00:00+01:00">',
    '<time datetime="9999-12-31T23:59:59-01:00">',
    "0001",
    "9999",
    "+2359",
    "-2359",
    "²",
    "١٢",
    "http://[x",
    "//www.rfi.fr／/",
    "javascript:",
    "ftp://",
    "https://evil.example/cn/中国/20240101-x",
    "h://[",
    ":99999",
    "%",
    "%e4%b8",
    "%00",
    "/../",
    "//",
    "<img src=h://[>",
    '<meta http-equiv="refresh" content="0;url=http://127.0.0.2/">',
    '<script type="application/ld+json">',
    "</script>",
    "<div>30/12/2023 - 10:05</div>",
    "<p><strong>",
    "</strong></p>",
    '<div class="t-content__body">',
    "</div>",
    "<table>",
    "<textarea>",
    "<plaintext>",
    "作者：",
    "分享 :",
    "获取更多RSS",
    "\n",
    "\r\n",
    "------",
    "<!--1703927701000-->",
    "[t](link)",
    "<item>",
    "</item>",
    "<loc>",
    "</loc>",
    '<?xml version="1.0" encoding="x-unknown"?>',
    '<?xml version="1.0" encoding="utf-16"?>',
]


def mutate(seed: str, operations: list[tuple[int, float, int, str]]) -> str:
    """``seed`` with each edit applied: 0 insert, 1 delete, 2 replace, 3 repeat a slice, 4 repeat the payload."""
    text = seed
    for kind, where, length, payload in operations:
        at = int(where * len(text))
        if kind == 0:
            text = text[:at] + payload + text[at:]
        elif kind == 1:
            text = text[:at] + text[at + length :]
        elif kind == 2:
            text = text[:at] + payload + text[at + length :]
        elif kind == 3:
            text = text[:at] + text[at : at + length] * 3 + text[at:]
        else:
            text = text[:at] + payload * (length % 50) + text[at:]
    return text


_BEYOND_LATIN1_RE = re.compile("([^\x00-\xff]+)")


def to_bytes(text: str, utf8: bool) -> bytes:
    """A mutated bytes document (held as latin-1 text) back to bytes: the inserted characters past U+00FF as
    UTF-8 with lone surrogates let through, or as ``?`` (latin-1 with replacement)."""
    if not utf8:
        return text.encode("latin-1", "replace")
    parts = _BEYOND_LATIN1_RE.split(text)
    return b"".join(
        part.encode("utf-8", "surrogatepass") if index % 2 else part.encode("latin-1")
        for index, part in enumerate(parts)
    )


# An input is described once (a Spec) and drawn two ways: by Hypothesis in the tests (shrinking, fixed seed), by
# random.Random in benchmarks/fuzz.py (10^5 inputs a target at a fraction of Hypothesis's cost per input).


class Spec:
    def strategy(self) -> st.SearchStrategy[Any]:
        raise NotImplementedError

    def draw(self, rng: random.Random) -> Any:
        raise NotImplementedError


def _random_text(rng: random.Random, max_size: int) -> str:
    size = rng.randint(0, max_size)
    pools = (
        lambda: chr(rng.randint(0x20, 0x7E)),
        lambda: chr(rng.randint(0, 0x1F)),
        lambda: chr(rng.randint(0x80, 0x2FFF)),
        lambda: chr(rng.randint(0x3000, 0x9FFF)),
        lambda: chr(rng.randint(0xD800, 0xDFFF)),
        lambda: chr(rng.randint(0xE000, 0x10FFFF)),
    )
    return "".join(rng.choice(pools)() for _ in range(size))


@dataclass(frozen=True)
class Text(Spec):
    max_size: int = 24

    def strategy(self) -> st.SearchStrategy[Any]:
        return st.text(max_size=self.max_size)

    def draw(self, rng: random.Random) -> Any:
        return _random_text(rng, self.max_size)


@dataclass(frozen=True)
class Mutated(Spec):
    """A real input with up to six edits whose payloads are hostile tokens or arbitrary text."""

    seeds: tuple[str, ...]
    as_bytes: bool = False

    def strategy(self) -> st.SearchStrategy[Any]:
        payloads = st.one_of(st.sampled_from(HOSTILE_TOKENS), st.text(max_size=24))
        edits = st.lists(st.tuples(st.integers(0, 4), st.floats(0, 1), st.integers(0, 300), payloads), max_size=6)
        text = st.builds(mutate, st.sampled_from(self.seeds), edits)
        return st.builds(to_bytes, text, st.booleans()) if self.as_bytes else text

    def draw(self, rng: random.Random) -> Any:
        edits = [
            (
                rng.randint(0, 4),
                rng.random(),
                rng.randint(0, 300),
                rng.choice(HOSTILE_TOKENS) if rng.random() < 0.7 else _random_text(rng, 24),
            )
            for _ in range(rng.randint(0, 6))
        ]
        text = mutate(rng.choice(self.seeds), edits)
        return to_bytes(text, rng.random() < 0.5) if self.as_bytes else text


@dataclass(frozen=True)
class Choice(Spec):
    values: tuple[Any, ...]

    def strategy(self) -> st.SearchStrategy[Any]:
        return st.sampled_from(self.values)

    def draw(self, rng: random.Random) -> Any:
        return rng.choice(self.values)


@dataclass(frozen=True)
class Integers(Spec):
    def strategy(self) -> st.SearchStrategy[Any]:
        return st.integers()

    def draw(self, rng: random.Random) -> Any:
        return rng.choice((rng.randint(-(10**20), 10**20), rng.randint(-(2**64), 2**64), rng.getrandbits(200)))


@dataclass(frozen=True)
class Datetimes(Spec):
    def strategy(self) -> st.SearchStrategy[Any]:
        offsets = st.integers(-1439, 1439).map(lambda minutes: timezone(timedelta(minutes=minutes)))
        return st.datetimes(timezones=st.one_of(st.none(), offsets))

    def draw(self, rng: random.Random) -> Any:
        moment = datetime.min + timedelta(seconds=rng.randint(0, int((datetime.max - datetime.min).total_seconds())))
        if rng.random() < 0.2:
            return moment
        return moment.replace(tzinfo=timezone(timedelta(minutes=rng.randint(-1439, 1439))))


@dataclass(frozen=True)
class OneOf(Spec):
    options: tuple[Spec, ...]

    def strategy(self) -> st.SearchStrategy[Any]:
        return st.one_of(*(option.strategy() for option in self.options))

    def draw(self, rng: random.Random) -> Any:
        return rng.choice(self.options).draw(rng)


@dataclass(frozen=True)
class Tuple(Spec):
    parts: tuple[Spec, ...]

    def strategy(self) -> st.SearchStrategy[Any]:
        return st.tuples(*(part.strategy() for part in self.parts))

    def draw(self, rng: random.Random) -> Any:
        return tuple(part.draw(rng) for part in self.parts)


@dataclass(frozen=True)
class ListOf(Spec):
    element: Spec
    max_size: int = 4

    def strategy(self) -> st.SearchStrategy[Any]:
        return st.lists(self.element.strategy(), max_size=self.max_size)

    def draw(self, rng: random.Random) -> Any:
        return [self.element.draw(rng) for _ in range(rng.randint(0, self.max_size))]


@dataclass(frozen=True)
class Record(Spec):
    """A dict shaped like a raw record: record keys (and others) with values of any kind."""

    values: Spec

    def strategy(self) -> st.SearchStrategy[Any]:
        return st.dictionaries(
            st.sampled_from([*RECORD_FIELDS, "provenance", "x"]), self.values.strategy(), max_size=12
        )

    def draw(self, rng: random.Random) -> Any:
        keys = rng.sample([*RECORD_FIELDS, "provenance", "x"], rng.randint(0, 12))
        return {key: self.values.draw(rng) for key in keys}


@dataclass(frozen=True)
class Nothing(Spec):
    def strategy(self) -> st.SearchStrategy[Any]:
        return st.none()

    def draw(self, rng: random.Random) -> Any:
        return None


NONE = Nothing()
TEXT = Text()
URLS = OneOf((Mutated(tuple(LINKS)), Text(40)))
SCALARS = OneOf((NONE, TEXT, Integers(), Choice((0.5, float("nan"), float("inf"), True)), Mutated(tuple(TIMES))))
ANY_VALUE = OneOf((SCALARS, ListOf(SCALARS), Record(SCALARS)))
TIME_VALUES = OneOf((Mutated(tuple(TIMES)), Integers(), Choice(tuple(EPOCHS)), ANY_VALUE, Datetimes()))


# --- Targets ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    spec: Spec
    call: Callable[[Any], object]
    examples: int  # in CI; benchmarks/fuzz.py runs more

    @property
    def strategy(self) -> st.SearchStrategy[Any]:
        return self.spec.strategy()


def _feed_item(args: tuple[Any, Any, Any, Any]) -> object:
    link, title, description, feed_published = args
    return parse_feed_item(
        link=link, title=title, description=description, feed_published=feed_published, source="feedx"
    )


def _two(function: Callable[[Any, Any], object]) -> Callable[[tuple[Any, Any]], object]:
    return lambda args: function(*args)


def _body(markup: str) -> object:
    return read_body(parse_fragment(markup))


HTML_EXAMPLES = 300
TEXT_EXAMPLES = 2000
PAGE_EXAMPLES = 150
TARGETS = [
    Target("parse_archive_entry", Mutated(tuple(ARCHIVE_TEXTS)), parse_archive_entry, TEXT_EXAMPLES),
    Target("read_item_html", Mutated(tuple(DESCRIPTIONS)), read_item_html, HTML_EXAMPLES),
    Target("read_body", Mutated(tuple(DESCRIPTIONS)), _body, HTML_EXAMPLES),
    Target(
        "parse_feed_item",
        Tuple((URLS, OneOf((NONE, Mutated(tuple(TITLES)))), Mutated(tuple(DESCRIPTIONS)), TIME_VALUES)),
        _feed_item,
        HTML_EXAMPLES,
    ),
    Target("read_feed", Mutated(tuple(FEEDS), as_bytes=True), read_feed, HTML_EXAMPLES),
    Target("read_sitemap", Mutated(tuple(SITEMAPS), as_bytes=True), read_sitemap, TEXT_EXAMPLES),
    Target(
        "merge_feed_and_page",
        Tuple((Record(ANY_VALUE), OneOf((NONE, Record(ANY_VALUE))))),
        _two(merge_feed_and_page),
        TEXT_EXAMPLES,
    ),
    Target("parse_listing", Tuple((Mutated(tuple(LISTINGS_HTML)), URLS)), _two(parse_listing), PAGE_EXAMPLES),
    Target(
        "parse_page", Tuple((Mutated(tuple(PAGES_HTML)), Choice(tuple(PAGE_URLS)))), _two(parse_page), PAGE_EXAMPLES
    ),
    Target(
        "normalize_text", OneOf((Mutated(tuple(TITLES + DESCRIPTIONS[:3])), Text(200))), normalize_text, TEXT_EXAMPLES
    ),
    Target("repair_mojibake", OneOf((Mutated(("¡£Ëû±íÊ¾£¬", "é à ç")), Text(60))), repair_mojibake, TEXT_EXAMPLES),
    Target("is_punctuation_only", Text(60), is_punctuation_only, TEXT_EXAMPLES),
    Target(
        "strip_title_affixes",
        Tuple((Mutated(tuple(TITLES)), OneOf((NONE, Text(8))))),
        _two(strip_title_affixes),
        TEXT_EXAMPLES,
    ),
    Target("canonical_url", URLS, canonical_url, TEXT_EXAMPLES),
    Target("canonical_path", URLS, canonical_path, TEXT_EXAMPLES),
    Target("not_rfi_reason", URLS, not_rfi_reason, TEXT_EXAMPLES),
    Target("is_rfi_url", URLS, is_rfi_url, TEXT_EXAMPLES),
    Target("is_article_url", URLS, is_article_url, TEXT_EXAMPLES),
    Target("path_segments", URLS, path_segments, TEXT_EXAMPLES),
    Target("section_of", URLS, section_of, TEXT_EXAMPLES),
    Target("column_of", URLS, column_of, TEXT_EXAMPLES),
    Target("language_of", URLS, language_of, TEXT_EXAMPLES),
    Target("article_date", URLS, article_date, TEXT_EXAMPLES),
    Target(
        "on_origin",
        Tuple((URLS, Choice(("https://www.rfi.fr", "http://127.0.0.1:8123/x")))),
        _two(on_origin),
        TEXT_EXAMPLES,
    ),
    Target("resolve_link", Tuple((URLS, URLS)), _two(resolve_link), TEXT_EXAMPLES),
    Target("image_url", Tuple((URLS, URLS)), _two(image_url), TEXT_EXAMPLES),
    Target("parse_timestamp", TIME_VALUES, parse_timestamp, TEXT_EXAMPLES),
    Target("to_utc_string", TIME_VALUES, to_utc_string, TEXT_EXAMPLES),
    Target("from_epoch_ms", OneOf((Integers(), Choice(tuple(EPOCHS)), Text(20))), from_epoch_ms, TEXT_EXAMPLES),
    Target("from_paris_date_line", Mutated(tuple(TIMES[:2])), from_paris_date_line, TEXT_EXAMPLES),
    Target("retry_after_seconds", OneOf((Mutated(tuple(RETRY_AFTERS)), Text(40))), retry_after_seconds, TEXT_EXAMPLES),
]


def call(target: Target, value: Any) -> BaseException | None:
    """The exception that escaped ``target`` for ``value`` (``None`` when it returned or raised InvalidInput)."""
    try:
        target.call(value)
    except InvalidInput:
        return None
    except Exception as exc:
        return exc
    return None
