"""The project's one way of writing a file that a reader never sees half-written, and of placing it durably.

Every file the project publishes (output parts, the stats file, the health report) is written under a hidden
temporary name beside its target, flushed and ``fsync``-ed, then ``os.replace()``-d onto the target (atomic on
POSIX), and the folder is ``fsync``-ed so the rename itself survives a power cut.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

PART_SUFFIX = ".part"


def hidden_part_path(path: Path, tag: str = "") -> Path:
    """``<dir>/.<name>[.<tag>].part``: hidden, and never named like the output (``*.jsonl``)."""
    tagged = f".{tag}" if tag else ""
    return path.with_name(f".{path.name}{tagged}{PART_SUFFIX}")


def fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def replace_durably(part: Path, target: Path) -> None:
    """Rename a finished (already ``fsync``-ed) ``part`` onto ``target`` and make the rename durable."""
    part.replace(target)
    fsync_folder(target.parent)


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a reader sees the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = hidden_part_path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with part.open("wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        replace_durably(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
