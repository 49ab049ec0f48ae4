"""Issue 11 #4 against a real `billing serve` process on loopback: a burst of oversized requests
(10 MB webhook bodies, with a length and chunked, and 4 MB headers) is refused early and leaves the
process's memory where it was. Before the bounds, 120 such requests took a worker from 130 MB to
about 590 MB, and it kept it."""

from __future__ import annotations

import contextlib
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from entrypoints.http.limits import HEAD_MAX_BYTES
from tests.support.service import free_port, running_service

BURST = 120
OVERSIZED_BODY = 10 * 1024 * 1024
OVERSIZED_HEADER = 4 * 1024 * 1024
# Allocator noise and the first requests' caches stay well under this; the unbounded service grew by
# hundreds of MB.
ALLOWED_GROWTH_MB = 40


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _send(base: str, head: bytes, body_chunks: int = 0, chunked: bool = False) -> None:
    """Write one request as fast as the server reads it; stop when it answers or closes."""
    parts = urlsplit(base)
    with contextlib.suppress(OSError), socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head)
        piece = b"x" * (64 * 1024)
        for _ in range(body_chunks):
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        with contextlib.suppress(OSError):
            sock.recv(4096)


def oversized(base: str, i: int) -> None:
    kind = i % 3
    if kind == 0:  # a 10 MB webhook body with its length
        head = b"POST /api/webhooks/stripe HTTP/1.1\r\nHost: t\r\nStripe-Signature: t=1,v1=0\r\n"
        _send(base, head + b"Content-Length: %d\r\n\r\n" % OVERSIZED_BODY, OVERSIZED_BODY // (64 * 1024))
    elif kind == 1:  # the same, chunked: no length to refuse up front
        head = b"POST /api/webhooks/stripe HTTP/1.1\r\nHost: t\r\nStripe-Signature: t=1,v1=0\r\n"
        _send(base, head + b"Transfer-Encoding: chunked\r\n\r\n", OVERSIZED_BODY // (64 * 1024), chunked=True)
    else:  # a 4 MB bearer token
        token = b"a" * OVERSIZED_HEADER
        _send(base, b"GET /api/me/billing HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token + b"\r\n\r\n")


def burst(base: str, count: int = BURST, concurrency: int = 8) -> None:
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda i: oversized(base, i), range(count)))


def test_a_burst_of_oversized_requests_leaves_memory_flat_and_the_service_serving(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"}
    with running_service(env, port=free_port(), log_path=tmp_path / "service.log") as (base, proc):
        burst(base, count=12)  # first requests fill caches and pools: not what is measured
        before = rss_mb(proc.pid)

        burst(base)
        after = rss_mb(proc.pid)

        assert after - before < ALLOWED_GROWTH_MB, f"RSS {before:.0f} MB -> {after:.0f} MB"
        assert httpx.get(f"{base}/api/health", timeout=10).status_code == 200
        refused = httpx.get(f"{base}/api/health", headers={"X-Padding": "a" * HEAD_MAX_BYTES}, timeout=10)
        assert refused.status_code == 431
        assert refused.headers["content-type"] == "application/problem+json"
