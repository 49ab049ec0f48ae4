"""An offline Stripe sandbox: Stripe's REST API, signed webhooks and hosted pages, all in memory.

Mount into a host Litestar app (the composition root is the only place that should know it)::

    sb = Sandbox(public_url="http://127.0.0.1:8000", webhook_url="http://127.0.0.1:8000/api/webhooks/stripe")
    app = Litestar(route_handlers=[*service_handlers, *sb.route_handlers()],
                   on_startup=[sb.start], on_shutdown=[sb.stop])
    # point the Stripe SDK at sb.api_base with sb.secret_key; verify webhooks with sb.webhook_secret;
    # verify demo sign-in tokens with sb.jwt_public_key_pem (issuer public_url + "/sandbox").

For tests, `with run_in_thread(sb) as base_url:` serves `create_standalone_app(sb)` (API at `/v1`).
Test hooks: `sb.dashboard` (refunds, pending refunds, disputes — what `/sandbox/dashboard` does),
`sb.advance_clock`, `sb.faults` (Stripe down or slow) and `sb.requests` (every API call).
"""

from sandbox.app import create_standalone_app
from sandbox.sandbox import Sandbox
from sandbox.server import run_in_thread

__all__ = ["Sandbox", "create_standalone_app", "run_in_thread"]
