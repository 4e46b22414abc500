"""The normalising pipelines: one field (or one family of fields) each."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from scrapy.exceptions import DropItem

from rfi_news.errors import InvalidInput
from rfi_news.normalize.text import normalize_text, strip_title_affixes, without_surrogates
from rfi_news.normalize.times import UnparseableTime, format_utc, to_utc_string
from rfi_news.normalize.urls import canonical_url, column_of, image_url, language_of, section_of
from rfi_news.pipelines.base import CountingPipeline, fields_of, provenance_of

logger = logging.getLogger(__name__)


class UrlPipeline(CountingPipeline):
    """``url`` made canonical; ``section``, ``column`` and ``language`` read from it.

    A url that is not RFI's (another host, another scheme, unreadable) is never rewritten into one: the record
    is dropped (``rfi_news/url/dropped/<reason>``). The spiders drop such links before; this is the last word.
    """

    concern = "url"

    def process_item(self, item: Any) -> Any:
        record = fields_of(item)
        raw = record.get("url")
        if not raw:
            return item
        try:
            url = canonical_url(raw)
        except InvalidInput as exc:
            self.count(f"dropped/{exc.reason}")
            raise DropItem(f"{provenance_of(record)}: record dropped ({exc.reason})", log_level="WARNING") from None
        if url != raw:
            self.count("canonicalized")
        record["url"] = url
        record["section"] = section_of(url)
        record["column"] = column_of(url)
        record["language"] = language_of(url)
        return item


class TitlePipeline(CountingPipeline):
    """``title`` normalised; the site suffix and the column's suffix or prefix removed."""

    concern = "title"

    def process_item(self, item: Any) -> Any:
        record = fields_of(item)
        normalized = normalize_text(record.get("title"))
        title = strip_title_affixes(normalized, record.get("column"))
        if title != normalized:
            self.count("affix_removed")
        if title != record.get("title"):
            self.count("changed")
        record["title"] = title or None
        return item


class TimestampsPipeline(CountingPipeline):
    """``published``, ``updated``, ``feed_published`` in UTC ``…Z`` form; ``crawled_at`` stamped.

    A time the project cannot read becomes ``None``, with a warning naming the record's source.
    """

    concern = "timestamps"
    fields = ("published", "updated", "feed_published")

    def __init__(self, stats: Any, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__(stats)
        self.clock = clock

    def process_item(self, item: Any) -> Any:
        record = fields_of(item)
        for name in self.fields:
            value = record.get(name)
            if value is None:
                continue
            try:
                record[name] = to_utc_string(value)
                self.count(f"converted/{name}")
            except UnparseableTime as exc:
                logger.warning("%s: %s unreadable, set to null: %s", provenance_of(record), name, exc)
                self.count(f"unparseable/{name}")
                record[name] = None
        if isinstance(record.get("published_raw"), str):
            record["published_raw"] = without_surrogates(record["published_raw"].strip()) or None
        record["crawled_at"] = format_utc(self.clock())
        return item


class ImagePipeline(CountingPipeline):
    """``image`` as an absolute http(s) URL, a relative one resolved against the article; an unusable one
    (``javascript:``, unsplittable) is ``None``: a bad image never costs the article."""

    concern = "image"

    def process_item(self, item: Any) -> Any:
        record = fields_of(item)
        raw = record.get("image")
        if raw is None:
            return item
        image = image_url(raw, record.get("url") or "")
        if image is None:
            self.count("unusable")
            logger.info("%s: image %r unusable, set to null", provenance_of(record), str(raw)[:200])
        elif image != raw:
            self.count("resolved")
        record["image"] = image
        return item


class LeadPipeline(CountingPipeline):
    """``lead`` normalised; an empty chapô (``<p><strong></strong></p>``) is ``None``."""

    concern = "lead"

    def process_item(self, item: Any) -> Any:
        record = fields_of(item)
        raw = record.get("lead")
        lead = normalize_text(raw)
        if raw is not None and not lead:
            self.count("empty")
        record["lead"] = lead or None
        return item


class ParagraphsPipeline(CountingPipeline):
    """Every paragraph normalised; one that normalisation empties, one that repeats the lead or an earlier
    paragraph, dropped. Which blocks are body text at all (no ads, no related reading, no punctuation-only
    block…) is the body reader's rule (:func:`rfi_news.parsers.body.is_body_text`)."""

    concern = "paragraphs"

    def process_item(self, item: Any) -> Any:
        record = fields_of(item)
        lead = record.get("lead")
        kept: list[str] = []
        for raw in record.get("paragraphs") or []:
            text = normalize_text(raw)
            if not text:
                self.count("dropped/empty")
            elif text == lead:
                self.count("dropped/repeats_lead")
            elif text in kept:
                self.count("dropped/repeated")
            else:
                kept.append(text)
        record["paragraphs"] = kept
        return item


class LabelsPipeline(CountingPipeline):
    """``authors``, ``tags`` and ``credit`` normalised; empty and repeated names dropped."""

    concern = "labels"

    def process_item(self, item: Any) -> Any:
        record = fields_of(item)
        for name in ("authors", "tags"):
            values: list[str] = []
            for raw in record.get(name) or []:
                text = normalize_text(raw)
                if text and text not in values:
                    values.append(text)
                else:
                    self.count(f"dropped/{name}")
            record[name] = values
        record["credit"] = normalize_text(record.get("credit")) or None
        return item
