"""The pure entry points on the hostile inputs of issue 9: each returns a result or raises InvalidInput, nothing else.

Every case is one the issue found crashing (or silently cutting) the parser, built by hand around a real item.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rfi_news.errors import InvalidInput
from rfi_news.merge import merge_feed_and_page
from rfi_news.middlewares import retry_after_seconds
from rfi_news.normalize.text import normalize_text
from rfi_news.normalize.times import UnparseableTime, from_epoch_ms, to_utc_string
from rfi_news.parsers.archive import ArchiveFormatError, parse_archive_entry
from rfi_news.parsers.body import MAX_DEPTH, parse_fragment, read_body
from rfi_news.parsers.item import parse_feed_item, read_item_html
from rfi_news.parsers.listing import parse_listing
from rfi_news.parsers.rss import read_feed
from rfi_news.parsers.sitemap import read_sitemap
from tests.conftest import ARCHIVE_DIR

SEED = (ARCHIVE_DIR / "seed_rfi_20231230.md").read_text(encoding="utf-8")
SEED_DESCRIPTION = SEED.split("\n", 3)[3].strip()
SEED_LAST_PARAGRAPH_END = "的领导人会晤"  # OUTPUT.md's example: the seed's fifth and last paragraph ends so


def paragraphs(markup: str) -> list[str]:
    return read_item_html(markup).paragraphs


@pytest.mark.parametrize(
    "wrapper",
    [
        "<html>{}",
        "<!DOCTYPE html><html><head></head></html>{}",
        "{}</body><body><p>after a second body</p>",
        "</html>{}",
        "</div></div>{}",
        "<html><head></head><body>{}</body></html>",
    ],
)
def test_document_tags_in_a_description_do_not_lose_the_item(wrapper: str) -> None:
    content = read_item_html(wrapper.format(SEED_DESCRIPTION))
    assert content.published_raw == "30/12/2023 - 10:05"
    assert len([p for p in content.paragraphs if normalize_text(p)]) >= 5
    assert any(normalize_text(p).endswith(SEED_LAST_PARAGRAPH_END) for p in content.paragraphs)


def test_a_description_that_is_only_a_document_shell_is_an_empty_item() -> None:
    assert read_item_html("<!DOCTYPE html><html><head></head></html>").paragraphs == []
    assert read_item_html("<html>").paragraphs == []


@pytest.mark.parametrize("control", ["\x01", "\x00", "\x0b", "\x1f", "\ufffe"])
def test_control_characters_anywhere_are_dropped_not_fatal(control: str) -> None:
    date_line_end = SEED_DESCRIPTION.index("</div>") + len("</div>")
    with_controls = f"{control}{SEED_DESCRIPTION[:date_line_end]}{control}{SEED_DESCRIPTION[date_line_end:]}{control}"
    content = read_item_html(with_controls)
    assert content.published_raw == "30/12/2023 - 10:05"
    assert content.image is not None
    assert content.image.endswith("JAPAN-POLITICS-1.JPG")
    assert not any(control in p for p in content.paragraphs)


def test_a_lone_surrogate_becomes_u_fffd() -> None:
    assert paragraphs("<p>a\ud800b</p>") == ["a\ufffdb"]
    assert normalize_text("x\udc00y &#xd800;") == "x\ufffdy \ufffd"


def test_odd_element_and_attribute_names_are_read_past() -> None:
    assert paragraphs("<p>one</p><a:b:c>x</a:b:c><p {=1>two</p>") == ["one", "two"]


def test_nesting_up_to_the_limit_is_read_whole() -> None:
    depth = MAX_DEPTH - 2  # the fragment's own div and the p
    markup = "<div>" * depth + "<p>deep</p>" + "</div>" * depth + "<p>after</p>"
    assert paragraphs(markup) == ["deep", "after"]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 3_000, 100_000])
def test_deeper_nesting_is_refused_never_cut(depth: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_item_html("<div>" * depth + "<p>deep</p>" + "<p>after</p>")
    assert caught.value.reason == "too_deep"


def test_read_body_bounds_depth_of_a_tree_it_did_not_parse() -> None:
    deep = parse_fragment("<p>x</p>")
    current = deep
    for _ in range(MAX_DEPTH + 5):
        child = current.makeelement("div", {})
        current.append(child)
        current = child
    with pytest.raises(InvalidInput):
        read_body(deep)


def test_a_ten_megabyte_text_node_is_read_whole() -> None:
    big = "字" * 10_500_000
    assert paragraphs(f"<p>{big}</p><p>after</p>") == [big, "after"]


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("https://evil.example/cn/中国/20240101-x", "not_rfi_host"),
        ("javascript:/cn/中国/20240101-x", "not_http_scheme"),
        ("ftp://www.rfi.fr/cn/中国/20240101-x", "not_http_scheme"),
        ("http://[x/cn/中国/20240101-x", "bad_url"),
        ("//www.rfi.fr／/cn/中国/20240101-x", "bad_url"),
    ],
)
def test_feed_items_linking_elsewhere_are_refused_not_rewritten(link: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_feed_item(link=link, title="t", description=SEED_DESCRIPTION, feed_published=None, source="feedx")
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("epoch", "kept"),
    [("1703927701000", 1703927701000), ("1703927701", None), ("51381234567890", None), ("999999999", None)],
)
def test_implausible_archive_epochs_are_not_taken(epoch: str, kept: int | None) -> None:
    entry = parse_archive_entry(SEED.replace("<!--1703927701000-->", f"<!--{epoch}-->"))
    assert entry.epoch_ms == kept
    assert entry.problems == ([] if kept else ["implausible_epoch"])


def test_archive_format_errors_are_the_documented_error() -> None:
    with pytest.raises(InvalidInput):
        parse_archive_entry("<!--1703927701000-->\n[t](https://www.rfi.fr/cn/x)\nnot a rule\n<p>x</p>")
    assert issubclass(ArchiveFormatError, InvalidInput)


@pytest.mark.parametrize(
    "raw",
    [
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "Fri, 31 Dec 9999 23:59:59 -2359",
        "31/12/9999 - 23:59",
        "01/01/0001 - 00:10",
        "30/02/2024 - 10:00",
        "2024-01-01T00:00:00",
        "x" * 10_000,
        1703927701,
        51381234567890,
        10**400,
    ],
)
def test_times_out_of_range_are_unparseable_not_overflowing(raw: object) -> None:
    with pytest.raises(UnparseableTime):
        to_utc_string(raw)
    assert issubclass(UnparseableTime, InvalidInput)


def test_epoch_at_the_limits() -> None:
    assert from_epoch_ms(1703927701000) == datetime(2023, 12, 30, 9, 15, 1, tzinfo=UTC)
    with pytest.raises(UnparseableTime):
        from_epoch_ms("12a")


NOW = datetime(2026, 12, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("Wed, 02 Dec 2026 00:01:00 GMT", 60.0),
        ("²", None),
        ("١٢", None),  # Arabic-Indic digits: isdigit() is true for them too
        ("Mon, 01 Jan 0001 00:00:00 +2359", 0.0),
        ("9" * 5_000, None),
        ("", None),
        ("soon", None),
    ],
)
def test_retry_after_never_raises(header: str, seconds: float | None) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds


def test_a_retry_after_date_past_year_9999_is_a_very_long_wait() -> None:
    # 9999-12-31 23:59:59 at -23:59 is in year 10000 in UTC: no overflow, just longer than RETRY_AFTER_MAX.
    wait = retry_after_seconds("Fri, 31 Dec 9999 23:59:59 -2359", now=NOW)
    assert wait is not None
    assert wait > 250_000_000_000


def test_an_odd_element_in_a_feed_costs_no_item() -> None:
    feed = (
        b"<rss><channel><item><title>one</title><link>https://www.rfi.fr/cn/a/20240101-a</link></item>"
        b"<item><title>two</title><a:b:c>x</a:b:c><link>https://www.rfi.fr/cn/a/20240101-b</link></item>"
        b"<item><title>three</title></item></channel></rss>"
    )
    document = read_feed(feed)
    assert [entry.title for entry in document.entries] == ["one", "two", "three"]
    assert document.entries[1].link == "https://www.rfi.fr/cn/a/20240101-b"


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\x01", b'<?xml version="1.0" encoding="x-unknown"?><rss/>', b"<rss>" + b"<x>" * 3_000, b"<{>"],
)
def test_unreadable_feeds_say_so(data: bytes) -> None:
    document = read_feed(data)
    assert document.error
    assert document.entries == []


def test_a_sitemap_keeps_every_loc_around_odd_entries() -> None:
    sitemap = read_sitemap(
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://www.rfi.fr/cn/a/20240101-a</loc></url>"
        b"<?pi x?><url><a:b:c/><loc>http://[x</loc></url><url></url>"
        b"<url><loc> https://www.rfi.fr/cn/a/20240101-b </loc></url></urlset>"
    )
    assert sitemap.type == "urlset"
    assert sitemap.locs == ["https://www.rfi.fr/cn/a/20240101-a", "http://[x", "https://www.rfi.fr/cn/a/20240101-b"]
    assert sitemap.empty_entries == 1


@pytest.mark.parametrize("data", [b"", b"<html><body>x</body></html>", b"\xff\xfe", b"<rss/>"])
def test_what_is_no_sitemap_is_invalid_input(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        read_sitemap(data)


def test_a_bad_card_costs_that_card_only() -> None:
    listing = parse_listing(
        '<div data-article-list><a data-article-item-link href="http://[x">bad</a></div>'
        '<div data-article-list><a data-article-item-link href="//www.rfi.fr／/cn/a/20240101-x">bad</a></div>'
        '<div data-article-list><a data-article-item-link href="/cn/中国/20240101-good">good</a></div>',
        "https://www.rfi.fr/cn/",
    )
    assert [article.url for article in listing.articles] == ["https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/20240101-good"]


def test_merge_refuses_what_is_no_record() -> None:
    with pytest.raises(InvalidInput):
        merge_feed_and_page("feed", None)  # type: ignore[arg-type]
    merged = merge_feed_and_page({"paragraphs": ["f"], "source": "feedx"}, {"paragraphs": "not a list"})
    assert merged["source"] == "feedx"
    assert merged["paragraphs"] == ["f"]
