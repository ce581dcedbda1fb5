"""The one URL rule set: what counts as loopback, how a URL is shown, which URLs are accepted.

Plain HTTP is accepted only to a loopback host (or with an explicit opt-in), because both
backends' credentials travel in headers. URLs are shown without user info or query string,
either of which may carry credentials.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple
from urllib.parse import SplitResult, urlsplit, urlunsplit


def is_loopback(host: str | None) -> bool:
    """True for localhost names and loopback addresses (plain HTTP is allowed only there)."""
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def redact_url(url: str) -> str:
    """The URL without user info or query string (either may carry credentials)."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return "<invalid URL>"
    if not parts.scheme:
        return "<invalid URL>"
    host = parts.hostname or ""
    if port:
        host += f":{port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class UrlProblem(NamedTuple):
    """Why a backend URL is refused: `kind` is malformed, not-http, credentials or cleartext."""

    kind: str
    host: str


def check_http_url(url: str, *, allow_cleartext: bool = False) -> SplitResult | UrlProblem:
    """The parsed URL if it is an http(s) URL without credentials and, when plain http, to a
    loopback host (or `allow_cleartext`); else the problem, for the caller to word."""
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return UrlProblem("malformed", "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return UrlProblem("not-http", parts.hostname or "")
    if parts.username or parts.password:
        return UrlProblem("credentials", parts.hostname)
    if parts.scheme == "http" and not allow_cleartext and not is_loopback(parts.hostname):
        return UrlProblem("cleartext", parts.hostname)
    return parts
