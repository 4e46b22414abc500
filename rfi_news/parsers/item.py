"""A feed item's description: the article as feedx.net (and the archives that saved it) carry it.

Its shape, from the real items: ``<div>DD/MM/YYYY - HH:MM</div>``, the main ``<img>`` (or the literal text
``Array``), the chapô as ``<p><strong>…</strong></p>``, the body container, then the share links, an author
block and feedx's ``获取更多RSS`` footer. Everything but the head (date, image, chapô) is left to the body
reader, which knows what to skip.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml.html import HtmlElement

from rfi_news.errors import InvalidInput
from rfi_news.normalize.times import is_paris_date_line
from rfi_news.normalize.urls import not_rfi_reason
from rfi_news.parsers.body import inline_text, parse_fragment, read_body

DEFAULT_IMAGE_SUFFIX = "/meta_og_twcards/RFI_FB.png"
MISSING_IMAGE_TEXT = "Array"  # what the feed prints where a PHP array stood for the image


@dataclass
class ItemContent:
    """Raw (not yet normalised) fields of one feed item's description."""

    published_raw: str | None = None
    image: str | None = None
    lead: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    credit: str | None = None


def usable_image(url: str | None) -> str | None:
    """``url`` unless it is empty, a ``data:`` placeholder or the site's default card."""
    if not url or not url.strip():
        return None
    url = url.strip()
    if url.startswith("data:") or url.endswith(DEFAULT_IMAGE_SUFFIX) or url == MISSING_IMAGE_TEXT:
        return None
    return url


def _take_date_line(root: HtmlElement) -> str | None:
    first = next((child for child in root if isinstance(child.tag, str)), None)
    if first is not None and first.tag == "div" and len(first) == 0 and is_paris_date_line(first.text or ""):
        text = (first.text or "").strip()
        first.drop_tree()
        return text
    return None


def _take_image(root: HtmlElement) -> str | None:
    """The ``<img>`` at the top level of the item, before the body; figures inside the body don't count."""
    for child in root:
        if child.tag == "img":
            src = child.get("src")
            child.drop_tree()
            return usable_image(src)
        if child.tag in ("p", "div"):
            return None
    return None


def _is_lead_block(element: HtmlElement) -> bool:
    """``<p><strong>…</strong></p>``: a ``p`` whose only content is one ``strong``."""
    if element.tag != "p" or len(element) != 1 or element[0].tag != "strong":
        return False
    return not (element.text or "").strip() and not (element[0].tail or "").strip()


def _take_lead(root: HtmlElement) -> str | None:
    # The main <img> before it was taken already (_take_image), so the first element is the first block.
    first_block = next((child for child in root if isinstance(child.tag, str)), None)
    if first_block is not None and _is_lead_block(first_block):
        text = inline_text(first_block)
        first_block.drop_tree()
        return text
    return None


def read_item_html(markup: str) -> ItemContent:
    """Split a feed item's description into its fields; :class:`InvalidInput` for markup that cannot be read
    (see :func:`rfi_news.parsers.body.parse_fragment`)."""
    if not isinstance(markup, str):
        raise InvalidInput("not_text", f"description is {type(markup).__name__}, not a string")
    if not markup.strip():
        return ItemContent()
    root = parse_fragment(markup)
    published_raw = _take_date_line(root)
    image = _take_image(root)
    lead = _take_lead(root)
    body = read_body(root)
    return ItemContent(
        published_raw=published_raw,
        image=image,
        lead=lead,
        paragraphs=body.paragraphs,
        authors=body.authors,
        credit=body.credit,
    )


def feed_item_record(
    *, link: str | None, title: str | None, description: str, feed_published: object, source: str
) -> tuple[dict[str, object], list[str]]:
    """The raw record of one feed (or archived feed) item, before the pipelines normalise it, and the
    problems seen in it (short stats keys such as ``no_date_line``), for the spider to log and count.

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
    problems = [] if content.published_raw else ["no_date_line"]
    if not content.paragraphs:
        # Not a reason to drop (a chapô alone is a record), but the layout monitor's sign that the body
        # reader's blocks stopped matching.
        problems.append("no_paragraphs")
    if not description.strip():
        problems.append("no_description")
    record = {
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
    return record, problems
