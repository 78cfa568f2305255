"""Drawing the CONSORT 2010 flow diagram of a :class:`~past_outcomes.consort.ConsortResult`.

The layout follows the CONSORT 2010 template (Schulz, Altman and Moher 2010, BMJ 340:c332,
figure 1): enrollment at the top (assessed for eligibility, with the excluded box to its
right, then randomized), then one column per arm with the allocation, follow-up and analysis
boxes, each stage headed by a shaded label, arrows joining the boxes. The axes are measured in
inches (one data unit = one inch of the new figure), so text never scales with the number of
arms; boxes grow with the number of reasons they list.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from past_outcomes.consort import ConsortResult

_BOX_W = 3.6  # width of an arm's box (inches)
_GAP = 0.5  # between arm columns
_PAD = 0.09  # inside a box
_HEADER_H = 0.32  # a stage label
_V_GAP = 0.32  # between a box and the next stage label
_ENROL_W = 2.6  # width of the enrollment boxes
_MARGIN = 0.12


def _line_height(fontsize: float) -> float:
    return fontsize * 1.35 / 72.0


def _wrap(lines: list[str], width: float, fontsize: float) -> list[str]:
    """Wrap each line to the box width (an average character is about 0.55 em)."""
    chars = max(12, int((width - 2 * _PAD) * 72.0 / (0.52 * fontsize)))
    out: list[str] = []
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        out += textwrap.wrap(
            line.strip(), chars - indent, initial_indent=" " * indent,
            subsequent_indent=" " * (indent + 2),
        ) or [""]  # fmt: skip
    return out


class _Canvas:
    """Boxes and arrows on an Axes whose units are inches, y growing downwards."""

    def __init__(self, ax: Any, fontsize: float) -> None:
        """``ax``: the Axes drawn on; ``fontsize`` in points."""
        self.ax = ax
        self.fontsize = fontsize

    def height(self, lines: list[str], width: float) -> float:
        n = len(_wrap(lines, width, self.fontsize))
        return 2 * _PAD + n * _line_height(self.fontsize)

    def box(self, x: float, y: float, width: float, lines: list[str], height: float) -> None:
        """A box whose top-left corner is (x, y); the first line bold."""
        from matplotlib.patches import Rectangle

        self.ax.add_patch(Rectangle((x, y), width, height, fill=False, lw=1.0, ec="black"))
        wrapped = _wrap(lines, width, self.fontsize)
        lh = _line_height(self.fontsize)
        for k, text in enumerate(wrapped):
            self.ax.text(
                x + _PAD, y + _PAD + k * lh, text, ha="left", va="top",
                fontsize=self.fontsize, fontweight="bold" if k == 0 else "normal",
                family="DejaVu Sans",
            )  # fmt: skip

    def header(self, x_mid: float, y: float, text: str) -> None:
        from matplotlib.patches import FancyBboxPatch

        w = 1.4
        self.ax.add_patch(
            FancyBboxPatch(
                (x_mid - w / 2, y + 0.04), w, _HEADER_H - 0.08,
                boxstyle="round,pad=0.02,rounding_size=0.08", fc="#cfe2f3", ec="#6f8fb0",
                zorder=5,
            )
        )  # fmt: skip
        # above the arrows: with one arm, the arrow runs under the label
        self.ax.text(x_mid, y + _HEADER_H / 2, text, ha="center", va="center",
                     fontsize=self.fontsize, fontweight="bold", zorder=6)  # fmt: skip

    def arrow(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.ax.annotate(
            "", xy=(x1, y1), xytext=(x0, y0),
            arrowprops={"arrowstyle": "-|>", "lw": 1.0, "color": "black", "shrinkA": 0,
                        "shrinkB": 0},
        )  # fmt: skip

    def line(self, xs: list[float], ys: list[float]) -> None:
        self.ax.plot(xs, ys, color="black", lw=1.0, solid_capstyle="butt")


def _n(count: int) -> str:
    """ "(n = 12)" with no-break spaces, so that wrapping never splits it."""
    return f"(n\u00a0=\u00a0{count})"


def _reasons(result: ConsortResult, box: str, group: Any) -> list[str]:
    t = result.table
    sel = (t["box"] == box) & (t["detail"] != "")
    sel &= t["group"].isna() if group is None else (t["group"] == group)
    return [
        f"    {d} {_n(int(n))}" for d, n in zip(t.loc[sel, "detail"], t.loc[sel, "n"], strict=True)
    ]


def _arm_lines(result: ConsortResult, g: Any) -> dict[str, list[str]]:
    c = result.count
    return {
        "Allocation": [
            f"Allocated to {g} {_n(c('allocated', g))}",
            f"  Received allocated intervention {_n(c('received allocated intervention', g))}",
            "  Did not receive allocated intervention "
            f"{_n(c('did not receive allocated intervention', g))}",
            *_reasons(result, "did not receive allocated intervention", g),
        ],
        "Follow-up": [
            f"Discontinued {_n(c('discontinued', g))}",
            *_reasons(result, "discontinued", g),
            f"  Completed follow-up {_n(c('completed follow-up', g))}",
        ],
        "Analysis": [
            f"Analysed {_n(c('analysed', g))}",
            f"  Excluded from analysis {_n(c('excluded from analysis', g))}",
            *_reasons(result, "excluded from analysis", g),
        ],
    }


def _enrollment(canvas: _Canvas, result: ConsortResult, x_mid: float, y: float) -> float:
    """The enrollment boxes centred on ``x_mid`` from ``y``; returns the y below them."""
    c = result.count
    canvas.header(x_mid, y, "Enrollment")
    y += _HEADER_H + 0.08
    if result.screened:
        top = [f"Assessed for eligibility {_n(c('assessed for eligibility'))}"]
        h = canvas.height(top, _ENROL_W)
        canvas.box(x_mid - _ENROL_W / 2, y, _ENROL_W, top, h)
        side = [
            f"Excluded {_n(c('excluded before randomization'))}",
            *_reasons(result, "excluded before randomization", None),
        ]
        hs = canvas.height(side, _ENROL_W)
        y_side = y + h + 0.2
        x_side = x_mid + _ENROL_W / 2 + _GAP
        canvas.box(x_side, y_side, _ENROL_W, side, hs)
        canvas.arrow(x_mid, y_side + hs / 2, x_side, y_side + hs / 2)
        y_rand = y_side + hs + 0.2
        canvas.arrow(x_mid, y + h, x_mid, y_rand)
        y = y_rand
    lines = [f"Randomized {_n(c('randomized'))}"]
    h = canvas.height(lines, _ENROL_W)
    canvas.box(x_mid - _ENROL_W / 2, y, _ENROL_W, lines, h)
    return y + h


def draw_consort(result: ConsortResult, ax: Any = None, *, fontsize: float = 9.0) -> Any:
    """Draw ``result`` on ``ax`` (a new figure sized to the diagram when None); the Axes."""
    import matplotlib.pyplot as plt

    groups = list(result.groups)
    k = len(groups)
    arms_w = k * _BOX_W + (k - 1) * _GAP
    enrol_w = 2 * (_ENROL_W * 1.5 + _GAP) if result.screened else _ENROL_W
    width = max(arms_w, enrol_w) + 2 * _MARGIN
    x_mid = width / 2
    centres = [x_mid - arms_w / 2 + i * (_BOX_W + _GAP) + _BOX_W / 2 for i in range(k)]
    new_figure = ax is None
    if ax is None:
        fig = plt.figure(figsize=(width, 8.0))
        ax = fig.add_axes((0, 0, 1, 1))
    canvas = _Canvas(ax, fontsize)
    per_arm = [_arm_lines(result, g) for g in groups]
    y = _enrollment(canvas, result, x_mid, _MARGIN)
    y_bar = y + 0.18
    canvas.line([x_mid, x_mid], [y, y_bar])
    if k > 1:
        canvas.line([centres[0], centres[-1]], [y_bar, y_bar])
    bottom = y_bar
    for stage in ("Allocation", "Follow-up", "Analysis"):
        h = max(canvas.height(lines[stage], _BOX_W) for lines in per_arm)
        y_head = bottom + _V_GAP
        canvas.header(x_mid, y_head, stage)
        y_box = y_head + _HEADER_H + 0.1
        for centre, lines in zip(centres, per_arm, strict=True):
            canvas.arrow(centre, bottom, centre, y_box)
            canvas.box(centre - _BOX_W / 2, y_box, _BOX_W, lines[stage], h)
        bottom = y_box + h
    height = bottom + _MARGIN
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    if new_figure:  # one data unit = one inch
        ax.figure.set_size_inches(width, height)
    return ax
