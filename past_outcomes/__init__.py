"""past_outcomes: outcome measurement for psychedelic-assisted sex therapy.

The data flow reads top to bottom: read responses -> ``validate_responses`` -> ``score`` ->
change, reliable change and responders -> statistics -> tables, plots and notebooks.

Public names are loaded lazily, so that ``import past_outcomes`` stays fast: pandas, scipy,
statsmodels and pingouin are imported only by the functions that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    # instruments and scoring
    "load_instrument": "instrument",
    "list_instruments": "instrument",
    "Instrument": "instrument",
    "score": "scoring",
    "validate_responses": "scoring",
    # change over time
    "compute_change": "change",
    "classify_change": "change",
    "classify_responders": "change",
    "plot_change": "change",
    "ChangeClassification": "change",
    # statistics
    "prepost_test": "stats",
    "compare_groups": "stats",
    "compare_responders": "stats",
    "compute_reliability": "stats",
    "plan_sample_size": "stats",
    "compute_power": "stats",
    "compare_proportions": "stats",
    "compute_cohen_d": "stats",
    "compute_smcr": "stats",
    "compute_dppc2": "stats",
    "fit_mmrm": "mmrm",
    "MMRMResult": "mmrm",
    "MMRMConvergenceError": "errors",
    # formatting for tables and reports
    "format_p": "display",
    "format_ci": "display",
    "format_warnings": "display",
    # data sets
    "read_dataset": "datasets",
    "list_datasets": "datasets",
    # errors and warnings
    "PastOutcomesError": "errors",
    "InstrumentDefinitionError": "errors",
    "UnknownInstrumentError": "errors",
    "ArgumentError": "errors",
    "OutputPathError": "errors",
    "InputFileError": "errors",
    "EstimationError": "errors",
    "NotebookExecutionError": "errors",
    "DataValidationError": "errors",
    "ResponseValidationError": "errors",
    "PastOutcomesWarning": "errors",
    "ProrationWarning": "errors",
    "UnpairedSubjectsWarning": "errors",
    "SampleEstimateWarning": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'past_outcomes' has no attribute {name!r}")
    module = importlib.import_module(f"past_outcomes.{module_name}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)


if TYPE_CHECKING:  # pragma: no cover - for static analysers only
    from past_outcomes.change import (
        ChangeClassification,
        classify_change,
        classify_responders,
        compute_change,
        plot_change,
    )
    from past_outcomes.datasets import list_datasets, read_dataset
    from past_outcomes.display import format_ci, format_p, format_warnings
    from past_outcomes.errors import (
        ArgumentError,
        DataValidationError,
        EstimationError,
        InputFileError,
        InstrumentDefinitionError,
        MMRMConvergenceError,
        NotebookExecutionError,
        OutputPathError,
        PastOutcomesError,
        PastOutcomesWarning,
        ProrationWarning,
        ResponseValidationError,
        SampleEstimateWarning,
        UnknownInstrumentError,
        UnpairedSubjectsWarning,
    )
    from past_outcomes.instrument import Instrument, list_instruments, load_instrument
    from past_outcomes.mmrm import MMRMResult, fit_mmrm
    from past_outcomes.scoring import score, validate_responses
    from past_outcomes.stats import (
        compare_groups,
        compare_proportions,
        compare_responders,
        compute_cohen_d,
        compute_dppc2,
        compute_power,
        compute_reliability,
        compute_smcr,
        plan_sample_size,
        prepost_test,
    )
