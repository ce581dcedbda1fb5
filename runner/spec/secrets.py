"""The one rule for keys that name a credential: campaign files and campaign.toml refuse them.

A key is split into word parts (snake_case, kebab-case, dotted, camelCase and digits) and
matches when a part, or two neighbouring parts, is a credential word. Words are matched
whole, never inside other words: `tokenizer`, `secretary` and `author` are fine;
`authorization`, `x-auth-token`, `dbPassword`, `privateKey` and `api_key` are secrets.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

# Parts that name a credential on their own.
SECRET_WORDS = frozenset(
    {
        "secret", "secrets", "password", "passwords", "passwd", "pwd", "passphrase",
        "token", "tokens", "auth", "oauth", "authorization", "bearer", "cookie", "cookies",
        "credential", "credentials", "apikey", "apikeys",
        # Compounds commonly written as one lowercase word.
        "privatekey", "accesskey", "secretkey", "apitoken", "authtoken", "accesstoken",
        "adminsecret", "clientsecret",
    }
)  # fmt: skip
# Two neighbouring parts that name a credential together.
SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key")})

# Upper-case runs (HTTP in HTTPAuth), capitalised or lower-case words, digit runs.
_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@lru_cache(maxsize=8192)
def is_secret_key(name: str) -> bool:
    """True when the key `name` names a credential (`api_key`, `dbPassword`, `x-auth-token`)."""
    parts = [p.lower() for p in _PART.findall(name)]
    if any(p in SECRET_WORDS for p in parts):
        return True
    return any(pair in SECRET_PAIRS for pair in pairwise(parts))
