"""The PaymentGateway contract: one test body per behaviour, run against every adapter.

- `fake`: `InMemoryPaymentGateway`, with Stripe-side state arranged the way the Dashboard would.
- `sandbox`: `StripePaymentGateway` on the official SDK, over HTTP to the offline Stripe sandbox;
  Stripe-side state is created with a plain SDK client and paid on the sandbox's checkout page.
  One sandbox serves the module (starting one costs most of a second); each test gets its own API
  key, which scopes idempotency keys as in Stripe, and looks only at the objects it created.

A fake that passes the same bodies as the real adapter can be trusted by the unit tests.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import httpx
import pytest
import stripe

from adapters.in_memory.payment_gateway import InMemoryPaymentGateway
from adapters.stripe.gateway import StripePaymentGateway, create_stripe_client
from application.errors import Conflict, PaymentProviderRejected, PriceNotAvailable
from application.ports.payment_gateway import (
    CatalogCoupon,
    CatalogPrice,
    CatalogProduct,
    CheckoutLine,
    CheckoutSessionRequest,
    PaymentGateway,
    Price,
)
from domain.subscription import SubscriptionStatus
from sandbox import Sandbox, run_in_thread


class StripeSide(Protocol):
    """What a test arranges on Stripe's side, for one adapter."""

    gateway: PaymentGateway

    async def product(self, name: str, **fields: Any) -> str: ...

    async def price(
        self,
        product_id: str,
        amount: int,
        *,
        currency: str = "usd",
        interval: str | None = None,
        lookup_key: str | None = None,
        default: bool = False,
    ) -> str: ...

    async def product_with_price(self, name: str, amount: int) -> tuple[str, str]:
        """A product created together with its default one-time USD price: (product id, price id)."""
        ...

    async def archive_price(self, price_id: str) -> None: ...

    async def archive_product(self, product_id: str) -> None: ...

    async def coupon(self, **fields: Any) -> str: ...

    async def pay(self, session_id: str) -> None:
        """The buyer pays on the hosted page (payment mode: funds held; subscription mode: started)."""
        ...

    async def period_end_of(self, subscription_id: str) -> datetime:
        """The subscription's period end as Stripe's own object states it."""
        ...


# --- the in-memory side -------------------------------------------------------------------------


class FakeStripe:
    def __init__(self) -> None:
        self.gateway = InMemoryPaymentGateway()
        self._ids = itertools.count(1)

    def _product(self, product_id: str) -> tuple[int, CatalogProduct]:
        return next((i, p) for i, p in enumerate(self.gateway.products) if p.id == product_id)

    async def product(self, name: str, **fields: Any) -> str:
        product = CatalogProduct(
            id=f"prod_{next(self._ids)}",
            name=name,
            description=fields.get("description"),
            images=list(fields.get("images", [])),
            features=[f["name"] for f in fields.get("marketing_features", [])],
            metadata=dict(fields.get("metadata", {})),
            default_price_id=None,
            prices=[],
        )
        return self.gateway.add_product(product).id

    async def price(
        self,
        product_id: str,
        amount: int,
        *,
        currency: str = "usd",
        interval: str | None = None,
        lookup_key: str | None = None,
        default: bool = False,
    ) -> str:
        index, product = self._product(product_id)
        kind: Literal["one_time", "recurring"] = "recurring" if interval else "one_time"
        count = 1 if interval else None
        price_id = f"price_{next(self._ids)}"
        self.gateway.add_price(
            Price(price_id, product_id, product.name, True, kind, currency, amount, interval, count, lookup_key)
        )
        listed = CatalogPrice(price_id, kind, currency, amount, interval, count, lookup_key)
        self.gateway.products[index] = replace(
            product,
            prices=[*product.prices, listed],
            default_price_id=price_id if default else product.default_price_id,
        )
        return price_id

    async def product_with_price(self, name: str, amount: int) -> tuple[str, str]:
        product_id = await self.product(name)
        return product_id, await self.price(product_id, amount, default=True)

    async def archive_price(self, price_id: str) -> None:
        self.gateway.archive(price_id)
        self.gateway.prices[price_id] = replace(self.gateway.prices[price_id], active=False)

    async def archive_product(self, product_id: str) -> None:
        self.gateway.archive(product_id)
        for price_id, price in list(self.gateway.prices.items()):
            if price.product_id == product_id:
                self.gateway.prices[price_id] = replace(price, product_active=False)

    async def coupon(self, **fields: Any) -> str:
        redeem_by = fields.get("redeem_by")
        coupon = CatalogCoupon(
            id=fields.get("id", f"coupon_{next(self._ids)}"),
            name=fields.get("name"),
            percent_off=fields.get("percent_off"),
            amount_off=fields.get("amount_off"),
            currency=fields.get("currency"),
            duration=fields.get("duration", "once"),
            duration_in_months=fields.get("duration_in_months"),
            max_redemptions=fields.get("max_redemptions"),
            times_redeemed=0,
            redeem_by=datetime.fromtimestamp(redeem_by, UTC) if redeem_by else None,
            valid=True,
            created=datetime.now(UTC),
            metadata=dict(fields.get("metadata", {})),
        )
        self.gateway.coupons.append(coupon)
        return coupon.id

    async def pay(self, session_id: str) -> None:
        if self.gateway.sessions[session_id].mode == "payment":
            self.gateway.authorize(session_id)
        else:
            self.gateway.subscribe(session_id)

    async def period_end_of(self, subscription_id: str) -> datetime:
        period_end = self.gateway.subscriptions[subscription_id].current_period_end
        assert period_end is not None
        return period_end


