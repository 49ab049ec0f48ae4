"""Decode Stripe's bracket-encoded forms (`a[b][0][c]=v`, `expand[]=x`) into nested dicts.

Lists stay dicts keyed by index strings here; the typed-param validator turns them into lists
where the SDK's params say a list is expected, so `metadata[0]=x` keeps meaning a dict key.
"""

import re
from typing import Any
from urllib.parse import parse_qsl

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def split_key(key: str) -> list[str]:
    head, bracket, _ = key.partition("[")
    if not bracket:
        return [key]
    return [head, *_SEGMENT.findall(key[len(head) :])]


def decode(body: str) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        _assign(root, split_key(key), value)
    return root


def _assign(node: dict[str, Any], parts: list[str], value: str) -> None:
    for i, part in enumerate(parts):
        if part == "":
            # `x[]` appends: number it after what the parent already holds
            part = str(len(node))
        last = i == len(parts) - 1
        if last:
            node[part] = value
            return
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
