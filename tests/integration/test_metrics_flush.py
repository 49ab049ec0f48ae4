"""The HTTP request families are counted in process and written to prometheus-client's values by a
flush (`adapters.prometheus.pending`): every `FLUSH_SECONDS` from the app's lifespan, right before
this process renders `/metrics`, and at shutdown. In one process, on the default registry where
Litestar's families live. (Several worker processes: tests/integration/test_metrics_multiprocess.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY, Histogram
from prometheus_client.parser import text_string_to_metric_families

from adapters.persistence.migrate import upgrade_async
from adapters.prometheus import pending
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings

HEALTH = {"method": "GET", "path": "/api/health", "status_code": "200", "app_name": "billing"}
REQUESTS = "billing_http_requests_total"
LATENCY = "billing_http_request_duration_seconds"
BOUNDS = [*Histogram.DEFAULT_BUCKETS]  # Litestar's families use prometheus-client's default buckets


def le(bound: float) -> str:
    """A bucket's `le` label, as prometheus-client writes it."""
    return "+Inf" if bound == float("inf") else repr(bound)


def written(name: str, **labels: str) -> float:
    """What the default registry holds now (reading it flushes nothing)."""
    return REGISTRY.get_sample_value(name, {**HEALTH, **labels}) or 0.0


def health_written() -> dict[str, float]:
    values = {REQUESTS: written(REQUESTS), f"{LATENCY}_count": written(f"{LATENCY}_count")}
    values[f"{LATENCY}_sum"] = written(f"{LATENCY}_sum")
    for bound in BOUNDS:
        values[f"le={le(bound)}"] = written(f"{LATENCY}_bucket", le=le(bound))
    return values


def added(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in after}


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[float], Litestar]:
    """The app, its periodic flush every `flush_seconds` (3600: none during a test)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    settings = load_settings(
        {"DATABASE_URL": url, "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_API_BASE": "http://127.0.0.1:9"}, env_file=None
    )

    def build(flush_seconds: float) -> Litestar:
        monkeypatch.setattr(pending, "FLUSH_SECONDS", flush_seconds)
        return create_app(settings, sweep_effects=None)

    return build


@pytest.fixture(autouse=True)
async def migrated(tmp_path: Path) -> None:
    await upgrade_async(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")


async def test_a_request_is_written_with_its_labels_and_latency_bucket_at_the_next_flush(
    make_app: Callable[[float], Litestar],
) -> None:
    async with AsyncTestClient(app=make_app(3600)) as client:
        pending.PENDING.flush()  # whatever earlier tests of this process left
        before = health_written()
        assert (await client.get("/api/health")).status_code == 200
        unflushed = added(health_written(), before)
        pending.PENDING.flush()
        flushed = added(health_written(), before)

    assert set(unflushed.values()) == {0}  # counted in process, not written per request
    assert flushed[REQUESTS] == 1 and flushed[f"{LATENCY}_count"] == 1
    seconds = flushed[f"{LATENCY}_sum"]
    buckets = [flushed[f"le={le(bound)}"] for bound in BOUNDS]  # cumulative
    first = buckets.index(1)
    assert buckets == [0] * first + [1] * (len(BOUNDS) - first)
    assert seconds <= BOUNDS[first] and (first == 0 or seconds > BOUNDS[first - 1])


async def test_a_scrape_sees_the_requests_of_its_own_process_at_once(make_app: Callable[[float], Litestar]) -> None:
    async with AsyncTestClient(app=make_app(3600)) as client:
        before = (await client.get("/metrics")).text
        for _ in range(3):
            assert (await client.get("/api/health")).status_code == 200
        after = (await client.get("/metrics")).text

    assert health_requests(after) - health_requests(before) == 3


async def test_the_requests_counted_since_the_last_flush_are_written_at_shutdown(
    make_app: Callable[[float], Litestar],
) -> None:
    pending.PENDING.flush()
    before = written(REQUESTS)
    async with AsyncTestClient(app=make_app(3600)) as client:
        for _ in range(4):
            assert (await client.get("/api/health")).status_code == 200
        assert written(REQUESTS) == before

    assert written(REQUESTS) - before == 4


async def test_the_lifespan_writes_the_counts_every_flush_interval(make_app: Callable[[float], Litestar]) -> None:
    pending.PENDING.flush()
    before = written(REQUESTS)
    async with AsyncTestClient(app=make_app(0.02)) as client:
        assert (await client.get("/api/health")).status_code == 200
        for _ in range(250):  # bounded: 5 s
            if written(REQUESTS) > before:
                break
            await asyncio.sleep(0.02)
        counted = written(REQUESTS) - before

    assert counted == 1


def health_requests(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == REQUESTS and HEALTH.items() <= sample.labels.items()
    )


async def test_a_path_or_method_no_route_serves_is_not_counted(make_app: Callable[[float], Litestar]) -> None:
    async with AsyncTestClient(app=make_app(3600)) as client:
        assert (await client.get("/api/made-up-by-a-client/8f1c")).status_code == 404
        assert (await client.post("/api/health")).status_code == 405
        assert (await client.get("/api/health")).status_code == 200
        text = (await client.get("/metrics")).text

    counted = [
        sample.labels
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == REQUESTS
    ]
    assert "made-up-by-a-client" not in text
    assert not [labels for labels in counted if labels["method"] == "POST" and labels["path"] == "/api/health"]
    assert [labels for labels in counted if labels["path"] == "/api/health"]
