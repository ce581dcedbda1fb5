"""What `campaign doctor` learns about the fleet recordings API: reachability, the API key,
paging, and clock skew."""

from __future__ import annotations

import datetime as dt

import httpx

from runner.adapters.controlplane.diagnose import skew_finding
from runner.adapters.fleet import API_KEY_HEADER, MAX_IN_FLIGHT, RECORDINGS_PATH
from runner.adapters.fleet_pacing import RateLimitHeaders
from runner.adapters.tls import tls_context
from runner.findings import Finding, Status
from runner.urls import redact_url

BACKEND = "fleet API"


async def diagnose_fleet(base_url: str, api_key: str, *,
                         transport: httpx.AsyncBaseTransport | None, timeout: float,
                         now: dt.datetime) -> list[Finding]:
    """Findings about the fleet API at `base_url` (never the key itself)."""
    findings: list[Finding] = []

    def add(check: str, status: Status, detail: str) -> None:
        findings.append(Finding(BACKEND, check, status, detail))

    where = redact_url(base_url)
    async with httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout,
                                 headers={API_KEY_HEADER: api_key}, verify=tls_context(),
                                 follow_redirects=False) as http:
        try:
            answer = await http.get(RECORDINGS_PATH, params={"limit": 1})
        except httpx.HTTPError as exc:
            add("reachable", "fail", f"{where}: {type(exc).__name__}; check $AVALA_BASE_URL "
                "and the network")
            return findings
        add("reachable", "ok", f"{where} answered HTTP {answer.status_code}")
        skew_finding(add, answer, now)
        if answer.status_code in (401, 403):
            add("auth", "fail", f"HTTP {answer.status_code}: the API key was refused; check "
                "$AVALA_API_KEY")
            return findings
        if answer.status_code != 200:
            add("auth", "fail", f"HTTP {answer.status_code} listing recordings; is "
                "$AVALA_BASE_URL the /api/v1 root?")
            return findings
        add("auth", "ok", "API key accepted")
        try:
            body = answer.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("results"), list) and "next" in body:
            add("paging", "ok", "cursor pages ({results, next, previous})")
        else:
            add("paging", "fail", "the recordings list has no {results, next} page shape")
        limits = RateLimitHeaders.parse(answer.headers, now=now.timestamp())
        if limits is None:
            add("rate limit", "ok", "no X-RateLimit headers (the client starts at "
                f"{MAX_IN_FLIGHT} requests in flight and backs off on 429)")
        else:
            left = "" if limits.remaining is None else f", {limits.remaining} left"
            reset = "" if limits.reset_in is None else f", resets in {limits.reset_in:.1f} s"
            add("rate limit", "ok", f"{limits.limit} requests per window{left}{reset} "
                "(X-RateLimit-*): the client paces itself by them")
    return findings
