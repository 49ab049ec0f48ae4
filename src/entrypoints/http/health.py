from __future__ import annotations

from dishka import FromDishka
from litestar import Controller, Response, get
from litestar.openapi import ResponseSpec

from application.health.check_readiness import CheckReadiness
from entrypoints.http.schemas import HealthOut


class HealthController(Controller):
    path = "/api/health"
    tags = ["health"]

    @get("/", summary="Liveness: the process serves")
    async def live(self) -> HealthOut:
        return HealthOut(status="ok")

    @get(
        "/ready",
        summary="Readiness: the database (and Redis, when configured) answer",
        responses={503: ResponseSpec(HealthOut, description="A dependency does not answer", generate_examples=False)},
    )
    async def ready(self, readiness: FromDishka[CheckReadiness]) -> Response[HealthOut]:
        checks = await readiness.execute()
        ok = all(checks.values())
        return Response(HealthOut("ok" if ok else "unavailable", checks), status_code=200 if ok else 503)
