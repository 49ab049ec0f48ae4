"""How much of a request the service reads, and how much of it an error echoes (issue 11 #4).

Bounds fit the real senders with room to spare, so that a burst of oversized requests costs no
memory: the body limit is checked against `Content-Length` before anything is read (413), and
while streaming for chunked bodies; the head limit is enforced by the HTTP server (431)."""

from __future__ import annotations

KIB = 1024

# The JSON and form bodies of the API are a few hundred bytes (a price id and a quantity, a
# cancellation reason); HTML forms add a field or two (a CSRF token).
BODY_MAX_BYTES = 16 * KIB

# A Stripe event is one object's snapshot (plus `previous_attributes` on updates): a few KB as
# Stripe's own fixtures show. The largest an account can make are subscriptions and invoices with
# many items, each carrying metadata (at most 50 keys of 500 characters): a few hundred KB.
# Read before the signature is checked, so no larger than that.
WEBHOOK_BODY_MAX_BYTES = 1024 * KIB

# Request line and headers together. A Clerk session token is 1-3 KB and its cookie must fit a
# browser's 4 KB, sent as `Authorization` or `__session` next to the front end's other cookies.
# The same order as nginx's default (4 buffers of 8 KB).
HEAD_MAX_BYTES = 32 * KIB

# What a validation error may quote of the input: enough to recognise a value, never the value.
ECHO_MAX_CHARS = 120


def clip(text: str) -> str:
    """`text` cut to ECHO_MAX_CHARS, marked when cut."""
    return text if len(text) <= ECHO_MAX_CHARS else f"{text[:ECHO_MAX_CHARS]}… ({len(text)} characters)"
