"""Published figures: recorded as claimed, one row per claim (conflicting figures side by side),
validated field by field, audited, recorded only by the roles that may; read over time next to
the registry's own counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Role
from audit.models import Action, AuditEvent
from cases.workflow import Status
from core.errors import PermissionDenied, ValidationFailed
from sources.figures import (
    FigurePoint,
    figure_record,
    figure_update,
    figures_over_time,
    registry_counts_by_status,
)
from sources.models import PublishedFigure, Source, SourceKind
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.cases import make_case, move_case

pytestmark = pytest.mark.django_db

FIGURE_TYPE = "sources.publishedfigure"


def _data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "metric": "deported",
        "description": "synthetic children counted by a synthetic claimant",
        "value": 1200,
        "qualifier": "at_least",
        "as_of": dt.date(2024, 5, 17),
        "as_of_precision": "day",
        "claimant": "Synthetic Ministry",
    }
    data.update(overrides)
    return data


def _source() -> Source:
    return Source.objects.create(
        kind=SourceKind.OFFICIAL_STATEMENT,
        title="Synthetic statement on figures",
        publisher="Synthetic Ministry",
    )


def _events(figure: PublishedFigure) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type=FIGURE_TYPE, object_id=str(figure.pk)).order_by("id")
    )


# ---------------------------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------------------------
def test_figure_record_writes_the_claim_with_its_source_and_one_audit_event(user: Any) -> None:
    source = _source()

    figure = figure_record(actor=user, data=_data(source=source, note="  from a briefing "))

    figure.refresh_from_db()
    assert (figure.metric, figure.value, figure.qualifier) == ("deported", 1200, "at_least")
    assert figure.source == source
    assert figure.created_by == user
    assert figure.note == "from a briefing"
    assert figure.as_of_label == "2024-05-17"  # a precise date labels itself
    events = _events(figure)
    assert [e.action for e in events] == [Action.CREATE]
    assert events[0].actor == user
    assert events[0].changes["value"] == [None, 1200]


def test_figure_record_keeps_a_claim_without_a_number_in_its_words(user: Any) -> None:
    figure = figure_record(
        actor=user, data=_data(value=None, value_text=" hundreds of thousands ", qualifier="stated")
    )

    figure.refresh_from_db()
    assert figure.value is None
    assert figure.value_text == "hundreds of thousands"
    assert str(figure) == "Synthetic Ministry, 2024-05-17: “hundreds of thousands”"


def test_figure_record_keeps_conflicting_figures_for_a_metric_and_period_side_by_side(
    user: Any,
) -> None:
    first = figure_record(actor=user, data=_data(claimant="Synthetic claimant A", value=20000))
    second = figure_record(
        actor=user,
        data=_data(claimant="Synthetic claimant B", value=None, value_text="a few hundred"),
    )
    third = figure_record(actor=user, data=_data(claimant="Synthetic claimant A", value=19000))

    assert len({first.pk, second.pk, third.pk}) == 3
    stored = PublishedFigure.objects.filter(metric="deported", as_of=dt.date(2024, 5, 17))
    assert sorted((f.claimant, f.value, f.value_text) for f in stored) == [
        ("Synthetic claimant A", 19000, ""),
        ("Synthetic claimant A", 20000, ""),
        ("Synthetic claimant B", None, "a few hundred"),
    ]


def test_figure_record_as_the_system_needs_no_role() -> None:
    figure = figure_record(actor=None, data=_data())

    assert figure.created_by is None
    assert _events(figure)[0].actor is None


def test_figure_record_keeps_a_vague_date_with_its_words(user: Any) -> None:
    figure = figure_record(
        actor=user,
        data=_data(as_of=dt.date(2023, 3, 1), as_of_precision="season", as_of_label="spring 2023"),
    )

    assert (figure.as_of, figure.as_of_precision, figure.as_of_label) == (
        dt.date(2023, 3, 1),
        "season",
        "spring 2023",
    )


def _tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"metric": "kidnapped"}, "metric"),
        ({"metric": ""}, "metric"),
        ({"value": -1}, "value"),
        ({"value": "many"}, "value"),
        ({"value": True}, "value"),
        ({"value": None}, "value"),  # neither a number nor the claim's words
        ({"value": None, "value_text": "   "}, "value"),
        ({"qualifier": "about"}, "qualifier"),
        ({"as_of": None}, "as_of"),
        ({"as_of": "2024-05-17"}, "as_of"),
        ({"as_of": "tomorrow"}, "as_of"),
        ({"as_of_precision": "decade"}, "as_of_precision"),
        ({"claimant": "  "}, "claimant"),
        ({"claimant": None}, "claimant"),
        ({"description": ""}, "description"),
        ({"claimant": "x" * 301}, "claimant"),
        ({"value_text": "x" * 201}, "value_text"),
        # A vague date is stored as the first day of its period, and says itself in words.
        ({"as_of": dt.date(2023, 4, 1), "as_of_precision": "season"}, "as_of"),
        ({"as_of": dt.date(2025, 7, 2), "as_of_precision": "half_year"}, "as_of"),
        ({"as_of": dt.date(2025, 6, 1), "as_of_precision": "year"}, "as_of"),
        ({"as_of": dt.date(2023, 3, 1), "as_of_precision": "season"}, "as_of_label"),
        ({"source": 7}, "source"),
        ({"source": Source(kind="news_article", title="never saved")}, "source"),
        ({"case": 1}, "case"),
    ],
)
def test_figure_record_rejects_bad_input_naming_the_field(
    user: Any, overrides: dict[str, Any], field: str
) -> None:
    if overrides.get("as_of") == "tomorrow":
        overrides = {**overrides, "as_of": _tomorrow()}

    with pytest.raises(ValidationFailed) as caught:
        figure_record(actor=user, data=_data(**overrides))

    assert field in caught.value.fields
    assert not PublishedFigure.objects.exists()
    assert not AuditEvent.objects.filter(object_type=FIGURE_TYPE).exists()


def test_figure_record_refuses_a_source_out_of_the_actors_sight(user: Any) -> None:
    hidden = Source.objects.create(
        kind=SourceKind.TESTIMONY,
        title="Synthetic testimony of another organization",
        organization=OrganizationFactory.create(),
    )

    with pytest.raises(ValidationFailed) as caught:
        figure_record(actor=user, data=_data(source=hidden))

    assert caught.value.fields == {"source": ["No such source."]}
    # The system (seeds) and whoever sees the source may cite it.
    assert figure_record(actor=None, data=_data(source=hidden)).source == hidden
    own = make_member(Role.CASEWORKER, hidden.organization)
    assert figure_record(actor=own, data=_data(source=hidden)).source == hidden


def test_figure_record_error_message_names_the_field(user: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        figure_record(actor=user, data=_data(value=-5))

    assert caught.value.detail.startswith("value: ")
    assert caught.value.fields == {"value": ["Cannot be negative."]}


def test_figure_record_accepts_today_and_zero(user: Any) -> None:
    figure = figure_record(actor=user, data=_data(as_of=timezone.localdate(), value=0))

    assert figure.value == 0


def test_figure_record_reports_every_bad_field_at_once(user: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        figure_record(
            actor=user, data=_data(metric="x", qualifier="y", claimant="", as_of=_tomorrow())
        )

    assert {"metric", "qualifier", "claimant", "as_of"} <= set(caught.value.fields)


# ---------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.CASEWORKER, True),
        (Role.SUPERVISOR, True),
        (Role.COORDINATOR, True),
        (Role.PARTNER, False),
        (Role.AUDITOR, False),
    ],
)
def test_figure_record_is_allowed_to_the_roles_that_record_figures(
    role: Role, allowed: bool
) -> None:
    actor = make_member(role)

    if allowed:
        figure = figure_record(actor=actor, data=_data())
        assert _events(figure)[0].actor == actor
    else:
        with pytest.raises(PermissionDenied) as caught:
            figure_record(actor=actor, data=_data())
        assert caught.value.code == "figure_permission_denied"
        assert not PublishedFigure.objects.exists()


def test_figure_record_is_allowed_to_a_superuser_without_membership() -> None:
    admin = UserFactory.create(is_superuser=True)

    assert figure_record(actor=admin, data=_data()).created_by == admin


def test_figure_record_is_refused_to_a_user_without_role_or_an_inactive_one() -> None:
    nobody = UserFactory.create()
    former = make_member(Role.CASEWORKER)
    former.is_active = False
    former.save()

    for actor in (nobody, former):
        with pytest.raises(PermissionDenied):
            figure_record(actor=actor, data=_data())
    assert not PublishedFigure.objects.exists()


def test_figure_record_checks_the_role_before_the_data() -> None:
    partner = make_member(Role.PARTNER)

    with pytest.raises(PermissionDenied):
        figure_record(actor=partner, data=_data(metric="unknown"))


# ---------------------------------------------------------------------------------------------
# Correcting
# ---------------------------------------------------------------------------------------------
def test_figure_update_corrects_one_claim_only_with_one_audit_event(user: Any) -> None:
    figure = figure_record(actor=user, data=_data(claimant="Synthetic claimant A"))
    other = figure_record(actor=user, data=_data(claimant="Synthetic claimant B", value=900))

    updated = figure_update(
        figure=figure, actor=user, data={"value": 1250, "qualifier": "more_than"}
    )

    assert (updated.value, updated.qualifier) == (1250, "more_than")
    figure.refresh_from_db()
    other.refresh_from_db()
    assert figure.value == 1250
    assert (other.value, other.qualifier) == (900, "at_least")
    events = _events(figure)
    assert [e.action for e in events] == [Action.CREATE, Action.UPDATE]
    assert events[1].changes == {"value": [1200, 1250], "qualifier": ["at_least", "more_than"]}
    assert [e.action for e in _events(other)] == [Action.CREATE]


def test_figure_update_without_a_change_writes_nothing(user: Any) -> None:
    figure = figure_record(actor=user, data=_data())
    stamp = PublishedFigure.objects.get(pk=figure.pk).updated_at

    figure_update(
        figure=figure, actor=user, data={"value": 1200, "claimant": " Synthetic Ministry "}
    )

    assert PublishedFigure.objects.get(pk=figure.pk).updated_at == stamp
    assert [e.action for e in _events(figure)] == [Action.CREATE]


def test_figure_update_turns_a_number_into_the_claims_words(user: Any) -> None:
    figure = figure_record(actor=user, data=_data())

    figure_update(figure=figure, actor=user, data={"value": None, "value_text": "thousands"})

    figure.refresh_from_db()
    assert (figure.value, figure.value_text) == (None, "thousands")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"value": None}, "value"),
        ({"metric": "unknown"}, "metric"),
        ({"as_of": "tomorrow"}, "as_of"),
        ({"as_of_precision": "half_year"}, "as_of"),  # 2024-05-17 starts no half year
        ({"claimant": ""}, "claimant"),
    ],
)
def test_figure_update_rejects_bad_input_and_keeps_the_record(
    user: Any, data: dict[str, Any], field: str
) -> None:
    figure = figure_record(actor=user, data=_data())
    if data.get("as_of") == "tomorrow":
        data = {"as_of": _tomorrow()}

    with pytest.raises(ValidationFailed) as caught:
        figure_update(figure=figure, actor=user, data=data)

    assert field in caught.value.fields
    figure.refresh_from_db()
    assert (figure.value, figure.metric, figure.claimant) == (
        1200,
        "deported",
        "Synthetic Ministry",
    )
    assert [e.action for e in _events(figure)] == [Action.CREATE]


def test_figure_update_is_refused_to_a_partner(user: Any) -> None:
    figure = figure_record(actor=user, data=_data())
    partner = make_member(Role.PARTNER)

    with pytest.raises(PermissionDenied):
        figure_update(figure=figure, actor=partner, data={"value": 1})

    figure.refresh_from_db()
    assert figure.value == 1200


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------
def test_figures_over_time_lists_claims_by_date_then_claimant_in_one_query(
    user: Any, django_assert_num_queries: Any
) -> None:
    late = figure_record(
        actor=user,
        data=_data(
            claimant="Synthetic claimant B",
            as_of=dt.date(2025, 7, 1),
            as_of_precision="half_year",
            as_of_label="late 2025",
        ),
    )
    words = figure_record(
        actor=user,
        data=_data(claimant="Synthetic claimant C", value=None, value_text="a few hundred"),
    )
    early = figure_record(actor=user, data=_data(claimant="Synthetic claimant A"))
    returned = figure_record(
        actor=user, data=_data(metric="returned", value=40, as_of=dt.date(2024, 1, 2))
    )

    with django_assert_num_queries(1):
        points = figures_over_time()

    assert [p.id for p in points] == [returned.pk, early.pk, words.pk, late.pk]
    assert points[-1] == FigurePoint(
        id=late.pk,
        claimant="Synthetic claimant B",
        metric="deported",
        as_of=dt.date(2025, 7, 1),
        as_of_precision="half_year",
        label="late 2025",
        value=1200,
        value_text="",
        qualifier="at_least",
        source_id=None,
    )
    assert (points[2].value, points[2].value_text) == (None, "a few hundred")
    assert [p.id for p in figures_over_time(metric="returned")] == [returned.pk]
    assert figures_over_time(metric="missing") == []


def test_figures_over_time_rejects_an_unknown_metric() -> None:
    with pytest.raises(ValidationFailed) as caught:
        figures_over_time(metric="kidnapped")

    assert "metric" in caught.value.fields


def test_registry_counts_by_status_lists_every_status_in_workflow_order(user: Any) -> None:
    make_case()
    make_case()
    move_case(make_case(), Status.VERIFYING)

    counts = registry_counts_by_status(actor=None)

    assert list(counts) == list(Status.values)
    assert counts[Status.REPORTED] == 2
    assert counts[Status.VERIFYING] == 1
    assert counts[Status.CLOSED] == 0
    assert sum(counts.values()) == 3
