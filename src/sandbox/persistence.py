"""Keep the sandbox's account across restarts: its objects, hidden data and clock in one JSON file.

The service's database outlives a restart of `make run`; without this, every Stripe id it stored
(customers, subscriptions, sessions) would point at nothing in a fresh sandbox.
"""

import json
import os
from pathlib import Path

from sandbox.state import State


def load(state: State, path: Path) -> bool:
    """Fill an empty state from `path`; False when there is no readable file."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    for obj in data["objects"]:  # creation order, so lists stay newest first
        state.store.add(obj)
    state.hidden.update(data["hidden"])
    state.clock.offset = int(data["clock_offset"])
    return True


def save(state: State, path: Path) -> None:
    data = {
        "objects": list(state.store.objects.values()),
        "hidden": state.hidden,
        "clock_offset": state.clock.offset,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data))
    os.replace(temporary, path)
