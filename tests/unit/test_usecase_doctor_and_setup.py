"""`billing doctor` (Diagnose) and `billing webhooks setup` (SetUpWebhookEndpoint) on the fakes."""

from __future__ import annotations

import pytest

from adapters.in_memory.payment_account import InMemoryPaymentAccount
from adapters.in_process.probe import StaticProbe
from application.errors import PaymentProviderUnavailable
from application.operations.diagnose import Diagnose, Probes
from application.operations.set_up_webhook_endpoint import SetUpWebhookEndpoint
from application.operations.webhook_registration import WebhookTarget
from application.ports.probe import Finding
from application.webhooks.dispatch import handled_event_patterns, route_for

URL = "https://shop.test/api/webhooks/stripe"
VERSION = "2026-10-28.endive"


@pytest.fixture
def account() -> InMemoryPaymentAccount:
    return InMemoryPaymentAccount(api_version=VERSION)


def handled(account: InMemoryPaymentAccount) -> tuple[str, ...]:
    return account.event_types(handled_event_patterns())


def diagnose(account: InMemoryPaymentAccount, *, database_ok: bool = True) -> Diagnose:
    probes = Probes(
        [StaticProbe(Finding("database", database_ok, "SQLite")), StaticProbe(Finding("Redis", True, "unset"))],
        StaticProbe(Finding("SMTP", True, "unset")),
    )
    return Diagnose(probes, account, WebhookTarget(URL))


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


# --- the one list ------------------------------------------------------------------------------


def test_every_handled_pattern_has_a_handler_and_families_expand_to_concrete_names(
    account: InMemoryPaymentAccount,
) -> None:
    types = handled(account)

    assert all(route_for(t) is not None for t in types)
    assert "*" not in "".join(types)
    assert {"product.created", "product.updated", "product.deleted", "checkout.session.completed"} <= set(types)
    assert "customer.created" not in types


# --- doctor ------------------------------------------------------------------------------------


async def test_doctor_finds_everything_fine_with_a_complete_endpoint(account: InMemoryPaymentAccount) -> None:
    account.add_endpoint(URL, handled(account), api_version=VERSION)

    findings = await diagnose(account).execute()

    assert [f.check for f in findings] == ["database", "Redis", "Stripe key", "webhook endpoint", "SMTP"]
    assert all(f.ok for f in findings), findings
    assert by_check(findings)["Stripe key"].detail.startswith("account acct_memory")


async def test_an_endpoint_enabled_for_every_event_is_enough(account: InMemoryPaymentAccount) -> None:
    account.add_endpoint(URL, ["*"], api_version=VERSION)

    assert by_check(await diagnose(account).execute())["webhook endpoint"].ok


async def test_no_endpoint_for_the_service_url_fails_and_says_what_to_run(account: InMemoryPaymentAccount) -> None:
    account.add_endpoint("https://elsewhere.test/hook", ["*"], api_version=VERSION)

    finding = by_check(await diagnose(account).execute())["webhook endpoint"]

    assert not finding.ok
    assert URL in finding.detail
    assert "billing webhooks setup" in finding.detail


async def test_an_endpoint_missing_one_member_of_a_family_fails_naming_it(account: InMemoryPaymentAccount) -> None:
    account.add_endpoint(URL, [t for t in handled(account) if t != "price.deleted"], api_version=VERSION)

    finding = by_check(await diagnose(account).execute())["webhook endpoint"]

    assert not finding.ok
    assert "1 handled event type(s) (price.deleted)" in finding.detail


async def test_an_endpoint_at_another_api_version_fails(account: InMemoryPaymentAccount) -> None:
    account.add_endpoint(URL, ["*"], api_version="2024-06-20")

    finding = by_check(await diagnose(account).execute())["webhook endpoint"]

    assert not finding.ok
    assert "2024-06-20" in finding.detail
    assert VERSION in finding.detail


async def test_a_refused_key_fails_and_the_endpoint_is_not_checked(account: InMemoryPaymentAccount) -> None:
    account.fail_next(PaymentProviderUnavailable("The payment provider refused our credentials."))

    findings = by_check(await diagnose(account, database_ok=False).execute())

    assert not findings["Stripe key"].ok
    assert "refused our credentials" in findings["Stripe key"].detail
    assert not findings["webhook endpoint"].ok
    assert account.calls["webhook_endpoints"] == 0
    assert not findings["database"].ok
    assert findings["SMTP"].ok


# --- webhooks setup ----------------------------------------------------------------------------


async def test_setup_creates_the_endpoint_with_exactly_the_handled_types_and_returns_its_secret(
    account: InMemoryPaymentAccount,
) -> None:
    result = await SetUpWebhookEndpoint(account, WebhookTarget(URL)).execute()

    assert result.outcome == "created"
    assert result.secret is not None and result.secret.startswith("whsec_")
    [endpoint] = account.endpoints.values()
    assert (endpoint.url, endpoint.api_version) == (URL, VERSION)
    assert endpoint.enabled_events == frozenset(handled(account))


async def test_setup_run_again_changes_nothing_and_shows_no_secret(account: InMemoryPaymentAccount) -> None:
    setup = SetUpWebhookEndpoint(account, WebhookTarget(URL))
    await setup.execute()

    again = await setup.execute()

    assert (again.outcome, again.secret) == ("unchanged", None)
    assert account.calls["create_webhook_endpoint"] == 1
    assert account.calls["update_webhook_endpoint"] == 0


async def test_setup_narrows_an_endpoint_enabled_for_everything_to_the_handled_types(
    account: InMemoryPaymentAccount,
) -> None:
    existing = account.add_endpoint(URL, ["*", "customer.created"], api_version=VERSION)

    result = await SetUpWebhookEndpoint(account, WebhookTarget(URL)).execute()

    assert (result.outcome, result.secret, result.removed) == ("updated", None, ("*", "customer.created"))
    assert account.endpoints[existing.id].enabled_events == frozenset(handled(account))
    assert len(account.endpoints) == 1


async def test_setup_adds_the_missing_types_to_an_incomplete_endpoint(account: InMemoryPaymentAccount) -> None:
    existing = account.add_endpoint(URL, ["checkout.session.completed"], api_version=VERSION)

    result = await SetUpWebhookEndpoint(account, WebhookTarget(URL)).execute()

    assert result.outcome == "updated"
    assert "product.deleted" in result.added
    assert account.endpoints[existing.id].enabled_events == frozenset(handled(account))


async def test_setup_leaves_an_endpoint_at_another_api_version_alone(account: InMemoryPaymentAccount) -> None:
    existing = account.add_endpoint(URL, ["*"], api_version="2024-06-20")

    result = await SetUpWebhookEndpoint(account, WebhookTarget(URL)).execute()

    assert result.outcome == "version-mismatch"
    assert account.endpoints == {existing.id: existing}
    assert account.calls["create_webhook_endpoint"] + account.calls["update_webhook_endpoint"] == 0
