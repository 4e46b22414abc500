"""The package: ``pip install .`` gives the runtime dependencies and an ``rfi-news`` command that works from any
folder; its dependencies are requirements.txt's."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ARCHIVE_DIR
from tests.crawl import PROJECT_ROOT


def requirement_lines(path: Path) -> dict[str, str]:
    """``name[extras]`` → version range, from a requirements file (comments and ``-r`` lines left out)."""
    lines = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name, spec = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*(.*)", line).groups()  # type: ignore[union-attr]
            lines[name.lower()] = spec.replace(" ", "")
    return lines


def test_package_dependencies_are_the_runtime_requirements() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {}
    for entry in project["dependencies"]:
        name, spec = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*(.*)", entry).groups()  # type: ignore[union-attr]
        declared[name.lower()] = spec.replace(" ", "")
    assert declared == requirement_lines(PROJECT_ROOT / "requirements.txt")
    # The base install is lean: Spidermon's core; its alert actions' dependencies only with the `alerts` extra.
    assert "spidermon" in declared
    assert project["optional-dependencies"]["alerts"] == ["spidermon[monitoring]>=1.27,<1.28"]
    assert project["scripts"] == {"rfi-news": "rfi_news.cli:main"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project as ``pip install`` builds it (a wheel, with build isolation), into a folder of its own; the
    dependencies are the test environment's (``--no-deps``: the network is not the thing tested)."""
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    tracked = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        if (PROJECT_ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_ROOT / name, source / name)
    target = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


def test_rfi_news_command_works_from_any_folder(installed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(installed)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    command = [str(installed / "bin" / "rfi-news")]
    done = subprocess.run(
        [*command, "crawl", "archive", "-a", f"path={ARCHIVE_DIR}", "-O", "out.jsonl", "-s", "LOG_FILE=logs/run.log"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len((elsewhere / "out.jsonl").read_text(encoding="utf-8").splitlines()) == 48
    assert done.stderr.splitlines() == [
        "rfi-news archive: HEALTHY (exit 0). 48 record(s) written, 0 dropped, finish reason finished.",
        "  report: out.jsonl.report.json",
    ]
    assert (elsewhere / "logs" / "run.log").is_file()
    # The installed copy ran, not the project folder's.
    assert f"{installed}/rfi_news" in subprocess.run(
        [sys.executable, "-c", "import rfi_news; print(rfi_news.__file__)"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    listed = subprocess.run([*command, "spiders"], cwd=elsewhere, env=env, capture_output=True, text=True, check=False)
    assert listed.returncode == 0
    assert "feedx: RFI's full-text RSS feed at feedx.net, then its mirrors: today's articles." in listed.stdout


def test_wheel_declares_the_dependencies_and_the_alerts_extra(installed: Path) -> None:
    (metadata,) = installed.glob("rfi_news-*.dist-info/METADATA")
    text = metadata.read_text(encoding="utf-8")
    assert "Requires-Dist: spidermon<1.28,>=1.27" in text
    assert "Requires-Dist: scrapy<2.20,>=2.19.0" in text
    assert "Provides-Extra: alerts" in text
    assert 'Requires-Dist: spidermon[monitoring]<1.28,>=1.27; extra == "alerts"' in text
    (entry_points,) = installed.glob("rfi_news-*.dist-info/entry_points.txt")
    assert "rfi-news = rfi_news.cli:main" in entry_points.read_text(encoding="utf-8")
    assert "settings = rfi_news.settings" in entry_points.read_text(encoding="utf-8")  # Scrapyd's entry point
