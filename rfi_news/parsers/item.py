"""A feed item's description: the article as feedx.net (and the archives that saved it) carry it.

API::

    parse_feed_item(link=…, title=…, description=…, feed_published=…, source=…) -> ItemParse
    ItemParse.record     # dict with OUTPUT.md's keys (minus section, column, language, crawled_at), raw values
    ItemParse.template   # the template unit that read the item: "item-2023" or "item-2020"
    ItemParse.missing    # ["lead", "image", ...]: fields whose template part matched nothing
    ItemParse.problems   # ["no_description"]: bad input seen (stats keys)
    read_item_html(markup) -> ItemContent   # the description alone, split into its raw fields

Its shape, from the real items: ``<div>DD/MM/YYYY - HH:MM</div>``, the main ``<img>`` (or the literal text
``Array``), the chapô as ``<p><strong>…</strong></p>``, the body container, then what follows the article (the
share block, an author block, feedx's ``获取更多RSS`` footer). The head (date line, image, chapô) is taken off
in that order; the body reader (:func:`rfi_news.parsers.body.read_body`, the one reader of feed, archive and page
bodies) reads what is left once the template's trailing blocks are dropped.

Templates as versions, as for article pages (:mod:`rfi_news.parsers.page`): each shape of item RFI's feed has
carried is one class below with its own selectors and trailing-block rules, one short method per field. The item
itself says which one it is (the template's ``MARKER``); an item without any template's marker is read by the
newest template served on its date line's day (``SERVED_FROM``), and one without a date line by the newest
template, whose ``missing`` then says what is gone. Adding the next template is adding one class to
``TEMPLATES`` (newest first) and its dated real items under ``tests/fixtures/`` (with the period's expected
template in ``tests/test_item_templates.py``).

What the real items show (``tests/fixtures/archive/``; ``tests/fixtures/items/README.md`` says how the boundary
was dated):

- :class:`Item2020`, 2020-07 to 2023-05: the head, the body container, then at most an author block (columns)
  and feedx's footer. Within it, the class attributes left the items (``div.t-content__body`` until 2021-08, a
  bare ``<div>`` from 2021-10; whether RFI or feedx dropped them is not known: class rules such as
  ``p.t-copyright`` find nothing after that), and ``Array`` stood for the image in 2021-12/2022-01; neither
  changes a selector.
- :class:`Item2023`, from 2023-06-02: the same head and body, then RFI's share block
  (``<div><div>[分享 :]</div><div><a…>…<span data-root-share>…</div></div>``: icons and no label at first, the
  ``分享 :`` label by 2023-07-12, ``x.com`` for ``twitter.com`` from 2023-09-26). Last item without it:
  2023-05-17. Column items have no share block in either template (2023-05-28, 2023-06-19, 2024-02-02, 2024-04-07):
  their date chooses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import ClassVar, cast

from lxml import etree
from lxml.html import HtmlElement

from rfi_news.errors import InvalidInput
from rfi_news.normalize.times import is_paris_date_line
from rfi_news.normalize.urls import not_rfi_reason
from rfi_news.parsers.body import BodyText, inline_text, parse_fragment, read_body

DEFAULT_IMAGE_SUFFIX = "/meta_og_twcards/RFI_FB.png"
MISSING_IMAGE_TEXT = "Array"  # what the feed prints where a PHP array stood for the image
# Fields reported in ``missing`` when their template part matches nothing, in this order; ``authors`` and ``credit``
# are rare on real items, so their absence says nothing about the layout.
MISSING_FIELDS = ("published", "image", "lead", "paragraphs")
# Missing fields that are the layout monitor's sign that the reader stopped matching: a WARNING for each item.
# The others are only counted: AFP copy has no chapô, many items no usable image.
WARNED_MISSING = {"published": "no date line", "paragraphs": "no paragraphs"}


@dataclass
class ItemContent:
    """Raw (not yet normalised) fields of one feed item's description, the template that read it, what it lacked."""

    published_raw: str | None = None
    image: str | None = None
    lead: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    credit: str | None = None
    template: str = ""
    missing: list[str] = field(default_factory=list)


@dataclass
class ItemParse:
    """A parsed feed item: the raw record, the template that read it, what it lacked, the bad input seen."""

    record: dict[str, object]
    template: str
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """What the spider logs, in words: the layout parts missing, then the bad input."""
        words = [WARNED_MISSING[name] for name in self.missing if name in WARNED_MISSING]
        return words + [problem.replace("_", " ") for problem in self.problems]


