"""A fast generator of synthetic cases for benchmarks: 100,000 cases in well under a minute.

The services write one case at a time with every check, which is right for people and far too slow
for a benchmark's hundred thousand rows. This module writes the same rows in bulk, batch by batch,
and derives everything the services would: case numbers from ``case_numbers_allocate``, Latin forms
with ``names.latin_kmu``, search keys as ``names.search_text`` builds them, the identity-matching
keys (``ChildNameKey``) as ``matching.record_name_keys`` builds them, the status history with
matching ``case_version``s, whereabouts with the child's current one, and dates that satisfy every
database constraint (returned cases have a return date, closed ones a reason, nothing in the
future, birth before deportation). Selectors and search treat the rows like any other.

Rows are drawn as plain column dicts. On PostgreSQL they are streamed with ``COPY`` (ids taken from
the tables' sequences up front, so a child can point at its current whereabouts before that row is
written: foreign keys are checked at commit), three connections writing batches side by side while
a thread draws the next ones. Elsewhere (SQLite, in tests) they go through ``bulk_create``, and
the creation times they were drawn with are written after it (see ``_inserted``). Either way each
row gets its ``create`` event from ``audit.services.record_bulk_creations``.

Everything is made up (Faker's ``uk_UA`` name lists) and marked ``is_synthetic``.
"""

from __future__ import annotations

import bisect
import contextvars
import datetime as dt
import itertools
import queue
import random
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from faker.providers.person.uk_UA import Provider as UkrainianNames
from tqdm import tqdm

from audit.services import record_bulk_creations
from cases import matching, names, services, workflow
from cases.models import (
    AliasKind,
    Case,
    Child,
    ChildAlias,
    ChildNameKey,
    DatePrecision,
    Facility,
    Oblast,
    ParentalCare,
    Pathway,
    Priority,
    Sex,
    StatusChange,
    Whereabouts,
)
from cases.workflow import ClosureReason, Status

from .seeding import (
    Place,
    demo_organizations_load,
    destination_places,
    oblast_weights,
    origin_places,
    russified,
)

SYNTHETIC_NOTE = "Synthetic benchmark record: not a real child."
FIRST_DEPORTATIONS = dt.date(2022, 2, 24)
DEFAULT_BATCH_SIZE = 5000

# The hot path works on plain strings: enum members hash and compare in Python code, which shows
# at a hundred thousand cases.
REPORTED, VERIFYING = Status.REPORTED.value, Status.VERIFYING.value
SEARCHING, LOCATED = Status.SEARCHING.value, Status.LOCATED.value
RETURN_IN_PROGRESS, RETURNED = Status.RETURN_IN_PROGRESS.value, Status.RETURNED.value
REHABILITATION, INTEGRATION = Status.REHABILITATION.value, Status.INTEGRATION.value
CLOSED, INTEGRATED = Status.CLOSED.value, ClosureReason.INTEGRATED.value

# A realistic spread: most cases are still being searched for; a minority are home.
STATUS_WEIGHTS: dict[str, int] = {
    REPORTED: 10,
    VERIFYING: 12,
    SEARCHING: 28,
    LOCATED: 12,
    RETURN_IN_PROGRESS: 6,
    RETURNED: 5,
    REHABILITATION: 6,
    INTEGRATION: 6,
    CLOSED: 15,
}
CLOSURE_WEIGHTS: dict[str, int] = {
    INTEGRATED: 50,
    ClosureReason.DUPLICATE.value: 15,
    ClosureReason.ADULTHOOD_ABROAD.value: 12,
    ClosureReason.NOT_DEPORTATION.value: 10,
    ClosureReason.TRANSFERRED.value: 10,
    ClosureReason.DECEASED.value: 3,
}
PRIORITY_WEIGHTS: dict[str, int] = {
    Priority.LOW.value: 15,
    Priority.NORMAL.value: 55,
    Priority.HIGH.value: 22,
    Priority.URGENT.value: 8,
}
PATHWAY_WEIGHTS: dict[str, int] = {
    Pathway.FROM_INSTITUTION.value: 18,
    Pathway.SEPARATED_FROM_FAMILY.value: 22,
    Pathway.TEMPORARY_CAMP.value: 25,
    Pathway.AFTER_FILTRATION.value: 10,
    Pathway.OTHER.value: 5,
    Pathway.UNKNOWN.value: 20,
}
EXACT, MONTH = DatePrecision.EXACT.value, DatePrecision.MONTH.value
YEAR, ESTIMATED = DatePrecision.YEAR.value, DatePrecision.ESTIMATED.value
PRECISION_WEIGHTS: dict[str, int] = {EXACT: 70, MONTH: 12, YEAR: 10, ESTIMATED: 8}
FORWARD = workflow.FORWARD_PATH
_FORWARD_INDEX = {status: index for index, status in enumerate(FORWARD)}
# Share of cases with at least one known whereabouts, by status (the rest: 90%).
WHEREABOUTS_SHARE: dict[str, float] = {REPORTED: 0.3, VERIFYING: 0.5}
SOURCES: tuple[str, ...] = (
    "Synthetic source: statement of a relative.",
    "Synthetic source: listing on a Russian adoption database.",
    "Synthetic source: media report.",
    "Synthetic source: official list handed over in talks.",
)
HOME_SOURCE = "Synthetic source: caseworker visit after return."
INSTITUTION = ParentalCare.INSTITUTION.value
ALIAS_SEEN_IN = "Synthetic benchmark listing"
COLD_TRAIL = "Synthetic: the trail went cold."


