"""A signed-in user and the Stripe customer that pays for them."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Customer:
    """One per user id. `stripe_customer_id` is set once and never replaced by another id.

    `subscription_checkout_id`: the subscription Checkout Session last opened for the user, so the
    next one can close it (at most one is open, so at most one trial can start) or learn that the
    buyer finished it before its webhook arrived; `subscription_checkout_request`: what opened it,
    when the client gave an idempotency key (`<digest of user and key>:<price id>`), so the
    client's retry gets that session back instead of closing it."""

    user_id: str
    email: str | None = None
    stripe_customer_id: str | None = None
    subscription_checkout_id: str | None = None
    subscription_checkout_request: str | None = None

    def with_stripe_customer(self, stripe_customer_id: str) -> Customer:
        if self.stripe_customer_id not in (None, stripe_customer_id):
            raise ValueError(f"user {self.user_id} is already linked to {self.stripe_customer_id}")
        return replace(self, stripe_customer_id=stripe_customer_id)

    def with_email(self, email: str | None) -> Customer:
        return self if not email or email == self.email else replace(self, email=email)
