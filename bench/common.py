"""Shared plumbing: child processes (service, Stripe sandbox, bare app), a throw-away PostgreSQL
database, load generators (httpx always, wrk when installed) and latency statistics.

Everything listens on 127.0.0.1 only; every wait is bounded; every child is stopped by its own pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
STRIPE_KEY = "sk_test_bench"
WEBHOOK_SECRET = "whsec_bench_" + "0" * 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


@dataclass
class Stats:
    """One load run: how many requests, how long, and their latencies (ms)."""

    requests: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    tool: str = "httpx"
    p50_ms: float | None = None  # given directly by tools that do not report every latency (wrk)
    p99_ms: float | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        p50 = self.p50_ms if self.p50_ms is not None else percentile(ordered, 50)
        p99 = self.p99_ms if self.p99_ms is not None else percentile(ordered, 99)
        return {
            "tool": self.tool,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rate_per_s": round(self.rate, 1),
            "p50_ms": round(p50, 2),
            "p99_ms": round(p99, 2),
            "max_ms": round(ordered[-1], 2) if ordered else None,
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


# ---------------------------------------------------------------------------------------------- processes


class Child:
    """A child process in its own session (so a multi-worker uvicorn goes down as one group), with
    its output in a temp file that is shown when it fails."""

    def __init__(self, name: str, args: Sequence[str], env: Mapping[str, str]) -> None:
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen(
            list(args), env=dict(env), cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def tail(self, chars: int = 3000) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-chars:]

    def wait_http(self, url: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{self.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer {url} within {timeout:.0f} s:\n{self.tail()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)  # our own child's group, by its id
                self.proc.wait(timeout=5)
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "CLERK_", "REDIS_", "SMTP_"))}
    env.pop("DATABASE_URL", None)
    env.update(extra)
    return env


@dataclass
class Running:
    base: str
    pid: int


@contextlib.contextmanager
def stripe_server() -> Iterator[Running]:
    """The sandbox in its own process; yields its base URL and pid."""
    port = free_port()
    child = Child(
        "stripe",
        [sys.executable, "-m", "bench.stripe_server", "--port", str(port), "--secret-key", STRIPE_KEY],
        clean_env({}),
    )
    base = f"http://{HOST}:{port}"
    try:
        child.wait_http(f"{base}/bench/health")
        yield Running(base, child.proc.pid)
    finally:
        child.stop()


def service_env(
    database_url: str, stripe_base: str, *, redis_url: str | None, jwt_key: str | None = None
) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_API_BASE": stripe_base,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_CHECKOUT": "1000/1 second",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    if jwt_key:
        env["CLERK_JWT_KEY"] = jwt_key
    return env


def migrate(env: Mapping[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", "migrate"],
        env=clean_env(env),
        cwd=ROOT,
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def service(env: Mapping[str, str], workers: int = 1) -> Iterator[Running]:
    """`billing serve --workers N --no-migrate`, as `make run` serves; yields its URL and pid."""
    port = free_port()
    child = Child(
        f"service-{workers}w",
        [sys.executable, "-m", "entrypoints.cli.main", "serve", "--no-migrate", "--workers", str(workers)],
        clean_env({**env, "HOST": HOST, "PORT": str(port)}),
    )
    base = f"http://{HOST}:{port}"
    try:
        child.wait_http(f"{base}/api/health")
        if workers > 1:  # let every worker finish starting before load begins
            time.sleep(1.5)
        yield Running(base, child.proc.pid)
    finally:
        child.stop()


@contextlib.contextmanager
def floor_app(database_url: str, workers: int) -> Iterator[Running]:
    """The store-first floor (`bench.floor_app`) on the bench's database, uvicorn with `workers`."""
    port = free_port()
    pg_url = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    env = clean_env({"BENCH_FLOOR_PG": pg_url, "BENCH_FLOOR_SECRET": WEBHOOK_SECRET})
    child = Child(
        f"floor-{workers}w",
        [sys.executable, "-m", "bench.floor_app", "--port", str(port), "--workers", str(workers)],
        env,
    )
    base = f"http://{HOST}:{port}"
    try:
        child.wait_http(f"{base}/health")
        if workers > 1:  # as for the service: every worker started before the load
            time.sleep(1.5)
        yield Running(base, child.proc.pid)
    finally:
        child.stop()


