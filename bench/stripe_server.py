"""The Stripe server for the benchmarks: the offline sandbox in its own process (so it does not share
a GIL with the load generator), plus a few control routes under `/bench` that only the bench uses:

  GET  /bench/health                  → 200 once serving
  GET  /bench/prices                  → the seeded prices ({id, type, product, unit_amount, currency})
  GET  /bench/requests?since=N        → {"total": T, "entries": [[method, path, status], ...]} from index N
  POST /bench/stall?ms=M&times=K      → every later Stripe API call waits M ms (K calls); ms=0 clears
  POST /bench/complete/{session_id}   → the customer pays on the hosted page; returns the session, its
                                        PaymentIntent or Subscription (as Stripe would have them)

`python -m bench.stripe_server --port P --secret-key sk_test_…` (loopback only, no webhook delivery:
the bench posts its own signed events).
"""

from __future__ import annotations

import argparse
import copy
from typing import Any

import uvicorn
from litestar import Litestar, get, post

from sandbox import Sandbox
from sandbox.flows import complete_checkout


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
    args = parser.parse_args()
    host = "127.0.0.1"
    sb = Sandbox(public_url=f"http://{host}:{args.port}", webhook_url=None, secret_key=args.secret_key, api_prefix="")
    uvicorn.run(create_app(sb), host=host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
