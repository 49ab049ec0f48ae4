"""In-memory object store: every Stripe object is a JSON-shaped dict, indexed by id and by type.

Handlers run on one event loop and never await while mutating, so no locking is needed here.
"""

import copy
from collections.abc import Callable, Iterable
from typing import Any

from sandbox.errors import StripeError, invalid, missing

Obj = dict[str, Any]
Includable = Callable[[Obj], Any]


class Store:
    def __init__(self) -> None:
        self.objects: dict[str, Obj] = {}
        self.by_type: dict[str, dict[str, Obj]] = {}
        # fields that exist only when expanded (checkout.session line_items)
        self.includables: dict[tuple[str, str], Includable] = {}

    def add(self, obj: Obj) -> Obj:
        self.objects[obj["id"]] = obj
        self.by_type.setdefault(obj["object"], {})[obj["id"]] = obj
        return obj

    def remove(self, kind: str, obj_id: str) -> None:
        self.objects.pop(obj_id, None)
        self.by_type.get(kind, {}).pop(obj_id, None)

    def get(self, kind: str, obj_id: str, param: str = "id") -> Obj:
        obj = self.by_type.get(kind, {}).get(obj_id)
        if obj is None:
            raise missing(kind.split(".")[-1].replace("_", " "), obj_id, param)
        return obj

    def find(self, kind: str, obj_id: str) -> Obj | None:
        return self.by_type.get(kind, {}).get(obj_id)

    def all(self, kind: str) -> list[Obj]:
        # newest first, like Stripe lists; insertion order breaks ties within a second
        return list(reversed(self.by_type.get(kind, {}).values()))

    def is_empty(self) -> bool:
        return not self.objects

    def render(self, obj: Obj, expand: Iterable[str] = ()) -> Obj:
        out = copy.deepcopy(obj)
        for path in expand:
            self._expand(out, path.split("."), path)
        return out

    def _expand(self, node: Any, parts: list[str], full: str) -> None:
        if isinstance(node, list):
            for item in node:
                self._expand(item, parts, full)
            return
        if not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        value = node.get(head)
        include = self.includables.get((node.get("object", ""), head))
        if include is not None and (value is None or isinstance(value, str)):
            value = node[head] = include(node)
        elif isinstance(value, str):
            target = self.objects.get(value)
            if target is None:
                raise invalid(f"This property cannot be expanded ({full}).", param="expand")
            value = node[head] = copy.deepcopy(target)
        elif head not in node:
            raise StripeError(f"This property cannot be expanded ({full}).", param="expand")
        if rest and value is not None:
            self._expand(value, rest, full)


def page(items: list[Obj], params: dict[str, Any], url: str) -> Obj:
    limit = int(params.get("limit", 10))
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", param="limit")
    after, before = params.get("starting_after"), params.get("ending_before")
    ids = [item["id"] for item in items]
    if after is not None:
        if after not in ids:
            raise missing("object", after, "starting_after")
        items = items[ids.index(after) + 1 :]
        return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}
    if before is not None:
        if before not in ids:
            raise missing("object", before, "ending_before")
        items = items[: ids.index(before)]
        return {"object": "list", "data": items[-limit:], "has_more": len(items) > limit, "url": url}
    return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}


def created_within(items: list[Obj], created: Any) -> list[Obj]:
    """Stripe's `created` list filter: an exact timestamp, or any of `gt`, `gte`, `lt`, `lte`."""
    if created is None:
        return items
    if not isinstance(created, dict):
        return [x for x in items if x["created"] == created]
    tests = {
        "gt": lambda value, bound: value > bound,
        "gte": lambda value, bound: value >= bound,
        "lt": lambda value, bound: value < bound,
        "lte": lambda value, bound: value <= bound,
    }
    for op, bound in created.items():
        items = [x for x in items if tests[op](x["created"], bound)]
    return items


def merge_metadata(current: dict[str, str], update: Any) -> dict[str, str]:
    """Stripe's metadata update: `""` clears everything, an empty value removes one key."""
    if update == "" or update is None:
        return {} if update == "" else current
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
