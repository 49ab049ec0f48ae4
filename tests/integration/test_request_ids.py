"""Request ids (contract §5 Observability): taken from `X-Request-ID` when safe, else made up,
returned on every response (routed or not) and carried by every log line of the request."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from dishka import Provider, Scope, provide
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.persistence.migrate import upgrade_async
from application.health.check_readiness import CheckReadiness
from entrypoints.http.app import create_app
from entrypoints.logging_setup import configure_logging
from entrypoints.settings import Settings, load_settings

MADE_UP = re.compile(r"[0-9a-f]{32}")


def settings_for(database_url: str, **env: str) -> Settings:
    base = {"DATABASE_URL": database_url, "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_API_BASE": "http://127.0.0.1:9"}
    return load_settings({**base, **env}, env_file=None)


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    await upgrade_async(url)
    return url


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(settings_for(database_url))) as client:
        yield client


class _LogsThenExplodes:
    async def execute(self) -> dict[str, bool]:
        logging.getLogger("billing.test").info("checking readiness")
        raise RuntimeError("boom")


class LoggingReadiness(Provider):
    """Test-only: readiness writes a log line, then fails (the app logs the unhandled error)."""

    @provide(scope=Scope.REQUEST)
    def readiness(self) -> CheckReadiness:
        return _LogsThenExplodes()  # type: ignore[return-value]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_a_callers_request_id_is_returned_unchanged(client: AsyncTestClient[Litestar]) -> None:
    for given in ("req-42", "5f0c6a1e-8a43-4b52-9a0e-1d2f3a4b5c6d", "Root=1-67891233-abcdef012345678912345678"):
        response = await client.get("/api/health", headers={"X-Request-ID": given})

        assert response.headers["x-request-id"] == given


async def test_without_one_each_request_gets_a_new_request_id(client: AsyncTestClient[Litestar]) -> None:
    first = (await client.get("/api/health")).headers["x-request-id"]
    second = (await client.get("/api/health")).headers["x-request-id"]

    assert MADE_UP.fullmatch(first) and MADE_UP.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    "unsafe",
    ["a" * 129, "two words", 'quote"d', "<script>", "id\tx", "{json}", "-starts-with-a-dash", "é-accent"],
)
async def test_an_unsafe_or_overlong_request_id_is_replaced(client: AsyncTestClient[Litestar], unsafe: str) -> None:
    response = await client.get("/api/health", headers={b"x-request-id": unsafe.encode()})

    assert MADE_UP.fullmatch(response.headers["x-request-id"])


async def test_an_unrouted_request_carries_a_request_id_too(client: AsyncTestClient[Litestar]) -> None:
    not_found = await client.get("/api/no-such-thing", headers={"X-Request-ID": "req-404"})
    wrong_method = await client.delete("/api/health", headers={"X-Request-ID": "req-405"})

    assert (not_found.status_code, not_found.headers["x-request-id"]) == (404, "req-404")
    assert (wrong_method.status_code, wrong_method.headers["x-request-id"]) == (405, "req-405")


@pytest.mark.usefixtures("restore_logging")
async def test_every_log_line_of_a_request_carries_its_request_id_and_no_other_line_does(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    app = create_app(settings_for(database_url, LOG_FORMAT="json"), LoggingReadiness())

    async with AsyncTestClient(app=app) as client:
        response = await client.get("/api/health/ready", headers={"X-Request-ID": "req-logged"})
        other = await client.get("/api/health/ready")
    logging.getLogger("billing.test").info("outside any request")

    err = capsys.readouterr().err
    records: list[dict[str, Any]] = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    mine = [r for r in records if r.get("request_id") == "req-logged"]
    assert response.status_code == 500
    assert {r["event"] for r in mine} == {"checking readiness", "unhandled error"}
    assert {r["event"] for r in records if r.get("request_id") == other.headers["x-request-id"]} == {
        "checking readiness",
        "unhandled error",
    }
    outside = next(r for r in records if r["event"] == "outside any request")
    assert "request_id" not in outside
