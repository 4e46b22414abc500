"""The one reader of RFI's article-body HTML.

Feed items, archive items and article pages carry the same markup (``div.t-content__body`` with ``p``, ``h2``,
lists, embeds, ads and promos). This module turns such a tree into paragraphs, the copyright line and the
authors, and it is the only code in the project that does.

Hostile markup: the tree is read whole (libxml2's ``huge_tree``: text nodes over 10 MB, nesting past 256) up to
:data:`MAX_DEPTH` levels; deeper markup (no article is nested like that) raises
:class:`~rfi_news.errors.InvalidInput` (``too_deep``) rather than being cut short in silence, as does markup
that libxml2 itself gave up on (``unreadable_html``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction

from rfi_news.errors import InvalidInput
from rfi_news.normalize.text import ZERO_WIDTH, is_punctuation_only

# Elements that hold a paragraph of text.
BLOCK_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote"})
_BLOCK_TAG_NAMES = tuple(sorted(BLOCK_TAGS))
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
# The label of a feed item's author block (``<div><span>作者：</span><a title=…>``). The feed's share block and
# footer are the item templates' trailing blocks (rfi_news.parsers.item), dropped before this reader sees the item.
AUTHOR_LABEL = "作者："
_AUTHOR_LABEL_UTF8 = AUTHOR_LABEL.encode("utf-8")
# A related-reading line (``延伸阅读：<a>…</a>``) inside the body links elsewhere: it is not the article's text.
RELATED_READING_PREFIX = "延伸阅读"
# What may stand before that prefix in a raw block: white space (str.isspace) and zero-width characters.
_LEADING_FILLER = "".join(chr(code) for code in range(0x3001) if chr(code).isspace()) + ZERO_WIDTH
# How deep the body reader follows nested elements. Real bodies are a dozen levels deep; the readers below recurse
# once or twice per level, so this bound also keeps them far from Python's recursion limit.
MAX_DEPTH = 256
# What lxml cannot hold in a tree (XML 1.0's forbidden control characters) and what UTF-8 cannot hold (lone
# surrogates). Control characters are removed from the text later anyway (OUTPUT.md, normalised text step 2).
_UNHOLDABLE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udfff]")
# The same control characters as UTF-8 bytes (each is one byte there, which no other character's bytes contain).
_UNHOLDABLE_CONTROL_BYTES = bytes(range(0x20)).translate(None, b"\t\n\r")
# A fragment's own document tags: libxml2 would end the body at ``</body>`` or ``</html>`` and drop what follows,
# or open a second body; a feed item's description is body content whatever tags it wraps itself in.
# Matched in the UTF-8 bytes, once what lxml cannot hold is gone (a control character inside ``</bo\x01dy>`` must
# not hide it); there ``\s`` is ASCII white space, which is what ends a tag name for libxml2.
_DOCUMENT_TAG_RE = re.compile(rb"<!doctype[^>]*>|</?(?:html|head|body)(?:\s[^>]*)?/?>", re.IGNORECASE)


@dataclass
class BodyText:
    """What the body reader found: raw (not yet normalised) text, in document order."""

    paragraphs: list[str] = field(default_factory=list)
    credit: str | None = None
    authors: list[str] = field(default_factory=list)


# lxml.html's default parser calls back into Python for the class of every element the code touches (to give
# forms and inputs classes of their own, which nothing here uses); this one chooses HtmlElement in C.
# It reads UTF-8 bytes: libxml2 parses them as they are, where a str would be converted from Python's own
# representation first (a tenth of the parse); the encoding given wins over any <meta charset> in a fragment.
_PARSER = lxml_html.HTMLParser(huge_tree=True, encoding="utf-8")
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
)


def holdable(markup: str) -> str:
    """``markup`` without what an lxml tree cannot hold: forbidden control characters dropped, lone surrogates
    as U+FFFD."""
    return _UNHOLDABLE_RE.sub(lambda match: "" if match.group() < "\ud800" else "\ufffd", markup)


def holdable_utf8(markup: str) -> bytes:
    """``holdable(markup)`` as UTF-8. Markup that needs no change (all real markup) is only checked, in C:
    encoding fails on a lone surrogate, and the control bytes are counted; a regex over the text took as long as
    a third of the parse."""
    try:
        data = markup.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return holdable(markup).encode("utf-8")
    if "\ufffe" in markup or "\uffff" in markup or len(data.translate(None, _UNHOLDABLE_CONTROL_BYTES)) < len(data):
        return holdable(markup).encode("utf-8")
    return data


# An element MAX_DEPTH levels below the root: asked of libxml2 as one XPath, which walks the tree in C (a third
# of the cost of a Python walk over lxml's events, for every record) and needs no recursion. libxml2 evaluates
# every step, even over an empty set, so a real tree (a dozen levels) is first asked the shallower question.
_TOO_DEEP = etree.XPath("boolean(." + "/*" * MAX_DEPTH + ")")
_DEEPER_THAN_REAL = etree.XPath("boolean(." + "/*" * 32 + ")")


def check_depth(root: HtmlElement) -> None:
    """Raise :class:`InvalidInput` (``too_deep``) when elements nest more than :data:`MAX_DEPTH` levels below
    ``root``, the root counted as the first level."""
    if _DEEPER_THAN_REAL(root) and _TOO_DEEP(root):
        raise InvalidInput("too_deep", f"elements nested more than {MAX_DEPTH} levels")


def parse_fragment(markup: str) -> HtmlElement:
    """Parse an HTML fragment into one ``div`` that holds it, whatever the fragment's top level is.

    Like ``lxml.html.fragment_fromstring(markup, create_parent="div")``, with the ``div`` made by our parser (elements
    in it take their classes from its document), and for any string: document tags inside the fragment are
    ignored (``<html>``, ``…</body><body>…``), as is what lxml cannot hold. Raises :class:`InvalidInput` when
    libxml2 gave up on the markup or it nests deeper than :data:`MAX_DEPTH`.
    """
    if not isinstance(markup, str):
        raise InvalidInput("not_text", f"markup is {type(markup).__name__}, not a string")
    data = _DOCUMENT_TAG_RE.sub(b"", holdable_utf8(markup))
    document = etree.fromstring(b"<html><body>" + data + b"</body></html>", _PARSER)
    errors = [error for error in _PARSER.error_log if error.level >= etree.ErrorLevels.FATAL]
    if errors:
        reason = "too_deep" if "depth" in errors[0].message.lower() else "unreadable_html"
        raise InvalidInput(reason, " ".join(errors[0].message.split()))
    root = document.find("body")
    if root is None:
        raise InvalidInput("unreadable_html", "the fragment did not parse into a body")
    root.tag = "div"  # the body element itself holds the fragment: a stray </div> cannot close it
    check_depth(root)
    return root


def _classes(element: HtmlElement) -> list[str]:
    return (element.get("class") or "").split()


def is_skipped(element: HtmlElement) -> bool:
    """True for an element none of whose text belongs in the paragraphs."""
    tag = element.tag
    if not isinstance(tag, str) or tag in SKIPPED_TAGS:
        return True
    # Asked of every element the readers visit: plain loops over the attribute names (a list; ``element.attrib``
    # made a proxy object per call) and the classes, no generators.
    names = element.keys()
    if not names:  # most elements: nothing more to look at
        return False
    for name in names:
        if name.startswith(SKIPPED_ATTRIBUTE_PREFIXES):
            return True
    classes = element.get("class")
    if classes:
        for cls in classes.split():
            if cls.startswith(SKIPPED_CLASS_PREFIXES) or cls == AUTHOR_BLOCK_CLASS:
                return True
    return False


def _add_inline_parts(node: HtmlElement, parts: list[str]) -> None:
    """``node``'s text, then each child's inline text and tail; ``node`` itself is known not to be skipped."""
    parts.append(node.text or "")
    for child in node:
        if child.tag == "br":
            parts.append(" ")
        elif not is_skipped(child):
            _add_inline_parts(child, parts)
        parts.append(child.tail or "")


def inline_text(element: HtmlElement) -> str:
    """Text of an inline run, joined with no separator added; ``<br>`` is a space."""
    if element.tag == "br":
        return " "
    if is_skipped(element):
        return ""
    parts: list[str] = []
    _add_inline_parts(element, parts)
    return "".join(parts)


def _has_block_inside(element: HtmlElement) -> bool:
    if len(element) == 0:  # most paragraphs: no child at all
        return False
    # The tags are matched by lxml in C: most paragraphs hold inline elements only, which Python never sees here.
    return any(not is_skipped(node) for node in element.iterdescendants(*_BLOCK_TAG_NAMES))


def _add_block_texts(block: HtmlElement, texts: list[str]) -> None:
    """The text of one block; a block holding other blocks gives way to them, its loose text kept apart."""
    if not _has_block_inside(block):
        parts: list[str] = []
        _add_inline_parts(block, parts)  # not inline_text(): _add_texts has already checked the block
        texts.append("".join(parts))
        return
    pending = [block.text or ""]
    for child in block:
        if isinstance(child.tag, str) and (child.tag in BLOCK_TAGS or _has_block_inside(child)):
            texts.append("".join(pending))
            _add_texts(child, texts)
            pending = [child.tail or ""]
        else:
            pending.append(inline_text(child))
            pending.append(child.tail or "")
    texts.append("".join(pending))


def _add_texts(element: HtmlElement, texts: list[str]) -> None:
    """Append the texts of ``element``'s blocks to ``texts``, in document order (empty ones included)."""
    if is_skipped(element):
        return
    if element.tag in BLOCK_TAGS:
        if COPYRIGHT_CLASS not in _classes(element):
            _add_block_texts(element, texts)
        return
    for child in element:
        if isinstance(child.tag, str):
            _add_texts(child, texts)


