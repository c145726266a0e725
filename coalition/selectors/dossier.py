"""The country dossier: everything the coalition's records say about one state, and how many of
the registry's children were ever, or are now, on its territory. The page a coordinator opens
before a call.

Read in a constant number of queries whatever the size of the registry: the party and its
membership in one, then one query per section, and the children's counts in one aggregation
(``_children_counts``) that never loads a case (on PostgreSQL one more statement, which keeps
that aggregation from running on a plan cached for another country).

Who counts which cases follows the registry's own rule (``cases.selectors``): a reader of cases
(caseworker, supervisor, partner) counts the cases they may see (``case_visible_to``: their
organization's, what they submitted, what is shared with them); a role that reads counts only
(coordinator) counts the whole registry, as ``case_counts`` does; auditors and superusers see
every case anyway. The dossier names its scope (``registry`` or ``visible``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_countries import countries

from accounts.models import User
from cases.models import Case, Whereabouts
from cases.selectors import case_visible_to, reads_aggregates, reads_all_cases, reads_cases
from cases.workflow import Status
from core.errors import ValidationFailed

from ..models import (
    OPEN_PLEDGE_STATUSES,
    ChildList,
    Meeting,
    MeetingKind,
    MemberArea,
    Party,
    PartyKind,
    Pledge,
    PledgeKind,
    PledgeStatus,
    ResolutionVote,
    Statement,
    Vote,
)
from ..services.common import require_reader

Actor = User | None

# The scope the children's counts cover.
SCOPE_REGISTRY = "registry"  # every case of the registry
SCOPE_VISIBLE = "visible"  # the cases the reader may see


@dataclass(frozen=True)
class AreaRef:
    code: str
    name: str
    leads: bool


@dataclass(frozen=True)
class Membership:
    role: str
    joined_on: dt.date | None
    joined_precision: str
    left_on: dt.date | None
    is_current: bool
    areas: list[AreaRef]


@dataclass(frozen=True)
class PledgeRow:
    id: int
    kind: str
    description: str
    status: str
    overdue: bool
    project_id: int | None
    project_title: str
    area_code: str
    area_name: str
    amount: Decimal | None
    currency: str
    pledged_on: dt.date | None
    due_on: dt.date | None

    @property
    def status_label(self) -> str:
        return str(PledgeStatus(self.status).label)

    @property
    def kind_label(self) -> str:
        return str(PledgeKind(self.kind).label)


@dataclass(frozen=True)
class PledgeTotal:
    """The pledges in one status: how many, and the amounts promised by currency (amounts in
    different currencies are never added together)."""

    status: str
    count: int
    amounts: dict[str, Decimal]

    @property
    def status_label(self) -> str:
        return str(PledgeStatus(self.status).label)


@dataclass(frozen=True)
class MeetingRow:
    id: int
    kind: str
    title: str
    held_on: dt.date
    date_precision: str
    date_label: str
    place: str
    hosted: bool
    took_part: bool

    @property
    def kind_label(self) -> str:
        return str(MeetingKind(self.kind).label)


@dataclass(frozen=True)
class StatementRow:
    id: int
    title: str
    issued_on: dt.date


@dataclass(frozen=True)
class VoteRow:
    resolution_id: int
    body: str
    symbol: str
    title: str
    voted_on: dt.date
    vote: str

    @property
    def vote_label(self) -> str:
        return str(Vote(self.vote).label)


@dataclass(frozen=True)
class ChildListRow:
    """A list of named children the state handed over or received: never its entries."""

    id: int
    title: str
    handed_on: dt.date
    date_precision: str
    count_claimed: int | None
    count_qualifier: str
    entries_held: int
    handed_over: bool
    received: bool


@dataclass(frozen=True)
class ChildrenCounts:
    """Cases whose child's known whereabouts were ever in the country (any whereabouts there)
    and are now (the child's current whereabouts, the latest by start date, is there), each by
    the case's status, every status of the workflow listed (zero included)."""

    scope: str
    ever: dict[str, int]
    now: dict[str, int]

    @property
    def ever_total(self) -> int:
        return sum(self.ever.values())

    @property
    def now_total(self) -> int:
        return sum(self.now.values())


@dataclass(frozen=True)
class CountryDossier:
    code: str
    name: str
    name_uk: str
    recorded: bool  # whether any coalition record names the state
    membership: Membership | None
    pledges: list[PledgeRow]
    pledge_totals: list[PledgeTotal]
    meetings: list[MeetingRow]
    statements: list[StatementRow]
    votes: list[VoteRow]
    child_lists: list[ChildListRow]
    children: ChildrenCounts
    vote_totals: dict[str, int] = field(default_factory=dict)

    @property
    def overdue_pledges(self) -> int:
        return sum(1 for pledge in self.pledges if pledge.overdue)


@dataclass(frozen=True)
class CountryRow:
    """A state named anywhere in the coalition's records, and its membership if any."""

    code: str
    name: str
    is_member: bool
    role: str | None  # None: never a member


# ---------------------------------------------------------------------------------------------
# The country
# ---------------------------------------------------------------------------------------------
def country_code_checked(code: Any, *, field: str = "country") -> str:
    """``code`` as an ISO 3166-1 alpha-2 code (any case in, upper case out); anything else is a
    ``ValidationFailed`` on ``field``."""
    text = code.strip().upper() if isinstance(code, str) else ""
    if len(text) != 2 or not text.isalpha() or text not in countries:
        raise ValidationFailed.on(
            field,
            _("Unknown country code %(code)s: give an ISO 3166-1 alpha-2 code, e.g. CA.")
            % {"code": str(code)[:10]},
        )
    return text


def _country_name(code: str, language: str) -> str:
    with translation.override(language):
        return str(countries.name(code))


# ---------------------------------------------------------------------------------------------
# The dossier
# ---------------------------------------------------------------------------------------------
def country_dossier(*, actor: Actor, country: str) -> CountryDossier:
    """The dossier of the state ``country`` (an ISO 3166-1 alpha-2 code, any case). A state no
    record names has empty sections and the registry's counts all the same. Refused to a role
    that does not read the coalition."""
    require_reader(actor)
    code = country_code_checked(country)
    party = (
        Party.objects.filter(kind=PartyKind.STATE, code=code).select_related("membership").first()
    )
    children = _children_counts(actor, code)
    name = _country_name(code, "en")
    name_uk = (party.name_uk if party is not None else "") or _country_name(code, "uk")
    if party is None:
        return CountryDossier(
            code=code,
            name=name,
            name_uk=name_uk,
            recorded=False,
            membership=None,
            pledges=[],
            pledge_totals=_pledge_totals([]),
            meetings=[],
            statements=[],
            votes=[],
            child_lists=[],
            children=children,
            vote_totals=_vote_totals([]),
        )
    member = getattr(party, "membership", None)
    membership = None
    pledges: list[PledgeRow] = []
    if member is not None:
        areas = [
            AreaRef(code=row.area.code, name=row.area.name, leads=row.leads)
            for row in MemberArea.objects.filter(member=member).select_related("area")
        ]
        today = timezone.localdate()
        membership = Membership(
            role=member.role,
            joined_on=member.joined_on,
            joined_precision=member.joined_precision,
            left_on=member.left_on,
            is_current=member.left_on is None or member.left_on > today,
            areas=areas,
        )
        pledges = _pledges(member.pk, today)
    votes = _votes(party)
    return CountryDossier(
        code=code,
        name=name,
        name_uk=name_uk,
        recorded=True,
        membership=membership,
        pledges=pledges,
        pledge_totals=_pledge_totals(pledges),
        meetings=_meetings(party),
        statements=[
            StatementRow(id=s.pk, title=s.title, issued_on=s.issued_on)
            for s in Statement.objects.filter(signatories=party).order_by("-issued_on", "-id")
        ],
        votes=votes,
        child_lists=_child_lists(party),
        children=children,
        vote_totals=_vote_totals(votes),
    )


def _pledges(member_id: int, today: dt.date) -> list[PledgeRow]:
    rows = (
        Pledge.objects.filter(member_id=member_id)
        .select_related("project", "area")
        .order_by("-pledged_on", "-id")
    )
    return [
        PledgeRow(
            id=p.pk,
            kind=p.kind,
            description=p.description,
            status=p.status,
            overdue=p.status in OPEN_PLEDGE_STATUSES and p.due_on is not None and p.due_on < today,
            project_id=p.project_id,
            project_title=p.project.title if p.project is not None else "",
            area_code=p.area.code,
            area_name=p.area.name,
            amount=p.amount,
            currency=p.currency,
            pledged_on=p.pledged_on,
            due_on=p.due_on,
        )
        for p in rows
    ]


def _pledge_totals(pledges: list[PledgeRow]) -> list[PledgeTotal]:
    """Every status in order, from the pledges already read (a member has a handful)."""
    totals = []
    for status in PledgeStatus.values:
        count = 0
        amounts: dict[str, Decimal] = {}
        for pledge in pledges:
            if pledge.status != status:
                continue
            count += 1
            if pledge.amount is not None and pledge.currency:
                amounts[pledge.currency] = amounts.get(pledge.currency, Decimal(0)) + pledge.amount
        totals.append(
            PledgeTotal(status=status, count=count, amounts=dict(sorted(amounts.items())))
        )
    return totals


def _meetings(party: Party) -> list[MeetingRow]:
    took_part = Exists(
        Meeting.participants.through.objects.filter(meeting_id=OuterRef("pk"), party_id=party.pk)
    )
    rows = (
        Meeting.objects.annotate(took_part=took_part)
        .filter(Q(host=party) | Q(took_part=True))
        .order_by("-held_on", "-id")
    )
    return [
        MeetingRow(
            id=m.pk,
            kind=m.kind,
            title=m.title,
            held_on=m.held_on,
            date_precision=m.date_precision,
            date_label=m.date_label,
            place=m.place,
            hosted=m.host_id == party.pk,
            took_part=bool(m.took_part),
        )
        for m in rows
    ]


def _votes(party: Party) -> list[VoteRow]:
    rows = (
        ResolutionVote.objects.filter(party=party)
        .select_related("resolution")
        .order_by("-resolution__voted_on", "-resolution_id")
    )
    return [
        VoteRow(
            resolution_id=v.resolution_id,
            body=v.resolution.body,
            symbol=v.resolution.symbol,
            title=v.resolution.title,
            voted_on=v.resolution.voted_on,
            vote=v.vote,
        )
        for v in rows
    ]


def _vote_totals(votes: list[VoteRow]) -> dict[str, int]:
    return {vote: sum(1 for row in votes if row.vote == vote) for vote in Vote.values}


def _child_lists(party: Party) -> list[ChildListRow]:
    received = Exists(
        ChildList.handed_to.through.objects.filter(childlist_id=OuterRef("pk"), party_id=party.pk)
    )
    rows = (
        ChildList.objects.annotate(received=received)
        .filter(Q(handed_by=party) | Q(received=True))
        # The number of entries held, never the entries themselves.
        .annotate(entries_held=Count("entries"))
        .order_by("-handed_on", "-id")
    )
    return [
        ChildListRow(
            id=row.pk,
            title=row.title,
            handed_on=row.handed_on,
            date_precision=row.date_precision,
            count_claimed=row.count_claimed,
            count_qualifier=row.count_qualifier,
            entries_held=row.entries_held,
            handed_over=row.handed_by_id == party.pk,
            received=bool(row.received),
        )
        for row in rows
    ]


# ---------------------------------------------------------------------------------------------
# The registry's children in the country
# ---------------------------------------------------------------------------------------------
def children_scope(actor: Actor) -> tuple[str, QuerySet[Case]]:
    """Which cases ``actor``'s counts cover: a reader of cases counts what they may see; a
    role that reads counts only (coordinators) counts the registry, as ``case_counts`` does;
    the system (``None``), auditors and superusers count every case. Anyone else, none."""
    if actor is None or reads_all_cases(actor):
        return SCOPE_REGISTRY, Case.objects.all()
    if reads_cases(actor):
        return SCOPE_VISIBLE, case_visible_to(actor=actor)
    if reads_aggregates(actor):
        return SCOPE_REGISTRY, Case.objects.all()
    return SCOPE_VISIBLE, Case.objects.none()


def _children_counts(actor: Actor, code: str) -> ChildrenCounts:
    """One aggregation: the cases whose child was ever in ``code`` (a whereabouts there), by
    status, and of those the ones whose current whereabouts is there."""
    scope, cases = children_scope(actor)
    ever_there = Exists(Whereabouts.objects.filter(child_id=OuterRef("child_id"), country=code))
    rows = (
        cases.filter(ever_there)
        .order_by()
        .values("status")
        .annotate(
            ever=Count("id"),
            now=Count("id", filter=Q(child__current_whereabouts__country=code)),
        )
        .values_list("status", "ever", "now")
    )
    # No savepoint: inside the request's transaction, SET LOCAL lasts until its end (custom
    # plans for the rest of a read-only request); outside one, this opens its own.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            # Planned for this country, never from a plan cached for another: statements are
            # prepared on the connection, and after a few runs PostgreSQL may keep a generic
            # plan; the best plan for a country with no whereabouts (a few index lookups) and
            # for one with a hundred thousand (hash joins over every case) are far apart.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        found: Mapping[str, tuple[int, int]] = {status: (ever, now) for status, ever, now in rows}
    return ChildrenCounts(
        scope=scope,
        ever={status: found.get(status, (0, 0))[0] for status in Status.values},
        now={status: found.get(status, (0, 0))[1] for status in Status.values},
    )


# ---------------------------------------------------------------------------------------------
# The states in the records
# ---------------------------------------------------------------------------------------------
def countries_in_records(*, actor: Actor) -> list[CountryRow]:
    """Every state the coalition's records name (a state's party exists once a record names
    it), with its membership: one query."""
    require_reader(actor)
    today = timezone.localdate()
    rows = []
    for party in Party.objects.filter(kind=PartyKind.STATE).select_related("membership"):
        member = getattr(party, "membership", None)
        rows.append(
            CountryRow(
                code=party.code,
                name=party.display_name,
                is_member=member is not None and (member.left_on is None or member.left_on > today),
                role=member.role if member is not None else None,
            )
        )
    return sorted(rows, key=lambda row: row.code)
