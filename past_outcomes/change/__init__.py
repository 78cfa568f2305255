"""Change over time: pre/post change, reliable change, clinical significance and responders.

Functions take already scored data in long form (one row per subject and timepoint) and pair
the two timepoints by subject through :func:`past_outcomes._long.pair_long`. The data flow
reads top to bottom through the modules:

Modules
-------
difference
    The change score itself, ``post - pre``, the domain object every other module builds
    on: ``compute_change`` (-> ``ChangeResult``), the pairing every function here shares,
    the ``ChangeClassification`` result and its picture ``plot_change`` (pre versus post
    with the band of no reliable change). Named for the noun the package is about: the
    difference between two timepoints, computed, then classified, then drawn.
rci
    Reliable change: the six RCI methods (JT, GLN, HLL, EN, NK, HA) as one table of
    formulas, ``RCI_METHODS``, and ``classify_change`` as named steps: resolve the
    parameters (reliability, SDs, where each came from) -> compute the index -> classify
    -> cutoffs -> assemble the ``ChangeClassification``.
cutoffs
    Clinical significance: the clinical and functional populations and the Jacobson-Truax
    cutoffs a, b, c, with the Hageman-Arrindell true-score variants, in one place.
rules
    Responder rules as data: what each kind compares (``RULE_KINDS``), which rule applies
    (spec rule, user rule, overrides; ``kind="sustained"``/``"durable"`` wraps one), every
    number checked, and a rule's baseline condition (``eligible``).
responders
    Applying a single-visit rule (change, percent change, endpoint; thresholds by baseline
    severity; baseline conditions with the "not eligible" category; the MAPP categories):
    ``classify_responders`` (-> ``ResponderResult`` with rates and Wilson intervals, notes
    naming unverified rules) and ``plot_responders``.
visits
    Multi-visit rules: ``sustained`` (met at post and every follow-up visit) and ``durable``
    (a response at post still met at follow-up), with ``classify_responders(followup=...)``.

Pairing rules, shared by all functions: every subject in ``data`` gets one output row, in
order of first appearance; a subject without a value at ``pre`` or ``post`` keeps its row
with missing change and categories (never ``"unchanged"``), is named in an
:class:`~past_outcomes.errors.UnpairedSubjectsWarning` and listed in the result's
``.excluded`` (reasons ``no-pre``, ``no-post``, ``no-data``); duplicate rows, missing ids and
scores that are not numbers raise one :class:`~past_outcomes.errors.DataValidationError`;
the input is never modified. ``post="latest"`` pairs each subject's pre score with that
subject's most recent score after pre (an ordered timepoint column: numbers, dates or an
ordered categorical), stating the timepoint used in a ``post_timepoint`` column.

Nothing is imported here: the package's top level loads each function lazily from its
module.
"""
