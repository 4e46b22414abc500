"""Spider arguments (``-a name=value``), declared once per spider: name, type, help, default.

A spider lists its :class:`Argument` s in ``arguments``; :class:`DeclaredArguments` checks and converts what it
is given before the spider is built, and ``scrapy crawl`` checks them before anything starts, so an unknown or
invalid argument exits 2 with one line naming it and the valid ones (``rfi_news.commands.crawl``). ``scrapy
spiders`` lists every spider with its table. Names starting with ``_`` belong to the scheduler (Scrapyd's
``_job``) and pass through.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, ClassVar


class ArgumentError(ValueError):
    """A spider argument that is unknown, or whose value is not of its type: a bad command line (exit 2)."""


# --- Types: each turns the string of the command line into the value, or raises ValueError saying what it wants


def text(value: str) -> str:
    return value


def flag(value: str) -> bool:
    """``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off`` (or empty)."""
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("", "0", "false", "no", "off"):
        return False
    raise ValueError("expected 1 or 0 (true/false, yes/no, on/off)")


def whole_number(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError("expected a whole number") from None
    if number < 1:
        raise ValueError("expected a whole number, at least 1")
    return number


def iso_date(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError("expected a date, YYYY-MM-DD") from None


_MONTH = re.compile(r"(\d{4})-(\d{2})")


def month(value: str) -> str:
    match = _MONTH.fullmatch(value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError("expected a month, YYYY-MM")
    return value


def comma_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def existing_path(value: str) -> Path:
    path = Path(value)
    if not value or not path.exists():
        raise ValueError("no such file or folder")
    return path


def one_of(*choices: str) -> Callable[[str], str]:
    def choice(value: str) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return value

    choice.__name__ = "|".join(choices)
    return choice


@dataclass(frozen=True)
class Argument:
    name: str
    help: str
    type: Callable[[str], Any] = text
    default: Any = None
    required: bool = False

    @property
    def type_name(self) -> str:
        return self.type.__name__.replace("_", " ")

    def describe(self) -> str:
        default = (
            "required" if self.required else f"default {self.default!r}" if self.default is not None else "optional"
        )
        return f"-a {self.name}=<{self.type_name}>  {self.help} ({default})"


def check_arguments(spidercls: type, given: Mapping[str, Any], *, require: bool = True) -> dict[str, Any]:
    """The converted value of every declared argument (defaults for those not given); ``ArgumentError`` naming
    the first unknown or invalid one, and the valid ones. A spider with no table takes anything (Scrapy's way).

    ``require=False`` lets a required argument be missing (``None``): ``scrapy check`` and ``parse`` build the
    spider without its arguments to call one callback."""
    table: tuple[Argument, ...] | None = getattr(spidercls, "arguments", None)
    if table is None:
        return dict(given)
    by_name = {argument.name: argument for argument in table}
    valid = ", ".join(by_name) or "none"
    name = getattr(spidercls, "name", "the spider")
    for key in given:
        if key not in by_name and not key.startswith("_"):
            raise ArgumentError(f"unknown argument -a {key}; {name} takes: {valid} (see `scrapy spiders`)")
    values: dict[str, Any] = {}
    for argument in table:
        raw = given.get(argument.name)
        if raw is None:
            if argument.required and require:
                raise ArgumentError(f"-a {argument.name} is required: {argument.help}; {name} takes: {valid}")
            values[argument.name] = argument.default
            continue
        if not isinstance(raw, str):  # from the API (CrawlerProcess.crawl(…, pages=3)): already a value
            values[argument.name] = raw
            continue
        try:
            values[argument.name] = argument.type(raw)
        except ValueError as exc:
            raise ArgumentError(f"-a {argument.name}={raw!r}: {exc} ({argument.help})") from None
    for group in getattr(spidercls, "exclusive_arguments", ()):
        chosen = [name for name in group if values.get(name)]
        if len(chosen) > 1:
            raise ArgumentError(f"choose one of {', '.join(f'-a {name}' for name in group)} (got {', '.join(chosen)})")
    return values


class DeclaredArguments:
    """Mixin for a spider: its declared arguments become attributes of the same name, checked and converted."""

    arguments: ClassVar[tuple[Argument, ...]] = ()
    # Groups of arguments of which a run takes at most one (the rfi spider's modes).
    exclusive_arguments: ClassVar[tuple[tuple[str, ...], ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        values = check_arguments(type(self), kwargs, require=False)  # `scrapy crawl` required them already
        private = {key: value for key, value in kwargs.items() if key.startswith("_")}
        super().__init__(*args, **private)
        for key, value in values.items():
            setattr(self, key, value)


def describe_spider(spidercls: type) -> list[str]:
    """Lines for ``scrapy spiders``: the spider, its summary, and one line per argument."""
    doc = (spidercls.__doc__ or "").strip().splitlines()
    lines = [f"{getattr(spidercls, 'name', spidercls.__name__)}: {doc[0] if doc else ''}".rstrip(": ")]
    table = getattr(spidercls, "arguments", None)
    if table is None:
        lines.append("    (arguments not declared)")
    elif not table:
        lines.append("    (no arguments)")
    lines += [f"    {argument.describe()}" for argument in table or ()]
    return lines
