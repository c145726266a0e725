"""Meetings, joint statements, resolutions and the votes of states on them: every write.

A meeting's participants and a statement's signatories are any states or organizations,
members of the coalition or not (Russia at Istanbul, China in a call). A resolution keeps the
totals as reported (``None``: not reported) even when only some states' votes are entered; the
votes entered for a category never exceed its reported total, and once the full roll call is
said to be entered (``roll_call_complete``) every category's count equals its total.

Every function here checks the actor (coordinators write), refuses unknown fields, collects
every field's error before writing anything, writes in one transaction, counts the change in
the record's ``version`` and records one audit event naming the fields and relations changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django_countries import countries

from audit import services as audit
from audit.models import Action
from core.errors import ValidationFailed, django_validation_fields
from sources.figures import date_label
from sources.models import FigureQualifier

from ..models import (
    DatePrecision,
    Meeting,
    MeetingKind,
    Party,
    Resolution,
    ResolutionVote,
    Statement,
    UnBody,
    Vote,
)
from . import roll_call
from .common import (
    Actor,
    Errors,
    audit_created,
    audit_updated,
    check_choice,
    check_date,
    locked,
    parties_for_codes,
    party_for_code,
    record_changes,
    record_snapshot,
    reject_unknown,
    require_writer,
    state_for_code,
    stripped,
    visible_sources,
)

# The fields a caller may give, in the order the API shows them (the serializers and the
# seed loader read these).
MEETING_FIELD_NAMES = (
    "kind",
    "title",
    "held_on",
    "date_precision",
    "date_label",
    "place",
    "country",
    "host",
    "participants",
    "outcomes",
    "members_claimed",
    "members_claimed_qualifier",
    "sources",
)
MEETING_FIELDS = frozenset(MEETING_FIELD_NAMES)
MEETING_RELATIONS = ("participants", "sources")
_MEETING_TEXTS = (
    "title",
    "date_label",
    "place",
    "country",
    "outcomes",
    "members_claimed_qualifier",
)

STATEMENT_FIELD_NAMES = (
    "title",
    "issued_on",
    "demands",
    "text",
    "meeting",
    "signatories",
    "signatories_claimed",
    "sources",
)
STATEMENT_FIELDS = frozenset(STATEMENT_FIELD_NAMES)
STATEMENT_RELATIONS = ("signatories", "sources")
_STATEMENT_TEXTS = ("title", "text")

_R = TypeVar("_R", Meeting, Statement, Resolution)

VOTE_TOTALS = ("in_favour", "against", "abstaining", "absent")
RESOLUTION_FIELD_NAMES = (
    "body",
    "symbol",
    "title",
    "voted_on",
    "date_precision",
    *VOTE_TOTALS,
    "roll_call_complete",
    "meeting",
    "sources",
)
RESOLUTION_FIELDS = frozenset(RESOLUTION_FIELD_NAMES)
RESOLUTION_RELATIONS = ("sources",)
_RESOLUTION_TEXTS = ("symbol", "title")


# ---------------------------------------------------------------------------------------------
# Shared checks
# ---------------------------------------------------------------------------------------------
def _count(errors: Errors, field: str, value: Any) -> None:
    """A count as reported: a whole number, never negative, or ``None`` (not reported)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(field, _("Give a whole number."))
    elif value < 0:
        errors.add(field, _("Cannot be negative."))


def _required_text(errors: Errors, field: str, value: Any) -> None:
    if not value:
        errors.add(field, _("This field is required."))


def _meeting_of(errors: Errors, value: Any) -> Meeting | None:
    """The meeting a value names (a meeting or its id), ``None`` for none."""
    if value is None or isinstance(value, Meeting):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add("meeting", _("Give a meeting's id."))
        return None
    meeting = Meeting.objects.filter(pk=value).first()
    if meeting is None:
        errors.add("meeting", _("No such meeting: %(id)s.") % {"id": value})
    return meeting


def _resolve(errors: Errors, where: str, resolve: Any, *args: Any, **kwargs: Any) -> Any:
    """``resolve(*args, **kwargs)``, its refusal recorded against ``where`` instead of
    raised."""
    try:
        return resolve(*args, **kwargs)
    except ValidationFailed as exc:
        for message in (exc.fields or {}).get(where, [str(exc.detail)]):
            errors.add(where, message)
        return None


