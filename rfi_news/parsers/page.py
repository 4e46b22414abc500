"""An RFI article page (``https://www.rfi.fr/cn/<section>/<YYYYMMDD>-<slug>``): its HTML as a raw record.

API::

    parse_page(html: str, url: str) -> PageParse
    PageParse.record      # dict with OUTPUT.md's keys (minus section, column, language, crawled_at), raw values
    PageParse.template    # the template unit that read the page: "page-2024" or "page-2020"
    PageParse.missing     # ["authors", "tags", ...]: fields whose template selector matched nothing
    PageParse.problems    # ["jsonld_unparseable", ...]: bad input seen (stats keys), the parse went on
    PageParse.body_found  # True when the body container was there (the rfi_news/page/body_found stat)

Pure: a string in, plain data out, no Scrapy engine; anything it cannot read raises
:class:`rfi_news.errors.InvalidInput`, nothing else. Like :func:`rfi_news.parsers.item.parse_feed_item`, the
record holds raw values; the pipelines normalise text, strip title affixes, convert times to UTC (``published``
and ``updated`` are ISO strings with offsets here) and read ``section``, ``column`` and ``language`` from the URL.

Templates as versions (the model is Fundus's versioned parsers): each template RFI has served is one class below
with its own selectors, and the page itself says which one it is (``MARKER``), so one page never takes its title
from one template and its body from another. A template is one short method per field; the structured data they
share (JSON-LD ``NewsArticle``, ``og:``/``article:`` meta) is read in the base class, best source first. Adding
the next template is adding one class to ``TEMPLATES`` (newest first) and its dated fixtures.

Where each field comes from (OUTPUT.md and its 2026-12-01 clarifications):

- ``title``: the ``h1``; then JSON-LD ``headline``, ``og:title``, ``<title>`` (their ``<column> - `` prefix is
  removed by the title pipeline, with the suffixes).
- ``published`` / ``updated``: JSON-LD ``datePublished`` / ``dateModified``, then ``article:published_time`` /
  ``article:modified_time``, then the first / second ``time[datetime]`` of the date line; ``published_raw`` is
  the exact string used. An ``updated`` that is not later than ``published`` is no update (RFI's CMS writes a
  ``dateModified`` two seconds *before* ``datePublished`` on some pages): it is ``None``.
- ``lead``: ``p.t-content__chapo`` only (the description is not a chapô).
- ``paragraphs`` and ``credit``: the body container through :func:`rfi_news.parsers.body.read_body`, the same
  reader as feed and archive items, plus what broken markup left after an early-closed container, up to the next
  part of the page (tags, share bar, related list, ads, footer).
- ``authors``: JSON-LD ``author`` (persons' names), then the template's author block.
- ``tags``: the template's tag links only (JSON-LD ``keywords`` and ``article:tag`` also hold the section and
  column names).
- ``image``: the main figure's ``<img>``: its largest ``srcset`` entry, else its ``src`` unless a placeholder;
  never ``og:image`` or a webp ``<source>``; resolved against the page.

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
from typing import Any, ClassVar

from lxml import etree
from lxml.html import HtmlElement
from parsel import Selector, SelectorList

from rfi_news.errors import InvalidInput
from rfi_news.normalize.times import UnparseableTime, parse_timestamp
from rfi_news.normalize.urls import resolve_link
from rfi_news.parsers.body import BodyText, read_authors, read_body
from rfi_news.parsers.item import usable_image

SOURCE = "rfi"
JSONLD_SELECTOR = 'script[type="application/ld+json"]::text'
DOCUMENT_TITLE_SELECTOR = "head title::text"

# JSON-LD types that describe the article itself.
ARTICLE_TYPES = frozenset(
    {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting", "OpinionNewsArticle"}
)
# Fields reported in ``missing`` when their template selector matches nothing, in this order; ``updated`` and
# ``credit`` are rare on real pages, so their absence says nothing about the layout.
MISSING_FIELDS = ("title", "published", "lead", "authors", "tags", "image", "body")

# The parts of a page that follow the article body: where body text left outside the container ends.
AFTER_BODY_TAGS = frozenset({"footer", "aside", "section", "nav", "header", "form"})
AFTER_BODY_CLASS_PREFIXES = (
    "t-content__tags",
    "t-content__shares",
    "m-share-bar",
    "t-content__related",
    "t-content__list-content",
    "o-aside-content",
    "o-ad-container",
    "o-footer",
)

_WIDTH_DESCRIPTOR_RE = re.compile(r"(\d+(?:\.\d+)?)w")


@dataclass
class PageParse:
    """A parsed article page: the raw record, the template that read it, what it lacked, the bad input seen."""

    record: dict[str, Any]
    template: str = ""
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def body_found(self) -> bool:
        return "body" not in self.missing


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
    if isinstance(declared, str):
        return {declared}
    return {t for t in declared if isinstance(t, str)} if isinstance(declared, list) else set()


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
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the decoder goes
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
        elif isinstance(item, dict) and not any("Organization" in kind for kind in _types(item)):
            name = _string(item.get("name"))
            if name:
                names.append(name)
    return names


# --- Images ---


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


# --- Helpers the templates share ---


def _text(node: Selector) -> str:
    return "".join(node.xpath(".//text()").getall())


def _later(updated: str | None, published: str | None) -> bool:
    """True when ``updated`` is a readable time later than ``published`` (or ``published`` is unknown)."""
    if updated is None:
        return False
    try:
        return published is None or parse_timestamp(updated) > parse_timestamp(published)
    except UnparseableTime:
        return True  # the timestamps pipeline says what it cannot read


def _is_after_body(element: HtmlElement) -> bool:
    if element.tag in AFTER_BODY_TAGS:
        return True
    return any(cls.startswith(AFTER_BODY_CLASS_PREFIXES) for cls in (element.get("class") or "").split())


def blocks_after_body(container: HtmlElement) -> list[HtmlElement]:
    """What follows the body container up to the next part of the page, at any depth above it.

    Broken read-more markup (an extra ``</div>``) closes the container, and even the ``<article>``, early; the
    parser then puts the rest of the body after it. On a well-formed page this is empty: the tags or the share
    bar come right after the container.
    """
    blocks: list[HtmlElement] = []
    element: HtmlElement | None = container
    while element is not None and element.tag not in ("body", "html"):
        for sibling in element.itersiblings():
            if not isinstance(sibling.tag, str):
                continue  # comments, processing instructions
            if _is_after_body(sibling):
                return blocks
            blocks.append(sibling)
        element = element.getparent()
    return blocks


# --- The templates ---


class ArticlePageTemplate:
    """What every template of RFI's article page shares: structured data, and one method per field.

    A template sets its selectors (one CSS selector per field, which may list the forms that template itself
    used); a template whose field differs in more than a selector overrides that field's method.
    """

    name: ClassVar[str]
    served: ClassVar[str]  # when RFI served it, from the dated real pages (documentation, not used to choose)
    MARKER: ClassVar[str]  # what only this template's pages have
    TITLE: ClassVar[str] = "h1.t-content__title"
    TIMES: ClassVar[str] = "div.t-content__dates time[datetime]"  # the first is the publication, a second the edit
    LEAD: ClassVar[str] = "p.t-content__chapo"
    BODY: ClassVar[str] = "div.t-content__body"
    AUTHORS: ClassVar[str]
    TAGS: ClassVar[str]
    MAIN_IMAGE: ClassVar[str] = "div.t-content__main-media img"

    def __init__(self, page: Selector, url: str) -> None:
        self.page = page
        self.url = url
        self.article, self.problems = read_jsonld_article(page.css(JSONLD_SELECTOR).getall())
        self.missing: set[str] = set()

    def select(self, field_name: str, css: str) -> SelectorList[Selector]:
        """The nodes of ``css``; ``field_name`` is reported missing when there are none."""
        found = self.page.css(css)
        if not found:
            self.missing.add(field_name)
        return found

    def meta(self, name: str) -> str | None:
        """The first non-empty ``<meta property=name>`` (or ``name=name``)."""
        values = self.page.xpath("//meta[@property=$name or @name=$name]/@content", name=name).getall()
        return next((value for value in values if value.strip()), None)

    # --- one method per field ---

    def title(self) -> str | None:
        h1 = self.select("title", self.TITLE)
        candidates = (
            _text(h1[0]) if h1 else None,
            _string(self.article.get("headline")),
            self.meta("og:title"),
            self.page.css(DOCUMENT_TITLE_SELECTOR).get(),
        )
        return next((text for text in candidates if text and text.strip()), None)

    def date_line(self) -> list[str]:
        """The date line's ``datetime`` attributes, in order: the publication, then an edit when there is one."""
        times = [value for node in self.page.css(self.TIMES) if (value := node.attrib.get("datetime", "")).strip()]
        if not times:
            self.missing.add("published")
        return times

    def published(self, date_line: list[str]) -> str | None:
        return (
            _string(self.article.get("datePublished"))
            or self.meta("article:published_time")
            or (date_line[0] if date_line else None)
        )

    def updated(self, date_line: list[str], published: str | None) -> str | None:
        updated = (
            _string(self.article.get("dateModified"))
            or self.meta("article:modified_time")
            or (date_line[1] if len(date_line) > 1 else None)
        )
        return updated if _later(updated, published) else None

    def lead(self) -> str | None:
        chapo = self.select("lead", self.LEAD)
        return _text(chapo[0]) if chapo else None

    def body(self) -> BodyText:
        containers = self.select("body", self.BODY)
        if not containers:
            return BodyText()
        body = read_body(containers[0].root)
        for block in blocks_after_body(containers[0].root):
            stray = read_body(block)
            body.paragraphs.extend(stray.paragraphs)
            body.credit = body.credit or stray.credit
        return body

    def authors(self) -> list[str]:
        blocks = self.select("authors", self.AUTHORS)
        on_page = [name for block in blocks for name in read_authors(block.root)]
        if not on_page:
            self.missing.add("authors")
        return jsonld_names(self.article.get("author")) or on_page

    def tags(self) -> list[str]:
        return [_text(link) for link in self.select("tags", self.TAGS)]

    def image(self) -> str | None:
        images = self.select("image", self.MAIN_IMAGE)
        if not images:
            return None
        main = images[0].attrib
        usable = usable_image(largest_srcset_entry(main.get("srcset"))) or usable_image(main.get("src"))
        # resolve_link: an image URL that cannot be resolved (h://[) is no image, never a lost page.
        return resolve_link(self.url, usable) if usable else None

    def parse(self) -> PageParse:
        date_line = self.date_line()
        published = self.published(date_line)
        body = self.body()
        record: dict[str, Any] = {
            "url": self.url,
            "title": self.title(),
            "published": published,
            "published_raw": published,
            "updated": self.updated(date_line, published),
            "feed_published": None,  # a page has no feed entry
            "lead": self.lead(),
            "paragraphs": body.paragraphs,
            "authors": self.authors(),
            "tags": self.tags(),
            "image": self.image(),
            "credit": body.credit,
            "source": SOURCE,
        }
        missing = [name for name in MISSING_FIELDS if name in self.missing]
        return PageParse(record=record, template=self.name, missing=missing, problems=self.problems)


