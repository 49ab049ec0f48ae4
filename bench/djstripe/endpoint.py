"""Register the bench's webhook endpoint with dj-stripe: `python -m bench.djstripe.endpoint` (in the
dj-stripe virtualenv, DJANGO_SETTINGS_MODULE=bench.djstripe.settings, after `migrate`).

dj-stripe's documented way is the Django admin's "Add webhook endpoint", which asks Stripe to create
the endpoint (`POST /v1/webhook_endpoints`) and stores the returned row, secret included. The stand-in
has no webhook-endpoint API, and the bench signs its own deliveries, so the same row is stored
directly: a test-mode endpoint for every event type whose secret is the bench's
(BENCH_DJSTRIPE_WEBHOOK_SECRET), validated by signature (dj-stripe's default). Prints
{"uuid": …, "path": "/stripe/webhook/<uuid>/"} as JSON.
"""

from __future__ import annotations

import json
import os
import uuid


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.djstripe.settings")
    django.setup()
    from django.urls import reverse
    from djstripe.models import WebhookEndpoint
    from djstripe.settings import djstripe_settings

    endpoint_uuid = uuid.uuid4()
    path = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint_uuid})
    WebhookEndpoint.objects.create(
        id=f"we_bench{endpoint_uuid.hex[:16]}",
        livemode=False,
        api_version=djstripe_settings.STRIPE_API_VERSION,
        enabled_events=["*"],
        secret=os.environ["BENCH_DJSTRIPE_WEBHOOK_SECRET"],
        status="enabled",
        url=f"http://127.0.0.1{path}",
        djstripe_uuid=endpoint_uuid,
        metadata={"djstripe_uuid": str(endpoint_uuid)},
    )
    print(json.dumps({"uuid": str(endpoint_uuid), "path": path}))


if __name__ == "__main__":
    main()
