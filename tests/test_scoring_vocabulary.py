"""The argument vocabulary of score and validate_responses: data first, instrument=, and
visible defaults for the identifier columns."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

from past_outcomes import ArgumentError, ResponseValidationError, score, validate_responses

FUNCTIONS = [score, validate_responses]


def phq9(**ids) -> pd.DataFrame:
    data = pd.DataFrame({f"phq9_{n}": [1, 2] for n in range(1, 10)})
    for name, values in ids.items():
        data[name] = values
    return data


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_data_is_the_only_positional_argument(fn):
    params = list(inspect.signature(fn).parameters.values())
    assert params[0].name == "data"
    assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])
    with pytest.raises(TypeError, match="positional argument"):
        fn(phq9(), "phq9")


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_identifier_defaults_are_visible(fn):
    sig = inspect.signature(fn)
    assert sig.parameters["subject"].default == "subject"
    assert sig.parameters["timepoint"].default == "timepoint"
    assert "object object" not in str(sig)
    doc = " ".join(fn.__doc__.replace("``", "").split())
    assert "used when the data have such a column; pass None to ignore" in doc


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_default_identifier_columns_may_be_absent(fn):
    out = fn(phq9(), instrument="phq9")
    assert len(out) == 2
    # passing the default name explicitly is the same call
    out2 = fn(phq9(), instrument="phq9", subject="subject", timepoint="timepoint")
    pd.testing.assert_frame_equal(out, out2)


@pytest.mark.parametrize("fn", FUNCTIONS)
@pytest.mark.parametrize("arg", ["subject", "timepoint"])
def test_a_named_identifier_column_must_exist(fn, arg):
    with pytest.raises(ArgumentError, match=rf"{arg}='client' must name a column of the data"):
        fn(phq9(), instrument="phq9", **{arg: "client"})


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_default_identifier_columns_are_used_when_present(fn):
    data = phq9(subject=["a", "a"], timepoint=["t1", "t1"])
    with pytest.raises(ResponseValidationError, match="more than one row") as info:
        fn(data, instrument="phq9")
    assert set(info.value.failure_cases["reason"]) == {"duplicate-observation"}
    # None ignores a present column
    assert len(fn(data, instrument="phq9", subject=None)) == 2


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_other_identifier_names_are_used(fn):
    data = phq9(client=["a", "a"], visit=["t1", "t1"])
    with pytest.raises(ResponseValidationError, match="subject a has more than one row"):
        fn(data, instrument="phq9", subject="client", timepoint="visit")


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_instrument_is_required(fn):
    with pytest.raises(TypeError, match="instrument"):
        fn(phq9())
