"""The Stripe server for the benchmarks: the offline sandbox in its own process (so it does not share
a GIL with the load generator), plus a few control routes under `/bench` that only the bench uses:

  GET  /bench/health                  → 200 once serving
  GET  /bench/prices                  → the seeded prices ({id, type, product, unit_amount, currency})
  GET  /bench/requests?since=N        → {"total": T, "entries": [[method, path, status], ...]} from index N
  POST /bench/stall?ms=M&times=K      → every later Stripe API call waits M ms (K calls); ms=0 clears
  POST /bench/complete/{session_id}   → the customer pays on the hosted page; returns the session, its
                                        PaymentIntent or Subscription (as Stripe would have them)

`python -m bench.stripe_server --port P --secret-key sk_test_… [--extra-key sk_test_…]` (loopback only,
no webhook delivery: the bench posts its own signed events).

With `--djstripe-reads` (the dj-stripe comparison, `python -m bench djstripe`) it also serves,
through the sandbox's own API machinery (same key check, request log and stalls), the few read-only
Stripe endpoints that dj-stripe calls and the sandbox does not have (bench-only, see BENCH_ROUTES):

  GET  /v1/account                    → the account the secret key belongs to (dj-stripe asks once per key)
  GET  /v1/payment_methods/{id}       → the card PaymentMethod a sandbox PaymentIntent names (the sandbox
                                        mints the id without the object)
  GET  /v1/products/{id}/features     → an empty list (no entitlements in the sandbox's catalog)

and lets `checkout.session` expand `total_details.breakdown` and `line_items.data.discounts` (the
bench's sessions have no discounts or taxes: empty). A PaymentMethod is Stripe's sample card
(fixtures3.json, as bench/events.py) under the real id and customer.
"""

from __future__ import annotations

import argparse
import copy
from typing import Any

import stripe.params as p
import uvicorn
from litestar import Litestar, get, post

from bench.events import stripe_object
from sandbox import Sandbox, api, routing
from sandbox.errors import missing
from sandbox.flows import complete_checkout
from sandbox.state import State
from sandbox.store import Obj

BENCH_ACCOUNT_ID = "acct_1BenchStandIn0001"


def _account(state: State, params: dict[str, Any]) -> Obj:
    """The stand-in's own account, shaped like Stripe's `GET /v1/account` for a standard account."""
    return {
        "id": BENCH_ACCOUNT_ID,
        "object": "account",
        "type": "standard",
        "business_type": "company",
        "business_profile": {"name": "Bench stand-in", "url": None, "support_email": None, "mcc": None},
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "payouts_enabled": True,
        "details_submitted": True,
        "country": "US",
        "default_currency": "usd",
        "email": "bench@example.com",
        "created": 1_700_000_000,
        "metadata": {},
        "settings": {"dashboard": {"display_name": "Bench stand-in", "timezone": "Etc/UTC"}, "branding": {}},
        "requirements": {"currently_due": [], "eventually_due": [], "past_due": [], "disabled_reason": None},
        "tos_acceptance": {"date": None},
        "external_accounts": {"object": "list", "data": [], "has_more": False, "url": "/v1/account/external_accounts"},
    }


class _Minted:
    """PaymentMethod ids the sandbox mints on a PaymentIntent without storing the object → the
    PaymentIntent's id; rebuilt from the store on a miss."""

    def __init__(self) -> None:
        self.owner: dict[str, str] = {}

    def intent(self, state: State, kind: str, obj_id: str) -> Obj:
        if obj_id not in self.owner:
            for intent in state.store.all("payment_intent"):
                if intent.get("payment_method"):
                    self.owner[intent["payment_method"]] = intent["id"]
        owner = self.owner.get(obj_id)
        if owner is None:
            raise missing(kind, obj_id)
        return state.store.get("payment_intent", owner)


_minted = _Minted()


