"""A sitemap (``urlset``) or sitemap index (``sitemapindex``): its ``<loc>`` values, in document order.

Read as Scrapy's ``scrapy.utils.sitemap.Sitemap`` reads one (libxml2 in recover mode, no entities resolved, no
network), but whole (``huge_tree``) and without stopping at an odd element: a processing instruction, a
``<loc>`` holding markup or an element name such as ``a:b:c`` costs at most its own entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from rfi_news.errors import InvalidInput

SITEMAP_TYPES = frozenset({"urlset", "sitemapindex"})
ENTRY_NAMES = frozenset({"url", "sitemap"})


@dataclass
class SitemapDocument:
    type: str  # "urlset" or "sitemapindex"
    locs: list[str] = field(default_factory=list)
    empty_entries: int = 0  # <url>/<sitemap> entries without a readable <loc> text


def _local_name(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2].rpartition(":")[2] if isinstance(tag, str) else ""


def read_sitemap(data: bytes) -> SitemapDocument:
    """The ``<loc>`` of every entry; :class:`InvalidInput` (``not_a_sitemap``) when ``data`` is no sitemap."""
    if not isinstance(data, bytes | bytearray):
        raise InvalidInput("not_a_sitemap", f"{type(data).__name__}, not bytes")
    parser = etree.XMLParser(
        recover=True, remove_comments=True, remove_pis=True, resolve_entities=False, no_network=True, huge_tree=True
    )
    try:
        root = etree.fromstring(bytes(data), parser=parser)
        root_name = _local_name(root) if root is not None else ""
    # XMLSyntaxError for no XML at all; ValueError (UnicodeDecodeError) for a tag that recover mode kept undecoded.
    except (etree.XMLSyntaxError, LookupError, ValueError) as exc:
        raise InvalidInput("not_a_sitemap", " ".join(str(exc).split())[:200]) from None
    if root_name not in SITEMAP_TYPES:
        raise InvalidInput("not_a_sitemap", "no <urlset> or <sitemapindex> root")
    document = SitemapDocument(type=root_name)
    for entry in root:
        try:
            if _local_name(entry) not in ENTRY_NAMES:
                continue
            loc = next((child for child in entry if _local_name(child) == "loc"), None)
            text = (loc.text or "").strip() if loc is not None else ""
        except ValueError:  # recover mode keeps bytes that are not UTF-8; lxml refuses them when asked for text
            text = ""
        if text:
            document.locs.append(text)
        else:
            document.empty_entries += 1
    return document
