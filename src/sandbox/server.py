"""`run_in_thread`: serve the standalone app with uvicorn on a free loopback port, for tests."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import uvicorn

from sandbox.app import create_standalone_app

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox


@contextmanager
def run_in_thread(
    sb: "Sandbox",
    host: str = "127.0.0.1",
    port: int = 0,
    adopt_url: bool = True,
    startup_timeout: float = 10.0,
) -> Iterator[str]:
    """Yield the base URL while the server runs; by default the sandbox adopts it as its public URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    if adopt_url:
        sb.public_url = base_url
    config = uvicorn.Config(create_standalone_app(sb), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.01)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
