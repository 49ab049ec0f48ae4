"""What a webhook handler is, and what the dispatch table holds.

A handler is a small class: its constructor takes what it needs (use cases, the gateway, settings;
the container builds it per request), and `handle` applies one kind of event inside the pipeline's
open transaction, which it receives explicitly:

    class RefundUpdated:
        def __init__(self, record_refund: RecordRefund) -> None:
            self._record_refund = record_refund

        async def handle(self, uow: UnitOfWork, event: StripeEvent[Refund]) -> Handled:
            ...
            return PROCESSED  # or Handled.ignore("no order for this refund")

It never commits, and never performs an effect: effects it records (through the outbox) are
collected by `uow` and performed by the pipeline after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from application.ports.events import StripeEvent
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import UnreadableObject

Obj = TypeVar("Obj")
Obj_contra = TypeVar("Obj_contra", contravariant=True)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Handled:
    """What a handler did: `ignored` with a reason when the event named nothing the service knows."""

    ignored: bool = False
    reason: str = ""

    @classmethod
    def ignore(cls, reason: str) -> Handled:
        return cls(True, reason)


PROCESSED = Handled()


class WebhookHandler(Protocol[Obj_contra]):
    async def handle(self, uow: UnitOfWork, event: StripeEvent[Obj_contra]) -> Handled: ...


class Handlers(Protocol):
    """Builds a handler with what it needs, for the current request (the dishka container)."""

    async def get(self, kind: type[T], /) -> T: ...


@dataclass(frozen=True, slots=True)
class Route(Generic[Obj]):
    """A dispatch table entry: the object the handler reads, and the handler."""

    reads: type[Obj]
    handler: type[WebhookHandler[Obj]]

    async def run(self, handlers: Handlers, uow: UnitOfWork, event: StripeEvent[object]) -> Handled:
        if not isinstance(event.object, self.reads):
            # Signed, but not the object this type of event carries (or not readable): no retry
            # will change that, so it is acknowledged and stored as ignored, with the reason.
            return Handled.ignore(_not_readable(event.object, self.reads))
        handler = await handlers.get(self.handler)
        return await handler.handle(uow, cast(StripeEvent[Obj], event))


AnyRoute = Route[Any]


def _not_readable(obj: object, wanted: type) -> str:
    if isinstance(obj, UnreadableObject):
        return f"the event's {obj.kind} object cannot be read: {obj.reason}"
    return f"the event carries a {type(obj).__name__}, not a {wanted.__name__}"
