"""Shared fixtures: real PostgreSQL and Redis when reachable.

Tests that need them skip with a one-line reason when they are unreachable, unless
REQUIRE_SERVICES=1 (CI), where they fail instead.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import pytest

from tests.support.databases import scratch_database

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
# Each pytest-xdist worker flushes its own Redis database (15, 14, …) so workers never collide.
# TEST_REDIS_DB_BASE moves the range down (TEST_REDIS_SERVER names another server), so test runs of
# several checkouts can share Redis.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_BASE = int(os.environ.get("TEST_REDIS_DB_BASE", "15"))
_SERVER = os.environ.get("TEST_REDIS_SERVER", "redis://127.0.0.1:6379")
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"{_SERVER}/{(_BASE - _WORKER) % 16}")


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def _need(service: str, url: str, port: int) -> None:
    if _reachable(url, port):
        return
    message = f"{service} unreachable at {urlsplit(url).netloc}"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} and REQUIRE_SERVICES=1")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    _need("PostgreSQL", POSTGRES_URL, 5432)
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with scratch_database(postgres_server_url) as url:
        yield url


@pytest.fixture(scope="session")
def redis_server_url() -> str:
    _need("Redis", REDIS_URL, 6379)
    return REDIS_URL


@pytest.fixture
async def redis_url(redis_server_url: str) -> AsyncIterator[str]:
    """Redis URL whose database is flushed before and after the test."""
    from redis.asyncio import Redis

    client = Redis.from_url(redis_server_url)
    await client.flushdb()
    try:
        yield redis_server_url
    finally:
        await client.flushdb()
        await client.aclose()