def read_authors(root: HtmlElement, elements: list[HtmlElement] | None = None) -> list[str]:
    """Names in author blocks: a page's ``a.m-from-author__name``, a feed item's ``作者：`` line.

    Each name is the link's ``title`` when it has one (the text is padded on pages), else its text; a name given
    twice is left for the labels pipeline to drop once normalised. ``elements``: the tree's nodes in document
    order, when the caller holds them already (``list(root.iter())``).
    """
    if elements is None:
        elements = list(root.iter())
    # Reading each element's text made a string of every paragraph; the tree's whole text, made by libxml2 in one
    # call, says whether any element's text can hold the label (most items have none).
    label_in_tree = _AUTHOR_LABEL_UTF8 in etree.tostring(root, method="text", encoding="utf-8")
    names: list[str] = []
    for element in elements:
        if not isinstance(element.tag, str):  # a comment
            continue
        classes = element.get("class")
        if classes and AUTHOR_NAME_CLASS in classes.split():
            candidates = [element]
        elif label_in_tree and _opens_with_label(element):
            if AUTHOR_BLOCK_CLASS in _classes(element.getparent()):
                continue  # a page's author block: its names are found by their class
            candidates = [sibling for sibling in element.itersiblings() if sibling.tag == "a"]
        else:
            continue
        for link in candidates:
            name = link.get("title") or link.text_content()
            if name and name.strip():
                names.append(name)
    return names


