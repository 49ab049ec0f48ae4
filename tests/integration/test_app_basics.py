"""The HTTP app's frame, through Litestar's test client: health and readiness, the OpenAPI
document, problem+json for every error (contract §4), and JSON logs."""

from __future__ import annotations

import json
import logging
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

PROBLEM_KEYS = {"type", "title", "status", "detail"}
INTERNAL_DETAIL = "database password is hunter2 at /srv/app/secret.py"


def settings_for(database_url: str, **env: str) -> Settings:
    # A key and an API base nobody listens on: not the sandbox, and no call leaves the machine.
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


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    return body


async def test_health_answers_ok_and_nothing_else(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_is_200_when_the_database_answers(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/health/ready")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readiness_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    unreachable = f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'app.db'}"

    async with AsyncTestClient(app=create_app(settings_for(unreachable))) as client:
        response = await client.get("/api/health/ready")
        live = await client.get("/api/health")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": False, "cache": True}}
    assert live.status_code == 200  # liveness does not depend on the database


async def test_the_openapi_document_and_its_page_are_served(client: AsyncTestClient[Litestar]) -> None:
    page = await client.get("/schema")
    document = await client.get("/schema/openapi.json")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert document.status_code == 200
    paths = document.json()["paths"]
    assert {"/api/health", "/api/health/ready", "/api/webhooks/stripe", "/api/stripe/checkout"} <= paths.keys()


async def test_an_unknown_route_is_a_404_problem(client: AsyncTestClient[Litestar]) -> None:
    assert_problem(await client.get("/api/no-such-thing"), 404)


async def test_a_wrong_method_is_a_405_problem(client: AsyncTestClient[Litestar]) -> None:
    assert_problem(await client.delete("/api/health"), 405)


async def test_a_protected_route_without_a_token_is_a_401_problem(client: AsyncTestClient[Litestar]) -> None:
    body = assert_problem(await client.get("/api/me/billing"), 401)

    assert body["title"] == "Unauthorized"


class _Explodes:
    async def execute(self) -> dict[str, bool]:
        raise RuntimeError(INTERNAL_DETAIL)


class ExplodingReadiness(Provider):
    """Test-only: readiness raises an exception nobody planned for."""

    @provide(scope=Scope.REQUEST)
    def readiness(self) -> CheckReadiness:
        return _Explodes()  # type: ignore[return-value]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_an_unexpected_exception_is_a_500_problem_without_internals(database_url: str) -> None:
    app = create_app(settings_for(database_url), ExplodingReadiness())

    async with AsyncTestClient(app=app) as client:
        response = await client.get("/api/health/ready")

    body = assert_problem(response, 500)
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert ".py" not in response.text
    assert body["detail"] == "Something went wrong on our side; it has been logged."


@pytest.mark.usefixtures("restore_logging")
async def test_json_logs_are_one_json_object_per_line(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    app = create_app(settings_for(database_url, LOG_FORMAT="json"), ExplodingReadiness())

    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/api/health/ready")).status_code == 500
    logging.getLogger("billing.test").info("plain line", extra={"order_id": "ord_1"})

    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert all(isinstance(record, dict) for record in records)
    unhandled = next(r for r in records if r["event"] == "unhandled error")
    assert unhandled["level"] == "error"
    assert unhandled["path"] == "/api/health/ready"
    assert "RuntimeError" in unhandled["exception"]  # the traceback stays inside its one line
    plain = next(r for r in records if r["event"] == "plain line")
    assert plain["order_id"] == "ord_1"
    assert plain["logger"] == "billing.test"
    assert "timestamp" in plain
