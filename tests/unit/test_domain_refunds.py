"""Refunds and disputes on an order, table-driven: accumulation, `captured → refunded`, reports
repeated or out of order ending in Stripe's newest state, failed refunds listed but not counted."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from domain.errors import InvalidOrderTransition
from domain.money import Money
from domain.order import Order, OrderStatus
from domain.refund import Dispute, DisputeStatus, Refund, RefundStatus
from tests.unit.factories import T0, OrderFactory

PENDING, SUCCEEDED, FAILED, CANCELED, ACTION = (
    RefundStatus.PENDING,
    RefundStatus.SUCCEEDED,
    RefundStatus.FAILED,
    RefundStatus.CANCELED,
    RefundStatus.REQUIRES_ACTION,
)
LATER = T0 + timedelta(hours=1)


def _captured(total: int = 1900) -> Order:
    return OrderFactory.build(status=OrderStatus.CAPTURED, total=Money(total, "usd"))


def _refund(refund_id: str, amount: int, status: RefundStatus, minute: int = 0) -> Refund:
    return Refund(refund_id, amount, status, T0 + timedelta(minutes=minute), "requested_by_customer")


@pytest.mark.parametrize(
    ("known", "reported", "kept"),
    [
        (PENDING, SUCCEEDED, SUCCEEDED),
        (PENDING, FAILED, FAILED),
        (SUCCEEDED, PENDING, SUCCEEDED),  # refund.created (pending) delivered after refund.updated
        (FAILED, PENDING, FAILED),
        (FAILED, SUCCEEDED, FAILED),  # a failure is final
        (SUCCEEDED, FAILED, FAILED),  # a card refund can fail after it succeeded
        (SUCCEEDED, SUCCEEDED, SUCCEEDED),
        (ACTION, PENDING, PENDING),
        (PENDING, CANCELED, CANCELED),
        (CANCELED, SUCCEEDED, CANCELED),
    ],
    ids=str,
)
def test_a_refund_report_keeps_whichever_status_is_further_along(
    known: RefundStatus, reported: RefundStatus, kept: RefundStatus
) -> None:
    assert _refund("re_1", 500, known).newer(_refund("re_1", 500, reported)).status is kept


def test_the_request_key_survives_reports_from_stripe_that_do_not_carry_it() -> None:
    ours = Refund("re_1", 500, PENDING, T0, None, request_key="refund:ord_1:amount:500")
    merged = ours.newer(Refund("re_1", 500, SUCCEEDED, LATER, "duplicate"))
    assert (merged.request_key, merged.status, merged.reason, merged.created_at) == (
        "refund:ord_1:amount:500",
        SUCCEEDED,
        "duplicate",
        T0,
    )


@pytest.mark.parametrize(
    ("refunds", "status", "amount_refunded", "refundable"),
    [
        ([], OrderStatus.CAPTURED, 0, 1900),
        ([("re_1", 500, SUCCEEDED)], OrderStatus.CAPTURED, 500, 1400),
        ([("re_1", 500, SUCCEEDED), ("re_2", 1400, SUCCEEDED)], OrderStatus.REFUNDED, 1900, 0),
        ([("re_1", 1900, PENDING)], OrderStatus.REFUNDED, 1900, 0),  # counted as Stripe counts it
        ([("re_1", 1900, FAILED)], OrderStatus.CAPTURED, 0, 1900),  # listed, not counted
        ([("re_1", 1000, FAILED), ("re_2", 1900, SUCCEEDED)], OrderStatus.REFUNDED, 1900, 0),
        ([("re_1", 400, SUCCEEDED), ("re_2", 500, CANCELED), ("re_3", 600, PENDING)], OrderStatus.CAPTURED, 1000, 900),
    ],
)
def test_refunds_accumulate_and_the_order_is_refunded_once_they_reach_its_total(
    refunds: list[tuple[str, int, RefundStatus]], status: OrderStatus, amount_refunded: int, refundable: int
) -> None:
    order = _captured()
    for minute, (refund_id, amount, refund_status) in enumerate(refunds):
        order = order.record_refund(_refund(refund_id, amount, refund_status, minute), LATER)
    assert (order.status, order.amount_refunded, order.refundable) == (status, amount_refunded, refundable)
    assert [r.id for r in order.refunds] == [r[0] for r in refunds]
    assert order.refunded_at == (LATER if status is OrderStatus.REFUNDED else None)


REPORTS = [("re_1", 900, PENDING), ("re_1", 900, SUCCEEDED), ("re_2", 1000, SUCCEEDED), ("re_2", 1000, SUCCEEDED)]


@pytest.mark.parametrize("order_of_reports", list(itertools.permutations(range(len(REPORTS)))), ids=str)
def test_any_order_of_duplicated_reports_ends_in_stripes_state(order_of_reports: tuple[int, ...]) -> None:
    order = _captured()
    for index in order_of_reports:
        refund_id, amount, status = REPORTS[index]
        order = order.record_refund(_refund(refund_id, amount, status, int(refund_id[-1])), LATER)
    assert [(r.id, r.status) for r in order.refunds] == [("re_1", SUCCEEDED), ("re_2", SUCCEEDED)]
    assert (order.status, order.amount_refunded) == (OrderStatus.REFUNDED, 1900)


def test_a_refund_that_fails_after_completing_the_total_makes_the_order_captured_again() -> None:
    refunded = _captured().record_refund(_refund("re_1", 1900, SUCCEEDED), T0)
    assert refunded.status is OrderStatus.REFUNDED
    failed = refunded.record_refund(_refund("re_1", 1900, FAILED), LATER)
    assert (failed.status, failed.refunded_at, failed.refundable) == (OrderStatus.CAPTURED, None, 1900)
    assert [r.status for r in failed.refunds] == [FAILED]


def test_a_repeated_report_keeps_the_first_refunded_time() -> None:
    refunded = _captured().record_refund(_refund("re_1", 1900, SUCCEEDED), T0)
    assert refunded.record_refund(_refund("re_1", 1900, SUCCEEDED), LATER) == refunded


@pytest.mark.parametrize(
    "status", [OrderStatus.PENDING, OrderStatus.AUTHORIZED, OrderStatus.CANCELED, OrderStatus.EXPIRED]
)
def test_only_a_paid_order_takes_refunds_or_a_dispute_and_has_anything_to_refund(status: OrderStatus) -> None:
    order = OrderFactory.build(status=status)
    assert order.refundable == 0
    with pytest.raises(InvalidOrderTransition):
        order.record_refund(_refund("re_1", 100, SUCCEEDED), LATER)
    with pytest.raises(InvalidOrderTransition):
        order.record_dispute(Dispute("dp_1", DisputeStatus.NEEDS_RESPONSE, "fraudulent", 1900, T0))


def test_the_request_key_finds_the_refund_an_earlier_request_made() -> None:
    ours = Refund("re_1", 500, SUCCEEDED, T0, None, request_key="k1")
    order = _captured().record_refund(ours, LATER)
    assert order.refund_requested_as("k1") == ours
    assert order.refund_requested_as("k2") is None


NR, UR, WON, LOST = DisputeStatus.NEEDS_RESPONSE, DisputeStatus.UNDER_REVIEW, DisputeStatus.WON, DisputeStatus.LOST
W_NR, W_UR, W_CLOSED = (
    DisputeStatus.WARNING_NEEDS_RESPONSE,
    DisputeStatus.WARNING_UNDER_REVIEW,
    DisputeStatus.WARNING_CLOSED,
)


@pytest.mark.parametrize(
    ("reports", "final"),
    [
        ([NR], NR),
        ([NR, UR, WON], WON),
        ([NR, LOST], LOST),
        ([WON, UR, NR], WON),  # closed first: the late created/updated reports change nothing
        ([UR, NR], UR),
        ([LOST, NR, LOST], LOST),
        ([W_NR, W_UR, W_CLOSED], W_CLOSED),
        ([W_CLOSED, W_NR], W_CLOSED),
    ],
    ids=str,
)
def test_dispute_reports_end_in_the_furthest_status(reports: list[DisputeStatus], final: DisputeStatus) -> None:
    order = _captured()
    for status in reports:
        order = order.record_dispute(Dispute("dp_1", status, "fraudulent", 1900, T0))
    assert order.dispute is not None
    assert (order.dispute.id, order.dispute.status, order.dispute.closed) == (
        "dp_1",
        final,
        final in (WON, LOST, W_CLOSED),
    )
    assert order.status is OrderStatus.CAPTURED  # a dispute moves no money in our books


def test_a_newer_dispute_on_the_charge_replaces_an_older_one_and_not_the_reverse() -> None:
    older = Dispute("dp_old", DisputeStatus.WARNING_CLOSED, "general", 1900, T0)
    newer = Dispute("dp_new", NR, "fraudulent", 1900, LATER)
    assert _captured().record_dispute(older).record_dispute(newer).dispute == newer
    assert _captured().record_dispute(newer).record_dispute(older).dispute == newer


def test_a_refunded_order_can_still_be_disputed() -> None:
    refunded = _captured().record_refund(_refund("re_1", 1900, SUCCEEDED), T0)
    disputed = refunded.record_dispute(Dispute("dp_1", NR, "duplicate", 1900, LATER))
    assert (disputed.status, disputed.dispute is not None) == (OrderStatus.REFUNDED, True)


def test_refunds_are_listed_oldest_first_and_in_the_order_learned_within_one_second() -> None:
    order = _captured()
    for refund in (
        Refund("re_z", 100, SUCCEEDED, T0 + timedelta(seconds=5)),
        Refund("re_b", 200, SUCCEEDED, T0),
        Refund("re_a", 300, PENDING, T0),
        Refund("re_b", 200, SUCCEEDED, T0),  # reported again: keeps its place
        Refund("re_a", 300, SUCCEEDED, T0),
    ):
        order = order.record_refund(refund, LATER)
    assert [r.id for r in order.refunds] == ["re_b", "re_a", "re_z"]
