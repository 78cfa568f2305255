"""Registry summaries: reliable change and responder rates per site and period, on Dask.

:func:`compute_registry_summary` takes scored data in long form (one row per subject and
timepoint, as :func:`past_outcomes.score` returns them beside the identifiers) as a pandas or
a Dask DataFrame and returns, per site (practice) and per period, the clients with a pre and
a post score, the share reliably improved and reliably deteriorated (Jacobson-Truax, as
:func:`past_outcomes.classify_change` with ``method="jt"``) and the responder rate of a
single-visit rule (as :func:`past_outcomes.classify_responders`), each with a Wilson score
interval (statsmodels ``proportion_confint(method="wilson")``, as ``ResponderResult.counts``).

It is computed by groupby, never by collecting the data, in one computation on Dask: the
rows at ``pre`` and ``post`` are paired within each partition, then hash-shuffled on site,
period and subject (``shuffle``, so that every row of a client lands in one partition; Dask's
task-based shuffle) and paired again there (maxima and sums combine). Each partition then
counts its clients per group and distinct ``(pre, post)`` pair, and a tree reduction sums the
counts: every figure of the summary is a function of the pair, and questionnaire totals take
few values (at most 28 x 28 pairs per PHQ-9 group), so what reaches the client process is
small. The SD of each group's paired pre scores and the classification of each pair are
computed from those counts. Until session 19 the SD was a lazy groupby handed to the
classification of every partition: Dask 2026.8 then left dependencies out of the graph
beyond 32 shuffled partitions ("Missing dependency"), and the pairs were classified client by
client (20,000,000 scored rows, 40 partitions, 2 workers: 37-46 s and a worker peak of
1.1 GiB, against 26 s and 725 MiB with the pair counts). On data that fit in memory the
figures equal those of ``classify_change`` and ``classify_responders`` run on each group
(tests/test_registry.py checks this).

The site and the period are attributes of a referral: a client's pre and post rows must carry
the same site and period to be paired (a client whose two rows differ is counted in both
groups, unpaired in each).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.errors import ArgumentError, DataValidationError

__all__ = ["compute_registry_summary", "SUMMARY_COLUMNS"]

#: The columns after the group keys, in order.
SUMMARY_COLUMNS = [
    "n_clients", "n_paired", "sd_pre",
    "improved", "improved_rate", "improved_ci_low", "improved_ci_high",
    "deteriorated", "deteriorated_rate", "deteriorated_ci_low", "deteriorated_ci_high",
    "responders", "evaluable", "responder_rate", "responder_ci_low", "responder_ci_high",
]  # fmt: skip


def compute_registry_summary(
    data: Any,
    *,
    measure: str,
    instrument: Any,
    pre: Any,
    post: Any,
    subject: str = "subject",
    timepoint: str = "timepoint",
    site: str = "site",
    period: str | None = None,
    rule: Any = None,
    reliability: float | None = None,
    sd_pre: float | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per site (and period): clients paired, reliable change and responder rates.

    Parameters
    ----------
    data
        Scored data in long form, a pandas or a Dask DataFrame, with the columns ``site``,
        ``period`` (if given), ``subject``, ``timepoint`` and ``measure``.
    measure
        The score column (``"phq9_total"``).
    instrument
        Instrument id or spec: the direction of ``measure``, its reliability and its
        responder rules.
    pre, post
        The two timepoints compared.
    subject, timepoint
        Identifier columns.
    site, period
        The grouping columns (``period``: e.g. the year or quarter of referral; ``None``:
        per site only).
    rule
        A single-visit responder rule: ``None`` for the spec's primary rule, a rule id of the
        spec or a rule (see :func:`~past_outcomes.classify_responders`); rules with a
        diagnosis column and multi-visit rules are not supported here.
    reliability
        r_xx of ``measure``; overrides the spec.
    sd_pre
        The SD of the standard error of measurement; default: the SD of the pre scores of
        each group's paired clients (as ``classify_change`` estimates it for the group).
    confidence
        Level of the reliable-change test (critical ``|RCI| = z((1 + confidence) / 2)``) and
        of the Wilson intervals.

    Returns
    -------
    DataFrame
        One row per group: the group keys, then :data:`SUMMARY_COLUMNS`. ``n_clients``:
        subjects with a row at ``pre`` or ``post``; ``n_paired``: with a score at both (the
        denominator of ``improved`` and ``deteriorated``); ``evaluable``: clients the rule
        could be judged for (the denominator of ``responders``; a baseline below the rule's
        ``eligible`` condition is not evaluable); ``*_rate`` and ``*_ci_low``/``*_ci_high``:
        the share and its Wilson interval (NaN with a zero denominator).

    Raises
    ------
    ArgumentError
        Not a DataFrame, missing columns, ``pre`` equal to ``post``, unknown rule, a
        multi-visit or diagnosis rule, no reliability.
    DataValidationError
        Rows at ``pre`` or ``post`` with no subject (``missing-value``) or a ``measure`` that
        is not a finite number (``not-a-number``, ``not-finite``, ``out-of-range``), from
        every partition in one error (at most :data:`CAP` listed per partition, all counted);
        a subject with two rows at one timepoint in a group (``duplicate-observation``).
    """
    from past_outcomes._checks import check_columns, check_dataframe
    from past_outcomes.registry.frames import is_dask_frame
    from past_outcomes.stats._common import check_confidence

    confidence = check_confidence(confidence)
    keys = [site] if period is None else [site, period]
    params = _parameters(instrument, measure, rule, reliability, confidence)
    lazy = is_dask_frame(data)
    check_dataframe("data", data._meta if lazy else data)
    check_columns(data._meta if lazy else data, [*keys, subject, timepoint, measure])
    _check_pre_post(pre, post)
    if sd_pre is not None:
        from past_outcomes._checks import check_number

        sd_pre = float(check_number("sd_pre", sd_pre, low=0, low_open=True))
    clients, fails = _clients(data, keys, subject, timepoint, measure, pre, post, lazy)
    pairs, fails = _pair_counts(clients, fails, keys, lazy)
    _raise_row_failures(fails, measure)
    return _summarise(pairs, keys, sd_pre, params, confidence, subject, timepoint)


