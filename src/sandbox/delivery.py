"""Background webhook delivery: sign like Stripe, POST, retry non-2xx and connection errors with backoff.

First attempts go out in creation order from one worker; retries run as their own tasks so one
failing event never holds the others back.
"""

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx
import stripe

from sandbox.store import Obj


@dataclass
class Delivery:
    event_id: str
    type: str
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    delivered: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "type": self.type,
            "attempts": self.attempts,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "delivered": self.delivered,
        }


@dataclass
class Deliverer:
    url: str | None
    secret: str
    retry_delays: tuple[float, ...] = (1, 5, 30)
    log: dict[str, Delivery] = field(default_factory=dict)
    _pending: deque[Obj] = field(default_factory=deque)
    _wake: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _client: httpx.AsyncClient | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue(self, event: Obj) -> None:
        if self.url is None:
            return
        with self._lock:
            self.log[event["id"]] = Delivery(event["id"], event["type"])
            self._pending.append(event)
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
                    event = self._pending.popleft()
                if not await self._attempt(event):
                    self._spawn(self._retry(event))

    async def _retry(self, event: Obj) -> None:
        for delay in self.retry_delays:
            await asyncio.sleep(delay)
            if await self._attempt(event):
                return

    async def _attempt(self, event: Obj) -> bool:
        assert self._client is not None and self.url is not None
        record = self.log[event["id"]]
        record.attempts += 1
        payload = json.dumps(event, indent=2)
        # real time, not sandbox time: receivers check the timestamp against their own clock
        header = stripe.WebhookSignature.generate_signature_header(payload, self.secret, int(time.time()))
        try:
            response = await self._client.post(
                self.url,
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
