"""The admin's page for a new case looks the child up in the registry before saving: likely and
possible candidates are listed above the form (as the user may see them), and the case opens
only once they are ticked as looked at. All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.models import Organization
from audit.models import Action, AuditEvent
from cases.models import Case, Child
from tests.cases.admin_pages import add_url, form_data, form_errors
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case

pytestmark = pytest.mark.django_db

OLEKSII = {
    "family_name": "Коваленко",
    "given_name": "Олексій",
    "patronymic": "Сергійович",
    "sex": "male",
    "date_of_birth": dt.date(2012, 5, 17),
    "date_of_birth_precision": "exact",
}
NEW_CHILD = {
    **OLEKSII,
    "date_of_birth": "2012-05-17",
    "pathway": "from_institution",
    "deported_on": "2022-04-10",
    "priority": "high",
}


def _post_new_child(client: Any, **child: Any) -> Any:
    page = client.get(add_url())
    assert page.status_code == 200
    return client.post(add_url(), {**form_data(page), **NEW_CHILD, **child})


def _read_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.LIST, object_type="cases.case"))


def test_case_add_lists_a_likely_candidate_and_saves_only_once_ticked(
    client: Any, user: Any, home: Organization, oblasts: Any
) -> None:
    existing = make_case(organization=home, child=OLEKSII)
    client.force_login(user)
    before = {event.pk for event in _read_events()}

    refused = _post_new_child(client)

    assert refused.status_code == 200
    assert "candidates_checked" in form_errors(refused)
    rows = refused.context["match_candidates"]
    assert [row.candidate.case_id for row in rows] == [existing.pk]
    page = refused.content.decode()
    assert existing.number in page
    assert "match-likely" in page
    assert "given name equal" in page
    assert Case.objects.count() == 1
    assert Child.objects.count() == 1
    # Listing the candidates is a read of the case it shows.
    [event] = [e for e in _read_events() if e.pk not in before]
    assert event.metadata["records"] == {"cases.case": [existing.pk]}

    saved = client.post(add_url(), {**form_data(refused), "candidates_checked": "on"})

    assert saved.status_code == 302, form_errors(saved)
    assert Case.objects.count() == 2


def test_case_add_lists_possible_candidates_too(
    client: Any, user: Any, home: Organization, oblasts: Any
) -> None:
    make_case(organization=home, child=OLEKSII)
    client.force_login(user)

    # A changed surname: possible only (the API would open the case at once).
    refused = _post_new_child(client, family_name="Іваненко")

    assert refused.status_code == 200
    assert [row.candidate.band for row in refused.context["match_candidates"]] == ["possible"]
    assert "candidates_checked" in form_errors(refused)
    assert Case.objects.count() == 1


def test_case_add_without_candidates_saves_at_once(
    client: Any, user: Any, home: Organization, oblasts: Any
) -> None:
    make_case(organization=home, child={**OLEKSII, "given_name": "Марія", "sex": "female"})
    client.force_login(user)

    response = _post_new_child(client, given_name="Тарас", family_name="Шевчишин")

    assert response.status_code == 302, form_errors(response)
    assert Case.objects.count() == 2


def test_case_add_shows_a_child_held_elsewhere_without_personal_data(
    client: Any, home: Organization, oblasts: Any
) -> None:
    elsewhere = OrganizationFactory.create(name="Synthetic organization elsewhere")
    held = make_case(organization=elsewhere, child={**OLEKSII, "origin_settlement": "Сніжне"})
    client.force_login(make_member("caseworker", home))

    refused = _post_new_child(client)

    [row] = refused.context["match_candidates"]
    assert not row.candidate.visible
    page = refused.content.decode()
    assert f"A likely match is held by {elsewhere.name}." in page
    assert held.number not in page
    assert "Сніжне" not in page


def test_case_add_shows_the_reasons_in_ukrainian(
    client: Any, user: Any, home: Organization, oblasts: Any
) -> None:
    make_case(organization=home, child=OLEKSII)
    client.force_login(user)
    page = client.get(add_url(), HTTP_ACCEPT_LANGUAGE="uk")

    refused = client.post(add_url(), {**form_data(page), **NEW_CHILD}, HTTP_ACCEPT_LANGUAGE="uk")

    text = refused.content.decode()
    assert "ім'я збігається" in text or "ім&#x27;я збігається" in text
    assert "Ця дитина, можливо, вже є в реєстрі" in text