def _check_pre_post(pre: Any, post: Any) -> None:
    try:
        same = bool(pre == post)
    except (TypeError, ValueError):  # an array compared element by element
        same = False
    if (
        pre is None
        or post is None
        or same
        or not (pd.api.types.is_scalar(pre) and pd.api.types.is_scalar(post))
    ):
        raise ArgumentError(
            f"pre and post must be two different timepoint values; got pre={pre!r}, "
            f"post={post!r}. Pass e.g. pre='intake', post='discharge'."
        )


def _parameters(instrument, measure, rule, reliability, confidence) -> dict[str, Any]:
    from past_outcomes.change.rci import _resolve_direction, _resolve_reliability, critical_value
    from past_outcomes.change.rules import MULTI_VISIT_KINDS, resolve_rule
    from past_outcomes.instrument import load_instrument

    inst = load_instrument(instrument)
    direction, _ = _resolve_direction(inst, measure, None)
    r_xx, _ = _resolve_reliability(inst, inst.change.get(measure), measure, reliability)
    overrides = {"scale": measure, "threshold": None, "kind": None, "operator": None,
                 "diagnosis": None, "remission": None}  # fmt: skip
    resolved = resolve_rule(inst, rule, overrides)
    if resolved.rule.kind in MULTI_VISIT_KINDS or resolved.rule.diagnosis is not None:
        raise ArgumentError(
            f"rule must be a single-visit rule without a diagnosis column for a registry "
            f"summary; got {resolved.rule.id!r} ({resolved.rule.kind}). Choose a change, "
            "percent_change or endpoint rule."
        )
    return {
        "sign": 1.0 if direction == "higher-is-better" else -1.0,
        "r_xx": r_xx,
        "crit": critical_value("jt", confidence),
        "rule": resolved.rule,
    }


