"""Drift repaired, as an operator plays it after `make run`: deliveries dropped on the sandbox's
events page, a purchase whose webhooks never arrive, `billing events pull` fetching them from
Stripe (the sandbox, in the running service), a capture made in the sandbox's Dashboard, and
`billing sync` repairing it with one e-mail. The pages show each step."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.test_store_in_browser import new_page, pay_on_stripes_page, sign_in
from tests.support.browser import chromium, reload_until, require_chromium
from tests.support.service import ROOT, clean_environ, free_port, service_process

require_chromium()
pytestmark = pytest.mark.xdist_group("browser")

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@dataclass
class Service:
    base: str
    env: dict[str, str]
    log_path: Path

    def billing(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The CLI beside the running service (same settings: it talks to the service's sandbox)."""
        return subprocess.run(
            [sys.executable, "-m", "entrypoints.cli.main", *args],
            env={**clean_environ(), **self.env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def emails_to(self, address: str) -> int:
        return self.log_path.read_text(errors="replace").count(f"e-mail to {address}")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    port = free_port()
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        "PORT": str(port),
        "APP_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "INFO",
    }
    with service_process(env, port=port, log_path=tmp_path / "service.log") as base:
        yield Service(base, env, tmp_path / "service.log")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


def test_dropped_webhooks_are_pulled_and_a_capture_made_at_stripe_is_synced(service: Service, browser: Browser) -> None:
    from playwright.sync_api import expect

    base = service.base
    page = new_page(browser)
    page.goto(f"{base}/sandbox/events")
    page.get_by_role("button", name="Drop all deliveries").click()
    expect(page.locator("section")).to_contain_text("are dropped")

    page.goto(f"{base}/sandbox")
    sign_in(page, "user_drift", "drift@example.com")
    card = page.locator("article", has=page.get_by_role("heading", name="Starter template"))
    card.get_by_role("button", name="Buy").click()
    pay_on_stripes_page(page, "$49.00")
    order_id = page.locator("#order section.order h2 a").inner_text()

    pulled = service.billing("events", "pull")
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert "checkout.session.completed\tprocessed" in pulled.stdout
    assert re.fullmatch(r"pulled \d+, new \d+, failed 0", pulled.stdout.splitlines()[-1])
    page.goto(f"{base}/orders/{order_id}")
    expect(page.locator("section.order .status")).to_have_text("authorized")
    page.goto(f"{base}/sandbox/events")
    expect(page.locator("table")).to_contain_text("dropped; fetched by the service")

    page.goto(f"{base}/sandbox/dashboard")
    page.locator("tr", has_text=order_id).get_by_role("button", name="Capture").click()
    synced = service.billing("sync")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert f"order {order_id} authorized -> captured" in synced.stdout.splitlines()
    assert synced.stdout.splitlines()[-1].endswith("drifted 1, repaired 1")
    page.goto(f"{base}/orders/{order_id}")
    reload_until(page, page.locator("section.order .status"), "captured")
    assert service.emails_to("drift@example.com") + synced.stderr.count("e-mail to drift@example.com") == 1

    admin = new_page(browser)
    admin.goto(f"{base}/sandbox/admin")
    admin.get_by_role("button", name="Sign in as demo admin").click()
    admin.get_by_label("Show events").select_option("")
    expect(admin.locator("#event-log")).to_contain_text("checkout.session.completed")
    expect(admin.locator("#event-log")).to_contain_text("processed")
