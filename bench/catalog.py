"""Benchmark 2 — catalog warm read.

Throughput of `GET /api/stripe/products` on a warm cache — the service (one uvicorn worker) with
its in-process cache, then with Redis — against a bare Litestar route returning the same bytes,
served the same way. Same client for all three (httpx, and wrk when installed).

And the cost of a warm read, counted two ways:
  * in-process: the real app (`create_app`) under Litestar's test client, with a SQLAlchemy
    `before_cursor_execute` listener on every engine and the sandbox's request log: one cold read,
    then N warm reads — Stripe calls and SQL statements for each phase;
  * over the wire, during the throughput runs: the sandbox's request log (Stripe calls) and
    PostgreSQL's own `pg_stat_database` transaction counters for the service's database.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bench import common
from bench.events import encode, event, sign, stripe_object

WARM_READS = 200


async def _invalidate(client: httpx.AsyncClient, base: str) -> None:
    """A signed `product.updated`: drops whatever an earlier run left in a shared Redis."""
    body = encode(event("product.updated", stripe_object("product", None, id="prod_bench_invalidate")))
    response = await client.post(
        f"{base}/api/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body, common.WEBHOOK_SECRET)}
    )
    response.raise_for_status()


async def _stripe_mark(client: httpx.AsyncClient, stripe_base: str) -> int:
    return int((await client.get(f"{stripe_base}/bench/requests", params={"since": 10**9})).json()["total"])


async def _stripe_since(client: httpx.AsyncClient, stripe_base: str, mark: int) -> list[str]:
    data = (await client.get(f"{stripe_base}/bench/requests", params={"since": mark})).json()
    return [f"{m} {p}" for m, p, _ in data["entries"]]


async def _pg_clock(admin_pg_url: str) -> Any:
    return (await common.pg_fetch_args(admin_pg_url, "SELECT clock_timestamp()"))[0][0]


async def _pg_active_since(admin_pg_url: str, database_url: str, since: Any) -> int:
    """How many of the service's PostgreSQL connections ran anything (or connected) after `since`.

    pg_stat_activity is live, unlike pg_stat_database's counters (flushed up to 10 s late)."""
    rows = await common.pg_fetch_args(
        admin_pg_url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
        "AND greatest(state_change, query_start, backend_start) > $2",
        database_url.rsplit("/", 1)[1],
        since,
    )
    return int(rows[0][0])


async def in_process_cost(database_url: str, stripe_base: str, redis_url: str | None) -> dict[str, Any]:
    """Run the app in this process and count SQL statements and Stripe calls per phase."""
    from litestar.testing import AsyncTestClient
    from sqlalchemy import event as sa_event
    from sqlalchemy.engine import Engine

    from entrypoints.http.app import create_app
    from entrypoints.settings import load_settings

    statements: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    env = common.service_env(database_url, stripe_base, redis_url=redis_url)
    settings = load_settings(env, env_file=None)
    app = create_app(settings, sweep_effects=False)
    sa_event.listen(Engine, "before_cursor_execute", on_execute)
    try:
        async with httpx.AsyncClient(timeout=10) as control, AsyncTestClient(app) as client:
            await _invalidate(client, "")
            phases: dict[str, Any] = {}
            for phase, reads in (("cold (first read)", 1), (f"warm ({WARM_READS} reads)", WARM_READS)):
                statements.clear()
                mark = await _stripe_mark(control, stripe_base)
                statuses: dict[int, int] = {}
                for _ in range(reads):
                    response = await client.get("/api/stripe/products")
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                calls = await _stripe_since(control, stripe_base, mark)
                phases[phase] = {
                    "reads": reads,
                    "stripe_calls": len(calls),
                    "stripe_endpoints": sorted(set(calls)),
                    "sql_statements": len(statements),
                    "statuses": {str(k): v for k, v in statuses.items()},
                }
    finally:
        sa_event.remove(Engine, "before_cursor_execute", on_execute)
    return phases


