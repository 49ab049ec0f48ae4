"""Stripe's idempotency: a POST's first result is stored per (API key, Idempotency-Key) and replayed.

A per-key asyncio lock makes concurrent duplicates wait for the first one and then replay it,
so the operation runs once.
"""

import asyncio
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Stored:
    fingerprint: str
    status: int
    body: bytes


def fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    return json.dumps([method, path, params], sort_keys=True)


class Idempotency:
    def __init__(self) -> None:
        self.results: dict[tuple[str, str], Stored] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._users: dict[tuple[str, str], int] = {}

    def lock(self, scope: tuple[str, str]) -> "_Held":
        return _Held(self, scope)


class _Held:
    def __init__(self, owner: Idempotency, scope: tuple[str, str]) -> None:
        self.owner, self.scope = owner, scope

    async def __aenter__(self) -> None:
        owner = self.owner
        owner._users[self.scope] = owner._users.get(self.scope, 0) + 1
        await owner._locks.setdefault(self.scope, asyncio.Lock()).acquire()

    async def __aexit__(self, *exc: object) -> None:
        owner = self.owner
        owner._locks[self.scope].release()
        owner._users[self.scope] -= 1
        if owner._users[self.scope] == 0:
            # drop idle locks so a key's lock never outlives the loop it was bound to
            del owner._users[self.scope], owner._locks[self.scope]
