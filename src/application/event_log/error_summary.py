"""`last_error` as operators see it: the service's own one-line summary, never a secret.

Stored errors name an exception and its message; a message from a library can quote what it
was given (a URL with its password, a key). The summary keeps the first line, masks anything
shaped like a credential, and stays short enough for one line of a terminal or a table cell.
"""

from __future__ import annotations

import re

MAX_LENGTH = 200

_CREDENTIALS = (
    (re.compile(r"\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9]+"), "***"),
    (re.compile(r"\bwhsec_[A-Za-z0-9]+"), "whsec_***"),
    (re.compile(r"\b(Bearer|Basic)\s+\S+", re.IGNORECASE), r"\1 ***"),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s@]+@", re.IGNORECASE), r"\1***@"),
)


def error_summary(error: str | None) -> str | None:
    if not error:
        return None
    line = error.strip().splitlines()[0].strip() if error.strip() else ""
    for pattern, replacement in _CREDENTIALS:
        line = pattern.sub(replacement, line)
    return line if len(line) <= MAX_LENGTH else line[: MAX_LENGTH - 1] + "…"
