"""Static charts for the packs: matplotlib (Agg, no display, no download), Okabe-Ito colours plus hatching
or markers so that colour is never the only cue. Each returns PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)
import pandas as pd  # noqa: E402

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
HATCHES = ["", "//", "..", "xx", "\\\\", "++"]
MARKERS = ["o", "s", "D", "^", "v", "*"]
WIDTH_INCHES = 6.3  # fits A4 portrait between 2 cm margins


def _png(fig: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=150)
    plt.close(fig)
    return buffer.getvalue()


def _label(text: object, limit: int = 38) -> str:
    """A label from the data as plain text (no mathtext: '$' is escaped), shortened to fit."""
    value = str(text).replace("$", r"\$")
    return value if len(value) <= limit else value[: limit - 1] + "…"


def ranked_bars(
    labels: Sequence[str], values: Sequence[float], roles: Sequence[str], title: str, axis: str
) -> bytes:
    """Horizontal bars, largest first; the selected area hatched and England dotted (not colour alone)."""
    height = max(2.2, 0.32 * len(labels) + 1.0)
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, height))
    colours = {"selected": OKABE_ITO[3], "England": OKABE_ITO[7]}
    hatches = {"selected": "//", "England": ".."}
    positions = range(len(labels))
    bars = ax.barh(
        list(positions),
        [0 if pd.isna(v) else v for v in values],
        color=[colours.get(r, OKABE_ITO[0]) for r in roles],
        edgecolor="black",
        linewidth=0.4,
    )
    for bar, role in zip(bars, roles, strict=True):
        bar.set_hatch(hatches.get(role, ""))
    for y, value in zip(positions, values, strict=True):
        if not pd.isna(value):
            ax.text(value + 0.3, y, f"{value:.1f}%", va="center", fontsize=7)
    ax.set_yticks(list(positions), [_label(t) for t in labels], fontsize=7)
    ax.invert_yaxis()
    low = min((v for v in values if not pd.isna(v)), default=0.0)
    ax.set_xlim(max(0.0, low - 10), 104)
    ax.set_xlabel(axis, fontsize=8)
    ax.set_title(title, fontsize=9)
    return _png(fig)


def grouped_bars(
    categories: Sequence[str], series: dict[str, Sequence[float]], title: str, axis: str
) -> bytes:
    """Vertical grouped bars (e.g. schools per register level then and now), each series hatched."""
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, 2.8))
    count = max(1, len(series))
    width = 0.8 / count
    for number, (name, values) in enumerate(series.items()):
        xs = [i + (number - (count - 1) / 2) * width for i in range(len(categories))]
        bars = ax.bar(
            xs,
            list(values),
            width,
            label=_label(name),
            color=OKABE_ITO[number % 8],
            edgecolor="black",
            linewidth=0.4,
            hatch=HATCHES[number % len(HATCHES)],
        )
        ax.bar_label(bars, fontsize=7)
    ax.set_xticks(
        range(len(categories)), [_label(c, 22) for c in categories], fontsize=7, rotation=20, ha="right"
    )
    ax.set_ylabel(axis, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return _png(fig)


def lines(frame: pd.DataFrame, x: str, columns: Sequence[str], title: str, axis: str) -> bytes:
    """One line per column over `x` (dates), each with its own marker."""
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, 2.8))
    for number, column in enumerate(columns):
        ax.plot(
            frame[x],
            frame[column],
            label=_label(column),
            color=OKABE_ITO[number % 8],
            marker=MARKERS[number % len(MARKERS)],
            markersize=3,
            linewidth=1.2,
        )
    ax.set_ylabel(axis, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", linewidth=0.3)
    ax.legend(fontsize=7)
    return _png(fig)
