"""A listing page of RFI (home, section, column, rolling news): its article links, their dates, its pages.

Each card markup RFI has served is one class below (``Card2024``, ``Card2020``, ``NewsFeedItem`` for rolling
news), with its links, title and date each in one method; a card is read by the one markup it is. Pagination is
``ol.m-pagination a.m-pagination__item__link``; that page N of a listing is ``<listing>/N/`` is inferred from
France 24's template, not seen on RFI's Chinese edition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

from lxml import etree
from parsel import Selector, SelectorList

from rfi_news.errors import InvalidInput
from rfi_news.normalize.text import normalize_text
from rfi_news.normalize.urls import (
    article_date,
    canonical_path,
    canonical_url,
    is_article_url,
    is_rfi_url,
    resolve_link,
)

PAGINATION_LINK = "ol.m-pagination a.m-pagination__item__link"
# Paid blocks are not the edition's own articles.
SKIPPED_BLOCKS = 'aside[data-org-type="aside-content--sponsors"]'
_CARD_DATE_RE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_ISO_DATE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})T")
_PAGE_NUMBER_RE = re.compile(r"/(\d+)/?$")


@dataclass(frozen=True)
class ListedArticle:
    url: str  # canonical (https://www.rfi.fr + canonical path)
    title: str | None
    date: str | None  # YYYY-MM-DD: the card's own date, else the one in the URL
    kind: str  # "card" or "news-feed"


@dataclass
class Listing:
    articles: list[ListedArticle] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # canonical URLs of the pagination links, in page order

    def page_url(self, number: int) -> str | None:
        """The pagination link to page ``number``, when the page offers one."""
        return next((url for url in self.pages if page_number(url) == number), None)


def page_number(url: str) -> int:
    """1 for a listing's first page, N for ``<listing>/N/``."""
    match = _PAGE_NUMBER_RE.search(canonical_path(url))
    return int(match.group(1)) if match else 1


def _text(selector: Selector) -> str | None:
    text = normalize_text(" ".join(selector.xpath(".//text()[not(ancestor::svg)]").getall()))
    return text or None


def _iso_date(value: str | None) -> str | None:
    """``2025-11-30`` of ``2025-11-30T09:32:10+01:00``."""
    match = _ISO_DATE_RE.match(value.strip()) if value else None
    return match.group(1) if match else None


def _day_month_year(value: str | None) -> str | None:
    """``2022-02-13`` of ``13/02/2022``."""
    match = _CARD_DATE_RE.search(value) if value else None
    return "{2}-{1}-{0}".format(*match.groups()) if match else None


class CardMarkup:
    """One markup of an article card on a listing: its links, title and date, each in one method.

    ``ITEM`` selects the cards of this markup on a page; a card's links are found inside it. The date is the
    card's own (``None`` when it shows none: the URL's date is used then).
    """

    kind: ClassVar[str]
    ITEM: ClassVar[str]
    LINKS: ClassVar[str] = "a[data-article-item-link]"
    TITLE: ClassVar[str] = ".article__title"

    @classmethod
    def matches(cls, item: Selector) -> bool:
        return True

    @classmethod
    def links(cls, item: Selector) -> SelectorList[Selector]:
        return item.css(cls.LINKS)

    @classmethod
    def title(cls, item: Selector) -> str | None:
        node = item.css(cls.TITLE)
        return _text(node[0]) if node else None

    @classmethod
    def date(cls, item: Selector) -> str | None:
        return None


class NewsFeedItem(CardMarkup):
    """Rolling news (滚动新闻), 2024-25: ``div.m-item-news-feed`` with a ``time[datetime]``."""

    kind = "news-feed"
    ITEM = "div.m-item-news-feed"
    LINKS = ".news__content__title a"
    TITLE = ".news__content__title"

    @classmethod
    def matches(cls, item: Selector) -> bool:
        return "m-item-news-feed" in (item.attrib.get("class") or "")

    @classmethod
    def date(cls, item: Selector) -> str | None:
        return _iso_date(item.css("time::attr(datetime)").get())


