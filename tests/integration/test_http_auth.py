"""Contract §3: who is calling — Clerk session tokens by header or cookie, admins, first sight."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import Stack, StackFactory, assert_problem, rows
from tests.support.tokens import TokenMinter

BILLING = "/api/me/billing"


async def test_a_bearer_token_signs_the_user_in(stack: Stack) -> None:
    response = await stack.client.get(BILLING, headers=stack.auth("user_bearer"))

    assert response.status_code == 200
    assert response.json()["user_id"] == "user_bearer"


async def test_the_session_cookie_signs_the_user_in(stack: Stack) -> None:
    token = stack.minter.token("user_cookie", email="cookie@example.com")

    response = await stack.client.get(BILLING, cookies={"__session": token})

    assert response.status_code == 200
    assert response.json()["user_id"] == "user_cookie"


async def test_a_request_without_a_token_is_401_problem_json(stack: Stack) -> None:
    assert_problem(await stack.client.get(BILLING), 401)


async def test_an_expired_token_is_401(stack: Stack) -> None:
    past = int(time.time()) - 3600
    token = stack.minter.token("user_late", iat=past - 600, nbf=past - 600, exp=past)

    assert_problem(await stack.client.get(BILLING, headers={"Authorization": f"Bearer {token}"}), 401)


async def test_a_token_not_valid_yet_is_401(stack: Stack) -> None:
    future = int(time.time()) + 600
    token = stack.minter.token("user_early", nbf=future, exp=future + 600)

    assert_problem(await stack.client.get(BILLING, headers={"Authorization": f"Bearer {token}"}), 401)


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
async def test_a_garbage_token_is_401(stack: Stack, token: str) -> None:
    assert_problem(await stack.client.get(BILLING, headers={"Authorization": f"Bearer {token}"}), 401)


async def test_a_few_seconds_of_clock_skew_are_tolerated(stack: Stack) -> None:
    now = int(time.time())
    just_expired = stack.minter.token("user_skew", iat=now - 600, nbf=now - 600, exp=now - 2)
    not_quite_valid = stack.minter.token("user_skew", nbf=now + 2, exp=now + 600)

    for token in (just_expired, not_quite_valid):
        response = await stack.client.get(BILLING, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text


async def test_a_token_without_a_subject_is_401(stack: Stack) -> None:
    token = jwt.encode({"exp": int(time.time()) + 600}, stack.minter.private_key, algorithm="RS256")

    assert_problem(await stack.client.get(BILLING, headers={"Authorization": f"Bearer {token}"}), 401)


async def test_a_token_signed_by_another_key_is_401(stack: Stack) -> None:
    impostor = TokenMinter()

    assert_problem(await stack.client.get(BILLING, headers=impostor.headers("user_forged")), 401)


async def test_an_hs256_token_using_the_public_key_as_secret_is_401(stack: Stack) -> None:
    claims = {"sub": "user_confused", "exp": int(time.time()) + 600}
    token = jwt.encode(claims, "not-the-rsa-key-but-a-shared-secret-long-enough-0123", algorithm="HS256")

    assert_problem(await stack.client.get(BILLING, headers={"Authorization": f"Bearer {token}"}), 401)


async def test_azp_must_be_an_authorized_party_when_they_are_configured(make_stack: StackFactory) -> None:
    stack = await make_stack(CLERK_AUTHORIZED_PARTIES="https://app.example.com,https://admin.example.com")

    allowed = stack.minter.token("user_azp", azp="https://admin.example.com")
    other = stack.minter.token("user_azp", azp="https://evil.example.com")
    missing = stack.minter.token("user_azp")

    assert (await stack.client.get(BILLING, headers={"Authorization": f"Bearer {allowed}"})).status_code == 200
    assert_problem(await stack.client.get(BILLING, headers={"Authorization": f"Bearer {other}"}), 401)
    assert_problem(await stack.client.get(BILLING, headers={"Authorization": f"Bearer {missing}"}), 401)


async def test_azp_is_not_checked_when_no_parties_are_configured(stack: Stack) -> None:
    token = stack.minter.token("user_any_azp", azp="https://anywhere.example.com")

    assert (await stack.client.get(BILLING, headers={"Authorization": f"Bearer {token}"})).status_code == 200


async def test_a_non_admin_on_the_review_queue_is_403(stack: Stack) -> None:
    body = assert_problem(await stack.client.get("/api/admin/orders", headers=stack.auth("user_plain")), 403)

    assert "admin" in body["detail"].lower()


async def test_an_admin_token_opens_the_review_queue(stack: Stack) -> None:
    response = await stack.client.get("/api/admin/orders", headers=stack.admin())

    assert response.status_code == 200
    assert response.json() == {"orders": []}


async def test_the_admin_routes_are_401_without_a_token(stack: Stack) -> None:
    assert_problem(await stack.client.get("/api/admin/orders"), 401)
    assert_problem(await stack.client.post("/api/admin/orders/ord_x/capture"), 401)


async def test_a_user_row_is_created_on_first_sight_with_the_tokens_email(stack: Stack) -> None:
    url = stack.settings.database_url
    assert await rows(url, "SELECT user_id FROM customers WHERE user_id = 'user_new'") == []

    response = await stack.client.get(BILLING, headers=stack.auth("user_new", email="new@example.com"))

    assert response.status_code == 200
    assert response.json()["email"] == "new@example.com"
    assert await rows(url, "SELECT user_id, email FROM customers WHERE user_id = 'user_new'") == [
        ("user_new", "new@example.com")
    ]


async def test_a_changed_email_claim_updates_the_users_email(stack: Stack) -> None:
    await stack.client.get(BILLING, headers=stack.auth("user_moves", email="old@example.com"))

    response = await stack.client.get(BILLING, headers=stack.auth("user_moves", email="new@example.com"))

    assert response.json()["email"] == "new@example.com"
    assert len(await rows(stack.settings.database_url, "SELECT 1 FROM customers WHERE user_id = 'user_moves'")) == 1


async def test_an_invalid_token_creates_no_user_row(stack: Stack) -> None:
    impostor = TokenMinter()

    await stack.client.get(BILLING, headers=impostor.headers("user_ghost"))

    assert await rows(stack.settings.database_url, "SELECT 1 FROM customers WHERE user_id = 'user_ghost'") == []


async def test_an_azp_list_is_401_when_authorized_parties_are_configured(make_stack: StackFactory) -> None:
    stack = await make_stack(CLERK_AUTHORIZED_PARTIES="https://app.example")
    listed = stack.minter.token("user_azp_list", azp=["https://app.example"])
    allowed = stack.minter.token("user_azp_ok", azp="https://app.example")

    assert_problem(await stack.client.get(BILLING, headers={"Authorization": f"Bearer {listed}"}), 401)
    assert (await stack.client.get(BILLING, headers={"Authorization": f"Bearer {allowed}"})).status_code == 200


@pytest.mark.parametrize(
    "claims",
    [{"sub": "u" * 300}, {"email": "nul\x00@example.com"}, {"metadata": {"role": ["admin"]}}],
    ids=["long sub", "NUL in email", "role list"],
)
async def test_a_token_with_a_malformed_claim_is_401_and_reaches_no_storage(
    stack: Stack, claims: dict[str, Any]
) -> None:
    token = stack.minter.token("user_malformed", **claims)

    assert_problem(await stack.client.get(BILLING, headers={"Authorization": f"Bearer {token}"}), 401)
    assert await rows(stack.settings.database_url, "SELECT user_id FROM customers") == []
