"""docs/operating.md works as written: its offline demo, its cron line and its systemd unit are run here, with the
paths of a temporary folder in place of ``/opt/rfi-news``, ``/var/lib/rfi-news`` and ``/var/log/rfi-news`` (and
a free port in place of 8123)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.crawl import PROJECT_ROOT
from tests.fixture_server import FixtureServer

DOC = PROJECT_ROOT / "docs" / "operating.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"^ *```{language}\n(.*?)^ *```", DOC.read_text(encoding="utf-8"), flags=re.M | re.S)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The tracked files of the project, where the docs say it lives (``/opt/rfi-news``)."""
    copy = tmp_path / "opt" / "rfi-news"
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    ).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (PROJECT_ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_ROOT / name, copy / name)
    # Its .venv: the test environment's Python, with the project's own `rfi-news` entry point (rfi_news.cli).
    bin_dir = copy / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    launcher = bin_dir / "rfi-news"
    launcher.write_text(f"#!{sys.executable}\nfrom rfi_news.cli import main\nmain()\n", encoding="utf-8")
    launcher.chmod(0o755)
    return copy


def localised(text: str, root: Path) -> str:
    return (
        text.replace("/opt/rfi-news", str(root / "opt" / "rfi-news"))
        .replace("/var/lib/rfi-news", str(root / "var" / "lib" / "rfi-news"))
        .replace("/var/log/rfi-news", str(root / "var" / "log" / "rfi-news"))
    )


def shell_env(project: Path) -> dict[str, str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["PYTHONPATH"] = str(project)
    return env


def with_local_feed(env: dict[str, str], project: Path, feed_url: str) -> dict[str, str]:
    """The documented lines run feedx on its real feed URLs: here a site settings module (what ``rfi-news``
    honours in ``SCRAPY_SETTINGS_MODULE``) points them at the fixture server."""
    (project / "local_settings.py").write_text(
        f"from rfi_news.settings import *  # noqa: F403\nFEEDX_URLS = [{feed_url!r}]\n", encoding="utf-8"
    )
    return {**env, "SCRAPY_SETTINGS_MODULE": "local_settings"}


def test_offline_demo_runs_every_spider(project_copy: Path) -> None:
    (demo,) = [block for block in blocks("sh") if "demo_server" in block]
    port = str(free_port())
    done = subprocess.run(
        ["bash", "-e", "-c", demo.replace("8123", port)],
        cwd=project_copy,
        env=shell_env(project_copy),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    verdicts = [line for line in done.stderr.splitlines() if line.startswith("rfi-news ")]
    assert len(verdicts) == 6
    assert all("HEALTHY (exit 0)" in line and "UNHEALTHY" not in line for line in verdicts), verdicts
    for name in ("feedx", "follow", "rfi", "sitemap", "month", "archive"):
        lines = (project_copy / f"demo-{name}.jsonl").read_text(encoding="utf-8").splitlines()
        assert lines, name
        assert (project_copy / f"demo-{name}.jsonl.report.json").is_file()


def test_cron_line_tells_cron_how_the_run_went(project_copy: Path, tmp_path: Path, server: FixtureServer) -> None:
    crontab = blocks("cron")[0].strip().splitlines()
    env = shell_env(project_copy)
    for line in crontab[:-1]:  # the crontab's variable lines
        name, _, value = line.partition("=")
        env[name] = localised(value, tmp_path)
    command = localised(crontab[-1].split(None, 5)[5], tmp_path)
    done = subprocess.run(
        ["sh", "-c", command],
        env=with_local_feed(env, project_copy, server.url("/feeds/feedx_rfi.xml")),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines()[0] == (
        "rfi-news feedx: HEALTHY (exit 0). 12 record(s) written, 0 dropped, finish reason finished."
    )
    # The log folder did not exist: the run made it.
    assert "Spider closed (finished)" in (tmp_path / "var" / "log" / "rfi-news" / "feedx.log").read_text("utf-8")
    (output,) = (tmp_path / "var" / "lib" / "rfi-news" / "output" / "feedx").glob("*.jsonl")
    assert len(output.read_text(encoding="utf-8").splitlines()) == 12
    # A run that fails says why, on stderr, with exit 3.
    dead = with_local_feed(env, project_copy, f"http://127.0.0.1:{free_port()}/rss/rfi.xml")
    failed = subprocess.run(["sh", "-c", command], env=dead, capture_output=True, text=True, timeout=120, check=False)
    assert failed.returncode == 3
    assert failed.stderr.splitlines()[0].startswith("rfi-news feedx: UNHEALTHY: site unreachable (exit 3).")
    # The mail-on-failure line prints only when the run failed.
    quiet = localised(blocks("cron")[1].strip().split(None, 5)[5], tmp_path)
    feed = with_local_feed(env, project_copy, server.url("/feeds/feedx_rfi.xml"))
    ok = subprocess.run(["sh", "-c", quiet], env=feed, capture_output=True, text=True, timeout=120, check=False)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")


def test_systemd_unit_runs_its_command(project_copy: Path, tmp_path: Path, server: FixtureServer) -> None:
    unit = next(block for block in blocks("ini") if "ExecStart=" in block)
    values = [localised(line, tmp_path).partition("=") for line in unit.splitlines() if "=" in line]
    env = shell_env(project_copy)
    for key, _, value in values:
        if key == "Environment":
            name, _, setting = value.partition("=")
            env[name] = setting
    directory = next(value for key, _, value in values if key == "WorkingDirectory")
    command = next(value for key, _, value in values if key == "ExecStart")
    env = with_local_feed(env, project_copy, server.url("/feeds/feedx_rfi.xml"))
    done = subprocess.run(shlex.split(command), cwd=directory, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    # No LOG_FILE: the log is stderr (the journal), and its last lines are the verdict.
    assert done.stderr.splitlines()[-2].startswith("rfi-news feedx: HEALTHY (exit 0). 12 record(s) written")
    assert "Spider closed (finished)" in done.stderr
