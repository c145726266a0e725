"""Match runs (``imports.services.match_runs``): reading a list's rows leniently, matching them
at once or in Celery with progress, the results as each reader may see them, and confirming a
list entry's match through the coalition's rules. All names and dates are synthetic."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from audit.models import Action, AuditEvent
from audit.snapshots import object_type_of
from cases.models import Case
from coalition.services.common import CoalitionWriteDenied
from core.errors import ValidationFailed
from imports.exceptions import MatchRunNotDone, TableRefused
from imports.exports import HEADER, results_csv
from imports.models import MatchRun, MatchRunStatus
from imports.selectors.match_runs import cases_shown, match_run_results, match_run_visible_to
from imports.services import match_runs as services
from imports.services.match_runs import date_of_birth_as_written, row_from_values
from imports.tasks import MatchRunTask
from tests.factories.accounts import UserFactory, make_member
from tests.imports.match_world import GIRL, LIST_CSV, MatchWorld, csv_bytes, match_world

pytestmark = pytest.mark.django_db
__all__ = ["match_world"]


# ---------------------------------------------------------------------------------------------
# Reading rows
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2012", "2012"),
        ("2012-05", "2012-05"),
        ("2012-05-17", "2012-05-17"),
        ("2012-5-7", "2012-05-07"),
        ("17.05.2012", "2012-05-17"),
        ("7/5/2012", "2012-05-07"),
        ("17.05.2012.", "2012-05-17"),
        ("05.2012", "2012-05"),
        ("2012 р.н.", "2012"),
        ("born c. 2012", "2012"),
        ("  ", None),
    ],
)
def test_date_of_birth_as_written_reads_what_lists_write(written: str, expected: str | None):
    assert date_of_birth_as_written(written) == expected


@pytest.mark.parametrize(
    "written", ["31.02.2012", "2012-13", "1850", "2999", "12.05", "невідомо", "2012 або 2013"]
)
def test_date_of_birth_as_written_refuses_what_is_no_date(written: str):
    with pytest.raises(ValueError, match="date_of_birth"):
        date_of_birth_as_written(written)


def test_row_from_values_keeps_matching_without_a_field_it_cannot_read():
    row = row_from_values(
        7,
        {
            "full_name": "Коваленко Олексій",
            "date_of_birth": "31.02.2012",
            "sex": "X",
            "origin_oblast": "Donetsk",
            "ref": "R-7",
        },
    )
    assert row.description is not None
    assert row.description.given_name == "Олексій"
    assert row.description.date_of_birth is None
    assert row.problems == (
        ("date_of_birth", "invalid_date"),
        ("sex", "invalid_sex"),
        ("origin_oblast", "invalid_oblast"),
    )
    assert (row.row, row.ref) == (7, "R-7")


@pytest.mark.parametrize(("sex", "expected"), [("ч", "M"), ("Ж", "F"), ("female", "F"), ("m", "M")])
def test_row_from_values_reads_sex_in_english_and_ukrainian(sex: str, expected: str):
    row = row_from_values(2, {"given_name": "Олексій", "family_name": "Коваленко", "sex": sex})
    assert row.description is not None
    assert row.description.sex == expected


def test_row_from_values_without_a_name_is_not_matched():
    row = row_from_values(3, {"full_name": "", "date_of_birth": "2012"})
    assert row.description is None
    assert row.problems[0] == ("full_name", "no_name")


# ---------------------------------------------------------------------------------------------
# A run of an uploaded list
# ---------------------------------------------------------------------------------------------
def _candidates(run: MatchRun) -> dict[int, list[int]]:
    return {row["row"]: [c["child"] for c in row["candidates"]] for row in run.results}


def test_match_run_start_file_matches_a_small_list_at_once(match_world: MatchWorld):
    w = match_world
    run = services.match_run_start_file(
        actor=w.caseworker_a, file_name="../lists/Список.csv", content=LIST_CSV
    )
    run.refresh_from_db()
    assert run.status == MatchRunStatus.DONE
    assert (run.rows_total, run.rows_done) == (4, 4)
    assert run.file_name == "Список.csv"
    assert run.content is None  # the list held names: not kept past the run
    found = _candidates(run)
    assert found[2][0] == w.boy.child_id
    assert found[3][0] == w.girl.child_id
    assert w.boy.child_id not in found[4]
    assert w.girl.child_id not in found[4]
    assert found[5] == []
    by_row = {row["row"]: row for row in run.results}
    assert by_row[2]["ref"] == "R-1"
    assert by_row[2]["candidates"][0]["band"] == "likely"
    assert {p["code"] for p in by_row[5]["problems"]} == {
        "no_name",
        "invalid_date",
        "invalid_sex",
        "invalid_oblast",
    }
    # No name or date of birth is kept with the run.
    assert "Oleksii" not in str(run.results)
    assert "2012" not in str(run.results)
    created = AuditEvent.objects.get(
        action=Action.CREATE, object_type=object_type_of(MatchRun), object_id=str(run.pk)
    )
    assert created.actor_id == w.caseworker_a.pk


def test_match_run_results_show_candidates_as_each_reader_may_see_them(match_world: MatchWorld):
    w = match_world
    run = services.match_run_start_file(actor=w.caseworker_a, file_name="l.csv", content=LIST_CSV)
    rows = {row.row: row for row in match_run_results(actor=w.caseworker_a, run=run)}
    (rank, boy), *_ = rows[2].candidates
    assert rank == 1
    assert boy.visible
    assert (boy.case_number, boy.given_name, boy.date_of_birth) == (
        w.boy.number,
        "Олексій",
        "2012-05-17",
    )
    assert boy.reasons
    # The girl's case is D's: held, shown as D's name only, since the match is likely.
    (_rank, girl), *_ = rows[3].candidates
    assert not girl.visible
    assert girl.band == "likely"
    assert girl.organization_name == w.d.name
    assert (girl.case_number, girl.given_name, girl.date_of_birth, girl.reasons) == ("", "", "", ())
    assert cases_shown(list(rows.values())) == [w.boy.pk]
    # D's caseworker ran nothing of this: the same rows read as D would see them.
    as_d = {row.row: row for row in match_run_results(actor=w.caseworker_d, run=run)}
    assert as_d[3].candidates[0][1].visible
    assert not as_d[2].candidates[0][1].visible


def test_match_run_results_leave_out_a_possible_candidate_held_elsewhere(
    match_world: MatchWorld,
):
    w = match_world
    # Only the names and a year two years off: at most possible.
    content = csv_bytes("given_name,family_name,date_of_birth", "Марія,Іваненко,2014")
    run = services.match_run_start_file(actor=w.caseworker_a, file_name="l.csv", content=content)
    kept = run.results[0]["candidates"]
    assert kept
    assert kept[0]["child"] == w.girl.child_id
    assert kept[0]["band"] == "possible"
    (row,) = match_run_results(actor=w.caseworker_a, run=run)
    assert row.candidates == ()
    (row,) = match_run_results(actor=w.caseworker_d, run=run)
    assert row.candidates[0][1].visible


def test_match_run_results_follow_a_share_granted_after_the_run(match_world: MatchWorld):
    from cases import services as case_services

    w = match_world
    run = services.match_run_start_file(actor=w.caseworker_a, file_name="l.csv", content=LIST_CSV)
    case_services.case_share_create(
        case=w.girl,
        actor=None,
        organization=w.a,
        scope="limited",
        reason="Synthetic share",
        consent_reference="SYN-1",
    )
    rows = {row.row: row for row in match_run_results(actor=w.caseworker_a, run=run)}
    girl = rows[3].candidates[0][1]
    assert girl.visible
    assert girl.scope == "limited"
    assert girl.date_of_birth == "2010"  # the year only through a limited share


def test_results_csv_is_formula_safe_and_shows_held_candidates_by_organization(
    match_world: MatchWorld,
):
    w = match_world
    content = csv_bytes(
        "ref,full_name,date_of_birth",
        '"=HYPERLINK(""http://example.org"")",Коваленко Олексій Сергійович,2012-05-17',
        "-2,Іваненко Марія Петрівна,2010-03-02",
    )
    run = services.match_run_start_file(actor=w.caseworker_a, file_name="l.csv", content=content)
    text = results_csv(match_run_results(actor=w.caseworker_a, run=run))
    lines = text.splitlines()
    assert lines[0] == ",".join(HEADER)
    assert lines[1].startswith("2,\"'=HYPERLINK(")
    assert w.boy.number in lines[1]
    assert "Олексій" in lines[1]
    held = next(line for line in lines if line.startswith("3,'-2"))
    assert w.d.name in held
    assert str(GIRL["family_name"]) not in text
    assert "2010" not in text


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"%PDF-1.7\x00\x01binary", "unsupported_format"),
        (csv_bytes("ref,date_of_birth", "R-1,2012"), "missing_columns"),
        (csv_bytes("full_name,mother", "Коваленко Олексій,Ганна"), "unknown_column"),
    ],
)
def test_match_run_start_file_refuses_an_unreadable_file_and_writes_nothing(
    match_world: MatchWorld, content: bytes, code: str
):
    with pytest.raises(TableRefused) as refused:
        services.match_run_start_file(
            actor=match_world.caseworker_a, file_name="l.csv", content=content
        )
    assert refused.value.code == code
    assert "file" in refused.value.fields
    assert not MatchRun.objects.exists()


@override_settings(IMPORT_MAX_CELL_CHARS=100)
def test_match_run_start_file_refuses_a_long_cell_naming_row_and_column(match_world: MatchWorld):
    content = csv_bytes("full_name,ref", "Коваленко Олексій," + "x" * 101)
    with pytest.raises(TableRefused) as refused:
        services.match_run_start_file(
            actor=match_world.caseworker_a, file_name="l.csv", content=content
        )
    assert refused.value.code == "cell_too_long"
    assert "Row 2" in refused.value.detail
    assert "ref" in refused.value.detail
    assert "xxx" not in refused.value.detail


@override_settings(MATCH_RUN_MAX_ROWS=2)
def test_match_run_start_file_refuses_more_rows_than_a_run_takes(match_world: MatchWorld):
    with pytest.raises(TableRefused) as refused:
        services.match_run_start_file(
            actor=match_world.caseworker_a, file_name="l.csv", content=LIST_CSV
        )
    assert refused.value.code == "too_many_rows"


def test_match_run_start_file_reads_ukrainian_headers_and_parts_of_the_name(
    match_world: MatchWorld,
):
    content = csv_bytes(
        "Прізвище;Ім'я;По батькові;Дата народження;Стать;Номер",
        "Коваленко;Олексій;Сергійович;17.05.2012;ч;17",
    )
    run = services.match_run_start_file(
        actor=match_world.caseworker_a, file_name="l.csv", content=content
    )
    (row,) = run.results
    assert row["id"] == "17"
    assert row["candidates"][0]["child"] == match_world.boy.child_id
    assert row["problems"] == []


@pytest.mark.parametrize("role", ["caseworker", "supervisor", "partner", "coordinator", "auditor"])
def test_may_run_matching_whoever_reads_cases_or_coordinates(role: str, match_world: MatchWorld):
    actor = make_member(role, match_world.a)
    run = services.match_run_start_file(actor=actor, file_name="l.csv", content=LIST_CSV)
    assert run.status == MatchRunStatus.DONE


def test_match_run_start_file_refuses_an_actor_without_a_role(match_world: MatchWorld):
    with pytest.raises(services.MatchRunDenied):
        services.match_run_start_file(
            actor=UserFactory.create(), file_name="l.csv", content=LIST_CSV
        )
    assert not MatchRun.objects.exists()


def test_match_run_visible_to_its_runner_and_superusers_only(match_world: MatchWorld):
    w = match_world
    run = services.match_run_start_file(actor=w.caseworker_a, file_name="l.csv", content=LIST_CSV)
    superuser = UserFactory.create(is_superuser=True)
    assert list(match_run_visible_to(actor=w.caseworker_a)) == [run]
    assert list(match_run_visible_to(actor=superuser)) == [run]
    assert not match_run_visible_to(actor=w.caseworker_d).exists()
    assert not match_run_visible_to(actor=make_member("caseworker", w.a)).exists()


# ---------------------------------------------------------------------------------------------
# Large runs: Celery, progress
# ---------------------------------------------------------------------------------------------
@override_settings(MATCH_RUN_SYNC_ROWS=2, MATCH_RUN_BATCH_ROWS=1)
def test_a_large_run_is_queued_and_matched_in_celery_with_progress(
    match_world: MatchWorld, django_capture_on_commit_callbacks: Any, monkeypatch: Any
):
    w = match_world
    progress: list[int] = []
    original = services._match

    def watched(run: MatchRun, rows: Any, **kwargs: Any) -> Any:
        # What a reader would see of the progress after each batch.
        kwargs["on_batch"] = lambda n: progress.append(
            MatchRun.objects.values_list("rows_done", flat=True).get(pk=run.pk)
        )
        return original(run, rows, **kwargs)

    monkeypatch.setattr(services, "_match", watched)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.match_run_start_file(
            actor=w.caseworker_a, file_name="l.csv", content=LIST_CSV
        )
    assert run.status == MatchRunStatus.QUEUED
    assert run.content == LIST_CSV
    assert len(callbacks) == 1
    callbacks[0]()  # Celery runs eagerly in tests
    run.refresh_from_db()
    assert run.status == MatchRunStatus.DONE
    assert progress == [1, 2, 3, 4]
    assert _candidates(run)[2][0] == w.boy.child_id
    assert run.content is None
    assert run.finished_at is not None


def test_match_run_execute_leaves_a_run_no_longer_queued_alone(match_world: MatchWorld):
    run = services.match_run_start_file(
        actor=match_world.caseworker_a, file_name="l.csv", content=LIST_CSV
    )
    results = run.results
    again = services.match_run_execute(run_id=run.pk)
    assert again is not None
    assert again.status == MatchRunStatus.DONE
    assert again.results == results
    assert services.match_run_execute(run_id=run.pk + 1000) is None


def test_match_run_execute_fails_a_run_whose_file_cannot_be_read(match_world: MatchWorld):
    run = MatchRun.objects.create(
        created_by=match_world.caseworker_a, file_name="l.csv", content=b"", rows_total=3
    )
    done = services.match_run_execute(run_id=run.pk)
    assert done is not None
    assert done.status == MatchRunStatus.FAILED
    assert done.error
    assert done.content is None


def test_match_run_task_failure_fails_a_running_run_and_drops_its_list(match_world: MatchWorld):
    """A task that dies on an unexpected error (a worker's bug, not a refusal) leaves no run
    ``running`` for ever with the children's names in it."""
    run = MatchRun.objects.create(
        created_by=match_world.caseworker_a,
        file_name="l.csv",
        content=LIST_CSV,
        rows_total=3,
        status=MatchRunStatus.RUNNING,
    )
    MatchRunTask().on_failure(RuntimeError("boom"), "task-id", (run.pk,), {}, None)
    run.refresh_from_db()
    assert (run.status, run.error, run.content) == (MatchRunStatus.FAILED, "RuntimeError", None)
    assert run.finished_at is not None


def test_match_run_task_failure_leaves_a_finished_run_alone(match_world: MatchWorld):
    run = services.match_run_start_file(
        actor=match_world.caseworker_a, file_name="l.csv", content=LIST_CSV
    )
    MatchRunTask().on_failure(RuntimeError("late"), "task-id", (run.pk,), {}, None)
    run.refresh_from_db()
    assert (run.status, run.error) == (MatchRunStatus.DONE, "")


def test_match_run_file_reports_each_batch(match_world: MatchWorld):
    seen: list[int] = []
    totals: list[int] = []
    with override_settings(MATCH_RUN_BATCH_ROWS=3):
        run = services.match_run_file(
            actor=match_world.caseworker_a,
            file_name="l.csv",
            content=LIST_CSV,
            on_rows=totals.append,
            on_batch=seen.append,
        )
    assert (totals, seen) == ([4], [3, 1])
    assert run.status == MatchRunStatus.DONE
    assert run.rows_done == 4


# ---------------------------------------------------------------------------------------------
# A run of a coalition list, and confirming a match
# ---------------------------------------------------------------------------------------------
def test_match_run_start_list_matches_the_entries_the_runner_sees(match_world: MatchWorld):
    w = match_world
    run = services.match_run_start_list(actor=w.coordinator_a, child_list=w.child_list)
    assert run.status == MatchRunStatus.DONE
    by_row = {row["row"]: row for row in run.results}
    assert set(by_row) == {e.position for e in w.entries}
    first = by_row[w.entries[0].position]
    assert first["entry"] == w.entries[0].pk
    assert first["candidates"][0]["child"] == w.boy.child_id
    assert first["candidates"][0]["band"] == "likely"
    assert by_row[w.entries[2].position]["problems"][0]["code"] == "no_name"
    # A coordinator reads no case: the boy is shown as held by A.
    rows = {r.row: r for r in match_run_results(actor=w.coordinator_a, run=run)}
    held = rows[w.entries[0].position].candidates[0][1]
    assert not held.visible
    assert held.organization_name == w.a.name


def test_match_run_start_list_refuses_a_list_whose_names_the_runner_does_not_see(
    match_world: MatchWorld,
):
    with pytest.raises(ValidationFailed) as refused:
        services.match_run_start_list(
            actor=match_world.caseworker_d, child_list=match_world.child_list
        )
    assert "child_list" in refused.value.fields
    assert not MatchRun.objects.exists()


def test_match_run_start_list_uses_no_date_of_birth_the_runner_may_not_see(
    match_world: MatchWorld,
):
    from coalition.services.lists import entry_update

    w = match_world
    # The first entry linked to the girl's case (D's): seen by D's caseworker, in full.
    entry_update(actor=None, entry=w.entries[1], data={"case": w.girl.pk})
    rows = services.rows_from_list(actor=w.caseworker_d, child_list=w.child_list)
    assert [r.entry for r in rows] == [w.entries[1].pk]
    assert rows[0].description is not None
    assert rows[0].description.date_of_birth is not None


def test_match_run_confirm_links_the_entry_to_the_case_through_the_coalition(
    match_world: MatchWorld,
):
    w = match_world
    run = services.match_run_start_list(actor=w.coordinator_a, child_list=w.child_list)
    position = w.entries[0].position
    confirmed = services.match_run_confirm(
        actor=w.coordinator_a, run=run, row=position, rank=1, shown_ranks=[1]
    )
    assert confirmed.case_id == w.boy.pk
    w.entries[0].refresh_from_db()
    assert w.entries[0].case_id == w.boy.pk
    assert AuditEvent.objects.filter(
        action=Action.UPDATE, object_id=str(w.entries[0].pk), actor_id=w.coordinator_a.pk
    ).exists()


def test_match_run_confirm_is_the_coalition_writers_only(match_world: MatchWorld):
    w = match_world
    run = services.match_run_start_list(actor=w.caseworker_a, child_list=w.child_list)
    with pytest.raises(CoalitionWriteDenied):
        services.match_run_confirm(
            actor=w.caseworker_a, run=run, row=w.entries[0].position, rank=1, shown_ranks=[1]
        )
    w.entries[0].refresh_from_db()
    assert w.entries[0].case_id is None


@pytest.mark.parametrize(
    ("row", "rank", "shown", "field"),
    [(99, 1, [1], "row"), (1, 2, [1, 2], "rank"), (1, 1, [], "rank")],
)
def test_match_run_confirm_refuses_a_row_or_candidate_not_in_the_results(
    match_world: MatchWorld, row: int, rank: int, shown: list[int], field: str
):
    w = match_world
    run = services.match_run_start_list(actor=w.coordinator_a, child_list=w.child_list)
    assert w.entries[0].position == 1
    with pytest.raises(ValidationFailed) as refused:
        services.match_run_confirm(
            actor=w.coordinator_a, run=run, row=row, rank=rank, shown_ranks=shown
        )
    assert field in refused.value.fields


def test_match_run_confirm_refuses_a_file_run_and_an_unfinished_run(match_world: MatchWorld):
    w = match_world
    run = services.match_run_start_file(actor=w.coordinator_a, file_name="l.csv", content=LIST_CSV)
    with pytest.raises(ValidationFailed):
        services.match_run_confirm(actor=w.coordinator_a, run=run, row=2, rank=1, shown_ranks=[1])
    queued = MatchRun.objects.create(created_by=w.coordinator_a, child_list=w.child_list)
    with pytest.raises(MatchRunNotDone):
        services.match_run_confirm(
            actor=w.coordinator_a, run=queued, row=1, rank=1, shown_ranks=[1]
        )


def test_match_run_read_record_names_the_cases_shown(match_world: MatchWorld):
    w = match_world
    run = services.match_run_start_file(actor=w.caseworker_a, file_name="l.csv", content=LIST_CSV)
    rows = match_run_results(actor=w.caseworker_a, run=run)
    event = services.match_run_read_record(
        actor=w.caseworker_a, run=run, case_ids=cases_shown(rows)
    )
    assert event.metadata["records"] == {object_type_of(Case): [w.boy.pk]}
    assert event.object_id == str(run.pk)


def test_date_of_birth_as_written_refuses_next_year():
    next_year = timezone.localdate().year + 1
    with pytest.raises(ValueError, match="date_of_birth"):
        date_of_birth_as_written(str(next_year))
