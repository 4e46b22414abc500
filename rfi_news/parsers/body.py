"""The one reader of RFI's article-body HTML.

Feed items, archive items and article pages carry the same markup (``div.t-content__body`` with ``p``, ``h2``,
lists, embeds, ads and promos). This module turns such a tree into paragraphs, the copyright line and the
authors, and it is the only code in the project that does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import html as lxml_html
from lxml.html import HtmlElement

# Elements that hold a paragraph of text.
BLOCK_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote"})
# Elements whose text is never body text (captions, players, code, controls).
SKIPPED_TAGS = frozenset(
    {"figure", "figcaption", "picture", "video-player", "script", "style", "svg", "button", "noscript", "iframe"}
)
# Class prefixes of blocks that are not the article: read-more gate, self-promotion, ads, share bar, tags.
SKIPPED_CLASS_PREFIXES = ("m-interstitial", "o-self-promo", "m-block-ad", "t-content__shares", "m-share-bar")
SKIPPED_ATTRIBUTE_PREFIXES = ("data-selfpromo-",)
COPYRIGHT_CLASS = "t-copyright"
AUTHOR_BLOCK_CLASS = "m-from-author"
AUTHOR_NAME_CLASS = "m-from-author__name"
# Labels that open blocks the feed adds around the body: the share links, the author block and feedx's footer.
SHARE_LABEL = "分享 :"
AUTHOR_LABEL = "作者："
FEED_FOOTER_LABEL = "获取更多RSS"

_SPACE_RE = re.compile(r"\s+")


@dataclass
class BodyText:
    """What the body reader found: raw (not yet normalised) text, in document order."""

    paragraphs: list[str] = field(default_factory=list)
    credit: str | None = None
    authors: list[str] = field(default_factory=list)


def parse_fragment(markup: str) -> HtmlElement:
    """Parse an HTML fragment into one ``div`` that holds it, whatever the fragment's top level is."""
    return lxml_html.fragment_fromstring(markup, create_parent="div")


def _classes(element: HtmlElement) -> list[str]:
    return (element.get("class") or "").split()


def _own_label(element: HtmlElement) -> str:
    """The element's first text, collapsed: enough to recognise ``分享 :`` or ``作者：``."""
    return _SPACE_RE.sub(" ", element.text or "").strip()


def _is_label_block(element: HtmlElement) -> bool:
    """A feed-made block: the share links, the author line, feedx's footer."""
    label = _own_label(element)
    return label == SHARE_LABEL or label.startswith((AUTHOR_LABEL, FEED_FOOTER_LABEL))


def is_skipped(element: HtmlElement) -> bool:
    """True for an element none of whose text belongs in the paragraphs."""
    tag = element.tag
    if not isinstance(tag, str) or tag in SKIPPED_TAGS:
        return True
    if any(cls.startswith(SKIPPED_CLASS_PREFIXES) for cls in _classes(element)):
        return True
    if any(name.startswith(SKIPPED_ATTRIBUTE_PREFIXES) for name in element.attrib):
        return True
    return AUTHOR_BLOCK_CLASS in _classes(element)


def inline_text(element: HtmlElement) -> str:
    """Text of an inline run, joined with no separator added; ``<br>`` is a space."""
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        if node.tag == "br":
            parts.append(" ")
        elif not is_skipped(node):
            parts.append(node.text or "")
            for child in node:
                walk(child)
                parts.append(child.tail or "")

    walk(element)
    return "".join(parts)


def _has_block_inside(element: HtmlElement) -> bool:
    return any(
        isinstance(node.tag, str) and node.tag in BLOCK_TAGS and not is_skipped(node)
        for node in element.iterdescendants()
    )


def _block_texts(block: HtmlElement) -> Iterator[str]:
    """The text of one block; a block holding other blocks gives way to them, its loose text kept apart."""
    if not _has_block_inside(block):
        yield inline_text(block)
        return
    pending = [block.text or ""]
    for child in block:
        if isinstance(child.tag, str) and (child.tag in BLOCK_TAGS or _has_block_inside(child)):
            yield "".join(pending)
            yield from _walk(child)
            pending = [child.tail or ""]
        else:
            if child.tag == "br":
                pending.append(" ")
            elif not is_skipped(child):
                pending.append(inline_text(child))
            pending.append(child.tail or "")
    yield "".join(pending)


def _walk(element: HtmlElement) -> Iterator[str]:
    if is_skipped(element) or _is_label_block(element):
        return
    if element.tag in BLOCK_TAGS:
        if COPYRIGHT_CLASS in _classes(element):
            return
        yield from _block_texts(element)
        return
    for child in element:
        if isinstance(child.tag, str):
            yield from _walk(child)


def read_authors(root: HtmlElement) -> list[str]:
    """Names in author blocks: a page's ``a.m-from-author__name``, a feed item's ``作者：`` line.

    Each name is the link's ``title`` when it has one (the text is padded on pages), else its text.
    """
    names: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if AUTHOR_NAME_CLASS in _classes(element):
            candidates = [element]
        elif _own_label(element).startswith(AUTHOR_LABEL) and element.getparent() is not None:
            if AUTHOR_BLOCK_CLASS in _classes(element.getparent()):
                continue  # a page's author block: its names are found by their class
            candidates = [sibling for sibling in element.itersiblings() if sibling.tag == "a"]
        else:
            continue
        for link in candidates:
            name = link.get("title") or link.text_content()
            if name and name.strip() and name not in names:
                names.append(name)
    return names


def read_body(root: HtmlElement) -> BodyText:
    """Paragraphs, credit and authors of an article body (or of a whole feed item)."""
    credit_nodes = [el for el in root.iter("p") if COPYRIGHT_CLASS in _classes(el)]
    return BodyText(
        paragraphs=[text for text in _walk(root) if text.strip()],
        credit=inline_text(credit_nodes[0]) if credit_nodes else None,
        authors=read_authors(root),
    )
