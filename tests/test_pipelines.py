"""The pipelines through a real crawler's stats (``get_crawler``), one concern each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from rfi_news.items import new_article
from rfi_news.pipelines import (
    DeduplicationPipeline,
    LabelsPipeline,
    LeadPipeline,
    ParagraphsPipeline,
    TimestampsPipeline,
    TitlePipeline,
    UrlPipeline,
    ValidationPipeline,
)
from rfi_news.pipelines.record import RecordPipeline
from rfi_news.settings import ITEM_PIPELINES, RFI_RECORD_PIPELINES

COLUMN_URL = (
    "http://www.rfi.fr//cn/%E4%B8%93%E6%A0%8F%E6%A3%80%E7%B4%A2/%E5%9B%BD%E9%99%85%E7%BA%B5%E6%A8%AA/20201116-x"
)


@pytest.fixture
def crawler():
    crawler = get_crawler()
    crawler.stats.open_spider()
    return crawler


def stat(crawler, key: str) -> int:
    return crawler.stats.get_value(key, 0)


def test_order_is_documented_and_normalisers_come_before_validation() -> None:
    assert ITEM_PIPELINES == {"rfi_news.pipelines.RecordPipeline": 100}
    order = sorted(RFI_RECORD_PIPELINES, key=RFI_RECORD_PIPELINES.get)
    names = [path.rsplit(".", 1)[1] for path in order]
    assert names == [
        "UrlPipeline",
        "TitlePipeline",
        "TimestampsPipeline",
        "LeadPipeline",
        "ParagraphsPipeline",
        "LabelsPipeline",
        "ImagePipeline",
        "ValidationPipeline",
        "SchemaValidationPipeline",
        "DeduplicationPipeline",
        "IncrementalPipeline",
        "ClaimPipeline",
    ]


def test_url_pipeline(crawler) -> None:
    item = UrlPipeline.from_crawler(crawler).process_item(new_article(url=COLUMN_URL))
    assert item["url"] == (
        "https://www.rfi.fr/cn/%E4%B8%93%E6%A0%8F%E6%A3%80%E7%B4%A2/%E5%9B%BD%E9%99%85%E7%BA%B5%E6%A8%AA/20201116-x"
    )
    assert (item["section"], item["column"], item["language"]) == ("专栏检索", "国际纵横", "zh-Hans")
    assert stat(crawler, "rfi_news/url/canonicalized") == 1


def test_title_pipeline_removes_site_then_column_suffix(crawler) -> None:
    item = new_article(title="特朗普撬动跨大西洋关系杠杆 - 国际纵横 – 法国国际广播电台 - RFI", column="国际纵横")
    TitlePipeline.from_crawler(crawler).process_item(item)
    assert item["title"] == "特朗普撬动跨大西洋关系杠杆"
    assert stat(crawler, "rfi_news/title/affix_removed") == 1


def test_timestamps_pipeline(crawler) -> None:
    frozen = datetime(2026, 11, 26, 8, 0, 0, tzinfo=UTC)
    pipeline = TimestampsPipeline(crawler.stats, clock=lambda: frozen)
    item = new_article(
        published="30/12/2023 - 10:05", published_raw=" 30/12/2023 - 10:05", feed_published=1703927701000
    )
    pipeline.process_item(item)
    assert item["published"] == "2023-12-30T09:05:00Z"
    assert item["published_raw"] == "30/12/2023 - 10:05"
    assert item["feed_published"] == "2023-12-30T09:15:01Z"
    assert item["updated"] is None
    assert item["crawled_at"] == "2026-11-26T08:00:00Z"
    assert stat(crawler, "rfi_news/timestamps/converted/published") == 1


def test_unreadable_time_is_nulled_and_counted(crawler, caplog) -> None:
    item = new_article(published="sometime", provenance="/data/x.md")
    TimestampsPipeline.from_crawler(crawler).process_item(item)
    assert item["published"] is None
    assert stat(crawler, "rfi_news/timestamps/unparseable/published") == 1
    assert "/data/x.md: published unreadable" in caplog.text


def test_lead_and_paragraphs(crawler) -> None:
    # Raw paragraphs as a parser gives them (the body reader has left out punctuation-only and related-reading
    # blocks): normalised, and what normalisation empties or makes a repeat is dropped.
    item = new_article(
        lead="  导语\u00a0 ",
        paragraphs=["导语", "\u200b\u2060", "正文", " 正文\u3000", "¡£Ëû±íÊ¾£¬"],
    )
    LeadPipeline.from_crawler(crawler).process_item(item)
    ParagraphsPipeline.from_crawler(crawler).process_item(item)
    assert item["lead"] == "导语"
    assert item["paragraphs"] == ["正文", "。他表示，"]
    assert stat(crawler, "rfi_news/paragraphs/dropped/empty") == 1
    assert stat(crawler, "rfi_news/paragraphs/dropped/repeats_lead") == 1
    assert stat(crawler, "rfi_news/paragraphs/dropped/repeated") == 1


def test_empty_lead_is_null(crawler) -> None:
    item = LeadPipeline.from_crawler(crawler).process_item(new_article(lead=""))
    assert item["lead"] is None
    assert stat(crawler, "rfi_news/lead/empty") == 1


def test_labels(crawler) -> None:
    item = new_article(authors=["\n 安东尼 \n", "安东尼", ""], tags=["非洲"], credit=" © 2021 AFP ")
    LabelsPipeline.from_crawler(crawler).process_item(item)
    assert item["authors"] == ["安东尼"]
    assert stat(crawler, "rfi_news/labels/dropped/authors") == 2  # the repeat once normalised, and the empty one
    assert item["tags"] == ["非洲"]
    assert item["credit"] == "© 2021 AFP"


def complete_record(**changes: object):
    """A normalised record with every field the contract asks for, then ``changes``."""
    item = new_article(
        url="https://www.rfi.fr/cn/x/y",
        language="zh-Hans",
        title="标题",
        lead="导语",
        paragraphs=["正文"],
        published="2023-12-30T09:05:00Z",
        feed_published="2023-12-30T09:15:01Z",
        provenance="/data/item.md",
    )
    item.update(changes)
    return item


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"url": None}, "no_url"),
        ({"language": None}, "not_a_chinese_edition_url"),
        ({"title": None}, "no_title"),
        ({"lead": None, "paragraphs": []}, "no_text"),
        ({"published": None, "feed_published": None}, "no_time"),
    ],
)
def test_validation_drops_with_a_reason(crawler, changes: dict, reason: str) -> None:
    item = complete_record(**changes)
    with pytest.raises(DropItem, match=rf"/data/item.md: record dropped \({reason}\)"):
        ValidationPipeline.from_crawler(crawler).process_item(item)
    assert stat(crawler, f"rfi_news/validation/dropped/{reason}") == 1


@pytest.mark.parametrize("kept", [{"lead": None}, {"paragraphs": []}, {"published": None}, {"feed_published": None}])
def test_validation_keeps_what_the_contract_allows(crawler, kept: dict) -> None:
    item = complete_record(**kept)
    assert ValidationPipeline.from_crawler(crawler).process_item(item) is item


def test_deduplication_by_url(crawler) -> None:
    pipeline = DeduplicationPipeline.from_crawler(crawler)
    pipeline.process_item(new_article(url="https://www.rfi.fr/cn/x/y"))
    with pytest.raises(DropItem, match="duplicate"):
        pipeline.process_item(new_article(url="https://www.rfi.fr/cn/x/y"))
    pipeline.process_item(new_article(url="https://www.rfi.fr/cn/x/z"))
    assert stat(crawler, "rfi_news/dedup/dropped") == 1


# --- The one ITEM_PIPELINES entry: the one-concern pipelines called as one --------------------------------


def record_crawler(**settings: object):
    crawler = get_crawler(settings_dict={"RFI_RECORD_PIPELINES": RFI_RECORD_PIPELINES, **settings})
    crawler.stats.open_spider()
    return crawler


def test_record_pipeline_builds_the_listed_pipelines_in_order_leaving_out_the_unconfigured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RFI_STATE_DIR", raising=False)
    pipeline = RecordPipeline.from_crawler(record_crawler(SPIDERMON_ENABLED=False))
    # Spidermon off: no schema check; no crawl state: no incremental filter (both NotConfigured).
    assert [type(stage).__name__ for stage in pipeline.stages] == [
        "UrlPipeline",
        "TitlePipeline",
        "TimestampsPipeline",
        "LeadPipeline",
        "ParagraphsPipeline",
        "LabelsPipeline",
        "ImagePipeline",
        "ValidationPipeline",
        "DeduplicationPipeline",
    ]
    without_labels = {**RFI_RECORD_PIPELINES, "rfi_news.pipelines.LabelsPipeline": None}
    pipeline = RecordPipeline.from_crawler(record_crawler(SPIDERMON_ENABLED=False, RFI_RECORD_PIPELINES=without_labels))
    assert "LabelsPipeline" not in [type(stage).__name__ for stage in pipeline.stages]


def test_record_pipeline_runs_each_concern_and_each_counts() -> None:
    crawler = record_crawler(SPIDERMON_ENABLED=False)
    pipeline = RecordPipeline.from_crawler(crawler)
    item = new_article(
        url=COLUMN_URL,
        title="特朗普撬动跨大西洋关系杠杆 - 国际纵横 – 法国国际广播电台 - RFI",
        lead=" 导语 ",
        paragraphs=["导语", "正文"],
        feed_published=1703927701000,
        authors=["安东尼", "安东尼"],
        provenance="/data/item.md",
    )
    assert pipeline.process_item(item) is item
    assert item["column"] == "国际纵横"  # the url's, before the title needed it
    assert item["title"] == "特朗普撬动跨大西洋关系杠杆"
    assert item["feed_published"] == "2023-12-30T09:15:01Z"
    assert (item["lead"], item["paragraphs"], item["authors"]) == ("导语", ["正文"], ["安东尼"])
    assert stat(crawler, "rfi_news/url/canonicalized") == 1
    assert stat(crawler, "rfi_news/title/affix_removed") == 1
    assert stat(crawler, "rfi_news/paragraphs/dropped/repeats_lead") == 1
    assert stat(crawler, "rfi_news/labels/dropped/authors") == 1
    assert stat(crawler, "rfi_news/validation/kept") == 1
    # A later record of the same url stops at the deduplication, the last stage, with its DropItem.
    with pytest.raises(DropItem, match=r"/data/other\.md: duplicate"):
        pipeline.process_item(
            new_article(
                url=COLUMN_URL, title="x", paragraphs=["y"], feed_published=1703927701000, provenance="/data/other.md"
            )
        )
    assert stat(crawler, "rfi_news/dedup/dropped") == 1
    # A record the validation drops goes no further: it never claims its url.
    with pytest.raises(DropItem, match=r"/data/untitled.md: record dropped \(no_title\)"):
        pipeline.process_item(
            new_article(
                url=COLUMN_URL + "2", paragraphs=["y"], feed_published=1703927701000, provenance="/data/untitled.md"
            )
        )
    assert stat(crawler, "rfi_news/validation/kept") == 2
    assert stat(crawler, "rfi_news/dedup/dropped") == 1


def test_record_pipeline_refuses_a_coroutine_stage() -> None:
    class AsyncStage:
        async def process_item(self, item: object) -> object:
            return item

    with pytest.raises(TypeError, match=r"AsyncStage\.process_item is a coroutine"):
        RecordPipeline([AsyncStage()])
