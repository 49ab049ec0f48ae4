"""Checks of the services the app depends on, for `billing doctor`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of `billing doctor`: what was checked, whether it is fine, and why."""

    check: str
    ok: bool
    detail: str


class Probe(Protocol):
    """Checks that one backing service answers and is ready (the database: its schema current).

    Never raises: a failure is a `Finding` with `ok=False`. The detail names the cause (an
    exception class, a revision, a host) and never a secret (no password, no key).
    """

    async def check(self) -> Finding: ...
