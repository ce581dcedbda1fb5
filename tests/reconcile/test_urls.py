"""URL rules shared by the control-plane and fleet clients: loopback, redaction, bad URLs."""

from __future__ import annotations

import pytest

from runner.adapters.fleet import check_base_url
from runner.errors import ConfigError
from runner.settings import graphql_url
from runner.urls import is_loopback, redact_url


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("localhost", True), ("api.localhost", True), ("127.0.0.1", True), ("[::1]", True),
     ("::1", True), ("10.0.0.1", False), ("example.com", False), (None, False), ("", False)],
)
def test_loopback_hosts(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("url", "shown"),
    [("https://user:pw@h:8443/v1/graphql?token=t", "https://h:8443/v1/graphql"),
     ("http://[::1", "<invalid URL>"), ("http://h:abc/x", "<invalid URL>"),
     ("no-scheme/path", "<invalid URL>")],
)
def test_redaction_drops_credentials_and_never_raises(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize("url", ["http://[::1", "http://h:abc/v1", "http://h:99999/v1", "ftp://h"])
def test_malformed_endpoints_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="is not an http"):
        graphql_url(url)


def test_both_clients_allow_plain_http_only_to_loopback() -> None:
    assert graphql_url("http://[::1]:8080").startswith("http://[::1]:8080")
    assert check_base_url("http://[::1]:8080/api/v1")
    for refuse in (lambda: graphql_url("http://10.0.0.1/v1/graphql"),
                   lambda: check_base_url("http://10.0.0.1/api/v1")):
        with pytest.raises(ConfigError, match="plain"):
            refuse()
