"""Trial statistics, one subject per module.

Modules
-------
effect_size
    Standardized effect sizes from summary statistics: ``compute_cohen_d``,
    ``compute_smcr`` and ``compute_dppc2`` (Morris 2008).
prepost
    Within-subject change between two timepoints: ``compare_prepost``.
groups
    Change compared between two arms: ``compare_groups`` (ANCOVA, change-score
    t-test, robust alternatives).
proportions
    Responder rates between two arms: ``compare_responders`` on subject-level
    data, ``compare_proportions`` on counts.
power
    Power and sample size for two-arm comparisons: ``compute_power`` and
    ``plan_sample_size``.
reliability
    Internal consistency of an instrument's items: ``compute_reliability``.
mmrm
    Mixed model for repeated measures: ``fit_mmrm`` (long data in, LS means out).
imputation
    Reference-based imputation (MAR, J2R, CR, CIR) by conditional means with jackknife SEs:
    ``compute_reference_imputation``.
multiple_imputation
    Approximate-Bayesian multiple imputation pooled by Rubin's rules:
    ``compute_multiple_imputation``; responders under the same strategies or the composite
    strategy: ``compute_responder_imputation``.
_imputation_model
    The imputation model both share (data, REML fit, strategy means, draws).
tipping
    Delta-adjusted sensitivity analysis: ``compute_tipping_point`` (the delta at which the
    conclusion of a reference-based imputation tips).
blinding
    Blinding indices from treatment guesses: ``compute_blinding_index`` (Bang, James).
_mmrm_data, _reml
    The MMRM's private steps: long data to model rows; the REML engine.
_common
    Private helpers shared by the modules above (argument checks, the noncentral-t CI).

Nothing is imported here: the package's top level loads each function lazily
from its module.
"""
