"""Published figures: recording the figures claimants publish, and reading them over time next
to the registry's own counts.

Figures conflict, and that is the normal case: every claim is its own row, with who claimed it,
as of when, with which qualifier and from which source. Recording a figure never overwrites
another; changing one corrects that claim's record only.

Who records figures: the roles that write cases (caseworkers, supervisors), coordinators (who
follow the public picture for the coalition) and superusers; ``None`` is the system (seeds).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from accounts.roles import Capability
from accounts.selectors import actor_roles
from audit import services as audit
from cases.selectors import case_counts
from cases.workflow import Status
from core.errors import PermissionDenied, ValidationFailed, django_validation_fields

from .models import AsOfPrecision, FigureMetric, FigureQualifier, PublishedFigure, Source
from .selectors import source_is_visible

Actor = User | None

FIGURE_FIELDS = frozenset(
    {
        "metric",
        "description",
        "value",
        "value_text",
        "qualifier",
        "as_of",
        "as_of_precision",
        "as_of_label",
        "claimant",
        "source",
        "note",
    }
)
_TEXT_FIELDS = ("description", "value_text", "as_of_label", "claimant", "note")

# The first day each vague precision may start on: "spring 2023" is stored as 2023-03-01.
PERIOD_STARTS: dict[str, tuple[int, ...]] = {
    AsOfPrecision.MONTH: tuple(range(1, 13)),
    AsOfPrecision.SEASON: (3, 6, 9, 12),
    AsOfPrecision.HALF_YEAR: (1, 7),
    AsOfPrecision.YEAR: (1,),
}


PERIOD_START_MESSAGE = gettext_lazy(
    "Give the first day of the period the date names (a month on its 1st, a season on 1 March, "
    "June, September or December; a half year on 1 January or July; a year on 1 January)."
)


def starts_its_period(day: dt.date, precision: str) -> bool:
    """Whether ``day`` is the first day of a period of ``precision`` (any day for ``day``):
    a vague date ("spring 2023", "late April 2023") is kept as the first day it covers."""
    starts = PERIOD_STARTS.get(precision)
    return starts is None or (day.day == 1 and day.month in starts)


class FigurePermissionDenied(PermissionDenied):
    code = "figure_permission_denied"
    default_detail = gettext_lazy(
        "Recording published figures takes a caseworker, supervisor or coordinator role."
    )


# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------
def _require_recorder(actor: Actor) -> None:
    if actor is None:
        return  # the system: seeds and imports
    roles = actor_roles(actor)
    if roles.is_superuser or roles.can(Capability.CASE_WRITE) or roles.has_role(Role.COORDINATOR):
        return
    raise FigurePermissionDenied()


def _reject_unknown(data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - FIGURE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown field: %(names)s.") % {"names": ", ".join(unknown)},
            fields={name: [_("This field cannot be set here.")] for name in unknown},
        )


def _cleaned(actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    """The data with its texts stripped (``None`` stands for an empty text), once its source,
    if any, is a recorded one the actor may see (one out of sight is as good as unknown)."""
    source = data.get("source")
    if source is not None and (
        not isinstance(source, Source)
        or source.pk is None
        or (actor is not None and not source_is_visible(actor=actor, source=source))
    ):
        raise ValidationFailed.on("source", _("No such source."))
    cleaned = dict(data)
    for field in _TEXT_FIELDS:
        if field in cleaned:
            value = cleaned[field]
            cleaned[field] = "" if value is None else str(value).strip()
    return cleaned


def date_label(as_of: dt.date, precision: str) -> str:
    """A label for a precisely dated claim; vaguer ones ("spring 2023") are said by the
    caller, in the claim's own words."""
    if precision == AsOfPrecision.DAY:
        return as_of.isoformat()
    if precision == AsOfPrecision.MONTH:
        return f"{as_of:%Y-%m}"
    if precision == AsOfPrecision.YEAR:
        return str(as_of.year)
    return ""


