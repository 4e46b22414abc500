"""An RFI article page (``https://www.rfi.fr/cn/<section>/<YYYYMMDD>-<slug>``): its HTML as a raw record.

API::

    parse_page(html: str, url: str) -> PageParse
    PageParse.record    # dict with OUTPUT.md's keys (minus section, column, language, crawled_at), raw values
    PageParse.missing   # ["title:h1.t-content__title", "body:div.t-content__body", ...]: page selectors that
                        # matched nothing, "<field>:<first candidate>", in the order of MISSING_FIELDS
    PageParse.problems  # ["jsonld_unparseable", ...]: bad input seen (stats keys), the parse went on
    PageParse.body_found  # True when the body container was there (the rfi_news/page/body_found stat)

Pure: a string in, plain data out, no Scrapy engine. Like :func:`rfi_news.parsers.item.feed_item_record`, the
record holds raw values; the pipelines normalise text, convert times to UTC (``published`` and ``updated`` are
ISO strings with offsets here) and read ``section``, ``column`` and ``language`` from the URL.

Where each field comes from, best source first (structured data is steadier than CSS classes; each selector is a
named tuple of candidates below, the first that matches wins):

- ``title``: the ``h1`` (OUTPUT.md: on a page the title is the h1's); then JSON-LD ``headline``, ``og:title``,
  ``<title>``. A ``<column> - `` prefix, which RFI puts on a column's headline and ``og:title``, is removed.
- ``published`` / ``updated``: JSON-LD ``datePublished`` / ``dateModified``, then ``article:published_time`` /
  ``article:modified_time``, then the first / second ``time[datetime]`` of the date line. ``published_raw`` is
  the exact string used. An ``updated`` that is not later than ``published`` is no update (RFI's CMS writes a
  ``dateModified`` two seconds *before* ``datePublished`` on some pages): it is ``None``.
- ``lead``: ``p.t-content__chapo`` only; ``None`` when the page has none (the description is not a chapô).
- ``paragraphs`` and ``credit``: the body container through :func:`rfi_news.parsers.body.read_body`, the same
  reader as feed and archive items.
- ``authors``: JSON-LD ``author`` (persons' names), then the page's ``.m-from-author__name``.
- ``tags``: ``article:tag`` meta, then the page's tag list, then JSON-LD ``keywords`` (a comma string before
  2025, a list since). ``keywords`` comes last because it also holds the section and the column, which are not
  tags; they are taken out, which can cost a real tag of the same name, hence the order.
- ``image``: the largest ``srcset`` entry of the main media (``src`` can be a ``data:`` placeholder), then its
  ``src``, ``og:image``, JSON-LD ``image``; the site's default card is no image (``usable_image``).

JSON-LD: each ``<script type="application/ld+json">`` is read on its own; arrays and ``@graph`` are searched
for an article object; a script that is not JSON is skipped (``problems`` gets ``jsonld_unparseable``) and the
fields fall back to meta and selectors. Several JSON values glued in one script (which broke RSSHub's reader
of RFI's /cn/ pages in January 2026) are read one after the other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from parsel import Selector, SelectorList

from rfi_news.normalize.times import UnparseableTime, parse_timestamp
from rfi_news.normalize.urls import column_of, section_of
from rfi_news.parsers.body import read_authors, read_body
from rfi_news.parsers.item import usable_image

SOURCE = "rfi"

# --- Selectors: several candidates each, first match wins (2025 template first, then 2022 and France 24). ---
TITLE_SELECTORS = ("h1.t-content__title", "h1.a-page-title", "article h1")
LEAD_SELECTORS = ("p.t-content__chapo", ".t-content__chapo")
# The date line; the first <time> is the publication, a second one the modification.
TIME_SELECTORS = (
    "div.t-content__dates time[datetime]",
    "p.m-pub-dates time[datetime]",
    "span.m-pub-dates__date time[datetime]",
    "article time[pubdate]",
)
BODY_SELECTORS = ("div.t-content__body", ".t-content__body")
AUTHOR_BLOCK_SELECTORS = ("div.t-content__authors", "div.t-content__authors-tts", "article .m-from-author")
TAG_SELECTORS = (
    "div.t-content__tags ul.m-tags-list li a",
    "div.t-content__tags a",
    "ul.m-tags-list a.m-tags-list__tag__link",
)
MAIN_IMAGE_SELECTORS = (
    "div.t-content__main-media img",
    "div.t-content__main-media source",
    "article figure.m-figure img",
)
JSONLD_SELECTOR = 'script[type="application/ld+json"]::text'
DOCUMENT_TITLE_SELECTOR = "head title::text"

# JSON-LD types that describe the article itself.
ARTICLE_TYPES = frozenset(
    {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting", "OpinionNewsArticle"}
)
# Fields whose page selector is reported in ``missing`` when it matches nothing; ``updated`` and ``credit`` are
# rare on real pages, so their absence says nothing about the layout.
MISSING_FIELDS = ("title", "published", "lead", "authors", "tags", "image", "body")
SELECTORS_BY_FIELD = {
    "title": TITLE_SELECTORS,
    "published": TIME_SELECTORS,
    "lead": LEAD_SELECTORS,
    "authors": AUTHOR_BLOCK_SELECTORS,
    "tags": TAG_SELECTORS,
    "image": MAIN_IMAGE_SELECTORS,
    "body": BODY_SELECTORS,
}

_WIDTH_DESCRIPTOR_RE = re.compile(r"(\d+(?:\.\d+)?)w")
_KEYWORD_SPLIT_RE = re.compile(r"\s*[,，]\s*")


@dataclass
class PageParse:
    """A parsed article page: the raw record, the page selectors that matched nothing, the bad input seen."""

    record: dict[str, Any]
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def body_found(self) -> bool:
        return not any(entry.startswith("body:") for entry in self.missing)


def missing_entry(field_name: str) -> str:
    """The ``missing`` entry of a field: ``title:h1.t-content__title``."""
    return f"{field_name}:{SELECTORS_BY_FIELD[field_name][0]}"


# --- JSON-LD ---


def _json_values(text: str) -> Iterator[Any]:
    """Every JSON value in ``text``, one after the other; stops (raising ``ValueError``) at the first non-JSON."""
    decoder = json.JSONDecoder(strict=False)  # literal control characters in strings are tolerated
    position = 0
    text = text.strip()
    while position < len(text):
        value, position = decoder.raw_decode(text, position)
        yield value
        while position < len(text) and text[position].isspace():
            position += 1


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """The JSON-LD objects in a value: itself, the items of an array, the members of ``@graph``."""
    if isinstance(value, list):
        for element in value:
            yield from _objects(element)
    elif isinstance(value, dict):
        yield value
        yield from _objects(value.get("@graph"))


def _types(obj: dict[str, Any]) -> set[str]:
    declared = obj.get("@type")
    return {declared} if isinstance(declared, str) else {t for t in declared or [] if isinstance(t, str)}


def read_jsonld_article(scripts: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The first article object of the page's JSON-LD scripts (``{}`` if none), and the problems seen."""
    problems: list[str] = []
    found: dict[str, Any] = {}
    for script in scripts:
        try:
            for value in _json_values(script):
                for obj in _objects(value):
                    if not found and _types(obj) & ARTICLE_TYPES:
                        found = obj
        except ValueError:
            problems.append("jsonld_unparseable")
    return found, problems


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def jsonld_names(value: Any) -> list[str]:
    """Names of JSON-LD persons (``author``): an object, a list of them, or plain strings; organisations left out."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            names.append(item)
        elif isinstance(item, dict) and "Organization" not in "".join(_types(item)):
            name = _string(item.get("name"))
            if name:
                names.append(name)
    return names


def jsonld_keywords(value: Any) -> list[str]:
    """JSON-LD ``keywords``: a comma string (``国际,法国报纸摘要,非洲``) or, since 2025, a list."""
    if isinstance(value, str):
        return [word for word in _KEYWORD_SPLIT_RE.split(value.strip()) if word]
    if isinstance(value, list):
        return [word.strip() for word in value if isinstance(word, str) and word.strip()]
    return []


def jsonld_image(value: Any) -> str | None:
    """JSON-LD ``image``: a URL, a list of URLs (the first is the 16x9 one), or an ``ImageObject``."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return _string(value)


