"""What the fuzz (``tests/test_fuzz.py``) found in the coalition's API, each kept as a focused
test: the answer and the OpenAPI document agree. All data is synthetic."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories.coalition_members import make_areas, make_coalition_member, make_pledge

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def document(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", {"format": "json"}).json()


def test_a_pledges_history_is_one_array_as_documented(api_client, document):
    """It answered an array while the document said a page of the pledges' list, with their
    filters, cursor and page size (which the endpoint refuses)."""
    make_areas()
    make_coalition_member("CA")
    pledge = make_pledge("CA")
    operation = document["paths"]["/api/v1/coalition/pledges/{id}/history/"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["id"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["type"] == "array"

    url = reverse("coalition-pledge-history", args=[pledge.pk])
    history = api_client.get(url).json()
    assert [row["to_status"] for row in history] == ["pledged"]
    refused = api_client.get(url, {"status": "pledged"})
    assert refused.status_code == 400
    assert "status" in refused.json()["fields"]
