"""The control-plane adapter: the core's `StateStore` (read, write), `NeighbourReader` and the
camera list, over one GraphQL connection, in the dialect the server's schema shows
(introspected on first contact, cached per endpoint, refreshed when a request no longer fits).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Collection, Iterator, Mapping
from types import TracebackType
from typing import Any

import httpx

from runner.adapters.controlplane import documents
from runner.adapters.controlplane.dialect import Dialect
from runner.adapters.controlplane.introspect import SchemaCache, load_dialect
from runner.adapters.controlplane.state import (
    _Enums,
    campaign_spellings,
    parse_cameras,
    parse_state,
)
from runner.adapters.controlplane.transport import (
    ControlPlaneConfig,
    GraphQLClient,
    SchemaMismatch,
)
from runner.adapters.controlplane.wire import FILTER_CHUNK, Wire, from_wire, to_wire
from runner.errors import ControlPlaneError
from runner.futures import abandon
from runner.plan.conflicts import ControlPlaneSession, Neighbours
from runner.plan.model import Actual, ActualCamera, Writes
from runner.urls import redact_url

Build = Callable[[Dialect], tuple[str, Mapping[str, Any]]]
# Ids left out of the findings read server-side, per filter: a list this long is one SQL
# `NOT IN` (SQLite takes at most 32,766 parameters a statement); past it, the rest are read.
MAX_KNOWN_IDS = 15_000
# State queries out at once: one being answered while the answer before it is parsed (more
# would only have the server interleave them, each answer coming later).
READS_IN_FLIGHT = 2


class ControlPlane:
    """An open connection to the control plane; use as `async with ControlPlane(cfg) as cp`."""

    def __init__(
        self, config: ControlPlaneConfig, *, transport: httpx.AsyncBaseTransport | None = None,
        attempts: int = 8, max_backoff: float = 4.0, schema_cache: SchemaCache | None = None,
    ) -> None:
        self.config = config
        self._graphql = GraphQLClient(config, transport=transport, attempts=attempts,
                                      max_backoff=max_backoff)
        self._cache = schema_cache or SchemaCache(None)
        self._dialect: Dialect | None = None
        self._from_cache = False
        self._refreshing = asyncio.Lock()

    @property
    def round_trips(self) -> int:
        """HTTP requests sent, retries included (benchmarks report it)."""
        return self._graphql.round_trips

    async def __aenter__(self) -> ControlPlane:
        await self._graphql.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._graphql.__aexit__(exc_type, exc, tb)

    async def dialect(self, *, refresh: bool = False) -> Dialect:
        """The server's names (introspected once per endpoint, then from the cache)."""
        if self._dialect is None or refresh:
            self._graphql.use_schema(None)  # the introspection query itself is not validated
            self._dialect, self._from_cache = await load_dialect(
                self.config.endpoint, self._cache, self._introspect, refresh=refresh)
            self._graphql.use_schema(self._dialect.schema)
        return self._dialect

    async def offered_enums(self) -> dict[str, tuple[str, ...]]:
        """The values of each enum the product sends, as the campaign files would spell them."""
        d = await self.dialect()
        spellings = campaign_spellings()
        return {kind: tuple(d.enum_in(kind, v, spellings.get(kind, ())) for v in values)
                for kind, values in d.enums.items()}

    async def execute(self, document: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Send one operation (retrying transient failures) and return its `data`."""
        return await self._graphql.execute(document, variables)

    async def read_state(
        self, campaigns: tuple[str, ...], cameras: tuple[tuple[str, str], ...]
    ) -> Actual:
        """Everything `campaigns` own (sessions, records, streams, version rows) plus the
        named cameras: one query per FILTER_CHUNK campaigns (the first also reads the
        cameras), sent together, each answer parsed while the server works on the next.
        A campaign's rows always come from one query, so its version row is read with them
        (the compare-and-set of apply guards each campaign on its own)."""
        chunks = [campaigns[first:first + FILTER_CHUNK]
                  for first in range(0, len(campaigns), FILTER_CHUNK)] or [campaigns]
        if len(chunks) == 1:
            return await self._read_chunk(campaigns, cameras)
        await self.dialect()  # once, before the queries go out together
        gate = asyncio.Semaphore(READS_IN_FLIGHT)
        reads = [asyncio.ensure_future(
                     self._read_chunk(chunk, cameras if index == 0 else None, gate))
                 for index, chunk in enumerate(chunks)]
        parts: list[Actual] = []
        try:
            for read in reads:
                parts.append(await read)
        finally:  # after a failure: the other queries are not waited for
            for read in reads:
                abandon(read)
        versions = dict(parts[0].versions)
        for part in parts[1:]:
            versions.update(part.versions)
        return Actual(sessions=tuple(s for part in parts for s in part.sessions),
                      cameras=parts[0].cameras, versions=tuple(sorted(versions.items())))

    async def _read_chunk(
        self, campaigns: tuple[str, ...], cameras: tuple[tuple[str, str], ...] | None,
        gate: asyncio.Semaphore | None = None,
    ) -> Actual:
        """One state query: `campaigns` (at most FILTER_CHUNK) and, unless None, `cameras`;
        sent once `gate` lets it (it is let go as the answer is in, before it is parsed)."""
        def build(d: Dialect) -> tuple[str, Mapping[str, Any]]:
            wire = Wire(d)
            filters = wire.session_filters(campaigns)
            variables: dict[str, Any] = dict(zip(documents.session_aliases(len(filters)),
                                                 filters, strict=True))
            if cameras is not None:
                variables["cameras"] = wire.camera_filter(cameras)
            return documents.read_state(d, len(filters), cameras=cameras is not None), variables

        if gate is None:
            data = await self.send(build)
        else:
            async with gate:
                data = await self.send(build)
        assert self._dialect is not None
        aliases = documents.session_aliases(len(Wire(self._dialect).session_filters(campaigns)))
        expected = (*aliases, "cameras") if cameras is not None else aliases
        try:
            if not all(isinstance(data.get(key), list) for key in expected):
                raise ValueError("no 'sessions' and 'cameras' lists")
            merged = {"sessions": _drained([data.pop(alias) for alias in aliases]),
                      "cameras": data["cameras"] if cameras is not None else []}
            return parse_state(self._dialect, merged, campaigns)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._odd_answer("the state query", exc) from None

    async def write(
        self, writes: Writes, *, expected: Mapping[str, int], tokens: Mapping[str, int],
        now: dt.datetime, drop_versions: bool = False,
    ) -> None:
        """Run `writes` as one mutation (one transaction), guarded by the version rows."""
        await self.send(lambda d: documents.write_document(
            d, writes, expected, tokens, now, drop_versions=drop_versions))

    async def read_neighbours(
        self, cameras: tuple[tuple[str, str], ...], start: dt.datetime, end: dt.datetime
    ) -> Neighbours:
        """Sessions (anyone's) whose records use `cameras` and overlap [start, end), and every
        session by id, name, dates and state: the read behind `plan`'s conflicts and orphans."""
        return await self.read_neighbours_except(cameras, start, end, ())

    async def read_neighbours_except(
        self, cameras: tuple[tuple[str, str], ...], start: dt.datetime, end: dt.datetime,
        known: Collection[str],
    ) -> Neighbours:
        """`read_neighbours` without the sessions whose id is in `known` (at most
        MAX_KNOWN_IDS of them are left out server-side; the rest come back as before)."""
        skipped = sorted(known)[:MAX_KNOWN_IDS]

        def build(d: Dialect) -> tuple[str, Mapping[str, Any]]:
            wire, op = Wire(d), d.op
            others = {"id": {op("_nin"): skipped}} if skipped else {}
            booked = {"records": {"camera": wire.camera_filter(cameras)},
                      "startDate": {op("_lt"): to_wire(end)},
                      "endDate": {op("_gt"): to_wire(start)}} if cameras else wire.nothing()
            if skipped and cameras:
                booked = {op("_and"): [booked, others]}
            return documents.read_neighbours(d), {"booked": booked, "named": others}

        data = await self.send(build)
        assert self._dialect is not None
        enum = _Enums(self._dialect)

        def session(row: Mapping[str, Any]) -> ControlPlaneSession:
            return ControlPlaneSession(
                id=str(row["id"]), name=str(row["name"]), start=from_wire(row["startDate"]),
                end=from_wire(row["endDate"]), state=str(enum("session_state", row["state"])),
                cameras=tuple(sorted({
                    (str(enum("camera_model", r["camera"]["model"])), str(r["camera"]["serial"]))
                    for r in row.get("records") or [] if r.get("camera")})))

        try:
            return Neighbours(booked=tuple(session(r) for r in data["booked"]),
                              named=tuple(session(r) for r in data["named"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._odd_answer("the neighbours query", exc) from None

    async def known_cameras(
        self, *, model: str | None = None, device: str | None = None
    ) -> list[ActualCamera]:
        """Every camera (optionally of one model / on one device), by model and serial."""
        data = await self.send(lambda d: (documents.known_cameras(d),
                                          {"where": Wire(d).camera_where(model, device)}))
        assert self._dialect is not None
        try:
            return parse_cameras(self._dialect, data["cameras"])
        except (KeyError, TypeError) as exc:
            raise ControlPlaneError(
                f"control plane answered `cameras` without the expected fields ({exc}); is the "
                "endpoint a campaign control plane?"
            ) from None

    async def send(self, build: Build) -> dict[str, Any]:
        """Build the document in the server's dialect and send it; if it no longer fits a
        cached schema, introspect again and retry once."""
        used = await self.dialect()
        from_cache = self._from_cache
        document, variables = build(used)
        try:
            return await self.execute(document, variables)
        except SchemaMismatch as exc:
            if not from_cache:
                raise SchemaMismatch(f"{exc}; run `campaign doctor` to see what the control "
                                     "plane offers") from None
        async with self._refreshing:  # queries sent together introspect once
            fresh = self._dialect if self._dialect is not used else None
            if fresh is None:
                fresh = await self.dialect(refresh=True)
        document, variables = build(fresh)
        return await self.execute(document, variables)

    async def _introspect(self, query: str) -> dict[str, Any]:
        return await self.execute(query, {})

    def _odd_answer(self, what: str, exc: Exception) -> ControlPlaneError:
        return ControlPlaneError(
            f"control plane {redact_url(self.config.endpoint)} answered {what} in an unexpected "
            f"shape ({type(exc).__name__}: {exc}); check that $HASURA_GRAPHQL_ENDPOINT is the "
            "recording control plane")


def _drained(lists: list[list[Any]]) -> Iterator[Any]:
    """The lists' items in order, each let go of once taken: 10,000 sessions of raw JSON
    are freed while they become values, instead of both being held at the peak."""
    for items in lists:
        items.reverse()
        while items:
            yield items.pop()
