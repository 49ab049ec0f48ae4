"""Disputes: opened on a captured charge (sandbox pages or `Sandbox.dashboard`), then retrieve,
update (submit evidence), close (accept), list; `resolve` closes one won or lost.

Events as Stripe sends them for a chargeback: `charge.dispute.created` and
`charge.dispute.funds_withdrawn`; `charge.dispute.updated` when evidence is submitted (or metadata
changes); `charge.dispute.closed`, followed by `charge.dispute.funds_reinstated` when it is won.
Stripe's test-mode evidence works here too: `uncategorized_text` `winning_evidence` or
`losing_evidence` closes the dispute won or lost as soon as it is submitted.
"""

import copy
from typing import Any

import stripe.params as p

from sandbox.errors import invalid
from sandbox.ids import new_id
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, created_within, merge_metadata, page

EVIDENCE_WINDOW = 7 * 86400
DISPUTE_FEE = 1500
REASONS = ("fraudulent", "product_not_received", "duplicate", "unrecognized", "general", "subscription_canceled")
_NETWORK_REASON = {"fraudulent": "10.4", "product_not_received": "13.1", "duplicate": "12.6.1"}
_EVIDENCE_KEYS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)
OPEN_STATUSES = ("needs_response", "under_review")
_TEST_OUTCOMES = {"winning_evidence": "won", "losing_evidence": "lost"}


def open_(state: State, charge_id: str, reason: str = "fraudulent", amount: int | None = None) -> Obj:
    charge = state.store.get("charge", charge_id, "charge")
    if not charge["captured"]:
        raise invalid(f"Charge {charge_id} has not been captured, so it cannot be disputed.")
    if charge["refunded"]:
        raise invalid(f"Charge {charge_id} has been fully refunded, so it cannot be disputed.")
    if any(d["charge"] == charge_id for d in state.store.all("dispute")):
        raise invalid(f"Charge {charge_id} has already been disputed.")
    if reason not in REASONS:
        raise invalid(f"Invalid reason: must be one of {', '.join(REASONS)}", param="reason")
    disputed = amount if amount is not None else charge["amount_captured"] - charge["amount_refunded"]
    if not 0 < disputed <= charge["amount_captured"]:
        raise invalid("The disputed amount must be positive and no more than the amount captured.", param="amount")
    now = state.now()
    dispute: Obj = {
        "id": new_id("dp", 24),
        "object": "dispute",
        "amount": disputed,
        "balance_transactions": [],
        "charge": charge_id,
        "created": now,
        "currency": charge["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {key: None for key in _EVIDENCE_KEYS} | {"enhanced_evidence": {}},
        "evidence_details": {
            "due_by": now + EVIDENCE_WINDOW,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "payment_method_details": {
            "card": {
                "brand": "visa",
                "case_type": "chargeback",
                "network_reason_code": _NETWORK_REASON.get(reason, "13.7"),
                "network": "visa",
            },
            "type": "card",
        },
        "reason": reason,
        "status": "needs_response",
    }
    state.store.add(dispute)
    charge["disputed"] = True
    state.events.emit("charge.dispute.created", dispute)
    _move_funds(state, dispute, -disputed, DISPUTE_FEE, "Chargeback withdrawal")
    state.events.emit("charge.dispute.funds_withdrawn", dispute)
    return dispute


def resolve(state: State, dispute_id: str, outcome: str) -> Obj:
    """The card network's decision: `won` gives the money back, `lost` keeps it with the buyer."""
    dispute = state.store.get("dispute", dispute_id)
    if outcome not in ("won", "lost"):
        raise invalid(f"Invalid outcome: {outcome} (won or lost)")
    if dispute["status"] not in OPEN_STATUSES:
        raise invalid(f"The dispute {dispute_id} is already closed ({dispute['status']}).")
    before = copy.deepcopy(dispute)
    dispute["status"] = outcome
    state.events.emit("charge.dispute.closed", dispute, {"status": before["status"]})
    if outcome == "won":
        _move_funds(state, dispute, dispute["amount"], 0, "Chargeback reversal")
        state.events.emit("charge.dispute.funds_reinstated", dispute)
    return dispute


def _move_funds(state: State, dispute: Obj, amount: int, fee: int, description: str) -> None:
    dispute["balance_transactions"].append(
        {
            "id": new_id("txn", 24),
            "object": "balance_transaction",
            "amount": amount,
            "created": state.now(),
            "currency": dispute["currency"],
            "description": f"{description} for {dispute['charge']}",
            "fee": fee,
            "net": amount - fee,
            "reporting_category": "dispute" if amount < 0 else "dispute_reversal",
            "source": dispute["id"],
            "status": "available",
            "type": "adjustment",
        }
    )


def retrieve(state: State, params: dict[str, Any], dispute_id: str) -> Obj:
    return state.store.get("dispute", dispute_id)


def update(state: State, params: dict[str, Any], dispute_id: str) -> Obj:
    dispute = state.store.get("dispute", dispute_id)
    if "evidence" in params and dispute["status"] not in OPEN_STATUSES:
        raise invalid(f"This dispute is already closed ({dispute['status']}); evidence can no longer be submitted.")
    before = copy.deepcopy(dispute)
    if "metadata" in params:
        dispute["metadata"] = merge_metadata(dispute["metadata"], params["metadata"])
    evidence = params.get("evidence", {})
    dispute["evidence"].update({k: v for k, v in evidence.items() if k in _EVIDENCE_KEYS})
    submitted = bool(evidence) and params.get("submit", True)
    if submitted:
        details = dispute["evidence_details"]
        details.update(has_evidence=True, submission_count=details["submission_count"] + 1)
        dispute["status"] = "under_review"
    state.events.changed("charge.dispute.updated", before, dispute)
    outcome = _TEST_OUTCOMES.get(str(dispute["evidence"]["uncategorized_text"]))
    if submitted and outcome is not None:
        resolve(state, dispute_id, outcome)
    return dispute


def close(state: State, params: dict[str, Any], dispute_id: str) -> Obj:
    """Accepting the dispute: the merchant gives up and it is lost."""
    dispute = state.store.get("dispute", dispute_id)
    if dispute["status"] != "needs_response":
        raise invalid(
            f"This dispute cannot be closed because it has a status of {dispute['status']}. Only a dispute "
            "with a status of needs_response may be closed."
        )
    return resolve(state, dispute_id, "lost")


def list_(state: State, params: dict[str, Any]) -> Obj:
    items = state.store.all("dispute")
    for key in ("charge", "payment_intent"):
        if key in params:
            items = [x for x in items if x[key] == params[key]]
    return page(created_within(items, params.get("created")), params, "/v1/disputes")


ROUTES: list[Route] = [
    route("GET", "/v1/disputes", p.DisputeListParams, list_),
    route("GET", "/v1/disputes/{id}", p.DisputeRetrieveParams, retrieve),
    route("POST", "/v1/disputes/{id}", p.DisputeUpdateParams, update),
    route("POST", "/v1/disputes/{id}/close", p.DisputeCloseParams, close),
]
