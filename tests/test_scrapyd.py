"""Deployment to a real Scrapyd: the egg ``scrapyd-deploy`` builds, and both spiders run there as from the command line.

One Scrapyd (``python -m scrapyd``, the interpreter of the tests) runs for the module on 127.0.0.1, with basic auth
and every folder of its own in a temporary directory. The project is deployed with the real ``scrapyd-deploy``
from a copy of the project, because building an egg writes ``build/`` and ``*.egg-info`` next to ``setup.py``.
Nothing puts the project on the Python path of Scrapyd: the spiders can only come from the uploaded egg.
"""

from __future__ import annotations

import base64
import configparser
import contextlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import rfi_news
from tests.conftest import ARCHIVE_DIR, FIXTURES, archive_link, free_port
from tests.crawl import PROJECT_ROOT, TEST_SETTINGS, CrawlResult
from tests.fixture_server import FixtureServer

USERNAME = "rfi-test"
PASSWORD = "only-for-this-test"
PROJECT = "rfi_news"
# Where the records land: a path relative to Scrapyd's working folder, standing in for the project's own output
# settings (docs/scrapyd.md: Scrapyd's items_dir stays empty).
FEED_URI = "output/%(name)s/%(time)s.jsonl"
# The console script of the environment the tests run in (Scrapyd runs jobs with that same Python).
SCRAPYD_DEPLOY = str(Path(sysconfig.get_path("scripts")) / "scrapyd-deploy")
STARTUP_TIMEOUT = 30
JOB_TIMEOUT = 120
READ_SCHEMA = "import rfi_news.schemas as s; print(s.__file__); print(s.article_schema()['title'])"

# Left out of the copy that scrapyd-deploy builds from: version control, caches and build or crawl leftovers.
IGNORED_ANYWHERE = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".scrapy"}
IGNORED_AT_TOP = {"build", "dist", "output", "state", ".venv", "venv"}
SCRAPYD_ENV_DROPPED = {"PYTHONPATH", "SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT"}


def canonical(link: str) -> str:
    """The fixtures' links are percent-encoded already; the 2020–21 ones start ``http://www.rfi.fr//cn/``."""
    for prefix in ("https://www.rfi.fr/cn/", "http://www.rfi.fr//cn/"):
        if link.startswith(prefix):
            return "https://www.rfi.fr/cn/" + link.removeprefix(prefix)
    raise AssertionError(f"unexpected link form: {link}")


