"""pseudonymize: keyed, stable, truncated hashes; e-mail and free text dropped unless kept."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import past_outcomes as po
from past_outcomes.errors import ArgumentError, PrivacyWarning

KEY = "a-long-practice-secret-0123456789"


def _frame():
    return pd.DataFrame(
        {
            "subject": ["101", "102", None, "101"],
            "email": ["a@x.org", "b@x.org", None, "a@x.org"],
            "remarks": ["ok", "long " * 20, None, "fine"],
            "phq9_1": [1, 2, 3, 0],
            "gender": ["woman", "man", "woman", "woman"],
        }
    )


def test_hashes_are_hmac_sha256_truncated_and_stable():
    data = _frame()
    with pytest.warns(PrivacyWarning, match=r"'email' \(e-mail column\); 'remarks' \(free text"):
        out = po.pseudonymize(data, columns="subject", key=KEY)
    expected = hmac.new(KEY.encode(), b"101", hashlib.sha256).hexdigest()[:16]
    assert out["subject"].tolist()[0] == expected == out["subject"].tolist()[3]
    assert pd.isna(out["subject"].iloc[2])
    assert list(out.columns) == ["subject", "phq9_1", "gender"]
    assert data["subject"].tolist()[0] == "101"  # input untouched
    with pytest.warns(PrivacyWarning):
        other = po.pseudonymize(data, columns="subject", key=KEY + "x")
    assert other["subject"].iloc[0] != expected


def test_keep_and_numbers_written_alike():
    data = pd.DataFrame({"id": [101, 101.0, " 101"], "email": ["a@x.org"] * 3})
    out = po.pseudonymize(data, columns=["id"], key=KEY, keep=["email"], length=8)
    assert out["id"].nunique() == 1 and len(out["id"].iloc[0]) == 8
    assert "email" in out.columns


def test_arguments_are_checked():
    data = _frame()
    with pytest.raises(ArgumentError, match="key must be at least 16 bytes long; got 6"):
        po.pseudonymize(data, columns="subject", key="secret")
    with pytest.raises(ArgumentError, match="columns must name columns of data; 'client'"):
        po.pseudonymize(data, columns="client", key=KEY)
    with pytest.raises(ArgumentError, match="length must be an integer from 8 to 64"):
        po.pseudonymize(data, columns="subject", key=KEY, length=4)


@settings(max_examples=50, deadline=None)
@given(ids=st.lists(st.text(min_size=1, max_size=12).filter(str.strip), min_size=1, max_size=20))
def test_distinct_ids_stay_distinct_and_equal_ids_equal(ids):
    out = po.pseudonymize(pd.DataFrame({"subject": ids}), columns="subject", key=KEY)
    pairs = dict(zip([i.strip() for i in ids], out["subject"], strict=True))
    assert len(set(pairs.values())) == len(pairs)
