"""The Guardian with what a notebook hands it: pandas columns, missing values, numbers,
and a check without a call context.

``df.notes.map(guardian.redact)`` failed on the first NaN with a bare AttributeError,
``guardian.redact(df.notes)`` with pandas' "truth value of a Series is ambiguous", and
``await guardian.check_input(text)`` needed a GuardContext nobody has in a notebook."""

from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd
import pytest

from orchestration_kernel import Guardian
from orchestration_kernel.errors import ConfigurationError

CARD = "4111" + "1111" * 3  # Visa's documented test number, built at run time


def test_a_column_or_a_table_is_redacted_cell_by_cell_and_keeps_its_index() -> None:
    guardian = Guardian()
    notes = pd.Series(["my ssn is 123-45-6789", None, np.nan, "fine"], index=[7, 8, 9, 10])
    out = guardian.redact(notes)
    assert list(out.index) == [7, 8, 9, 10]
    assert out[7] == "my ssn is <US_SSN>" and pd.isna(out[8]) and pd.isna(out[9])
    assert out[10] == "fine"
    assert notes.map(guardian.redact)[7] == "my ssn is <US_SSN>"  # map meets the NaN too
    table = guardian.redact(pd.DataFrame({"note": ["card " + CARD], "card": [float(CARD)]}))
    assert table.loc[0, "note"] == "card <CREDIT_CARD>" and table.loc[0, "card"] == "<CREDIT_CARD>"


def test_a_number_is_redacted_by_its_digits_and_left_alone_when_clean() -> None:
    guardian = Guardian()
    assert guardian.redact(int(CARD)) == "<CREDIT_CARD>"
    assert guardian.redact(np.int64(42)) == 42 and guardian.redact(2.5) == 2.5
    assert guardian.redact(None) is None
    with pytest.raises(ConfigurationError, match="takes text, a pandas Series"):
        guardian.redact(object())


def test_check_input_and_output_need_no_context() -> None:
    guardian = Guardian()
    verdict = asyncio.run(guardian.check_input("my ssn is 123-45-6789"))
    assert verdict.text == "my ssn is <US_SSN>"
    assert asyncio.run(guardian.check_output("all good")).action == "allow"
