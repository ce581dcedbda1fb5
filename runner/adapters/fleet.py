"""Client of the fleet recordings API (REST, the `avala` SDK's wire format), async over httpx.

Kept-alive connections in small httpx pools ("lanes"), and an adaptive window of requests
in flight (`runner.adapters.fleet_pacing`): wide while the server sets no limit, halved and
paused by a 429's `Retry-After`, held when `X-RateLimit-Remaining` runs out. Requests are
retried by `runner.retry` (tenacity): exponential backoff with full jitter on 5xx, timeouts
and connection errors; 429 waits for `Retry-After`, on a budget of its own. A write whose outcome
is unknown (the server may have committed it before the error) is only re-sent after the
caller's `verify` hook says it has not taken effect, so a change is made exactly once: that
check is the one step of ours inside the loop. Errors are `FleetError` one-liners; the API
key never appears in any message.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from tenacity import retry_if_exception_type

from runner import __version__
from runner.adapters.fleet_pacing import Window
from runner.adapters.tls import tls_context
from runner.errors import ConfigError, FleetError
from runner.retry import RateLimited, RetryPolicy, retry_after_seconds
from runner.urls import UrlProblem, check_http_url, redact_url

API_KEY_HEADER = "X-Avala-Api-Key"
BASE_URL_VAR = "AVALA_BASE_URL"
API_KEY_VAR = "AVALA_API_KEY"
MAX_PAGE_SIZE = 1000  # the API's upper bound for `limit`
LANE_SIZE = 4  # connections per httpx pool (see FleetClient.__init__)
MAX_IN_FLIGHT = 64  # requests in flight while the server advertises no limit
RECORDINGS_PATH = "/fleet/recordings/"

Sleep = Callable[[float], Awaitable[None]]
Verify = Callable[[], Awaitable[bool]]


def check_base_url(base_url: str, *, in_process: bool = False) -> str:
    """Validate `AVALA_BASE_URL`: HTTPS, or plain HTTP to a loopback host (or in-process)."""
    parts = check_http_url(base_url, allow_cleartext=in_process)
    if isinstance(parts, UrlProblem):
        shown = redact_url(base_url)
        if parts.kind == "malformed":
            raise ConfigError(f"fleet API base URL is not a valid URL; set {BASE_URL_VAR} "
                              "like https://host/api/v1")
        if parts.kind == "credentials":
            raise ConfigError(f"fleet API base URL {shown!r} carries credentials; put the key "
                              f"in ${API_KEY_VAR} instead")
        if parts.kind == "cleartext":
            raise ConfigError(
                f"fleet API base URL {shown!r} uses plain HTTP to a non-loopback host; the API "
                "key would travel in clear text: use https://"
            )
        raise ConfigError(f"fleet API base URL {shown!r} is not an http(s) URL; set "
                          f"{BASE_URL_VAR} like https://host/api/v1")
    if parts.path.strip("/") == "":
        return base_url.rstrip("/") + "/api/v1"  # the host alone: the API lives under /api/v1
    return base_url.rstrip("/")


def _cursor_of(next_url: object) -> str | None:
    # Follow the cursor, not the URL: a `next` pointing at another host must not receive the key.
    if not isinstance(next_url, str) or not next_url:
        return None
    values = parse_qs(urlsplit(next_url).query).get("cursor")
    return values[0] if values else None


class FleetClient:
    """The fleet recordings API: list pages, get, PATCH, DELETE; use as `async with`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        max_connections: int = MAX_IN_FLIGHT,
        max_attempts: int = 6,
        max_rate_limited: int = 30,
        backoff_base: float = 0.1,
        backoff_max: float = 10.0,
        retry_after_max: float = 120.0,
        lane_size: int = LANE_SIZE,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not api_key:
            raise ConfigError(f"${API_KEY_VAR} is not set; export the fleet API key to use it")
        in_process = isinstance(transport, httpx.ASGITransport)
        self.base_url = check_base_url(base_url, in_process=in_process)
        self._secret = api_key
        self._policy = RetryPolicy(attempts=max(1, max_attempts), rate_limited=max_rate_limited,
                                   backoff_base=backoff_base, backoff_max=backoff_max,
                                   retry_after_max=retry_after_max)
        self._sleep = sleep
        self._rng = rng or random.Random()
        # (method, HTTP status or exception name) -> attempts: what the wire actually saw.
        self.attempts: Counter[tuple[str, str]] = Counter()
        # The kept-alive connections are split into lanes of LANE_SIZE, one httpx pool each:
        # httpcore's pool does O(connections^2) bookkeeping per request event, which at 16
        # connections doubles the client's CPU per request (bench_recordings measures it).
        # Requests go to the lane with the fewest in flight. An injected transport (the
        # in-process sandbox) is the one lane. Requests go straight to the transports (httpx's
        # public transport API), not through `httpx.AsyncClient`: its per-request layers (URL
        # merging, cookie jar, auth and redirect loops; none of them used here) cost a fifth
        # of the client's CPU per request. Transports never follow redirects, which would
        # replay the key to wherever they point.
        lanes = 1 if transport is not None else max(1, -(-max_connections // max(1, lane_size)))
        per_lane = max(1, -(-max_connections // lanes))
        self._lanes: list[httpx.AsyncBaseTransport] = [transport] if transport is not None else [
            httpx.AsyncHTTPTransport(verify=tls_context(),
                                     limits=httpx.Limits(max_connections=per_lane,
                                                         max_keepalive_connections=per_lane))
            for _ in range(lanes)
        ]
        self._headers = {API_KEY_HEADER: api_key, "Accept": "application/json",
                         "Accept-Encoding": "gzip, deflate",
                         "User-Agent": f"campaign-runner/{__version__}"}
        self._timeouts = {"timeout": httpx.Timeout(timeout).as_dict()}
        self._in_flight = [0] * lanes
        # Every request passes the window: it starts at the pool's size and adapts.
        self.window = Window(initial=max_connections, maximum=max_connections,
                             pause_max=retry_after_max)

    async def __aenter__(self) -> FleetClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every kept-alive connection."""
        for lane in self._lanes:
            await lane.aclose()

    async def _request(self, method: str, path: str, params: dict[str, Any] | None,
                       json: Any) -> httpx.Response:
        await self.window.acquire()
        lane = min(range(len(self._lanes)), key=self._in_flight.__getitem__)
        self._in_flight[lane] += 1
        status: int | None = None
        headers: httpx.Headers | None = None
        retry_after: float | None = None
        try:
            request = httpx.Request(method, self.base_url + path, params=params, json=json,
                                    headers=self._headers, extensions=self._timeouts)
            response = await self._lanes[lane].handle_async_request(request)
            try:
                await response.aread()
            finally:
                await response.aclose()
            status, headers = response.status_code, response.headers
            if status == 429:
                retry_after = retry_after_seconds(headers.get("retry-after"), now=time.time())
            return response
        finally:
            self._in_flight[lane] -= 1
            self.window.release(status, headers, retry_after)

    # -- public API --------------------------------------------------------------------

    async def recording_pages(
        self, *, device: str | None = None, status: str | None = None
    ) -> AsyncIterator[tuple[str | None, list[dict[str, Any]]]]:
        """The recordings list page by page (server-side `device`/`status` filters, 1000 a
        page), each with the cursor that fetched it (None: the first), so `recording_page`
        can read the same page again later."""
        async for cursor, page in self._pages(RECORDINGS_PATH,
                                              _list_params(device, status, None)):
            yield cursor, page

    async def recording_page(self, *, device: str | None, status: str | None,
                             cursor: str | None) -> list[dict[str, Any]]:
        """One page of the recordings list: the one `cursor` (None: the first) points at."""
        data = await self._json("GET", RECORDINGS_PATH,
                                params=_list_params(device, status, cursor))
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise FleetError(f"fleet API: GET {RECORDINGS_PATH} answered an unexpected body "
                             "(no `results` list); is AVALA_BASE_URL the /api/v1 root?")
        results: list[dict[str, Any]] = data["results"]
        return results

    async def list_devices(self) -> list[dict[str, Any]]:
        """All fleet devices (every page)."""
        devices: list[dict[str, Any]] = []
        async for _, page in self._pages("/fleet/devices/", {"limit": MAX_PAGE_SIZE},
                                         unpaginated_ok=True):
            devices.extend(d for d in page if isinstance(d, dict))
        return devices

    async def _pages(self, path: str, params: dict[str, Any], *,
                     unpaginated_ok: bool = False
                     ) -> AsyncIterator[tuple[str | None, list[dict[str, Any]]]]:
        """GET `path` page by page, following the `next` link's cursor (never its host);
        yields (the cursor sent, the page)."""
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            data = await self._json("GET", path, params=params)
            if unpaginated_ok and isinstance(data, list):  # tolerate an unpaginated array
                yield None, data
                return
            if not isinstance(data, dict) or not isinstance(data.get("results"), list):
                raise FleetError(f"fleet API: GET {path} answered an unexpected body "
                                 "(no `results` list); is AVALA_BASE_URL the /api/v1 root?")
            yield cursor, data["results"]
            cursor = _cursor_of(data.get("next"))
            if cursor is None:
                return
            if cursor in seen:  # a server bug must not become an endless loop
                raise FleetError(f"fleet API: GET {path} returned cursor {cursor!r} twice; "
                                 "stopping")
            seen.add(cursor)
            params = {**params, "cursor": cursor}

    async def get_recording(self, uid: str) -> dict[str, Any]:
        """One recording by uid."""
        data = await self._json("GET", _recording_path(uid))
        if not isinstance(data, dict):
            raise FleetError(f"fleet API: GET {_recording_path(uid)} answered an unexpected body")
        return data

    async def find_recording(self, uid: str) -> dict[str, Any] | None:
        """One recording by uid, or None if there is none (HTTP 404)."""
        data = await self._json("GET", _recording_path(uid), missing_ok=True)
        if data is not None and not isinstance(data, dict):
            raise FleetError(f"fleet API: GET {_recording_path(uid)} answered an unexpected body")
        return data

    async def update_recording(
        self, uid: str, body: dict[str, Any], *, verify: Verify | None = None
    ) -> dict[str, Any] | None:
        """PATCH `status` and/or `tags` (tags replace the whole list).

        `verify` is awaited before re-sending after an ambiguous failure (timeout, 5xx): if it
        returns True the change is already in place and nothing is re-sent (returns None).
        """
        data = await self._json("PATCH", _recording_path(uid), json=body, verify=verify)
        return data if isinstance(data, dict) else None

    async def delete_recording(self, uid: str) -> None:
        """DELETE a recording; a 404 after an ambiguous first attempt counts as done."""
        await self._json("DELETE", _recording_path(uid), gone_ok_after_retry=True)

    # -- transport ---------------------------------------------------------------------

    async def _json(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        verify: Verify | None = None,
        gone_ok_after_retry: bool = False,
        missing_ok: bool = False,
    ) -> Any:
        response = await self._send(method, path, params, json, verify, gone_ok_after_retry,
                                    missing_ok)
        if response is None or response.status_code == 204 or not response.content:
            return None
        try:
            return jsonlib.loads(response.content)  # bytes straight in: no decoded copy
        except ValueError:
            raise FleetError(f"fleet API: {method} {path} answered HTTP {response.status_code} "
                             "with a body that is not JSON") from None

    async def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        json: Any,
        verify: Verify | None,
        gone_ok_after_retry: bool,
        missing_ok: bool = False,
    ) -> httpx.Response | None:
        write = method not in ("GET", "HEAD")
        ambiguous = False  # a previous write attempt may have been committed

        async def attempt() -> httpx.Response | None:
            nonlocal ambiguous
            if ambiguous and verify is not None:
                try:
                    if await verify():
                        return None
                except FleetError:
                    pass  # could not check: fall through and re-send (the body is idempotent)
            try:
                return await self._attempt(method, path, params, json,
                                           gone_ok=missing_ok or (gone_ok_after_retry
                                                                  and ambiguous))
            except _Transient as exc:
                ambiguous = ambiguous or (write and exc.ambiguous)
                raise

        retrying = self._policy.retrying(retry_if_exception_type((_Transient, RateLimited)),
                                         sleep=self._sleep, rng=self._rng)
        try:
            return await retrying(attempt)
        except RateLimited:
            raise FleetError(self._message(method, path, "still rate limited after "
                             f"{retrying.rate_limited} HTTP 429 answers; try again later"
                             )) from None
        except _Transient as exc:
            raise FleetError(self._message(method, path, f"{exc} (after {retrying.failures} "
                             "attempts); check the fleet API and re-run")) from None

    async def _attempt(self, method: str, path: str, params: dict[str, Any] | None, json: Any,
                       *, gone_ok: bool) -> httpx.Response | None:
        """Send once: the response (None: already gone), or raise _Transient (worth another
        try), RateLimited (a 429) or FleetError (final)."""
        try:
            response = await self._request(method, path, params, json)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            self.attempts[method, type(exc).__name__] += 1
            # Never sent: safe to retry, even a write.
            raise _Transient(f"cannot connect ({type(exc).__name__})", ambiguous=False) from exc
        except httpx.TimeoutException as exc:
            self.attempts[method, type(exc).__name__] += 1
            raise _Transient(f"timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            self.attempts[method, type(exc).__name__] += 1
            raise _Transient(f"connection failed ({type(exc).__name__})") from exc
        status = response.status_code
        self.attempts[method, str(status)] += 1
        if status < 300:
            return response
        if status < 400:
            location = response.headers.get("location", "")
            where = (redact_url(location) if urlsplit(location).scheme
                     else location.split("?")[0] or "elsewhere")
            raise FleetError(self._message(method, path, f"HTTP {status} redirect to {where} "
                             "(not followed: it would replay the API key); set "
                             "AVALA_BASE_URL to the final https:// API root"))
        if status == 404 and gone_ok:
            return None
        if status == 429:
            raise RateLimited(response.headers.get("Retry-After"))
        if status < 500:
            raise FleetError(self._message(method, path, self._describe(response)))
        raise _Transient(self._describe(response))

    def _describe(self, response: httpx.Response) -> str:
        detail = ""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("detail"), str):
            detail = body["detail"]
        text = f"HTTP {response.status_code}"
        if response.status_code == 401:
            text += " unauthorized: check AVALA_API_KEY"
        elif response.status_code == 403:
            text += " forbidden: the API key lacks permission"
        return f"{text}: {detail}" if detail else text

    def _message(self, method: str, path: str, what: str) -> str:
        text = f"fleet API: {method} {path} failed: {what}"
        text = " ".join(text.split())  # one line, whatever the server sent
        if self._secret:
            text = text.replace(self._secret, "***")
        return text[:500]


class _Transient(Exception):
    """A failure worth another try; `ambiguous`: a write may have taken effect anyway."""

    def __init__(self, what: str, *, ambiguous: bool = True) -> None:
        super().__init__(what)
        self.ambiguous = ambiguous


def _list_params(device: str | None, status: str | None, cursor: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": MAX_PAGE_SIZE}
    if device is not None:
        params["device"] = device
    if status is not None:
        params["status"] = status
    if cursor is not None:
        params["cursor"] = cursor
    return params


def _recording_path(uid: str) -> str:
    if not uid or "/" in uid or uid in (".", ".."):
        raise FleetError(f"fleet API: invalid recording uid {uid!r}")
    return f"{RECORDINGS_PATH}{uid}/"
