"""The crawl state, its pipeline and middleware, and the atomic feed storage, through Scrapy's own test crawler."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import DropItem, IgnoreRequest
from scrapy.utils.test import get_crawler

from rfi_news.feedstorage import AtomicFileFeedStorage
from rfi_news.items import new_article
from rfi_news.middlewares import KnownArticleMiddleware
from rfi_news.pipelines.state import IncrementalPipeline
from rfi_news.state import CONTENT_FIELDS, CrawlState, StateLockedError, content_hash, open_state

SEED_URL = "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/20231230-seed"


class ArticleSpider(Spider):
    name = "articles"


def record(**values: object) -> dict[str, object]:
    return dict(new_article(url=SEED_URL, title="标题", lead="导语", paragraphs=["第一段"], **values))


def test_content_hash_covers_the_content_fields_only() -> None:
    base = content_hash(record())
    assert CONTENT_FIELDS == ("title", "lead", "paragraphs", "updated", "image", "authors", "tags", "credit")
    assert content_hash(record(crawled_at="2024-01-01T00:00:00Z", source="feedx")) == base
    assert content_hash(record(feed_published="2024-01-01T00:00:00Z", section="中国")) == base
    assert content_hash(record(updated="2024-01-02T08:00:00Z")) != base
    assert content_hash(record(tags=["中国"])) != base
    assert content_hash({**record(), "paragraphs": ["第一段", "第二段"]}) != base


def test_uncommitted_rows_are_rolled_back(tmp_path: Path) -> None:
    state = CrawlState(tmp_path, "articles")
    state.record_article(SEED_URL, "a" * 64, None)
    assert state.knows(SEED_URL)  # this run's own articles are known to it at once
    state.close()  # a run that ended without publishing its output
    state = CrawlState(tmp_path, "articles")
    assert not state.knows(SEED_URL)
    state.record_article(SEED_URL, "a" * 64, None)
    state.commit()
    state.close()
    with CrawlState(tmp_path, "articles") as state:
        assert state.article_hash(SEED_URL) == "a" * 64


def test_a_killed_run_commits_nothing(tmp_path: Path) -> None:
    """A process that dies (SIGKILL) mid-run, after writing rows, leaves the state as the last commit left it."""
    script = (
        "import os, sys; from pathlib import Path; from rfi_news.state import CrawlState\n"
        "state = CrawlState(Path(sys.argv[1]), 'articles')\n"
        "for n in range(500): state.record_article(f'https://www.rfi.fr/cn/x-{n}', 'h', None)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    process = subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=False)
    assert process.returncode == -9
    with CrawlState(tmp_path, "articles") as state:  # also proves the dead process's lock is gone
        assert not state.knows("https://www.rfi.fr/cn/x-0")
        assert state.db.execute("SELECT count(*) FROM articles").fetchone() == (0,)


def test_one_run_per_spider_and_state(tmp_path: Path) -> None:
    first = CrawlState(tmp_path, "articles")
    with pytest.raises(StateLockedError, match=r"another run of this spider holds .*articles\.lock"):
        CrawlState(tmp_path, "articles")
    CrawlState(tmp_path, "other").close()  # another spider has its own state and lock
    first.close()
    CrawlState(tmp_path, "articles").close()  # free again once the first run ended


def test_state_is_off_without_a_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RFI_STATE_DIR", raising=False)
    assert open_state(get_crawler(ArticleSpider)) is None


def test_state_folder_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RFI_STATE_DIR", str(tmp_path))
    state = open_state(get_crawler(ArticleSpider))
    assert state is not None
    assert state.path == tmp_path / "articles.sqlite3"
    state.close()


def test_pipeline_new_changed_unchanged(tmp_path: Path) -> None:
    crawler = get_crawler(ArticleSpider)
    state = CrawlState(tmp_path, "articles")
    pipeline = IncrementalPipeline(crawler.stats, state)
    item = new_article(url=SEED_URL, title="标题", lead="导语", paragraphs=["第一段"])
    assert pipeline.process_item(item) is item
    state.record_article(SEED_URL, content_hash(item), None)  # what the keeper does once the exporter has it
    with pytest.raises(DropItem, match="already emitted, unchanged"):
        pipeline.process_item(new_article(url=SEED_URL, title="标题", lead="导语", paragraphs=["第一段"]))
    edited = new_article(url=SEED_URL, title="标题", lead="导语", paragraphs=["第一段（更正）"])
    assert pipeline.process_item(edited) is edited
    stats = crawler.stats.get_stats()
    assert (stats["rfi_news/state/new"], stats["rfi_news/state/changed"], stats["rfi_news/state/unchanged"]) == (
        1,
        1,
        1,
    )
    state.close()


def test_middleware_skips_article_pages_already_emitted(tmp_path: Path) -> None:
    crawler = get_crawler(ArticleSpider)
    state = CrawlState(tmp_path, "articles")
    state.record_article(SEED_URL, "h", None)
    middleware = KnownArticleMiddleware(crawler.stats, state)
    known = Request("http://127.0.0.1/page", meta={"rfi_article_url": SEED_URL})
    with pytest.raises(IgnoreRequest, match="already emitted"):
        middleware.process_request(known)
    unknown = Request("http://127.0.0.1/other", meta={"rfi_article_url": SEED_URL + "-other"})
    assert middleware.process_request(unknown) is None
    assert middleware.process_request(Request("http://127.0.0.1/listing")) is None  # listings are always fetched
    assert crawler.stats.get_value("rfi_news/state/skipped") == 1
    state.close()


def test_storage_writes_a_hidden_part_file_then_renames(tmp_path: Path) -> None:
    target = tmp_path / "out" / "run.jsonl"
    storage = AtomicFileFeedStorage(str(target), feed_options={"overwrite": True})
    file = storage.open(ArticleSpider())
    file.write(b'{"a": 1}\n')
    file.flush()
    assert not target.exists()
    assert (tmp_path / "out" / ".run.jsonl.articles.part").read_bytes() == b'{"a": 1}\n'
    storage.store(file)
    assert target.read_bytes() == b'{"a": 1}\n'
    assert list(target.parent.iterdir()) == [target]


def test_storage_append_keeps_the_old_lines_and_overwrite_does_not(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_bytes(b'{"old": 1}\n')
    append = AtomicFileFeedStorage(str(target), feed_options={"overwrite": False})
    file = append.open(ArticleSpider())
    file.write(b'{"new": 2}\n')
    assert target.read_bytes() == b'{"old": 1}\n'  # untouched until the run is stored
    append.store(file)
    assert [json.loads(line) for line in target.read_text().splitlines()] == [{"old": 1}, {"new": 2}]
    overwrite = AtomicFileFeedStorage(target.as_uri(), feed_options={"overwrite": True})
    file = overwrite.open(ArticleSpider())
    file.write(b'{"newer": 3}\n')
    overwrite.store(file)
    assert target.read_bytes() == b'{"newer": 3}\n'


def test_an_archive_file_is_known_once_its_record_is_published_and_from_then_on(tmp_path: Path) -> None:
    from rfi_news.state import EmittedArticle, Publication

    first, second, later = b"1" * 16, b"2" * 16, b"3" * 16
    with CrawlState(tmp_path, "archive") as state:
        state.record_file(first, "https://www.rfi.fr/cn/a/20240101-a")
        state.record_file(second, "https://www.rfi.fr/cn/a/20240101-b")
        assert not state.knows_file(first)  # emitted, not yet published
        publication = Publication(
            "out.jsonl",
            "out.jsonl.part",
            "d",
            (EmittedArticle(url="https://www.rfi.fr/cn/a/20240101-a", content_hash="h", updated=None),),
        )
        state.begin_publication(publication)
        state.end_publication(publication)
        assert state.knows_file(first)  # published in this run: known in this run too
        assert not state.knows_file(second)
        state.commit()
        assert state.knows_file(second)
    with CrawlState(tmp_path, "archive") as state:
        assert (state.knows_file(first), state.knows_file(second), state.knows_file(later)) == (True, True, False)