@contextlib.contextmanager
def bare_app(body: bytes) -> Iterator[Running]:
    port = free_port()
    with tempfile.NamedTemporaryFile(prefix="bench-body-", suffix=".json", delete=False) as f:
        f.write(body)
    child = Child(
        "bare", [sys.executable, "-m", "bench.bare_app", "--port", str(port), "--body", f.name], clean_env({})
    )
    base = f"http://{HOST}:{port}"
    try:
        child.wait_http(f"{base}/health")
        yield Running(base, child.proc.pid)
    finally:
        child.stop()
        os.unlink(f.name)


# ---------------------------------------------------------------------------------------------- CPU accounting

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds user+system) of a live process, from /proc (Linux only)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def process_tree_cpu(root: int) -> float:
    """CPU seconds used so far by `root` and its live descendants (uvicorn's supervisor and workers)."""
    parents: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            parents[int(entry.name)] = stat
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, _) in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(parents[pid][1] for pid in tree if pid in parents)


def process_tree_rss_mb(root: int) -> dict[int, float]:
    """Resident memory (MB) of `root` and each live descendant, by pid (VmRSS from /proc)."""
    pids = [root] + [
        int(e.name)
        for e in (Path("/proc").iterdir() if Path("/proc").is_dir() else ())
        if e.name.isdigit() and _descends(int(e.name), root)
    ]
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS:"))
            out[pid] = round(int(line.split()[1]) / 1024, 1)
    return out


def _descends(pid: int, root: int) -> bool:
    seen = set()
    while pid not in (0, 1) and pid not in seen:
        seen.add(pid)
        stat = _proc_stat(pid)
        if stat is None:
            return False
        pid = stat[0]
        if pid == root:
            return True
    return False


def pids_cpu(pids: Sequence[int]) -> dict[int, float]:
    return {pid: stat[1] for pid in pids if (stat := _proc_stat(pid)) is not None}


class CpuMeter:
    """CPU seconds spent during a window by the service's processes and by its PostgreSQL backends.

    On a shared machine wall-clock rates move with the neighbours' load; CPU per request does not
    (much), so both are reported."""

    def __init__(self, service_pid: int, admin_pg_url: str, database: str, stripe_pid: int | None = None) -> None:
        self.service_pid, self.admin_pg_url, self.database = service_pid, admin_pg_url, database
        self.stripe_pid = stripe_pid

    async def _backends(self) -> list[int]:
        rows = await pg_fetch_args(
            self.admin_pg_url, "SELECT pid FROM pg_stat_activity WHERE datname = $1", self.database
        )
        return [int(r[0]) for r in rows]

    async def start(self) -> None:
        self._service = process_tree_cpu(self.service_pid)
        self._pg = pids_cpu(await self._backends())
        self._bench = time.process_time()
        self._stripe = process_tree_cpu(self.stripe_pid) if self.stripe_pid else 0.0

    async def stop(self) -> dict[str, float]:
        service = process_tree_cpu(self.service_pid) - self._service
        bench = time.process_time() - self._bench
        now = pids_cpu(await self._backends())
        postgres = sum(cpu - self._pg.get(pid, 0.0) for pid, cpu in now.items())
        stripe = process_tree_cpu(self.stripe_pid) - self._stripe if self.stripe_pid else 0.0
        return {
            "service_cpu_s": round(service, 3),
            "postgres_cpu_s": round(postgres, 3),
            "client_cpu_s": round(bench, 3),
            "stripe_cpu_s": round(stripe, 3),
        }


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


# ---------------------------------------------------------------------------------------------- PostgreSQL


@contextlib.asynccontextmanager
async def postgres_database(admin_url: str, prefix: str = "bench") -> AsyncIterator[str]:
    """A fresh `<prefix>_<random>` database, dropped afterwards; yields its SQLAlchemy URL."""
    import asyncpg

    name = f"{prefix}_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_url, timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    await admin(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def pg_fetch_args(database_url: str, sql: str, *args: Any) -> list[Any]:
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1), timeout=10)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


