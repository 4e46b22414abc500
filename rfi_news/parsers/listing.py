"""A listing page of RFI (home, section, column, rolling news): its article links, their dates, its pages.

Two card markups are read, both real: 2024-25 (``div.m-item-list-article[data-article-list]`` holding two
``a[data-article-item-link]`` with the same href, the image link and the title link around an ``h2``) and
2020-22 (the whole card is one ``a[data-article-item-link]`` around ``p.article__title``, with
``div.article__date`` ``DD/MM/YYYY`` on section lists). Rolling-news items are ``div.m-item-news-feed`` with a
``time[datetime]``. Pagination is ``ol.m-pagination a.m-pagination__item__link``; that page N of a listing is
``<listing>/N/`` is inferred from France 24's template, not seen on RFI's Chinese edition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from parsel import Selector

from rfi_news.normalize.text import normalize_text
from rfi_news.normalize.urls import article_date, canonical_path, canonical_url, is_article_url, is_rfi_url

CARD = "[data-article-list]"
CARD_LINK = "a[data-article-item-link]"
NEWS_FEED_ITEM = "div.m-item-news-feed"
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


def _card_date(card: Selector) -> str | None:
    datetime_attr = card.css("time::attr(datetime)").get()
    if datetime_attr and (match := _ISO_DATE_RE.match(datetime_attr.strip())):
        return match.group(1)
    date_text = card.css(".article__date::text, .article__metadata time::text").get()
    if date_text and (match := _CARD_DATE_RE.search(date_text)):
        day, month, year = match.groups()
        return f"{year}-{month}-{day}"
    return None


def parse_listing(html: str | bytes, url: str) -> Listing:
    """The articles a listing page links to (each once, in page order) and its pagination links.

    ``url`` is the page's canonical URL (``https://www.rfi.fr/…``): relative links are resolved against it.
    """
    text = html.decode("utf-8", errors="replace") if isinstance(html, bytes) else html
    page = Selector(text=text)
    listing = Listing()
    seen: set[str] = set()

    def add(href: str | None, item: Selector, kind: str) -> None:
        if not href:
            return
        href = urljoin(url, href.strip())
        if not is_rfi_url(href) or not is_article_url(href):
            return
        article_url = canonical_url(href)
        if article_url in seen:
            return
        seen.add(article_url)
        title_node = item.css(".article__title, .news__content__title")
        title = _text(title_node[0]) if title_node else None
        date = _card_date(item) or article_date(article_url)
        listing.articles.append(ListedArticle(url=article_url, title=title, date=date, kind=kind))

    # lxml hands out one proxy per node while it is referenced, so the set holds the nodes themselves.
    skipped = {node.root for node in page.css(f"{SKIPPED_BLOCKS} {CARD_LINK}")}
    for item in page.css(f"{CARD}, {NEWS_FEED_ITEM}"):
        is_news = "m-item-news-feed" in (item.attrib.get("class") or "")
        links = item.css(".news__content__title a") if is_news else item.css(CARD_LINK)
        for link in links:
            if link.root not in skipped:
                add(link.attrib.get("href"), item, "news-feed" if is_news else "card")
    # A card link outside any known card wrapper still names an article.
    for link in page.css(CARD_LINK):
        if link.root not in skipped:
            add(link.attrib.get("href"), link, "card")

    pages: dict[str, None] = {}
    for href in page.css(f"{PAGINATION_LINK}::attr(href)").getall():
        href = urljoin(url, href.strip())
        if is_rfi_url(href):
            pages.setdefault(canonical_url(href), None)
    listing.pages = sorted(pages, key=page_number)
    return listing
