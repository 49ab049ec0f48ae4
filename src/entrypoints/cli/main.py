"""`billing` command line: serve, migrate, and operate stored webhook events and effects.

It calls the same use cases through the same container as the HTTP app.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from entrypoints.settings import Settings, SettingsError, load_settings, refuse_unsafe_serving


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from entrypoints.logging_setup import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    from sqlalchemy.exc import SQLAlchemyError

    from application.errors import StorageUnavailable

    try:
        result: int = args.func(settings, args)
    except (StorageUnavailable, SQLAlchemyError, OSError) as exc:
        # A database that does not answer is an operator's problem, not a bug: one line, no traceback.
        print(f"error: DATABASE_URL: the database did not answer ({type(exc).__name__})", file=sys.stderr)
        return 1
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="billing", description=__doc__)
    commands = parser.add_subparsers(required=True)

    serve = commands.add_parser("serve", help="apply migrations, then serve the API on HOST:PORT")
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-migrate", action="store_true")
    serve.set_defaults(func=_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database to the newest schema (or --down)")
    migrate.add_argument("--down", metavar="REVISION", help="downgrade to REVISION (e.g. base)")
    migrate.set_defaults(func=_migrate)

    events = commands.add_parser("events", help="stored webhook events")
    events_commands = events.add_subparsers(required=True)
    failed = events_commands.add_parser("failed", help="list recent failed events")
    failed.add_argument("--limit", type=int, default=20)
    failed.set_defaults(func=lambda s, a: _run(_list_failed(s, a.limit)))
    replay = events_commands.add_parser("replay", help="re-run failed events, or one event by id")
    replay.add_argument("event_id", nargs="?")
    replay.add_argument("--limit", type=int, default=100)
    replay.set_defaults(func=lambda s, a: _run(_replay(s, a.event_id, a.limit)))

    pull = events_commands.add_parser("pull", help="fetch handled events Stripe sent but the service never stored")
    start = pull.add_mutually_exclusive_group()
    start.add_argument("--since", metavar="ISO8601", help="from this time (default: a little before the newest stored)")
    start.add_argument("--hours", type=float, metavar="N", help="from N hours ago")
    pull.set_defaults(func=lambda s, a: _run(_pull(s, a.since, a.hours)))

    sync = commands.add_parser(
        "sync", help="compare stored customers, subscriptions and open orders with Stripe; repair"
    )
    sync.add_argument("--dry-run", action="store_true", help="report differences, change nothing")
    sync.set_defaults(func=lambda s, a: _run(_sync(s, a.dry_run)))

    doctor = commands.add_parser("doctor", help="check the configuration and every service the app depends on")
    doctor.set_defaults(func=lambda s, a: _run(_doctor(s)))
    webhooks = commands.add_parser("webhooks", help="the Stripe webhook endpoint of this service")
    webhooks_commands = webhooks.add_subparsers(required=True)
    setup = webhooks_commands.add_parser("setup", help="create or update it with exactly the handled event types")
    setup.set_defaults(func=lambda s, a: _run(_webhooks_setup(s)))

    effects = commands.add_parser("effects", help="outbox side effects (e-mails, Stripe metadata)")
    effects_commands = effects.add_subparsers(required=True)
    run_effects = effects_commands.add_parser("run", help="perform pending side effects now")
    run_effects.set_defaults(func=lambda s, a: _run(_run_effects(s)))
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    try:
        refuse_unsafe_serving(settings)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if settings.sandbox_mode and args.workers > 1:
        # Each worker would hold its own in-memory sandbox (own state, webhook secret and sign-in key)
        print(
            "error: --workers: the embedded Stripe sandbox serves one process only; set STRIPE_SECRET_KEY",
            file=sys.stderr,
        )
        return 2
    if not args.no_migrate:
        _migrate(settings, argparse.Namespace(down=None))
    from entrypoints.http.bounded_protocol import BoundedHttpToolsProtocol

    # Once uvicorn has shut down for a SIGTERM it raises the signal again; the default handler would
    # end the process there, before the cleanup below (the metrics directory would stay behind).
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with contextlib.ExitStack() as stack:
        if settings.metrics_enabled:  # before any import of prometheus-client (see the module)
            from adapters.prometheus.multiprocess import multiprocess_directory

            stack.enter_context(multiprocess_directory())
        uvicorn.run(
            "entrypoints.http.asgi:app_from_env",
            factory=True,
            http=BoundedHttpToolsProtocol,
            host=settings.host,
            port=settings.port,
            workers=args.workers,
            log_config=None,
            proxy_headers=False,
        )
    return 0


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from adapters.persistence.migrate import downgrade, upgrade

    if args.down:
        downgrade(settings.database_url, args.down)
    else:
        upgrade(settings.database_url)
    return 0


def _run(coro: object) -> int:
    result: int = asyncio.run(coro)  # type: ignore[arg-type]
    return result


async def _list_failed(settings: Settings, limit: int) -> int:
    from entrypoints.cli.operations import list_failed_events

    lines = await list_failed_events(settings, limit)
    for line in lines:
        print(line)
    print(f"{len(lines)} failed event(s)")
    return 0


async def _replay(settings: Settings, event_id: str | None, limit: int) -> int:
    from entrypoints.cli.operations import replay_events

    failures = 0
    results = await replay_events(settings, event_id, limit)
    for event, outcome in results:
        print(f"{event}\t{outcome}")
        failures += outcome.startswith("failed")
    print(f"replayed {len(results)}, failed {failures}")
    return 1 if failures else 0


async def _pull(settings: Settings, since: str | None, hours: float | None) -> int:
    from entrypoints.cli.drift import pull, pull_start

    try:
        start = pull_start(since, hours)
    except ValueError:
        print("error: --since: must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z", file=sys.stderr)
        return 2
    return await pull(settings, since=start)


async def _sync(settings: Settings, dry_run: bool) -> int:
    from entrypoints.cli.drift import sync

    return await sync(settings, dry_run=dry_run)


async def _doctor(settings: Settings) -> int:
    from entrypoints.cli.doctor import doctor

    return await doctor(settings)


async def _webhooks_setup(settings: Settings) -> int:
    from entrypoints.cli.doctor import webhooks_setup

    return await webhooks_setup(settings)


async def _run_effects(settings: Settings) -> int:
    from entrypoints.cli.operations import run_pending_effects

    print(f"{await run_pending_effects(settings)} effect(s) performed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
