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
    "parse_instrument": "instrument",
    "score": "scoring",
    "validate_responses": "scoring",
    # change over time
    "compute_change": "change.difference",
    "classify_change": "change.rci",
    "classify_responders": "change.responders",
    "plot_change": "change.difference",
    "plot_responders": "change.responders",
    "ChangeResult": "change.difference",
    "ChangeClassification": "change.difference",
    "ResponderResult": "change.responders",
    # statistics
    "compare_prepost": "stats.prepost",
    "PrePostResult": "stats.prepost",
    "compare_groups": "stats.groups",
    "GroupComparisonResult": "stats.groups",
    "compare_responders": "stats.proportions",
    "compare_proportions": "stats.proportions",
    "ResponderComparisonResult": "stats.proportions",
    "compute_cohen_d": "stats.effect_size",
    "compute_smcr": "stats.effect_size",
    "compute_dppc2": "stats.effect_size",
    "EffectSizeResult": "stats.effect_size",
    "plan_sample_size": "stats.power",
    "compute_power": "stats.power",
    "PowerResult": "stats.power",
    "compute_reliability": "stats.reliability",
    "ReliabilityResult": "stats.reliability",
    "fit_mmrm": "stats.mmrm",
    # registry scale (Dask)
    "compute_registry_summary": "registry.summary",
    "MMRMResult": "stats.mmrm",
    "compute_reference_imputation": "stats.imputation",
    "ReferenceImputationResult": "stats.imputation",
    "compute_multiple_imputation": "stats.multiple_imputation",
    "MultipleImputationResult": "stats.multiple_imputation",
    "compute_responder_imputation": "stats.multiple_imputation",
    "ResponderImputationResult": "stats.multiple_imputation",
    # estimands, missing-data sensitivity, blinding (ICH E9(R1))
    "Estimand": "estimand",
    "IntercurrentEvent": "estimand",
    "compute_tipping_point": "stats.tipping",
    "TippingPointResult": "stats.tipping",
    "compute_blinding_index": "stats.blinding",
    "BlindingIndexResult": "stats.blinding",
    # the flow of participants (CONSORT 2010)
    "build_consort": "consort",
    "ConsortResult": "consort",
    # formatting for tables and reports
    "format_p": "display",
    "format_ci": "display",
    "format_warnings": "display",
    "format_table": "display",
    "format_markdown": "display",
    "format_count": "display",
    "format_range": "display",
    "format_figure": "display",
    # data sets
    "read_dataset": "datasets",
    "list_datasets": "datasets",
    # reading exports (REDCap, Qualtrics, Forms, SPSS, Stata, Excel, CSV)
    "read_responses": "sources.reader",
    "ImportResult": "sources.reader",
    "load_codebook": "sources.codebook",
    "pseudonymize": "sources.pseudonym",
    "format_dataset": "datasets",
    "check_contract": "contracts",
    "format_contract": "contracts",
    # practitioner reports (self-contained HTML)
    "build_client_report": "report.client",
    "build_caseload_report": "report.caseload",
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
    "DataContractError": "errors",
    "PastOutcomesWarning": "errors",
    "ProrationWarning": "errors",
    "UnpairedSubjectsWarning": "errors",
    "SampleEstimateWarning": "errors",
    "PrivacyWarning": "errors",
    "UnverifiedRuleWarning": "errors",
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
    from past_outcomes.change.difference import (
        ChangeClassification,
        ChangeResult,
        compute_change,
        plot_change,
    )
    from past_outcomes.change.rci import classify_change
    from past_outcomes.change.responders import (
        ResponderResult,
        classify_responders,
        plot_responders,
    )
    from past_outcomes.consort import ConsortResult, build_consort
    from past_outcomes.contracts import check_contract, format_contract
    from past_outcomes.datasets import format_dataset, list_datasets, read_dataset
    from past_outcomes.display import (
        format_ci,
        format_count,
        format_figure,
        format_markdown,
        format_p,
        format_range,
        format_table,
        format_warnings,
    )
    from past_outcomes.errors import (
        ArgumentError,
        DataContractError,
        DataValidationError,
        EstimationError,
        InputFileError,
        InstrumentDefinitionError,
        MMRMConvergenceError,
        NotebookExecutionError,
        OutputPathError,
        PastOutcomesError,
        PastOutcomesWarning,
        PrivacyWarning,
        ProrationWarning,
        ResponseValidationError,
        SampleEstimateWarning,
        UnknownInstrumentError,
        UnpairedSubjectsWarning,
        UnverifiedRuleWarning,
    )
    from past_outcomes.estimand import Estimand, IntercurrentEvent
    from past_outcomes.instrument import (
        Instrument,
        list_instruments,
        load_instrument,
        parse_instrument,
    )
    from past_outcomes.registry.summary import compute_registry_summary
    from past_outcomes.report.caseload import build_caseload_report
    from past_outcomes.report.client import build_client_report
    from past_outcomes.scoring import score, validate_responses
    from past_outcomes.sources.codebook import load_codebook
    from past_outcomes.sources.pseudonym import pseudonymize
    from past_outcomes.sources.reader import ImportResult, read_responses
    from past_outcomes.stats.blinding import BlindingIndexResult, compute_blinding_index
    from past_outcomes.stats.effect_size import (
        EffectSizeResult,
        compute_cohen_d,
        compute_dppc2,
        compute_smcr,
    )
    from past_outcomes.stats.groups import GroupComparisonResult, compare_groups
    from past_outcomes.stats.imputation import (
        ReferenceImputationResult,
        compute_reference_imputation,
    )
    from past_outcomes.stats.mmrm import MMRMResult, fit_mmrm
    from past_outcomes.stats.multiple_imputation import (
        MultipleImputationResult,
        ResponderImputationResult,
        compute_multiple_imputation,
        compute_responder_imputation,
    )
    from past_outcomes.stats.power import PowerResult, compute_power, plan_sample_size
    from past_outcomes.stats.prepost import PrePostResult, compare_prepost
    from past_outcomes.stats.proportions import (
        ResponderComparisonResult,
        compare_proportions,
        compare_responders,
    )
    from past_outcomes.stats.reliability import ReliabilityResult, compute_reliability
    from past_outcomes.stats.tipping import TippingPointResult, compute_tipping_point
