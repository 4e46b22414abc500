"""Spidermon's extension, counting field coverage in one cheap pass per record.

Spidermon's ``item_scraped`` reads five settings, parses its skip list and walks the record through
``ItemAdapter`` for every record (60-70 µs each here). :class:`FieldCoverageSpidermon` reads the settings once
and counts the same stats keys with the same rules (``SPIDERMON_FIELD_COVERAGE_SKIP_NONE``, ``…_SKIP_FALSY``,
``…_SKIP_VALUES``): ``spidermon_item_scraped_count``, ``spidermon_item_scraped_count/<item class>`` and
``spidermon_item_scraped_count/<item class>/<field>``, from which Spidermon computes the
``spidermon_field_coverage/…`` shares when the spider closes, as it always does. A record Spidermon would walk
deeper (a dict value, or ``SPIDERMON_LIST_FIELDS_COVERAGE_LEVELS``/``…_DICT_FIELDS_COVERAGE_LEVELS`` set) is
handed to Spidermon's own walk, so the figures are Spidermon's in every case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from spidermon.contrib.scrapy.extensions import Spidermon


class FieldCoverageSpidermon(Spidermon):
    """Spidermon (monitors, suites, coverage shares) with a one-pass ``item_scraped``; see the module's doc."""

    def __init__(self, crawler: Crawler, *args: Any, **kwargs: Any) -> None:
        super().__init__(crawler, *args, **kwargs)
        settings = crawler.settings
        self.skip_none = settings.getbool("SPIDERMON_FIELD_COVERAGE_SKIP_NONE", False)
        self.skip_falsy = settings.getbool("SPIDERMON_FIELD_COVERAGE_SKIP_FALSY", True)
        # Spidermon skips a value equal to an entry of the same type (so False is not 0): grouped by type here.
        self.skip_values_by_type: dict[type, list[Any]] = {}
        for value in self._get_skip_values_list(settings):
            self.skip_values_by_type.setdefault(type(value), []).append(value)
        self.walks_deeper = (
            settings.getint("SPIDERMON_LIST_FIELDS_COVERAGE_LEVELS", 0) > 0
            or settings.get("SPIDERMON_DICT_FIELDS_COVERAGE_LEVELS", -1) != -1
        )
        self.stats = crawler.stats
        self._count_keys: dict[type, tuple[str, dict[str, str]]] = {}

    def item_scraped(self, item: Any, response: Any, spider: Any) -> None:
        if self.walks_deeper:
            super().item_scraped(item, response, spider)
            return
        skip_none, skip_falsy, skip_by_type = self.skip_none, self.skip_falsy, self.skip_values_by_type
        counted = []
        for name, value in item.items() if isinstance(item, Mapping) else ItemAdapter(item).items():
            if isinstance(value, dict):  # Spidermon walks into it: its own walk counts the whole record
                super().item_scraped(item, response, spider)
                return
            if value is None:
                if skip_none:
                    continue
            elif skip_falsy and not value:
                continue
            skipped = skip_by_type.get(type(value))
            if skipped is not None and value in skipped:
                continue
            counted.append(name)
        inc_value = self.stats.inc_value
        item_key, field_keys = self._keys_of(type(item))
        inc_value("spidermon_item_scraped_count")
        inc_value(item_key)
        for name in counted:
            inc_value(field_keys.get(name) or field_keys.setdefault(name, f"{item_key}/{name}"))

    def _keys_of(self, item_class: type) -> tuple[str, dict[str, str]]:
        """Spidermon's count key for the item class, and its per-field keys (made once, not per record)."""
        keys = self._count_keys.get(item_class)
        if keys is None:
            keys = self._count_keys[item_class] = (f"spidermon_item_scraped_count/{item_class.__name__}", {})
        return keys
