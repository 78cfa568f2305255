"""Reliable change: the six RCI methods as one table of formulas, and ``classify_change``.

:data:`RCI_METHODS` maps a method id to an :class:`RCIMethod`: its name, citation, the R
function it matches, whether its test is one-sided, and three formulas over the
:class:`RCIParameters` (reliability, SDs and sample moments): the standard error, the index
per subject and the centre line of the band of no reliable change. Adding a method is adding
one entry.

:func:`classify_change` runs named steps: :func:`_resolve_arguments` (direction, reliability
and the numbers given, with where each came from) -> :func:`_resolve_parameters` (sample
moments and the SD of the SEM) -> :func:`compute_rci` -> :func:`_classify_reliable` ->
clinical significance (:mod:`past_outcomes.change.cutoffs`) -> :func:`_assemble`.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import check_columns, check_dataframe, check_number, check_option
from past_outcomes._long import no_spread
from past_outcomes.change.cutoffs import (
    CUTOFF_TYPES,
    Cutoff,
    Population,
    check_populations,
    classify_significance,
    compute_cutoff,
    resolve_populations,
)
from past_outcomes.change.difference import (
    CHANGE_CATEGORIES,
    RELIABLE_LABELS,
    ChangeClassification,
    PairedScores,
    change_columns,
    count_labels,
    pair_scores,
    scale_direction,
    with_missing,
)
from past_outcomes.errors import ArgumentError, SampleEstimateWarning
from past_outcomes.instrument import DIRECTIONS, ChangeCriteria, Instrument, load_instrument

__all__ = ["RCI_METHODS", "RCIMethod", "RCIParameters", "classify_change", "compute_rci"]


# --------------------------------------------------------------------------------------------
# the table of formulas
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RCIParameters:
    """What the formulas read. ``m_pre, m_post, sd_post, r_pp``: sample values over the
    subjects with both scores; ``sd_pre``: the SD in the SEM (an argument or the sample's);
    ``r_yy``: NK's reliability at post; ``r_dd``: HA's reliability of the differences
    (set by :func:`_ha_prepare`)."""

    r_xx: float
    sd_pre: float
    m_pre: float
    m_post: float
    sd_post: float
    r_pp: float
    n_complete: int
    r_yy: float | None = None
    r_dd: float | None = None

    @property
    def sem(self) -> float:
        """Standard error of measurement, ``SD_pre sqrt(1 - r_xx)``."""
        return self.sd_pre * math.sqrt(1 - self.r_xx)

    @property
    def s_diff(self) -> float:
        """Standard error of a difference, ``sqrt(2) SEM``."""
        return math.sqrt(2) * self.sem

    @property
    def se_pred(self) -> float:
        """Standard error of prediction, ``SD_pre sqrt(1 - r_xx^2)`` (GLN, HLL)."""
        return self.sd_pre * math.sqrt(1 - self.r_xx**2)


Index = Callable[[RCIParameters, np.ndarray, np.ndarray, float], np.ndarray]


@dataclasses.dataclass(frozen=True)
class RCIMethod:
    """One RCI method.

    ``standard_error(p)`` is the denominator, ``index(p, pre, post, se)`` the RCI per
    subject, ``center(p)`` the ``(intercept, slope, scale)`` for which ``rci = (post -
    (intercept + slope * pre)) / scale`` (the band the plot draws), ``prepare(p)`` checks the
    data the method needs and derives what it adds (HA's ``r_dd``).
    """

    name: str
    citation: str
    r_function: str
    one_sided: bool
    standard_error: Callable[[RCIParameters], float]
    index: Index
    center: Callable[[RCIParameters, float], tuple[float, float, float]]
    prepare: Callable[[RCIParameters], RCIParameters] = lambda p: p


def _regressed(p: RCIParameters, x: np.ndarray) -> np.ndarray:
    """The pre score regressed to the mean: ``r_xx (pre - M_pre) + M_pre`` (EN, NK)."""
    return p.r_xx * (x - p.m_pre) + p.m_pre


def _nk_se(p: RCIParameters) -> float:
    assert p.r_yy is not None
    return math.sqrt(p.r_xx**2 * p.sd_pre**2 * (1 - p.r_xx) + p.sd_pre**2 * (1 - p.r_yy))


def _ha_prepare(p: RCIParameters) -> RCIParameters:
    """HA's ``r_dd = (SD_pre^2 r1 + SD_post^2 r2 - 2 SD_pre SD_post r_pp) / (SD_pre^2 +
    SD_post^2 - 2 SD_pre SD_post r_pp)``, ``r_g = (SD_g^2 - SEM^2) / SD_g^2``, divided
    through by SD_post^2 (``q = SD_pre / SD_post``) so that no square of a score is formed:
    ``r1 = 1 - SEM^2 / SD_pre^2 = r_xx`` exactly."""
    if not (p.sd_post > 0) or math.isnan(p.r_pp):
        raise ArgumentError(
            "method 'ha' needs post scores that vary and at least 3 complete pairs (it uses "
            f"the pre-post correlation); got SD_post {p.sd_post:.4g} over {p.n_complete} pairs. "
            "Use method='jt'."
        )
    q = p.sd_pre / p.sd_post
    r1 = p.r_xx
    r2 = 1 - (1 - p.r_xx) * q**2
    cross = 2 * q * p.r_pp
    r_dd = (q**2 * r1 + r2 - cross) / (q**2 + 1 - cross)
    if not r_dd > 0:
        raise ArgumentError(
            "method 'ha' needs a positive reliability of the difference scores r_dd; got "
            f"{r_dd:.4g} from these data. Use method='jt'."
        )
    return dataclasses.replace(p, r_dd=r_dd)


def _ha_index(p: RCIParameters, x: np.ndarray, y: np.ndarray, se: float) -> np.ndarray:
    r_dd = p.r_dd
    assert r_dd is not None
    return ((y - x) * r_dd + (p.m_post - p.m_pre) * (1 - r_dd)) / se


def _ha_center(p: RCIParameters, se: float) -> tuple[float, float, float]:
    r_dd = p.r_dd
    assert r_dd is not None
    return (-(p.m_post - p.m_pre) * (1 - r_dd) / r_dd, 1.0, p.s_diff / math.sqrt(r_dd))


#: The reliable change methods, id -> formulas. Formulas as in the R package
#: clinicalsignificance 3.0 (Claus, Wager & Bonnet 2024, J Stat Softw 111(1)), R/calc_rci.R;
#: ``r_function`` names the method of its generic ``calc_rci`` (chosen by
#: ``cs_distribution(rci_method = ...)``).
RCI_METHODS: dict[str, RCIMethod] = {
    "jt": RCIMethod(
        name="Jacobson-Truax",
        citation="Jacobson & Truax (1991), J Consult Clin Psychol 59(1):12-19",
        r_function="calc_rci.cs_jt",
        one_sided=False,
        standard_error=lambda p: p.s_diff,
        index=lambda p, x, y, se: (y - x) / se,  # (post - pre) / S_diff
        center=lambda p, se: (0.0, 1.0, se),
    ),
    "gln": RCIMethod(
        name="Gulliksen-Lord-Novick",
        citation="Hsu (1989), Behav Assess 11:459-467",
        r_function="calc_rci.cs_gln",
        one_sided=False,
        standard_error=lambda p: p.se_pred,
        # [(post - M_pre) - r_xx (pre - M_pre)] / SE_pred
        index=lambda p, x, y, se: ((y - p.m_pre) - p.r_xx * (x - p.m_pre)) / se,
        center=lambda p, se: (p.m_pre * (1 - p.r_xx), p.r_xx, se),
    ),
    "hll": RCIMethod(
        name="Hsu-Lin-Lord",
        citation="Hsu (1995), J Consult Clin Psychol 63(1):141-144",
        r_function="calc_rci.cs_hll",
        one_sided=False,
        standard_error=lambda p: p.se_pred,
        # [(post - M_post) - r_xx (pre - M_pre)] / SE_pred
        index=lambda p, x, y, se: ((y - p.m_post) - p.r_xx * (x - p.m_pre)) / se,
        center=lambda p, se: (p.m_post - p.r_xx * p.m_pre, p.r_xx, se),
    ),
    "en": RCIMethod(
        name="Edwards-Nunnally",
        citation="Speer (1992), J Consult Clin Psychol 60(3):402-408",
        r_function="calc_rci.cs_en",
        one_sided=False,
        standard_error=lambda p: p.sem,
        index=lambda p, x, y, se: (y - _regressed(p, x)) / se,  # [post - regressed pre] / SEM
        center=lambda p, se: (p.m_pre * (1 - p.r_xx), p.r_xx, se),
    ),
    "nk": RCIMethod(
        name="Nunnally-Kotsch",
        citation="Nunnally & Kotsch (1983), Br J Clin Psychol 22:83-93",
        r_function="calc_rci.cs_nk",
        one_sided=False,
        # sqrt(r_xx^2 SD_pre^2 (1 - r_xx) + SD_pre^2 (1 - r_yy))
        standard_error=_nk_se,
        index=lambda p, x, y, se: (y - _regressed(p, x)) / se,
        center=lambda p, se: (p.m_pre * (1 - p.r_xx), p.r_xx, se),
    ),
    "ha": RCIMethod(
        name="Hageman-Arrindell",
        citation="Hageman & Arrindell (1999), Behav Res Ther 37(12):1169-1193",
        r_function="calc_rci.cs_ha",
        one_sided=True,
        # [(post - pre) r_dd + (M_post - M_pre)(1 - r_dd)] / (sqrt(r_dd) S_diff)
        standard_error=lambda p: math.sqrt(p.r_dd or math.nan) * p.s_diff,
        index=_ha_index,
        center=_ha_center,
        prepare=_ha_prepare,
    ),
}


def critical_value(method: str, confidence: float) -> float:
    """The critical |RCI|: ``z((1 + confidence) / 2)``, or ``z(confidence)`` for a one-sided
    method (HA)."""
    q = confidence if RCI_METHODS[method].one_sided else (1 + confidence) / 2
    return NormalDist().inv_cdf(q)


@dataclasses.dataclass(frozen=True)
class RCI:
    """The index per subject (missing where a score is) and what it rests on."""

    values: np.ndarray
    params: RCIParameters
    standard_error: float
    center: tuple[float, float, float]


def compute_rci(method: str, params: RCIParameters, x: np.ndarray, y: np.ndarray) -> RCI:
    """The RCI of ``method`` for pre scores ``x`` and post scores ``y``."""
    spec = RCI_METHODS[method]
    params = spec.prepare(params)
    se = spec.standard_error(params)
    complete = ~(np.isnan(x) | np.isnan(y))
    values = np.where(complete, spec.index(params, x, y, se), np.nan)
    return RCI(values, params, se, spec.center(params, se))


# --------------------------------------------------------------------------------------------
# step 1: arguments
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Arguments:
    """Everything known before the data are paired, with the source of each value."""

    inst: Instrument | None
    criteria: ChangeCriteria | None
    direction: str
    direction_source: str
    r_xx: float
    r_source: str
    r_yy: float | None
    r_yy_source: str | None

    @property
    def sign(self) -> float:
        return 1.0 if self.direction == "higher-is-better" else -1.0

    def cite(self, key: str) -> str:
        assert self.inst is not None
        return _cite(self.inst, key)


def _cite(inst: Instrument, key: str) -> str:
    """A spec's source key with its citation text."""
    text = inst.sources.get(key)
    return f"{inst.id} spec, {key}: {text}" if text else f"{inst.id} spec, {key}"


def _resolve_direction(
    inst: Instrument | None, measure: str, direction: str | None
) -> tuple[str, str]:
    if direction is not None:
        check_option("direction", direction, DIRECTIONS)
    if inst is None:
        if direction is None:
            raise ArgumentError(
                "direction must be given when no instrument is; got neither. Pass "
                "instrument='phq9' (for example) or direction='lower-is-better'."
            )
        return direction, "argument"
    spec_direction = scale_direction(inst, measure, "measure")
    if direction is not None and direction != spec_direction:
        raise ArgumentError(
            f"direction must agree with the {inst.id} spec, which declares {measure} "
            f"{spec_direction}; got {direction!r}. Drop direction= or correct the spec."
        )
    return spec_direction, f"{inst.id} spec"


def _check_reliability(name: str, value: Any) -> float:
    return check_number(
        name, value, low=0, high=1, low_open=True, high_open=True,
        remedy="Pass a reliability coefficient such as Cronbach's alpha or a test-retest "
        "correlation.",
    )  # fmt: skip


def _resolve_reliability(
    inst: Instrument | None, criteria: ChangeCriteria | None, measure: str, reliability: Any
) -> tuple[float, str]:
    """r_xx from the argument, else the spec; an error naming the remedy otherwise."""
    if reliability is not None:
        return _check_reliability("reliability", reliability), "argument"
    if inst is not None and criteria is not None and criteria.reliability is not None:
        return criteria.reliability.value, _cite(inst, criteria.reliability.source)
    hint = ""
    if criteria is not None and criteria.reliable_change is not None:
        hint = (
            f" (The spec gives a reliable-change threshold of "
            f"{criteria.reliable_change.value:g} points, {criteria.reliable_change.source}, "
            "usable as a change rule in classify_responders.)"
        )
    where = f"the {inst.id} spec declares none for {measure}" if inst else "no instrument"
    raise ArgumentError(
        f"classify_change needs the reliability of {measure}; {where} and reliability= is "
        f"None. Pass reliability= (e.g. a published test-retest or internal-consistency "
        f"coefficient) with its source.{hint}"
    )


def _resolve_arguments(
    data: Any,
    *,
    measure: str,
    instrument: Any,
    method: str,
    reliability: Any,
    reliability_post: Any,
    direction: str | None,
) -> _Arguments:
    """Direction, r_xx and (NK) r_yy, each with its source."""
    inst = None if instrument is None else load_instrument(instrument)
    check_dataframe("data", data)
    check_columns(data, [measure], what="data")
    direction, direction_source = _resolve_direction(inst, measure, direction)
    criteria = inst.change.get(measure) if inst is not None else None
    r_xx, r_source = _resolve_reliability(inst, criteria, measure, reliability)
    r_yy, r_yy_source = None, None
    if method == "nk":
        if reliability_post is not None:
            r_yy, r_yy_source = _check_reliability("reliability_post", reliability_post), "argument"
        else:
            r_yy, r_yy_source = r_xx, "reliability (no reliability_post given)"
    return _Arguments(
        inst, criteria, direction, direction_source, r_xx, r_source, r_yy, r_yy_source
    )


# --------------------------------------------------------------------------------------------
# step 2: parameters from the sample
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Sample:
    params: RCIParameters
    sd_pre_source: str
    sd_pre_sample: float
    estimates: list[str]


def _resolve_parameters(
    x: np.ndarray, y: np.ndarray, args: _Arguments, *, measure: str, method: str, sd_pre: Any
) -> _Sample:
    """Sample moments over the complete pairs and the SD of the SEM (argument or sample)."""
    complete = ~(np.isnan(x) | np.isnan(y))
    n = int(complete.sum())
    xc, yc = x[complete], y[complete]
    if n < 2 and (sd_pre is None or method != "jt"):
        raise ArgumentError(
            f"classify_change needs at least 2 subjects with both {measure} scores to estimate "
            f"sample means and SDs; got {n}. Check pre/post or pass sd_pre= (JT only)."
        )
    m_pre = float(np.mean(xc)) if n else math.nan
    m_post = float(np.mean(yc)) if n else math.nan
    sd_pre_sample = float(np.std(xc, ddof=1)) if n > 1 else math.nan
    sd_post = float(np.std(yc, ddof=1)) if n > 1 else math.nan
    if n > 1 and no_spread(sd_pre_sample, xc):
        sd_pre_sample = 0.0  # rounding noise of equal scores, not a spread
    if n > 1 and no_spread(sd_post, yc):
        sd_post = 0.0
    r_pp = math.nan
    if n > 2 and sd_pre_sample > 0 and sd_post > 0:
        r_pp = float(np.clip(np.corrcoef(xc, yc)[0, 1], -1.0, 1.0))
    estimates: list[str] = []
    if sd_pre is not None:
        s_pre, source = float(sd_pre), "argument"
    else:
        s_pre, source = sd_pre_sample, "sample"
        estimates.append(f"sd_pre = {s_pre:.6g} (SD of the {n} complete pre scores)")
        if not s_pre > 0:
            raise ArgumentError(
                f"sd_pre must be positive; the {n} complete pre scores of {measure} "
                "all equal, so their SD is 0. Pass sd_pre= (e.g. a published SD)."
            )
    params = RCIParameters(
        r_xx=args.r_xx, sd_pre=s_pre, m_pre=m_pre, m_post=m_post, sd_post=sd_post, r_pp=r_pp,
        n_complete=n, r_yy=args.r_yy,
    )  # fmt: skip
    return _Sample(params, source, sd_pre_sample, estimates)


# --------------------------------------------------------------------------------------------
# step 3: classify
# --------------------------------------------------------------------------------------------


def _classify_reliable(
    rci: np.ndarray, complete: np.ndarray, sign: float, crit: float
) -> tuple[np.ndarray, np.ndarray, Any]:
    """Reliably improved: ``dir * rci > crit``; deteriorated: ``dir * rci < -crit``.
    Returns (improved, deteriorated, label per subject or None where a score is missing)."""
    improved = complete & (sign * rci > crit)
    deteriorated = complete & (sign * rci < -crit)
    reliable = np.where(improved, "improved", np.where(deteriorated, "deteriorated", "unchanged"))
    return improved, deteriorated, with_missing(reliable, complete, "string")


# --------------------------------------------------------------------------------------------
# classify_change
# --------------------------------------------------------------------------------------------


def classify_change(
    data: pd.DataFrame,
    *,
    measure: str,
    subject: str = "subject",
    timepoint: str = "timepoint",
    pre: Any,
    post: Any,
    instrument: Any = None,
    method: str = "jt",
    reliability: float | None = None,
    reliability_post: float | None = None,
    sd_pre: float | None = None,
    m_functional: float | None = None,
    sd_functional: float | None = None,
    m_clinical: float | None = None,
    sd_clinical: float | None = None,
    cutoff: str = "c",
    direction: str | None = None,
    confidence: float = 0.95,
) -> ChangeClassification:
    """Reliable change and clinical significance of each subject's change from pre to post.

    Parameters
    ----------
    data
        Scored data in long form: one row per subject and timepoint.
    measure
        The score column (e.g. ``"phq9_total"``).
    subject, timepoint, pre, post
        As in :func:`~past_outcomes.change.difference.compute_change`. ``post="latest"``
        (routine practice): each subject's pre score against that subject's most recent score
        after pre; ``.table`` then states the pairing per subject in ``post_timepoint`` and
        ``.notes()`` says so. The timepoint column must be ordered (session numbers, dates or
        an ordered categorical).
    instrument
        Instrument id or :class:`~past_outcomes.instrument.Instrument`. Supplies the
        direction of ``measure`` and defaults for the reliability and the clinical and
        functional populations (``instrument.change[measure]``), with their sources.
    method
        ``"jt"`` Jacobson-Truax, ``"gln"`` Gulliksen-Lord-Novick, ``"hll"`` Hsu-Lin-Lord,
        ``"en"`` Edwards-Nunnally, ``"nk"`` Nunnally-Kotsch, ``"ha"`` Hageman-Arrindell
        (:data:`RCI_METHODS`).
    reliability
        r_xx; overrides the spec. Required if the spec has none.
    reliability_post
        r_yy for NK (defaults to ``reliability``); ignored by the other methods.
    sd_pre
        SD for the standard error of measurement; defaults to the SD of the pre scores of
        the subjects with both scores (with a SampleEstimateWarning).
    m_functional, sd_functional
        Mean and SD of the functional (healthy) population; default to the spec.
    m_clinical, sd_clinical
        Mean and SD of the clinical population; default to the spec, else to the sample pre
        scores (with a SampleEstimateWarning).
    cutoff
        ``"a"``: 2 SD beyond the clinical mean; ``"b"``: within 2 SD of the functional mean;
        ``"c"``: the point between the two means weighted by the SDs.
    direction
        ``"higher-is-better"`` or ``"lower-is-better"``; required without ``instrument``.
    confidence
        Confidence level of the reliable-change test: the critical |RCI| is
        ``z((1 + confidence) / 2)`` (1.96 at 0.95); HA's one-sided test uses
        ``z(confidence)`` (1.645).

    Returns
    -------
    ChangeClassification
        Per-subject table in ``.table``, category counts in ``.counts`` (and
        ``.reliable_counts``), every value the classification rests on with its source,
        ``.excluded`` and ``.plot()``.

    Notes
    -----
    ``M_pre, SD_pre, M_post, SD_post, r_pp`` are sample values over the subjects with both
    scores, ``dir`` is +1 when higher is better and -1 otherwise, ``SEM = SD_pre sqrt(1 -
    r_xx)``, ``S_diff = sqrt(2) SEM``. The formulas of each method, with its citation and the
    function of the R package clinicalsignificance 3.0 it matches, are in
    :data:`RCI_METHODS`:

    - JT: ``(post - pre) / S_diff``;
    - GLN: ``[(post - M_pre) - r_xx (pre - M_pre)] / (SD_pre sqrt(1 - r_xx^2))``;
    - HLL: ``[(post - M_post) - r_xx (pre - M_pre)] / (SD_pre sqrt(1 - r_xx^2))``;
    - EN: ``[post - (r_xx (pre - M_pre) + M_pre)] / SEM``;
    - NK: as EN over ``sqrt(r_xx^2 SD_pre^2 (1 - r_xx) + SD_pre^2 (1 - r_yy))``;
    - HA: ``[(post - pre) r_dd + (M_post - M_pre)(1 - r_dd)] / (sqrt(r_dd) S_diff)`` with
      ``r_dd = (SD_pre^2 r1 + SD_post^2 r2 - 2 SD_pre SD_post r_pp) / (SD_pre^2 + SD_post^2
      - 2 SD_pre SD_post r_pp)``, ``r1 = (SD_pre^2 - SEM^2)/SD_pre^2``, ``r2 = (SD_post^2 -
      SEM^2)/SD_post^2``.

    Reliably improved: ``dir * rci > crit``; deteriorated: ``dir * rci < -crit``.

    Cutoffs (Jacobson & Truax 1991; :data:`~past_outcomes.change.cutoffs.CUTOFFS`): ``a =
    M_clin + dir 2 SD_clin``, ``b = M_func - dir 2 SD_func``, ``c = (SD_clin M_func + SD_func
    M_clin) / (SD_clin + SD_func)``. **Cutoff b uses the functional SD as in Jacobson &
    Truax; the R package uses the clinical SD** (the two agree only when the SDs are equal).
    ``clinical_pre = dir pre < dir cutoff``, ``functional_post = dir post > dir cutoff``.
    Recovered: clinical at pre, functional at post and reliably improved; harmed: not
    clinical at pre, not functional at post and reliably deteriorated; improved /
    deteriorated: the other reliable changes.

    HA uses true-score cutoffs with ``SEM_c = SD_clin sqrt(1 - r_xx)`` and ``r_g = (SD_g^2 -
    SEM_c^2)/SD_g^2`` for g = clinical, functional, post: ``a = M_clin + dir 2 SD_clin
    sqrt(r_clin)``, ``b = M_func - dir 2 SD_func sqrt(r_func)`` (R: SD_clin sqrt(r_clin)),
    ``c = (SD_clin sqrt(r_clin) M_func + SD_func sqrt(r_func) M_clin) / (SD_clin
    sqrt(r_clin) + SD_func sqrt(r_func))``; ``functional_post = clinical_pre & dir CS >
    crit`` with ``CS = (M_post + (post - M_post) r_post - cutoff) / (sqrt(r_post) SEM_c)``;
    recovered = functional at post and reliably improved; there is no "harmed" category.
    """
    check_option("method", method, tuple(RCI_METHODS))
    check_option("cutoff", cutoff, CUTOFF_TYPES)
    confidence = check_number(
        "confidence", confidence, low=0, high=1, low_open=True, high_open=True
    )
    args = _resolve_arguments(
        data, measure=measure, instrument=instrument, method=method, reliability=reliability,
        reliability_post=reliability_post, direction=direction,
    )  # fmt: skip
    check_populations(
        cutoff, m_functional=m_functional, m_clinical=m_clinical, sd_pre=sd_pre,
        sd_functional=sd_functional, sd_clinical=sd_clinical,
    )  # fmt: skip
    paired = pair_scores(
        data, measure=measure, subject=subject, timepoint=timepoint, pre=pre, post=post,
        caller="classify_change",
    )  # fmt: skip
    table = change_columns(paired.table, subject)
    x, y = table["pre"].to_numpy(), table["post"].to_numpy()
    sample = _resolve_parameters(x, y, args, measure=measure, method=method, sd_pre=sd_pre)
    crit = critical_value(method, confidence)
    rci = compute_rci(method, sample.params, x, y)
    complete = ~(np.isnan(x) | np.isnan(y))
    improved, deteriorated, reliable = _classify_reliable(rci.values, complete, args.sign, crit)
    table["rci"] = rci.values
    table["reliable"] = reliable

    estimates = list(sample.estimates)
    n = sample.params.n_complete
    populations = resolve_populations(
        cutoff=cutoff, true_score=method == "ha", m_clinical=m_clinical, sd_clinical=sd_clinical,
        m_functional=m_functional, sd_functional=sd_functional, criteria=args.criteria,
        cite=args.cite, n_complete=n, sample_estimates=estimates,
        sample=(
            Population(sample.params.m_pre, sample.sd_pre_sample, "sample")
            if n >= 2 and sample.sd_pre_sample > 0 else None
        ),
    )  # fmt: skip
    cut = None
    if populations is not None:
        cut = compute_cutoff(
            cutoff, *populations, sign=args.sign, true_score=method == "ha", r_xx=args.r_xx
        )
        sig = classify_significance(
            cut, x, y, sign=args.sign, improved=improved, deteriorated=deteriorated,
            params=rci.params, critical_value=crit,
        )  # fmt: skip
        table["clinical_pre"] = with_missing(sig.clinical_pre, sig.has_pre, "boolean")
        table["functional_post"] = with_missing(sig.functional_post, sig.has_post, "boolean")
        table["category"] = with_missing(sig.category, complete, "string")

    if estimates:
        warnings.warn(
            f"classify_change estimated from the sample: {'; '.join(estimates)}. Pass "
            "published values (sd_pre=, m_clinical=, sd_clinical=) or declare them in the "
            "instrument spec to rely on a stated source.",
            SampleEstimateWarning,
            stacklevel=2,
        )
    return _assemble(
        table, paired, args, sample, rci, cut, measure=measure, pre=pre, post=post,
        method=method, cutoff=cutoff, confidence=confidence, crit=crit, estimates=estimates,
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# step 5: the result
# --------------------------------------------------------------------------------------------


def _assemble(
    table: pd.DataFrame,
    paired: PairedScores,
    args: _Arguments,
    sample: _Sample,
    rci: RCI,
    cut: Cutoff | None,
    *,
    measure: str,
    pre: Any,
    post: Any,
    method: str,
    cutoff: str,
    confidence: float,
    crit: float,
    estimates: list[str],
) -> ChangeClassification:
    """The :class:`ChangeClassification`: the table, its counts and every value used."""
    p = rci.params
    if "category" in table.columns:
        labels: tuple[str, ...] = CHANGE_CATEGORIES
        if method == "ha":
            labels = tuple(c for c in CHANGE_CATEGORIES if c != "harmed")
        counts = count_labels(table["category"], labels, "category")
    else:
        counts = count_labels(table["reliable"], RELIABLE_LABELS, "reliable")
    clinical = cut.clinical if cut is not None else None
    functional = cut.functional if cut is not None else None
    return ChangeClassification(
        table=table,
        counts=counts,
        reliable_counts=count_labels(table["reliable"], RELIABLE_LABELS, "reliable"),
        measure=measure,
        pre=pre,
        post=post,
        instrument=None if args.inst is None else args.inst.id,
        method=method,
        method_name=RCI_METHODS[method].name,
        direction=args.direction,
        direction_source=args.direction_source,
        reliability=float(args.r_xx),
        reliability_source=args.r_source,
        reliability_post=None if args.r_yy is None else float(args.r_yy),
        reliability_post_source=args.r_yy_source,
        sd_pre=float(p.sd_pre),
        sd_pre_source=sample.sd_pre_source,
        m_pre=p.m_pre,
        m_post=p.m_post,
        sd_post=p.sd_post,
        r_pre_post=p.r_pp,
        se_measurement=p.sem,
        s_diff=p.s_diff,
        r_dd=p.r_dd,
        confidence=confidence,
        critical_value=crit,
        cutoff_type=cutoff,
        cutoff=None if cut is None else float(cut.value),
        m_clinical=clinical.mean if clinical is not None else None,
        sd_clinical=clinical.sd if clinical is not None else None,
        clinical_source=clinical.source if clinical is not None else None,
        m_functional=functional.mean if functional is not None else None,
        sd_functional=functional.sd if functional is not None else None,
        functional_source=functional.source if functional is not None else None,
        sample_estimates=tuple(estimates),
        center_intercept=float(rci.center[0]),
        center_slope=float(rci.center[1]),
        rci_scale=float(rci.center[2]),
        n_subjects=len(table),
        n_complete=p.n_complete,
        excluded=paired.excluded,
    )
