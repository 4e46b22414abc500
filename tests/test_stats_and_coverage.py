"""The crawl's stats collector, its field coverage counts and the "Scraped" log line: Scrapy's and Spidermon's
figures, at less cost."""

from __future__ import annotations

import gc
import inspect
import logging
from typing import Any

import pytest
import scrapy
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler
from spidermon.contrib.scrapy.extensions import Spidermon

from rfi_news import settings as project_settings
from rfi_news.coverage import FieldCoverageSpidermon
from rfi_news.heap import CollectorTuning
from rfi_news.items import new_article
from rfi_news.logformatter import RecordLogFormatter
from rfi_news.spiders.archive import REDIRECT_MIDDLEWARES, REQUEST_ONLY_SPIDER_MIDDLEWARES, ArchiveSpider
from rfi_news.spiders.rfi import RfiSpider
from rfi_news.stats import RunStatsCollector

PROJECT = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}


def test_the_project_counts_with_the_shim_free_collector_and_it_stores_what_scrapys_does() -> None:
    crawler = get_crawler(settings_dict=PROJECT)
    assert type(crawler.stats) is RunStatsCollector
    reference = MemoryStatsCollector(get_crawler())
    for stats in (crawler.stats, reference):
        stats.open_spider()
        stats.inc_value("a")
        stats.inc_value("a", 2)
        stats.inc_value("b", start=10)
        stats.max_value("high", 3)
        stats.max_value("high", 1)
        stats.min_value("low", 3)
        stats.min_value("low", 1)
        stats.set_value("flag", True)
    assert (
        crawler.stats.get_stats()
        == reference.get_stats()
        == {
            "a": 3,
            "b": 11,
            "high": 3,
            "low": 1,
            "flag": True,
        }
    )
    assert crawler.stats.get_value("missing", "default") == "default"


def test_code_that_still_passes_spider_works_without_a_deprecation_warning() -> None:
    # Spidermon and scrapy-redis were written for Scrapy's older signatures; warnings are errors in the tests.
    stats = RunStatsCollector(get_crawler())
    spider = scrapy.Spider(name="old")
    stats.inc_value("x", spider=spider)
    stats.set_value("y", 1, spider)
    assert stats.get_value("x", spider=spider) == 1
    assert stats.get_stats(spider) == {"x": 1, "y": 1}


# --- Field coverage: Spidermon's counts, in one pass ------------------------------------------------------


def records() -> list[Any]:
    """Records with every kind of value Spidermon's skip rules tell apart."""
    return [
        new_article(
            url="https://www.rfi.fr/cn/a", title="标题", paragraphs=["一", "二"], tags=[], lead="", provenance="/a"
        ),
        new_article(url="https://www.rfi.fr/cn/b", title="N/A", authors=["-"], credit="-", image=None, provenance="/b"),
        new_article(
            url="https://www.rfi.fr/cn/c", title="0", feed_published=0, published=False, lead="x", provenance="/c"
        ),
        {"url": "https://www.rfi.fr/cn/d", "title": None, "count": 0, "nested": {}, "flag": False, "empty": ""},
    ]


def spidermon_stats(extension_class: type[Spidermon], settings: dict[str, Any], items: list[Any]) -> dict[str, Any]:
    crawler = get_crawler(settings_dict={"SPIDERMON_ENABLED": True, **settings})
    crawler.stats.open_spider()
    spider = scrapy.Spider.from_crawler(crawler, name="coverage")
    extension = extension_class.from_crawler(crawler)
    for item in items:
        extension.item_scraped(item, None, spider)
    extension._add_field_coverage_to_stats()  # what Spidermon's spider_closed does first
    return {key: value for key, value in crawler.stats.get_stats().items() if key.startswith("spidermon")}


@pytest.mark.parametrize(
    "settings",
    [
        {
            "SPIDERMON_FIELD_COVERAGE_SKIP_NONE": PROJECT["SPIDERMON_FIELD_COVERAGE_SKIP_NONE"],
            "SPIDERMON_ADD_FIELD_COVERAGE": True,
        },
        {"SPIDERMON_FIELD_COVERAGE_SKIP_NONE": False},
        {"SPIDERMON_FIELD_COVERAGE_SKIP_FALSY": False, "SPIDERMON_FIELD_COVERAGE_SKIP_VALUES": [0, "N/A", None]},
        {"SPIDERMON_FIELD_COVERAGE_SKIP_FALSY": False, "SPIDERMON_FIELD_COVERAGE_SKIP_VALUES": "-,0"},
        {"SPIDERMON_DICT_FIELDS_COVERAGE_LEVELS": 1, "SPIDERMON_LIST_FIELDS_COVERAGE_LEVELS": 1},
    ],
)
def test_field_coverage_counts_the_keys_and_values_spidermon_counts(settings: dict[str, Any]) -> None:
    expected = spidermon_stats(Spidermon, settings, records())
    assert spidermon_stats(FieldCoverageSpidermon, settings, records()) == expected
    if settings.get("SPIDERMON_ADD_FIELD_COVERAGE"):  # the project's settings
        # By hand, from Spidermon's rules: null, empty and "N/A"/"-" are not counted.
        assert expected["spidermon_item_scraped_count"] == 4
        assert expected["spidermon_item_scraped_count/ArticleItem"] == 3
        assert expected["spidermon_item_scraped_count/ArticleItem/url"] == 3
        assert expected["spidermon_item_scraped_count/ArticleItem/paragraphs"] == 1
        assert "spidermon_item_scraped_count/ArticleItem/tags" not in expected
        assert "spidermon_item_scraped_count/ArticleItem/credit" not in expected
        assert expected["spidermon_field_coverage/ArticleItem/title"] == pytest.approx(2 / 3)  # "N/A" is skipped


