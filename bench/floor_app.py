"""The floor for the webhook benchmark: store-first ingest and nothing else. Each delivery is
verified (the SDK's signature check, as the service does), parsed for its id, type and time, stored
by one autocommitted `INSERT … ON CONFLICT DO NOTHING` (the INSERT and its COMMIT: one round trip)
into a table shaped like the service's `webhook_events`, and answered 200. No handling at all: what
a webhook costs at least with this stack (uvicorn, Litestar, asyncpg, PostgreSQL) on this machine.

`python -m bench.floor_app --port P --workers N` with `BENCH_FLOOR_PG` (asyncpg URL) and
`BENCH_FLOOR_SECRET` in the environment; uvicorn serves it as it serves the service.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec
import stripe
import uvicorn
from litestar import Litestar, Request, Response, get, post

TABLE = "bench_floor_events"
CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id varchar(255) PRIMARY KEY, type varchar(255) NOT NULL, created timestamptz NOT NULL,
    status varchar(16) NOT NULL, attempts integer NOT NULL, payload bytea NOT NULL,
    received_at timestamptz NOT NULL
)"""
INSERT = (
    f"INSERT INTO {TABLE} (id, type, created, status, attempts, payload, received_at) "
    "VALUES ($1, $2, $3, 'received', 0, $4, $5) ON CONFLICT (id) DO NOTHING"
)
RECEIVED = b'{"received":true}'


class _Event(msgspec.Struct):
    id: str
    type: str
    created: int


def create_app(pg_url: str, secret: str) -> Litestar:
    pool: asyncpg.Pool | None = None

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(pg_url, min_size=2, max_size=10)
        try:
            yield
        finally:
            await pool.close()

    @post("/api/webhooks/stripe", status_code=200)
    async def receive(request: Request[Any, Any, Any]) -> Response[bytes]:
        body = await request.body()
        try:
            stripe.WebhookSignature.verify_header(body, request.headers.get("stripe-signature", ""), secret, 300)
            event = msgspec.json.decode(body, type=_Event)
        except (stripe.SignatureVerificationError, msgspec.DecodeError, msgspec.ValidationError):
            return Response(b'{"detail":"invalid"}', status_code=400, media_type="application/json")
        assert pool is not None
        created = datetime.fromtimestamp(event.created, UTC)
        await pool.execute(INSERT, event.id, event.type, created, body, datetime.now(UTC))
        return Response(RECEIVED, media_type="application/json")

    @get("/health", sync_to_thread=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar(route_handlers=[receive, health], lifespan=[lifespan], openapi_config=None, debug=False)


def app_from_env() -> Litestar:
    return create_app(os.environ["BENCH_FLOOR_PG"], os.environ["BENCH_FLOOR_SECRET"])


async def prepare(pg_url: str) -> None:
    """The table, empty (each floor run stores its own deliveries)."""
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute(CREATE)
        await conn.execute(f"TRUNCATE {TABLE}")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "bench.floor_app:app_from_env",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
