"""Server-rendered SVG charts: stacked bars, lines and horizontal bars, no library, no script.

Colours are presentation attributes (not ``style``), so the console's strict Content Security
Policy allows them; every chart has a <title> per mark, which browsers show on hover.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 200, 44, 22, 10
PALETTE = ["#2f6fdf", "#2aa876", "#e0a020", "#d9534f", "#8e6bd1", "#7a8793", "#17a2b8"]


def _frame(top_label: str, labels: Sequence[str]) -> list[str]:
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{PAD_LEFT}" y1="{HEIGHT - PAD_BOTTOM}" x2="{WIDTH}" '
        f'y2="{HEIGHT - PAD_BOTTOM}" stroke="#999"/>',
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 8}" text-anchor="end" font-size="10" '
        f'fill="#555">{escape(top_label)}</text>',
    ]
    step = max(1, len(labels) // 7)
    for n, label in enumerate(labels):
        if n % step == 0:
            x = _x(n, len(labels)) + _slot(len(labels)) / 2
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="middle" font-size="10" '
                f'fill="#555">{escape(label[5:])}</text>'
            )
    return parts


def _slot(count: int) -> float:
    return (WIDTH - PAD_LEFT) / max(count, 1)


def _x(n: int, count: int) -> float:
    return PAD_LEFT + n * _slot(count)


def _y(value: float, top: float) -> float:
    plot = HEIGHT - PAD_BOTTOM - PAD_TOP
    return HEIGHT - PAD_BOTTOM - (value / top if top else 0) * plot


def legend(names: Sequence[str]) -> Markup:
    """Coloured names under a chart (HTML, same colours as the marks)."""
    items = "".join(
        f'<span class="key"><svg width="10" height="10"><rect width="10" height="10" '
        f'fill="{PALETTE[n % len(PALETTE)]}"/></svg> {escape(name)}</span>'
        for n, name in enumerate(names)
    )
    return Markup(f'<div class="legend">{items}</div>')


def stacked_bars(labels: Sequence[str], series: dict[str, list[int]]) -> Markup:
    """One bar per day, stacked by series (e.g. replies by mode)."""
    totals = [sum(values[n] for values in series.values()) for n in range(len(labels))]
    top = max(totals, default=0) or 1
    parts = _frame(str(top), labels)
    width = _slot(len(labels)) * 0.8
    for n, label in enumerate(labels):
        base = 0
        for k, (name, values) in enumerate(series.items()):
            value = values[n]
            if not value:
                continue
            y0, y1 = _y(base, top), _y(base + value, top)
            parts.append(
                f'<rect x="{_x(n, len(labels)):.1f}" y="{y1:.1f}" width="{width:.1f}" '
                f'height="{y0 - y1:.1f}" fill="{PALETTE[k % len(PALETTE)]}">'
                f"<title>{escape(label)} {escape(name)}: {value}</title></rect>"
            )
            base += value
    parts.append("</svg>")
    return Markup("".join(parts))


def lines(
    labels: Sequence[str], series: dict[str, list[float | None]], *, unit: str = "", top: float = 0
) -> Markup:
    """One polyline per series; days without a value leave a gap."""
    values = [v for vs in series.values() for v in vs if v is not None]
    top = top or max(values, default=0) or 1
    parts = _frame(f"{top:g}{unit}", labels)
    half = _slot(len(labels)) / 2
    for k, (name, points) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        run: list[str] = []
        for n, value in enumerate([*points, None]):
            if value is not None:
                x, y = _x(n, len(labels)) + half, _y(value, top)
                run.append(f"{x:.1f},{y:.1f}")
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"><title>'
                    f"{escape(labels[n])} {escape(name)}: {value:g}{unit}</title></circle>"
                )
            elif run:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"/>'
                )
                run = []
    parts.append("</svg>")
    return Markup("".join(parts))


def horizontal_bars(items: Sequence[tuple[str, int]]) -> Markup:
    """Labelled bars, longest first (e.g. the most frequent unanswered groups)."""
    top = max((value for _, value in items), default=0) or 1
    row = 22
    height = row * len(items) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for n, (label, value) in enumerate(items):
        y = n * row + 2
        width = (WIDTH - 320) * value / top
        parts.append(
            f'<text x="300" y="{y + 14}" text-anchor="end" font-size="12" fill="#333">'
            f"{escape(label[:48])}</text>"
            f'<rect x="310" y="{y + 3}" width="{width:.1f}" height="14" fill="{PALETTE[3]}">'
            f"<title>{escape(label)}: {value}</title></rect>"
            f'<text x="{314 + width:.1f}" y="{y + 14}" font-size="11" fill="#333">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
