"""Side effects that must happen once, whoever reports the change and however often.

Why an outbox: a capture can be reported by the admin route, by `payment_intent.succeeded`, by
`checkout.session.completed` under auto capture — several times each, to several workers at once.
The change and its effects are recorded in the SAME transaction under a unique effect key
(`order-confirmation:<order id>`), so however many reports commit, one effect row exists.

The transaction that inserts the row also leases it to its own worker and registers it with its
unit of work (`Outbox.record`); once that transaction committed, the caller that owns it performs
what it recorded (`Outbox.perform(uow)`) without a claim transaction; every other report finds the
row already there and performs nothing. Whoever records an effect (a webhook handler, a use case)
never passes it on by hand: the unit of work collects it. Rows recorded elsewhere, and failed
effects, are claimed (one conditional UPDATE, see `EffectRepository.claim`) by `Outbox.run` — the
background sweeper (`run_pending`) or `billing effects run`. A worker that dies after commit (or a
caller that never performs) leaves its rows leased: the sweeper takes them once the lease expires.
Delivery is at least once only when a worker dies between sending and marking done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import timedelta
from typing import Protocol

from application.errors import ApplicationError
from application.ports.clock import Clock
from application.ports.repositories import Effect, Recorded, UnitOfWork

log = logging.getLogger("billing.outbox")

# A performer gets the effect's payload and, when it runs right after the transaction that
# recorded it, what that transaction already held (e.g. the captured `Order`), else None: it may
# use that instead of reading it again, and must read it itself when given None (the sweeper).
Performer = Callable[[Mapping[str, str], object], Awaitable[None]]
# The performers built when the outbox first needs them: most units of work record no effect, and
# building every family (with the e-mail sender, the gateway, …) cost a webhook delivery ~40 µs.
PerformersLoader = Callable[[], Awaitable[Mapping[str, Performer]]]


class EffectPerformers(Protocol):
    """A family of effects (order confirmations, refund e-mails, …): the performer of each of its
    kinds. The composition root hands every family to the outbox (a new one is one line there)."""

    def performers(self) -> Mapping[str, Performer]: ...


def performers_of(families: Iterable[EffectPerformers]) -> dict[str, Performer]:
    merged: dict[str, Performer] = {}
    for family in families:
        for kind, performer in family.performers().items():
            if kind in merged:
                raise ValueError(f"two performers for effects of kind {kind!r}")
            merged[kind] = performer
    return merged


# Longer than the slowest performance of one subject's effects, which run one after the other:
# an e-mail (SMTP operations time out at 10 s each) then a Stripe call (15 s, retried twice with
# backoff: ~50 s). A lease that ran out while its worker was still sending would let the sweeper
# send again. The price: a worker that dies leaves its effects for the sweeper 3 minutes later.
LEASE_SECONDS = 180

# Once an e-mail went out, the mark that it did must not be left to the lease (the sweeper would
# send it again): recording the outcomes is retried, each time on a fresh connection, with these
# pauses (~50 s in all), so performing (~50 s at worst) and recording both end inside the lease.
RECORD_RETRY_SECONDS = (0.1, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 15.0)


def effect_key(kind: str, subject: str) -> str:
    """An effect's unique key, `<kind>:<subject>`; also the idempotency key of what performs it."""
    return f"{kind}:{subject}"


def effect_kind(key: str) -> str | None:
    """The kind of an `effect_key`, None for a key made some other way."""
    kind, colon, _ = key.partition(":")
    return kind if colon else None


