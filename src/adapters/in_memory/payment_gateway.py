"""In-memory `PaymentGateway`: a small, stateful Stripe stand-in for use-case tests.

It keeps Stripe's idempotency semantics (same key and parameters → first result; same key with
other parameters → refused), yields to the event loop on every call as network I/O would, counts
calls per operation, and can be told to fail (`fail_next`) to test "Stripe down" paths. Tests
arrange Stripe-side state through `add_price`, `add_product`, `add_subscription`, `authorize`, …
the way the Dashboard would.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.in_memory.refund_book import RefundBook
from application.errors import Conflict, PaymentProviderRejected, PaymentProviderUnavailable, PriceNotAvailable
from application.ports.payment_gateway import (
    CatalogCoupon,
    CatalogPrice,
    CatalogProduct,
    CheckoutSessionRequest,
    Price,
    RefundRequest,
)
from application.ports.stripe_objects import (
    CheckoutSession,
    InvoiceState,
    PaymentIntent,
    RefundState,
    SubscriptionState,
)
from domain.refund import RefundStatus
from domain.subscription import SubscriptionStatus


class InMemoryPaymentGateway:
    def __init__(self) -> None:
        self.prices: dict[str, Price] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, CheckoutSession] = {}
        self.session_requests: dict[str, CheckoutSessionRequest] = {}
        self.intents: dict[str, PaymentIntent] = {}
        self.subscriptions: dict[str, SubscriptionState] = {}
        self.invoices: dict[str, InvoiceState] = {}
        self.products: list[CatalogProduct] = []
        self.coupons: list[CatalogCoupon] = []
        self.portal_sessions: list[tuple[str, str]] = []
        self.refunds = RefundBook()
        self.calls: Counter[str] = Counter()
        self._failures: dict[str, list[Exception]] = {}
        self._idempotent: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._archived: set[str] = set()
        self._ids = itertools.count(1)

    # --- arranging Stripe-side state -------------------------------------------------------
    def add_price(self, price: Price) -> Price:
        self.prices[price.id] = price
        return price

    def add_product(self, product: CatalogProduct) -> CatalogProduct:
        self.products.append(product)
        return product

    def archive(self, object_id: str) -> None:
        """Deactivate a product or a catalog price: `list_products` leaves it out from now on."""
        self._archived.add(object_id)

    def add_subscription(self, state: SubscriptionState) -> SubscriptionState:
        self.subscriptions[state.id] = state
        return state

    def add_invoice(self, state: InvoiceState) -> InvoiceState:
        """Stripe's current state of an invoice, as `get_invoice` returns it."""
        self.invoices[state.id] = state
        return state

    def authorize(self, session_id: str) -> PaymentIntent:
        """The buyer paid a payment-mode session with manual capture: funds are held."""
        session = self.sessions[session_id]
        intent = PaymentIntent(
            id=self._id("pi"),
            status="requires_capture",
            amount=session.amount_total or 0,
            currency=session.currency or "usd",
            amount_capturable=session.amount_total or 0,
            metadata=dict(session.metadata),
        )
        self.intents[intent.id] = intent
        self.sessions[session_id] = replace(session, status="complete", payment_intent_id=intent.id)
        return intent

    def subscribe(self, session_id: str, period_end: datetime | None = None) -> SubscriptionState:
        """The buyer paid a subscription-mode session: Stripe starts an active subscription whose
        plan key is its product's `metadata.plan_key`, as the real adapter reads it."""
        session = self.sessions[session_id]
        request = self.session_requests[session_id]
        price = self.prices[request.lines[0].price_id]
        product = next((p for p in self.products if p.id == price.product_id), None)
        now = datetime.now(UTC).replace(microsecond=0)
        trial_end = now + timedelta(days=request.trial_period_days) if request.trial_period_days else None
        state = SubscriptionState(
            id=self._id("sub"),
            customer_id=session.customer_id or "",
            status=SubscriptionStatus.TRIALING if trial_end else SubscriptionStatus.ACTIVE,
            price_id=price.id,
            product_id=price.product_id,
            plan_key=product.metadata.get("plan_key") if product else None,
            current_period_end=period_end or trial_end or now + timedelta(days=30),
            cancel_at_period_end=False,
            cancel_at=None,
            canceled_at=None,
            ended_at=None,
            metadata=dict(request.subscription_metadata or {}),
            trial_end=trial_end,
        )
        self.subscriptions[state.id] = state
        self.sessions[session_id] = replace(session, status="complete", payment_status="paid", subscription_id=state.id)
        return state

    def fail_next(self, operation: str, error: Exception | None = None, times: int = 1) -> None:
        err = error or PaymentProviderUnavailable("The payment provider is unavailable; please try again shortly.")
        self._failures.setdefault(operation, []).extend([err] * times)

    def forget_failures(self) -> None:
        """Drop the failures `fail_next` set up that no call has met yet."""
        self._failures.clear()

    # --- the port --------------------------------------------------------------------------
    async def _enter(self, operation: str) -> None:
        self.calls[operation] += 1
        await asyncio.sleep(0)  # a real call is I/O: let concurrent callers interleave here
        pending = self._failures.get(operation)
        if pending:
            raise pending.pop(0)

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    def _replay(self, operation: str, key: str, params: Any) -> Any:
        """The first result for this key, or None; Stripe refuses a key reused with other params."""
        found = self._idempotent.get((operation, key))
        if found is None:
            return None
        first_params, result = found
        if first_params != params:
            raise Conflict("This idempotency key was already used for a different request; use a new key.")
        return result

    def _remember(self, operation: str, key: str, params: Any, result: Any) -> None:
        self._idempotent[(operation, key)] = (params, result)

    async def create_customer(self, *, user_id: str, email: str | None, idempotency_key: str) -> str:
        await self._enter("create_customer")
        params = {"user_id": user_id, "email": email}
        if (found := self._replay("create_customer", idempotency_key, params)) is not None:
            return str(found)
        customer_id = self._id("cus")
        self.customers[customer_id] = params
        self._remember("create_customer", idempotency_key, params, customer_id)
        return customer_id

    async def get_price(self, price_id: str) -> Price | None:
        await self._enter("get_price")
        return self.prices.get(price_id)

    async def create_checkout_session(
        self, request: CheckoutSessionRequest, *, idempotency_key: str
    ) -> CheckoutSession:
        await self._enter("create_checkout_session")
        if (found := self._replay("create_checkout_session", idempotency_key, request)) is not None:
            return found  # type: ignore[no-any-return]
        for line in request.lines:
            price = self.prices.get(line.price_id)
            if price is None or not price.active or not price.product_active:
                raise PriceNotAvailable()
        total = sum((self.prices[line.price_id].unit_amount or 0) * line.quantity for line in request.lines)
        first = self.prices[request.lines[0].price_id]
        session_id = self._id("cs")
        session = CheckoutSession(
            id=session_id,
            url=f"https://checkout.example/{session_id}",
            mode=request.mode,
            status="open",
            payment_status="unpaid",
            amount_total=total,
            currency=first.currency,
            customer_id=request.customer_id,
            client_reference_id=request.user_id,
            metadata=dict(request.metadata),
        )
        self.sessions[session_id] = session
        self._remember("create_checkout_session", idempotency_key, request, session)
        self.session_requests[session_id] = request
        self.last_session_request = request
        return session

    async def get_checkout_session(self, session_id: str) -> CheckoutSession | None:
        await self._enter("get_checkout_session")
        return self.sessions.get(session_id)

    async def expire_checkout_session(self, session_id: str, *, idempotency_key: str) -> CheckoutSession | None:
        await self._enter("expire_checkout_session")
        session = self.sessions.get(session_id)
        if session is not None and session.status == "open":
            session = self.sessions[session_id] = replace(session, status="expired")
        return session

    async def set_checkout_session_metadata(
        self, session_id: str, metadata: Mapping[str, str], *, idempotency_key: str
    ) -> None:
        await self._enter("set_checkout_session_metadata")
        session = self.sessions.get(session_id)
        if session is None:
            raise PaymentProviderRejected("The payment provider refused the request.")
        self.sessions[session_id] = replace(session, metadata={**session.metadata, **metadata})

    async def get_payment_intent(self, payment_intent_id: str) -> PaymentIntent | None:
        await self._enter("get_payment_intent")
        return self.intents.get(payment_intent_id)

    async def capture_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> PaymentIntent:
        await self._enter("capture_payment_intent")
        intent = self.intents.get(payment_intent_id)
        if intent is None or intent.status not in ("requires_capture", "succeeded"):
            raise PaymentProviderRejected("The payment provider refused the request.")
        captured = replace(intent, status="succeeded", amount_capturable=0, amount_received=intent.amount)
        self.intents[payment_intent_id] = captured
        return captured

    async def cancel_payment_intent(
        self, payment_intent_id: str, *, reason: str | None, idempotency_key: str
    ) -> PaymentIntent:
        await self._enter("cancel_payment_intent")
        intent = self.intents.get(payment_intent_id)
        if intent is None or intent.status not in ("requires_capture", "canceled"):
            raise PaymentProviderRejected("The payment provider refused the request.")
        canceled = replace(intent, status="canceled", amount_capturable=0, cancellation_reason=reason)
        self.intents[payment_intent_id] = canceled
        return canceled

    def refund_elsewhere(
        self, intent_id: str, amount: int | None = None, status: RefundStatus | None = None
    ) -> RefundState:
        """A refund made outside the service (the Dashboard, another app): Stripe's state changes."""
        intent = self.intents[intent_id]
        left = self.refunds.left(intent)
        return self.refunds.refund(intent, amount if amount is not None else left, None, status=status)

    async def create_refund(self, request: RefundRequest, *, idempotency_key: str) -> RefundState:
        await self._enter("create_refund")
        if (found := self._replay("create_refund", idempotency_key, request)) is not None:
            return found  # type: ignore[no-any-return]
        intent = self.intents.get(request.payment_intent_id)
        if intent is None:
            raise PaymentProviderRejected("The payment provider refused the request.")
        refund = self.refunds.refund(intent, request.amount, request.reason, request.metadata)
        self._remember("create_refund", idempotency_key, request, refund)
        return refund

    async def list_refunds(self, charge_id: str) -> Sequence[RefundState]:
        await self._enter("list_refunds")
        return self.refunds.of_charge(charge_id)

    async def get_subscription(self, subscription_id: str) -> SubscriptionState | None:
        await self._enter("get_subscription")
        return self.subscriptions.get(subscription_id)

    async def get_invoice(self, invoice_id: str) -> InvoiceState | None:
        await self._enter("get_invoice")
        found = self.invoices.get(invoice_id)
        return replace(found, payment_requires_action=bool(found.payment_requires_action)) if found else None

    async def create_portal_session(self, *, customer_id: str, return_url: str) -> str:
        await self._enter("create_portal_session")
        self.portal_sessions.append((customer_id, return_url))
        return f"https://billing.example/portal/{customer_id}"

    async def list_products(self) -> Sequence[CatalogProduct]:
        """The products arranged with `add_product`, and the prices arranged with `add_price` under
        their products, as Stripe lists both: active ones only."""
        await self._enter("list_products")
        listed = {
            product.id: replace(product, prices=[p for p in product.prices if p.id not in self._archived])
            for product in self.products
            if product.id not in self._archived
        }
        for price in self.prices.values():
            if not (price.active and price.product_active) or price.product_id in self._archived:
                continue
            product = listed.get(price.product_id) or CatalogProduct(
                price.product_id, price.product_name, None, (), (), {}, None, ()
            )
            if all(p.id != price.id for p in product.prices):
                listed[product.id] = replace(product, prices=[*product.prices, _catalog_price(price)])
        return list(listed.values())

    async def list_coupons(self) -> Sequence[CatalogCoupon]:
        await self._enter("list_coupons")
        return list(self.coupons)


def _catalog_price(price: Price) -> CatalogPrice:
    return CatalogPrice(
        price.id, price.type, price.currency, price.unit_amount, price.interval, price.interval_count, price.lookup_key
    )


__all__ = ["CatalogPrice", "InMemoryPaymentGateway"]
