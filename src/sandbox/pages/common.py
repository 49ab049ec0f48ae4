"""Small helpers for the sandbox's own pages (Stripe's stand-ins): layout, money, forms, redirects."""

import html
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from babel.numbers import format_currency, get_currency_precision
from litestar import Request, Response
from litestar.enums import MediaType

LOCALE = "en_US"
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1a1f36}"
    "section,article{border:1px solid #e3e8ee;border-radius:8px;padding:1rem;margin:1rem 0}"
    "button{background:#635bff;color:#fff;border:0;border-radius:6px;padding:.4rem .9rem;cursor:pointer}"
    "button.secondary{background:#e3e8ee;color:#1a1f36}form{display:inline-block;margin:.2rem}"
    ".banner{background:#fff3cd;padding:.5rem 1rem;border-radius:6px}"
)


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def money(amount: int | None, currency: str | None) -> str:
    """As Stripe's hosted pages show it: `$49.00`, `¥1,500` (the currency's own exponent)."""
    if amount is None or currency is None:
        return "—"
    code = currency.upper()
    return format_currency(Decimal(amount).scaleb(-get_currency_precision(code)), code, locale=LOCALE)


def when(timestamp: int | None) -> str:
    if timestamp is None:
        return "—"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def page(title: str, body: str, status: int = 200) -> Response[str]:
    document = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(title)}</title>"
        f"<style>{_STYLE}</style></head><body><p class='banner'>Stripe sandbox — offline test mode, "
        f"no real money moves.</p><h1>{esc(title)}</h1>{body}</body></html>"
    )
    return Response(document, status_code=status, media_type=MediaType.HTML)


def button_form(action: str, label: str, fields: dict[str, str] | None = None, secondary: bool = False) -> str:
    hidden = "".join(f"<input type='hidden' name='{esc(k)}' value='{esc(v)}'>" for k, v in (fields or {}).items())
    css = " class='secondary'" if secondary else ""
    return f"<form method='post' action='{esc(action)}'>{hidden}<button{css}>{esc(label)}</button></form>"


def local_path(target: object, default: str = "/sandbox") -> str:
    """A redirect target from a form, kept on this site: a path, never another origin (`//host`)."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def see_other(url: str) -> Response[bytes]:
    return Response(b"", status_code=303, headers={"Location": url})


async def read_form(request: Request[Any, Any, Any]) -> tuple[dict[str, Any], bool]:
    """Body as a dict, and whether it came from an HTML form (which wants a redirect, not JSON)."""
    body = (await request.body()).decode()
    if "json" in request.headers.get("content-type", ""):
        data = json.loads(body or "{}")
        return (data if isinstance(data, dict) else {}), False
    return dict(parse_qsl(body, keep_blank_values=True)), True
