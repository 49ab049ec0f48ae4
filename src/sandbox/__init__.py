"""An offline Stripe sandbox: Stripe's REST API, signed webhooks and hosted pages, all in memory."""

from sandbox.app import create_standalone_app
from sandbox.sandbox import Sandbox
from sandbox.server import run_in_thread

__all__ = ["Sandbox", "create_standalone_app", "run_in_thread"]
