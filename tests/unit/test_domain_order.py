"""The order state machine, table-driven: every pair of statuses, out-of-order reports, reasons."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from domain.errors import DomainError, InvalidOrderTransition, UnknownCancellationReason
from domain.order import (
    Order,
    OrderStatus,
    ReviewReason,
    StripeCancellationReason,
    can_transition,
    path_to,
)
from tests.unit.factories import T0, OrderFactory

P, A, C, X, E = (
    OrderStatus.PENDING,
    OrderStatus.AUTHORIZED,
    OrderStatus.CAPTURED,
    OrderStatus.CANCELED,
    OrderStatus.EXPIRED,
)
ALLOWED_PAIRS = {(P, A), (P, E), (A, C), (A, X)}
EVERY_PAIR = list(itertools.product(OrderStatus, OrderStatus))
LATER = T0 + timedelta(hours=1)


def _step(order: Order, target: OrderStatus) -> Order:
    if target is A:
        return order.authorize(LATER, "pi_1")
    if target is C:
        return order.capture(LATER)
    if target is X:
        return order.cancel(LATER, "fraudulent")
    if target is E:
        return order.expire(LATER)
    raise AssertionError("no method moves an order back to pending")


@pytest.mark.parametrize(("current", "target"), EVERY_PAIR, ids=lambda s: str(s))
def test_can_transition_allows_exactly_the_documented_pairs(current: OrderStatus, target: OrderStatus) -> None:
    assert can_transition(current, target) is ((current, target) in ALLOWED_PAIRS)


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED_PAIRS), ids=lambda s: str(s))
def test_an_allowed_transition_moves_the_order_and_stamps_the_time(current: OrderStatus, target: OrderStatus) -> None:
    order = OrderFactory.build(status=current)
    moved = _step(order, target)
    assert moved.status is target
    stamp = {A: moved.authorized_at, C: moved.captured_at, X: moved.canceled_at, E: moved.expired_at}[target]
    assert stamp == LATER
    assert order.status is current  # orders are values: the original is untouched


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c, t in EVERY_PAIR if (c, t) not in ALLOWED_PAIRS and t is not P],
    ids=lambda s: str(s),
)
def test_every_other_transition_is_refused(current: OrderStatus, target: OrderStatus) -> None:
    order = OrderFactory.build(status=current)
    with pytest.raises(InvalidOrderTransition) as refused:
        _step(order, target)
    assert (refused.value.order_id, refused.value.current, refused.value.target) == (order.id, current, target)


@pytest.mark.parametrize(
    ("current", "target", "steps"),
    [
        (P, A, [A]),
        (P, C, [A, C]),  # payment_intent.succeeded before checkout.session.completed
        (P, X, [A, X]),
        (P, E, [E]),
        (A, C, [C]),
        (A, X, [X]),
        (A, A, []),
        (C, A, []),  # a late authorized report after the capture is behind us
        (X, A, []),
        (A, P, []),
        (C, P, []),
        (E, P, []),
        (C, C, []),
        (E, C, None),
        (E, A, None),
        (C, X, None),
        (X, C, None),
        (C, E, None),
        (A, E, None),
        (E, X, None),
    ],
    ids=lambda s: str(s),
)
def test_path_to_walks_legal_steps_or_reports_unreachable(
    current: OrderStatus, target: OrderStatus, steps: list[OrderStatus] | None
) -> None:
    assert path_to(current, target) == steps


def test_reaching_captured_from_pending_walks_through_authorized() -> None:
    order = OrderFactory.build(status=P)
    captured = order.reach(C, LATER, payment_intent_id="pi_1")
    assert captured.status is C
    assert captured.authorized_at == captured.captured_at == LATER
    assert captured.payment_intent_id == "pi_1"


def test_a_late_authorized_report_after_captured_changes_nothing() -> None:
    captured = OrderFactory.build(status=C, payment_intent_id="pi_1", captured_at=T0)
    assert captured.reach(A, LATER, payment_intent_id="pi_1") == captured


def test_a_repeated_report_keeps_the_first_timestamp() -> None:
    authorized = OrderFactory.build(status=P).reach(A, T0, payment_intent_id="pi_1")
    assert authorized.reach(A, LATER) == authorized


def test_a_report_that_reaches_nothing_new_still_records_a_missing_payment_intent() -> None:
    authorized = OrderFactory.build(status=A, payment_intent_id=None)
    assert authorized.reach(A, LATER, payment_intent_id="pi_9").payment_intent_id == "pi_9"


@pytest.mark.parametrize(("current", "target"), [(E, C), (E, A), (X, C), (C, X)], ids=lambda s: str(s))
def test_reach_refuses_an_unreachable_status(current: OrderStatus, target: OrderStatus) -> None:
    with pytest.raises(InvalidOrderTransition):
        OrderFactory.build(status=current).reach(target, LATER)


def test_reaching_canceled_from_pending_records_the_reason() -> None:
    canceled = OrderFactory.build(status=P).reach(X, LATER, reason="automatic")
    assert (canceled.status, canceled.cancellation_reason) == (X, "automatic")


@pytest.mark.parametrize("reason", [*ReviewReason, *StripeCancellationReason, None])
def test_cancel_accepts_a_reviewers_and_stripes_reasons_and_none(reason: str | None) -> None:
    canceled = OrderFactory.build(status=A).cancel(LATER, str(reason) if reason else None)
    assert canceled.cancellation_reason == reason
    assert canceled.cancellation_reason is None or type(canceled.cancellation_reason) is type(reason)


@pytest.mark.parametrize("reason", ["", "because", "FRAUDULENT", "Abandoned "])
def test_cancel_refuses_an_unknown_reason_with_a_domain_error(reason: str) -> None:
    with pytest.raises(UnknownCancellationReason, match="cancellation reason") as refused:
        OrderFactory.build(status=A).cancel(LATER, reason)
    assert isinstance(refused.value, DomainError)  # the webhook pipeline records such an event as ignored


def test_authorize_keeps_a_known_payment_intent_when_none_is_reported() -> None:
    order = OrderFactory.build(status=P, payment_intent_id="pi_known")
    assert order.authorize(LATER).payment_intent_id == "pi_known"
