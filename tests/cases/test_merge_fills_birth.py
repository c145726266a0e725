"""Review: a merge fills the kept record's blank fields from the merged one, and a date of
birth the kept record lacks is the most blank of them: a merge must not leave the live record
without the date the other record knew (it stayed only on the pointer). The same for the place
of origin's coordinates. All names and dates are synthetic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cases import services
from cases.exceptions import MergeDatesConflict
from cases.models import Child, DatePrecision
from tests.factories.cases import make_case, move_case

pytestmark = pytest.mark.django_db

BOY = {
    "given_name": "Олексій",
    "family_name": "Коваленко",
    "patronymic": "Сергійович",
    "sex": "male",
}


def test_review_merge_fills_a_missing_birth_date_and_coordinates(
    django_capture_on_commit_callbacks: Any,
) -> None:
    kept = make_case(
        child={**BOY, "date_of_birth": None, "date_of_birth_precision": DatePrecision.ESTIMATED}
    )
    merged = make_case(
        child={
            **BOY,
            "date_of_birth": dt.date(2012, 5, 17),
            "date_of_birth_precision": DatePrecision.EXACT,
            "origin_latitude": Decimal("47.838800"),
            "origin_longitude": Decimal("35.139600"),
        }
    )
    move_case(merged, "closed")

    services.child_merge(kept_id=kept.child_id, merged_id=merged.child_id, actor=None)

    child = Child.objects.get(pk=kept.child_id)
    assert child.date_of_birth == dt.date(2012, 5, 17)
    assert child.date_of_birth_precision == DatePrecision.EXACT
    assert (child.origin_latitude, child.origin_longitude) == (
        Decimal("47.838800"),
        Decimal("35.139600"),
    )


def test_review_merge_refuses_a_filled_birth_date_after_a_kept_case_was_taken() -> None:
    kept = make_case(
        child={**BOY, "date_of_birth": None, "date_of_birth_precision": DatePrecision.ESTIMATED},
        deported_on=dt.date(2011, 3, 1),
    )
    merged = make_case(child={**BOY, "date_of_birth": dt.date(2012, 5, 17)})
    move_case(merged, "closed")

    with pytest.raises(MergeDatesConflict):
        services.child_merge(kept_id=kept.child_id, merged_id=merged.child_id, actor=None)
    assert Child.objects.get(pk=merged.child_id).merged_into_id is None
