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


@pytest.mark.parametrize(
    ("spec", "facts", "expected"),
    [
        # A missing value matches no test but `exists: false`, even one its text "None" would pass.
        ({"title": {"contains": "on"}}, {}, False),
        ({"title": {"contains": "on"}}, {"title": None}, False),
        ({"title": {"contains": "vp"}}, {"title": "CEO"}, False),
        ({"email": {"regex": "^n"}}, {}, False),
        ({"email": {"regex": r"\.edu$"}}, {"email": "x@mit.com"}, False),
        ({"email": {"regex": "^N"}}, {"email": "nina@x.com"}, True),  # case-insensitive
        ({"employees": 12}, {"employees": 12.0}, True),
        ({"employees": ">200"}, {"employees": 200}, False),
        ({"employees": ">200"}, {"employees": 201}, True),
        ({"employees": "<=20"}, {"employees": 20}, True),
        ({"employees": "<=20"}, {"employees": 21}, False),
        ({"employees": "<20"}, {"employees": 19.5}, True),
        ({"employees": "=50"}, {"employees": 50}, True),
        ({"employees": "=50"}, {"employees": 51}, False),
        ({"employees": "20-199"}, {"employees": 199}, True),
        ({"employees": "20-199"}, {"employees": 200}, False),
        ({"employees": "20..199"}, {"employees": 19}, False),
        ({"employees": ">=200"}, {"employees": True}, False),  # a flag is not a number
        ({"employees": ">=200"}, {"employees": "500"}, False),
        ({"revenue": ">=1000"}, {"revenue": 5000}, True),  # a range string on a field not declared numeric
        ({"zip": "-5"}, {"zip": "-5"}, True),  # a negative number in text is a value, not a range
        ({"budget": {"exists": True}}, {"budget": None}, False),
        ({"budget": {"exists": False}}, {"budget": "yes"}, False),
        ({"budget": {"exists": False}}, {"budget": ""}, True),
        ({"country": "DE"}, {}, False),
        ({"flag": True}, {"flag": True}, True),
        ({"flag": True}, {"flag": "true"}, False),
        ({"any": [{"intent": "demo"}, {"score": ">=80"}]}, {"score": 10}, False),
        ({"not": {"source": "partner"}}, {}, True),
        ({"country": "DE", "intent": {"in": ["demo"], "exists": True}}, {"country": "de", "intent": "DEMO"}, True),
        ({"country": "DE", "intent": {"in": ["demo"], "exists": True}}, {"country": "de", "intent": "call"}, False),
        ({"title": {"contains": "vp", "regex": "sales$"}}, {"title": "VP Marketing"}, False),  # every operator holds
        ({"title": {"contains": "vp", "regex": "sales$"}}, {"title": "VP Sales"}, True),
    ],
)
def test_matches_at_the_edges(spec: dict[str, Any], facts: dict[str, Any], expected: bool) -> None:
    assert parse(spec, NUMERIC).matches(facts) is expected


def test_all_with_parts_the_prefilter_cannot_index_checks_every_one_of_them() -> None:
    cond = parse({"all": [{"country": "DE"}, {"employees": ">=200"}, {"title": {"contains": "ceo"}}]}, NUMERIC)
    prefilter = Prefilter([cond])
    for facts, expected in [
        ({"country": "DE", "employees": 500, "title": "CEO"}, [0]),
        ({"country": "DE", "employees": 500, "title": "CTO"}, []),
        ({"country": "DE", "employees": 50, "title": "CEO"}, []),
        ({"country": "AT", "employees": 500, "title": "CEO"}, []),
    ]:
        assert matching(prefilter, facts) == expected, facts
    assert dict(prefilter.candidates({"country": "DE"}))[0] == parse(
        {"all": [{"employees": ">=200"}, {"title": {"contains": "ceo"}}]}, NUMERIC
    )


def test_all_with_one_part_the_prefilter_cannot_index_leaves_just_that_part() -> None:
    cond = parse(
        {"all": [{"country": ["DE", "AT"]}, {"country": ["AT", "CH"]}, {"not": {"source": "x"}}, {"score": ">5"}]},
        NUMERIC,
    )
    prefilter = Prefilter([cond])
    assert dict(prefilter.candidates({"country": "AT"}))[0] == parse({"score": ">5"}, NUMERIC)
    assert prefilter.candidates({"country": "DE"}) == ()  # only AT is in both lists
    assert prefilter.candidates({"country": "AT", "source": "X"}) == ()
    assert matching(prefilter, {"country": "at", "score": 6}) == [0]
    assert matching(prefilter, {"country": "at", "score": 5}) == []


