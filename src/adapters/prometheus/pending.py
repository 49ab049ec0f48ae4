"""Recordings counted in process and written to prometheus-client's values in batches.

In multiprocess mode (`billing serve`) every prometheus-client write takes a process-wide lock and
writes to a memory-mapped file: ~3 µs a counter, ~6 µs a histogram, ~4 µs a `labels()` lookup. Per
warm catalog read that was ~16 µs of a ~100 µs request (bench/README.md, "Seventh round"). Here a
recording is a few dict operations (well under a microsecond); `flush()` adds what was counted to
the prometheus-client values in one go:

* every `FLUSH_SECONDS`, from the HTTP app's lifespan (`entrypoints.http.metrics`);
* right before this process renders `/metrics` (`PrometheusExposition.render`), and whenever one of
  the app's own registries is read (`FlushFirst`), so a process always sees its own recordings;
* at shutdown (the lifespan's end, the dishka container's close).

Bounded staleness: a scrape sums the workers' files, so it sees the worker that answers it at once
and every other worker's recordings up to ~`FLUSH_SECONDS` late (more only while that worker's event
loop is blocked). A worker killed without its shutdown (SIGKILL, out of memory) loses at most its
last ~`FLUSH_SECONDS` of recordings.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable

from prometheus_client import Counter, Histogram
from prometheus_client.core import Metric

FLUSH_SECONDS = 1.0


class PendingSamples:
    """Counter increments and histogram observations not written yet, per labelled child.

    Thread-safe (a lock around the dicts; a flush swaps them out). Keys are prometheus-client's child
    objects, so they are as bounded as the label sets the callers use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[Counter, float] = {}
        # per histogram child: [sum, count of bucket 0, count of bucket 1, ...] (not cumulative, as
        # prometheus-client stores them)
        self._observed: dict[Histogram, list[float]] = {}

    def inc(self, counter: Counter, amount: float = 1.0) -> None:
        """`counter.inc(amount)` at the next flush; `counter` is a labelled child."""
        with self._lock:
            self._counts[counter] = self._counts.get(counter, 0.0) + amount

    def observe(self, histogram: Histogram, amount: float) -> None:
        """`histogram.observe(amount)` at the next flush; `histogram` is a labelled child."""
        with self._lock:
            self._observed_locked(histogram, amount)

    def inc_and_observe(self, counter: Counter, histogram: Histogram, amount: float) -> None:
        """`inc(counter)` and `observe(histogram, amount)` under one lock (an HTTP request)."""
        with self._lock:
            counts = self._counts
            counts[counter] = counts.get(counter, 0.0) + 1.0
            self._observed_locked(histogram, amount)

    def _observed_locked(self, histogram: Histogram, amount: float) -> None:
        """The observation added to `histogram`'s pending sum and bucket; the caller holds the lock."""
        bounds = histogram._upper_bounds  # sorted, ending with +Inf
        slot = self._observed.get(histogram)
        if slot is None:
            slot = self._observed[histogram] = [0.0] * (len(bounds) + 1)
        slot[0] += amount
        # the first bucket whose bound is >= amount, as `Histogram.observe` picks it
        slot[1 + bisect_left(bounds, amount)] += 1

    def flush(self) -> None:
        """Add everything counted since the last flush to the prometheus-client values."""
        with self._lock:
            counts, self._counts = self._counts, {}
            observed, self._observed = self._observed, {}
        for counter, amount in counts.items():
            counter.inc(amount)
        for histogram, (total, *buckets) in observed.items():
            # What `Histogram.observe` writes, once per bucket instead of once per observation: the
            # child's sum and its per-bucket values (prometheus-client 0.2x, pinned in uv.lock;
            # tests/unit/test_pending_samples.py compares the result with `observe`).
            histogram._sum.inc(total)
            for value, count in zip(histogram._buckets, buckets, strict=True):
                if count:
                    value.inc(count)


# One per process, as prometheus-client's values are (in multiprocess mode, one set of files per
# process): the HTTP middleware and every `PrometheusMetrics` of the process record here.
PENDING = PendingSamples()


class FlushFirst:
    """A collector that yields nothing and flushes `pending` when collected: registered first in a
    registry, any read of that registry (`generate_latest`, `get_sample_value`) sees every
    recording made so far. (A registry collects its collectors in the order they were registered.)"""

    def __init__(self, pending: PendingSamples) -> None:
        self._pending = pending

    def describe(self) -> Iterable[Metric]:
        return ()

    def collect(self) -> Iterable[Metric]:
        self._pending.flush()
        return ()