class _Weighted:
    """Fast repeated weighted choice (bisect over cumulative weights)."""

    def __init__(self, weights: dict[Any, int] | Sequence[tuple[Any, int]]) -> None:
        pairs = list(weights.items()) if isinstance(weights, dict) else list(weights)
        self.values = [value for value, _ in pairs]
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


@lru_cache(maxsize=65536)
def _latin(word: str) -> str:
    """KMU 2010 Latin form of one name, cached: names repeat heavily."""
    return names.latin_kmu(word)


@lru_cache(maxsize=65536)
def _search_keys(name: str) -> frozenset[str]:
    """The search keys of one name, cached. A child's keys are the union over its names, which
    is what ``names.search_text`` computes for the whole list at once."""
    return frozenset(names.search_text([name]).split())


@lru_cache(maxsize=65536)
def _russified(word: str, category: str) -> str:
    return russified(word, category)


def name_keys(given: str, family: str, patronymic: str, alias: str) -> frozenset[str]:
    """The child's identity-matching keys, as ``services.child_refresh_name_keys`` writes
    them (the words' spellings are cached in ``cases.matching``)."""
    return matching.record_name_keys(
        given_name=given,
        family_name=family,
        patronymic=patronymic,
        alias_names=[alias] if alias else (),
    )


def search_text(*child_names: str) -> str:
    keys: set[str] = set()
    for name in child_names:
        if name:
            keys |= _search_keys(name)
    return " ".join(sorted(keys))


@dataclass
class Draft:
    """One synthetic case before it is written, as column values (attribute names)."""

    child: dict[str, Any]
    case: dict[str, Any]
    # (from_status, to_status, changed_at, reason); the n-th change makes case version n.
    changes: list[tuple[str, str, dt.datetime, str]]
    stays: list[dict[str, Any]] = field(default_factory=list)
    alias: str = ""
    name_keys: frozenset[str] = frozenset()


