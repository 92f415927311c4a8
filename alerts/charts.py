"""Charts as server-rendered SVG: a council's weekly score by factor, and sparklines.

Why hand-written SVG rather than a charting library: the pages and mails that show these
must fetch nothing at run time (no CDN, no script), and the charts are simple — stacked
bars, one line, a dashed threshold, a few markers. pygal, the obvious PyPI candidate, emits
SVG that loads its tooltip script from a CDN unless told otherwise and styles through
embedded CSS; matplotlib would bring a 40 MB dependency and a font cache for a picture a
hundred lines of markup draw. Here every number becomes an attribute and every string goes
through markupsafe's escaping (`Markup.format`), so scraped text (a council's name) cannot
break out of the markup.

Each chart carries `role="img"`, a `<title>` and a `<desc>` that say in words what it
shows (a screen reader reads them; the pages add a table of the same numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from domain.config import FACTORS

FACTOR_COLOURS = {  # distinct in hue and lightness, readable for the common colour blindness
    "leadership": "#c0392b",
    "risky_change": "#e69f00",
    "disengagement": "#56b4e9",
    "finance": "#1d3557",
}
ACUTE_COLOUR = "#b00020"
SPARK_BLOCKS = "▁▂▃▄▅▆▇█"


@dataclass
class ChartWeek:
    """One week of a council's chart: its factor scores (0..1 each), acute signals (labels)
    and whether it was on the radar. A week the council did not score in has no factors."""

    week: str
    factors: dict[str, float] = field(default_factory=dict)
    acute: list[str] = field(default_factory=list)
    on_radar: bool = False

    @property
    def score(self) -> float:
        return sum(self.factors.values())


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def factor_chart_svg(
    weeks: Sequence[ChartWeek],
    *,
    threshold: float | None,
    title: str,
    factor_names: dict[str, str],
    width: int = 760,
    height: int = 260,
) -> Markup:
    """The weekly score as bars stacked by factor (one `<g class="series">` per factor that
    scored in any week, each bar a `<rect>` with a `<title>` of its week and score), the
    on-radar threshold as a dashed line, and a red triangle (`class="acute"`) above each
    week with an acute signal. Scales to its container (viewBox, width 100%)."""
    left, right, top, bottom = 34, 10, 26, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max([w.score for w in weeks] + [threshold or 0, 1.0])
    y_max = float(int(highest * 2 + 0.999)) / 2  # the next half point above the data
    step = plot_w / max(len(weeks), 1)
    bar = max(step * 0.72, 1.0)

    def y(value: float) -> float:
        return top + plot_h - value / y_max * plot_h

    present = [f for f in FACTORS if any(w.factors.get(f) for w in weeks)]
    flagged = [w for w in weeks if w.score > 0 or w.acute]
    acute = [w for w in weeks if w.acute]
    desc = (
        f"{len(weeks)} weeks, {weeks[0].week} to {weeks[-1].week}: "
        f"{len(flagged)} with a score, the highest {max((w.score for w in weeks), default=0):.2f}"
        f" of 4; factors: {', '.join(factor_names.get(f, f) for f in present) or 'none'}; "
        f"acute signals in {len(acute)} week{'s' if len(acute) != 1 else ''}"
        + (f" ({', '.join(w.week for w in acute)})" if acute else "")
        + (f"; on the radar from a score of {threshold:.2f}." if threshold is not None else ".")
        if weeks
        else "No weeks recorded."
    )
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="radar-chart" role="img" '
            'viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMidYMid meet" '
            'aria-labelledby="chart-title chart-desc" '
            'style="max-width:{w}px;height:auto;display:block;font-family:sans-serif">'
        ).format(w=width, h=height),
        Markup('<title id="chart-title">{}</title>').format(title),
        Markup('<desc id="chart-desc">{}</desc>').format(desc),
    ]
    # axis and grid: a line per half point (per point above 2)
    tick = 0.5 if y_max <= 2 else 1.0
    value = 0.0
    while value <= y_max + 1e-9:
        parts.append(
            Markup(
                '<line x1="{x1}" x2="{x2}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                '<text x="{tx}" y="{ty:.1f}" font-size="10" text-anchor="end" fill="#555">'
                "{label}</text>"
            ).format(
                x1=left,
                x2=width - right,
                y=y(value),
                tx=left - 4,
                ty=y(value) + 3,
                label=_num(value),
            )  # fmt: skip
        )
        value += tick
    for i, week in enumerate(weeks):  # a week label every quarter, and the last week
        if i % 13 == 0 or i == len(weeks) - 1:
            x = left + i * step + step / 2
            anchor = "end" if i == len(weeks) - 1 else "middle" if i else "start"
            parts.append(
                Markup(
                    '<text x="{x:.1f}" y="{y}" font-size="10" text-anchor="{a}" fill="#555">'
                    "{label}</text>"
                ).format(x=x, y=height - bottom + 14, a=anchor, label=week.week)
            )
    # one series per factor, stacked in FACTORS order
    base = [0.0] * len(weeks)
    for factor in present:
        name = factor_names.get(factor, factor)
        parts.append(
            Markup('<g class="series" data-factor="{}" fill="{}">').format(
                factor, FACTOR_COLOURS.get(factor, "#888")
            )
        )
        for i, week in enumerate(weeks):
            value = week.factors.get(factor, 0.0)
            if value <= 0:
                continue
            x = left + i * step + (step - bar) / 2
            parts.append(
                Markup(
                    '<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}">'
                    "<title>{week}: {name} {value:.2f}</title></rect>"
                ).format(
                    x=x,
                    y=y(base[i] + value),
                    w=bar,
                    h=y(base[i]) - y(base[i] + value),
                    week=week.week,
                    name=name,
                    value=value,
                )  # fmt: skip
            )
            base[i] += value
        parts.append(Markup("</g>"))
    if threshold is not None:
        parts.append(
            Markup(
                '<g class="threshold"><line x1="{x1}" x2="{x2}" y1="{y:.1f}" y2="{y:.1f}" '
                'stroke="#333" stroke-dasharray="5 4"/><text x="{x2}" y="{ty:.1f}" '
                'font-size="10" text-anchor="end" fill="#333">on the radar from {t:.2f}</text>'
                "</g>"
            ).format(x1=left, x2=width - right, y=y(threshold), ty=y(threshold) - 4, t=threshold)
        )
    for i, week in enumerate(weeks):
        if not week.acute:
            continue
        x, tip = left + i * step + step / 2, y(week.score) - 4
        parts.append(
            Markup(
                '<path class="acute" data-week="{week}" fill="{c}" '
                'd="M{x:.1f} {tip:.1f} l-5 -9 h10 z"><title>{week}: acute: {what}</title></path>'
            ).format(week=week.week, c=ACUTE_COLOUR, x=x, tip=tip, what=", ".join(week.acute))
        )
    # legend: the factors drawn, then the acute marker
    x = float(left)
    for factor in present:
        label = factor_names.get(factor, factor)
        parts.append(
            Markup(
                '<rect x="{x:.1f}" y="6" width="10" height="10" fill="{c}"/>'
                '<text x="{tx:.1f}" y="15" font-size="11" fill="#333">{label}</text>'
            ).format(x=x, c=FACTOR_COLOURS.get(factor, "#888"), tx=x + 14, label=label)
        )
        x += 24 + 6.2 * len(label)
    if acute:
        parts.append(
            Markup(
                '<path fill="{c}" d="M{x:.1f} 16 l-5 -9 h10 z"/>'
                '<text x="{tx:.1f}" y="15" font-size="11" fill="#333">acute signal</text>'
            ).format(c=ACUTE_COLOUR, x=x + 5, tx=x + 14)
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def sparkline_svg(
    values: Sequence[float | None],
    *,
    width: int = 100,
    height: int = 20,
    label: str = "weekly score",
    top: float | None = None,
) -> Markup:
    """A small line of `values` (oldest first; None or 0 a week with no score) for tables
    and digests: `top` is the value at the top (default the largest, at least 1), so
    sparklines in one table can share a scale. Its `<title>` says the first, last and
    highest value in words."""
    numbers = [float(v or 0.0) for v in values]
    scale = top if top and top > 0 else max(numbers + [1.0])
    if not numbers:
        numbers = [0.0]
    step = (width - 2) / max(len(numbers) - 1, 1)
    points = " ".join(
        f"{1 + i * step:.1f},{height - 1 - min(v, scale) / scale * (height - 2):.1f}"
        for i, v in enumerate(numbers)
    )
    words = (
        f"{label}: {len(numbers)} weeks, from {numbers[0]:.2f} to {numbers[-1]:.2f}, "
        f"highest {max(numbers):.2f}"
    )
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" role="img" '
        'width="{w}" height="{h}" viewBox="0 0 {w} {h}"><title>{words}</title>'
        '<polyline fill="none" stroke="#1d3557" stroke-width="1.5" points="{points}"/></svg>'
    ).format(w=width, h=height, words=words, points=points)


def sparkline_text(values: Sequence[float | None], top: float | None = None) -> str:
    """The same line in Unicode blocks (▁ to █), one per week, for terminals and plain-text
    mail; a week with no score is a space, so a quiet week is told from a low one."""
    numbers = [float(v) if v else 0.0 for v in values]
    scale = top if top and top > 0 else max(numbers + [1.0])
    last = len(SPARK_BLOCKS) - 1
    return "".join(
        " " if v <= 0 else SPARK_BLOCKS[min(last, int(min(v, scale) / scale * last + 0.5))]
        for v in numbers
    )