# --- the sandbox side ---------------------------------------------------------------------------


class SandboxStripe:
    def __init__(self, gateway: StripePaymentGateway, client: stripe.StripeClient, sb: Sandbox) -> None:
        self.gateway = gateway
        self.client = client  # a separate plain SDK client: the Dashboard, so to speak
        self.sb = sb

    async def product(self, name: str, **fields: Any) -> str:
        return self.client.v1.products.create({"name": name, **fields}).id  # type: ignore[typeddict-item]

    async def price(
        self,
        product_id: str,
        amount: int,
        *,
        currency: str = "usd",
        interval: str | None = None,
        lookup_key: str | None = None,
        default: bool = False,
    ) -> str:
        params: dict[str, Any] = {"product": product_id, "unit_amount": amount, "currency": currency}
        if interval:
            params["recurring"] = {"interval": interval, "interval_count": 1}
        if lookup_key:
            params["lookup_key"] = lookup_key
        price_id = self.client.v1.prices.create(params).id  # type: ignore[arg-type]
        if default:
            self.client.v1.products.update(product_id, {"default_price": price_id})
        return price_id

    async def product_with_price(self, name: str, amount: int) -> tuple[str, str]:
        params: Any = {"name": name, "default_price_data": {"currency": "usd", "unit_amount": amount}}
        product = self.client.v1.products.create(params)
        return product.id, str(product.default_price)

    async def archive_price(self, price_id: str) -> None:
        self.client.v1.prices.update(price_id, {"active": False})

    async def archive_product(self, product_id: str) -> None:
        self.client.v1.products.update(product_id, {"active": False})

    async def coupon(self, **fields: Any) -> str:
        return self.client.v1.coupons.create(fields).id  # type: ignore[arg-type]

    async def pay(self, session_id: str) -> None:
        url = self.client.v1.checkout.sessions.retrieve(session_id).url
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{url}/pay")
        assert response.status_code == 303, response.text

    async def period_end_of(self, subscription_id: str) -> datetime:
        raw = self.client.v1.subscriptions.retrieve(subscription_id)
        return datetime.fromtimestamp(raw["items"]["data"][0]["current_period_end"], UTC)


@pytest.fixture
def fake() -> FakeStripe:
    return FakeStripe()


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[tuple[Sandbox, str]]:
    sb = Sandbox(seed=False)
    with run_in_thread(sb) as base_url:
        yield sb, base_url


@pytest.fixture
async def sandbox(sandbox_server: tuple[Sandbox, str]) -> AsyncIterator[SandboxStripe]:
    sb, base_url = sandbox_server
    secret_key = f"sk_test_{uuid.uuid4().hex}"
    sb.add_api_key(secret_key)
    http = stripe.AIOHTTPClient()
    gateway = StripePaymentGateway(create_stripe_client(secret_key, api_base=base_url, http_client=http))
    dashboard = stripe.StripeClient(secret_key, base_addresses={"api": base_url}, max_network_retries=0)
    yield SandboxStripe(gateway, dashboard, sb)
    await http.close_async()


