"""Small PNG line charts of weekly figures (matplotlib, headless Agg backend)."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot's first import

from matplotlib.figure import Figure
from PIL import Image

from offload.worker import run_bounded

T = TypeVar("T")

# Small on purpose: a Teams card shows a chart inline only under 16 kB (bot/teams/render.py).
_SIZE_INCHES = (6.0, 2.6)
_DPI = 72
_COLOURS = 32
# Drawing takes a tenth of a second; the cap is for a worker still starting (matplotlib's import).
DRAW_SECONDS = 30.0


async def drawn(build: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`build(*args, **kwargs)`, which draws charts, run in the CPU worker off the event loop.

    `build` must be a module-level function; its arguments and result travel by pickle.
    """
    return await run_bounded(build, *args, seconds=DRAW_SECONDS, **kwargs)


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
    drawn = io.BytesIO()
    figure.savefig(drawn, format="png", dpi=_DPI)
    return _few_colours(drawn.getvalue())


def _few_colours(png: bytes) -> bytes:
    # A line chart needs few colours: a palette PNG is a quarter of the size, small enough
    # for Slack previews and for a Teams card (whose whole card must stay under 24 kB).
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=_COLOURS)
    smaller = io.BytesIO()
    image.save(smaller, format="png", optimize=True)
    return smaller.getvalue()
