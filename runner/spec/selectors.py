"""Label selectors in kubectl syntax over campaign `metadata.labels`: pure, text in, values out.

    site=lab-1,team!=vision          equality, inequality; commas mean AND
    site in (lab-1,lab-2)            set membership;  tier notin (test)
    gpu                              the label exists; !gpu: it does not

Semantics follow Kubernetes (`k8s.io/apimachinery/pkg/labels`): `!=` and `notin` also match
a campaign that lacks the label; the empty selector matches every campaign. Keys are
`[prefix/]name` (name: at most 63 characters, alphanumeric at both ends, `-_.` inside;
prefix: a lowercase DNS subdomain of at most 253 characters); values are empty or like a name.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from runner.spec.model import Campaign

__all__ = [
    "Operator",
    "Requirement",
    "Selector",
    "SelectorError",
    "parse_selector",
    "select_campaigns",
]

_NAME_MAX = 63
_PREFIX_MAX = 253
_NAME = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)\Z")
_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_PREFIX = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*\Z")
# Characters that end an identifier (as in the Kubernetes lexer); everything else is part of one.
_SPECIAL = frozenset("=!(),<>")
_EXAMPLE = "site=lab-1,team!=vision"


class SelectorError(ValueError):
    """A label selector that cannot be parsed; `column` is 1-based in the selector text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


class Operator(str, enum.Enum):
    """How a requirement tests one label."""

    EQUALS = "="
    NOT_EQUALS = "!="
    IN = "in"
    NOT_IN = "notin"
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"


@dataclass(frozen=True)
class Requirement:
    """One comma-separated part of a selector; `values` are sorted and unique."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether `labels` satisfy this requirement (Kubernetes semantics)."""
        op = self.operator
        if op is Operator.EXISTS:
            return self.key in labels
        if op is Operator.DOES_NOT_EXIST:
            return self.key not in labels
        present = self.key in labels
        inside = present and labels[self.key] in self.values
        if op in (Operator.EQUALS, Operator.IN):
            return inside
        return not inside  # != and notin: also true when the label is absent

    def __str__(self) -> str:
        op = self.operator
        if op is Operator.EXISTS:
            return self.key
        if op is Operator.DOES_NOT_EXIST:
            return f"!{self.key}"
        if op in (Operator.EQUALS, Operator.NOT_EQUALS):
            return f"{self.key}{op.value}{self.values[0]}"
        return f"{self.key} {op.value} ({','.join(self.values)})"


@dataclass(frozen=True)
class Selector:
    """Requirements that must all hold; no requirements matches everything."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether `labels` satisfy every requirement."""
        return all(requirement.matches(labels) for requirement in self.requirements)

    def __str__(self) -> str:
        """The canonical kubectl form; `parse_selector(str(s)) == s`."""
        return ",".join(str(requirement) for requirement in self.requirements)


def select_campaigns(
    campaigns: Iterable[Campaign], selector: Selector | None
) -> tuple[Campaign, ...]:
    """The campaigns whose `metadata.labels` match `selector` (all of them for None), in order."""
    if selector is None:
        return tuple(campaigns)
    return tuple(c for c in campaigns if selector.matches(dict(c.labels)))


# --- parsing -------------------------------------------------------------------------------


class _Kind(enum.Enum):
    IDENT = "identifier"
    EQ = "'='"
    DEQ = "'=='"
    NEQ = "'!='"
    BANG = "'!'"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    GT = "'>'"
    LT = "'<'"
    END = "end of selector"


@dataclass(frozen=True)
class _Token:
    kind: _Kind
    text: str
    column: int  # 1-based

    def describe(self) -> str:
        return f"'{self.text}'" if self.kind is _Kind.IDENT else self.kind.value


