"""Run state: what a run did, kept in `<state_dir>/runs/<campaign>.json`.

The file serves two readers. A restarted `campaign run` takes each session's anchor and the
bursts already started from it (with the backend's current state) to resume without starting
a burst twice. `campaign status` shows the next burst and the last run's lateness figures
(`burst_status`). Writes are atomic (temp file + rename) so a crash never leaves half a file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.errors import CampaignError
from runner.run.driver import RunEvent, RunResult, SessionRun
from runner.run.schedule import build_schedule, choose_anchor, next_burst_start
from runner.spec.model import BurstPattern, Campaign, Occurrence, Trigger

VERSION = 1
STATUS_HORIZON = dt.timedelta(days=366)  # how far `burst_status` looks for the next window


def run_state_path(state_dir: Path, campaign: str) -> Path:
    """Where the run state of `campaign` lives under the tool's state directory (`.campaign`)."""
    return Path(state_dir) / "runs" / f"{campaign}.json"


@dataclass(frozen=True)
class SavedSession:
    """What an earlier run recorded about one session."""

    name: str
    id: str
    occurrence_start: dt.datetime
    occurrence_end: dt.datetime
    anchor: dt.datetime
    pattern: tuple[float, float, int, float]  # record, pause, count, offset in seconds
    started: frozenset[int]


def pattern_key(pattern: BurstPattern) -> tuple[float, float, int, float]:
    """The parts of a burst pattern that fix its deadlines (a change means a new schedule)."""
    return (pattern.record.total_seconds(), pattern.pause.total_seconds(), pattern.count,
            pattern.offset.total_seconds())


def load_run_state(path: Path) -> dict[str, Any] | None:
    """The saved run state, or None if there is none or it is unreadable (a fresh run then)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == VERSION else None


def saved_sessions(state: dict[str, Any] | None) -> dict[str, SavedSession]:
    """Sessions of a loaded run state by session id (entries that do not parse are ignored)."""
    found: dict[str, SavedSession] = {}
    for entry in (state or {}).get("sessions", []):
        try:
            found[entry["id"]] = SavedSession(
                name=entry["name"],
                id=entry["id"],
                occurrence_start=dt.datetime.fromisoformat(entry["occurrence_start"]),
                occurrence_end=dt.datetime.fromisoformat(entry["occurrence_end"]),
                anchor=dt.datetime.fromisoformat(entry["anchor"]),
                pattern=_pattern(entry["pattern"]),
                started=frozenset(int(i) for i in entry.get("started", [])),
            )
        except (KeyError, TypeError, ValueError):
            continue
    return found


def _pattern(raw: Any) -> tuple[float, float, int, float]:
    record, pause, count, offset = raw
    return (float(record), float(pause), int(count), float(offset))


def resumable(saved: SavedSession | None, pattern: BurstPattern, occurrence: Occurrence) -> bool:
    """True if an earlier run drove this very schedule (same window occurrence and pattern)."""
    return (saved is not None and saved.pattern == pattern_key(pattern)
            and saved.occurrence_start == occurrence.start
            and saved.occurrence_end == occurrence.end)


class RunJournal:
    """Keeps one campaign's run state file up to date while a run goes on."""

    def __init__(self, path: Path, campaign: str, runs: Sequence[SessionRun],
                 patterns: dict[str, BurstPattern], clock_now: dt.datetime,
                 lease_holder: tuple[str, int, str] | None = None) -> None:
        self.path = Path(path)
        self.state: dict[str, Any] = {
            "version": VERSION,
            "campaign": campaign,
            "status": "running",
            "pid": os.getpid(),
            # The lease this run holds (host, pid, token): a restart here after a crash
            # takes it over at once (`crashed_holder`) instead of waiting for its expiry.
            "lease_holder": list(lease_holder) if lease_holder else None,
            "started_at": clock_now.isoformat(),
            "finished_at": None,
            "sessions": [_session_entry(r, patterns[r.schedule.session]) for r in runs],
        }
        self._by_name = {s["name"]: s for s in self.state["sessions"]}
        self.write()

    def record(self, event: RunEvent) -> None:
        """Note a started burst (what resume relies on) or a skipped one."""
        entry = self._by_name.get(event.session)
        if entry is None:
            return
        if event.kind == "started" and event.burst not in entry["started"]:
            entry["started"].append(event.burst)
            self.write()
        elif event.kind == "skipped":
            entry["skipped"].append({"burst": event.burst, "reason": event.detail})

    def finish(self, result: RunResult, now: dt.datetime) -> None:
        """Store the outcome and each session's lateness figures."""
        self.state["status"] = "interrupted" if result.interrupted else (
            "completed" if result.ok else "completed-with-problems")
        self.state["finished_at"] = now.isoformat()
        for session in result.sessions:
            entry = self._by_name.get(session.session)
            if entry is None:
                continue
            entry["skipped"] = [{"burst": s.burst, "reason": s.reason} for s in session.skipped]
            entry["lateness"] = session.lateness.as_dict()
            entry["left_started"] = session.left_started
            entry["final_state"] = session.final_state
        self.write()

    def write(self) -> None:
        """Atomically replace the state file (CampaignError if it cannot be written: a run
        that cannot record its progress could not resume safely)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.state, handle, indent=1)
            os.replace(tmp, self.path)
        except OSError as exc:
            raise CampaignError(f"cannot write the run state {self.path}: "
                                f"{exc.strerror or exc}; check the directory's permissions "
                                "and free space") from exc


def _session_entry(run: SessionRun, pattern: BurstPattern) -> dict[str, Any]:
    schedule = run.schedule
    return {
        "name": schedule.session,
        "id": run.session_id,
        "occurrence": schedule.occurrence.key,
        "occurrence_start": schedule.occurrence.start.isoformat(),
        "occurrence_end": schedule.occurrence.end.isoformat(),
        "anchor": schedule.anchor.isoformat(),
        "pattern": list(pattern_key(pattern)),
        "bursts": len(schedule.bursts),
        # Carried over so a later restart still knows which bursts must not start again.
        "started": sorted(set(run.plan.started_before) | set(run.plan.done)),
        "skipped": [],
        "lateness": None,
    }


@dataclass(frozen=True)
class BurstStatus:
    """What `campaign status` shows for a standby campaign."""

    next_burst: dt.datetime | None  # None: none planned (see `window_open`) or none ahead
    next_session: str | None
    window_open: bool  # open and never run: bursts begin as soon as `campaign run` runs
    last_run: dict[str, Any] | None  # the saved run state (status, finished_at, sessions...)

    def summary(self) -> str:
        """One line: next burst time and the last run's `Started` acknowledgement lateness."""
        if self.next_burst is not None:
            parts = [f"next burst {self.next_burst.isoformat()} ({self.next_session})"]
        elif self.window_open:
            parts = [f"window open: bursts start as soon as `campaign run` runs "
                     f"({self.next_session})"]
        else:
            parts = ["no burst ahead"]
        if self.last_run is None:
            parts.append("never run")
        else:
            status = self.last_run.get("status")
            if status == "running":
                alive = _alive(self.last_run.get("pid"))
                status = "running now" if alive else "ended without finishing (crashed?)"
            for session in self.last_run.get("sessions", []):
                figures = (session.get("lateness") or {}).get("start_ack")
                done = f"{len(session.get('started', []))}/{session.get('bursts', '?')} bursts"
                late = (f", start ack p50 {figures['p50_ms']:.1f} ms p99 {figures['p99_ms']:.1f}"
                        f" ms max {figures['max_ms']:.1f} ms" if figures else "")
                skipped = len(session.get("skipped") or [])
                late += f", {skipped} skipped" if skipped else ""
                parts.append(f"last run {status} ({session['name']}: {done}{late})")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "next_burst": self.next_burst.isoformat() if self.next_burst else None,
            "next_session": self.next_session,
            "window_open": self.window_open,
            "last_run": self.last_run,
        }