def test_a_prefilter_keeps_answering_after_its_plan_memo_fills_up(monkeypatch: pytest.MonkeyPatch) -> None:
    import routing.conditions as conditions

    monkeypatch.setattr(conditions, "_MAX_PLANS", 2)
    prefilter = Prefilter(PREFILTERED)
    for facts in [{"country": "DE"}, {"country": "FR"}, {"country": "JP"}, {"country": "DE"}, {}]:
        assert matching(prefilter, facts) == [i for i, cond in enumerate(PREFILTERED) if cond.matches(facts)]
    assert len(prefilter._plans) <= 2


@pytest.mark.parametrize(
    ("spec", "described"),
    [
        ({"country": "DE"}, "country = DE"),
        ({"country": ["DE", "AT"]}, "country in [DE, AT]"),
        ({"employees": ">200"}, "employees >200"),
        ({"employees": "20-199"}, "employees 20–199"),
        ({"employees": 50}, "employees = 50"),
        ({"title": {"contains": "VP"}}, "title contains 'vp'"),
        ({"email": {"regex": r"\.edu$"}}, r"email ~ /\.edu$/"),
        ({"budget": {"exists": True}}, "budget is set"),
        ({"budget": {"exists": False}}, "budget is missing"),
        ({"any": [{"intent": "demo"}, {"urgency": "high"}]}, "(intent = demo or urgency = high)"),
        ({"not": {"source": "partner"}}, "not (source = partner)"),
        ({}, "always"),
    ],
)
def test_each_condition_describes_itself_as_the_rule_reads(spec: dict[str, Any], described: str) -> None:
    assert parse(spec, NUMERIC).describe() == described


@pytest.mark.parametrize(
    ("spec", "path", "message"),
    [
        ({"country": {}}, ("country",), "empty condition"),
        (
            {"country": {"like": "x"}},
            ("country",),
            "unknown operator 'like'; use one of equals, in, range, contains, regex, exists",
        ),
        ({"country": {"in": []}}, ("country",), "'in' takes a non-empty list"),
        ({"country": {"in": "DE"}}, ("country",), "'in' takes a non-empty list"),
        ({"country": [["DE"]]}, ("country",), "values must be plain strings, numbers or booleans"),
        ({"country": {"equals": None}}, ("country",), "values must be plain strings, numbers or booleans"),
        ({"employees": ["lots"]}, ("employees",), "expected a range like '>=200' or a number"),
        ({"employees": {"range": "x"}}, ("employees",), "expected a range like '>=200', '<20' or '20-199'"),
        ({"employees": True}, ("employees",), "expected a range like '>=200', '<20' or '20-199'"),
        ({"title": {"contains": ""}}, ("title",), "'contains' takes a non-empty string"),
        ({"title": {"contains": 5}}, ("title",), "'contains' takes a non-empty string"),
        ({"email": {"regex": 5}}, ("email",), "'regex' takes a string"),
        ({"budget": {"exists": "yes"}}, ("budget",), "'exists' takes true or false"),
        (
            {"email": {"regex": "("}},
            ("email",),
            "bad regular expression: missing ), unterminated subpattern at position 0",
        ),
        ({"all": "x"}, ("all",), "'all' takes a non-empty list of conditions"),
        ({"not": {"any": [{"a": 1}, {"b": {"in": []}}]}}, ("not", "any", 1, "b"), "'in' takes a non-empty list"),
        ({"x": "10-5"}, ("x",), "range '10-5' is empty: 10 is above 5"),
    ],
)
def test_each_bad_condition_names_its_path_and_problem(spec: Any, path: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse(spec, NUMERIC)
    assert (caught.value.path, caught.value.message) == (path, message)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("specific", "general", "expected"),
    [
        ({"employees": ">200"}, {"employees": ">=200"}, True),
        ({"employees": ">=200"}, {"employees": ">200"}, False),
        ({"employees": "<200"}, {"employees": "<=200"}, True),
        ({"employees": ">200"}, {"employees": ">200"}, True),
        ({"employees": "20-199"}, {"employees": "10-199"}, True),
        ({"employees": "20-199"}, {"employees": "20-150"}, False),
        ({"employees": "5-10"}, {"employees": "20-199"}, False),
        ({"employees": [50, 60]}, {"employees": "20-199"}, True),
        ({"employees": [50, 600]}, {"employees": "20-199"}, False),
        ({"size": [50]}, {"employees": "20-199"}, False),
        ({"country": "DE"}, {"country": {"exists": True}}, True),
        ({"region": "EMEA"}, {"country": {"exists": True}}, False),
        ({"country": {"exists": True}}, {"country": {"exists": True}}, True),
        ({"country": {"exists": False}}, {"country": {"exists": True}}, False),
        ({"country": "DE"}, {"country": {"exists": False}}, False),
        ({"country": "DE"}, {"region": ["DE"]}, False),
        ({"employees": ">300"}, {"size": ">200"}, False),
        ({"country": "DE"}, {"not": {"country": "FR"}}, False),
        ({"country": "DE"}, {"any": [{"country": "DE"}]}, False),
        ({"any": [{"country": "DE"}]}, {}, True),
        ({"all": [{"country": "DE"}, {"employees": ">500"}]}, {"employees": ">=200"}, True),
        ({"all": [{"country": "DE"}, {"not": {"x": 1}}]}, {"country": "DE"}, False),
    ],
)
def test_implies_at_the_edges(specific: dict[str, Any], general: dict[str, Any], expected: bool) -> None:
    assert implies(parse(specific, NUMERIC), parse(general, NUMERIC)) is expected


