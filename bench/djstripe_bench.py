"""The dj-stripe side of the webhook comparison: `python -m bench djstripe`.

The budget is phrased against dj-stripe ("~115 events/s on 2 cores, ~26/s with Stripe at 50 ms");
this measures dj-stripe on this machine with the same harness as `python -m bench webhook`:

* a separate virtualenv, bench/.djstripe-venv (git-ignored), with the exact versions pinned in
  bench/djstripe/requirements.txt (dj-stripe, Django, stripe, gunicorn, psycopg), made once and
  re-made when that file changes;
* the minimal Django project in bench/djstripe/ (dj-stripe configured for webhooks in test mode, the
  Stripe API host = the stand-in) on a throw-away PostgreSQL database `bench_djstripe_<random>`,
  dj-stripe's migrations applied, its webhook endpoint registered with the bench's signing secret;
* served by gunicorn, sync workers (default 2 x cores + 1, gunicorn's recommendation), 127.0.0.1 only;
* the same Stripe stand-in (bench/stripe_server.py, plus the bench-only reads dj-stripe needs: the
  account, payment methods, product features, two `expand`s), the same objects and the same event
  stream as the webhook bench: the stream is built by `webhook.build_workload` through our
  service's checkout route (our service runs for the setup only and is stopped before dj-stripe is
  measured); then `webhook.calibrate` and `webhook.drive` post it, signed, to dj-stripe's webhook
  URL (32 in flight, ~10 % duplicates);
* measured: events/s, p50/p99, non-200, Stripe calls per event (the stand-in's log, by endpoint,
  with the ones it answered with an error), CPU ms per event of gunicorn (master + all workers),
  dj-stripe's PostgreSQL backends, the stand-in and the load generator, load average; and what
  dj-stripe recorded (its WebhookEventTrigger rows: valid / processed / raised, by event type, and
  the exceptions; its Event rows and synced objects).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from bench import common, webhook

VENV = common.ROOT / "bench" / ".djstripe-venv"
REQUIREMENTS = common.ROOT / "bench" / "djstripe" / "requirements.txt"
SETTINGS = "bench.djstripe.settings"
# dj-stripe checks key shapes (`sk_test_` + at least 24 letters/digits); the stand-in accepts it
# besides common.STRIPE_KEY, which our service (setup only) keeps using.
DJSTRIPE_KEY = "sk_test_" + "djstripeBench" + "0" * 16
DEFAULT_WORKERS = 2 * (os.cpu_count() or 1) + 1  # gunicorn's documented starting point
# webhook.endpoint's ids, plus those only dj-stripe asks for
_ID = re.compile(r"/(cs_test|cs|pi|sub|prod|price|cus|si|pm|ch|acct|in|txn|evt|we)_[A-Za-z0-9]+")
OBJECT_TABLES = (
    "djstripe_account",
    "djstripe_apikey",
    "djstripe_customer",
    "djstripe_paymentintent",
    "djstripe_session",
    "djstripe_subscription",
    "djstripe_subscriptionitem",
    "djstripe_product",
    "djstripe_price",
    "djstripe_paymentmethod",
    "djstripe_charge",
    "djstripe_invoice",
)


# ---------------------------------------------------------------------------------------------- virtualenv


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """The dj-stripe virtualenv, created (python3 -m venv + pip, pinned) once and cached; re-made when
    requirements.txt changes. Never touches the project's own .venv."""
    # The interpreter the service runs on (same version: like with like), by its base installation.
    base = getattr(sys, "_base_executable", None) or shutil.which("python3") or sys.executable
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes() + f"\n{base} {sys.version}".encode()).hexdigest()
    stamp = VENV / ".bench-requirements.sha256"
    if _venv_python().exists() and stamp.is_file() and stamp.read_text().strip() == wanted:
        return _venv_python()
    print(f"  dj-stripe: creating {VENV.relative_to(common.ROOT)} from {REQUIREMENTS.relative_to(common.ROOT)}")
    subprocess.run([base, "-m", "venv", "--clear", str(VENV)], check=True, timeout=300)
    subprocess.run(
        [
            str(_venv_python()),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            "-r",
            str(REQUIREMENTS),
        ],
        check=True,
        timeout=900,
    )
    stamp.write_text(wanted + "\n")
    return _venv_python()


