"""`/sandbox/dashboard`: the sandbox's stand-in for Stripe's Dashboard, where a tester steers billing.

Per product with a recurring price: its free trial (`metadata.trial_days`, what a merchant sets in
the Dashboard). Per customer: choose the test card the next charges go to (succeed, decline, ask
for 3-D Secure); per open invoice: retry the payment now, void it, mark it uncollectible; and move
the clock (which runs renewals, trial ends and the retry schedule). Every POST also takes JSON and answers JSON, so
tests drive the same controls over HTTP.
"""

from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from sandbox import collection
from sandbox.errors import StripeError
from sandbox.pages.common import button_form, esc, money, page, read_form, see_other, when
from sandbox.resources import products
from sandbox.resources.payment_methods import Outcome, default_card, outcome_of
from sandbox.store import Obj

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox

HOME = "/sandbox/dashboard"
_CARD_LABELS = {
    Outcome.SUCCEEDS: "Charges succeed",
    Outcome.DECLINES: "Charges are declined",
    Outcome.REQUIRES_AUTHENTICATION: "Charges need 3-D Secure",
}


def _invoice_row(invoice: Obj) -> str:
    link = invoice["hosted_invoice_url"]
    label = esc(invoice["number"] or invoice["id"])
    name = f"<a href='{esc(link)}'>{label}</a>" if link else label
    actions = ""
    if invoice["status"] in ("open", "uncollectible"):
        base = f"{HOME}/invoices/{invoice['id']}"
        actions = button_form(f"{base}/retry", "Retry now") + button_form(f"{base}/void", "Void", secondary=True)
        if invoice["status"] == "open":
            actions += button_form(f"{base}/mark_uncollectible", "Mark uncollectible", secondary=True)
    return (
        f"<tr><td>{name}</td><td>{esc(invoice['status'])}</td>"
        f"<td>{esc(money(invoice['amount_due'], invoice['currency']))}</td>"
        f"<td>{esc(invoice['attempt_count'])}</td><td>{esc(when(invoice['next_payment_attempt']))}</td>"
        f"<td>{actions}</td></tr>"
    )


def _trials(sb: "Sandbox") -> str:
    store = sb.state.store
    plans = [
        p for p in store.all("product") if any(x["product"] == p["id"] and x["recurring"] for x in store.all("price"))
    ]
    rows = "".join(
        f"<li>{esc(p['name'])}: <form method='post' action='{HOME}/products/{esc(p['id'])}/trial_days'>"
        f"<input name='days' value='{esc(p['metadata'].get('trial_days', ''))}' size='3'> "
        "<button class='secondary'>Set trial days</button></form></li>"
        for p in plans
    )
    return f"<section><h2>Trials</h2><p>A first subscription gets the product's trial.</p><ul>{rows}</ul></section>"


def _customer(sb: "Sandbox", customer: Obj, subs: list[Obj]) -> str:
    store = sb.state.store
    card = default_card(sb.state, customer["id"], subs[0] if subs else None)
    current = outcome_of(card)
    choices = "".join(
        button_form(
            f"{HOME}/customers/{customer['id']}/card", label, {"card": outcome.value}, secondary=outcome is not current
        )
        for outcome, label in _CARD_LABELS.items()
    )
    lines = "".join(
        f"<li>{esc(s['id'])}: <b>{esc(s['status'])}</b>"
        + (f", trial ends {esc(when(s['trial_end']))}" if s["status"] == "trialing" else "")
        + "</li>"
        for s in subs
    )
    invoices = [i for i in store.all("invoice") if i["customer"] == customer["id"]]
    table = "".join(_invoice_row(i) for i in invoices)
    return (
        f"<article><h3>{esc(customer['email'] or customer['id'])} <small>{esc(customer['id'])}</small></h3>"
        f"<ul>{lines}</ul><p>Card: {esc(card['card']['last4'] if card else 'none')} — next charges: {choices}</p>"
        "<table><tr><th>Invoice</th><th>Status</th><th>Amount</th><th>Attempts</th><th>Next attempt</th><th></th></tr>"
        f"{table}</table></article>"
    )


def handlers(sb: "Sandbox") -> list[Any]:
    state = sb.state

    def done(from_form: bool, body: Any, error: StripeError | None = None) -> Response[Any]:
        if error is not None:
            if from_form:
                return page("Dashboard", f"<p>{esc(error.message)}</p><a href='{HOME}'>Back</a>", status=error.status)
            return Response(error.body(), status_code=error.status)
        return see_other(HOME) if from_form else Response(body)

    @get("/dashboard", sync_to_thread=False)
    def show() -> Response[str]:
        policy = state.retry_policy
        settings = (
            f"<p>Retries {esc(', '.join(f'{d:g}' for d in policy.retry_delays_days))} days apart; after the last "
            f"fails the subscription becomes <b>{esc(policy.subscription_after_retries)}</b> and the invoice stays "
            f"<b>{esc(policy.invoice_after_retries)}</b>. Sandbox time: {esc(when(state.now()))}</p>"
            f"<form method='post' action='/sandbox/clock/advance'><input type='hidden' name='redirect' value='{HOME}'>"
            "<input name='days' value='1' size='3'> <button class='secondary'>Advance days</button></form>"
        )
        subs = state.store.all("subscription")
        owners = [c for c in state.store.all("customer") if any(s["customer"] == c["id"] for s in subs)]
        customers = "".join(_customer(sb, c, [s for s in subs if s["customer"] == c["id"]]) for c in owners)
        body = settings + _trials(sb) + (customers or "<p>No subscriptions yet.</p>")
        return page("Dashboard — billing", body)

    @post("/dashboard/products/{product_id:str}/trial_days", status_code=200)
    async def trial_days(product_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
        data, from_form = await read_form(request)
        days = str(data.get("days", "")).strip()
        if days and not (days.isdigit() and int(days) > 0):
            return done(from_form, None, StripeError("days must be a positive integer, or empty", param="days"))
        try:
            product = products.update(state, {"metadata": {"trial_days": days}}, product_id)
        except StripeError as error:
            return done(from_form, None, error)
        return done(from_form, product)

    @post("/dashboard/customers/{customer_id:str}/card", status_code=200)
    async def card(customer_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
        data, from_form = await read_form(request)
        try:
            chosen = sb.set_card(customer_id, str(data.get("card", "")))
        except ValueError:
            return done(from_form, None, StripeError(f"card must be one of {[o.value for o in Outcome]}", param="card"))
        except StripeError as error:
            return done(from_form, None, error)
        return done(from_form, chosen)

    @post("/dashboard/invoices/{invoice_id:str}/{action:str}", status_code=200)
    async def invoice_action(
        invoice_id: FromPath[str], action: FromPath[str], request: Request[Any, Any, Any]
    ) -> Response[Any]:
        _, from_form = await read_form(request)
        try:
            invoice = state.store.get("invoice", invoice_id)
            if action == "retry":
                outcome = collection.pay(state, invoice)
                if outcome is not Outcome.SUCCEEDS and not from_form:  # a person sees it in the table
                    return done(from_form, None, collection.declined_error(outcome))
            elif action in ("void", "mark_uncollectible"):
                collection.close(state, invoice, "void" if action == "void" else "uncollectible")
            else:
                raise StripeError(f"Unknown invoice action: {action}", status=404)
        except StripeError as error:
            return done(from_form, None, error)
        return done(from_form, invoice)

    return [show, trial_days, card, invoice_action]
