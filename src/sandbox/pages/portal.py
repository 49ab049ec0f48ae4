"""`/sandbox/portal/{id}`: a customer's subscriptions with cancel, resume, cancel-now and switch-plan."""

from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from sandbox.errors import StripeError
from sandbox.flows import portal_action
from sandbox.pages import portal_billing
from sandbox.pages.common import button_form, esc, money, page, read_form, see_other, when
from sandbox.store import Obj

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox


def _subscription(sb: "Sandbox", base: str, sub: Obj) -> str:
    item = sub["items"]["data"][0]
    price = item["price"]
    product = sb.state.store.find("product", price["product"]) or {"name": price["product"]}
    act = f"{base}/subscriptions/{sub['id']}"
    status = sub["status"] + (" (cancels at period end)" if sub["cancel_at"] else "")
    head = (
        f"<h3>{esc(product['name'])} — {esc(money(price['unit_amount'], price['currency']))} / "
        f"{esc(price['recurring']['interval'])}</h3><p>Status: {esc(status)}; current period ends "
        f"{esc(when(item['current_period_end']))}</p>"
    )
    if sub["status"] == "canceled":
        return f"<article>{head}</article>"
    actions = (
        button_form(f"{act}/resume", "Resume")
        if sub["cancel_at"]
        else button_form(f"{act}/cancel_at_period_end", "Cancel at period end")
    )
    actions += button_form(f"{act}/cancel_now", "Cancel now", secondary=True)
    others = [
        p for p in sb.state.store.all("price") if p["active"] and p["type"] == "recurring" and p["id"] != price["id"]
    ]
    if others:
        options = "".join(
            f"<option value='{esc(p['id'])}'>"
            f"{esc((sb.state.store.find('product', p['product']) or {}).get('name'))} "
            f"{esc(money(p['unit_amount'], p['currency']))} / {esc(p['recurring']['interval'])}</option>"
            for p in others
        )
        actions += (
            f"<form method='post' action='{esc(act)}/switch'><select name='price'>{options}</select> "
            "<button class='secondary'>Switch plan</button></form>"
        )
    return f"<article>{head}{actions}</article>"


def handlers(sb: "Sandbox") -> list[Any]:
    state = sb.state

    @get("/portal/{session_id:str}", sync_to_thread=False)
    def show(session_id: FromPath[str]) -> Response[str]:
        try:
            portal = state.store.get("billing_portal.session", session_id)
        except StripeError as error:
            return page("Billing portal", f"<p>{esc(error.message)}</p>", status=404)
        base = f"/sandbox/portal/{session_id}"
        subs = [s for s in state.store.all("subscription") if s["customer"] == portal["customer"]]
        body = "".join(_subscription(sb, base, s) for s in subs) or "<p>No subscriptions.</p>"
        body += portal_billing.section(sb, portal)
        back = f"<p><a href='{esc(portal['return_url'] or '/sandbox')}'>Return</a></p>"
        return page("Billing portal", body + back)

    @post("/portal/{session_id:str}/subscriptions/{sub_id:str}/{action:str}", status_code=303)
    async def act(
        session_id: FromPath[str],
        sub_id: FromPath[str],
        action: FromPath[str],
        request: Request[Any, Any, Any],
    ) -> Response[Any]:
        data, _ = await read_form(request)
        try:
            portal_action(state, session_id, sub_id, action, data.get("price"))
        except StripeError as error:
            return page("Billing portal", f"<p>{esc(error.message)}</p>", status=error.status)
        return see_other(f"/sandbox/portal/{session_id}")

    return [show, act, *portal_billing.handlers(sb)]
