"""Local output files that are never seen half-written: Scrapy's file storage, made atomic.

Scrapy's ``FileFeedStorage`` writes straight into the final file, so a killed run leaves a file that ends in
the middle of a line. :class:`AtomicFileFeedStorage` (registered for local paths in ``FEED_STORAGES``) writes to
``<dir>/.<name>.part`` instead and, when the feed is stored at the end of the run, flushes, fsyncs and
``os.replace()``-s it into place, then fsyncs the folder so the rename itself survives a power cut. A reader
sees the old file or the new one, whole; a killed run leaves only a ``.part`` file (hidden, and not ``*.jsonl``),
which the next run writing the same file replaces.

``-O`` (overwrite) writes the new file from scratch. ``-o`` (append) starts the temporary file with a copy of
the existing one, so an append is atomic too, at the cost of copying the file once per run: fine for the
per-run files of scheduled crawls, worth knowing for a single file that grows for years.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import IO, Any

from scrapy import Spider
from scrapy.extensions.feedexport import FileFeedStorage

PART_SUFFIX = ".part"


def part_path_of(path: Path) -> Path:
    return path.with_name(f".{path.name}{PART_SUFFIX}")


class AtomicFileFeedStorage(FileFeedStorage):
    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.final_path = Path(self.path)
        self.part_path = part_path_of(self.final_path)

    def open(self, spider: Spider) -> IO[bytes]:
        self.final_path.parent.mkdir(parents=True, exist_ok=True)
        if self.write_mode == "ab" and self.final_path.exists():
            shutil.copyfile(self.final_path, self.part_path)
        else:
            self.part_path.unlink(missing_ok=True)  # a killed run's leftover
        return self.part_path.open(self.write_mode)

    def store(self, file: IO[bytes]) -> None:
        file.flush()
        os.fsync(file.fileno())
        file.close()
        self.part_path.replace(self.final_path)  # os.replace: atomic on POSIX
        directory = os.open(self.final_path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