def _payment_method(state: State, params: dict[str, Any], pm_id: str) -> Obj:
    intent = _minted.intent(state, "payment_method", pm_id)
    return stripe_object(
        "payment_method", None, id=pm_id, customer=intent["customer"], created=intent["created"], metadata={}
    )


def _product_features(state: State, params: dict[str, Any], product_id: str) -> Obj:
    state.store.get("product", product_id)
    return {"object": "list", "data": [], "has_more": False, "url": f"/v1/products/{product_id}/features"}


BENCH_ROUTES: list[routing.Route] = [
    routing.route("GET", "/v1/account", p.AccountRetrieveCurrentParams, _account),
    routing.route("GET", "/v1/payment_methods/{id}", p.PaymentMethodRetrieveParams, _payment_method),
    routing.route("GET", "/v1/products/{id}/features", p.ProductFeatureListParams, _product_features),
]


def bench_only_api(sb: Sandbox) -> None:
    """What dj-stripe needs beyond the sandbox (this process only; see the module docstring)."""
    api.ROUTES.extend(r for r in BENCH_ROUTES if r not in api.ROUTES)
    # Stripe includes these on request (`expand`); the bench's sessions have no discounts or taxes.
    store = sb.state.store
    store.includables.setdefault(("", "breakdown"), lambda node: {"discounts": [], "taxes": []})  # total_details
    store.includables.setdefault(("item", "discounts"), lambda node: [])  # a session's line item


def create_app(sb: Sandbox) -> Litestar:
    store = sb.state.store

    @get("/bench/health", sync_to_thread=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @get("/bench/prices", sync_to_thread=False)
    def prices() -> list[dict[str, Any]]:
        return [
            {
                "id": p["id"],
                "type": p["type"],
                "product": p["product"],
                "unit_amount": p["unit_amount"],
                "currency": p["currency"],
            }
            for p in store.all("price")
            if p["active"]
        ]

    @get("/bench/requests", sync_to_thread=False)
    def requests(since: int = 0) -> dict[str, Any]:
        entries = list(sb.requests.entries)
        return {"total": len(entries), "entries": [[e.method, e.path, e.status] for e in entries[since:]]}

    @post("/bench/stall", status_code=200, sync_to_thread=False)
    def stall(ms: float = 0, times: int = 1_000_000) -> dict[str, Any]:
        sb.faults.clear()
        if ms > 0:
            sb.faults.stall("*", "/v1/", ms / 1000.0, times=times)
        return {"stall_ms": ms, "times": times if ms > 0 else 0}

    @post("/bench/complete/{session_id:str}", status_code=200)
    async def complete(session_id: str) -> dict[str, Any]:
        session = complete_checkout(sb.state, session_id)
        out: dict[str, Any] = {"session": copy.deepcopy(session)}
        if session.get("payment_intent"):
            out["payment_intent"] = copy.deepcopy(store.get("payment_intent", session["payment_intent"]))
        if session.get("subscription"):
            out["subscription"] = copy.deepcopy(store.get("subscription", session["subscription"]))
        return out

    return Litestar(
        route_handlers=[*sb.route_handlers(api_prefix=""), health, prices, requests, stall, complete],
        on_startup=[sb.start],
        on_shutdown=[sb.stop],
        openapi_config=None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret-key", default="sk_test_bench")
    parser.add_argument("--extra-key", action="append", default=[], help="another accepted secret key")
    parser.add_argument("--djstripe-reads", action="store_true", help="serve the reads dj-stripe needs (BENCH_ROUTES)")
    args = parser.parse_args()
    host = "127.0.0.1"
    sb = Sandbox(public_url=f"http://{host}:{args.port}", webhook_url=None, secret_key=args.secret_key, api_prefix="")
    for key in args.extra_key:
        sb.add_api_key(key)
    if args.djstripe_reads:
        bench_only_api(sb)  # through Api.handle like the sandbox's own routes: key check, log, stalls
    uvicorn.run(create_app(sb), host=host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
