"""Benchmark 4 — what the metrics cost (issue 17): the catalog warm read and the webhook ingest,
each with METRICS_ENABLED=true and =false, side by side in one run: rounds of on, off (A B A B …),
a fresh one-worker service each time, on the same database and Stripe stand-in. The machine is
shared and noisy: the figures to read are the ratios within a round, not the absolute rates."""

from __future__ import annotations

import contextlib
import os
import statistics
from collections.abc import Iterator
from typing import Any

import httpx

from bench import catalog, common, webhook

MODES = ("on", "off")


@contextlib.contextmanager
def metrics(mode: str) -> Iterator[None]:
    """The services started inside inherit METRICS_ENABLED (common.clean_env passes the environment on)."""
    before = os.environ.get("METRICS_ENABLED")
    os.environ["METRICS_ENABLED"] = "true" if mode == "on" else "false"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("METRICS_ENABLED", None)
        else:
            os.environ["METRICS_ENABLED"] = before


async def _catalog(database_url: str, stripe_base: str, connections: int, seconds: float) -> dict[str, Any]:
    env = common.service_env(database_url, stripe_base, redis_url=None)
    with common.service(env, workers=1) as running:
        async with httpx.AsyncClient(timeout=10) as control:
            await catalog._invalidate(control, running.base)
            (await control.get(f"{running.base}/api/stripe/products")).raise_for_status()
        base = running.base
        cpu_before = common.process_tree_cpu(running.pid)
        stats = await common.raw_get_load(base, "/api/stripe/products", connections=connections, seconds=seconds)
        cpu = common.process_tree_cpu(running.pid) - cpu_before
    summary = stats.summary()
    return {
        "rate_per_s": summary["rate_per_s"],
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
        "errors": summary["errors"],
        "server_cpu_us_per_request": round(1e6 * cpu / max(1, stats.requests), 1),
    }


async def run(
    *,
    admin_pg_url: str,
    redis_url: str | None,
    rounds: int,
    events: int,
    concurrency: int,
    max_seconds: float,
    connections: int,
    seconds: float,
) -> dict[str, Any]:
    users = webhook.Users()
    results: list[dict[str, Any]] = []
    async with common.postgres_database(admin_pg_url) as database_url:
        with common.stripe_server() as stripe:
            common.migrate(common.service_env(database_url, stripe.base, redis_url=None))
            for number in range(rounds):
                for mode in MODES:
                    print(f"  round {number + 1}, metrics {mode}: load average {common.load_average()}", flush=True)
                    with metrics(mode):
                        read = await _catalog(database_url, stripe.base, connections, seconds)
                        ingest = await webhook.run_once(
                            admin_pg_url=admin_pg_url,
                            database_url=database_url,
                            stripe_base=stripe.base,
                            stripe_pid=stripe.pid,
                            redis_url=redis_url,
                            users=users,
                            workers=1,
                            stall_ms=0,
                            events=events,
                            concurrency=concurrency,
                            max_seconds=max_seconds,
                            tag=f"m{number}{mode}",
                        )
                    results.append({"round": number + 1, "metrics": mode, "catalog": read, "webhook": _ingest(ingest)})
    settings = {"events": events, "concurrency": concurrency, "connections": connections, "seconds": seconds}
    return {**settings, "runs": results}


def _ingest(run: dict[str, Any]) -> dict[str, Any]:
    load = run["load"]
    return {
        "rate_per_s": load["rate_per_s"],
        "p50_ms": load["p50_ms"],
        "p99_ms": load["p99_ms"],
        "errors": load["errors"],
        "service_cpu_ms_per_delivery": run["cpu_ms_per_delivery"]["service"],
    }


FIGURES = [
    ("catalog", "rate_per_s", "catalog req/s"),
    ("catalog", "server_cpu_us_per_request", "catalog CPU µs/req"),
    ("webhook", "rate_per_s", "webhook events/s"),
    ("webhook", "service_cpu_ms_per_delivery", "webhook CPU ms/event"),
]


def ratios(result: dict[str, Any]) -> dict[str, list[float]]:
    """Per figure, the on/off ratio of each round."""
    by_round: dict[int, dict[str, dict[str, Any]]] = {}
    for r in result["runs"]:
        by_round.setdefault(r["round"], {})[r["metrics"]] = r
    out: dict[str, list[float]] = {}
    for part, key, label in FIGURES:
        out[label] = [
            round(pair["on"][part][key] / pair["off"][part][key], 3)
            for pair in by_round.values()
            if "on" in pair and "off" in pair and pair["off"][part][key]
        ]
    return out


def report(result: dict[str, Any]) -> str:
    rows = [
        [
            r["round"],
            r["metrics"],
            f"{r['catalog']['rate_per_s']:.0f}",
            f"{r['catalog']['p99_ms']:.1f}",
            f"{r['catalog']['server_cpu_us_per_request']:.0f}",
            f"{r['webhook']['rate_per_s']:.0f}",
            f"{r['webhook']['p99_ms']:.1f}",
            f"{r['webhook']['service_cpu_ms_per_delivery']:.2f}",
            r["catalog"]["errors"] + r["webhook"]["errors"],
        ]
        for r in result["runs"]
    ]
    heads = ["round", "metrics", "catalog req/s", "p99 ms", "CPU µs/req", "events/s", "p99 ms", "CPU ms/evt", "errors"]
    lines = [
        f"Metrics on vs off — one worker; catalog: {result['connections']} connections, {result['seconds']:g} s; "
        f"webhook: {result['events']} events, {result['concurrency']} in flight",
        common.table(heads, rows),
        "",
        "on/off ratio per round (median):",
    ]
    for label, values in ratios(result).items():
        median = f"{statistics.median(values):.3f}" if values else "-"
        lines.append(f"  {label}: {', '.join(f'{v:.3f}' for v in values)} ({median})")
    return "\n".join(lines)
