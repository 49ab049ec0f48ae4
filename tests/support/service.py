"""Run the real service in its own uvicorn process(es), as `make run` does, for tests that need
several workers sharing PostgreSQL/Redis, and for the end-to-end journeys. Bounded start-up wait;
always stopped. With `log_path`, the process's log (stderr) goes to that file, for tests to read."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60.0  # imports and migrations on a loaded CI machine


def clean_environ() -> dict[str, str]:
    """This process's environment without the Stripe, Clerk, Redis and SMTP settings a shell may carry."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "CLERK_", "REDIS_", "SMTP_"))}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def service_process(
    env: Mapping[str, str],
    *,
    port: int | None = None,
    migrate: bool = True,
    log_path: Path | None = None,
    args: Sequence[str] = (),
) -> Iterator[str]:
    """Start one service process with `env` (over a clean base); yield its base URL."""
    with running_service(env, port=port, migrate=migrate, log_path=log_path, args=args) as (base, _):
        yield base


@contextlib.contextmanager
def running_service(
    env: Mapping[str, str],
    *,
    port: int | None = None,
    migrate: bool = True,
    log_path: Path | None = None,
    args: Sequence[str] = (),
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start one service process with `env` (over a clean base); yield its base URL and the process.

    `log_path`: write the process's stderr (its log) there instead of a pipe nobody reads, which
    would block the process once full. `args`: extra `serve` arguments, e.g. `("--workers", "2")`."""
    port = port or free_port()
    full_env = clean_environ()
    full_env.update({"HOST": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "WARNING", **env})
    # Let the process cache bytecode as a plain `make run` does: compiling every import from source
    # again in each started process costs seconds of CPU (the venv is installed without .pyc files).
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    log_file = open(log_path, "ab") if log_path is not None else None  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        # `serve` applies pending migrations before it listens, as `make run` does (one process start, not two)
        [sys.executable, "-m", "entrypoints.cli.main", "serve", *(() if migrate else ("--no-migrate",)), *args],
        env=full_env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log_file if log_file is not None else subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"service exited: {_tail(proc, log_path)}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"service did not start within {STARTUP_SECONDS:.0f} s: {_tail(proc, log_path)}")
            time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log_file is not None:
            log_file.close()


def _tail(proc: subprocess.Popen[bytes], log_path: Path | None) -> str:
    if log_path is not None:
        return log_path.read_text(errors="replace")[-2000:]
    if proc.stderr is None or proc.poll() is None:  # a running process's pipe would block the read
        return ""
    return proc.stderr.read().decode(errors="replace")[-2000:]