@dataclass
class Scrapyd:
    url: str
    workdir: Path
    log: Path

    def request(self, endpoint: str, data: dict[str, Any] | None = None, *, auth: str | None = None) -> Any:
        """GET (no ``data``) or POST an endpoint of the JSON API; ``auth`` defaults to the right credentials."""
        if auth is None:
            auth = f"{USERNAME}:{PASSWORD}"
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.url + endpoint, data=body)
        if auth:
            request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def schedule(self, spider: str, args: dict[str, str]) -> str:
        settings = {**TEST_SETTINGS, "FEEDS": json.dumps({FEED_URI: {"format": "jsonlines"}})}
        answer = self.request(
            "schedule.json",
            {"project": PROJECT, "spider": spider, "setting": [f"{k}={v}" for k, v in settings.items()], **args},
        )
        assert answer["status"] == "ok", answer
        return answer["jobid"]

    def wait_finished(self, job: str) -> dict[str, Any]:
        deadline = time.monotonic() + JOB_TIMEOUT
        while time.monotonic() < deadline:
            jobs = self.request(f"listjobs.json?project={PROJECT}")
            for finished in jobs["finished"]:
                if finished["id"] == job:
                    return finished
            time.sleep(0.2)
        pytest.fail(f"job {job} not finished after {JOB_TIMEOUT} s; Scrapyd's log:\n{self.log.read_text()[-3000:]}")

    def job_log(self, spider: str, job: str) -> str:
        path = self.workdir / "logs" / PROJECT / spider / f"{job}.log"
        return path.read_text(encoding="utf-8") if path.exists() else f"(no log at {path})"

    def records(self, spider: str) -> list[dict[str, Any]]:
        """The records of the one job this module runs of ``spider``."""
        (path,) = (self.workdir / "output" / spider).glob("*.jsonl")
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def scrapyd_conf(workdir: Path, port: int) -> str:
    return f"""\
[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
username = {USERNAME}
password = {PASSWORD}
eggs_dir = {workdir / "eggs"}
logs_dir = {workdir / "logs"}
dbs_dir = {workdir / "dbs"}
# Empty: records go where the project's output settings say (docs/scrapyd.md).
items_dir =
jobs_dir =
jobs_to_keep = 5
poll_interval = 0.2
max_proc = 2
"""


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def ignore(folder: str, names: list[str]) -> set[str]:
        at_top = IGNORED_AT_TOP if Path(folder) == PROJECT_ROOT else set()
        return {name for name in names if name in IGNORED_ANYWHERE | at_top or name.endswith(".egg-info")}

    copy = tmp_path_factory.mktemp("project") / "rfi-news"
    shutil.copytree(PROJECT_ROOT, copy, ignore=ignore)
    return copy


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    workdir = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (workdir / "scrapyd.conf").write_text(scrapyd_conf(workdir, port), encoding="utf-8")
    # Nothing of the machine's may override the test's configuration: SCRAPYD_USERNAME, SCRAPYD_HTTP_PORT… win
    # over scrapyd.conf, and a ~/.scrapyd.conf is read after it. Nor put the project on Scrapyd's Python path.
    env = {k: v for k, v in os.environ.items() if k not in SCRAPYD_ENV_DROPPED and not k.startswith("SCRAPYD_")}
    env["HOME"] = str(workdir)
    log = workdir / "scrapyd.log"
    server = Scrapyd(f"http://127.0.0.1:{port}/", workdir, log)
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd"], cwd=workdir, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"scrapyd exited with {process.returncode}:\n{log.read_text()}")
            try:
                if server.request("daemonstatus.json")["status"] == "ok":
                    break
            except OSError:  # not listening yet
                if time.monotonic() > deadline:
                    pytest.fail(f"scrapyd did not answer within {STARTUP_TIMEOUT} s:\n{log.read_text()}")
                time.sleep(0.1)
        yield server
    finally:
        # A job still queued or running when a test failed is cancelled: nothing this module started outlives it.
        with contextlib.suppress(OSError, KeyError, ValueError):
            jobs = server.request("listjobs.json")
            for job in jobs["pending"] + jobs["running"]:
                server.request("cancel.json", {"project": job["project"], "job": job["id"]})
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def deployed(scrapyd: Scrapyd, project_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Scrapyd:
    """The project deployed with ``scrapyd-deploy test``; the credentials come from the environment."""
    user_config = tmp_path_factory.mktemp("xdg")
    # A machine's own target, in the user's scrapy.cfg; scrapyd-client expands ${VAR} in it.
    (user_config / "scrapy.cfg").write_text(
        f"[deploy:test]\nurl = {scrapyd.url}\nusername = ${{SCRAPYD_USERNAME}}\npassword = ${{SCRAPYD_PASSWORD}}\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(user_config),
        "SCRAPYD_USERNAME": USERNAME,
        "SCRAPYD_PASSWORD": PASSWORD,
    }
    deploy = subprocess.run(
        [SCRAPYD_DEPLOY, "test"],
        cwd=project_copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert json.loads(deploy.stdout)["status"] == "ok", deploy.stdout
    return scrapyd


def refusal_status(scrapyd: Scrapyd, endpoint: str, data: dict[str, Any] | None, auth: str) -> int:
    with pytest.raises(urllib.error.HTTPError) as refused:
        scrapyd.request(endpoint, data, auth=auth)
    refused.value.close()
    return refused.value.code


def test_scrapyd_refuses_calls_without_the_right_credentials(scrapyd: Scrapyd) -> None:
    assert refusal_status(scrapyd, "listprojects.json", None, auth="") == 401
    assert refusal_status(scrapyd, "listprojects.json", None, auth=f"{USERNAME}:wrong") == 401
    assert refusal_status(scrapyd, "schedule.json", {"project": PROJECT, "spider": "archive"}, auth="") == 401


def test_deploy_lists_the_project_and_its_spiders(deployed: Scrapyd) -> None:
    assert PROJECT in deployed.request("listprojects.json")["projects"]
    assert deployed.request(f"listspiders.json?project={PROJECT}")["spiders"] == ["archive", "feedx", "rfi", "warc"]


def test_archive_job_gives_the_records_of_the_command_line(deployed: Scrapyd, archive_crawl: CrawlResult) -> None:
    job = deployed.schedule("archive", {"path": str(ARCHIVE_DIR)})
    deployed.wait_finished(job)
    log = deployed.job_log("archive", job)
    assert "Spider closed (finished)" in log, log[-3000:]
    # The job's outcome: the log's last lines are the verdict and the report beside the job's records.
    verdict, report_line = log.rstrip().splitlines()[-2:]
    assert verdict.endswith(
        "INFO: rfi-news archive: HEALTHY (exit 0). 48 record(s) written, 0 dropped, finish reason finished."
    )
    report = deployed.workdir / report_line.removeprefix("  report: ")
    assert report.parent == deployed.workdir / "output" / "archive"
    assert json.loads(report.read_text(encoding="utf-8"))["status"] == "healthy"

    records = deployed.records("archive")
    links = [archive_link(path) for path in sorted(ARCHIVE_DIR.glob("*.md"))]
    assert len(links) == 48
    assert len(records) == 48, log[-3000:]
    assert {record["url"] for record in records} == {canonical(link) for link in links}
    # The very records of `scrapy crawl archive`, but for the time each was made.
    by_url = {record["url"]: record for record in archive_crawl.records}
    for record in records:
        assert {**record, "crawled_at": None} == {**by_url[record["url"]], "crawled_at": None}


def test_feedx_job_reads_the_feed_given_as_an_argument(deployed: Scrapyd, server: FixtureServer) -> None:
    job = deployed.schedule("feedx", {"feed_url": server.url("/feeds/feedx_rfi.xml")})
    deployed.wait_finished(job)
    log = deployed.job_log("feedx", job)
    assert "Spider closed (finished)" in log, log[-3000:]

    feed = (FIXTURES / "feeds" / "feedx_rfi.xml").read_text(encoding="utf-8")
    items = feed.split("<item>")[1:]
    links = [item.partition("<link>")[2].partition("</link>")[0] for item in items]
    assert len(links) == 12
    records = deployed.records("feedx")
    assert len(records) == 12, log[-3000:]
    assert {record["url"] for record in records} == {canonical(link) for link in links}
    assert {record["source"] for record in records} == {"feedx"}
    assert server.count("/feeds/feedx_rfi.xml") == 1


def test_egg_holds_the_package_its_data_and_entry_point_and_no_tests(project_copy: Path, tmp_path: Path) -> None:
    egg = tmp_path / "rfi_news.egg"
    build = subprocess.run(
        [SCRAPYD_DEPLOY, "--build-egg", str(egg)],
        cwd=project_copy,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    with zipfile.ZipFile(egg) as archive:
        names = set(archive.namelist())
        schema = archive.read("rfi_news/schemas/article.schema.json")
        entry_points = configparser.ConfigParser()
        entry_points.read_string(archive.read("EGG-INFO/entry_points.txt").decode())
        metadata = archive.read("EGG-INFO/PKG-INFO").decode()
    assert {"rfi_news/__init__.py", "rfi_news/settings.py", "rfi_news/spiders/archive.py"} <= names
    assert "rfi_news/spiders/feedx.py" in names
    assert schema == (PROJECT_ROOT / "rfi_news" / "schemas" / "article.schema.json").read_bytes()
    assert not [name for name in names if name.startswith("tests/")]
    assert dict(entry_points["scrapy"]) == {"settings": "rfi_news.settings"}
    assert f"\nVersion: {rfi_news.__version__}\n" in metadata

    # The package reads its data from inside the zipped egg (pkgutil, never __file__).
    read_schema = subprocess.run(
        [sys.executable, "-c", READ_SCHEMA],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(egg)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert read_schema.returncode == 0, read_schema.stderr
    module_file, title = read_schema.stdout.splitlines()
    assert Path(module_file).is_relative_to(egg)
    assert title == json.loads(schema)["title"]
