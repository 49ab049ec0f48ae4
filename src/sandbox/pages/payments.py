"""`/sandbox/dashboard/payments`: the Stripe Dashboard stand-in's payments — refunds and disputes.

Pages list the account's payments and show one with its refunds and dispute. The forms post to
the routes below; the same routes take JSON (amounts in the minor unit) and answer with the
object, for tests and curl. (`pages/dashboard.py` has the rest of the Dashboard: billing.)
"""

from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from sandbox.errors import StripeError, invalid
from sandbox.pages.common import button_form, esc, money, page, read_form, see_other, when
from sandbox.resources import disputes
from sandbox.store import Obj

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox

BASE = "/sandbox/dashboard"
PAYMENTS = f"{BASE}/payments"
_REFUND_REASONS = ("requested_by_customer", "duplicate", "fraudulent")


def _payment_status(charge: Obj, dispute: Obj | None) -> str:
    if dispute is not None:
        return f"disputed ({dispute['status']})"
    if charge["refunded"]:
        return "refunded" if charge["captured"] else "canceled"
    if not charge["captured"]:
        return "uncaptured"
    return "partially refunded" if charge["amount_refunded"] else "succeeded"


def _options(values: tuple[str, ...]) -> str:
    return "".join(f"<option>{esc(v)}</option>" for v in values)