def burst_status(campaign: Campaign, now: dt.datetime, state_dir: Path) -> BurstStatus | None:
    """Next burst time and the last run's figures for a standby campaign (None otherwise).

    `state_dir` is the tool's state directory (`.campaign`); the run state is read from
    `run_state_path(state_dir, campaign.name)`.
    """
    if campaign.trigger is not Trigger.STANDBY or campaign.bursts is None:
        return None
    from runner.compile import session_id, session_name  # the reconciler's ownership rule
    from runner.spec.windows import occurrences

    state = load_run_state(run_state_path(state_dir, campaign.name))
    saved = saved_sessions(state)
    pattern = campaign.bursts
    for occurrence in occurrences(campaign.window, now, now + STATUS_HORIZON):
        name = session_name(campaign.name, occurrence.key)
        previous = saved.get(session_id(campaign.name, occurrence.key))
        if previous is not None and resumable(previous, pattern, occurrence):
            anchor = previous.anchor
        else:
            anchor = choose_anchor(pattern, occurrence, now)
            if anchor == now:  # the planned start has passed and the window is still open
                return BurstStatus(None, name, True, state)
        schedule = build_schedule(name, pattern, occurrence, anchor)
        upcoming = next_burst_start(schedule, now)
        if upcoming is not None:
            return BurstStatus(upcoming, name, False, state)
    return BurstStatus(None, None, False, state)


def crashed_holder(state: dict[str, Any] | None) -> tuple[str, int, str] | None:
    """The lease holder (host, pid, token) of a run recorded as running whose process is
    gone (killed, crashed): its lease may be taken over without waiting for it to expire."""
    if state is None or state.get("status") != "running":
        return None
    holder = state.get("lease_holder")
    if not (isinstance(holder, list) and len(holder) == 3):
        return None
    host, pid, token = holder
    if not (isinstance(host, str) and isinstance(pid, int) and isinstance(token, str)):
        return None
    return None if pid != state.get("pid") or _alive(pid) else (host, pid, token)


def _alive(pid: Any) -> bool:
    """Whether a process with this id exists (a run recorded as running may have crashed)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
