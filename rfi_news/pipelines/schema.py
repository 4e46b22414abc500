"""Every record checked against the project's JSON Schema, with Spidermon's item validation pipeline.

Spidermon validates ``ItemAdapter(item).asdict()``: every field of the item, including ``origin``, which is
internal (it names the source in log lines), is never exported and is not in the schema (``additionalProperties``
is false). So this pipeline hands Spidermon the record as the feed exporter writes it (the ``FEED_EXPORT_FIELDS``
the item has) and passes the item itself on. A record that does not match is dropped (with
``SPIDERMON_VALIDATION_DROP_ITEMS_WITH_ERRORS``), logged with its source and errors, and counted under
``spidermon/validation/…``, where the schema monitor reads it.
"""

from __future__ import annotations

from typing import Any, Self

import fastjsonschema
from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline
from spidermon.contrib.validation import JSONSchemaValidator

from rfi_news.items import RECORD_FIELDS
from rfi_news.pipelines.base import origin_of


class CompiledJSONSchemaValidator(JSONSchemaValidator):
    """Spidermon's JSON Schema validator with a compiled fast path.

    Spidermon builds a ``jsonschema`` validator and walks it for every record: about 300 µs a record, as much as
    the rest of the pipelines together. ``fastjsonschema`` compiles the same schema to Python once (about 25 µs a
    record). A valid record stops there; an invalid one (rare) goes through Spidermon's own validation, so the
    errors, their messages and the stats are exactly Spidermon's.
    """

    def __init__(self, schema: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self._is_valid = fastjsonschema.compile(schema)

    def _validate(self, data: Any, strict: bool = False) -> None:
        try:
            self._is_valid(data)
        except fastjsonschema.JsonSchemaException:
            super()._validate(data, strict=strict)


class SchemaValidationPipeline(ItemValidationPipeline):
    exported_fields: tuple[str, ...] = RECORD_FIELDS

    @classmethod
    def _load_jsonschema_validator(cls, schema: Any) -> JSONSchemaValidator:
        # Spidermon's hook for building a schema's validator: the same checks, compiled.
        return CompiledJSONSchemaValidator(super()._load_jsonschema_validator(schema)._schema)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = super().from_crawler(crawler)
        if isinstance(pipeline, cls):
            pipeline.exported_fields = tuple(crawler.settings.getlist("FEED_EXPORT_FIELDS") or RECORD_FIELDS)
        return pipeline

    def exported_view(self, item: Any) -> dict[str, Any]:
        """The record as the feed exporter writes it: only the exported fields the item has."""
        adapter = ItemAdapter(item)
        return {name: adapter[name] for name in self.exported_fields if name in adapter}

    def process_item(self, item: Any) -> Any:
        # Spidermon's own process_item, on the exported record, without its ItemAdapter(item).asdict(): that walks
        # every paragraph through itemadapter's item-type checks (about 450 µs a record, more than all the other
        # pipelines), and an exported record is plain JSON data already. Stats, errors and drops are Spidermon's.
        record = self.exported_view(item)
        self.stats.add_item()
        self.stats.add_fields(len(record))
        for validator in self.find_validators(item):
            ok, errors = validator.validate(record)
            if ok:
                continue
            self._add_error_stats(errors)
            if self.drop_items_with_errors:
                try:
                    self._drop_item(item, errors)
                except DropItem as exc:
                    raise DropItem(
                        f"{origin_of(ItemAdapter(item))}: record does not match the JSON Schema: {exc}",
                        log_level="WARNING",
                    ) from None
        return item

    def _drop_item(self, item: Any, errors: dict[str, list[str]]) -> None:
        # Spidermon's documented hook for saying more about a dropped item: here, which fields failed and why.
        self.stats.add_dropped_item()
        raise DropItem("; ".join(f"{field or '<record>'}: {', '.join(messages)}" for field, messages in errors.items()))
