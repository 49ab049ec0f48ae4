"""Invoices API: list, retrieve, lines, finalize, pay (a manual retry), void, mark uncollectible; and the
invoice payments that link an invoice to the PaymentIntent charging it."""

from typing import Any

import stripe.params as p

from sandbox import collection
from sandbox.errors import invalid
from sandbox.resources import invoice_objects
from sandbox.resources.payment_methods import Outcome
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, created_within, page


def retrieve(state: State, params: dict[str, Any], invoice_id: str) -> Obj:
    return state.store.get("invoice", invoice_id)


def list_(state: State, params: dict[str, Any]) -> Obj:
    items = state.store.all("invoice")
    for key in ("customer", "status", "collection_method"):
        if key in params:
            items = [x for x in items if x[key] == params[key]]
    if "subscription" in params:
        items = [x for x in items if _subscription_id(x) == params["subscription"]]
    return page(created_within(items, params.get("created")), params, "/v1/invoices")


def _subscription_id(invoice: Obj) -> str | None:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return details.get("subscription")


def list_lines(state: State, params: dict[str, Any], invoice_id: str) -> Obj:
    invoice = state.store.get("invoice", invoice_id)
    return page(invoice["lines"]["data"], params, f"/v1/invoices/{invoice_id}/lines")


def finalize(state: State, params: dict[str, Any], invoice_id: str) -> Obj:
    invoice = state.store.get("invoice", invoice_id)
    if "auto_advance" in params:
        invoice["auto_advance"] = params["auto_advance"]
    collection.finalize(state, invoice)
    return invoice


def pay(state: State, params: dict[str, Any], invoice_id: str) -> Obj:
    invoice = state.store.get("invoice", invoice_id)
    if params.get("paid_out_of_band") or params.get("forgive") or params.get("source"):
        raise invalid("The sandbox pays invoices by card only.", param="paid_out_of_band")
    card = None
    if "payment_method" in params:
        card = state.store.get("payment_method", params["payment_method"], "payment_method")
    outcome = collection.pay(state, invoice, card)
    if outcome is not Outcome.SUCCEEDS:
        raise collection.declined_error(outcome)  # Stripe answers a failed attempt with a card error
    return invoice


def void(state: State, params: dict[str, Any], invoice_id: str) -> Obj:
    invoice = state.store.get("invoice", invoice_id)
    collection.close(state, invoice, "void")
    return invoice


def mark_uncollectible(state: State, params: dict[str, Any], invoice_id: str) -> Obj:
    invoice = state.store.get("invoice", invoice_id)
    collection.close(state, invoice, "uncollectible")
    return invoice


def retrieve_payment(state: State, params: dict[str, Any], payment_id: str) -> Obj:
    return state.store.get("invoice_payment", payment_id)


def list_payments(state: State, params: dict[str, Any]) -> Obj:
    items = state.store.all("invoice_payment")
    if "invoice" in params:
        items = [x for x in items if x["invoice"] == params["invoice"]]
    return page(items, params, "/v1/invoice_payments")


def register(state: State) -> None:
    state.store.includables[("invoice", "payments")] = lambda invoice: invoice_objects.render_payments(state, invoice)


ROUTES: list[Route] = [
    route("GET", "/v1/invoices", p.InvoiceListParams, list_),
    route("GET", "/v1/invoices/{id}", p.InvoiceRetrieveParams, retrieve),
    route("GET", "/v1/invoices/{id}/lines", p.InvoiceListLinesParams, list_lines),
    route("POST", "/v1/invoices/{id}/finalize", p.InvoiceFinalizeInvoiceParams, finalize),
    route("POST", "/v1/invoices/{id}/pay", p.InvoicePayParams, pay),
    route("POST", "/v1/invoices/{id}/void", p.InvoiceVoidInvoiceParams, void),
    route("POST", "/v1/invoices/{id}/mark_uncollectible", p.InvoiceMarkUncollectibleParams, mark_uncollectible),
    route("GET", "/v1/invoice_payments", p.InvoicePaymentListParams, list_payments),
    route("GET", "/v1/invoice_payments/{id}", p.InvoicePaymentRetrieveParams, retrieve_payment),
]
