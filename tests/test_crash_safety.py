"""Runs that survive anything (issue 10): kill -9 at any instant, checkpoints, the publishing policy, storage
faults, a damaged state and its rebuild. Every crawl is a real ``scrapy crawl`` process and every kill a real signal.

A test that must kill inside the publication window sets ``RFI_TEST_PAUSE_AT=<point>[#<n>]``: the crawl prints
``rfi-news paused at <point>`` on stderr at the n-th pass through that point of ``rfi_news.feedstorage`` and
sleeps there until the SIGKILL.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ARCHIVE_DIR, free_port
from tests.crawl import PROJECT_ROOT, crawl_command, run_crawl
from tests.fixture_server import FixtureServer
from tests.test_incremental import copy_archive, lock_held_by

CHECKPOINT = 40  # records per part in these tests (the default is 500)
COPIES = 10  # 480 articles


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("crash") / "archive"
    copy_archive(folder, range(COPIES))
    return folder


class Crawl:
    """A ``scrapy crawl`` in the background, its stderr in a file (where the pause marker shows)."""

    def __init__(
        self,
        spider: str,
        workdir: Path,
        args: dict[str, str],
        settings: dict[str, str],
        env: dict[str, str],
        output: Path | None = None,
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "crawl.log"
        self.stderr = workdir / "stderr.txt"
        self.stats_file = workdir / "stats.json"
        self.returncode: int | None = None
        crawl_settings = {"LOG_FILE": str(self.log), "STATS_FILE": str(self.stats_file), **settings}
        with self.stderr.open("wb") as stderr:
            self.process = subprocess.Popen(
                crawl_command(spider, args=args, settings=crawl_settings, output=output),
                cwd=PROJECT_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env={**os.environ, **env},
            )

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, f"the crawl ended before {what}: {self.log_text()[-2000:]}"
            assert time.monotonic() < deadline, f"gave up waiting for {what}"
            time.sleep(0.01)

    def paused(self, point: str) -> bool:
        marker = f"rfi-news paused at {point.partition('#')[0]}\n"
        return marker in self.stderr.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=30) == -signal.SIGKILL

    def wait(self, timeout: float = 120) -> int:
        return self.process.wait(timeout=timeout)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8") if self.log.exists() else ""

    @property
    def stats(self) -> dict:
        return json.loads(self.stats_file.read_text(encoding="utf-8")) if self.stats_file.exists() else {}

    def stat(self, key: str) -> object:
        return self.stats.get(key, 0)


def crawl_to_end(
    spider: str,
    workdir: Path,
    args: dict[str, str],
    env: dict[str, str],
    settings: dict[str, str] | None = None,
    output: Path | None = None,
) -> Crawl:
    crawl = Crawl(spider, workdir, args, settings or {}, env, output)
    crawl.returncode = crawl.wait()
    return crawl


def published(folder: Path) -> list[dict]:
    """Every line of every published ``*.jsonl`` (a partial line fails the test)."""
    records = []
    for path in sorted(folder.glob("*.jsonl")):
        records += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return records


def part_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.part")) if folder.is_dir() else []


def pending_parts(state_file: Path) -> set[str]:
    """The part files the state holds as pending publications (read by a plain SQLite client)."""
    if not state_file.exists():
        return set()
    with sqlite3.connect(f"{state_file.as_uri()}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT part FROM publications WHERE status = 'pending'")}


# --- exactly once, whatever the instant of the kill ---------------------------------------------------------


def test_kills_at_every_step_of_publication_lose_nothing_and_publish_nothing_twice(
    tmp_path: Path, archive: Path
) -> None:
    state_dir, output = tmp_path / "state", tmp_path / "output"
    parts = output / "archive"
    env = {"RFI_STATE_DIR": str(state_dir), "RFI_OUTPUT_DIR": str(output)}
    # Five files per batch, a little delay between batches: a run lasts long enough to be killed mid-part.
    settings = {"RFI_CHECKPOINT_ITEMS": str(CHECKPOINT), "ARCHIVE_BATCH_FILES": "5", "DOWNLOAD_DELAY": "0.02"}
    args = {"path": str(archive)}

    # (what, pause point or None, condition to kill at when there is no pause point)
    kill_points: list[tuple[str, str | None, Callable[[Crawl], bool] | None]] = [
        ("holding the lock, nothing written", None, lambda crawl: lock_held_by(state_dir, "archive", crawl.process)),
        ("part 3 fsync-ed, not yet noted in the state", "part_written#3", None),
        ("part 2 noted in the state, not yet renamed", "publication_noted#2", None),
        ("part 1 renamed, not yet marked published", "renamed#1", None),
        ("part 4 published and marked", "published#4", None),
        ("in the middle of a part (25 lines written)", None, lambda crawl: lines_in(part_files(parts)) >= 25),
    ]
    figures = []
    for number, (what, point, condition) in enumerate(kill_points):
        before = len(published(parts))
        crawl = Crawl(
            "archive", tmp_path / f"killed{number}", args, settings, {**env, "RFI_TEST_PAUSE_AT": point or ""}
        )
        if point:
            crawl.wait_for(lambda crawl=crawl, point=point: crawl.paused(point), f"the pause at {point}")
        else:
            assert condition is not None
            crawl.wait_for(lambda crawl=crawl, condition=condition: condition(crawl), what)
        crawl.kill()
        records = published(parts)  # whole lines only, in whole files
        pending = pending_parts(state_dir / "archive.sqlite3")
        # Work lost = lines the killed run wrote that neither are published nor will be by the next run.
        lost = sum(lines_in([part]) for part in part_files(parts) if str(part) not in pending)
        assert lost <= CHECKPOINT, what
        figures.append((what, len(records) - before, lost))
        if point in ("publication_noted#2", "renamed#1"):
            assert len(pending) == 1, what
    final = Crawl("archive", tmp_path / "final", args, settings, env)
    assert final.wait() == 0, final.log_text()[-3000:]

    urls = Counter(record["url"] for record in published(parts))
    assert len(urls) == COPIES * 48  # none lost
    assert set(urls.values()) == {1}  # none twice
    assert part_files(parts) == []  # every leftover removed by a later run
    assert pending_parts(state_dir / "archive.sqlite3") == set()
    logs = "".join((tmp_path / f"killed{n}" / "crawl.log").read_text(encoding="utf-8") for n in range(1, 6))
    logs += final.log_text()
    assert logs.count("Completed the publication a killed run left half-done") == 2  # noted#2 and renamed#1
    assert "part file(s) left by dead runs" in logs
    print("\nkill point | records published by the killed run | records lost to it (re-emitted next run)")
    for what, published_count, lost in figures:
        print(f"{what} | {published_count} | {lost}")


def lines_in(paths: list[Path]) -> int:
    return sum(path.read_bytes().count(b"\n") for path in paths if path.exists())


def test_a_kill_between_the_rename_and_the_state_does_not_emit_the_file_again(tmp_path: Path) -> None:
    """The issue's window: the ``-O`` file renamed into place, the run killed before its state knew."""
    env = {"RFI_STATE_DIR": str(tmp_path / "state")}
    out = tmp_path / "out.jsonl"
    args = {"path": str(ARCHIVE_DIR)}
    killed = Crawl("archive", tmp_path / "killed", args, {}, {**env, "RFI_TEST_PAUSE_AT": "renamed"}, output=out)
    killed.wait_for(lambda: killed.paused("renamed"), "the pause after the rename")
    killed.kill()
    first = out.read_bytes()
    assert first.count(b"\n") == 48

    again = crawl_to_end("archive", tmp_path / "again", args, env, output=out)
    assert again.returncode == 0, again.log_text()  # nothing new: healthy
    assert f"Completed the publication a killed run left half-done: {out} (48 article(s))" in again.log_text()
    assert again.stat("rfi_news/state/unchanged") == 48
    assert again.stat("item_scraped_count") == 0
    assert out.read_bytes() == first  # and a run that wrote no record does not replace the file


