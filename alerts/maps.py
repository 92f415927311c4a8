"""Maps as server-rendered SVG: England's (or a region's) councils as dots coloured by score.

Why dots at the register's positions rather than boundaries or a tile map: the register
(domain/data/england_councils.csv) has each council's latitude and longitude and nothing
may be fetched at run time (no tiles, no CDN), while boundary files are tens of megabytes
that would have to be kept up to date with every reorganisation. A dot per council, placed
by a plain equirectangular projection (longitude scaled by the cosine of the middle
latitude, so England keeps its shape) and fitted to the bounding box of the councils drawn,
reads as England at a glance and as a region when zoomed to one; dense London stays
legible because every dot carries its name as a `<title>` tooltip and links to the
council's page. The colours are the same five bands in the UI and the PSP report.

Like alerts.charts, every number becomes an attribute and every string goes through
markupsafe's escaping (`Markup.format`), so a council's name cannot break the markup; the
SVG carries `role="img"`, a `<title>` and a `<desc>` saying what it shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

NO_SCORE = "#c4c4c4"
ACUTE_RING = "#b00020"
# (lowest score in the band, colour, legend label): light to dark as the score grows, a
# sequential ramp that stays ordered for the common colour blindness and in greyscale
SCORE_BANDS: tuple[tuple[float, str, str], ...] = (
    (0.0, "#fdd0a2", "under 0.25"),
    (0.25, "#fdae6b", "0.25–0.5"),
    (0.5, "#f16913", "0.5–1"),
    (1.0, "#d94801", "1–2"),
    (2.0, "#7f2704", "2 or more"),
)


@dataclass
class MapCouncil:
    """One council on a map: its score this week (None: it did not score), whether it is on
    the radar, its acute signals (labels), and the link its dot leads to."""

    gss_code: str
    name: str
    region: str
    score: float | None = None
    on_radar: bool = False
    trend: str = ""
    acute: list[str] = field(default_factory=list)
    href: str = ""


def score_colour(score: float | None) -> str:
    """The fill of a council with this score (grey with none)."""
    if score is None:
        return NO_SCORE
    colour = SCORE_BANDS[0][1]
    for low, band, _label in SCORE_BANDS:
        if score >= low:
            colour = band
    return colour


def _tooltip(council: MapCouncil) -> str:
    if council.score is None:
        return f"{council.name} ({council.region}): no score this week"
    words = f"{council.name} ({council.region}): score {council.score:.2f}"
    if council.trend:
        words += f", {council.trend}"
    words += ", on the radar" if council.on_radar else ", below the radar"
    if council.acute:
        words += f"; acute: {', '.join(council.acute)}"
    return words


def _dot(council: MapCouncil, x: float, y: float, r: float) -> Markup:
    score = "" if council.score is None else f"{council.score:.4f}"
    ring = (
        Markup(' stroke="{}" stroke-width="2.2"').format(ACUTE_RING)
        if council.acute
        else Markup(' stroke="#ffffff" stroke-width="0.8"')
    )
    circle = Markup(
        '<circle class="council" data-gss="{gss}" data-score="{score}" cx="{x:.1f}" '
        'cy="{y:.1f}" r="{r:.1f}" fill="{fill}"{ring}><title>{tip}</title></circle>'
    ).format(
        gss=council.gss_code,
        score=score,
        x=x,
        y=y,
        r=r if council.score is not None else r * 0.8,
        fill=score_colour(council.score),
        ring=ring,
        tip=_tooltip(council),
    )
    if not council.href:
        return circle
    return Markup('<a href="{}">{}</a>').format(council.href, circle)


def council_map_svg(
    councils: Sequence[MapCouncil],
    positions: dict[str, tuple[float, float]],
    *,
    title: str,
    width: int = 560,
    radius: float = 4.5,
    css_id: str = "map",
) -> Markup:
    """The councils as dots at `positions` (gss_code -> (lat, long)), coloured by score
    (`<g class="councils">`, one `<circle class="council" data-gss data-score>` each, the
    coloured drawn over the grey and the highest last, an acute signal ringed in red), those
    without a position in a labelled row beneath (`<g class="unplaced">`), then a legend.
    Scales to its container (viewBox, width 100%)."""
    placed = [c for c in councils if c.gss_code in positions]
    unplaced = [c for c in councils if c.gss_code not in positions]
    pad = radius + 6
    map_h = 0.0
    points: dict[str, tuple[float, float]] = {}
    if placed:
        lats = [positions[c.gss_code][0] for c in placed]
        longs = [positions[c.gss_code][1] for c in placed]
        shrink = math.cos(math.radians((min(lats) + max(lats)) / 2))
        span_x = max((max(longs) - min(longs)) * shrink, 0.05)
        span_y = max(max(lats) - min(lats), 0.05)
        inner_w = width - 2 * pad
        scale = inner_w / span_x
        if span_y * scale > inner_w * 1.6:  # a tall region stays on screen
            scale = inner_w * 1.6 / span_y
        offset_x = pad + (inner_w - span_x * scale) / 2
        map_h = span_y * scale + 2 * pad
        for c in placed:
            lat, long = positions[c.gss_code]
            points[c.gss_code] = (
                offset_x + (long - min(longs)) * shrink * scale,
                pad + (max(lats) - lat) * scale,
            )
    columns = 3
    cell_w = width / columns
    row_h = 20
    unplaced_h = (30 + row_h * math.ceil(len(unplaced) / columns)) if unplaced else 0
    legend_top = map_h + unplaced_h + 8
    height = legend_top + 46
    scored = [c for c in councils if c.score is not None]
    desc = (
        f"{len(councils)} councils as dots at their offices' positions, "
        f"{len(scored)} with a score this week, coloured from light (low) to dark (high); "
        f"grey: no score; a red ring: an acute signal"
        + (f"; {len(unplaced)} without a position listed beneath" if unplaced else "")
        + "."
    )
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="council-map" role="img" '
            'viewBox="0 0 {w} {h:.0f}" width="100%" preserveAspectRatio="xMidYMid meet" '
            'aria-labelledby="{id}-title {id}-desc" '
            'style="max-width:{w}px;height:auto;display:block;font-family:sans-serif">'
        ).format(w=width, h=height, id=css_id),
        Markup('<title id="{}-title">{}</title>').format(css_id, title),
        Markup('<desc id="{}-desc">{}</desc>').format(css_id, desc),
        Markup('<g class="councils">'),
    ]
    order = sorted(placed, key=lambda c: (c.score is not None, c.score or 0.0))
    for c in order:
        x, y = points[c.gss_code]
        parts.append(_dot(c, x, y, radius))
    parts.append(Markup("</g>"))
    if unplaced:
        top = map_h + 8
        parts.append(
            Markup(
                '<g class="unplaced"><text x="4" y="{y:.1f}" font-size="12" fill="#444">'
                "Not in the register, so not placed:</text>"
            ).format(y=top + 12)
        )
        for i, c in enumerate(unplaced):
            x = 4 + (i % columns) * cell_w + radius + 2
            y = top + 30 + (i // columns) * row_h
            parts.append(_dot(c, x, y - 4, radius + 1))
            parts.append(
                Markup(
                    '<text x="{x:.1f}" y="{y:.1f}" font-size="12" fill="#1b1b1b">{name}</text>'
                ).format(x=x + radius + 6, y=y, name=c.name[:22])
            )
        parts.append(Markup("</g>"))
    # legend: grey, the five bands, the acute ring, on two lines so it fits a phone
    parts.append(Markup('<g class="legend" font-size="12" fill="#333">'))
    entries: list[tuple[str, str, str]] = [
        ("no score", NO_SCORE, "#ffffff"),
        *((label, colour, "#ffffff") for _low, colour, label in SCORE_BANDS),
        ("acute signal", "#ffffff", ACUTE_RING),
    ]
    per_line = 4
    for i, (label, fill, stroke) in enumerate(entries):
        x = 4 + (i % per_line) * (width / per_line)
        y = legend_top + (i // per_line) * 20
        parts.append(
            Markup(
                '<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{fill}" stroke="{stroke}" '
                'stroke-width="2"/><text x="{tx:.1f}" y="{ty:.1f}">{label}</text>'
            ).format(
                cx=x + 7, cy=y + 7, fill=fill, stroke=stroke, tx=x + 18, ty=y + 11, label=label
            )  # fmt: skip
        )
    parts.append(Markup("</g></svg>"))
    return Markup("").join(parts)
