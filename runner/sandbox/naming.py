"""Hasura's naming conventions: the names one set of tables is served under.

- `vendor`: the camera vendor's platform — hasura-default type, argument and enum names,
  with custom camelCase root fields (`cameras`, `insertRecordingSession(object:)`, ...).
- `hasura-default`: Hasura's own root fields (`RecordingSession`, `insert_RecordingSession`,
  `RecordingSession_by_pk`, `update_RecordingSession_by_pk(pk_columns:)`, ...).
- `graphql-default` (Hasura >= 2.8, `Data.Text.Casing` in hasura/graphql-engine): fields and
  arguments camelCase (`insertRecordingSessionOne`, `pkColumns`, `onConflict`, `_isNull`,
  `affectedRows`), types PascalCase (`RecordingSessionBoolExp`, `CameraModelEnum`), enum
  values upper case (`ASC`, `STANDBY`); scalars, column names, constraint names, `_eq`-style
  single-word operators and the root type names stay as they are.

The engine works with the hasura-default ("canonical") spellings throughout; the executable
schema maps the served spellings back to them (`out_name` of arguments and input fields, the
internal value of enum values), so only the schema and the names of root fields and output
fields depend on the convention.
"""

from __future__ import annotations

from dataclasses import dataclass

from runner.sandbox.tables import ENUMS, Table

NAMINGS = ("vendor", "hasura-default", "graphql-default")

# Multi-word argument, input-field and output-field names the schema uses (hasura-default).
SNAKE_NAMES = ("order_by", "distinct_on", "on_conflict", "update_columns", "pk_columns",
               "_is_null", "affected_rows")


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def snake_to_camel(name: str) -> str:
    """Hasura's `snakeToCamel`: a leading underscore is kept with the first word."""
    parts = name.split("_")
    if parts[0] == "" and len(parts) > 1:
        parts = ["_" + parts[1], *parts[2:]]
    return _lower_first(parts[0]) + "".join(_upper_first(p) for p in parts[1:])


def snake_to_pascal(name: str) -> str:
    """Hasura's `snakeToPascal`."""
    return "".join(_upper_first(p) for p in name.split("_"))


@dataclass(frozen=True)
class Naming:
    """The spellings of one convention."""

    convention: str

    def __post_init__(self) -> None:
        if self.convention not in NAMINGS:
            raise ValueError(f"unknown naming {self.convention!r}; known: {', '.join(NAMINGS)}")

    @property
    def graphql_case(self) -> bool:
        """True for graphql-default (camelCase fields, PascalCase types)."""
        return self.convention == "graphql-default"

    def field(self, snake: str) -> str:
        """An argument, input-field or output-field name (given in hasura-default)."""
        return snake_to_camel(snake) if self.graphql_case else snake

    def type(self, table: str, suffix: str = "") -> str:
        """A generated type name: `type("Camera", "bool_exp")` -> `Camera_bool_exp`."""
        name = f"{table}_{suffix}" if suffix else table
        return snake_to_pascal(name) if self.graphql_case else name

    def enum_value(self, value: str) -> str:
        """An enum value as served (enum tables' values and order_by directions)."""
        return value.upper() if self.graphql_case else value

    def enum_values(self, enum: str) -> tuple[str, ...]:
        """The served values of one of `tables.ENUMS`."""
        return tuple(self.enum_value(v) for v in ENUMS[enum])

    def rel_aggregate(self, relation: str) -> str:
        """The aggregate field of an array relation (`records_aggregate`)."""
        return self.field(f"{relation}_aggregate")

    def root_fields(self, table: Table) -> dict[str, str]:
        """Operation -> root field name for one table (Hasura's own conventions also have
        `update_batch`, the `update_<table>_many(updates:)` of Hasura >= 2.10)."""
        if self.convention == "vendor":
            p, s = _upper_first(table.plural), _upper_first(table.singular)
            return {"select": table.plural, "aggregate": f"{table.plural}Aggregate",
                    "by_pk": f"{table.singular}ByPk", "insert_many": f"insert{p}",
                    "insert_one": f"insert{s}", "update_many": f"update{p}",
                    "update_one": f"update{s}", "delete_many": f"delete{p}",
                    "delete_one": f"delete{s}"}
        n = table.name
        if self.convention == "hasura-default":
            return {"select": n, "aggregate": f"{n}_aggregate", "by_pk": f"{n}_by_pk",
                    "insert_many": f"insert_{n}", "insert_one": f"insert_{n}_one",
                    "update_many": f"update_{n}", "update_one": f"update_{n}_by_pk",
                    "update_batch": f"update_{n}_many",
                    "delete_many": f"delete_{n}", "delete_one": f"delete_{n}_by_pk"}
        low, up = _lower_first(n), _upper_first(n)
        return {"select": low, "aggregate": f"{low}Aggregate", "by_pk": f"{low}ByPk",
                "insert_many": f"insert{up}", "insert_one": f"insert{up}One",
                "update_many": f"update{up}", "update_one": f"update{up}ByPk",
                "update_batch": f"update{up}Many",
                "delete_many": f"delete{up}", "delete_one": f"delete{up}ByPk"}

    def canonical_fields(self) -> dict[str, str]:
        """Served name -> hasura-default name, for the names that differ."""
        return {self.field(s): s for s in SNAKE_NAMES if self.field(s) != s}

