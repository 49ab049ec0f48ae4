"""`/sandbox/api-key`: the key of this sandbox's API, for the `billing` command beside the service.

Each sandbox instance has a key of its own (a new sandbox is another account); the CLI, a process
of its own, asks the running one for it. Not a secret: a sandbox key moves no money, the sandbox
listens on loopback only, and its sign-in page hands out admin tokens to the same callers anyway.
"""

from typing import TYPE_CHECKING, Any

from litestar import get

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox


def handlers(sb: "Sandbox") -> list[Any]:
    @get("/api-key", sync_to_thread=False)
    def api_key() -> dict[str, str]:
        return {"secret_key": sb.secret_key, "api_prefix": sb.api_prefix}

    return [api_key]
