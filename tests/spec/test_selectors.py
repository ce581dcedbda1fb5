"""Label selectors (kubectl syntax) over campaign labels: parsing, errors, matching, selection."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runner.spec.model import (
    AbsoluteWindow,
    Campaign,
    Location,
    SessionSettings,
    Trigger,
)
from runner.spec.selectors import (
    Operator,
    Requirement,
    Selector,
    SelectorError,
    parse_selector,
    select_campaigns,
)

LAB1 = {"site": "lab-1", "team": "perception"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("site=lab-1", [Requirement("site", Operator.EQUALS, ("lab-1",))]),
        ("site==lab-1", [Requirement("site", Operator.EQUALS, ("lab-1",))]),
        ("site!=lab-1", [Requirement("site", Operator.NOT_EQUALS, ("lab-1",))]),
        ("site in (lab-2,lab-1)", [Requirement("site", Operator.IN, ("lab-1", "lab-2"))]),
        ("site notin (lab-1)", [Requirement("site", Operator.NOT_IN, ("lab-1",))]),
        ("gpu", [Requirement("gpu", Operator.EXISTS)]),
        ("!gpu", [Requirement("gpu", Operator.DOES_NOT_EXIST)]),
        ("site=", [Requirement("site", Operator.EQUALS, ("",))]),
        (
            " site = lab-1 , team!=vision ",
            [
                Requirement("site", Operator.EQUALS, ("lab-1",)),
                Requirement("team", Operator.NOT_EQUALS, ("vision",)),
            ],
        ),
        ("site in(a,b,a)", [Requirement("site", Operator.IN, ("a", "b"))]),
        ("example.com/site=x", [Requirement("example.com/site", Operator.EQUALS, ("x",))]),
        ("", []),
        ("   ", []),
    ],
)
def test_parses_kubectl_syntax(text: str, expected: list[Requirement]) -> None:
    assert parse_selector(text) == Selector(tuple(expected))


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("site=lab-1", LAB1, True),
        ("site=lab-2", LAB1, False),
        ("site=lab-1", {}, False),
        ("site!=lab-2", LAB1, True),
        ("site!=lab-1", LAB1, False),
        ("site!=lab-1", {}, True),  # as in Kubernetes: an absent label is "not equal"
        ("site in (lab-1,lab-2)", LAB1, True),
        ("site in (lab-2,lab-3)", LAB1, False),
        ("site notin (lab-2)", LAB1, True),
        ("site notin (lab-1)", LAB1, False),
        ("site notin (lab-1)", {}, True),
        ("team", LAB1, True),
        ("gpu", LAB1, False),
        ("!gpu", LAB1, True),
        ("!team", LAB1, False),
        ("site=lab-1,team!=vision", LAB1, True),
        ("site=lab-1,team=vision", LAB1, False),
        ("site=", {"site": ""}, True),
        ("", {}, True),
    ],
)
def test_matches_like_kubernetes(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_selector(selector).matches(labels) is expected


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("site=lab-1,", 12, "expected a requirement after ','"),
        ("site in lab-1", 9, "expected '(' after 'in'"),
        ("site in ()", 10, "the value list of 'in' is empty"),
        ("site in (a b)", 12, "expected ',' or ')'"),
        ("site in (a,)", 12, "expected a label value in the list"),
        ("site in (a", 11, "expected ',' or ')'"),
        ("site lab-1", 6, "expected an operator"),
        ("site>3", 5, "the operator '>' is not supported"),
        ("=lab-1", 1, "expected a label key, found '='"),
        ("!", 2, "expected a label key after '!'"),
        ("site=lab 1", 10, "expected ',' or the end, found '1'"),
        ("site=-lab", 6, "invalid label value '-lab'"),
        ("site=" + "a" * 64, 6, "has 64 characters, at most 63"),
        ("a" * 64, 1, "has 64 characters, at most 63"),
        ("Example.com/site=x", 1, "lowercase DNS subdomain"),
        ("/site=x", 1, "the prefix before '/' is empty"),
        ("example.com/=x", 1, "the name after '/' is empty"),
        ("site=a,,team=b", 8, "expected a label key, found ','"),
        ("site=x=y", 7, "expected ',' or the end, found '='"),
    ],
)
def test_errors_say_what_where_and_give_an_example(text: str, column: int, fragment: str) -> None:
    with pytest.raises(SelectorError) as info:
        parse_selector(text)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert info.value.column == column
    assert fragment in message
    assert f"at column {column}" in message
    assert "(e.g. '" in message
    assert repr(text) in message
    assert "\n" not in message


def test_the_example_in_an_error_parses() -> None:
    with pytest.raises(SelectorError) as info:
        parse_selector("site in lab-1")
    example = str(info.value).rsplit("(e.g. ", 1)[1].rstrip(")")
    assert parse_selector(example.strip("'")).matches({"site": "lab-1"})


def _campaign(name: str, labels: dict[str, str]) -> Campaign:
    here = Location("c.yaml", 1, 1)
    start = dt.datetime(2026, 12, 1, 8, tzinfo=dt.timezone.utc)
    return Campaign(
        name=name,
        labels=tuple(sorted(labels.items())),
        description=None,
        cameras=(),
        session=SessionSettings(),
        window=AbsoluteWindow(start, start + dt.timedelta(hours=1), None, here),
        trigger=Trigger.SCHEDULED,
        bursts=None,
        recordings=None,
        location=here,
    )


def test_select_campaigns_keeps_order_and_filters_on_metadata_labels() -> None:
    campaigns = [
        _campaign("a", {"site": "lab-1"}),
        _campaign("b", {"site": "lab-2", "team": "vision"}),
        _campaign("c", {"site": "lab-1", "team": "perception"}),
        _campaign("d", {}),
    ]
    names = lambda selected: [c.name for c in selected]  # noqa: E731
    assert names(select_campaigns(campaigns, parse_selector("site=lab-1"))) == ["a", "c"]
    assert names(select_campaigns(campaigns, parse_selector("team!=vision"))) == ["a", "c", "d"]
    assert names(select_campaigns(campaigns, parse_selector("!team"))) == ["a", "d"]
    assert names(select_campaigns(campaigns, None)) == ["a", "b", "c", "d"]
    assert names(select_campaigns(iter(campaigns), parse_selector(""))) == ["a", "b", "c", "d"]
    assert isinstance(select_campaigns(campaigns, None), tuple)


# --- properties ----------------------------------------------------------------------------

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_names = st.builds(
    lambda first, middle, last: first + middle + last if middle or last else first,
    st.sampled_from(_ALNUM),
    st.text(alphabet=_ALNUM + "-_.", max_size=5),
    st.sampled_from(_ALNUM),
) | st.sampled_from(_ALNUM)
_prefixes = st.lists(st.text(alphabet="abc019", min_size=1, max_size=4), min_size=1, max_size=3)
_keys = _names | st.builds(lambda p, n: ".".join(p) + "/" + n, _prefixes, _names)
_value_sets = st.lists(_names, min_size=1, max_size=3).map(lambda v: tuple(sorted(set(v))))
_requirements = st.one_of(
    st.builds(Requirement, _keys, st.just(Operator.EXISTS)),
    st.builds(Requirement, _keys, st.just(Operator.DOES_NOT_EXIST)),
    st.builds(
        Requirement,
        _keys,
        st.sampled_from([Operator.EQUALS, Operator.NOT_EQUALS]),
        (_names | st.just("")).map(lambda v: (v,)),
    ),
    st.builds(Requirement, _keys, st.sampled_from([Operator.IN, Operator.NOT_IN]), _value_sets),
)
_selectors = st.lists(_requirements, max_size=4).map(lambda r: Selector(tuple(r)))
_labels = st.dictionaries(_keys, _names | st.just(""), max_size=4)


@given(_selectors)
def test_canonical_text_parses_back_to_the_same_selector(selector: Selector) -> None:
    assert parse_selector(str(selector)) == selector


@given(_requirements, _labels)
def test_negated_operators_are_exact_complements(
    requirement: Requirement, labels: dict[str, str]
) -> None:
    opposite = {
        Operator.EQUALS: Operator.NOT_EQUALS,
        Operator.NOT_EQUALS: Operator.EQUALS,
        Operator.IN: Operator.NOT_IN,
        Operator.NOT_IN: Operator.IN,
        Operator.EXISTS: Operator.DOES_NOT_EXIST,
        Operator.DOES_NOT_EXIST: Operator.EXISTS,
    }[requirement.operator]
    negated = Requirement(requirement.key, opposite, requirement.values)
    assert negated.matches(labels) is not requirement.matches(labels)


@given(_selectors, _selectors, _labels)
def test_comma_is_and(left: Selector, right: Selector, labels: dict[str, str]) -> None:
    both = Selector(left.requirements + right.requirements)
    assert both.matches(labels) is (left.matches(labels) and right.matches(labels))


@given(st.text(alphabet="ab=!(), \t-/.in", max_size=20) | st.text(max_size=20))
def test_any_text_parses_or_raises_selector_error(text: str) -> None:
    try:
        selector = parse_selector(text)
    except SelectorError as exc:
        assert 1 <= exc.column <= len(text) + 1
        assert "\n" not in str(exc).replace(repr(text), "")
    else:
        assert parse_selector(str(selector)) == selector
