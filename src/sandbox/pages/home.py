"""`/sandbox`: sign in as a demo user or admin, browse the catalog, buy or subscribe, manage billing."""

from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get, post

from sandbox.pages.common import button_form, esc, money, page, read_form, see_other, when

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox

COOKIE = "__session"


def _price_label(price: dict[str, Any]) -> str:
    label = money(price["unit_amount"], price["currency"])
    recurring = price["recurring"]
    return f"{label} / {recurring['interval']}" if recurring else label


def _catalog(sb: "Sandbox") -> str:
    store = sb.state.store
    products = sorted(
        (p for p in store.all("product") if p["active"]),
        key=lambda p: (p["metadata"].get("plan_key") is not None, p["metadata"].get("order", "9")),
    )
    cards = []
    for product in products:
        prices = [p for p in store.all("price") if p["product"] == product["id"] and p["active"]]
        features = "".join(f"<li>{esc(f['name'])}</li>" for f in product["marketing_features"])
        buttons = "".join(
            f"<div>{esc(_price_label(p))} "
            + button_form("/api/stripe/checkout", "Subscribe" if p["recurring"] else "Buy", {"price_id": p["id"]})
            + "</div>"
            for p in reversed(prices)
        )
        cards.append(
            f"<article><h3>{esc(product['name'])}</h3><p>{esc(product['description'])}</p>"
            f"<ul>{features}</ul>{buttons}</article>"
        )
    return "".join(cards)


def _who(sb: "Sandbox", request: Request[Any, Any, Any]) -> str:
    claims = sb.signer.read(request.cookies.get(COOKIE, ""))
    if claims is None:
        return "<p>Not signed in.</p>"
    role = (claims.get("metadata") or {}).get("role", "user")
    return (
        f"<p>Signed in as <b>{esc(claims['sub'])}</b> ({esc(claims.get('email'))}, {esc(role)}) "
        + button_form("/sandbox/sign-out", "Sign out", secondary=True)
        + "</p>"
    )


def handlers(sb: "Sandbox") -> list[Any]:
    @get("/", sync_to_thread=False)
    def home(request: Request[Any, Any, Any]) -> Response[str]:
        sign_in = (
            "<form method='post' action='/sandbox/sign-in'>"
            "<input type='hidden' name='redirect' value='/sandbox'>"
            "<input name='user_id' value='user_demo' required> <input name='email' value='demo@example.com' "
            "type='email' required> <button>Sign in</button></form>"
            + button_form(
                "/sandbox/sign-in",
                "Sign in as demo admin",
                {
                    "user_id": "admin_demo",
                    "email": "admin@example.com",
                    "role": "admin",
                    "redirect": "/sandbox",
                },
                secondary=True,
            )
        )
        clock = (
            f"<p>Sandbox time: {esc(when(sb.state.now()))} "
            "<form method='post' action='/sandbox/clock/advance'><input name='days' value='30' size='3'> "
            "<button class='secondary'>Advance days</button></form> <a href='/sandbox/events'>Events</a></p>"
        )
        body = (
            f"<section><h2>Account</h2>{_who(sb, request)}{sign_in}"
            + button_form("/api/stripe/portal", "Manage billing")
            + f"</section>{clock}"
            f"<section><h2>Catalog</h2>{_catalog(sb)}</section>"
        )
        return page("Demo store", body)

    @post("/sign-in", status_code=200)
    async def sign_in(request: Request[Any, Any, Any]) -> Response[Any]:
        data, from_form = await read_form(request)
        if not data.get("user_id") or not data.get("email"):
            return Response({"error": "user_id and email are required"}, status_code=400)
        token = sb.signer.sign(str(data["user_id"]), str(data["email"]), data.get("role") or None)
        response: Response[Any] = (
            see_other(str(data["redirect"])) if from_form and data.get("redirect") else Response({"token": token})
        )
        response.set_cookie(COOKIE, token, path="/", httponly=True, samesite="lax", max_age=3600)
        return response

    @post("/sign-out", status_code=303)
    async def sign_out() -> Response[bytes]:
        response = see_other("/sandbox")
        response.delete_cookie(COOKIE, path="/")
        return response

    return [home, sign_in, sign_out]
