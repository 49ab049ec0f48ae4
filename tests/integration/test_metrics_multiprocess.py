"""`/metrics` of `billing serve`, as an operator runs it: with two workers on PostgreSQL and Redis,
a scrape of either worker shows the sum over both (prometheus-client's multiprocess mode); with one
worker (`make run`) the metrics directory is made for the run and removed after it.

Each worker counts in process and writes its counts to the shared files every `FLUSH_SECONDS`,
before it renders `/metrics` and at shutdown: a scrape of one worker sees the other's requests up
to ~`FLUSH_SECONDS` late, so the tests below wait for the files before reading a scrape that another
worker may answer."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from adapters.prometheus.pending import FLUSH_SECONDS
from sandbox import Sandbox
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import migrated, stripe_env
from tests.support.databases import scratch_database
from tests.support.service import service_process
from tests.support.stripe_events import event, signed_request, stripe_object
from tests.support.tokens import TokenMinter

HEALTH = {"path": "/api/health", "method": "GET", "status_code": "200"}


def health_count(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "billing_http_requests_total" and HEALTH.items() <= sample.labels.items()
    )


def per_worker_health_counts(directory: Path, scratch: Path) -> dict[str, float]:
    """Each worker's own count, read from its files alone (one copy of the directory per pid)."""
    counts = {}
    for pid in {f.stem.rsplit("_", 1)[-1] for f in directory.glob("counter_*.db")}:
        alone = scratch / pid
        alone.mkdir(parents=True)
        for own in directory.glob(f"*_{pid}.db"):
            shutil.copy(own, alone / own.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))
        counts[pid] = health_count(generate_latest(registry).decode())
    return counts


async def every_worker_flushed() -> None:
    """Long enough for every worker's periodic flush to have written what it counted until now."""
    await asyncio.sleep(3 * FLUSH_SECONDS)


async def until(condition: Callable[[], Awaitable[bool]]) -> None:
    """Wait (bounded: ~10 flushes) until `condition()` holds: the other worker's flush has come."""
    for _ in range(100):
        if await condition():
            return
        await asyncio.sleep(FLUSH_SECONDS / 10)


@pytest.fixture(scope="module")
def two_workers(
    sandbox_server: tuple[Sandbox, str],
    minter: TokenMinter,
    postgres_server_url: str,
    redis_server_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path, str]]:
    """One `billing serve --workers 2` for the module (starting it is what costs)."""
    sb, stripe_url = sandbox_server
    root = tmp_path_factory.mktemp("two_workers")
    metrics_dir = root / "metrics"
    with scratch_database(postgres_server_url, "t_mpm") as url:
        env = stripe_env(sb, stripe_url, minter, migrated(url), REDIS_URL=redis_server_url)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)  # the operator's own directory, to look into
        with service_process(env, migrate=False, log_path=root / "service.log", args=("--workers", "2")) as base:
            yield base, metrics_dir, sb.webhook_secret


@pytest.mark.postgres
@pytest.mark.redis
async def test_a_scrape_of_either_worker_sums_the_requests_both_workers_served(
    two_workers: tuple[str, Path, str], tmp_path: Path
) -> None:
    base, metrics_dir, _ = two_workers
    # New connections each time, so the kernel hands them to both workers; until both have served some.
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        await every_worker_flushed()  # the start-up's health checks, whichever worker answered them
        before = health_count((await client.get(f"{base}/metrics")).text)
        sent = 0
        for _ in range(20):
            await asyncio.gather(*(client.get(f"{base}/api/health") for _ in range(20)))
            sent += 20
            looks = iter(range(1000))

            async def all_written(sent: int = sent, looks: Iterator[int] = looks) -> bool:
                written = per_worker_health_counts(metrics_dir, tmp_path / f"looks_{sent}_{next(looks)}")
                return sum(written.values()) >= before + sent

            await until(all_written)
            counts = per_worker_health_counts(metrics_dir, tmp_path / f"scratch_{sent}")
            if len(counts) == 2 and all(counts.values()):
                break
        scrapes = [health_count((await client.get(f"{base}/metrics")).text) for _ in range(6)]

    assert len(counts) == 2 and all(counts.values()), counts
    assert set(scrapes) == {before + sent}  # every scrape, whichever worker answered it
    assert sum(counts.values()) == before + sent


def test_a_single_worker_server_makes_its_metrics_directory_and_removes_it_when_it_stops(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", "TMPDIR": str(temp)}  # sandbox mode

    with service_process(env, log_path=tmp_path / "service.log") as base:
        made = [p.name for p in temp.iterdir() if p.name.startswith("billing-metrics-")]
        for _ in range(3):
            assert httpx.get(f"{base}/api/health", timeout=10).status_code == 200
        scraped = httpx.get(f"{base}/metrics", timeout=10).text

    assert len(made) == 1
    assert health_count(scraped) >= 3
    assert not [p for p in temp.iterdir() if p.name.startswith("billing-metrics-")]


@pytest.mark.postgres
@pytest.mark.redis
async def test_webhook_deliveries_to_both_workers_are_counted_once_each(two_workers: tuple[str, Path, str]) -> None:
    base, _, secret = two_workers
    deliveries = [signed_request(event("product.updated", stripe_object("product")), secret) for _ in range(24)]

    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        answers = await asyncio.gather(
            *(client.post(f"{base}/api/webhooks/stripe", content=body, headers=headers) for body, headers in deliveries)
        )
        again = await client.post(f"{base}/api/webhooks/stripe", content=deliveries[0][0], headers=deliveries[0][1])

        async def both_written() -> bool:
            return product_updated((await client.get(f"{base}/metrics")).text) == {"processed": 24, "duplicate": 1}

        await until(both_written)
        scrapes = [(await client.get(f"{base}/metrics")).text for _ in range(4)]

    assert [a.status_code for a in answers] == [200] * 24 and again.status_code == 200
    for text in scrapes:
        assert product_updated(text) == {"processed": 24, "duplicate": 1}


def product_updated(text: str) -> dict[str, float]:
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "billing_webhook_events_total" and sample.labels["type"] == "product.updated"
    }


def test_one_worker_shows_its_own_requests_at_once_and_writes_the_last_ones_when_it_stops(tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}

    with service_process(env, log_path=tmp_path / "service.log") as base, httpx.Client(timeout=10) as client:
        before = health_count(client.get(f"{base}/metrics").text)
        for _ in range(5):
            assert client.get(f"{base}/api/health").status_code == 200
        scraped = health_count(client.get(f"{base}/metrics").text)  # flushed by the scrape itself
        for _ in range(7):
            assert client.get(f"{base}/api/health").status_code == 200
    # stopped (SIGTERM): what it counted since its last flush is in its files
    left = per_worker_health_counts(metrics_dir, tmp_path / "scratch")

    assert scraped == before + 5
    assert sum(left.values()) == before + 12
