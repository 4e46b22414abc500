"""Every record checked against the project's JSON Schema, with Spidermon's validator and Spidermon's stats.

This is Spidermon's item validation (``SPIDERMON_VALIDATION_SCHEMAS``, ``SPIDERMON_VALIDATION_DROP_ITEMS_WITH_ERRORS``,
the ``spidermon/validation/…`` stats its schema monitor reads) through its public classes only: the validator is a
:class:`~spidermon.contrib.validation.JSONSchemaValidator` (see :class:`CompiledJSONSchemaValidator`) and the
counts go through Spidermon's :class:`~spidermon.contrib.scrapy.stats.ValidationStatsManager`, so every key and
error message is Spidermon's own.

Spidermon's ``ItemValidationPipeline`` is not used as such because of what it validates and what that costs: it
validates ``ItemAdapter(item).asdict()``, every field of the item, including the internal ``provenance`` and
``file_digest`` (never exported, not in the schema, whose ``additionalProperties`` is false), and that
``asdict()`` walks every paragraph through itemadapter's item-type checks, 60-110 µs a record, a fifth of the
whole budget of a record. This pipeline validates the record as the feed exporter writes it (the
``FEED_EXPORT_FIELDS`` the item has), and passes the item itself on. A record that does not match is dropped
(with ``SPIDERMON_VALIDATION_DROP_ITEMS_WITH_ERRORS``) with one WARNING naming its source and its errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import fastjsonschema
from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from spidermon.contrib.scrapy.stats import ValidationStatsManager
from spidermon.contrib.validation import JSONSchemaValidator
from spidermon.contrib.validation.jsonschema.tools import get_schema_from

from rfi_news.items import RECORD_FIELDS
from rfi_news.pipelines.base import provenance_of


class CompiledJSONSchemaValidator(JSONSchemaValidator):
    """Spidermon's JSON Schema validator with a compiled fast path for valid records.

    Spidermon builds a ``jsonschema`` validator and walks it for every record (about 300 µs a record);
    ``fastjsonschema`` compiles the same schema to Python once (about 25 µs a record). A valid record stops there;
    an invalid one (rare) is validated by Spidermon's own :meth:`validate`, so its errors and their messages are
    exactly Spidermon's.
    """

    def __init__(self, schema: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self._is_valid = fastjsonschema.compile(schema)

    def validate(self, data: Any, strict: bool = False) -> tuple[bool, Mapping[str, list[str]]]:
        try:
            self._is_valid(data)
        except fastjsonschema.JsonSchemaException:
            return super().validate(data, strict=strict)
        return True, {}


def load_schema(schema: Any) -> dict[str, Any]:
    """A schema as ``SPIDERMON_VALIDATION_SCHEMAS`` may give it: a dict, or a path or object path Spidermon reads."""
    if isinstance(schema, str):
        schema = get_schema_from(schema)
    if not isinstance(schema, dict):
        raise NotConfigured(f"SPIDERMON_VALIDATION_SCHEMAS: not a JSON Schema: {schema!r}")
    return schema


class _KeyRecorder:
    """A stats collector that only notes the keys it is asked to count."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.keys.append(key)


class SchemaValidationPipeline:
    """Drops (and counts, with Spidermon's stats) a record that does not match the JSON Schema."""

    def __init__(
        self,
        validators: list[CompiledJSONSchemaValidator],
        stats: Any,
        drop_items_with_errors: bool,
        exported_fields: tuple[str, ...] = RECORD_FIELDS,
    ) -> None:
        self.validators = validators
        self.drop_items_with_errors = drop_items_with_errors
        self.exported_fields = exported_fields
        self.crawl_stats = stats
        self.stats = ValidationStatsManager(stats)
        for validator in validators:
            self.stats.add_validator("Item", validator.name)  # Spidermon's key for schemas given as a list
        # The two counts of every record, under the keys Spidermon's manager writes them to, asked of it once: it
        # slugifies each part of a key on every call (some 30 µs a record for these two).
        keys = _KeyRecorder()
        ValidationStatsManager(keys).add_item()
        ValidationStatsManager(keys).add_fields(0)
        self.items_key, self.fields_key = keys.keys

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        schemas = settings.get("SPIDERMON_VALIDATION_SCHEMAS")
        if not settings.getbool("SPIDERMON_ENABLED") or not schemas:
            raise NotConfigured("Spidermon or its SPIDERMON_VALIDATION_SCHEMAS are off")
        if not isinstance(schemas, list | tuple):
            raise NotConfigured("SPIDERMON_VALIDATION_SCHEMAS: a list of schemas (the record has one item class)")
        return cls(
            [CompiledJSONSchemaValidator(load_schema(schema)) for schema in schemas],
            crawler.stats,
            drop_items_with_errors=settings.getbool("SPIDERMON_VALIDATION_DROP_ITEMS_WITH_ERRORS"),
            exported_fields=tuple(settings.getlist("FEED_EXPORT_FIELDS") or RECORD_FIELDS),
        )

    def process_item(self, item: Any) -> Any:
        values = dict(item) if isinstance(item, Mapping) else dict(ItemAdapter(item))
        record = {name: values[name] for name in self.exported_fields if name in values}
        self.crawl_stats.inc_value(self.items_key)
        self.crawl_stats.inc_value(self.fields_key, len(record))
        for validator in self.validators:
            ok, errors = validator.validate(record)
            if ok:
                continue
            for field_name, messages in errors.items():
                for message in messages:
                    self.stats.add_field_error(field_name, message)
            self.stats.add_item_with_errors()
            if self.drop_items_with_errors:
                self.stats.add_dropped_item()
                source = provenance_of(ItemAdapter(item))
                details = "; ".join(f"{field or '<record>'}: {', '.join(texts)}" for field, texts in errors.items())
                raise DropItem(f"{source}: record does not match the JSON Schema: {details}", log_level="WARNING")
        return item