def _clients(data, keys, subject, timepoint, measure, pre, post, lazy):
    """One row per client and group: ``_pre``, ``_post`` (NaN when absent) and the number of
    rows at each timepoint; and the failures of the rows at ``pre`` or ``post`` (a missing
    subject, a measure that is not a finite number: :func:`_row_failures`), lazy on Dask."""
    rows = data[[*keys, subject, timepoint, measure]]
    rows = rows[rows[timepoint].isin([pre, post])]
    args = (keys, subject, timepoint, measure, pre)
    if lazy:  # every row of a client to one partition (a hash shuffle), then paired there
        meta = _client_rows(rows._meta, *args)
        # paired within each partition first (max and sum combine): a client whose rows share
        # a partition crosses the shuffle as one row
        paired = rows.map_partitions(_client_rows, *args, meta=meta)
        shuffled = paired.shuffle(
            on=[*keys, subject], npartitions=max(1, data.npartitions), shuffle_method="tasks"
        )
        clients = shuffled.map_partitions(_pair_rows, keys, subject, meta=meta)
        fails = rows.map_partitions(_row_failures, *args, meta=_row_failures(rows._meta, *args))
        return clients, fails
    return _client_rows(rows, *args), _row_failures(rows, *args)


def _values(part: pd.DataFrame, measure: str) -> tuple[np.ndarray, np.ndarray]:
    from past_outcomes._long import measure_values

    return measure_values(part[measure])


def _client_rows(part: pd.DataFrame, keys, subject, timepoint, measure, pre) -> pd.DataFrame:
    """The rows of one partition paired per client (the failing cells are left out: they
    raise before any figure is given)."""
    values, reasons = _values(part, measure)
    at_pre = part[timepoint].isin([pre]).to_numpy()
    ok = pd.isna(reasons) & part[subject].notna().to_numpy()
    rows = part[[*keys, subject]].iloc[np.flatnonzero(ok)]
    values, at_pre = values[ok], at_pre[ok]
    rows = rows.assign(
        _pre=np.where(at_pre, values, np.nan),
        _post=np.where(at_pre, np.nan, values),
        _n_pre=at_pre.astype("int64"),
        _n_post=(~at_pre).astype("int64"),
    )
    return _pair_rows(rows, keys, subject)


#: At most this many failing cells are listed per partition (all are counted).
CAP = 1_000


def _row_failures(
    part: pd.DataFrame, keys, subject, timepoint, measure, pre, partition_info=None
) -> pd.DataFrame:
    """The first :data:`CAP` failing cells of one partition's rows at pre or post (a missing
    subject; a measure that is not a number, not finite or beyond ``MAX_MAGNITUDE``), as
    ``failure_cases`` rows, with the partition's number and how many failed in it."""
    from past_outcomes._long import _measure_message, _records

    values, reasons = _values(part, measure)
    no_subject = np.flatnonzero(part[subject].isna().to_numpy())
    found = _records(part, no_subject[:CAP], subject, "missing-value", subject, timepoint)
    where = list(no_subject[:CAP])
    raw = part[measure].to_numpy(dtype=object)
    s = part[subject].to_numpy(dtype=object)
    t = part[timepoint].to_numpy(dtype=object)
    for reason in ("not-a-number", "not-finite", "out-of-range"):
        pos = np.flatnonzero(reasons == reason)[:CAP]
        messages = [
            _measure_message(measure, raw[p], reason, part.index[p], s[p], t[p]) for p in pos
        ]
        found += _records(part, pos, measure, reason, subject, timepoint, messages)
        where += list(pos)
    columns = ["row", "subject", "timepoint", "column", "value", "reason", "message"]
    order = np.argsort(np.asarray(where, dtype=np.int64), kind="stable")[:CAP]
    frame = pd.DataFrame([found[i] for i in order], columns=columns, dtype=object)
    n = len(no_subject) + int(pd.notna(reasons).sum())
    number = partition_info["number"] if partition_info else 0
    return frame.assign(
        _partition=pd.Series(number, index=frame.index, dtype="int64"),
        _n_failing=pd.Series(n, index=frame.index, dtype="int64"),
    )


