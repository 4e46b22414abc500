from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from rfi_news.schemas import article_schema
from tests.crawl import CrawlResult, run_crawl
from tests.fixture_server import FixtureServer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARCHIVE_DIR = FIXTURES / "archive"
EXPECTED_ARCHIVE_DIR = FIXTURES / "expected" / "archive"


def archive_link(path: Path) -> str:
    """The link of an archive fixture, read straight from its ``[title](link)`` line (not through the project)."""
    title_line = path.read_text(encoding="utf-8").splitlines()[1]
    link = re.fullmatch(r"\[.*\]\((\S+)\)", title_line)
    assert link, path
    return link.group(1)


def utf8_refusal(text: str) -> str:
    """What Python says when ``text`` cannot be encoded as UTF-8 (a lone surrogate): a reader's detail, as is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return str(exc)
    raise AssertionError(f"{text!r} encodes as UTF-8")


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (a refused connection, or a port for a server to take)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_expected(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def schema_validator() -> Draft7Validator:
    return Draft7Validator(article_schema())


@pytest.fixture(scope="session")
def fixture_server() -> Iterator[FixtureServer]:
    server = FixtureServer(FIXTURES).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def site_server() -> Iterator[FixtureServer]:
    """A second server that plays www.rfi.fr from tests/fixtures/site/ (pass its origin as RFI_ORIGIN)."""
    server = FixtureServer(FIXTURES / "site", default_type="text/html; charset=utf-8").start()
    yield server
    server.stop()


@pytest.fixture
def site(site_server: FixtureServer) -> FixtureServer:
    """The reconstructed rfi.fr site, with no scripted routes and no recorded requests."""
    site_server.reset()
    return site_server


@pytest.fixture
def server(fixture_server: FixtureServer) -> FixtureServer:
    """The session's fixture server, with no scripted routes and no recorded requests."""
    fixture_server.reset()
    return fixture_server


@pytest.fixture(scope="session")
def archive_crawl(tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """One crawl of every real archive fixture, as a user runs it (shared by the record tests)."""
    result = run_crawl("archive", tmp_path_factory.mktemp("archive"), args={"path": str(ARCHIVE_DIR)})
    assert result.returncode == 0, result.log
    return result


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``live`` need the internet: skipped unless asked for with ``-m live``."""
    if "live" in (config.option.markexpr or ""):
        return
    skip_live = pytest.mark.skip(reason="needs the internet; run with -m live")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip_live)