@pytest.fixture(params=["fake", "sandbox"])
def side(request: pytest.FixtureRequest) -> StripeSide:
    chosen: StripeSide = request.getfixturevalue(request.param)
    return chosen


# --- helpers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shop:
    customer_id: str
    one_time_price: str
    monthly_price: str
    product_id: str
    plan_product_id: str
    tag: str  # lookup keys are unique in a Stripe account


async def _shop(side: StripeSide) -> Shop:
    shop_tag = uuid.uuid4().hex[:8]
    product = await side.product("Template", metadata={"order": "1"})
    one_time = await side.price(product, 4900, lookup_key=f"template_{shop_tag}")
    plan = await side.product("Pro", metadata={"plan_key": "pro", "limit_projects": "10"})
    monthly = await side.price(plan, 1900, interval="month", lookup_key=f"pro_monthly_{shop_tag}")
    customer = await side.gateway.create_customer(user_id="user_1", email="ada@example.com", idempotency_key="cus:u1")
    return Shop(customer, one_time, monthly, product, plan, shop_tag)


def _request(shop: Shop, mode: Literal["payment", "subscription"], quantity: int = 1) -> CheckoutSessionRequest:
    price = shop.one_time_price if mode == "payment" else shop.monthly_price
    metadata = {"user_id": "user_1", **({"order_id": "ord_1"} if mode == "payment" else {})}
    return CheckoutSessionRequest(
        mode=mode,
        customer_id=shop.customer_id,
        user_id="user_1",
        lines=[CheckoutLine(price, quantity)],
        success_url="https://app.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://app.test/#pricing",
        automatic_tax=True,
        metadata=metadata,
        payment_intent_metadata=metadata if mode == "payment" else None,
        subscription_metadata=metadata if mode == "subscription" else None,
    )


async def _held_payment(side: StripeSide, shop: Shop, key: str) -> str:
    session = await side.gateway.create_checkout_session(_request(shop, "payment", 2), idempotency_key=key)
    await side.pay(session.id)
    paid = await side.gateway.get_checkout_session(session.id)
    assert paid is not None and paid.payment_intent_id is not None
    return paid.payment_intent_id


# --- customers and prices -----------------------------------------------------------------------


async def test_create_customer_is_idempotent_by_key(side: StripeSide) -> None:
    first = await side.gateway.create_customer(user_id="user_1", email="ada@example.com", idempotency_key="k1")
    again = await side.gateway.create_customer(user_id="user_1", email="ada@example.com", idempotency_key="k1")
    other = await side.gateway.create_customer(user_id="user_1", email="ada@example.com", idempotency_key="k2")
    assert first == again
    assert other != first
    assert first.startswith("cus_")


async def test_a_key_reused_with_other_parameters_is_rejected(side: StripeSide) -> None:
    await side.gateway.create_customer(user_id="user_1", email=None, idempotency_key="k1")
    with pytest.raises(Conflict, match="idempotency key"):
        await side.gateway.create_customer(user_id="user_2", email=None, idempotency_key="k1")


async def test_get_price_returns_the_price_with_its_product(side: StripeSide) -> None:
    shop = await _shop(side)
    one_time = await side.gateway.get_price(shop.one_time_price)
    monthly = await side.gateway.get_price(shop.monthly_price)

    assert one_time == Price(
        shop.one_time_price,
        shop.product_id,
        "Template",
        True,
        "one_time",
        "usd",
        4900,
        None,
        None,
        f"template_{shop.tag}",
        True,
    )
    assert monthly == Price(
        shop.monthly_price,
        shop.plan_product_id,
        "Pro",
        True,
        "recurring",
        "usd",
        1900,
        "month",
        1,
        f"pro_monthly_{shop.tag}",
        True,
    )


async def test_get_price_reports_an_archived_price_or_product(side: StripeSide) -> None:
    shop = await _shop(side)
    await side.archive_price(shop.one_time_price)
    await side.archive_product(shop.plan_product_id)

    archived_price = await side.gateway.get_price(shop.one_time_price)
    of_archived_product = await side.gateway.get_price(shop.monthly_price)

    assert archived_price is not None and (archived_price.active, archived_price.product_active) == (False, True)
    assert of_archived_product is not None
    assert (of_archived_product.active, of_archived_product.product_active) == (True, False)


async def test_get_price_of_an_unknown_id_is_none(side: StripeSide) -> None:
    assert await side.gateway.get_price("price_does_not_exist") is None