async def _load(url: str, connections: int, seconds: float, pid: int) -> list[dict[str, Any]]:
    """The asyncio client, then wrk when installed; each with the server's CPU time per request."""
    results = []
    tools = ["asyncio"] + (["wrk"] if common.wrk_available() else [])
    for tool in tools:
        load_before = common.load_average()
        cpu_before = common.process_tree_cpu(pid)
        if tool == "asyncio":
            base, path = url.split("/api/", 1)
            stats = await common.raw_get_load(base, "/api/" + path, connections=connections, seconds=seconds)
        else:
            stats = await asyncio.to_thread(common.wrk_load, url, connections=connections, seconds=seconds)
        cpu = common.process_tree_cpu(pid) - cpu_before
        summary = stats.summary()
        summary["server_cpu_us_per_request"] = round(1e6 * cpu / max(1, stats.requests), 1)
        summary["load_average_before"] = load_before
        results.append(summary)
    return results


async def run(*, admin_pg_url: str, redis_url: str | None, connections: int, seconds: float) -> dict[str, Any]:
    targets: list[dict[str, Any]] = []
    costs: dict[str, Any] = {}
    body = b""
    async with common.postgres_database(admin_pg_url) as database_url:
        with common.stripe_server() as stripe:
            stripe_base = stripe.base
            common.migrate(common.service_env(database_url, stripe_base, redis_url=None))
            caches = [("in-process cache", None)] + ([("Redis cache", redis_url)] if redis_url else [])
            async with httpx.AsyncClient(timeout=10) as control:
                for name, cache_url in caches:
                    print(f"  catalog: service, {name} …", flush=True)
                    costs[name] = await in_process_cost(database_url, stripe_base, cache_url)
                    env = common.service_env(database_url, stripe_base, redis_url=cache_url)
                    with common.service(env, workers=1) as running:
                        base = running.base
                        await _invalidate(control, base)
                        url = f"{base}/api/stripe/products"
                        first = await control.get(url)
                        first.raise_for_status()
                        body = first.content
                        mark = await _stripe_mark(control, stripe_base)
                        since = await _pg_clock(admin_pg_url)
                        loads = await _load(url, connections, seconds, running.pid)
                        calls = await _stripe_since(control, stripe_base, mark)
                        active = await _pg_active_since(admin_pg_url, database_url, since)
                    targets.append(
                        {
                            "target": f"service, {name}",
                            "loads": loads,
                            "stripe_calls_during_load": len(calls),
                            "db_connections_active_during_load": active,
                        }
                    )
                print("  catalog: bare Litestar route …", flush=True)
                with common.bare_app(body) as bare:
                    loads = await _load(f"{bare.base}/api/stripe/products", connections, seconds, bare.pid)
            targets.append({"target": "bare Litestar route", "loads": loads})
    return {
        "connections": connections,
        "seconds": seconds,
        "body_bytes": len(body),
        "targets": targets,
        "warm_read_cost": costs,
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def report(result: dict[str, Any]) -> str:
    rows = []
    bare = {load["tool"]: load["rate_per_s"] for load in result["targets"][-1]["loads"]}
    for t in result["targets"]:
        for load in t["loads"]:
            floor = bare.get(load["tool"])
            rows.append(
                [
                    t["target"],
                    load["tool"],
                    f"{load['rate_per_s']:.0f}",
                    f"{load['p50_ms']:.2f}",
                    f"{load['p99_ms']:.2f}",
                    f"{100 * load['rate_per_s'] / floor:.0f}%" if floor else "",
                    f"{load['server_cpu_us_per_request']:.0f}",
                    load["errors"],
                    t.get("stripe_calls_during_load", ""),
                    t.get("db_connections_active_during_load", ""),
                ]
            )
    out = [
        f"Catalog warm read — GET /api/stripe/products ({result['body_bytes']} bytes), one uvicorn worker, "
        f"{result['connections']} connections, {result['seconds']:g} s per run",
        common.table(
            [
                "target",
                "client",
                "req/s",
                "p50 ms",
                "p99 ms",
                "of bare",
                "server CPU us/req",
                "errors",
                "Stripe calls",
                "DB conns active",
            ],
            rows,
        ),
        "",
        "Cost per phase (in-process app, SQLAlchemy before_cursor_execute + sandbox request log)",
    ]
    cost_rows = [
        [cache, phase, c["reads"], c["stripe_calls"], c["sql_statements"]]
        for cache, phases in result["warm_read_cost"].items()
        for phase, c in phases.items()
    ]
    out.append(common.table(["cache", "phase", "reads", "Stripe calls", "SQL statements"], cost_rows))
    return "\n".join(out)
