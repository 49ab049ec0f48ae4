"""The PaymentGateway's refunds: one test body per behaviour, run against the in-memory fake and the
Stripe adapter over HTTP to the sandbox (the fixtures of `test_payment_gateway_contract`)."""

# ruff: noqa: F811 - the tests take the imported `side` fixture as their parameter, as pytest wants

from __future__ import annotations

import pytest

from adapters.in_memory.refund_book import charge_of
from application.errors import Conflict, PaymentProviderRejected
from application.ports.payment_gateway import RefundRequest
from domain.refund import RefundStatus
from tests.contract.test_payment_gateway_contract import (  # noqa: F401 - fake, sandbox…: the gateway contract's fixtures
    FakeStripe,
    SandboxStripe,
    StripeSide,
    _held_payment,
    _shop,
    fake,
    sandbox,
    sandbox_server,
    side,
)


async def _captured(side: StripeSide) -> tuple[str, str]:
    """A captured payment of $98.00: (PaymentIntent id, charge id)."""
    intent_id = await _held_payment(side, await _shop(side), "cs1")
    await side.gateway.capture_payment_intent(intent_id, idempotency_key="cap1")
    if isinstance(side, SandboxStripe):
        return intent_id, str(side.client.v1.payment_intents.retrieve(intent_id).latest_charge)
    assert isinstance(side, FakeStripe)
    return intent_id, charge_of(intent_id)


def _request(intent_id: str, amount: int, reason: str | None = "requested_by_customer") -> RefundRequest:
    return RefundRequest(intent_id, amount, reason, {"order_id": "ord_1"})


async def test_a_refund_of_part_then_of_the_rest_are_listed_on_the_charge(side: StripeSide) -> None:
    intent_id, charge_id = await _captured(side)

    part = await side.gateway.create_refund(_request(intent_id, 1800), idempotency_key="r1")
    rest = await side.gateway.create_refund(_request(intent_id, 8000, None), idempotency_key="r2")

    assert part.id.startswith("re_") and part.id != rest.id
    assert (part.amount, part.currency, part.status, part.reason) == (
        1800,
        "usd",
        RefundStatus.SUCCEEDED,
        "requested_by_customer",
    )
    assert (part.payment_intent_id, part.charge_id, dict(part.metadata)) == (
        intent_id,
        charge_id,
        {"order_id": "ord_1"},
    )
    assert rest.reason is None
    listed = await side.gateway.list_refunds(charge_id)
    assert [(r.id, r.amount) for r in listed] == [(rest.id, 8000), (part.id, 1800)]


async def test_create_refund_is_idempotent_by_key(side: StripeSide) -> None:
    intent_id, charge_id = await _captured(side)

    first = await side.gateway.create_refund(_request(intent_id, 500), idempotency_key="same")
    again = await side.gateway.create_refund(_request(intent_id, 500), idempotency_key="same")

    assert again == first
    assert len(await side.gateway.list_refunds(charge_id)) == 1
    with pytest.raises(Conflict):
        await side.gateway.create_refund(_request(intent_id, 600), idempotency_key="same")


async def test_more_than_is_left_is_rejected(side: StripeSide) -> None:
    intent_id, _ = await _captured(side)
    await side.gateway.create_refund(_request(intent_id, 9000), idempotency_key="r1")
    with pytest.raises(PaymentProviderRejected):
        await side.gateway.create_refund(_request(intent_id, 801), idempotency_key="r2")


async def test_a_held_payment_cannot_be_refunded(side: StripeSide) -> None:
    intent_id = await _held_payment(side, await _shop(side), "cs1")
    with pytest.raises(PaymentProviderRejected):
        await side.gateway.create_refund(_request(intent_id, 100), idempotency_key="r1")


async def test_the_refunds_of_an_unknown_charge_are_none(side: StripeSide) -> None:
    assert list(await side.gateway.list_refunds("ch_does_not_exist")) == []
