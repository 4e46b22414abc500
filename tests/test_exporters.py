"""The JSON Lines exporter writes the bytes Scrapy's writes."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import scrapy
from scrapy.exporters import JsonLinesItemExporter

from rfi_news.exporters import JsonLinesExporter
from rfi_news.items import RECORD_FIELDS, new_article


def exported(exporter_class: type[JsonLinesItemExporter], items: list[Any], **options: Any) -> bytes:
    output = BytesIO()
    exporter = exporter_class(output, **options)
    exporter.start_exporting()
    for item in items:
        exporter.export_item(item)
    exporter.finish_exporting()
    return output.getvalue()


class Serialized(scrapy.Item):
    url = scrapy.Field()
    title = scrapy.Field(serializer=str.upper)


def test_the_same_bytes_as_scrapys_exporter() -> None:
    items = [
        new_article(
            url="https://www.rfi.fr/cn/中国/20231230-x",
            title='日本加强与中俄博弈 "引号"',
            paragraphs=["中亚五国。", "第二段\n"],
            feed_published="2023-12-30T09:15:01Z",
            provenance="/data/x.md",
            file_digest=b"\x00\x01",
        ),
        {"url": "https://www.rfi.fr/cn/y", "extra": 1, "title": None},
        Serialized(url="https://www.rfi.fr/cn/z", title="abc"),
    ]
    options = {"encoding": "utf-8", "fields_to_export": list(RECORD_FIELDS)}
    ours = exported(JsonLinesExporter, items, **options)
    assert ours == exported(JsonLinesItemExporter, items, **options)
    first, second, third = ours.decode("utf-8").splitlines()
    # By hand: the exported fields in FEED_EXPORT_FIELDS' order, nothing internal, UTF-8 as is.
    assert first.startswith(
        '{"url": "https://www.rfi.fr/cn/中国/20231230-x", "title": "日本加强与中俄博弈 \\"引号\\"", '
    )
    assert '"provenance"' not in first
    assert '"file_digest"' not in first
    assert second == '{"url": "https://www.rfi.fr/cn/y", "title": null}'
    assert third == '{"url": "https://www.rfi.fr/cn/z", "title": "ABC"}'  # a field's serializer still applies


def test_other_options_are_scrapys() -> None:
    items = [new_article(url="https://www.rfi.fr/cn/a", title="标题")]
    for options in (
        {},
        {"fields_to_export": {"url": "link"}},
        {"fields_to_export": ["url", "lead"], "export_empty_fields": True},
    ):
        assert exported(JsonLinesExporter, items, **options) == exported(JsonLinesItemExporter, items, **options)
