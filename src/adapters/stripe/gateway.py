"""`PaymentGateway` on the official SDK's StripeClient, async end to end.

Pinned API version (the SDK's own, 2026-10-28.endive), network retries for connection errors and
5xx (the SDK retries with the same idempotency key, so a retried create never duplicates), an
explicit idempotency key on every create/mutation, and typed params so a wrong parameter fails
the type checker before it fails at Stripe.

The calls webhooks make (read an intent or a subscription, capture, cancel, tag a session) go
through `StripeClient.raw_request_async` and read the JSON the SDK has already parsed: building
the SDK's StripeObject (then `to_dict()` back) costs more CPU, for a subscription expanded down to
its products, than the whole aiohttp request (bench/README.md). Same request, retries, idempotency
key and exceptions as the typed services; only the StripeObject is skipped.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Literal, cast
from urllib.parse import quote_plus

import aiohttp
import stripe
from stripe import RequestOptions
from stripe.params import (
    CustomerCreateParams,
    InvoiceRetrieveParams,
    PaymentIntentCancelParams,
    PaymentIntentCaptureParams,
    PaymentIntentRetrieveParams,
    RefundCreateParams,
    SubscriptionRetrieveParams,
)
from stripe.params.billing_portal import SessionCreateParams as PortalSessionCreateParams
from stripe.params.checkout import SessionCreateParams, SessionExpireParams, SessionUpdateParams

from adapters.in_process.no_metrics import NoMetrics
from adapters.stripe import fields, mapping, refund_mapping
from adapters.stripe.errors import call, find, is_missing, refuses_a_line_price, translate
from adapters.stripe.operations import stripe_operation, stripe_outcome
from application.errors import PriceNotAvailable
from application.ports.metrics import Metrics
from application.ports.payment_gateway import (
    CatalogCoupon,
    CatalogPrice,
    CatalogProduct,
    CheckoutSessionRequest,
    Price,
    RefundRequest,
)
from application.ports.stripe_objects import (
    METADATA_USER_ID,
    CheckoutSession,
    InvoiceState,
    PaymentIntent,
    RefundState,
    SubscriptionState,
)

API_VERSION = "2026-10-28.endive"


class StripeHTTPClient(stripe.AIOHTTPClient):
    """The SDK's aiohttp client, with the response body read inside its error handling.

    The SDK wraps only the request itself: a connection dropped or a timeout hit while the body
    is read (`ClientPayloadError`, `TimeoutError`) would escape as a raw aiohttp/asyncio error,
    neither retried nor translated. Here it is the SDK's `APIConnectionError`, like a failure
    before the headers: retried with the same idempotency key, then `PaymentProviderUnavailable`.

    Every request (each retry, each page of a list) is recorded here, the one place all of them
    pass: `Metrics.stripe_request` by operation and outcome, with its duration.
    """

    def __init__(self, *, timeout: float, metrics: Metrics | None = None) -> None:
        super().__init__(timeout=timeout)
        self._metrics = metrics or NoMetrics()

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        started = time.perf_counter()
        try:
            try:
                answer = await super().request_async(method, url, headers, post_data)
            except (TimeoutError, aiohttp.ClientError) as exc:
                self._handle_request_error(exc)
        except stripe.APIConnectionError:
            self._metrics.stripe_request(stripe_operation(method, url), "network_error", time.perf_counter() - started)
            raise
        outcome = stripe_outcome(answer[1])
        self._metrics.stripe_request(stripe_operation(method, url), outcome, time.perf_counter() - started)
        return answer


def create_stripe_client(
    secret_key: str,
    *,
    api_base: str | None = None,
    timeout: float = 15.0,
    max_network_retries: int = 2,
    http_client: stripe.HTTPClient | None = None,
) -> stripe.StripeClient:
    """Async only: the default HTTP client is the SDK's aiohttp one (about half the CPU per call of
    its httpx one). Its session belongs to the event loop of the first request; whoever builds the
    client closes it there (`await http_client.close_async()`)."""
    base = {"api": api_base} if api_base else None
    return stripe.StripeClient(
        secret_key,
        stripe_version=API_VERSION,
        base_addresses=base,  # type: ignore[arg-type]
        max_network_retries=max_network_retries,
        http_client=http_client or StripeHTTPClient(timeout=timeout),
    )


class StripePaymentGateway:
    def __init__(self, client: stripe.StripeClient) -> None:
        self._client = client
        self._v1 = client.v1

    async def _json(
        self, method: Literal["get", "post"], path: str, params: Mapping[str, Any], options: RequestOptions
    ) -> dict[str, Any]:
        """The response body as plain JSON, no StripeObject. The SDK sends it as a typed call (API
        version, retries, idempotency key) and raises the same StripeError for a non-2xx answer."""
        response = await self._client.raw_request_async(method, path, **params, **options)
        return cast(dict[str, Any], response.data)

    async def create_customer(self, *, user_id: str, email: str | None, idempotency_key: str) -> str:
        params: CustomerCreateParams = {"metadata": {METADATA_USER_ID: user_id}}
        if email:
            params["email"] = email
        customer = await call(
            "customers.create",
            self._v1.customers.create_async(params, {"idempotency_key": idempotency_key}),
        )
        return customer.id

    async def get_price(self, price_id: str) -> Price | None:
        found = await find("prices.retrieve", self._v1.prices.retrieve_async(price_id, {"expand": ["product"]}))
        return mapping.price(found.to_dict()) if found else None

    async def create_checkout_session(
        self, request: CheckoutSessionRequest, *, idempotency_key: str
    ) -> CheckoutSession:
        params: SessionCreateParams = {
            "mode": request.mode,
            "customer": request.customer_id,
            "client_reference_id": request.user_id,
            "line_items": [{"price": line.price_id, "quantity": line.quantity} for line in request.lines],
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "allow_promotion_codes": True,
            "automatic_tax": {"enabled": request.automatic_tax},
            "metadata": dict(request.metadata),
        }
        if request.automatic_tax:
            # Stripe Tax needs an address: let Checkout save the one the buyer enters.
            params["customer_update"] = {"address": "auto"}
        if request.mode == "payment":
            params["payment_intent_data"] = {
                "capture_method": "manual" if request.manual_capture else "automatic",
                "metadata": dict(request.payment_intent_metadata or {}),
            }
        else:
            params["subscription_data"] = {"metadata": dict(request.subscription_metadata or {})}
            if request.trial_period_days:
                params["subscription_data"]["trial_period_days"] = request.trial_period_days
        try:
            session = await self._v1.checkout.sessions.create_async(params, {"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            error = translate(exc, "checkout.sessions.create")
            raise (PriceNotAvailable() if refuses_a_line_price(exc) else error) from exc
        return mapping.checkout_session(session.to_dict())

    async def get_checkout_session(self, session_id: str) -> CheckoutSession | None:
        found = await find("checkout.sessions.retrieve", self._v1.checkout.sessions.retrieve_async(session_id))
        return mapping.checkout_session(found.to_dict()) if found else None

    async def expire_checkout_session(self, session_id: str, *, idempotency_key: str) -> CheckoutSession | None:
        params: SessionExpireParams = {}
        path = f"/v1/checkout/sessions/{quote_plus(session_id)}/expire"
        try:
            return mapping.checkout_session(
                await self._json("post", path, params, {"idempotency_key": idempotency_key})
            )
        except stripe.InvalidRequestError as exc:
            if is_missing(exc):
                return None
            # No longer open (the buyer finished it, or it expired): report how it ended.
            current = await self.get_checkout_session(session_id)
            if current is not None and current.status != "open":
                return current
            raise translate(exc, "checkout.sessions.expire") from exc
        except stripe.StripeError as exc:
            raise translate(exc, "checkout.sessions.expire") from exc

    async def set_checkout_session_metadata(
        self, session_id: str, metadata: Mapping[str, str], *, idempotency_key: str
    ) -> None:
        params: SessionUpdateParams = {"metadata": dict(metadata)}
        path = f"/v1/checkout/sessions/{quote_plus(session_id)}"
        await call("checkout.sessions.update", self._json("post", path, params, {"idempotency_key": idempotency_key}))

    async def get_payment_intent(self, payment_intent_id: str) -> PaymentIntent | None:
        params: PaymentIntentRetrieveParams = {}
        path = f"/v1/payment_intents/{quote_plus(payment_intent_id)}"
        found = await find("payment_intents.retrieve", self._json("get", path, params, {}))
        return mapping.payment_intent(found) if found else None

    async def capture_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> PaymentIntent:
        params: PaymentIntentCaptureParams = {}
        path = f"/v1/payment_intents/{quote_plus(payment_intent_id)}/capture"
        capture = self._json("post", path, params, {"idempotency_key": idempotency_key})
        return await self._settle("payment_intents.capture", payment_intent_id, capture, settled="succeeded")

    async def cancel_payment_intent(
        self, payment_intent_id: str, *, reason: str | None, idempotency_key: str
    ) -> PaymentIntent:
        params: PaymentIntentCancelParams = {}
        if reason:
            params["cancellation_reason"] = reason
        path = f"/v1/payment_intents/{quote_plus(payment_intent_id)}/cancel"
        cancel = self._json("post", path, params, {"idempotency_key": idempotency_key})
        return await self._settle("payment_intents.cancel", payment_intent_id, cancel, settled="canceled")

    async def _settle(
        self, operation: str, payment_intent_id: str, request: Awaitable[dict[str, Any]], *, settled: str
    ) -> PaymentIntent:
        try:
            return mapping.payment_intent(await request)
        except stripe.InvalidRequestError as exc:
            # Settled already (in the Dashboard, by another worker): report the current state.
            current = await self.get_payment_intent(payment_intent_id)
            if current is not None and current.status == settled:
                return current
            raise translate(exc, operation) from exc
        except stripe.StripeError as exc:
            raise translate(exc, operation) from exc

    async def create_refund(self, request: RefundRequest, *, idempotency_key: str) -> RefundState:
        params: RefundCreateParams = {
            "payment_intent": request.payment_intent_id,
            "amount": request.amount,
            "metadata": dict(request.metadata),
        }
        if request.reason:
            params["reason"] = cast(Literal["duplicate", "fraudulent", "requested_by_customer"], request.reason)
        created = self._json("post", "/v1/refunds", params, {"idempotency_key": idempotency_key})
        return refund_mapping.refund(await call("refunds.create", created))

    async def list_refunds(self, charge_id: str) -> Sequence[RefundState]:
        async def fetch() -> list[RefundState]:
            listing = await self._v1.refunds.list_async({"charge": charge_id, "limit": 100})
            return [refund_mapping.refund(r.to_dict()) async for r in listing.auto_paging_iter()]

        return await find("refunds.list", fetch()) or []

    async def get_subscription(self, subscription_id: str) -> SubscriptionState | None:
        params: SubscriptionRetrieveParams = {"expand": ["items.data.price.product"]}
        path = f"/v1/subscriptions/{quote_plus(subscription_id)}"
        found = await find("subscriptions.retrieve", self._json("get", path, params, {}))
        return mapping.subscription(found) if found else None

    async def get_invoice(self, invoice_id: str) -> InvoiceState | None:
        # The invoice alone does not say whether its payment waits for 3-D Secure; its payment's
        # PaymentIntent does.
        params: InvoiceRetrieveParams = {"expand": ["payments.data.payment.payment_intent"]}
        path = f"/v1/invoices/{quote_plus(invoice_id)}"
        found = await find("invoices.retrieve", self._json("get", path, params, {}))
        return mapping.invoice(found) if found else None

    async def create_portal_session(self, *, customer_id: str, return_url: str) -> str:
        params: PortalSessionCreateParams = {"customer": customer_id, "return_url": return_url}
        # Each visit gets a fresh session; the key only makes the SDK's own retries safe.
        options: RequestOptions = {"idempotency_key": f"portal:{customer_id}:{uuid.uuid4().hex}"}
        session = await call(
            "billing_portal.sessions.create", self._v1.billing_portal.sessions.create_async(params, options)
        )
        return str(session.url)

    async def list_products(self) -> Sequence[CatalogProduct]:
        async def fetch() -> list[CatalogProduct]:
            prices: dict[str, list[CatalogPrice]] = {}
            listing = await self._v1.prices.list_async({"active": True, "limit": 100})
            async for p in listing.auto_paging_iter():
                prices.setdefault(fields.ref(p.product) or "", []).append(mapping.catalog_price(p.to_dict()))
            products = await self._v1.products.list_async({"active": True, "limit": 100})
            return [
                mapping.catalog_product(product.to_dict(), prices.get(product.id, []))
                async for product in products.auto_paging_iter()
            ]

        return await call("products.list", fetch())

    async def list_coupons(self) -> Sequence[CatalogCoupon]:
        async def fetch() -> list[CatalogCoupon]:
            listing = await self._v1.coupons.list_async({"limit": 100})
            return [mapping.coupon(c.to_dict()) async for c in listing.auto_paging_iter()]

        return await call("coupons.list", fetch())