class SyntheticGenerator:
    """Draws synthetic cases from a seeded random source."""

    def __init__(self, *, seed: int = 0, organization_ids: Sequence[int]) -> None:
        if not organization_ids:
            raise ValueError("Synthetic cases need at least one owning organization.")
        self.rng = random.Random(seed)
        # The first organization owns most cases; the others own a share each.
        self.owners = _Weighted([(pk, 8 if i == 0 else 2) for i, pk in enumerate(organization_ids)])
        self.kyiv = ZoneInfo(settings.TIME_ZONE)
        self.now = timezone.now()
        self.today = services.today()
        self.first_report = dt.datetime(2022, 3, 1, tzinfo=dt.UTC)
        self.opened = _("Case opened.")  # what case_create records as the first change

        oblasts = {o.code: o for o in Oblast.objects.all()}
        if not oblasts:
            raise RuntimeError("Load the oblasts first (python manage.py load_seeds).")
        self.oblast_names = {code: o.name_en for code, o in oblasts.items()}
        self.oblasts = _Weighted(
            {code: w for code, w in oblast_weights().items() if code in oblasts}
        )
        self.origins = origin_places()
        self.destinations = _Weighted([(p, p.weight) for p in destination_places()])
        # Places children were taken to, not from.
        self.facilities: list[tuple[int, str]] = [
            (pk, str(country))
            for pk, country in Facility.objects.exclude(region="Kherson Oblast").values_list(
                "pk", "country"
            )
        ]
        self.statuses = _Weighted(STATUS_WEIGHTS)
        self.closures = _Weighted(CLOSURE_WEIGHTS)
        self.priorities = _Weighted(PRIORITY_WEIGHTS)
        self.pathways = _Weighted(PATHWAY_WEIGHTS)
        self.precisions = _Weighted(PRECISION_WEIGHTS)
        self.parental_care = [str(value) for value in ParentalCare.values]
        self.names: dict[str, tuple[Sequence[str], Sequence[str], Sequence[str]]] = {
            Sex.MALE.value: (
                UkrainianNames.first_names_male,
                UkrainianNames.last_names_male,
                UkrainianNames.middle_names_male,
            ),
            Sex.FEMALE.value: (
                UkrainianNames.first_names_female,
                UkrainianNames.last_names_female,
                UkrainianNames.middle_names_female,
            ),
        }
        self.span = (self.now - dt.timedelta(days=1) - self.first_report).total_seconds()

    def _local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.kyiv).date()

    def _path(self, status: str) -> tuple[list[str], str]:
        """The statuses a case went through to reach ``status``, and its closure reason."""
        if status != CLOSED:
            path = list(FORWARD[: _FORWARD_INDEX[status] + 1])
            if status == SEARCHING and self.rng.random() < 0.15:
                path += [LOCATED, SEARCHING]
            return path, ""
        reason = self.closures.pick(self.rng)
        if reason == INTEGRATED:
            return [*FORWARD, CLOSED], reason
        return [*FORWARD[: self.rng.randint(1, 5)], CLOSED], reason

    def draft(self) -> Draft:
        rng = self.rng
        random_ = rng.random
        sex = "male" if random_() < 0.5 else "female"
        given_names, family_names, patronymics = self.names[sex]
        given = rng.choice(given_names)
        family = rng.choice(family_names)
        patronymic = rng.choice(patronymics) if random_() < 0.95 else ""
        code = self.oblasts.pick(rng)
        origin: Place = rng.choice(self.origins[code])

        created_at = self.first_report + dt.timedelta(seconds=random_() * self.span)
        reported_on = self._local_date(created_at)
        deported_on: dt.date | None = max(
            FIRST_DEPORTATIONS, reported_on - dt.timedelta(days=rng.randint(0, 400))
        )
        if random_() < 0.04:
            deported_on = None
        born = (deported_on or reported_on) - dt.timedelta(days=rng.randint(60, 17 * 365))
        precision = self.precisions.pick(rng)
        date_of_birth: dt.date | None = born
        if precision == MONTH:
            date_of_birth = born.replace(day=1)
        elif precision == YEAR:
            date_of_birth = born.replace(month=1, day=1)
        elif precision == ESTIMATED and random_() < 0.25:
            date_of_birth = None  # not even a year is known

        status = self.statuses.pick(rng)
        path, closure_reason = self._path(status)
        remaining = (self.now - created_at).total_seconds()
        times = [created_at] + [
            created_at + dt.timedelta(seconds=offset)
            for offset in sorted(random_() * remaining for _ in range(len(path) - 1))
        ]
        changes = []
        previous = ""
        for to_status, at in zip(path, times, strict=True):
            if not previous:
                reason = self.opened
            elif to_status != CLOSED and _FORWARD_INDEX[to_status] < _FORWARD_INDEX[previous]:
                reason = COLD_TRAIL  # a move back needs a reason
            else:
                reason = ""
            changes.append((previous, to_status, at, reason))
            previous = to_status
        returned_on = self._local_date(times[path.index(RETURNED)]) if RETURNED in path else None

        has_coordinates = random_() < 0.6
        alias = ""
        if random_() < 0.1:
            alias = " ".join(
                _russified(word, category)
                for word, category in (
                    (family, "last"),
                    (given, "first"),
                    (patronymic, "patronymic"),
                )
                if word
            )
        child = {
            "given_name": given,
            "family_name": family,
            "patronymic": patronymic,
            "given_name_latin": _latin(given),
            "family_name_latin": _latin(family),
            "patronymic_latin": _latin(patronymic),
            "date_of_birth": date_of_birth,
            "date_of_birth_precision": precision,
            "sex": sex,
            "origin_oblast_id": code,
            "origin_settlement": origin.settlement,
            "origin_latitude": origin.latitude if has_coordinates else None,
            "origin_longitude": origin.longitude if has_coordinates else None,
            "parental_care": (INSTITUTION if random_() < 0.15 else rng.choice(self.parental_care)),
            "distinguishing_notes": SYNTHETIC_NOTE,
            "current_whereabouts_id": None,
            "search_text": search_text(given, family, patronymic, alias),
            "is_synthetic": True,
            "created_at": created_at,
            "updated_at": times[-1],
        }
        case = {
            "number": "",
            "child_id": None,
            "current_country": "",
            "organization_id": self.owners.pick(rng),
            "status": status,
            "priority": self.priorities.pick(rng),
            "assignee_id": None,
            "pathway": self.pathways.pick(rng),
            "deported_on": deported_on,
            "deported_from": origin.settlement,
            "circumstances": "",
            "russian_citizenship_imposed": random_() < 0.35,
            "under_russian_guardianship": random_() < 0.2,
            "adopted_in_russia": random_() < 0.05,
            "listed_in_adoption_database": random_() < 0.15,
            "returned_on": returned_on,
            "closure_reason": closure_reason,
            "closed_at": times[-1] if status == CLOSED else None,
            "status_changed_at": times[-1],
            "version": len(path),
            "created_by_id": None,
            "is_synthetic": True,
            "created_at": created_at,
            "updated_at": times[-1],
        }
        draft = Draft(
            child=child,
            case=case,
            changes=changes,
            alias=alias,
            name_keys=name_keys(given, family, patronymic, alias),
        )
        if random_() < WHEREABOUTS_SHARE.get(status, 0.9):
            self._stays(draft, code, origin, reported_on, returned_on)
        return draft

    def _stays(
        self,
        draft: Draft,
        code: str,
        origin: Place,
        reported_on: dt.date,
        returned_on: dt.date | None,
    ) -> None:
        """The places the child was held, oldest first, then home for a returned child."""
        rng = self.rng
        latest = returned_on or self.today
        first = min(
            (draft.case["deported_on"] or reported_on) + dt.timedelta(days=rng.randint(0, 20)),
            latest,
        )
        dates = [first]
        if rng.random() < 0.35:
            moved = first + dt.timedelta(days=rng.randint(20, 400))
            if moved < latest:
                dates.append(moved)
        created_at = draft.case["created_at"]
        for number, from_date in enumerate(dates):
            if number + 1 < len(dates):
                to_date: dt.date | None = dates[number + 1] - dt.timedelta(days=1)
            elif returned_on is not None and returned_on > from_date:
                to_date = returned_on - dt.timedelta(days=1)
            else:
                to_date = None
            stay = {
                "facility_id": None,
                "country": "",
                "region": "",
                "settlement": "",
                "latitude": None,
                "longitude": None,
                "from_date": from_date,
                "to_date": to_date,
                "source_description": rng.choice(SOURCES),
                "recorded_by_id": None,
                "created_at": created_at,
            }
            if self.facilities and rng.random() < 0.08:
                stay["facility_id"], stay["country"] = rng.choice(self.facilities)
            else:
                place: Place = self.destinations.pick(rng)
                stay.update(place.location())
            draft.stays.append(stay)
        if returned_on is not None:
            child = draft.child
            draft.stays.append(
                {
                    "facility_id": None,
                    "country": "UA",
                    "region": self.oblast_names.get(code, ""),
                    "settlement": origin.settlement,
                    "latitude": child["origin_latitude"],
                    "longitude": child["origin_longitude"],
                    "from_date": returned_on,
                    "to_date": None,
                    "source_description": HOME_SOURCE,
                    "recorded_by_id": None,
                    "created_at": created_at,
                }
            )

    def drafts(self, size: int) -> list[Draft]:
        """``size`` drafts in order of creation. Touches no database: safe in another thread."""
        return sorted((self.draft() for _ in range(size)), key=lambda d: d.case["created_at"])

    def number(self, drafts: list[Draft]) -> None:
        """Give the drafts case numbers for their years, in order of creation.

        Call inside the transaction that writes them: the numbers' sequence rows stay locked
        until it ends, as they do for ``case_create``.
        """
        by_year: dict[int, list[Draft]] = defaultdict(list)
        for d in drafts:
            by_year[self._local_date(d.case["created_at"]).year].append(d)
        for year, group in by_year.items():
            numbers = services.case_numbers_allocate(year=year, count=len(group))
            for d, number in zip(group, numbers, strict=True):
                d.case["number"] = number


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------
class _Writer(Protocol):
    def write(self, drafts: list[Draft]) -> None: ...


