"""Charts as server-rendered inline SVG: no chart library, no script, works offline and under a
strict CSP (presentation attributes only, no `style=`). Every chart carries a text summary for
screen readers, and the page shows the same figures as a table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 220
PAD_LEFT = 44
PAD_BOTTOM = 36
PAD_TOP = 12
GOOD, BAD, NEUTRAL, GRID = "#1f7a4d", "#b3261e", "#2f5d8a", "#d0d7de"


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None


def _svg(title: str, summary: str, body: str, height: int = HEIGHT) -> Markup:
    # Safe: every text that came from data went through escape() where the body was built.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}: {escape(summary)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title><desc>{escape(summary)}</desc>{body}</svg>"
    )


def attainment_trend(days: Sequence[Point], completed: Sequence[int]) -> Markup:
    """Daily attainment % as a line over daily throughput bars."""
    title = "SLA attainment by day"
    if not days:
        return _svg(title, "no days in the period", "")
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / len(days)
    top = max(completed) if completed and max(completed) > 0 else 1
    parts: list[str] = []
    for pct in (0, 50, 100):
        y = PAD_TOP + plot_h * (1 - pct / 100)
        parts.append(
            f'<line x1="{PAD_LEFT}" y1="{y:.1f}" x2="{WIDTH - 8}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{pct}%</text>"
        )
    points: list[str] = []
    for i, (day, count) in enumerate(zip(days, completed, strict=True)):
        x = PAD_LEFT + step * i
        bar_h = plot_h * count / top * 0.5  # throughput uses the lower half: context, not focus
        parts.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{PAD_TOP + plot_h - bar_h:.1f}" '
            f'width="{step * 0.7:.1f}" height="{bar_h:.1f}" fill="{GRID}">'
            f"<title>{escape(day.label)}: {count} completed</title></rect>"
        )
        if day.value is not None:
            y = PAD_TOP + plot_h * (1 - day.value / 100)
            points.append(f"{x + step / 2:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x + step / 2:.1f}" cy="{y:.1f}" r="3" fill="{NEUTRAL}">'
                f"<title>{escape(day.label)}: {day.value:.1f}% met</title></circle>"
            )
        if i % max(1, len(days) // 6) == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{HEIGHT - 14}" text-anchor="middle" '
                f'font-size="11">{escape(day.label[5:])}</text>'
            )
    if len(points) > 1:
        parts.insert(
            0,
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{NEUTRAL}" '
            'stroke-width="2"/>',
        )
    measured = [d.value for d in days if d.value is not None]
    summary = (
        f"{len(days)} days; attainment from {min(measured):.0f}% to {max(measured):.0f}%"
        if measured
        else f"{len(days)} days with no completed work"
    )
    return _svg(title, summary, "".join(parts))


def horizontal_bars(title: str, bars: Sequence[Point], colour: str = BAD) -> Markup:
    """One labelled bar per item (e.g. breaches by service line, backlog by age)."""
    if not bars:
        return _svg(title, "nothing to show", "", height=40)
    row = 26
    height = PAD_TOP + row * len(bars) + 8
    label_w = 190
    plot_w = WIDTH - label_w - 60
    top = max((b.value or 0) for b in bars) or 1
    parts: list[str] = []
    for i, bar in enumerate(bars):
        y = PAD_TOP + row * i
        value = bar.value or 0
        width = plot_w * value / top
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" font-size="12">'
            f"{escape(bar.label)}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{max(width, 1):.1f}" height="16" '
            f'fill="{colour}"><title>{escape(bar.label)}: {value:g}</title></rect>'
            f'<text x="{label_w + width + 6:.1f}" y="{y + 16}" font-size="12">{value:g}</text>'
        )
    summary = "; ".join(f"{b.label}: {(b.value or 0):g}" for b in bars)
    return _svg(title, summary, "".join(parts), height=height)
