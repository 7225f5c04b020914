"""Draw the trends as one self-contained HTML file: inline SVG charts and styles, nothing fetched when it opens.

All text from the input goes through Jinja2's autoescaping, or is escaped where the charts write it: the charts are
SVG written here directly (text as text), each a few shapes per bar, point or cell.
"""

from __future__ import annotations

import html
import math
import re
from datetime import date
from pathlib import Path

from .taxonomy import load_taxonomy
from .trends import Trends

PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d", "#bab0ac"]
# matplotlib's "Blues" (ColorBrewer's nine blues), which the heatmaps were first drawn with, interpolated between these
BLUES = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
FONT = 13  # the charts' text size, in units of their viewBox (WIDTH wide; the page scales the chart to its width)
WIDTH = 720
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# -- SVG written directly: matplotlib took about a second to draw a 100k-row report's seven charts (text layout, and a
# second draw for the tight bounding box) after 0.6 s to import; these take milliseconds and keep every chart.
def _text_width(text: str, size: float = FONT) -> float:
    """About how wide a line of text is in a sans-serif font (capitals and wide letters count more)."""
    wide = sum(1 for ch in text if ch.isupper() or ch in "mwMW@%")
    return size * (0.55 * len(text) + 0.2 * wide)


def _short(label, most: int = 40) -> str:
    """A label as a chart shows it: at most `most` characters (the table beside the chart has it whole)."""
    label = str(label)
    return label if len(label) <= most else label[: most - 1].rstrip() + "…"


def _num(v: float) -> str:
    """A coordinate, short: 12, 12.5."""
    v = round(float(v), 1)
    return str(int(v)) if v == int(v) else f"{v:.1f}"


class _Svg:
    """A chart being drawn: elements appended as text; every piece of text escaped."""

    def __init__(self, title: str):
        self.parts: list[str] = []
        self.title = title

    def add(self, element: str) -> None:
        self.parts.append(element)

    def rect(self, x, y, w, h, fill: str, stroke: str | None = None) -> None:
        edge = f' stroke="{stroke}" stroke-width="0.8"' if stroke else ""
        self.add(
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" fill="{fill}"{edge} '
            'shape-rendering="crispEdges"/>'
        )

    def line(self, x1, y1, x2, y2, stroke: str = "#000", width: float = 1) -> None:
        self.add(
            f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" stroke="{stroke}" '
            f'stroke-width="{_num(width)}"/>'
        )

    def dot(self, x, y, color: str) -> None:
        self.add(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3" fill="{color}"/>')

    def text(self, x, y, text, *, anchor: str = "start", size: float = FONT, fill: str = "#000", rotate=None) -> None:
        turn = f' transform="rotate({_num(rotate)} {_num(x)} {_num(y)})"' if rotate else ""
        self.add(
            f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" font-size="{_num(size)}" fill="{fill}"{turn}>'
            f"{html.escape(_UNSAFE.sub('', str(text)), quote=False)}</text>"
        )

    def done(self, width: float, height: float) -> str:
        """The SVG; its size is only the viewBox, so the chart scales with the page."""
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {math.ceil(height)}" role="img" '
            'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" dominant-baseline="central">'
            f"<title>{html.escape(self.title, quote=False)}</title>{''.join(self.parts)}</svg>"
        )


def _ticks(top: float, count: int = 5) -> list[float]:
    """Round ticks from 0 up to `top` or just past it (steps of 1, 2, 2.5 or 5 times a power of ten)."""
    if not top or top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _tick_label(v: float, step: float) -> str:
    if step >= 1:
        return f"{v:,.0f}"
    return f"{v:.{max(1, -math.floor(math.log10(step) + 1e-9))}f}"


def _bars(labels, values, *, color: str, xlabel: str, title: str, top: float | None = None, errors=None) -> str:
    """Horizontal bars, the first at the top, on an x axis from 0 to `top` (or to round ticks past the longest bar),
    with error bars (low, high) when given."""
    row, y0 = 30, 10
    left = max(_text_width(x) for x in labels) + 20
    plot_w = WIDTH - left - 24
    ticks = _ticks(max(values)) if top is None else [i * top / 5 for i in range(6)]
    top = ticks[-1]
    x_of = lambda v: left + plot_w * max(0.0, min(float(v), top)) / top  # noqa: E731 - local shorthand
    svg = _Svg(title)
    for i, (label, value) in enumerate(zip(labels, values)):
        mid = y0 + i * row + row / 2
        svg.rect(left, mid - row / 2 + 4, x_of(value) - left, row - 8, color)
        svg.text(left - 8, mid, label, anchor="end")
        if errors is not None:
            lo, hi = errors[i]
            svg.line(x_of(lo), mid, x_of(hi), mid, width=1.5)
            svg.line(x_of(lo), mid - 4, x_of(lo), mid + 4, width=1.5)
            svg.line(x_of(hi), mid - 4, x_of(hi), mid + 4, width=1.5)
    base = y0 + row * len(labels) + 6
    svg.line(left, y0 - 4, left, base)
    svg.line(left, base, left + plot_w, base)
    for v in ticks:
        svg.line(x_of(v), base, x_of(v), base + 5)
        svg.text(x_of(v), base + 16, _tick_label(v, ticks[1] - ticks[0]), anchor="middle")
    svg.text(left + plot_w / 2, base + 38, xlabel, anchor="middle")
    return svg.done(WIDTH, base + 50)


