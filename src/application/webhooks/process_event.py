from __future__ import annotations

import logging
import time
from collections.abc import Callable

from structlog.contextvars import bound_contextvars

from application.errors import ApplicationError, InvalidWebhook, NotFound, StorageRejected
from application.outbox import Outbox
from application.ports.clock import Clock
from application.ports.events import EventVerifier, VerifiedEvent
from application.ports.metrics import OTHER, Metrics, WebhookOutcome
from application.ports.repositories import Receipt, UnitOfWork
from application.ports.tracing import Tracer
from application.webhooks.dispatch import metric_type, route_for
from application.webhooks.handler import Handled, Handlers
from domain.errors import DomainError
from domain.webhook_event import WebhookEvent

log = logging.getLogger("billing.webhooks")


Outcome = WebhookOutcome  # what `execute`, `replay` and `run` return: processed, ignored or duplicate


class WebhookHandlingFailed(ApplicationError):
    """The handler failed; the event is stored as failed and will run again (→ 500)."""

    title = "Webhook handling failed"


class ProcessStripeEvent:
    """Verify → store → dispatch → mark, like pay's webhook pipeline.

    1. The signature is checked over the raw body (`InvalidWebhook` → 400, nothing stored).
    2. The event is stored durably (unique on its id) in its own transaction before any handler.
       A delivery of an event already done (processed or ignored, as committed) is answered from
       that one statement (`Receipt.DONE`): no transaction, nothing runs.
    3. In a second transaction, on the same pooled connection (`uow.one_connection`), the event
       is claimed (`events.claim`: its row locked and marked `processed` in one statement): a
       duplicate delivered to another worker at the same moment waits there, then finds it
       processed and does nothing. The dispatch table routes it to its
       handler (`dispatch.route_for`), which gets this transaction's unit of work. The handler's
       changes and the mark commit together (an `ignored` outcome is saved over the mark); if the
       handler fails, everything rolls back and the event is marked `failed` (attempts, last
       error) → 500. A stored payload is parsed again by the same verifier to replay it.
    4. Effects the handler's transaction recorded (e-mails, Stripe metadata), collected by the
       unit of work, are performed after commit, by this worker only (see `application.outbox`).

    Each delivery or replay is counted by type and outcome with its duration (`Metrics`), runs in a
    span of its own (`Tracer`), and every log line written meanwhile carries the event's id and type.
    """

    def __init__(
        self,
        verifier: EventVerifier,
        uow: UnitOfWork,
        clock: Clock,
        outbox: Outbox,
        handlers: Handlers,
        metrics: Metrics,
        tracer: Tracer,
    ) -> None:
        self._verifier = verifier
        self._uow = uow
        self._clock = clock
        self._outbox = outbox
        self._handlers = handlers
        self._metrics = metrics
        self._tracer = tracer

    async def execute(self, payload: bytes, signature: str | None) -> Outcome:
        started = time.perf_counter()
        try:
            event = self._verifier.verify(payload, signature)
        except InvalidWebhook as exc:
            log.warning("webhook refused", extra={"reason": exc.detail})  # one line: anyone can post here
            # Its type is not to be trusted (nor bounded) before the signature checks out.
            self._metrics.webhook_handled(OTHER, Outcome.REJECTED, time.perf_counter() - started)
            raise
        return await self._observed(event, started, payload)

    async def ingest(self, payload: bytes) -> Outcome:
        """An event read from Stripe's API (`billing events pull`) instead of delivered: authentic
        without a signature (it came over an authenticated request to Stripe), so it is parsed,
        stored and run exactly as a delivered webhook is. Already stored (delivered meanwhile, or
        pulled by another worker): `DUPLICATE`, and nothing runs. Raises as `execute` does."""
        event = self._verifier.parse(payload)
        stored = WebhookEvent(event.id, event.type, event.created, payload, received_at=self._clock.now())
        if not await self._uow.store_event(stored):
            return Outcome.DUPLICATE
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
        return await self._observed(event, time.perf_counter(), None)

    async def _observed(self, event: VerifiedEvent, started: float, payload: bytes | None) -> Outcome:
        """Store the event first when `payload` is a new delivery's, then run it; measured, traced and
        logged with its id and type."""
        label = metric_type(event.type)
        outcome = Outcome.FAILED
        attributes = {"stripe.event_id": event.id, "stripe.event_type": event.type}
        with (
            bound_contextvars(event_id=event.id, event_type=event.type),
            self._tracer.span(f"webhook {label}", attributes),
        ):
            try:
                delivered = None
                if payload is not None:
                    delivered = WebhookEvent(
                        event.id, event.type, event.created, payload, received_at=self._clock.now()
                    )
                outcome = await self._run(event, delivered)
            finally:
                self._metrics.webhook_handled(label, outcome, time.perf_counter() - started)
        return outcome

    async def _run(self, event: VerifiedEvent, delivered: WebhookEvent | None) -> Outcome:
        """Store a delivered event (committed on its own), then claim and handle it: one pooled
        connection for both; the effects are performed after the connection went back."""
        async with self._uow.one_connection():
            if delivered is not None and await self._uow.receive_event(delivered) is Receipt.DONE:
                return Outcome.DUPLICATE  # done and committed before this delivery: no transaction
            outcome = await self._handle(event)
        await self._outbox.perform(self._uow)
        return outcome

    async def _handle(self, event: VerifiedEvent) -> Outcome:
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
            log.error("event cannot be applied", extra={"error": str(exc)})
            why, now = str(exc), self._clock.now()
            await self._mark(event, lambda stored: stored.ignored(now, why))
            return Outcome.IGNORED
        except Exception as exc:  # an outage (ApplicationError) or a bug: either way the event must stay retryable
            log.warning(
                "event handling failed",
                extra={"error": repr(exc)},
                exc_info=not isinstance(exc, ApplicationError),
            )
            error = f"{type(exc).__name__}: {exc}"
            await self._mark(event, lambda stored: stored.failed(error))
            raise WebhookHandlingFailed("The event could not be handled; it will be retried.") from exc
        if handled.ignored and route is not None:
            log.info("event ignored", extra={"reason": handled.reason})
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
