"""Application errors: the only exceptions use cases raise. The HTTP edge maps each to a status in
one table (`entrypoints/http/errors.py`); adapters wrap their library's exceptions in these."""

from __future__ import annotations


class ApplicationError(Exception):
    """Base class. `detail` is safe to show to a client: no secrets, no raw provider messages."""

    title = "Application error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(ApplicationError):
    title = "Not found"


class PriceNotAvailable(NotFound):
    """Nothing to sell: the price is unknown, inactive, or its product is archived."""

    def __init__(self, detail: str = "Unknown or inactive price.") -> None:
        super().__init__(detail)


class Conflict(ApplicationError):
    title = "Conflict"


class Unauthorized(ApplicationError):
    title = "Unauthorized"


class Forbidden(ApplicationError):
    title = "Forbidden"


class ValidationFailed(ApplicationError):
    """`errors`: one `{"message", "key"}` per problem; `key` names the offending field when known."""

    title = "Invalid request"

    def __init__(self, detail: str, errors: list[dict[str, str | None]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors if errors is not None else [{"message": detail, "key": None}]


class RateLimited(ApplicationError):
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PaymentProviderUnavailable(ApplicationError):
    """Stripe timed out, answered 5xx, or could not be reached. Safe to retry."""

    title = "Payment provider unavailable"


class PaymentProviderRejected(ApplicationError):
    """Stripe refused the request (bad state, card declined, invalid parameters)."""

    title = "Payment provider refused the request"


class ServiceNotConfigured(ApplicationError):
    """A capability needs configuration that is missing (e.g. no Stripe key and no sandbox)."""

    title = "Service not configured"


class StorageUnavailable(ApplicationError):
    """The database (or cache) cannot be reached or cannot serve now. Safe to retry."""

    title = "Storage unavailable"


class StorageRejected(ApplicationError):
    """The database refused a value of the change (too long, a NUL in a string, …). Retrying the
    same change cannot help; inputs are meant to be validated before they get this far."""

    title = "Invalid request"


class InvalidToken(Unauthorized):
    title = "Unauthorized"


class EmailDeliveryFailed(ApplicationError):
    title = "E-mail delivery failed"


class InvalidWebhook(ApplicationError):
    title = "Invalid webhook"
