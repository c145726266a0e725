"""Case imports through the services: checking, writing all rows or none, re-importing by
reference, flagging rows like children already in the registry, and refusing bad files."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from accounts.models import Organization
from audit.models import Action, AuditEvent
from audit.snapshots import object_type_of
from cases import names
from cases.models import (
    Case,
    Child,
    ChildAlias,
    ChildNameKey,
    DuplicateDecision,
    DuplicatePair,
    ExternalReference,
    Relative,
    StatusChange,
    Whereabouts,
)
from core.errors import PermissionDenied
from imports import services
from imports.exceptions import (
    CaseImportNotFound,
    CaseImportNotReady,
    FileTooLarge,
    TableRefused,
)
from imports.models import CaseImport, ImportStatus
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import home_organization, make_case
from tests.imports.case_files import HEADER, csv_bytes, row, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(oblasts: Any) -> Organization:
    return home_organization()


def _upload(org: Organization, content: bytes, *, actor: Any = None, **kwargs: Any) -> CaseImport:
    return services.case_import_upload(
        actor=actor, file_name="cases.csv", content=content, organization=org, **kwargs
    )


def _commit(case_import: CaseImport, *, actor: Any = None) -> CaseImport:
    return services.case_import_commit(case_import_id=case_import.pk, actor=actor)


def _two_rows() -> list[dict[str, str]]:
    return [
        row(),
        row(
            ref="REF-2",
            given_name="Іван",
            family_name="Коваленко",
            patronymic="Іванович",
            sex="M",
            date_of_birth="2010",
            relative_phone="+380 00 000 0002",
        ),
    ]


def _registry_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Child,
            Case,
            StatusChange,
            ChildAlias,
            Whereabouts,
            Relative,
            ExternalReference,
            DuplicatePair,
        )
    }


# -- checking ---------------------------------------------------------------------------------
def test_case_import_upload_checks_every_row_and_writes_nothing(org: Organization):
    before = _registry_counts()
    case_import = _upload(org, csv_bytes(_two_rows()))
    assert case_import.status == ImportStatus.VALIDATED
    assert case_import.rows_total == case_import.rows_done == 2
    assert case_import.report["counts"] == {
        "rows": 2,
        "new": 2,
        "updated": 0,
        "unchanged": 0,
        "with_problems": 0,
        "problems": 0,
        "matching_existing": 0,
    }
    assert case_import.content is not None
    assert _registry_counts() == before


def test_case_import_upload_names_row_and_column_of_each_problem(org: Organization):
    rows = [
        row(date_of_birth="2013-02-30"),  # no such day
        row(ref="REF-2", sex="X", origin_oblast="UA-99"),
        row(ref="REF-3", given_name="Olena"),  # not Cyrillic
        row(ref="REF-4", deported_on="2009-01-01", date_of_birth="2012"),  # taken before born
        row(ref="REF-1"),  # the same reference twice in one file
        row(ref="REF-6", whereabouts_since=""),
    ]
    case_import = _upload(org, csv_bytes(rows))
    assert case_import.status == ImportStatus.INVALID
    found = {(p["row"], p["column"]) for p in case_import.report["problems"]}
    assert found >= {
        (2, "date_of_birth"),
        (3, "sex"),
        (3, "origin_oblast"),
        (4, "given_name"),
        (5, "deported_on"),
        (6, "ref"),
        (7, "whereabouts_since"),
    }
    text = str(case_import.report)
    assert "Olena" not in text  # a cell is never repeated
    with pytest.raises(CaseImportNotReady):
        _commit(case_import)
    assert Child.objects.count() == 0


@pytest.mark.parametrize(
    ("cell", "date", "precision"),
    [
        ("2012", dt.date(2012, 1, 1), "year"),
        ("2012-05", dt.date(2012, 5, 1), "month"),
        ("2012-05-17", dt.date(2012, 5, 17), "exact"),
        ("17.05.2012", dt.date(2012, 5, 17), "exact"),
        ("", None, "estimated"),
    ],
)
def test_case_import_reads_date_of_birth_with_its_precision(
    org: Organization, cell: str, date: dt.date | None, precision: str
):
    _commit(_upload(org, csv_bytes([row(date_of_birth=cell, deported_on="")])))
    child = Child.objects.get()
    assert child.date_of_birth == date
    assert child.date_of_birth_precision == precision


def test_case_import_reads_ukrainian_headers_windows_1251_and_semicolons(org: Organization):
    header = (
        "Ідентифікатор",
        "Ім'я",
        "Прізвище",
        "По батькові",
        "Стать",
        "Дата народження",
        "Область",
        "Країна перебування",
        "Перебуває з",
    )
    values = ("A-7", "Ганна", "Шевчук", "Олегівна", "Ж", "03.04.2011", "Донецька область", "RU")
    content = (";".join(header) + "\r\n" + ";".join((*values, "2023-01-10")) + "\r\n").encode(
        "cp1251"
    )
    case_import = _commit(_upload(org, content))
    assert case_import.status == ImportStatus.COMMITTED
    child = Child.objects.get()
    assert (child.given_name, child.family_name, child.sex) == ("Ганна", "Шевчук", "female")
    assert child.origin_oblast_id == "UA-14"
    assert child.current_whereabouts is not None
    assert child.current_whereabouts.country.code == "RU"


def test_case_import_reads_xlsx(org: Organization):
    case_import = _commit(_upload(org, xlsx_bytes(_two_rows())))
    assert case_import.status == ImportStatus.COMMITTED
    assert case_import.file_format == "xlsx"
    assert Child.objects.count() == 2


# -- bad files --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "code", "column"),
    [
        (b"", "empty_file", None),
        (b"   \r\n  ", "empty_file", None),
        (b"%PDF-1.7\x00\x00binary", "unsupported_format", None),
        (b"PK\x03\x04not really a workbook", "unsupported_format", None),
        (
            csv_bytes([row()], header=("ref", "given_name", "date_of_birth")),
            "missing_columns",
            "family_name",
        ),
        (csv_bytes([row()], header=(*HEADER, "favourite_colour")), "unknown_column", "#17"),
        (
            csv_bytes(
                [row(), row(ref="REF-2", circumstances="x" * 1_048_576)],
                header=(*HEADER, "circumstances"),
            ),
            "cell_too_long",
            "circumstances",
        ),
    ],
)
def test_case_import_refuses_a_file_it_cannot_read_and_keeps_nothing(
    org: Organization, content: bytes, code: str, column: str | None
):
    with pytest.raises(TableRefused) as refused:
        _upload(org, content)
    assert refused.value.code == code
    assert refused.value.column == column
    if code == "cell_too_long":
        assert refused.value.row == 3
        assert "row 3" in refused.value.detail.lower() or "3" in refused.value.detail
    assert CaseImport.objects.count() == 0
    assert Child.objects.count() == 0


def test_case_import_refuses_a_file_of_100_megabytes(org: Organization):
    content = csv_bytes([row()]) + b"x" * (100 * 1024 * 1024)
    with pytest.raises(FileTooLarge):
        _upload(org, content)
    assert CaseImport.objects.count() == 0


# -- writing ----------------------------------------------------------------------------------
def test_case_import_commit_writes_every_row_with_one_audit_event_each(org: Organization):
    case_import = _upload(org, csv_bytes(_two_rows()))
    case_import = _commit(case_import)
    assert case_import.status == ImportStatus.COMMITTED
    assert case_import.content is None
    assert case_import.report["written"] is True
    cases = list(Case.objects.filter(organization=org).select_related("child").order_by("id"))
    assert len(cases) == 2
    child = cases[0].child
    assert child.full_name == "Тестова Олена Петрівна"
    assert child.given_name_latin == "Olena"
    assert child.date_of_birth == dt.date(2012, 5, 17)
    assert ChildNameKey.objects.filter(child=child).exists()
    assert child.current_whereabouts is not None
    assert child.current_whereabouts.settlement == "Ростов-на-Дону"
    assert child.relatives.get().phone == "+380 00 000 0001"
    assert cases[0].deported_on == dt.date(2022, 6, 1)
    assert cases[0].status == "reported"
    assert cases[0].status_changes.count() == 1
    assert ExternalReference.objects.get(child=child).reference == "REF-1"
    for model in (Child, Case, StatusChange, Whereabouts, Relative, ExternalReference):
        events = AuditEvent.objects.filter(object_type=object_type_of(model), action=Action.CREATE)
        assert events.count() == model.objects.count(), model
        assert all(e.metadata.get("case_import") == case_import.pk for e in events), model


def test_case_import_reimport_updates_by_reference_and_never_duplicates(org: Organization):
    content = csv_bytes(_two_rows())
    _commit(_upload(org, content))
    again = _upload(org, content)
    assert again.report["counts"]["unchanged"] == 2
    assert again.report["counts"]["new"] == 0
    _commit(again)
    assert Child.objects.count() == 2
    assert Relative.objects.count() == 2
    assert Whereabouts.objects.count() == 2

    changed = _two_rows()
    changed[0].update(
        patronymic="Павлівна",
        deported_from="Бердянськ",
        whereabouts_settlement="Таганрог",
        whereabouts_since="2023-02-01",
    )
    third = _upload(org, csv_bytes(changed))
    assert third.report["counts"]["updated"] == 1
    assert third.report["counts"]["unchanged"] == 1
    _commit(third)
    child = ExternalReference.objects.get(reference="REF-1").child
    child.refresh_from_db()
    assert child.patronymic == "Павлівна"
    assert child.cases.get().deported_from == "Бердянськ"
    assert child.whereabouts.count() == 2
    assert child.current_whereabouts is not None
    assert child.current_whereabouts.settlement == "Таганрог"
    assert Child.objects.count() == 2
    assert AuditEvent.objects.filter(
        object_type=object_type_of(Child), object_id=str(child.pk), action=Action.UPDATE
    ).exists()


def test_case_import_flags_rows_like_children_in_the_registry_and_never_merges(
    org: Organization,
):
    known = make_case(
        organization=org,
        child={
            "given_name": "Олена",
            "family_name": "Тестова",
            "patronymic": "Петрівна",
            "date_of_birth": dt.date(2012, 5, 17),
            "sex": "female",
        },
    )
    case_import = _upload(org, csv_bytes(_two_rows()))
    assert case_import.report["counts"]["matching_existing"] == 1
    (match,) = case_import.report["matches"]
    assert match["row"] == 2
    assert match["ref"] == "REF-1"
    assert match["candidates"][0]["child_id"] == known.child_id
    assert match["candidates"][0]["band"] == "likely"
    _commit(case_import)
    imported = ExternalReference.objects.get(reference="REF-1").child
    assert imported.pk != known.child_id
    assert imported.merged_into_id is None
    pair = DuplicatePair.objects.get()
    assert {pair.first_id, pair.second_id} == {known.child_id, imported.pk}
    assert pair.decision == DuplicateDecision.OPEN


def test_case_import_commit_checks_again_and_writes_nothing_when_a_row_breaks_a_rule(
    org: Organization,
):
    # Fine when checked: a new child, with no date taken.
    first = _upload(
        org, csv_bytes([*_two_rows(), row(ref="REF-3", date_of_birth="2023-01-01", deported_on="")])
    )
    assert first.status == ImportStatus.VALIDATED
    # Meanwhile another import gave REF-3 to a child taken on 2022-06-01: the row now updates
    # that child, and a birth after the day it was taken breaks a rule.
    _commit(_upload(org, csv_bytes([row(ref="REF-3")])))
    before = _registry_counts()
    first = _commit(first)
    assert first.status == ImportStatus.INVALID
    assert {p["row"] for p in first.report["problems"]} == {4}
    assert first.report["written"] is False
    assert _registry_counts() == before
    assert not ExternalReference.objects.filter(reference="REF-1").exists()


def test_case_import_discard_drops_the_file_and_refuses_a_later_commit(org: Organization):
    case_import = _upload(org, csv_bytes(_two_rows()))
    case_import = services.case_import_discard(case_import_id=case_import.pk, actor=None)
    assert case_import.status == ImportStatus.DISCARDED
    assert case_import.content is None
    with pytest.raises(CaseImportNotReady):
        _commit(case_import)
    committed = _commit(_upload(org, csv_bytes(_two_rows())))
    with pytest.raises(CaseImportNotReady):
        services.case_import_discard(case_import_id=committed.pk, actor=None)


# -- who may import ---------------------------------------------------------------------------
def test_case_import_needs_the_right_to_open_cases_for_the_organization(org: Organization):
    coordinator = make_member("coordinator", org)
    with pytest.raises(PermissionDenied):
        _upload(org, csv_bytes(_two_rows()), actor=coordinator)
    caseworker = make_member("caseworker", org)
    case_import = _upload(org, csv_bytes(_two_rows()), actor=caseworker)
    elsewhere = make_member("caseworker", OrganizationFactory.create())
    with pytest.raises(CaseImportNotFound):
        services.case_import_commit(case_import_id=case_import.pk, actor=elsewhere)
    with pytest.raises(PermissionDenied):
        _upload(org, csv_bytes(_two_rows()), actor=elsewhere)
    assert _commit(case_import, actor=caseworker).status == ImportStatus.COMMITTED
    assert Case.objects.filter(created_by=caseworker).count() == 2


def test_case_import_partner_opens_cases_but_cannot_change_those_imported(org: Organization):
    partner = make_member("partner", org)
    _commit(_upload(org, csv_bytes(_two_rows()), actor=partner), actor=partner)
    again = _upload(org, csv_bytes(_two_rows()), actor=partner)
    assert again.status == ImportStatus.VALIDATED  # unchanged rows need no right to change
    changed = _two_rows()
    changed[0]["patronymic"] = "Павлівна"
    refused = _upload(org, csv_bytes(changed), actor=partner)
    assert refused.status == ImportStatus.INVALID
    assert [(p["row"], p["column"]) for p in refused.report["problems"]] == [(2, "ref")]


# -- large files: a worker ------------------------------------------------------------------
def test_case_import_large_file_is_checked_and_written_by_a_worker(
    org: Organization, django_capture_on_commit_callbacks: Any
):
    caseworker = make_member("caseworker", org)
    with django_capture_on_commit_callbacks(execute=True):
        case_import = _upload(org, csv_bytes(_two_rows()), actor=caseworker, in_background=True)
    assert case_import.status == ImportStatus.VALIDATING
    case_import.refresh_from_db()
    assert case_import.status == ImportStatus.VALIDATED
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.case_import_commit_queue(case_import_id=case_import.pk, actor=caseworker)
    assert queued.status == ImportStatus.COMMITTING
    case_import.refresh_from_db()
    assert case_import.status == ImportStatus.COMMITTED
    assert Case.objects.filter(created_by=caseworker).count() == 2


def test_case_import_task_failure_marks_the_import_failed(org: Organization):
    from imports.tasks import CaseImportTask

    case_import = _upload(org, csv_bytes(_two_rows()), in_background=True)
    CaseImportTask().on_failure(RuntimeError("boom"), "task-id", (case_import.pk,), {}, None)
    case_import.refresh_from_db()
    assert case_import.status == ImportStatus.FAILED
    assert case_import.error == "RuntimeError"
    assert case_import.content is None


# -- the command ------------------------------------------------------------------------------
def test_import_cases_command_dry_run_reports_and_writes_nothing(
    org: Organization, tmp_path: Any, capsys: Any
):
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes(_two_rows()))
    call_command("import_cases", str(path), "--organization", org.name, "--dry-run")
    out = capsys.readouterr().out
    assert "2 rows: 2 new" in out
    assert "Dry run" in out
    assert Child.objects.count() == 0
    assert CaseImport.objects.get().status == ImportStatus.DISCARDED


def test_import_cases_command_writes_and_refuses_a_file_with_problems(
    org: Organization, tmp_path: Any, capsys: Any
):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([row(date_of_birth="2013-02-30")]))
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_cases", str(bad), "--organization", str(org.pk))
    assert "row 2, column date_of_birth" in capsys.readouterr().out
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="empty_file"):
        call_command("import_cases", str(empty), "--organization", str(org.pk))
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(_two_rows()))
    call_command("import_cases", str(good), "--organization", str(org.pk))
    assert "2 new cases" in capsys.readouterr().out
    assert Child.objects.count() == 2
    with pytest.raises(CommandError, match="organization"):
        call_command("import_cases", str(good), "--organization", "no such organization")


@override_settings(IMPORT_SYNC_MAX_ROWS=1)
def test_case_import_sync_limit_is_a_setting(org: Organization):
    assert services.sync_max_rows() == 1


def test_case_import_of_hundreds_of_rows_audits_every_row(org: Organization):
    """Past a few hundred events the audit trail receives them in bulk (COPY on PostgreSQL):
    still one event per row, with its values."""
    rows = [
        row(ref=f"BULK-{n:04d}", given_name="Марія", family_name=f"Тестова{'а' * (n % 7)}")
        for n in range(250)
    ]
    case_import = _commit(_upload(org, csv_bytes(rows), in_background=False))
    assert case_import.status == ImportStatus.COMMITTED
    children = set(Child.objects.values_list("pk", flat=True))
    assert len(children) == 250
    events = AuditEvent.objects.filter(object_type=object_type_of(Child), action=Action.CREATE)
    assert {int(e.object_id) for e in events} == children
    assert all(e.changes["given_name"] == [None, "Марія"] for e in events)
    assert all(e.metadata == {"case_import": case_import.pk} for e in events)
    assert Whereabouts.objects.count() == 250
    assert Child.objects.filter(current_whereabouts__isnull=True).count() == 0
    assert len(set(Case.objects.values_list("number", flat=True))) == 250


@pytest.mark.parametrize(
    ("fields", "column"),
    [
        ({"relative_email": "not an address"}, "relative_email"),
        ({"relative_relationship": "neighbour"}, "relative_relationship"),
        ({"relative_given_name": ""}, "relative_given_name"),
        ({"whereabouts_country": "Atlantis"}, "whereabouts_country"),
        ({"whereabouts_since": "2099-01-01"}, "whereabouts_since"),
        ({"pathway": "by balloon"}, "pathway"),
        ({"adopted_in_russia": "perhaps"}, "adopted_in_russia"),
        ({"deported_on": "01/06/2022"}, "deported_on"),
        ({"date_of_birth": "1990-01-01"}, "date_of_birth"),
        ({"date_of_birth": "2099"}, "date_of_birth"),
        ({"ref": "R" * 101}, "ref"),
        ({"ref": ""}, "ref"),
        ({"family_name": ""}, "family_name"),
    ],
)
def test_case_import_names_the_column_of_each_rule_broken(
    org: Organization, fields: dict[str, str], column: str
):
    header = (*HEADER, "pathway", "adopted_in_russia", "relative_email")
    case_import = _upload(org, csv_bytes([row(**fields)], header=header))
    assert case_import.status == ImportStatus.INVALID
    assert {(p["row"], p["column"]) for p in case_import.report["problems"]} == {(2, column)}


def test_case_import_writes_an_alias_that_matching_finds(org: Organization):
    _commit(_upload(org, csv_bytes([row(alias="Алёна Тестова")], header=(*HEADER, "alias"))))
    child = Child.objects.get()
    (alias,) = child.aliases.all()
    assert (alias.name, alias.kind) == ("Алёна Тестова", "spelling")
    assert names.search_form("Алёна") in child.search_text.split()
    again = _upload(org, csv_bytes([row(ref="OTHER", alias="")], header=(*HEADER, "alias")))
    assert again.report["matches"][0]["candidates"][0]["child_id"] == child.pk


# -- one pass (the command) -------------------------------------------------------------------
def _run(org: Organization, content: bytes) -> CaseImport:
    return services.case_import_run(
        actor=None, file_name="cases.csv", content=content, organization=org
    )


def test_case_import_run_checks_and_writes_in_one_pass_as_two_steps_would(
    org: Organization,
):
    make_case(
        organization=org,
        child={
            "given_name": "Олена",
            "family_name": "Тестова",
            "patronymic": "Петрівна",
            "date_of_birth": dt.date(2012, 5, 17),
            "sex": "female",
        },
    )
    before = _registry_counts()
    case_import = _run(org, csv_bytes(_two_rows()))
    assert case_import.status == ImportStatus.COMMITTED
    assert case_import.content is None
    assert case_import.report["written"] is True
    assert case_import.report["counts"]["new"] == 2
    assert case_import.report["counts"]["matching_existing"] == 1
    assert case_import.validated_at is not None
    assert case_import.committed_at is not None
    after = _registry_counts()
    for name in ("Child", "Case", "StatusChange", "Whereabouts", "Relative", "ExternalReference"):
        assert after[name] == before[name] + 2, name
    assert after["DuplicatePair"] == before["DuplicatePair"] + 1
    for model in (Child, Case, StatusChange, Whereabouts, Relative, ExternalReference):
        events = AuditEvent.objects.filter(
            object_type=object_type_of(model),
            action=Action.CREATE,
            metadata__case_import=case_import.pk,
        )
        assert events.count() == 2, model
    child = ExternalReference.objects.get(reference="REF-1").child
    assert child.current_whereabouts is not None
    assert child.current_whereabouts.settlement == "Ростов-на-Дону"
    # Run again: the same references update (here: change nothing), never duplicate.
    again = _run(org, csv_bytes(_two_rows()))
    assert again.status == ImportStatus.COMMITTED
    assert again.report["counts"]["unchanged"] == 2
    assert _registry_counts() == after


def test_case_import_run_writes_nothing_when_a_row_has_a_problem(org: Organization):
    before = _registry_counts()
    case_import = _run(org, csv_bytes([*_two_rows(), row(ref="REF-3", sex="X")]))
    assert case_import.status == ImportStatus.INVALID
    assert case_import.report["written"] is False
    assert {(p["row"], p["column"]) for p in case_import.report["problems"]} == {(4, "sex")}
    assert _registry_counts() == before


def test_case_import_run_checks_the_foreign_keys_while_it_scores(
    org: Organization, monkeypatch: pytest.MonkeyPatch
):
    """On PostgreSQL the write's deferred foreign-key checks run before the commit, while the
    candidates are scored on the helper thread (the commit would run them alone); the rows
    written are the same."""
    checked: list[bool] = []
    real = connection.check_constraints

    def check_constraints(table_names: Any = None) -> None:
        checked.append(True)
        real(table_names)

    monkeypatch.setattr(connection, "check_constraints", check_constraints)
    case_import = _run(org, csv_bytes(_two_rows()))
    assert case_import.status == ImportStatus.COMMITTED
    assert case_import.report["counts"]["new"] == 2
    assert checked == ([True] if connection.vendor == "postgresql" else [])
