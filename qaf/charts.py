"""Charts as plain SVG markup, drawn on the server (SPEC §7: no JavaScript, also in PDFs).

Each function is pure: numbers in, an SVG string out. The markup uses presentation attributes
only (no CSS, no external references, no scripts), so the same string works inline in a page
and in a WeasyPrint PDF.

Accessibility (WCAG 2.2 AA):
- ``role="img"`` with ``aria-labelledby`` pointing at the chart's ``<title>`` and ``<desc>``;
  the description states every number, and the page shows a data table after each chart;
- every segment carries a text label (its count when it fits, the row total beside the bar);
- colour is never the only signal: each series has its own fill pattern and a legend entry;
- the fills have at least 3:1 contrast with a white page (non-text contrast) and white text on
  them at least 4.5:1, stripes included; segments are separated by white gaps so that adjacent
  colours need no contrast with each other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from qaf.rag import AMBER, GREEN, RED
from qaf.rag import LABELS as RAG_LABELS

FONT = "Arial, Helvetica, sans-serif"
TEXT = "#0b0c0c"
MUTED = "#505a5f"
GRID = "#b1b4b6"
WHITE = "#ffffff"


@dataclass(frozen=True)
class Series:
    """One kind of value in a chart: its key in the data, label, fill and pattern.

    ``pattern`` is ``solid``, ``stripes`` (diagonal), ``crosshatch`` or ``dots``, drawn in
    ``mark`` on ``colour``.
    """

    key: str
    label: str
    colour: str
    pattern: str = "solid"
    mark: str = ""


# RAG fills (white text on each: red 7.1:1, amber 4.8:1, green 6.2:1, grey 7.1:1; the marks
# are darker still, so text on them keeps its contrast).
RAG_SERIES: tuple[Series, ...] = (
    Series(RED, RAG_LABELS[RED], "#b10e1e", "crosshatch", "#5c0710"),
    Series(AMBER, RAG_LABELS[AMBER], "#b35900", "stripes", "#6b3500"),
    Series(GREEN, RAG_LABELS[GREEN], "#00703c", "solid"),
    Series("unrated", "Not yet rated", "#505a5f", "dots", "#24292b"),
)


def _attrs(**attrs: object) -> str:
    return "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not None
    )


def _num(value: float) -> str:
    """Coordinates with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def _fill(series: Series, prefix: str) -> str:
    return series.colour if series.pattern == "solid" else f"url(#{prefix}-{series.key})"


def _patterns(series: Sequence[Series], prefix: str) -> str:
    """One ``<pattern>`` per patterned series, ids namespaced by ``prefix``."""
    out = []
    for s in series:
        if s.pattern == "solid":
            continue
        mark = s.mark or TEXT
        if s.pattern == "stripes":
            body = (
                f'<rect width="8" height="8"{_attrs(fill=s.colour)}/>'
                f'<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4"{_attrs(stroke=mark)}'
                ' stroke-width="2.5"/>'
            )
        elif s.pattern == "crosshatch":
            body = (
                f'<rect width="8" height="8"{_attrs(fill=s.colour)}/>'
                f'<path d="M0,0 l8,8 M8,0 l-8,8"{_attrs(stroke=mark)} stroke-width="1.5"/>'
            )
        else:  # dots
            body = (
                f'<rect width="8" height="8"{_attrs(fill=s.colour)}/>'
                f'<circle cx="4" cy="4" r="1.6"{_attrs(fill=mark)}/>'
            )
        out.append(
            f'<pattern id="{prefix}-{s.key}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f"{body}</pattern>"
        )
    return f"<defs>{''.join(out)}</defs>" if out else ""


