"""Side effects that must happen once, whoever reports the change and however often.

Why an outbox: a capture can be reported by the admin route, by `payment_intent.succeeded`, by
`checkout.session.completed` under auto capture — several times each, to several workers at once.
The change and its effects are recorded in the SAME transaction under a unique effect key
(`order-confirmation:<order id>`), so however many reports commit, one effect row exists. After
commit, a worker claims the row with a lease (one conditional UPDATE, see `EffectRepository.claim`)
and performs it; the others find it claimed or done. A failed effect keeps its row and is retried by
the background sweeper (or `billing effects run`). Delivery is at least once only when a worker
dies between sending and marking done, after its lease expires.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping

from application.errors import ApplicationError
from application.ports.clock import Clock
from application.ports.repositories import Effect, UnitOfWork

log = logging.getLogger("billing.outbox")

Performer = Callable[[Mapping[str, str]], Awaitable[None]]

LEASE_SECONDS = 60


class Outbox:
    def __init__(self, uow: UnitOfWork, clock: Clock, performers: Mapping[str, Performer]) -> None:
        self._uow = uow
        self._clock = clock
        self._performers = performers

    async def record(self, uow: UnitOfWork, kind: str, subject: str, payload: Mapping[str, str]) -> str:
        """Record the effect in the caller's open transaction; returns its key. Idempotent."""
        key = f"{kind}:{subject}"
        await uow.effects.add_if_absent(Effect(key, kind, dict(payload), self._clock.now()))
        return key

    async def run(self, keys: Iterable[str]) -> int:
        """Perform the given effects (after the recording transaction committed). Returns how many ran.

        One transaction claims them all and one records the outcomes, however many there are: a
        capture's two effects cost two short transactions, not four.
        """
        keys = list(keys)
        if not keys:
            return 0
        async with self._uow as uow:
            now = self._clock.now()
            claimed = [e for key in keys if (e := await uow.effects.claim(key, now=now, lease_seconds=LEASE_SECONDS))]
            await uow.commit()
        if not claimed:
            return 0  # done already, or other workers hold them
        outcomes = [(effect.key, await self._perform(effect)) for effect in claimed]
        async with self._uow as uow:
            for key, error in outcomes:
                if error is None:
                    await uow.effects.complete(key, now=self._clock.now())
                else:
                    await uow.effects.release(key, error=error)
            await uow.commit()
        return sum(error is None for _, error in outcomes)

    async def run_pending(self, limit: int = 50) -> int:
        async with self._uow as uow:
            pending = await uow.effects.list_pending(now=self._clock.now(), limit=limit)
        return await self.run(effect.key for effect in pending)

    async def _perform(self, effect: Effect) -> str | None:
        """None when done; the error's description when it failed (the effect will be retried)."""
        try:
            await self._performers[effect.kind](effect.payload)
        except (ApplicationError, KeyError) as exc:
            log.warning("effect failed; it will be retried", extra={"effect": effect.key, "error": type(exc).__name__})
            return f"{type(exc).__name__}: {exc}"
        return None
