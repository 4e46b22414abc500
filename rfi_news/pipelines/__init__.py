"""One-concern item pipelines, each a thin wrapper over :mod:`rfi_news.normalize`.

Scrapy calls them as one, :class:`RecordPipeline` (the one ``ITEM_PIPELINES`` entry), in the order of
``RFI_RECORD_PIPELINES`` in settings.py. Their order matters: the URL first (title and validation need the column
and language it derives), the lead before the paragraphs (a paragraph equal to the lead is dropped), the
validation after every normaliser, then the JSON Schema check (Spidermon), the deduplication after them (only
valid records claim a URL), and, with the crawl state on, the incremental filter last (only the run's unique
records are compared with what earlier runs emitted).
Each counts what it changes and drops under ``rfi_news/<concern>/…`` in the crawl stats.
"""

from rfi_news.pipelines.dedup import DeduplicationPipeline
from rfi_news.pipelines.fields import (
    ImagePipeline,
    LabelsPipeline,
    LeadPipeline,
    ParagraphsPipeline,
    TimestampsPipeline,
    TitlePipeline,
    UrlPipeline,
)
from rfi_news.pipelines.record import RecordPipeline
from rfi_news.pipelines.schema import SchemaValidationPipeline
from rfi_news.pipelines.state import IncrementalPipeline
from rfi_news.pipelines.validation import ValidationPipeline

__all__ = [
    "DeduplicationPipeline",
    "ImagePipeline",
    "IncrementalPipeline",
    "LabelsPipeline",
    "LeadPipeline",
    "ParagraphsPipeline",
    "RecordPipeline",
    "SchemaValidationPipeline",
    "TimestampsPipeline",
    "TitlePipeline",
    "UrlPipeline",
    "ValidationPipeline",
]
