"""Run a spider as a user would (``scrapy crawl … -O out.jsonl``) and read what it left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from rfi_news.schemas import article_schema

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Fast, local defaults for tests against 127.0.0.1; the polite production defaults are tested on their own.
TEST_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "RETRY_TIMES": "1",
    "LOG_LEVEL": "INFO",
}


def log_text(log_file: Path) -> str:
    return log_file.read_text(encoding="utf-8") if log_file.exists() else ""


@dataclass
class CrawlResult:
    returncode: int
    records: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str
    output: Path
    stderr: str = ""
    log_file_text: str = ""

    def stat(self, key: str) -> Any:
        return self.stats.get(key, 0)

    @property
    def urls(self) -> set[str]:
        return {record["url"] for record in self.records}


def crawl_command(
    spider: str, *, args: dict[str, str] | None, settings: dict[str, str], output: Path | None = None
) -> list[str]:
    """``scrapy crawl SPIDER [-O output] -a … -s …``, with the fast local test settings under ``settings``."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    if output is not None:
        command += ["-O", str(output)]
    for name, value in (args or {}).items():
        command += ["-a", f"{name}={value}"]
    for name, value in {**TEST_SETTINGS, **settings}.items():
        command += ["-s", f"{name}={value}"]
    return command


def run_crawl(
    spider: str,
    workdir: Path,
    *,
    args: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    output_name: str = "out.jsonl",
    timeout: float = 180,
    env: dict[str, str] | None = None,
) -> CrawlResult:
    workdir.mkdir(parents=True, exist_ok=True)
    output = workdir / output_name
    stats_file = workdir / "stats.json"
    log_file = workdir / "crawl.log"
    crawl_settings = {"STATS_FILE": str(stats_file), "LOG_FILE": str(log_file), **(settings or {})}
    process = subprocess.run(
        crawl_command(spider, args=args, settings=crawl_settings, output=output),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    records = []
    if output.exists():
        records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    # A deprecation warning inside a crawl fails its test, as it does in the test process (filterwarnings).
    assert "DeprecationWarning" not in log_text(log_file), "a deprecation warning was logged"
    # Every record any test produces must fit the schema the package ships.
    validator = Draft7Validator(article_schema())
    for record in records:
        errors = [error.message for error in validator.iter_errors(record)]
        assert not errors, f"{record.get('url')}: {errors}"
    stats = json.loads(stats_file.read_text(encoding="utf-8")) if stats_file.exists() else {}
    log = log_text(log_file)
    return CrawlResult(process.returncode, records, stats, log + process.stderr, output, process.stderr, log)