def _status_change_rows(case_id: int, draft: Draft) -> Iterator[dict[str, Any]]:
    for version, (from_status, to_status, at, reason) in enumerate(draft.changes, start=1):
        yield {
            "case_id": case_id,
            "from_status": from_status,
            "to_status": to_status,
            "changed_at": at,
            "actor_id": None,
            "reason": reason,
            "closure_reason": draft.case["closure_reason"] if to_status == CLOSED else "",
            "case_version": version,
        }


def _name_key_rows(child_id: int, draft: Draft) -> Iterator[dict[str, Any]]:
    for key in sorted(draft.name_keys):
        yield {"child_id": child_id, "key": key}


# Rows of name keys per INSERT on SQLite (about fifteen a child), under its variable limit.
NAME_KEY_BATCH_SIZE = 400


def _alias_row(child_id: int, draft: Draft) -> dict[str, Any]:
    return {
        "child_id": child_id,
        "name": draft.alias,
        "kind": AliasKind.RUSSIFIED.value,
        "seen_in": ALIAS_SEEN_IN,
        "created_at": draft.case["created_at"],
    }


# What the bulk generator says of each row it writes: made-up benchmark data, written in bulk.
_AUDIT_METADATA = {"synthetic": True, "written_by": "load_demo --synthetic"}