def test_checkpoints_by_time_publish_while_the_run_goes_and_a_kill_loses_only_the_open_part(tmp_path: Path) -> None:
    output = tmp_path / "output"
    parts = output / "archive"
    env = {"RFI_STATE_DIR": str(tmp_path / "state"), "RFI_OUTPUT_DIR": str(output)}
    # One file per batch, 0.1 s apart: about 10 records a second, a part every second.
    settings = {
        "RFI_CHECKPOINT_ITEMS": "0",
        "RFI_CHECKPOINT_SECONDS": "1",
        "ARCHIVE_BATCH_FILES": "1",
        "DOWNLOAD_DELAY": "0.1",
    }
    args = {"path": str(ARCHIVE_DIR)}
    crawl = Crawl("archive", tmp_path / "killed", args, settings, env)
    crawl.wait_for(lambda: len(list(parts.glob("*.jsonl"))) >= 2, "two parts published while the run goes")
    crawl.kill()
    published_before = published(parts)
    assert 0 < len(published_before) < 48
    assert lines_in(part_files(parts)) < 48 - len(published_before)  # the open part held only the last second's

    resumed = crawl_to_end("archive", tmp_path / "resumed", args, env, {**settings, "DOWNLOAD_DELAY": "0"})
    assert resumed.returncode == 0, resumed.log_text()
    # Each file whose record was published is known by its digest (written with its publication, issue 15), or,
    # when its digest was not yet written (the part's last record, or a publication completed by recovery), read
    # again and found unchanged: never emitted twice.
    assert resumed.stat("rfi_news/state/skipped") + resumed.stat("rfi_news/state/unchanged") == len(published_before)
    urls = Counter(record["url"] for record in published(parts))
    assert len(urls) == 48
    assert set(urls.values()) == {1}


