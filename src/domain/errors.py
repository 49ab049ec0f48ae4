"""Errors raised by domain rules. They carry no I/O details and map to 409 at the edge."""


class DomainError(Exception):
    """A domain rule refused an operation."""


class InvalidOrderTransition(DomainError):
    def __init__(self, order_id: str, current: str, target: str) -> None:
        super().__init__(f"order {order_id} cannot go from {current} to {target}")
        self.order_id = order_id
        self.current = current
        self.target = target


class InvalidMoney(DomainError):
    pass


class UnknownCancellationReason(DomainError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"unknown cancellation reason {reason!r}")
        self.reason = reason