# --- checkout sessions --------------------------------------------------------------------------


async def test_a_payment_session_is_open_for_the_customer_with_our_metadata(side: StripeSide) -> None:
    shop = await _shop(side)
    session = await side.gateway.create_checkout_session(_request(shop, "payment", 2), idempotency_key="cs1")

    assert session.id.startswith("cs_")
    assert session.url is not None and urlsplit(session.url).scheme in ("http", "https")
    assert (session.mode, session.status, session.payment_status) == ("payment", "open", "unpaid")
    assert (session.amount_total, session.currency) == (9800, "usd")
    assert (session.customer_id, session.client_reference_id) == (shop.customer_id, "user_1")
    assert dict(session.metadata) == {"user_id": "user_1", "order_id": "ord_1"}
    assert (session.payment_intent_id, session.subscription_id) == (None, None)
    assert await side.gateway.get_checkout_session(session.id) == session


async def test_a_subscription_session_is_open_in_subscription_mode(side: StripeSide) -> None:
    shop = await _shop(side)
    session = await side.gateway.create_checkout_session(_request(shop, "subscription"), idempotency_key="cs1")

    assert (session.mode, session.status, session.amount_total, session.currency) == (
        "subscription",
        "open",
        1900,
        "usd",
    )
    assert dict(session.metadata) == {"user_id": "user_1"}
    assert session.client_reference_id == "user_1"


async def test_create_checkout_session_is_idempotent_by_key(side: StripeSide) -> None:
    shop = await _shop(side)
    first = await side.gateway.create_checkout_session(_request(shop, "payment"), idempotency_key="cs1")
    again = await side.gateway.create_checkout_session(_request(shop, "payment"), idempotency_key="cs1")
    other = await side.gateway.create_checkout_session(_request(shop, "payment"), idempotency_key="cs2")
    assert again.id == first.id
    assert other.id != first.id
    with pytest.raises(Conflict, match="idempotency key"):
        await side.gateway.create_checkout_session(_request(shop, "payment", 3), idempotency_key="cs1")


@pytest.mark.parametrize("which", ["unknown", "archived", "of an archived product"])
async def test_a_session_for_a_price_not_for_sale_is_refused_as_not_available(side: StripeSide, which: str) -> None:
    shop = await _shop(side)
    mode: Literal["payment", "subscription"] = "subscription" if which == "of an archived product" else "payment"
    request = _request(shop, mode)
    if which == "unknown":
        request = replace(request, lines=[CheckoutLine("price_does_not_exist", 1)])
    elif which == "archived":
        await side.archive_price(shop.one_time_price)
    else:
        await side.archive_product(shop.plan_product_id)

    with pytest.raises(PriceNotAvailable) as refused:
        await side.gateway.create_checkout_session(request, idempotency_key=f"cs-{which}")

    assert refused.value.detail == "Unknown or inactive price."  # ours, not Stripe's message


async def test_get_checkout_session_of_an_unknown_id_is_none(side: StripeSide) -> None:
    assert await side.gateway.get_checkout_session("cs_test_does_not_exist") is None


async def test_session_metadata_can_be_added_later(side: StripeSide) -> None:
    shop = await _shop(side)
    session = await side.gateway.create_checkout_session(_request(shop, "payment"), idempotency_key="cs1")
    await side.gateway.set_checkout_session_metadata(session.id, {"order_status": "captured"}, idempotency_key="m1")
    updated = await side.gateway.get_checkout_session(session.id)
    assert updated is not None
    assert dict(updated.metadata) == {"user_id": "user_1", "order_id": "ord_1", "order_status": "captured"}


async def test_expiring_an_open_session_expires_it(side: StripeSide) -> None:
    shop = await _shop(side)
    session = await side.gateway.create_checkout_session(_request(shop, "subscription"), idempotency_key="cs1")

    expired = await side.gateway.expire_checkout_session(session.id, idempotency_key="x1")

    assert expired is not None and (expired.id, expired.status) == (session.id, "expired")
    again = await side.gateway.expire_checkout_session(session.id, idempotency_key="x2")
    assert again is not None and again.status == "expired"
    read = await side.gateway.get_checkout_session(session.id)
    assert read is not None and read.status == "expired"