def versions(python: Path) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys; "
        "print(json.dumps({'python': sys.version.split()[0], **{n: m.version(n) for n in "
        "('dj-stripe', 'Django', 'stripe', 'gunicorn', 'psycopg')}}))"
    )
    out = subprocess.run([str(python), "-c", code], check=True, timeout=60, capture_output=True, text=True)
    return dict(json.loads(out.stdout))


# ---------------------------------------------------------------------------------------------- processes


def django_env(db: Mapping[str, str], stripe_base: str) -> dict[str, str]:
    env = common.clean_env(
        {
            "PYTHONPATH": str(common.ROOT),  # `bench.djstripe.*`; no src/ (nothing of the service in there)
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "BENCH_DJSTRIPE_DB_NAME": db["name"],
            "BENCH_DJSTRIPE_DB_HOST": db["host"],
            "BENCH_DJSTRIPE_DB_PORT": db["port"],
            "BENCH_DJSTRIPE_DB_USER": db["user"],
            "BENCH_DJSTRIPE_DB_PASSWORD": db["password"],
            "BENCH_DJSTRIPE_STRIPE_KEY": DJSTRIPE_KEY,
            "BENCH_DJSTRIPE_STRIPE_BASE": stripe_base,
            "BENCH_DJSTRIPE_WEBHOOK_SECRET": common.WEBHOOK_SECRET,
        }
    )
    for name in ("VIRTUAL_ENV", "PYTHONHOME"):
        env.pop(name, None)
    return env


