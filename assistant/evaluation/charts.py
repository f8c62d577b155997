"""Small inline SVG charts for the HTML report: no scripts, no fonts, every label escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 560
BAR = "#3b6ea8"
WHISKER = "#222"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # 0..1
    low: float | None = None
    high: float | None = None
    note: str = ""


# Labels longer than this many characters would run off the chart's left edge: they are cut
# (the whole label stays in the bar's tooltip).
LABEL_CHARS = 30


def _svg_open(height: int, title: str) -> str:
    # The viewBox lets the chart shrink with a phone's screen instead of running off it.
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">'
    )


def _label(text: str) -> str:
    if len(text) <= LABEL_CHARS:
        return escape(text)
    return f"{escape(text[: LABEL_CHARS - 1])}…<title>{escape(text)}</title>"


def bars(items: Sequence[Bar], title: str) -> str:
    """Horizontal bars on a 0..1 scale, with the confidence interval as a whisker."""
    row, left, right = 24, 210, 60
    span = WIDTH - left - right
    height = row * len(items) + 40
    parts = [
        _svg_open(height, title),
        f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for i, item in enumerate(items):
        y = 26 + i * row
        w = max(0.0, min(1.0, item.value)) * span
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" font-size="12" text-anchor="end">'
            f"{_label(item.label)}</text>"
        )
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="15" fill="{BAR}"/>')
        if item.low is not None and item.high is not None:
            x1, x2 = left + item.low * span, left + item.high * span
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y + 10}" x2="{x2:.1f}" y2="{y + 10}" '
                f'stroke="{WHISKER}" stroke-width="1.5"/>'
            )
        parts.append(
            f'<text x="{left + span + 6}" y="{y + 14}" font-size="12">'
            f"{item.value:.2f}{escape(item.note)}</text>"
        )
    axis_y = 26 + len(items) * row + 2
    parts.append(
        f'<line x1="{left}" y1="{axis_y}" x2="{left + span}" y2="{axis_y}" stroke="#999"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def histogram(
    values: Sequence[float],
    title: str,
    unit: str = "",
    bins: int = 10,
    span: tuple[float, float] | None = None,
) -> str:
    """Counts of values in equal-width bins over `span` (default: smallest to largest value)."""
    height, left, bottom = 170, 40, 36
    plot_w, plot_h = WIDTH - left - 10, height - bottom - 24
    parts = [
        _svg_open(height, title),
        f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    if not values:
        parts.append('<text x="0" y="40" font-size="12">no values</text></svg>')
        return "".join(parts)
    lo, hi = span or (min(values), max(values))
    if hi <= lo:  # all values equal: one bin's worth of room around them
        lo, hi = lo * 0.9, lo * 1.1 + 1e-9
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in values:
        counts[max(0, min(bins - 1, int((v - lo) / width)))] += 1
    top = max(counts)
    bar_w = plot_w / bins
    for i, count in enumerate(counts):
        h = plot_h * count / top
        x = left + i * bar_w
        y = 24 + plot_h - h
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
            f'fill="{BAR}"><title>{count}</title></rect>'
        )
        if count:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{y - 2:.1f}" font-size="10" '
                f'text-anchor="middle">{count}</text>'
            )
    base = 24 + plot_h
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#999"/>')
    for i in range(0, bins + 1, max(1, bins // 5)):
        x = left + i * bar_w
        # The last tick's label ends at its tick: centred, it ran off the right edge.
        anchor = "end" if i == bins else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{base + 14}" font-size="10" text-anchor="{anchor}">'
            f"{lo + i * width:.3g}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
