"""Reading real exports into the canonical long layout (``read_responses``).

Modules, in the order data flow through them:

- ``reader``: ``read_responses`` and ``ImportResult``: detects the source, runs its adapter,
  maps columns to items, decodes answer labels, checks the coding, builds the canonical frame
  (subject, timepoint, date, group, ``<id>_<n>`` items, ``source_file``, ``source_line``).
- ``table``: ``SourceTable``, what every adapter hands to the reader.
- ``detect``: ``detect_and_read``: the source from the extension and the header signature.
- ``delimited``: generic CSV/TSV text: encoding, delimiter and decimal-comma detection.
- ``excel``: ``.xlsx`` workbooks through openpyxl.
- ``spss``: SPSS ``.sav`` and Stata ``.dta`` through pyreadstat (value labels, user missing).
- ``redcap``: REDCap raw and label exports, events, arms, repeating instruments, checkboxes,
  ``<form>_complete``, the data dictionary.
- ``qualtrics``: Qualtrics CSV with three header rows; previews and unfinished responses.
- ``forms``: Google Forms and Microsoft Forms (question-text headers, answer words).
- ``codebook``: ``load_codebook``: the declared mapping of columns to items and labels to codes.
- ``dates``: day-first or month-first dates, decided from the data or refused.
- ``pseudonym``: ``pseudonymize``: keyed hashes for identifiers; free text and e-mail dropped.

This package ``__init__`` imports nothing (the top-level package loads names lazily).
"""
