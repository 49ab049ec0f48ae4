"""The API's route table: (method, path template, SDK params class, handler)."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.state import State
from sandbox.store import Obj

Handler = Callable[..., Obj]  # (state, params, *path_ids) -> object to render


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    params: type
    handler: Handler


def route(method: str, template: str, params: type, handler: Handler) -> Route:
    regex = re.sub(r"\{\w+\}", r"([^/]+)", template)
    return Route(method, re.compile(f"^{regex}$"), params, handler)


def match(routes: list[Route], method: str, path: str) -> tuple[Route, tuple[str, ...]] | None:
    for candidate in routes:
        if candidate.method == method:
            found = candidate.pattern.match(path)
            if found:
                return candidate, found.groups()
    return None


def call(r: Route, state: State, params: dict[str, Any], ids: tuple[str, ...]) -> Obj:
    return r.handler(state, params, *ids)
