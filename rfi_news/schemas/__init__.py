"""The JSON Schema of the output record, shipped inside the package."""

from __future__ import annotations

import json
import pkgutil
from typing import Any

SCHEMA_RESOURCE = "schemas/article.schema.json"


def article_schema() -> dict[str, Any]:
    """The record's JSON Schema, read with ``pkgutil`` so it works from a Scrapyd egg too."""
    data = pkgutil.get_data("rfi_news", SCHEMA_RESOURCE)
    if data is None:  # pragma: no cover - only when the package data was left out of a build
        raise FileNotFoundError(f"rfi_news/{SCHEMA_RESOURCE} is missing from the package")
    return json.loads(data)
