"""The listing parser on the real pages (both card markups) and on the reconstructed site's listings."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import unquote

from rfi_news.normalize.urls import article_date, canonical_url, is_article_url, on_origin
from rfi_news.parsers.listing import page_number, parse_listing

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
