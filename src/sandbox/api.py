"""The HTTP face of the Stripe API: auth, faults, idempotency, validation, dispatch, rendering.

One catch-all Litestar handler feeds every `/v1/...` request through `Api.handle`, so the
cross-cutting Stripe behaviours live in one place instead of in each resource.
"""

import asyncio
import base64
import json
from collections.abc import Mapping
from typing import Any

from sandbox import routing
from sandbox.errors import StripeError
from sandbox.events import API_VERSION, current_request
from sandbox.forms import decode
from sandbox.idempotency import Idempotency, Stored, fingerprint
from sandbox.ids import new_id
from sandbox.resources import (
    checkout,
    checkout_lines,
    coupons,
    customers,
    invoices,
    payment_intents,
    payment_methods,
    portal_and_events,
    prices,
    products,
    promotion_codes,
    subscriptions,
)
from sandbox.state import State
from sandbox.testhooks import Faults, LoggedRequest, RequestLog
from sandbox.validation import validate

ROUTES: list[routing.Route] = [
    *customers.ROUTES,
    *products.ROUTES,
    *prices.ROUTES,
    *coupons.ROUTES,
    *promotion_codes.ROUTES,
    *checkout.ROUTES,
    *payment_intents.ROUTES,
    *subscriptions.ROUTES,
    *invoices.ROUTES,
    *payment_methods.ROUTES,
    *portal_and_events.ROUTES,
]
Reply = tuple[int, bytes, dict[str, str]]

_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, "
    "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."
)


def _json(body: Any) -> bytes:
    return json.dumps(body, indent=2).encode()


class Api:
    def __init__(self, state: State, api_keys: set[str], log: RequestLog, faults: Faults) -> None:
        self.state, self.api_keys, self.log, self.faults = state, api_keys, log, faults
        self.idempotency = Idempotency()
        state.store.includables[("checkout.session", "line_items")] = lambda s: checkout_lines.render_line_items(
            state, s
        )
        invoices.register(state)

    async def handle(self, method: str, path: str, headers: Mapping[str, str], query: str, body: bytes) -> Reply:
        params = {**decode(query), **(decode(body.decode()) if body else {})}
        entry = LoggedRequest(method, path, {k.lower(): v for k, v in headers.items()}, params)
        self.log.append(entry)
        request_id = new_id("req", 14)
        base_headers = {
            "Request-Id": request_id,
            "Stripe-Version": entry.headers.get("stripe-version", API_VERSION),
        }
        try:
            status, content, extra = await self._guarded(entry, request_id)
        except StripeError as error:
            status, content, extra = error.status, _json(error.body()), {}
        entry.status = status
        return status, content, {**base_headers, **extra}

    async def _guarded(self, entry: LoggedRequest, request_id: str) -> Reply:
        api_key = self._authenticate(entry.headers.get("authorization", ""))
        for fault in self.faults.take(entry.method, entry.path):
            if fault.stall_seconds:
                await asyncio.sleep(fault.stall_seconds)
            else:
                error = StripeError(
                    "Injected by the sandbox's fault rules.", status=fault.status, type=fault.error_type
                )
                return error.status, _json(error.body()), {}
        found = routing.match(ROUTES, entry.method, entry.path)
        if found is None:
            raise StripeError(
                f"Unrecognized request URL ({entry.method}: {entry.path}). Please see "
                "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                status=404,
            )
        key = entry.headers.get("idempotency-key")
        if entry.method != "POST" or not key:
            return self._execute(found, entry.params, request_id, None)
        scope = (api_key, key)
        async with self.idempotency.lock(scope):
            stored = self.idempotency.results.get(scope)
            print_ = fingerprint(entry.method, entry.path, entry.params)
            if stored is not None:
                if stored.fingerprint != print_:
                    raise StripeError(
                        "Keys for idempotent requests can only be used with the same parameters they were "
                        f"first used with. Try using a key other than '{key}' if you meant to execute a "
                        "different request.",
                        type="idempotency_error",
                    )
                return stored.status, stored.body, {"Idempotent-Replayed": "true", "Idempotency-Key": key}
            status, content, extra = self._execute(found, entry.params, request_id, key)
            self.idempotency.results[scope] = Stored(print_, status, content)
            return status, content, {**extra, "Idempotency-Key": key}

    def _authenticate(self, header: str) -> str:
        scheme, _, key = header.partition(" ")
        if scheme.lower() == "basic":  # `curl -u sk_test_...:` as Stripe's docs show
            key = base64.b64decode(key + "==").decode(errors="replace").partition(":")[0]
        elif scheme.lower() != "bearer":
            key = ""
        if not key:
            raise StripeError(_NO_KEY, status=401)
        if key not in self.api_keys:
            raise StripeError(f"Invalid API Key provided: {key[:8]}{'*' * max(0, len(key) - 12)}{key[-4:]}", status=401)
        return key

    def _execute(
        self,
        found: tuple[routing.Route, tuple[str, ...]],
        raw: dict[str, Any],
        request_id: str,
        key: str | None,
    ) -> Reply:
        chosen, ids = found
        params = validate(raw, chosen.params)  # raises before anything runs: nothing stored for a bad request
        token = current_request.set({"id": request_id, "idempotency_key": key})
        try:
            obj = routing.call(chosen, self.state, params, ids)
            return 200, _json(self.state.store.render(obj, params.get("expand", []))), {}
        except StripeError as error:
            return error.status, _json(error.body()), {}
        finally:
            current_request.reset(token)
