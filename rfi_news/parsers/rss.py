"""An RSS 2.0 document: its items' title, link, pubDate and description.

The description may come as CDATA or entity-escaped HTML; lxml gives the same text for both. The XML is read
from bytes, so its own declaration (not an HTTP header) decides the encoding.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree


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
    errors: list[str] = field(default_factory=list)  # what the XML parser had to repair or skip
    readable: bool = True  # False when no RSS could be read at all


def _child_text(item: etree._Element, name: str) -> str | None:
    for child in item:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return child.text
    return None


def _items(root: etree._Element) -> Iterator[etree._Element]:
    for element in root.iter():
        if isinstance(element.tag, str) and etree.QName(element).localname == "item":
            yield element


def read_feed(data: bytes) -> FeedDocument:
    """Read every item of an RSS document; broken XML gives what could be recovered, and says so."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        return FeedDocument(errors=[str(exc)], readable=False)
    errors = [f"line {error.line}: {error.message}" for error in parser.error_log]
    if root is None:
        return FeedDocument(errors=errors or ["no XML document"], readable=False)
    entries = [
        FeedEntry(
            title=_child_text(item, "title"),
            link=_child_text(item, "link"),
            pub_date=_child_text(item, "pubDate"),
            description=_child_text(item, "description"),
        )
        for item in _items(root)
    ]
    readable = etree.QName(root).localname in ("rss", "RDF", "feed") or bool(entries)
    encoding = root.getroottree().docinfo.encoding
    return FeedDocument(entries=entries, encoding=encoding, errors=errors, readable=readable)
