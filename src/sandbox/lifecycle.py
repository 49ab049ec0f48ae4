"""Moving sandbox time: everything that falls due happens at its own moment, oldest first.

Renewals and trial ends, trial reminders, invoice finalization an hour after creation, payment
retries on the retry schedule, scheduled cancellations, lapsed holds and expired Checkout
Sessions. The clock steps to each due time before acting, so every event carries the second it
would have had at Stripe and a long jump plays out as the days in between would have.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox import billing_cycle, collection
from sandbox.resources import checkout, payment_intents, subscriptions
from sandbox.resources.subscription_objects import period_end
from sandbox.state import State
from sandbox.store import Obj

HOLD_LIFETIME = 7 * 86400  # card authorizations lapse after seven days
_MAX_STEPS = 100_000  # a guard: every action moves its object on, so a loop this long is a bug


@dataclass(frozen=True)
class Due:
    at: int
    kind: str  # the report's key
    subject: str
    act: Callable[[], Any]


def advance(state: State, seconds: int) -> dict[str, Any]:
    if seconds < 0:
        raise ValueError("the sandbox clock only moves forward")
    target = state.now() + seconds
    report: dict[str, Any] = {
        "renewed": [],
        "ended": [],
        "trials_ending": [],
        "charged": [],
        "lapsed": [],
        "expired": [],
    }
    for _ in range(_MAX_STEPS):
        due = [d for d in _due(state) if d.at <= target]
        if not due:
            break
        step = min(due, key=lambda d: d.at)  # min keeps the first of equals: the table's order
        state.clock.advance_to(step.at)
        outcome = step.act()
        report[step.kind].append(step.subject if outcome is None else {"invoice": step.subject, **outcome})
    else:
        raise RuntimeError("the sandbox clock found no end to what fell due")
    state.clock.advance_to(target)
    return {"now": state.now(), **report}


def _due(state: State) -> list[Due]:
    return [*_subscriptions_due(state), *_invoices_due(state), *_payments_due(state)]


def _subscriptions_due(state: State) -> list[Due]:
    found = []
    for sub in reversed(state.store.all("subscription")):
        if sub["status"] in billing_cycle.RENEWING:
            end = period_end(sub)
            if sub["cancel_at"] is not None and sub["cancel_at"] <= end:
                at = int(sub["cancel_at"])
                found.append(Due(at, "ended", sub["id"], _bind(subscriptions.cancel, state, {}, sub["id"], at=at)))
            else:
                found.append(Due(end, "renewed", sub["id"], _bind(billing_cycle.renew, state, sub)))
        notice = billing_cycle.trial_notice_at(state, sub)
        if notice is not None:
            found.append(Due(notice, "trials_ending", sub["id"], _bind(billing_cycle.notify_trial_end, state, sub)))
    return found


def _invoices_due(state: State) -> list[Due]:
    found = []
    for invoice in reversed(state.store.all("invoice")):
        if invoice["status"] == "draft" and invoice["automatically_finalizes_at"] is not None:
            at = int(invoice["automatically_finalizes_at"])
            found.append(Due(at, "charged", invoice["id"], _charge(state, invoice, first=True)))
        elif invoice["status"] == "open" and invoice["auto_advance"] and invoice["next_payment_attempt"] is not None:
            at = int(invoice["next_payment_attempt"])
            found.append(Due(at, "charged", invoice["id"], _charge(state, invoice, first=False)))
    return found


def _charge(state: State, invoice: Obj, first: bool) -> Callable[[], dict[str, Any]]:
    """Finalize and charge a draft, or run its next automatic retry; the report names the outcome."""

    def act() -> dict[str, Any]:
        if first:
            collection.finalize(state, invoice)
        else:
            collection.attempt(state, invoice, automatic=True)
        return {"attempt_count": invoice["attempt_count"], "status": invoice["status"]}

    return act


def _payments_due(state: State) -> list[Due]:
    found = []
    for intent in reversed(state.store.all("payment_intent")):
        if intent["status"] == "requires_capture":
            at = intent["created"] + HOLD_LIFETIME
            act = _bind(payment_intents.cancel, state, {}, intent["id"], reason="automatic")
            found.append(Due(at, "lapsed", intent["id"], act))
    for session in reversed(state.store.all("checkout.session")):
        if session["status"] == "open":
            found.append(
                Due(session["expires_at"], "expired", session["id"], _bind(checkout.expire, state, {}, session["id"]))
            )
    return found


def _bind(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], None]:
    """An action whose result the report does not need."""

    def act() -> None:
        function(*args, **kwargs)

    return act
