"""What `billing doctor` asks each backing service, against the real thing: a migrated (or not)
database, an SMTP server (aiosmtpd, with and without a login), Redis; and never a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.persistence.database import create_engine
from adapters.persistence.migrate import upgrade_async
from adapters.persistence.probe import DatabaseProbe
from adapters.redis.probe import RedisProbe
from adapters.smtp.probe import SmtpProbe
from application.ports.probe import Finding
from tests.contract.test_email_contract import Inbox, _free_port, smtp_server, smtp_server_with_auth

__all__ = ["smtp_server", "smtp_server_with_auth"]  # fixtures used below by name


async def _database_finding(url: str) -> Finding:
    engine = create_engine(url)
    try:
        return await DatabaseProbe(engine).check()
    finally:
        await engine.dispose()


async def test_a_migrated_database_is_fine(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    await upgrade_async(url)

    finding = await _database_finding(url)

    assert finding.ok, finding
    assert finding.detail.startswith("SQLite answers")


async def test_a_database_behind_the_newest_migration_fails_and_says_to_migrate(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    await upgrade_async(url, "0001")

    finding = await _database_finding(url)

    assert not finding.ok
    assert "0001" in finding.detail
    assert "billing migrate" in finding.detail


async def test_a_migrated_postgresql_database_is_fine(postgres_url: str) -> None:
    await upgrade_async(postgres_url)

    finding = await _database_finding(postgres_url)

    assert finding.ok, finding
    assert finding.detail.startswith("PostgreSQL answers")


async def test_an_unreachable_database_fails_without_its_password() -> None:
    finding = await _database_finding("postgresql+asyncpg://billing:hunter2@127.0.0.1:9/billing")

    assert not finding.ok
    assert finding.detail.startswith("PostgreSQL did not answer")
    assert "hunter2" not in finding.detail


async def test_an_smtp_server_that_answers_is_fine_and_receives_no_message(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server

    finding = await SmtpProbe(f"smtp://127.0.0.1:{port}", timeout=5).check()

    assert finding.ok, finding
    assert inbox.messages == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH")
async def test_refused_smtp_credentials_fail_without_the_password(smtp_server_with_auth: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server_with_auth

    good = await SmtpProbe(f"smtp://billing:s3cret%20p%40ss@127.0.0.1:{port}", timeout=5).check()
    bad = await SmtpProbe(f"smtp://billing:wrong%20p%40ss@127.0.0.1:{port}", timeout=5).check()

    assert good.ok, good
    assert inbox.logins == ["billing"]
    assert not bad.ok
    assert "wrong" not in bad.detail


async def test_an_smtp_server_that_is_down_fails() -> None:
    finding = await SmtpProbe(f"smtp://billing:s3cret@127.0.0.1:{_free_port()}", timeout=2).check()

    assert not finding.ok
    assert "s3cret" not in finding.detail


async def test_redis_that_answers_is_fine(redis_url: str) -> None:
    assert (await RedisProbe(redis_url).check()).ok


async def test_redis_that_is_down_fails_without_its_password() -> None:
    finding = await RedisProbe(f"redis://:hunter2@127.0.0.1:{_free_port()}/0", timeout=2).check()

    assert not finding.ok
    assert "hunter2" not in finding.detail
