"""`/sandbox/invoices/{id}`: the hosted invoice page (pay it with a test card, complete 3-D Secure) and
its PDF. HTML forms get a redirect back to the page; JSON callers (tests) get the invoice."""

from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from sandbox import collection
from sandbox.errors import StripeError
from sandbox.pages import invoice_pdf
from sandbox.pages.common import button_form, esc, money, page, read_form, see_other, when
from sandbox.resources.payment_methods import TEST_CARDS, Outcome, create_card
from sandbox.store import Obj

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox

_PAYABLE = ("open", "uncollectible")


def _body(sb: "Sandbox", invoice: Obj) -> str:
    base = f"/sandbox/invoices/{invoice['id']}"
    rows = "".join(
        f"<tr><td>{esc(line['description'])} ({esc(when(line['period']['start']))} to "
        f"{esc(when(line['period']['end']))})</td><td>{esc(money(line['amount'], line['currency']))}</td></tr>"
        for line in invoice["lines"]["data"]
    )
    due = money(invoice["amount_remaining"], invoice["currency"])
    summary = (
        f"<p>Status: <b>{esc(invoice['status'])}</b>; attempts: {esc(invoice['attempt_count'])}; next attempt: "
        f"{esc(when(invoice['next_payment_attempt']))}</p>"
        f"<section><table>{rows}<tr><th>Amount due</th><th>{esc(due)}</th></tr></table></section>"
    )
    actions = ""
    intent = collection.intent_of(sb.state, invoice)
    if invoice["status"] in _PAYABLE and intent is not None and intent["status"] == "requires_action":
        actions += "<p>Your bank asks you to confirm this payment (3-D Secure).</p>" + button_form(
            f"{base}/confirm", "Complete authentication"
        )
    if invoice["status"] in _PAYABLE:
        options = "".join(
            f"<option value='{esc(o.value)}'>{esc(n)} ({esc(o.value)})</option>" for o, n in TEST_CARDS.items()
        )
        actions += (
            f"<form method='post' action='{esc(base)}/pay'><select name='card'>{options}</select> "
            f"<button>Pay {esc(due)}</button></form>"
        )
    return f"{summary}{actions}<p><a href='{esc(base)}/pdf'>Download PDF</a></p>"


def handlers(sb: "Sandbox") -> list[Any]:
    state = sb.state

    def answer(invoice: Obj, from_form: bool, error: StripeError | None = None) -> Response[Any]:
        if from_form and error is None:
            return see_other(f"/sandbox/invoices/{invoice['id']}")
        if from_form:
            back = (
                f"<p>{esc(error.message if error else '')}</p><a href='/sandbox/invoices/{esc(invoice['id'])}'>Back</a>"
            )
            return page("Invoice", back, status=402 if error and error.status == 402 else 400)
        if error is not None:
            return Response(error.body(), status_code=error.status)
        return Response(invoice)

    @get("/invoices/{invoice_id:str}", sync_to_thread=False)
    def show(invoice_id: FromPath[str]) -> Response[str]:
        invoice = state.store.find("invoice", invoice_id)
        if invoice is None or invoice["status"] == "draft":  # a draft has no hosted page yet
            return page("Invoice", "<p>No such invoice.</p>", status=404)
        return page(f"Invoice {invoice['number']}", _body(sb, invoice))

    @get("/invoices/{invoice_id:str}/pdf", sync_to_thread=False)
    def pdf(invoice_id: FromPath[str]) -> Response[bytes]:
        invoice = state.store.find("invoice", invoice_id)
        if invoice is None or invoice["status"] == "draft":
            return Response(b"No such invoice.", status_code=404, media_type="text/plain")
        headers = {"Content-Disposition": f'inline; filename="{invoice["number"]}.pdf"'}
        return Response(
            invoice_pdf.render(invoice_pdf.invoice_lines(invoice)), media_type="application/pdf", headers=headers
        )

    @post("/invoices/{invoice_id:str}/pay", status_code=200)
    async def pay(invoice_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
        data, from_form = await read_form(request)
        try:
            invoice = state.store.get("invoice", invoice_id)
            card = create_card(state, None, Outcome(data.get("card") or Outcome.SUCCEEDS))
            outcome = collection.pay(state, invoice, card)
        except (StripeError, ValueError) as error:
            problem = error if isinstance(error, StripeError) else StripeError(str(error), param="card")
            return answer(state.store.find("invoice", invoice_id) or {"id": invoice_id}, from_form, problem)
        failure = None if outcome is Outcome.SUCCEEDS else collection.declined_error(outcome)
        return answer(invoice, from_form, failure)

    @post("/invoices/{invoice_id:str}/confirm", status_code=200)
    async def confirm(invoice_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
        _, from_form = await read_form(request)
        try:
            invoice = state.store.get("invoice", invoice_id)
            collection.confirm_authentication(state, invoice)
        except StripeError as error:
            return answer(state.store.find("invoice", invoice_id) or {"id": invoice_id}, from_form, error)
        return answer(invoice, from_form)

    return [show, pdf, pay, confirm]
