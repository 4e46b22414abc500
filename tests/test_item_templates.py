"""The feed-item templates (``rfi_news.parsers.item``): which unit reads which real item, and what each unit's own
rules do, on real items of its period.

The expected templates below were written by hand from each item's source: its date line and whether it ends with
RFI's share block (``span[data-root-share]``, see ``fixtures/archive/INDEX.tsv`` and ``fixtures/items/README.md``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rfi_news.parsers.archive import parse_archive_entry
from rfi_news.parsers.body import parse_fragment
from rfi_news.parsers.item import (
    TEMPLATES,
    FeedItemTemplate,
    Item2020,
    Item2023,
    read_item_html,
    template_for,
)
from tests.conftest import ARCHIVE_DIR, EXPECTED_ARCHIVE_DIR, FIXTURES, load_expected

ITEMS_DIR = FIXTURES / "items"

# Items that end with the share block: chosen by that marker.
MARKED_2023 = {
    "dm-news_rfi_1003850",  # 02/06/2023, the first seen: no label, svg icons
    "dm-news_rfi_1002500",  # 12/07/2023, the first seen with the 分享 : label
    "dm-news_rfi_1001000",
    "dm-news_rfi_1000050",
    "dutymachine-news_rfi_1000008",
    "dm-news_rfi_1000000",
    "dm-news_rfi_999999",
    "seed_rfi_20231230",
    "zll0257-news_rfi_999951",
    "dm-news_rfi_999970",
    "dm-news_rfi_999951",
    "zll0257-news_rfi_999982",
    "zll0257-news_rfi_999988",
    "zll0257-news_rfi_999958",
}
# Column items after the change: an author block, no share block; their date line (02/02/2024, 07/04/2024) chooses.
DATED_2023 = {"zll0257-news_rfi_999999", "zll0257-news_rfi_999973"}
# Everything else is 2020-07 to 2023-05: no share block, dated before 2023-06-02 (the last, 1004400, 17/05/2023;
# the column item 1004000, 28/05/2023).
ALL_ITEMS = sorted([*ARCHIVE_DIR.glob("*.md"), *(path for path in ITEMS_DIR.glob("*.md") if path.name != "README.md")])


def description(path: Path) -> str:
    return parse_archive_entry(path.read_text(encoding="utf-8")).description


def real(name: str) -> str:
    path = ITEMS_DIR / f"{name}.md"
    return description(path if path.exists() else ARCHIVE_DIR / f"{name}.md")


def read_with(template: type[FeedItemTemplate], markup: str) -> list[str]:
    return template(parse_fragment(markup), markup).read().paragraphs


def test_every_real_item_is_covered() -> None:
    assert len(ALL_ITEMS) == 51
    assert {path.stem for path in ALL_ITEMS} >= MARKED_2023 | DATED_2023


@pytest.mark.parametrize("path", ALL_ITEMS, ids=lambda path: path.stem)
def test_each_real_item_is_read_by_the_template_of_its_period(path: Path) -> None:
    expected = "item-2023" if path.stem in MARKED_2023 | DATED_2023 else "item-2020"
    assert read_item_html(description(path)).template == expected


@pytest.mark.parametrize("path", ALL_ITEMS, ids=lambda path: path.stem)
def test_the_share_block_marks_exactly_the_items_that_have_it(path: Path) -> None:
    markup = description(path)
    assert Item2023.marks(parse_fragment(markup), markup) == (path.stem in MARKED_2023)


def test_column_items_after_the_change_are_chosen_by_their_date() -> None:
    for name in sorted(DATED_2023):
        markup = real(name)
        root = parse_fragment(markup)
        assert not Item2023.marks(root, markup)
        assert template_for(root, markup) is Item2023
    # The column item of 28/05/2023 and the last unmarked item of 17/05/2023 are before the first share block.
    for name in ("dm-news_rfi_1004000", "dm-news_rfi_1004400"):
        assert template_for(parse_fragment(real(name)), real(name)) is Item2020


def test_share_in_the_text_of_an_old_item_is_no_marker() -> None:
    # 公平分享新冠疫苗 (12/10/2020) and 下面是简介以供分享 (13/06/2022) are article text.
    for name in ("dm-news_fagu_1042114", "dm-news_rfi_1015000"):
        assert "分享" in real(name)
        assert read_item_html(real(name)).template == "item-2020"


@pytest.mark.parametrize(
    ("markup", "template"),
    [
        ("<p>正文</p>", "item-2023"),  # no marker, no date line: the newest
        ("", "item-2023"),
        ("<div>31/02/2023 - 10:00</div><p>正文</p>", "item-2023"),  # no such day
        ("<div>01/06/2023 - 23:59</div><p>正文</p>", "item-2020"),  # the day before the first share block
        ("<div>02/06/2023 - 00:00</div><p>正文</p>", "item-2023"),
        ("<div>15/03/2019 - 10:00</div><p>正文</p>", "item-2020"),  # before any template: the oldest
    ],
)
def test_an_item_without_a_marker_is_chosen_by_its_date(markup: str, template: str) -> None:
    assert read_item_html(markup).template == template


def test_templates_newest_first_with_their_first_days() -> None:
    assert [(template.name, template.SERVED_FROM) for template in TEMPLATES] == [
        ("item-2023", dt.date(2023, 6, 2)),
        ("item-2020", dt.date(2020, 7, 1)),
    ]


# --- each template's own rules, on real items of it ---


def test_item_2023_share_block_is_a_trailing_block_in_both_of_its_forms() -> None:
    # Written from the sources: the seed (30/12/2023) has the 分享 : label, x.com and feedx's footer; 1003850
    # (02/06/2023) has no label, twitter.com and no footer.
    seed = real("seed_rfi_20231230")
    share, footer = Item2023(parse_fragment(seed), seed).trailing_blocks()
    assert share[0].text == "分享 :"
    assert [link.get("href").split("?")[0] for link in share.iter("a")] == [
        "https://www.facebook.com/dialog/share",
        "whatsapp://send",
        "https://web.whatsapp.com/send",
        "https://x.com/intent/tweet",
    ]
    assert footer.text.startswith("获取更多RSS")
    first = real("dm-news_rfi_1003850")
    (share,) = Item2023(parse_fragment(first), first).trailing_blocks()
    assert [link.get("href").split("?")[0] for link in share.iter("a")] == [
        "https://www.facebook.com/dialog/share",
        "whatsapp://send",
        "https://web.whatsapp.com/send",
        "https://twitter.com/intent/tweet",
    ]
    assert len(share.xpath(".//svg")) == 4


def test_item_2023_drops_its_share_block_before_the_body_reader() -> None:
    # The real seed item, its four share icons given text blocks (as a share bar with labels would): item-2023
    # still gives the hand-checked paragraphs; item-2020, which has no share block, reads the labels as text.
    edited = real("seed_rfi_20231230").replace("<span></span></a>", "<span><p>分享</p></span></a>")
    assert edited.count("<p>分享</p>") == 4
    expected = load_expected(EXPECTED_ARCHIVE_DIR / "seed_rfi_20231230.json")["paragraphs"]
    assert read_with(Item2023, edited) == expected
    assert read_with(Item2020, edited) == [*expected, "分享", "分享", "分享", "分享"]


def test_item_2020_drops_feedx_footer_before_the_body_reader() -> None:
    # The real 19/07/2020 item, the footer's two links given text blocks: the footer rule keeps them out; a template
    # without trailing rules reads them.
    edited = real("dm-news_fagu_1047000").replace('target="_blank">https://', 'target="_blank"><p>https://')
    edited = edited.replace("</a> <br>", "</p></a> <br>").replace("</a><br></div>", "</p></a><br></div>")
    assert edited.count("<p>https://") == 2
    expected = load_expected(EXPECTED_ARCHIVE_DIR / "dm-news_fagu_1047000.json")["paragraphs"]

    class NoTrailingBlocks(Item2020):
        TRAILING = ()

    assert read_with(Item2020, edited) == expected
    assert read_with(NoTrailingBlocks, edited) == [*expected, "https://feedx.net", "https://feedx.xyz"]


@pytest.mark.parametrize(
    ("name", "missing"),
    [
        ("seed_rfi_20231230", []),
        ("dm-news_rfi_1021000", ["image"]),  # the literal "Array" where the <img> stood
        ("dm-news_rfi_1034000", ["lead"]),  # AFP copy: no chapô; its <img> is the default card (no image, not missing)
        ("dm-news_fagu_1045000", ["lead"]),
        ("dm-news_rfi_1001000", []),  # an empty chapô block is there: the lead is empty, not missing
    ],
)
def test_missing_fields_of_real_items(name: str, missing: list[str]) -> None:
    assert read_item_html(real(name)).missing == missing


def test_the_marker_chooses_before_the_date() -> None:
    # The seed item has RFI's share block; dated a year before the block existed, it is still read as item-2023.
    markup = real("seed_rfi_20231230")
    assert markup.count("30/12/2023 - 10:05") == 1
    assert read_item_html(markup.replace("30/12/2023 - 10:05", "30/12/2022 - 10:05")).template == "item-2023"
