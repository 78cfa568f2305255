"""One chart per questionnaire over time, as an embeddable SVG with real alt text.

The x-axis is calendar time when the data have dates, else the administration number. The
y-axis spans the score's full range. Severity bands from the spec are shaded (a light
sequential ramp, lightest for the best band, each band also labelled in words, so colour is
never the only carrier); each cutoff is a dotted line with its rule; dosing sessions are
dashed vertical lines; an administration that could not be scored (an item skipped) is a
cross on the x-axis; for the clinician, an administration with a safety flag is a triangle.
The title states which direction is better. Colours are the Okabe-Ito palette (safe for the
common colour-vision deficiencies) and ColorBrewer's YlOrBr ramp for the bands.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.instrument import Instrument
from past_outcomes.report.caveats import is_unverified
from past_outcomes.report.data import ReportData, fmt

#: Okabe-Ito colours (Okabe & Ito 2008, "Color Universal Design").
LINE, DOSING, FLAG = "#0072B2", "#CC79A7", "#D55E00"
#: ColorBrewer YlOrBr, light end (sequential, colour-blind safe): best band first.
BAND_COLOURS = ("#ffffe5", "#fff7bc", "#fee391", "#fec44f", "#fe9929")


@dataclass(frozen=True)
class Chart:
    """An SVG chart as a ``data:`` URI, with its alt text."""

    uri: str
    alt: str


def direction_words(direction: str) -> str:
    return "higher is better" if direction == "higher-is-better" else "lower is better"


def plot_measure(rd: ReportData, client: str, instrument: str, *, audience: str) -> Chart:
    """The chart of ``instrument``'s primary score for ``client``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec = rd.instruments[instrument]
    column = spec.primary_scale.column
    rows = rd.client_rows(client)
    given = rows[rows[f"{instrument}_n_answered"] > 0]
    x_all = _x(rows, rd.has_dates)
    x = x_all.loc[given.index]
    scored = given[column].notna()
    with plt.rc_context({"svg.hashsalt": "past-outcomes", "svg.fonttype": "none", "font.size": 9}):
        fig, ax = plt.subplots(figsize=(7.5, 2.8), layout="constrained")
        lo, hi = spec.primary_scale.range
        _shade(ax, spec, column)
        for cut in spec.cutoffs(column):
            if cut.value is None:
                continue
            ax.axhline(cut.value, color="black", ls=":", lw=1.4, zorder=2,
                       label=f"cutoff {cut.rule_text}{_unverified_mark(cut)}")  # fmt: skip
        for k, xd in enumerate(x_all[rows["dosing"].to_numpy()]):
            ax.axvline(xd, color=DOSING, ls="--", lw=1.3, zorder=1,
                       label="dosing session" if k == 0 else None)  # fmt: skip
        ax.plot(x[scored], given.loc[scored, column], "-o", color=LINE, ms=5, zorder=4,
                label=spec.primary_scale.label)  # fmt: skip
        if (~scored).any():
            ax.plot(x[~scored], [lo] * int((~scored).sum()), "x", color="black", ms=8,
                    clip_on=False, zorder=5, label="not scorable (item skipped)")  # fmt: skip
        if audience == "clinician":
            _mark_flags(ax, rd, instrument, given, x, lo)
        ax.set_ylim(lo, hi)
        ax.set_ylabel(f"{spec.short_name} {spec.primary_scale.label.lower()}")
        ax.set_xlabel("date" if rd.has_dates else "administration")
        if not rd.has_dates:
            ax.set_xticks(sorted(set(x_all.astype(int))))
        else:  # concise month/day labels that do not overlap on a narrow chart
            import matplotlib.dates as mdates

            locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.set_title(
            f"{spec.short_name}: {spec.primary_scale.label} ({fmt(lo)}-{fmt(hi)}), "
            f"{direction_words(spec.direction(column))}", loc="left", fontsize=10,
        )  # fmt: skip
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7, frameon=False)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        plt.close(fig)
    uri = "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue().encode()).decode()
    return Chart(uri, alt_text(rd, client, instrument, given, audience=audience))


