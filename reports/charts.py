"""The digest's two charts as PNG bytes, drawn with matplotlib's Agg backend (no display, no browser).

Each chart is first a `Chart`: what it shows, as plain data derived from `Numbers` (categories, one
series of values per legend entry). `render` draws it and writes that data into the PNG's
`Description` text chunk, so anyone (a test, a person with `exiftool`) can check a picture against the
numbers it claims to show. The picture widens with the categories, so every rep's name stays legible.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass

from reports.numbers import BAND_LABELS, Numbers

DPI = 100
HEIGHT_IN = 4.0
MIN_WIDTH_IN, WIDTH_PER_CATEGORY_IN = 6.0, 0.9
_COLOURS = ("#2f6fdf", "#f29d38", "#3aa76d", "#d94c4c")


@dataclass(frozen=True, slots=True, kw_only=True)
class Chart:
    """A bar chart as data: `series` maps each legend entry to one value per category."""

    name: str  # the file name stem, e.g. "speed-to-lead"
    title: str
    ylabel: str
    categories: tuple[str, ...]
    series: Mapping[str, tuple[float, ...]]

    def __post_init__(self) -> None:
        for label, values in self.series.items():
            if len(values) != len(self.categories):
                raise ValueError(f"series {label!r} has {len(values)} values for {len(self.categories)} categories")

    def as_json(self) -> str:
        return json.dumps(
            {
                "title": self.title,
                "categories": list(self.categories),
                "series": {k: list(v) for k, v in self.series.items()},
            }
        )

    @property
    def size_px(self) -> tuple[int, int]:
        """The rendered (width, height) in pixels."""
        return round(self.width_in * DPI), round(HEIGHT_IN * DPI)

    @property
    def width_in(self) -> float:
        return max(MIN_WIDTH_IN, WIDTH_PER_CATEGORY_IN * len(self.categories) * max(1, len(self.series)) / 2 + 2)


def speed_chart(numbers: Numbers) -> Chart:
    """Speed to lead by band: how many leads took each band of system time and of human time."""
    return Chart(
        name="speed-to-lead",
        title=f"Speed to lead, {_period(numbers)}",
        ylabel="leads",
        categories=BAND_LABELS,
        series={
            "system: intake → DM": tuple(float(n) for n in numbers.system.bands),
            "human: DM → claim": tuple(float(n) for n in numbers.human.bands),
        },
    )


def fairness_chart(numbers: Numbers) -> Chart:
    """Per rep: claims and breaches, against the offers their fair share of their pools predicts."""
    reps = sorted({share.rep_id for share in numbers.distribution})
    claims = dict.fromkeys(reps, 0.0)
    breaches = dict.fromkeys(reps, 0.0)
    fair = dict.fromkeys(reps, 0.0)
    pool_offers: dict[str, int] = {}
    for share in numbers.distribution:
        pool_offers[share.pool] = pool_offers.get(share.pool, 0) + share.offers
    for share in numbers.distribution:
        claims[share.rep_id] += share.claims
        breaches[share.rep_id] += share.breaches
        fair[share.rep_id] += (share.fair or 0.0) * pool_offers[share.pool]
    return Chart(
        name="claims-vs-fair-share",
        title=f"Claims and breaches against fair share, {_period(numbers)}",
        ylabel="offers",
        categories=tuple(reps),
        series={
            "claims": tuple(claims[r] for r in reps),
            "breaches": tuple(breaches[r] for r in reps),
            "fair share of offers": tuple(round(fair[r], 2) for r in reps),
        },
    )


def charts(numbers: Numbers) -> tuple[Chart, Chart]:
    """The digest's two charts, in the order they are posted."""
    return speed_chart(numbers), fairness_chart(numbers)


def render(chart: Chart) -> bytes:
    """The chart as PNG bytes, its data in the `Description` text chunk."""
    # Imported here, not at the top: matplotlib is a third of a second of every process's start (each
    # `serve`, each CLI command), and only the weekly digest, `leadrelay report --png` and the demo draw.
    # `Figure` draws on the Agg canvas without pyplot, so no display backend is chosen or needed.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(chart.width_in, HEIGHT_IN), dpi=DPI)
    axes = figure.add_subplot()
    count = max(1, len(chart.series))
    width = 0.8 / count
    for index, (label, values) in enumerate(chart.series.items()):
        offsets = [i + (index - (count - 1) / 2) * width for i in range(len(chart.categories))]
        bars = axes.bar(offsets, values, width, label=label, color=_COLOURS[index % len(_COLOURS)])
        axes.bar_label(bars, fmt="%g", fontsize=8)
    axes.set_xticks(range(len(chart.categories)), chart.categories)
    axes.set_title(chart.title)
    axes.set_ylabel(chart.ylabel)
    if not chart.categories:
        axes.text(0.5, 0.5, "no offers in this period", ha="center", va="center", transform=axes.transAxes)
    if chart.series and chart.categories:
        axes.legend()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Description": chart.as_json()})
    return out.getvalue()


def _period(numbers: Numbers) -> str:
    return f"{numbers.since:%d %b} – {numbers.until:%d %b %Y}"
