"""Write the minimal example file of each notebook: a few clients of its bundled data set.

Run from the repository root: ``python data/examples/make_examples.py``. Each file keeps the
bundled file's header and the lines of the chosen clients, byte for byte, so it has exactly the
layout of the notebook's data contract (``past_outcomes.contracts``). Synthetic data only.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
SYNTHETIC = HERE.parent / "synthetic"

#: notebook -> (bundled data set, clients kept)
EXAMPLES = {
    "01_scoring": ("past_pilot", 8),
    "02_pilot_prepost": ("past_pilot", 16),
    "03_two_arm_trial": ("mdma_trial", 40),
    "04_client_progress": ("practice_rom", 4),
    "05_psychometrics_and_power": ("past_pilot", 24),
}


def subset(dataset: str, n_clients: int, must: tuple[str, ...] = ()) -> str:
    text = (SYNTHETIC / f"{dataset}.csv").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    col = header.index("subject")
    split = header.index("arm") if "arm" in header else header.index("anatomy")
    # the first clients of each arm (or anatomy) in file order, so both forms are present
    groups: dict[str, list[str]] = {}
    for row in body:
        groups.setdefault(row[split], [])
        if row[col] not in groups[row[split]]:
            groups[row[split]].append(row[col])
    keep = set(must)
    per = max(1, (n_clients - len(keep)) // len(groups))
    for clients in groups.values():
        keep.update(clients[:per])
    assert len(lines) == len(rows), "one line per record"
    return "".join(
        [lines[0]] + [ln for ln, row in zip(lines[1:], body, strict=True) if row[col] in keep]
    )


def disposition(trial_csv: str) -> str:
    """The bundled trial's disposition rows of the participants in ``trial_csv``, byte for
    byte (03_two_arm_trial's ``--disposition`` example)."""
    kept = {row[0] for row in list(csv.reader(io.StringIO(trial_csv)))[1:]}
    text = (SYNTHETIC / "mdma_trial_disposition.csv").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    rows = list(csv.reader(io.StringIO(text)))
    col = rows[0].index("subject")
    assert len(lines) == len(rows), "one line per record"
    return "".join([lines[0]] + [ln for ln, row in zip(lines[1:], rows[1:], strict=True)
                                 if row[col] in kept])  # fmt: skip


def main() -> None:
    for notebook, (dataset, n) in EXAMPLES.items():
        must = ("C09",) if notebook == "04_client_progress" else ()
        text = subset(dataset, n, must)
        (HERE / f"{notebook}.csv").write_text(text, encoding="utf-8")
        if notebook == "03_two_arm_trial":
            (HERE / f"{notebook}_disposition.csv").write_text(disposition(text), encoding="utf-8")


if __name__ == "__main__":
    main()
