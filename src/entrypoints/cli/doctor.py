"""`billing doctor` and `billing webhooks setup`: one line per finding, a summary, no secret but
the signing secret of an endpoint just created (Stripe shows it this once)."""

from __future__ import annotations

import ipaddress

from application.errors import ApplicationError
from application.operations.diagnose import Diagnose
from application.operations.set_up_webhook_endpoint import SetUpResult, SetUpWebhookEndpoint
from application.ports.probe import Finding
from entrypoints.cli.operations import request_scope
from entrypoints.settings import Settings


def configuration(settings: Settings) -> Finding:
    """What the settings say, and the combinations that cannot work (each names its variable)."""
    key = settings.stripe.secret_key
    if key is None:
        host_is_loopback = settings.host == "localhost" or _loopback(settings.host)
        if not host_is_loopback:
            return Finding("configuration", False, "HOST: sandbox mode (no STRIPE_SECRET_KEY) serves loopback only")
        return Finding("configuration", True, "sandbox mode (no STRIPE_SECRET_KEY): the embedded Stripe serves")
    live = key.startswith(("sk_live_", "rk_live_"))
    problems = []
    if not settings.stripe.webhook_secrets:
        problems.append("STRIPE_WEBHOOK_SECRET: unset, so every webhook would be refused")
    if not settings.clerk.jwt_key and not settings.clerk.jwks_url:
        problems.append("CLERK_JWT_KEY or CLERK_JWKS_URL: unset, so nobody can sign in")
    if live and not settings.app_url.startswith("https://"):
        problems.append("APP_URL: Stripe delivers live events to https:// URLs only")
    if problems:
        return Finding("configuration", False, "; ".join(problems))
    return Finding("configuration", True, f"Stripe in {'live' if live else 'test'} mode")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _line(finding: Finding) -> str:
    return f"{'ok' if finding.ok else 'FAIL':<5} {finding.check}: {finding.detail}"


async def doctor(settings: Settings) -> int:
    findings = [configuration(settings)]
    async with request_scope(settings) as scope:
        findings.extend(await (await scope.get(Diagnose)).execute())
    for finding in findings:
        if settings.sandbox_mode and finding.check == "Stripe key" and not finding.ok:
            finding = Finding(finding.check, False, finding.detail + " (sandbox mode: is `billing serve` running?)")
        print(_line(finding))
    failed = sum(not f.ok for f in findings)
    print(f"{len(findings)} checks, {failed} failed")
    return 1 if failed else 0


async def webhooks_setup(settings: Settings) -> int:
    try:
        async with request_scope(settings) as scope:
            result = await (await scope.get(SetUpWebhookEndpoint)).execute()
    except ApplicationError as exc:
        print(f"FAIL  webhook endpoint: {exc.detail}")
        return 1
    for line in _setup_lines(result):
        print(line)
    return 1 if result.outcome == "version-mismatch" else 0


def _setup_lines(result: SetUpResult) -> list[str]:
    endpoint, count = result.endpoint, len(result.event_types)
    if result.outcome == "created":
        return [
            f"created {endpoint.id} for {endpoint.url}: {count} event types at API version {endpoint.api_version}",
            f"signing secret (shown this once; set STRIPE_WEBHOOK_SECRET to it): {result.secret}",
        ]
    if result.outcome == "version-mismatch":
        return [
            f"FAIL  {endpoint.id} for {endpoint.url} renders events at API version "
            f"{endpoint.api_version or 'the account default'}; Stripe cannot change that: delete it, then run "
            "`billing webhooks setup` again (it prints the new endpoint's secret)"
        ]
    if result.outcome == "unchanged":
        return [f"{endpoint.id} for {endpoint.url} already receives exactly the {count} handled event types"]
    changes = [f"{len(result.added)} added"] if result.added else []
    if result.removed:
        changes.append(f"removed {', '.join(result.removed)}")
    return [
        f"updated {endpoint.id} for {endpoint.url}: now exactly the {count} handled event types ({'; '.join(changes)})"
    ]
