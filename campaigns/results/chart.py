"""The deliveries-and-reads chart as server-rendered SVG geometry (no script, no build step): bars for
deliveries, a line for reads, per hour or per day in the brand's time zone."""

from dataclasses import dataclass

from django.utils.formats import date_format

from .selectors import Series

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 36


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    delivered: int
    read: int


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    read_points: str
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    baseline: float
    left: int
    right_edge: int


def _nice_max(value: int) -> int:
    if value <= 5:
        return 5
    step = 10 ** (len(str(value)) - 1)
    for factor in (1, 2, 5, 10):
        if value <= factor * step:
            return factor * step
    return 10 * step  # pragma: no cover


def chart_build(series: Series) -> Chart | None:
    if not series.buckets:
        return None
    peak = _nice_max(max([*series.delivered, *series.read, 1]))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = inner_w / len(series.buckets)
    label_format = "H:i" if series.unit == "hour" else "M j"
    bars, points = [], []
    for i, (bucket, delivered, read) in enumerate(zip(series.buckets, series.delivered, series.read, strict=True)):
        height = inner_h * delivered / peak
        x = LEFT + i * slot
        label = date_format(bucket, "M j H:i" if series.unit == "hour" else "M j")
        bars.append(Bar(round(x + slot * 0.15, 2), round(TOP + inner_h - height, 2), round(slot * 0.7, 2),
                        round(height, 2), label, delivered, read))
        points.append(f"{x + slot / 2:.2f},{TOP + inner_h - inner_h * read / peak:.2f}")
    y_ticks = [Tick(round(TOP + inner_h - inner_h * f, 2), str(int(peak * f))) for f in (0, 0.5, 1)]
    every = max(1, len(series.buckets) // 6)
    x_ticks = [Tick(round(LEFT + i * slot + slot / 2, 2), date_format(bucket, label_format))
               for i, bucket in enumerate(series.buckets) if i % every == 0]
    return Chart(WIDTH, HEIGHT, bars, " ".join(points), y_ticks, x_ticks, TOP + inner_h, LEFT, WIDTH - RIGHT)