def _record_creations(
    *,
    children: list[int],
    cases: list[int],
    numbers: list[str],
    changes: list[int],
    aliases: list[int],
    stays: list[int],
) -> None:
    """One ``create`` event per row written (their values are not repeated: the rows are
    synthetic and marked so), through the audit trail's bulk service. Cases are labelled by
    number, as ``Case.audit_label`` does."""
    record_bulk_creations(Child, children, metadata=_AUDIT_METADATA)
    record_bulk_creations(Case, cases, labels=numbers, metadata=_AUDIT_METADATA)
    record_bulk_creations(StatusChange, changes, metadata=_AUDIT_METADATA)
    record_bulk_creations(ChildAlias, aliases, metadata=_AUDIT_METADATA)
    record_bulk_creations(Whereabouts, stays, metadata=_AUDIT_METADATA)


class _CopyWriter:
    """PostgreSQL: stream each table with COPY, with ids drawn from the sequences first."""

    def _ids(self, model: type[models.Model], count: int) -> list[int]:
        if count == 0:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]

    def _copy(
        self, model: type[models.Model], columns: list[str], rows: Iterator[dict[str, Any]]
    ) -> None:
        """COPY ``rows`` (their values of ``columns``) into ``model``'s table. The values go in
        as given: no ``pre_save``, so the drawn creation times are kept."""
        column_of = {f.attname: str(f.column) for f in model._meta.concrete_fields}
        db_columns = ", ".join(column_of[c] for c in columns)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {model._meta.db_table} ({db_columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])

    def write(self, drafts: list[Draft]) -> None:
        child_ids = self._ids(Child, len(drafts))
        case_ids = self._ids(Case, len(drafts))
        stay_ids = iter(self._ids(Whereabouts, sum(len(d.stays) for d in drafts)))
        for d, child_id, case_id in zip(drafts, child_ids, case_ids, strict=True):
            d.child["id"] = d.case["child_id"] = child_id
            d.case["id"] = case_id
            for stay in d.stays:
                stay["id"], stay["child_id"] = next(stay_ids), child_id
            if d.stays:
                # The current whereabouts: the latest stay by start date, the last one on a tie.
                current = max(enumerate(d.stays), key=lambda s: (s[1]["from_date"], s[0]))[1]
                d.child["current_whereabouts_id"] = current["id"]
                d.case["current_country"] = current["country"]

        changes = [row for d in drafts for row in _status_change_rows(d.case["id"], d)]
        for row, change_id in zip(changes, self._ids(StatusChange, len(changes)), strict=True):
            row["id"] = change_id
        aliases = [_alias_row(d.child["id"], d) for d in drafts if d.alias]
        for row, alias_id in zip(aliases, self._ids(ChildAlias, len(aliases)), strict=True):
            row["id"] = alias_id
        stays = [stay for d in drafts for stay in d.stays]

        self._copy(Child, ["id", *drafts[0].child.keys() - {"id"}], (d.child for d in drafts))
        self._copy(Case, ["id", *drafts[0].case.keys() - {"id"}], (d.case for d in drafts))
        if changes:
            self._copy(StatusChange, list(changes[0]), iter(changes))
        if aliases:
            self._copy(ChildAlias, list(aliases[0]), iter(aliases))
        # Derived rows, not audited on their own (the child's create event covers them); their
        # ids come from the column's default.
        self._copy(
            ChildNameKey,
            ["child_id", "key"],
            (row for d in drafts for row in _name_key_rows(d.child["id"], d)),
        )
        if stays:
            self._copy(Whereabouts, ["id", *stays[0].keys() - {"id"}], iter(stays))
        _record_creations(
            children=[d.child["id"] for d in drafts],
            cases=[d.case["id"] for d in drafts],
            numbers=[d.case["number"] for d in drafts],
            changes=[row["id"] for row in changes],
            aliases=[row["id"] for row in aliases],
            stays=[row["id"] for row in stays],
        )


