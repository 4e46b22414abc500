"""``scrapy state rebuild SPIDER OUTPUT…``: a spider's crawl state made again from its published output files.

The published files are the record of what was emitted, so they are the way out when the state file is damaged
or emptied (a run then refuses to start and says so). Every ``*.jsonl`` under the folders given (or each file
given) is read in name order, the order of the runs; an article's last line decides what the state keeps (its
content hash and ``updated``, as :mod:`rfi_news.state` computes them). Files a run kept beside a healthy one
(``*.unhealthy.jsonl``) and hidden part files are not output and are left out. The state's folder is
``RFI_STATE_DIR``; the old file is kept beside the new one as ``<spider>.sqlite3.damaged-<time>``. Feeds'
validators are not in the output: the next feed request is unconditional, and emits only what is new or changed.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from rfi_news.feedstorage import UNHEALTHY_TAG
from rfi_news.state import EmittedArticle, RunRefused, rebuild_state, state_dir_of


def output_files(paths: list[Path]) -> list[Path]:
    files: set[Path] = set()
    for path in paths:
        if path.is_dir():
            files.update(
                found
                for found in path.rglob("*.jsonl")
                if not found.name.startswith(".") and UNHEALTHY_TAG + ".jsonl" not in found.name
            )
        elif path.is_file():
            files.add(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    return sorted(files, key=lambda found: (found.name, str(found)))


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}  # noqa: RUF012  (ScrapyCommand declares it a plain dict)

    def syntax(self) -> str:
        return "rebuild <spider> <output folder or file> [...]"

    def short_desc(self) -> str:
        return "Rebuild a spider's crawl state (RFI_STATE_DIR) from its published output files"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) < 3 or args[0] != "rebuild":
            raise UsageError("usage: scrapy state rebuild <spider> <output folder or file> [...]")
        spider, paths = args[1], [Path(arg) for arg in args[2:]]
        assert self.settings is not None
        directory = state_dir_of(self.settings)
        if directory is None:
            raise UsageError("set RFI_STATE_DIR (a setting or the environment variable) to the state's folder")
        files = output_files(paths)
        if not files:
            print(f"No output file (*.jsonl) in {', '.join(map(str, paths))}: nothing to rebuild from")
            self.exitcode = 1
            return
        counts = {"lines": 0, "unreadable": 0}

        def articles() -> Iterator[EmittedArticle]:
            for path in files:
                with path.open(encoding="utf-8", errors="replace") as lines:
                    for number, line in enumerate(lines, start=1):
                        counts["lines"] += 1
                        try:
                            record = json.loads(line)
                            yield EmittedArticle.of(record)
                        except (ValueError, KeyError, TypeError):
                            counts["unreadable"] += 1
                            print(f"{path}:{number}: not a record, skipped")

        try:
            kept_articles, kept = rebuild_state(Path(directory), spider, articles())
        except RunRefused as exc:
            print(f"Not rebuilding: {exc}")
            self.exitcode = 1
            return
        print(
            f"Rebuilt {Path(directory) / f'{spider}.sqlite3'} from {len(files)} file(s): {kept_articles} article(s)"
            f" from {counts['lines']} line(s), {counts['unreadable']} unreadable"
            + (f"; the old file is kept as {kept}" if kept else "")
        )
