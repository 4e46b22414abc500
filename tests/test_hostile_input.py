"""Hostile input, end to end: each kind of bad input mixed with good records in a real ``scrapy crawl``.

For every crawl: the good records all come out (the exact set of URLs, written down from the fixtures' own links),
each bad input is named (by its file path, feed item or page URL) in the number of WARNING lines its kind calls for
and counted, nothing leaves the allowed hosts (a recorder on 127.0.0.2 gets no request), no record carries another
host's text, and the log holds no traceback and no ERROR.

The kinds are batched into four crawls (archive, feedx with its mirrors and pages, rfi sitemap, rfi listing) so
the suite stays fast; ``KINDS`` lists them all.
"""

from __future__ import annotations

import email.utils
import os
import re
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, unquote_to_bytes, urlsplit

import pytest

from tests.conftest import ARCHIVE_DIR, EXPECTED_ARCHIVE_DIR, FIXTURES, archive_link, load_expected
from tests.crawl import CrawlResult, run_crawl
from tests.fault_server import Hang, ResetMidBody, ShortBody, SlowDrip
from tests.fixture_server import Answer, FixtureServer, RecordedRequest
from tests.fixtures.feeds.build_feeds import channel, item_xml

SITE = FIXTURES / "site"


def contract_url(link: str) -> str:
    """OUTPUT.md's canonical url, read off the contract's words (https, runs of / collapsed, UTF-8 percent-encoding)."""
    path = re.sub("/{2,}", "/", urlsplit(link).path)
    return "https://www.rfi.fr" + quote(unquote_to_bytes(path), safe="/")


def warning_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if " WARNING: " in line]


def lines_naming(log: str, marker: str) -> list[str]:
    """WARNING lines naming ``marker``: as the project logs a URL (decoded) or as Scrapy does (percent-encoded)."""
    encoded = quote(marker, safe="/:'% ")
    return [line for line in warning_lines(log) if marker in line or encoded in line]


@dataclass(frozen=True)
class Kind:
    """One kind of bad input: where it is, whether its record is kept, the WARNING lines and the counter it gets."""

    name: str
    marker: str  # what names its source in the log (a file name, a URL path, a feed item)
    kept: bool
    warnings: int
    counter: str | None


KINDS: dict[str, list[Kind]] = {}


def check_kinds(result: CrawlResult, kinds: list[Kind]) -> None:
    """Each kind's source in exactly its number of WARNING lines, and its counter; then every counter's total."""
    problems = []
    for kind in kinds:
        named = lines_naming(result.log, kind.marker)
        if len(named) != kind.warnings:
            problems.append(
                f"{kind.name}: {len(named)} WARNING lines name {kind.marker!r}, not {kind.warnings}: {named}"
            )
    expected_counts: dict[str, int] = {}
    for kind in kinds:
        if kind.counter:
            expected_counts[kind.counter] = expected_counts.get(kind.counter, 0) + 1
    for counter, count in expected_counts.items():
        if result.stat(counter) != count:
            problems.append(f"{counter} = {result.stat(counter)}, not {count}")
    assert not problems, "\n".join(problems)


def check_clean_log(result: CrawlResult, verdict: str | None = None) -> None:
    """No traceback, no parser bug, and no ERROR but the run's verdict when it is expected to be unhealthy."""
    assert "Traceback" not in result.log
    errors = [line for line in result.log.splitlines() if " ERROR: " in line]
    if verdict is None:
        assert errors == []
    else:
        assert errors, "the run should have been judged unhealthy"
        assert all("[rfi_news.extensions] ERROR: " in line and verdict in line for line in errors), errors
    assert result.stat("rfi_news/parser_bug") == 0
    assert result.stat("spider_exceptions/count") == 0


@pytest.fixture(scope="module")
def recorder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FixtureServer]:
    """Another host (127.0.0.2): whatever a bad input points at. It must receive no request."""
    server = FixtureServer(tmp_path_factory.mktemp("elsewhere"), host="127.0.0.2").start()
    server.routes["/"] = Answer(body=b"<html><body><p>ELSEWHERE TEXT</p></body></html>")
    yield server
    server.stop()


# --- archive -------------------------------------------------------------------------------------------------

ARCHIVE_GOOD = [
    "dm-news_fagu_1042089",
    "dm-news_fagu_1045000",
    "dm-news_fagu_1047000",
    "dm-news_rfi_1001000",
    "dm-news_rfi_1004000",
    "dm-news_rfi_1013000",
    "dm-news_rfi_1015000",
    "dm-news_rfi_1021000",
    "dm-news_rfi_1023000",
    "dm-news_rfi_1030000",
]


def real(name: str) -> str:
    return (ARCHIVE_DIR / f"{name}.md").read_text(encoding="utf-8")


def head_and_description(text: str) -> tuple[str, str]:
    lines = text.split("\n", 3)
    return "\n".join(lines[:3]) + "\n", lines[3]


def in_description(transform: Callable[[str], str]) -> Callable[[str], str]:
    def apply(text: str) -> str:
        head, description = head_and_description(text)
        return head + transform(description)

    return apply


