"""A live check against rfi.fr, for people with internet: ``python -m pytest -m live tests/test_live.py``.

Fetches the /cn/ home page and its first article with the project's User-Agent and parses the article with the
project's parser; every field must be there with the right type. Skipped by default (see conftest.py). RFI's CDN
answers 403/429 to some clients: that is reported as a skip, not as a parser failure.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from urllib.parse import urljoin

import pytest
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from rfi_news.items import new_article
from rfi_news.parsers.page import parse_page
from rfi_news.pipelines import LeadPipeline, ParagraphsPipeline, TimestampsPipeline, TitlePipeline, UrlPipeline

HOME = "https://www.rfi.fr/cn/"
ARTICLE_HREF_RE = re.compile(r'href="(/cn/[^"#?]+/\d{8}-[^"#?]+)"')

pytestmark = pytest.mark.live


def fetch(url: str) -> str:
    request = urllib.request.Request(url, headers={"User-Agent": get_project_settings()["USER_AGENT"]})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        if exc.code in (403, 429):
            pytest.skip(f"{url}: blocked by RFI's CDN (HTTP {exc.code})")
        raise


def test_first_article_of_the_cn_home_page_parses_completely() -> None:
    match = ARTICLE_HREF_RE.search(fetch(HOME))
    assert match, "no article link on the /cn/ home page: the listing markup changed"
    url = urljoin(HOME, match.group(1))
    parsed = parse_page(fetch(url), url)
    assert parsed.body_found, parsed.missing
    assert parsed.problems == []

    crawler = get_crawler()
    item = new_article(**parsed.record)
    for pipeline in (UrlPipeline, TitlePipeline, TimestampsPipeline, LeadPipeline, ParagraphsPipeline):
        item = pipeline.from_crawler(crawler).process_item(item)
    assert isinstance(item["title"], str)
    assert item["title"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", item["published"])
    assert item["updated"] is None or item["updated"].endswith("Z")
    assert item["lead"] is None or isinstance(item["lead"], str)
    assert item["paragraphs"]
    assert all(isinstance(text, str) and text for text in item["paragraphs"])
    assert all(isinstance(name, str) for name in item["authors"])
    assert all(isinstance(tag, str) for tag in item["tags"])
    assert item["image"] is None or item["image"].startswith("https://")
    assert item["language"] == "zh-Hans"
    assert item["source"] == "rfi"