class Outbox:
    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        performers: Mapping[str, Performer] | PerformersLoader,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._uow = uow
        self._sleep = sleep
        self._clock = clock
        self._performers: Mapping[str, Performer] | None = None
        self._load: PerformersLoader | None = None
        if isinstance(performers, Mapping):
            self._performers = performers
        else:
            self._load = performers

    async def _performers_now(self) -> Mapping[str, Performer]:
        if self._performers is None:
            assert self._load is not None
            self._performers = await self._load()
        return self._performers

    async def _ready(self) -> Mapping[str, Performer] | None:
        """The performers, or None (logged) when they cannot be built."""
        try:
            return await self._performers_now()
        except Exception:
            log.exception("effects not performed: their performers could not be built")
            return None

    async def record(
        self, uow: UnitOfWork, subject: str, effects: Mapping[str, Mapping[str, str]], *, known: object = None
    ) -> None:
        """Record the subject's effects (kind → payload) in the caller's open transaction, leased to
        this worker, under the keys `<kind>:<subject>`. Idempotent.

        The effects this transaction inserted (not those that existed already: another report
        recorded them, and performs them or has done so) are registered with `uow`, for
        `perform(uow)` after commit. `known` is handed to their performers then.
        """
        unknown = set(effects) - set(await self._performers_now())
        if unknown:  # it would wait in the outbox forever: refuse it while the change can roll back
            raise ValueError(f"no performer for effects of kind {', '.join(sorted(unknown))}")
        now = self._clock.now()
        rows = [
            Effect(effect_key(kind, subject), kind, dict(payload), now, attempts=1) for kind, payload in effects.items()
        ]
        inserted = await uow.effects.add_all_if_absent(rows, leased_until=now + timedelta(seconds=LEASE_SECONDS))
        uow.register_effects(Recorded(effect, known) for effect in rows if effect.key in inserted)

    async def perform(self, uow: UnitOfWork) -> int:
        """Perform the effects `uow`'s committed transactions recorded (call it after the `async
        with` block). Returns how many succeeded. Never raises: what the caller committed stands,
        and an effect that failed, or whose outcome could not be recorded, is left to the sweeper."""
        return await self._perform_all([(r.effect, r.known) for r in uow.collect_effects()])

    async def run(self, keys: Iterable[str]) -> int:
        """Claim and perform effects recorded by anyone (the sweeper's path). Returns how many ran.

        One transaction claims them all and one records the outcomes, however many there are.
        """
        keys = list(keys)
        if not keys or await self._ready() is None:  # nothing claimed that could not be performed
            return 0
        async with self._uow as uow:
            now = self._clock.now()
            claimed = [e for key in keys if (e := await uow.effects.claim(key, now=now, lease_seconds=LEASE_SECONDS))]
            await uow.commit()
        return await self._perform_all([(effect, None) for effect in claimed])

    async def run_pending(self, limit: int = 50) -> int:
        async with self._uow as uow:
            pending = await uow.effects.list_pending(now=self._clock.now(), limit=limit)
        return await self.run(effect.key for effect in pending)

    async def _perform_all(self, effects: list[tuple[Effect, object]]) -> int:
        if not effects:
            return 0  # none recorded, or done already, or other workers hold them
        performers = await self._ready()
        if performers is None:
            return 0  # what was recorded stays leased, for the sweeper
        outcomes = [(effect.key, await self._perform(performers, effect, known)) for effect, known in effects]
        done = [key for key, error in outcomes if error is None]
        for pause in (*RECORD_RETRY_SECONDS, None):
            try:
                await self._record(done, outcomes)
                break
            except ApplicationError as exc:  # the database: unreachable, or the connection died
                if pause is None:
                    log.error("effects performed but not recorded; the sweeper may repeat them", extra={"done": done})
                    break
                log.warning("recording performed effects failed; retrying", extra={"error": type(exc).__name__})
                await self._sleep(pause)
            except Exception:  # a bug: what was performed stays leased, for the sweeper
                log.exception("effects performed but not recorded", extra={"done": done})
                break
        return len(done)

    async def _record(self, done: list[str], outcomes: list[tuple[str, str | None]]) -> None:
        if len(done) == len(outcomes):  # all done: one UPDATE, committed as it runs
            async with self._uow.one_statement() as uow:
                await uow.effects.complete(*done, now=self._clock.now())
            return
        async with self._uow as uow:
            await uow.effects.complete(*done, now=self._clock.now())
            for key, error in outcomes:
                if error is not None:
                    await uow.effects.release(key, error=error)
            await uow.commit()

    async def _perform(self, performers: Mapping[str, Performer], effect: Effect, known: object) -> str | None:
        """None when done; the error's description when it failed (the effect will be retried)."""
        try:
            await performers[effect.kind](effect.payload, known)
        except (ApplicationError, KeyError) as exc:
            log.warning("effect failed; it will be retried", extra={"effect": effect.key, "error": type(exc).__name__})
            return f"{type(exc).__name__}: {exc}"
        except Exception as exc:
            # A bug or an untranslated library error. Recorded like any failure: letting it escape
            # would skip marking done the effects already performed in this batch (the sweeper
            # would perform them again: a second e-mail).
            log.exception("effect failed unexpectedly; it will be retried", extra={"effect": effect.key})
            return f"{type(exc).__name__}: {exc}"
        return None
