"""Requests in Redis as JSON, not pickles: scrapy-redis's ``SCHEDULER_SERIALIZER`` extension point.

scrapy-redis stores each queued request as ``serializer.dumps(request.to_dict(spider=spider))`` and rebuilds it
with ``request_from_dict(serializer.loads(data), spider=spider)``. Its default serializer is pickle, so whoever
can write to the queue can run code on every worker. JSON data can only describe a request: callbacks are named
methods of the spider, ``_class`` must be one of :data:`REQUEST_CLASSES`, and anything else is refused.

``bytes`` (the body, header names and values) and mappings whose keys are not all plain strings are written
as tagged objects (``{"$b": base64}``, ``{"$d": [[key, value], ...]}``); a plain mapping whose keys start with
``$`` is written in the ``$d`` form too, so a tag can never be forged by a meta key.
"""

from __future__ import annotations

import base64
import json
from typing import Any

# Request classes a queued request may name (scrapy's Request.to_dict writes ``_class`` for subclasses only).
REQUEST_CLASSES = frozenset({"scrapy.http.request.Request", "scrapy.http.request.form.FormRequest"})


class UnsafeRequestData(ValueError):
    """Queued data that is not a request this project builds."""


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        if all(isinstance(key, str) and not key.startswith("$") for key in value):
            return {key: _encode(item) for key, item in value.items()}
        return {"$d": [[_encode(key), _encode(item)] for key, item in value.items()]}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot queue a {type(value).__name__} in a request: {value!r}")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$b"}:
            return base64.b64decode(value["$b"])
        if set(value) == {"$d"}:
            return {_freeze(_decode(key)): _decode(item) for key, item in value["$d"]}
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def _freeze(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


# The project's spiders name their callbacks parse_* and their errbacks *_failed: a queued request can name
# nothing else of the spider (not close(), not start()).
def _is_callback_name(name: str) -> bool:
    return name.startswith("parse")


def _is_errback_name(name: str) -> bool:
    return name.endswith("_failed")


def dumps(request_dict: dict[str, Any]) -> str:
    return json.dumps(_encode(request_dict), ensure_ascii=False, separators=(",", ":"))


def loads(data: str | bytes) -> dict[str, Any]:
    decoded = _decode(json.loads(data))
    if not isinstance(decoded, dict) or not isinstance(decoded.get("url"), str):
        raise UnsafeRequestData("queued data is not a request")
    request_class = decoded.get("_class")
    if request_class is not None and request_class not in REQUEST_CLASSES:
        raise UnsafeRequestData(f"queued request names a class that is not allowed: {request_class!r}")
    for name, looks_like in (("callback", _is_callback_name), ("errback", _is_errback_name)):
        method = decoded.get(name)
        if method is not None and not (isinstance(method, str) and method.isidentifier() and looks_like(method)):
            raise UnsafeRequestData(f"queued request's {name} is not one of the spider's callbacks: {method!r}")
    return decoded