async def test_expiring_a_session_the_buyer_finished_reports_it_complete_with_its_subscription(
    side: StripeSide,
) -> None:
    shop = await _shop(side)
    session = await side.gateway.create_checkout_session(_request(shop, "subscription"), idempotency_key="cs1")
    await side.pay(session.id)

    finished = await side.gateway.expire_checkout_session(session.id, idempotency_key="x1")

    assert finished is not None and (finished.status, finished.mode) == ("complete", "subscription")
    assert finished.subscription_id is not None
    state = await side.gateway.get_subscription(finished.subscription_id)
    assert state is not None and state.status == SubscriptionStatus.ACTIVE


async def test_expiring_an_unknown_session_is_none(side: StripeSide) -> None:
    assert await side.gateway.expire_checkout_session("cs_test_does_not_exist", idempotency_key="x1") is None


# --- payment intents ----------------------------------------------------------------------------


async def test_paying_holds_the_funds_on_a_payment_intent_carrying_our_metadata(side: StripeSide) -> None:
    shop = await _shop(side)
    intent_id = await _held_payment(side, shop, "cs1")
    intent = await side.gateway.get_payment_intent(intent_id)
    assert intent is not None
    assert (intent.status, intent.amount, intent.amount_capturable, intent.amount_received) == (
        "requires_capture",
        9800,
        9800,
        0,
    )
    assert dict(intent.metadata) == {"user_id": "user_1", "order_id": "ord_1"}


async def test_capturing_twice_returns_the_succeeded_intent(side: StripeSide) -> None:
    shop = await _shop(side)
    intent_id = await _held_payment(side, shop, "cs1")

    captured = await side.gateway.capture_payment_intent(intent_id, idempotency_key="cap1")
    again = await side.gateway.capture_payment_intent(intent_id, idempotency_key="cap2")

    assert (captured.id, captured.status, captured.amount_received, captured.amount_capturable) == (
        intent_id,
        "succeeded",
        9800,
        0,
    )
    assert (again.status, again.amount_received) == ("succeeded", 9800)


async def test_cancel_releases_the_hold_and_cancelling_again_returns_it(side: StripeSide) -> None:
    shop = await _shop(side)
    intent_id = await _held_payment(side, shop, "cs1")

    canceled = await side.gateway.cancel_payment_intent(intent_id, reason="requested_by_customer", idempotency_key="c1")
    again = await side.gateway.cancel_payment_intent(intent_id, reason="requested_by_customer", idempotency_key="c2")

    assert (canceled.status, canceled.cancellation_reason, canceled.amount_capturable) == (
        "canceled",
        "requested_by_customer",
        0,
    )
    assert again.status == "canceled"
    with pytest.raises(PaymentProviderRejected):
        await side.gateway.capture_payment_intent(intent_id, idempotency_key="cap1")


async def test_a_captured_intent_cannot_be_canceled(side: StripeSide) -> None:
    shop = await _shop(side)
    intent_id = await _held_payment(side, shop, "cs1")
    await side.gateway.capture_payment_intent(intent_id, idempotency_key="cap1")
    with pytest.raises(PaymentProviderRejected):
        await side.gateway.cancel_payment_intent(intent_id, reason=None, idempotency_key="c1")


async def test_unknown_payment_intents_are_none_or_rejected(side: StripeSide) -> None:
    assert await side.gateway.get_payment_intent("pi_does_not_exist") is None
    with pytest.raises(PaymentProviderRejected):
        await side.gateway.capture_payment_intent("pi_does_not_exist", idempotency_key="cap1")


# --- subscriptions and the portal ---------------------------------------------------------------


async def test_a_paid_subscription_session_starts_a_subscription_read_with_its_plan(side: StripeSide) -> None:
    shop = await _shop(side)
    session = await side.gateway.create_checkout_session(_request(shop, "subscription"), idempotency_key="cs1")
    await side.pay(session.id)
    completed = await side.gateway.get_checkout_session(session.id)
    assert completed is not None and completed.status == "complete" and completed.subscription_id is not None

    state = await side.gateway.get_subscription(completed.subscription_id)

    assert state is not None
    assert (state.id, state.customer_id, state.status) == (
        completed.subscription_id,
        shop.customer_id,
        SubscriptionStatus.ACTIVE,
    )
    assert (state.price_id, state.product_id, state.plan_key) == (shop.monthly_price, shop.plan_product_id, "pro")
    assert state.current_period_end == await side.period_end_of(state.id)
    assert state.current_period_end is not None
    assert state.current_period_end - datetime.now(UTC) > timedelta(days=27)
    assert (state.cancel_at_period_end, state.cancel_at, state.canceled_at, state.ended_at) == (False, None, None, None)
    assert dict(state.metadata) == {"user_id": "user_1"}


