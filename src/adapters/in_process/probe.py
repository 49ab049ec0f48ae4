"""`Probe` of a service that is not configured: its finding is known without asking anyone."""

from __future__ import annotations

from application.ports.probe import Finding


class StaticProbe:
    def __init__(self, finding: Finding) -> None:
        self._finding = finding

    async def check(self) -> Finding:
        return self._finding
