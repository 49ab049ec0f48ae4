from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

from application.errors import ApplicationError, InvalidWebhook, NotFound, StorageRejected
from application.outbox import Outbox
from application.ports.clock import Clock
from application.ports.events import EventVerifier, VerifiedEvent
from application.ports.repositories import UnitOfWork
from application.webhooks.dispatch import route_for
from application.webhooks.handler import Handled, Handlers
from domain.errors import DomainError
from domain.webhook_event import WebhookEvent

log = logging.getLogger("billing.webhooks")


class Outcome(StrEnum):
    PROCESSED = "processed"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"


class WebhookHandlingFailed(ApplicationError):
    """The handler failed; the event is stored as failed and will run again (→ 500)."""

    title = "Webhook handling failed"


class ProcessStripeEvent:
    """Verify → store → dispatch → mark, like pay's webhook pipeline.

    1. The signature is checked over the raw body (`InvalidWebhook` → 400, nothing stored).
    2. The event is stored durably (unique on its id) in its own transaction before any handler.
    3. In a second transaction the event is claimed (`events.claim`: its row locked and marked
       `processed` in one statement): a duplicate delivered to another worker at the same moment
       waits there, then finds it processed and does nothing. The dispatch table routes it to its
       handler (`dispatch.route_for`), which gets this transaction's unit of work. The handler's
       changes and the mark commit together (an `ignored` outcome is saved over the mark); if the
       handler fails, everything rolls back and the event is marked `failed` (attempts, last
       error) → 500. A stored payload is parsed again by the same verifier to replay it.
    4. Effects the handler's transaction recorded (e-mails, Stripe metadata), collected by the
       unit of work, are performed after commit, by this worker only (see `application.outbox`).
    """

    def __init__(
        self, verifier: EventVerifier, uow: UnitOfWork, clock: Clock, outbox: Outbox, handlers: Handlers
    ) -> None:
        self._verifier = verifier
        self._uow = uow
        self._clock = clock
        self._outbox = outbox
        self._handlers = handlers

    async def execute(self, payload: bytes, signature: str | None) -> Outcome:
        try:
            event = self._verifier.verify(payload, signature)
        except InvalidWebhook as exc:
            log.warning("webhook refused", extra={"reason": exc.detail})  # one line: anyone can post here
            raise
        await self._uow.store_event(
            WebhookEvent(event.id, event.type, event.created, payload, received_at=self._clock.now())
        )
        return await self.run(event)

    async def replay(self, event_id: str) -> Outcome:
        """Run a stored event again through the same handlers (the `billing events replay` command)."""
        async with self._uow as uow:
            stored = await uow.events.get(event_id)
        if stored is None:
            raise NotFound(f"No stored event {event_id}.")
        return await self.run(self._verifier.parse(stored.payload))

    async def run(self, event: VerifiedEvent) -> Outcome:
        """Run a stored event's handler unless it was processed (also used by the replay command)."""
        route = route_for(event.type)
        try:
            async with self._uow as uow:
                claimed = await uow.events.claim(event.id, now=self._clock.now())
                if claimed is None:
                    return Outcome.DUPLICATE
                handled = await route.run(self._handlers, uow, event) if route else Handled.ignore("unhandled type")
                if handled.ignored:
                    await uow.events.save(claimed.ignored_instead(handled.reason))
                await uow.commit()
        except (DomainError, StorageRejected) as exc:
            # Stripe reported a change our state machine cannot follow (e.g. a capture for an expired
            # order), or one with a value the database refuses (an id longer than any Stripe makes).
            # Retrying cannot fix that: record it as ignored, loudly, and acknowledge.
            log.error("event cannot be applied", extra={"event_id": event.id, "error": str(exc)})
            why, now = str(exc), self._clock.now()
            await self._mark(event, lambda stored: stored.ignored(now, why))
            return Outcome.IGNORED
        except Exception as exc:  # an outage (ApplicationError) or a bug: either way the event must stay retryable
            log.warning(
                "event handling failed",
                extra={"event_id": event.id, "type": event.type, "error": repr(exc)},
                exc_info=not isinstance(exc, ApplicationError),
            )
            error = f"{type(exc).__name__}: {exc}"
            await self._mark(event, lambda stored: stored.failed(error))
            raise WebhookHandlingFailed("The event could not be handled; it will be retried.") from exc
        if handled.ignored and route is not None:
            log.info("event ignored", extra={"event_id": event.id, "type": event.type, "reason": handled.reason})
        await self._outbox.perform(self._uow)
        return Outcome.IGNORED if handled.ignored else Outcome.PROCESSED

    async def _mark(self, event: VerifiedEvent, change: Callable[[WebhookEvent], WebhookEvent]) -> None:
        try:
            async with self._uow as uow:
                stored = await uow.events.get(event.id, for_update=True)
                if stored is not None and stored.needs_processing:
                    await uow.events.save(change(stored))
                    await uow.commit()
        except ApplicationError:
            log.exception("could not record the outcome of event %s", event.id)
