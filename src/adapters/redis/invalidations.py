"""Follows the shared cache's invalidation channel in the background, for `RedisNearCache`.

It says when it last heard from Redis (a message, or the answer to the ping it sends every
`PING_SECONDS` of quiet): invalidations published before that moment have all arrived, because a
subscription delivers in order. A connection that fails, or stays silent for `SILENCE_SECONDS`, is
dropped and made again every `RETRY_SECONDS` until Redis answers; each time the subscription is
confirmed, `on_subscribed` runs before anything else is read from the channel.

Silence is counted in waits that went unanswered, not in wall-clock time: a process whose event
loop stalled (a busy CPU, a long synchronous step) finds its waits timed out with Redis's answer
already in the socket; judged by the clock it would drop a healthy channel, go degraded, and make
its recovery invalidate every worker's shared copies. The next wait reads that answer at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

log = logging.getLogger("billing.cache")


class InvalidationListener:
    PING_SECONDS = 0.25
    SILENCE_SECONDS = 1.0
    RETRY_SECONDS = 0.5

    def __init__(
        self,
        client: Redis,
        channel: str,
        *,
        on_subscribed: Callable[[], Awaitable[None]],
        on_message: Callable[[list[str]], None],
        on_lost: Callable[[], None],
    ) -> None:
        self._client = client
        self._channel = channel
        self._on_subscribed = on_subscribed
        self._on_message = on_message
        self._on_lost = on_lost
        self._resubscribe = asyncio.Event()
        self._failing = False
        self._task: asyncio.Task[None] | None = None
        self.heard_at = -math.inf  # time.monotonic() of the last sign of life from the channel
        self._unanswered = 0  # waits of PING_SECONDS in a row that brought nothing

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="cache-invalidations")

    def resubscribe(self) -> None:
        """Run `on_subscribed` again soon (a command failed: what it missed must be made good)."""
        self._resubscribe.set()

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._follow()
            except Exception as exc:  # any failure: drop the connection, say so (once), try again
                self._on_lost()
                if not self._failing:
                    log.warning("cache invalidation channel lost; retrying", extra={"error": type(exc).__name__})
                self._failing = True
            await asyncio.sleep(self.RETRY_SECONDS)

    async def _follow(self) -> None:
        pubsub = self._client.pubsub()
        self._unanswered = 0
        try:
            await pubsub.subscribe(self._channel)
            while (await self._next(pubsub)) != "subscribe":
                pass
            while True:
                self._resubscribe.clear()
                await self._on_subscribed()
                self._failing = False
                while not self._resubscribe.is_set():
                    await self._next(pubsub)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _next(self, pubsub: PubSub) -> str | None:
        """Wait up to PING_SECONDS for one message and handle it; ping when none came."""
        message = await pubsub.get_message(timeout=self.PING_SECONDS)
        if message is None:
            self._unanswered += 1
            if self._unanswered * self.PING_SECONDS > self.SILENCE_SECONDS:
                raise ConnectionError("the invalidation channel went silent")
            await pubsub.ping()
            return None
        self.heard_at = time.monotonic()
        self._unanswered = 0
        if message["type"] == "message":
            self._on_message(bytes(message["data"]).decode().split("\n"))
        return str(message["type"])
