"""The sandbox's world: objects, clock and event stream, shared by the API, the pages and the clock."""

from dataclasses import dataclass, field

from sandbox.billing_rules import RetryPolicy
from sandbox.clock import Clock
from sandbox.events import Events
from sandbox.store import Obj, Store


@dataclass
class State:
    public_url: str
    has_webhook_endpoint: bool = False
    store: Store = field(default_factory=Store)
    clock: Clock = field(default_factory=Clock)
    retry_policy: RetryPolicy = field(default_factory=RetryPolicy)
    # data Stripe keeps but never shows on the object itself (a session's line items and settings)
    hidden: dict[str, Obj] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.events = Events(self.store, self.clock, self.has_webhook_endpoint)

    def now(self) -> int:
        return self.clock.now()
