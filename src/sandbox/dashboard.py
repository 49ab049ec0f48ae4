"""`Dashboard`: what a person does to a payment in Stripe's Dashboard, as test hooks and for the pages.

Refund a payment (all that is left, or part), let refunds settle later, and play the card network:
open a dispute on a captured payment, then close it won or lost. Every action changes the account
and emits the events Stripe would, exactly as the same action through the API.
"""

from sandbox.errors import invalid
from sandbox.resources import disputes, refunds
from sandbox.state import State
from sandbox.store import Obj


class Dashboard:
    def __init__(self, state: State) -> None:
        self.state = state

    def charge(self, payment: str) -> Obj:
        """The charge behind a PaymentIntent (`pi_…`) or the charge itself (`ch_…`)."""
        if payment.startswith("pi_"):
            intent = self.state.store.get("payment_intent", payment)
            if intent["latest_charge"] is None:
                raise invalid(f"PaymentIntent {payment} has no charge.")
            return self.state.store.get("charge", intent["latest_charge"])
        return self.state.store.get("charge", payment)

    def refund(self, payment: str, amount: int | None = None, reason: str | None = None) -> Obj:
        params: dict[str, object] = {"charge": self.charge(payment)["id"]}
        if amount is not None:
            params["amount"] = amount
        if reason:
            params["reason"] = reason
        return refunds.create(self.state, params)

    def hold_refunds(self, on: bool = True) -> None:
        """While on, new refunds stay `pending` until `settle_refund` (from the API or here)."""
        self.state.refunds_stay_pending = on

    def settle_refund(self, refund_id: str, outcome: str, failure_reason: str = "expired_or_canceled_card") -> Obj:
        return refunds.settle(self.state, refund_id, outcome, failure_reason)

    def open_dispute(self, payment: str, reason: str = "fraudulent", amount: int | None = None) -> Obj:
        return disputes.open_(self.state, self.charge(payment)["id"], reason, amount)

    def close_dispute(self, dispute_id: str, outcome: str) -> Obj:
        return disputes.resolve(self.state, dispute_id, outcome)
