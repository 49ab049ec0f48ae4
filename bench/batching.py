"""Design probe: the database CPU of one webhook event, one transaction per event (the service's
shape today) vs one transaction per batch of events (set-based statements).

`python -m bench.batching [--events N] [--batches 1,8,16,32]`

Per event, both shapes first store the event alone (one autocommitted `INSERT … ON CONFLICT DO
NOTHING`, as the service does). Then, for a batch of size 1 (today): BEGIN, lock the event, lock
the order, update the order, mark the event, COMMIT. For a batch of k: BEGIN, lock the k events,
lock the k orders (both in id order), update the k orders, mark the k events, COMMIT. Statements go
through SQLAlchemy Core on asyncpg under uvloop, as in the service; tables shaped like the
service's hot columns live in a throw-away `bench_<random>` database. Reported: client (this
process) and PostgreSQL backend CPU ms per event, from /proc — not wall time.

It measures the ceiling of batching, not a design: the service does not batch (see README).
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from bench import common


async def _backend_cpu(database_url: str) -> float:
    rows = await common.pg_fetch_args(
        database_url,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    return sum(common.pids_cpu([int(r[0]) for r in rows]).values())


async def probe(database_url: str, events: int, batches: list[int]) -> list[dict[str, Any]]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url, pool_size=2)
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    async with engine.begin() as c:
        await c.execute(text("CREATE TABLE ev (id text PRIMARY KEY, status text, attempts int, payload bytea)"))
        await c.execute(text("CREATE TABLE ord (id text PRIMARY KEY, status text, updated_at timestamptz)"))
    store = text("INSERT INTO ev VALUES (:id, 'received', 0, :payload) ON CONFLICT DO NOTHING")
    orders = text("INSERT INTO ord SELECT unnest(CAST(:ids AS text[])), 'pending', now()")
    one = [
        text("SELECT status, attempts FROM ev WHERE id = :id FOR UPDATE"),
        text("SELECT id, status FROM ord WHERE id = :id FOR UPDATE"),
        text("UPDATE ord SET status = 'authorized', updated_at = now() WHERE id = :id"),
        text("UPDATE ev SET status = 'processed' WHERE id = :id"),
    ]
    many = [
        text("SELECT id, status FROM ev WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"),
        text("SELECT id, status FROM ord WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"),
        text("UPDATE ord SET status = 'authorized', updated_at = now() WHERE id = ANY(:ids)"),
        text("UPDATE ev SET status = 'processed' WHERE id = ANY(:ids)"),
    ]
    payload = os.urandom(4000)  # about the size of a Stripe event body
    results = []
    try:
        for size in batches:
            ids = [f"{size}_{i:06d}" for i in range(events)]
            async with engine.begin() as c:
                await c.execute(orders, {"ids": ids})
            cpu0, pg0 = time.process_time(), await _backend_cpu(database_url)
            for start in range(0, events, size):
                chunk = ids[start : start + size]
                for event_id in chunk:
                    async with autocommit.connect() as c:
                        await c.execute(store, {"id": event_id, "payload": payload})
                async with engine.connect() as c:
                    for statement in one if size == 1 else many:
                        await c.execute(statement, {"id": chunk[0]} if size == 1 else {"ids": chunk})
                    await c.commit()
            cpu1, pg1 = time.process_time(), await _backend_cpu(database_url)
            results.append(
                {
                    "batch": size,
                    "client_cpu_ms_per_event": round(1000 * (cpu1 - cpu0) / events, 3),
                    "postgres_cpu_ms_per_event": round(1000 * (pg1 - pg0) / events, 3),
                }
            )
    finally:
        await engine.dispose()
    return results


async def main(args: argparse.Namespace) -> None:
    async with common.postgres_database(args.pg_url) as database_url:
        results = await probe(database_url, args.events, args.batches)
    rows = [[r["batch"], r["client_cpu_ms_per_event"], r["postgres_cpu_ms_per_event"]] for r in results]
    print(common.table(["events per transaction", "client CPU ms/event", "PostgreSQL CPU ms/event"], rows))


if __name__ == "__main__":
    import uvloop

    p = argparse.ArgumentParser(prog="python -m bench.batching", description=__doc__)
    p.add_argument("--events", type=int, default=4000)
    p.add_argument("--batches", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 16, 32])
    p.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    uvloop.run(main(p.parse_args()))
