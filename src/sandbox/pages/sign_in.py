"""`/sandbox/sign-in` and `/sandbox/sign-out`: the stand-in for Clerk's hosted sign-in.

It signs a Clerk-shaped session token and sets it as the `__session` cookie, as Clerk does, so the
service's own token check is exercised unchanged. A JSON request gets the token back (for curl and
tests); an HTML form gets redirected to the local page it names.
"""

from typing import TYPE_CHECKING, Any

from litestar import Request, Response, post

from sandbox.pages.common import local_path, read_form, see_other

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox

COOKIE = "__session"


def handlers(sb: "Sandbox") -> list[Any]:
    @post("/sign-in", status_code=200)
    async def sign_in(request: Request[Any, Any, Any]) -> Response[Any]:
        data, from_form = await read_form(request)
        if not data.get("user_id") or not data.get("email"):
            return Response({"error": "user_id and email are required"}, status_code=400)
        token = sb.signer.sign(str(data["user_id"]), str(data["email"]), data.get("role") or None)
        response: Response[Any] = (
            see_other(local_path(data.get("redirect"))) if from_form else Response({"token": token})
        )
        response.set_cookie(COOKIE, token, path="/", httponly=True, samesite="lax", max_age=3600)
        return response

    @post("/sign-out", status_code=303)
    async def sign_out(request: Request[Any, Any, Any]) -> Response[bytes]:
        data, _ = await read_form(request)
        response = see_other(local_path(data.get("redirect")))
        response.delete_cookie(COOKIE, path="/")
        return response

    return [sign_in, sign_out]