def chart_overall(t: Trends) -> str:
    df = t.overall.dropna(subset=["share"])
    if df.empty:
        return ""
    return _bars(
        [str(r) for r in df["reason"]],
        [float(v) for v in df["share"]],
        color=PALETTE[0],
        xlabel="share of analysed rejections (95% Wilson interval)",
        title="Share of analysed rejections giving each reason, with 95% Wilson intervals",
        top=1.0,
        errors=list(zip(df["ci_low"].astype(float), df["ci_high"].astype(float))),
    )


def chart_over_time(t: Trends) -> str:
    if t.over_time.empty:
        return ""
    tax = load_taxonomy()
    df = t.over_time
    periods = [str(p) for p in df["period"]]
    lines = [
        (r, PALETTE[i % len(PALETTE)], [None if v is None or v != v else float(v) for v in df[f"{r}_share"]])
        for i, r in enumerate(tax.reason_names)
        if f"{r}_share" in df and df[f"{r}_share"].notna().any()
    ]
    top = _axis_top(df[[c for c in df.columns if c.endswith("_share")]].max().max())
    left, plot_top, plot_h = 70, 16, 280
    plot_w = WIDTH - left - 16
    slot = plot_w / len(periods)
    x_of = lambda i: left + slot * (i + 0.5)  # noqa: E731 - local shorthand
    y_of = lambda v: plot_top + plot_h * (1 - min(v, top) / top)  # noqa: E731
    base = plot_top + plot_h
    svg = _Svg("Share of rejections giving each reason, per period")
    step = 0.1 if top <= 0.5 else 0.2
    for k in range(round(top / step) + 1):
        svg.line(left - 5, y_of(k * step), left, y_of(k * step))
        svg.text(left - 8, y_of(k * step), f"{k * step:.1f}", anchor="end")
    svg.line(left, plot_top, left, base)
    svg.line(left, base, left + plot_w, base)
    svg.text(20, plot_top + plot_h / 2, "share of rejections", anchor="middle", rotate=-90)
    for i, p in enumerate(periods):
        svg.line(x_of(i), base, x_of(i), base + 5)
        svg.text(x_of(i) + 4, base + 12, p, anchor="end", rotate=-60)
    for _, color, values in lines:
        run: list[str] = []
        for i, v in enumerate([*values, None]):
            if v is None:  # a withheld share: the line breaks there
                if len(run) > 1:
                    svg.add(f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" stroke-width="1.8"/>')
                run = []
                continue
            run.append(f"{_num(x_of(i))},{_num(y_of(v))}")
            svg.dot(x_of(i), y_of(v), color)
    if len(t.changes) and t.changes["significant"].any():
        where = {p: i for i, p in enumerate(periods)}
        overall = t.changes[(t.changes["group"] == "all") & t.changes["significant"]]
        for c in overall.to_dict("records"):
            if c["to"] in where:
                mark = "▲" if c["direction"] == "up" else "▼"
                svg.text(x_of(where[c["to"]]), y_of(c["share_to"]) - 10, mark, anchor="middle")
    legend_y = base + max(_text_width(p) for p in periods) * math.sin(math.radians(60)) + 30
    for k, (reason, color, _) in enumerate(lines):
        x, y = left + (k % 4) * plot_w / 4, legend_y + (k // 4) * 20
        svg.line(x, y, x + 22, y, stroke=color, width=2)
        svg.dot(x + 11, y, color)
        svg.text(x + 28, y, reason, size=FONT - 1)
    return svg.done(WIDTH, legend_y + math.ceil(len(lines) / 4) * 20)


def _axis_top(highest) -> float:
    """The top of a share axis: just above the highest value, in steps of 10 points (the data, not 0-1)."""
    if highest is None or highest != highest:
        return 1.0
    return min(1.0, math.ceil((float(highest) + 0.02) * 10) / 10)


def heatmap_scale(t: Trends) -> float:
    """The one colour scale all segment heatmaps share (0 to this share), so equal colours mean equal shares."""
    tax = load_taxonomy()
    values = [
        v
        for df in t.segments.values()
        for r in tax.reason_names
        if f"{r}_share" in df
        for v in df[f"{r}_share"].dropna().tolist()
    ]
    return max([0.05, *values])


def _blue(fraction: float) -> str:
    """The colour at `fraction` (0 to 1) of the heatmap scale."""
    f = min(1.0, max(0.0, fraction)) * (len(BLUES) - 1)
    i = min(int(f), len(BLUES) - 2)
    a, b = BLUES[i], BLUES[i + 1]
    mix = [round(int(a[k : k + 2], 16) * (1 - f + i) + int(b[k : k + 2], 16) * (f - i)) for k in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def chart_segment(t: Trends, column: str, vmax: float | None = None) -> str:
    tax = load_taxonomy()
    df = t.segments[column]
    df = df[df[f"{tax.reason_names[0]}_share"].notna()] if len(df) else df
    if df.empty:
        return ""
    reasons = list(tax.reason_names)
    groups = [_short(v) for v in df[column]]
    vmax = vmax or heatmap_scale(t)
    cell_w, cell_h, y0 = 64, 28, 10
    left = max(_text_width(g) for g in groups) + 20
    svg = _Svg(f"Share of rejections giving each reason, by {column}")
    for j, r in enumerate(reasons):
        x = left + j * cell_w
        for i, v in enumerate(df[f"{r}_share"].tolist()):
            y = y0 + i * cell_h
            if v is None or v != v:  # withheld: it would give a small count back
                svg.rect(x, y, cell_w, cell_h, "#eef1f5")
                svg.text(x + cell_w / 2, y + cell_h / 2, "–", anchor="middle", size=FONT - 2, fill="#5b6775")
                continue
            svg.rect(x, y, cell_w, cell_h, _blue(v / vmax))
            ink = "#fff" if v > 0.6 * vmax else "#000"
            svg.text(x + cell_w / 2, y + cell_h / 2, f"{v:.0%}", anchor="middle", size=FONT - 2, fill=ink)
    for i, g in enumerate(groups):
        svg.text(left - 8, y0 + i * cell_h + cell_h / 2, g, anchor="end")
    base = y0 + len(groups) * cell_h
    for j, r in enumerate(reasons):
        x = left + j * cell_w + cell_w / 2
        svg.line(x, base, x, base + 5)
        svg.text(x + 4, base + 12, r, anchor="end", rotate=-35)
    # the colour scale every heatmap of the report shares
    bar_x, bar_h = left + len(reasons) * cell_w + 24, min(240, len(groups) * cell_h)
    bar_y = y0 + (len(groups) * cell_h - bar_h) / 2
    for k in range(24):
        svg.rect(bar_x, bar_y + bar_h * (23 - k) / 24, 14, bar_h / 24 + 0.4, _blue((k + 0.5) / 24))
    svg.rect(bar_x, bar_y, 14, bar_h, "none", stroke="#000")
    for v in _ticks(vmax, 4):
        if v <= vmax + 1e-9:
            y = bar_y + bar_h * (1 - v / vmax)
            svg.line(bar_x + 14, y, bar_x + 18, y)
            svg.text(bar_x + 21, y, f"{v:.0%}", size=FONT - 1)
    height = base + max(_text_width(r) for r in reasons) * math.sin(math.radians(35)) + 24
    if df[[f"{r}_share" for r in reasons]].isna().any(axis=None):
        svg.text(left, height, "– withheld, to protect a small group", size=FONT - 2, fill="#5b6775")
        height += 14
    return svg.done(max(WIDTH, bar_x + 64), height)


def chart_counts(df, label: str, top: int = 15) -> str:
    shown = df[df["count"].map(lambda v: isinstance(v, int))].head(top) if len(df) else df
    if shown.empty:
        return ""
    return _bars(
        [_short(v) for v in shown[label]],
        [float(v) for v in shown["count"]],
        color=PALETTE[2],
        xlabel="rejections mentioning it",
        title=f"Rejections naming each {label}",
    )


def render(t: Trends) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape
    from markupsafe import Markup

    env = Environment(loader=PackageLoader("analyser", "templates"), autoescape=select_autoescape(["html", "j2"]))
    env.filters["pct"] = lambda v: "" if v is None or v != v else f"{v:.0%}"
    # a share is missing only when its group is too small to show
    env.filters["share"] = lambda v: f"<{t.min_group}" if v is None or v != v else f"{v:.0%}"
    env.filters["num"] = lambda v: f"{v:,}" if isinstance(v, int) else str(v)
    env.filters["pvalue"] = p_value
    tax = load_taxonomy()
    scale = heatmap_scale(t)
    charts = {
        "overall": Markup(chart_overall(t)),
        "over_time": Markup(chart_over_time(t)),
        "segments": {c: Markup(chart_segment(t, c, scale)) for c in t.segments},
        "scale": scale,
        "skills": Markup(chart_counts(t.skills, "skill")),
    }
    return env.get_template("trends.html.j2").render(
        t=t,
        charts=charts,
        reasons=list(tax.reason_names),
        labels={r.name: r.label for r in tax.reasons},
        significant=t.changes[t.changes["significant"]].to_dict("records") if len(t.changes) else [],
        generated=date.today().isoformat(),
    )


def p_value(p) -> str:
    """A p-value as a reader should see it: '< 0.001' rather than a rounded 0.000."""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def write_report(t: Trends, path: Path) -> None:
    Path(path).write_text(render(t), encoding="utf-8")