def _model_checks(errors: Errors, instance: models.Model, exclude: list[str]) -> None:
    """The model's own checks (lengths), once every rule here has passed."""
    if errors:
        return
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        for field, messages in django_validation_fields(exc).items():
            for message in messages:
                errors.add(field, message)


def _apply(instance: models.Model, data: Mapping[str, Any], skip: tuple[str, ...]) -> None:
    for field, value in data.items():
        if field not in skip:
            setattr(instance, field, value)


def _set_relations(instance: models.Model, relations: Mapping[str, list[Any]]) -> None:
    for name, related in relations.items():
        getattr(instance, name).set(related)


def _check_dated(
    errors: Errors, instance: Any, field: str, *, label_field: str | None = None
) -> None:
    """A date with its precision (the first day of its period); a vague one keeps a label,
    said by the caller in the reporting's words or derived for a month or a year."""
    precision = instance.date_precision
    check_date(
        errors,
        field,
        getattr(instance, field),
        precision=precision,
        precision_field="date_precision",
        required=True,
    )
    if label_field is None or errors.fields.get(field) or errors.fields.get("date_precision"):
        return
    if not getattr(instance, label_field) and precision != DatePrecision.DAY:
        label = date_label(getattr(instance, field), precision)
        if not label:
            errors.add(label_field, _("Say how the reporting dates it, e.g. 'late April 2023'."))
        setattr(instance, label_field, label)


def _saved_update(
    instance: Any, before: Mapping[str, Any], relations: tuple[str, ...], *, actor: Actor
) -> Any:
    """Count and audit a change when there was one; nothing when nothing changed."""
    if not record_changes(instance, before, relations):
        return instance
    instance.version += 1
    instance.save()
    audit_updated(instance, before, actor=actor, relations=relations)
    return instance


@dataclass(frozen=True)
class _Writes(Generic[_R]):
    """How one kind of record is written: its model, the fields a caller may give, its
    many-to-many relations and ``prepare``, which applies the data to the (unsaved) record,
    checks the whole of it and returns the relations to set."""

    model: type[_R]
    fields: frozenset[str]
    relations: tuple[str, ...]
    prepare: Callable[[_R, Actor, Mapping[str, Any]], dict[str, list[Any]]]

    def record(self, *, actor: Actor, data: Mapping[str, Any]) -> _R:
        require_writer(actor)
        reject_unknown(data, self.fields)
        instance = self.model(created_by=actor)
        relations = self.prepare(instance, actor, data)
        instance.save()
        _set_relations(instance, relations)
        audit_created(instance, actor=actor, relations=self.relations)
        return instance

    def update(
        self, instance: _R, *, actor: Actor, data: Mapping[str, Any], expected_version: int | None
    ) -> _R:
        require_writer(actor)
        reject_unknown(data, self.fields)
        instance = locked(self.model, instance.pk, expected_version=expected_version)
        before = record_snapshot(instance, self.relations)
        relations = self.prepare(instance, actor, data)
        _set_relations(instance, relations)
        return _saved_update(instance, before, self.relations, actor=actor)


# ---------------------------------------------------------------------------------------------
# Meetings
# ---------------------------------------------------------------------------------------------
def _meeting_prepare(
    meeting: Meeting, actor: Actor, data: Mapping[str, Any]
) -> dict[str, list[Any]]:
    """Apply ``data`` to ``meeting`` (unsaved), check the whole record, and return the
    relations to set; ``ValidationFailed`` naming every field at fault."""
    errors = Errors()
    data = stripped(data, _MEETING_TEXTS)
    _apply(meeting, data, ("host", "participants", "sources", "country"))
    relations: dict[str, list[Any]] = {}
    if "country" in data:
        country = str(data["country"]).upper()
        if country and country not in countries:
            errors.add("country", _("Unknown country code: give an ISO 3166-1 alpha-2 code."))
        meeting.country = country
    if "host" in data:
        host = data["host"]
        meeting.host = (
            None
            if host in (None, "")
            else host
            if isinstance(host, Party)
            else _resolve(errors, "host", party_for_code, host, field="host")
        )
    if "participants" in data:
        relations["participants"] = (
            _resolve(
                errors,
                "participants",
                parties_for_codes,
                data["participants"],
                field="participants",
            )
            or []
        )
    if "sources" in data:
        relations["sources"] = _resolve(errors, "sources", visible_sources, actor, data["sources"])

    check_choice(errors, "kind", meeting.kind, MeetingKind)
    _required_text(errors, "title", meeting.title)
    _check_dated(errors, meeting, "held_on", label_field="date_label")
    _count(errors, "members_claimed", meeting.members_claimed)
    qualifier = meeting.members_claimed_qualifier
    if qualifier:
        check_choice(errors, "members_claimed_qualifier", qualifier, FigureQualifier)
        if meeting.members_claimed is None:
            errors.add("members_claimed_qualifier", _("A qualifier needs the count it qualifies."))
    _model_checks(errors, meeting, ["host", "participants", "sources", "created_by", "country"])
    errors.raise_if_any()
    return relations


