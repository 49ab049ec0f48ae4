"""`/sandbox/checkout/{id}`: the hosted payment page, with Pay, Decline and promotion codes."""

from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from sandbox.errors import StripeError
from sandbox.flows import apply_promotion_code, complete_checkout
from sandbox.pages.common import button_form, esc, money, page, read_form, see_other

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox


def handlers(sb: "Sandbox") -> list[Any]:
    state = sb.state

    @get("/checkout/{session_id:str}", sync_to_thread=False)
    def show(session_id: FromPath[str]) -> Response[str]:
        try:
            session = state.store.get("checkout.session", session_id)
        except StripeError as error:
            return page("Checkout", f"<p>{esc(error.message)}</p>", status=404)
        lines = state.hidden.get(session_id, {}).get("line_items", [])
        rows = "".join(
            f"<tr><td>{esc(li['description'])} &times; {esc(li['quantity'])}</td>"
            f"<td>{esc(money(li['amount_total'], li['currency']))}</td></tr>"
            for li in lines
        )
        currency = session["currency"]
        discount = session["total_details"]["amount_discount"]
        if discount:
            rows += f"<tr><td>Discount</td><td>&minus;{esc(money(discount, currency))}</td></tr>"
        rows += f"<tr><th>Total</th><th>{esc(money(session['amount_total'], currency))}</th></tr>"
        base = f"/sandbox/checkout/{session_id}"
        if session["status"] != "open":
            actions = f"<p>This session is <b>{esc(session['status'])}</b>.</p>"
        else:
            actions = button_form(f"{base}/pay", "Pay") + button_form(f"{base}/decline", "Decline", secondary=True)
            if session["allow_promotion_codes"]:
                actions += (
                    f"<form method='post' action='{esc(base)}/promotion_code'><input name='code' "
                    "placeholder='Promotion code'> <button class='secondary'>Apply</button></form>"
                )
        mode = "Subscribe" if session["mode"] == "subscription" else "Pay"
        return page(f"{mode} — test mode", f"<section><table>{rows}</table></section>{actions}")

    @post("/checkout/{session_id:str}/pay", status_code=303)
    async def pay(session_id: FromPath[str]) -> Response[Any]:
        try:
            session = complete_checkout(state, session_id)
        except StripeError as error:
            return page("Checkout", f"<p>{esc(error.message)}</p>", status=error.status)
        target = (session["success_url"] or f"{state.public_url}/sandbox").replace("{CHECKOUT_SESSION_ID}", session_id)
        return see_other(target)

    @post("/checkout/{session_id:str}/decline", status_code=303)
    async def decline(session_id: FromPath[str]) -> Response[Any]:
        try:
            session = state.store.get("checkout.session", session_id)
        except StripeError as error:
            return page("Checkout", f"<p>{esc(error.message)}</p>", status=404)
        return see_other(session["cancel_url"] or f"{state.public_url}/sandbox")

    @post("/checkout/{session_id:str}/promotion_code", status_code=303)
    async def promotion_code(session_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
        data, _ = await read_form(request)
        try:
            apply_promotion_code(state, state.store.get("checkout.session", session_id), str(data.get("code", "")))
        except StripeError as error:
            return page(
                "Checkout",
                f"<p>{esc(error.message)}</p><a href='/sandbox/checkout/{esc(session_id)}'>Back</a>",
                status=error.status,
            )
        return see_other(f"/sandbox/checkout/{session_id}")

    return [show, pay, decline, promotion_code]