def test_the_project_runs_spidermon_with_the_one_pass_coverage() -> None:
    assert "rfi_news.coverage.FieldCoverageSpidermon" in PROJECT["EXTENSIONS"]
    assert "spidermon.contrib.scrapy.extensions.Spidermon" not in PROJECT["EXTENSIONS"]
    assert PROJECT["SPIDERMON_ADD_FIELD_COVERAGE"] is True  # Spidermon's coverage monitor requires it


# --- The "Scraped" log line ------------------------------------------------------------------------------


def test_the_scraped_line_is_built_only_when_debug_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    formatter = RecordLogFormatter()
    item = new_article(url="https://www.rfi.fr/cn/a")
    with caplog.at_level(logging.INFO, logger="scrapy.core.scraper"):
        assert formatter.scraped(item, None, None) is None
    with caplog.at_level(logging.DEBUG, logger="scrapy.core.scraper"):
        assert formatter.scraped(item, None, None) == {
            "level": logging.DEBUG,
            "msg": "Scraped %(url)s",
            "args": {"url": "https://www.rfi.fr/cn/a"},
        }


def test_under_scrapys_logging_the_scraped_line_follows_the_handlers_level() -> None:
    # Scrapy sets the root logger to NOTSET and gives its one handler LOG_LEVEL: the logger alone would say DEBUG
    # is on, and every DEBUG record would be built, then dropped by the handler.
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, root.handlers[:]
    handler = logging.StreamHandler()
    try:
        root.handlers[:] = [handler]
        root.setLevel(logging.NOTSET)
        item = new_article(url="https://www.rfi.fr/cn/a")
        handler.setLevel(logging.INFO)
        assert RecordLogFormatter().scraped(item, None, None) is None
        handler.setLevel(logging.DEBUG)
        assert RecordLogFormatter().scraped(item, None, None) is not None
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


# --- Spider settings chosen from measurement --------------------------------------------------------------


def test_the_archive_spider_runs_without_the_request_only_spider_middlewares() -> None:
    crawler = get_crawler(ArchiveSpider, settings_dict=PROJECT)
    middlewares = crawler.settings.getdict("SPIDER_MIDDLEWARES")
    for name in REQUEST_ONLY_SPIDER_MIDDLEWARES:
        assert middlewares[name] is None
    assert "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware" not in middlewares  # left as Scrapy has it
    downloader = crawler.settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert [downloader[name] for name in REDIRECT_MIDDLEWARES] == [None, None]
    assert downloader["rfi_news.robotstxt.QuietRobotsTxtMiddleware"] == 100  # the rest as the project has them


def test_the_rfi_spider_handles_one_item_at_a_time_and_stays_polite() -> None:
    settings = get_crawler(RfiSpider, settings_dict=PROJECT).settings
    assert settings.getint("CONCURRENT_ITEMS") == 1
    assert settings.getbool("ROBOTSTXT_OBEY") is True
    assert settings.getbool("AUTOTHROTTLE_ENABLED") is True
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getfloat("DOWNLOAD_DELAY") == 1.0


# --- The garbage collector during a crawl (rfi_news/heap.py) ----------------------------------------------------


def test_the_collector_is_tuned_while_the_spider_runs_and_as_python_left_it_after() -> None:
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    crawler = get_crawler(settings_dict=PROJECT)
    extension = CollectorTuning.from_crawler(crawler)
    try:
        extension.spider_opened()
        assert gc.get_threshold() == (25_000, *before[1:])
        assert gc.get_freeze_count() > 10_000  # the modules, classes and settings alive now
    finally:
        extension.engine_stopped()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    extension.engine_stopped()  # a second stop (or one without an open) changes nothing
    assert gc.get_threshold() == before


def test_a_young_threshold_of_0_leaves_the_collector_alone() -> None:
    with pytest.raises(NotConfigured):
        CollectorTuning.from_crawler(get_crawler(settings_dict={**PROJECT, "RFI_GC_YOUNG_THRESHOLD": 0}))


def test_no_generator_callback_of_any_spider_returns_a_value() -> None:
    """What Scrapy's WARN_ON_GENERATOR_RETURN_VALUE checks at every response (off in the project's settings for its
    cost), checked here once over every generator method of every spider."""
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.misc import is_generator_with_return_value

    loader = SpiderLoader.from_settings(get_crawler(settings_dict=PROJECT).settings)
    checked = []
    for name in loader.list():
        spider_class = loader.load(name)
        for attribute in dir(spider_class):
            method = getattr(spider_class, attribute, None)
            if inspect.isgeneratorfunction(method):
                checked.append(f"{name}.{attribute}")
                assert not is_generator_with_return_value(method), f"{name}.{attribute}"
    assert {"archive.read_batch", "rfi.parse_article", "feedx.parse_feed", "warc.read_file"} <= set(checked)
