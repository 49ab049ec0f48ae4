"""A webhook delivery as an operator sees it (contract §5 Observability): its log lines carry the
event's id and type (and the request id), and `/metrics` counts it by type and outcome."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from entrypoints.logging_setup import configure_logging
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import WEBHOOK_PATH, Stack
from tests.support.stripe_events import event, signed_request, stripe_object


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def counted(text: str, event_type: str, outcome: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "billing_webhook_events_total" and sample.labels == {"type": event_type, "outcome": outcome}
    )


@pytest.mark.usefixtures("restore_logging")
async def test_the_log_lines_of_a_delivery_carry_the_event_id_its_type_and_the_request_id(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    # An intent the service never saw: its handler ignores it, with one log line saying why.
    unknown = event("payment_intent.succeeded", stripe_object("payment_intent", id="pi_3NeverSeenHere0"))
    body, headers = signed_request(unknown, stack.sb.webhook_secret)

    response = await stack.client.post(WEBHOOK_PATH, content=body, headers={**headers, "X-Request-ID": "req-hook"})
    refused = await stack.client.post(WEBHOOK_PATH, content=body, headers={"Stripe-Signature": "t=1,v1=00"})

    assert (response.status_code, refused.status_code) == (200, 400)
    lines: list[dict[str, Any]] = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    ignored = [r for r in lines if r["event"] == "event ignored"]
    assert ignored, lines
    assert all(
        (r["event_id"], r["event_type"], r["request_id"]) == (unknown["id"], "payment_intent.succeeded", "req-hook")
        for r in ignored
    )
    refusal = next(r for r in lines if r["event"] == "webhook refused")
    assert refusal["request_id"] == refused.headers["x-request-id"]
    assert "event_id" not in refusal  # nothing about a refused body is trusted, its id included


async def test_metrics_count_each_delivery_by_type_and_outcome(stack: Stack) -> None:
    updated = event("product.updated", stripe_object("product", id="prod_observed"))
    body, headers = signed_request(updated, stack.sb.webhook_secret)

    for _ in range(2):
        assert (await stack.client.post(WEBHOOK_PATH, content=body, headers=headers)).status_code == 200
    assert (await stack.client.post(WEBHOOK_PATH, content=body, headers={"Stripe-Signature": "x"})).status_code == 400
    text = (await stack.client.get("/metrics")).text

    assert counted(text, "product.updated", "processed") == 1
    assert counted(text, "product.updated", "duplicate") == 1
    assert counted(text, "other", "rejected") == 1
