"""Searching and listing at scale: a search matching more children than the id list takes finds
the same cases as one within it, and a page read ids-first (``selectors.page_first``) is the
page read whole: same rows, same order, same cursors, same number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import selectors
from cases.models import Case
from tests.factories.accounts import OrganizationFactory
from tests.factories.cases import make_case, move_case

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"
FAMILY = "Вигаданчук"


@pytest.fixture
def namesakes(home: Any) -> list[Case]:
    """Seven cases of children sharing a made-up family name, each updated at its own time,
    two of them moved on (another phase), and one case of another child."""
    cases = [
        make_case(child={"family_name": FAMILY, "given_name": given, "patronymic": ""})
        for given in ("Олена", "Марко", "Ірина", "Тарас", "Зоя", "Петро", "Ліна")
    ]
    move_case(cases[1], "verifying")
    move_case(cases[4], "verifying", "searching", "located", "return_in_progress", "returned")
    make_case(child={"family_name": "Небувайко", "given_name": "Олена", "patronymic": ""})
    base = timezone.now() - dt.timedelta(days=1)
    for minutes, case in zip([5, 1, 7, 3, 6, 2, 4], cases, strict=True):
        Case.objects.filter(pk=case.pk).update(updated_at=base + dt.timedelta(minutes=minutes))
    return cases


def _newest_first(cases: list[Case]) -> list[int]:
    rows = Case.objects.filter(pk__in=[c.pk for c in cases]).order_by("-updated_at", "-id")
    return list(rows.values_list("pk", flat=True))


def _walk(api_client: Any, **params: Any) -> list[int]:
    """Every case of a listing, page after page through the ``next`` cursors."""
    seen: list[int] = []
    response = api_client.get(CASES, {"page_size": 2, **params})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [row["id"] for row in body["results"]]
        if not body["next"]:
            return seen
        response = api_client.get(body["next"])


@pytest.mark.parametrize("limit", [selectors.SEARCH_ID_LIST_LIMIT, 3])
def test_search_finds_the_same_cases_within_and_past_the_id_list(
    api_client: Any, namesakes: list[Case], monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """Past ``SEARCH_ID_LIST_LIMIT`` matching children the search joins on the name instead
    of listing ids: the same cases either way, newest change first."""
    monkeypatch.setattr(selectors, "SEARCH_ID_LIST_LIMIT", limit)

    assert _walk(api_client, search="vyhadanchuk") == _newest_first(namesakes)
    repatriation = [c for i, c in enumerate(namesakes) if i != 4]
    assert _walk(api_client, search=FAMILY, phase="repatriation") == _newest_first(repatriation)
    assert _walk(api_client, search=f"{FAMILY} Зоя") == [namesakes[4].pk]


def test_search_page_walks_back_with_previous_cursors(
    api_client: Any, namesakes: list[Case]
) -> None:
    """The ``previous`` cursor of a page read ids-first gives the page before it, in order."""
    first = api_client.get(CASES, {"page_size": 3, "search": FAMILY}).json()
    second = api_client.get(first["next"]).json()
    back = api_client.get(second["previous"]).json()

    assert [row["id"] for row in back["results"]] == [row["id"] for row in first["results"]]
    assert [r["id"] for r in first["results"] + second["results"]] == _newest_first(namesakes)[:6]


def test_page_first_reads_the_same_page_as_the_whole_query(
    user: Any, namesakes: list[Case]
) -> None:
    """A slice of a search's result (read ids-first) is that slice of the whole result read
    in one go, for any window, further filters and either kind of rows."""
    kinds: list[Any] = [selectors.case_list_rows(actor=user), selectors.case_list(actor=user)]
    for rows in kinds:
        found = selectors.case_search(rows, FAMILY).order_by("-updated_at", "-id")
        whole = list(found)  # iterated, not sliced: the query as written
        assert len(whole) == len(namesakes)
        for window in (slice(0, 3), slice(2, 5), slice(5, 10)):
            assert list(found[window]) == whole[window]
        verifying = found.filter(status="verifying")
        assert list(verifying[0:5]) == list(verifying)
        assert len(list(verifying)) == 1
    again = selectors.page_first(found, rows=rows)
    assert list(again[1:4]) == whole[1:4]
    # Made into something else after, it is sliced as any queryset: ids stay ids, an order
    # reversed stays reversed.
    ids = [case.pk for case in whole]
    assert list(again.values_list("pk", flat=True)[0:3]) == ids[0:3]
    assert list(again.reverse()[0:2]) == list(reversed(whole))[0:2]


def test_page_first_keeps_what_the_reader_may_see(namesakes: list[Case], home: Any) -> None:
    """The rows of the page come from the reader's own visible rows: another organization's
    namesake is in neither step."""
    from tests.factories.accounts import make_member

    other = OrganizationFactory.create()
    theirs = make_case(
        organization=other, child={"family_name": FAMILY, "given_name": "Ян", "patronymic": ""}
    )
    reader = make_member("caseworker", home)
    rows = selectors.case_list_rows(actor=reader)
    paged = selectors.case_search(rows, FAMILY)

    found = [row["id"] for row in paged.order_by("-updated_at", "-id")[0:20]]
    assert theirs.pk not in found
    assert sorted(found) == sorted(c.pk for c in namesakes)


def test_search_list_queries_do_not_grow_with_the_page(
    api_client: Any, namesakes: list[Case]
) -> None:
    counts = []
    for size in (1, 7):
        with CaptureQueriesContext(connection) as ctx:
            response = api_client.get(CASES, {"page_size": size, "search": FAMILY})
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