_MEETING_WRITES = _Writes(Meeting, MEETING_FIELDS, MEETING_RELATIONS, _meeting_prepare)


@transaction.atomic
def meeting_record(*, actor: Actor, data: Mapping[str, Any]) -> Meeting:
    """Record a meeting, a call, a negotiation round or a UN session."""
    return _MEETING_WRITES.record(actor=actor, data=data)


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    actor: Actor,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Meeting:
    """Change the fields and relations given; refused (412) when ``expected_version`` is no
    longer current. Nothing changed, nothing written."""
    return _MEETING_WRITES.update(
        meeting, actor=actor, data=data, expected_version=expected_version
    )


# ---------------------------------------------------------------------------------------------
# Joint statements
# ---------------------------------------------------------------------------------------------
def _demands(errors: Errors, value: Any) -> list[str]:
    """Each demand a non-empty sentence (stripped)."""
    if not isinstance(value, list | tuple):
        errors.add("demands", _("Give a list of demands, each a sentence."))
        return []
    demands: list[str] = []
    for index, demand in enumerate(value, start=1):
        if not isinstance(demand, str) or not demand.strip():
            errors.add(
                "demands", _("Demand %(number)d is empty: give its words.") % {"number": index}
            )
        else:
            demands.append(demand.strip())
    return demands


def _statement_prepare(
    statement: Statement, actor: Actor, data: Mapping[str, Any]
) -> dict[str, list[Any]]:
    errors = Errors()
    data = stripped(data, _STATEMENT_TEXTS)
    _apply(statement, data, ("demands", "meeting", "signatories", "sources"))
    relations: dict[str, list[Any]] = {}
    if "demands" in data:
        statement.demands = _demands(errors, data["demands"])
    if "meeting" in data:
        statement.meeting = _meeting_of(errors, data["meeting"])
    if "signatories" in data:
        relations["signatories"] = (
            _resolve(
                errors, "signatories", parties_for_codes, data["signatories"], field="signatories"
            )
            or []
        )
    if "sources" in data:
        relations["sources"] = _resolve(errors, "sources", visible_sources, actor, data["sources"])

    _required_text(errors, "title", statement.title)
    check_date(errors, "issued_on", statement.issued_on, required=True)
    _count(errors, "signatories_claimed", statement.signatories_claimed)
    claimed = statement.signatories_claimed
    if "signatories" in relations:
        entered = len(relations["signatories"])
    else:
        entered = statement.signatories.count() if statement.pk else 0
    if isinstance(claimed, int) and not isinstance(claimed, bool) and entered > claimed >= 0:
        errors.add(
            "signatories",
            _("%(entered)d signatories entered, %(claimed)d reported.")
            % {"entered": entered, "claimed": claimed},
        )
    _model_checks(errors, statement, ["meeting", "signatories", "sources", "created_by"])
    errors.raise_if_any()
    return relations


_STATEMENT_WRITES = _Writes(Statement, STATEMENT_FIELDS, STATEMENT_RELATIONS, _statement_prepare)


@transaction.atomic
def statement_record(*, actor: Actor, data: Mapping[str, Any]) -> Statement:
    """Record a joint statement: its demands, its signatories, the count reported."""
    return _STATEMENT_WRITES.record(actor=actor, data=data)