# ---------------------------------------------------------------------------------------------- load


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams (loopback only).

    httpx's pool costs the client about a millisecond of CPU per request and degrades with many
    connections; on a 2-core machine the load generator would then be what is measured. This one
    costs tens of microseconds, so the server is the bottleneck, as it should be."""

    def __init__(self, base: str) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(base)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError("the bench only talks to loopback servers")
        self.host, self.port = parts.hostname, parts.port or 80
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, bytes]:
        """Send one request and read the whole response; raises OSError/IncompleteReadError on failure
        (the connection is then dropped and reopened by the next request)."""
        try:
            reader, writer = await self._open()
            head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
            writer.write(head.encode() + b"\r\n" + body)
            raw = await reader.readuntil(b"\r\n\r\n")
            status = int(raw[9:12])
            lines = raw.decode("latin-1").lower().split("\r\n")
            fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            if "content-length" in fields:
                content = await reader.readexactly(int(fields["content-length"]))
            elif fields.get("transfer-encoding") == "chunked":
                chunks = []
                while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                    chunks.append(await reader.readexactly(size + 2))
                await reader.readuntil(b"\r\n")
                content = b"".join(c[:-2] for c in chunks)
            else:
                content = b""
            if fields.get("connection") == "close":
                self.close()
            return status, content
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            self.close()
            raise


async def raw_get_load(base: str, path: str, *, connections: int, seconds: float, warmup: float = 1.0) -> Stats:
    """N keep-alive connections (RawConnection), each sending GETs back to back for `seconds`."""
    conns = [RawConnection(base) for _ in range(connections)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    stop_at = 0.0
    recording = False

    async def worker(conn: RawConnection) -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            try:
                status, _ = await conn.request("GET", path)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                errors += 1
                await asyncio.sleep(0.01)
                continue
            if recording:
                latencies.append((time.perf_counter() - start) * 1000)
                statuses[status] = statuses.get(status, 0) + 1

    try:
        stop_at = time.perf_counter() + warmup
        await asyncio.gather(*(worker(c) for c in conns))
        recording, errors = True, 0
        began = time.perf_counter()
        stop_at = began + seconds
        await asyncio.gather(*(worker(c) for c in conns))
        elapsed = time.perf_counter() - began
    finally:
        for conn in conns:
            conn.close()
    errors += sum(n for status, n in statuses.items() if status != 200)
    return Stats(len(latencies), elapsed, latencies, errors, statuses, tool=f"asyncio c={connections}")


async def httpx_get_load(url: str, *, connections: int, seconds: float, warmup: float = 1.0) -> Stats:
    """N keep-alive connections, each sending GETs back to back for `seconds` (after a warm-up)."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        stop_at = 0.0
        recording = False

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop_at:
                start = time.perf_counter()
                try:
                    response = await client.get(url)
                    await response.aread()
                    status = response.status_code
                except httpx.HTTPError:
                    errors += 1
                    continue
                if recording:
                    latencies.append((time.perf_counter() - start) * 1000)
                    statuses[status] = statuses.get(status, 0) + 1

        stop_at = time.perf_counter() + warmup
        await asyncio.gather(*(worker() for _ in range(connections)))
        recording = True
        began = time.perf_counter()
        stop_at = began + seconds
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    return Stats(len(latencies), elapsed, latencies, errors, statuses, tool=f"httpx c={connections}")


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not found:
        return float("nan")
    return float(found.group(1)) * _UNITS[found.group(2)]


def wrk_load(url: str, *, connections: int, seconds: float, threads: int = 1, warmup: bool = True) -> Stats:
    if warmup:
        subprocess.run(["wrk", "-t1", "-c4", "-d1s", url], capture_output=True, timeout=30, check=False)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=False,
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in ([\d.]+\w+)", out)
    p50 = re.search(r"50%\s+(\S+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if not (rate and total):
        raise RuntimeError(f"could not read wrk output:\n{out}")
    requests = int(total.group(1))
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return Stats(
        requests,
        requests / float(rate.group(1)) if float(rate.group(1)) else 0.0,
        [],
        errors,
        {},
        tool=f"wrk t={threads} c={connections}",
        p50_ms=_ms(p50.group(1)) if p50 else float("nan"),
        p99_ms=_ms(p99.group(1)) if p99 else float("nan"),
    )


# ---------------------------------------------------------------------------------------------- output


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