def _unverified_mark(classification: Any) -> str:
    """`` (not verified)`` after a cutoff its spec marks unverified (the caption says more)."""
    return " (not verified)" if is_unverified(classification) else ""


def _x(rows: pd.DataFrame, has_dates: bool) -> pd.Series:
    if has_dates:
        dates = rows["date"]
        if dates.notna().all():
            return dates
    return rows["administration"].astype(float)


def _shade(ax: Any, spec: Instrument, column: str) -> None:
    bands = spec.bands(column)
    if not bands:
        return
    parts = bands[0].bands
    n = len(parts)
    ramp = [BAND_COLOURS[k] for k in np.linspace(0, len(BAND_COLOURS) - 1, n).round().astype(int)]
    if spec.direction(column) == "higher-is-better":
        ramp = ramp[::-1]
    for k, band in enumerate(parts):
        low = band.min if k == 0 else (parts[k - 1].max + band.min) / 2
        high = band.max if k == n - 1 else (band.max + parts[k + 1].min) / 2
        ax.axhspan(low, high, color=ramp[k], zorder=0, lw=0)
        ax.text(
            0.005, (low + high) / 2, band.label, transform=ax.get_yaxis_transform(),
            va="center", ha="left", fontsize=7, color="#333333", zorder=3,
        )  # fmt: skip


def _mark_flags(
    ax: Any, rd: ReportData, instrument: str, given: pd.DataFrame, x: pd.Series, lo: float
) -> None:
    """A triangle on each administration whose safety flag fired (or could not be ruled out)."""
    from past_outcomes.report.flags import _safety_columns

    column = rd.instruments[instrument].primary_scale.column
    for i, flag_column, _item in _safety_columns(rd):
        if i != instrument:
            continue
        hit = given[flag_column].astype("boolean").fillna(True).to_numpy(dtype=bool)
        if hit.any():
            y = given[column].where(given[column].notna(), lo)
            ax.plot(x[hit], y[hit], "^", color=FLAG, ms=11, zorder=6, mec="black",
                    label="safety item: assess now")  # fmt: skip


def alt_text(
    rd: ReportData, client: str, instrument: str, given: pd.DataFrame, *, audience: str
) -> str:
    """A sentence a screen reader can read instead of the chart: what, when, how much."""
    spec = rd.instruments[instrument]
    column = spec.primary_scale.column
    lo, hi = spec.primary_scale.range
    scored = given[given[column].notna()]
    who = f"client {client}" if audience == "clinician" else "you"
    parts = [
        f"Line chart of the {spec.short_name} {spec.primary_scale.label.lower()} "
        f"(range {fmt(lo)} to {fmt(hi)}, {direction_words(spec.direction(column))}) for {who}"
    ]
    if len(scored):
        first, last = scored.iloc[0], scored.iloc[-1]
        span = (
            f"from {first['date']:%Y-%m-%d} to {last['date']:%Y-%m-%d}"
            if rd.has_dates and pd.notna(first["date"]) and pd.notna(last["date"])
            else f"from administration {int(first['administration'])} to "
            f"{int(last['administration'])}"
        )
        values = ", ".join(fmt(v) for v in scored[column])
        parts.append(f"{len(scored)} scored administration(s) {span}: {values}")
    else:
        parts.append("no administration could be scored")
    if len(scored) < len(given):
        parts.append(f"{len(given) - len(scored)} not scorable (an item skipped)")
    bands = spec.bands(column)
    if bands:
        parts.append(
            "shaded bands: "
            + "; ".join(f"{b.label} {fmt(b.min)}-{fmt(b.max)}" for b in bands[0].bands)
        )
    cuts = spec.cutoffs(column)
    if cuts:
        parts.append(
            "dotted line: cutoff " + "; ".join(c.rule_text + _unverified_mark(c) for c in cuts)
        )
    doses = rd.client_rows(client)
    doses = doses[doses["dosing"]]
    if len(doses):
        marks = (
            ", ".join(f"{d:%Y-%m-%d}" for d in doses["date"] if pd.notna(d))
            if rd.has_dates
            else ", ".join(str(int(a)) for a in doses["administration"])
        )
        parts.append(f"dashed lines: dosing sessions ({marks})")
    return ". ".join(parts) + "."