def usable_image(url: str | None) -> str | None:
    """``url`` unless it is empty, a ``data:`` placeholder or the site's default card."""
    if not url or not url.strip():
        return None
    url = url.strip()
    if url.startswith("data:") or url.endswith(DEFAULT_IMAGE_SUFFIX) or url == MISSING_IMAGE_TEXT:
        return None
    return url


def _first_element(root: HtmlElement) -> HtmlElement | None:
    for child in root:  # a loop, not next() over a generator: this runs three times per item
        if isinstance(child.tag, str):  # an element, not a comment
            return child
    return None


def date_line(root: HtmlElement) -> HtmlElement | None:
    """The item's first element when it is the date line: a bare ``div`` holding only ``DD/MM/YYYY - HH:MM``."""
    first = _first_element(root)
    if first is not None and first.tag == "div" and len(first) == 0 and is_paris_date_line(first.text or ""):
        return first
    return None


def date_line_day(root: HtmlElement) -> dt.date | None:
    """The (Paris) day of the item's date line, or ``None`` without a date line or for an impossible date."""
    line = date_line(root)
    if line is None:
        return None
    text = (line.text or "").strip()  # DD/MM/YYYY - HH:MM, digits where the date line has them
    try:
        return dt.date(int(text[6:10]), int(text[3:5]), int(text[0:2]))
    except ValueError:
        return None


def _is_lead_block(element: HtmlElement) -> bool:
    """``<p><strong>…</strong></p>``: a ``p`` whose only content is one ``strong``."""
    if element.tag != "p" or len(element) != 1 or element[0].tag != "strong":
        return False
    return not (element.text or "").strip() and not (element[0].tail or "").strip()


# --- The templates ---


class FeedItemTemplate:
    """What every template of RFI's feed item shares: its head, and one method per field.

    A template sets its marker and its trailing blocks (XPath from the item's root, compiled once); the head
    selectors are the same in every template seen so far, so they are methods here, which a template whose head
    differs overrides.
    """

    name: ClassVar[str]
    served: ClassVar[str]  # when the feed carried it, from the dated real items (documentation)
    SERVED_FROM: ClassVar[dt.date]  # the first day a real item of it is known: chooses an item without a marker
    # What only this template's items have: (a string the description must hold, the XPath that confirms it).
    MARKER: ClassVar[tuple[str, etree.XPath] | None] = None
    # Blocks after the article that are not its text: (a string the description must hold, their XPath from the
    # item's root: they stand at its top level, after the body container, in every real item). They are dropped
    # before the body reader reads the rest; the string spares the XPath on items that lack it.
    FEEDX_FOOTER = ("获取更多RSS", etree.XPath("div[starts-with(normalize-space(text()), '获取更多RSS')]"))
    TRAILING: ClassVar[tuple[tuple[str, etree.XPath], ...]] = (FEEDX_FOOTER,)

    def __init__(self, root: HtmlElement, markup: str) -> None:
        """``root``: the item's description as :func:`~rfi_news.parsers.body.parse_fragment` parsed it (its depth
        bounded); ``markup``: that description. The fields are taken off ``root`` as they are read."""
        self.root = root
        self.markup = markup
        self.missing: set[str] = set()

    @classmethod
    def marks(cls, root: HtmlElement, markup: str) -> bool:
        """True when the item has this template's marker."""
        return cls.MARKER is not None and cls.MARKER[0] in markup and bool(cls.MARKER[1](root))

    def trailing_blocks(self) -> list[HtmlElement]:
        """The blocks after the article that this template knows, in the order of ``TRAILING``."""
        # The XPaths select elements only.
        found = (cast(list[HtmlElement], xpath(self.root)) for hint, xpath in self.TRAILING if hint in self.markup)
        return [block for blocks in found for block in blocks]

    # --- one method per field; the head is taken off in document order: date line, image, chapô ---

    def published(self) -> str | None:
        line = date_line(self.root)
        if line is None:
            self.missing.add("published")
            return None
        text = (line.text or "").strip()
        line.drop_tree()
        return text

    def image(self) -> str | None:
        """The ``<img>`` at the top level of the item, before the body; figures inside the body don't count."""
        for child in self.root:
            if child.tag == "img":
                src = child.get("src")
                child.drop_tree()
                return usable_image(src)
            if child.tag in ("p", "div"):
                break
        self.missing.add("image")  # no <img> (the literal text "Array" stands for none)
        return None

    def lead(self) -> str | None:
        # The main <img> before it was taken already (image()), so the first element is the first block.
        first_block = _first_element(self.root)
        if first_block is None or not _is_lead_block(first_block):
            self.missing.add("lead")
            return None
        text = inline_text(first_block)
        first_block.drop_tree()
        return text

    def body(self) -> BodyText:
        for block in self.trailing_blocks():
            block.drop_tree()
        body = read_body(self.root, depth_checked=True)  # the root comes from parse_fragment
        if not body.paragraphs:
            self.missing.add("paragraphs")
        return body

    def read(self) -> ItemContent:
        published_raw = self.published()
        image = self.image()
        lead = self.lead()
        body = self.body()
        return ItemContent(
            published_raw=published_raw,
            image=image,
            lead=lead,
            paragraphs=body.paragraphs,
            authors=body.authors,
            credit=body.credit,
            template=self.name,
            missing=[name for name in MISSING_FIELDS if name in self.missing],
        )