def _refund_rows(charge: Obj) -> str:
    rows = []
    for refund in charge["refunds"]["data"]:
        actions = ""
        if refund["status"] == "pending":
            actions += button_form(f"{BASE}/refunds/{refund['id']}/settle", "Succeed", {"outcome": "succeeded"})
        if refund["status"] in ("pending", "succeeded"):
            action = f"{BASE}/refunds/{refund['id']}/settle"
            actions += button_form(action, "Fail", {"outcome": "failed"}, secondary=True)
        rows.append(
            f"<tr><td>{esc(refund['id'])}</td><td>{esc(money(refund['amount'], refund['currency']))}</td>"
            f"<td>{esc(refund['reason'])}</td><td>{esc(refund['status'])}</td><td>{actions}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>" if rows else "<p>No refunds.</p>"


def _dispute_section(charge: Obj, dispute: Obj | None) -> str:
    if dispute is None:
        if not charge["captured"]:
            return "<p>Only a captured payment can be disputed.</p>"
        return (
            f"<form method='post' action='{BASE}/payments/{esc(charge['id'])}/dispute'>"
            f"<select name='reason'>{_options(disputes.REASONS)}</select> "
            "<button class='secondary'>Open a dispute</button></form>"
        )
    text = (
        f"<p>{esc(dispute['id'])}: {esc(dispute['reason'])}, {esc(money(dispute['amount'], dispute['currency']))}, "
        f"<b>{esc(dispute['status'])}</b> (evidence due {esc(when(dispute['evidence_details']['due_by']))})</p>"
    )
    if dispute["status"] in disputes.OPEN_STATUSES:
        action = f"{BASE}/disputes/{dispute['id']}/close"
        text += button_form(action, "Close as won", {"outcome": "won"})
        text += button_form(action, "Close as lost", {"outcome": "lost"}, secondary=True)
    return text


def _amount(value: Any) -> int | None:
    """Blank: all that is left; otherwise a whole number of the currency's minor unit."""
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise invalid(f"Invalid integer: {text}", param="amount") from None


def handlers(sb: "Sandbox") -> list[Any]:
    state, dashboard = sb.state, sb.dashboard

    def dispute_of(charge: Obj) -> Obj | None:
        return next((d for d in state.store.all("dispute") if d["charge"] == charge["id"]), None)

    def answer(from_form: bool, target: str, act: Any) -> Response[Any]:
        try:
            obj = act()
        except StripeError as error:
            if from_form:
                return page("Dashboard", f"<p>{esc(error.message)}</p><a href='{esc(target)}'>Back</a>", error.status)
            return Response(error.body(), status_code=error.status)
        return see_other(target) if from_form else Response(obj)

    @get("/dashboard/payments", sync_to_thread=False)
    def payments() -> Response[str]:
        rows = "".join(
            f"<tr><td><a href='{BASE}/payments/{esc(c['id'])}'>{esc(c['payment_intent'] or c['id'])}</a></td>"
            f"<td>{esc(money(c['amount'], c['currency']))}</td><td>{esc(_payment_status(c, dispute_of(c)))}</td>"
            f"<td>{esc(when(c['created']))}</td></tr>"
            for c in state.store.all("charge")
        )
        hold = "off" if state.refunds_stay_pending else "on"
        switch = button_form(f"{BASE}/refunds/hold", f"Turn {hold} pending refunds", {"on": str(hold == "on")})
        body = (
            f"<section><h2>Payments</h2><table>{rows or '<tr><td>No payments yet.</td></tr>'}</table></section>"
            f"<p>New refunds {'stay pending' if state.refunds_stay_pending else 'succeed at once'}. {switch}</p>"
        )
        return page("Dashboard — payments", f"<p><a href='{BASE}'>Billing</a></p>{body}")

    @get("/dashboard/payments/{payment:str}", sync_to_thread=False)
    def payment(payment: FromPath[str]) -> Response[str]:
        try:
            charge = dashboard.charge(payment)
        except StripeError as error:
            return page("Payment", f"<p>{esc(error.message)}</p>", status=error.status)
        dispute = dispute_of(charge)
        refund_form = (
            f"<form method='post' action='{BASE}/payments/{esc(charge['id'])}/refund'>"
            "<input name='amount' placeholder='amount in cents (blank: all that is left)' size='32'> "
            f"<select name='reason'><option value=''>no reason</option>{_options(_REFUND_REASONS)}</select> "
            "<button>Refund</button></form>"
        )
        body = (
            f"<p><a href='{PAYMENTS}'>All payments</a> · <a href='{BASE}'>Billing</a></p>"
            f"<section><p>{esc(charge['payment_intent'])} · "
            f"{esc(charge['id'])}</p><p>{esc(money(charge['amount'], charge['currency']))}, captured "
            f"{esc(money(charge['amount_captured'], charge['currency']))}, refunded "
            f"{esc(money(charge['amount_refunded'], charge['currency']))} — "
            f"<b>{esc(_payment_status(charge, dispute))}</b></p></section>"
            f"<section><h2>Refunds</h2>{_refund_rows(charge)}{refund_form}</section>"
            f"<section><h2>Dispute</h2>{_dispute_section(charge, dispute)}</section>"
        )
        return page("Payment", body)

    @post("/dashboard/payments/{payment:str}/refund", status_code=200)
    async def refund(payment: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
        data, from_form = await read_form(request)
        reason = str(data.get("reason") or "") or None
        return answer(
            from_form,
            f"{BASE}/payments/{payment}",
            lambda: dashboard.refund(payment, _amount(data.get("amount")), reason),
        )

    @post("/dashboard/refunds/hold", status_code=200)
    async def hold(request: Request[Any, Any, Any]) -> Response[Any]:
        data, from_form = await read_form(request)
        dashboard.hold_refunds(str(data.get("on", "true")).lower() == "true")
        return see_other(PAYMENTS) if from_form else Response({"refunds_stay_pending": state.refunds_stay_pending})

    @post("/dashboard/refunds/{refund_id:str}/settle", status_code=200)
    async def settle(refund_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
        data, from_form = await read_form(request)
        found = state.store.find("refund", refund_id)
        target = f"{BASE}/payments/{found['charge']}" if found else PAYMENTS
        return answer(from_form, target, lambda: dashboard.settle_refund(refund_id, str(data.get("outcome", ""))))

    @post("/dashboard/payments/{payment:str}/dispute", status_code=200)
    async def open_dispute(payment: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
        data, from_form = await read_form(request)
        reason = str(data.get("reason") or "fraudulent")
        return answer(from_form, f"{BASE}/payments/{payment}", lambda: dashboard.open_dispute(payment, reason))

    @post("/dashboard/disputes/{dispute_id:str}/close", status_code=200)
    async def close_dispute(dispute_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
        data, from_form = await read_form(request)
        found = state.store.find("dispute", dispute_id)
        target = f"{BASE}/payments/{found['charge']}" if found else PAYMENTS
        return answer(from_form, target, lambda: dashboard.close_dispute(dispute_id, str(data.get("outcome", ""))))

    return [payments, payment, refund, hold, settle, open_dispute, close_dispute]