def with_link(link: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        lines = text.split("\n", 3)
        lines[1] = re.sub(r"\(\S+\)$", f"({link})", lines[1].strip())
        return "\n".join(lines)

    return apply


def with_epoch(epoch: str) -> Callable[[str], str]:
    return lambda text: re.sub(r"^<!--\d+-->", f"<!--{epoch}-->", text)


def with_date_line(line: str) -> Callable[[str], str]:
    return lambda text: re.sub(r"<div>\d\d/\d\d/\d{4} - \d\d:\d\d</div>", f"<div>{line}</div>", text, count=1)


def with_image(src: str) -> Callable[[str], str]:
    return lambda text: re.sub(r'<img src="[^"]*"', f'<img src="{src}"', text, count=1)


def after_first(tag: str, insert: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        at = text.index(tag) + len(tag)
        return text[:at] + insert + text[at:]

    return apply


def deep(levels: int) -> Callable[[str], str]:
    return in_description(lambda description: "<div>" * levels + description + "</div>" * levels)


# (kind, source file, transform, kept, warnings, counter); a kept kind's record must come out.
ArchiveCase = tuple[str, str, Callable[[str], str], bool, int, str | None]
ARCHIVE_CASES: list[ArchiveCase] = [
    (
        "doctype_shell",
        "dm-news_rfi_1034000",
        in_description(lambda d: "<!DOCTYPE html><html><head></head></html>" + d),
        True,
        0,
        None,
    ),
    ("html_start_tag", "dm-news_rfi_1040000", in_description(lambda d: "<html>" + d), True, 0, None),
    ("second_body", "dutymachine-news_rfi_1000008", after_first("</p>", "</body><body>"), True, 0, None),
    ("control_char_loose_text", "seed_rfi_20231230", in_description(lambda d: "\x01" + d.strip()), True, 0, None),
    ("control_char_after_date_line", "zll0257-news_rfi_999951", after_first("</div>", "\x01"), True, 0, None),
    (
        "control_char_after_img",
        "zll0257-news_rfi_999999",
        lambda text: re.sub(r"(<img[^>]*>)", "\\1\x01", text, count=1),
        True,
        0,
        None,
    ),
    ("colon_element_name", "dm-news_fagu_1042083", after_first("</p>", "<a:b:c>x</a:b:c>"), True, 0, None),
    ("brace_attribute_name", "dm-news_fagu_1042114", after_first("<p", ' {="1"'), True, 0, None),
    (
        "script_in_body",
        "dm-news_fagu_1044000",
        after_first("</p>", "<script>document.write('x')</script>"),
        True,
        0,
        None,
    ),
    ("huge_char_reference", "dm-news_fagu_1046000", after_first("<p>", "&#99999999;&#0;"), True, 0, None),
    ("lone_surrogate_reference", "dm-news_fagu_1048000", after_first("<p>", "&#xd800;"), True, 0, None),
    ("nesting_300_deep", "dm-news_rfi_1000000", deep(300), False, 1, "rfi_news/archive/invalid/too_deep"),
    ("nesting_100000_deep", "dm-news_rfi_1010000", deep(100_000), False, 1, "rfi_news/archive/invalid/too_deep"),
    ("text_node_10_mb", "dm-news_rfi_1016000", after_first("<p>", "a" * 10_500_000), True, 0, None),
    (
        "link_other_host",
        "dm-news_rfi_1020000",
        with_link("https://evil.example/cn/中国/20240101-x"),
        False,
        1,
        "rfi_news/archive/invalid/not_rfi_host",
    ),
    (
        "link_lookalike_host",
        "dm-news_rfi_1025000",
        with_link("https://www.rfi.fr.evil.example/cn/中国/20240101-y"),
        False,
        1,
        "rfi_news/archive/invalid/not_rfi_host",
    ),
    (
        "link_javascript",
        "dm-news_rfi_1026000",
        with_link("javascript:/cn/中国/20240101-x"),
        False,
        1,
        "rfi_news/archive/invalid/not_http_scheme",
    ),
    (
        "link_ftp",
        "dm-news_rfi_1027500",
        with_link("ftp://www.rfi.fr/cn/中国/20240101-x"),
        False,
        1,
        "rfi_news/archive/invalid/not_http_scheme",
    ),
    (
        "link_bad_ipv6",
        "dm-news_rfi_1028000",
        with_link("http://[x/cn/中国/20240101-x"),
        False,
        1,
        "rfi_news/archive/invalid/bad_url",
    ),
    (
        "link_fullwidth_slash_host",
        "dm-news_rfi_1029000",
        with_link("//www.rfi.fr／/cn/中国/20240101-x"),
        False,
        1,
        "rfi_news/archive/invalid/bad_url",
    ),
    (
        "epoch_in_seconds",
        "dm-news_rfi_1031000",
        with_epoch("1612878897"),
        True,
        1,
        "rfi_news/archive/implausible_epoch",
    ),
    (
        "epoch_14_digits",
        "dm-news_rfi_1032000",
        with_epoch("99999999999999"),
        True,
        1,
        "rfi_news/archive/implausible_epoch",
    ),
    (
        "date_line_year_9999",
        "dm-news_rfi_1035000",
        with_date_line("31/12/9999 - 23:59"),
        True,
        1,
        "rfi_news/timestamps/unparseable/published",
    ),
    (
        "date_line_year_0001",
        "dm-news_rfi_1036000",
        with_date_line("01/01/0001 - 00:10"),
        True,
        1,
        "rfi_news/timestamps/unparseable/published",
    ),
    ("image_relative", "dm-news_rfi_1038000", with_image("/cn/media/x.jpg"), True, 0, "rfi_news/image/resolved"),
    ("image_javascript", "dm-news_rfi_1039000", with_image("javascript:alert(1)"), True, 0, "rfi_news/image/unusable"),
    ("image_unsplittable", "dm-news_rfi_1041000", with_image("h://["), True, 0, "rfi_news/image/unusable"),
    (
        "truncated_mid_tag",
        "dm-news_rfi_1041500",
        lambda text: text[: text.rindex("</p>") + 3],
        True,
        1,
        "rfi_news/archive/truncated",
    ),
]
IMAGE_EXPECTED = {
    "image_relative": "https://www.rfi.fr/cn/media/x.jpg",
    "image_javascript": None,
    "image_unsplittable": None,
}


def build_archive(folder: Path) -> tuple[set[str], list[Kind], dict[str, str]]:
    """The hostile archive folder; returns the URLs that must come out, the kinds, and kind → file name."""
    expected = {load_expected(EXPECTED_ARCHIVE_DIR / f"{name}.json")["url"] for name in ARCHIVE_GOOD}
    for name in ARCHIVE_GOOD:
        (folder / f"{name}.md").write_text(real(name), encoding="utf-8")
    kinds: list[Kind] = []
    files: dict[str, str] = {}
    for kind, source, transform, kept, warnings, counter in ARCHIVE_CASES:
        file_name = f"{kind}.md"
        transformed = transform(real(source))
        assert transformed != real(source), f"{kind}: the transform changed nothing"
        (folder / file_name).write_text(transformed, encoding="utf-8")
        kinds.append(Kind(kind, f"/{file_name}'", kept, warnings, counter))
        files[kind] = file_name
        if kept:
            expected.add(contract_url(archive_link(ARCHIVE_DIR / f"{source}.md")))
    # Names and kinds of files that are no archive item.
    forged = "forged\n2026-12-02 00:00:00 [archive] ERROR: planted line.md"
    (folder / forged).write_text(real("dm-news_rfi_999951"), encoding="utf-8")
    kinds.append(Kind("name_with_newline", "planted line.md'", True, 0, None))
    expected.add(contract_url(archive_link(ARCHIVE_DIR / "dm-news_rfi_999951.md")))
    os.close(os.open(os.fsencode(folder) + b"/not-utf8-\xff\xfe.md", os.O_WRONLY | os.O_CREAT))
    kinds.append(Kind("name_not_utf8_empty", "not-utf8-\\udcff\\udcfe.md'", False, 1, "rfi_news/archive/invalid/empty"))
    (folder / "UPPER.MD").write_text(real("dm-news_rfi_999970"), encoding="utf-8")
    kinds.append(Kind("suffix_upper_case", "UPPER.MD'", False, 1, "rfi_news/archive/skipped/suffix_case"))
    os.mkfifo(folder / "fifo.md")
    kinds.append(Kind("fifo", "fifo.md'", False, 1, "rfi_news/archive/skipped/not_a_regular_file"))
    (folder / "dangling.md").symlink_to(folder / "nowhere.md")
    kinds.append(Kind("dangling_link", "dangling.md'", False, 1, "rfi_news/archive/skipped/dangling_link"))
    (folder / "loop.md").symlink_to(folder / "loop.md")
    kinds.append(Kind("symlink_loop", "loop.md'", False, 1, "rfi_news/archive/skipped/symlink_loop"))
    (folder / "up").symlink_to(folder, target_is_directory=True)
    kinds.append(Kind("symlink_to_parent_folder", "/up'", False, 0, "rfi_news/archive/skipped/symlink_to_folder"))
    (folder / "empty.md").write_bytes(b"")
    kinds.append(Kind("empty_file", "empty.md'", False, 1, "rfi_news/archive/invalid/empty"))
    (folder / "nul-bytes.md").write_bytes(b"\x00" * 64)
    kinds.append(Kind("nul_bytes", "nul-bytes.md'", False, 1, "rfi_news/archive/invalid/no_header"))
    (folder / "notes.md").write_text("# Notes\n\nnot an item\n", encoding="utf-8")
    kinds.append(Kind("markdown_note", "notes.md'", False, 1, "rfi_news/archive/invalid/no_epoch_line"))
    (folder / "too-large.md").write_bytes(real("dm-news_rfi_999999").encode() + b"<p>" + b"x" * (17 * 1024 * 1024))
    kinds.append(Kind("file_too_large", "too-large.md'", False, 1, "rfi_news/archive/invalid/too_large"))
    return expected, kinds, files


@pytest.fixture(scope="module")
def archive_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, set[str], list[Kind], dict[str, str]]:
    folder = tmp_path_factory.mktemp("hostile-archive")
    expected, kinds, files = build_archive(folder)
    result = run_crawl(
        "archive",
        tmp_path_factory.mktemp("hostile-archive-run"),
        args={"path": str(folder)},
        # Small batches: a bad file must not cost the files after it in its batch; 16 MB lets the 10 MB text in.
        settings={"ARCHIVE_BATCH_FILES": "7", "ARCHIVE_MAX_FILE_BYTES": str(16 * 1024 * 1024)},
        timeout=300,
    )
    KINDS["archive"] = kinds
    return result, expected, kinds, files


def test_archive_every_good_record_comes_out(archive_run) -> None:
    result, expected, _, _ = archive_run
    assert result.returncode == 0, result.log[-3000:]
    assert result.urls == expected
    assert len(result.records) == len(expected)


def test_archive_each_bad_input_is_named_and_counted(archive_run) -> None:
    result, _, kinds, _ = archive_run
    check_kinds(result, kinds)
    check_clean_log(result)


def test_archive_kept_records_hold_what_their_bad_part_left(archive_run) -> None:
    result, _, _, _ = archive_run
    by_url = {record["url"]: record for record in result.records}

    def record_of(source: str) -> dict:
        return by_url[contract_url(archive_link(ARCHIVE_DIR / f"{source}.md"))]

    for kind, source, *_ in ARCHIVE_CASES:
        if kind in IMAGE_EXPECTED:
            assert record_of(source)["image"] == IMAGE_EXPECTED[kind], kind
    assert record_of("dm-news_rfi_1031000")["feed_published"] is None  # the epoch in seconds is not taken
    assert record_of("dm-news_rfi_1035000")["published"] is None
    assert record_of("dm-news_rfi_1035000")["feed_published"] == "2021-02-09T13:54:57Z"
    huge = record_of("dm-news_rfi_1016000")
    assert any(len(paragraph) >= 10_500_000 for paragraph in huge["paragraphs"])  # read whole, never cut
    surrogate = record_of("dm-news_fagu_1048000")
    assert any(text.startswith("\ufffd") for text in [surrogate["lead"] or "", *surrogate["paragraphs"]])
    assert record_of("seed_rfi_20231230")["published"] == "2023-12-30T09:05:00Z"


def test_archive_names_are_quoted_so_no_line_is_forged(archive_run) -> None:
    result, _, _, _ = archive_run
    assert not any(line.startswith("2026-12-02 00:00:00 [archive] ERROR: planted") for line in result.log.splitlines())
    assert "not-utf8-\\udcff\\udcfe.md'" in result.log  # invalid UTF-8 in a name is shown escaped


# --- feedx: mirrors that fail, items that are bad, article pages (-a follow=1) from a site that misbehaves ----

FEED_PATH = "/feeds/hostile.xml"
PAGE_TEXT_ITEMS = [  # items whose article page is on the reconstructed site: their text comes from the page
    "seed_rfi_20231230",
    "zll0257-news_rfi_999958",
    "zll0257-news_rfi_999988",
    "dm-news_rfi_999951",
    "dm-news_rfi_999970",
]


def site_path(name: str) -> str:
    """The decoded path of an archive item's article (as the fixture server records requests)."""
    return unquote(re.sub("/{2,}", "/", urlsplit(archive_link(ARCHIVE_DIR / f"{name}.md")).path))


def site_page(name: str) -> bytes:
    return (SITE / site_path(name).lstrip("/")).read_bytes()


def html(body: bytes) -> Answer:
    return Answer(body=body, headers={"Content-Type": "text/html; charset=utf-8"})


def then_the_page(first: Answer, name: str) -> Callable[[RecordedRequest], Answer]:
    """``first`` for the first request, the site's page afterwards (a server that asks to wait, then answers)."""
    seen: list[RecordedRequest] = []

    def route(request: RecordedRequest) -> Answer:
        seen.append(request)
        return first if len(seen) == 1 else Answer(file=site_path(name))

    return route


def retry_after_date(name: str) -> Callable[[RecordedRequest], Answer]:
    seen: list[RecordedRequest] = []

    def route(request: RecordedRequest) -> Answer:
        seen.append(request)
        if len(seen) > 1:
            return Answer(file=site_path(name))
        when = email.utils.formatdate(time.time() + 1, usegmt=True)
        return Answer(status=429, headers={"Retry-After": when}, body=b"slow down")

    return route


def item(name: str, *, link: str | None = None, pub_date: str | None = None, extra: str = "") -> str:
    xml = item_xml(f"{name}.md")
    if link is not None:
        xml = re.sub(r"<link>.*?</link>", f"<link>{link}</link>", xml, count=1)
    if pub_date is not None:
        xml = re.sub(r"<pubDate>.*?</pubDate>", f"<pubDate>{pub_date}</pubDate>", xml, count=1)
    return xml.replace("</description>", f"</description>{extra}", 1)


@pytest.fixture(scope="module")
def feedx_run(
    site_server: FixtureServer, recorder: FixtureServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[CrawlResult, set[str], list[Kind]]:
    site_server.reset()
    routes = site_server.routes
    elsewhere = recorder.url("/cn/%E4%B8%AD%E5%9B%BD/20240101-elsewhere")
    kinds: list[Kind] = []
    expected: set[str] = set()
    items: list[str] = []

    def add(name: str, kind: Kind | None = None, **overrides: str) -> None:
        items.append(item(name, **overrides))
        if kind is not None:
            kinds.append(kind)
        if kind is None or kind.kept:
            expected.add(contract_url(archive_link(ARCHIVE_DIR / f"{name}.md")))

    for name in PAGE_TEXT_ITEMS:
        add(name)
    # Article pages that fail in every way a server can; a record with the feed's text comes out for each.
    page_faults: list[tuple[str, str, object, int, str | None]] = [
        (
            "page_503_retry_after_seconds",
            "zll0257-news_rfi_999982",
            then_the_page(Answer(status=503, headers={"Retry-After": "1"}, body=b"busy"), "zll0257-news_rfi_999982"),
            0,
            "rfi_news/retry_after/waited",
        ),
        (
            "page_429_retry_after_date",
            "dm-news_rfi_1000000",
            retry_after_date("dm-news_rfi_1000000"),
            0,
            "rfi_news/retry_after/waited",
        ),
        (
            "page_slow_drip",
            "dutymachine-news_rfi_1000008",
            SlowDrip(site_page("dutymachine-news_rfi_1000008")),
            0,
            None,
        ),
        ("page_403", "dm-news_rfi_999999", Answer(status=403, body=b"forbidden"), 1, "rfi_news/page/failed/http_403"),
        ("page_500", "dm-news_rfi_1001000", Answer(status=500, body=b"oops"), 2, "rfi_news/page/failed/http_500"),
        ("page_hang", "dm-news_rfi_1004000", Hang(5), 2, "rfi_news/page/failed/DownloadTimeoutError"),
        (
            "page_reset_mid_body",
            "dm-news_rfi_1013000",
            ResetMidBody(site_page("seed_rfi_20231230")),
            2,
            "rfi_news/page/failed/ResponseDataLossError",
        ),
        (
            "page_wrong_content_length",
            "dm-news_rfi_1015000",
            ShortBody(site_page("seed_rfi_20231230")),
            2,
            "rfi_news/page/failed/ResponseDataLossError",
        ),
        (
            "page_redirect_off_host",
            "dm-news_rfi_1021000",
            Answer(status=302, headers={"Location": elsewhere}),
            1,
            "rfi_news/page/failed/offsite_redirect",
        ),
        (
            "page_meta_refresh_off_host",
            "dm-news_rfi_1034000",
            html(
                f'<html><head><meta http-equiv="refresh" content="0; url={elsewhere}"></head><body><p>moved</p></body></html>'.encode()
            ),
            1,
            "rfi_news/page/failed/offsite_redirect",
        ),
    ]
    for kind_name, name, route, warnings, counter in page_faults:
        routes[site_path(name)] = route  # type: ignore[assignment]
        # A page fetched after a wait is named in no WARNING; a retried failure in two (Scrapy's "Gave up
        # retrying" and the spider's "keeping the feed's text"), the others in one.
        add(name, Kind(kind_name, site_path(name), True, warnings, counter))
    # Feed items that are no RFI article: dropped, named by their item number.
    first_bad = len(items) + 1
    bad_links = [
        ("item_link_bad_ipv6", "dm-news_rfi_1023000", "http://[x/cn/中国/20240101-x", "rfi_news/item/invalid/bad_url"),
        (
            "item_link_other_host",
            "dm-news_rfi_1025000",
            "https://evil.example/cn/中国/20240101-x",
            "rfi_news/item/invalid/not_rfi_host",
        ),
        (
            "item_link_javascript",
            "dm-news_rfi_1026000",
            "javascript:/cn/中国/20240101-x",
            "rfi_news/item/invalid/not_http_scheme",
        ),
        (
            "item_link_ftp",
            "dm-news_rfi_1027500",
            "ftp://www.rfi.fr/cn/中国/20240101-x",
            "rfi_news/item/invalid/not_http_scheme",
        ),
    ]
    for number, (kind_name, name, link, counter) in enumerate(bad_links, start=first_bad):
        add(name, Kind(kind_name, f"{FEED_PATH} item {number}'", False, 1, counter), link=link)
    # Items kept with what was readable (their pages are not on the site: 404, the feed's text is kept).
    number = len(items) + 1
    add(
        "dm-news_rfi_1028000",
        Kind(
            "pubdate_year_9999",
            f"{FEED_PATH} item {number}'",
            True,
            1,
            "rfi_news/timestamps/unparseable/feed_published",
        ),
        pub_date="Fri, 31 Dec 9999 23:59:59 +0000",
    )
    add(
        "dm-news_rfi_1029000",
        Kind(
            "pubdate_superscript_digits",
            f"{FEED_PATH} item {number + 1}'",
            True,
            1,
            "rfi_news/timestamps/unparseable/feed_published",
        ),
        pub_date="²",
    )
    add(
        "dm-news_rfi_1031000",
        Kind("odd_element_in_item", f"{FEED_PATH} item {number + 2}'", True, 0, None),
        extra="<a:b:c>x</a:b:c>",
    )
    feed = channel(items).encode()
    routes[FEED_PATH] = Answer(body=feed, headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    # Mirrors tried first, each failing differently; the last one is the feed above.
    routes["/mirror/500.xml"] = Answer(status=500, body=b"oops")
    routes["/mirror/reset.xml"] = ResetMidBody(feed)  # type: ignore[assignment]
    routes["/mirror/html.xml"] = html(b"<!DOCTYPE html><html><head></head></html>")
    kinds += [
        Kind("mirror_500", "/mirror/500.xml'", False, 1, None),
        # The mirrors after the first are named twice: "Trying the next feed URL" and why it failed.
        Kind("mirror_reset_mid_body", "/mirror/reset.xml'", False, 2, None),
        Kind("mirror_not_rss", "/mirror/html.xml'", False, 2, "rfi_news/feed/unreadable"),
    ]
    mirrors = ",".join(
        site_server.url(path) for path in ("/mirror/500.xml", "/mirror/reset.xml", "/mirror/html.xml", FEED_PATH)
    )
    result = run_crawl(
        "feedx",
        tmp_path_factory.mktemp("hostile-feedx-run"),
        args={"feed_url": mirrors, "follow": "1"},
        # Ten of the pages fail on purpose: the run's "Lost pages" verdict (tested in test_monitors) is not the
        # point here, the records are.
        settings={
            "RFI_ORIGIN": site_server.origin,
            "DOWNLOAD_TIMEOUT": "2",
            "ROBOTSTXT_OBEY": "False",
            "RFI_MONITOR_MAX_LOST_PAGE_SHARE": "1",
        },
        timeout=300,
    )
    KINDS["feedx"] = kinds
    return result, expected, kinds


def test_feedx_every_good_record_comes_out(feedx_run, recorder: FixtureServer) -> None:
    result, expected, _ = feedx_run
    assert result.returncode == 0, result.log[-3000:]
    assert result.urls == expected
    assert recorder.requests == []  # no request left the allowed hosts


def test_feedx_each_bad_input_is_named_and_counted(feedx_run) -> None:
    result, _, kinds = feedx_run
    check_kinds(result, kinds)
    check_clean_log(result)
    assert result.stat("rfi_news/offsite/redirect_refused") == 2


def test_feedx_no_record_carries_another_hosts_text(feedx_run) -> None:
    result, _, _ = feedx_run
    by_url = {record["url"]: record for record in result.records}
    assert not any("ELSEWHERE" in " ".join(record["paragraphs"]) for record in result.records)
    for name in ("dm-news_rfi_1021000", "dm-news_rfi_1034000", "dm-news_rfi_999999", "dm-news_rfi_1013000"):
        assert by_url[contract_url(archive_link(ARCHIVE_DIR / f"{name}.md"))]["source"] == "feedx", name
    for name in [*PAGE_TEXT_ITEMS, "zll0257-news_rfi_999982", "dm-news_rfi_1000000", "dutymachine-news_rfi_1000008"]:
        assert by_url[contract_url(archive_link(ARCHIVE_DIR / f"{name}.md"))]["source"] == "rfi", name


# --- rfi: a news sitemap with bad <loc>s, article pages that crash readers, a server that misbehaves -------

SITE_ARTICLES = [  # the reconstructed site's /cn/ articles, but the one robots.txt disallows (中东)
    "/cn/中国/20231230-日本加强与中俄博弈-推进明年举行日本与中亚五国首脑峰会",
    "/cn/中国/20240226-中国今称不同意美国因中国援俄制裁中国",
    "/cn/中国/20240415-中国称因间谍罪被处决的男子曾向美国出售机密",
    "/cn/专栏检索/法国报纸摘要/20240407-巴基斯坦极端分子为何将袭击目标锁定中国利益",
    "/cn/专栏检索/法国风光/20240201-法国地中海俱乐部新东家走高档菁英顾客群奢华雪山路线",
    "/cn/亚洲/20230925-华盛顿批俄不是纳卡地区的-可靠的伙伴",
    "/cn/亚洲/20231028-韩国外长-已向王毅传达反对遣返在华脱北者立场",
    "/cn/台湾/20240111-在台湾，-白色恐怖-继续分裂着社会",
    "/cn/国际/20230926-反击全球通缉普京-俄罗斯对国际刑事法院正副院长及德国大法官下达逮捕令",
    "/cn/国际/20240204-菲律宾外长-不应将印太地区发展过度定性为美中竞争的结果",
    "/cn/欧洲/20240219-纳瓦尔尼-母亲和律师均仍被禁止见尸体",
    "/cn/法国/20240131-农民抗议不减-法国与欧盟因南方共同市场协议关系紧张",
]
SEED_PAGE = (SITE / SITE_ARTICLES[0].lstrip("/")).read_text(encoding="utf-8")
JSONLD_TYPE = '"@type": "NewsArticle",'


def hostile_path(kind: str) -> str:
    return f"/cn/中国/20240301-hostile-{kind.replace('_', '-')}"


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzipped (about a thousandth of that), written in pieces."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    chunk = b"\0" * (1 << 20)
    parts = [compressor.compress(chunk) for _ in range(size >> 20)]
    return b"".join([*parts, compressor.flush()])


def body_wrapped(levels: int) -> str:
    return SEED_PAGE.replace(
        '<div class="t-content__body u-clearfix">', '<div class="t-content__body u-clearfix">' + "<div>" * levels, 1
    )


# (kind, page HTML or Answer, kept, warnings, counter)
PageCase = tuple[str, "str | Answer | object", bool, int, str | None]


def page_cases(elsewhere: str) -> list[PageCase]:
    return [
        (
            "time_pubdate_without_datetime",
            SEED_PAGE.replace(
                '<time datetime="2023-12-30T09:05:00+00:00" pubdate="pubdate">', '<time pubdate="pubdate">'
            ),
            True,
            0,
            None,
        ),
        ("jsonld_type_number", SEED_PAGE.replace(JSONLD_TYPE, '"@type": 1,'), True, 0, None),
        (
            "jsonld_arrays_100000_deep",
            SEED_PAGE.replace(
                "</head>", '<script type="application/ld+json">' + "[" * 100_000 + "]" * 100_000 + "</script></head>"
            ),
            True,
            1,
            "rfi_news/page/jsonld_unparseable",
        ),
        (
            "jsonld_lone_surrogate",
            SEED_PAGE.replace('"author": []', '"author": [{"@type": "Person", "name": "\\ud800x"}]'),
            True,
            0,
            None,
        ),
        (
            "date_modified_year_9999",
            SEED_PAGE.replace(JSONLD_TYPE, JSONLD_TYPE + ' "dateModified": "9999-12-31T23:59:59+00:00",'),
            True,
            1,
            "rfi_news/timestamps/unparseable/updated",
        ),
        (
            "date_modified_year_0001",
            SEED_PAGE.replace(JSONLD_TYPE, JSONLD_TYPE + ' "dateModified": "0001-01-01T00:00:00+01:00",'),
            True,
            1,
            "rfi_news/timestamps/unparseable/updated",
        ),
        (
            "image_unsplittable",
            re.sub(
                r'<img fetchpriority="high" src="[^"]*"', '<img fetchpriority="high" src="h://["', SEED_PAGE, count=1
            ),
            True,
            0,
            None,
        ),
        (
            "image_relative",
            re.sub(
                r'<img fetchpriority="high" src="[^"]*"',
                '<img fetchpriority="high" src="../media/x.jpg"',
                SEED_PAGE,
                count=1,
            ),
            True,
            0,
            None,
        ),
        ("body_nesting_1000_deep", body_wrapped(1_000), False, 1, "rfi_news/page/invalid/too_deep"),
        (
            "text_node_10_mb",
            SEED_PAGE.replace(
                '<div class="t-content__body u-clearfix">',
                '<div class="t-content__body u-clearfix"><p>' + "b" * 10_500_000 + "</p>",
                1,
            ),
            True,
            1,  # Scrapy's DOWNLOAD_WARNSIZE line: a 10 MB page is no real page
            None,
        ),
        ("control_characters", SEED_PAGE.replace("<p>", "<p>\x01\x02", 3), True, 0, None),
        (
            "not_html",
            Answer(body=b"\x89PNG\r\n\x1a\n", headers={"Content-Type": "image/png"}),
            False,
            1,
            "rfi_news/page/not_html",
        ),
        (
            "redirect_off_host",
            Answer(status=301, headers={"Location": elsewhere}),
            False,
            1,
            "rfi_news/page/failed/offsite_redirect",
        ),
        (
            "meta_refresh_off_host",
            SEED_PAGE.replace("<head>", f'<head><meta http-equiv="refresh" content="5;URL=\'{elsewhere}\'">', 1),
            False,
            1,
            "rfi_news/page/failed/offsite_redirect",
        ),
        (
            "gzip_bomb_512_mb",
            Answer(
                body=gzip_bomb(512 << 20),
                headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
            ),
            False,
            1,
            "rfi_news/page/failed/ignored",
        ),
    ]


@pytest.fixture(scope="module")
def rfi_run(
    site_server: FixtureServer, recorder: FixtureServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[CrawlResult, set[str], list[Kind], dict[str, str]]:
    site_server.reset()
    routes = site_server.routes
    elsewhere = recorder.url("/cn/%E4%B8%AD%E5%9B%BD/20240101-elsewhere")
    expected = {contract_url(path) for path in SITE_ARTICLES}
    kinds: list[Kind] = []
    locs = [contract_url(path) for path in SITE_ARTICLES]
    paths: dict[str, str] = {}
    for kind, page, kept, warnings, counter in page_cases(elsewhere):
        assert page != SEED_PAGE, f"{kind}: the variant changed nothing"
        path = hostile_path(kind)
        paths[kind] = path
        routes[path] = html(page.encode("utf-8", "surrogatepass")) if isinstance(page, str) else page  # type: ignore[assignment]
        locs.append(contract_url(path))
        kinds.append(Kind(kind, path, kept, warnings, counter))
        if kept:
            expected.add(contract_url(path))
    bad_locs = [
        ("loc_bad_ipv6", "http://[x/cn/中国/20240101-x", "rfi_news/sitemap/invalid/bad_url"),
        ("loc_other_host", "https://evil.example/cn/中国/20240101-x", "rfi_news/sitemap/invalid/not_rfi_host"),
        ("loc_javascript", "javascript:/cn/中国/20240101-x", "rfi_news/sitemap/invalid/not_http_scheme"),
        ("loc_fullwidth_slash_host", "//www.rfi.fr／/cn/中国/20240101-x", "rfi_news/sitemap/invalid/bad_url"),
    ]
    entries = [f"<url><loc>{loc}</loc></url>" for loc in locs[:6]]
    for kind, loc, counter in bad_locs:
        entries.append(f"<url><loc>{loc}</loc></url>")
        kinds.append(Kind(kind, f"{loc}'", False, 1, counter))
    entries += ["<url><lastmod>2024-01-01</lastmod></url>", "<?odd pi?>", "<a:b:c/>"]
    kinds.append(Kind("entry_without_loc", "news.xml': 1 entries without", False, 1, "rfi_news/sitemap/invalid/no_loc"))
    entries += [f"<url><loc>{loc}</loc></url>" for loc in locs[6:]]
    sitemap = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "\n".join(entries)
        + "</urlset>"
    )
    routes["/sitemaps/cn/news.xml"] = Answer(body=sitemap.encode(), headers={"Content-Type": "text/xml"})
    result = run_crawl(
        "rfi",
        tmp_path_factory.mktemp("hostile-rfi-run"),
        args={"sitemap": "news"},
        settings={"RFI_ORIGIN": site_server.origin, "DOWNLOAD_TIMEOUT": "5"},
        timeout=300,
    )
    KINDS["rfi"] = kinds
    return result, expected, kinds, paths


def test_rfi_every_good_record_comes_out(rfi_run, recorder: FixtureServer) -> None:
    result, expected, _, _ = rfi_run
    assert result.returncode == 0, result.log[-3000:]
    assert result.urls == expected
    assert recorder.requests == []


def test_rfi_each_bad_input_is_named_and_counted(rfi_run) -> None:
    result, _, kinds, _ = rfi_run
    check_kinds(result, kinds)
    check_clean_log(result)
    assert result.stat("rfi_news/offsite/redirect_refused") == 2


def test_rfi_kept_records_hold_what_their_bad_part_left(rfi_run) -> None:
    result, _, _, paths = rfi_run
    by_url = {record["url"]: record for record in result.records}

    def record_of(kind: str) -> dict:
        return by_url[contract_url(paths[kind])]

    assert record_of("jsonld_lone_surrogate")["authors"] == ["\ufffdx"]
    assert record_of("date_modified_year_9999")["updated"] is None
    assert record_of("date_modified_year_9999")["published"] == "2023-12-30T09:05:00Z"
    assert record_of("time_pubdate_without_datetime")["published"] == "2023-12-30T09:05:00Z"
    assert record_of("image_unsplittable")["image"] is None
    # ../ from /cn/中国/20240301-…: the page sits in /cn/中国/, so the image is in /cn/media/.
    assert record_of("image_relative")["image"] == "https://www.rfi.fr/cn/media/x.jpg"
    assert any(len(paragraph) >= 10_500_000 for paragraph in record_of("text_node_10_mb")["paragraphs"])
    assert not any("\x01" in paragraph for paragraph in record_of("control_characters")["paragraphs"])
    assert not any("ELSEWHERE" in " ".join(record["paragraphs"]) for record in result.records)


def test_rfi_a_gzip_bomb_stops_at_the_download_limit(rfi_run) -> None:
    result, _, _, _ = rfi_run
    bomb = [line for line in warning_lines(result.log) if "hostile-gzip-bomb" in line]
    assert len(bomb) == 1
    assert "exceeded DOWNLOAD_MAXSIZE (16777216 B) during decompression" in bomb[0]
    # The 512 MB of zeros were never held: the whole crawl stayed far below them.
    assert 0 < result.stat("memusage/max") < 400 * 1024 * 1024


def test_the_suite_tries_at_least_forty_kinds_across_the_three_spiders(archive_run, feedx_run, rfi_run) -> None:
    assert sorted(KINDS) == ["archive", "feedx", "rfi"]
    for spider, kinds in KINDS.items():
        names = [kind.name for kind in kinds]
        assert len(names) == len(set(names)), spider  # each kind once per crawl
        assert len(names) >= 10, spider
    assert sum(len(kinds) for kinds in KINDS.values()) >= 40
