"""The server's periodic events pull (EVENTS_PULL_INTERVAL): every worker runs the loop, the job
lock lets one of them pull at a time, so a broken webhook endpoint costs at most one interval."""

from __future__ import annotations

import asyncio
import logging

from dishka import AsyncContainer

from application.event_log.pull_events import PullEvents

log = logging.getLogger("billing.pull")


async def pull_every(container: AsyncContainer, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            async with container() as request_container:
                report = await (await request_container.get(PullEvents)).execute()
            if report.new:
                log.warning("pulled events the webhook never delivered", extra={"summary": report.summary})
        except Exception:  # the loop must outlive any single failure (Stripe or the database down)
            log.exception("events pull failed")