# The stamps the drafts carry, by model: ``auto_now``/``auto_now_add`` fields.
_STAMPS: dict[type[models.Model], list[str]] = {
    Child: ["created_at", "updated_at"],
    Case: ["created_at", "updated_at"],
    ChildAlias: ["created_at"],
    Whereabouts: ["created_at"],
}


def _inserted(model: type[models.Model], rows: list[dict[str, Any]]) -> list[Any]:
    """Insert ``rows`` of ``model`` with the creation times they were drawn with.

    ``bulk_create`` runs each field's ``pre_save``, which stamps ``auto_now``/``auto_now_add``
    fields with the current time whatever the instance holds; ``bulk_update`` writes values as
    given. So the drawn times go in by a second statement in the same transaction, and the
    model's fields stay as declared (switching their flags off would change them for every
    thread of the process). The base manager inserts without the audited queryset's events:
    ``_record_creations`` records one per row, as on PostgreSQL.
    """
    instances = model._base_manager.bulk_create([model(**row) for row in rows])
    stamps = _STAMPS.get(model, [])
    if stamps and instances:
        for instance, row in zip(instances, rows, strict=True):
            for name in stamps:
                setattr(instance, name, row[name])
        model._base_manager.bulk_update(instances, stamps)
    return instances


class _OrmWriter:
    """Any other database (SQLite in tests and the embedded default): ``bulk_create``."""

    def write(self, drafts: list[Draft]) -> None:
        children = _inserted(Child, [d.child for d in drafts])
        for d, child in zip(drafts, children, strict=True):
            d.case["child_id"] = child.pk
            for stay in d.stays:
                stay["child_id"] = child.pk
        cases = _inserted(Case, [d.case for d in drafts])
        changes = _inserted(
            StatusChange,
            [
                row
                for d, case in zip(drafts, cases, strict=True)
                for row in _status_change_rows(case.pk, d)
            ],
        )
        aliases = _inserted(
            ChildAlias,
            [_alias_row(child.pk, d) for d, child in zip(drafts, children, strict=True) if d.alias],
        )
        stays = _inserted(Whereabouts, [s for d in drafts for s in d.stays])
        # Derived rows, not audited on their own (the child's create event covers them).
        ChildNameKey.objects.bulk_create(
            [
                ChildNameKey(**row)
                for d, child in zip(drafts, children, strict=True)
                for row in _name_key_rows(child.pk, d)
            ],
            batch_size=NAME_KEY_BATCH_SIZE,
        )
        _record_creations(
            children=[child.pk for child in children],
            cases=[case.pk for case in cases],
            numbers=[case.number for case in cases],
            changes=[row.pk for row in changes],
            aliases=[row.pk for row in aliases],
            stays=[row.pk for row in stays],
        )
        # The current whereabouts: the latest stay by start date, as the services keep it.
        latest = (
            Whereabouts.objects.filter(child=OuterRef("pk"))
            .order_by("-from_date", "-id")
            .values("pk")[:1]
        )
        Child.objects.filter(
            pk__in=[child.pk for d, child in zip(drafts, children, strict=True) if d.stays]
        ).unaudited_update(
            "a denormalised pointer to the latest stay, recorded with the stay",
            current_whereabouts=Subquery(latest),
        )
        of_case = Whereabouts.objects.filter(child=OuterRef("child_id")).order_by(
            "-from_date", "-id"
        )
        Case.objects.filter(
            pk__in=[case.pk for d, case in zip(drafts, cases, strict=True) if d.stays]
        ).unaudited_update(
            "a denormalised copy of the latest stay's country, recorded with the stay",
            current_country=Subquery(of_case.values("country")[:1]),
        )


