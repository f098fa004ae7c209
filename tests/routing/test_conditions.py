"""The condition language: what matches, what it says about itself, and what implies what."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.conditions import ConditionError, Prefilter, implies, parse

NUMERIC = frozenset({"employees", "score"})


@pytest.mark.parametrize(
    ("spec", "facts", "expected"),
    [
        ({"country": "de"}, {"country": "DE"}, True),
        ({"country": ["DE", "AT"]}, {"country": "AT"}, True),
        ({"country": {"in": ["DE", "AT"]}}, {"country": "FR"}, False),
        ({"employees": ">=200"}, {"employees": 200}, True),
        ({"employees": ">=200"}, {"employees": 199}, False),
        ({"employees": "20-199"}, {"employees": 20}, True),
        ({"employees": "<20"}, {"employees": 20}, False),
        ({"employees": ">=200"}, {}, False),
        ({"employees": 50}, {"employees": 50}, True),
        ({"title": {"contains": "VP"}}, {"title": "Senior vp of Sales"}, True),
        ({"email": {"regex": r"\.edu$"}}, {"email": "x@mit.EDU"}, True),
        ({"budget": {"exists": True}}, {"budget": "yes"}, True),
        ({"budget": {"exists": True}}, {"budget": ""}, False),
        ({"budget": {"exists": False}}, {}, True),
        ({"any": [{"intent": "demo"}, {"score": ">=80"}]}, {"score": 90}, True),
        ({"not": {"source": "partner"}}, {"source": "Partner"}, False),
        (
            {"all": [{"region": "EMEA"}, {"not": {"country": "DE"}}]},
            {"region": "EMEA", "country": "FR"},
            True,
        ),
        ({}, {}, True),
    ],
)
def test_matches(spec: dict[str, Any], facts: dict[str, Any], expected: bool) -> None:
    assert parse(spec, NUMERIC).matches(facts) is expected


@pytest.mark.parametrize(
    ("spec", "path", "message"),
    [
        ({"employees": "big"}, ("employees",), "expected a range like '>=200'"),
        ({"employees": "300-200"}, ("employees",), "range '300-200' is empty"),
        ({"any": []}, ("any",), "'any' takes a non-empty list"),
        ({"all": [{"x": 1}, {"y": {"exists": "yes"}}]}, ("all", 1, "y"), "'exists' takes true or false"),
        ("country", (), "expected a mapping"),
    ],
)
def test_errors_carry_the_path(spec: Any, path: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse(spec, NUMERIC)
    assert caught.value.path == path and message in caught.value.message


def test_describe_reads_like_the_rule() -> None:
    cond = parse({"country": ["DE", "AT"], "employees": ">=200"}, NUMERIC)
    assert cond.describe() == "country in [DE, AT] and employees >=200"


@pytest.mark.parametrize(
    ("specific", "general", "expected"),
    [
        ({"country": "DE"}, {"country": ["DE", "AT"]}, True),
        ({"country": ["DE", "FR"]}, {"country": ["DE", "AT"]}, False),
        ({"employees": ">=500"}, {"employees": ">=200"}, True),
        ({"employees": "20-199"}, {"employees": "<200"}, True),
        ({"employees": "<=200"}, {"employees": "<200"}, False),
        ({"country": "DE", "employees": 50}, {"country": "DE"}, True),
        ({"country": "DE"}, {"country": "DE", "employees": 50}, False),
        ({"country": "DE"}, {}, True),
        ({"any": [{"country": "DE"}]}, {"country": "DE"}, False),
    ],
)
def test_implies_is_conservative(specific: dict[str, Any], general: dict[str, Any], expected: bool) -> None:
    assert implies(parse(specific, NUMERIC), parse(general, NUMERIC)) is expected


PREFILTERED = [
    parse(spec, NUMERIC)
    for spec in [
        {"country": ["DE", "AT"], "employees": ">=200"},
        {"all": [{"industry": "Fintech"}, {"score": ">=50"}, {"industry": ["fintech", "retail"]}]},
        {"any": [{"country": "FR"}, {"source": "partner"}]},
        {"not": {"country": "DE"}},
        {"region": "EMEA", "all": [{"not": {"industry": "retail"}}]},
        {"flag": True, "count": 1},
        {"country": "JP", "region": ["APAC", "EMEA"]},
        {},
    ]
]
fact_values = st.sampled_from(
    ["DE", "de", "AT", "FR", "JP", "fintech", "Retail", "EMEA", "apac", "partner", "", 1, 1.0, True, 0, 60, 500]
)
fact_names = st.sampled_from(["country", "industry", "region", "source", "flag", "count", "score", "employees"])


def matching(prefilter: Prefilter, facts: dict[str, Any]) -> list[int]:
    return [i for i, rest in prefilter.candidates(facts) if rest is None or rest.matches(facts)]


@given(facts=st.dictionaries(fact_names, fact_values))
def test_a_prefilter_finds_the_conditions_that_match_in_order(facts: dict[str, Any]) -> None:
    assert matching(Prefilter(PREFILTERED), facts) == [i for i, cond in enumerate(PREFILTERED) if cond.matches(facts)]


def candidates(facts: dict[str, Any]) -> list[int]:
    return [i for i, _ in Prefilter(PREFILTERED).candidates(facts)]


def test_a_prefilter_rules_out_conditions_on_a_required_value() -> None:
    # Rule 0 needs country DE or AT and rule 6 country JP; rules that do not require a country stay in.
    assert candidates({"country": "fr", "industry": "FINTECH"}) == [1, 2, 3, 7]


def test_a_prefilter_rules_out_conditions_on_a_rejected_value() -> None:
    # Rule 3 is `not country DE`; rule 4 needs region EMEA and rejects retail.
    assert candidates({"country": "De"}) == [0, 2, 7]
    assert candidates({"region": "emea"}) == [2, 3, 4, 7]
    assert candidates({"region": "emea", "industry": "Retail"}) == [2, 3, 7]


def test_a_prefilter_leaves_only_the_untested_part_of_a_condition() -> None:
    rest = dict(Prefilter(PREFILTERED).candidates({"country": "DE", "industry": "fintech"}))
    assert rest[0] == parse({"employees": ">=200"}, NUMERIC)  # the country is settled
    assert rest[1] == parse({"score": ">=50"}, NUMERIC)
    assert rest[7] is None


def test_an_unhashable_value_leaves_every_condition_to_evaluate_as_written() -> None:
    facts = {"country": ["DE"], "industry": "fintech"}
    assert Prefilter(PREFILTERED).candidates(facts) == tuple(enumerate(PREFILTERED))
