"""Refunds: create (by charge or PaymentIntent), retrieve, update, list; settle and release.

Events, in the order Stripe sends them: `refund.created`, then `charge.refunded` with the charge's
new totals; a refund that later settles sends `refund.updated`, and one that fails also
`refund.failed`. Card refunds succeed at once. A refund stays `pending` while the sandbox is told
to hold refunds (`State.refunds_stay_pending`, switched from the dashboard page or
`Sandbox.dashboard`); `settle` then makes it succeed or fail, as Stripe's pending-refund and
refund-failure test cards do.
"""

import copy
from typing import Any

import stripe.params as p

from sandbox.errors import invalid
from sandbox.ids import new_id
from sandbox.money import display
from sandbox.resources import charges
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, created_within, merge_metadata, page

FAILURE_REASONS = ("expired_or_canceled_card", "lost_or_stolen_card", "unknown")


def create(state: State, params: dict[str, Any]) -> Obj:
    charge = _refundable_charge(state, params)
    left = charges.refundable(charge)
    amount: int = params.get("amount", left)
    if amount < 1:
        raise invalid("This value must be greater than or equal to 1.", param="amount")
    if amount > left:
        raise invalid(
            f"Refund amount ({display(amount, charge['currency'])}) is greater than unrefunded amount on "
            f"charge ({display(left, charge['currency'])})",
            param="amount",
            code="amount_too_large",
        )
    status = "pending" if state.refunds_stay_pending else "succeeded"
    refund = _new(state, charge, amount, params.get("reason"), merge_metadata({}, params.get("metadata")), status)
    state.events.emit("refund.created", refund)
    state.events.emit("charge.refunded", charge, charges.refresh(state, charge))
    return refund


def release(state: State, charge: Obj, reason: str | None, charge_event: str) -> Obj:
    """A canceled or lapsed hold gives the uncaptured amount back: Stripe records it as a refund."""
    refund = _new(state, charge, charge["amount"] - charge["amount_refunded"], reason, {}, "succeeded")
    refund["destination_details"]["card"] = {"type": "reversal"}
    state.events.emit("refund.created", refund)
    state.events.emit(charge_event, charge, charges.refresh(state, charge))
    return refund


def settle(state: State, refund_id: str, outcome: str, failure_reason: str = "expired_or_canceled_card") -> Obj:
    """A pending refund succeeds or fails; a succeeded one can still fail (the card was closed)."""
    refund = state.store.get("refund", refund_id)
    allowed = ("pending",) if outcome == "succeeded" else ("pending", "succeeded")
    if outcome not in ("succeeded", "failed") or refund["status"] not in allowed:
        raise invalid(f"Refund {refund_id} has a status of {refund['status']} and cannot become {outcome}.")
    if failure_reason not in FAILURE_REASONS:
        raise invalid(f"Invalid failure_reason: must be one of {', '.join(FAILURE_REASONS)}")
    before = copy.deepcopy(refund)
    refund["status"] = outcome
    if outcome == "failed":
        refund.update(failure_reason=failure_reason, failure_balance_transaction=new_id("txn", 24))
    charges.refresh(state, state.store.get("charge", refund["charge"]))
    state.events.changed("refund.updated", before, refund)
    if outcome == "failed":
        state.events.emit("refund.failed", refund)
    return refund


def _refundable_charge(state: State, params: dict[str, Any]) -> Obj:
    intent_id, charge_id = params.get("payment_intent"), params.get("charge")
    if intent_id is not None:
        intent = state.store.get("payment_intent", intent_id, "payment_intent")
        if intent["status"] != "succeeded" or intent["latest_charge"] is None:
            raise _no_successful_charge(intent_id, "payment_intent")
        if charge_id is not None and charge_id != intent["latest_charge"]:
            raise invalid(f"Charge {charge_id} does not belong to PaymentIntent {intent_id}.", param="charge")
        charge_id = intent["latest_charge"]
    if charge_id is None:
        raise invalid("One of the following params should be provided for this request: charge or payment_intent.")
    charge = state.store.get("charge", charge_id, "charge")
    if not charge["captured"]:
        raise _no_successful_charge(charge["payment_intent"], "charge")
    if _charged_back(state, charge):
        raise invalid(f"Charge {charge['id']} has been charged back; cannot issue a refund.", code="charge_disputed")
    if charges.refundable(charge) == 0:
        raise invalid(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    return charge


def _no_successful_charge(intent_id: str, param: str) -> Exception:
    return invalid(f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.", param=param)


def _charged_back(state: State, charge: Obj) -> bool:
    return any(
        d["charge"] == charge["id"] and not d["is_charge_refundable"] and d["status"] != "won"
        for d in state.store.all("dispute")
    )


def _new(state: State, charge: Obj, amount: int, reason: str | None, metadata: dict[str, str], status: str) -> Obj:
    refund: Obj = {
        "id": new_id("re", 24),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn", 24),
        "charge": charge["id"],
        "created": state.now(),
        "currency": charge["currency"],
        "destination_details": {
            "card": {"reference_status": "pending", "reference_type": "acquirer_reference_number", "type": "refund"},
            "type": "card",
        },
        "metadata": metadata,
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": status,
        "transfer_reversal": None,
    }
    return state.store.add(refund)


def retrieve(state: State, params: dict[str, Any], refund_id: str) -> Obj:
    return state.store.get("refund", refund_id)


def update(state: State, params: dict[str, Any], refund_id: str) -> Obj:
    refund = state.store.get("refund", refund_id)
    before = copy.deepcopy(refund)
    if "metadata" in params:
        refund["metadata"] = merge_metadata(refund["metadata"], params["metadata"])
    charges.refresh(state, state.store.get("charge", refund["charge"]))
    state.events.changed("refund.updated", before, refund)
    return refund


def list_(state: State, params: dict[str, Any]) -> Obj:
    items = state.store.all("refund")
    for key in ("charge", "payment_intent"):
        if key in params:
            items = [x for x in items if x[key] == params[key]]
    return page(created_within(items, params.get("created")), params, "/v1/refunds")


ROUTES: list[Route] = [
    route("POST", "/v1/refunds", p.RefundCreateParams, create),
    route("GET", "/v1/refunds", p.RefundListParams, list_),
    route("GET", "/v1/refunds/{id}", p.RefundRetrieveParams, retrieve),
    route("POST", "/v1/refunds/{id}", p.RefundUpdateParams, update),
]
