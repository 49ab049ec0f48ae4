"""A subscription's turn of period: the next period starts (a trial ends), billed by a draft invoice that
Stripe finalizes and charges an hour later; and the reminder three days before a trial ends."""

import copy

from sandbox.billing_rules import TRIAL_WILL_END_NOTICE
from sandbox.clock import add_interval
from sandbox.resources import invoice_objects
from sandbox.resources.subscription_objects import period_end
from sandbox.state import State
from sandbox.store import Obj

# Statuses whose periods keep turning (an `unpaid` one still gets invoices, left as drafts).
RENEWING = ("active", "trialing", "past_due", "unpaid")


def renew(state: State, sub: Obj) -> Obj:
    """Start the next period; returns its invoice, still a draft."""
    before = copy.deepcopy(sub)
    end = period_end(sub)
    for item in sub["items"]["data"]:
        recurring = item["price"]["recurring"]
        item["current_period_start"] = end
        item["current_period_end"] = add_interval(end, recurring["interval"], recurring["interval_count"])
    if sub["status"] == "trialing":
        sub["status"] = "active"  # the trial is over; a failed first charge makes it past_due
    invoice = invoice_objects.draft(state, sub, "subscription_cycle", (end, period_end(sub)))
    if sub["status"] == "unpaid":
        # Stripe stops collecting from an unpaid subscription: its new invoices stay drafts
        invoice.update(auto_advance=False, automatically_finalizes_at=None)
    sub["latest_invoice"] = invoice["id"]
    state.events.changed("customer.subscription.updated", before, sub)
    state.events.emit("invoice.created", invoice)
    return invoice


def trial_notice_at(state: State, sub: Obj) -> int | None:
    """When `customer.subscription.trial_will_end` is due for this trial; None if sent or no trial."""
    if sub["status"] != "trialing" or sub["trial_end"] is None:
        return None
    if state.hidden.get(sub["id"], {}).get("trial_will_end_sent_for") == sub["trial_end"]:
        return None
    return int(sub["trial_end"]) - TRIAL_WILL_END_NOTICE


def notify_trial_end(state: State, sub: Obj) -> None:
    state.hidden.setdefault(sub["id"], {})["trial_will_end_sent_for"] = sub["trial_end"]
    state.events.emit("customer.subscription.trial_will_end", sub)


def notify_trial_end_if_due(state: State, sub: Obj) -> None:
    """A trial shorter than the notice gets its reminder at once, as Stripe sends it."""
    due = trial_notice_at(state, sub)
    if due is not None and due <= state.now():
        notify_trial_end(state, sub)