def _raise_row_failures(fails: pd.DataFrame, measure: str) -> None:
    """One DataValidationError for the failing cells of every partition (at most
    :data:`CAP` listed, all counted)."""
    if not len(fails):
        return
    total = int(fails.groupby("_partition")["_n_failing"].first().sum())
    fails = fails.sort_values("_partition", kind="stable")  # each partition's in row order
    listed = fails.drop(columns=["_partition", "_n_failing"]).head(CAP).reset_index(drop=True)
    context = (
        f"{total:,} row(s) at pre or post cannot be summarised (a missing subject, or a "
        f"{measure} that is not a finite number)"
    )
    if total > len(listed):
        context += f"; the first {len(listed):,} are in .failure_cases"
    raise DataValidationError(
        listed,
        context=context,
        remedy=f"Fill in the subject of every row and recode {measure} as numbers (missing "
        "allowed); scores from past_outcomes.score are always numbers or missing.",
    )


def _pair_rows(rows: pd.DataFrame, keys, subject) -> pd.DataFrame:
    spec = {"_pre": "max", "_post": "max", "_n_pre": "sum", "_n_post": "sum"}
    return rows.groupby([*keys, subject], dropna=False, sort=False).agg(spec).reset_index()


def _pair_counts(clients, fails, keys, lazy) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The clients counted per group and distinct ``(_pre, _post)`` pair (``_n``; ``_dup``:
    those with two rows at pre or post): every figure of the summary is a function of the
    pair, so this small table replaces the clients (questionnaire totals take few values: a
    PHQ-9 group has at most 28 x 28 pairs, plus the unpaired). On Dask, counted in each
    partition, then summed by a tree reduction; computed with the failures of the rows, in
    one computation (the rows are read once)."""
    if lazy:
        import dask

        meta = _count_pairs(clients._meta, keys)
        counted = clients.map_partitions(_count_pairs, keys, meta=meta)
        summed = counted.groupby([*keys, "_pre", "_post"], dropna=False, sort=False).sum()
        summed, fails = dask.compute(summed, fails)
        return summed.reset_index(), fails
    return _count_pairs(clients, keys), fails


def _count_pairs(clients: pd.DataFrame, keys) -> pd.DataFrame:
    dup = (clients["_n_pre"].to_numpy() > 1) | (clients["_n_post"].to_numpy() > 1)
    counted = clients[[*keys, "_pre", "_post"]].assign(_n=1, _dup=dup.astype("int64"))
    grouped = counted.groupby([*keys, "_pre", "_post"], dropna=False, sort=False)
    return grouped[["_n", "_dup"]].sum().reset_index()


def _summarise(pairs: pd.DataFrame, keys, sd_pre, params, confidence, subject, timepoint):
    """The summary from the pair counts: the SD of the paired clients' pre scores per group
    (or ``sd_pre``), each pair classified once and weighted by its clients."""
    x = pairs["_pre"].to_numpy(dtype=float)
    y = pairs["_post"].to_numpy(dtype=float)
    n = pairs["_n"].to_numpy(dtype="int64")
    complete = ~(np.isnan(x) | np.isnan(y))
    group = pairs.groupby(keys, dropna=False, sort=True).ngroup().to_numpy()
    if sd_pre is not None:
        sd = np.full(len(pairs), sd_pre)
    else:
        sd = _weighted_sd(group, x, n * complete)
    s_diff = math.sqrt(2) * sd * math.sqrt(1 - params["r_xx"])
    with np.errstate(invalid="ignore", divide="ignore"):
        rci = (y - x) / s_diff
        improved = complete & (params["sign"] * rci > params["crit"])
        deteriorated = complete & (params["sign"] * rci < -params["crit"])
    from past_outcomes.change.responders import apply_rule, per_subject

    fit = apply_rule(params["rule"], per_subject(np.arange(len(x)), x, y, params["sign"], "_c"))
    counted = pairs[keys].assign(
        n_clients=n,
        n_paired=n * complete,
        improved=n * improved,
        deteriorated=n * deteriorated,
        responders=n * np.asarray(fit.met, dtype=bool),
        evaluable=n * np.asarray(fit.applicable, dtype=bool),
        duplicates=pairs["_dup"].to_numpy(dtype="int64"),
        sd_pre=sd,
    )
    counts = counted.groupby(keys, dropna=False, sort=True).agg(
        {**{c: "sum" for c in _COUNTED}, "sd_pre": "first"}
    )
    counts = counts.reset_index()
    return _rates(counts, keys, confidence, subject, timepoint)


def _weighted_sd(group: np.ndarray, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per row, the sample SD of its group's values ``x`` each counted ``w`` times (NaN for
    fewer than two): two passes, the mean then the squared deviations, as pandas' ``std``."""
    size = int(group.max()) + 1 if len(group) else 0
    xw = np.where(w > 0, x, 0.0)
    total = np.bincount(group, weights=w, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(group, weights=w * xw, minlength=size) / total
        ss = np.bincount(group, weights=w * (xw - mean[group]) ** 2, minlength=size)
        sd = np.sqrt(ss / (total - 1))
    sd[total < 2] = np.nan
    return sd[group]


_COUNTED = ["n_clients", "n_paired", "improved", "deteriorated", "responders", "evaluable",
            "duplicates"]  # fmt: skip


def _rates(counts, keys, confidence, subject, timepoint) -> pd.DataFrame:
    """Rates and Wilson intervals; a DataValidationError for duplicate rows."""
    bad = counts[counts["duplicates"] > 0]
    if len(bad):
        failures = pd.DataFrame(
            {
                "row": None, "subject": None, "timepoint": None,
                "column": f"{subject}+{timepoint}",
                "value": [", ".join(map(str, k)) for k in bad[keys].itertuples(index=False)],
                "reason": "duplicate-observation",
            }
        )  # fmt: skip
        raise DataValidationError(
            failures,
            context=(
                f"{int(bad['duplicates'].sum())} client(s) have more than one row at pre or "
                f"post (the groups are in .failure_cases' value column)"
            ),
            remedy="Keep one administration per subject and timepoint (validate_responses "
            "finds the rows).",
        )
    out = counts  # built by _summarise for this call
    for name, k, n in (
        ("improved", "improved", "n_paired"),
        ("deteriorated", "deteriorated", "n_paired"),
        ("responder", "responders", "evaluable"),
    ):
        rate, low, high = _wilson(out[k].to_numpy(), out[n].to_numpy(), confidence)
        out[f"{name}_rate"], out[f"{name}_ci_low"], out[f"{name}_ci_high"] = rate, low, high
    return out[[*keys, *SUMMARY_COLUMNS]].reset_index(drop=True)


def _wilson(k: np.ndarray, n: np.ndarray, confidence: float):
    """Share and Wilson score interval per row; NaN where ``n`` is 0."""
    from statsmodels.stats.proportion import proportion_confint

    k, n = k.astype(float), n.astype(float)
    safe = np.where(n > 0, n, 1.0)
    low, high = proportion_confint(k, safe, alpha=1 - confidence, method="wilson")
    empty = n == 0
    rate = np.where(empty, np.nan, k / safe)
    return rate, np.where(empty, np.nan, low), np.where(empty, np.nan, high)