def _writer() -> _Writer:
    return _CopyWriter() if connection.vendor == "postgresql" else _OrmWriter()


def _chunks(total: int, size: int) -> Iterator[int]:
    while total > 0:
        yield min(size, total)
        total -= size


def _drawn_in_background(generator: SyntheticGenerator, sizes: list[int]) -> Iterator[list[Draft]]:
    """Yield batches of drafts drawn by a second thread while the caller writes the last one.

    Drawing is Python work and writing is mostly the database's, so overlapping them nearly
    halves a large load. The drawing thread never touches the database.
    """
    batches: queue.Queue[list[Draft] | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def draw() -> None:
        try:
            for size in sizes:
                batch = generator.drafts(size)
                while not stop.is_set():
                    try:
                        batches.put(batch, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            batches.put(None)
        except BaseException as exc:  # handed to the writing thread, which re-raises it
            batches.put(exc)

    thread = threading.Thread(target=draw, name="synthetic-draw", daemon=True)
    thread.start()
    try:
        while (item := batches.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def _copied_in_own_transaction(drafts: list[Draft]) -> int:
    """Write one numbered batch on this thread's own connection, then let the connection go."""
    try:
        with transaction.atomic():
            _CopyWriter().write(drafts)
        return len(drafts)
    finally:
        connection.close()


def _write_in_parallel(
    generator: SyntheticGenerator, sizes: list[int], *, writers: int, bar: Any
) -> int:
    """PostgreSQL: ``writers`` connections COPY batches at once while a thread draws the next.

    Case numbers are taken here, each batch's in its own short transaction, so the writers do
    not queue on the year's sequence row; a batch that fails leaves a gap in the numbers, as an
    abandoned case would.
    """
    written = 0
    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="synthetic-copy") as pool:
        pending: set[Future[int]] = set()
        for drafts in _drawn_in_background(generator, sizes):
            generator.number(drafts)
            # The writers run in the command's audit context (channel, request id), which a
            # new thread would not inherit.
            context = contextvars.copy_context()
            pending.add(pool.submit(context.run, _copied_in_own_transaction, drafts))
            while len(pending) >= writers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    written += future.result()
                    bar.update(future.result())
        for future in pending:
            written += future.result()
            bar.update(future.result())
    return written


def synthetic_cases_generate(
    *,
    count: int,
    seed: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
    writers: int = 3,
    organization_ids: Sequence[int] | None = None,
) -> int:
    """Add ``count`` synthetic cases in batches, with a progress bar; returns how many.

    The cases belong to ``organization_ids`` (by default the two demo organizations).

    Each batch is its own transaction (a savepoint when called inside one), so an interrupted
    load keeps the whole batches it wrote. On PostgreSQL outside a transaction, ``writers``
    connections write batches side by side (three: while one waits on its foreign-key checks
    at commit, the others copy). Without a ``seed`` the draw continues from the
    number of synthetic children already there, so repeated loads add different children.
    """
    if count <= 0:
        return 0
    if seed is None:
        seed = Child.objects.filter(is_synthetic=True).count()
    if organization_ids is None:
        # The demo organizations own synthetic cases unless told otherwise.
        organization_ids = [o.pk for o in demo_organizations_load().values()]
    generator = SyntheticGenerator(seed=seed, organization_ids=organization_ids)
    sizes = list(_chunks(count, batch_size))
    with tqdm(total=count, unit="case", desc="Synthetic cases", disable=not progress) as bar:
        if (
            connection.vendor == "postgresql"
            and not connection.in_atomic_block
            and writers > 1
            and len(sizes) > 1
        ):
            return _write_in_parallel(generator, sizes, writers=writers, bar=bar)

        writer = _writer()
        batches: Iterator[list[Draft]] = (
            _drawn_in_background(generator, sizes)
            if len(sizes) > 1
            else (generator.drafts(size) for size in sizes)
        )
        written = 0
        for drafts in batches:
            with transaction.atomic():
                generator.number(drafts)
                writer.write(drafts)
            written += len(drafts)
            bar.update(len(drafts))
        return written
