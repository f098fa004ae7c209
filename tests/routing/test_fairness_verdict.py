"""The fairness verdict: who is over and who is under their share, each member's weight share, and
arrivals outside any team skipped wherever they come in the list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from routing import parse_config
from routing.fairness import Arrival, PoolFairness, RepShare, judge, measure

PAIR = """
timezone: UTC
working_hours: "mon-fri 09:00-17:00"
reps:
  - {id: ana, name: Ana, weight: 3}
  - {id: ben, name: Ben}
  - {id: otto, name: Otto}
teams:
  - {id: sales, members: [ana, ben], strategy: weighted}
rules: [{name: all, route: {team: sales}}]
sla: [{name: general, within: 1h}]
fallback: {team: sales}
"""
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def arrivals(*reps: str, pool: str = "sales") -> list[Arrival]:
    return [Arrival(pool=pool, at=MONDAY_10 + timedelta(minutes=i), rep=rep) for i, rep in enumerate(reps)]


def test_a_lopsided_pool_is_unfair_naming_the_rep_over_and_the_rep_under() -> None:
    [sales] = measure(parse_config(PAIR), arrivals(*["ben"] * 8))

    assert (sales.pool, sales.leads, sales.off_hours, sales.fair) == ("sales", 8, 0, False)
    assert sales.verdict == (
        "unfair: @ben over, 8 leads against 2.0 expected (100.0% vs 25.0%); "
        "@ana under, 0 leads against 6.0 expected (0.0% vs 75.0%)"
    )


def test_each_member_has_their_weight_share_and_an_outsider_who_got_leads_has_none() -> None:
    [sales] = measure(parse_config(PAIR), arrivals("ana", "ana", "ben", "otto"))

    shares = {r["rep"]: (r["leads"], r["weight_share"]) for r in sales.to_json()["reps"]}
    assert shares == {"ana": (2, 0.75), "ben": (1, 0.25), "otto": (1, 0.0)}


def test_an_arrival_outside_any_team_is_skipped_even_when_it_comes_first() -> None:
    [sales] = measure(parse_config(PAIR), arrivals("otto", pool="direct") + arrivals("ana", "ben"))

    assert (sales.pool, sales.leads) == ("sales", 2)


def test_the_json_form_of_a_pool_gives_every_figure_rounded_as_documented() -> None:
    config = parse_config(PAIR.replace("weight: 3", "weight: 2"))

    [sales] = measure(config, arrivals("ana"))

    assert sales.to_json() == {
        "pool": "sales",
        "leads": 1,
        "off_hours_leads": 0,
        "fair": True,
        "verdict": "fair: every rep within 10% (or 2 leads) of their expected share",
        "reps": [
            {
                "rep": "ana",
                "leads": 1,
                "share": 1.0,
                "expected": 0.67,
                "expected_share": 0.6667,
                "weight_share": 0.6667,
            },
            {
                "rep": "ben",
                "leads": 0,
                "share": 0.0,
                "expected": 0.33,
                "expected_share": 0.3333,
                "weight_share": 0.3333,
            },
        ],
    }


def test_shares_in_the_json_form_keep_four_decimals() -> None:
    [sales] = measure(parse_config(PAIR), arrivals("ana", "ana", "ben"))

    assert [r["share"] for r in sales.to_json()["reps"]] == [0.6667, 0.3333]


def test_a_pool_read_back_from_its_json_form_has_the_figures_as_written() -> None:
    [sales] = measure(parse_config(PAIR), arrivals("ana", "ana", "ben", "otto", "ana"))
    doc = sales.to_json()

    back = PoolFairness.from_json(doc)

    assert back == PoolFairness(
        pool="sales",
        leads=5,
        off_hours=0,
        reps=(
            RepShare(rep="ana", actual=3, expected=3.75, share=0.6, expected_share=0.75, weight_share=0.75),
            RepShare(rep="ben", actual=1, expected=1.25, share=0.2, expected_share=0.25, weight_share=0.25),
            RepShare(rep="otto", actual=1, expected=0.0, share=0.2, expected_share=0.0, weight_share=0.0),
        ),
    )
    assert back.to_json() == doc


def test_a_pool_judged_on_counts_per_minute_adds_them_up_and_an_empty_one_has_no_shares() -> None:
    config = parse_config(PAIR)
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    arrived = [(saturday, 2), (saturday + timedelta(minutes=1), 3), (MONDAY_10, 3)]

    sales = judge(config, "sales", {"ana": 6, "ben": 2}, arrived)

    assert (sales.leads, sales.off_hours) == (8, 5)
    assert [(r.rep, r.expected, r.share, r.expected_share) for r in sales.reps] == [
        ("ana", 6.0, 0.75, 0.75),
        ("ben", 2.0, 0.25, 0.25),
    ]
    empty = judge(config, "sales", {}, [])
    assert (empty.leads, empty.off_hours, empty.verdict) == (0, 0, "no leads")
    assert [(r.share, r.expected_share, r.weight_share) for r in empty.reps] == [(0.0, 0.0, 0.75), (0.0, 0.0, 0.25)]
