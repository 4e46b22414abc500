"""The project's one way of writing a file that a reader never sees half-written, and of placing it durably.

Every file the project publishes (output parts, the stats file, the health report) is written under a hidden
temporary name beside its target, flushed and ``fsync``-ed, then ``os.replace()``-d onto the target (atomic on
POSIX), and the folder is ``fsync``-ed so the rename itself survives a power cut.

Also the one way a run holds a file to itself (the crawl state's lock, the job folder's marker): :func:`take_lock`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

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


class LockHeld(Exception):
    """Another process holds the lock; ``holder`` is what it wrote in the file (``pid N, since T``)."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def take_lock(path: Path) -> IO[str]:
    """``path`` opened (created if need be) and ``flock``-ed, its text intact and read from the start; held until
    the file is closed or the process ends (a killed run leaves no stale lock). Raises :class:`LockHeld`."""
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise LockHeld(holder) from None
    handle.seek(0)
    return handle


def mark_holder(lock: IO[str]) -> None:
    """Write who holds ``lock`` into it, durably: what a run refused meanwhile names."""
    lock.seek(0)
    lock.truncate()
    lock.write(f"pid {os.getpid()}, since {datetime.now(UTC).replace(microsecond=0).isoformat()}\n")
    lock.flush()
    os.fsync(lock.fileno())
