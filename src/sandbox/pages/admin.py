"""`/sandbox/clock` and `/sandbox/events`: reading and moving sandbox time, watching webhook delivery."""

from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get, post

from sandbox.pages.common import local_path, read_form, see_other

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox


def handlers(sb: "Sandbox") -> list[Any]:
    @get("/clock", sync_to_thread=False)
    def clock() -> dict[str, int]:
        return {"now": sb.state.now()}

    @post("/clock/advance", status_code=200)
    async def advance(request: Request[Any, Any, Any]) -> Response[Any]:
        data, from_form = await read_form(request)
        try:
            seconds = int(float(data.get("days", 0)) * 86400) + int(data.get("seconds", 0))
            report = sb.advance_clock(seconds=seconds)
        except (ValueError, OverflowError) as error:  # not a number, negative, or infinite
            return Response({"error": str(error)}, status_code=400)
        return see_other(local_path(data.get("redirect"))) if from_form else Response(report)

    @get("/events", sync_to_thread=False)
    def events() -> dict[str, Any]:
        deliveries = sb.deliverer.log
        data = []
        for event in sb.state.store.all("event"):
            record = deliveries.get(event["id"])
            data.append(
                {
                    "id": event["id"],
                    "type": event["type"],
                    "created": event["created"],
                    **(
                        {"attempts": 0, "last_status": None, "delivered": False}
                        if record is None
                        else {k: v for k, v in record.as_json().items() if k not in ("id", "type")}
                    ),
                }
            )
        return {"webhook_url": sb.webhook_url, "data": data}

    return [clock, advance, events]
