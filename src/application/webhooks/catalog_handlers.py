from __future__ import annotations

from application.ports.events import VerifiedEvent
from application.webhooks.context import Handled, WebhookContext


async def products_changed(ctx: WebhookContext, event: VerifiedEvent) -> Handled:
    await ctx.invalidate_catalog.products()
    return Handled()


async def coupons_changed(ctx: WebhookContext, event: VerifiedEvent) -> Handled:
    await ctx.invalidate_catalog.coupons()
    return Handled()
