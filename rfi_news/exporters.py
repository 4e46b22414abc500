"""Feed exporters: CSV whose list fields a spreadsheet user can read, and a JSON Lines exporter that costs less.

CSV: Scrapy's CSV exporter joins a list with ``,``, so the paragraphs of an article run together and their
boundaries are lost. Here every list field (``paragraphs``, ``authors``, ``tags``) is one cell with **one entry
per line** (``LIST_SEPARATOR``, a line feed; the cell is quoted): a paragraph never holds a line feed (the
normaliser makes every white-space run one space), so splitting the cell on line feeds gives the list back.

JSON Lines: Scrapy's ``get_serialized_fields`` wraps the item in an ``ItemAdapter`` and, for each of the 17 exported fields,
asks it whether the field is there, reads the field's metadata for a serializer and reads the value through it:
some 50-70 µs a record. The project's item class declares no serializer, so when the item's class has none and
the fields to export are a plain list (``FEED_EXPORT_FIELDS``), the same ``(name, value)`` pairs, in the same
order, are read from the item directly, and Scrapy's encoder writes the same bytes. Anything else (a field with
a serializer, ``FEED_EXPORT_FIELDS`` as a mapping, empty fields exported) goes through Scrapy's own method.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scrapy import Item
from scrapy.exporters import CsvItemExporter, JsonLinesItemExporter

LIST_SEPARATOR = "\n"


class CsvRecordExporter(CsvItemExporter):
    def __init__(self, file: Any, **kwargs: Any) -> None:
        kwargs.setdefault("join_multivalued", LIST_SEPARATOR)
        super().__init__(file, **kwargs)


def _has_serializers(item_class: type[Item]) -> bool:
    return any("serializer" in field for field in item_class.fields.values())


class JsonLinesExporter(JsonLinesItemExporter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = self.fields_to_export
        self._plain_fields: tuple[str, ...] | None = (
            tuple(fields)
            if fields is not None
            and not isinstance(fields, Mapping)
            and all(isinstance(name, str) for name in fields)
            and not self.export_empty_fields
            else None
        )
        self._without_serializers: dict[type, bool] = {}

    def get_serialized_fields(
        self, item: Any, default_value: Any = None, include_empty: bool | None = None
    ) -> Iterable[tuple[str, Any]]:
        fields = self._plain_fields
        if fields is not None and include_empty is None and isinstance(item, Item | dict):
            item_class = type(item)
            plain = self._without_serializers.get(item_class)
            if plain is None:
                plain = self._without_serializers[item_class] = not (
                    issubclass(item_class, Item) and _has_serializers(item_class)
                )
            if plain:
                present = item.keys()
                return [(name, item[name]) for name in fields if name in present]
        return super().get_serialized_fields(item, default_value, include_empty)
