"""One worker at a time for a periodic job (the events pull), across every process of the service."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol


class JobLock(Protocol):
    def hold(self, job: str) -> AbstractAsyncContextManager[bool]:
        """Try to take the lock named `job` without waiting. The block runs with True when this
        caller holds it (until the block ends, or its process dies), False when someone else does:
        then the caller skips the job. Raises `StorageUnavailable` when the lock's store is down."""
        ...
