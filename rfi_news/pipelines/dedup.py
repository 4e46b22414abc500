"""One ``url``, one record: the second record of a URL within a run is dropped."""

from __future__ import annotations

import hashlib
from typing import Any

from scrapy.exceptions import DropItem

from rfi_news.pipelines.base import CountingPipeline, fields_of, provenance_of


class DeduplicationPipeline(CountingPipeline):
    concern = "dedup"

    def __init__(self, stats: Any) -> None:
        super().__init__(stats)
        self.seen_urls: set[bytes] = set()  # digests of the URLs seen, see url_key()

    def process_item(self, item: Any) -> Any:
        record = fields_of(item)
        url = record["url"]
        key = url_key(url)
        if key in self.seen_urls:
            self.count("dropped")
            raise DropItem(f"{provenance_of(record)}: duplicate of an earlier record of {url}", log_level="INFO")
        self.seen_urls.add(key)
        return item


def url_key(url: str) -> bytes:
    """A 16-byte digest of ``url``: the set holds one per record of the run, and a URL (percent-encoded CJK) is
    some 200 characters; 128 bits make a collision as good as impossible."""
    return hashlib.blake2b(url.encode("utf-8"), digest_size=16).digest()
