"""Bad archive files: each gives a log line naming the file and a counter, and the good records still come out."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ARCHIVE_DIR
from tests.crawl import CrawlResult, run_crawl


def real_item(name: str) -> str:
    return (ARCHIVE_DIR / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bad_input_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CrawlResult]:
    folder = tmp_path_factory.mktemp("bad-archive")
    (folder / "good").mkdir()
    (folder / "good" / "seed.md").write_text(real_item("seed_rfi_20231230.md"), encoding="utf-8")
    (folder / "good" / "nested").mkdir()
    (folder / "good" / "nested" / "1035000.txt").write_text(real_item("dm-news_rfi_1035000.md"), encoding="utf-8")
    (folder / "notes.md").write_text("# Notes on the archive\n\nNothing to see.\n", encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    # A real item with a byte that is not UTF-8 in its first paragraph.
    invalid = (
        real_item("dm-news_rfi_1013000.md")
        .encode("utf-8")
        .replace("据法新社".encode(), b"\xff\xfe" + "据法新社".encode())
    )
    (folder / "invalid-utf8.md").write_bytes(invalid)
    # A real item cut in the middle of its third paragraph, as a failed download leaves it.
    cut = real_item("dm-news_rfi_1026000.md")
    (folder / "truncated.md").write_text(cut[: cut.index("</p>", cut.index("</p>") + 1) + 30], encoding="utf-8")
    no_date = real_item("dm-news_rfi_1036000.md").replace("<div>24/01/2021 - 13:31</div>", "")
    (folder / "no-date-line.md").write_text(no_date, encoding="utf-8")
    no_title = real_item("dm-news_rfi_1038000.md").replace(
        "[发改委：明年须前瞻性防范和化解金融风险 互联网存款产品势煞车]", "[]"
    )
    (folder / "no-title.md").write_text(no_title, encoding="utf-8")
    (folder / "ignored.json").write_text("{}", encoding="utf-8")
    return folder, run_crawl("archive", tmp_path_factory.mktemp("bad-archive-run"), args={"path": str(folder)})


def test_the_run_finishes(bad_input_crawl: tuple[Path, CrawlResult]) -> None:
    _, result = bad_input_crawl
    assert result.returncode == 0
    assert result.stats["finish_reason"] == "finished"
    assert "Traceback" not in result.log


def test_good_records_come_out(bad_input_crawl: tuple[Path, CrawlResult]) -> None:
    _, result = bad_input_crawl
    titles = sorted(record["title"] for record in result.records)
    assert titles == sorted(
        [
            "日本加强与中俄博弈 推进明年举行日本与中亚五国首脑峰会",
            "新西兰暂停与缅甸所有高层接触，禁止缅军领导人入境",
            '联合国专家报告指新疆有 "强迫劳动"',
            "北戴河静悄悄 中南海更换警卫局长",
            "纳瓦尔尼临危回国揭露“普京的宫殿”，全俄114城民众上街示威",
        ]
    )
    assert result.stat("rfi_news/archive/files") == 8  # *.md and *.txt only, nested folders included


@pytest.mark.parametrize(
    ("file_name", "message", "counter"),
    [
        ("notes.md", "notes.md' skipped: no epoch line: line 1 is not", "rfi_news/archive/invalid/no_epoch_line"),
        ("empty.txt", "empty.txt' skipped: empty: the file holds no text", "rfi_news/archive/invalid/empty"),
        ("invalid-utf8.md", "invalid-utf8.md': invalid UTF-8 at byte", "rfi_news/archive/undecodable"),
        ("truncated.md", "truncated.md': the item's HTML is cut short", "rfi_news/archive/truncated"),
        ("no-date-line.md", "no-date-line.md': no date line", "rfi_news/item/missing/published"),
        ("no-title.md", "no-title.md': record dropped (no_title)", "rfi_news/validation/dropped/no_title"),
    ],
)
def test_each_bad_file_is_logged_and_counted(
    bad_input_crawl: tuple[Path, CrawlResult], file_name: str, message: str, counter: str
) -> None:
    folder, result = bad_input_crawl
    assert f"{str(folder / file_name)!r}" in result.log
    assert message in result.log
    assert result.stat(counter) == 1


def test_undecodable_bytes_keep_the_article(bad_input_crawl: tuple[Path, CrawlResult]) -> None:
    _, result = bad_input_crawl
    record = next(record for record in result.records if record["title"].startswith("联合国专家报告"))
    assert record["paragraphs"][0].startswith("\ufffd\ufffd据法新社今天自日内瓦报道称")


def test_truncated_item_keeps_its_whole_paragraphs_and_the_cut_one_as_far_as_it_goes(
    bad_input_crawl: tuple[Path, CrawlResult],
) -> None:
    _, result = bad_input_crawl
    record = next(record for record in result.records if record["title"] == "北戴河静悄悄 中南海更换警卫局长")
    assert record["published"] == "2021-07-19T00:29:00Z"
    # Copied by hand from dm-news_rfi_1026000.md: its first two paragraphs whole, then the third up to the cut.
    assert record["paragraphs"] == [
        "中共党庆百年，庆过了，江泽民不见人，老了，胡锦涛，白发苍苍，温家宝，躲在天安门城楼的某一个角落。这场党庆银子花"
        "得如流水，规模和场面不亚于北韩的大型庆祝活动，世界只记住习近平说的几个字，谁要敢欺负我们，就让他头破血流。",
        "该宣布的胜利已经宣布了，抗疫胜利，尽管世卫组织秘书长谭德塞日前表示要专家们去中国对新冠病毒溯源；脱贫胜利，尽管"
        "李克强说过还有六亿人每月人均收入不超过1千元人民币；至于冬季奥运会，英国议会刚刚通过抵制案，西方国家呼吁抵制的声"
        "音此起彼伏，等到明天春天再宣布冬奥会胜利举办也不迟。",
        "习近平就等着二十大再受党中央再拥戴一次了？但是",
    ]


def test_output_has_no_partial_line(bad_input_crawl: tuple[Path, CrawlResult]) -> None:
    _, result = bad_input_crawl
    assert result.output.read_text(encoding="utf-8").endswith("}\n")
