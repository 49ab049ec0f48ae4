"""Benchmark 2 — catalog warm read.

Throughput of `GET /api/stripe/products` on a warm cache — the service (one uvicorn worker) with
its in-process cache, and with Redis — against a bare Litestar route returning the same bytes,
served the same way. Same client for all three (the asyncio client, and wrk when installed), the
runs alternating target by target for several rounds; ratios are taken within each round.

And the cost of a warm read, counted two ways:
  * in-process: the real app (`create_app`) under Litestar's test client, with a SQLAlchemy
    `before_cursor_execute` listener on every engine and the sandbox's request log: one cold read,
    then N warm reads — Stripe calls and SQL statements for each phase;
  * over the wire, during the throughput runs: the sandbox's request log (Stripe calls) and
    PostgreSQL's own `pg_stat_database` transaction counters for the service's database.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from dataclasses import dataclass, field
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
        base, path = url.split("/api/", 1)
        # The warm-up runs before the CPU window opens: its requests are not counted, so neither is its CPU.
        if tool == "asyncio":
            await common.raw_get_load(base, "/api/" + path, connections=connections, seconds=1, warmup=0)
            cpu_before = common.process_tree_cpu(pid)
            stats = await common.raw_get_load(base, "/api/" + path, connections=connections, seconds=seconds, warmup=0)
        else:
            await asyncio.to_thread(common.wrk_load, url, connections=connections, seconds=1)
            cpu_before = common.process_tree_cpu(pid)
            stats = await asyncio.to_thread(
                common.wrk_load, url, connections=connections, seconds=seconds, warmup=False
            )
        cpu = common.process_tree_cpu(pid) - cpu_before
        summary = stats.summary()
        summary["server_cpu_us_per_request"] = round(1e6 * cpu / max(1, stats.requests), 1)
        summary["load_average_before"] = load_before
        results.append(summary)
    return results


@dataclass
class _Target:
    name: str
    url: str
    pid: int
    loads: list[list[dict[str, Any]]] = field(default_factory=list)  # per round, per tool
    stripe_calls: int = 0
    db_active: int = 0


async def run(
    *, admin_pg_url: str, redis_url: str | None, connections: int, seconds: float, rounds: int = 3
) -> dict[str, Any]:
    """Every target runs at once, idle but for its own turn; the loads alternate (A B C, A B C, …) so
    a neighbour's burst on a shared machine falls on every target alike, and each round gives a
    ratio to the bare route measured minutes, not seconds, apart."""
    costs: dict[str, Any] = {}
    async with common.postgres_database(admin_pg_url) as database_url:
        with common.stripe_server() as stripe, contextlib.ExitStack() as running:
            stripe_base = stripe.base
            common.migrate(common.service_env(database_url, stripe_base, redis_url=None))
            caches = [("in-process cache", None)] + ([("Redis cache", redis_url)] if redis_url else [])
            targets: list[_Target] = []
            body = b""
            async with httpx.AsyncClient(timeout=10) as control:
                for name, cache_url in caches:
                    print(f"  catalog: service, {name}: cost per phase …", flush=True)
                    costs[name] = await in_process_cost(database_url, stripe_base, cache_url)
                    env = common.service_env(database_url, stripe_base, redis_url=cache_url)
                    service = running.enter_context(common.service(env, workers=1))
                    await _invalidate(control, service.base)
                    first = await control.get(f"{service.base}/api/stripe/products")
                    first.raise_for_status()
                    body = first.content
                    targets.append(_Target(f"service, {name}", f"{service.base}/api/stripe/products", service.pid))
                bare = running.enter_context(common.bare_app(body))
                targets.append(_Target("bare Litestar route", f"{bare.base}/api/stripe/products", bare.pid))
                for n in range(rounds):
                    print(f"  catalog: round {n + 1}/{rounds} (load average {common.load_average()}) …", flush=True)
                    for target in targets:
                        mark = await _stripe_mark(control, stripe_base)
                        since = await _pg_clock(admin_pg_url)
                        target.loads.append(await _load(target.url, connections, seconds, target.pid))
                        if target.name.startswith("service"):
                            target.stripe_calls += len(await _stripe_since(control, stripe_base, mark))
                            target.db_active += await _pg_active_since(admin_pg_url, database_url, since)
                rss = {t.name: common.process_tree_rss_mb(t.pid) for t in targets}
    return {
        "connections": connections,
        "seconds": seconds,
        "rounds": rounds,
        "body_bytes": len(body),
        "targets": [
            {
                "target": t.name,
                "rounds": t.loads,
                "stripe_calls_during_load": t.stripe_calls if t.name.startswith("service") else None,
                "db_connections_active_during_load": t.db_active if t.name.startswith("service") else None,
                "rss_mb_after": rss[t.name],
            }
            for t in targets
        ],
        "ratios": ratios(targets),
        "warm_read_cost": costs,
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def ratios(targets: list[_Target]) -> dict[str, dict[str, dict[str, list[float]]]]:
    """Per service target and client: its rate / the bare route's rate, and the bare route's server
    CPU per request / its own, one value per round (each pair measured back to back)."""
    bare = targets[-1]
    out: dict[str, dict[str, dict[str, list[float]]]] = {}
    for t in targets[:-1]:
        for mine, floor in zip(t.loads, bare.loads, strict=True):
            for load, base in zip(mine, floor, strict=True):
                per_tool = out.setdefault(t.name, {}).setdefault(load["tool"], {"rate": [], "cpu": []})
                per_tool["rate"].append(round(load["rate_per_s"] / base["rate_per_s"], 3))
                per_tool["cpu"].append(
                    round(base["server_cpu_us_per_request"] / max(0.1, load["server_cpu_us_per_request"]), 3)
                )
    return out


def summary_line(result: dict[str, Any]) -> list[str]:
    """The ratio lines `make bench` ends with: each cache against the bare route (median of rounds)."""
    lines = []
    for name, tools in result["ratios"].items():
        for tool, r in tools.items():
            lines.append(
                f"catalog warm read, {name.removeprefix('service, ')} ({tool}): {statistics.median(r['rate']):.2f}x "
                f"the bare route's rate (rounds {min(r['rate']):.2f}-{max(r['rate']):.2f}), "
                f"{statistics.median(r['cpu']):.2f}x its CPU efficiency (target >= 0.9)"
            )
    return lines


def report(result: dict[str, Any]) -> str:
    rows = []
    for t in result["targets"]:
        tools = [load["tool"] for load in t["rounds"][0]]
        for i, tool in enumerate(tools):
            loads = [r[i] for r in t["rounds"]]
            rates = [load["rate_per_s"] for load in loads]
            middle = sorted(loads, key=lambda load: load["rate_per_s"])[len(loads) // 2]
            ratio = result["ratios"].get(t["target"], {}).get(tool)
            rows.append(
                [
                    t["target"],
                    tool,
                    " / ".join(f"{r:.0f}" for r in rates),
                    f"{middle['p50_ms']:.2f}",
                    f"{middle['p99_ms']:.2f}",
                    f"{statistics.median(ratio['rate']):.2f}" if ratio else "1",
                    f"{statistics.median(load['server_cpu_us_per_request'] for load in loads):.0f}",
                    f"{statistics.median(ratio['cpu']):.2f}" if ratio else "1",
                    sum(load["errors"] for load in loads),
                    t.get("stripe_calls_during_load", ""),
                    t.get("db_connections_active_during_load", ""),
                    f"{sum(t['rss_mb_after'].values()):.0f}",
                ]
            )
    out = [
        f"Catalog warm read — GET /api/stripe/products ({result['body_bytes']} bytes), one uvicorn worker each, "
        f"{result['connections']} connections, {result['seconds']:g} s per run, {result['rounds']} rounds alternating "
        "the targets",
        common.table(
            [
                "target",
                "client",
                "req/s per round",
                "p50 ms",
                "p99 ms",
                "x bare (median)",
                "server CPU us/req",
                "x bare CPU",
                "errors",
                "Stripe calls",
                "DB conns active",
                "RSS MB",
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
