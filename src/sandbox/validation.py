"""Check decoded params against the official SDK's typed params and coerce them to Python values.

The SDK's TypedDicts are generated from Stripe's OpenAPI spec, so they are the closest offline
stand-in for what the real API accepts. Forward references are evaluated in the module that
declares them; request options (api_key, headers, ...) are SDK-side and never API params.
"""

import sys
import types
import typing
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, ForwardRef, Literal, NotRequired, Required, Union

import typing_extensions
from stripe._request_options import RequestOptions

from sandbox.errors import StripeError

REQUEST_OPTIONS = frozenset(RequestOptions.__annotations__)
_WRAPPERS = (NotRequired, Required, typing.Optional, typing.ClassVar)


class _Mismatch(Exception):
    """One union arm did not fit; carries the error to raise if no arm fits."""

    def __init__(self, error: StripeError, shape: bool) -> None:
        self.error = error
        self.shape = shape  # True when the value's shape fit and a deeper check failed


def validate(params: dict[str, Any], cls: type) -> dict[str, Any]:
    try:
        return _typed_dict(params, cls, "", skip=REQUEST_OPTIONS)
    except _Mismatch as m:
        raise m.error from None


@cache
def _fields(cls: type) -> dict[str, Any]:
    glob = vars(sys.modules[cls.__module__])
    return {name: _resolve(ann, glob) for name, ann in cls.__annotations__.items()}


Node = tuple[Any, ...]  # ("any",) ("union", arms) ("literal", values) ("scalar", t) ("list"|"map", node) ("typed", cls)


def _resolve(ann: Any, glob: dict[str, Any]) -> Node:
    if isinstance(ann, str):
        ann = ForwardRef(ann)
    if isinstance(ann, ForwardRef):
        try:
            ann = eval(ann.__forward_arg__, glob)  # noqa: S307 - SDK-generated annotation text
        except NameError:
            return ("any",)
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin in _WRAPPERS:
        return _resolve(args[0], glob)
    if origin is Union or origin is types.UnionType:
        return ("union", tuple(_resolve(a, glob) for a in args))
    if origin is Literal:
        return ("literal", tuple(_literal_text(a) for a in args))
    if origin is list or origin is tuple:
        return ("list", _resolve(args[0], glob) if args else ("any",))
    if origin is not None:
        return ("map", _resolve(args[-1], glob) if args else ("any",))
    if typing_extensions.is_typeddict(ann):
        return ("typed", ann)
    if ann in (str, int, float, bool, Decimal):
        return ("scalar", ann)
    return ("any",)


def _literal_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _name(path: str, key: str) -> str:
    return f"{path}[{key}]" if path else key


def _typed_dict(value: Any, cls: type, path: str, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Mismatch(StripeError(f"Invalid object: {path}", param=path), False)
    fields = _fields(cls)
    out: dict[str, Any] = {}
    for key, raw in value.items():
        if key not in fields or key in skip:
            name = _name(path, key)
            raise _Mismatch(
                StripeError(f"Received unknown parameter: {name}", param=name, code="parameter_unknown"), True
            )
        out[key] = _check(raw, fields[key], _name(path, key))
    for key in getattr(cls, "__required_keys__", frozenset()):
        if key not in value and key not in skip:
            name = _name(path, key)
            raise _Mismatch(StripeError(f"Missing required param: {name}.", param=name, code="parameter_missing"), True)
    return out


def _check(value: Any, node: Node, path: str) -> Any:
    kind = node[0]
    if kind == "any":
        return value
    if kind == "union":
        return _union(value, node[1], path)
    if kind == "typed":
        return _typed_dict(value, node[1], path)
    if kind == "list":
        return _list(value, node[1], path)
    if kind == "map":
        if not isinstance(value, dict):
            raise _Mismatch(StripeError(f"Invalid object: {path}", param=path), False)
        return {k: _check(v, node[1], _name(path, k)) for k, v in value.items()}
    if not isinstance(value, str):
        raise _Mismatch(StripeError(f"Invalid value for {path}: expected a scalar", param=path), False)
    if kind == "literal":
        if value not in node[1]:
            allowed = ", ".join(repr(v) for v in node[1])
            raise _Mismatch(StripeError(f"Invalid {path}: must be one of {allowed}", param=path), False)
        return value
    return _scalar(value, node[1], path)


def _union(value: Any, arms: tuple[Node, ...], path: str) -> Any:
    failures: list[_Mismatch] = []
    for arm in arms:
        try:
            return _check(value, arm, path)
        except _Mismatch as m:
            failures.append(m)
    deep = [m for m in failures if m.shape]
    raise (deep or failures)[0]


def _list(value: Any, item: Node, path: str) -> list[Any]:
    if isinstance(value, list):
        indexed = list(enumerate(value))
    elif isinstance(value, dict) and all(k.isdigit() for k in value):
        indexed = sorted(((int(k), v) for k, v in value.items()), key=lambda kv: kv[0])
    else:
        raise _Mismatch(StripeError(f"Invalid array: {path}", param=path), False)
    return [_check(v, item, f"{path}[{i}]") for i, v in indexed]


def _scalar(value: str, t: type, path: str) -> Any:
    try:
        if t is str:
            return value
        if t is bool:
            if value not in ("true", "false"):
                raise ValueError(value)
            return value == "true"
        if t is int:
            return int(value)
        if t is float:
            return float(value)
        return Decimal(value)
    except (ValueError, InvalidOperation):
        kind = {bool: "boolean", int: "integer", float: "float"}.get(t, "decimal")
        raise _Mismatch(
            StripeError(f"Invalid {kind}: {value}", param=path, code=f"parameter_invalid_{kind}"), True
        ) from None
