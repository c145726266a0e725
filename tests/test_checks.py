"""``core.checks``: the input checks every app's services share."""

from __future__ import annotations

import pytest

from core.checks import raise_field_errors, reject_unknown_fields
from core.errors import ValidationFailed


def test_reject_unknown_fields_names_each_unknown_field():
    reject_unknown_fields({"kind": "camp"}, {"kind", "name"})
    with pytest.raises(ValidationFailed) as excinfo:
        reject_unknown_fields({"kind": "camp", "status": "x", "id": 1}, {"kind"})
    assert sorted(excinfo.value.fields) == ["id", "status"]
    assert "id, status" in excinfo.value.detail


def test_raise_field_errors_raises_all_with_the_first_as_detail():
    raise_field_errors({})
    with pytest.raises(ValidationFailed) as excinfo:
        raise_field_errors({"to_date": ["Too early."], "country": ["Unknown."]})
    assert excinfo.value.detail == "to_date: Too early."
    assert set(excinfo.value.fields) == {"to_date", "country"}
    with pytest.raises(ValidationFailed) as excinfo:
        raise_field_errors({"non_field_errors": ["Both or neither."]})
    assert excinfo.value.detail == "Both or neither."
