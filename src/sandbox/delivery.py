"""Background webhook delivery: sign like Stripe, POST to each subscribed endpoint, retry non-2xx
and connection errors with backoff.

First attempts go out in creation order from one worker; retries run as their own tasks so one
failing event never holds the others back.
"""

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import stripe

from sandbox.store import Obj


@dataclass(frozen=True)
class Target:
    """One endpoint an event goes to: its id, where to POST, and the secret to sign with."""

    endpoint_id: str
    url: str
    secret: str


@dataclass
class Delivery:
    event_id: str
    type: str
    endpoint_id: str
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    delivered: bool = False
    dropped: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint_id,
            "attempts": self.attempts,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "delivered": self.delivered,
            "dropped": self.dropped,
        }


DROPPED = "dropped by the sandbox (deliveries switched off)"


@dataclass
class Deliverer:
    """Sends each event to the endpoints `targets` names for it.

    Dropping stands for a service whose endpoint was down until Stripe gave up: `dropping` drops
    every event until switched off, `drop_next(n)` the next n events. A dropped event is never
    sent; it stays listed by `GET /v1/events`, which is how a pull or a sync finds it again.
    """

    targets: Callable[[Obj], list[Target]]
    retry_delays: tuple[float, ...] = (1, 5, 30)
    log: dict[str, list[Delivery]] = field(default_factory=dict)  # event id -> one per endpoint
    dropping: bool = False
    to_drop: int = 0
    _pending: deque[tuple[Obj, Target, Delivery]] = field(default_factory=deque)
    _wake: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _client: httpx.AsyncClient | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def drop_next(self, count: int) -> None:
        with self._lock:
            self.to_drop = max(0, count)

    def enqueue(self, event: Obj) -> None:
        targets = self.targets(event)
        if not targets:
            return
        with self._lock:
            dropped = self.dropping or self.to_drop > 0
            if self.to_drop > 0:
                self.to_drop -= 1
            records = self.log[event["id"]] = []
            for target in targets:
                record = Delivery(event["id"], event["type"], target.endpoint_id, dropped=dropped)
                records.append(record)
                if dropped:
                    record.last_error = DROPPED
                else:
                    self._pending.append((event, target, record))
        self._notify()

    def _notify(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    async def start(self) -> None:
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._client = httpx.AsyncClient(timeout=10)
        self._spawn(self._worker())
        self._wake.set()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._client is not None:
            await self._client.aclose()
        self._client = self._loop = self._wake = None

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _worker(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                with self._lock:
                    job = self._pending.popleft()
                if not await self._attempt(*job):
                    self._spawn(self._retry(*job))

    async def _retry(self, event: Obj, target: Target, record: Delivery) -> None:
        for delay in self.retry_delays:
            await asyncio.sleep(delay)
            if await self._attempt(event, target, record):
                return

    async def _attempt(self, event: Obj, target: Target, record: Delivery) -> bool:
        assert self._client is not None
        record.attempts += 1
        payload = json.dumps(event, indent=2)
        # real time, not sandbox time: receivers check the timestamp against their own clock
        header = stripe.WebhookSignature.generate_signature_header(payload, target.secret, int(time.time()))
        try:
            response = await self._client.post(
                target.url,
                content=payload.encode(),
                headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": header},
            )
        except httpx.HTTPError as exc:
            record.last_status, record.last_error = None, f"{type(exc).__name__}: {exc}"
            return False
        record.last_status, record.last_error = response.status_code, None
        record.delivered = 200 <= response.status_code < 300
        if record.delivered:
            event["pending_webhooks"] = max(0, event["pending_webhooks"] - 1)
        return record.delivered
