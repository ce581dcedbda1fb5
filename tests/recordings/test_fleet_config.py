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


def test_retry_after_seconds_or_http_date() -> None:
    import email.utils
    import time

    import httpx

    from runner.adapters.fleet import _retry_after

    assert _retry_after(httpx.Response(429, headers={"Retry-After": "3"}), 9.0) == 3.0
    assert _retry_after(httpx.Response(429), 9.0) == 9.0
    assert _retry_after(httpx.Response(429, headers={"Retry-After": "soon"}), 9.0) == 9.0
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= _retry_after(httpx.Response(429, headers={"Retry-After": later}), 9.0) <= 30


def test_backoff_is_full_jitter_under_a_growing_cap() -> None:
    import random

    client = FleetClient("https://fleet.example/api/v1", "k", backoff_base=0.1,
                         backoff_max=1.0, rng=random.Random(7))
    for attempt, cap in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)]:
        waits = [client._backoff(attempt) for _ in range(200)]
        assert all(0 <= w <= cap for w in waits)
        assert max(waits) > cap * 0.8 and min(waits) < cap * 0.2  # spread over the whole range


@pytest.mark.parametrize("url", ["http://[::1", "https://host:abc/api/v1",
                                 "https://host:99999/api/v1"])
def test_malformed_base_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="not a valid URL"):
        fleet_settings({"AVALA_BASE_URL": url, "AVALA_API_KEY": "k"})

