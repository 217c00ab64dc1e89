"""Bar charts drawn on the server: the geometry here, the SVG in
`templates/components/bar_chart.html` (autoescaped, no script, no third party).

Only numbers are computed here; the words (title, description, labels) are the page's,
so that they are translated with the rest of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 420
"""Narrow on purpose: scaled to a phone's width, the text stays legible."""
LABEL_CHARS = 17


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float
    show_label: bool = True
    show_value: bool = True


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    axis: tuple[float, float, float, float]
    """The baseline the bars stand on: x1, y1, x2, y2."""
    font_size: int
    label_anchor: str
    """`text-anchor` of the labels: right-aligned before horizontal bars, centred under
    columns."""
    value_anchor: str

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def top(self) -> Bar | None:
        """The longest bar (the first of equals), or None when every bar is zero."""
        best = max(self.bars, key=lambda bar: bar.value, default=None)
        return best if best is not None and best.value > 0 else None


def horizontal(items: Sequence[tuple[str, int]]) -> BarChart:
    """One bar per item, top to bottom, labels on the left and values after the bars."""
    label_width, value_width, row, bar, pad = 128.0, 44.0, 24.0, 17.0, 8.0
    area = WIDTH - label_width - value_width
    scale = area / max([value for _, value in items] + [1])
    bars = []
    for index, (label, value) in enumerate(items):
        y = pad + index * row
        length = round(value * scale, 1)
        bars.append(
            Bar(
                label=_short(label),
                value=value,
                x=label_width,
                y=y,
                width=length,
                height=bar,
                label_x=label_width - 8,
                label_y=y + bar - 3.5,
                value_x=label_width + length + 6,
                value_y=y + bar - 3.5,
            )
        )
    height = int(2 * pad + max(len(items), 1) * row)
    axis = (label_width, pad / 2, label_width, height - pad / 2)
    return BarChart(WIDTH, height, bars, axis, 13, label_anchor="end", value_anchor="start")


def vertical(items: Sequence[tuple[str, int]]) -> BarChart:
    """One column per item, left to right (months): at most six labels (every n-th),
    values above the columns while there is room for them (up to twelve)."""
    height, top, bottom, left, right = 200, 22.0, 30.0, 8.0, 8.0
    area_height = height - top - bottom
    slot = (WIDTH - left - right) / max(len(items), 1)
    scale = area_height / max([value for _, value in items] + [1])
    every = max(1, math.ceil(len(items) / 6))
    baseline = height - bottom
    bars = []
    for index, (label, value) in enumerate(items):
        x = left + index * slot
        length = round(value * scale, 1)
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(x + slot * 0.15, 1),
                y=round(baseline - length, 1),
                width=round(slot * 0.7, 1),
                height=length,
                label_x=round(x + slot / 2, 1),
                label_y=baseline + 18,
                value_x=round(x + slot / 2, 1),
                value_y=round(baseline - length - 5, 1),
                show_label=index % every == 0,
                show_value=len(items) <= 12,
            )
        )
    axis = (left, baseline, WIDTH - right, baseline)
    return BarChart(WIDTH, height, bars, axis, 12, label_anchor="middle", value_anchor="middle")


def _short(label: str) -> str:
    """Long names are cut in the chart; the table beside it has them whole."""
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"
