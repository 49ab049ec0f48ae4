from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, replace
from typing import Literal

from application.catalog.get_catalog import GetCatalog
from application.customers.ensure_stripe_customer import EnsureStripeCustomer
from application.errors import Conflict, NotFound, PriceNotAvailable, ValidationFailed
from application.ports.clock import Clock
from application.ports.payment_gateway import CheckoutLine, CheckoutSessionRequest, PaymentGateway, Price
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import METADATA_ORDER_ID, METADATA_USER_ID
from domain.customer import Customer
from domain.money import Money
from domain.order import Order, OrderItem, OrderStatus
from domain.subscription import Subscription, SubscriptionStatus, is_live


@dataclass(frozen=True, slots=True)
class CheckoutSettings:
    success_url: str
    cancel_url: str
    automatic_tax: bool


@dataclass(frozen=True, slots=True)
class StartCheckoutCommand:
    user_id: str
    price_id: str
    quantity: int = 1
    idempotency_key: str | None = None  # the client's, to make its own retries safe


@dataclass(frozen=True, slots=True)
class CheckoutStarted:
    id: str
    url: str | None
    mode: Literal["payment", "subscription"]
    order_id: str | None


class StartCheckout:
    """Open a Stripe Checkout Session for one price.

    One-time price → `payment` mode with a manual-capture PaymentIntent and a `pending` order.
    Recurring price → `subscription` mode, refused while the user holds a live subscription; the
    user's previous subscription session, if any, is expired first (decided under their lock).
    Stripe calls: customer create (first checkout only), session create; for a subscription, the
    price (its trial) while the user never had one, and the previous session's expiry. The price
    comes from the cached catalog; only a price it does not list is looked up at Stripe (created
    since the catalog was cached, or unknown). A price retired since is refused by Stripe itself:
    `PriceNotAvailable`.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        gateway: PaymentGateway,
        customers: EnsureStripeCustomer,
        catalog: GetCatalog,
        clock: Clock,
        settings: CheckoutSettings,
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._customers = customers
        self._catalog = catalog
        self._clock = clock
        self._settings = settings

    async def execute(self, command: StartCheckoutCommand) -> CheckoutStarted:
        price = await self._catalog.price(command.price_id) or await self._gateway.get_price(command.price_id)
        if price is None or not price.active or not price.product_active:
            raise PriceNotAvailable()
        if price.type == "recurring":
            return await self._subscribe(command, price)
        return await self._buy(command, price)

    async def _subscribe(self, command: StartCheckoutCommand, price: Price) -> CheckoutStarted:
        if command.quantity != 1:
            raise ValidationFailed("quantity applies to one-time prices only.")
        await self._customers.execute(command.user_id)
        async with self._uow as uow:
            # Decided under the user's lock (their row, as for the customer): a concurrent checkout
            # of the same user waits, then sees the session this one opened. At most one of the
            # user's subscription sessions is open, so they cannot start two subscriptions, or two
            # trials, by paying two sessions opened side by side.
            customer = await uow.customers.get(command.user_id, for_update=True)
            if customer is None:
                raise NotFound("Unknown user.")
            current = await uow.subscriptions.current_for_user(command.user_id)
            if current is not None and current.is_live:
                raise _already_subscribed(current.status)
            client_request = _client_request(command)
            if (replayed := await self._replay(customer, client_request)) is not None:
                return replayed
            had_subscription = current is not None
            if customer.subscription_checkout_id is not None:
                had_subscription |= await self._close(customer.subscription_checkout_id, current)
            metadata = {METADATA_USER_ID: command.user_id}
            request = self._request("subscription", command, customer, metadata, subscription_metadata=metadata)
            # One trial per user: only a user who never had a subscription gets it. The cached
            # catalog does not carry `metadata.trial_days`: a first subscription reads the price.
            trial = None
            if not had_subscription:
                found = await self._gateway.get_price(price.id)
                trial = found.trial_days if found else None
            session = await self._gateway.create_checkout_session(
                replace(request, trial_period_days=trial), idempotency_key=self._key(command, uuid.uuid4().hex)
            )
            await uow.customers.record_subscription_checkout(command.user_id, session.id, client_request)
            await uow.commit()
        return CheckoutStarted(session.id, session.url, "subscription", None)

    async def _replay(self, customer: Customer, client_request: str | None) -> CheckoutStarted | None:
        """The client's retry of the request that opened the recorded session: that session again
        (closing it would hand the client a dead one). Its key with another price: `Conflict`."""
        recorded, session_id = customer.subscription_checkout_request, customer.subscription_checkout_id
        if client_request is None or recorded is None or session_id is None:
            return None
        if recorded.partition(":")[0] != client_request.partition(":")[0]:
            return None  # another key
        if recorded != client_request:
            raise Conflict("This idempotency key was already used for a different request; use a new key.")
        session = await self._gateway.get_checkout_session(session_id)
        return CheckoutStarted(session.id, session.url, "subscription", None) if session else None

    async def _close(self, session_id: str, current: Subscription | None) -> bool:
        """Expire the user's previous subscription session if it is still open. True when the
        buyer finished it: a subscription the user had, and, if its webhook has not brought it here
        yet, refused while it is live at Stripe."""
        session = await self._gateway.expire_checkout_session(session_id, idempotency_key=f"expire:{session_id}")
        if session is None or session.status != "complete" or session.subscription_id is None:
            return False
        if current is not None and current.stripe_subscription_id == session.subscription_id:
            return True  # known here, and not live (checked before)
        subscription = await self._gateway.get_subscription(session.subscription_id)
        if subscription is not None and is_live(subscription.status):
            raise _already_subscribed(subscription.status)
        return True

    async def _buy(self, command: StartCheckoutCommand, price: Price) -> CheckoutStarted:
        if price.unit_amount is None:
            raise ValidationFailed("This price has no fixed amount.")
        customer = await self._customers.execute(command.user_id)
        # A client retry (same idempotency key) must send Stripe the very same parameters, or Stripe
        # refuses the reused key: the order id is derived from that key, not drawn afresh.
        order_id = f"ord_{_order_seed(command).hex}"
        metadata = {METADATA_USER_ID: command.user_id, METADATA_ORDER_ID: order_id}
        # Stripe first, then the order: a failure in between leaves an unused session that expires
        # on its own (and whose webhooks name an unknown order, which we acknowledge and ignore),
        # never a pending order without a session.
        session = await self._gateway.create_checkout_session(
            self._request("payment", command, customer, metadata, payment_intent_metadata=metadata),
            idempotency_key=self._key(command, order_id),
        )
        total = Money(price.unit_amount, price.currency).times(command.quantity)
        item = OrderItem(price.id, price.product_id, price.product_name, command.quantity, total.amount)
        async with self._uow as uow:
            # A client retry with the same idempotency key gets Stripe's first session back: answer
            # with the order recorded for it instead of recording a second one.
            existing = await uow.orders.get_by_checkout_session(session.id)
            if existing is not None:
                return CheckoutStarted(session.id, session.url, "payment", existing.id)
            await uow.orders.add(
                Order(
                    id=order_id,
                    user_id=command.user_id,
                    status=OrderStatus.PENDING,
                    total=total,
                    items=(item,),
                    created_at=self._clock.now(),
                    checkout_session_id=session.id,
                    customer_email=customer.email,
                )
            )
            await uow.commit()
        return CheckoutStarted(session.id, session.url, "payment", order_id)

    def _request(
        self,
        mode: Literal["payment", "subscription"],
        command: StartCheckoutCommand,
        customer: Customer,
        metadata: dict[str, str],
        **extra: dict[str, str],
    ) -> CheckoutSessionRequest:
        assert customer.stripe_customer_id is not None  # EnsureStripeCustomer links it or raises
        return CheckoutSessionRequest(
            mode=mode,
            customer_id=customer.stripe_customer_id,
            user_id=command.user_id,
            lines=[CheckoutLine(command.price_id, command.quantity)],
            success_url=self._settings.success_url,
            cancel_url=self._settings.cancel_url,
            automatic_tax=self._settings.automatic_tax,
            metadata=metadata,
            manual_capture=True,
            **extra,  # type: ignore[arg-type]
        )

    @staticmethod
    def _key(command: StartCheckoutCommand, fallback: str) -> str:
        if command.idempotency_key:
            return f"checkout:{command.user_id}:{command.idempotency_key}"
        return f"checkout:{fallback}"


def _already_subscribed(status: SubscriptionStatus) -> Conflict:
    return Conflict(
        f"You already have a {status} subscription; change or cancel it in the customer portal "
        "(POST /api/stripe/portal)."
    )


def _client_request(command: StartCheckoutCommand) -> str | None:
    """`<digest of user and idempotency key>:<price id>`; None without a key."""
    if not command.idempotency_key:
        return None
    digest = hashlib.blake2b(f"{command.user_id}\n{command.idempotency_key}".encode(), digest_size=16).hexdigest()
    return f"{digest}:{command.price_id}"


def _order_seed(command: StartCheckoutCommand) -> uuid.UUID:
    if command.idempotency_key:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"checkout:{command.user_id}:{command.idempotency_key}")
    return uuid.uuid4()