class Page2024(ArticlePageTemplate):
    """The template since the 2023 change (France 24 from late 2023, RFI's pages of 2024-25).

    ``<article class="t-content__article-wrapper">``; the chapô before the dates; authors in
    ``div.t-content__authors`` (RFI 2025) or still ``div.t-content__authors-tts`` (France 24 2024); tags as
    ``a.a-hot-tag``, on RFI after ``</article>``; main image in ``figure.m-item-image`` (RFI) or ``figure.m-figure``.
    """

    name = "page-2024"
    served = "2023-12 (France 24) / 2024 (RFI) onwards"
    MARKER = "article.t-content__article-wrapper"
    AUTHORS = "div.t-content__authors, div.t-content__authors-tts"
    TAGS = "div.t-content__tags a.a-hot-tag"


class Page2020(ArticlePageTemplate):
    """The template of 2020-22 (RFI's real page of 2022-02; France 24 until 2023-09).

    ``<article data-article-content>`` with no class; authors in ``div.t-content__authors-tts``; tags as
    ``a.m-tags-list__tag__link`` inside the article; main image in ``figure.m-figure`` with a lazy ``data:`` src.
    """

    name = "page-2020"
    served = "2020-07 to 2023-09"
    MARKER = "article[data-article-content]"
    AUTHORS = "div.t-content__authors-tts"
    TAGS = "div.t-content__tags a.m-tags-list__tag__link"


# Newest first: a page is read by the first template whose marker it has, else (a layout no template knows) by
# the newest one, whose missing fields then say what changed.
TEMPLATES: tuple[type[ArticlePageTemplate], ...] = (Page2024, Page2020)


def template_for(page: Selector) -> type[ArticlePageTemplate]:
    return next((template for template in TEMPLATES if page.css(template.MARKER)), TEMPLATES[0])


def parse_page(html: str, url: str) -> PageParse:
    """Read an RFI article page into a raw record; see the module's docstring."""
    if not isinstance(html, str) or not isinstance(url, str):
        raise InvalidInput("not_text", f"page {type(html).__name__}, url {type(url).__name__}")
    try:
        page = Selector(text=html, type="html")
        return template_for(page)(page, url).parse()
    except RecursionError as exc:  # markup nested deeper than the readers recurse
        raise InvalidInput("too_deep", str(exc)) from None
    except (ValueError, etree.LxmlError) as exc:  # what lxml refuses to parse
        raise InvalidInput("unparseable_page", str(exc)) from None
