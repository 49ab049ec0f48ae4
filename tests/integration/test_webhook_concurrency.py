"""Real concurrency on PostgreSQL: two service processes (as `make run` starts them) share one
database and one Redis, with the sandbox in a thread as their Stripe server and aiosmtpd as their
mail server. The same capture, reported by several events, each delivered several times to both
processes at once, is captured once, e-mailed once and marks the session once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from adapters.persistence.migrate import upgrade_async
from sandbox import Sandbox, run_in_thread
from tests.integration.http_support import price_id
from tests.integration.webhook_support import WEBHOOK_SECRET, smtp_server
from tests.support.service import service_process
from tests.support.stripe_events import signed_request
from tests.support.tokens import shared_minter

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BUYER = "user_racer"
BUYER_EMAIL = "racer@buyers.example"
DELIVERIES_PER_PROCESS = 4


@contextlib.contextmanager
def two_services(env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Start two service processes side by side on an already migrated database; stop both after."""
    runners = [service_process(env, migrate=False), service_process(env, migrate=False)]
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(runner.__enter__) for runner in runners]
    started = [runner for runner, future in zip(runners, futures, strict=True) if future.exception() is None]
    try:
        yield futures[0].result(), futures[1].result()
    finally:
        for runner in started:
            runner.__exit__(None, None, None)


async def _deliver(client: httpx.AsyncClient, base: str, payload: dict[str, Any]) -> int:
    body, headers = signed_request(payload, WEBHOOK_SECRET)
    response = await client.post(f"{base}/api/webhooks/stripe", content=body, headers=headers)
    return response.status_code


async def _storm(client: httpx.AsyncClient, bases: tuple[str, str], payloads: list[dict[str, Any]]) -> list[int]:
    """Every payload, several times, to both processes, all at once."""
    return list(
        await asyncio.gather(
            *(
                _deliver(client, base, payload)
                for payload in payloads
                for base in bases
                for _ in range(DELIVERIES_PER_PROCESS)
            )
        )
    )


def _one_event(sb: Sandbox, event_type: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = sb.events(event_type)
        if found:
            assert len(found) == 1, [e["id"] for e in found]
            return found[0]
        time.sleep(0.02)
    raise AssertionError(f"the sandbox emitted no {event_type}")


async def _stored_events(database_url: str) -> list[tuple[str, str, str]]:
    parts = urlsplit(database_url.replace("+asyncpg", ""))
    conn = await asyncpg.connect(f"postgresql://{parts.netloc}{parts.path}")
    try:
        rows = await conn.fetch("SELECT id, type, status FROM webhook_events ORDER BY id")
        return [(r["id"], r["type"], r["status"]) for r in rows]
    finally:
        await conn.close()


async def test_one_capture_reported_many_times_to_two_processes_is_captured_and_emailed_once(
    postgres_url: str, redis_url: str
) -> None:
    await upgrade_async(postgres_url)  # in this process: cheaper than a `billing migrate` subprocess
    minter = shared_minter()
    sb = Sandbox(webhook_url=None)  # we deliver the events ourselves, all at once
    starter = price_id(sb, "starter_template")
    with run_in_thread(sb) as stripe_url, smtp_server() as (inbox, smtp_url):
        env = {
            "DATABASE_URL": postgres_url,
            "REDIS_URL": redis_url,
            "STRIPE_SECRET_KEY": sb.secret_key,
            "STRIPE_API_BASE": stripe_url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CLERK_JWT_KEY": minter.public_pem,
            "SMTP_URL": smtp_url,
            "ORDER_CAPTURE": "auto",
            "APP_URL": "https://shop.example",
        }
        with two_services(env) as bases:
            auth = minter.headers(BUYER, email=BUYER_EMAIL)
            async with httpx.AsyncClient(timeout=30) as client:
                started = await client.post(f"{bases[0]}/api/stripe/checkout", json={"price_id": starter}, headers=auth)
                assert started.status_code == 200, started.text
                order_id, session_id = started.json()["order_id"], started.json()["id"]
                paid = await client.post(f"{stripe_url}/sandbox/checkout/{session_id}/pay")
                assert paid.status_code in (200, 303)
                completed = _one_event(sb, "checkout.session.completed")
                held = _one_event(sb, "payment_intent.amount_capturable_updated")
                intent_id = held["data"]["object"]["id"]
                capture_path = f"/v1/payment_intents/{intent_id}/capture"

                # Round 1: the completion (which captures under auto capture) races itself.
                first = await _storm(client, bases, [completed, held])
                assert sb.count("POST", capture_path) == 1
                # Round 2: Stripe's report of that capture races every earlier report, again.
                succeeded = _one_event(sb, "payment_intent.succeeded")
                second = await _storm(client, bases, [succeeded, completed, held])

                order = (await client.get(f"{bases[1]}/api/orders/{order_id}", headers=auth)).json()

        assert set(first) == {200} and set(second) == {200}
        assert order["status"] == "captured"
        assert order["payment_intent_id"] == intent_id
        assert sb.count("POST", capture_path) == 1
        assert sb.count("POST", f"/v1/checkout/sessions/{session_id}") == 1
        assert sb.state.store.get("checkout.session", session_id)["metadata"]["order_status"] == "captured"
        assert len(inbox.messages) == 1
        assert inbox.messages[0]["To"] == BUYER_EMAIL
        assert order_id in inbox.messages[0]["Subject"]
        stored = await _stored_events(postgres_url)
        assert sorted(stored) == sorted((e["id"], e["type"], "processed") for e in (completed, held, succeeded))
