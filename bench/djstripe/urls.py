"""dj-stripe's URLs under /stripe/ (its webhook: /stripe/webhook/<endpoint uuid>/), plus a health check."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("health/", health),
]
