"""ClerkUserDirectory against a tiny Clerk Backend API stand-in on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from adapters.clerk import ClerkUserDirectory, NullUserDirectory
from adapters.in_memory.tokens import InMemoryUserDirectory

SECRET = "sk_test_directory"
ADA = {
    "id": "user_ada",
    "primary_email_address_id": "idn_2",
    "email_addresses": [
        {"id": "idn_1", "email_address": "old@example.test"},
        {"id": "idn_2", "email_address": "ada@example.test"},
    ],
}
NO_PRIMARY: dict[str, Any] = {"id": "user_np", "primary_email_address_id": None, "email_addresses": []}


class FakeClerk:
    def __init__(self) -> None:
        self.users: dict[str, Any] = {"user_ada": ADA, "user_np": NO_PRIMARY}
        self.requests: list[tuple[str, str | None]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append((self.path, self.headers.get("Authorization")))
                user_id = self.path.removeprefix("/v1/users/")
                if self.headers.get("Authorization") != f"Bearer {SECRET}":
                    self._answer(401, {"errors": [{"code": "authentication_invalid"}]})
                elif user_id == "user_broken":
                    self._answer(200, None, raw=b"{not json")
                elif user_id in fake.users:
                    self._answer(200, fake.users[user_id])
                else:
                    self._answer(404, {"errors": [{"code": "resource_not_found"}]})

            def _answer(self, status: int, body: Any, raw: bytes | None = None) -> None:
                payload = raw if raw is not None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True).start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def clerk_api() -> Iterator[FakeClerk]:
    server = FakeClerk()
    yield server
    server.stop()


@pytest.fixture
async def directory(clerk_api: FakeClerk) -> AsyncIterator[ClerkUserDirectory]:
    directory = ClerkUserDirectory(SECRET, api_base=clerk_api.base, timeout=2)
    yield directory
    await directory.aclose()


async def test_the_primary_address_is_looked_up_with_the_secret_key(
    directory: ClerkUserDirectory, clerk_api: FakeClerk
) -> None:
    assert await directory.email_of("user_ada") == "ada@example.test"
    assert clerk_api.requests == [("/v1/users/user_ada", f"Bearer {SECRET}")]


@pytest.mark.parametrize("user_id", ["user_np", "user_missing", "user_broken", ""])
async def test_a_user_without_a_usable_address_has_none(directory: ClerkUserDirectory, user_id: str) -> None:
    assert await directory.email_of(user_id) is None


async def test_user_ids_cannot_escape_the_users_path(directory: ClerkUserDirectory, clerk_api: FakeClerk) -> None:
    assert await directory.email_of("../v1/users/user_ada") is None
    assert clerk_api.requests[0][0] == "/v1/users/..%2Fv1%2Fusers%2Fuser_ada"


async def test_a_rejected_secret_key_means_no_address(clerk_api: FakeClerk) -> None:
    directory = ClerkUserDirectory("sk_test_wrong", api_base=clerk_api.base, timeout=2)
    try:
        assert await directory.email_of("user_ada") is None
    finally:
        await directory.aclose()


async def test_an_unreachable_api_means_no_address(clerk_api: FakeClerk, caplog: pytest.LogCaptureFixture) -> None:
    directory = ClerkUserDirectory(SECRET, api_base=clerk_api.base, timeout=2)
    clerk_api.stop()
    try:
        assert await directory.email_of("user_ada") is None
    finally:
        await directory.aclose()
    assert "Clerk user lookup failed" in caplog.text
    assert SECRET not in caplog.text
    assert SECRET not in repr(directory)


async def test_without_a_secret_key_nothing_is_asked(clerk_api: FakeClerk) -> None:
    directory = ClerkUserDirectory(None, api_base=clerk_api.base)
    try:
        assert await directory.email_of("user_ada") is None
    finally:
        await directory.aclose()
    assert clerk_api.requests == []


async def test_the_null_and_in_memory_directories() -> None:
    assert await NullUserDirectory().email_of("user_ada") is None
    fake = InMemoryUserDirectory({"user_ada": "ada@example.test"})
    assert await fake.email_of("user_ada") == "ada@example.test"
    assert await fake.email_of("user_other") is None
