"""Log lines about records that fit on one line: a dropped record says why and where from, not its text."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


class RecordLogFormatter(LogFormatter):
    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        result["msg"] = "Dropped: %(exception)s"
        result["args"] = {"exception": exception}
        return result

    def scraped(self, item: Any, response: Any, spider: Any) -> LogFormatterResult:
        return {
            "level": logging.DEBUG,
            "msg": "Scraped %(url)s",
            "args": {"url": item.get("url") if hasattr(item, "get") else item},
        }