def _opens_with_label(element: HtmlElement) -> bool:
    """True for an element (not the root) whose own text opens with the author label."""
    text = element.text
    return bool(text and text.lstrip().startswith(AUTHOR_LABEL) and element.getparent() is not None)


def is_body_text(text: str) -> bool:
    """True for a block's text that belongs in the paragraphs: it has words (not empty, not only punctuation:
    ``.``, ``<p> </p>``) and it is no related-reading line."""
    return not is_punctuation_only(text) and not text.lstrip(_LEADING_FILLER).startswith(RELATED_READING_PREFIX)


def read_body(root: HtmlElement, *, depth_checked: bool = False) -> BodyText:
    """Paragraphs, credit and authors of an article body (or of a whole feed item).

    Raises :class:`InvalidInput` (``too_deep``) for a tree nested more than :data:`MAX_DEPTH` levels, unless
    ``depth_checked`` says the caller has bounded it already (:func:`parse_fragment` does: a feed item's tree is
    not walked twice).
    """
    if not depth_checked:
        check_depth(root)
    # lxml makes a new Python object for an element at each visit unless one is still held: holding them all
    # while the readers below go over the tree spares making each one three or four times.
    elements = list(root.iter())
    credit_nodes = [el for el in elements if el.tag == "p" and COPYRIGHT_CLASS in _classes(el)]
    texts: list[str] = []
    _add_texts(root, texts)
    return BodyText(
        paragraphs=[text for text in texts if is_body_text(text)],
        credit=inline_text(credit_nodes[0]) if credit_nodes else None,
        authors=read_authors(root, elements),
    )
