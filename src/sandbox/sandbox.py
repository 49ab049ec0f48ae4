"""`Sandbox`: one offline Stripe account — API, webhooks, hosted pages and a clock — wired together."""

from pathlib import Path
from typing import Any

from litestar import Router

from sandbox import lifecycle, persistence
from sandbox.api import Api
from sandbox.auth import Signer
from sandbox.billing_rules import RetryPolicy
from sandbox.delivery import Deliverer
from sandbox.ids import secret
from sandbox.resources import payment_methods
from sandbox.seed import seed as seed_catalog
from sandbox.state import State
from sandbox.testhooks import Faults, RequestLog


class Sandbox:
    def __init__(
        self,
        public_url: str = "http://127.0.0.1:8000",
        webhook_url: str | None = None,
        secret_key: str = "sk_test_sandbox",  # noqa: S107 - a well-known test-mode key, not a secret
        webhook_secret: str | None = None,
        api_prefix: str = "/sandbox/stripe",
        seed: bool = True,
        retry_delays: tuple[float, ...] = (1, 5, 30),
        jwt_private_key_path: str | Path | None = None,
        state_path: str | Path | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.secret_key = secret_key
        # where the account is kept across restarts (loaded here, saved on stop); None: memory only
        self.state_path = Path(state_path) if state_path is not None else None
        self.webhook_secret = webhook_secret or secret("whsec", 32)
        self.api_prefix = api_prefix.rstrip("/")
        self.state = State(
            public_url.rstrip("/"),
            has_webhook_endpoint=webhook_url is not None,
            retry_policy=retry_policy or RetryPolicy(),
        )
        if self.state_path is not None:
            persistence.load(self.state, self.state_path)
        if seed and self.state.store.is_empty():
            seed_catalog(self.state)
        self.deliverer = Deliverer(webhook_url, self.webhook_secret, tuple(retry_delays))
        self.state.events.listeners.append(self.deliverer.enqueue)
        self.requests = RequestLog()
        self.faults = Faults()
        self.api = Api(self.state, {secret_key}, self.requests, self.faults)
        self.signer = Signer(self.state.public_url, jwt_private_key_path)

    @property
    def public_url(self) -> str:
        return self.state.public_url

    @public_url.setter
    def public_url(self, url: str) -> None:
        self.state.public_url = self.signer.public_url = url.rstrip("/")

    @property
    def webhook_url(self) -> str | None:
        return self.deliverer.url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self.deliverer.url = url
        self.state.events.has_endpoint = url is not None

    @property
    def api_base(self) -> str:
        return self.public_url + self.api_prefix

    @property
    def jwt_public_key_pem(self) -> str:
        return self.signer.public_key_pem

    def add_api_key(self, key: str) -> None:
        self.api.api_keys.add(key)

    def count(self, method: str, path: str) -> int:
        return self.requests.count(method, path)

    def events(self, type_prefix: str = "") -> list[dict[str, Any]]:
        """Events oldest first, optionally only those whose type starts with `type_prefix`."""
        return [e for e in reversed(self.state.store.all("event")) if e["type"].startswith(type_prefix)]

    def advance_clock(self, days: float = 0, seconds: int = 0) -> dict[str, Any]:
        return lifecycle.advance(self.state, int(days * 86400) + seconds)

    def set_card(self, customer_id: str, outcome: str) -> dict[str, Any]:
        """Give the customer a test card whose charges `succeeds`, `declines` or `requires_authentication`."""
        return payment_methods.set_default_card(self.state, customer_id, payment_methods.Outcome(outcome))

    def route_handlers(self, api_prefix: str | None = None) -> list[Router]:
        from sandbox.app import api_router, pages_router

        prefix = self.api_prefix if api_prefix is None else api_prefix
        return [api_router(self, prefix), pages_router(self)]

    async def start(self) -> None:
        await self.deliverer.start()

    async def stop(self) -> None:
        await self.deliverer.stop()
        if self.state_path is not None:
            persistence.save(self.state, self.state_path)