# --- Selectors ---


def _first_match(selector: Selector, candidates: tuple[str, ...]) -> SelectorList[Selector]:
    for css in candidates:
        found = selector.css(css)
        if found:
            return found
    return SelectorList()


def _meta(selector: Selector, name: str) -> list[str]:
    """Contents of ``<meta property=name>`` (or ``name=name``), non-empty ones, in order."""
    values = selector.xpath("//meta[@property=$name or @name=$name]/@content", name=name).getall()
    return [value for value in values if value.strip()]


def srcset_entries(srcset: str | None) -> Iterator[tuple[str, str]]:
    """``(url, descriptor)`` pairs of a ``srcset``, split as the HTML standard does (a URL ends at white space;
    entries are separated by commas), so RFI's ``url 246w,url 388w`` with no space after the comma works."""
    text, position = srcset or "", 0
    while True:
        while position < len(text) and (text[position].isspace() or text[position] == ","):
            position += 1
        if position >= len(text):
            return
        start = position
        while position < len(text) and not text[position].isspace():
            position += 1
        url = text[start:position]
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            start = position
            while position < len(text) and text[position] != ",":
                position += 1
            descriptor = text[start:position].strip()
        yield url, descriptor


def largest_srcset_entry(srcset: str | None) -> str | None:
    """The URL of the widest entry of a ``srcset`` (``url 246w,url 1024w``); a lone URL is itself."""
    best_url, best_width = None, -1.0
    for url, descriptor in srcset_entries(srcset):
        match = _WIDTH_DESCRIPTOR_RE.fullmatch(descriptor)
        width = float(match.group(1)) if match else 0.0
        if url and width > best_width:
            best_url, best_width = url, width
    return best_url


