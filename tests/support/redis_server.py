"""A redis-server of the test's own, on a free port, that the test can kill and start again (with
the data it saved), for outage tests against a real Redis rather than a mock. Always stopped."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.support.service import free_port


class RedisServer:
    def __init__(self, directory: Path, binary: str) -> None:
        self.directory, self.binary, self.port = directory, binary, free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start on the same port, loading what `save` wrote last."""
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        args += ["--save", "", "--appendonly", "no", "--logfile", str(self.directory / "redis.log")]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.RedisError), redis.Redis(port=self.port, socket_timeout=1) as client:
                if client.ping():
                    return
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: {(self.directory / 'redis.log').read_text()[-500:]}")
            time.sleep(0.05)

    def save(self) -> None:
        with redis.Redis(port=self.port, socket_timeout=5) as client:
            client.save()

    def kill(self) -> None:
        """Gone at once, as a crash or a network cut would leave it (SIGKILL: nothing saved)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("redis-server not installed and REQUIRE_SERVICES=1")
        pytest.skip("redis-server not installed")
    server = RedisServer(tmp_path, binary)
    server.start()
    try:
        yield server
    finally:
        server.kill()
