"""The catalog's cache entries, written by `GetCatalog` and dropped by `InvalidateCatalog`: both
import these names, so a key or tag cannot drift between writer and reader."""

from __future__ import annotations

PRODUCTS_TAG = "products"
COUPONS_TAG = "coupons"
CATALOG_TAGS = (PRODUCTS_TAG, COUPONS_TAG)

PRODUCTS_KEY = "catalog:products:v1"
COUPONS_KEY = "catalog:coupons:v1"

# Webhooks invalidate on every change; the TTL only bounds staleness if a webhook is lost.
SAFETY_TTL_SECONDS = 300
# A last good copy, untagged, kept for a day: served only while Stripe is unreachable.
STALE_TTL_SECONDS = 86_400


def last_good_key(key: str) -> str:
    return f"stale:{key}"