class Item2023(FeedItemTemplate):
    """The item since RFI added its share block after the body (first seen 2023-06-02).

    ``<div><div>分享 :</div><div><a href=facebook…><a href=whatsapp://…><a href=web.whatsapp…><a href=x.com…>
    <span data-root-share>…</span></div></div>`` between the body container and feedx's footer (until 2023-06
    the links held svg icons and there was no label). ``span[data-root-share]`` is in every variant.
    """

    name = "item-2023"
    served = "2023-06-02 onwards"
    SERVED_FROM = dt.date(2023, 6, 2)
    SHARE_BLOCK = ("data-root-share", etree.XPath("div[div/span[@data-root-share]]"))
    MARKER = SHARE_BLOCK
    TRAILING = (SHARE_BLOCK, FeedItemTemplate.FEEDX_FOOTER)


class Item2020(FeedItemTemplate):
    """The item of 2020-07 to 2023-05: head, body container, then at most an author block and feedx's footer."""

    name = "item-2020"
    served = "2020-07 (the first archived item) to 2023-05-17 (the last one seen)"
    SERVED_FROM = dt.date(2020, 7, 1)


# Newest first: an item is read by the first template whose marker it has, else by the newest one served on its day.
TEMPLATES: tuple[type[FeedItemTemplate], ...] = (Item2023, Item2020)


def template_for(root: HtmlElement, markup: str) -> type[FeedItemTemplate]:
    """The template of an item: by its marker, else by its date line's day, else the newest."""
    marked = next((template for template in TEMPLATES if template.marks(root, markup)), None)
    if marked is not None:
        return marked
    day = date_line_day(root)
    if day is None:
        return TEMPLATES[0]
    return next((template for template in TEMPLATES if day >= template.SERVED_FROM), TEMPLATES[-1])


def read_item_html(markup: str) -> ItemContent:
    """Split a feed item's description into its fields; :class:`InvalidInput` for markup that cannot be read
    (see :func:`rfi_news.parsers.body.parse_fragment`)."""
    if not isinstance(markup, str):
        raise InvalidInput("not_text", f"description is {type(markup).__name__}, not a string")
    if not markup.strip():
        # Nothing to read: the newest template reports every field missing.
        return ItemContent(template=TEMPLATES[0].name, missing=list(MISSING_FIELDS))
    root = parse_fragment(markup)
    return template_for(root, markup)(root, markup).read()


def parse_feed_item(
    *, link: str | None, title: str | None, description: str, feed_published: object, source: str
) -> ItemParse:
    """The raw record of one feed (or archived feed) item, before the pipelines normalise it, the template that
    read it, the fields it lacked and the bad input seen (short stats keys such as ``no_description``), for the
    spider to log and count.

    ``published`` is the raw date line; the timestamps pipeline reads it as Paris local time.

    Raises :class:`InvalidInput` for a link that is not RFI's (``not_rfi_host``, ``not_http_scheme``,
    ``bad_url``): another host's text is never published under an RFI url. A missing link is left to the
    validation (``no_url``).
    """
    if link is not None and not isinstance(link, str):
        raise InvalidInput("bad_url", f"link is {type(link).__name__}, not a string")
    if link and link.strip() and (reason := not_rfi_reason(link)):
        raise InvalidInput(reason, repr(link[:200]))
    if title is not None and not isinstance(title, str):
        raise InvalidInput("not_text", f"title is {type(title).__name__}, not a string")
    content = read_item_html(description)
    record: dict[str, object] = {
        "url": link,
        "title": title,
        "published": content.published_raw,
        "published_raw": content.published_raw,
        "feed_published": feed_published,
        "lead": content.lead,
        "paragraphs": content.paragraphs,
        "authors": content.authors,
        "image": content.image,
        "credit": content.credit,
        "source": source,
    }
    problems = [] if description.strip() else ["no_description"]
    return ItemParse(record=record, template=content.template, missing=content.missing, problems=problems)
