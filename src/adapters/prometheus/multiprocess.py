"""prometheus-client's multiprocess mode for `billing serve`: every worker writes its values to
files in one directory, and a scrape of any worker sums them all.

The directory must be chosen before prometheus-client is first imported (it picks its value class
at import) and must not carry files from an earlier run (their counts would be summed in).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> Path | None:
    """The directory this process writes its metrics to, when in multiprocess mode."""
    value = os.environ.get(ENV)
    return Path(value) if value else None


@contextlib.contextmanager
def multiprocess_directory() -> Iterator[Path]:
    """Set `PROMETHEUS_MULTIPROC_DIR` for this process and the workers it starts, for one server run.

    An operator's own directory is emptied of earlier runs' files and kept; otherwise a new
    temporary directory is made and removed afterwards."""
    given = multiprocess_dir()
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        for stale in given.glob("*.db"):
            stale.unlink()
        yield given
        return
    made = Path(tempfile.mkdtemp(prefix="billing-metrics-"))
    os.environ[ENV] = str(made)
    try:
        yield made
    finally:
        os.environ.pop(ENV, None)
        shutil.rmtree(made, ignore_errors=True)
