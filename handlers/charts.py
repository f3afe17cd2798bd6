"""Small PNG line charts of weekly figures (matplotlib, headless Agg backend)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot's first import

from matplotlib.figure import Figure

# Small on purpose: under 16 kB a Teams card shows the chart inline (bot/teams/render.py).
_SIZE_INCHES = (6.0, 2.6)
_DPI = 72


def weekly_chart(
    *, title: str, labels: Sequence[str], series: Mapping[str, Sequence[int]]
) -> bytes:
    """A PNG with one line per series over the week labels (oldest first)."""
    figure = Figure(figsize=_SIZE_INCHES, dpi=_DPI)
    axes = figure.subplots()
    positions = range(len(labels))
    for name, values in series.items():
        axes.plot(positions, list(values), marker="o", markersize=3, linewidth=1.5, label=name)
    axes.set_title(title, fontsize=10)
    axes.set_xticks(list(positions), list(labels), fontsize=7)
    axes.tick_params(axis="y", labelsize=7)
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=7, frameon=False, loc="upper left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()