def _check(figure: PublishedFigure) -> None:
    """Every rule, each error naming its field; then the model's own checks (lengths)."""
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not figure.claimant:
        fail("claimant", _("Say who published the figure."))
    if not figure.description:
        fail("description", _("Say what was counted, in the claimant's terms."))
    if figure.metric not in FigureMetric.values:
        fail(
            "metric",
            _("Unknown metric; choose one of: %(known)s.")
            % {"known": ", ".join(FigureMetric.values)},
        )
    if figure.qualifier not in FigureQualifier.values:
        fail(
            "qualifier",
            _("Unknown qualifier; choose one of: %(known)s.")
            % {"known": ", ".join(FigureQualifier.values)},
        )
    value: Any = figure.value
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        fail("value", _("Give a whole number."))
    elif value is not None and value < 0:
        fail("value", _("Cannot be negative."))
    elif value is None and not figure.value_text:
        fail("value", _("Give the figure, or the claim's words (value_text) when it has none."))

    precision = figure.as_of_precision
    if precision not in AsOfPrecision.values:
        fail(
            "as_of_precision",
            _("Unknown precision; choose one of: %(known)s.")
            % {"known": ", ".join(AsOfPrecision.values)},
        )
    as_of: Any = figure.as_of
    if as_of is None:
        fail("as_of", _("Say as of when the figure was claimed."))
    elif isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
        fail("as_of", _("Give a date."))
    elif as_of > timezone.localdate():
        fail("as_of", _("Cannot be in the future."))
    elif not starts_its_period(as_of, precision):
        fail("as_of", str(PERIOD_START_MESSAGE))
    elif not figure.as_of_label and precision in AsOfPrecision.values:
        figure.as_of_label = date_label(as_of, precision)
        if not figure.as_of_label:
            fail("as_of_label", _("Say how the claim dates itself, e.g. 'spring 2023'."))

    if not errors:
        try:
            figure.full_clean(exclude=["source", "created_by"])
        except DjangoValidationError as exc:
            errors.update(django_validation_fields(exc))
    if errors:
        field, messages = next(iter(errors.items()))
        raise ValidationFailed(f"{field}: {messages[0]}", fields=errors)


@transaction.atomic
def figure_record(*, actor: Actor, data: Mapping[str, Any]) -> PublishedFigure:
    """Record a published figure as claimed. Always a new row: a conflicting figure for the
    same metric and period is kept beside the others, never in their place."""
    _require_recorder(actor)
    _reject_unknown(data)
    figure = PublishedFigure(created_by=actor, **_cleaned(actor, data))
    _check(figure)
    figure.save()
    audit.record_create(figure, actor=actor)
    return figure


@transaction.atomic
def figure_update(
    *, figure: PublishedFigure, actor: Actor, data: Mapping[str, Any]
) -> PublishedFigure:
    """Correct the record of one claim (a typo, a better source). Nothing changed, nothing
    written."""
    _require_recorder(actor)
    _reject_unknown(data)
    figure = PublishedFigure.objects.select_for_update().get(pk=figure.pk)
    before = audit.snapshot(figure)
    changed = False
    for field, value in _cleaned(actor, data).items():
        if getattr(figure, field) != value:
            setattr(figure, field, value)
            changed = True
    if not changed:
        return figure
    _check(figure)
    figure.save()
    audit.record_update(figure, before, actor=actor)
    return figure


# ---------------------------------------------------------------------------------------------
# Selectors
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FigurePoint:
    """One claim on a timeline: ``value`` is ``None`` for a claim without a number, whose
    words are ``value_text``; ``label`` is the date as claimed ("spring 2023")."""

    id: int
    claimant: str
    metric: str
    as_of: dt.date
    as_of_precision: str
    label: str
    value: int | None
    value_text: str
    qualifier: str
    source_id: int | None


def figures_over_time(*, metric: str | None = None) -> list[FigurePoint]:
    """Published figures in date order (then by claimant), for a chart by claimant; one
    query. Published figures are public claims: no visibility rule applies."""
    if metric is not None and metric not in FigureMetric.values:
        raise ValidationFailed.on(
            "metric",
            _("Unknown metric; choose one of: %(known)s.")
            % {"known": ", ".join(FigureMetric.values)},
        )
    figures = PublishedFigure.objects.all()
    if metric is not None:
        figures = figures.filter(metric=metric)
    rows = figures.order_by("as_of", "claimant", "id").values_list(
        "id",
        "claimant",
        "metric",
        "as_of",
        "as_of_precision",
        "as_of_label",
        "value",
        "value_text",
        "qualifier",
        "source_id",
    )
    return [
        FigurePoint(
            id=pk,
            claimant=claimant,
            metric=metric_,
            as_of=as_of,
            as_of_precision=precision,
            label=label or date_label(as_of, precision),
            value=value,
            value_text=value_text,
            qualifier=qualifier,
            source_id=source_id,
        )
        for (
            pk,
            claimant,
            metric_,
            as_of,
            precision,
            label,
            value,
            value_text,
            qualifier,
            source_id,
        ) in rows
    ]


def registry_counts_by_status(*, actor: Actor) -> dict[str, int]:
    """The registry's own side of the picture: its cases by status, every status of the
    workflow in order (zero included), to show beside the published figures, never mixed in.
    Refused (``PermissionDenied``) to a person without a role that reads aggregates."""
    by_status: Mapping[str, int] = case_counts(actor=actor)["by_status"]
    return {status: int(by_status.get(status, 0)) for status in Status.values}
