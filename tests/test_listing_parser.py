"""The listing parser on the real pages (both card markups) and on the reconstructed site's listings."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest

from rfi_news.errors import InvalidInput
from rfi_news.normalize.urls import article_date, canonical_url, is_article_url, on_origin
from rfi_news.parsers.listing import page_number, parse_listing
from tests.conftest import utf8_refusal

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HOME_2025 = FIXTURES / "rfi" / "cn_home_2025-11-30_pretty.html"
PRESS_REVIEW_2022 = FIXTURES / "rfi" / "cn_article_2022-02-06_press-review.html"


def paths(urls: list[str]) -> list[str]:
    return [unquote(url.removeprefix("https://www.rfi.fr")) for url in urls]


def test_home_2025_cards_each_once_with_titles():
    listing = parse_listing(HOME_2025.read_bytes(), "https://www.rfi.fr/cn/")
    # 43 distinct article hrefs among the a[data-article-item-link] (counted with grep), each card linking
    # twice; plus the 5 rolling-news items of the aside.
    assert Counter(article.kind for article in listing.articles) == {"card": 43, "news-feed": 5}
    assert len({article.url for article in listing.articles}) == 48
    first = listing.articles[0]
    assert unquote(first.url) == "https://www.rfi.fr/cn/政治/20251130-台湾增加400亿美元国防开支-加速部署t-dome防空系统"
    assert first.title == "台湾增加400亿美元国防开支 加速部署T-Dome防空系统"
    assert first.date == "2025-11-30"  # no <time> on 2025 home cards: the date comes from the URL
    assert listing.pages == []  # the home page does not paginate


def test_home_2025_skips_tag_and_partner_links():
    listing = parse_listing(HOME_2025.read_bytes(), "https://www.rfi.fr/cn/")
    # The page also has data-article-item-link cards to tag pages (/cn/关键词/…/) and to savoirs.rfi.fr.
    assert not [url for url in paths([a.url for a in listing.articles]) if "关键词" in url or "savoirs" in url]


def test_rolling_news_items():
    listing = parse_listing(HOME_2025.read_bytes(), "https://www.rfi.fr/cn/")
    news = [article for article in listing.articles if article.kind == "news-feed"]
    assert paths([news[0].url, news[1].url]) == [
        "/cn/国际报道/20251130-国安法下异见遭噤声-香港学生吁彻查宏福苑大火被捕",
        "/cn/国际报道/20251130-夫妻档在雪梨诈赌被捕",
    ]
    assert news[1].title == "夫妻档在雪梨诈赌被捕"
    # <time datetime="2025-11-30T09:02:10+01:00">: the card's own date
    assert news[1].date == "2025-11-30"


def test_cards_2022_markup_whole_card_is_the_link_with_a_date():
    listing = parse_listing(PRESS_REVIEW_2022.read_bytes(), "https://www.rfi.fr/cn/专栏检索/法国报纸摘要/x")
    assert len(listing.articles) == 8
    first = listing.articles[0]
    assert unquote(first.url) == "https://www.rfi.fr/cn/专栏检索/法国报纸摘要/20220213-维吾尔人命运的阴影笼罩北京冬奥会"
    assert first.title == "维吾尔人命运的阴影笼罩北京冬奥会"  # the svg picto of p.article__title adds no text
    assert first.date == "2022-02-13"  # div.article__date 13/02/2022
    assert [article.date for article in listing.articles][-1] == "2022-01-30"


def test_site_listing_pagination_and_dedup():
    page = FIXTURES / "site" / "cn" / "中国" / "index.html"
    listing = parse_listing(page.read_bytes(), canonical_url("/cn/中国/"))
    assert paths([article.url for article in listing.articles]) == [
        "/cn/中国/20240415-中国称因间谍罪被处决的男子曾向美国出售机密",
        "/cn/中国/20240226-中国今称不同意美国因中国援俄制裁中国",
    ]
    assert [article.date for article in listing.articles] == ["2024-04-15", "2024-02-26"]
    assert paths(listing.pages) == ["/cn/中国/", "/cn/中国/2/", "/cn/中国/3/"]
    assert unquote(listing.page_url(2) or "") == "https://www.rfi.fr/cn/中国/2/"
    assert listing.page_url(4) is None


def test_page_number_and_article_urls():
    assert page_number("https://www.rfi.fr/cn/中国/") == 1
    assert page_number("/cn/%E4%B8%AD%E5%9B%BD/2/#pager") == 2
    assert is_article_url("/cn/中国/20240415-中国称")
    assert is_article_url("https://www.rfi.fr/cn/专栏检索/法国报纸摘要/20220213-维吾尔人")
    assert not is_article_url("/cn/关键词/日本/")
    # A bare slug is an article (OUTPUT.md, 2026-12-01); a section listing ends in "/".
    assert is_article_url("/cn/欧股收高")
    assert is_article_url("https://www.rfi.fr/cn/%E6%AC%A7%E8%82%A1%E6%94%B6%E9%AB%98")
    assert not is_article_url("/cn/中国/")
    assert not is_article_url("/cn/")
    assert not is_article_url("/fr/x")
    assert not is_article_url("/fr/france/20240415-x")
    assert article_date("/cn/中国/20240415-中国称") == "2024-04-15"


def test_on_origin_maps_rfi_links_onto_the_origin():
    assert on_origin("/cn/中国/2/#pager", "http://127.0.0.1:8123") == "http://127.0.0.1:8123/cn/%E4%B8%AD%E5%9B%BD/2/"
    assert on_origin("https://www.rfi.fr/cn/x", "https://www.rfi.fr") == "https://www.rfi.fr/cn/x"
    assert on_origin("http://www.rfi.fr//cn/x", "http://127.0.0.1:1/site/") == "http://127.0.0.1:1/site/cn/x"


def test_each_card_is_read_by_one_markup():
    from parsel import Selector

    from rfi_news.parsers.listing import CARD_WRAPPERS, Card2020, Card2024, NewsFeedItem, markup_of

    def markups(path: Path) -> Counter[str]:
        page = Selector(text=path.read_text(encoding="utf-8"))
        return Counter(markup_of(item).__name__ for item in page.css(CARD_WRAPPERS))

    assert set(markups(PRESS_REVIEW_2022)) == {Card2020.__name__}
    assert set(markups(HOME_2025)) == {Card2024.__name__, NewsFeedItem.__name__}


# --- Each card markup on hand-written cards in its real shape (dates chosen unlike the URLs' own). ---

CARD_2020 = """<div class="m-item-list-article" data-article-list>
<a href="/cn/中国/20220213-x" data-article-item-link><div class="article__infos">
<div class="article__metadata"><div class="article__date">14/02/2022</div></div>
<p class="article__title "><span class="article__type"><svg><title>视频</title></svg></span>二〇二〇 卡片</p>
</div></a></div>"""
CARD_2024 = """<div class="m-item-list-article " data-article-list>
<a class="m-item-image" href="/cn/国际/20251130-y" data-article-item-link aria-hidden="true"></a>
<div class="article__infos"><div class="article__title ">
<a href="/cn/国际/20251130-y" data-article-item-link><h2 aria-level="3">二〇二四 卡片</h2></a></div>
<time datetime="2025-12-01T00:10:00+01:00"></time></div></div>"""
NEWS_FEED = """<div class="m-item-news-feed"><div class="news__metadata__time">
<time datetime="2025-11-29T23:59:00+01:00">23:59</time></div>
<div class="news__content__title"><a href="https://www.rfi.fr/cn/国际报道/20251130-z"><h2>滚动 新闻</h2></a></div></div>"""


def listing_of(body: str, url: str = "https://www.rfi.fr/cn/中国/") -> list[tuple[str, str | None, str | None, str]]:
    listing = parse_listing(f"<html><body>{body}</body></html>", url)
    return [(unquote(a.url), a.title, a.date, a.kind) for a in listing.articles]


def test_each_markup_reads_its_own_title_and_date():
    assert listing_of(CARD_2020 + CARD_2024 + NEWS_FEED) == [
        ("https://www.rfi.fr/cn/中国/20220213-x", "二〇二〇 卡片", "2022-02-14", "card"),
        ("https://www.rfi.fr/cn/国际/20251130-y", "二〇二四 卡片", "2025-12-01", "card"),
        ("https://www.rfi.fr/cn/国际报道/20251130-z", "滚动 新闻", "2025-11-29", "news-feed"),
    ]


def test_a_card_without_a_date_of_its_own_takes_the_urls():
    card = CARD_2020.replace('<div class="article__metadata"><div class="article__date">14/02/2022</div></div>', "")
    assert listing_of(card)[0][2] == "2022-02-13"
    assert listing_of(CARD_2024.replace("<time datetime=", "<time data-x="))[0][2] == "2025-11-30"


def test_a_2020_card_with_a_time_reads_its_datetime_first():
    card = CARD_2020.replace("</p>", '</p><time datetime="2022-02-15T10:00:00+00:00"></time>')
    assert listing_of(card)[0][2] == "2022-02-15"


def test_a_loose_card_link_still_names_an_article():
    loose = '<a href="/cn/法国/20240131-w" data-article-item-link><p class="article__title">散落 链接</p></a>'
    assert listing_of(loose) == [("https://www.rfi.fr/cn/法国/20240131-w", "散落 链接", "2024-01-31", "card")]


def test_sponsored_links_are_skipped_wherever_they_stand():
    sponsored = f'<aside data-org-type="aside-content--sponsors">{CARD_2024}</aside>'
    loose = '<a href="/cn/法国/20240131-w" data-article-item-link>散落</a>'
    assert listing_of(sponsored + f'<aside data-org-type="aside-content--sponsors">{loose}</aside>') == []


def test_links_are_resolved_against_the_listing_and_other_hosts_left_out():
    cards = (
        '<a href="20240131-w" data-article-item-link>相对</a>'
        '<a href="https://savoirs.rfi.fr/cn/法国/20240131-v" data-article-item-link>别处</a>'
        '<a href="/cn/关键词/法国/" data-article-item-link>标签</a>'
        "<a data-article-item-link>无链接</a>"
    )
    assert [entry[0] for entry in listing_of(cards, "https://www.rfi.fr/cn/法国/")] == [
        "https://www.rfi.fr/cn/法国/20240131-w"
    ]


def test_pagination_in_page_order_each_once_rfi_links_only():
    pager = (
        '<ol class="m-pagination">'
        '<li><a class="m-pagination__item__link" href="/cn/中国/10/#pager">10</a></li>'
        '<li><a class="m-pagination__item__link" href="/cn/中国/2/#pager">2</a></li>'
        '<li><a class="m-pagination__item__link" href="/cn/中国/#pager">1</a></li>'
        '<li><a class="m-pagination__item__link" href="/cn/中国/2/">2</a></li>'
        '<li><a class="m-pagination__item__link" href="https://example.org/cn/中国/3/">3</a></li>'
        "</ol>"
    )
    listing = parse_listing(f"<html><body>{pager}</body></html>", "https://www.rfi.fr/cn/中国/")
    assert paths(listing.pages) == ["/cn/中国/", "/cn/中国/2/", "/cn/中国/10/"]
    assert paths([listing.page_url(10) or ""]) == ["/cn/中国/10/"]


def test_pagination_link_relative_to_the_listing_is_resolved_against_it():
    pager = (
        '<ol class="m-pagination">'
        '<li><a class="m-pagination__item__link" href="2/">2</a></li>'
        '<li><a class="m-pagination__item__link" href="../法国/3/">3</a></li>'
        "</ol>"
    )
    listing = parse_listing(f"<html><body>{pager}</body></html>", "https://www.rfi.fr/cn/中国/")
    assert paths(listing.pages) == ["/cn/中国/2/", "/cn/法国/3/"]


def test_bytes_are_read_as_utf8_and_a_bad_byte_costs_only_itself():
    html = f"<html><body>{CARD_2024}</body></html>".encode().replace("卡片".encode(), b"\xff")
    assert [a.title for a in parse_listing(html, "https://www.rfi.fr/cn/").articles] == ["二〇二四 \ufffd"]


@pytest.mark.parametrize(
    ("html", "url", "reason"),
    [
        (None, "https://www.rfi.fr/cn/", "not_text"),
        ("<p>x</p>", None, "not_text"),
        ("a\ud800b", "https://www.rfi.fr/cn/", "unparseable_listing"),
    ],
)
def test_what_is_no_listing_raises_invalid_input(html: object, url: object, reason: str):
    with pytest.raises(InvalidInput) as raised:
        parse_listing(html, url)  # type: ignore[arg-type]
    assert raised.value.reason == reason
    assert str(raised.value).startswith(f"{reason.replace('_', ' ')}: ")


def test_a_listing_that_starts_like_json_is_read_as_html() -> None:
    # parsel reads text starting with "[" as JSON unless told it is HTML: 10^5 brackets were a RecursionError.
    listing = parse_listing("[" * 100_000, "https://www.rfi.fr/cn/")
    assert (listing.articles, listing.pages) == ([], [])


@pytest.mark.parametrize(
    ("html", "url", "detail"),
    [(None, "https://www.rfi.fr/cn/", "listing NoneType, url str"), ("<p/>", None, "listing str, url NoneType")],
)
def test_what_is_not_text_is_said(html: object, url: object, detail: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_listing(html, url)  # type: ignore[arg-type]
    assert (caught.value.reason, caught.value.detail) == ("not_text", detail)


def test_a_listing_lxml_cannot_take_says_why() -> None:
    html = "<p>\ud800</p>"  # a lone surrogate: the page cannot be encoded for lxml
    with pytest.raises(InvalidInput) as caught:
        parse_listing(html, "https://www.rfi.fr/cn/")
    assert (caught.value.reason, caught.value.detail) == ("unparseable_listing", utf8_refusal(html))
