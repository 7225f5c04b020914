"""Draw the trends as one self-contained HTML file: inline SVG charts and styles, nothing fetched when it opens.

All text from the input goes through Jinja2's autoescaping; charts are drawn by matplotlib as SVG (text as text).
"""

from __future__ import annotations

import io
import math
import re
from datetime import date
from pathlib import Path

from .taxonomy import load_taxonomy
from .trends import Trends

PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d", "#bab0ac"]


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # width/height from the viewBox only, so the chart scales with the page
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 role="img"', svg, count=1)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.fonttype": "none",
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "analyser",
        }
    )
    return plt


def chart_overall(t: Trends) -> str:
    plt = _plt()
    df = t.overall.dropna(subset=["share"])
    if df.empty:
        return ""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.barh(
        df["reason"],
        df["share"],
        xerr=[df["share"] - df["ci_low"], df["ci_high"] - df["share"]],
        color=PALETTE[0],
        capsize=3,
    )
    ax.invert_yaxis()
    ax.set_xlabel("share of analysed rejections (95% Wilson interval)")
    ax.set_xlim(0, 1)
    return _svg(fig)


def chart_over_time(t: Trends) -> str:
    if t.over_time.empty:
        return ""
    plt = _plt()
    tax = load_taxonomy()
    df = t.over_time
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for i, r in enumerate(tax.reason_names):
        col = f"{r}_share"
        if col in df and df[col].notna().any():
            ax.plot(df["period"], df[col], marker="o", ms=3, label=r, color=PALETTE[i % len(PALETTE)])
    if len(t.changes) and t.changes["significant"].any():
        overall = t.changes[(t.changes["group"] == "all") & t.changes["significant"]]
        for _, c in overall.iterrows():
            ax.annotate(
                "▲" if c["direction"] == "up" else "▼",
                (c["to"], c["share_to"]),
                ha="center",
                va="bottom",
                color="black",
            )
    ax.set_ylabel("share of rejections")
    ax.set_ylim(0, _axis_top(df[[c for c in df.columns if c.endswith("_share")]].max().max()))
    ax.tick_params(axis="x", rotation=60)
    if ax.get_lines():
        ax.legend(fontsize=8, ncol=4, loc="upper left", bbox_to_anchor=(0, -0.35))
    return _svg(fig)


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


def chart_segment(t: Trends, column: str, vmax: float | None = None) -> str:
    plt = _plt()
    tax = load_taxonomy()
    df = t.segments[column]
    df = df[df[f"{tax.reason_names[0]}_share"].notna()] if len(df) else df
    if df.empty:
        return ""
    import numpy as np

    reasons = list(tax.reason_names)
    data = np.array([[row[f"{r}_share"] for r in reasons] for _, row in df.iterrows()], dtype=float)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(df) + 1.4))
    vmax = vmax or heatmap_scale(t)
    im = ax.imshow(data, cmap="Blues", vmin=0, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(reasons)), reasons, rotation=35, ha="right")
    ax.set_yticks(range(len(df)), [str(v) for v in df[column]])
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            ax.text(
                j,
                i,
                f"{data[i, j]:.0%}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if data[i, j] > 0.6 * vmax else "black",
            )
    fig.colorbar(im, ax=ax, fraction=0.03)
    return _svg(fig)


def chart_counts(df, label: str, top: int = 15) -> str:
    shown = df[df["count"].map(lambda v: isinstance(v, int))].head(top) if len(df) else df
    if shown.empty:
        return ""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(shown) + 1))
    ax.barh([str(v) for v in shown[label]], shown["count"], color=PALETTE[2])
    ax.invert_yaxis()
    ax.set_xlabel("rejections mentioning it")
    return _svg(fig)


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