_SYMBOLS = {
    "==": _Kind.DEQ,
    "!=": _Kind.NEQ,
    "=": _Kind.EQ,
    "!": _Kind.BANG,
    "(": _Kind.LPAREN,
    ")": _Kind.RPAREN,
    ",": _Kind.COMMA,
    ">": _Kind.GT,
    "<": _Kind.LT,
}


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _SPECIAL:
            two = text[i : i + 2]
            symbol = two if two in _SYMBOLS else ch
            out.append(_Token(_SYMBOLS[symbol], symbol, i + 1))
            i += len(symbol)
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in _SPECIAL:
                i += 1
            out.append(_Token(_Kind.IDENT, text[start:i], start + 1))
    out.append(_Token(_Kind.END, "", n + 1))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0

    def fail(self, column: int, what: str, example: str = _EXAMPLE) -> SelectorError:
        return SelectorError(
            f"invalid label selector {self.text!r}: {what} at column {column} (e.g. {example!r})",
            column,
        )

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        if token.kind is not _Kind.END:
            self.pos += 1
        return token

    def selector(self) -> Selector:
        if self.peek().kind is _Kind.END:
            return Selector()
        requirements = [self.requirement()]
        while True:
            token = self.take()
            if token.kind is _Kind.END:
                return Selector(tuple(requirements))
            if token.kind is not _Kind.COMMA:
                raise self.fail(token.column, f"expected ',' or the end, found {token.describe()}")
            if self.peek().kind is _Kind.END:
                raise self.fail(self.peek().column, "expected a requirement after ','")
            requirements.append(self.requirement())

    def requirement(self) -> Requirement:
        token = self.peek()
        if token.kind is _Kind.BANG:
            self.take()
            return Requirement(self.key("'!'"), Operator.DOES_NOT_EXIST)
        key = self.key()
        token = self.peek()
        if token.kind in (_Kind.END, _Kind.COMMA):
            return Requirement(key, Operator.EXISTS)
        if token.kind in (_Kind.EQ, _Kind.DEQ, _Kind.NEQ):
            self.take()
            op = Operator.NOT_EQUALS if token.kind is _Kind.NEQ else Operator.EQUALS
            return Requirement(key, op, (self.value(token, allow_empty=True),))
        if token.kind is _Kind.IDENT and token.text in ("in", "notin"):
            self.take()
            op = Operator.IN if token.text == "in" else Operator.NOT_IN
            return Requirement(key, op, self.value_list(key, token.text))
        if token.kind in (_Kind.GT, _Kind.LT):
            raise self.fail(
                token.column,
                f"the operator {token.describe()} is not supported "
                "for campaign labels; use =, ==, !=, in, notin",
            )
        raise self.fail(
            token.column,
            f"expected an operator (=, ==, !=, in, notin), ',' or the "
            f"end after the key '{key}', found {token.describe()}",
        )

    def key(self, after: str | None = None) -> str:
        token = self.take()
        if token.kind is not _Kind.IDENT:
            where = f" after {after}" if after else ""
            raise self.fail(
                token.column,
                f"expected a label key{where}, found {token.describe()}",
                "site=lab-1,!gpu",
            )
        problem = _key_problem(token.text)
        if problem:
            raise self.fail(
                token.column,
                f"invalid label key '{token.text}': {problem}",
                "example.com/site=lab-1",
            )
        return token.text

    def value(self, operator: _Token, allow_empty: bool) -> str:
        token = self.peek()
        if allow_empty and token.kind in (_Kind.END, _Kind.COMMA):
            return ""  # `site=` selects an empty value, as in kubectl
        if token.kind is not _Kind.IDENT:
            raise self.fail(
                token.column,
                f"expected a label value after {operator.describe()}, found {token.describe()}",
            )
        self.take()
        problem = _value_problem(token.text)
        if problem:
            raise self.fail(token.column, f"invalid label value '{token.text}': {problem}")
        return token.text

    def value_list(self, key: str, op: str) -> tuple[str, ...]:
        example = f"{key} {op} (lab-1,lab-2)"
        token = self.take()
        if token.kind is not _Kind.LPAREN:
            raise self.fail(
                token.column, f"expected '(' after '{op}', found {token.describe()}", example
            )
        if self.peek().kind is _Kind.RPAREN:
            raise self.fail(self.peek().column, f"the value list of '{op}' is empty", example)
        values = set()
        while True:
            token = self.peek()
            if token.kind is not _Kind.IDENT:
                raise self.fail(
                    token.column,
                    f"expected a label value in the list of '{op}', found {token.describe()}",
                    example,
                )
            values.add(self.value(token, allow_empty=False))
            token = self.take()
            if token.kind is _Kind.RPAREN:
                return tuple(sorted(values))
            if token.kind is not _Kind.COMMA:
                raise self.fail(
                    token.column,
                    f"expected ',' or ')' in the list of '{op}', found {token.describe()}",
                    example,
                )


def _name_problem(name: str, what: str) -> str | None:
    if len(name) > _NAME_MAX:
        return f"{what} has {len(name)} characters, at most {_NAME_MAX} are allowed"
    if not _NAME.match(name):
        return f"{what} must be alphanumeric at both ends with only '-', '_' or '.' inside"
    return None


def _key_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if not slash:
        return _name_problem(key, "the name") if key else "it is empty"
    if not prefix:
        return "the prefix before '/' is empty"
    if len(prefix) > _PREFIX_MAX:
        return f"the prefix has {len(prefix)} characters, at most {_PREFIX_MAX} are allowed"
    if not _PREFIX.match(prefix):
        return "the prefix must be a lowercase DNS subdomain (like example.com)"
    if not name:
        return "the name after '/' is empty"
    return _name_problem(name, "the name")


def _value_problem(value: str) -> str | None:
    return _name_problem(value, "a value") if value else None


def parse_selector(text: str) -> Selector:
    """Parse kubectl label-selector syntax; raises `SelectorError` (a ValueError), one line."""
    return _Parser(text).selector()
