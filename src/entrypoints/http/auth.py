"""Who is calling: a Clerk session token from `Authorization: Bearer` or the `__session` cookie.

Protected routes depend on `signed_in_user` (401 without a valid token) or `admin_user` (403 for
non-admins). Checkout and portal use `rate_limited_user`, which counts the request against the
user's (or, unauthenticated, the client IP's) window before anything else happens.
"""

from __future__ import annotations

from typing import Any

from dishka import AsyncContainer
from litestar import Request

from application.customers.register_user import RegisterUser
from application.errors import Forbidden, InvalidToken, RateLimited, Unauthorized
from application.ports.rate_limiter import RateLimiter
from application.ports.tokens import Identity, TokenVerifier
from entrypoints.settings import Settings

AnyRequest = Request[Any, Any, Any]


def bearer_token(request: AnyRequest) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get("__session") or None


def _container(request: AnyRequest) -> AsyncContainer:
    container: AsyncContainer = request.state.dishka_container
    return container


async def _identity(request: AnyRequest) -> Identity | None:
    token = bearer_token(request)
    if token is None:
        return None
    verifier = await _container(request).get(TokenVerifier)
    try:
        identity: Identity = await verifier.verify(token)
        return identity
    except InvalidToken:
        return None


async def _registered(request: AnyRequest, identity: Identity | None) -> Identity:
    if identity is None:
        raise Unauthorized("Sign in first: send a valid session token.")
    register = await _container(request).get(RegisterUser)
    await register.execute(identity)
    return identity


async def signed_in_user(request: AnyRequest) -> Identity:
    return await _registered(request, await _identity(request))


async def admin_user(request: AnyRequest) -> Identity:
    identity = await signed_in_user(request)
    if not identity.is_admin:
        raise Forbidden("This route is for administrators.")
    return identity


async def rate_limited_user(request: AnyRequest) -> Identity:
    identity = await _identity(request)
    key = f"user:{identity.user_id}" if identity else f"ip:{request.client.host if request.client else 'unknown'}"
    limiter = await _container(request).get(RateLimiter)
    settings = await _container(request).get(Settings)
    decision = await limiter.hit(f"checkout:{key}", settings.rate_limit_checkout)
    request.state.rate_limit = decision
    if not decision.allowed:
        raise RateLimited(f"Too many requests; retry in {decision.retry_after} s.", decision.retry_after)
    return await _registered(request, identity)