# --- publishing policy ----------------------------------------------------------------------------------------


def test_a_failed_or_unhealthy_run_never_replaces_a_good_o_file(tmp_path: Path, server: FixtureServer) -> None:
    target = tmp_path / "rfi.jsonl"
    good = crawl_to_end("feedx", tmp_path / "good", {"feed_url": server.url("/feeds/feedx_rfi.xml")}, {}, output=target)
    assert good.returncode == 0, good.log_text()
    yesterday = target.read_bytes()
    assert yesterday.count(b"\n") == 12

    down = {"feed_url": f"http://127.0.0.1:{free_port()}/rss/rfi.xml"}
    network_down = crawl_to_end("feedx", tmp_path / "down", down, {}, output=target)
    assert network_down.returncode == 3
    assert target.read_bytes() == yesterday  # no record: the file is left as it was
    assert f"No record in this run: {target} is left as it was" in network_down.log_text()

    changed = {"feed_url": server.url("/feeds/feedx_rfi_layout_changed.xml")}
    layout = crawl_to_end("feedx", tmp_path / "layout", changed, {}, output=target)
    assert layout.returncode == 3
    assert target.read_bytes() == yesterday  # unhealthy: kept
    beside = tmp_path / "rfi.unhealthy.jsonl"
    assert len(beside.read_text(encoding="utf-8").splitlines()) == 27
    assert (
        f"Kept {target} as it was: this run is unhealthy (Field coverage, Layout); its 27 record(s) are in {beside}"
        in layout.log_text()
    )
    assert part_files(tmp_path) == []


def test_part_files_of_dead_runs_are_removed_and_counted_by_the_next_run_holding_the_lock(tmp_path: Path) -> None:
    output = tmp_path / "output"
    folder = output / "archive"
    folder.mkdir(parents=True)
    dead = [folder / ".2026-01-01T00-00-00+00-00-00003.jsonl.archive.part", folder / ".x.jsonl.archive.part"]
    for path in dead:
        path.write_bytes(b'{"half": ')
    other_spider = folder / ".y.jsonl.feedx.part"
    other_spider.write_bytes(b"{")
    env = {"RFI_STATE_DIR": str(tmp_path / "state"), "RFI_OUTPUT_DIR": str(output)}
    crawl = crawl_to_end("archive", tmp_path / "run", {"path": str(ARCHIVE_DIR)}, env)
    assert crawl.returncode == 0, crawl.log_text()
    assert not any(path.exists() for path in dead)
    assert other_spider.exists()  # not this spider's: its run may be alive
    assert crawl.stat("rfi_news/storage/leftovers_removed") == 2
    assert "Removed 2 part file(s) left by dead runs" in crawl.log_text()


