"""The charts from their data: the PNG opens, its size follows the categories, its data is the numbers."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

from PIL import Image

from reports.charts import DPI, HEIGHT_IN, charts, fairness_chart, render, speed_chart
from reports.numbers import Numbers, Rate, Share, Speed

T0 = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def numbers(distribution: tuple[Share, ...] = (), bands: tuple[int, int, int, int] = (0, 0, 0, 0)) -> Numbers:
    none = Rate(part=0, whole=0)
    speed = Speed(count=sum(bands), p50=None, p90=None, bands=bands)
    return Numbers(
        team_id="sales",
        since=T0,
        until=T0 + timedelta(days=7),
        received=sum(bands),
        nurtured=0,
        assignment=speed,
        system=speed,
        human=Speed(count=1, p50=600.0, p90=600.0, bands=(0, 1, 0, 0)),
        offers=sum(s.offers for s in distribution),
        sla_breach=none,
        sla_by_rep={},
        sla_by_team={},
        sla_by_tier={},
        acceptance=none,
        reassignment=none,
        ended_by={},
        fallback=none,
        fell_through={},
        distribution=distribution,
        fairness=(),
    )


def opened(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_the_speed_chart_shows_each_band_of_system_and_human_time() -> None:
    chart = speed_chart(numbers(bands=(4, 3, 2, 1)))
    assert chart.categories == ("0–5 min", "5–15 min", "15–60 min", "60+ min")
    assert chart.series == {"system: intake → DM": (4.0, 3.0, 2.0, 1.0), "human: DM → claim": (0.0, 1.0, 0.0, 0.0)}
    image = opened(render(chart))
    assert image.format == "PNG" and image.size == chart.size_px == (600, round(HEIGHT_IN * DPI))
    assert json.loads(image.info["Description"])["series"]["system: intake → DM"] == [4, 3, 2, 1]


def test_the_fairness_chart_has_a_bar_group_per_rep_and_widens_with_them() -> None:
    shares = tuple(
        Share(pool="sales", rep_id=rep, offers=offers, claims=claims, breaches=breaches, share=offers / 10, fair=0.25)
        for rep, offers, claims, breaches in (
            ("ana", 4, 3, 1),
            ("ben", 3, 3, 0),
            ("cy", 2, 1, 1),
            ("dee", 1, 0, 1),
        )
    )
    chart = fairness_chart(numbers(shares))
    assert chart.categories == ("ana", "ben", "cy", "dee")
    assert chart.series["claims"] == (3, 3, 1, 0) and chart.series["breaches"] == (1, 0, 1, 1)
    assert chart.series["fair share of offers"] == (2.5, 2.5, 2.5, 2.5)  # a quarter of 10 offers each
    few = fairness_chart(numbers(shares[:1]))
    many = fairness_chart(
        numbers(
            tuple(
                Share(pool="sales", rep_id=f"r{i}", offers=1, claims=1, breaches=0, share=0.1, fair=0.1)
                for i in range(10)
            )
        )
    )
    assert opened(render(many)).size[0] > opened(render(chart)).size[0] >= opened(render(few)).size[0]


def test_an_empty_period_still_renders_both_charts() -> None:
    for chart in charts(numbers()):
        image = opened(render(chart))
        assert image.size == chart.size_px
        assert json.loads(image.info["Description"])["title"] == chart.title
