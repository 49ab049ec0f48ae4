"""The name under which a Stripe account's cached data is kept: one per key, API base and mode."""

from __future__ import annotations

from adapters.stripe.account import account_namespace

KEY = "sk_test_" + "a" * 40


def test_the_same_key_and_base_always_name_the_same_account() -> None:
    assert account_namespace(KEY, None) == account_namespace(KEY, "https://api.stripe.com/")


def test_another_key_or_another_api_base_is_another_account() -> None:
    names = {
        account_namespace(KEY, None),
        account_namespace("sk_test_" + "b" * 40, None),
        account_namespace(KEY, "http://127.0.0.1:12111"),
        account_namespace(KEY, "http://127.0.0.1:12112"),
    }
    assert len(names) == 4


def test_live_and_test_keys_are_told_apart_and_the_key_does_not_show() -> None:
    live = account_namespace("sk_live_" + "a" * 40, None)
    restricted = account_namespace("rk_live_" + "a" * 40, None)
    test = account_namespace(KEY, None)
    assert live.startswith("live-") and restricted.startswith("live-") and test.startswith("test-")
    assert "a" * 8 not in live + test
