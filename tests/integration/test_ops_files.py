"""The operator's starting points in `ops/`: the Grafana dashboard and the Prometheus alert rules
query only metrics the service exports, and (where promtool is installed) the rules are valid and
their unit tests pass."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from adapters.persistence.migrate import upgrade_async
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from tests.support.service import ROOT

OPS = ROOT / "ops"
METRIC = re.compile(r"\bbilling_[a-z_]+\b")
SAMPLE_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[AsyncTestClient[Litestar]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    await upgrade_async(url)
    settings = load_settings(
        {"DATABASE_URL": url, "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_API_BASE": "http://127.0.0.1:9"}, env_file=None
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


def dashboard_queries() -> Iterator[str]:
    dashboard = json.loads((OPS / "grafana-dashboard.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield str(target["expr"])


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((OPS / "prometheus-alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


async def test_the_dashboard_and_the_alerts_query_only_metrics_the_service_exports(
    client: AsyncTestClient[Litestar],
) -> None:
    await client.get("/api/health")  # the HTTP families appear with their first request
    scraped = (await client.get("/metrics")).text
    exported = {
        family.name + suffix
        for family in text_string_to_metric_families(scraped)
        for suffix in SAMPLE_SUFFIXES.get(family.type, ("",))
    }
    queries = [*dashboard_queries(), *(str(rule["expr"]) for rule in alert_rules())]

    queried = {name for query in queries for name in METRIC.findall(query)}
    assert queried - exported == set()
    assert {
        "billing_webhook_events_failed",
        "billing_outbox_effects_pending",
        "billing_stripe_requests_total",
    } <= queried


def test_every_alert_has_a_severity_a_summary_and_a_description() -> None:
    rules = alert_rules()

    assert {rule["alert"] for rule in rules} >= {
        "BillingWebhookEventsFailing",
        "BillingOutboxBacklogGrowing",
        "BillingStripeErrorRate",
    }
    for rule in rules:
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool not installed (Debian: apt-get install prometheus)"
)
@pytest.mark.parametrize(
    "command", [["check", "rules", "prometheus-alerts.yml"], ["test", "rules", "prometheus-alerts.test.yml"]]
)
def test_promtool_accepts_the_rules_and_their_unit_tests_pass(command: list[str]) -> None:
    result = subprocess.run(["promtool", *command], cwd=OPS, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
