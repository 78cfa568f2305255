"""Blinding indices from end-of-trial treatment guesses: Bang's per arm, James' overall.

At the end of a blinded trial each participant (or rater) is asked which arm they think they
were in: treatment, control, or don't know. ``compute_blinding_index`` cross-tabulates the
guesses (rows: guess treatment, guess control, don't know; columns: the arm assigned) and
reports:

**Bang's blinding index** per arm (Bang, Ni and Davis 2004, Control Clin Trials 25:143-156),
``BI_a = (2 p_correct|guessed - 1) (n_guessed / n_a) = (n_correct - n_incorrect) / n_a``, from
-1 (everyone guesses the other arm) through 0 (guesses at chance, or don't know) to 1
(everyone guesses right). Its variance is the multinomial variance of a difference of two
proportions, ``(p_c (1 - p_c) + p_i (1 - p_i) + 2 p_c p_i) / n_a`` with ``p_c``, ``p_i`` the
shares of correct and incorrect guesses in the arm.

**James' blinding index** overall (James, Bloch, Lee, Kraemer and Fuller 1996, Stat Med
15:1421-1434), a weighted kappa that counts don't know as blinded: with proportions ``P``
of all respondents, ``P_dk`` the share answering don't know, weights ``w`` (0 correct, 0.5
incorrect, 1 don't know), ``r_g`` and ``c_a`` the guess and arm margins among those who
guessed,
``P_o = sum w_ga P_ga / (1 - P_dk)``, ``P_e = sum w_ga r_g c_a / (1 - P_dk)^2``,
``kappa = (P_o - P_e) / P_e`` and ``BI = (1 + P_dk + (1 - P_dk) kappa) / 2``: 0 when every
guess is right, 0.5 at random guessing, 1 when everyone answers don't know (then SE 0, as
James 1996 p. 1425). Its variance is James' equation (the delta-method expression in
R ``BI``):
``var = (V1 + V2) / n``, ``V1 = sum_ga P_ga (1 - P_dk)^2 ((1 - P_dk) w_ga - (1 + kappa)
e_ga)^2 / (4 E^2)`` with ``e_ga = sum_r (w_ra r_r + w_gr c_r)`` and ``E = sum w_ga r_g c_a``,
``V2 = P_dk (1 - P_dk) - (1 - P_dk)(1 + kappa)(P_dk + (1 - P_dk)(1 + kappa) / 4)``.

Intervals are two-sided normal intervals, ``estimate +- z SE``, as R ``BI`` by default (Bang
2004 prefers one-sided limits for its index: read the relevant limit).

Written by hand; checked against R ``BI`` 1.2.0 (Schwartz and Mercaldo, CRAN) on the
published examples (CRISP, Bang 2004 table 7; Houweling et al. 2014 table 2) and on random
tables to 1e-12 (``tests/golden/blinding/make_golden.R``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from past_outcomes._checks import check_columns, check_dataframe
from past_outcomes.errors import ArgumentError, DataValidationError, EstimationError, short_repr
from past_outcomes.results import ResultBase, excluded_frame
from past_outcomes.stats._common import check_confidence, check_name

__all__ = ["BlindingIndexResult", "compute_blinding_index", "GUESSES"]

#: The three answers to "which arm do you think you were in?", in the order of ``counts``.
GUESSES = ("treatment", "control", "don't know")
#: Words read as "don't know" by default (compared without case and surrounding spaces).
DONT_KNOW_WORDS = ("don't know", "dont know", "do not know", "dont_know", "don't_know",
                   "do_not_know", "unknown", "dk", "not sure", "unsure")  # fmt: skip
#: James' default weights (rows: guess treatment, control, don't know; columns: arm
#: treatment, control): 0 for a correct guess, 0.5 for an incorrect one, 1 for don't know.
JAMES_WEIGHTS = np.array([[0.0, 0.5], [0.5, 0.0], [1.0, 1.0]])
#: Bang's conventional band of successful blinding (Bang et al. 2010; R BI documentation).
BANG_BAND = 0.2


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class BlindingIndexResult(ResultBase):
    """Result of :func:`compute_blinding_index`.

    Attributes
    ----------
    table : DataFrame
        Three rows, ``index, arm, n, estimate, se, ci_low, ci_high, reading``: Bang's index
        for the treatment and the control arm (``index`` "bang") and James' index overall
        (``index`` "james", ``arm`` "overall"); ``reading`` is the conventional
        interpretation of the estimate and its interval.
    counts : DataFrame
        The cross-tabulation: rows ``guess`` (treatment, control, don't know), one column
        per arm (treatment first).
    excluded : DataFrame
        Subjects set aside (``subject, reason, detail``): ``no-guess``, ``no-group``.
    treatment, control : Any
        The arms.
    guess : str
        The guess column.
    confidence : float
    index_notes : tuple of str
        Why an index is missing or its interval degenerate.
    """

    table: pd.DataFrame
    counts: pd.DataFrame
    excluded: pd.DataFrame
    treatment: Any
    control: Any
    guess: str
    confidence: float
    index_notes: tuple = ()
    title: str = "Blinding indices (Bang per arm, James overall)"

    def notes(self) -> list[str]:
        """The counts, how to read each index, and anything missing."""
        c = self.counts.to_numpy()
        sizes = "; ".join(
            f"{a!r}: {c[:, j].sum()} answers ({c[0, j]} treatment, {c[1, j]} control, "
            f"{c[2, j]} don't know)"
            for j, a in enumerate(self.counts.columns)
        )
        return [
            f"Guesses ({self.guess}) by arm: {sizes}.",
            "Bang's index (Bang, Ni and Davis 2004): (correct - incorrect guesses) / arm size; "
            f"near 0 (conventionally within +-{BANG_BAND:g}) is consistent with blinding, near 1 "
            "with unblinding, negative values with opposite guessing.",
            "James' index (James et al. 1996): 0 all guesses correct, 0.5 random guessing, 1 "
            "all don't know; an upper confidence limit below 0.5 suggests lack of blinding.",
            f"{self.confidence:.0%} two-sided normal intervals, as R BI (Bang 2004 reads a "
            "one-sided limit of its index).",
            *self.index_notes,
        ]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Each index with its interval (horizontal), with the reference lines of each
        reading (Bang 0 and +-0.2; James 0.5). Returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 2.8))
        t = self.table
        y = np.arange(len(t))[::-1]
        est = t["estimate"].to_numpy(float)
        err = np.vstack([est - t["ci_low"].to_numpy(float), t["ci_high"].to_numpy(float) - est])
        ax.errorbar(est, y, xerr=err, **{"fmt": "o", "capsize": 4, **kwargs})
        ax.axvline(0, color="grey", lw=0.8, ls=":")
        for x in (-BANG_BAND, BANG_BAND):
            ax.axvline(x, color="grey", lw=0.6, ls="--")
        ax.axvline(0.5, color="firebrick", lw=0.6, ls="--")
        labels = [f"Bang, {a}" if i == "bang" else "James, overall"
                  for i, a in zip(t["index"], t["arm"], strict=True)]  # fmt: skip
        ax.set_yticks(y, labels)
        ax.set_xlim(-1.05, 1.05)
        ax.set_xlabel("blinding index")
        ax.set_title(f"Blinding indices ({self.confidence:.0%} CI)")
        return ax


# --------------------------------------------------------------------------------------
# the indices (hand-written; see the module docstring for the formulas and sources)


def _bang(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bang's index and SE per arm from the 3 x 2 table (rows guess T, C, DK; cols arm T, C)."""
    n = counts.sum(axis=0)
    correct = np.array([counts[0, 0], counts[1, 1]], dtype=float)
    incorrect = np.array([counts[1, 0], counts[0, 1]], dtype=float)
    pc, pi = correct / n, incorrect / n
    var = (pc * (1 - pc) + pi * (1 - pi) + 2 * pc * pi) / n
    return pc - pi, np.sqrt(var)


def _james(counts: np.ndarray, weights: np.ndarray = JAMES_WEIGHTS) -> tuple[float, float]:
    """James' index and SE from the 3 x 2 table; NaN when the expected disagreement is 0."""
    n = counts.sum()
    P = counts / n
    p_dk = P[2].sum()
    if p_dk == 1.0:  # every answer don't know: index 1, SE 0 (James 1996, p. 1425)
        return 1.0, 0.0
    W, G = weights[:2], P[:2]
    r, c = G.sum(axis=1), G.sum(axis=0)  # guess and arm margins among those who guessed
    expected = float(np.sum(W * np.outer(r, c)))
    if expected == 0.0:
        return float("nan"), float("nan")
    q = 1.0 - p_dk
    p_o = float(np.sum(W * G)) / q
    p_e = expected / q**2
    kappa = (p_o - p_e) / p_e
    extra = (W @ c)[:, None] + (W.T @ r)[None, :]
    v1 = float(np.sum(G * q**2 * (q * W - (1 + kappa) * extra) ** 2)) / (4 * expected**2)
    v2 = p_dk * q - q * (1 + kappa) * (p_dk + q * (1 + kappa) / 4)
    var = (v1 + v2) / n
    se = np.sqrt(var) if var >= 0 else (0.0 if var > -1e-12 else float("nan"))
    return (1 + p_dk + q * kappa) / 2, float(se)


def _bang_reading(est: float, low: float, high: float) -> str:
    if not np.isfinite(est):
        return "not estimable"
    if not np.isfinite(low) or low == high:
        return "no interval (see notes)"
    if low > 0:
        return "more correct guesses than chance: suggests unblinding"
    if high < 0:
        return "more incorrect guesses than chance: opposite guessing"
    band = "within" if abs(est) <= BANG_BAND else "outside"
    return f"consistent with random guessing (estimate {band} +-{BANG_BAND:g})"


def _james_reading(est: float, low: float, high: float) -> str:
    if not np.isfinite(est):
        return "not estimable"
    if high < 0.5:
        return "upper limit below 0.5: suggests lack of blinding"
    return "upper limit at or above 0.5: no evidence of lack of blinding"


# --------------------------------------------------------------------------------------
# public function


def compute_blinding_index(
    data: pd.DataFrame,
    *,
    guess: str,
    group: str = "group",
    treatment: Any,
    control: Any,
    subject: str = "subject",
    confidence: float = 0.95,
    categories: Mapping[Any, str] | None = None,
) -> BlindingIndexResult:
    """Bang's blinding index per arm and James' index overall from treatment guesses.

    Parameters
    ----------
    data : DataFrame
        One row per subject, or long data where the guess is filled on one row (or the same
        guess on several) per subject; rows with an empty guess are ignored.
    guess : str
        The column holding each subject's guess of their arm.
    group, subject : str
        Arm and subject columns.
    treatment, control
        The two arms (labels of ``group``).
    confidence : float
        Level of the two-sided normal intervals.
    categories : mapping, optional
        Guess label -> ``"treatment"``, ``"control"`` or ``"don't know"``. Default: a guess
        equal to the treatment or control label (text compared without case), the words
        ``"treatment"`` and ``"control"``, and the words of :data:`DONT_KNOW_WORDS`.

    Returns
    -------
    BlindingIndexResult
        ``table`` (Bang per arm, James overall, with SE, interval and reading), ``counts``,
        ``excluded``, ``notes()``, ``plot()``.

    Raises
    ------
    ArgumentError
        A column is missing, an arm label is not in the data, ``categories`` maps to an
        unknown category.
    DataValidationError
        A guess label is not mapped (``unmapped-label``), a subject has two different guesses
        (``duplicate-observation``) or two arms (``inconsistent-group``), a subject id is
        missing (``missing-value``); ``failure_cases`` names the row, subject and value.
    EstimationError
        An arm has no subject with a guess.
    """
    check_dataframe("data", data)
    guess, group, subject = (check_name(n, v) for n, v in
                             (("guess", guess), ("group", group), ("subject", subject)))  # fmt: skip
    confidence = check_confidence(confidence)
    check_columns(data, list(dict.fromkeys([subject, group, guess])))
    _check_arms(data, group, treatment, control)
    lookup = _lookup(categories, treatment, control)
    per_subject, excluded = _subject_guesses(data, guess, group, subject, lookup,
                                             (treatment, control))  # fmt: skip
    counts = _count(per_subject, treatment, control)
    return _result(counts, excluded, treatment, control, guess, confidence)


# --------------------------------------------------------------------------------------
# steps


def _check_arms(data: pd.DataFrame, group: str, treatment: Any, control: Any) -> None:
    labels = _labels(data[group].tolist())
    for name, value in (("treatment", treatment), ("control", control)):
        if not any(_same(value, v) for v in labels):
            listed = ", ".join(short_repr(v) for v in labels[:20]) or "none"
            raise ArgumentError(
                f"{name} must be a label of the column {group!r} ({listed}); got "
                f"{short_repr(value)}. Check the spelling and the type (1 is not '1')."
            )
    if _same(treatment, control):
        raise ArgumentError(
            f"treatment and control must be different arms; got {short_repr(treatment)} for "
            "both. Pass the two arms compared."
        )


def _labels(values: list) -> list:
    """The distinct present values, in order of appearance, as Python values (pd.unique
    compares NumPy scalars in NumPy and warns on overflow: np.float32(1.5) vs 1e249)."""
    seen: dict[Any, Any] = {}
    for v in values:
        if _missing(v):
            continue
        v = _plain(v)
        try:
            seen.setdefault((isinstance(v, bool), v), v)
        except TypeError:  # an unhashable cell
            seen.setdefault(("unhashable", id(v)), v)
    return list(seen.values())


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _same(a: Any, b: Any) -> bool:
    """Equal labels; booleans apart from numbers; NumPy scalars compared as Python values."""
    a, b = _plain(a), _plain(b)
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _key(value: Any) -> Any:
    """A lookup key: text without case and surrounding spaces; booleans kept apart from 0/1."""
    if isinstance(value, str):
        return ("text", " ".join(value.strip().casefold().split()))
    if isinstance(value, (bool, np.bool_)):
        return ("bool", bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        try:
            return ("number", float(value))
        except OverflowError:  # an integer beyond float range: only equal to itself
            return ("number", int(value))
    try:
        hash(value)
    except TypeError:
        return ("unhashable", id(value))
    return ("other", value)


def _lookup(categories: Mapping[Any, str] | None, treatment: Any, control: Any) -> dict:
    if categories is None:
        table = {_key(w): "don't know" for w in DONT_KNOW_WORDS}
        table |= {_key("treatment"): "treatment", _key("control"): "control"}
        table |= {_key(treatment): "treatment", _key(control): "control"}
        return table
    if not isinstance(categories, Mapping) or not categories:
        raise ArgumentError(
            "categories must be a non-empty mapping guess label -> 'treatment', 'control' or "
            f"\"don't know\"; got {short_repr(categories)}. Pass e.g. {{'MDMA': 'treatment', "
            "'placebo': 'control', 'not sure': \"don't know\"}."
        )
    bad = {k: v for k, v in categories.items() if v not in GUESSES}
    if bad:
        k, v = next(iter(bad.items()))
        raise ArgumentError(
            f"categories must map each label to one of {', '.join(map(repr, GUESSES))}; got "
            f"{short_repr(k)} -> {short_repr(v)}. Use those three words."
        )
    return {_key(k): v for k, v in categories.items()}


def _subject_guesses(data, guess, group, subject, lookup, arms):
    """One (arm, category) per subject with a guess; the excluded; every data error at once."""
    failures: list[dict[str, Any]] = []
    seen: dict[Any, tuple[Any, str, Any, Any]] = {}  # subject -> (label, category, row, arm)
    arm_of: dict[Any, tuple[Any, Any]] = {}  # subject -> (arm, row)
    for row, sid, arm, value in zip(data.index, data[subject], data[group], data[guess],
                                    strict=True):  # fmt: skip
        if _missing(sid):
            failures.append(_failure(row, None, subject, sid, "missing-value",
                                     f"row {row!r}: the subject id is missing; fill it in"))  # fmt: skip
            continue
        if not _missing(arm):
            first = arm_of.setdefault(sid, (arm, row))
            if not _same(first[0], arm):
                failures.append(_failure(row, sid, group, arm, "inconsistent-group",
                    f"row {row!r}, subject {sid}: arm {short_repr(arm)}, but "
                    f"{short_repr(first[0])} in row {first[1]!r}; one arm per subject"))  # fmt: skip
        if _missing(value):
            continue
        category = lookup.get(_key(value))
        if category is None:
            failures.append(_failure(row, sid, guess, value, "unmapped-label",
                f"row {row!r}, subject {sid}: guess {short_repr(value)} is not a known label "
                "(treatment, control or don't know); map it with categories="))  # fmt: skip
            continue
        before = seen.setdefault(sid, (value, category, row, arm))
        if before[1] != category:
            failures.append(_failure(row, sid, guess, value, "duplicate-observation",
                f"row {row!r}, subject {sid}: guess {short_repr(value)}, but "
                f"{short_repr(before[0])} in row {before[2]!r}; keep one guess per subject"))  # fmt: skip
    if failures:
        raise DataValidationError(
            pd.DataFrame(failures), context="compute_blinding_index",
            remedy="Fix these rows, or map the guess labels with categories=.",
        )  # fmt: skip
    return _split(seen, arm_of, arms, group)


def _split(seen, arm_of, arms, group):
    kept, excluded = [], []
    for sid, (arm, _) in arm_of.items():
        in_arms = any(_same(arm, a) for a in arms)
        if not in_arms:
            excluded.append({"subject": sid, "reason": "no-group", "detail": f"{group} = {arm!r}"})
        elif sid not in seen:
            excluded.append({"subject": sid, "reason": "no-guess", "detail": ""})
        else:
            kept.append((arm, seen[sid][1]))
    for sid in seen:
        if sid not in arm_of:
            excluded.append({"subject": sid, "reason": "no-group", "detail": f"{group} missing"})
    return kept, excluded_frame(excluded)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _failure(row, sid, column, value, reason, message) -> dict[str, Any]:
    return {"row": row, "subject": sid, "timepoint": None, "column": column, "value": value,
            "reason": reason, "message": message}  # fmt: skip


def _count(per_subject: list, treatment: Any, control: Any) -> np.ndarray:
    counts = np.zeros((3, 2), dtype=int)
    for arm, category in per_subject:
        counts[GUESSES.index(category), 0 if _same(arm, treatment) else 1] += 1
    for j, label in enumerate((treatment, control)):
        if counts[:, j].sum() == 0:
            raise EstimationError(
                f"blinding indices need at least one guess in each arm; arm {label!r} has "
                "none (no subject of it answered the guess question). Check the guess column "
                "and the arm labels."
            )
    return counts


def _result(counts, excluded, treatment, control, guess, confidence) -> BlindingIndexResult:
    z = stats.norm.ppf(0.5 + confidence / 2)
    bang, bang_se = _bang(counts.astype(float))
    james, james_se = _james(counts.astype(float))
    rows, notes = [], []
    for j, arm in enumerate((treatment, control)):
        est, se = float(bang[j]), float(bang_se[j])
        low, high = est - z * se, est + z * se
        if counts[2, j] == counts[:, j].sum():
            notes.append(f"Bang's index of {arm!r}: every answer was don't know, so the index "
                         "is 0 with no sampling variation (a degenerate interval).")  # fmt: skip
        rows.append(("bang", arm, int(counts[:, j].sum()), est, se, low, high,
                     _bang_reading(est, low, high)))  # fmt: skip
    low, high = james - z * james_se, james + z * james_se
    if not np.isfinite(james):
        notes.append("James' index is not estimable: no disagreement is expected by chance "
                     "(every guess names one arm, or one arm has only don't know).")  # fmt: skip
    elif counts[2].sum() == counts.sum():
        notes.append("James' index is 1 with SE 0: every answer was don't know (James 1996).")
    rows.append(("james", "overall", int(counts.sum()), james, james_se, low, high,
                 _james_reading(james, low, high)))  # fmt: skip
    columns = ["index", "arm", "n", "estimate", "se", "ci_low", "ci_high", "reading"]
    table = pd.DataFrame(rows, columns=columns)
    counts_frame = pd.DataFrame(counts, index=pd.Index(GUESSES, name="guess"),
                                columns=pd.Index([treatment, control], name="arm"))  # fmt: skip
    return BlindingIndexResult(table=table, counts=counts_frame, excluded=excluded,
                               treatment=treatment, control=control, guess=guess,
                               confidence=confidence, index_notes=tuple(notes))  # fmt: skip
