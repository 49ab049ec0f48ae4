"""Benchmark 1 — webhook ingest.

A real service process (`billing serve --workers N`) on PostgreSQL + Redis, with the sandbox as
its Stripe. Setup goes through the service's own routes: signed-in users start checkouts
(`POST /api/stripe/checkout`: pending orders, subscription sessions), the sandbox completes them
as a paying customer would. Then the bench posts signed events built from fixtures3.json objects
carrying those real ids, so every event does its real work:

  payment_intent.amount_capturable_updated  pending → authorized (no Stripe call)
  checkout.session.completed (payment)      reads the PaymentIntent (1 call), → authorized/captured
  payment_intent.succeeded                  → captured; outbox: e-mail (log sender) + session metadata (1 call)
  checkout.session.completed (subscription) links customer, syncs the subscription (1 call)
  customer.subscription.updated             syncs the subscription (1 call)
  product.updated                           catalog cache invalidation (no Stripe call)

plus ~10 % duplicates (same event again, freshly signed as Stripe's redelivery is).

Stripe calls per event type are measured exactly in a sequential calibration pass before the
load (which also warms the service): per type, k new events then the same k again, counting the
sandbox's request log around each. The load itself reports the total calls per endpoint.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx

from bench import common
from bench.events import encode, event, sign, stripe_object

CALIBRATION_EVENTS = 8
SAME_SECOND = "customer.subscription.updated (same second)"
COMPLETED_AFTER_AUTHORIZATION = "checkout.session.completed (payment, after the authorization)"
DUPLICATE_SHARE = 0.10
_ID = re.compile(r"/(cs_test|cs|pi|sub|prod|price|cus|si)_[A-Za-z0-9]+")

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey


@dataclass
class Users:
    """Clerk-shaped RS256 sign-in tokens from a key pair minted here (CLERK_JWT_KEY = its public half)."""

    @cached_property
    def _key(self) -> RSAPrivateKey:
        from cryptography.hazmat.primitives.asymmetric import rsa

        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @cached_property
    def public_pem(self) -> str:
        from cryptography.hazmat.primitives import serialization

        return (
            self._key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    @cached_property
    def _tokens(self) -> dict[str, str]:
        return {}

    def headers(self, user_id: str) -> dict[str, str]:
        import jwt

        if user_id not in self._tokens:  # one token per user, valid for the whole run
            now = int(time.time())
            claims = {"sub": user_id, "email": f"{user_id}@example.com", "iat": now, "nbf": now - 1, "exp": now + 3600}
            self._tokens[user_id] = jwt.encode(claims, self._key, algorithm="RS256")
        return {"Authorization": f"Bearer {self._tokens[user_id]}"}


@dataclass
class Delivery:
    label: str  # event type, with the checkout mode for checkout.session.completed
    body: bytes
    event_id: str


@dataclass
class Workload:
    calibration: dict[str, list[Delivery]] = field(default_factory=dict)
    load: list[Delivery] = field(default_factory=list)
    order_ids: list[str] = field(default_factory=list)
    subscription_ids: list[str] = field(default_factory=list)


def endpoint(method: str, path: str) -> str:
    return f"{method} {_ID.sub('/{id}', path)}"


class StripeLog:
    def __init__(self, client: httpx.AsyncClient, base: str) -> None:
        self._client, self._base = client, base

    async def mark(self) -> int:
        return int((await self._client.get(f"{self._base}/bench/requests", params={"since": 10**9})).json()["total"])

    async def since(self, mark: int) -> Counter[str]:
        data = (await self._client.get(f"{self._base}/bench/requests", params={"since": mark})).json()
        return Counter(endpoint(m, p) for m, p, _ in data["entries"])


async def _bounded(concurrency: int, jobs: list[Any]) -> list[Any]:
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Any) -> Any:
        async with gate:
            return await job

    return list(await asyncio.gather(*(one(j) for j in jobs)))


async def build_workload(
    client: httpx.AsyncClient, base: str, stripe_base: str, users: Users, events: int, tag: str
) -> Workload:
    """Create the state (through the service's checkout route) and the events that act on it."""
    prices = (await client.get(f"{stripe_base}/bench/prices")).json()
    one_time = [p for p in prices if p["type"] == "one_time"]
    recurring = [p for p in prices if p["type"] == "recurring"]
    products = sorted({p["product"] for p in prices})

    # The load's mix: 60 % order events (3 per order), 30 % subscription events, 10 % product.updated.
    n_orders = max(1, round(events * 0.20))
    updates_per_sub = 5
    n_subs = max(1, round(events * 0.30 / (updates_per_sub + 1)))
    n_products = max(1, events - 3 * n_orders - n_subs * (updates_per_sub + 1))
    k = CALIBRATION_EVENTS

    async def checkout(user_id: str, price_id: str) -> dict[str, Any]:
        for attempt in range(3):
            response = await client.post(
                f"{base}/api/stripe/checkout", json={"price_id": price_id}, headers=users.headers(user_id)
            )
            if response.status_code == 200:
                started = response.json()
                paid = (await client.post(f"{stripe_base}/bench/complete/{started['id']}")).json()
                return {**paid, "order_id": started["order_id"], "user_id": user_id}
            if attempt == 2 or response.status_code < 500:
                raise RuntimeError(f"checkout failed: {response.status_code} {response.text[:300]}")
        raise AssertionError("unreachable")

    # Buyers place several orders each (their Stripe customer is created once); a subscriber has one.
    orders = await _bounded(
        16,
        [checkout(f"u_{tag}_o{i % 50}", one_time[i % len(one_time)]["id"]) for i in range(n_orders + 2 * k)],
    )
    subs = await _bounded(
        16,
        [checkout(f"u_{tag}_s{i}", recurring[i % len(recurring)]["id"]) for i in range(n_subs + k)],
    )
    # Each subscriber signed up ten minutes ago and changed the subscription `updates_per_sub` times
    # since, a minute apart (the events below); Stripe holds the last change's state.
    signed_up = int(time.time()) - 600

    async def last_change(s: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(
            f"{stripe_base}/v1/subscriptions/{s['subscription']['id']}",
            data={"cancel_at_period_end": str(bool(updates_per_sub % 2)).lower()},
            headers={"Authorization": f"Bearer {common.STRIPE_KEY}"},
        )
        response.raise_for_status()
        return {**s, "signed_up": signed_up}

    subs = await _bounded(16, [last_change(s) for s in subs])

    def delivery(
        label: str,
        event_type: str,
        obj: dict[str, Any],
        previous: dict[str, Any] | None = None,
        created: int | None = None,
    ) -> Delivery:
        payload = event(event_type, obj, previous, created)
        return Delivery(label, encode(payload), payload["id"])

    def order_events(o: dict[str, Any]) -> tuple[Delivery, Delivery, Delivery]:
        pi, session = o["payment_intent"], o["session"]
        authorized = delivery(
            "payment_intent.amount_capturable_updated",
            "payment_intent.amount_capturable_updated",
            stripe_object("payment_intent", pi),
            {"amount_capturable": 0, "status": "requires_confirmation"},
        )
        completed = delivery(
            "checkout.session.completed (payment)",
            "checkout.session.completed",
            stripe_object("checkout.session", session),
        )
        captured = delivery(
            "payment_intent.succeeded",
            "payment_intent.succeeded",
            stripe_object("payment_intent", pi, status="succeeded", amount_capturable=0, amount_received=pi["amount"]),
            {"status": "requires_capture", "amount_capturable": pi["amount"], "amount_received": 0},
        )
        return authorized, completed, captured

    def sub_completed(s: dict[str, Any]) -> Delivery:
        return delivery(
            "checkout.session.completed (subscription)",
            "checkout.session.completed",
            stripe_object("checkout.session", s["session"]),
            created=s["signed_up"],
        )

    def sub_updated(s: dict[str, Any], n: int, label: str = "customer.subscription.updated") -> Delivery:
        # The n-th later change of the subscription (cancel at period end on, off, on, …), a minute
        # after the one before, as Stripe stamps it. The sandbox already holds the last one's state.
        sub = s["subscription"]
        return delivery(
            label,
            "customer.subscription.updated",
            stripe_object("subscription", sub, cancel_at_period_end=bool(n % 2)),
            {"cancel_at_period_end": not bool(n % 2)},
            created=s["signed_up"] + 60 * n,
        )

    def product_updated(n: int) -> Delivery:
        product_id = products[n % len(products)]
        return delivery(
            "product.updated",
            "product.updated",
            stripe_object("product", None, id=product_id, metadata={"bench_revision": str(n)}),
            {"metadata": {"bench_revision": str(n - 1)}},
        )

    work = Workload()
    # Orders [:k]: the session's completion arrives first (the order is pending: one read of the
    # PaymentIntent); orders [k:2k]: the authorization arrives first, then the completion (no read).
    completed_first = [order_events(o) for o in orders[:k]]
    authorized_first = [order_events(o) for o in orders[k : 2 * k]]
    work.calibration["checkout.session.completed (payment)"] = [t[1] for t in completed_first]
    work.calibration["payment_intent.amount_capturable_updated"] = [t[0] for t in authorized_first]
    work.calibration[COMPLETED_AFTER_AUTHORIZATION] = [t[1] for t in authorized_first]
    work.calibration["payment_intent.succeeded"] = [t[2] for t in completed_first]
    work.calibration["checkout.session.completed (subscription)"] = [sub_completed(s) for s in subs[:k]]
    work.calibration["customer.subscription.updated"] = [sub_updated(s, updates_per_sub) for s in subs[:k]]
    # A second change within the same second as the stored state: its snapshot cannot be ordered.
    work.calibration[SAME_SECOND] = [sub_updated(s, updates_per_sub, SAME_SECOND) for s in subs[:k]]
    work.calibration["product.updated"] = [product_updated(n) for n in range(k)]

    rng = random.Random(20260)
    first: list[Delivery] = []
    second: list[Delivery] = []
    second += [t[2] for t in authorized_first]  # their captures come with the load
    for o in orders[2 * k :]:
        authorized, completed, captured = order_events(o)
        first += [authorized, completed]
        second.append(captured)
    for s in subs[k:]:
        first.append(sub_completed(s))
        updates = [sub_updated(s, n) for n in range(1, updates_per_sub + 1)]
        first += updates[: updates_per_sub // 2]
        second += updates[updates_per_sub // 2 :]
    for n in range(n_products):
        (first if n % 2 else second).append(product_updated(k + n))
    rng.shuffle(first)
    rng.shuffle(second)
    unique = first + second
    # Duplicates: Stripe redelivers the same event (same id and body) some time after the first.
    load = list(unique)
    for original in rng.sample(range(len(unique)), round(len(unique) * DUPLICATE_SHARE)):
        position = load.index(unique[original])
        load.insert(rng.randint(position + 1, len(load)), unique[original])
    work.load = load
    work.order_ids = [o["order_id"] for o in orders]
    work.subscription_ids = [s["subscription"]["id"] for s in subs]
    return work


WEBHOOK_PATH = "/api/webhooks/stripe"


async def post_event(conn: common.RawConnection, d: Delivery) -> tuple[int, float]:
    """Sign at send time (like Stripe, also on redelivery) and post; (status, latency ms)."""
    headers = {"Stripe-Signature": sign(d.body, common.WEBHOOK_SECRET), "Content-Type": "application/json"}
    start = time.perf_counter()
    try:
        status, _ = await conn.request("POST", WEBHOOK_PATH, headers, d.body)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        status = 0
    return status, (time.perf_counter() - start) * 1000


async def calibrate(base: str, log: StripeLog, calibration: dict[str, list[Delivery]]) -> dict[str, Any]:
    """Sequential: exact Stripe calls per event (new, then the same events again as duplicates)."""
    result: dict[str, Any] = {}
    conn = common.RawConnection(base)
    for label, deliveries in calibration.items():
        counts = {}
        for phase in ("new", "duplicate"):
            mark = await log.mark()
            statuses = Counter([(await post_event(conn, d))[0] for d in deliveries])
            calls = await log.since(mark)
            counts[phase] = {
                "stripe_calls_per_event": round(sum(calls.values()) / len(deliveries), 2),
                "endpoints": dict(calls),
                "statuses": {str(k): v for k, v in statuses.items()},
            }
        result[label] = counts
    conn.close()
    return result


async def drive(
    base: str, load: list[Delivery], concurrency: int, max_seconds: float
) -> tuple[common.Stats, dict[str, list[float]]]:
    queue = iter(load)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    by_label: dict[str, list[float]] = {}
    began = time.perf_counter()
    deadline = began + max_seconds

    async def worker(conn: common.RawConnection) -> None:
        for d in queue:  # a shared iterator: each delivery is taken by one worker
            if time.perf_counter() > deadline:
                return
            status, ms = await post_event(conn, d)
            latencies.append(ms)
            statuses[status] += 1
            by_label.setdefault(d.label, []).append(ms)

    conns = [common.RawConnection(base) for _ in range(concurrency)]
    try:
        await asyncio.gather(*(worker(c) for c in conns))
    finally:
        for c in conns:
            c.close()
    elapsed = time.perf_counter() - began
    errors = sum(n for s, n in statuses.items() if s != 200)
    return common.Stats(
        len(latencies), elapsed, latencies, errors, dict(statuses), tool=f"httpx c={concurrency}"
    ), by_label


async def verify(database_url: str, work: Workload, sent_ids: set[str]) -> dict[str, Any]:
    """What the events left in the database: every order captured once, every event processed once."""
    orders = await common.pg_fetch_args(
        database_url, "SELECT status, count(*) FROM orders WHERE id = ANY($1::text[]) GROUP BY status", work.order_ids
    )
    events = await common.pg_fetch_args(
        database_url,
        "SELECT status, count(*) FROM webhook_events WHERE id = ANY($1::text[]) GROUP BY status",
        sorted(sent_ids),
    )
    effects = await common.pg_fetch_args(
        database_url,
        "SELECT kind, count(*), count(done_at) FROM effects WHERE payload->>'order_id' = ANY($1::text[]) GROUP BY kind",
        work.order_ids,
    )
    subs = await common.pg_fetch_args(
        database_url,
        "SELECT count(*) FROM subscriptions WHERE stripe_subscription_id = ANY($1::text[])",
        work.subscription_ids,
    )
    return {
        "orders": {r[0]: r[1] for r in orders},
        "events": {r[0]: r[1] for r in events},
        "effects": {r[0]: {"recorded": r[1], "done": r[2]} for r in effects},
        "subscriptions_stored": subs[0][0],
        "subscriptions_expected": len(work.subscription_ids),
    }


async def run_once(
    *,
    admin_pg_url: str,
    database_url: str,
    stripe_base: str,
    stripe_pid: int,
    redis_url: str | None,
    users: Users,
    workers: int,
    stall_ms: float,
    events: int,
    concurrency: int,
    max_seconds: float,
    tag: str,
    floor: bool = False,
    count_checkout_calls: bool = False,
) -> dict[str, Any]:
    """One service run; with `floor`, the store-first floor then takes the same deliveries, with the
    same worker count, right after (so the pair is measured minutes, not runs, apart)."""
    env = common.service_env(database_url, stripe_base, redis_url=redis_url, jwt_key=users.public_pem)
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    checkout_calls: dict[str, list[str]] | None = None
    with common.service(env, workers=workers) as running:
        base = running.base
        meter = common.CpuMeter(running.pid, admin_pg_url, database_url.rsplit("/", 1)[1], stripe_pid)
        async with httpx.AsyncClient(limits=limits, timeout=60) as client:
            log = StripeLog(client, stripe_base)
            if count_checkout_calls:
                checkout_calls = await stripe_calls_per_checkout(client, base, stripe_base, users, tag)
            t0 = time.perf_counter()
            work = await build_workload(client, base, stripe_base, users, events, tag)
            setup_seconds = time.perf_counter() - t0
            await client.post(f"{stripe_base}/bench/stall", params={"ms": stall_ms})
            try:
                calibration = await calibrate(base, log, work.calibration)
                mark = await log.mark()
                load_before = common.load_average()
                await meter.start()
                stats, by_label = await drive(base, work.load, concurrency, max_seconds)
                cpu = await meter.stop()
                load_after = common.load_average()
                calls = await log.since(mark)
                rss = common.process_tree_rss_mb(running.pid)
            finally:
                await client.post(f"{stripe_base}/bench/stall", params={"ms": 0})
            sent = {d.event_id for d in work.load} | {d.event_id for ds in work.calibration.values() for d in ds}
            unique = len({d.event_id for d in work.load})
            state = await verify(database_url, work, sent)
    result = {
        "workers": workers,
        "stall_ms": stall_ms,
        "setup_seconds": round(setup_seconds, 1),
        "deliveries": stats.requests,
        "unique_events": unique,
        "duplicates": len(work.load) - unique,
        **load_figures(stats, by_label, cpu, calls),
        "rss_mb_after": rss,
        "load_average_before_after": [load_before, load_after],
        "calibration": calibration,
        "state_after": state,
    }
    if checkout_calls is not None:
        result["stripe_calls_per_checkout"] = checkout_calls
    if floor:
        result["floor"] = await run_floor(admin_pg_url, database_url, workers, work.load, concurrency, max_seconds)
    return result


async def run_floor(
    admin_pg_url: str, database_url: str, workers: int, load: list[Delivery], concurrency: int, max_seconds: float
) -> dict[str, Any]:
    """The store-first floor (`bench.floor_app`: verify + INSERT + COMMIT) taking the same deliveries."""
    from bench import floor_app

    await floor_app.prepare(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    with common.floor_app(database_url, workers) as running:
        meter = common.CpuMeter(running.pid, admin_pg_url, database_url.rsplit("/", 1)[1])
        load_before = common.load_average()
        await meter.start()
        stats, by_label = await drive(running.base, load, concurrency, max_seconds)
        cpu = await meter.stop()
        rss = common.process_tree_rss_mb(running.pid)
    stored = await common.pg_fetch_args(database_url, f"SELECT count(*) FROM {floor_app.TABLE}")
    return {
        "workers": workers,
        "deliveries": stats.requests,
        **load_figures(stats, by_label, cpu, {}),
        "rss_mb_after": rss,
        "load_average_before": load_before,
        "stored": stored[0][0],
    }


async def stripe_calls_per_checkout(
    client: httpx.AsyncClient, base: str, stripe_base: str, users: Users, tag: str
) -> dict[str, list[str]]:
    """Stripe requests of one checkout by a new customer, then one by the same customer, with the
    catalog warm (as a pricing page leaves it): the sandbox's request log around each."""
    log = StripeLog(client, stripe_base)
    (await client.get(f"{base}/api/stripe/products")).raise_for_status()
    price = next(p for p in (await client.get(f"{stripe_base}/bench/prices")).json() if p["type"] == "one_time")
    calls: dict[str, list[str]] = {}
    for label in ("new customer", "returning customer"):
        mark = await log.mark()
        response = await client.post(
            f"{base}/api/stripe/checkout", json={"price_id": price["id"]}, headers=users.headers(f"u_{tag}_counted")
        )
        response.raise_for_status()
        entries = (await client.get(f"{stripe_base}/bench/requests", params={"since": mark})).json()["entries"]
        calls[label] = [endpoint(method, path) for method, path, _ in entries]
    return calls


def load_figures(
    stats: common.Stats, by_label: dict[str, list[float]], cpu: dict[str, float], calls: Mapping[str, int]
) -> dict[str, Any]:
    """A load's figures as both webhook benches report them: latency by event type, rate, CPU per
    delivery by process group, Stripe calls."""
    return {
        "per_type": {
            label: {
                "posts": len(ms),
                "p50_ms": round(common.percentile(sorted(ms), 50), 2),
                "p99_ms": round(common.percentile(sorted(ms), 99), 2),
            }
            for label, ms in sorted(by_label.items())
        },
        "load": stats.summary(),
        "cpu": cpu,
        "cpu_ms_per_delivery": {
            k.removesuffix("_cpu_s"): round(1000 * v / max(1, stats.requests), 2) for k, v in cpu.items()
        },
        "stripe_calls_during_load": dict(calls),
        "stripe_calls_per_delivery": round(sum(calls.values()) / max(1, stats.requests), 3),
    }


async def run(
    *,
    admin_pg_url: str,
    redis_url: str | None,
    workers: list[int],
    stalls: list[float],
    events: int,
    concurrency: int,
    max_seconds: float,
) -> dict[str, Any]:
    users = Users()
    runs = []
    async with common.postgres_database(admin_pg_url) as database_url:
        with common.stripe_server() as stripe:
            common.migrate(common.service_env(database_url, stripe.base, redis_url=None))
            for n, (stall, w) in enumerate(itertools.product(stalls, workers)):
                print(
                    f"  webhook: {w} worker(s), Stripe stall {stall:g} ms, load average {common.load_average()}",
                    flush=True,
                )
                result = await run_once(
                    admin_pg_url=admin_pg_url,
                    database_url=database_url,
                    stripe_base=stripe.base,
                    stripe_pid=stripe.pid,
                    redis_url=redis_url,
                    users=users,
                    workers=w,
                    stall_ms=stall,
                    events=events,
                    concurrency=concurrency,
                    max_seconds=max_seconds,
                    tag=f"r{n}",
                    floor=stall == stalls[0],
                    count_checkout_calls=n == 0,
                )
                load = result["load"]
                print(
                    f"    setup {result['setup_seconds']} s; {load['rate_per_s']:.0f} events/s, "
                    f"p50 {load['p50_ms']:.1f} ms, p99 {load['p99_ms']:.1f} ms, non-200: {load['errors']}",
                    flush=True,
                )
                if "floor" in result:
                    floor = result["floor"]["load"]
                    print(
                        f"    store-first floor: {floor['rate_per_s']:.0f} events/s, non-200: {floor['errors']}",
                        flush=True,
                    )
                runs.append(result)
    return {"concurrency": concurrency, "events": events, "redis": bool(redis_url), "runs": runs}


FIGURE_HEADS = ["workers", "stall ms", "posts", "events/s", "p50 ms", "p99 ms", "non-200", "Stripe/evt"]


def figure_cells(r: dict[str, Any]) -> list[Any]:
    """The first cells of a run's row, as both webhook benches print them (FIGURE_HEADS)."""
    load = r["load"]
    return [
        r["workers"],
        f"{r['stall_ms']:g}",
        r["deliveries"],
        f"{load['rate_per_s']:.0f}",
        f"{load['p50_ms']:.1f}",
        f"{load['p99_ms']:.1f}",
        load["errors"],
        f"{r['stripe_calls_per_delivery']:.2f}",
    ]


def latency_table(runs: list[dict[str, Any]]) -> str:
    """p50 / p99 by event type, one column per run."""
    labels = sorted({label for r in runs for label in r["per_type"]})

    def cell(r: dict[str, Any], label: str) -> str:
        found = r["per_type"].get(label)
        return f"{found['p50_ms']:.0f} / {found['p99_ms']:.0f}" if found else ""

    rows = [[label] + [cell(r, label) for r in runs] for label in labels]
    return common.table(["event"] + [f"{r['workers']}w stall {r['stall_ms']:g}" for r in runs], rows)


def floor_ratios(run: dict[str, Any]) -> tuple[float, float] | None:
    """(service events/s ÷ floor events/s, floor CPU ÷ service CPU per event, service + PostgreSQL)
    for a run measured beside its floor; None without one."""
    floor = run.get("floor")
    if not floor:
        return None
    rate = run["load"]["rate_per_s"] / max(0.1, floor["load"]["rate_per_s"])
    mine, theirs = run["cpu_ms_per_delivery"], floor["cpu_ms_per_delivery"]
    cpu = (theirs["service"] + theirs["postgres"]) / max(0.001, mine["service"] + mine["postgres"])
    return rate, cpu


def _rss(r: dict[str, Any]) -> str:
    """RSS of the biggest process (a worker; uvicorn's supervisor is smaller) and of all together."""
    values = list(r.get("rss_mb_after", {}).values())
    return f"{max(values):.0f} / {sum(values):.0f}" if values else ""


def report(result: dict[str, Any]) -> str:
    rows = []
    for r in result["runs"]:
        cpu = r["cpu_ms_per_delivery"]
        ratios = floor_ratios(r)
        rows.append(
            [
                *figure_cells(r),
                f"{cpu['service']:.2f}",
                f"{cpu['postgres']:.2f}",
                f"{cpu.get('stripe', 0.0):.2f} / {cpu['client']:.2f}",
                f"{capacity(cpu, r['workers']):.0f}",
                f"{ratios[0]:.2f} / {ratios[1]:.2f}" if ratios else "",
                _rss(r),
                f"{r['load_average_before_after'][0][0]:.1f}" if r["load_average_before_after"][0] else "",
                _state_line(r["state_after"]),
            ]
        )
        if floor := r.get("floor"):
            fcpu, fload = floor["cpu_ms_per_delivery"], floor["load"]
            rows.append(
                [
                    floor["workers"],
                    "floor",
                    floor["deliveries"],
                    f"{fload['rate_per_s']:.0f}",
                    f"{fload['p50_ms']:.1f}",
                    f"{fload['p99_ms']:.1f}",
                    fload["errors"],
                    "0.00",
                    f"{fcpu['service']:.2f}",
                    f"{fcpu['postgres']:.2f}",
                    f"- / {fcpu['client']:.2f}",
                    f"{capacity(fcpu, floor['workers']):.0f}",
                    "1 / 1",
                    _rss(floor),
                    f"{floor['load_average_before'][0]:.1f}" if floor["load_average_before"] else "",
                    f"{floor['stored']} events stored",
                ]
            )
    out = [
        f"Webhook ingest — {result['events']} events + ~10% duplicates per run, {result['concurrency']} concurrent "
        f"posts, PostgreSQL{' + Redis' if result['redis'] else ''}; 'floor' rows: the store-first floor "
        "(verify + INSERT + COMMIT, bench/floor_app.py) taking the same deliveries right after",
        common.table(
            [
                *FIGURE_HEADS,
                "svc CPU ms/evt",
                "PG CPU ms/evt",
                "Stripe / bench CPU ms/evt",
                "capacity evt/s",
                "x floor evt/s / CPU",
                "RSS MB worker / all",
                "loadavg",
                "state after",
            ],
            rows,
        ),
    ]
    if result["runs"]:
        out += ["", "Latency by event type (p50 / p99 ms)", latency_table(result["runs"])]
        cal = result["runs"][0]["calibration"]
        rows = [
            [
                label,
                f"{c['new']['stripe_calls_per_event']:g}",
                ", ".join(f"{k} x{v}" for k, v in sorted(c["new"]["endpoints"].items())) or "-",
                f"{c['duplicate']['stripe_calls_per_event']:g}",
            ]
            for label, c in cal.items()
        ]
        out += ["", f"Stripe calls per event (sequential, {CALIBRATION_EVENTS} events per type, sandbox request log)"]
        out.append(common.table(["event", "calls/event", "endpoints (total)", "dup calls/event"], rows))
    return "\n".join(out)


def summary_lines(result: dict[str, Any]) -> list[str]:
    """The lines `make bench` ends with: each run against its floor, and Stripe calls per checkout."""
    lines = []
    for r in result["runs"]:
        if ratios := floor_ratios(r):
            lines.append(
                f"webhook, {r['workers']} worker(s): {ratios[0]:.2f}x the store-first floor's events/s "
                f"({r['load']['rate_per_s']:.0f} vs {r['floor']['load']['rate_per_s']:.0f}), {ratios[1]:.2f}x its "
                "CPU efficiency (service + PostgreSQL CPU per event; target >= 0.5 with 2 workers)"
            )
        if calls := r.get("stripe_calls_per_checkout"):
            lines.append(
                "Stripe calls per checkout (warm catalog): "
                + "; ".join(f"{who} {len(c)} ({', '.join(c)})" for who, c in calls.items())
                + " (target 2 and 1)"
            )
    return lines


def capacity(cpu_ms_per_event: dict[str, float], workers: int | None = None) -> float:
    """Events/s the machine's cores would sustain for the service and PostgreSQL alone, from their CPU
    per event: the rate the run would reach if the Stripe stand-in and the load generator (which
    share the same cores here, but in production live elsewhere) cost nothing. An estimate; the
    measured rate is the `events/s` column. With fewer service `workers` (processes) than cores,
    the service cannot use more than `workers` cores, whatever PostgreSQL leaves free."""
    cores = os.cpu_count() or 1
    service, spent = cpu_ms_per_event["service"], cpu_ms_per_event["service"] + cpu_ms_per_event["postgres"]
    if spent <= 0:
        return 0.0
    rate = 1000 * cores / spent
    if workers is not None and workers < cores and service > 0:
        rate = min(rate, 1000 * workers / service)
    return rate


def _state_line(s: dict[str, Any]) -> str:
    """E.g. `orders 128/128 captured, events 648/648 processed, effects 256/256 done, subs 38/38`."""
    orders, events = s["orders"], s["events"]
    effects = s["effects"].values()
    return (
        f"orders {orders.get('captured', 0)}/{sum(orders.values())} captured, "
        f"events {events.get('processed', 0) + events.get('ignored', 0)}/{sum(events.values())} done, "
        f"effects {sum(e['done'] for e in effects)}/{sum(e['recorded'] for e in effects)} done, "
        f"subs {s['subscriptions_stored']}/{s['subscriptions_expected']}"
    )
