"""OUTPUT.md's "A record is kept when", enforced; a dropped record names its source and a reason."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from rfi_news.pipelines.base import CountingPipeline, origin_of

logger = logging.getLogger(__name__)


def rejection_reason(adapter: ItemAdapter) -> str | None:
    """Why a normalised record may not be kept (a short stats key), or ``None`` when it may."""
    if not adapter.get("url"):
        return "no_url"
    if not adapter.get("language"):
        return "not_a_chinese_edition_url"
    if not adapter.get("title"):
        return "no_title"
    if not adapter.get("lead") and not adapter.get("paragraphs"):
        return "no_text"
    if not adapter.get("published") and not adapter.get("feed_published"):
        return "no_time"
    return None


class ValidationPipeline(CountingPipeline):
    concern = "validation"

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        reason = rejection_reason(adapter)
        if reason is None:
            self.count("kept")
            return item
        self.count(f"dropped/{reason}")
        raise DropItem(f"{origin_of(adapter)}: record dropped ({reason})", log_level="WARNING")
