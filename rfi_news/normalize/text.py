"""Text normalisation, exactly as OUTPUT.md's "Normalized text" section says."""

from __future__ import annotations

import html
import re
import unicodedata

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# Control characters (category Cc) other than the white-space ones, which step 4 turns into a space.
CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0e-\x1f\x7f-\x84\x86-\x9f"
_ZERO_WIDTH_OR_CONTROL_RE = re.compile(f"[{ZERO_WIDTH}{CONTROL_CHARACTERS}]")
# Lone surrogates (``"\ud800"`` from JSON-LD) have no UTF-8 form: the exporter and the state could not write them.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# Four or more characters in U+00A1-U+00FF: GBK bytes that someone decoded as Latin-1.
_MOJIBAKE_RUN_RE = re.compile(r"[\u00a1-\u00ff]{4,}")
# What steps 1-3 act on: an entity (``&``), a lone surrogate, a zero-width or control character, a character of a
# mojibake run. A text in NFC with none of these leaves steps 1-3 as it came.
_STEPS_1_TO_3_ACT_ON_RE = re.compile(f"[&\ud800-\udfff{ZERO_WIDTH}{CONTROL_CHARACTERS}\u00a1-\u00ff]")
# A block of text that holds nothing but punctuation (and spaces) is no paragraph.
_PUNCTUATION_ONLY_RE = re.compile(r"^[\s\W_]*$")

SITE_SUFFIXES = (" – 法国国际广播电台 - RFI", " - 法国国际广播电台 - RFI", " – RFI", " - RFI")


def _is_cjk_or_cjk_punctuation(char: str) -> bool:
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF  # CJK Unified Ideographs
        or 0x3400 <= code <= 0x4DBF  # Extension A
        or 0xF900 <= code <= 0xFAFF  # Compatibility Ideographs
        or 0x3000 <= code <= 0x303F  # CJK Symbols and Punctuation (、。「」…)
        or 0xFF00 <= code <= 0xFFEF  # Full-width forms (，：？！（）)
        # The punctuation GB2312 itself maps into General Punctuation: — ‘ ’ “ ” … ‰ ′ ″ ※
        or 0x2014 <= code <= 0x203B
        or code == 0x00B7  # middle dot ·
    )


def _repair_run(match: re.Match[str]) -> str:
    run = match.group(0)
    try:
        decoded = run.encode("latin-1").decode("gb18030")
    except UnicodeDecodeError:
        return run
    if all(_is_cjk_or_cjk_punctuation(char) for char in decoded):
        return decoded
    return run


def repair_mojibake(text: str) -> str:
    """Undo GBK text that was decoded as Latin-1 (``¡£Ëû±íÊ¾£¬`` → ``。他表示，``).

    Only runs that decode to nothing but CJK characters and CJK punctuation are replaced, so French words
    with accents (``é``, ``à``) are never touched.
    """
    return _MOJIBAKE_RUN_RE.sub(_repair_run, text)


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (as undecodable bytes are), so it can be UTF-8."""
    return _SURROGATE_RE.sub("\ufffd", text)


def normalize_text(text: str | None) -> str:
    """Steps 1-4 of OUTPUT.md's normalisation; ``None`` (or anything but a string) gives ``""``.

    A lone surrogate, which no UTF-8 output can hold, becomes U+FFFD.
    """
    if not text or not isinstance(text, str):
        return ""
    if _STEPS_1_TO_3_ACT_ON_RE.search(text) is None and unicodedata.is_normalized("NFC", text):
        return " ".join(text.split())  # most texts: steps 1-3 would change nothing, and asking costs less
    # html.unescape can make a surrogate (``&#xd800;``), so they are replaced after it.
    text = unicodedata.normalize("NFC", without_surrogates(html.unescape(text)))
    text = _ZERO_WIDTH_OR_CONTROL_RE.sub("", text)
    text = repair_mojibake(text)
    # Runs of white space to one space, ends trimmed: split() knows the same white space as the regex \s
    # (str.isspace), several times faster on CJK text.
    return " ".join(text.split())


def is_punctuation_only(text: str) -> bool:
    """True for ``""``, ``"."``, ``"。 。"``: blocks that carry no words."""
    return bool(_PUNCTUATION_ONLY_RE.match(text))


def strip_title_affixes(title: str, column: str | None = None) -> str:
    """Remove the site suffix; when the URL names a column, a ``" - <column>"`` suffix and a ``"<column> - "``
    prefix (RFI puts the prefix on a column's JSON-LD ``headline`` and ``og:title``, the suffix on feed titles).

    ``title`` is normalised text (single spaces, no space at either end), so what is left needs no trimming.
    """
    for suffix in SITE_SUFFIXES:
        if title.endswith(suffix):
            title = title[: -len(suffix)]
            break
    if column:
        title = title.removesuffix(f" - {column}").removeprefix(f"{column} - ")
    return title
