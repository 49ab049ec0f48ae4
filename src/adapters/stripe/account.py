"""Which Stripe account a key opens, as a short name for keeping cached data apart per account.

No Stripe call: a key belongs to one account and one mode for good, so livemode plus a digest of
the key and the API base it is used against names the account (a rolled key gets a new name,
which costs a cold cache, nothing more). The digest cannot be turned back into the key.
"""

from __future__ import annotations

import hashlib

STRIPE_API_BASE = "https://api.stripe.com"


def account_namespace(secret_key: str, api_base: str | None) -> str:
    mode = "live" if secret_key.startswith(("sk_live_", "rk_live_")) else "test"
    base = (api_base or STRIPE_API_BASE).rstrip("/")
    digest = hashlib.blake2b(f"{base}\n{secret_key}".encode(), digest_size=10, person=b"billing-cache").hexdigest()
    return f"{mode}-{digest}"
