"""A positions-keeping, surprise-refusing YAML loader built on PyYAML's (C)SafeLoader composer.

PyYAML composes the file into nodes (which carry line/column marks); this module constructs
plain Python values from those nodes itself, so that

- every value's file:line:column is recorded (by path, e.g. ("spec", "cameras", 0, "serial"));
- only the core YAML tags are accepted: `!!python/...` and custom tags are errors, never run;
- duplicate keys are errors; mapping keys are always their source text (`on:` stays "on");
- YAML 1.1 surprises do not silently change meaning: `yes/no/on/off` are errors (only
  true/false are booleans), timestamps stay strings (parsed later, keeping their offset),
  octal/hex/sexagesimal numbers (`0755`, `0x10`, `18:00`) stay their source text;
- limits bound the work: file size, documents per file, nodes visited while constructing
  (so an alias bomb stops after a fixed number of steps) and nesting depth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from runner.spec.diagnostics import Diagnostic
from runner.spec.model import Location
from runner.spec.secrets import is_secret_key

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DOCUMENTS = 200
MAX_NODE_VISITS = 50_000  # per document, counting every alias expansion
MAX_DEPTH = 64

Path = tuple[str | int, ...]

_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=8192)
def _resolve(kind: Any, value: Any, implicit: Any) -> str:
    return str(yaml.resolver.Resolver.resolve(_RESOLVER, kind, value, implicit))  # type: ignore[no-untyped-call]


_RESOLVER = yaml.resolver.Resolver()


_NO_PATH_RESOLVERS: dict[Any, Any] = {}


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The C composer with a memoised tag resolver (keys and values repeat across files)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        # The C composer looks these up on the instance for every node: C callables there
        # skip a Python call per node. The resolver's arguments are always hashable (the
        # node class, the scalar's text or None, bools); no path resolvers are registered,
        # so their bookkeeping is a no-op.
        self.resolve = _resolve
        self.descend_resolver = _NO_PATH_RESOLVERS.get  # (node, index) -> index, unused
        self.ascend_resolver = tuple  # () -> (), unused


_T = "tag:yaml.org,2002:"
_BOOL_WORDS = {"true": True, "false": False}
_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_DECIMAL_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


@dataclass
class Document:
    """One YAML document as plain values plus where each value (and each key) was written.

    `values` and `keys` hold the parser's marks (0-based `line` and `column`): `where` and
    `key_where` make the Location of the few that are looked up, not of all of them.
    """

    value: Any
    start: Location
    values: dict[Path, Any] = field(default_factory=dict)
    keys: dict[Path, Any] = field(default_factory=dict)
    # Plain (unquoted) scalars: path -> (resolved YAML tag, source text).
    plain: dict[Path, tuple[str, str]] = field(default_factory=dict)
    # Paths the loader already reported (later checks stay quiet about them).
    reported: set[Path] = field(default_factory=set)
    # Paths of keys that look like credentials (see `runner.spec.secrets.is_secret_key`).
    secret_keys: list[Path] = field(default_factory=list)

    def where(self, path: Path) -> Location:
        """The closest recorded location for `path` (walking up to the document start)."""
        values = self.values
        probe = tuple(path)
        while probe:
            mark = values.get(probe)
            if mark is not None:
                return _loc(self.start.file, mark)
            probe = probe[:-1]
        mark = values.get(())
        return self.start if mark is None else _loc(self.start.file, mark)

    def key_where(self, path: Path) -> Location:
        """Where the key of `path` was written (falls back to the value's location)."""
        mark = self.keys.get(tuple(path))
        return self.where(path) if mark is None else _loc(self.start.file, mark)


class _TooMuch(Exception):
    """Construction budget exceeded (alias bomb or absurd nesting)."""

    def __init__(self, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def load_documents(data: bytes, filename: str) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every document in `data`; never raises for bad input (problems become diagnostics)."""
    diags: list[Diagnostic] = []
    top = Location(filename, 1, 1)
    if len(data) > MAX_FILE_BYTES:
        diags.append(
            Diagnostic(
                top,
                "error",
                "CMP101",
                f"file is larger than the {MAX_FILE_BYTES} bytes allowed",
                "split the campaigns over several files",
            )
        )
        return [], diags
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        diags.append(
            Diagnostic(
                Location(filename, line, 1),
                "error",
                "CMP109",
                f"file is not UTF-8 text (byte {exc.start})",
                "save the file as UTF-8",
            )
        )
        return [], diags
    docs: list[Document] = []
    loader = _Loader(text)
    try:
        count = 0
        while loader.check_node():
            node = loader.get_node()
            count += 1
            if count > MAX_DOCUMENTS:
                diags.append(
                    Diagnostic(
                        _loc(filename, node.start_mark),
                        "error",
                        "CMP102",
                        f"more than {MAX_DOCUMENTS} documents in one file",
                        "split the campaigns over several files",
                    )
                )
                break
            if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _T + "null"):
                continue  # an empty document (`---` with nothing after it)
            builder = _Builder(filename, diags)
            try:
                value = builder.build(node, (), 0)
            except _TooMuch as exc:
                diags.append(
                    Diagnostic(
                        _loc(filename, node.start_mark), "error", exc.code, exc.message, exc.hint
                    )
                )
                continue
            doc = Document(
                value,
                _loc(filename, node.start_mark),
                builder.values,
                builder.keys,
                builder.plain,
                builder.reported,
                builder.secret_keys,
            )
            docs.append(doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _loc(filename, mark) if mark is not None else top
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        diags.append(
            Diagnostic(
                where,
                "error",
                "CMP100",
                f"YAML syntax error: {message}",
                "fix the YAML syntax at this position",
            )
        )
    except yaml.YAMLError as exc:
        diags.append(
            Diagnostic(
                top, "error", "CMP100", f"YAML error: {_one_line(str(exc))}", "fix the YAML syntax"
            )
        )
    except RecursionError:
        diags.append(
            Diagnostic(
                top,
                "error",
                "CMP103",
                "YAML nesting is too deep to read",
                f"campaign files never nest more than {MAX_DEPTH} levels",
            )
        )
    finally:
        loader.dispose()
    return docs, diags


def _loc(filename: str, mark: Any) -> Location:
    return Location(filename, mark.line + 1, mark.column + 1)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _too_many_values() -> _TooMuch:
    return _TooMuch(
        "CMP103",
        f"document expands to more than {MAX_NODE_VISITS} values (alias bomb?)",
        "use fewer aliases (*name); campaigns are small",
    )


def _too_deep() -> _TooMuch:
    return _TooMuch(
        "CMP103",
        f"document nests more than {MAX_DEPTH} levels deep",
        "flatten the structure; campaign files are shallow",
    )


_STR, _NULL, _BOOL, _INT, _FLOAT = (_T + t for t in ("str", "null", "bool", "int", "float"))
_SEQ, _MAP, _MERGE, _TIMESTAMP, _PYTHON = (
    _T + t for t in ("seq", "map", "merge", "timestamp", "python/")
)
_TEXT_TAGS = frozenset({_TIMESTAMP, _T + "value", _T + "yaml"})  # kept as their source text
_ScalarNode, _SequenceNode, _MappingNode = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode


class _Builder:
    """Constructs plain values from one document's node graph, within budget."""

    def __init__(self, filename: str, diags: list[Diagnostic]) -> None:
        self.filename = filename
        self.diags = diags
        self.visits = 0
        self.values: dict[Path, Any] = {}  # marks, see Document
        self.keys: dict[Path, Any] = {}
        self.plain: dict[Path, tuple[str, str]] = {}
        self.reported: set[Path] = set()
        self.secret_keys: list[Path] = []
        self.path: Path = ()

    def error(self, node: Any, code: str, message: str, hint: str) -> None:
        self.reported.add(self.path)
        self.diags.append(
            Diagnostic(_loc(self.filename, node.start_mark), "error", code, message, hint)
        )

    def build(self, node: Any, path: Path, depth: int) -> Any:
        self.visits += 1
        if self.visits > MAX_NODE_VISITS:
            raise _too_many_values()
        if depth > MAX_DEPTH:
            raise _too_deep()
        if path not in self.values:  # an alias or merge source keeps its first position
            self.values[path] = node.start_mark
        self.path = path
        if isinstance(node, _ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, _SequenceNode):
            if node.tag != _SEQ:
                self.bad_tag(node)
                return None
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, _MappingNode):
            if node.tag != _MAP:
                self.bad_tag(node)
                return None
            return self.mapping(node, path, depth)
        return None  # pragma: no cover - the composer only makes the three kinds

    def bad_tag(self, node: Any) -> None:
        tag = str(node.tag)
        if tag.startswith(_PYTHON):
            message = f"unsafe tag !!{tag[len(_T) :]} refused (campaign files are never executed)"
        else:
            message = f"unsupported YAML tag {tag!r}"
        self.error(node, "CMP106", message, "remove the tag; write plain values")

    def mapping(self, node: Any, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        values, keys, plain = self.values, self.keys, self.plain
        for key_node, value_node in node.value:
            key_tag = key_node.tag
            if key_tag == _MERGE:
                # `<<: *defaults` — copy keys that are not written explicitly.
                sources = (
                    value_node.value if isinstance(value_node, _SequenceNode) else [value_node]
                )
                for source in sources:
                    if not isinstance(source, _MappingNode):
                        self.error(
                            source,
                            "CMP107",
                            "`<<` merges only mappings",
                            "merge an anchored mapping: <<: *name",
                        )
                        continue
                    value = self.build(source, path, depth + 1)
                    if isinstance(value, dict):
                        for k, v in value.items():
                            merged.setdefault(k, v)
                continue
            if not isinstance(key_node, _ScalarNode):
                self.error(
                    key_node,
                    "CMP107",
                    "mapping keys must be plain strings",
                    "use a simple word as the key",
                )
                self.visits += 1
                continue
            if key_tag.startswith(_PYTHON) or (key_tag.startswith("!") and key_tag != "!"):
                self.bad_tag(key_node)
                continue
            key = str(key_node.value)
            if key in seen:
                first = _loc(self.filename, seen[key].start_mark)
                self.error(
                    key_node,
                    "CMP104",
                    f"duplicate key {key!r} (first at line {first.line})",
                    "remove one of them; YAML would silently keep only the last",
                )
                continue
            seen[key] = key_node
            child = (*path, key)
            keys[child] = key_node.start_mark
            if is_secret_key(key):
                self.secret_keys.append(child)
            if type(value_node) is _ScalarNode:
                # What `build` does for a scalar, without its calls (most values are scalars,
                # most of them strings).
                self.visits += 1
                if self.visits > MAX_NODE_VISITS:
                    raise _too_many_values()
                if depth >= MAX_DEPTH:
                    raise _too_deep()
                if child not in values:
                    values[child] = value_node.start_mark
                if value_node.tag == _STR:
                    text = value_node.value
                    if not value_node.style:
                        plain[child] = (_STR, text)
                    result[key] = text
                else:
                    self.path = child
                    result[key] = self.scalar(value_node, child)
                    self.path = path
                continue
            result[key] = self.build(value_node, child, depth + 1)
            self.path = path
        for k, v in merged.items():
            result.setdefault(k, v)
        return result

    def scalar(self, node: Any, path: Path) -> Any:
        tag: str = node.tag
        text: str = node.value
        if node.style:  # quoted or block scalar (the C composer says "" for plain)
            if tag != _STR and tag != "!":
                self.bad_tag(node)
                return None
            return text
        self.plain[path] = (tag, text)
        if tag == _STR:
            return text
        if tag == _NULL:
            return None
        if tag == _BOOL:
            lowered = text.lower()
            if lowered in _BOOL_WORDS:
                return _BOOL_WORDS[lowered]
            self.error(
                node,
                "CMP105",
                f"{text!r} is read as a boolean by YAML 1.1; only true/false are accepted",
                f'write true or false, or quote it ("{text}") if you meant the text',
            )
            return None
        if tag == _INT:
            if _DECIMAL_INT.fullmatch(text):
                return int(text)
            return text  # 0755, 0x1F, 1_000, 18:00: keep the text, checks explain it
        if tag == _FLOAT:
            if _DECIMAL_FLOAT.fullmatch(text):
                return float(text)
            return text  # .inf, .nan, 1:30.5
        if tag in _TEXT_TAGS:
            return text  # timestamps are parsed later so an offset is never dropped
        self.bad_tag(node)
        return None
