"""Rendering: the Jinja2 templates, the footer's provenance and the :class:`Report` result.

Templates live in ``past_outcomes/report/templates`` (``*.html.j2``, shipped as package data)
and are rendered with autoescaping on: every value from the data is escaped, so a client id
or an action typed into the actions file cannot inject markup. The page is self-contained:
styles inline, charts as ``data:`` URIs, no script and no network address, with a print
stylesheet (A4, no background colours lost on the banner, charts kept whole on a page).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from past_outcomes.report.data import ReportData


@dataclass(frozen=True)
class Report:
    """A rendered report: ``html`` (one self-contained page) and where its data came from.

    ``inputs`` are the files the report was built from (the data file, the actions file):
    :meth:`write` refuses to overwrite any of them.
    """

    html: str
    kind: str
    title: str
    inputs: tuple[Path, ...] = ()

    def write(self, path: str | os.PathLike, *, force: bool = False) -> Path:
        """Write the page to ``path`` atomically; refuse an input or (without ``force``) an
        existing file (``OutputPathError``). Returns the path."""
        from past_outcomes._io import atomic_write, check_output_path

        out = check_output_path(path, inputs=self.inputs, force=force, option="the output")
        with atomic_write(out) as fh:
            fh.write(self.html)
        return out

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<Report {self.kind}: {self.title!r}, {len(self.html):,} characters of HTML>"


def environment() -> Any:
    """The Jinja2 environment over the package's templates (autoescape on)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("past_outcomes.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: Any) -> str:
    return str(environment().get_template(template).render(**context))


def provenance(rd: ReportData, instruments: Iterable[str]) -> dict[str, Any]:
    """What the footer states: package version, data file and checksum, spec versions."""
    from past_outcomes import __version__

    specs = []
    for i in instruments:
        spec = rd.instruments[i]
        scale = spec.primary_scale
        specs.append(
            {
                "name": spec.short_name,
                "id": spec.id,
                "version": spec.version or "not stated in the spec",
                "source": spec.sources.get(scale.source, scale.source),
            }
        )
    return {"version": __version__, "data_name": rd.name, "sha256": rd.sha256, "specs": specs}


def inputs_of(rd: ReportData, actions: str | os.PathLike | None) -> tuple[Path, ...]:
    files = [rd.path] if rd.path is not None else []
    if actions is not None:
        files.append(Path(actions))
    return tuple(files)
