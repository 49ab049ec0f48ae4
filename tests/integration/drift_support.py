"""For the drift tests: run a use case of the app under test on the app's own event loop (where its
database pool and Stripe client live), as `billing sync` or the periodic pull would run it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from dishka import AsyncContainer

from tests.integration.http_support import Stack

T = TypeVar("T")
U = TypeVar("U")


async def on_app(stack: Stack, kind: type[U], use: Callable[[U], Awaitable[T]]) -> T:
    """`use(the app's kind)` in a request scope of its own, on the app's loop."""
    container: AsyncContainer = stack.client.app.state.dishka_container

    async def run() -> T:
        async with container() as request:
            return await use(await request.get(kind))

    return await asyncio.wrap_future(stack.client.blocking_portal.start_task_soon(run))