async def test_get_subscription_of_an_unknown_id_is_none(side: StripeSide) -> None:
    assert await side.gateway.get_subscription("sub_does_not_exist") is None


async def test_create_portal_session_returns_a_url(side: StripeSide) -> None:
    shop = await _shop(side)
    url = await side.gateway.create_portal_session(customer_id=shop.customer_id, return_url="https://app.test/")
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.netloc


# --- the catalog --------------------------------------------------------------------------------


async def test_list_products_returns_active_products_with_their_active_prices(side: StripeSide) -> None:
    pro = await side.product(
        "Pro",
        description="For individuals",
        images=["https://img.test/pro.png"],
        marketing_features=[{"name": "10 projects"}, {"name": "Email support"}],
        metadata={"plan_key": "pro", "limit_projects": "10"},
    )
    lookup_key = f"pro_monthly_{uuid.uuid4().hex[:8]}"  # lookup keys are unique in a Stripe account
    monthly = await side.price(pro, 1900, interval="month", lookup_key=lookup_key, default=True)
    yearly = await side.price(pro, 19000, interval="year")
    retired = await side.price(pro, 1500, interval="month")
    await side.archive_price(retired)
    old = await side.product("Legacy")
    await side.price(old, 900)
    await side.archive_product(old)
    empty = await side.product("Coming soon")

    products = {p.id: p for p in await side.gateway.list_products() if p.id in (pro, old, empty)}

    assert set(products) == {pro, empty}
    listed = products[pro]
    assert (listed.name, listed.description, list(listed.images), list(listed.features)) == (
        "Pro",
        "For individuals",
        ["https://img.test/pro.png"],
        ["10 projects", "Email support"],
    )
    assert dict(listed.metadata) == {"plan_key": "pro", "limit_projects": "10"}
    assert listed.default_price_id == monthly
    assert sorted(listed.prices, key=lambda p: p.unit_amount or 0) == [
        CatalogPrice(monthly, "recurring", "usd", 1900, "month", 1, lookup_key),
        CatalogPrice(yearly, "recurring", "usd", 19000, "year", 1, None),
    ]
    assert list(products[empty].prices) == []


async def test_list_products_reads_every_page(side: StripeSide) -> None:
    created = {}
    for n in range(105):  # more than one page of 100 products and of 100 prices
        product, price = await side.product_with_price(f"Product {n}", 100 + n)
        created[product] = price

    products = [p for p in await side.gateway.list_products() if p.id in created]

    assert {p.id: [price.id for price in p.prices] for p in products} == {k: [v] for k, v in created.items()}
    assert len(products) == len(created)


async def test_list_coupons_returns_every_coupon_with_its_terms(side: StripeSide) -> None:
    redeem_by = int((datetime.now(UTC) + timedelta(days=10)).timestamp())
    launch_id, five_id = f"LAUNCH20_{uuid.uuid4().hex[:8]}", f"FIVE_{uuid.uuid4().hex[:8]}"
    await side.coupon(id=launch_id, name="Launch", percent_off=20, duration="once", metadata={"isFeatured": "true"})
    await side.coupon(
        id=five_id,
        amount_off=500,
        currency="usd",
        duration="repeating",
        duration_in_months=3,
        max_redemptions=10,
        redeem_by=redeem_by,
    )

    coupons = {c.id: c for c in await side.gateway.list_coupons()}

    launch, five = coupons[launch_id], coupons[five_id]
    assert (launch.name, launch.percent_off, launch.amount_off, launch.duration, launch.valid) == (
        "Launch",
        20,
        None,
        "once",
        True,
    )
    assert dict(launch.metadata) == {"isFeatured": "true"}
    assert (five.amount_off, five.currency, five.duration, five.duration_in_months) == (500, "usd", "repeating", 3)
    assert (five.max_redemptions, five.times_redeemed, five.redeem_by) == (
        10,
        0,
        datetime.fromtimestamp(redeem_by, UTC),
    )
    assert abs(launch.created - datetime.now(UTC)) < timedelta(minutes=5)
