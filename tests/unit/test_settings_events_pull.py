"""EVENTS_PULL_INTERVAL (contract §2): a duration, 15 minutes with a real key, off in sandbox mode."""

from __future__ import annotations

import pytest

from entrypoints.settings import SettingsError, load_settings

REAL_KEY = {"STRIPE_SECRET_KEY": "sk_test_pull", "STRIPE_WEBHOOK_SECRET": "whsec_pull"}


def test_unset_it_is_15_minutes_with_a_real_key_and_off_in_sandbox_mode() -> None:
    assert load_settings(REAL_KEY, env_file=None).events_pull_seconds == 15 * 60
    assert load_settings({}, env_file=None).events_pull_seconds == 0


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("30 seconds", 30), ("15 minutes", 900), ("1 hour", 3600), ("2 days", 172800), ("1 minute", 60), ("0", 0)],
)
def test_a_duration_is_read_in_seconds(raw: str, seconds: int) -> None:
    assert load_settings({**REAL_KEY, "EVENTS_PULL_INTERVAL": raw}, env_file=None).events_pull_seconds == seconds


def test_an_explicit_interval_applies_in_sandbox_mode_too() -> None:
    assert load_settings({"EVENTS_PULL_INTERVAL": "30 seconds"}, env_file=None).events_pull_seconds == 30


@pytest.mark.parametrize("raw", ["soon", "15 fortnights", "-5 minutes", "1.5 hours"])
def test_anything_else_is_refused_naming_the_variable(raw: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({**REAL_KEY, "EVENTS_PULL_INTERVAL": raw}, env_file=None)

    assert str(refused.value).startswith("EVENTS_PULL_INTERVAL: ")
