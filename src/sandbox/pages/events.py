"""`/sandbox/events`: every event with its webhook deliveries, and the switch that drops them.

Dropping deliveries plays a service whose webhook endpoint was down until Stripe gave up: the
events still exist at Stripe (`GET /v1/events`), so `billing events pull` or `billing sync` must
find and apply them. The page shows which dropped events the service has fetched since.
JSON for programs (and tests), HTML for a browser.
"""

from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get, post

from sandbox.delivery import Delivery
from sandbox.pages.common import button_form, esc, page, read_form, see_other, when
from sandbox.store import Obj

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox


def _row(sb: "Sandbox", event: Obj) -> dict[str, Any]:
    deliveries: list[Delivery] = sb.deliverer.log.get(event["id"], [])
    statuses = [d.last_status for d in deliveries if d.last_status is not None]
    return {
        "id": event["id"],
        "type": event["type"],
        "created": event["created"],
        # over every endpoint the event went to (one, unless more were registered)
        "attempts": sum(d.attempts for d in deliveries),
        "last_status": statuses[-1] if statuses else None,
        "last_error": next((d.last_error for d in deliveries if d.last_error), None),
        "delivered": bool(deliveries) and all(d.delivered for d in deliveries),
        "dropped": any(d.dropped for d in deliveries),
        "fetched_at": sb.state.events.fetched.get(event["id"]),
        "deliveries": [d.as_json() for d in deliveries],
    }


def _state(sb: "Sandbox") -> dict[str, Any]:
    return {
        "webhook_url": sb.webhook_url,
        "dropping": sb.deliverer.dropping,
        "drop_next": sb.deliverer.to_drop,
        "data": [_row(sb, e) for e in sb.state.store.all("event")],
    }


def _outcome(row: dict[str, Any]) -> str:
    if row["dropped"]:
        fetched = row["fetched_at"]
        return "dropped" + (f"; fetched by the service {when(fetched)}" if fetched else "; not fetched yet")
    if not row["deliveries"]:
        return "no endpoint"
    if row["delivered"]:
        return "delivered"
    return f"failing ({row['last_status'] or row['last_error']})" if row["attempts"] else "pending"


def _html(state: dict[str, Any]) -> str:
    switch = (
        button_form("/sandbox/events/deliveries", "Deliver webhooks again", {"dropping": "false"})
        if state["dropping"]
        else button_form("/sandbox/events/deliveries", "Drop all deliveries", {"dropping": "true"}, secondary=True)
    )
    drop_some = (
        "<form method='post' action='/sandbox/events/deliveries'><input name='drop_next' value='1' size='3'> "
        "<button class='secondary'>Drop the next N</button></form>"
    )
    mode = "dropped" if state["dropping"] else "delivered"
    waiting = f" ({state['drop_next']} more will be dropped)" if state["drop_next"] else ""
    rows = "".join(
        f"<tr><td>{esc(when(r['created']))}</td><td>{esc(r['type'])}</td><td><code>{esc(r['id'])}</code></td>"
        f"<td>{esc(_outcome(r))}</td></tr>"
        for r in state["data"]
    )
    return (
        f"<section><p>Webhooks to <code>{esc(state['webhook_url'])}</code> are <b>{mode}</b>{esc(waiting)}. "
        f"{switch}{drop_some}</p><p>Dropped events stay listed by <code>GET /v1/events</code>: "
        "<code>billing events pull</code> fetches them, <code>billing sync</code> repairs what they changed. "
        "<a href='/sandbox/dashboard'>Make changes only at Stripe</a> (as in its Dashboard).</p></section>"
        f"<table><tr><th>Created</th><th>Type</th><th>Id</th><th>Delivery</th></tr>{rows}</table>"
    )


def handlers(sb: "Sandbox") -> list[Any]:
    @get("/events", sync_to_thread=False)
    def events(request: Request[Any, Any, Any]) -> Response[Any]:
        state = _state(sb)
        if "text/html" in request.headers.get("accept", ""):
            return page("Events", _html(state))
        return Response(state)

    @post("/events/deliveries", status_code=200)
    async def deliveries(request: Request[Any, Any, Any]) -> Response[Any]:
        """`{"dropping": true|false}` switches dropping; `{"drop_next": n}` drops the next n events."""
        data, from_form = await read_form(request)
        try:
            if "drop_next" in data:
                sb.deliverer.drop_next(int(data["drop_next"]))
            if "dropping" in data:
                sb.deliverer.dropping = str(data["dropping"]).lower() in ("true", "1", "on")
        except ValueError:
            return Response({"error": "drop_next must be a whole number"}, status_code=400)
        if from_form:
            return see_other("/sandbox/events")
        return Response({"dropping": sb.deliverer.dropping, "drop_next": sb.deliverer.to_drop})

    return [events, deliveries]
