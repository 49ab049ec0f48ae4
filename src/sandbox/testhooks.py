"""What tests reach for: a request log and fault injection (Stripe down, Stripe slow)."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LoggedRequest:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, Any]
    status: int = 0


class RequestLog:
    """Every API request the sandbox saw, oldest first; `count` and `matching` are what tests ask."""

    def __init__(self) -> None:
        self.entries: list[LoggedRequest] = []

    def append(self, entry: LoggedRequest) -> None:
        self.entries.append(entry)

    def clear(self) -> None:
        self.entries.clear()

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(list(self.entries))

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> LoggedRequest:
        return self.entries[index]

    def matching(self, method: str, path: str) -> list[LoggedRequest]:
        return [r for r in self if r.method == method.upper() and r.path == path]

    def count(self, method: str, path: str) -> int:
        return len(self.matching(method, path))


@dataclass
class Fault:
    method: str
    path_prefix: str
    times: int
    status: int = 500
    error_type: str = "api_error"
    stall_seconds: float = 0.0


@dataclass
class Faults:
    rules: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(
        self, method: str, path_prefix: str, status: int = 500, times: int = 1, error_type: str = "api_error"
    ) -> None:
        with self._lock:
            self.rules.append(Fault(method.upper(), path_prefix, times, status, error_type))

    def stall(self, method: str, path_prefix: str, seconds: float, times: int = 1) -> None:
        with self._lock:
            self.rules.append(Fault(method.upper(), path_prefix, times, stall_seconds=seconds))

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def take(self, method: str, path: str) -> list[Fault]:
        """Consume one use of every rule matching this request (stalls first, then at most one failure)."""
        taken: list[Fault] = []
        with self._lock:
            for rule in self.rules:
                if rule.times > 0 and rule.method in (method, "*") and path.startswith(rule.path_prefix):
                    if rule.stall_seconds == 0 and any(t.stall_seconds == 0 for t in taken):
                        continue
                    rule.times -= 1
                    taken.append(rule)
            self.rules = [r for r in self.rules if r.times > 0]
        return sorted(taken, key=lambda r: r.stall_seconds == 0)
