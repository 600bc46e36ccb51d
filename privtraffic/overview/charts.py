"""Small server-rendered SVG charts for the overview: no JavaScript, no library, nothing to build.

Each function takes plain numbers and labels and returns safe SVG markup that scales to its container
(a viewBox, width 100%), colours come from CSS classes in app.css (the CSP allows no inline styles), and
every bar or point carries a <title> so its figure shows on hover and reaches screen readers.
"""

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT = 600, 180
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 36, 36, 12, 22


def _nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _frame(title: str, body: SafeString, *, css: str, axis_left: str, axis_right: str = "",
           first_label: str = "", last_label: str = "") -> SafeString:
    plot_bottom = HEIGHT - PAD_BOTTOM
    return format_html(
        '<svg class="chart {}" viewBox="0 0 {} {}" role="img" aria-label="{}" preserveAspectRatio="xMidYMid meet">'
        "<title>{}</title>"
        '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
        '<text class="chart-tick" x="{}" y="{}" text-anchor="end">{}</text>'
        '<text class="chart-tick" x="{}" y="{}" text-anchor="end">0</text>'
        '<text class="chart-tick chart-tick-right" x="{}" y="{}" text-anchor="start">{}</text>'
        '<text class="chart-tick" x="{}" y="{}" text-anchor="start">{}</text>'
        '<text class="chart-tick" x="{}" y="{}" text-anchor="end">{}</text>'
        "{}</svg>",
        css, WIDTH, HEIGHT, title, title,
        PAD_LEFT, plot_bottom, WIDTH - PAD_RIGHT, plot_bottom,
        PAD_LEFT - 4, PAD_TOP + 8, axis_left,
        PAD_LEFT - 4, plot_bottom,
        WIDTH - PAD_RIGHT + 4, PAD_TOP + 8, axis_right,
        PAD_LEFT, HEIGHT - 6, first_label,
        WIDTH - PAD_RIGHT, HEIGHT - 6, last_label,
        body,
    )


def bar_chart(*, title: str, labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]],
              line: tuple[str, str, Sequence[int]] | None = None) -> SafeString:
    """Stacked bars, one per label (a day), for each (css class, name, values) series; with `line`, a line
    on its own right-hand scale (e.g. total members under daily joins)."""
    count = max(len(labels), 1)
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / count
    bar_w = max(slot * 0.72, 1)
    top = _nice_max(max((sum(s[2][i] for s in series) for i in range(len(labels))), default=0))
    rects = []
    for i, label in enumerate(labels):
        y = HEIGHT - PAD_BOTTOM
        for css, name, values in series:
            value = values[i]
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            rects.append((css, f"{PAD_LEFT + i * slot + (slot - bar_w) / 2:.1f}", f"{y:.1f}", f"{bar_w:.1f}", f"{h:.1f}",
                          f"{label} · {name}: {value}"))
    body = format_html_join(
        "", '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>', rects)
    axis_right = ""
    if line is not None:
        css, name, values = line
        line_top = _nice_max(max(values, default=0))
        points = [(PAD_LEFT + (i + 0.5) * slot, HEIGHT - PAD_BOTTOM - plot_h * v / line_top) for i, v in enumerate(values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body = format_html('{}<polyline class="{}" points="{}" fill="none"></polyline>{}', body, css, path,
                           format_html_join("", '<circle class="{}" cx="{}" cy="{}" r="2"><title>{}</title></circle>',
                                            ((css, f"{x:.1f}", f"{y:.1f}", f"{labels[i]} · {name}: {values[i]}")
                                             for i, (x, y) in enumerate(points))))
        axis_right = f"{line_top:g}"
    return _frame(title, body, css="chart-bars", axis_left=f"{top:g}", axis_right=axis_right,
                  first_label=labels[0] if labels else "", last_label=labels[-1] if labels else "")


def funnel_chart(*, title: str, steps: Sequence[tuple[str, int]]) -> SafeString:
    """Horizontal bars, one per step, each as wide as its share of the first step."""
    row_h, gap = 26, 8
    height = len(steps) * (row_h + gap)
    first = max(steps[0][1], 1) if steps else 1
    rows = []
    for i, (name, value) in enumerate(steps):
        width = max(560 * value / first, 2 if value else 0)
        rows.append(("chart-funnel-bar", 0, i * (row_h + gap), f"{width:.1f}", row_h, f"{name}: {value}"))
    body = format_html_join(
        "", '<rect class="{}" x="{}" y="{}" width="{}" height="{}" rx="3"><title>{}</title></rect>', rows)
    return format_html('<svg class="chart chart-funnel" viewBox="0 0 560 {}" role="img" aria-label="{}" '
                       'preserveAspectRatio="xMinYMid meet"><title>{}</title>{}</svg>',
                       max(height - gap, 1), title, title, body)

