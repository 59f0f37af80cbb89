"""Charts as PNG bytes, drawn for Discord's dark theme and large enough to read on a phone.

Rendering is CPU-bound: callers run these functions in a thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from datetime import date

import matplotlib

# Headless rendering; chosen before anything could import pyplot and pick a GUI backend.
matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, DateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from bot.domain.progress import CohortWeek, Trend, week_index, week_of

# Discord's dark theme: the chat background and the slightly darker panels.
BACKGROUND = "#313338"
PANEL = "#2b2d31"
TEXT = "#dbdee1"
MUTED = "#949ba4"
GRID = "#4e5058"
LINE = "#58a68c"
TREND = "#f0b232"
BARS = "#5865f2"
DPI = 100
SIZE = (10.0, 6.0)  # inches: 1000 x 600 pixels
COHORT_SIZE = (10.0, 7.5)
FONT = 18
# Figures are independent, but matplotlib's font and text caches are shared between threads.
_RENDER = threading.Lock()


def _figure(size: tuple[float, float], left: float = 0.1) -> Figure:
    """A figure on the dark background; pyplot is never used, so no global state is kept."""
    fig = Figure(figsize=size, dpi=DPI, facecolor=BACKGROUND)
    # Fixed margins fit the fixed sizes and fonts; an automatic layout would cost a third more.
    fig.subplots_adjust(left=left, right=0.97, top=0.89, bottom=0.09, hspace=0.12)
    return fig


def _style(ax: Axes, *, ylabel: str) -> None:
    """Dark panel, light large text, faint horizontal grid."""
    ax.set_facecolor(PANEL)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GRID)
    ax.tick_params(colors=TEXT, labelsize=FONT - 2, length=6)
    ax.grid(axis="y", color=GRID, linewidth=1, alpha=0.8)
    ax.set_axisbelow(True)
    ax.set_ylabel(ylabel, color=TEXT, fontsize=FONT)


def _dates_axis(ax: Axes) -> None:
    """Week starts on the x axis as '09 Mar', at most six labels so they never overlap."""
    ax.xaxis.set_major_locator(AutoDateLocator(minticks=2, maxticks=6))
    ax.xaxis.set_major_formatter(DateFormatter("%d %b"))


def _stress_axis(ax: Axes) -> None:
    """The 0-10 stress scale."""
    ax.set_ylim(0, 10.3)
    ax.yaxis.set_major_locator(MultipleLocator(2))


def _png(fig: Figure) -> bytes:
    """Encode a figure as PNG."""
    out = io.BytesIO()
    fig.savefig(out, format="png", facecolor=fig.get_facecolor())
    return out.getvalue()


def _nothing_yet(ax: Axes, text: str) -> None:
    ax.text(
        0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color=MUTED, fontsize=FONT
    )


def stress_chart(
    points: Sequence[tuple[date, int]], trend: Trend | None, title: str = "Weekly stress"
) -> bytes:
    """A member's weekly stress scores (0-10) by week, with the least-squares trend line."""
    with _RENDER:
        fig = _figure(SIZE)
        ax = fig.add_subplot()
        _style(ax, ylabel="Stress (0-10)")
        _stress_axis(ax)
        fig.suptitle(title, color=TEXT, fontsize=FONT + 4)
        if not points:
            _nothing_yet(ax, "No weekly scores yet")
        else:
            days = [d for d, _ in points]
            ax.plot(
                days,
                [s for _, s in points],
                color=LINE,
                linewidth=3.5,
                marker="o",
                markersize=10,
                label="Your score",
            )
            if trend is not None:
                ends = [days[0], days[-1]]
                values = [trend.at(week_index(*week_of(d))) for d in ends]
                ax.plot(
                    ends,
                    values,
                    color=TREND,
                    linewidth=3,
                    linestyle="--",
                    label=f"Trend: {trend.direction} ({trend.per_month:+.1f} a month)",
                )
            _dates_axis(ax)
            if len(days) == 1:
                ax.set_xticks(days)
            _legend(ax)
        return _png(fig)


def cohort_chart(weeks: Sequence[CohortWeek], title: str = "Cohort by week") -> bytes:
    """Median stress with its inter-quartile band, and the share of debriefs answered."""
    with _RENDER:
        fig = _figure(COHORT_SIZE, left=0.13)
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
        fig.suptitle(title, color=TEXT, fontsize=FONT + 4)
        _style(top, ylabel="Stress (0-10)")
        _stress_axis(top)
        _style(bottom, ylabel="Answered")
        bottom.set_ylim(0, 1.05)
        bottom.yaxis.set_major_locator(MultipleLocator(0.5))
        bottom.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
        days = [w.week_start for w in weeks]
        shown = [w for w in weeks if w.median is not None]
        if shown:
            # NaN leaves a gap for weeks with too few scores instead of joining across them.
            top.fill_between(
                days,
                [_nan(w.q1) for w in weeks],
                [_nan(w.q3) for w in weeks],
                color=LINE,
                alpha=0.3,
                linewidth=0,
                label="Middle half",
            )
            top.plot(
                days,
                [_nan(w.median) for w in weeks],
                color=LINE,
                linewidth=3.5,
                marker="o",
                markersize=7,
                label="Median",
            )
            _legend(top)
        else:
            _nothing_yet(top, "Not enough scores yet")
        answered = [(w.week_start, w.completion) for w in weeks if w.completion is not None]
        if answered:
            bottom.bar([d for d, _ in answered], [c for _, c in answered], width=5, color=BARS)
        else:
            _nothing_yet(bottom, "Not enough debriefs yet")
        if days:
            _dates_axis(bottom)
        return _png(fig)


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def _legend(ax: Axes) -> None:
    legend = ax.legend(
        loc="best", fontsize=FONT - 3, facecolor=BACKGROUND, edgecolor=GRID, framealpha=0.9
    )
    for text in legend.get_texts():
        text.set_color(TEXT)
