from __future__ import annotations

import logging

from application.errors import StorageUnavailable
from application.ports.backlog import BacklogCounter
from application.ports.metrics import MetricsExposition, MetricsPage

log = logging.getLogger("billing.metrics")


class ReportMetrics:
    """The metrics page of one scrape: the recorded families, and the backlog read from the database
    now. A database that does not answer leaves the backlog gauges out; the rest is still served."""

    def __init__(self, backlog: BacklogCounter, exposition: MetricsExposition) -> None:
        self._backlog = backlog
        self._exposition = exposition

    async def execute(self) -> MetricsPage:
        try:
            counted = await self._backlog.count()
        except StorageUnavailable:
            log.warning("metrics: the backlog gauges are left out, the database did not answer")
            counted = None
        return self._exposition.render(counted)
