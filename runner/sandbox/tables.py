"""The control-plane tables: the one definition the SQL schema and the SDL are built from."""

from __future__ import annotations

from dataclasses import dataclass, field

# Plain enum lists (the contract's; the vendor docs show no others).
ENUMS: dict[str, tuple[str, ...]] = {
    "camera_model_enum": ("REALSENSE_D435", "REALSENSE", "V4L2CAMERA"),
    "RecordingSessionMode_enum": ("Storage", "Streaming"),
    "RecordingSessionState_enum": ("Stopped", "Scheduled", "Standby", "Started"),
    "stream_type_enum": ("color", "depth", "infra"),
    "stream_encoder_enum": ("HEVC", "Classic", "H264", "RAW"),
}

NUMERIC_TYPES = frozenset({"Int", "bigint"})


@dataclass(frozen=True)
class Column:
    """One column; `default` names a server-side default ("uuid" or "now")."""

    name: str
    type: str
    nullable: bool = False
    default: str | None = None


@dataclass(frozen=True)
class Relation:
    """An object relation (local column -> remote id) or array relation (remote column -> id)."""

    name: str
    kind: str  # "object" | "array"
    remote: str  # remote table name
    column: str  # the foreign-key column (local for object, remote for array)


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key `table.column -> remote.id` with its ON DELETE action."""

    name: str
    column: str
    remote: str
    on_delete: str  # "CASCADE" | "RESTRICT" | "SET NULL"


@dataclass(frozen=True)
class Table:
    """A Hasura-tracked table and the names of its root fields."""

    name: str
    singular: str
    plural: str
    columns: tuple[Column, ...]
    relations: tuple[Relation, ...] = ()
    uniques: dict[str, tuple[str, ...]] = field(default_factory=dict)
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def constraints(self) -> dict[str, tuple[str, ...]]:
        """Constraint name -> columns, primary key first."""
        return {f"{self.name}_pkey": ("id",), **self.uniques}

    def column(self, name: str) -> Column | None:
        """The column called `name`, if any."""
        return _COLUMN_INDEX[self.name].get(name)

    def relation(self, name: str) -> Relation | None:
        """The relation called `name`, if any."""
        return _RELATION_INDEX[self.name].get(name)


def _id() -> Column:
    return Column("id", "uuid", default="uuid")


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "Camera", "camera", "cameras",
            (_id(), Column("model", "camera_model_enum"), Column("serial", "String"),
             Column("deviceId", "String")),
            (Relation("records", "array", "Record", "cameraId"),),
            {"Camera_model_serial_key": ("model", "serial")},
        ),
        Table(
            "RecordingSession", "recordingSession", "recordingSessions",
            (_id(), Column("name", "String"), Column("startDate", "timestamp"),
             Column("endDate", "timestamp"), Column("mode", "RecordingSessionMode_enum"),
             Column("state", "RecordingSessionState_enum"), Column("maxTimeSeconds", "Int"),
             Column("maxSizeMegabytes", "Int"), Column("storageId", "uuid", nullable=True),
             Column("createdAt", "timestamp", default="now"),
             Column("updatedAt", "timestamp", default="now")),
            (Relation("storage", "object", "Storage", "storageId"),
             Relation("records", "array", "Record", "recordingId")),
            foreign_keys=(ForeignKey("RecordingSession_storageId_fkey", "storageId", "Storage",
                                     "SET NULL"),),
        ),
        Table(
            "Storage", "storage", "storages",
            (_id(), Column("totalSize", "bigint"), Column("estimatedSize", "bigint")),
        ),
        Table(
            "Record", "record", "records",
            (_id(), Column("cameraId", "uuid"), Column("recordingId", "uuid")),
            (Relation("camera", "object", "Camera", "cameraId"),
             Relation("recordingSession", "object", "RecordingSession", "recordingId"),
             Relation("streams", "array", "Stream", "recordId")),
            {"Record_recordingId_cameraId_key": ("recordingId", "cameraId")},
            (ForeignKey("Record_recordingId_fkey", "recordingId", "RecordingSession", "CASCADE"),
             ForeignKey("Record_cameraId_fkey", "cameraId", "Camera", "RESTRICT")),
        ),
        Table(
            "Stream", "stream", "streams",
            (_id(), Column("recordId", "uuid"), Column("type", "stream_type_enum"),
             Column("alignTo", "String"), Column("encoder", "stream_encoder_enum"),
             Column("width", "Int"), Column("height", "Int"), Column("nearCut", "Int"),
             Column("farCut", "Int"), Column("bitrate", "Int"), Column("frameRate", "Int")),
            (Relation("record", "object", "Record", "recordId"),),
            {"Stream_recordId_type_key": ("recordId", "type")},
            (ForeignKey("Stream_recordId_fkey", "recordId", "Record", "CASCADE"),),
        ),
    )
}

_COLUMN_INDEX = {t.name: {c.name: c for c in t.columns} for t in TABLES.values()}
_RELATION_INDEX = {t.name: {r.name: r for r in t.relations} for t in TABLES.values()}

