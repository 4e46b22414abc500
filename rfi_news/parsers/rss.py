"""An RSS 2.0 document: its items' title, link, pubDate and description.

The description may come as CDATA or entity-escaped HTML; lxml gives the same text for both. The XML is read
from bytes, so its own declaration (not an HTTP header) decides the encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO

from lxml import etree
from w3lib.encoding import html_body_declared_encoding

from rfi_news.errors import InvalidInput

FEED_ROOTS = frozenset({"rss", "RDF"})


@dataclass
class FeedEntry:
    title: str | None
    link: str | None
    pub_date: str | None
    description: str | None


@dataclass
class FeedDocument:
    entries: list[FeedEntry] = field(default_factory=list)
    encoding: str | None = None  # as the XML declaration says, resolved by w3lib (``UTF-8`` is ``utf-8``)
    error: str | None = None  # where the XML broke off; the entries are those completed before it
    readable: bool = True  # False when the document is not RSS at all


def _local_name(element: etree._Element) -> str:
    """``item`` for ``item``, ``{ns}item`` and ``rss:item``; ``""`` for comments and processing instructions.

    By hand rather than with ``etree.QName``, which raises on a tag such as ``a:b:c`` (an odd element that must
    not cost its feed).
    """
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2].rpartition(":")[2]


def _entry(item: etree._Element) -> FeedEntry:
    texts = {_local_name(child): child.text for child in item}
    return FeedEntry(
        title=texts.get("title"),
        link=texts.get("link"),
        pub_date=texts.get("pubDate"),
        description=texts.get("description"),
    )


def read_feed(data: bytes) -> FeedDocument:
    """Every complete item of an RSS document.

    XML that breaks off (a cut download, a bad byte, an encoding libxml2 does not know, nesting past libxml2's
    limit) gives the items that closed before the break, never a half item: a cut article would otherwise pass
    for a whole one. ``data`` that is not bytes raises :class:`~rfi_news.errors.InvalidInput`.
    """
    if not isinstance(data, bytes | bytearray):
        raise InvalidInput("not_bytes", f"feed data is {type(data).__name__}, not bytes")
    document = FeedDocument(encoding=html_body_declared_encoding(bytes(data[:4096])))
    root_name = None
    events = etree.iterparse(
        BytesIO(data), events=("start", "end"), resolve_entities=False, no_network=True, huge_tree=True
    )
    try:
        for event, element in events:
            if root_name is None:
                root_name = _local_name(element)
            if event == "end" and _local_name(element) == "item":
                document.entries.append(_entry(element))
                element.clear()
    # XMLSyntaxError for broken XML; LookupError and ValueError for what libxml2 refuses outright.
    except (etree.XMLSyntaxError, LookupError, ValueError) as exc:
        document.error = " ".join(str(exc).split())[:300] or type(exc).__name__
    document.readable = root_name in FEED_ROOTS
    return document
