"""Writing the synthetic data sets to disk: ``past-outcomes synth``.

:func:`write_datasets` regenerates the CSV files of ``data/synthetic/`` (or writes them to
another folder) with a manifest of their SHA-256, checking every output before anything is
written and never changing a file's content without ``force``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from past_outcomes.datasets import DATASETS
from past_outcomes.errors import ArgumentError, OutputPathError
from past_outcomes.synthetic import generate

__all__ = ["write_datasets"]


def _repo_data_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "data" / "synthetic"


def _to_csv_bytes(df: pd.DataFrame) -> bytes:
    """Deterministic CSV: fixed column order, LF line ends, integers as integers, ISO dates."""
    text = df.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d")
    return text.encode("utf-8")


def write_datasets(
    out_dir: str | Path | None = None,
    names: Iterable[str] | None = None,
    *,
    force: bool = False,
) -> list[Path]:
    """Generate data sets with their documented seeds and write them as CSV files.

    Parameters
    ----------
    out_dir : str or Path, optional
        Directory to write into (created if needed). None (default) writes the repository's
        ``data/synthetic/``, replacing the committed files with identical bytes.
    names : iterable of str, optional
        Data sets to write; default all of ``DATASETS``.
    force : bool, default False
        Replace existing files whose content would change. Without it, an existing
        ``<name>.csv`` is rewritten only when the new bytes are identical (so regenerating the
        committed data needs no ``force``), and an existing ``manifest.json`` only when it is a
        manifest this function wrote (its entries for other data sets are kept). Other files
        in the folder are never touched.

    Returns
    -------
    list of Path
        The CSV files written (``<name>.csv``), then ``manifest.json``, which records each
        file's seed, rows, columns and SHA-256.

    Raises
    ------
    OutputPathError
        ``out_dir`` is a file or lies under one, is not writable, or an existing file would
        change without ``force``. Everything is checked before anything is written; each
        file is written atomically (a temporary file, then a rename).
    """
    from past_outcomes._io import atomic_write, check_output_path

    out = _repo_data_dir() if out_dir is None else Path(out_dir)
    names = list(DATASETS) if names is None else list(names)
    for name in names:
        if name not in DATASETS:
            raise ArgumentError(
                f"names must be among {', '.join(map(repr, DATASETS))}; got {name!r}."
            )
    if os.path.lexists(out) and not out.is_dir():
        raise OutputPathError(
            f"out_dir (--out) must be a folder for the data sets; {str(out)!r} is a file. Name a folder "
            "(it is created if needed)."
        )
    manifest_path = out / "manifest.json"
    manifest = _read_manifest(manifest_path, force)
    contents: dict[Path, bytes] = {}
    for name in names:
        description, seed = DATASETS[name]
        df = generate(name)
        data = _to_csv_bytes(df)
        contents[out / f"{name}.csv"] = data
        manifest[name] = {
            "file": f"{name}.csv",
            "description": description,
            "seed": seed,
            "rows": len(df),
            "columns": len(df.columns),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    manifest = {k: manifest[k] for k in sorted(manifest)}
    contents[manifest_path] = (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
    for path, data in contents.items():  # check everything before writing anything
        same = path.is_file() and _read_or_none(path) == data
        check_output_path(path, force=force or same or path == manifest_path)
    for path, data in contents.items():
        with atomic_write(path, mode="wb") as fh:
            fh.write(data)
    return list(contents)


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _read_manifest(path: Path, force: bool) -> dict[str, dict]:
    """The existing manifest's entries; {} if none (or if ``force`` and it is not ours)."""
    if not os.path.lexists(path):
        return {}
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
        if isinstance(manifest, dict) and all(
            isinstance(v, dict) and "sha256" in v for v in manifest.values()
        ):
            return manifest
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        pass
    if force:
        return {}
    raise OutputPathError(
        f"--out must not overwrite an existing file; {str(path)!r} exists and is not a "
        "manifest written by `past-outcomes synth`. Choose another folder, or pass --force "
        "to replace it."
    )
