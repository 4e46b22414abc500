"""Feed exporters: CSV whose list fields a spreadsheet user can read.

Scrapy's CSV exporter joins a list with ``,``, so the paragraphs of an article run together and their
boundaries are lost. Here every list field (``paragraphs``, ``authors``, ``tags``) is one cell with **one entry
per line** (``LIST_SEPARATOR``, a line feed; the cell is quoted): a paragraph never holds a line feed (the
normaliser makes every white-space run one space), so splitting the cell on line feeds gives the list back.
"""

from __future__ import annotations

from typing import Any

from scrapy.exporters import CsvItemExporter

LIST_SEPARATOR = "\n"


class CsvRecordExporter(CsvItemExporter):
    def __init__(self, file: Any, **kwargs: Any) -> None:
        kwargs.setdefault("join_multivalued", LIST_SEPARATOR)
        super().__init__(file, **kwargs)
