"""Reading WARC files record by record, a damaged record costing that record only.

In a ``.warc.gz`` each record is its own gzip member (as the WARC standard recommends, and as the capture writes
them). The members are taken apart here with :mod:`zlib`, one after the other, and each one is parsed by warcio:
warcio's own reader, given a damaged member, may stop the file there or read the garbage as an uncompressed
stream. So:

- a member whose compressed data is corrupt is reported (``unreadable``) and reading goes on at the next gzip
  member after it (found by the gzip magic number: what follows the damage is not lost);
- a file that ends inside a member (cut short) reports that record (``truncated``): the records before are kept;
- a record whose bytes are fewer than its ``Content-Length`` says (``truncated``), whose digests do not match
  (``digest``) or that warcio cannot parse (``unreadable``) is reported and skipped.

A magic number met inside a damaged member can look like the start of a member; one that gives no record is
part of the damage already reported, not a second one: a run of damaged bytes is reported once.

A plain ``.warc`` is read with warcio's iterator; after a damage, reading resumes at the next ``WARC/1.`` line.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParserException

GZIP_MEMBER_START = b"\x1f\x8b\x08"
WARC_RECORD_START = b"WARC/1."
CHUNK = 1 << 16
# What warcio raises on a record it cannot parse: its own errors, a header block that is not WARC/HTTP, a stream
# ending inside the record headers, a bad number.
PARSE_ERRORS = (ArchiveLoadFailed, StatusAndHeadersParserException, EOFError, ValueError, zlib.error)


@dataclass(frozen=True)
class WarcRecord:
    """One whole record: its WARC headers, its HTTP headers (request/response records), its payload."""

    offset: int
    type: str
    headers: StatusAndHeaders
    http_headers: StatusAndHeaders | None
    payload: bytes

    def header(self, name: str) -> str | None:
        value: str | None = self.headers.get_header(name)
        return value

    def fields(self) -> dict[str, str]:
        """A ``warcinfo`` (or ``metadata``) record's ``name: value`` lines."""
        fields = {}
        for line in self.payload.decode("utf-8", errors="replace").splitlines():
            name, colon, value = line.partition(":")
            if colon:
                fields[name.strip()] = value.strip()
        return fields


# Called with the offset of the damaged record (where its gzip member starts), a short reason (also the stats
# key: ``truncated``, ``digest``, ``unreadable``) and a detail for the log.
OnDamage = Callable[[int, str, str], None]


def read_warc(path: Path, on_damage: OnDamage) -> Iterator[WarcRecord]:
    """Every whole record of the file at ``path``, in order; each damaged one reported to ``on_damage``."""
    with path.open("rb") as file:
        if file.read(len(GZIP_MEMBER_START)) == GZIP_MEMBER_START:
            for offset, member in _gzip_members(file, on_damage):
                yield from _records(BytesIO(member), offset, on_damage, single_offset=True)
        else:
            yield from _plain_records(file, on_damage)


def _gzip_members(file: IO[bytes], on_damage: OnDamage) -> Iterator[tuple[int, bytes]]:
    """``(offset, decompressed bytes)`` of each gzip member of the file."""
    position: int | None = 0
    resyncing = False
    while position is not None:
        file.seek(position)
        buffer = file.read(CHUNK)
        start = position
        while buffer:
            decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
            output = []
            consumed = 0  # bytes of this member in the chunks read before ``data``
            data = buffer
            try:
                while True:
                    output.append(decompressor.decompress(data))
                    if decompressor.eof:
                        break
                    consumed += len(data)
                    data = file.read(CHUNK)
                    if not data:
                        on_damage(start, "truncated", "the file ends inside this record")
                        return
            except zlib.error as exc:
                if not resyncing:
                    on_damage(start, "unreadable", f"corrupt gzip data: {exc}")
                position = _find(file, GZIP_MEMBER_START, start + 1)
                resyncing = True
                break
            resyncing = False
            yield start, b"".join(output)
            buffer = decompressor.unused_data
            start += consumed + len(data) - len(buffer)
            if len(buffer) < len(GZIP_MEMBER_START):
                buffer += file.read(CHUNK)
        else:
            position = None


def _records(
    stream: IO[bytes], base: int, on_damage: OnDamage, single_offset: bool
) -> Generator[WarcRecord, None, int | None]:
    """The records warcio reads from ``stream``: those of one gzip member (all at the member's offset ``base``),
    or those of a plain file from its position on. Returns where a damaged record starts, or ``None`` at the end."""
    iterator = ArchiveIterator(stream, check_digests=True)
    while True:
        try:
            record = next(iterator)
            payload = _read_all(record.raw_stream)
            missing = getattr(record.raw_stream, "limit", 0)
        except StopIteration:
            return None
        except PARSE_ERRORS as exc:
            # The iterator's offset is where the record it was reading starts, whichever step failed.
            offset = base if single_offset else iterator.offset
            on_damage(offset, "unreadable", f"{type(exc).__name__}: {exc}".strip())
            return offset
        offset = base if single_offset else iterator.offset
        if missing:
            on_damage(offset, "truncated", f"{missing} byte(s) fewer than its Content-Length")
            continue
        if record.digest_checker.passed is False:
            on_damage(offset, "digest", "; ".join(record.digest_checker.problems))
            continue
        yield WarcRecord(offset, record.rec_type, record.rec_headers, record.http_headers, payload)


def _plain_records(file: IO[bytes], on_damage: OnDamage) -> Iterator[WarcRecord]:
    position: int | None = 0
    while position is not None:
        file.seek(position)
        damaged_at = yield from _records(file, position, on_damage, single_offset=False)
        position = None if damaged_at is None else _find(file, WARC_RECORD_START, damaged_at + 1)


def _read_all(stream: IO[bytes]) -> bytes:
    chunks = []
    while chunk := stream.read(CHUNK):
        chunks.append(chunk)
    return b"".join(chunks)


def _find(file: IO[bytes], marker: bytes, start: int) -> int | None:
    """The offset of the next ``marker`` at or after ``start``; ``None`` when there is none."""
    file.seek(start)
    carried = b""
    base = start
    while chunk := file.read(CHUNK):
        window = carried + chunk
        found = window.find(marker)
        if found >= 0:
            return base - len(carried) + found
        carried = window[-(len(marker) - 1) :]
        base += len(chunk)
    return None