def _strip_column_prefix(title: str | None, column: str | None) -> str | None:
    """``法国报纸摘要 - 马克龙…`` → ``马克龙…`` when the URL names that column."""
    if title and column:
        prefix = f"{column} - "
        if title.strip().startswith(prefix):
            return title.strip()[len(prefix) :]
    return title


def _later(updated: str | None, published: str | None) -> bool:
    """True when ``updated`` is a readable time later than ``published`` (or ``published`` is unknown)."""
    if updated is None:
        return False
    try:
        return published is None or parse_timestamp(updated) > parse_timestamp(published)
    except UnparseableTime:
        return True  # the timestamps pipeline says what it cannot read


def _text(node: Selector) -> str:
    return "".join(node.xpath(".//text()").getall())


def parse_page(html: str, url: str) -> PageParse:
    """Read an RFI article page into a raw record; see the module's docstring."""
    page = Selector(text=html, type="html")
    missing: set[str] = set()
    article, problems = read_jsonld_article(page.css(JSONLD_SELECTOR).getall())
    column = column_of(url)

    # title
    h1 = _first_match(page, TITLE_SELECTORS)
    if not h1:
        missing.add("title")
    title_candidates = [
        _text(h1[0]) if h1 else None,
        _strip_column_prefix(_string(article.get("headline")), column),
        _strip_column_prefix(next(iter(_meta(page, "og:title")), None), column),
        page.css(DOCUMENT_TITLE_SELECTOR).get(),
    ]
    title = next((text for text in title_candidates if text and text.strip()), None)

    # published, updated
    times = [node.attrib["datetime"] for node in _first_match(page, TIME_SELECTORS) if node.attrib["datetime"].strip()]
    if not times:
        missing.add("published")
    published = next(
        (
            value
            for value in (
                _string(article.get("datePublished")),
                next(iter(_meta(page, "article:published_time")), None),
                times[0] if times else None,
            )
            if value
        ),
        None,
    )
    updated = next(
        (
            value
            for value in (
                _string(article.get("dateModified")),
                next(iter(_meta(page, "article:modified_time")), None),
                times[1] if len(times) > 1 else None,
            )
            if value
        ),
        None,
    )
    if not _later(updated, published):
        updated = None

    # lead
    chapo = _first_match(page, LEAD_SELECTORS)
    lead = _text(chapo[0]) if chapo else None
    if lead is None:
        missing.add("lead")

    # body: the one body reader
    body_nodes = _first_match(page, BODY_SELECTORS)
    if body_nodes:
        body = read_body(body_nodes[0].root)
    else:
        missing.add("body")
        body = None

    # authors
    author_blocks = _first_match(page, AUTHOR_BLOCK_SELECTORS)
    page_authors = [name for block in author_blocks for name in read_authors(block.root)]
    if not page_authors:
        missing.add("authors")
    authors = jsonld_names(article.get("author")) or page_authors

    # tags
    tag_links = _first_match(page, TAG_SELECTORS)
    page_tags = [_text(link) for link in tag_links]
    if not page_tags:
        missing.add("tags")
    not_tags = {section_of(url), column, _string(article.get("articleSection")), *_meta(page, "article:section")}
    keywords = [word for word in jsonld_keywords(article.get("keywords")) if word not in not_tags]
    tags = _meta(page, "article:tag") or page_tags or keywords

    # image
    image_nodes = _first_match(page, MAIN_IMAGE_SELECTORS)
    if not image_nodes:
        missing.add("image")
    image_candidates = [largest_srcset_entry(node.attrib.get("srcset")) for node in image_nodes]
    image_candidates += [node.attrib.get("src") for node in image_nodes]
    image_candidates += [*_meta(page, "og:image"), jsonld_image(article.get("image"))]
    image = next((urljoin(url, usable) for usable in map(usable_image, image_candidates) if usable), None)

    record: dict[str, Any] = {
        "url": url,
        "title": title,
        "published": published,
        "published_raw": published,
        "updated": updated,
        "feed_published": None,
        "lead": lead,
        "paragraphs": body.paragraphs if body else [],
        "authors": authors,
        "tags": tags,
        "image": image,
        "credit": body.credit if body else None,
        "source": SOURCE,
    }
    return PageParse(
        record=record,
        missing=[missing_entry(name) for name in MISSING_FIELDS if name in missing],
        problems=problems,
    )
