from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """The current time. `now()` returns an aware UTC datetime; it never goes backwards within a process
    for the system clock, and only when told to for fakes. Windows, TTLs and expiries read it."""

    def now(self) -> datetime: ...
