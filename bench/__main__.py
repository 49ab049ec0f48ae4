"""`python -m bench [webhook|catalog|all|djstripe|metrics] [options]` (`make bench` runs webhook + catalog with
moderate sizes; `djstripe` runs the same webhook load against dj-stripe, in its own virtualenv).

Results: a table on stdout and JSON under bench/results/ (git-ignored). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import sys
import time
from typing import Any

from bench import common


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("which", nargs="?", choices=["all", "webhook", "catalog", "djstripe", "metrics"], default="all")
    p.add_argument("--events", type=int, default=1000, help="unique webhook events per run (default 1000; +10%% dups)")
    p.add_argument("--workers", type=_ints, default=[1, 2], help="service workers, comma-separated (default 1,2)")
    p.add_argument("--stall-ms", type=_floats, default=[0, 50], help="Stripe stalls to run, ms (default 0,50)")
    p.add_argument(
        "--gunicorn-workers",
        type=_ints,
        default=None,
        help="djstripe: gunicorn sync workers, comma-separated (default 2 x cores + 1)",
    )
    p.add_argument("--concurrency", type=int, default=32, help="concurrent webhook posts (default 32)")
    p.add_argument("--max-seconds", type=float, default=30, help="time cap per webhook load (default 30)")
    p.add_argument("--connections", type=int, default=32, help="catalog: keep-alive connections (default 32)")
    p.add_argument("--seconds", type=float, default=5, help="catalog: seconds per load run (default 5)")
    p.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="catalog: rounds alternating the targets; metrics: rounds of on, off (default 3)",
    )
    p.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        help="PostgreSQL to create the throw-away bench_<random> database in (env BENCH_PG_URL)",
    )
    p.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
        help="Redis for the service (env BENCH_REDIS_URL; 'none' to run without)",
    )
    return p


def _loopback_only(url: str) -> None:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"the bench only talks to loopback services, not {host!r}")


def _redis_reachable(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    redis_url: str | None = None if args.redis_url.lower() == "none" else args.redis_url
    _loopback_only(args.pg_url)
    if redis_url:
        _loopback_only(redis_url)
        if not _redis_reachable(redis_url):
            print(f"Redis at {redis_url} is not reachable: running without it", file=sys.stderr)
            redis_url = None
    out: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "wrk": common.wrk_available(),
    }
    if args.which in ("all", "webhook"):
        from bench import webhook

        print("Webhook ingest benchmark", flush=True)
        out["webhook"] = await webhook.run(
            admin_pg_url=args.pg_url,
            redis_url=redis_url,
            workers=args.workers,
            stalls=args.stall_ms,
            events=args.events,
            concurrency=args.concurrency,
            max_seconds=args.max_seconds,
        )
    if args.which == "djstripe":
        from bench import djstripe_bench

        print("dj-stripe webhook benchmark (same events and load generator as `webhook`)", flush=True)
        out["djstripe"] = await djstripe_bench.run(
            admin_pg_url=args.pg_url,
            workers=args.gunicorn_workers or [djstripe_bench.DEFAULT_WORKERS],
            stalls=args.stall_ms,
            events=args.events,
            concurrency=args.concurrency,
            max_seconds=args.max_seconds,
        )
    if args.which == "metrics":
        from bench import observability_cost

        print("Metrics on vs off: catalog warm read and webhook ingest, side by side", flush=True)
        out["metrics"] = await observability_cost.run(
            admin_pg_url=args.pg_url,
            redis_url=redis_url,
            rounds=args.rounds,
            events=args.events,
            concurrency=args.concurrency,
            max_seconds=args.max_seconds,
            connections=args.connections,
            seconds=args.seconds,
        )
    if args.which in ("all", "catalog"):
        from bench import catalog

        print("Catalog warm-read benchmark", flush=True)
        out["catalog"] = await catalog.run(
            admin_pg_url=args.pg_url,
            redis_url=redis_url,
            connections=args.connections,
            seconds=args.seconds,
            rounds=args.rounds,
        )
    return out


def main() -> int:
    args = parser().parse_args()
    started = time.perf_counter()
    result = asyncio.run(main_async(args))
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    print()
    if "webhook" in result:
        from bench import webhook

        print(webhook.report(result["webhook"]))
        print()
    if "djstripe" in result:
        from bench import djstripe_bench

        print(djstripe_bench.report(result["djstripe"]))
        print()
    if "catalog" in result:
        from bench import catalog

        print(catalog.report(result["catalog"]))
        print()
    if "metrics" in result:
        from bench import observability_cost

        print(observability_cost.report(result["metrics"]))
        print()
    summary: list[str] = []
    if "webhook" in result:
        from bench import webhook

        summary += webhook.summary_lines(result["webhook"])
    if "catalog" in result:
        from bench import catalog

        summary += catalog.summary_line(result["catalog"])
    if summary:
        print("Ratios (measured within this run)")
        print("\n".join(f"  {line}" for line in summary))
        print()
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    path = common.RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-{args.which}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"{os.cpu_count()} CPUs, whole run {result['wall_seconds']} s; JSON: {path.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