def test_set_bits_lists_positions_lowest_first() -> None:
    from routing.conditions import _set_bits

    assert _set_bits(0) == []
    assert _set_bits(0b101001) == [0, 3, 5]


def test_all_rejecting_two_values_of_one_field_rejects_both() -> None:
    cond = parse({"all": [{"not": {"country": "DE"}}, {"not": {"country": "AT"}}]}, NUMERIC)
    prefilter = Prefilter([cond])
    assert matching(prefilter, {"country": "DE"}) == []
    assert matching(prefilter, {"country": "AT"}) == []
    assert matching(prefilter, {"country": "FR"}) == [0]


@pytest.mark.parametrize(
    ("specific", "general", "expected"),
    [
        ({"country": ["DE", "AT"]}, {"country": ["AT", "DE"]}, True),  # the same values, listed otherwise
        ({"title": "vp sales"}, {"title": {"contains": "vp"}}, False),  # conservative: only lists and ranges
        ({"title": {"contains": "vp"}}, {"employees": ">=1"}, False),
    ],
)
def test_implies_compares_only_what_it_understands(
    specific: dict[str, Any], general: dict[str, Any], expected: bool
) -> None:
    assert implies(parse(specific, NUMERIC), parse(general, NUMERIC)) is expected


def test_the_fields_a_condition_reads_come_in_the_order_written_each_once() -> None:
    from routing.conditions import fields_of

    spec = {
        "all": [
            {"any": [{"country": "DE"}, {"not": {"source": "partner"}}]},
            {"not": {"all": [{"title": {"contains": "vp"}}, {"country": "AT"}]}},
            {"employees": ">=200"},
        ]
    }
    assert fields_of(parse(spec, NUMERIC)) == ("country", "source", "title", "employees")
    assert fields_of(parse({"all": [{"not": {"source": "x"}}, {"country": "DE"}]}, NUMERIC)) == ("source", "country")
    assert fields_of(parse({}, NUMERIC)) == ()


def test_the_values_a_condition_names_for_a_field_are_found_anywhere_in_its_tree() -> None:
    from routing.conditions import values_named

    spec = {
        "any": [
            {"source": ["Partner", "web"]},
            {"all": [{"country": "DE"}, {"not": {"source": "ads"}}]},
            {"source": {"contains": "event"}},  # not an equality: no value named
        ]
    }
    assert values_named(parse(spec, NUMERIC), "source") == frozenset({"partner", "web", "ads"})
    assert values_named(parse(spec, NUMERIC), "country") == frozenset({"de"})
    assert values_named(parse({"country": "DE"}, NUMERIC), "source") == frozenset()


def test_a_range_of_one_number_is_not_empty_and_a_non_mapping_is_refused_in_words() -> None:
    assert parse({"employees": "20-20"}, NUMERIC).matches({"employees": 20})
    with pytest.raises(ConditionError, match=r"^expected a mapping of field: value, or all/any/not$"):
        parse(["country"], NUMERIC)


def test_an_at_most_range_lies_within_a_below_range_with_a_higher_bound() -> None:
    # both are open downwards: `<=100` accepts nothing `<200` does not, so a later rule on it is shadowed
    assert implies(parse({"employees": "<=100"}, NUMERIC), parse({"employees": "<200"}, NUMERIC)) is True
    assert implies(parse({"employees": "<=200"}, NUMERIC), parse({"employees": "<200"}, NUMERIC)) is False
