"""Typed reads of fields of Stripe's JSON objects, for `mapping`. `ref` is the one place that
knows a field may come expanded (the object) or not (its id)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

Json = Mapping[str, Any]


class Unreadable(ValueError):
    """A field of the wrong type (or an empty required one)."""


def ts(value: Any) -> datetime | None:
    if value is None or value == 0:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise Unreadable(f"a timestamp is {type(value).__name__}, not an integer")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError) as exc:
        raise Unreadable("a timestamp is out of range") from exc


def ref(value: Any) -> str | None:
    """The id of a field Stripe sends either expanded (the object) or not (its id); None when unset."""
    if isinstance(value, Mapping):
        value = value.get("id")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Unreadable(f"an id is {type(value).__name__}, not a string")
    return value


def text(obj: Json, key: str) -> str:
    """A required, non-empty string field."""
    value = obj[key]
    if not isinstance(value, str) or not value:
        raise Unreadable(f"`{key}` is not a non-empty string")
    return value


def optional_text(obj: Json, key: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise Unreadable(f"`{key}` is {type(value).__name__}, not a string")
    return value


def integer(obj: Json, key: str) -> int | None:
    value = obj.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise Unreadable(f"`{key}` is {type(value).__name__}, not an integer")
    return value


def nested(obj: Json, key: str) -> Json:
    """An object field; {} when unset."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Unreadable(f"`{key}` is {type(value).__name__}, not an object")
    return value


def metadata(obj: Json) -> dict[str, str]:
    found = nested(obj, "metadata")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in found.items()):
        raise Unreadable("`metadata` holds values that are not strings")
    return dict(found)