def django_setup(python: Path, env: Mapping[str, str]) -> str:
    """dj-stripe's migrations, then its webhook endpoint; returns the endpoint's path."""
    subprocess.run(
        [str(python), "-m", "django", "migrate", "--noinput", "-v", "0"],
        env=dict(env),
        cwd=common.ROOT,
        check=True,
        timeout=300,
    )
    out = subprocess.run(
        [str(python), "-m", "bench.djstripe.endpoint"],
        env=dict(env),
        cwd=common.ROOT,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return str(json.loads(out.stdout.strip().splitlines()[-1])["path"])


@contextlib.contextmanager
def stand_in() -> Iterator[common.Running]:
    """The Stripe stand-in (as common.stripe_server), also accepting dj-stripe's key and serving the reads
    dj-stripe needs that the sandbox lacks (bench/stripe_server.py, --djstripe-reads)."""
    port = common.free_port()
    child = common.Child(
        "stripe",
        [
            sys.executable,
            "-m",
            "bench.stripe_server",
            "--port",
            str(port),
            "--secret-key",
            common.STRIPE_KEY,
            "--extra-key",
            DJSTRIPE_KEY,
            "--djstripe-reads",
        ],
        common.clean_env({}),
    )
    base = f"http://{common.HOST}:{port}"
    try:
        child.wait_http(f"{base}/bench/health")
        yield common.Running(base, child.proc.pid)
    finally:
        child.stop()


@contextlib.contextmanager
def gunicorn(python: Path, env: Mapping[str, str], workers: int) -> Iterator[common.Running]:
    """`gunicorn bench.djstripe.wsgi` with `workers` sync workers on 127.0.0.1; yields URL and master pid."""
    port = common.free_port()
    child = common.Child(
        f"djstripe-gunicorn-{workers}w",
        [
            str(python.parent / "gunicorn"),
            "bench.djstripe.wsgi:application",
            "--bind",
            f"{common.HOST}:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
        ],
        env,
    )
    base = f"http://{common.HOST}:{port}"
    try:
        child.wait_http(f"{base}/health/")
        _wait_workers(child.proc.pid, workers, timeout=30)
        time.sleep(1.0)  # every worker has imported Django and dj-stripe by now
        yield common.Running(base, child.proc.pid)
    finally:
        child.stop()


def _wait_workers(master: int, workers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = 0
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError):
                    if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                        children += 1
        if children >= workers:
            return
        time.sleep(0.2)


# ---------------------------------------------------------------------------------------------- PostgreSQL


@contextlib.asynccontextmanager
async def djstripe_database(admin_url: str) -> AsyncIterator[dict[str, str]]:
    """A fresh `bench_djstripe_<random>` database, dropped afterwards; yields its connection parts."""
    from urllib.parse import urlsplit

    async with common.postgres_database(admin_url, prefix="bench_djstripe") as url:
        parts, name = urlsplit(admin_url), url.rsplit("/", 1)[1]
        yield {
            "name": name,
            "host": parts.hostname or common.HOST,
            "port": str(parts.port or 5432),
            "user": parts.username or "postgres",
            "password": parts.password or "",
            "url": f"{admin_url.rsplit('/', 1)[0]}/{name}",
        }


async def verify(database_url: str, sent_ids: set[str]) -> dict[str, Any]:
    """What dj-stripe recorded for the events of one run: its triggers (one per delivery) by event type,
    the exceptions they raised, its Event rows, and how many objects of each kind it holds."""
    ids = sorted(sent_ids)
    label = (
        "CASE WHEN b->>'type' = 'checkout.session.completed' "
        "THEN 'checkout.session.completed (' || coalesce(b->'data'->'object'->>'mode', '?') || ')' "
        "ELSE b->>'type' END"
    )
    triggers = await common.pg_fetch_args(
        database_url,
        f"""
        WITH t AS (SELECT valid, processed, exception, body::jsonb AS b FROM djstripe_webhookeventtrigger)
        SELECT {label}, count(*), count(*) FILTER (WHERE valid), count(*) FILTER (WHERE processed),
               count(*) FILTER (WHERE exception <> '')
        FROM t WHERE b->>'id' = ANY($1::text[]) GROUP BY 1 ORDER BY 1
        """,
        ids,
    )
    raised = await common.pg_fetch_args(
        database_url,
        f"""
        WITH t AS (SELECT exception, body::jsonb AS b FROM djstripe_webhookeventtrigger WHERE exception <> '')
        SELECT {label}, exception FROM t WHERE b->>'id' = ANY($1::text[])
        """,
        ids,
    )
    exceptions = Counter((r[0], _normalized(r[1])) for r in raised).most_common(20)
    events = await common.pg_fetch_args(
        database_url, "SELECT type, count(*) FROM djstripe_event WHERE id = ANY($1::text[]) GROUP BY 1 ORDER BY 1", ids
    )
    objects = {}
    for table in OBJECT_TABLES:
        rows = await common.pg_fetch_args(database_url, f"SELECT count(*) FROM {table}")  # names from the tuple above
        objects[table.removeprefix("djstripe_")] = rows[0][0]
    by_type = {r[0]: {"triggers": r[1], "valid": r[2], "processed": r[3], "raised": r[4]} for r in triggers}
    return {
        "triggers_by_type": by_type,
        "triggers": {k: sum(v[k] for v in by_type.values()) for k in ("triggers", "valid", "processed", "raised")},
        "exceptions": [{"event": e, "exception": x, "count": n} for (e, x), n in exceptions],
        "events_stored": {r[0]: r[1] for r in events},
        "events_stored_total": sum(r[1] for r in events),
        "events_sent_distinct": len(sent_ids),
        "objects": objects,
    }


def _normalized(text: str) -> str:
    """An exception message without its request id and object ids, so that equal causes group."""
    return _ID.sub(lambda m: f"/{m.group(1)}_…", re.sub(r"^Request req_\w+: ", "", text))


def endpoint(method: str, path: str) -> str:
    return f"{method} {_ID.sub('/{id}', path)}"


def _endpoints(counts: Mapping[str, int]) -> dict[str, int]:
    """webhook.StripeLog's endpoint counts with the ids it does not know folded too."""
    out: Counter[str] = Counter()
    for key, n in counts.items():
        out[_ID.sub("/{id}", key)] += n
    return dict(out)


async def postgres_backends(admin_pg_url: str, database: str) -> int:
    rows = await common.pg_fetch_args(
        admin_pg_url, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database
    )
    return int(rows[0][0])


# ---------------------------------------------------------------------------------------------- runs


@contextlib.contextmanager
def posting_to(path: str) -> Iterator[None]:
    """webhook.post_event posts to webhook.WEBHOOK_PATH; point it at dj-stripe's URL meanwhile, so the
    calibration and the load are literally the webhook bench's code."""
    saved = webhook.WEBHOOK_PATH
    webhook.WEBHOOK_PATH = path
    try:
        yield
    finally:
        webhook.WEBHOOK_PATH = saved


async def stripe_errors(client: httpx.AsyncClient, stripe_base: str, mark: int) -> dict[str, int]:
    """Stand-in requests since `mark` that it answered with an error, by endpoint and status."""
    data = (await client.get(f"{stripe_base}/bench/requests", params={"since": mark})).json()
    failed = Counter(f"{endpoint(m, p)} -> {s}" for m, p, s in data["entries"] if s >= 400)
    return dict(failed)


async def run_once(
    *,
    python: Path,
    env: Mapping[str, str],
    db: Mapping[str, str],
    admin_pg_url: str,
    webhook_path: str,
    stripe_base: str,
    stripe_pid: int,
    work: webhook.Workload,
    workers: int,
    stall_ms: float,
    concurrency: int,
    max_seconds: float,
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    with gunicorn(python, env, workers) as running:
        meter = common.CpuMeter(running.pid, admin_pg_url, db["name"], stripe_pid)
        async with httpx.AsyncClient(limits=limits, timeout=60) as client:
            log = webhook.StripeLog(client, stripe_base)
            await client.post(f"{stripe_base}/bench/stall", params={"ms": stall_ms})
            try:
                with posting_to(webhook_path):
                    cal_mark = await log.mark()
                    calibration = await webhook.calibrate(running.base, log, work.calibration)
                    for counts in calibration.values():
                        for phase in counts.values():
                            phase["endpoints"] = _endpoints(phase["endpoints"])
                    calibration_errors = await stripe_errors(client, stripe_base, cal_mark)
                    mark = await log.mark()
                    load_before = common.load_average()
                    await meter.start()
                    stats, by_label = await webhook.drive(running.base, work.load, concurrency, max_seconds)
                    cpu = await meter.stop()
                    load_after = common.load_average()
                    backends = await postgres_backends(admin_pg_url, db["name"])
                calls = _endpoints(await log.since(mark))
                load_errors = await stripe_errors(client, stripe_base, mark)
            finally:
                await client.post(f"{stripe_base}/bench/stall", params={"ms": 0})
    sent = {d.event_id for d in work.load} | {d.event_id for ds in work.calibration.values() for d in ds}
    unique = len({d.event_id for d in work.load})
    state = await verify(db["url"], sent)
    return {
        "workers": workers,
        "stall_ms": stall_ms,
        "deliveries": stats.requests,
        "unique_events": unique,
        "duplicates": len(work.load) - unique,
        **webhook.load_figures(stats, by_label, cpu, calls),
        "postgres_backends": backends,
        "load_average_before_after": [load_before, load_after],
        "stripe_errors_during_load": load_errors,
        "calibration": calibration,
        "stripe_errors_during_calibration": calibration_errors,
        "state_after": state,
    }


async def run(
    *,
    admin_pg_url: str,
    workers: list[int],
    stalls: list[float],
    events: int,
    concurrency: int,
    max_seconds: float,
) -> dict[str, Any]:
    python = ensure_venv()
    installed = versions(python)
    print(f"  dj-stripe: {installed}", flush=True)
    users = webhook.Users()
    runs: list[dict[str, Any]] = []
    async with common.postgres_database(admin_pg_url) as service_db, djstripe_database(admin_pg_url) as db:
        with stand_in() as stripe:
            env = django_env(db, stripe.base)
            t0 = time.perf_counter()
            path = django_setup(python, env)
            setup_django = time.perf_counter() - t0
            # The objects and events, exactly as the webhook bench makes them: our service's checkout
            # route (run for the setup only), the stand-in's hosted-page completion, then the events.
            common.migrate(common.service_env(service_db, stripe.base, redis_url=None))
            plan = list(itertools.product(stalls, workers))
            service_env = common.service_env(service_db, stripe.base, redis_url=None, jwt_key=users.public_pem)
            t0 = time.perf_counter()
            with common.service(service_env, workers=1) as service:
                async with httpx.AsyncClient(timeout=60) as client:
                    workloads = [
                        await webhook.build_workload(client, service.base, stripe.base, users, events, f"dj{n}")
                        for n in range(len(plan))
                    ]
            setup_workload = time.perf_counter() - t0
            print(
                f"  dj-stripe: migrations + endpoint {setup_django:.1f} s, workloads {setup_workload:.1f} s "
                f"(our service, stopped since); webhook {path}",
                flush=True,
            )
            for (stall, w), work in zip(plan, workloads, strict=True):
                print(
                    f"  dj-stripe: gunicorn {w} sync workers, Stripe stall {stall:g} ms, "
                    f"load average {common.load_average()}",
                    flush=True,
                )
                result = await run_once(
                    python=python,
                    env=env,
                    db=db,
                    admin_pg_url=admin_pg_url,
                    webhook_path=path,
                    stripe_base=stripe.base,
                    stripe_pid=stripe.pid,
                    work=work,
                    workers=w,
                    stall_ms=stall,
                    concurrency=concurrency,
                    max_seconds=max_seconds,
                )
                load, t = result["load"], result["state_after"]["triggers"]
                print(
                    f"    {result['deliveries']}/{len(work.load)} posted, {load['rate_per_s']:.0f} events/s, "
                    f"p50 {load['p50_ms']:.1f} ms, p99 {load['p99_ms']:.1f} ms, non-200: {load['errors']}; "
                    f"triggers {t['valid']} valid, {t['processed']} processed, {t['raised']} raised",
                    flush=True,
                )
                runs.append(result)
    return {
        "concurrency": concurrency,
        "events": events,
        "versions": installed,
        "webhook_path_template": "/stripe/webhook/<uuid>/",
        "settings": {
            "module": SETTINGS,
            "gunicorn": "sync workers",
            "conn_max_age": int(env.get("BENCH_DJSTRIPE_CONN_MAX_AGE", "600")),
            "stripe_api_version": "dj-stripe default",
            "gunicorn_default_workers": "2 x cores + 1",
        },
        "runs": runs,
    }


def report(result: dict[str, Any]) -> str:
    rows = []
    for r in result["runs"]:
        cpu, t = r["cpu_ms_per_delivery"], r["state_after"]["triggers"]
        rows.append(
            [
                *webhook.figure_cells(r),
                f"{cpu['service']:.2f}",
                f"{cpu['postgres']:.2f} ({r['postgres_backends']})",
                f"{cpu.get('stripe', 0.0):.2f} / {cpu['client']:.2f}",
                f"{webhook.capacity(cpu, r['workers']):.0f}",
                f"{r['load_average_before_after'][0][0]:.1f}" if r["load_average_before_after"][0] else "",
                f"{t['valid']}/{t['processed']}/{t['raised']} of {t['triggers']}",
                f"{r['state_after']['events_stored_total']}/{r['state_after']['events_sent_distinct']}",
            ]
        )
    v = result["versions"]
    out = [
        f"dj-stripe {v['dj-stripe']} (Django {v['Django']}, stripe {v['stripe']}, gunicorn {v['gunicorn']} sync, "
        f"psycopg {v['psycopg']}) — {result['events']} events + ~10% duplicates per run, "
        f"{result['concurrency']} concurrent posts, PostgreSQL",
        common.table(
            [
                *webhook.FIGURE_HEADS,
                "gunicorn CPU ms/evt",
                "PG CPU ms/evt (backends)",
                "Stripe / bench CPU ms/evt",
                "capacity evt/s",
                "loadavg",
                "triggers valid/processed/raised",
                "events stored",
            ],
            rows,
        ),
    ]
    if not result["runs"]:
        return "\n".join(out)
    out += ["", "Latency by event type (p50 / p99 ms)", webhook.latency_table(result["runs"])]
    first = result["runs"][0]
    out += ["", f"Stripe calls per event (sequential, {webhook.CALIBRATION_EVENTS} events per type, stand-in log)"]
    out.append(
        common.table(
            ["event", "calls/event", "endpoints (total)", "dup calls/event", "statuses"],
            [
                [
                    label,
                    f"{c['new']['stripe_calls_per_event']:g}",
                    ", ".join(f"{k} x{n}" for k, n in sorted(c["new"]["endpoints"].items())) or "-",
                    f"{c['duplicate']['stripe_calls_per_event']:g}",
                    " ".join(f"{s}x{n}" for s, n in c["new"]["statuses"].items()),
                ]
                for label, c in first["calibration"].items()
            ],
        )
    )
    for r in result["runs"]:
        by_type = r["state_after"]["triggers_by_type"]
        out += ["", f"dj-stripe's triggers by event type ({r['workers']}w, stall {r['stall_ms']:g} ms)"]
        out.append(
            common.table(
                ["event", "triggers", "valid", "processed", "raised"],
                [[k, v["triggers"], v["valid"], v["processed"], v["raised"]] for k, v in by_type.items()],
            )
        )
        errors = Counter(r["stripe_errors_during_calibration"]) + Counter(r["stripe_errors_during_load"])
        if errors:
            out.append("Stand-in errors: " + ", ".join(f"{k} x{n}" for k, n in sorted(errors.items())))
        for e in r["state_after"]["exceptions"][:5]:
            out.append(f"Raised: {e['event']}: {e['exception']} x{e['count']}")
    objects = result["runs"][-1]["state_after"]["objects"]
    out += ["", "Objects dj-stripe holds afterwards: " + ", ".join(f"{k} {n}" for k, n in objects.items())]
    return "\n".join(out)
