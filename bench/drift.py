"""`python -m bench.drift [--objects 10,100] [--pg-url …]`: what `billing events pull` costs when
nothing was missed, and what `billing sync` costs, for N paid orders left authorized, N captured
orders (every other one partly refunded) and N subscriptions.

In one process, as the tests do: the offline sandbox on loopback as Stripe, the service's app on a
throw-away PostgreSQL database (its webhooks delivered by the bench, signed), then the two use cases
run as the CLI runs them. Counted: Stripe requests (the sandbox's log), SQL statements (SQLAlchemy's
cursor events on the service's engine) and wall time (median of the runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import stripe
from dishka import AsyncContainer
from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.migrate import upgrade_async
from application.event_log.pull_events import PullEvents
from application.reconciliation.sync_with_stripe import SyncWithStripe
from bench import common
from bench.webhook import Users
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from sandbox import Sandbox, run_in_thread

RUNS = 5


async def _arrange(client: AsyncTestClient[Any], sb: Sandbox, stripe_url: str, users: Users, n: int) -> None:
    prices = {p["lookup_key"]: p["id"] for p in sb.state.store.all("price") if p.get("lookup_key")}
    buys = (("order", "starter_template"), ("captured", "starter_template"), ("sub", "pro_monthly"))
    async with httpx.AsyncClient(timeout=10) as browser:
        for i in range(n):
            for kind, price in buys:
                started = await client.post(
                    "/api/stripe/checkout", json={"price_id": prices[price]}, headers=users.headers(f"user_{kind}_{i}")
                )
                started.raise_for_status()
                session_id = started.json()["id"]
                await browser.post(f"{stripe_url}/sandbox/checkout/{session_id}/pay")
                if kind == "captured":
                    await _capture(browser, sb, stripe_url, session_id, refund=i % 2 == 0)
    for stripe_event in sb.events():
        body = json.dumps(stripe_event)
        signature = stripe.WebhookSignature.generate_signature_header(body, sb.webhook_secret, int(time.time()))
        await client.post(
            "/api/webhooks/stripe",
            content=body.encode(),
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        )


async def _capture(browser: httpx.AsyncClient, sb: Sandbox, stripe_url: str, session_id: str, *, refund: bool) -> None:
    """Captured at Stripe (the capture's webhooks are delivered with the rest), and partly refunded."""
    auth = (sb.secret_key, "")
    session = (await browser.get(f"{stripe_url}/v1/checkout/sessions/{session_id}", auth=auth)).json()
    intent = session["payment_intent"]
    (await browser.post(f"{stripe_url}/v1/payment_intents/{intent}/capture", auth=auth)).raise_for_status()
    if refund:
        refunded = await browser.post(
            f"{stripe_url}/v1/refunds", data={"payment_intent": intent, "amount": 500}, auth=auth
        )
        refunded.raise_for_status()


async def _measure(
    client: AsyncTestClient[Any], sb: Sandbox, statements: Counter[str], run: Callable[[], Awaitable[Any]]
) -> dict[str, Any]:
    times, result = [], None
    for _ in range(RUNS):
        sb.requests.clear()
        statements.clear()
        started = time.perf_counter()
        result = await asyncio.wrap_future(client.blocking_portal.start_task_soon(run))
        times.append((time.perf_counter() - started) * 1000)
    calls = Counter(f"{r.method} {r.path}" for r in sb.requests)
    return {"ms": statistics.median(times), "stripe": dict(calls), "sql": statements["sql"], "result": result}


async def measure(n: int, pg_admin: str) -> dict[str, Any]:
    users = Users()
    async with common.postgres_database(pg_admin, "drift") as url:
        await upgrade_async(url)
        sb = Sandbox(retry_delays=(0.05,))
        with run_in_thread(sb) as stripe_url:
            settings = load_settings(
                {
                    "STRIPE_SECRET_KEY": sb.secret_key,
                    "STRIPE_API_BASE": stripe_url,
                    "STRIPE_WEBHOOK_SECRET": sb.webhook_secret,
                    "CLERK_JWT_KEY": users.public_pem,
                    "DATABASE_URL": url,
                    "EVENTS_PULL_INTERVAL": "0",
                },
                env_file=None,
            )
            async with AsyncTestClient(app=create_app(settings, sweep_effects=False)) as client:
                await _arrange(client, sb, stripe_url, users, n)
                container: AsyncContainer = client.app.state.dishka_container
                engine = await asyncio.wrap_future(client.blocking_portal.start_task_soon(container.get, AsyncEngine))
                statements: Counter[str] = Counter()
                event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.update(["sql"]))

                async def pull() -> str:
                    async with container() as request:
                        return (await (await request.get(PullEvents)).execute()).summary

                async def sync() -> str:
                    async with container() as request:
                        return (await (await request.get(SyncWithStripe)).execute()).summary

                return {
                    "n": n,
                    "pull": await _measure(client, sb, statements, pull),
                    "sync": await _measure(client, sb, statements, sync),
                }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.drift", description=__doc__)
    parser.add_argument(
        "--objects", default="10,100", help="N of each: authorized orders, captured orders, subscriptions"
    )
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    logging.getLogger("stripe").setLevel(logging.WARNING)
    rows = []
    for n in (int(x) for x in args.objects.split(",")):
        measured = asyncio.run(measure(n, args.pg_url))
        for name in ("pull", "sync"):
            m = measured[name]
            calls = ", ".join(f"{count} x {call}" for call, count in sorted(m["stripe"].items()))
            rows.append([n, name, calls, m["sql"], f"{m['ms']:.0f}", m["result"]])
    print(common.table(["N", "command", "Stripe requests", "SQL", "ms (median)", "summary"], rows))


if __name__ == "__main__":
    main()
