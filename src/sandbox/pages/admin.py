"""`/sandbox/clock/advance`: moving time."""

from typing import TYPE_CHECKING, Any

from litestar import Request, Response, post

from sandbox.pages.common import read_form, see_other

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox


def handlers(sb: "Sandbox") -> list[Any]:
    @post("/clock/advance", status_code=200)
    async def advance(request: Request[Any, Any, Any]) -> Response[Any]:
        data, from_form = await read_form(request)
        try:
            seconds = int(float(data.get("days", 0)) * 86400) + int(data.get("seconds", 0))
            report = sb.advance_clock(seconds=seconds)
        except ValueError as error:
            return Response({"error": str(error)}, status_code=400)
        return see_other("/sandbox") if from_form else Response(report)

    return [advance]
