"""`billing sync` and `billing events pull` as an operator runs them, in subprocesses, on the
database of a service whose webhooks were lost (a capture, a refund): one line per finding, the
summary, the repair done once (one e-mail), never a secret; and two pulls at once on PostgreSQL
doing the work once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.persistence.migrate import upgrade_async
from sandbox import Sandbox, run_in_thread
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import Stack, StackFactory, rows, stripe_env
from tests.integration.test_cli import _clean_environment, billing
from tests.integration.test_http_admin_refunds import captured_order
from tests.support.service import ROOT


@pytest.fixture  # type: ignore[no-redef]  # this module's own, over the shared one
def sandbox_server() -> Iterator[tuple[Sandbox, str]]:
    """A sandbox per test: a pull lists the account's every event, no other test's among them."""
    sb = Sandbox(retry_delays=(0.05,))
    with run_in_thread(sb) as url:
        yield sb, url


def cli_env(stack: Stack, database_url: str) -> dict[str, str]:
    env = stripe_env(stack.sb, stack.stripe_url, stack.minter, database_url)
    return {**env, "LOG_LEVEL": "INFO"}  # the log e-mail sender writes at INFO


def emails_to(user_id: str, *outputs: str) -> int:
    return sum(output.count(f"e-mail to {user_id}@example.com") for output in outputs)


def no_secret(stack: Stack, result: subprocess.CompletedProcess[str]) -> bool:
    shown = result.stdout + result.stderr
    return stack.sb.secret_key not in shown and stack.sb.webhook_secret not in shown


async def test_sync_then_pull_repair_a_capture_made_at_stripe_with_one_email(stack: Stack, sqlite_url: str) -> None:
    order = await stack.paid_order("user_cli_sync")
    stack.stripe.v1.payment_intents.capture(order["payment_intent_id"])
    stack.skip_pending_events()  # the capture's webhook never arrives
    env = cli_env(stack, sqlite_url)

    dry = billing("sync", "--dry-run", env=env)
    synced = billing("sync", env=env)
    pulled = billing("events", "pull", env=env)

    line = f"order {order['id']} authorized -> captured"
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [line, "checked 2, drifted 1, repaired 0 (dry run: nothing changed)"]
    assert synced.returncode == 0, synced.stderr
    # the customer and the open order, then the order once more: captured now, its refunds are compared
    assert synced.stdout.splitlines() == [line, "checked 3, drifted 1, repaired 1"]
    assert pulled.returncode == 0, pulled.stderr
    [succeeded, summary] = pulled.stdout.splitlines()
    assert succeeded.split("\t")[1:] == ["payment_intent.succeeded", "processed"]
    assert summary.startswith("pulled ") and summary.endswith(", new 1, failed 0")
    assert emails_to("user_cli_sync", dry.stderr, synced.stderr, pulled.stderr) == 1
    assert emails_to("user_cli_sync", synced.stderr) == 1
    assert all(no_secret(stack, r) for r in (dry, synced, pulled))


async def test_sync_repairs_a_refund_made_at_stripe_whose_webhooks_were_dropped_with_one_email(
    stack: Stack, sqlite_url: str
) -> None:
    order = await captured_order(stack, "user_cli_refund")
    refund = stack.stripe.v1.refunds.create({"payment_intent": order["payment_intent_id"], "amount": 2500})
    stack.skip_pending_events()  # refund.created and charge.refunded never arrive
    env = cli_env(stack, sqlite_url)

    dry = billing("sync", "--dry-run", env=env)
    synced = billing("sync", env=env)
    again = billing("sync", env=env)

    line = f"order {order['id']} refund {refund.id} missing -> succeeded"
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [line, "checked 3, drifted 1, repaired 0 (dry run: nothing changed)"]
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.splitlines() == [line, "checked 3, drifted 1, repaired 1"]
    assert again.stdout.splitlines() == ["checked 3, drifted 0, repaired 0"]
    assert emails_to("user_cli_refund", dry.stderr, synced.stderr, again.stderr) == 1
    assert "Your refund of $25.00" in synced.stderr
    stored = (await stack.client.get(f"/api/orders/{order['id']}", headers=stack.auth("user_cli_refund"))).json()
    assert (stored["status"], stored["amount_refunded"]) == ("captured", 2500)
    assert all(no_secret(stack, r) for r in (dry, synced, again))


def _pull(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli.main", "events", "pull", "--hours", "1"],
        env={**_clean_environment(), **env},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
async def test_two_pulls_at_once_on_postgresql_do_the_work_once(make_stack: StackFactory, postgres_url: str) -> None:
    await upgrade_async(postgres_url)
    database_url = postgres_url
    stack = await make_stack(database_url=database_url)
    order = await stack.paid_order("user_cli_twice")
    for i in range(3):
        product = stack.stripe.v1.products.create({"name": f"Missed {i}"})
        stack.stripe.v1.products.update(product.id, {"name": f"Missed {i} again"})
    stack.stripe.v1.payment_intents.capture(order["payment_intent_id"])
    missed = [e["id"] for e in stack.sb.events() if e["id"] not in stack.delivered]
    stack.skip_pending_events()
    env = cli_env(stack, database_url)

    both = [_pull(env), _pull(env)]
    outputs: list[Any] = [process.communicate(timeout=120) for process in both]

    assert [process.returncode for process in both] == [0, 0], outputs
    new_lines = [line for out, _ in outputs for line in out.splitlines() if line.startswith("evt_")]
    pulled_ids = [line.split("\t")[0] for line in new_lines]
    assert len(pulled_ids) == len(set(pulled_ids)) == 7  # 6 product events and the capture, each once
    assert set(pulled_ids) <= set(missed)
    assert emails_to("user_cli_twice", *(err for _, err in outputs)) == 1
    stored = await rows(
        database_url, "SELECT id, attempts, status FROM webhook_events WHERE id = ANY(:ids)", ids=pulled_ids
    )
    assert sorted(attempts for _, attempts, _ in stored) == [1] * 7
    assert {status for _, _, status in stored} == {"processed"}
    summaries = [out.splitlines()[-1] for out, _ in outputs]
    assert any(s.endswith("new 7, failed 0") for s in summaries), summaries
    assert all(
        s.endswith("new 7, failed 0") or s.endswith("new 0, failed 0") or s.startswith("skipped") for s in summaries
    )
