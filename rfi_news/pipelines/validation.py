"""OUTPUT.md's "A record is kept when", enforced; a dropped record names its source and a reason."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from scrapy.exceptions import DropItem

from rfi_news.pipelines.base import CountingPipeline, fields_of, provenance_of

logger = logging.getLogger(__name__)


def rejection_reason(record: Mapping[str, Any]) -> str | None:
    """Why a normalised record may not be kept (a short stats key), or ``None`` when it may."""
    if not record.get("url"):
        return "no_url"
    if not record.get("language"):
        return "not_a_chinese_edition_url"
    if not record.get("title"):
        return "no_title"
    if not record.get("lead") and not record.get("paragraphs"):
        return "no_text"
    if not record.get("published") and not record.get("feed_published"):
        return "no_time"
    return None


class ValidationPipeline(CountingPipeline):
    concern = "validation"

    def process_item(self, item: Any) -> Any:
        record = fields_of(item)
        reason = rejection_reason(record)
        if reason is None:
            self.count("kept")
            return item
        self.count(f"dropped/{reason}")
        raise DropItem(f"{provenance_of(record)}: record dropped ({reason})", log_level="WARNING")
