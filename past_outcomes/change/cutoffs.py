"""Clinical significance: the populations, the cutoffs a, b, c and the categories they give.

Jacobson & Truax (1991) place a cutoff between a clinical and a functional (healthy)
population; a subject is *clinical* at pre when the pre score lies on the clinical side of
it and *functional* at post when the post score lies on the other side:

- :data:`CUTOFFS`: which populations each cutoff needs and its formula, in one table;
- :func:`check_populations`: the population numbers given (finite means, positive SDs);
- :func:`resolve_populations`: the populations from the arguments, the spec or the sample
  (the clinical one only, with a note), with the source of each;
- :func:`compute_cutoff`: the cutoff, with the Hageman-Arrindell true-score spreads;
- :func:`classify_significance`: ``clinical_pre``, ``functional_post`` and the combined
  category (recovered / improved / unchanged / deteriorated / harmed), with the HA special
  cases (true-score clinical significance of the post score; no "harmed").

Formulas as in the R package clinicalsignificance 3.0 (R/calc_cutoff.R), except cutoff b,
which uses the functional SD as in Jacobson & Truax (the R package uses the clinical SD).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from past_outcomes._checks import check_number
from past_outcomes.errors import ArgumentError

if TYPE_CHECKING:
    from past_outcomes.change.rci import RCIParameters
    from past_outcomes.instrument import ChangeCriteria

__all__ = ["CUTOFFS", "CUTOFF_TYPES"]


@dataclasses.dataclass(frozen=True)
class Population:
    """A population's mean and SD, and where they came from."""

    mean: float
    sd: float
    source: str


@dataclasses.dataclass(frozen=True)
class CutoffRule:
    """One Jacobson-Truax cutoff: the populations it needs and its formula.

    ``value(m_clin, w_clin, m_func, w_func, sign)`` takes each population's mean and spread
    ``w`` (the SD; for HA the true-score SD ``SD sqrt(r_g)``) and ``sign`` (+1 when higher is
    better, -1 otherwise).
    """

    description: str
    needs_clinical: bool
    needs_functional: bool
    value: Callable[[Any, Any, Any, Any, float], float]


#: The cutoffs of Jacobson & Truax (1991), J Consult Clin Psychol 59(1):12-19.
CUTOFFS: dict[str, CutoffRule] = {
    "a": CutoffRule(
        "2 SD beyond the clinical mean: a = M_clin + dir 2 SD_clin",
        needs_clinical=True,
        needs_functional=False,
        value=lambda m_clin, w_clin, m_func, w_func, sign: m_clin + sign * 2 * w_clin,
    ),
    "b": CutoffRule(
        "within 2 SD of the functional mean: b = M_func - dir 2 SD_func",
        needs_clinical=False,
        needs_functional=True,
        value=lambda m_clin, w_clin, m_func, w_func, sign: m_func - sign * 2 * w_func,
    ),
    "c": CutoffRule(
        "between the two means, weighted by the SDs: c = (SD_clin M_func + SD_func M_clin) "
        "/ (SD_clin + SD_func)",
        needs_clinical=True,
        needs_functional=True,
        value=lambda m_clin, w_clin, m_func, w_func, sign: (
            (w_clin * m_func + w_func * m_clin) / (w_clin + w_func)
        ),
    ),
}
CUTOFF_TYPES = tuple(CUTOFFS)


@dataclasses.dataclass(frozen=True)
class Cutoff:
    """A computed cutoff and what it rests on (``sem_c``: HA's SEM of the clinical SD)."""

    kind: str
    value: float
    clinical: Population | None
    functional: Population | None
    sem_c: float | None = None


