"""The demo store: a reference front end for the service, served in sandbox mode only.

Its pages are Jinja templates; their data comes from the browser calling the service's public HTTP
API (`static/*.js`: `/api/...` with the `__session` cookie), exactly as a customer's own front end
would, plus the sandbox's own pages (sign-in, Stripe's hosted checkout and portal, the clock). It
imports nothing of the service (import-linter keeps it so): read it to learn the API.
"""

from demo_store.routes import STORE, FrontEndPaths, route_handlers, template_config

__all__ = ["STORE", "FrontEndPaths", "route_handlers", "template_config"]
