from __future__ import annotations

import pytest

from rfi_news.normalize.text import (
    _MOJIBAKE_RUN_RE,
    _is_cjk_or_cjk_punctuation,
    is_punctuation_only,
    normalize_text,
    repair_mojibake,
    strip_title_affixes,
)


def test_entities_are_decoded() -> None:
    # The title line of dm-news_rfi_1013000.md, as the archive saved it.
    assert normalize_text("联合国专家报告指新疆有 &quot;强迫劳动&quot;") == '联合国专家报告指新疆有 "强迫劳动"'


def test_nfc() -> None:
    assert normalize_text("De\u0301ja\u0300") == "Déjà"


def test_zero_width_and_control_characters_are_removed() -> None:
    assert normalize_text("\ufeff中\u200b国\u200c人\u200d民\u2060\x07") == "中国人民"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("（法新社首尔25日电）    南韩今天宣布", "（法新社首尔25日电） 南韩今天宣布"),
        ("\u00a0 法国\u3000总统\n\t马克龙 ", "法国 总统 马克龙"),
        ("   ", ""),
    ],
)
def test_white_space_runs_become_one_space(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("code", "cjk"),
    [
        # Each range of _is_cjk_or_cjk_punctuation at both ends, and the code points just outside it.
        (0x4DFF, False),  # Yijing hexagram: between Extension A and the Unified Ideographs
        (0x4E00, True),
        (0x9FFF, True),
        (0xA000, False),  # Yi syllable
        (0x33FF, False),
        (0x3400, True),
        (0x4DBF, True),
        (0x4DC0, False),
        (0xF8FF, False),  # private use
        (0xF900, True),
        (0xFAFF, True),
        (0xFB00, False),  # Latin ligature ﬀ
        (0x2FFF, False),
        (0x3000, True),  # ideographic space
        (0x303F, True),
        (0x3040, False),  # Hiragana
        (0xFEFF, False),
        (0xFF00, True),
        (0xFFEF, True),
        (0xFFF0, False),
        (0x2013, False),  # en dash: not GB2312 punctuation
        (0x2014, True),  # em dash
        (0x203B, True),  # reference mark ※
        (0x203C, False),
        (0x00B6, False),
        (0x00B7, True),  # middle dot
        (0x00B8, False),
    ],
)
def test_cjk_ranges_of_the_mojibake_check(code: int, cjk: bool) -> None:
    assert _is_cjk_or_cjk_punctuation(chr(code)) is cjk


def test_gbk_mojibake_is_repaired() -> None:
    # From dm-news_rfi_1001000.md: GBK bytes read as Latin-1 inside otherwise correct text.
    raw = "他对法驻尼亚美大使伊特的工作表示赞赏¡£Ëû±íÊ¾£¬“近几个月来"
    assert repair_mojibake(raw) == "他对法驻尼亚美大使伊特的工作表示赞赏。他表示，“近几个月来"


@pytest.mark.parametrize(
    "french",
    [
        "Au Soudan du Sud, la déception après le report de la visite du pape François",
        "Etat de Jonglei, Côte d'Ivoire, Besançon, Noël, œuvre",
        "Les élèves à Noël: déjà réglé",
    ],
)
def test_french_accents_are_not_mojibake(french: str) -> None:
    assert repair_mojibake(french) == french


@pytest.mark.parametrize(
    ("french", "run"),
    [
        # Guillemets around accented capitals: a run of four U+00A1-U+00FF characters that GB18030 decodes, but to a
        # private-use character and a CJK one, not to CJK text: the all-CJK check keeps the French.
        ("Il a dit «Çà» et s'en alla", "«Çà»"),
        ("L'ÉTÉ «ÀÔ» arrive", "«ÀÔ»"),
        # A run that GB18030 cannot decode at all (an odd byte left over).
        ("Les supporters criaient «Àéè» à la fin", "«Àéè»"),
    ],
)
def test_french_runs_reach_the_mojibake_guard_and_stay(french: str, run: str) -> None:
    assert _MOJIBAKE_RUN_RE.findall(french) == [run]  # the guard is reached, not skipped
    assert repair_mojibake(french) == french
    assert normalize_text(french) == french


def test_nfkc_is_not_applied() -> None:
    # Full-width punctuation is the text, not a variant of it.
    assert normalize_text("表示：“好”，（完）") == "表示：“好”，（完）"


def test_no_simplified_traditional_conversion() -> None:
    assert normalize_text("臺灣與台湾") == "臺灣與台湾"


@pytest.mark.parametrize("text", ["", ".", "。", " . ", "…", "-"])
def test_punctuation_only(text: str) -> None:
    assert is_punctuation_only(text)


@pytest.mark.parametrize("text", ["2024", "a", "中", ".（翻译编辑：RFI法广电台 尼古拉）."])
def test_not_punctuation_only(text: str) -> None:
    assert not is_punctuation_only(text)


@pytest.mark.parametrize(
    ("title", "column", "expected"),
    [
        (
            "南韩防疫情复燃 首都圈中小学全改远距授课 – 法国国际广播电台 - RFI",
            None,
            "南韩防疫情复燃 首都圈中小学全改远距授课",
        ),
        ("x - 法国国际广播电台 - RFI", None, "x"),
        ("x – RFI", None, "x"),
        ("x - RFI", None, "x"),
        ("塑料污染：峰会上的关键问题 - 法国报纸摘要", "法国报纸摘要", "塑料污染：峰会上的关键问题"),
        # Without a column in the URL, a column-like suffix is text: OUTPUT.md removes it only for columns.
        ("民主党能否阻止特朗普提名大法官确认 - 要闻分析", None, "民主党能否阻止特朗普提名大法官确认 - 要闻分析"),
        ("RFI", None, "RFI"),
        # The column prefix of a 2022 column page's JSON-LD headline (rfi/cn_article_2022-02-06_press-review.html).
        ("法国报纸摘要 - 马克龙星期一在莫斯科与普京会面", "法国报纸摘要", "马克龙星期一在莫斯科与普京会面"),
        # Both column affixes, and the site suffix after the column's.
        ("法国报纸摘要 - 标题 - 法国报纸摘要 - RFI", "法国报纸摘要", "标题"),
        # Only the first site suffix that matches is removed.
        ("标题 - RFI - RFI", None, "标题 - RFI"),
        # Another column's name is not this page's prefix.
        ("要闻分析 - 马克龙星期一在莫斯科与普京会面", "法国报纸摘要", "要闻分析 - 马克龙星期一在莫斯科与普京会面"),
    ],
)
def test_title_affixes(title: str, column: str | None, expected: str) -> None:
    assert strip_title_affixes(title, column) == expected


@pytest.mark.parametrize("value", [None, "", 5, ["文"]])
def test_what_is_no_text_normalises_to_empty(value: object) -> None:
    assert normalize_text(value) == ""  # type: ignore[arg-type]