def _svg(width: float, height: float, prefix: str, title: str, desc: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" class="qaf-chart"'
        f' width="{_num(width)}" height="{_num(height)}"'
        f' viewBox="0 0 {_num(width)} {_num(height)}" role="img"'
        f' aria-labelledby="{prefix}-title {prefix}-desc"'
        f'{_attrs(font_family=FONT)} font-size="14"{_attrs(fill=TEXT)}>'
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def _legend(series: Sequence[Series], prefix: str, x: float, y: float) -> tuple[str, float]:
    """A one-line legend of swatches and labels starting at (x, y); returns it and its width."""
    parts = []
    cursor = x
    for s in series:
        parts.append(
            f'<rect x="{_num(cursor)}" y="{_num(y)}" width="16" height="16"'
            f'{_attrs(fill=_fill(s, prefix), stroke=TEXT)} stroke-width="1"/>'
            f'<text x="{_num(cursor + 22)}" y="{_num(y + 13)}">{escape(s.label)}</text>'
        )
        cursor += 22 + _text_width(s.label) + 20
    return f'<g aria-hidden="true">{"".join(parts)}</g>', cursor - x


def _text_width(text: str, size: float = 14) -> float:
    """A generous estimate of the width of ``text`` in Arial at ``size`` px."""
    return len(text) * size * 0.56


def _nice_step(maximum: int, ticks: int = 5) -> int:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving at most ``ticks`` steps."""
    if maximum <= 0:
        return 1
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= raw and step == int(step):
            return int(step)
    return int(10 * magnitude)


def _describe_rows(rows: Sequence[tuple[str, Mapping[str, int]]], series: Sequence[Series]):
    parts = []
    for label, values in rows:
        total = sum(int(values.get(s.key, 0) or 0) for s in series)
        counts = ", ".join(f"{int(values.get(s.key, 0) or 0):,} {s.label.lower()}" for s in series)
        parts.append(f"{label}: {_count(total, 'service')} ({counts}).")
    return " ".join(parts)


def stacked_bar_chart(
    rows: Sequence[tuple[str, Mapping[str, int]]],
    series: Sequence[Series] = RAG_SERIES,
    *,
    title: str,
    description: str = "",
    id_prefix: str = "chart",
    width: int = 760,
    label_width: int = 200,
) -> str:
    """Horizontal stacked bars: one bar per row, one segment per series, lengths to scale.

    ``rows`` are ``(label, {series key: count})``. Each segment shows its count when it fits;
    the row total is written after the bar, and an axis of counts runs underneath.
    """
    series = list(series)
    rows = [(label, values) for label, values in rows]
    totals = [sum(int(v.get(s.key, 0) or 0) for s in series) for _, v in rows]
    maximum = max(totals, default=0)
    desc = description or (
        _describe_rows(rows, series) if maximum else "There are no services to show."
    )
    bar_h, gap, top = 22, 10, 34
    legend, _ = _legend(series, id_prefix, label_width, 4)
    if not maximum:
        body = (
            f"{legend}"
            f'<text x="{_num(width / 2)}" y="{top + 26}" text-anchor="middle"'
            f"{_attrs(fill=MUTED)}>No services to show</text>"
        )
        return _svg(width, top + 44, id_prefix, title, desc, _patterns(series, id_prefix) + body)

    total_width = max(_text_width(f"{t:,}") for t in totals) + 12
    bar_area = width - label_width - total_width - 8
    step = _nice_step(maximum)
    axis_max = math.ceil(maximum / step) * step
    scale = bar_area / axis_max
    height = top + len(rows) * (bar_h + gap) + 30

    parts = [_patterns(series, id_prefix), legend]
    # Axis: gridlines and tick labels (decorative: the numbers are in the labels and desc).
    axis = []
    plot_bottom = top + len(rows) * (bar_h + gap) - gap / 2
    for tick in range(0, axis_max + 1, step):
        x = label_width + tick * scale
        axis.append(
            f'<line x1="{_num(x)}" y1="{top - 4}" x2="{_num(x)}" y2="{_num(plot_bottom)}"'
            f'{_attrs(stroke=GRID)} stroke-width="1"/>'
            f'<text x="{_num(x)}" y="{_num(plot_bottom + 18)}" text-anchor="middle"'
            f' font-size="12"{_attrs(fill=MUTED)}>{tick:,}</text>'
        )
    parts.append(f'<g aria-hidden="true">{"".join(axis)}</g>')

    for index, ((label, values), total) in enumerate(zip(rows, totals, strict=True)):
        y = top + index * (bar_h + gap)
        row = [
            f'<text x="{label_width - 10}" y="{_num(y + bar_h / 2 + 5)}"'
            f' text-anchor="end">{escape(label)}</text>'
        ]
        x = label_width
        for s in series:
            count = int(values.get(s.key, 0) or 0)
            if not count:
                continue
            w = count * scale
            row.append(
                f'<rect x="{_num(x)}" y="{y}" width="{_num(w)}" height="{bar_h}"'
                f'{_attrs(fill=_fill(s, id_prefix), stroke=WHITE)} stroke-width="1.5">'
                f"<title>{escape(f'{label}: {count:,} {s.label.lower()}')}</title></rect>"
            )
            text = f"{count:,}"
            if w >= _text_width(text, 13) + 8:
                row.append(
                    f'<text x="{_num(x + w / 2)}" y="{_num(y + bar_h / 2 + 5)}"'
                    f' text-anchor="middle" font-size="13" font-weight="bold"'
                    f"{_attrs(fill=WHITE)}>{text}</text>"
                )
            x += w
        row.append(
            f'<text x="{_num(x + 8)}" y="{_num(y + bar_h / 2 + 5)}"'
            f' font-weight="bold">{total:,}</text>'
        )
        parts.append(f"<g>{''.join(row)}</g>")
    return _svg(width, height, id_prefix, title, desc, "".join(parts))


def _sector(cx: float, cy: float, r_out: float, r_in: float, start: float, end: float) -> str:
    """The path of a ring segment between two angles (radians, clockwise from 12 o'clock)."""
    if end - start >= 2 * math.pi - 1e-9:
        # A whole ring: two circles, the inner one cut out by the even-odd rule.
        return (
            f"M{_num(cx - r_out)},{_num(cy)}"
            f" a{_num(r_out)},{_num(r_out)} 0 1,0 {_num(2 * r_out)},0"
            f" a{_num(r_out)},{_num(r_out)} 0 1,0 {_num(-2 * r_out)},0Z"
            f" M{_num(cx - r_in)},{_num(cy)}"
            f" a{_num(r_in)},{_num(r_in)} 0 1,0 {_num(2 * r_in)},0"
            f" a{_num(r_in)},{_num(r_in)} 0 1,0 {_num(-2 * r_in)},0Z"
        )

    def point(r: float, angle: float) -> str:
        return f"{_num(cx + r * math.sin(angle))},{_num(cy - r * math.cos(angle))}"

    large = 1 if end - start > math.pi else 0
    return (
        f"M{point(r_out, start)}"
        f" A{_num(r_out)},{_num(r_out)} 0 {large},1 {point(r_out, end)}"
        f" L{point(r_in, end)}"
        f" A{_num(r_in)},{_num(r_in)} 0 {large},0 {point(r_in, start)}Z"
    )


def donut_chart(
    values: Mapping[str, int],
    series: Sequence[Series] = RAG_SERIES,
    *,
    title: str,
    description: str = "",
    id_prefix: str = "donut",
    unit: tuple[str, str] = ("service", "services"),
) -> str:
    """A ring of the series' shares, the total in the middle and a legend with counts and
    percentages beside it."""
    series = list(series)
    counts = [(s, int(values.get(s.key, 0) or 0)) for s in series]
    total = sum(n for _, n in counts)
    singular, plural = unit

    def share(n: int) -> str:
        return f"{round(100 * n / total)}%" if total else "0%"

    legend_lines = [f"{s.label}: {n:,} ({share(n)})" for s, n in counts]
    desc = description or (
        f"{_count(total, singular, plural)} in all. " + ". ".join(legend_lines) + "."
        if total
        else f"There are no {plural} to show."
    )
    cx = cy = 100
    r_out, r_in = 88, 54
    legend_x = 212
    width = legend_x + max(_text_width(line) for line in legend_lines) + 30
    height = max(200, 24 + 28 * len(series))

    parts = [_patterns(series, id_prefix)]
    if total:
        angle = 0.0
        for s, n in counts:
            if not n:
                continue
            sweep = 2 * math.pi * n / total
            parts.append(
                f'<path d="{_sector(cx, cy, r_out, r_in, angle, angle + sweep)}"'
                f' fill-rule="evenodd"{_attrs(fill=_fill(s, id_prefix), stroke=WHITE)}'
                f' stroke-width="2"><title>{escape(f"{s.label}: {n:,} ({share(n)})")}</title>'
                "</path>"
            )
            angle += sweep
    else:
        parts.append(
            f'<circle cx="{cx}" cy="{cy}" r="{(r_out + r_in) / 2}" fill="none"'
            f'{_attrs(stroke=GRID)} stroke-width="{r_out - r_in}"/>'
        )
    # The total fits inside the ring: 28px, smaller for long numbers ("100,000").
    total_size = min(28, int((2 * r_in - 16) / (len(f"{total:,}") * 0.6)))
    parts.append(
        f'<text x="{cx}" y="{cy + 2}" text-anchor="middle" font-size="{total_size}"'
        f' font-weight="bold">{total:,}</text>'
        f'<text x="{cx}" y="{cy + 22}" text-anchor="middle"{_attrs(fill=MUTED)}>'
        f"{escape(plural if total != 1 else singular)}</text>"
    )
    legend = []
    for index, ((s, _n), line) in enumerate(zip(counts, legend_lines, strict=True)):
        y = 24 + index * 28
        legend.append(
            f'<rect x="{legend_x}" y="{y}" width="16" height="16"'
            f'{_attrs(fill=_fill(s, id_prefix), stroke=TEXT)} stroke-width="1"/>'
            f'<text x="{legend_x + 24}" y="{y + 13}">{escape(line)}</text>'
        )
    parts.append(f"<g>{''.join(legend)}</g>")
    return _svg(width, height, id_prefix, title, desc, "".join(parts))


RAG_BY_KEY = {s.key: s for s in RAG_SERIES}


def score_bar_chart(
    rows: Sequence[tuple[str, float | None, str | None]],
    *,
    title: str,
    description: str = "",
    id_prefix: str = "scores",
    width: int = 760,
    label_width: int = 300,
    maximum: int = 4,
    bar_h: int = 20,
    gap: int = 8,
) -> str:
    """Horizontal bars of mean scores on a 0 to ``maximum`` scale, one per row, each filled in
    its RAG's colour and pattern and labelled with its mean and RAG; gridlines at each whole
    score. ``rows`` are ``(label, mean or None, rag or None)``; a row without a mean says
    "Not scored"."""
    rows = list(rows)
    series = [s for s in RAG_SERIES if s.key != "unrated"]
    desc = description or " ".join(
        f"{label}: {_score_words(mean, rag)}." for label, mean, rag in rows
    )
    top = 34
    legend, _ = _legend(series, id_prefix, label_width, 4)
    value_width = _text_width("4.00 Amber", 13) + 12
    bar_area = width - label_width - value_width
    scale = bar_area / maximum
    plot_bottom = top + len(rows) * (bar_h + gap) - gap / 2
    height = plot_bottom + 30
    parts = [_patterns(series, id_prefix), legend]
    axis = []
    for tick in range(0, maximum + 1):
        x = label_width + tick * scale
        axis.append(
            f'<line x1="{_num(x)}" y1="{top - 4}" x2="{_num(x)}" y2="{_num(plot_bottom)}"'
            f'{_attrs(stroke=GRID)} stroke-width="1"/>'
            f'<text x="{_num(x)}" y="{_num(plot_bottom + 18)}" text-anchor="middle"'
            f' font-size="12"{_attrs(fill=MUTED)}>{tick}</text>'
        )
    parts.append(f'<g aria-hidden="true">{"".join(axis)}</g>')
    for index, (label, mean, rag) in enumerate(rows):
        y = top + index * (bar_h + gap)
        shown = label if _text_width(label, 13) <= label_width - 14 else _clip(label, label_width)
        row = [
            f'<text x="{label_width - 10}" y="{_num(y + bar_h / 2 + 5)}" text-anchor="end"'
            f' font-size="13">{escape(shown)}</text>'
        ]
        if mean is None or rag not in RAG_BY_KEY:
            row.append(
                f'<text x="{label_width + 6}" y="{_num(y + bar_h / 2 + 5)}" font-size="13"'
                f"{_attrs(fill=MUTED)}>Not scored</text>"
            )
        else:
            s = RAG_BY_KEY[rag]
            w = float(mean) * scale
            row.append(
                f'<rect x="{label_width}" y="{y}" width="{_num(w)}" height="{bar_h}"'
                f'{_attrs(fill=_fill(s, id_prefix), stroke=WHITE)} stroke-width="1">'
                f"<title>{escape(f'{label}: {mean:.2f} {s.label}')}</title></rect>"
                f'<text x="{_num(label_width + w + 6)}" y="{_num(y + bar_h / 2 + 5)}"'
                f' font-size="13" font-weight="bold">{mean:.2f} {escape(s.label)}</text>'
            )
        parts.append(f"<g>{''.join(row)}</g>")
    return _svg(width, height, id_prefix, title, desc, "".join(parts))


def _clip(label: str, label_width: float) -> str:
    """A label cut to fit its column, with an ellipsis (the full text is in the description)."""
    keep = max(4, int((label_width - 14) / (13 * 0.56)) - 1)
    return label[:keep].rstrip() + "…"


def _score_words(mean, rag) -> str:
    if mean is None or rag not in RAG_BY_KEY:
        return "not scored"
    return f"{mean:.2f}, {RAG_BY_KEY[rag].label}"


SPARK_RECENT = "#1d70b8"  # GOV.UK blue: 5.2:1 on white
SPARK_EARLIER = "#6f777b"  # GOV.UK mid grey: 4.6:1 on white


def sparkline(
    values: Sequence[int],
    *,
    title: str,
    recent: int = 0,
    noun: tuple[str, str] = ("entry", "entries"),
    period: str = "week",
    id_prefix: str = "spark",
    width: int = 140,
    height: int = 32,
) -> str:
    """A small column chart of counts per ``period``, oldest first, for a line of text or a
    table cell. The last ``recent`` columns are drawn in blue after a dashed rule (colour is
    not the only signal); the description gives the totals before and after the rule and the
    largest column, so a screen reader user hears what a sighted user sees."""
    values = [max(0, int(v or 0)) for v in values]
    n = len(values)
    recent = max(0, min(recent, n))
    earlier, latest = values[: n - recent], values[n - recent :]
    one, many = noun
    peak = max(values, default=0)
    if not n or not peak:
        desc = f"No {many} in the {_count(n, period)} shown."
    else:
        parts = []
        if recent:
            parts.append(
                f"{_count(sum(latest), one, many)} in the last {_count(recent, period)}"
                + (
                    f", {sum(earlier):,} in the {_count(len(earlier), period)} before"
                    if earlier
                    else ""
                )
            )
        else:
            parts.append(f"{_count(sum(values), one, many)} in {_count(n, period)}")
        parts.append(f"the most in one {period} was {peak:,}")
        desc = "; ".join(parts) + "."
    body = [
        f'<line x1="0" y1="{height - 0.5}" x2="{width}" y2="{height - 0.5}"'
        f'{_attrs(stroke=GRID)} stroke-width="1"/>'
    ]
    if n:
        step = width / n
        bar = max(step - 1, 1)
        scale = (height - 3) / peak if peak else 0
        for i, v in enumerate(values):
            if not v:
                continue
            h = max(v * scale, 2)
            colour = SPARK_RECENT if i >= n - recent else SPARK_EARLIER
            body.append(
                f'<rect x="{_num(i * step)}" y="{_num(height - 1 - h)}" width="{_num(bar)}"'
                f' height="{_num(h)}"{_attrs(fill=colour)}/>'
            )
        if 0 < recent < n:
            x = (n - recent) * step - 0.5
            body.append(
                f'<line x1="{_num(x)}" y1="0" x2="{_num(x)}" y2="{height}"'
                f'{_attrs(stroke=TEXT)} stroke-width="1" stroke-dasharray="2 2"/>'
            )
    svg = _svg(width, height, id_prefix, title, desc, "".join(body))
    return svg.replace('class="qaf-chart"', 'class="qaf-chart qaf-sparkline"', 1)
