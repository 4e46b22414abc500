"""An RSS 2.0 document: its items' title, link, pubDate and description.

The description may come as CDATA or entity-escaped HTML; lxml gives the same text for both. The XML is read
from bytes, so its own declaration (not an HTTP header) decides the encoding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from io import BytesIO

from lxml import etree

_DECLARED_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
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
    encoding: str | None = None  # as the XML declaration says
    error: str | None = None  # where the XML broke off; the entries are those completed before it
    readable: bool = True  # False when the document is not RSS at all


def _local_name(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


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

    XML that breaks off (a cut download, a bad byte) gives the items that closed before the break, never a
    half item: a cut article would otherwise pass for a whole one.
    """
    declared = _DECLARED_ENCODING_RE.match(data)
    document = FeedDocument(encoding=declared.group(1).decode("ascii") if declared else None)
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
    except etree.XMLSyntaxError as exc:
        document.error = " ".join(str(exc).split())
    document.readable = root_name in FEED_ROOTS
    return document