# --- storage faults (a small tmpfs; mounting needs root, as in CI) ---------------------------------------------

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("mount"), reason="mounting a small tmpfs (full disk, read-only) needs root"
)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    mounted: list[Path] = []

    def mount(name: str, size: str = "64k") -> Path:
        point = tmp_path / name
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], check=True)
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", str(point)], check=False)


def remount_read_only(point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)


def fill(point: Path) -> None:
    """Fill the file system to its last block."""
    with (point / "filler").open("wb", buffering=0) as filler:
        with contextlib.suppress(OSError):
            while True:
                filler.write(b"\0" * 4096)
        with contextlib.suppress(OSError):
            while True:
                filler.write(b"\0")


def storage_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "Storage failure: " in line]


def no_storage_traceback(log: str) -> bool:
    """No traceback of the fault itself (Spidermon's report of its failed checks has its own, unittest's)."""
    return "OSError" not in log and "sqlite3." not in log and "Error storing" not in log


@needs_root
def test_output_on_a_full_disk_is_a_failed_run_saying_where_and_why(tmp_path: Path, small_disk) -> None:
    output = small_disk("output", "64k")
    env = {"RFI_STATE_DIR": str(tmp_path / "state"), "RFI_OUTPUT_DIR": str(output)}
    result = crawl_to_end("archive", tmp_path / "run", {"path": str(ARCHIVE_DIR)}, env, {"RFI_CHECKPOINT_ITEMS": "10"})
    assert result.returncode == 3
    (line,) = storage_lines(result.log_text())
    assert re.search(rf"Storage failure: {re.escape(str(output))}/archive/\S+: No space left on device", line), line
    assert no_storage_traceback(result.log_text())
    assert part_files(output / "archive") == []  # the unpublished parts are removed: the disk is not left full
    really = published(output / "archive")
    assert result.stat("rfi_news/storage/published_records") == len(really) < 48
    assert "rfi-news archive: UNHEALTHY: storage" in result.log_text()
    assert f"{len(really)} record(s) written" in result.log_text()
    with sqlite3.connect(tmp_path / "state" / "archive.sqlite3") as db:  # the state holds what was published
        assert {row[0] for row in db.execute("SELECT url FROM articles")} == {record["url"] for record in really}
    print(f"\nfull output disk: exit {result.returncode}: {line}")


@needs_root
def test_state_on_a_full_disk_is_a_failed_run_and_nothing_is_published_without_it(tmp_path: Path, small_disk) -> None:
    state = small_disk("state", "256k")
    env = {"RFI_STATE_DIR": str(state)}
    first_half = tmp_path / "first"
    first_half.mkdir()
    for path in sorted(ARCHIVE_DIR.glob("*.md"))[:24]:
        shutil.copy(path, first_half / path.name)
    first = run_crawl("archive", tmp_path / "run1", args={"path": str(first_half)}, env=env)
    assert first.returncode == 0, first.log
    fill(state)
    second = run_crawl("archive", tmp_path / "run2", args={"path": str(ARCHIVE_DIR)}, env=env)
    assert second.returncode == 3
    (line,) = storage_lines(second.log)
    assert f"Storage failure: {state / 'archive.sqlite3'}: database or disk is full" in line
    assert no_storage_traceback(second.log)
    assert not second.output.exists()  # not published: the state could not say so
    assert second.stat("rfi_news/storage/published_records") == 0
    print(f"\nfull state disk: exit {second.returncode}: {line}")


@needs_root
def test_read_only_state_folder_refuses_the_run_in_one_line(tmp_path: Path, small_disk) -> None:
    state = small_disk("state", "256k")
    env = {"RFI_STATE_DIR": str(state)}
    assert run_crawl("archive", tmp_path / "run1", args={"path": str(ARCHIVE_DIR)}, env=env).returncode == 0
    remount_read_only(state)
    result = run_crawl("archive", tmp_path / "run2", args={"path": str(ARCHIVE_DIR)}, env=env)
    assert result.returncode == 1
    (line,) = [line for line in result.log.splitlines() if "ERROR" in line]
    assert f"Not running archive: cannot use the crawl state folder {state}: Read-only file system" in line
    assert "Traceback" not in result.log
    assert not result.output.exists()
    print(f"\nread-only state folder: exit {result.returncode}: {line}")


