"""Review: the admin's duplicate page shows both children's names and dates of birth whatever
the method; a POST that decides nothing (no button, a pair decided already, a refused merge)
renders them again and must be recorded as a read like the GET. All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from audit.models import READ_ACTIONS, AuditEvent
from cases import services
from cases.models import DuplicatePair
from tests.factories.cases import make_case

pytestmark = pytest.mark.django_db

BOY = {
    "given_name": "Олексій",
    "family_name": "Коваленко",
    "patronymic": "Сергійович",
    "sex": "male",
    "date_of_birth": dt.date(2012, 5, 17),
}


def test_review_admin_duplicate_post_without_a_decision_records_the_read(
    client: Any, user: Any
) -> None:
    make_case(child=BOY)
    make_case(child={**BOY, "family_name": "Петров"})
    services.duplicate_pairs_scan_batch()
    pair = DuplicatePair.objects.get()
    client.force_login(user)
    reads_before = AuditEvent.objects.filter(action__in=READ_ACTIONS).count()

    response = client.post(
        reverse("admin:cases_duplicatepair_change", args=[pair.pk]), {"note": "x"}
    )

    assert response.status_code == 200
    assert "Коваленко" in response.content.decode()  # both children shown...
    # ...and the showing recorded, as a GET's is.
    assert AuditEvent.objects.filter(action__in=READ_ACTIONS).count() == reads_before + 1
