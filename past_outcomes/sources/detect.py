"""Which source a file is, and its adapter run: ``detect_and_read``.

The extension decides first (``.sav``/``.zsav`` SPSS, ``.dta`` Stata, ``.xlsx``/``.xlsm``
Excel); for text and Excel the header then decides the export's kind, in this order:
Qualtrics (a third header row of ``{"ImportId": ...}`` cells), REDCap (a ``redcap_*`` system
column, or ``record_id``/``Record ID`` first with label headers or ``<form>_complete``
columns), Google Forms (``Timestamp`` first) or Microsoft Forms (``ID, Start time,
Completion time``); anything else is a generic table. ``source=`` skips the detection; the
reason for the choice is returned for ``.notes()``.
"""

from __future__ import annotations

from pathlib import Path

from past_outcomes.errors import InputFileError
from past_outcomes.sources.codebook import Codebook
from past_outcomes.sources.table import SourceTable

__all__ = ["EXTENSIONS", "detect_and_read"]

#: File extensions read by a binary adapter.
EXTENSIONS = {
    ".sav": "spss",
    ".zsav": "spss",
    ".dta": "stata",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
}


def detect_and_read(
    name: str, source: str, book: Codebook, sheet: str | None
) -> tuple[SourceTable, str]:
    """Read ``name`` with the adapter ``source`` names or the detection picks; return the
    table and why that source."""
    from past_outcomes.sources.delimited import load_text, read_delimited
    from past_outcomes.sources.excel import read_excel
    from past_outcomes.sources.forms import looks_like_forms, prepare_forms
    from past_outcomes.sources.qualtrics import looks_like_qualtrics, prepare_qualtrics
    from past_outcomes.sources.redcap import NUMBERED_HEADERS, looks_like_redcap, prepare_redcap
    from past_outcomes.sources.spss import read_stats_file

    ext = Path(name).suffix.lower()
    by_ext = EXTENSIONS.get(ext)
    if source in ("spss", "stata") or (source == "auto" and by_ext in ("spss", "stata")):
        kind = source if source != "auto" else by_ext
        return read_stats_file(name, kind=str(kind)), (
            f"extension {ext}" if source == "auto" else "source= given"
        )
    if source == "excel" or by_ext == "excel":
        raw = read_excel(name, sheet=sheet)
        columns = [str(c) for c in raw.frame.columns]
        head = (tuple(columns),) + tuple(
            tuple("" if v is None else str(v) for v in row)
            for row in raw.frame.head(2).itertuples(index=False)
        )
        text_file = None
    else:
        text_file = load_text(name)
        head = text_file.head
        if not head:
            raise InputFileError(
                f"{name} must hold a header line and data rows; it is empty. Check that you "
                "chose the right file and that it was saved completely."
            )
        columns = list(head[0])
        raw = None
    kind, why = _flavour(
        source, head, columns, looks_like_qualtrics, looks_like_redcap, looks_like_forms
    )
    if ext and by_ext == "excel":
        why = f"extension {ext}; {why}"
    if raw is None:
        assert text_file is not None
        numbered = NUMBERED_HEADERS if kind == "redcap" else frozenset()
        raw = read_delimited(text_file, source=kind, numbered=numbered)
    if kind == "qualtrics":
        if looks_like_qualtrics(head) is None:
            raise InputFileError(
                f"{name} must be a Qualtrics export with three header rows (ids, question "
                'text, {"ImportId": ...}); its third row is not one. Export again as CSV with '
                "the default options, or read it with source='csv'."
            )
        return prepare_qualtrics(raw), why
    if kind == "redcap":
        return prepare_redcap(raw, book), why
    if kind == "forms":
        return prepare_forms(raw), why
    raw.source = "excel" if by_ext == "excel" and source in ("auto", "excel") else "csv"
    return raw, why


def _flavour(source, head, columns, qualtrics, redcap, forms) -> tuple[str, str]:
    if source in ("redcap", "qualtrics", "forms", "csv"):
        return source, "source= given"
    if source == "excel":
        return "excel", "source= given"
    for kind, test in (
        ("qualtrics", lambda: qualtrics(head)),
        ("redcap", lambda: redcap(columns)),
        ("forms", lambda: forms(columns)),
    ):
        why = test()
        if why:
            return kind, why
    return "csv", "no export signature in the header: a generic table"
