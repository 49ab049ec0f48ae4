"""Settings of contract §2 for observability: METRICS_ENABLED (default true) and
OTEL_EXPORTER_OTLP_ENDPOINT (unset by default: no tracing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.settings import SettingsError, load_settings


def test_metrics_are_on_and_tracing_off_by_default() -> None:
    settings = load_settings({}, env_file=None)

    assert settings.metrics_enabled is True
    assert settings.otel_exporter_otlp_endpoint is None


@pytest.mark.parametrize(("raw", "enabled"), [("false", False), ("0", False), ("true", True), ("ON", True)])
def test_metrics_enabled_reads_a_boolean(raw: str, enabled: bool) -> None:
    assert load_settings({"METRICS_ENABLED": raw}, env_file=None).metrics_enabled is enabled


def test_the_otlp_endpoint_is_read_from_the_environment_or_the_dotenv_file(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("OTEL_EXPORTER_OTLP_ENDPOINT=http://collector.internal:4318\n")

    assert load_settings({}, env_file=dotenv).otel_exporter_otlp_endpoint == "http://collector.internal:4318"


@pytest.mark.parametrize(
    ("name", "raw"), [("METRICS_ENABLED", "sometimes"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]
)
def test_an_invalid_value_names_the_variable(name: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=f"^{name}: "):
        load_settings({name: raw}, env_file=None)
