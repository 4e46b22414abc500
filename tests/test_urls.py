from __future__ import annotations

import pytest

from rfi_news.errors import InvalidInput
from rfi_news.normalize.urls import (
    canonical_url,
    column_of,
    image_url,
    is_rfi_url,
    language_of,
    on_origin,
    section_of,
    split_url,
)

ZHONGGUO = "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/x"


@pytest.mark.parametrize(
    "raw",
    [
        "http://www.rfi.fr//cn/%E4%B8%AD%E5%9B%BD/x",
        "https://www.rfi.fr/cn/中国/x",
        "https://www.rfi.fr/cn/%e4%b8%ad%e5%9b%bd/x",
        "https://www.rfi.fr/cn/中国/x?utm_source=rss#top",
        "/cn/中国/x",
    ],
)
def test_one_article_one_url(raw: str) -> None:
    assert canonical_url(raw) == ZHONGGUO


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("http://127.0.0.1:8123/cn/中国/x", "not_rfi_host"),
        ("https://evil.example/cn/中国/20240101-x", "not_rfi_host"),
        ("https://www.rfi.fr.evil.example/cn/中国/20240101-x", "not_rfi_host"),
        ("https://rfi.fr/cn/中国/20240101-x", "not_rfi_host"),
        ("javascript:/cn/中国/20240101-x", "not_http_scheme"),
        ("ftp://www.rfi.fr/cn/中国/20240101-x", "not_http_scheme"),
        ("cn/中国/20240101-x", "not_rfi_host"),
        ("http://[x/cn/中国/20240101-x", "bad_url"),
        ("//www.rfi.fr／/cn/中国/20240101-x", "bad_url"),
        ("https://www.rfi.fr:99999/cn/中国/20240101-x", "bad_url"),
        ("https://www.rfi.fr/cn/\ud800/20240101-x", "bad_url"),
    ],
)
def test_other_hosts_and_schemes_are_never_rewritten(raw: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        canonical_url(raw)
    assert caught.value.reason == reason
    assert not is_rfi_url(raw)


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("/cn/img/a.jpg", "https://www.rfi.fr/cn/img/a.jpg"),
        ("img/a.jpg", "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/img/a.jpg"),
        ("//s.rfi.fr/a.jpg", "https://s.rfi.fr/a.jpg"),
        ("HTTPS://s.rfi.fr/a.jpg", "https://s.rfi.fr/a.jpg"),
        ("javascript:alert(1)", None),
        ("data:image/png;base64,AAAA", None),
        ("h://[", None),
        ("http://[x/a.jpg", None),
        ("", None),
        (None, None),
    ],
)
def test_image_urls_are_resolved_against_the_article(src: str | None, expected: str | None) -> None:
    assert image_url(src, "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/20240101-x") == expected


def test_unreserved_characters_stay_and_others_are_encoded() -> None:
    assert canonical_url("https://www.rfi.fr/cn/中国/2023-a_b.c~d") == (
        "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/2023-a_b.c~d"
    )
    # A full-width comma (from zll0257-news_rfi_999951.md's slug) and an ASCII space are encoded.
    assert canonical_url("https://www.rfi.fr/cn/台湾/x，y z") == (
        "https://www.rfi.fr/cn/%E5%8F%B0%E6%B9%BE/x%EF%BC%8Cy%20z"
    )


@pytest.mark.parametrize(
    ("url", "section", "column", "language"),
    [
        ("https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/20231230-x", "中国", None, "zh-Hans"),
        ("https://www.rfi.fr/cn/%E6%AC%A7%E8%82%A1%E6%94%B6%E9%AB%98", None, None, "zh-Hans"),
        ("https://www.rfi.fr/cn/contenu/20200825-x", "contenu", None, "zh-Hans"),
        (
            "https://www.rfi.fr/cn/%E4%B8%93%E6%A0%8F%E6%A3%80%E7%B4%A2/%E6%B3%95%E5%9B%BD%E6%8A%A5%E7%BA%B8%E6%91%98%E8%A6%81/20230528-x",
            "专栏检索",
            "法国报纸摘要",
            "zh-Hans",
        ),
        ("https://www.rfi.fr/tw/%E4%B8%AD%E5%9C%8B/20231230-x", "中國", None, "zh-Hant"),
        ("https://www.rfi.fr/fr/france/20231230-x", None, None, None),
    ],
)
def test_section_column_language(url: str, section: str | None, column: str | None, language: str | None) -> None:
    assert (section_of(url), column_of(url), language_of(url)) == (section, column, language)


@pytest.mark.parametrize(
    ("url", "rfi"),
    [
        ("/cn/中国/20240415-x", True),
        ("  /cn/x ", True),
        ("https://www.rfi.fr/cn/x", True),
        ("http://www.rfi.fr//cn/x", True),
        ("cn/x", False),  # relative, not root-relative
        ("//www.rfi.fr/cn/x", False),  # no scheme
        ("ftp://www.rfi.fr/cn/x", False),
        ("https://savoirs.rfi.fr/cn/x", False),
        ("https://www.rfi.fr.example.org/cn/x", False),
        ("https:/cn/x", False),  # a scheme and no host
        ("mailto:rfi@rfi.fr", False),
        ("javascript:alert(1)", False),
    ],
)
def test_is_rfi_url(url: str, rfi: bool) -> None:
    assert is_rfi_url(url) is rfi


def test_section_column_language_need_their_segments() -> None:
    assert column_of("https://www.rfi.fr/cn/中国/a/20240101-b") is None  # four segments, not a column path
    assert column_of("https://www.rfi.fr/fr/专栏检索/x/20240101-y") is None  # not a Chinese edition
    assert column_of("https://www.rfi.fr/cn/专栏检索/法国报纸摘要/20240101-y") == "法国报纸摘要"
    assert language_of("https://www.rfi.fr/") is None
    assert language_of("https://www.rfi.fr/tw/x") == "zh-Hant"


def test_canonical_path_edge_cases() -> None:
    assert canonical_url("https://www.rfi.fr") == "https://www.rfi.fr/"
    # The slow path (raw CJK): "/" stays a separator, never %2F.
    assert canonical_url("https://www.rfi.fr/cn/中国/x y") == "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/x%20y"
    assert on_origin("/cn/a", "http://127.0.0.1:1/X/") == "http://127.0.0.1:1/X/cn/a"


def test_what_is_not_a_string_is_a_bad_url() -> None:
    with pytest.raises(InvalidInput) as caught:
        split_url(5)  # type: ignore[arg-type]
    assert (caught.value.reason, caught.value.detail) == ("bad_url", "not a string: int")
    with pytest.raises(InvalidInput) as caught:
        canonical_url(None)  # type: ignore[arg-type]
    assert (caught.value.reason, caught.value.detail) == ("bad_url", "")


def test_a_refused_url_is_quoted_in_the_detail_up_to_200_characters() -> None:
    url = "https://evil.example/" + "a" * 300
    with pytest.raises(InvalidInput) as caught:
        canonical_url(url)
    assert (caught.value.reason, caught.value.detail) == ("not_rfi_host", "'https://evil.example/" + "a" * 179 + "'")


@pytest.mark.parametrize("src", ["ftp://s.rfi.fr/a.jpg", "http:///a.jpg"])
def test_an_image_needs_a_web_scheme_and_a_host(src: str) -> None:
    assert image_url(src, "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/x") is None
