"""Request bodies that may come as JSON or as an HTML form, decoded into msgspec Structs."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from litestar import Request

from application.errors import ValidationFailed
from entrypoints.http.limits import clip

T = TypeVar("T")

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_form(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip() in FORM_TYPES


async def decode_body(request: Request[Any, Any, Any], kind: type[T], *, optional: bool = False) -> T:
    try:
        if is_form(request):
            # HTML forms carry extra fields (submit buttons, CSRF tokens): keep only ours. JSON
            # bodies stay strict, so an API client's typo is a 400, not silently ignored.
            form = await request.form()
            fields = getattr(kind, "__struct_fields__", ())
            return msgspec.convert({k: v for k, v in form.items() if k in fields}, kind, strict=False)
        raw = await request.body()
        if not raw.strip() and optional:
            raw = b"{}"
        # Lax: JSON's 2.0 is the integer 2 (JSON Schema agrees); types stay checked otherwise.
        return msgspec.json.decode(raw, type=kind, strict=False)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        # msgspec's message may quote the input (an unknown enum value, a field name): said once, clipped.
        message, _, path = str(exc).partition(" - at `$.")
        key = path.rstrip("`") or None
        raise ValidationFailed(
            "The request body is not valid.", [{"message": clip(message), "key": clip(key) if key else None}]
        ) from None
