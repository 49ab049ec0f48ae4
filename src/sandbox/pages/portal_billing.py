"""The portal's payment method and invoice history, as Stripe's portal shows them: the customer replaces
the card later charges (and retries) go to, and opens each invoice's hosted page."""

from typing import TYPE_CHECKING, Any

from litestar import Request, Response, post
from litestar.params import FromPath

from sandbox.errors import StripeError
from sandbox.pages.common import esc, money, page, read_form, see_other, when
from sandbox.resources.payment_methods import TEST_CARDS, Outcome, default_card
from sandbox.store import Obj

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox


def section(sb: "Sandbox", portal: Obj) -> str:
    state = sb.state
    customer = portal["customer"]
    card = default_card(state, customer)
    options = "".join(f"<option value='{esc(o.value)}'>{esc(number)}</option>" for o, number in TEST_CARDS.items())
    update = (
        f"<form method='post' action='/sandbox/portal/{esc(portal['id'])}/payment_method'>"
        f"<select name='card'>{options}</select> <button class='secondary'>Update payment method</button></form>"
    )
    rows = "".join(
        f"<tr><td><a href='{esc(i['hosted_invoice_url'])}'>{esc(i['number'])}</a></td>"
        f"<td>{esc(when(i['created']))}</td><td>{esc(money(i['amount_due'], i['currency']))}</td>"
        f"<td>{esc(i['status'])}</td></tr>"
        for i in state.store.all("invoice")
        if i["customer"] == customer and i["status"] != "draft"
    )
    return (
        f"<section><h2>Payment method</h2><p>Card: {esc('•••• ' + card['card']['last4'] if card else 'none')}</p>"
        f"{update}</section><section><h2>Invoice history</h2><table>{rows}</table></section>"
    )


def handlers(sb: "Sandbox") -> list[Any]:
    @post("/portal/{session_id:str}/payment_method", status_code=303)
    async def update_payment_method(session_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
        data, _ = await read_form(request)
        try:
            portal = sb.state.store.get("billing_portal.session", session_id)
            sb.set_card(portal["customer"], str(data.get("card") or Outcome.SUCCEEDS))
        except (StripeError, ValueError) as error:
            message = error.message if isinstance(error, StripeError) else f"Unknown card: {data.get('card')}"
            return page("Billing portal", f"<p>{esc(message)}</p>", status=400)
        return see_other(f"/sandbox/portal/{session_id}")

    return [update_payment_method]