@needs_root
def test_read_only_output_folder_is_a_failed_run_in_one_line(tmp_path: Path, small_disk) -> None:
    output = small_disk("output", "64k")
    remount_read_only(output)
    env = {"RFI_STATE_DIR": str(tmp_path / "state"), "RFI_OUTPUT_DIR": str(output)}
    result = crawl_to_end("archive", tmp_path / "run", {"path": str(ARCHIVE_DIR)}, env)
    assert result.returncode == 3
    (line,) = storage_lines(result.log_text())
    assert re.search(rf"Storage failure: {re.escape(str(output))}/archive/\S+: Read-only file system", line), line
    assert no_storage_traceback(result.log_text())
    assert result.stats["finish_reason"] == "storage_failed"
    assert result.stat("rfi_news/storage/published_records") == 0
    assert "0 record(s) written" in result.log_text()
    print(f"\nread-only output folder: exit {result.returncode}: {line}")


# --- a damaged state: refused in one line, rebuilt from the output ---------------------------------------------


def flip_64_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for offset in range(4096, 4096 + 64):  # the head of the second page: a b-tree page's header and cells
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGES = {
    "emptied": lambda path: path.write_bytes(b""),
    "garbage": lambda path: path.write_bytes(b"not a database, just garbage\n" * 200),
    "half": lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
    "flipped": flip_64_bytes,
}


@pytest.fixture(scope="module")
def healthy_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("healthy")
    env = {"RFI_STATE_DIR": str(work / "state"), "RFI_OUTPUT_DIR": str(work / "output")}
    crawl = Crawl("archive", work / "run", {"path": str(ARCHIVE_DIR)}, {"RFI_CHECKPOINT_ITEMS": "10"}, env)
    assert crawl.wait() == 0
    assert len(published(work / "output" / "archive")) == 48
    return work


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_state_stops_the_run_in_one_line_and_is_rebuilt_from_the_output(
    tmp_path: Path, healthy_state: Path, damage: str
) -> None:
    shutil.copytree(healthy_state / "state", tmp_path / "state")
    shutil.copytree(healthy_state / "output", tmp_path / "output")
    state_file = tmp_path / "state" / "archive.sqlite3"
    DAMAGES[damage](state_file)
    env = {"RFI_STATE_DIR": str(tmp_path / "state"), "RFI_OUTPUT_DIR": str(tmp_path / "output")}

    refused = crawl_to_end("archive", tmp_path / "refused", {"path": str(ARCHIVE_DIR)}, env)
    assert refused.returncode == 1
    (line,) = [line for line in refused.log_text().splitlines() if "ERROR" in line]
    assert f"Not running archive: the crawl state {state_file} is " in line
    assert "scrapy state rebuild archive <output folder or files>" in line
    assert "Traceback" not in refused.log_text()
    assert len(published(tmp_path / "output" / "archive")) == 48  # nothing written

    rebuild = subprocess.run(
        [sys.executable, "-m", "scrapy", "state", "rebuild", "archive", str(tmp_path / "output" / "archive")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
        timeout=60,
    )
    assert rebuild.returncode == 0, rebuild.stderr
    assert f"Rebuilt {state_file} from 5 file(s): 48 article(s) from 48 line(s), 0 unreadable" in rebuild.stdout
    assert "the old file is kept as" in rebuild.stdout

    after = crawl_to_end("archive", tmp_path / "after", {"path": str(ARCHIVE_DIR)}, env)
    assert after.returncode == 0, after.log_text()  # nothing new: every article is known again
    assert after.stat("rfi_news/state/unchanged") == 48
    assert len(published(tmp_path / "output" / "archive")) == 48
    print(f"\n{damage} state: exit {refused.returncode}: {line}")