def check_populations(cutoff: str, **given: Any) -> None:
    """The population numbers given: finite means, positive SDs, means with their SDs."""
    for name in ("m_functional", "m_clinical"):
        if given[name] is not None:
            check_number(name, given[name])
    for name in ("sd_pre", "sd_functional", "sd_clinical"):
        if given[name] is not None:
            check_number(name, given[name], low=0, low_open=True)
    if (given["m_clinical"] is None) != (given["sd_clinical"] is None):
        raise ArgumentError(
            "m_clinical and sd_clinical must be given together; got only "
            f"{'m_clinical' if given['sd_clinical'] is None else 'sd_clinical'}. "
            "Pass both or neither."
        )
    if (given["m_functional"] is None) != (given["sd_functional"] is None) and cutoff != "a":
        only = "m_functional" if given["sd_functional"] is None else "sd_functional"
        raise ArgumentError(
            f"m_functional and sd_functional must be given together for cutoff {cutoff!r}; "
            f"got only {only}. Pass both."
        )


def resolve_populations(
    *,
    cutoff: str,
    true_score: bool,
    m_clinical: float | None,
    sd_clinical: float | None,
    m_functional: float | None,
    sd_functional: float | None,
    criteria: ChangeCriteria | None,
    cite: Callable[[str], str],
    sample: Population | None,
    sample_estimates: list[str],
    n_complete: int,
) -> tuple[Population | None, Population | None] | None:
    """The clinical and functional populations the cutoff needs, or None when it cannot be
    computed (no functional population known for cutoffs b and c).

    Each comes from the arguments, else from the spec (``criteria``, cited by ``cite``);
    the clinical population may fall back to the sample pre scores (``sample``), which is
    recorded in ``sample_estimates``. HA (``true_score``) always needs the clinical one.
    """
    rule = CUTOFFS[cutoff]
    needs_clinical = rule.needs_clinical or true_score
    clinical = functional = None
    if m_clinical is not None and sd_clinical is not None:
        clinical = Population(float(m_clinical), float(sd_clinical), "argument")
    elif criteria is not None and criteria.clinical is not None:
        c = criteria.clinical
        clinical = Population(c.mean, c.sd, cite(c.source))
    if m_functional is not None and sd_functional is not None:
        functional = Population(float(m_functional), float(sd_functional), "argument")
    elif m_functional is None and criteria is not None and criteria.functional is not None:
        f = criteria.functional  # (cutoff a with m_functional alone: unused, not the spec's)
        functional = Population(f.mean, f.sd, cite(f.source))
    if rule.needs_functional and functional is None:
        return None
    if needs_clinical and clinical is None:
        if sample is None:
            raise ArgumentError(
                "m_clinical and sd_clinical must be given when the sample cannot estimate "
                f"them; got {n_complete} complete pairs. Pass m_clinical= and sd_clinical=."
            )
        clinical = sample
        sample_estimates.append(
            f"clinical population M = {sample.mean:.6g}, SD = {sample.sd:.6g} (complete pre scores)"
        )
    return (
        clinical if needs_clinical else None,
        functional if rule.needs_functional else None,
    )


def compute_cutoff(
    kind: str,
    clinical: Population | None,
    functional: Population | None,
    *,
    sign: float,
    true_score: bool,
    r_xx: float,
) -> Cutoff:
    """The cutoff ``kind`` from the populations; HA (``true_score``) uses true-score spreads
    (:func:`_true_score_spreads`)."""
    m_clin = clinical.mean if clinical is not None else None
    m_func = functional.mean if functional is not None else None
    sem_c = None
    w_clin: float | None
    w_func: float | None
    if true_score:
        assert clinical is not None  # resolve_populations gives HA a clinical population
        w_clin, w_func, sem_c = _true_score_spreads(clinical, functional, r_xx)
    else:
        w_clin = clinical.sd if clinical is not None else None
        w_func = functional.sd if functional is not None else None
    value = CUTOFFS[kind].value(m_clin, w_clin, m_func, w_func, sign)
    return Cutoff(kind, value, clinical, functional, sem_c)


