"""The case pages name every input for assistive technology, without a browser: the rows of
table-like inlines (aliases, services, follow-ups) have no ``<label>``, so each input carries its
column's name; the list's search box has a label with text. ``tests/browser`` runs axe-core on
the same pages."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.cases.admin_pages import change_url, changelist_url
from tests.factories.cases import make_case


@pytest.fixture
def case(home):
    return make_case(aliases=[{"name": "Александр Шевчук", "kind": "russified", "seen_in": "x"}])


def test_case_table_rows_name_each_input_by_its_column(admin_client, case):
    page = BeautifulSoup(admin_client.get(change_url(case)).content, "html.parser")

    named = {
        tag["name"]: tag.get("aria-label")
        for tag in page.select("#aliases-group input, #aliases-group select")
        if tag.get("type") != "hidden"
    }
    assert named["aliases-0-DELETE"] == "Delete"
    assert named["aliases-1-name"] == "Name"
    assert named["aliases-1-kind"] == "Kind"
    assert named["aliases-1-seen_in"]
    service_row = page.select("#services-group select[name='services-__prefix__-kind']")
    assert service_row[0]["aria-label"] == "Kind"


def test_case_stacked_inlines_keep_their_labels_alone(admin_client, case):
    page = BeautifulSoup(admin_client.get(change_url(case)).content, "html.parser")

    given_name = page.select_one("[name='relatives-__prefix__-given_name']")
    assert given_name is not None
    assert given_name.get("aria-label") is None
    assert page.select_one("label[for='id_relatives-__prefix__-given_name']") is not None


def test_case_list_search_box_has_a_label_with_text(admin_client, case):
    page = BeautifulSoup(admin_client.get(changelist_url()).content, "html.parser")

    label = page.select_one("label[for='searchbar']")
    assert label is not None
    assert label.get_text(strip=True) == "Search"


def test_case_share_expiry_names_its_date_and_time_inputs(admin_client, case):
    response = admin_client.get(f"/admin/cases/case/{case.pk}/share/")
    page = BeautifulSoup(response.content, "html.parser")

    labels = {tag["name"]: tag.get("aria-label") for tag in page.select("[name^='expires_at_']")}
    assert labels == {"expires_at_0": "Date", "expires_at_1": "Time"}
