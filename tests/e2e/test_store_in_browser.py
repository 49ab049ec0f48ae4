"""The demo store in a real browser (Debian's Chromium, headless), against a real `billing serve`
process in sandbox mode, as a person clicks through it after `make run`: the buyer's journey
through review and capture, and the subscriber's through the portal and the clock.

UPDATE_SCREENSHOTS=1 also refreshes the README's pictures (docs/screenshots/)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.browser import VIEWPORT, chromium, reload_until, require_chromium, screenshot
from tests.support.service import free_port, service_process

require_chromium()
pytestmark = pytest.mark.xdist_group("browser")  # one service and one browser for both journeys

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

WEBHOOK_SECONDS = 15_000  # ms the pages may take to show what a webhook changed


@dataclass
class Store:
    base: str
    log_path: Path

    def confirmation_link(self, order_id: str) -> str | None:
        """The link in the order's confirmation e-mail, once the log e-mail sender has written it."""
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{") and order_id in line:
                found = re.search(r"Your order: (\S+)", json.loads(line).get("email_text", ""))
                if found:
                    return found.group(1)
        return None


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One service for the module's journeys (their users differ), as `make run` with PORT and
    APP_URL set (a fresh SQLite file; e-mails in the log, here as JSON lines to read them back)."""
    tmp = tmp_path_factory.mktemp("store")
    port = free_port()
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'app.db'}", "PORT": str(port)}
    env.update(APP_URL=f"http://127.0.0.1:{port}", LOG_LEVEL="INFO", LOG_FORMAT="json")
    with service_process(env, port=port, log_path=tmp / "service.log") as base:
        yield Store(base, tmp / "service.log")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


def new_page(browser: Browser) -> Page:
    from playwright.sync_api import expect

    expect.set_options(timeout=WEBHOOK_SECONDS)
    return browser.new_context(viewport=VIEWPORT).new_page()


def sign_in(page: Page, user_id: str, email: str) -> None:
    from playwright.sync_api import expect

    page.get_by_label("User id").fill(user_id)
    page.get_by_label("E-mail").fill(email)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".session")).to_contain_text(f"Signed in as {user_id}")


def pay_on_stripes_page(page: Page, amount: str) -> None:
    """The sandbox's stand-in for Stripe's hosted checkout: check the amount, press Pay."""
    from playwright.sync_api import expect

    page.wait_for_url(re.compile(r"/sandbox/checkout/cs_"))
    expect(page.locator("table")).to_contain_text(amount)
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(re.compile(r"/checkout/success\?session_id=cs_"))


def buy(page: Page, product: str, amount: str, quantity: int = 1) -> str:
    """Buy from the pricing page and pay; the success page waits for the webhook. The order's id."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="Pricing", exact=True).click()
    card = page.locator("article", has=page.get_by_role("heading", name=product))
    card.get_by_label("Qty").fill(str(quantity))
    card.get_by_role("button", name="Buy").click()
    pay_on_stripes_page(page, amount)
    order = page.locator("#order section.order")
    expect(order.locator(".status")).to_have_text("authorized")
    expect(order).to_contain_text("held on your card")
    order_id = order.locator("h2 a").inner_text()
    expect(order.locator("h2 a")).to_have_attribute("href", f"/orders/{order_id}")
    return order_id


def test_a_buyer_pays_an_admin_reviews_and_the_confirmation_links_to_the_captured_order(
    store: Store, browser: Browser
) -> None:
    from playwright.sync_api import expect

    base = store.base
    buyer = new_page(browser)
    buyer.goto(f"{base}/sandbox")
    sign_in(buyer, "user_buyer", "buyer@example.com")
    expect(buyer.locator("article", has_text="Starter template")).to_contain_text("$49.00")
    expect(buyer.locator("#featured-coupon")).to_contain_text("Launch 20% off")
    screenshot(buyer, "store")
    icons = buy(buyer, "Icon pack", "¥3,000", quantity=2)
    starter = buy(buyer, "Starter template", "$49.00")
    screenshot(buyer, "success")

    admin = new_page(browser)
    admin.goto(f"{base}/sandbox/admin")
    admin.get_by_role("button", name="Sign in as demo admin").click()
    row = admin.locator("tr", has_text=starter)
    expect(row).to_contain_text("Starter template \N{MULTIPLICATION SIGN} 1")
    expect(row).to_contain_text("$49.00")
    expect(admin.locator("tr", has_text=icons)).to_contain_text("¥3,000")
    screenshot(admin, "admin-queue")

    row.get_by_role("button", name="Capture").click()
    expect(admin.locator("#message")).to_have_text(f"Order {starter} is now captured.")
    expect(admin.locator("tr", has_text=starter)).to_have_count(0)
    icons_row = admin.locator("tr", has_text=icons)
    icons_row.get_by_label("Reason").select_option("duplicate")
    icons_row.get_by_role("button", name="Cancel").click()
    expect(admin.locator("#message")).to_have_text(f"Order {icons} is now canceled.")
    admin.get_by_label("Status").select_option("canceled")
    expect(admin.locator("tr", has_text=icons)).to_contain_text("duplicate")

    # The one confirmation e-mail links to ORDER_URL ({APP_URL}/orders/{order_id}), which the store serves.
    deadline = time.monotonic() + WEBHOOK_SECONDS / 1000
    while (link := store.confirmation_link(starter)) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert link == f"{base}/orders/{starter}"
    buyer.goto(link)
    expect(buyer.locator("section.order .status")).to_have_text("captured")
    expect(buyer.locator("section.order")).to_contain_text("Captured")
    buyer.goto(f"{base}/orders/{icons}")
    expect(buyer.locator("section.order")).to_contain_text("nothing was charged")
    assert store.confirmation_link(icons) is None


def test_a_subscriber_cancels_in_the_portal_and_loses_access_when_the_period_ends(
    store: Store, browser: Browser
) -> None:
    from playwright.sync_api import expect

    base = store.base
    page = new_page(browser)
    page.goto(f"{base}/sandbox")
    sign_in(page, "user_subscriber", "subscriber@example.com")
    pro = page.locator("article", has=page.get_by_role("heading", name="Pro"))
    pro.locator("form", has_text="per month").get_by_role("button", name="Subscribe").click()
    pay_on_stripes_page(page, "$19.00")
    expect(page.locator("#subscription .status")).to_have_text("active")

    page.get_by_role("link", name="Account", exact=True).click()
    plan = page.locator("#plan")
    expect(plan).to_contain_text("Pro $19.00 per month")
    expect(plan.locator('[data-field="access"]')).to_have_text("active (pro)")
    expect(plan.locator(".limits")).to_contain_text("projects: 10")
    screenshot(page, "account")

    # A subscriber's Subscribe buttons turn into Manage billing (the API refuses a second plan).
    page.get_by_role("link", name="Pricing", exact=True).click()
    monthly = pro.locator("form", has_text="per month")
    expect(monthly).to_contain_text("Your plan")
    expect(page.get_by_role("button", name="Subscribe")).to_have_count(0)
    monthly.get_by_role("button", name="Manage billing").click()

    page.wait_for_url(re.compile(r"/sandbox/portal/bps_"))
    page.get_by_role("button", name="Cancel at period end").click()
    expect(page.locator("article")).to_contain_text("cancels at period end")
    page.get_by_role("link", name="Return").click()
    page.wait_for_url(f"{base}/sandbox")

    page.get_by_role("link", name="Account", exact=True).click()
    reload_until(page, plan, "Cancels on")
    expect(plan.locator('[data-field="access"]')).to_have_text("active (pro)")

    page.locator("footer").get_by_label("Advance").fill("40")
    page.get_by_role("button", name="Advance the clock").click()
    page.wait_for_url(f"{base}/sandbox/account")
    reload_until(page, plan.locator('[data-field="access"]'), "no access")
    expect(plan.locator(".status")).to_have_text("canceled")