class Card2020(CardMarkup):
    """The 2020-22 card: the whole card is one ``a[data-article-item-link]`` around ``p.article__title``, with
    ``div.article__date`` ``DD/MM/YYYY`` on section lists (real: the related list of the 2022 press review)."""

    kind = "card"
    ITEM = "[data-article-list]"

    @classmethod
    def matches(cls, item: Selector) -> bool:
        return bool(item.css("a[data-article-item-link] .article__title"))

    @classmethod
    def date(cls, item: Selector) -> str | None:
        return _iso_date(item.css("time::attr(datetime)").get()) or _day_month_year(
            item.css(".article__date::text, .article__metadata time::text").get()
        )


class Card2024(CardMarkup):
    """The 2024-25 card (real: the 2025 home page): ``div.m-item-list-article[data-article-list]`` holding two
    ``a[data-article-item-link]`` with the same href, the image link and the title link around an ``h2``; no date
    of its own (a ``time[datetime]`` is read when one is there)."""

    kind = "card"
    ITEM = "[data-article-list]"

    @classmethod
    def date(cls, item: Selector) -> str | None:
        return _iso_date(item.css("time::attr(datetime)").get())


class LooseCardLink(Card2020):
    """A card link outside any known card wrapper (the link is the card): it still names an article."""

    ITEM = "a[data-article-item-link]"


# Which markup a card wrapper is: the first that matches (the news feed by its class, then the 2020 card by the
# title inside its link, else the 2024 card).
CARD_MARKUPS: tuple[type[CardMarkup], ...] = (NewsFeedItem, Card2020, Card2024)
CARD_WRAPPERS = f"{Card2024.ITEM}, {NewsFeedItem.ITEM}"


def markup_of(item: Selector) -> type[CardMarkup]:
    return next(markup for markup in CARD_MARKUPS if markup.matches(item))


def parse_listing(html: str | bytes, url: str) -> Listing:
    """The articles a listing page links to (each once, in page order) and its pagination links.

    ``url`` is the page's canonical URL (``https://www.rfi.fr/…``): relative links are resolved against it.
    Anything it cannot read raises :class:`rfi_news.errors.InvalidInput`, nothing else.
    """
    if not isinstance(html, str | bytes) or not isinstance(url, str):
        raise InvalidInput("not_text", f"listing {type(html).__name__}, url {type(url).__name__}")
    try:
        return _parse_listing(html.decode("utf-8", errors="replace") if isinstance(html, bytes) else html, url)
    except (ValueError, etree.LxmlError) as exc:  # what lxml refuses (a lone surrogate, say)
        raise InvalidInput("unparseable_listing", str(exc)) from None


def _parse_listing(text: str, url: str) -> Listing:
    page = Selector(text=text, type="html")  # never JSON, whatever the text starts with
    listing = Listing()
    seen: set[str] = set()

    def add(href: str | None, item: Selector, markup: type[CardMarkup]) -> None:
        href = resolve_link(url, href)  # None for a link that cannot be resolved (http://[x): that card only
        if href is None or not is_rfi_url(href) or not is_article_url(href):
            return
        article_url = canonical_url(href)
        if article_url in seen:
            return
        seen.add(article_url)
        date = markup.date(item) or article_date(article_url)
        listing.articles.append(ListedArticle(url=article_url, title=markup.title(item), date=date, kind=markup.kind))

    # lxml hands out one proxy per node while it is referenced, so the set holds the nodes themselves.
    skipped = {node.root for node in page.css(f"{SKIPPED_BLOCKS} {CardMarkup.LINKS}")}
    for item in page.css(CARD_WRAPPERS):
        markup = markup_of(item)
        for link in markup.links(item):
            if link.root not in skipped:
                add(link.attrib.get("href"), item, markup)
    for link in page.css(LooseCardLink.ITEM):
        if link.root not in skipped:
            add(link.attrib.get("href"), link, LooseCardLink)

    pages: dict[str, None] = {}
    for raw_href in page.css(f"{PAGINATION_LINK}::attr(href)").getall():
        href = resolve_link(url, raw_href)
        if href is not None and is_rfi_url(href):
            pages.setdefault(canonical_url(href), None)
    listing.pages = sorted(pages, key=page_number)
    return listing
