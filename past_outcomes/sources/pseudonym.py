"""``pseudonymize``: identifiers replaced by stable keyed hashes; e-mail and free text dropped.

Each value of the named identifier columns becomes ``HMAC-SHA256(key, value)``, written as
the first ``length`` hexadecimal characters (default 16, i.e. 64 bits: collisions among a
practice's few thousand clients have a probability below 10^-11), so that:

- the same client gets the same pseudonym in every file hashed with the same key (files can
  still be linked), and a different one under another key;
- without the key nobody can recompute the pseudonym of a known id (an unkeyed hash of a
  record number can be reversed by hashing every number: the key is what makes it safe).
  Keep the key out of the data folder; losing it means new pseudonyms next time.

Values are hashed as text, stripped of surrounding spaces, with whole numbers written
without a decimal part (``101``, ``101.0`` and ``" 101"`` give one pseudonym). Missing values
stay missing.

Columns dropped unless named in ``keep=`` (a :class:`PrivacyWarning` lists them):

- **e-mail**: a column whose name contains ``mail`` or any value of which looks like an
  address (``name@domain.tld``);
- **free text**: a column whose name marks it (``name``, ``comment``, ``note``, ``text``,
  ``address``, ``phone``, ``ip``), Qualtrics' ``_TEXT`` columns, or a text column holding a
  value over 60 characters or a line break.

Item columns (``<id>_<n>``), the identifier columns hashed, ``timepoint``, ``date``,
``group`` and the provenance columns are never dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import check_dataframe
from past_outcomes.errors import ArgumentError, PrivacyWarning, short_repr
from past_outcomes.sources.codebook import ITEM_COLUMN

__all__ = ["pseudonymize", "MIN_KEY_BYTES"]

#: Shortest key accepted (bytes, after UTF-8 encoding).
MIN_KEY_BYTES = 16
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_FREE_NAME = re.compile(r"(mail|name|comment|note|text|address|phone|\bip\b|ipaddress)", re.I)
_NEVER_DROPPED = {"subject", "timepoint", "date", "group", "source_file", "source_line"}
_LONG_TEXT = 60


def pseudonymize(
    data: pd.DataFrame,
    *,
    columns: str | Sequence[str],
    key: str | bytes,
    keep: Sequence[str] = (),
    length: int = 16,
) -> pd.DataFrame:
    """A copy of ``data`` with identifiers hashed and e-mail and free-text columns dropped.

    Parameters
    ----------
    data
        Any frame (``read_responses(...).table``, a score table).
    columns
        The identifier column(s) to replace by pseudonyms (``"subject"``).
    key
        The secret key: text or bytes, at least :data:`MIN_KEY_BYTES` bytes.
    keep
        Columns to keep although they look like e-mail or free text.
    length
        Hexadecimal characters kept of the 64 of the HMAC-SHA256 digest (8 to 64).

    Returns
    -------
    DataFrame
        A copy (``data`` is not modified); hashed columns are pandas strings.

    Warns
    -----
    PrivacyWarning
        When columns were dropped, naming each and why.
    """
    check_dataframe("data", data)
    cols = [columns] if isinstance(columns, str) else list(columns)
    secret = _check_key(key)
    if isinstance(length, bool) or not isinstance(length, int) or not 8 <= length <= 64:
        raise ArgumentError(f"length must be an integer from 8 to 64; got {short_repr(length)}.")
    if isinstance(keep, str) or not all(isinstance(k, str) for k in keep):
        raise ArgumentError(f"keep must be a list of column names; got {short_repr(keep)}.")
    for name, listed in (("columns", cols), ("keep", list(keep))):
        absent = [c for c in listed if c not in data.columns]
        if absent or (name == "columns" and not listed):
            raise ArgumentError(
                f"{name} must name columns of data; {', '.join(map(repr, absent)) or 'none given'} "
                f"{'is' if len(absent) == 1 else 'are'} not among {short_repr(list(data.columns), 200)}."
            )
    out = data.copy()
    for col in cols:
        out[col] = pd.array(
            [_hash(secret, v, length) for v in data[col].to_numpy(dtype=object)], dtype="string"
        )
    dropped = _to_drop(data, set(cols) | set(keep))
    if dropped:
        warnings.warn(
            "pseudonymize dropped "
            + "; ".join(f"{c!r} ({why})" for c, why in dropped.items())
            + ". Pass keep=[...] to keep a column.",
            PrivacyWarning,
            stacklevel=2,
        )
        out = out.drop(columns=list(dropped))
    return out


def _check_key(key: Any) -> bytes:
    if isinstance(key, str):
        secret = key.encode("utf-8")
    elif isinstance(key, bytes):
        secret = key
    else:
        raise ArgumentError(f"key must be text or bytes; got {type(key).__name__}.")
    if len(secret) < MIN_KEY_BYTES:
        raise ArgumentError(
            f"key must be at least {MIN_KEY_BYTES} bytes long; got {len(secret)}. Use a long "
            'random secret (e.g. python -c "import secrets; print(secrets.token_hex(16))") '
            "and keep it apart from the data."
        )
    return secret


def _hash(secret: bytes, value: Any, length: int) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        value = int(value)
    text = str(value).strip()
    if not text:
        return None
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def _to_drop(data: pd.DataFrame, protected: set) -> dict[str, str]:
    dropped: dict[str, str] = {}
    for col in data.columns:
        name = str(col)
        if col in protected or name in _NEVER_DROPPED or ITEM_COLUMN.match(name):
            continue
        if "mail" in name.lower():
            dropped[name] = "e-mail column"
            continue
        if _FREE_NAME.search(name) or name.upper().endswith("_TEXT"):
            dropped[name] = "free text or identifying by its name"
            continue
        text = [v for v in data[col].to_numpy(dtype=object) if isinstance(v, str)]
        if any(_EMAIL.search(v) for v in text):
            dropped[name] = "holds e-mail addresses"
        elif any(len(v) > _LONG_TEXT or "\n" in v for v in text):
            dropped[name] = f"free text (a value over {_LONG_TEXT} characters or a line break)"
    return dropped