@transaction.atomic
def statement_update(
    *,
    statement: Statement,
    actor: Actor,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Statement:
    return _STATEMENT_WRITES.update(
        statement, actor=actor, data=data, expected_version=expected_version
    )


# ---------------------------------------------------------------------------------------------
# Resolutions and votes
# ---------------------------------------------------------------------------------------------
def vote_counts(resolution: Resolution) -> dict[str, int]:
    """The votes entered per category, every category named (zero included)."""
    counts = dict.fromkeys(Vote.values, 0)
    rows = (
        ResolutionVote.objects.filter(resolution=resolution)
        .values_list("vote")
        .annotate(n=models.Count("id"))
    )
    for vote, n in rows:
        counts[vote] = n
    return counts


def check_vote_counts(errors: Errors, resolution: Resolution, counts: Mapping[str, int]) -> None:
    """Entered votes never exceed a reported total; a complete roll call equals every total
    (and needs all four reported). Each error names its category and both numbers."""
    complete = resolution.roll_call_complete
    for category in VOTE_TOTALS:
        reported = getattr(resolution, category)
        if reported is not None and (isinstance(reported, bool) or not isinstance(reported, int)):
            continue  # refused as a count already
        entered = counts.get(category, 0)
        numbers = {"entered": entered, "reported": reported}
        if reported is None:
            if complete:
                errors.add(
                    category,
                    _(
                        "Not reported: a full roll call needs every total "
                        "(%(entered)d states entered)."
                    )
                    % numbers,
                )
        elif entered > reported or (complete and entered != reported):
            errors.add(category, _("%(entered)d states entered, %(reported)d reported.") % numbers)


def _resolution_prepare(
    resolution: Resolution, actor: Actor, data: Mapping[str, Any]
) -> dict[str, list[Any]]:
    errors = Errors()
    data = stripped(data, _RESOLUTION_TEXTS)
    _apply(resolution, data, ("meeting", "sources"))
    relations: dict[str, list[Any]] = {}
    if "meeting" in data:
        resolution.meeting = _meeting_of(errors, data["meeting"])
    if "sources" in data:
        relations["sources"] = _resolve(errors, "sources", visible_sources, actor, data["sources"])

    check_choice(errors, "body", resolution.body, UnBody)
    _required_text(errors, "title", resolution.title)
    _check_dated(errors, resolution, "voted_on")
    for category in VOTE_TOTALS:
        _count(errors, category, getattr(resolution, category))
    if not isinstance(resolution.roll_call_complete, bool):
        errors.add("roll_call_complete", _("Give true or false."))
    if resolution.symbol:
        taken = Resolution.objects.filter(body=resolution.body, symbol=resolution.symbol)
        if resolution.pk is not None:
            taken = taken.exclude(pk=resolution.pk)
        if taken.exists():
            errors.add(
                "symbol",
                _("Another resolution of this body has the symbol %(symbol)s.")
                % {"symbol": resolution.symbol},
            )
    counts = vote_counts(resolution) if resolution.pk else dict.fromkeys(Vote.values, 0)
    check_vote_counts(errors, resolution, counts)
    _model_checks(errors, resolution, ["meeting", "sources", "created_by"])
    errors.raise_if_any()
    return relations


_RESOLUTION_WRITES = _Writes(
    Resolution, RESOLUTION_FIELDS, RESOLUTION_RELATIONS, _resolution_prepare
)


@transaction.atomic
def resolution_record(*, actor: Actor, data: Mapping[str, Any]) -> Resolution:
    """Record a resolution with its totals as reported (``None``: not reported)."""
    return _RESOLUTION_WRITES.record(actor=actor, data=data)


@transaction.atomic
def resolution_update(
    *,
    resolution: Resolution,
    actor: Actor,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Resolution:
    """Change the fields given; the votes entered are checked against the totals as they
    will be (lowering a total below its entered votes, or declaring the roll call complete
    while its counts differ, is refused naming each category)."""
    return _RESOLUTION_WRITES.update(
        resolution, actor=actor, data=data, expected_version=expected_version
    )


def votes_of(resolution: Resolution) -> dict[str, str]:
    """Each entered state's vote, by country code."""
    return dict(
        ResolutionVote.objects.filter(resolution=resolution).values_list("party__code", "vote")
    )


@transaction.atomic
def votes_set(
    *,
    resolution: Resolution,
    votes: Mapping[str, Any],
    actor: Actor,
    expected_version: int | None = None,
) -> Resolution:
    """Enter the votes of states (``{"RU": "against", ...}``; ``None`` removes a state's vote):
    each state named gets the vote given, the others keep theirs. Refused, nothing written,
    when a code is not a state's or a vote unknown, or when the counts would break the
    totals' rules (``check_vote_counts``)."""
    require_writer(actor)
    if not isinstance(votes, Mapping):
        raise ValidationFailed.on("votes", _("Give each state's vote by its country code."))
    resolution = locked(Resolution, resolution.pk, expected_version=expected_version)
    errors = Errors()
    wanted: dict[Party, str | None] = {}
    for code, vote in votes.items():
        field = f"votes.{code}"
        party = _resolve(errors, field, state_for_code, code, field=field)
        if vote is not None and vote not in Vote.values:
            errors.add(
                field,
                _("Unknown vote; choose one of: %(known)s.") % {"known": ", ".join(Vote.values)},
            )
        elif party is not None:
            wanted[party] = vote
    errors.raise_if_any()

    current = {row.party_id: row for row in ResolutionVote.objects.filter(resolution=resolution)}
    before: dict[str, str | None] = {}
    after: dict[str, str | None] = {}
    counts = vote_counts(resolution)
    for party, vote in wanted.items():
        row = current.get(party.pk)
        old = row.vote if row is not None else None
        if old == vote:
            continue
        before[party.code], after[party.code] = old, vote
        if old is not None:
            counts[old] -= 1
        if vote is not None:
            counts[vote] += 1
    check_vote_counts(errors, resolution, counts)
    errors.raise_if_any()
    if not after:
        return resolution

    for party, vote in wanted.items():
        if party.code not in after:
            continue
        row = current.get(party.pk)
        if vote is None:
            assert row is not None
            row.delete()
        elif row is None:
            ResolutionVote.objects.create(resolution=resolution, party=party, vote=vote)
        else:
            row.vote = vote
            row.save(update_fields=["vote"])
    resolution.version += 1
    resolution.save(update_fields=["version", "updated_at"])
    audit.record(
        Action.UPDATE,
        actor=actor,
        instance=resolution,
        changes={"votes": [dict(sorted(before.items())), dict(sorted(after.items()))]},
    )
    return resolution


@transaction.atomic
def votes_from_text(
    *,
    resolution: Resolution,
    actor: Actor,
    in_favour: str = "",
    against: str = "",
    abstaining: str = "",
    absent: str = "",
    expected_version: int | None = None,
) -> Resolution:
    """Enter a pasted roll call: country names per vote (English or Ukrainian, separated by
    commas, semicolons or line breaks). Every unknown name comes back named under its vote,
    and a state pasted under two votes is refused; nothing is written then."""
    require_writer(actor)
    texts = {
        Vote.IN_FAVOUR.value: in_favour,
        Vote.AGAINST.value: against,
        Vote.ABSTAINING.value: abstaining,
        Vote.ABSENT.value: absent,
    }
    errors = Errors()
    placed: dict[str, str] = {}
    votes: dict[str, str] = {}
    for category, text in texts.items():
        if not isinstance(text, str):
            errors.add(category, _("Give the names as text."))
            continue
        codes, unknown = roll_call.codes_for_names(roll_call.split_names(text))
        if unknown:
            errors.add(
                category, _("Unknown country names: %(names)s.") % {"names": "; ".join(unknown)}
            )
        for code in codes:
            other = placed.get(code)
            if other is not None:
                name = str(countries.name(code))
                errors.add(
                    category,
                    _("%(name)s is also listed under %(other)s.") % {"name": name, "other": other},
                )
                errors.add(
                    other,
                    _("%(name)s is also listed under %(other)s.")
                    % {"name": name, "other": category},
                )
            else:
                placed[code] = category
                votes[code] = category
    errors.raise_if_any()
    if not votes:
        raise ValidationFailed.on(
            Vote.IN_FAVOUR.value, _("Paste the names of the states under their votes.")
        )
    return votes_set(
        resolution=resolution, votes=votes, actor=actor, expected_version=expected_version
    )
