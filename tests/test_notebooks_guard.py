"""Guard: strict nbval only means something if the stored notebooks are real.

Fails when a notebook is missing, has unexecuted cells, execution counts other than 1..N, no
stored outputs, stderr output, machine-specific paths, no parameters cell, private imports,
or a py:percent twin that has drifted from it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from past_outcomes.reports import NOTEBOOKS, notebooks_dir

FOLDER = notebooks_dir()
PATHS = [FOLDER / f"{name}.ipynb" for name in NOTEBOOKS]
MACHINE_PATHS = re.compile(r"/work/|/root/|/home/|/tmp/|site-packages|[A-Z]:\\\\")


def _code_cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


@pytest.mark.parametrize("path", PATHS, ids=list(NOTEBOOKS))
def test_notebook_is_stored_executed_in_order(path: Path):
    assert path.is_file(), f"{path.name} is missing"
    cells = _code_cells(path)
    assert cells, "no code cells"
    counts = [c.get("execution_count") for c in cells]
    assert None not in counts, "unexecuted code cells: strict nbval would check nothing"
    assert counts == list(range(1, len(cells) + 1)), "execution counts must be 1..N"
    assert sum(bool(c.get("outputs")) for c in cells) >= len(cells) // 2, "too few stored outputs"


@pytest.mark.parametrize("path", PATHS, ids=list(NOTEBOOKS))
def test_outputs_are_clean_and_machine_independent(path: Path):
    for cell in _code_cells(path):
        for out in cell.get("outputs", []):
            assert out.get("name") != "stderr", f"stderr output in {path.name}: {out.get('text')}"
            assert out.get("output_type") != "error", f"stored error in {path.name}"
            text = json.dumps({k: v for k, v in out.get("data", {}).items() if k != "image/png"})
            text += "".join(out.get("text", []))
            assert not MACHINE_PATHS.search(text), f"machine path in {path.name}: {text[:200]}"


@pytest.mark.parametrize("path", PATHS, ids=list(NOTEBOOKS))
def test_parameters_cell_and_public_api_only(path: Path):
    cells = _code_cells(path)
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell must be tagged 'parameters'"
    source = "".join(tagged[0]["source"])
    for name in ("data_path", "seed", "alpha"):
        assert re.search(rf"^{name}\s*:", source, re.M), f"parameters cell lacks {name}"
    code = "\n".join("".join(c["source"]) for c in cells)
    assert "import past_outcomes as po" in code
    assert not re.search(r"past_outcomes\._|from past_outcomes\.\w*_", code), "private import"


@pytest.mark.parametrize("path", PATHS, ids=list(NOTEBOOKS))
def test_jupytext_twin_matches_the_notebook(path: Path):
    jupytext = pytest.importorskip("jupytext")
    twin = path.with_suffix(".py")
    assert twin.is_file(), f"{twin.name} (py:percent twin) is missing"
    from_py = [
        c.source for c in jupytext.read(twin).cells if c.cell_type == "code" and c.source.strip()
    ]
    from_nb = ["".join(c["source"]) for c in _code_cells(path)]
    assert from_py == from_nb, f"{twin.name} and {path.name} differ: re-run notebooks/rebuild.sh"
