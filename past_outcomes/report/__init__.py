"""Practitioner reports: one client's progress and the caseload, as self-contained HTML.

Modules
-------
data
    Reading any file the import layer reads (or a DataFrame, or a bundled data set), scoring
    every questionnaire present, ordering each client's administrations (by date, else by
    an ordered timepoint, else by file order), dosing sessions, and change from intake to
    the latest score (``classify_change`` with ``post="latest"``) with every number behind it.
flags
    Safety flags (PHQ-9 item 9 above 0 or unanswered, the C-SSRS screener's assess-now
    flag), reliable-deterioration flags and the append-only local actions file (``date,
    flag, who, action``) in which a practitioner records what was done. Nothing is deleted.
charts
    One SVG chart per questionnaire over time (bands shaded from the spec, cutoff lines,
    dosing sessions marked, direction stated, colour-blind-safe palette) and its alt text.
page
    The Jinja2 environment (``templates/*.html.j2``), the footer's provenance (package
    version, data file name and SHA-256, spec versions and sources) and the
    :class:`~past_outcomes.report.page.Report` result with ``.html`` and ``.write()``.
client
    ``build_client_report``: the clinician's view of one client, or (``audience="client"``)
    the plain-language version for the client.
caseload
    ``build_caseload_report``: one row per client, unresolved flags first.
"""
