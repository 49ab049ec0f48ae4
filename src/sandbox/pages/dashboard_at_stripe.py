"""The Dashboard's payments and subscriptions (`/sandbox/dashboard`): changes made only at Stripe,
as an operator would in its Dashboard.

Capture or cancel a held payment, cancel a subscription: Stripe changes and sends its events. With
deliveries dropped (`/sandbox/events`) the service never hears of it: drift, for a pull or a sync.
"""

from typing import TYPE_CHECKING, Any

from litestar import Response, post
from litestar.params import FromPath

from sandbox.errors import StripeError
from sandbox.pages.common import button_form, esc, money, page, see_other, when
from sandbox.resources import payment_intents, subscriptions

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox

BASE = "/sandbox/dashboard"


def _held(sb: "Sandbox") -> str:
    rows = "".join(
        f"<tr><td><code>{esc(pi['id'])}</code></td><td>{esc(money(pi['amount'], pi['currency']))}</td>"
        f"<td>{esc(pi['metadata'].get('order_id'))}</td><td>"
        + button_form(f"{BASE}/payment_intents/{pi['id']}/capture", "Capture")
        + button_form(f"{BASE}/payment_intents/{pi['id']}/cancel", "Cancel", secondary=True)
        + "</td></tr>"
        for pi in sb.state.store.all("payment_intent")
        if pi["status"] == "requires_capture"
    )
    return f"<table><tr><th>Payment</th><th>Amount</th><th>Order</th><th></th></tr>{rows}</table>" if rows else ""


def _live(sb: "Sandbox") -> str:
    rows = "".join(
        f"<tr><td><code>{esc(sub['id'])}</code></td><td>{esc(sub['status'])}</td>"
        f"<td>{esc(sub['metadata'].get('user_id'))}</td><td>{esc(when(sub['created']))}</td><td>"
        + button_form(f"{BASE}/subscriptions/{sub['id']}/cancel", "Cancel now", secondary=True)
        + "</td></tr>"
        for sub in sb.state.store.all("subscription")
        if sub["status"] != "canceled"
    )
    return f"<table><tr><th>Subscription</th><th>Status</th><th>User</th><th>Since</th><th></th></tr>{rows}</table>"


def sections(sb: "Sandbox") -> str:
    """The dashboard page's part: held payments and live subscriptions, with their actions."""
    return (
        "<p>Changes made here happen at Stripe only; the service learns of them from the webhook, "
        "or, when <a href='/sandbox/events'>deliveries are dropped</a>, from a pull or a sync.</p>"
        f"<section><h2>Held payments</h2>{_held(sb) or '<p>None.</p>'}</section>"
        f"<section><h2>Subscriptions</h2>{_live(sb)}</section>"
    )


def handlers(sb: "Sandbox") -> list[Any]:
    state = sb.state

    @post("/dashboard/payment_intents/{pi_id:str}/{action:str}", status_code=303)
    async def intent(pi_id: FromPath[str], action: FromPath[str]) -> Response[Any]:
        act = {"capture": payment_intents.capture, "cancel": payment_intents.cancel}.get(action)
        if act is None:
            return page("Dashboard", "<p>Unknown action.</p>", status=404)
        try:
            act(state, {}, pi_id)
        except StripeError as error:
            return page("Dashboard", f"<p>{esc(error.message)}</p>", status=error.status)
        return see_other(BASE)

    @post("/dashboard/subscriptions/{sub_id:str}/cancel", status_code=303)
    async def cancel_subscription(sub_id: FromPath[str]) -> Response[Any]:
        try:
            subscriptions.cancel(state, {}, sub_id)
        except StripeError as error:
            return page("Dashboard", f"<p>{esc(error.message)}</p>", status=error.status)
        return see_other(BASE)

    return [intent, cancel_subscription]
