"""SQLite store of the sandbox: one schema definition, WAL, foreign keys on."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runner.sandbox.tables import TABLES, Table

_SQL_TYPES = {"Int": "INTEGER", "bigint": "INTEGER"}

# Fleet-side tables and the device simulation's bookkeeping (not exposed over GraphQL).
_FLEET_DDL = """
CREATE TABLE IF NOT EXISTS fleet_device (
    uid TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT, status TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]', firmware_version TEXT, last_seen_at TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fleet_recording (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE, device TEXT NOT NULL, status TEXT NOT NULL,
    duration_seconds REAL, size_bytes INTEGER, topics TEXT NOT NULL DEFAULT '[]',
    tags TEXT NOT NULL DEFAULT '[]', started_at TEXT, ended_at TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    -- The API representation, kept by SQLite itself: list pages are a string join.
    doc TEXT GENERATED ALWAYS AS (json_object(
        'uid', uid, 'device', device, 'status', status, 'duration_seconds', duration_seconds,
        'size_bytes', size_bytes, 'topic_count', json_array_length(topics),
        'tags', json(tags), 'topics', json(topics), 'started_at', started_at,
        'ended_at', ended_at, 'created_at', created_at, 'updated_at', updated_at)) STORED
);
CREATE INDEX IF NOT EXISTS fleet_recording_order ON fleet_recording (created_at, seq);
CREATE INDEX IF NOT EXISTS fleet_recording_device ON fleet_recording (device, created_at, seq);
CREATE INDEX IF NOT EXISTS fleet_recording_status ON fleet_recording (status, created_at, seq);
CREATE TABLE IF NOT EXISTS sim_open (
    session_id TEXT NOT NULL, device TEXT NOT NULL, recording_uid TEXT NOT NULL,
    started_at TEXT NOT NULL,
    auto_stop_at TEXT,  -- unused since sim_scheduled; kept so older files still open
    streams TEXT NOT NULL,
    PRIMARY KEY (session_id, device)
);
CREATE TABLE IF NOT EXISTS sim_scheduled (session_id TEXT PRIMARY KEY, stop_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sim_scheduled_stop ON sim_scheduled (stop_at);
CREATE TABLE IF NOT EXISTS sandbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS "RecordingSession_state_idx" ON "RecordingSession" (state, "startDate");
-- Sessions are found by name (`_in`, `_like 'c#%'`): an index answers both.
CREATE INDEX IF NOT EXISTS "RecordingSession_name_idx" ON "RecordingSession" (name);
"""

SCHEMA_VERSION = "1"


class StoreError(Exception):
    """The database file cannot be used (another schema version, not SQLite, ...)."""


def table_ddl(table: Table) -> str:
    """CREATE TABLE for one control-plane table, constraints named as in Postgres."""
    cols = []
    for c in table.columns:
        sql_type = _SQL_TYPES.get(c.type, "TEXT")
        null = "" if c.nullable else " NOT NULL"
        pk = " PRIMARY KEY" if c.name == "id" else ""
        cols.append(f'"{c.name}" {sql_type}{null}{pk}')
    for name, columns in table.uniques.items():
        quoted = ", ".join(f'"{c}"' for c in columns)
        cols.append(f'CONSTRAINT "{name}" UNIQUE ({quoted})')
    for fk in table.foreign_keys:
        cols.append(f'CONSTRAINT "{fk.name}" FOREIGN KEY ("{fk.column}") '
                    f'REFERENCES "{fk.remote}" ("id") ON DELETE {fk.on_delete}')
    body = ",\n    ".join(cols)
    # An index per foreign key, unless a unique constraint's index already leads with it
    # (one index fewer to update per row written).
    led = {columns[0] for columns in table.uniques.values()}
    indexes = "".join(
        f'CREATE INDEX IF NOT EXISTS "{table.name}_{fk.column}_idx" '
        f'ON "{table.name}" ("{fk.column}");\n' for fk in table.foreign_keys
        if fk.column not in led)
    return f'CREATE TABLE IF NOT EXISTS "{table.name}" (\n    {body}\n);\n{indexes}'


def schema_sql() -> str:
    """The whole database schema."""
    return "".join(table_ddl(t) for t in TABLES.values()) + _FLEET_DDL


def connect(db_path: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) the sandbox database."""
    path = Path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # One connection used from the server's event loop thread; check_same_thread is off
    # because the app may be created in one thread and served from another.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                           cached_statements=512)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # Another process (a served sandbox, a test seeding the file) may hold the write lock
        # for a moment: wait for it rather than failing with "database is locked".
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA foreign_keys=ON")
        # 64 MiB of page cache (the default is 2 MiB): 130,000 rows keyed by random uuids
        # otherwise thrash it on every write and every nested read.
        conn.execute("PRAGMA cache_size=-65536")
        # Postgres LIKE is case-sensitive; _ilike is compiled to lower() LIKE lower().
        conn.execute("PRAGMA case_sensitive_like=ON")
        conn.executescript(schema_sql())
        version = get_meta(conn, "schema_version")
        if version is None:
            set_meta(conn, "schema_version", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise StoreError(f"{path} holds sandbox schema version {version}, this version "
                             f"needs {SCHEMA_VERSION}; delete the file to start afresh")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path} is not a usable sandbox database: {exc}") from None
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    """A value from the sandbox's own key/value table."""
    row = conn.execute("SELECT value FROM sandbox_meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Store a value in the sandbox's own key/value table."""
    conn.execute("INSERT INTO sandbox_meta (key, value) VALUES (?, ?) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
