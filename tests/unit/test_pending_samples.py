"""`PendingSamples`: recordings counted in process and added to prometheus-client's values at a
flush must end up exactly as `inc()` and `observe()` one by one would have written them."""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Histogram

from adapters.prometheus.metrics import LATENCY_BUCKETS
from adapters.prometheus.pending import PendingSamples

# on a bucket's bound, just above it, zero, below every bound, above every finite bound (+Inf)
AMOUNTS = [0.005, 0.0051, 0.0, -1.0, 0.3, 0.3, 14.999, 15.0, 31.0, 1e9, 0.01]


def families(registry: CollectorRegistry) -> tuple[Counter, Histogram]:
    counter = Counter("things", "Things.", ["kind"], registry=registry)
    histogram = Histogram("thing_seconds", "Thing time.", ["kind"], registry=registry, buckets=LATENCY_BUCKETS)
    return counter, histogram


def values(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample but the `_created` timestamps."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in registry.collect()
        for sample in family.samples
        if not sample.name.endswith("_created")
    }


def test_a_flush_writes_what_inc_and_observe_one_by_one_write() -> None:
    direct, batched = CollectorRegistry(), CollectorRegistry()
    counter, histogram = families(direct)
    batched_counter, batched_histogram = families(batched)
    pending = PendingSamples()

    for kind in ("a", "b"):
        for amount in AMOUNTS:
            counter.labels(kind).inc()
            histogram.labels(kind).observe(amount)
            pending.inc_and_observe(batched_counter.labels(kind), batched_histogram.labels(kind), amount)
        counter.labels(kind).inc(2.5)
        pending.inc(batched_counter.labels(kind), 2.5)
        histogram.labels(kind).observe(0.07)
        pending.observe(batched_histogram.labels(kind), 0.07)

    assert set(values(batched).values()) == {0}  # nothing written before the flush
    pending.flush()
    assert values(batched) == values(direct)
    assert values(direct)[("thing_seconds_bucket", (("kind", "a"), ("le", "+Inf")))] == len(AMOUNTS) + 1
    pending.flush()  # a second flush adds nothing
    assert values(batched) == values(direct)


def test_recordings_made_while_flushing_from_other_threads_are_all_written() -> None:
    registry = CollectorRegistry()
    counter, histogram = families(registry)
    pending = PendingSamples()
    per_thread, threads = 5_000, 4

    def record() -> None:
        for _ in range(per_thread):
            pending.inc_and_observe(counter.labels("x"), histogram.labels("x"), 0.02)

    workers = [threading.Thread(target=record) for _ in range(threads)]
    for worker in workers:
        worker.start()
    while any(worker.is_alive() for worker in workers):
        pending.flush()
    pending.flush()

    total = per_thread * threads
    assert registry.get_sample_value("things_total", {"kind": "x"}) == total
    assert registry.get_sample_value("thing_seconds_count", {"kind": "x"}) == total
    assert registry.get_sample_value("thing_seconds_bucket", {"kind": "x", "le": "0.025"}) == total
    assert registry.get_sample_value("thing_seconds_bucket", {"kind": "x", "le": "0.01"}) == 0