def _true_score_spreads(
    clinical: Population, functional: Population | None, r_xx: float
) -> tuple[float, float | None, float]:
    """HA (Hageman & Arrindell 1999): ``SEM_c = SD_clin sqrt(1 - r_xx)``, ``r_g = (SD_g^2 -
    SEM_c^2) / SD_g^2`` and the true-score spread ``SD_g sqrt(r_g)`` of each population.
    (The R package uses ``SD_clin sqrt(r_clin)`` in cutoff b.)"""
    sem_c = clinical.sd * math.sqrt(1 - r_xx)
    r_clin = (clinical.sd**2 - sem_c**2) / clinical.sd**2
    w_clin = clinical.sd * math.sqrt(r_clin)
    w_func = None
    if functional is not None:
        r_func = (functional.sd**2 - sem_c**2) / functional.sd**2
        if not r_func > 0:
            raise ArgumentError(
                "sd_functional must exceed the standard error of measurement of the HA "
                f"true-score cutoff ({sem_c:.4g}); got {functional.sd:.4g}. Use method='jt'."
            )
        w_func = functional.sd * math.sqrt(r_func)
    return w_clin, w_func, sem_c


@dataclasses.dataclass(frozen=True)
class Significance:
    """Per subject: clinical at pre, functional at post (with where each is known) and the
    combined category."""

    clinical_pre: np.ndarray
    functional_post: np.ndarray
    has_pre: np.ndarray
    has_post: np.ndarray
    category: np.ndarray


def classify_significance(
    cut: Cutoff,
    x: np.ndarray,
    y: np.ndarray,
    *,
    sign: float,
    improved: np.ndarray,
    deteriorated: np.ndarray,
    params: RCIParameters,
    critical_value: float,
) -> Significance:
    """Clinical at pre (``dir pre < dir cutoff``), functional at post and the category.

    Jacobson-Truax: functional when ``dir post > dir cutoff``; recovered = clinical at pre,
    functional at post and reliably improved; harmed = not clinical at pre, not functional
    at post and reliably deteriorated; improved / deteriorated: the other reliable changes.
    HA: :func:`_true_score_functional`; recovered = functional at post and reliably
    improved; there is no "harmed".
    """
    complete = ~(np.isnan(x) | np.isnan(y))
    has_pre, has_post = ~np.isnan(x), ~np.isnan(y)
    clinical_pre = sign * x < sign * cut.value
    if cut.sem_c is not None:  # HA
        functional_post = clinical_pre & _true_score_functional(
            cut, y, sign=sign, params=params, critical_value=critical_value
        )
        has_post = complete
        recovered = functional_post & improved
        harmed = np.zeros_like(improved)
    else:
        functional_post = sign * y > sign * cut.value
        recovered = clinical_pre & functional_post & improved
        harmed = ~clinical_pre & ~functional_post & deteriorated
    category = np.select(
        [recovered, improved, harmed, deteriorated],
        ["recovered", "improved", "harmed", "deteriorated"],
        default="unchanged",
    )
    return Significance(clinical_pre, functional_post, has_pre, has_post, category)


def _true_score_functional(
    cut: Cutoff, y: np.ndarray, *, sign: float, params: RCIParameters, critical_value: float
) -> np.ndarray:
    """HA: the post true score lies reliably beyond the cutoff, ``dir CS > crit`` with ``CS =
    (M_post + (post - M_post) r_post - cutoff) / (sqrt(r_post) SEM_c)`` and ``r_post =
    (SD_post^2 - SEM_c^2) / SD_post^2``."""
    sem_c = cut.sem_c
    assert sem_c is not None
    sd_post, m_post = params.sd_post, params.m_post
    r_post = (sd_post**2 - sem_c**2) / sd_post**2
    if not r_post > 0:
        raise ArgumentError(
            "method 'ha' needs SD_post above the standard error of measurement "
            f"({sem_c:.4g}); got {sd_post:.4g}. Use method='jt'."
        )
    cs = (m_post + (y - m_post) * r_post - cut.value) / (math.sqrt(r_post) * sem_c)
    return sign * cs > critical_value
