"""Operator commands on stored events and effects, through the same container and use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dishka import AsyncContainer, make_async_container

from application.errors import ApplicationError
from application.event_log.error_summary import error_summary
from application.event_log.list_events import ListEvents
from application.event_log.replay_event import ReplayEvent
from application.outbox import Outbox
from domain.webhook_event import EventStatus
from entrypoints.composition import providers_for
from entrypoints.settings import Settings


@asynccontextmanager
async def request_scope(settings: Settings) -> AsyncIterator[AsyncContainer]:
    if settings.sandbox_mode:
        from entrypoints.sandbox_mode import attach_to_running_sandbox

        settings = await attach_to_running_sandbox(settings)  # the running service's sandbox
    container = make_async_container(*providers_for(settings), context={Settings: settings})
    try:
        async with container() as scope:
            yield scope
    finally:
        await container.close()


async def list_failed_events(settings: Settings, limit: int) -> list[str]:
    async with request_scope(settings) as scope:
        failed = await (await scope.get(ListEvents)).execute(status=EventStatus.FAILED, limit=limit)
    return [f"{e.id}\t{e.type}\tattempts={e.attempts}\t{error_summary(e.last_error) or ''}" for e in failed]


async def replay_events(settings: Settings, event_id: str | None, limit: int) -> list[tuple[str, str]]:
    """(event id, outcome) per event: its status after the replay, or `failed: why`."""
    async with request_scope(settings) as scope:
        replay = await scope.get(ReplayEvent)
        if event_id:
            ids = [event_id]
        else:
            failed = await (await scope.get(ListEvents)).execute(status=EventStatus.FAILED, limit=limit)
            ids = [e.id for e in failed]
        results = []
        for one in ids:
            try:
                event = await replay.execute(one)
            except ApplicationError as exc:
                results.append((one, f"failed: {exc.detail}"))
                continue
            why = error_summary(event.last_error)
            results.append((one, f"failed: {why}" if event.status is EventStatus.FAILED else event.status.value))
        return results


async def run_pending_effects(settings: Settings) -> int:
    async with request_scope(settings) as scope:
        outbox = await scope.get(Outbox)
        return await outbox.run_pending()
