"""End-to-end crawls of ``rfi`` (and ``feedx -a follow=1``) against the reconstructed site in fixtures/site/.

The site (see fixtures/site/README.md) plays www.rfi.fr/cn/ in mid-April 2024: a home page, the 中国 and 国际
sections with pagination, fourteen articles, robots.txt, sitemaps and an RSS feed. Each test scripts what the
real site does to crawlers (403, 429 with Retry-After, 404) on top of it.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from scrapy.utils.test import get_crawler

from rfi_news import settings as project_settings
from rfi_news.spiders.rfi import Listings, MonthSitemap, NewsSitemap, RfiSpider, RssFeeds
from tests.conftest import FIXTURES, load_expected
from tests.crawl import CrawlResult, run_crawl
from tests.fixture_server import Answer, FixtureServer, RecordedRequest

LISTINGS = "/cn/,/cn/中国/,/cn/国际/"
TAIWAN_403 = "/cn/台湾/20240111-在台湾，-白色恐怖-继续分裂着社会"
ASIA_429 = "/cn/亚洲/20231028-韩国外长-已向王毅传达反对遣返在华脱北者立场"
CHINA_404 = "/cn/中国/20220817-联合国专家报告指新疆有-强迫劳动"
MIDDLE_EAST_DISALLOWED = "/cn/中东/20230924-柏林-日报-中国在中东的影响力日益增加"
SEED = "/cn/中国/20231230-日本加强与中俄博弈-推进明年举行日本与中亚五国首脑峰会"

# What the home page and the two sections (two pages each) link to, less the 403, the 404 and the disallowed.
LISTED_RECORDS = {
    "/cn/中国/20240415-中国称因间谍罪被处决的男子曾向美国出售机密",
    "/cn/专栏检索/法国报纸摘要/20240407-巴基斯坦极端分子为何将袭击目标锁定中国利益",
    "/cn/中国/20240226-中国今称不同意美国因中国援俄制裁中国",
    "/cn/欧洲/20240219-纳瓦尔尼-母亲和律师均仍被禁止见尸体",  # the home page's rolling news
    "/cn/国际/20240204-菲律宾外长-不应将印太地区发展过度定性为美中竞争的结果",
    "/cn/法国/20240131-农民抗议不减-法国与欧盟因南方共同市场协议关系紧张",
    SEED,  # 中国, page 2
    ASIA_429,  # 国际, page 2, after one 429
    "/cn/国际/20230926-反击全球通缉普京-俄罗斯对国际刑事法院正副院长及德国大法官下达逮捕令",
    "/cn/亚洲/20230925-华盛顿批俄不是纳卡地区的-可靠的伙伴",
}


def record_paths(result: CrawlResult) -> set[str]:
    return {unquote(url.removeprefix("https://www.rfi.fr")) for url in result.urls}


def crawl_rfi(site: FixtureServer, tmp_path: Path, healthy: bool = True, **args: str) -> CrawlResult:
    """A crawl of the fixture site; an unhealthy run (no record, blocked) exits 3 (docs/monitoring.md)."""
    settings = {"RFI_ORIGIN": site.origin}
    result = run_crawl("rfi", tmp_path, args=args, settings=settings)
    assert result.returncode == (0 if healthy else 3), result.log
    return result


def once_429_then_file(request: RecordedRequest, answered: list[str] = []) -> Answer:  # noqa: B006
    """429 with ``Retry-After: 1`` to the first request for the path, the file to the next ones."""
    answered.append(request.path)
    if answered.count(request.path) == 1:
        return Answer(status=429, headers={"Retry-After": "1"}, body=b"Too Many Requests")
    return Answer(file=request.path)


@pytest.fixture
def listing_crawl(site: FixtureServer, tmp_path: Path) -> tuple[CrawlResult, FixtureServer]:
    site.routes[TAIWAN_403] = Answer(status=403, body=b"Access Denied")
    answered: list[str] = []
    site.routes[ASIA_429] = lambda request: once_429_then_file(request, answered)
    return crawl_rfi(site, tmp_path, listings=LISTINGS), site


def test_listing_crawl_records(listing_crawl, schema_validator):
    result, _site = listing_crawl
    assert record_paths(result) == LISTED_RECORDS
    assert len(result.records) == len(LISTED_RECORDS)  # one record per article, though cards link twice
    for record in result.records:
        schema_validator.validate(record)
        assert record["source"] == "rfi"
        assert record["language"] == "zh-Hans"
        assert record["url"].startswith("https://www.rfi.fr/cn/")  # never the local origin
    # The seed item, as OUTPUT.md describes it, read here from its (reconstructed) page.
    seed = next(record for record in result.records if unquote(record["url"]).endswith(SEED))
    assert seed["title"] == "日本加强与中俄博弈 推进明年举行日本与中亚五国首脑峰会"
    assert seed["section"] == "中国"
    assert seed["published"] == "2023-12-30T09:05:00Z"
    assert seed["lead"].startswith("据多方人士透露，")
    assert seed["lead"].endswith("展开协商与调整。")
    assert len(seed["paragraphs"]) == 5
    assert seed["paragraphs"][-1].endswith("的领导人会晤")
    column = next(record for record in result.records if "法国报纸摘要" in unquote(record["url"]))
    assert (column["section"], column["column"]) == ("专栏检索", "法国报纸摘要")
    assert column["title"] == "巴基斯坦极端分子为何将袭击目标锁定中国利益？"


# The site's article pages hold their archive item's body HTML verbatim (fixtures/site/build_site.py, which uses no
# project code): a page record must carry the same text as the hand-checked record of that item.
PAGE_FIELDS_OF_THE_ITEM = ("url", "title", "section", "column", "published", "lead", "paragraphs", "authors", "image")


@pytest.mark.parametrize("archive_name", ["seed_rfi_20231230", "dutymachine-news_rfi_1000008"])
def test_listed_page_records_carry_the_hand_checked_text(listing_crawl, archive_name: str):
    result, _site = listing_crawl
    expected = load_expected(FIXTURES / "expected" / "archive" / f"{archive_name}.json")
    record = next(record for record in result.records if record["url"] == expected["url"])
    assert {name: record[name] for name in PAGE_FIELDS_OF_THE_ITEM} == {
        name: expected[name] for name in PAGE_FIELDS_OF_THE_ITEM
    }
    assert (record["feed_published"], record["source"]) == (None, "rfi")


def test_listing_crawl_requests_and_stats(listing_crawl):
    result, site = listing_crawl
    # Pagination: page 2 of each section, never the third page the 中国 pager offers (pages=2 by default).
    assert site.count("/cn/中国/2/") == 1
    assert site.count("/cn/国际/2/") == 1
    assert site.count("/cn/中国/3/") == 0
    # robots.txt is read first and obeyed: the 中东 article linked from the home page is never fetched.
    assert site.requests[0].path == "/robots.txt"
    assert site.count(MIDDLE_EAST_DISALLOWED) == 0
    assert result.stat("robotstxt/forbidden") == 1
    # Each article once, whatever number of cards link to it; the 429 once more after its Retry-After.
    article_paths = [request.path for request in site.requests if request.path[-9:-8] != "/" and "-" in request.path]
    assert sorted(path for path in article_paths if path != ASIA_429) == sorted(
        set(LISTED_RECORDS | {TAIWAN_403, CHINA_404}) - {ASIA_429}
    )
    assert site.count(ASIA_429) == 2
    assert site.count(TAIWAN_403) == 1  # 403 is never retried
    assert result.stat("rfi_news/retry_after/waited") == 1
    assert result.stat("rfi_news/retry_after/seconds") == 1
    assert result.stat("retry/count") == 1
    assert result.stat("rfi_news/blocked/403") == 1
    assert result.stat("rfi_news/page/failed/http_403") == 1
    assert result.stat("rfi_news/page/failed/http_404") == 1
    assert result.stat("rfi_news/page/body_found") == 10
    assert result.stat("rfi_news/page/body_missing") == 0
    assert result.stat("rfi_news/listing/pages") == 5
    # robots.txt, 5 listing pages, 13 article requests (12 articles, one of them twice)
    assert result.stat("downloader/request_count") == 19
    assert result.stat("item_scraped_count") == 10
    assert result.stats["finish_reason"] == "finished"
    assert f"{site.origin.removeprefix('http://')} refused 1 of 18 requests (403)" in result.log


def test_since_stops_paging(site: FixtureServer, tmp_path: Path):
    result = crawl_rfi(site, tmp_path, listings="/cn/中国/", pages="3", since="2024-03-01")
    # Page 1 of 中国 lists 2024-04-15 and 2024-02-26: the second is older, so page 2 is not read.
    assert record_paths(result) == {"/cn/中国/20240415-中国称因间谍罪被处决的男子曾向美国出售机密"}
    assert site.count("/cn/中国/2/") == 0
    assert site.count("/cn/中国/20240226-中国今称不同意美国因中国援俄制裁中国") == 0
    assert result.stat("rfi_news/links/older_than_since") == 1


def test_pages_argument_reads_further(site: FixtureServer, tmp_path: Path):
    result = crawl_rfi(site, tmp_path, listings="/cn/中国/", pages="3")
    # Page 3 is offered by the pager but absent from the site: asked for once, and a 404 ends that listing.
    assert site.count("/cn/中国/3/") == 1
    assert record_paths(result) == {
        "/cn/中国/20240415-中国称因间谍罪被处决的男子曾向美国出售机密",
        "/cn/中国/20240226-中国今称不同意美国因中国援俄制裁中国",
        SEED,
    }
    assert result.stat("rfi_news/source/failed/http_404") == 1


def test_month_backfill_through_the_sitemap_index(site: FixtureServer, tmp_path: Path):
    result = crawl_rfi(site, tmp_path, month="2024-02")
    assert record_paths(result) == {
        "/cn/中国/20240226-中国今称不同意美国因中国援俄制裁中国",
        "/cn/欧洲/20240219-纳瓦尔尼-母亲和律师均仍被禁止见尸体",
        "/cn/国际/20240204-菲律宾外长-不应将印太地区发展过度定性为美中竞争的结果",
        "/cn/专栏检索/法国风光/20240201-法国地中海俱乐部新东家走高档菁英顾客群奢华雪山路线",
    }
    assert site.count("/sitemaps/cn/index.xml") == 1
    assert site.count("/sitemaps/cn/contents_202402.xml") == 1
    assert site.count("/sitemaps/cn/contents_202401.xml") == 0
    assert site.count("/cn/") == 0  # no listing in this mode


def test_month_backfill_resumes_with_jobdir(site: FixtureServer, tmp_path: Path):
    job = {"RFI_ORIGIN": site.origin, "JOBDIR": str(tmp_path / "job"), "CONCURRENT_REQUESTS": "1"}
    stopped = run_crawl(
        "rfi", tmp_path / "1", args={"month": "2024-02"}, settings={**job, "CLOSESPIDER_ITEMCOUNT": "1"}
    )
    assert stopped.stats["finish_reason"] == "closespider_itemcount"
    assert 1 <= len(stopped.records) < 4
    resumed = run_crawl("rfi", tmp_path / "2", args={"month": "2024-02"}, settings=job)
    assert resumed.returncode == 0, resumed.log
    assert "Resuming crawl" in resumed.log
    # Every article of the month exactly once across the two runs.
    paths = [unquote(record["url"].removeprefix("https://www.rfi.fr")) for record in stopped.records + resumed.records]
    assert sorted(paths) == sorted(
        [
            "/cn/中国/20240226-中国今称不同意美国因中国援俄制裁中国",
            "/cn/欧洲/20240219-纳瓦尔尼-母亲和律师均仍被禁止见尸体",
            "/cn/国际/20240204-菲律宾外长-不应将印太地区发展过度定性为美中竞争的结果",
            "/cn/专栏检索/法国风光/20240201-法国地中海俱乐部新东家走高档菁英顾客群奢华雪山路线",
        ]
    )


def test_month_missing_from_the_index(site: FixtureServer, tmp_path: Path):
    result = crawl_rfi(site, tmp_path, healthy=False, month="2019-05")
    assert result.records == []
    assert result.stat("rfi_news/sitemap/month_missing") == 1
    assert "lists no sitemap for 2019-05" in result.log


def test_news_sitemap(site: FixtureServer, tmp_path: Path):
    result = crawl_rfi(site, tmp_path, sitemap="news")
    assert record_paths(result) == {
        "/cn/中国/20240415-中国称因间谍罪被处决的男子曾向美国出售机密",
        "/cn/专栏检索/法国报纸摘要/20240407-巴基斯坦极端分子为何将袭击目标锁定中国利益",
    }
    assert site.count("/sitemaps/cn/news.xml") == 1


# A bare-slug article (/cn/<slug>: no section, no date), served as the real 2025 page (its text is the page's own).
BARE_SLUG = "/cn/台湾增加400亿美元国防开支-加速部署t-dome防空系统"
BARE_SLUG_LOC = "https://www.rfi.fr" + quote(BARE_SLUG)


def test_news_sitemap_bare_slug_article_is_fetched_with_section_null(site: FixtureServer, tmp_path: Path):
    plain = (FIXTURES / "site" / "sitemaps" / "cn" / "news.xml").read_text(encoding="utf-8")
    with_bare_slug = plain.replace(
        "</urlset>",
        f"<url><loc>{BARE_SLUG_LOC}</loc></url>\n<url><loc>https://www.rfi.fr/cn/中国/</loc></url>\n</urlset>",
    )
    site.routes["/sitemaps/cn/news.xml"] = Answer(body=with_bare_slug.encode(), headers={"Content-Type": "text/xml"})
    real_2025 = (FIXTURES / "rfi" / "cn_article_2025-11-30_politics_pretty.html").read_bytes()
    site.routes[BARE_SLUG] = Answer(body=real_2025, headers={"Content-Type": "text/html; charset=utf-8"})
    result = crawl_rfi(site, tmp_path, sitemap="news")
    assert record_paths(result) == {
        "/cn/中国/20240415-中国称因间谍罪被处决的男子曾向美国出售机密",
        "/cn/专栏检索/法国报纸摘要/20240407-巴基斯坦极端分子为何将袭击目标锁定中国利益",
        BARE_SLUG,
    }
    record = next(record for record in result.records if record["url"] == BARE_SLUG_LOC)
    assert (record["section"], record["column"]) == (None, None)
    assert record["title"] == "台湾增加400亿美元国防开支 加速部署T-Dome防空系统"
    assert record["published"] == "2025-11-30T09:13:47Z"
    # The section listing in the sitemap is no article: not fetched, counted and logged.
    assert site.count("/cn/中国/") == 0
    assert result.stat("rfi_news/links/not_article") == 1
    assert "/cn/中国/': not an RFI article URL; not fetched" in result.log


def test_gzipped_sitemap(site: FixtureServer, tmp_path: Path):
    # Sitemaps are often served as .xml.gz (application/x-gzip, no Content-Encoding): read like the plain one.
    plain = (FIXTURES / "site" / "sitemaps" / "cn" / "news.xml").read_bytes()
    site.routes["/sitemaps/cn/news.xml"] = Answer(
        body=gzip.compress(plain), headers={"Content-Type": "application/x-gzip"}
    )
    result = crawl_rfi(site, tmp_path, sitemap="news")
    assert record_paths(result) == {
        "/cn/中国/20240415-中国称因间谍罪被处决的男子曾向美国出售机密",
        "/cn/专栏检索/法国报纸摘要/20240407-巴基斯坦极端分子为何将袭击目标锁定中国利益",
    }
    assert result.stat("rfi_news/sitemap/urlset") == 1


def test_traditional_chinese_edition(site: FixtureServer, tmp_path: Path):
    result = crawl_rfi(site, tmp_path, edition="tw", listings="/tw/")
    assert record_paths(result) == {"/tw/中國/20240226-中国今称不同意美国因中国援俄制裁中国"}
    record = result.records[0]
    assert record["url"] == (
        "https://www.rfi.fr/tw/%E4%B8%AD%E5%9C%8B/20240226-%E4%B8%AD%E5%9B%BD%E4%BB%8A%E7%A7%B0%E4%B8%8D%E5%90%8C%E6%84%8F"
        "%E7%BE%8E%E5%9B%BD%E5%9B%A0%E4%B8%AD%E5%9B%BD%E6%8F%B4%E4%BF%84%E5%88%B6%E8%A3%81%E4%B8%AD%E5%9B%BD"
    )
    assert (record["language"], record["section"], record["source"]) == ("zh-Hant", "中國", "rfi")
    assert record["title"] == "中国今称不同意美国因中国援俄制裁中国"
    assert site.count("/cn/") == 0  # the /cn/ edition is not read


def test_rss_mode(site: FixtureServer, tmp_path: Path):
    result = crawl_rfi(site, tmp_path, rss="1")
    # /cn/rss links to two 中国 articles and to the 中东 one, which robots.txt disallows.
    assert record_paths(result) == {
        "/cn/中国/20240415-中国称因间谍罪被处决的男子曾向美国出售机密",
        "/cn/中国/20240226-中国今称不同意美国因中国援俄制裁中国",
    }
    assert site.count(MIDDLE_EAST_DISALLOWED) == 0


def test_a_site_refusing_everything_ends_blocked(site: FixtureServer, tmp_path: Path):
    for path in ("/cn/", "/cn/中国/", "/cn/国际/"):
        site.routes[path] = Answer(status=403, body=b"Access Denied")
    result = crawl_rfi(site, tmp_path, healthy=False, listings=LISTINGS)
    assert result.records == []
    assert result.stats["finish_reason"] == "blocked"
    assert result.stat("rfi_news/blocked/403") == 3
    assert f"{site.origin.removeprefix('http://')} refused 3 of 3 requests (403)" in result.log
    assert site.count("/robots.txt") == 1  # robots.txt answered; its answer does not count as getting through


def test_blocked_host_gets_no_more_requests(site: FixtureServer, tmp_path: Path):
    for path in ("/cn/", "/cn/中国/", "/cn/国际/"):
        site.routes[path] = Answer(status=403, body=b"Access Denied")
    # One request at a time, so the third listing is still unsent when the second 403 arrives.
    result = run_crawl(
        "rfi",
        tmp_path,
        args={"listings": LISTINGS},
        settings={"RFI_ORIGIN": site.origin, "BLOCKED_AFTER": "2", "CONCURRENT_REQUESTS": "1"},
    )
    assert result.returncode == 3, result.log  # blocked: unhealthy
    assert [request.path for request in site.requests] == ["/robots.txt", "/cn/", "/cn/中国/"]
    assert result.stat("rfi_news/blocked/hosts") == 1
    assert result.stat("rfi_news/blocked/skipped") == 1
    assert result.stats["finish_reason"] == "blocked"
    assert f"{site.origin.removeprefix('http://')} refused 2 of 2 requests (403)" in result.log


def test_feedx_follow_merges_feed_and_page(server: FixtureServer, site: FixtureServer, tmp_path: Path):
    site.routes[TAIWAN_403] = Answer(status=403, body=b"Access Denied")
    result = run_crawl(
        "feedx",
        tmp_path,
        args={"feed_url": server.url("/feeds/feedx_rfi_follow.xml"), "follow": "1"},
        settings={"RFI_ORIGIN": site.origin},
    )
    assert result.returncode == 0, result.log
    sources = {unquote(record["url"].removeprefix("https://www.rfi.fr")): record["source"] for record in result.records}
    assert sources == {
        "/cn/中国/20240415-中国称因间谍罪被处决的男子曾向美国出售机密": "rfi",
        "/cn/中国/20240226-中国今称不同意美国因中国援俄制裁中国": "rfi",
        TAIWAN_403: "feedx",  # 403: the feed's text
        CHINA_404: "feedx",  # 404: the feed's text
    }
    # The feed's links are https://www.rfi.fr/…; the pages were fetched from the local site.
    assert site.count(TAIWAN_403) == 1
    assert site.count(CHINA_404) == 1
    by_path = {unquote(record["url"].removeprefix("https://www.rfi.fr")): record for record in result.records}
    followed = by_path["/cn/中国/20240415-中国称因间谍罪被处决的男子曾向美国出售机密"]
    assert followed["feed_published"] == "2024-04-15T17:15:03Z"  # the feed item's pubDate (<!--1713201303000-->)
    assert followed["published"] == "2024-04-15T14:54:00Z"  # 16:54 in Paris (summer time), from the page
    assert followed["lead"].startswith("中国周一首次表示，一名2016年因间谍罪被处决的男子曾向美国出售机密。")
    refused = by_path[TAIWAN_403]
    assert refused["title"] == '在台湾，"白色恐怖 "继续分裂着社会'
    assert refused["paragraphs"]  # the feed's text
    assert result.stat("rfi_news/follow/source/rfi") == 2
    assert result.stat("rfi_news/follow/source/feedx") == 2
    # The feed's host answered: one refusal from the site's host is a warning, not a blocked run.
    assert f"{site.origin.removeprefix('http://')} refused 1 of 4 requests (403)" in result.log
    assert result.stats["finish_reason"] == "finished"


# --- Each link source on its own (no crawl): the argument that chooses it, its first requests. ---

# The project's own settings of the rfi spider (the rest of the project's settings install a reactor).
RFI_SETTINGS = {
    **{name: getattr(project_settings, name) for name in dir(project_settings) if name.startswith("RFI_")},
    "RFI_ORIGIN": "http://127.0.0.1:9/site",
}


@pytest.mark.parametrize(
    ("args", "source", "paths"),
    [
        (
            {"listings": "/cn/,/cn/中国/", "columns": "法国报纸摘要"},
            Listings,
            ["/cn/", "/cn/中国/", "/cn/专栏检索/法国报纸摘要/"],
        ),
        ({"sitemap": "news"}, NewsSitemap, ["/sitemaps/cn/news.xml"]),
        ({"month": "2024-02"}, MonthSitemap, ["/sitemaps/cn/index.xml"]),
        ({"rss": "1", "edition": "tw"}, RssFeeds, ["/tw/rss"]),
    ],
)
def test_each_argument_chooses_its_link_source(args: dict[str, str], source: type, paths: list[str]):
    spider = RfiSpider.from_crawler(get_crawler(RfiSpider, settings_dict=RFI_SETTINGS), **args)
    assert (type(spider.source), spider.mode) == (source, source.mode)
    requests = list(spider.source.start_requests())
    assert [unquote(request.url) for request in requests] == [f"http://127.0.0.1:9/site{path}" for path in paths]


def test_only_the_month_source_picks_its_month_from_an_index():
    settings = RFI_SETTINGS
    index = [f"https://www.rfi.fr/sitemaps/cn/contents_2024{month:02d}.xml" for month in (1, 2, 3)]
    month = RfiSpider.from_crawler(get_crawler(RfiSpider, settings_dict=settings), month="2024-02")
    news = RfiSpider.from_crawler(get_crawler(RfiSpider, settings_dict=settings), sitemap="news")
    assert month.source.sitemaps_to_follow(index, "index.xml") == [index[1]]
    assert news.source.sitemaps_to_follow(index, "index.xml") == index
