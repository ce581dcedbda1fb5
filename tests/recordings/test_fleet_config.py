"""Fleet API settings: HTTPS unless loopback, both variables or neither, the key never shown."""

from __future__ import annotations

import pytest

from runner.adapters.fleet import FleetClient, check_base_url
from runner.errors import ConfigError
from runner.settings import fleet_settings


def test_neither_variable_means_no_fleet_configured() -> None:
    assert fleet_settings({}) is None


@pytest.mark.parametrize("env", [{"AVALA_BASE_URL": "https://h/api/v1"},
                                 {"AVALA_API_KEY": "k-secret"}])
def test_one_variable_without_the_other_is_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as err:
        fleet_settings(env)
    assert "k-secret" not in str(err.value)


def test_settings_never_show_the_key() -> None:
    settings = fleet_settings({"AVALA_BASE_URL": "https://fleet.example/api/v1",
                               "AVALA_API_KEY": "k-very-secret"})
    assert settings is not None and settings.api_key == "k-very-secret"
    assert "k-very-secret" not in repr(settings)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/api/v1", "http://localhost/api/v1",
                                 "http://[::1]:9/api/v1", "https://fleet.example/api/v1"])
def test_https_or_loopback_is_accepted(url: str) -> None:
    assert check_base_url(url) == url


def test_host_alone_gets_the_api_root() -> None:
    assert check_base_url("https://fleet.example/") == "https://fleet.example/api/v1"


@pytest.mark.parametrize("url", ["http://fleet.example/api/v1", "ftp://fleet.example/",
                                 "fleet.example", "https://user:pw@fleet.example/api/v1"])
def test_unsafe_or_invalid_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError) as err:
        check_base_url(url)
    assert "pw" not in str(err.value)


def test_client_needs_a_key() -> None:
    with pytest.raises(ConfigError, match="AVALA_API_KEY"):
        FleetClient("https://fleet.example/api/v1", "")


@pytest.mark.parametrize("url", ["http://[::1", "https://host:abc/api/v1",
                                 "https://host:99999/api/v1"])
def test_malformed_base_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="not a valid URL"):
        fleet_settings({"AVALA_BASE_URL": url, "AVALA_API_KEY": "k"})

