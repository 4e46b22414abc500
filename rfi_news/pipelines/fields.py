"""The normalising pipelines: one field (or one family of fields) each."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from rfi_news.errors import InvalidInput
from rfi_news.normalize.text import normalize_text, strip_title_affixes, without_surrogates
from rfi_news.normalize.times import UnparseableTime, format_utc, to_utc_string
from rfi_news.normalize.urls import canonical_url, column_of, image_url, language_of, section_of
from rfi_news.pipelines.base import CountingPipeline, origin_of

logger = logging.getLogger(__name__)


class UrlPipeline(CountingPipeline):
    """``url`` made canonical; ``section``, ``column`` and ``language`` read from it.

    A url that is not RFI's (another host, another scheme, unreadable) is never rewritten into one: the record
    is dropped (``rfi_news/url/dropped/<reason>``). The spiders drop such links before; this is the last word.
    """

    concern = "url"

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        raw = adapter.get("url")
        if not raw:
            return item
        try:
            url = canonical_url(raw)
        except InvalidInput as exc:
            self.count(f"dropped/{exc.reason}")
            raise DropItem(f"{origin_of(adapter)}: record dropped ({exc.reason})", log_level="WARNING") from None
        if url != raw:
            self.count("canonicalized")
        adapter["url"] = url
        adapter["section"] = section_of(url)
        adapter["column"] = column_of(url)
        adapter["language"] = language_of(url)
        return item


class TitlePipeline(CountingPipeline):
    """``title`` normalised; the site suffix and the column's suffix or prefix removed."""

    concern = "title"

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        normalized = normalize_text(adapter.get("title"))
        title = strip_title_affixes(normalized, adapter.get("column"))
        if title != normalized:
            self.count("affix_removed")
        if title != adapter.get("title"):
            self.count("changed")
        adapter["title"] = title or None
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
        adapter = ItemAdapter(item)
        for name in self.fields:
            value = adapter.get(name)
            if value is None:
                continue
            try:
                adapter[name] = to_utc_string(value)
                self.count(f"converted/{name}")
            except UnparseableTime as exc:
                logger.warning("%s: %s unreadable, set to null: %s", origin_of(adapter), name, exc)
                self.count(f"unparseable/{name}")
                adapter[name] = None
        if isinstance(adapter.get("published_raw"), str):
            adapter["published_raw"] = without_surrogates(adapter["published_raw"].strip()) or None
        adapter["crawled_at"] = format_utc(self.clock())
        return item


class ImagePipeline(CountingPipeline):
    """``image`` as an absolute http(s) URL, a relative one resolved against the article; an unusable one
    (``javascript:``, unsplittable) is ``None``: a bad image never costs the article."""

    concern = "image"

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        raw = adapter.get("image")
        if raw is None:
            return item
        image = image_url(raw, adapter.get("url") or "")
        if image is None:
            self.count("unusable")
            logger.info("%s: image %r unusable, set to null", origin_of(adapter), str(raw)[:200])
        elif image != raw:
            self.count("resolved")
        adapter["image"] = image
        return item


class LeadPipeline(CountingPipeline):
    """``lead`` normalised; an empty chapô (``<p><strong></strong></p>``) is ``None``."""

    concern = "lead"

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        raw = adapter.get("lead")
        lead = normalize_text(raw)
        if raw is not None and not lead:
            self.count("empty")
        adapter["lead"] = lead or None
        return item


class ParagraphsPipeline(CountingPipeline):
    """Every paragraph normalised; one that normalisation empties, one that repeats the lead or an earlier
    paragraph, dropped. Which blocks are body text at all (no ads, no related reading, no punctuation-only
    block…) is the body reader's rule (:func:`rfi_news.parsers.body.is_body_text`)."""

    concern = "paragraphs"

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        lead = adapter.get("lead")
        kept: list[str] = []
        for raw in adapter.get("paragraphs") or []:
            text = normalize_text(raw)
            if not text:
                self.count("dropped/empty")
            elif text == lead:
                self.count("dropped/repeats_lead")
            elif text in kept:
                self.count("dropped/repeated")
            else:
                kept.append(text)
        adapter["paragraphs"] = kept
        return item


class LabelsPipeline(CountingPipeline):
    """``authors``, ``tags`` and ``credit`` normalised; empty and repeated names dropped."""

    concern = "labels"

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for name in ("authors", "tags"):
            values: list[str] = []
            for raw in adapter.get(name) or []:
                text = normalize_text(raw)
                if text and text not in values:
                    values.append(text)
                else:
                    self.count(f"dropped/{name}")
            adapter[name] = values
        adapter["credit"] = normalize_text(adapter.get("credit")) or None
        return item
