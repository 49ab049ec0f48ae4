from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.errors import ApplicationError
from application.operations.webhook_registration import Assessment, WebhookTarget, assess
from application.ports.payment_account import PaymentAccount
from application.ports.probe import Finding, Probe
from application.webhooks.dispatch import handled_event_patterns

SETUP = "run `billing webhooks setup`"


@dataclass(frozen=True, slots=True)
class Probes:
    """The backing services to check, in the order `billing doctor` prints them."""

    storage: Sequence[Probe]  # the database, then Redis when configured
    email: Probe


class Diagnose:
    """`billing doctor`: the database, Redis, the Stripe key (one API call), the webhook endpoint
    for this service's URL (enabled for every handled event type, at the pinned API version),
    SMTP. One finding each; nothing is changed."""

    def __init__(self, probes: Probes, account: PaymentAccount, target: WebhookTarget) -> None:
        self._probes = probes
        self._account = account
        self._target = target

    async def execute(self) -> list[Finding]:
        findings = [await probe.check() for probe in self._probes.storage]
        findings.extend(await self._stripe())
        findings.append(await self._probes.email.check())
        return findings

    async def _stripe(self) -> list[Finding]:
        try:
            account = await self._account.identify()
        except ApplicationError as exc:
            return [
                Finding("Stripe key", False, exc.detail),
                Finding("webhook endpoint", False, "not checked: the Stripe key did not work"),
            ]
        key = Finding("Stripe key", True, f"account {account.id}" + (f" ({account.name})" if account.name else ""))
        try:
            endpoints = await self._account.webhook_endpoints()
        except ApplicationError as exc:
            return [key, Finding("webhook endpoint", False, exc.detail)]
        handled = self._account.event_types(handled_event_patterns())
        return [key, self._endpoint(assess(endpoints, self._target.url, handled, self._account.api_version))]

    def _endpoint(self, found: Assessment) -> Finding:
        url, endpoint = self._target.url, found.endpoint
        if endpoint is None:
            return Finding("webhook endpoint", False, f"none for {url}: {SETUP}")
        if not endpoint.enabled:
            return Finding("webhook endpoint", False, f"{endpoint.id} for {url} is disabled: {SETUP}")
        if found.missing:
            shown = ", ".join(found.missing[:3]) + (", …" if len(found.missing) > 3 else "")
            return Finding(
                "webhook endpoint",
                False,
                f"{endpoint.id} does not receive {len(found.missing)} handled event type(s) ({shown}): {SETUP}",
            )
        if not found.version_ok:
            return Finding(
                "webhook endpoint",
                False,
                f"{endpoint.id} renders events at API version {endpoint.api_version or 'the account default'}, "
                f"not {self._account.api_version}: delete it, then {SETUP}",
            )
        return Finding("webhook endpoint", True, f"{endpoint.id} for {url} receives every handled event type")
