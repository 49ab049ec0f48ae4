"""Issue 11 #3: Redis down does not take down the catalog, checkout or catalog webhooks while Stripe
and the database are healthy. The catalog comes from Stripe (or this process's copy), the rate limit
from a per-process window, invalidations are not lost, and readiness keeps reporting the outage.
Against real Redis servers made unreachable: a closed port, and a redis-server the test kills and
starts again with the data it had saved before the catalog changed."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from adapters.redis.near_cache import STALENESS_SECONDS
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import Stack, StackFactory
from tests.support.redis_server import *  # noqa: F403  (the private_redis fixture)
from tests.support.redis_server import RedisServer
from tests.support.service import free_port

PRODUCTS = "/api/stripe/products"
READY = "/api/health/ready"


async def names(stack: Stack) -> list[str]:
    response = await stack.client.get(PRODUCTS)
    assert response.status_code == 200, response.text
    return [p["name"] for p in response.json()["products"]]


async def until(probe: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await probe():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_with_redis_unreachable_the_catalog_checkout_and_catalog_webhooks_work_and_readiness_says_so(
    make_stack: StackFactory,
) -> None:
    stack = await make_stack(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", RATE_LIMIT_CHECKOUT="2/10 seconds")
    pro = stack.product("Pro")["id"]

    assert "Pro" in await names(stack)
    assert (await stack.client.get("/api/stripe/coupons")).status_code == 200
    checkouts = [await stack.checkout("user_outage", stack.price_id("starter_template")) for _ in range(3)]
    stack.stripe.v1.products.update(pro, {"name": "Pro (changed while Redis is down)"})
    try:
        delivered = await stack.deliver_events()  # each answered 200
        after = await names(stack)
    finally:
        stack.stripe.v1.products.update(pro, {"name": "Pro"})
    ready = await stack.client.get(READY)

    assert [r.status_code for r in checkouts] == [200, 200, 429]  # the window, counted in this process
    assert [r.headers["X-RateLimit-Remaining"] for r in checkouts] == ["1", "0", "0"]
    assert "product.updated" in delivered
    assert "Pro (changed while Redis is down)" in after
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": True, "cache": False}


async def test_an_invalidation_made_while_redis_was_down_is_not_lost_when_it_is_back(
    make_stack: StackFactory, private_redis: RedisServer
) -> None:
    # Two workers on one Redis; the catalog webhook will reach only the first.
    first = await make_stack(REDIS_URL=private_redis.url)
    second = await make_stack(REDIS_URL=private_redis.url)
    pro = first.product("Pro")["id"]
    renamed = "Pro (renamed while Redis was down)"
    assert "Pro" in await names(second)  # in Redis now, and saved to disk with it
    private_redis.save()
    private_redis.kill()

    first.stripe.v1.products.update(pro, {"name": renamed})
    try:
        await first.deliver_events()
        assert renamed in await names(first)
        assert (await second.client.get(READY)).status_code == 503
        # The second worker did not hear of it: its copy ages out within the staleness bound.
        assert await until(lambda: _shows(second, renamed), STALENESS_SECONDS + 1)

        private_redis.start()  # back, holding the catalog saved before the change
        for stack in (first, second):
            assert await until(lambda s=stack: _ready(s), 5)
        await asyncio.sleep(STALENESS_SECONDS + 0.5)  # both trust Redis again; local copies aged out

        assert renamed in await names(second)
        assert renamed in await names(first)
    finally:
        first.stripe.v1.products.update(pro, {"name": "Pro"})


async def _shows(stack: Stack, name: str) -> bool:
    return name in await names(stack)


async def _ready(stack: Stack) -> bool:
    return (await stack.client.get(READY)).status_code == 200
