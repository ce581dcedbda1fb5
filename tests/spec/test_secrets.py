"""The one secret-key rule: whole word parts in any key style, never inside other words."""

from __future__ import annotations

import pytest

from runner.spec import load_sources
from runner.spec.secrets import is_secret_key
from tests.spec.corpus import BASE

SECRETS = [
    "secret", "admin_secret", "adminSecret", "x-hasura-admin-secret", "client.secret",
    "password", "dbPassword", "DB_PASSWORD", "passwd", "pwd", "passphrase",
    "token", "authToken", "x-auth-token", "access_token", "refreshToken",
    "api_key", "apiKey", "api-key", "APIKey", "apikey", "X-Api-Key", "APIKEY",
    "authorization", "Authorization", "auth", "HTTPAuth", "bearer", "bearerToken",
    "cookie", "set-cookie", "credential", "credentials", "awsCredentials",
    "private_key", "privateKey", "private-key", "privatekey", "accessKeyId", "password2",
]  # fmt: skip
NOT_SECRETS = [
    "tokenizer", "secretary", "author", "authority", "authored_by", "key", "keys", "monkey",
    "keyboard", "name", "serial", "device", "passport", "cookbook", "credit", "private",
    "access", "api", "public_key_id_hint", "model", "encoder", "labels", "team",
]  # fmt: skip


@pytest.mark.parametrize("key", SECRETS)
def test_credential_words_are_caught_in_every_key_style(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", NOT_SECRETS)
def test_words_that_merely_contain_a_credential_word_pass(key: str) -> None:
    assert not is_secret_key(key)


@pytest.mark.parametrize(
    ("key", "refused"),
    [("authorization", True), ("tokenizer", False), ("secretary", False), ("bearer", True)],
)
def test_campaign_files_use_the_same_rule(key: str, refused: bool) -> None:
    # Before: `tokenizer` was refused (substring "token") and `authorization` passed.
    text = BASE.replace("  name: demo", f"  name: demo\n  labels: {{{key}: x}}")
    result = load_sources({"f.yaml": text})
    codes = [d.code for d in result.diagnostics]
    assert ("CMP501" in codes) is refused, result.diagnostics
    assert bool(result.campaigns) is not refused
